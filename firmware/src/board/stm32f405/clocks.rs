//! The clock tree: 168 MHz core, 42 MHz APB1, 84 MHz APB2, 48 MHz for the RNG.

use stm32f4::stm32f405::{FLASH, RCC};

/// Core clock (SysTick counts it), Hz: the PLL's output on silicon, QEMU's fixed clock.
pub const SYSCLK_HZ: u32 = 168_000_000;
/// APB1 (USART2, USART3), Hz.
pub const APB1_HZ: u32 = SYSCLK_HZ / 4;
/// APB2 (USART1), Hz.
pub const APB2_HZ: u32 = SYSCLK_HZ / 2;

/// Which machine this is, as told by the RCC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum Model {
    /// A real STM32F405: the PLL now runs the core at 168 MHz.
    Silicon,
    /// QEMU's netduinoplus2: no RCC model (it reads 0); the core already runs at 168 MHz.
    Qemu,
}

/// Brings the core to [`SYSCLK_HZ`].
///
/// Silicon runs from the HSI after reset, so `HSIRDY` reads 1; QEMU's unimplemented RCC reads
/// 0 there, and waiting for any ready bit would hang. That bit alone picks the path: on silicon
/// the PLL is set up and every ready bit is waited for, as RM0090 asks. (A bootloader that ran
/// first and switched the HSI off would be taken for QEMU: the firmware expects to start from
/// reset, as `probe-rs run` starts it.)
pub fn init(rcc: &RCC, flash: &FLASH) -> Model {
    if rcc.cr().read().hsirdy().bit_is_clear() {
        return Model::Qemu;
    }
    // 5 wait states for 168 MHz at 2.7-3.6 V, before the clock goes up; caches and prefetch on.
    flash.acr().modify(|_, w| {
        w.latency()
            .ws5()
            .icen()
            .set_bit()
            .dcen()
            .set_bit()
            .prften()
            .set_bit()
    });
    // HSI 16 MHz / M 8 = 2 MHz; × N 168 = 336 MHz VCO; / P 2 = 168 MHz; / Q 7 = 48 MHz (RNG).
    rcc.pllcfgr().write(|w| {
        // SAFETY: M = 8, N = 168 and Q = 7 are inside the ranges RM0090 allows
        // (2..=63, 50..=432, 2..=15) and give the VCO range 100..=432 MHz.
        unsafe { w.pllm().bits(8).plln().bits(168).pllq().bits(7) };
        w.pllp().div2().pllsrc().hsi()
    });
    rcc.cr().modify(|_, w| w.pllon().set_bit());
    while rcc.cr().read().pllrdy().bit_is_clear() {}
    rcc.cfgr()
        .modify(|_, w| w.hpre().div1().ppre1().div4().ppre2().div2());
    rcc.cfgr().modify(|_, w| w.sw().pll());
    while !rcc.cfgr().read().sws().is_pll() {}
    Model::Silicon
}
