//! Buttons and LEDs on GPIO port C (feature `gpio`), as embedded-hal pins.
//!
//! | signal | pin | wiring |
//! | --- | --- | --- |
//! | green LED | PC6 | push-pull output, high = lit (LED + resistor to GND) |
//! | red LED | PC7 | push-pull output, high = lit |
//! | button home | PC0 | input, pull-down; the button connects it to 3V3 (pressed = high) |
//! | button tickets | PC1 | same |
//! | button kb | PC2 | same |
//!
//! Buttons are debounced here (a level counts once it held for [`DEBOUNCE_MS`]), so one press
//! is one `SELECT`, however much the contacts bounce. QEMU's netduinoplus2 models no GPIO
//! (reads 0, writes ignored): this panel is for silicon; QEMU uses the text panel.

use core::convert::Infallible;

use embedded_hal::digital::{ErrorType, InputPin, OutputPin};
use hfjwt_firmware::kiosk::Buttons;
use stm32f4::stm32f405::{GPIOC, gpioc::RegisterBlock};

use crate::board::{Panel, systick};

/// How long a button level must hold before it counts, ms.
pub const DEBOUNCE_MS: u64 = 20;

/// Pin numbers on port C.
const GREEN: u8 = 6;
const RED: u8 = 7;
const HOME: u8 = 0;
const TICKETS: u8 = 1;
const KB: u8 = 2;

/// One pin of port C.
pub struct PortCPin {
    regs: &'static RegisterBlock,
    n: u8,
}

impl ErrorType for PortCPin {
    type Error = Infallible;
}

impl OutputPin for PortCPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        // BSRR: one write, no read-modify-write race with other pins of the port.
        self.regs.bsrr().write(|w| w.br(self.n).set_bit());
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.regs.bsrr().write(|w| w.bs(self.n).set_bit());
        Ok(())
    }
}

impl InputPin for PortCPin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.regs.idr().read().idr(self.n).bit_is_set())
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        self.is_high().map(|h| !h)
    }
}

/// An input whose level counts once it held for [`DEBOUNCE_MS`] on the SysTick clock.
pub struct Debounced<P> {
    pin: P,
    stable: bool,
    candidate: bool,
    since_ms: u64,
}

impl<P: InputPin> Debounced<P> {
    fn new(pin: P) -> Self {
        Debounced {
            pin,
            stable: false,
            candidate: false,
            since_ms: 0,
        }
    }
}

impl<P: ErrorType> ErrorType for Debounced<P> {
    type Error = P::Error;
}

impl<P: InputPin> InputPin for Debounced<P> {
    fn is_high(&mut self) -> Result<bool, P::Error> {
        let level = self.pin.is_high()?;
        let now = systick::now_ms();
        if level != self.candidate {
            self.candidate = level;
            self.since_ms = now;
        } else if level != self.stable && now.saturating_sub(self.since_ms) >= DEBOUNCE_MS {
            self.stable = level;
        }
        Ok(self.stable)
    }
    fn is_low(&mut self) -> Result<bool, P::Error> {
        self.is_high().map(|h| !h)
    }
}

/// The kiosk's LEDs and buttons on port C.
pub struct GpioPanel {
    green: PortCPin,
    red: PortCPin,
    buttons: Buttons<Debounced<PortCPin>>,
}

impl GpioPanel {
    /// Configures PC6/PC7 as outputs (low) and PC0..2 as pulled-down inputs. Port C's clock
    /// must be on.
    pub fn new(_port: GPIOC) -> Self {
        // SAFETY: the caller gave up the PAC's only GPIOC (moved in); these pins are the
        // only users of the port.
        let regs: &'static RegisterBlock = unsafe { &*GPIOC::PTR };
        regs.bsrr()
            .write(|w| w.br(GREEN).set_bit().br(RED).set_bit());
        regs.moder().modify(|_, w| {
            w.moder(GREEN)
                .output()
                .moder(RED)
                .output()
                .moder(HOME)
                .input()
                .moder(TICKETS)
                .input()
                .moder(KB)
                .input()
        });
        regs.pupdr().modify(|_, w| {
            w.pupdr(HOME)
                .pull_down()
                .pupdr(TICKETS)
                .pull_down()
                .pupdr(KB)
                .pull_down()
        });
        let pin = |n| PortCPin { regs, n };
        GpioPanel {
            green: pin(GREEN),
            red: pin(RED),
            buttons: Buttons {
                home: Debounced::new(pin(HOME)),
                tickets: Debounced::new(pin(TICKETS)),
                kb: Debounced::new(pin(KB)),
            },
        }
    }
}

impl Panel for GpioPanel {
    type Led<'a> = &'a mut PortCPin;
    type Button<'a> = &'a mut Debounced<PortCPin>;

    fn pins(
        &mut self,
    ) -> (
        &mut PortCPin,
        &mut PortCPin,
        Buttons<&mut Debounced<PortCPin>>,
    ) {
        let b = &mut self.buttons;
        (
            &mut self.green,
            &mut self.red,
            Buttons {
                home: &mut b.home,
                tickets: &mut b.tickets,
                kb: &mut b.kb,
            },
        )
    }
}
