//! Bytes from the reader's serial line into lines.
//!
//! A line ends at `\n`, `\r\n` or `\r` (a `\r\n` is one end, not a line plus an empty line),
//! whichever the reader or a USB-serial adapter sends. A line longer than [`MAX_LINE`] is
//! reported and discarded whole, never split into two lines.

/// Longest line kept, in bytes (a `GRANT` line with a login URL is under 1 KiB).
pub const MAX_LINE: usize = 4096;

/// What came off the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// One complete line, without its ending.
    Text(String),
    /// A line that was longer than the limit; its bytes were discarded.
    TooLong,
    /// A line that was not UTF-8.
    NotUtf8,
}

/// Assembles lines from chunks of bytes as they arrive.
#[derive(Debug)]
pub struct LineReader {
    buf: Vec<u8>,
    max: usize,
    overflowed: bool,
    after_cr: bool,
}

impl Default for LineReader {
    fn default() -> Self {
        LineReader::new(MAX_LINE)
    }
}

impl LineReader {
    /// A reader that keeps lines of at most `max` bytes.
    pub fn new(max: usize) -> LineReader {
        LineReader {
            buf: Vec::new(),
            max,
            overflowed: false,
            after_cr: false,
        }
    }

    /// Feeds `bytes` and returns every line they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        for &b in bytes {
            let after_cr = core::mem::replace(&mut self.after_cr, false);
            match b {
                b'\n' if after_cr => {} // the LF of a CRLF: the line already ended at CR
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    lines.push(self.finish());
                }
                _ if self.overflowed => {}
                _ if self.buf.len() >= self.max => {
                    self.overflowed = true;
                    self.buf.clear();
                }
                _ => self.buf.push(b),
            }
        }
        lines
    }

    /// Forgets a partial line (after a reconnect: its start belonged to the old connection).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.overflowed = false;
        self.after_cr = false;
    }

    fn finish(&mut self) -> Line {
        if core::mem::replace(&mut self.overflowed, false) {
            self.buf.clear();
            return Line::TooLong;
        }
        let bytes = core::mem::take(&mut self.buf);
        match String::from_utf8(bytes) {
            Ok(text) => Line::Text(text),
            Err(_) => Line::NotUtf8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: Vec<Line>) -> Vec<String> {
        lines
            .into_iter()
            .map(|l| match l {
                Line::Text(t) => t,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn lf_cr_and_crlf_each_end_one_line() {
        let mut r = LineReader::default();
        assert_eq!(text(r.push(b"READY k1\n")), ["READY k1"]);
        assert_eq!(text(r.push(b"CLOCK 1\r")), ["CLOCK 1"]);
        assert_eq!(text(r.push(b"SELECT kb\r\n")), ["SELECT kb"]);
        assert_eq!(text(r.push(b"BYE\r\nBYE\rBYE\n")), ["BYE", "BYE", "BYE"]);
    }

    #[test]
    fn a_crlf_split_across_reads_is_still_one_end() {
        let mut r = LineReader::default();
        assert_eq!(text(r.push(b"GRANT x\r")), ["GRANT x"]);
        assert_eq!(text(r.push(b"\nDENY a b\r")), ["DENY a b"]);
        assert_eq!(text(r.push(b"\n")), Vec::<String>::new());
    }

    #[test]
    fn empty_lines_are_lines_but_crlf_is_not_two() {
        let mut r = LineReader::default();
        assert_eq!(text(r.push(b"\n\n")), ["", ""]);
        assert_eq!(text(r.push(b"\r\r\n")), ["", ""]);
        assert_eq!(text(r.push(b"\n\r")), ["", ""]);
    }

    #[test]
    fn partial_lines_wait_for_their_end() {
        let mut r = LineReader::default();
        assert!(r.push(b"GRANT https://acme").is_empty());
        assert_eq!(
            text(r.push(b".happyfox.com/jwt/\n")),
            ["GRANT https://acme.happyfox.com/jwt/"]
        );
    }

    #[test]
    fn an_overlong_line_is_discarded_whole() {
        let mut r = LineReader::new(8);
        assert_eq!(r.push(b"12345678"), vec![]);
        assert_eq!(
            r.push(b"9abc\nok\n"),
            vec![Line::TooLong, Line::Text("ok".into())]
        );
        assert_eq!(r.push(b"12345678\n"), vec![Line::Text("12345678".into())]);
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let mut r = LineReader::default();
        assert_eq!(
            r.push(b"\xff\xfe\nBYE\n"),
            vec![Line::NotUtf8, Line::Text("BYE".into())]
        );
    }

    #[test]
    fn reset_drops_a_partial_line() {
        let mut r = LineReader::default();
        assert!(r.push(b"GRANT half").is_empty());
        r.reset();
        assert_eq!(text(r.push(b"BYE\n")), ["BYE"]);
    }
}
