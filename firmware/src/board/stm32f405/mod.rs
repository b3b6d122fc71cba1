//! The STM32F405 board (Cortex-M4F, `thumbv7em-none-eabihf`): QEMU's `netduinoplus2`, and the
//! same chip on a real reader. Registers through the `stm32f4` PAC; every `unsafe` of this board
//! is in this directory, each with its reason.
//!
//! | role | peripheral | pins (AF7) | QEMU `-serial` |
//! | --- | --- | --- | --- |
//! | host/browser line, 115200 8N1 | USART1 (0x4001_1000) | PA9 TX, PA10 RX | 0 |
//! | panel (text lines; QEMU, or without `gpio`), 115200 8N1 | USART2 (0x4000_4400) | PA2 TX, PA3 RX | 1 |
//! | scanner, 9600 8N1 (scanners' usual default) | USART3 (0x4000_4800) | PB10 TX, PB11 RX | 2 |
//!
//! QEMU 7.2 wires the chip's USART1, 2, 3, UART4, 5, USART6 to `-serial` 0..5, in that order;
//! the three roles take the first three, as on the lm3s6965evb, so both boards run under the
//! same `-serial` options. Features: `gpio` (buttons and LEDs, `gpio.rs`), `hwrng` (`rng.rs`),
//! `rtc` (`rtc.rs`), `rtt` (the log; see [`super::exit`]).
//!
//! # What QEMU does not model, and how this board copes (on the QEMU side only)
//! - **RCC** reads 0 and ignores writes; the core clock is QEMU's fixed 168 MHz. Silicon starts on
//!   the 16 MHz HSI, and `HSIRDY` reads 1 there (it is the clock we run on), so [`clocks::init`]
//!   reads `HSIRDY`: set → silicon, configure the PLL to 168 MHz and wait for its ready bits;
//!   clear → QEMU, touch nothing. Both end at 168 MHz, so SysTick and every timing agree.
//! - **GPIO, flash interface, RNG, RTC** are unimplemented (read 0, writes ignored): pin and
//!   clock-enable writes are harmless there; the RNG never gets ready (→ counter jtis), the RTC
//!   never runs (→ nothing restored).
//! - The USART model drops bytes that arrive before `CR1` has `UE | RE`; the harnesses wait for
//!   `READY`, which is written after every line is enabled.

use core::sync::atomic::{AtomicBool, Ordering};

use hfjwt_firmware::config;
#[cfg(not(feature = "hwrng"))]
use hfjwt_firmware::kiosk::CounterJti;
#[cfg(not(feature = "gpio"))]
use hfjwt_firmware::panel::TextPanel;
use stm32f4::stm32f405::{self as pac, GPIOA, GPIOB};

use super::{Board, Seam, systick};

pub mod clocks;
#[cfg(feature = "gpio")]
pub mod gpio;
#[cfg(feature = "hwrng")]
pub mod rng;
#[cfg(feature = "rtc")]
pub mod rtc;
pub mod usart;

use usart::{Port, Usart};

/// Host line baud rate.
pub const HOST_BAUD: u32 = 115_200;
/// Panel line baud rate.
#[cfg(not(feature = "gpio"))]
pub const PANEL_BAUD: u32 = 115_200;
/// Scanner baud rate (most serial barcode scanners ship set to 9600 8N1).
pub const SCANNER_BAUD: u32 = 9_600;

#[cfg(feature = "rtc")]
type HostLine = rtc::RtcLine<Usart>;
#[cfg(not(feature = "rtc"))]
type HostLine = Usart;
#[cfg(feature = "gpio")]
type PanelPins = gpio::GpioPanel;
#[cfg(not(feature = "gpio"))]
type PanelPins = TextPanel<Usart>;
#[cfg(feature = "hwrng")]
type Jtis = rng::RngJti;
#[cfg(not(feature = "hwrng"))]
type Jtis = CounterJti;

