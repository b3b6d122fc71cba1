//! In-memory peripherals for running the [`Kiosk`] off the board: the unit tests, the
//! `kiosk_line` fuzzer and the desktop twin (`hfjwt-sim kiosk`).
//!
//! [`MemoryBoard`] is a whole kiosk's worth of them.
//!
//! Only with the `sim` feature (and in this crate's tests), the one place the library allocates:
//! the board binary never builds it. Every handle is a cheap `Clone` sharing its state through
//! `Rc`, so the caller keeps a clone to feed and inspect what it moved into [`Parts`].

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::convert::Infallible;

use embedded_hal::digital::{self, InputPin, OutputPin};
use embedded_io::{Read, ReadReady, Write};

use crate::kiosk::{Buttons, Kiosk, Monotonic, Parts};

/// A serial line in memory: bytes queued for the reader, bytes the writer wrote.
///
/// Clones share both. [`MemoryLine::sharing_output`] makes a line with an input of its own
/// that writes to the same output, like several UARTs on one console.
#[derive(Clone, Debug, Default)]
pub struct MemoryLine {
    input: Rc<RefCell<VecDeque<u8>>>,
    output: Rc<RefCell<Vec<u8>>>,
}

impl MemoryLine {
    /// A line with an empty input of its own whose writes go to the same output as `self`'s.
    pub fn sharing_output(&self) -> Self {
        MemoryLine {
            input: Rc::default(),
            output: Rc::clone(&self.output),
        }
    }

    /// Queues `bytes` for reading, as they are (no line end added).
    pub fn push(&self, bytes: &[u8]) {
        self.input.borrow_mut().extend(bytes);
    }

    /// Queues `line` and a `\n` for reading.
    pub fn push_line(&self, line: impl AsRef<[u8]>) {
        let mut input = self.input.borrow_mut();
        input.extend(line.as_ref());
        input.push_back(b'\n');
    }

    /// Removes and returns everything written so far.
    pub fn take_output(&self) -> Vec<u8> {
        core::mem::take(&mut *self.output.borrow_mut())
    }

    /// Removes and returns what was written up to and including the last `\n`; a partial last
    /// line stays for a later call.
    pub fn take_complete_lines(&self) -> Vec<u8> {
        let mut output = self.output.borrow_mut();
        let end = output
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        output.drain(..end).collect()
    }
}

impl embedded_io::ErrorType for MemoryLine {
    type Error = Infallible;
}

impl Read for MemoryLine {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut q = self.input.borrow_mut();
        let n = buf.len().min(q.len());
        for (slot, b) in buf.iter_mut().zip(q.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

impl ReadReady for MemoryLine {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(!self.input.borrow().is_empty())
    }
}

impl Write for MemoryLine {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.output.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A digital pin in memory: as an [`OutputPin`] (an LED) it remembers the level it was last
/// driven to; as an [`InputPin`] (a button) it reads the level set with
/// [`MemoryPin::set_input`]. The two levels are separate. Clones share both.
#[derive(Clone, Debug, Default)]
pub struct MemoryPin {
    output: Rc<Cell<bool>>,
    input: Rc<Cell<bool>>,
}

impl MemoryPin {
    /// Whether the pin was last driven high; `false` before any `set_*`.
    pub fn output(&self) -> bool {
        self.output.get()
    }

    /// The level an `is_high` reads (`true` is high, a pressed button).
    pub fn input(&self) -> bool {
        self.input.get()
    }

    /// Sets the level the next `is_high`/`is_low` reads.
    pub fn set_input(&self, high: bool) {
        self.input.set(high);
    }
}

impl digital::ErrorType for MemoryPin {
    type Error = Infallible;
}

impl OutputPin for MemoryPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.output.set(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.output.set(true);
        Ok(())
    }
}

impl InputPin for MemoryPin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.input.get())
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.input.get())
    }
}

/// A [`Monotonic`] clock that moves only when told to. Clones share the time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Rc<Cell<u64>>);

impl ManualClock {
    /// The time, milliseconds (0 at first).
    pub fn get(&self) -> u64 {
        self.0.get()
    }

    /// Sets the time to `ms` (which may go back: nothing here enforces monotonicity).
    pub fn set(&self, ms: u64) {
        self.0.set(ms);
    }
}

impl Monotonic for ManualClock {
    fn now_ms(&mut self) -> u64 {
        self.0.get()
    }
}

/// One kiosk's peripherals, all in memory: the handles a test keeps while the kiosk owns their
/// clones (see [`MemoryBoard::parts`]).
#[derive(Clone, Debug, Default)]
pub struct MemoryBoard {
    /// The scanner line.
    pub scanner: MemoryLine,
    /// The host/browser line.
    pub host: MemoryLine,
    /// The green LED.
    pub green: MemoryPin,
    /// The red LED.
    pub red: MemoryPin,
    /// The buttons, indexed by [`Button`](crate::kiosk::Button) `as usize`.
    pub buttons: [MemoryPin; 3],
    /// The monotonic clock.
    pub clock: ManualClock,
}

/// A [`Kiosk`] on a [`MemoryBoard`], with jti source `J`.
pub type MemoryKiosk<J> = Kiosk<MemoryLine, MemoryLine, MemoryPin, MemoryPin, J, ManualClock>;

impl MemoryBoard {
    /// The kiosk's [`Parts`]: clones of this board's handles, jtis from `jti`.
    pub fn parts<J>(
        &self,
        jti: J,
    ) -> Parts<MemoryLine, MemoryLine, MemoryPin, MemoryPin, J, ManualClock> {
        let [home, tickets, kb] = self.buttons.clone();
        Parts {
            scanner: self.scanner.clone(),
            host: self.host.clone(),
            green: self.green.clone(),
            red: self.red.clone(),
            buttons: Buttons { home, tickets, kb },
            jti,
            clock: self.clock.clone(),
        }
    }
}
