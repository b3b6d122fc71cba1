//! USART1/2/3 of the STM32F405 as `embedded_io` lines (8N1): reception by interrupt into a
//! ring per line, transmission polled.
//!
//! Why interrupts: the STM32F4 USART holds one received byte and has no FIFO, and the kiosk's
//! main loop is sometimes busy for tens of milliseconds (writing an 800-byte `GRANT` at 115200
//! baud takes ~70 ms); a polled receiver would overrun and lose scanner or host bytes. The
//! receive interrupt moves each byte into a [`RX_LEN`]-entry ring the moment it arrives.
//!
//! When a ring is full the interrupt masks itself in the NVIC and leaves the byte in `DR`, and
//! the reader unmasks it after taking one out. On silicon that byte is then the last before an
//! overrun, which is reported; under QEMU, whose USART accepts no new byte while one waits in
//! `DR`, it keeps QEMU's back-pressure, so piped input is never lost.

use core::cell::RefCell;

use critical_section::Mutex;
use stm32f4::stm32f405::usart1::RegisterBlock;
use stm32f4::stm32f405::{Interrupt, NVIC, USART1, USART2, USART3, interrupt};

/// Received bytes each line holds for the reader: the longest the main loop is ever away
/// (~70 ms of `GRANT` output) at the fastest line that sends in that time.
pub const RX_LEN: usize = 128;

/// One of the three USARTs, with its PAC peripheral (taking it proves nothing else owns it).
pub enum Port {
    /// USART1 (APB2).
    Usart1(USART1),
    /// USART2 (APB1).
    #[cfg_attr(
        feature = "gpio",
        expect(
            dead_code,
            reason = "with GPIO buttons and LEDs the panel line is not brought up"
        )
    )]
    Usart2(USART2),
    /// USART3 (APB1).
    Usart3(USART3),
}

/// Received entries: the byte in bits 7:0, an [`UsartError`] code in bits 15:8 (0 = none).
struct Ring {
    entries: [u16; RX_LEN],
    start: usize,
    len: usize,
}

impl Ring {
    const fn new() -> Self {
        Ring {
            entries: [0; RX_LEN],
            start: 0,
            len: 0,
        }
    }

    fn push(&mut self, entry: u16) -> bool {
        if self.len == RX_LEN {
            return false;
        }
        if let Some(slot) = self.entries.get_mut((self.start + self.len) % RX_LEN) {
            *slot = entry;
        }
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<u16> {
        if self.len == 0 {
            return None;
        }
        let entry = self.entries.get(self.start).copied();
        self.start = (self.start + 1) % RX_LEN;
        self.len -= 1;
        entry
    }
}

/// The rings of USART1, USART2, USART3 (in that order), shared by interrupt and reader.
static RX: [Mutex<RefCell<Ring>>; 3] = [const { Mutex::new(RefCell::new(Ring::new())) }; 3];

/// The register block, interrupt and ring slot of USART `slot` (0, 1, 2 = USART1, 2, 3).
fn port(slot: usize) -> (&'static RegisterBlock, Interrupt) {
    let (ptr, irq) = match slot {
        0 => (USART1::PTR, Interrupt::USART1),
        1 => (USART2::PTR, Interrupt::USART2),
        _ => (USART3::PTR, Interrupt::USART3),
    };
    // SAFETY: a fixed peripheral address, valid for the whole program. The interrupt and the
    // `Usart` handle share it: the interrupt reads SR and DR of the receiver, the handle
    // writes DR and reads SR for the transmitter; neither read-modify-writes a register the
    // other writes (CR1 is written only before the interrupt is unmasked).
    (unsafe { &*ptr }, irq)
}

#[interrupt]
fn USART1() {
    receive(0);
}

#[interrupt]
fn USART2() {
    receive(1);
}

#[interrupt]
fn USART3() {
    receive(2);
}

/// The receive interrupt: moves every waiting byte (with its error flags) into the ring.
///
/// It loops while `RXNE` is set: QEMU 7.2's USART model, behind a multiplexed chardev, hands
/// over the next byte from inside the `DR` read and then lowers the interrupt line, so that
/// byte would raise no interrupt of its own. On silicon the loop ends after one byte or two.
fn receive(slot: usize) {
    let (regs, irq) = port(slot);
    critical_section::with(|cs| {
        let Some(rx) = RX.get(slot) else { return };
        let mut ring = rx.borrow_ref_mut(cs);
        loop {
            let sr = regs.sr().read();
            if sr.rxne().bit_is_clear() && sr.ore().bit_is_clear() {
                return;
            }
            if ring.len == RX_LEN {
                // Full: leave the byte in DR and stay quiet until the reader makes room.
                NVIC::mask(irq);
                return;
            }
            // Reading SR then DR clears the error flags; DR holds the byte that came with them.
            let byte = regs.dr().read().dr().bits() & 0xFF;
            let error = if sr.ore().bit_is_set() {
                Some(UsartError::Overrun)
            } else if sr.nf().bit_is_set() {
                Some(UsartError::Noise)
            } else if sr.fe().bit_is_set() {
                Some(UsartError::Framing)
            } else if sr.pe().bit_is_set() {
                Some(UsartError::Parity)
            } else {
                None
            };
            ring.push(byte | error.map_or(0, |e| e as u16) << 8);
        }
    });
}

/// One USART, 8N1: interrupt-driven reception, polled transmission.
pub struct Usart {
    regs: &'static RegisterBlock,
    slot: usize,
    irq: Interrupt,
}

/// A receive error the USART flagged with the byte it spoilt (QEMU never raises these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
#[repr(u16)]
pub enum UsartError {
    /// A byte arrived before the previous one was read; data was lost.
    Overrun = 1,
    /// Noise on the line during the byte.
    Noise,
    /// No valid stop bit (also a break).
    Framing,
    /// Parity mismatch.
    Parity,
}

impl embedded_io::Error for UsartError {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            UsartError::Overrun => embedded_io::ErrorKind::OutOfMemory,
            UsartError::Noise | UsartError::Framing | UsartError::Parity => {
                embedded_io::ErrorKind::InvalidData
            }
        }
    }
}

