//! Board support: the one place that knows registers. The kiosk library never sees it.
//!
//! # The board seam
//! A board gives the kiosk exactly what [`Board::split`] returns in a [`Seam`]:
//! - three serial lines: the **scanner** (`Read + ReadReady`), the **host** line to the kiosk PC
//!   (`Read + ReadReady + Write`) and a **panel** ([`Panel`]: two LEDs as `OutputPin`s and three
//!   buttons as `InputPin`s, either real GPIO or [`TextPanel`] lines on a third UART);
//! - a **monotonic clock** ([`systick::Millis`], shared by every Cortex-M board);
//! - a **jti source** ([`JtiSource`]) for the tokens the kiosk mints;
//! - a **log sink**: the board build links one defmt global logger (semihosting for QEMU,
//!   `defmt-rtt` on silicon, feature `rtt`), and [`exit`] ends the run the way the sink can.
//!
//! `main.rs` turns a seam into the kiosk's `Parts` and never names a board type except in
//! [`Selected`], the board of the build target: `thumbv7m-none-eabi` is QEMU's lm3s6965evb,
//! `thumbv7em-none-eabihf` the STM32F405 (QEMU's netduinoplus2, or silicon).

use embedded_hal::digital::{InputPin, OutputPin};
use embedded_io::{Read, ReadReady, Write};
use hfjwt_firmware::kiosk::{Buttons, JtiSource};
use hfjwt_firmware::panel::{PanelButton, PanelLed, TextPanel};

#[cfg(not(target_abi = "eabihf"))]
pub mod lm3s6965;
#[cfg(not(feature = "rtt"))]
mod semihosting_log;
pub mod stack;
#[cfg(target_abi = "eabihf")]
pub mod stm32f405;
pub mod systick;

#[cfg(feature = "rtt")]
use defmt_rtt as _; // the defmt global logger on silicon (read by probe-rs)

/// The board of this build target.
#[cfg(not(target_abi = "eabihf"))]
pub type Selected = lm3s6965::Lm3s6965;
/// The board of this build target.
#[cfg(target_abi = "eabihf")]
pub type Selected = stm32f405::Stm32f405;

#[cfg(all(
    not(target_abi = "eabihf"),
    any(feature = "rtt", feature = "gpio", feature = "hwrng", feature = "rtc")
))]
compile_error!(
    "the silicon features (rtt, gpio, hwrng, rtc) belong to the STM32F405 board: build with \
     --target thumbv7em-none-eabihf"
);

/// What a board provides to the kiosk (see the [module docs](self)).
pub trait Board: Sized {
    /// The board's name in the boot log (`lm3s6965evb`, `stm32f405`).
    const NAME: &'static str;
    /// The core clock SysTick counts, Hz.
    const SYSCLK_HZ: u32;
    /// The scanner line.
    type Scanner: Read + ReadReady;
    /// The host/browser line.
    type Host: Read + ReadReady + Write;
    /// LEDs and buttons.
    type Panel: Panel;
    /// Where the jtis of minted tokens come from.
    type Jti: JtiSource;

    /// Brings up clocks, pins, lines and SysTick; `None` if the board was already taken.
    fn take() -> Option<Self>;

    /// The kiosk's peripherals.
    fn split(self) -> Seam<Self::Scanner, Self::Host, Self::Panel, Self::Jti>;
}

/// Everything a board hands the kiosk.
pub struct Seam<S, H, P, J> {
    /// Scanner line.
    pub scanner: S,
    /// Host/browser line.
    pub host: H,
    /// LEDs and buttons.
    pub panel: P,
    /// jti source.
    pub jti: J,
    /// Monotonic milliseconds.
    pub clock: systick::Millis,
}

/// Two LEDs and three buttons, lent to the kiosk as pins.
pub trait Panel {
    /// An LED.
    type Led<'a>: OutputPin
    where
        Self: 'a;
    /// A button, high while (or once when) pressed.
    type Button<'a>: InputPin
    where
        Self: 'a;

    /// The green LED, the red LED and the buttons.
    fn pins(&mut self) -> (Self::Led<'_>, Self::Led<'_>, Buttons<Self::Button<'_>>);
}

/// QEMU's panel: buttons and LEDs as text lines on a UART.
impl<U: Read + ReadReady + Write> Panel for TextPanel<U> {
    type Led<'a>
        = PanelLed<'a, U>
    where
        U: 'a;
    type Button<'a>
        = PanelButton<'a, U>
    where
        U: 'a;

    fn pins(
        &mut self,
    ) -> (
        PanelLed<'_, U>,
        PanelLed<'_, U>,
        Buttons<PanelButton<'_, U>>,
    ) {
        use hfjwt_firmware::kiosk::{Button, Led};
        let panel: &TextPanel<U> = self;
        (
            panel.led(Led::Green),
            panel.led(Led::Red),
            Buttons {
                home: panel.button(Button::Home),
                tickets: panel.button(Button::Tickets),
                kb: panel.button(Button::Kb),
            },
        )
    }
}

/// Ends the run with `code` (0 success, 101 panic, 102 hard fault).
///
/// Under QEMU (no feature `rtt`): semihosting `SYS_EXIT_EXTENDED`, which sets QEMU's exit
/// status. On silicon (`rtt`) there is no host to exit to, and a semihosting call without a
/// debugger faults: the MCU resets instead (the log is already in the RTT buffer).
pub fn exit(code: i32) -> ! {
    #[cfg(not(feature = "rtt"))]
    {
        semihosting::process::exit(code)
    }
    #[cfg(feature = "rtt")]
    {
        let _ = code;
        cortex_m::peripheral::SCB::sys_reset()
    }
}
