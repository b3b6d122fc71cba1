//! A strict, allocation-free, non-recursive JSON reader for the two small objects of a JWS.
//!
//! Why not serde-json-core: the verifier must see every top-level key (to refuse duplicates,
//! including escaped spellings such as `"\u0069at"`, which PyJWT would silently merge), refuse
//! lone surrogates, skip nested values of any shape without recursion, and unescape strings in
//! place into the caller's scratch buffer. This reader does exactly that in one pass, and every
//! access goes through `get`, so it cannot panic.

use crate::error::Error;

/// The most top-level members an object may have (duplicate detection keeps their spans).
pub(crate) const MAX_MEMBERS: usize = 64;
/// The deepest nesting skipped inside an ignored value.
const MAX_DEPTH: u32 = 64;

/// The raw span of a string between its quotes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct JsonStr {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) escaped: bool,
}

/// A [`JsonStr`] in 8 bytes: `escaped` rides in the top bit of `end`.
#[derive(Clone, Copy)]
struct PackedStr {
    start: u32,
    end: u32,
}

impl PackedStr {
    const ESCAPED: u32 = 1 << 31;

    /// `None` for spans past 2 GiB, which no token reaches (the caller refuses them).
    fn pack(s: JsonStr) -> Option<Self> {
        let start = u32::try_from(s.start).ok()?;
        let end = u32::try_from(s.end)
            .ok()
            .filter(|e| e & Self::ESCAPED == 0)?;
        Some(PackedStr {
            start,
            end: end | if s.escaped { Self::ESCAPED } else { 0 },
        })
    }

    fn unpack(self) -> JsonStr {
        JsonStr {
            start: self.start as usize,
            end: (self.end & !Self::ESCAPED) as usize,
            escaped: self.end & Self::ESCAPED != 0,
        }
    }
}

/// A top-level member's value, as far as the verifier cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Str(JsonStr),
    /// The span of a number literal (grammar already checked).
    Num(usize, usize),
    /// `null`, a boolean, an object or an array, with its span.
    Other(usize, usize),
}

pub(crate) struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    /// The error for any syntax fault; it names the segment being read.
    syntax: Error,
}

