//! The QEMU `lm3s6965evb` board (TI Stellaris LM3S6965, Cortex-M3): three PL011 UARTs, the
//! text panel, the counter jti source; SysTick and stack painting are shared
//! ([`super::systick`], [`super::stack`]).
//!
//! The `lm3s6965` crate on crates.io only carries interrupt numbers, no register blocks, so the
//! few registers used here are accessed through the small [`reg`] module below; every `unsafe`
//! of the firmware lives in this file.
//!
//! What QEMU 7.2 emulates (checked on Debian's `qemu-system-arm`):
//! - UART0/1/2 at `0x4000_C000`/`0x4000_D000`/`0x4000_E000` are PL011s; each is wired to the
//!   next `-serial` chardev. Reception has back-pressure (QEMU stops reading the chardev while
//!   the FIFO is full), so piped input is never lost, however slowly the firmware reads.
//! - The GPIO ports exist but nothing outside QEMU can drive an input pin, so the kiosk's
//!   buttons and LEDs travel as text lines on UART1 ("panel"), see `firmware/README.md`.
//! - SysTick runs from the 12 MHz system clock that the reset value of `RCC` selects, on QEMU's
//!   virtual clock (which follows the host's wall clock when `-icount` is not used).

use core::sync::atomic::{AtomicBool, Ordering};

use hfjwt_firmware::config;
use hfjwt_firmware::kiosk::CounterJti;
use hfjwt_firmware::panel::TextPanel;

use super::{Board, Seam, systick};

/// Volatile access to memory-mapped registers.
mod reg {
    /// Reads the 32-bit word at `addr`.
    ///
    /// # Safety
    /// `addr` is 4-byte aligned and is a register of this board (reading `DR` pops the
    /// receive FIFO, nothing else has read side effects).
    #[inline(always)]
    pub unsafe fn read(addr: usize) -> u32 {
        // SAFETY: forwarded to the caller.
        unsafe { core::ptr::read_volatile(addr as *const u32) }
    }

    /// Writes the 32-bit word at `addr`.
    ///
    /// # Safety
    /// As for [`read`], and a write there must not break an invariant Rust relies on.
    #[inline(always)]
    pub unsafe fn write(addr: usize, value: u32) {
        // SAFETY: forwarded to the caller.
        unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
    }
}

/// System control: clock gating (`RCGC1`) for the UARTs. QEMU ignores it; real silicon needs it.
const SYSCTL_RCGC1: usize = 0x400F_E104;
/// The system clock after reset on QEMU's lm3s6965evb (RCC reset value: 12 MHz crystal bypass).
pub const SYSCLK_HZ: u32 = 12_000_000;

// PL011 register offsets and bits (Stellaris LM3S6965 datasheet, ch. 13).
const UART_DR: usize = 0x000;
const UART_FR: usize = 0x018;
const UART_IBRD: usize = 0x024;
const UART_FBRD: usize = 0x028;
const UART_LCRH: usize = 0x02C;
const UART_CTL: usize = 0x030;
const FR_RXFE: u32 = 1 << 4; // receive FIFO empty
const FR_TXFF: u32 = 1 << 5; // transmit FIFO full
const FR_BUSY: u32 = 1 << 3; // still shifting out
const DR_OE: u32 = 1 << 11; // overrun
const DR_BE: u32 = 1 << 10; // break
const DR_PE: u32 = 1 << 9; // parity
const DR_FE: u32 = 1 << 8; // framing
const LCRH_WLEN8: u32 = 0b11 << 5; // 8 data bits, FIFOs off (see `Uart::init`)
const CTL_UARTEN_TXE_RXE: u32 = 1 | (1 << 8) | (1 << 9);

/// One PL011 UART, 115200 8N1, blocking `embedded_io` reads and writes.
pub struct Uart {
    base: usize,
}

/// A receive error reported by the PL011 with the byte it spoilt (QEMU never raises these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum UartError {
    /// A byte arrived while the receive FIFO was full; data was lost.
    Overrun,
    /// The line was held low for longer than a frame.
    Break,
    /// Parity mismatch.
    Parity,
    /// No valid stop bit.
    Framing,
}

impl embedded_io::Error for UartError {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            UartError::Overrun => embedded_io::ErrorKind::OutOfMemory,
            UartError::Break | UartError::Parity | UartError::Framing => {
                embedded_io::ErrorKind::InvalidData
            }
        }
    }
}

impl core::fmt::Display for UartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            UartError::Overrun => "uart receive overrun",
            UartError::Break => "uart break",
            UartError::Parity => "uart parity error",
            UartError::Framing => "uart framing error",
        })
    }
}

impl core::error::Error for UartError {}

