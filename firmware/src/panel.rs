//! Buttons and LEDs as text lines on a serial channel, for boards whose GPIO nothing outside
//! can drive (QEMU's lm3s6965evb) and for the desktop twin, which prints the same lines.
//!
//! In: `PRESS home|tickets|kb`: the button reads high once (a latched press), then low at
//! least once (the release), even when the next `PRESS` of it has already arrived: a press
//! and its release, as a real button gives them.
//! Out: `LED green on`, `LED green off`, `LED red on`, `LED red off` whenever the kiosk sets a
//! pin; `ERROR unknown_panel_line ...` for any other input line.
//!
//! [`TextPanel`] hands out [`PanelLed`] ([`OutputPin`]) and [`PanelButton`] ([`InputPin`])
//! handles that share the channel through a `RefCell`, so the [`Kiosk`](crate::kiosk::Kiosk)
//! sees ordinary pins.

use core::cell::RefCell;

use embedded_hal::digital::{self, ErrorType, InputPin, OutputPin};
use embedded_io::{Read, ReadReady, Write};

use crate::kiosk::{Button, Buttons, Led, Parts};
use crate::line::LineBuffer;
use crate::protocol::{HostErrorKind, PanelCommand, Reply};

/// Longest panel line kept.
pub const PANEL_LINE_LEN: usize = 32;

/// A button/LED panel over one serial channel `U`.
pub struct TextPanel<U> {
    inner: RefCell<Inner<U>>,
}

struct Inner<U> {
    uart: U,
    line: LineBuffer<PANEL_LINE_LEN>,
    /// Presses not read yet, per button (saturating).
    latched: [u8; 3],
    /// The button read high at its last read: it reads low once (the release) before any
    /// further press, so the kiosk sees every press as an edge.
    releasing: [bool; 3],
}

/// A panel failure: the channel's I/O error kind, or a re-entrant use of the panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelError {
    /// Reading or writing the channel failed.
    Io(embedded_io::ErrorKind),
    /// The panel was already borrowed (a pin used from inside another pin's call).
    Busy,
}

impl digital::Error for PanelError {
    fn kind(&self) -> digital::ErrorKind {
        digital::ErrorKind::Other
    }
}

impl<U: Read + ReadReady + Write> TextPanel<U> {
    /// A panel on `uart`, no button pressed.
    pub fn new(uart: U) -> Self {
        TextPanel {
            inner: RefCell::new(Inner {
                uart,
                line: LineBuffer::new(),
                latched: [0; 3],
                releasing: [false; 3],
            }),
        }
    }

    /// The output pin of `led`.
    pub fn led(&self, led: Led) -> PanelLed<'_, U> {
        PanelLed { panel: self, led }
    }

    /// The input pin of `button`.
    pub fn button(&self, button: Button) -> PanelButton<'_, U> {
        PanelButton {
            panel: self,
            button,
        }
    }

    /// The kiosk's [`Parts`] with this panel's green and red LEDs and its three buttons; the
    /// scanner and host lines, the jti source and the clock as given.
    pub fn kiosk_parts<S, H, J, C>(
        &self,
        scanner: S,
        host: H,
        jti: J,
        clock: C,
    ) -> Parts<S, H, PanelLed<'_, U>, PanelButton<'_, U>, J, C> {
        Parts {
            scanner,
            host,
            green: self.led(Led::Green),
            red: self.led(Led::Red),
            buttons: Buttons {
                home: self.button(Button::Home),
                tickets: self.button(Button::Tickets),
                kb: self.button(Button::Kb),
            },
            jti,
            clock,
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Inner<U>) -> Result<T, PanelError>,
    ) -> Result<T, PanelError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| PanelError::Busy)?;
        f(&mut inner)
    }
}