impl<'a> Reader<'a> {
    /// A reader over `b`. UTF-8 is checked where it can occur: outside strings only ASCII
    /// is valid JSON, and each string holding non-ASCII bytes is validated as it is read.
    pub(crate) fn new(b: &'a [u8], syntax: Error) -> Result<Self, Error> {
        Ok(Reader { b, pos: 0, syntax })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn consume(&mut self, c: u8) -> Result<(), Error> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax)
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), Error> {
        let end = self.pos.checked_add(lit.len()).ok_or(self.syntax)?;
        if self.b.get(self.pos..end) == Some(lit) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.syntax)
        }
    }

    /// Reads a string at the cursor, checking escapes, control characters and UTF-8.
    fn string(&mut self) -> Result<JsonStr, Error> {
        self.consume(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            // Skip plain bytes in a tight loop; stop at a quote, a backslash or a control.
            let rest = self.b.get(self.pos..).ok_or(self.syntax)?;
            let stop = find_special(rest).ok_or(self.syntax)?;
            self.pos += stop;
            match self.peek() {
                Some(b'"') => {
                    let raw = self.b.get(start..self.pos).ok_or(self.syntax)?;
                    if !raw.is_ascii() {
                        core::str::from_utf8(raw).map_err(|_| self.syntax)?;
                    }
                    self.pos += 1;
                    return Ok(JsonStr {
                        start,
                        end: self.pos - 1,
                        escaped,
                    });
                }
                Some(b'\\') => {
                    let (_, len) = escape_at(self.b, self.pos).ok_or(self.syntax)?;
                    self.pos += len;
                    escaped = true;
                }
                _ => return Err(self.syntax),
            }
        }
    }

    /// Reads a number literal at the cursor and returns its span.
    fn number(&mut self) -> Result<(usize, usize), Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits1()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits1()?;
        }
        Ok((start, self.pos))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn digits1(&mut self) -> Result<(), Error> {
        let before = self.pos;
        self.digits();
        if self.pos == before {
            Err(self.syntax)
        } else {
            Ok(())
        }
    }

    /// Reads one value; objects and arrays are validated and skipped without recursion.
    pub(crate) fn value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some(b'"') => return self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => return self.number().map(|(s, e)| Value::Num(s, e)),
            _ => {}
        }
        let start = self.pos;
        // Bit i of `stack` is 1 when nesting level i is an object, 0 for an array.
        let mut stack: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            self.ws();
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if depth >= MAX_DEPTH {
                        return Err(self.syntax);
                    }
                    self.pos += 1;
                    depth += 1;
                    stack = (stack << 1) | u64::from(open == b'{');
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        depth -= 1;
                        stack >>= 1;
                    } else {
                        if open == b'{' {
                            self.string()?;
                            self.ws();
                            self.consume(b':')?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => return Err(self.syntax),
            }
            // After a complete value: close containers or move to the next element.
            loop {
                if depth == 0 {
                    return Ok(Value::Other(start, self.pos));
                }
                self.ws();
                let in_object = stack & 1 == 1;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if in_object {
                            self.ws();
                            self.string()?;
                            self.ws();
                            self.consume(b':')?;
                        }
                        break;
                    }
                    Some(b'}') if in_object => {}
                    Some(b']') if !in_object => {}
                    _ => return Err(self.syntax),
                }
                self.pos += 1;
                depth -= 1;
                stack >>= 1;
            }
        }
    }

    /// Reads a whole document that must be one object, calling `f` for each member with its
    /// key; `f` must consume the value (via [`Reader::value`]). Returns whether any key
    /// appeared twice (compared after unescaping); the document is fully checked first.
    pub(crate) fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, JsonStr) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        // Packed spans (8 bytes, not 12 or 24): this list is the largest thing on verify's
        // stack, and verify must stay under 2 KiB on a Cortex-M3 (docs/measurements.md).
        let mut keys: heapless::Vec<PackedStr, MAX_MEMBERS> = heapless::Vec::new();
        let mut duplicate = false;
        self.ws();
        self.consume(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                let key = self.string()?;
                if keys.iter().any(|k| str_eq_str(self.b, k.unpack(), key)) {
                    duplicate = true;
                }
                let packed = PackedStr::pack(key).ok_or(self.syntax)?;
                keys.push(packed).map_err(|_| self.syntax)?;
                self.ws();
                self.consume(b':')?;
                self.ws();
                f(self, key)?;
                self.ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.syntax),
                }
            }
        }
        self.ws();
        if self.pos == self.b.len() {
            Ok(duplicate)
        } else {
            Err(self.syntax)
        }
    }

    /// Reads a whole document that must be an array of strings, calling `f` with each
    /// string; returns how many there were.
    pub(crate) fn string_array(
        &mut self,
        mut f: impl FnMut(&Self, JsonStr),
    ) -> Result<usize, Error> {
        let mut n = 0;
        self.ws();
        self.consume(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                let s = self.string()?;
                f(self, s);
                n += 1;
                self.ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.syntax),
                }
            }
        }
        self.ws();
        if self.pos == self.b.len() {
            Ok(n)
        } else {
            Err(self.syntax)
        }
    }

    /// The raw bytes of `s` when it has no escapes (then they are its value).
    pub(crate) fn plain(&self, s: JsonStr) -> Option<&'a [u8]> {
        if s.escaped {
            None
        } else {
            self.b.get(s.start..s.end)
        }
    }

    /// Whether the string `s` equals `lit` once unescaped.
    pub(crate) fn str_is(&self, s: JsonStr, lit: &[u8]) -> bool {
        str_eq(self.b, s, lit)
    }
}

/// Whether the JSON array of strings `array` (already checked) has an element equal to `lit`
/// once unescaped; `false` if `array` is not such an array.
pub(crate) fn string_array_contains(array: &[u8], lit: &[u8]) -> bool {
    const ANY: Error = Error::new(crate::error::Reason::ClaimsJson);
    let mut found = false;
    let ok =
        Reader::new(array, ANY).and_then(|mut r| r.string_array(|r, s| found |= r.str_is(s, lit)));
    ok.is_ok() && found
}