impl Uart {
    /// Enables and configures the UART at `base` (115200 baud from [`SYSCLK_HZ`]).
    fn init(base: usize) -> Self {
        let mut uart = Uart { base };
        uart.write_reg(UART_CTL, 0);
        // Baud divisor = SYSCLK / (16 * 115200) = 6.5104 -> IBRD 6, FBRD round(0.5104*64) = 33.
        uart.write_reg(UART_IBRD, 6);
        uart.write_reg(UART_FBRD, 33);
        // FIFOs stay off: QEMU empties the receive FIFO whenever FEN changes, which would drop
        // bytes that arrived before this line ran, and QEMU applies back-pressure to a full
        // 1-byte holding register, so nothing is lost without them.
        uart.write_reg(UART_LCRH, LCRH_WLEN8);
        uart.write_reg(UART_CTL, CTL_UARTEN_TXE_RXE);
        uart
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // SAFETY: `base` is one of the three UART bases (the constructor is private to
        // `Board::take`) and `offset` one of the PL011 register constants above.
        unsafe { reg::read(self.base + offset) }
    }

    fn write_reg(&mut self, offset: usize, value: u32) {
        // SAFETY: as in `read_reg`; `&mut self` serialises writers of this UART.
        unsafe { reg::write(self.base + offset, value) }
    }

    fn flags(&self) -> u32 {
        self.read_reg(UART_FR)
    }

    /// Pops one received byte, or `None` when the receive FIFO is empty.
    pub fn try_read_byte(&mut self) -> Option<Result<u8, UartError>> {
        if self.flags() & FR_RXFE != 0 {
            return None;
        }
        let dr = self.read_reg(UART_DR);
        Some(if dr & DR_OE != 0 {
            Err(UartError::Overrun)
        } else if dr & DR_BE != 0 {
            Err(UartError::Break)
        } else if dr & DR_PE != 0 {
            Err(UartError::Parity)
        } else if dr & DR_FE != 0 {
            Err(UartError::Framing)
        } else {
            Ok(dr as u8) // the data byte is bits 7:0
        })
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = UartError;
}

impl embedded_io::ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, UartError> {
        Ok(self.flags() & FR_RXFE == 0)
    }
}

impl embedded_io::Read for Uart {
    /// Blocks until at least one byte is there, then drains what the FIFO holds (up to `buf`).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, UartError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        while n < buf.len() {
            match self.try_read_byte() {
                Some(byte) => {
                    buf[n] = byte?;
                    n += 1;
                }
                None if n > 0 => break,
                // Sleep until something changes; SysTick wakes us at least every millisecond.
                None => cortex_m::asm::wfi(),
            }
        }
        Ok(n)
    }
}

impl embedded_io::WriteReady for Uart {
    fn write_ready(&mut self) -> Result<bool, UartError> {
        Ok(self.flags() & FR_TXFF == 0)
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, UartError> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.flags() & FR_TXFF != 0 {}
        let mut n = 0;
        for &byte in buf {
            if self.flags() & FR_TXFF != 0 {
                break;
            }
            self.write_reg(UART_DR, u32::from(byte));
            n += 1;
        }
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), UartError> {
        while self.flags() & FR_BUSY != 0 {}
        Ok(())
    }
}

/// Everything the firmware may touch, handed out once.
pub struct Lm3s6965 {
    /// UART0, the host/browser line (QEMU: first `-serial`).
    host: Uart,
    /// UART1, the button/LED panel as text lines (QEMU: second `-serial`).
    panel: Uart,
    /// UART2, the token scanner (QEMU: third `-serial`). Last, because QEMU gives a shared
    /// (`mux=on`) stdio's input to the UART attached last: typing or piping goes to the scanner.
    scanner: Uart,
    /// The monotonic millisecond clock.
    clock: systick::Millis,
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Board for Lm3s6965 {
    const NAME: &'static str = "lm3s6965evb";
    const SYSCLK_HZ: u32 = SYSCLK_HZ;
    type Scanner = Uart;
    type Host = Uart;
    type Panel = TextPanel<Uart>;
    type Jti = CounterJti;

    /// Initialises clocks, UARTs and SysTick; `None` if the board was already taken.
    fn take() -> Option<Self> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        let mut core = cortex_m::Peripherals::take()?;
        // Gate the clocks of UART0..2 (RCGC1 bits 0..2).
        // SAFETY: RCGC1 is a plain read/write register of the system control block.
        unsafe { reg::write(SYSCTL_RCGC1, reg::read(SYSCTL_RCGC1) | 0b111) };
        let host = Uart::init(0x4000_C000);
        let panel = Uart::init(0x4000_D000);
        let scanner = Uart::init(0x4000_E000);
        let clock = systick::start(&mut core.SYST, SYSCLK_HZ);
        Some(Lm3s6965 {
            host,
            panel,
            scanner,
            clock,
        })
    }

    /// Buttons and LEDs as text lines on UART1 (QEMU drives no GPIO input); jtis from the
    /// counter (`<device_id>-<iat>-<n>`: the board has no RNG).
    fn split(self) -> Seam<Uart, Uart, TextPanel<Uart>, CounterJti> {
        Seam {
            scanner: self.scanner,
            host: self.host,
            panel: TextPanel::new(self.panel),
            jti: CounterJti::new(config::SETTINGS.device_id),
            clock: self.clock,
        }
    }
}