/// The STM32F405 with the kiosk's peripherals brought up.
pub struct Stm32f405 {
    host: HostLine,
    panel: PanelPins,
    scanner: Usart,
    jti: Jtis,
    clock: systick::Millis,
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Board for Stm32f405 {
    const NAME: &'static str = "stm32f405";
    const SYSCLK_HZ: u32 = clocks::SYSCLK_HZ;
    type Scanner = Usart;
    type Host = HostLine;
    type Panel = PanelPins;
    type Jti = Jtis;

    fn take() -> Option<Self> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        let mut core = cortex_m::Peripherals::take()?;
        let dp = pac::Peripherals::take()?;
        let model = clocks::init(&dp.RCC, &dp.FLASH);
        defmt::info!("clocks: {}", model);
        // Bus clocks of everything used below (QEMU ignores them; silicon needs them).
        dp.RCC.ahb1enr().modify(|_, w| {
            w.gpioaen()
                .set_bit()
                .gpioben()
                .set_bit()
                .gpiocen()
                .set_bit()
        });
        dp.RCC.ahb2enr().modify(|_, w| w.rngen().set_bit());
        dp.RCC.apb1enr().modify(|_, w| {
            w.usart2en()
                .set_bit()
                .usart3en()
                .set_bit()
                .pwren()
                .set_bit()
        });
        dp.RCC.apb2enr().modify(|_, w| w.usart1en().set_bit());
        // RM0090 / errata 2.1.13: a peripheral is usable two bus cycles after its clock is
        // enabled; reading the register back makes sure of that.
        let _ = dp.RCC.apb2enr().read();
        usart_pins(&dp.GPIOA, &dp.GPIOB);

        let host = Usart::new(Port::Usart1(dp.USART1), clocks::APB2_HZ, HOST_BAUD);
        #[cfg(not(feature = "gpio"))]
        let panel = TextPanel::new(Usart::new(
            Port::Usart2(dp.USART2),
            clocks::APB1_HZ,
            PANEL_BAUD,
        ));
        #[cfg(feature = "gpio")]
        let panel = gpio::GpioPanel::new(dp.GPIOC);
        let scanner = Usart::new(Port::Usart3(dp.USART3), clocks::APB1_HZ, SCANNER_BAUD);

        #[cfg(feature = "rtc")]
        let host = {
            // SAFETY: the RCC register block lives for the whole program; the RTC driver only
            // touches BDCR, which nothing else writes after `clocks::init`.
            let rcc: &'static pac::rcc::RegisterBlock = unsafe { &*pac::RCC::PTR };
            rtc::RtcLine::new(host, rtc::Rtc::new(dp.RTC, dp.PWR, rcc))
        };
        #[cfg(feature = "hwrng")]
        let jti = rng::RngJti::new(dp.RNG, config::SETTINGS.device_id);
        #[cfg(not(feature = "hwrng"))]
        let jti = CounterJti::new(config::SETTINGS.device_id);

        let clock = systick::start(&mut core.SYST, clocks::SYSCLK_HZ);
        Some(Stm32f405 {
            host,
            panel,
            scanner,
            jti,
            clock,
        })
    }

    fn split(self) -> Seam<Usart, HostLine, PanelPins, Jtis> {
        Seam {
            scanner: self.scanner,
            host: self.host,
            panel: self.panel,
            jti: self.jti,
            clock: self.clock,
        }
    }
}

/// PA9/PA10 (USART1), PA2/PA3 (USART2), PB10/PB11 (USART3) to alternate function 7; RX lines
/// pulled up so an unplugged line idles high instead of reading noise.
fn usart_pins(gpioa: &GPIOA, gpiob: &GPIOB) {
    // AFRH's fields count from pin 8.
    gpioa
        .afrh()
        .modify(|_, w| w.afr(9 - 8).af7().afr(10 - 8).af7());
    gpioa.afrl().modify(|_, w| w.afr(2).af7().afr(3).af7());
    gpioa
        .pupdr()
        .modify(|_, w| w.pupdr(10).pull_up().pupdr(3).pull_up());
    gpioa.moder().modify(|_, w| {
        w.moder(9)
            .alternate()
            .moder(10)
            .alternate()
            .moder(2)
            .alternate()
            .moder(3)
            .alternate()
    });
    gpiob
        .afrh()
        .modify(|_, w| w.afr(10 - 8).af7().afr(11 - 8).af7());
    gpiob.pupdr().modify(|_, w| w.pupdr(11).pull_up());
    gpiob
        .moder()
        .modify(|_, w| w.moder(10).alternate().moder(11).alternate());
}