/// Whether `c` ends a run of plain string bytes: a quote, a backslash or a control character.
const fn is_special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// Index of the first special byte (see [`is_special`]), eight bytes at a time on
/// microcontrollers. On 64-bit targets sixteen at a time, and past the first 48 bytes (a
/// long string, such as a portal's note) 64 at a time, see [`find_special_long`].
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
pub(crate) fn find_special(s: &[u8]) -> Option<usize> {
    if cfg!(not(target_pointer_width = "64")) {
        return find_special_words(s); // microcontrollers: one loop, less code
    }
    let (pairs, rest) = s.as_chunks::<16>();
    for (i, pair) in pairs.iter().take(SHORT_PAIRS).enumerate() {
        if let Some(at) = first_special_of_pair(pair) {
            return Some(i * 16 + at);
        }
    }
    if pairs.len() > SHORT_PAIRS {
        return find_special_long(s, SHORT_PAIRS * 16);
    }
    find_special_words(rest).map(|at| pairs.len() * 16 + at)
}

/// Sixteen-byte steps [`find_special`] takes in line before it calls [`find_special_long`]:
/// a claim's value or an array's element ends well within them.
const SHORT_PAIRS: usize = 3;

/// [`find_special`] from `from` on, for a long string (a portal's note): whole 64-byte
/// blocks first, judged by vector compares. Out of line, so that the vector constants do
/// not take registers from the callers' loops (arrays of mixed lengths: 2 % slower inlined).
#[inline(never)]
fn find_special_long(s: &[u8], from: usize) -> Option<usize> {
    // Where the baseline has no 16-byte vectors (riscv64 without V, say), the fold would
    // compare byte by byte: slower than the words, so it is left out there.
    const VECTORS: bool = cfg!(any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_feature = "neon")
    ));
    find_special_after::<VECTORS>(s, from)
}

/// [`find_special_long`]'s body; `BLOCKS`: whether whole 64-byte blocks are judged first
/// (both ways are tested on every target).
#[cfg_attr(target_pointer_width = "64", inline(always))] // one caller
fn find_special_after<const BLOCKS: bool>(s: &[u8], from: usize) -> Option<usize> {
    let (blocks, _) = s.get(from..)?.as_chunks::<64>();
    let blocks = if BLOCKS { blocks } else { &[] };
    let mut clean = from;
    for block in blocks {
        // Lane by lane and without branches, so that the compiler vectorizes it (SSE2 or
        // NEON compares, one mask test per block) in safe code.
        let special = block.iter().fold(0u8, |acc, &c| {
            acc | ((c == b'"') | (c == b'\\') | (c < 0x20)) as u8
        });
        if special != 0 {
            break;
        }
        clean += 64;
    }
    let (pairs, rest) = s.get(clean..)?.as_chunks::<16>();
    for (i, pair) in pairs.iter().enumerate() {
        if let Some(at) = first_special_of_pair(pair) {
            return Some(clean + i * 16 + at);
        }
    }
    find_special_words(rest).map(|at| clean + pairs.len() * 16 + at)
}

/// Index of the first special byte among sixteen, with one branch for both words.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn first_special_of_pair(pair: &[u8; 16]) -> Option<usize> {
    let (lo, hi) = words(pair);
    let (ml, mh) = (special_mask(lo), special_mask(hi));
    if ml | mh == 0 {
        return None;
    }
    let at = if ml != 0 {
        ml.trailing_zeros() / 8
    } else {
        8 + mh.trailing_zeros() / 8
    };
    Some(at as usize)
}

/// [`find_special`] eight bytes at a time.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn find_special_words(s: &[u8]) -> Option<usize> {
    let (words, tail) = s.as_chunks::<8>();
    for (i, w) in words.iter().enumerate() {
        if let Some(at) = first_special(u64::from_le_bytes(*w)) {
            return Some(i * 8 + at);
        }
    }
    tail.iter()
        .position(|&c| is_special(c))
        .map(|j| words.len() * 8 + j)
}