impl core::fmt::Display for UsartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            UsartError::Overrun => "usart receive overrun",
            UsartError::Noise => "usart noise",
            UsartError::Framing => "usart framing error",
            UsartError::Parity => "usart parity error",
        })
    }
}

impl core::error::Error for UsartError {}

impl Usart {
    /// Takes the USART `port`, enables it at `baud` from its bus clock `pclk_hz`, and starts
    /// its receive interrupt.
    ///
    /// QEMU's model ignores the baud rate and needs only `CR1 = UE | TE | RE`; silicon needs
    /// `BRR` right, and the pins and bus clock set by the caller.
    pub fn new(port_: Port, pclk_hz: u32, baud: u32) -> Self {
        let slot = match port_ {
            Port::Usart1(_) => 0,
            Port::Usart2(_) => 1,
            Port::Usart3(_) => 2,
        };
        let (regs, irq) = port(slot);
        regs.cr1().write(|w| w);
        // Oversampling by 16: BRR = pclk / baud, rounded (mantissa in 15:4, fraction in 3:0).
        let div = (pclk_hz + baud / 2) / baud;
        regs.brr().write(|w| {
            w.div_mantissa()
                .set((div >> 4) as u16)
                .div_fraction()
                .set((div & 0xF) as u8)
        });
        regs.cr1().write(|w| {
            w.ue()
                .set_bit()
                .te()
                .set_bit()
                .re()
                .set_bit()
                .rxneie()
                .set_bit()
        });
        let usart = Usart { regs, slot, irq };
        usart.unmask();
        usart
    }

    fn unmask(&self) {
        // SAFETY: no critical section of this program relies on a USART interrupt being
        // masked (they all use `critical_section`, i.e. PRIMASK); the handler is `receive`.
        unsafe { NVIC::unmask(self.irq) };
    }

    /// Takes one received byte, or `None` when nothing is there.
    pub fn try_read_byte(&mut self) -> Option<Result<u8, UsartError>> {
        let entry = critical_section::with(|cs| {
            RX.get(self.slot).and_then(|rx| rx.borrow_ref_mut(cs).pop())
        })?;
        // There is room again: let the interrupt take a byte it left waiting.
        self.unmask();
        let byte = entry as u8;
        Some(match entry >> 8 {
            0 => Ok(byte),
            1 => Err(UsartError::Overrun),
            2 => Err(UsartError::Noise),
            3 => Err(UsartError::Framing),
            _ => Err(UsartError::Parity),
        })
    }

    fn tx_empty(&self) -> bool {
        self.regs.sr().read().txe().bit_is_set()
    }
}

impl embedded_io::ErrorType for Usart {
    type Error = UsartError;
}

impl embedded_io::ReadReady for Usart {
    fn read_ready(&mut self) -> Result<bool, UsartError> {
        let ready = critical_section::with(|cs| {
            RX.get(self.slot)
                .is_some_and(|rx| rx.borrow_ref(cs).len > 0)
        });
        if !ready && self.regs.sr().read().rxne().bit_is_set() {
            // A byte waits with no interrupt on its way (one lost by a model or an erratum):
            // have the handler take it.
            NVIC::pend(self.irq);
        }
        Ok(ready)
    }
}

impl embedded_io::Read for Usart {
    /// Blocks until at least one byte is there, then takes what is ready (up to `buf`).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, UsartError> {
        let mut n = 0;
        while let Some(slot) = buf.get_mut(n) {
            match self.try_read_byte() {
                Some(byte) => {
                    *slot = byte?;
                    n += 1;
                }
                None if n > 0 => break,
                // Sleep until a byte (its interrupt) or SysTick wakes us.
                None => cortex_m::asm::wfi(),
            }
        }
        Ok(n)
    }
}

impl embedded_io::WriteReady for Usart {
    fn write_ready(&mut self) -> Result<bool, UsartError> {
        Ok(self.tx_empty())
    }
}

impl embedded_io::Write for Usart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, UsartError> {
        let Some((&first, rest)) = buf.split_first() else {
            return Ok(0);
        };
        while !self.tx_empty() {}
        self.regs.dr().write(|w| w.dr().set(u16::from(first)));
        let mut n = 1;
        for &byte in rest {
            if !self.tx_empty() {
                break;
            }
            self.regs.dr().write(|w| w.dr().set(u16::from(byte)));
            n += 1;
        }
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), UsartError> {
        while self.regs.sr().read().tc().bit_is_clear() {}
        Ok(())
    }
}
