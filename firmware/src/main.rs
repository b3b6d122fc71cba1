//! The kiosk firmware: QEMU's `lm3s6965evb` (Cortex-M3, `thumbv7m-none-eabi`) or the
//! STM32F405 (Cortex-M4F, `thumbv7em-none-eabihf`: QEMU's `netduinoplus2`, or silicon).
//!
//! Wires the board-free [`hfjwt_firmware::kiosk::Kiosk`] to the board of the build target
//! through the board seam ([`board::Board`]): scanner, host and panel lines (or GPIO buttons and
//! LEDs), SysTick as the monotonic clock, a jti source, a defmt sink. `HALT` on the host line
//! logs the stack high-water mark and ends the run (QEMU exits with status 0); see
//! `firmware/README.md` for the line protocol and the boards.
//!
//! On the host this binary is only a stub: the firmware runs on thumbv7m / thumbv7em.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod board;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "the kiosk firmware runs on thumbv7m (lm3s6965evb) or thumbv7em-none-eabihf \
         (stm32f405); use `cd firmware && cargo run --release [--target thumbv7em-none-eabihf]` \
         (needs qemu-system-arm: scripts/install-qemu.sh)"
    );
    std::process::exit(2);
}

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{ExceptionFrame, entry, exception};
    use embedded_io::ReadReady as _;
    use hfjwt_firmware::config;
    use hfjwt_firmware::kiosk::{Event, Kiosk, Parts, Poll};

    use crate::board::systick::{Millis, cycles, now_ms};
    use crate::board::{self, Board, Panel, Seam, Selected, stack};

    defmt::timestamp!("{=u64:ms}", now_ms());

    #[entry]
    fn main() -> ! {
        stack::paint();
        run::<Selected>()
    }

    /// Boots the kiosk on board `B` and polls it until `HALT`.
    fn run<B: Board>() -> ! {
        let Some(board) = B::take() else {
            defmt::panic!("board taken twice");
        };
        defmt::info!(
            "boot: {=str}, stack region {=usize} bytes, config {=str}",
            B::NAME,
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
        let Seam {
            scanner,
            host,
            mut panel,
            jti,
            clock,
        } = board.split();
        let (green, red, buttons) = panel.pins();
        let parts = Parts {
            scanner,
            host,
            green,
            red,
            buttons,
            jti,
            clock: Ticks(clock),
        };
        let mut kiosk = Kiosk::new(parts, config::SETTINGS, portal_key, happyfox_key);
        if let Err(e) = kiosk.start() {
            defmt::error!("start: {}", e);
        }
        let cycles_per_us = B::SYSCLK_HZ / 1_000_000;
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
                            cycles::since(started) / cycles_per_us
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

    /// The board's SysTick milliseconds as the kiosk's monotonic clock.
    struct Ticks(Millis);

    impl hfjwt_firmware::kiosk::Monotonic for Ticks {
        fn now_ms(&mut self) -> u64 {
            self.0.now_ms()
        }
    }

    /// Reports the stack high-water mark and ends the run with `code` (QEMU's exit status).
    fn exit(code: i32) -> ! {
        defmt::info!(
            "stack high-water mark: {=usize} of {=usize} bytes",
            stack::high_water(),
            stack::size()
        );
        board::exit(code)
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        // File and line only: formatting the message would pull core::fmt's machinery into flash.
        match info.location() {
            Some(l) => defmt::error!("panic at {=str}:{=u32}", l.file(), l.line()),
            None => defmt::error!("panic"),
        }
        board::exit(101)
    }

    #[defmt::panic_handler]
    fn defmt_panic() -> ! {
        board::exit(101)
    }

    #[exception]
    unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
        defmt::error!("hard fault at pc {=u32:#x}", frame.pc());
        board::exit(102)
    }
}