/// Index of the first special byte (see [`is_special`]) of `b` at or after `from`. On 64-bit
/// targets the first sixteen bytes are read straight from `b` (no slice to split), then a
/// longer string takes the chunked loop. `PAIR`: those sixteen bytes in one step, one
/// branch (a claim's value: `name`, `email`, `jti`), else as two words, two branches (an
/// array's short elements: each element's end then does not wait for the second word's
/// scan, and the next element's starts sooner; 10 % on a `groups` token, measured).
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
pub(crate) fn find_special_from<const PAIR: bool>(b: &[u8], from: usize) -> Option<usize> {
    if cfg!(not(target_pointer_width = "64")) {
        return Some(from + find_special(b.get(from..)?)?); // microcontrollers: less code
    }
    if let Some(pair) = b.get(from..).and_then(<[u8]>::first_chunk::<16>) {
        if let Some(at) = first_special_of_16::<PAIR>(pair) {
            return Some(from + at);
        }
        let from = from + 16;
        return Some(from + find_special(b.get(from..)?)?);
    }
    Some(from + find_special(b.get(from..)?)?)
}

/// Index of the first special byte among sixteen. `PAIR`: see [`find_special_from`].
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
pub(crate) fn first_special_of_16<const PAIR: bool>(pair: &[u8; 16]) -> Option<usize> {
    if PAIR {
        return first_special_of_pair(pair);
    }
    let (lo, hi) = words(pair);
    if let Some(at) = first_special(lo) {
        return Some(at);
    }
    first_special(hi).map(|at| 8 + at)
}

/// Sixteen bytes as two little-endian words.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
pub(crate) fn words(pair: &[u8; 16]) -> (u64, u64) {
    let (lo, hi) = pair.split_at(8);
    let word = |w: &[u8]| w.first_chunk::<8>().map_or(0, |w| u64::from_le_bytes(*w));
    (word(lo), word(hi))
}

/// Index of the first special byte among the eight of `word` (little-endian), if any.
pub(crate) fn first_special(word: u64) -> Option<usize> {
    let m = special_mask(word);
    (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
}

/// The high bit of each byte of `x` (little-endian) that may be special, exact up to and
/// including the first special byte: a borrow can only flag bytes above a true hit, so the
/// lowest set bit marks the first special byte (tested against [`is_special`] below).
pub(crate) fn special_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // `(y - ONES) & !y & HIGH` flags the zero bytes of y; `x - 0x20` per byte borrows below
    // a space.
    let zero = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
    (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
        | zero(x ^ (ONES * b'"' as u64))
        | zero(x ^ (ONES * b'\\' as u64))
}

/// Decodes the escape sequence starting at `b[pos]` (a backslash) into a code point and the
/// number of bytes it spans. Surrogate pairs are combined; a lone surrogate is refused.
pub(crate) fn escape_at(b: &[u8], pos: usize) -> Option<(u32, usize)> {
    if b.get(pos) != Some(&b'\\') {
        return None;
    }
    let simple = match b.get(pos + 1)? {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => {
            let hi = hex4(b, pos + 2)?;
            return match hi {
                0xD800..=0xDBFF => {
                    if b.get(pos + 6) != Some(&b'\\') || b.get(pos + 7) != Some(&b'u') {
                        return None;
                    }
                    let lo = hex4(b, pos + 8)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return None;
                    }
                    Some((0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 12))
                }
                0xDC00..=0xDFFF => None,
                cp => Some((cp, 6)),
            };
        }
        _ => return None,
    };
    Some((u32::from(simple), 2))
}

fn hex4(b: &[u8], pos: usize) -> Option<u32> {
    let digits = b.get(pos..pos.checked_add(4)?)?;
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        Some(acc << 4 | u32::from(v))
    })
}

/// The unescaped bytes (UTF-8) of a checked string.
struct Unescaped<'a> {
    b: &'a [u8],
    pos: usize,
    end: usize,
    pending: [u8; 4],
    at: usize,
    len: usize,
}