impl<U: Read + ReadReady + Write> Inner<U> {
    /// Reads every complete line that is ready and latches the presses it names.
    fn pump(&mut self) -> Result<(), PanelError> {
        let io = |e: U::Error| PanelError::Io(embedded_io::Error::kind(&e));
        while self.uart.read_ready().map_err(io)? {
            let mut byte = [0u8; 1];
            if self.uart.read(&mut byte).map_err(io)? == 0 {
                break;
            }
            let command = match self.line.push(byte[0]) {
                None => continue,
                Some(Ok(line)) => PanelCommand::parse(line),
                Some(Err(_)) => Err(HostErrorKind::UnknownPanelLine),
            };
            match command {
                Ok(PanelCommand::Press(b)) => {
                    if let Some(slot) = self.latched.get_mut(b as usize) {
                        *slot = slot.saturating_add(1);
                    }
                }
                Err(kind) => {
                    let reply: Reply<'_, &str> = Reply::Error {
                        kind,
                        message: "expected PRESS home|tickets|kb",
                    };
                    self.uart
                        .write_fmt(format_args!("{reply}\n"))
                        .map_err(fmt_err)?;
                }
            }
        }
        Ok(())
    }
}

fn fmt_err<E: embedded_io::Error>(e: embedded_io::WriteFmtError<E>) -> PanelError {
    match e {
        embedded_io::WriteFmtError::Other(e) => PanelError::Io(e.kind()),
        _ => PanelError::Io(embedded_io::ErrorKind::Other),
    }
}

/// An LED of a [`TextPanel`]: every `set_*` writes one `LED <name> on|off` line.
pub struct PanelLed<'p, U> {
    panel: &'p TextPanel<U>,
    led: Led,
}

impl<U> ErrorType for PanelLed<'_, U> {
    type Error = PanelError;
}

impl<U: Read + ReadReady + Write> PanelLed<'_, U> {
    fn set(&mut self, on: bool) -> Result<(), PanelError> {
        let led = self.led;
        self.panel.with(|inner| {
            let io = |e: U::Error| PanelError::Io(embedded_io::Error::kind(&e));
            let reply: Reply<'_> = Reply::Led { led, on };
            inner
                .uart
                .write_fmt(format_args!("{reply}\n"))
                .map_err(fmt_err)?;
            inner.uart.flush().map_err(io)
        })
    }
}

impl<U: Read + ReadReady + Write> OutputPin for PanelLed<'_, U> {
    fn set_low(&mut self) -> Result<(), PanelError> {
        self.set(false)
    }
    fn set_high(&mut self) -> Result<(), PanelError> {
        self.set(true)
    }
}

/// A button of a [`TextPanel`]: high once per `PRESS` line.
pub struct PanelButton<'p, U> {
    panel: &'p TextPanel<U>,
    button: Button,
}

impl<U> ErrorType for PanelButton<'_, U> {
    type Error = PanelError;
}

impl<U: Read + ReadReady + Write> InputPin for PanelButton<'_, U> {
    fn is_high(&mut self) -> Result<bool, PanelError> {
        let i = self.button as usize;
        self.panel.with(|inner| {
            inner.pump()?;
            let (Some(pending), Some(releasing)) =
                (inner.latched.get_mut(i), inner.releasing.get_mut(i))
            else {
                return Ok(false);
            };
            let high = !core::mem::take(releasing) && *pending > 0;
            if high {
                *pending -= 1;
                *releasing = true;
            }
            Ok(high)
        })
    }
    fn is_low(&mut self) -> Result<bool, PanelError> {
        self.is_high().map(|h| !h)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::sim::MemoryLine;

    #[test]
    fn presses_queued_together_each_read_as_a_press_and_a_release() {
        let uart = MemoryLine::default();
        let panel = TextPanel::new(uart.clone());
        let mut kb = panel.button(Button::Kb);
        let mut home = panel.button(Button::Home);
        // Both lines arrive before the kiosk reads the buttons (a fast driver, or a person
        // pressing twice quickly): the kiosk must still see two rising edges.
        uart.push(b"PRESS kb\rPRESS kb\n");
        let reads: std::vec::Vec<bool> = (0..5).map(|_| kb.is_high().unwrap()).collect();
        assert_eq!(reads, [true, false, true, false, false]);
        assert!(!home.is_high().unwrap());
    }
}
