//! Lines from a serial byte stream.
//!
//! A scanner or host line is one token or command terminated by `\n` (a `\r` before it is
//! dropped). A line that does not fit the buffer is never cut into pieces that could each be
//! taken for a command: its bytes are dropped up to the next `\n`, and then it is reported
//! once as [`LineTooLong`].

/// A line was longer than the buffer; its bytes were discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// Bytes the line had, without the terminator (saturating).
    pub len: usize,
}

/// Collects bytes into lines of at most `N` bytes (`N` bytes of RAM plus three words).
#[derive(Debug)]
pub struct LineBuffer<const N: usize> {
    buf: [u8; N],
    /// Bytes of the current line so far, stored or not (saturating).
    len: usize,
    /// Set once the current line overflowed: count, don't store, until the `\n`.
    overflowed: bool,
    /// A `\r` seen but not stored yet: it belongs to the line only if no `\n` follows.
    cr_pending: bool,
}

impl<const N: usize> Default for LineBuffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineBuffer<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        LineBuffer {
            buf: [0; N],
            len: 0,
            overflowed: false,
            cr_pending: false,
        }
    }

    /// Feeds one byte. Returns `Some` when `byte` ends a line: `Ok(line)` without its `\r\n`,
    /// or `Err` when the line did not fit.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], LineTooLong>> {
        match byte {
            b'\n' => {
                self.cr_pending = false;
                let len = core::mem::take(&mut self.len);
                if core::mem::take(&mut self.overflowed) {
                    return Some(Err(LineTooLong { len }));
                }
                Some(Ok(self.buf.get(..len).unwrap_or_default()))
            }
            b'\r' if !self.cr_pending => {
                self.cr_pending = true;
                None
            }
            _ => {
                if core::mem::take(&mut self.cr_pending) {
                    self.store(b'\r');
                }
                if byte == b'\r' {
                    self.cr_pending = true;
                } else {
                    self.store(byte);
                }
                None
            }
        }
    }

    fn store(&mut self, byte: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) if !self.overflowed => *slot = byte,
            _ => self.overflowed = true,
        }
        self.len = self.len.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::vec::Vec;

    fn feed<const N: usize>(lb: &mut LineBuffer<N>, bytes: &[u8]) -> Vec<Result<Vec<u8>, usize>> {
        let mut out = Vec::new();
        for &b in bytes {
            if let Some(r) = lb.push(b) {
                out.push(r.map(<[u8]>::to_vec).map_err(|e| e.len));
            }
        }
        out
    }

    #[test]
    fn splits_lines_and_strips_cr() {
        let mut lb = LineBuffer::<8>::new();
        let got = feed(&mut lb, b"abc\r\n\nxy\n");
        assert_eq!(
            got,
            [Ok(b"abc".to_vec()), Ok(Vec::new()), Ok(b"xy".to_vec())]
        );
    }

    #[test]
    fn exactly_full_line_fits_even_with_crlf() {
        let mut lb = LineBuffer::<4>::new();
        assert_eq!(feed(&mut lb, b"abcd\n"), [Ok(b"abcd".to_vec())]);
        assert_eq!(feed(&mut lb, b"abcd\r\n"), [Ok(b"abcd".to_vec())]);
        assert_eq!(feed(&mut lb, b"abc\r\r\n"), [Ok(b"abc\r".to_vec())]);
        assert_eq!(feed(&mut lb, b"a\rb\n"), [Ok(b"a\rb".to_vec())]);
    }

    #[test]
    fn overlong_line_is_dropped_whole_and_next_line_is_clean() {
        let mut lb = LineBuffer::<4>::new();
        let got = feed(&mut lb, b"abcdefghij\nok\n");
        assert_eq!(got, [Err(10), Ok(b"ok".to_vec())]);
    }

    #[test]
    fn partial_line_waits_for_newline() {
        let mut lb = LineBuffer::<4>::new();
        assert!(feed(&mut lb, b"ab").is_empty());
        assert_eq!(feed(&mut lb, b"\n"), [Ok(b"ab".to_vec())]);
    }
}