impl<'a> Unescaped<'a> {
    fn new(b: &'a [u8], s: JsonStr) -> Self {
        Unescaped {
            b,
            pos: s.start,
            end: s.end,
            pending: [0; 4],
            at: 0,
            len: 0,
        }
    }
}

impl Iterator for Unescaped<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        if self.at < self.len {
            let c = self.pending.get(self.at).copied();
            self.at += 1;
            return c;
        }
        if self.pos >= self.end {
            return None;
        }
        let c = *self.b.get(self.pos)?;
        if c != b'\\' {
            self.pos += 1;
            return Some(c);
        }
        let (cp, len) = escape_at(self.b, self.pos)?;
        self.pos += len;
        let encoded = char::from_u32(cp)?.encode_utf8(&mut self.pending).len();
        self.len = encoded;
        self.at = 1;
        self.pending.first().copied()
    }
}

fn str_eq(b: &[u8], s: JsonStr, lit: &[u8]) -> bool {
    if s.escaped {
        Unescaped::new(b, s).eq(lit.iter().copied())
    } else {
        b.get(s.start..s.end) == Some(lit)
    }
}

fn str_eq_str(b: &[u8], x: JsonStr, y: JsonStr) -> bool {
    if !x.escaped && !y.escaped {
        b.get(x.start..x.end) == b.get(y.start..y.end)
    } else {
        Unescaped::new(b, x).eq(Unescaped::new(b, y))
    }
}

/// Unescapes the checked string `s` in place (escapes never grow when decoded) and returns the
/// span of the decoded bytes, which start at `s.start`.
pub(crate) fn unescape_in_place(buf: &mut [u8], s: JsonStr) -> Option<(usize, usize)> {
    if !s.escaped {
        return Some((s.start, s.end));
    }
    let (mut r, mut w) = (s.start, s.start);
    while r < s.end {
        let c = *buf.get(r)?;
        if c != b'\\' {
            *buf.get_mut(w)? = c;
            r += 1;
            w += 1;
            continue;
        }
        let (cp, len) = escape_at(buf, r)?;
        let mut utf8 = [0u8; 4];
        let encoded = char::from_u32(cp)?.encode_utf8(&mut utf8).as_bytes();
        r += len;
        // Every escape is at least as long as its UTF-8 encoding, so `w + encoded <= r`.
        buf.get_mut(w..w + encoded.len())?.copy_from_slice(encoded);
        w += encoded.len();
    }
    Some((s.start, w))
}

/// What [`numeric_date`] does with a fraction: refuse it (`iat`), or round it toward refusal
/// (down for `exp`, which then ends sooner; up for `nbf`, which then starts later).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fraction {
    Refuse,
    Floor,
    Ceil,
}

