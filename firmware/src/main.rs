//! The kiosk firmware for QEMU's `lm3s6965evb` (Cortex-M3).
//!
//! Bring-up demo: every line from the scanner UART is echoed to the host UART with the
//! board's millisecond clock; `QUIT` (or `QUIT <n>`) exits QEMU through semihosting with
//! status 0 (or n). Lines on the
//! host UART and the panel UART are echoed too, so each channel's routing can be checked.
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
    use core::fmt::Write as _;

    use cortex_m_rt::{ExceptionFrame, entry, exception};
    use embedded_io::{Read as _, ReadReady as _, Write as _};
    use hfjwt_firmware::line::LineBuffer;

    use crate::board::lm3s6965::{Board, Uart, now_ms, stack};

    defmt::timestamp!("{=u64:ms}", now_ms());

    /// Longest line the demo keeps (a HappyFox-sized token is about 250 bytes).
    const LINE: usize = 512;

    #[entry]
    fn main() -> ! {
        stack::paint();
        let Some(mut board) = Board::take() else {
            defmt::panic!("board taken twice");
        };
        defmt::info!(
            "boot: lm3s6965evb, stack region {=usize} bytes",
            stack::size()
        );
        let _ = board.host.write_all(b"READY\n");

        let mut scanner_line = LineBuffer::<LINE>::new();
        let mut host_line = LineBuffer::<LINE>::new();
        let mut panel_line = LineBuffer::<64>::new();
        loop {
            if let Some(line) = poll(&mut board.scanner, &mut scanner_line) {
                let now = board.clock.now_ms();
                match line {
                    Ok(line) if line.starts_with(b"QUIT") => {
                        // `QUIT` exits 0, `QUIT <n>` exits n (to check that QEMU passes it on).
                        let code = core::str::from_utf8(&line[4..])
                            .ok()
                            .and_then(|n| n.trim().parse::<i32>().ok())
                            .unwrap_or(0);
                        let _ = writeln!(Out(&mut board.host), "BYE {now}");
                        let _ = board.host.flush();
                        exit(code);
                    }
                    Ok(line) => {
                        defmt::info!("scanner: {=usize} bytes at {=u64} ms", line.len(), now);
                        let _ = write!(Out(&mut board.host), "SCAN {now} ");
                        let _ = board.host.write_all(line);
                        let _ = board.host.write_all(b"\n");
                    }
                    Err(e) => {
                        defmt::warn!("scanner: line of {=usize} bytes dropped", e.len);
                        let _ = writeln!(Out(&mut board.host), "TOOLONG {now} {}", e.len);
                    }
                }
            }
            if let Some(Ok(line)) = poll(&mut board.host, &mut host_line) {
                defmt::info!("host: {=[u8]:a}", line);
                let now = board.clock.now_ms();
                let _ = write!(Out(&mut board.host), "HOST {now} ");
                let _ = board.host.write_all(line);
                let _ = board.host.write_all(b"\n");
            }
            if let Some(Ok(line)) = poll(&mut board.panel, &mut panel_line) {
                defmt::info!("panel: {=[u8]:a}", line);
                let _ = board.panel.write_all(b"PANEL ");
                let _ = board.panel.write_all(line);
                let _ = board.panel.write_all(b"\n");
            }
            // Everything is interrupt-free polling; sleep until the next SysTick.
            if !any_ready(&mut board) {
                cortex_m::asm::wfi();
            }
        }
    }

    fn any_ready(board: &mut Board) -> bool {
        board.scanner.read_ready().unwrap_or(true)
            || board.host.read_ready().unwrap_or(true)
            || board.panel.read_ready().unwrap_or(true)
    }

    /// Feeds whatever `uart` has received into `buf`; returns a finished line, if any.
    fn poll<'b, const N: usize>(
        uart: &mut Uart,
        buf: &'b mut LineBuffer<N>,
    ) -> Option<Result<&'b [u8], hfjwt_firmware::line::LineTooLong>> {
        // Byte by byte, so that bytes after a line end stay in the FIFO for the next call.
        let mut byte = [0u8; 1];
        while uart.read_ready().unwrap_or(false) {
            if uart.read(&mut byte).is_err() {
                return None;
            }
            if byte[0] == b'\n' {
                return buf.push(b'\n');
            }
            let _ = buf.push(byte[0]); // never ends a line
        }
        None
    }

    /// `core::fmt` adapter for a UART (the demo's numbers; the kiosk formats its own lines).
    struct Out<'a>(&'a mut Uart);

    impl core::fmt::Write for Out<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0.write_all(s.as_bytes()).map_err(|_| core::fmt::Error)
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
        defmt::error!("panic: {}", defmt::Display2Format(info));
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
