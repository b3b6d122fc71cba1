//! USART1/2/3 of the STM32F405 as blocking `embedded_io` lines (8N1, no FIFO on this chip).

use stm32f4::stm32f405::usart1::RegisterBlock;

/// One USART, 8N1, polled.
pub struct Usart {
    regs: &'static RegisterBlock,
}

/// A receive error the USART flagged with the byte it spoilt (QEMU never raises these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum UsartError {
    /// A byte arrived before the previous one was read; data was lost.
    Overrun,
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
    /// Takes the USART whose register block is `usart` (the PAC's owned peripheral), enables
    /// it at `baud` from its bus clock `pclk_hz`.
    ///
    /// QEMU's model ignores the baud rate and needs only `CR1 = UE | TE | RE`; silicon needs
    /// `BRR` right, and the pins and bus clock set by the caller.
    pub fn new<const A: usize>(
        _usart: stm32f4::Periph<RegisterBlock, A>,
        pclk_hz: u32,
        baud: u32,
    ) -> Self {
        // SAFETY: the caller gave up the PAC's only instance of this USART (moved in), so
        // this is the one handle to its registers for the rest of the program.
        let regs: &'static RegisterBlock = unsafe { &*stm32f4::Periph::<RegisterBlock, A>::PTR };
        regs.cr1().write(|w| w);
        // Oversampling by 16: BRR = pclk / baud, rounded (mantissa in 15:4, fraction in 3:0).
        let div = (pclk_hz + baud / 2) / baud;
        regs.brr().write(|w| {
            w.div_mantissa()
                .set((div >> 4) as u16)
                .div_fraction()
                .set((div & 0xF) as u8)
        });
        regs.cr1()
            .write(|w| w.ue().set_bit().te().set_bit().re().set_bit());
        Usart { regs }
    }

    /// Pops one received byte, or `None` when nothing is there.
    pub fn try_read_byte(&mut self) -> Option<Result<u8, UsartError>> {
        let sr = self.regs.sr().read();
        if sr.rxne().bit_is_clear() && sr.ore().bit_is_clear() {
            return None;
        }
        // Reading SR then DR clears the error flags; DR holds the byte that came with them.
        let byte = self.regs.dr().read().dr().bits() as u8;
        Some(if sr.ore().bit_is_set() {
            Err(UsartError::Overrun)
        } else if sr.nf().bit_is_set() {
            Err(UsartError::Noise)
        } else if sr.fe().bit_is_set() {
            Err(UsartError::Framing)
        } else if sr.pe().bit_is_set() {
            Err(UsartError::Parity)
        } else {
            Ok(byte)
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
        let sr = self.regs.sr().read();
        Ok(sr.rxne().bit_is_set() || sr.ore().bit_is_set())
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
                // Sleep until something changes; SysTick wakes us at least every millisecond.
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
