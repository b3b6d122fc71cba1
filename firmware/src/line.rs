//! Lines from a serial byte stream.
//!
//! A scanner or host line is one token or command ended by CR, LF or CRLF: serial barcode
//! scanners end a scan with CR by default (some with CRLF or LF), a terminal's Enter sends CR,
//! and a host program sends LF. CRLF is one ending, not a line and an empty line. A line that
//! does not fit the buffer is never cut into pieces that could each be taken for a command: its
//! bytes are dropped up to the next ending, and then it is reported once as [`LineTooLong`].

/// A line was longer than the buffer; its bytes were discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// Bytes the line had, without the ending (saturating).
    pub len: usize,
}

/// Collects bytes into lines of at most `N` bytes (`N` bytes of RAM plus two words).
#[derive(Debug)]
pub struct LineBuffer<const N: usize> {
    buf: [u8; N],
    /// Bytes of the current line so far, stored or not (saturating).
    len: usize,
    /// Set once the current line overflowed: count, don't store, until the ending.
    overflowed: bool,
    /// The last byte ended a line with CR: an LF right after it completes that ending.
    after_cr: bool,
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
            after_cr: false,
        }
    }

    /// Feeds one byte. Returns `Some` when `byte` ends a line: `Ok(line)` without its ending,
    /// or `Err` when the line did not fit.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], LineTooLong>> {
        let after_cr = core::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            // The LF of a CRLF: the line already ended at the CR.
            b'\n' if after_cr => None,
            b'\n' | b'\r' => {
                let len = core::mem::take(&mut self.len);
                if core::mem::take(&mut self.overflowed) {
                    return Some(Err(LineTooLong { len }));
                }
                Some(Ok(self.buf.get(..len).unwrap_or_default()))
            }
            _ => {
                match self.buf.get_mut(self.len) {
                    Some(slot) if !self.overflowed => *slot = byte,
                    _ => self.overflowed = true,
                }
                self.len = self.len.saturating_add(1);
                None
            }
        }
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
    fn cr_lf_and_crlf_each_end_a_line_once() {
        let mut lb = LineBuffer::<8>::new();
        let got = feed(&mut lb, b"cr\rlf\ncrlf\r\nnext\r");
        let want: [&[u8]; 4] = [b"cr", b"lf", b"crlf", b"next"];
        assert_eq!(got, want.map(|w| Ok(w.to_vec())));
    }

    #[test]
    fn empty_lines_are_lines_but_crlf_is_one_ending() {
        let mut lb = LineBuffer::<8>::new();
        let got = feed(&mut lb, b"\n\r\r\n\n\r\r");
        // LF | CR | CR LF | LF | CR | CR: six endings, the LF after a CR is part of it.
        assert_eq!(got.len(), 6, "{got:?}");
        assert!(got.iter().all(|l| l == &Ok(Vec::new())));
    }

    #[test]
    fn exactly_full_line_fits_with_any_ending() {
        let mut lb = LineBuffer::<4>::new();
        for ending in [&b"\n"[..], b"\r", b"\r\n"] {
            let mut line = b"abcd".to_vec();
            line.extend_from_slice(ending);
            assert_eq!(feed(&mut lb, &line), [Ok(b"abcd".to_vec())], "{ending:?}");
        }
    }

    #[test]
    fn overlong_line_is_dropped_whole_and_next_line_is_clean() {
        for ending in [&b"\n"[..], b"\r", b"\r\n"] {
            let mut lb = LineBuffer::<4>::new();
            let mut bytes = b"abcdefghij".to_vec();
            bytes.extend_from_slice(ending);
            bytes.extend_from_slice(b"ok");
            bytes.extend_from_slice(ending);
            let got = feed(&mut lb, &bytes);
            assert_eq!(got, [Err(10), Ok(b"ok".to_vec())], "{ending:?}");
        }
    }

    #[test]
    fn partial_line_waits_for_its_ending() {
        let mut lb = LineBuffer::<4>::new();
        assert!(feed(&mut lb, b"ab").is_empty());
        assert_eq!(feed(&mut lb, b"\r"), [Ok(b"ab".to_vec())]);
        // The LF may arrive in a later read: still the same ending.
        assert!(feed(&mut lb, b"\n").is_empty());
        assert_eq!(feed(&mut lb, b"c\n"), [Ok(b"c".to_vec())]);
    }
}
