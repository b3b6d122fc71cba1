//! SysTick as the monotonic millisecond clock and a sub-millisecond cycle stamp, the same on
//! every Cortex-M board (each tells [`start`] its core clock).

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::exception;

/// Milliseconds since boot, counted by the SysTick interrupt.
///
/// A `u64` never wraps in a kiosk's life; it is updated in a critical section because
/// ARMv7-M has no 64-bit atomics.
static MILLIS: critical_section::Mutex<core::cell::Cell<u64>> =
    critical_section::Mutex::new(core::cell::Cell::new(0));

/// Core-clock cycles per millisecond, set once by [`start`].
static PER_MS: AtomicU32 = AtomicU32::new(1);

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ms = MILLIS.borrow(cs);
        ms.set(ms.get().wrapping_add(1));
    });
}

/// Starts the 1 kHz SysTick interrupt from the core clock `sysclk_hz`.
pub fn start(syst: &mut SYST, sysclk_hz: u32) -> Millis {
    let per_ms = sysclk_hz / 1000;
    PER_MS.store(per_ms, Ordering::Relaxed);
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(per_ms - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    Millis { _private: () }
}

/// The board's monotonic millisecond clock (a zero-sized handle to the SysTick counter).
#[derive(Clone, Copy)]
pub struct Millis {
    _private: (),
}

impl Millis {
    /// Milliseconds since boot.
    pub fn now_ms(&self) -> u64 {
        now_ms()
    }
}

/// Milliseconds since boot (also usable before a board is taken, e.g. for defmt timestamps).
pub fn now_ms() -> u64 {
    critical_section::with(|cs| MILLIS.borrow(cs).get())
}

/// Sub-millisecond time stamps from SysTick: milliseconds × cycles per ms + the cycles elapsed
/// in the current tick. QEMU does not emulate the DWT cycle counter (CYCCNT reads 0), so this is
/// the finest clock there is: without `-icount` it follows the host's wall clock; with
/// `-icount shift=0` each instruction advances it by 1 ns, i.e. it counts instructions.
pub mod cycles {
    use core::sync::atomic::Ordering;

    use cortex_m::peripheral::SYST;

    use super::{PER_MS, now_ms};

    /// A wrapping stamp in core-clock cycles (wraps after ~6 minutes at 12 MHz, ~25 s at
    /// 168 MHz: enough for one decision).
    pub fn now() -> u32 {
        let per_ms = PER_MS.load(Ordering::Relaxed);
        loop {
            let before = now_ms();
            let current = SYST::get_current();
            // A tick in between would pair this count with the wrong millisecond: retry.
            if now_ms() == before {
                let in_tick = (per_ms - 1).saturating_sub(current);
                return (before as u32).wrapping_mul(per_ms).wrapping_add(in_tick);
            }
        }
    }

    /// Cycles since `start` (a stamp from [`now`]).
    pub fn since(start: u32) -> u32 {
        now().wrapping_sub(start)
    }
}
