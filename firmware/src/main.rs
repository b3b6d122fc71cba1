//! The kiosk firmware for QEMU's `lm3s6965evb` (Cortex-M3).
//!
//! Wires the board-free [`hfjwt_firmware::kiosk::Kiosk`] to the board: UART2 is the scanner,
//! UART0 the host/browser line, UART1 a text panel for the buttons and LEDs (QEMU drives no
//! GPIO input), SysTick the monotonic clock. `HALT` on the host line ends QEMU with status 0
//! after logging the stack high-water mark; see `firmware/README.md` for the line protocol.
//!
//! On the host this binary is only a stub: the firmware runs on thumbv7m.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod board;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "the kiosk firmware runs on thumbv7m; use `cd firmware && cargo run --release` \
         (needs qemu-system-arm: scripts/install-qemu.sh)"
    );
    std::process::exit(2);
}

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{ExceptionFrame, entry, exception};
    use embedded_io::ReadReady as _;
    use hfjwt_firmware::config;
    use hfjwt_firmware::kiosk::{CounterJti, Event, Kiosk, Poll};
    use hfjwt_firmware::panel::TextPanel;

    use crate::board::lm3s6965::{Board, Millis, cycles, now_ms, stack};

    defmt::timestamp!("{=u64:ms}", now_ms());

    #[entry]
    fn main() -> ! {
        stack::paint();
        let Some(board) = Board::take() else {
            defmt::panic!("board taken twice");
        };
        defmt::info!(
            "boot: lm3s6965evb, stack region {=usize} bytes, config {=str}",
            stack::size(),
            config::SOURCE
        );
        if config::DEMO_KEYS {
            defmt::warn!(
                "built with the PUBLIC DEMO keys of firmware/kiosk.toml: not for production"
            );
        }
        let (Ok(portal_key), Ok(happyfox_key)) = (config::portal_key(), config::happyfox_key())
        else {
            // build.rs refuses short keys, so this cannot happen with a checked configuration.
            defmt::panic!("kiosk keys refused by the core");
        };
        let Board {
            host,
            panel,
            scanner,
            clock,
        } = board;
        let panel = TextPanel::new(panel);
        let jti = CounterJti::new(config::SETTINGS.device_id);
        let parts = panel.kiosk_parts(scanner, host, jti, Ticks(clock));
        let mut kiosk = Kiosk::new(parts, config::SETTINGS, portal_key, happyfox_key);
        if let Err(e) = kiosk.start() {
            defmt::error!("start: {}", e);
        }
        loop {
            let started = cycles::now();
            match kiosk.poll() {
                Ok(Poll::Halt) => exit(0),
                Ok(Poll::Handled(event)) => {
                    // The poll that completes a scanner line does the whole decision: this is
                    // the line-in -> GRANT-out time, in SysTick cycles of QEMU's virtual clock.
                    if matches!(event, Event::Granted | Event::Denied) {
                        defmt::info!(
                            "decision took {=u32} us",
                            cycles::since(started) / (board_cycles_per_us())
                        );
                    }
                }
                Ok(Poll::Idle) => {
                    // Interrupt-free polling: sleep until the next SysTick unless bytes wait.
                    let p = kiosk.parts_mut();
                    let ready = p.scanner.read_ready().unwrap_or(true)
                        || p.host.read_ready().unwrap_or(true);
                    if !ready {
                        cortex_m::asm::wfi();
                    }
                }
                Err(e) => defmt::error!("kiosk i/o: {}", e),
            }
        }
    }

    const fn board_cycles_per_us() -> u32 {
        crate::board::lm3s6965::SYSCLK_HZ / 1_000_000
    }

    /// The board's SysTick milliseconds as the kiosk's monotonic clock.
    struct Ticks(Millis);

    impl hfjwt_firmware::kiosk::Monotonic for Ticks {
        fn now_ms(&mut self) -> u64 {
            self.0.now_ms()
        }
    }

    /// Reports the stack high-water mark and ends QEMU with `code` as its exit status.
    fn exit(code: i32) -> ! {
        defmt::info!(
            "stack high-water mark: {=usize} of {=usize} bytes",
            stack::high_water(),
            stack::size()
        );
        semihosting::process::exit(code)
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        // File and line only: formatting the message would pull core::fmt's machinery into flash.
        match info.location() {
            Some(l) => defmt::error!("panic at {=str}:{=u32}", l.file(), l.line()),
            None => defmt::error!("panic"),
        }
        semihosting::process::exit(101)
    }

    #[defmt::panic_handler]
    fn defmt_panic() -> ! {
        semihosting::process::exit(101)
    }

    #[exception]
    unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
        defmt::error!("hard fault at pc {=u32:#x}", frame.pc());
        semihosting::process::exit(102)
    }
}