/// A JSON NumericDate read from a number literal: non-negative, no exponent, a fraction
/// handled as `fraction` says. `None` for anything else, including overflow.
///
/// Why `exp` rounds down: `now` is whole seconds, the floor of the real time. A token with
/// `exp = 100.5` is dead from 100.5 on (PyJWT refuses when `exp <= now`), so during second 100
/// it may already be dead; `exp = 100` refuses all of second 100, rounding up would accept
/// it until 101.
pub(crate) fn numeric_date(lit: &[u8], fraction: Fraction) -> Option<u64> {
    // Up to 19 digits cannot overflow a u64: the shape of every `iat` in practice. (Not on
    // microcontrollers, where the general path below is fast enough and flash is dear.)
    if cfg!(target_pointer_width = "64")
        && (1..=19).contains(&lit.len())
        && lit.iter().all(u8::is_ascii_digit)
    {
        return Some(
            lit.iter()
                .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0')),
        );
    }
    let (int, frac) = match lit.iter().position(|&c| c == b'.') {
        Some(dot) => (lit.get(..dot)?, lit.get(dot + 1..)?),
        None => (lit, &[][..]),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) || !frac.iter().all(u8::is_ascii_digit)
    {
        return None; // a sign or an exponent
    }
    if !frac.is_empty() && fraction == Fraction::Refuse {
        return None;
    }
    let whole = int.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    if fraction == Fraction::Ceil && frac.iter().any(|&d| d != b'0') {
        whole.checked_add(1)
    } else {
        Some(whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYNTAX: Error = Error::new(crate::error::Reason::ClaimsJson);

    fn members(doc: &str) -> Result<(bool, usize), Error> {
        let mut r = Reader::new(doc.as_bytes(), SYNTAX)?;
        let mut n = 0;
        let dup = r.object(|r, _| {
            n += 1;
            r.value().map(|_| ())
        })?;
        Ok((dup, n))
    }

    #[test]
    fn accepts_valid_objects() {
        assert_eq!(members("{}"), Ok((false, 0)));
        assert_eq!(
            members(" { \"a\" : 1 , \"b\":[1,{\"c\":[[]]},\"x\"] } "),
            Ok((false, 2))
        );
        assert_eq!(
            members(r#"{"a":-0.5e+10,"b":true,"c":null,"d":{"e":false}}"#),
            Ok((false, 4))
        );
    }

    #[test]
    fn rejects_invalid_json() {
        for doc in [
            "",
            "[]",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":tru}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":1} x",
            "{'a':1}",
            "{\"a\":[1,]}",
            "{\"a\":{\"b\"}}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":+1}",
            "{\"a\":[}",
            "{\"a\":]}",
        ] {
            assert_eq!(members(doc), Err(SYNTAX), "{doc:?}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(65), "]".repeat(65));
        assert_eq!(members(&deep), Err(SYNTAX));
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(64), "]".repeat(64));
        assert_eq!(members(&ok), Ok((false, 1)));
        let mut r = Reader::new(b"{\"a\":\"\xff\"}", SYNTAX).unwrap();
        assert!(r.object(|r, _| r.value().map(|_| ())).is_err());
        let mut r = Reader::new(b"{\"a\":1}\xc3\xa9", SYNTAX).unwrap();
        assert!(r.object(|r, _| r.value().map(|_| ())).is_err());
        let mut r = Reader::new(b"{\"a\":\"\xc3\xa9\"}", SYNTAX).unwrap();
        assert!(r.object(|r, _| r.value().map(|_| ())).is_ok());
    }

    #[test]
    fn finds_duplicates_after_unescaping() {
        assert_eq!(members(r#"{"iat":1,"iat":2}"#), Ok((true, 2)));
        assert_eq!(members(r#"{"iat":1,"\u0069at":2}"#), Ok((true, 2)));
        assert_eq!(members(r#"{"iat":1,"iAt":2}"#), Ok((false, 2)));
        let many: String = (0..=MAX_MEMBERS).map(|i| format!("\"k{i}\":0,")).collect();
        assert_eq!(members(&format!("{{{}\"z\":0}}", many)), Err(SYNTAX));
    }

    #[test]
    fn unescapes_in_place_including_surrogate_pairs() {
        let mut doc = br#"{"n":"Jos\u00e9 \ud83d\ude00 \"q\" \\ \/ \n"}"#.to_vec();
        let mut r = Reader::new(&doc, SYNTAX).unwrap();
        let mut span = None;
        r.object(|r, _| {
            span = Some(r.value()?);
            Ok(())
        })
        .unwrap();
        let Some(Value::Str(s)) = span else { panic!() };
        let (a, b) = unescape_in_place(&mut doc, s).unwrap();
        assert_eq!(
            core::str::from_utf8(&doc[a..b]).unwrap(),
            "José 😀 \"q\" \\ / \n"
        );
    }

    #[test]
    fn finds_special_bytes_at_every_position() {
        // Miri (~1000x slower) checks every third length.
        for len in (0..40).step_by(if cfg!(miri) { 3 } else { 1 }) {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut s = std::vec![b'a'; len];
                    // Bytes that defeat naive SWAR tricks around the special one.
                    for (i, c) in s.iter_mut().enumerate() {
                        *c = [b'a', 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xff, 0x20][i % 8];
                    }
                    let expect = if at < len {
                        s[at] = special;
                        Some(at)
                    } else {
                        None
                    };
                    assert_eq!(
                        find_special(&s),
                        expect,
                        "len {len} at {at} special {special:#x}"
                    );
                    // Under Miri two starting points, else every one.
                    let froms: std::vec::Vec<usize> = if cfg!(miri) {
                        std::vec![0, at.min(len)]
                    } else {
                        (0..=len.min(at)).collect()
                    };
                    for from in froms {
                        assert_eq!(
                            find_special_from::<true>(&s, from),
                            expect,
                            "len {len} at {at} from {from} special {special:#x}"
                        );
                        assert_eq!(find_special_from::<false>(&s, from), expect);
                    }
                }
            }
        }
    }

    #[test]
    fn finds_special_bytes_in_long_strings() {
        // Past the in-line steps: whole 64-byte blocks, then pairs, then words. Every
        // length from 40 to 200 (Miri: a sample), a special byte at every position, and a
        // second one after it, which must not be the one reported.
        for len in (40..=200).step_by(if cfg!(miri) { 47 } else { 1 }) {
            for at in (0..=len).step_by(if cfg!(miri) { 11 } else { 1 }) {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut s: std::vec::Vec<u8> = (0..len)
                        .map(|i| [b'a', 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff, 0x20][i % 9])
                        .collect();
                    let expect = (at < len).then_some(at);
                    if let Some(c) = s.get_mut(at) {
                        *c = special;
                    }
                    if let Some(c) = s.get_mut(at + 1 + (at * 7) % 67) {
                        *c = b'"';
                    }
                    assert_eq!(find_special(&s), expect, "len {len} at {at} {special:#x}");
                    for from in [0, 48.min(at)] {
                        let blocks = find_special_after::<true>(&s, from);
                        assert_eq!(blocks, expect, "blocks: len {len} at {at} from {from}");
                        let words = find_special_after::<false>(&s, from);
                        assert_eq!(words, expect, "words: len {len} at {at} from {from}");
                    }
                    for from in [0, 1, 17, at.saturating_sub(65), at.saturating_sub(1), at] {
                        let from = from.min(at).min(len);
                        assert_eq!(
                            find_special_from::<true>(&s, from),
                            expect,
                            "len {len} at {at} from {from} special {special:#x}"
                        );
                        assert_eq!(find_special_from::<false>(&s, from), expect);
                    }
                }
            }
        }
    }

    #[test]
    fn special_mask_marks_exactly_the_first_special_byte() {
        // Bytes at and around the three special classes, where borrows go wrong.
        const NEAR: [u8; 14] = [
            0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa2, 0xff,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let rounds = if cfg!(miri) { 2_000 } else { 2_000_000 };
        for _ in 0..rounds {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut w = [0u8; 8];
            for (i, b) in w.iter_mut().enumerate() {
                let r = (seed >> (i * 8)) as u8;
                *b = if r & 1 == 0 {
                    NEAR[usize::from(r >> 1) % NEAR.len()]
                } else {
                    r
                };
            }
            let m = special_mask(u64::from_le_bytes(w));
            let first = w.iter().position(|&c| is_special(c));
            let got = (m != 0).then(|| (m.trailing_zeros() / 8) as usize);
            assert_eq!(got, first, "{w:02x?}");
        }
    }

    #[test]
    fn numeric_dates() {
        use Fraction::{Ceil, Floor, Refuse};
        let d = |s: &str, f| numeric_date(s.as_bytes(), f);
        assert_eq!(d("0", Refuse), Some(0));
        assert_eq!(d("1700000000", Refuse), Some(1_700_000_000));
        assert_eq!(d("18446744073709551615", Refuse), Some(u64::MAX));
        assert_eq!(d("18446744073709551616", Refuse), None);
        assert_eq!(d("-1", Refuse), None);
        assert_eq!(d("1e3", Refuse), None);
        assert_eq!(d("1.5", Refuse), None);
        assert_eq!(d("1.5", Ceil), Some(2));
        assert_eq!(d("1.5", Floor), Some(1));
        assert_eq!(d("1.999", Floor), Some(1));
        assert_eq!(d("1.000", Ceil), Some(1));
        assert_eq!(d("18446744073709551615.5", Floor), Some(u64::MAX));
        assert_eq!(d("18446744073709551615.5", Ceil), None);
    }
}
