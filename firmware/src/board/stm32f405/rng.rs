//! The hardware RNG as the kiosk's [`JtiSource`] (feature `hwrng`): a minted token's jti is
//! `<device_id>-<32 hex digits>`, 128 bits from the RNG, unique without any assumption about the
//! clock (the counter's `<device_id>-<iat>-<n>` is unique only while the clock never runs back).
//!
//! The RNG runs from the PLL's 48 MHz output (set up in [`super::clocks`]). As RM0090 asks, the
//! first word after enabling is only kept for comparison, every word is compared with the one
//! before (a repeat is a fault), and a seed error restarts the generator.
//!
//! QEMU's netduinoplus2 has no RNG model (its registers read 0, so `DRDY` never sets): the
//! source then finds the RNG not ready at boot and uses the counter, with a warning in the log.
//! On silicon the counter is used only for a jti whose words the RNG failed to give.

use hfjwt_firmware::kiosk::{CounterJti, JTI_LEN, JtiSource};
use stm32f4::stm32f405::RNG;

/// Status polls to wait for one word: a word takes 40 cycles of the 48 MHz clock, so about
/// 150 core cycles at 168 MHz; this bound is far above that and only hit by a dead RNG.
const POLLS: u32 = 10_000;

/// jtis from the hardware RNG, the counter as the fallback.
pub struct RngJti {
    rng: Option<RNG>,
    device_id: &'static str,
    last: u32,
    counter: CounterJti,
}

impl RngJti {
    /// Enables the RNG (its clock must be on) and checks that it delivers.
    pub fn new(rng: RNG, device_id: &'static str) -> Self {
        rng.cr().modify(|_, w| w.rngen().set_bit());
        let mut source = RngJti {
            rng: Some(rng),
            device_id,
            last: 0,
            counter: CounterJti::new(device_id),
        };
        match source.word() {
            // Kept only to compare with the next one (RM0090, "Error management").
            Some(first) => source.last = first,
            None => {
                defmt::warn!("hardware RNG not ready (QEMU has none): jtis from the counter");
                source.rng = None;
            }
        }
        source
    }

    /// The next checked word, `None` if the RNG does not deliver one.
    fn word(&mut self) -> Option<u32> {
        let rng = self.rng.as_ref()?;
        for _ in 0..POLLS {
            let sr = rng.sr().read();
            if sr.seis().bit_is_set() {
                // Seed error: clear it and restart the generator (RM0090 24.3.2).
                rng.sr().modify(|_, w| w.seis().clear_bit());
                rng.cr().modify(|_, w| w.rngen().clear_bit());
                rng.cr().modify(|_, w| w.rngen().set_bit());
                continue;
            }
            if sr.cecs().bit_is_set() {
                // The 48 MHz clock is wrong: no word can be trusted.
                return None;
            }
            if sr.drdy().bit_is_set() {
                let word = rng.dr().read().bits();
                if word == self.last {
                    // The continuous test failed; RM0090 counts this as an error.
                    return None;
                }
                self.last = word;
                return Some(word);
            }
        }
        None
    }
}

impl JtiSource for RngJti {
    fn next_jti<'b>(&mut self, now: u64, buf: &'b mut [u8; JTI_LEN]) -> &'b str {
        let mut words = [0u32; 4];
        for w in &mut words {
            match self.word() {
                Some(x) => *w = x,
                None => {
                    if self.rng.is_some() {
                        defmt::error!("hardware RNG failed: this jti comes from the counter");
                    }
                    return self.counter.next_jti(now, buf);
                }
            }
        }
        // device_id is at most 24 bytes (build.rs): 24 + 1 + 32 = 57 of 64 bytes.
        let id = self.device_id.as_bytes();
        let mut len = 0;
        for &b in id.iter().chain(b"-") {
            if let Some(slot) = buf.get_mut(len) {
                *slot = b;
                len += 1;
            }
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for w in words {
            for shift in (0..8).rev() {
                let digit = HEX[((w >> (shift * 4)) & 0xF) as usize];
                if let Some(slot) = buf.get_mut(len) {
                    *slot = digit;
                    len += 1;
                }
            }
        }
        core::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or_default()
    }
}
