//! Reading the claims from a decoded payload whose signature has verified.
//!
//! Two readers, one meaning. [`compact`] takes the shape every minter we know emits (hfjwt,
//! PyJWT, `jsonwebtoken`, HappyFox's samples): compact JSON whose members are the claims hfjwt
//! reads, as unescaped strings and plain integers. It gives up on anything else, and the
//! strict general reader ([`crate::json::Reader`]) judges the payload instead. Both end in
//! [`finish`], so what a claim must be is written once. The compact reader gives up rather
//! than decide whenever the two could differ; property tests and the `readers` fuzz target
//! hold `read` equal to the general reader alone on any payload. (PyJWT escapes non-ASCII
//! by default, so its tokens with such names take the general path: slower, same result.)
//!
//! Why two: the general reader tracks every key for duplicates, handles escapes, whitespace
//! and nested values, and returns precise spans for in-place unescaping. That generality cost
//! more than the HMAC itself on a HappyFox token (docs/measurements.md).

use crate::claims::{Audience, Claims, is_valid_email};
use crate::error::{Claim, Error, Reason};
use crate::json::{self, Fraction, JsonStr, Reader, Value};

/// A claim's value as found: a string's span (already unescaped), a number literal's span,
/// an array's span (only the general reader finds arrays), or some other JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Raw {
    Str(usize, usize),
    Num(usize, usize),
    /// A non-negative integer literal of at most 19 digits, already read (compact reader).
    Int(u64),
    Array(usize, usize),
    Other,
}

/// The claims the verifier reads, by span; every other claim is ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Found {
    name: Option<Raw>,
    email: Option<Raw>,
    iat: Option<Raw>,
    jti: Option<Raw>,
    exp: Option<Raw>,
    nbf: Option<Raw>,
    aud: Option<Raw>,
}

impl Found {
    /// Unescapes every string in place (their spans never overlap) and points at the result.
    fn unescape(mut self, payload: &mut [u8]) -> Result<Self, Error> {
        for slot in [
            &mut self.name,
            &mut self.email,
            &mut self.iat,
            &mut self.jti,
            &mut self.exp,
            &mut self.nbf,
            &mut self.aud,
        ] {
            if let Some(Raw::Str(start, end)) = *slot {
                // Most strings of an escaped payload have no escape of their own.
                if !payload.get(start..end).is_some_and(|b| b.contains(&b'\\')) {
                    continue;
                }
                let s = JsonStr {
                    start,
                    end,
                    escaped: true,
                };
                let (start, end) = unescape(payload, s)?;
                *slot = Some(Raw::Str(start, end));
            }
        }
        Ok(self)
    }

    /// The slot for a claim name, `None` for claims hfjwt ignores.
    fn slot(&mut self, name: &[u8]) -> Option<&mut Option<Raw>> {
        let &(claim, _) = CLAIMS.iter().find(|(_, n)| *n == name)?;
        Some(self.claim(claim))
    }

    fn claim(&mut self, c: Claim) -> &mut Option<Raw> {
        match c {
            Claim::Iat => &mut self.iat,
            Claim::Jti => &mut self.jti,
            Claim::Email => &mut self.email,
            Claim::Name => &mut self.name,
            Claim::Exp => &mut self.exp,
            Claim::Nbf => &mut self.nbf,
            Claim::Aud => &mut self.aud,
        }
    }
}

/// The claims [`Found`] keeps, with their names.
const CLAIMS: [(Claim, &[u8]); 7] = [
    (Claim::Iat, b"iat"),
    (Claim::Jti, b"jti"),
    (Claim::Email, b"email"),
    (Claim::Name, b"name"),
    (Claim::Exp, b"exp"),
    (Claim::Nbf, b"nbf"),
    (Claim::Aud, b"aud"),
];

/// Which claim hfjwt reads starts at `b[at]` as `name":` (after the opening quote), and the
/// length of that text; `None` when the 8 bytes there are none of them (or fewer than 8
/// bytes remain): the caller then scans for the key.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn known_key(b: &[u8], at: usize) -> Option<(Claim, usize)> {
    /// Each claim's `name":` as the low bytes of a little-endian word, the mask that keeps
    /// them, and their length (every name is at most 5 bytes, so it fits in 8).
    const KEYS: [(Claim, u64, u64, usize); CLAIMS.len()] = {
        let mut keys = [(Claim::Iat, 0, 0, 0); CLAIMS.len()];
        let mut k = 0;
        while k < CLAIMS.len() {
            let (claim, name) = CLAIMS[k];
            let mut word = 0u64;
            let mut i = 0;
            while i < name.len() {
                word |= (name[i] as u64) << (8 * i);
                i += 1;
            }
            word |= (b'"' as u64) << (8 * i) | (b':' as u64) << (8 * (i + 1));
            let len = name.len() + 2;
            keys[k] = (claim, word, u64::MAX >> (64 - 8 * len), len);
            k += 1;
        }
        keys
    };
    let word = u64::from_le_bytes(*b.get(at..)?.first_chunk::<8>()?);
    KEYS.iter()
        .find(|&&(_, text, mask, _)| word & mask == text)
        .map(|&(claim, _, _, len)| (claim, len))
}

pub(crate) const CLAIMS_JSON: Error = Error::new(Reason::ClaimsJson);

/// The claims of the `len`-byte payload at the front of `scratch` (unescaped in place).
/// `email_required`: whether a token without `email` is refused.
#[cfg(any(test, fuzzing))]
pub(crate) fn read(
    scratch: &mut [u8],
    len: usize,
    email_required: bool,
) -> Result<Claims<'_>, Error> {
    let ascii = scratch.get(..len).is_some_and(<[u8]>::is_ascii);
    read_between(scratch, len, ascii, email_required, || {})
}

/// The claims of the `len`-byte payload at the front of `scratch` (unescaped in place),
/// calling `between` once halfway (after the payload's structure is read, before its claims
/// are judged): a verifier finishes its MAC there, so that the SHA-256 rounds
/// and the claims' reading run side by side. `ascii`: whether every payload byte is ASCII
/// (the base64url decoder found out). `email_required`: whether a token without `email` is
/// refused.
#[cfg_attr(target_pointer_width = "64", inline(always))] // one caller (see `authentic_claims`)
pub(crate) fn read_between<'s>(
    scratch: &'s mut [u8],
    len: usize,
    ascii: bool,
    email_required: bool,
    between: impl FnOnce(),
) -> Result<Claims<'s>, Error> {
    // Filled in place: returned by value, `Found` (some 170 bytes) went through memcpy.
    let mut found = Found::default();
    let compact = compact(scratch.get(..len).ok_or(CLAIMS_JSON)?, &mut found);
    between();
    if let Some(Compact { escaped, read_end }) = compact {
        // Everything outside the strings is ASCII, so the payload is valid UTF-8 exactly when
        // its strings are: where the general reader would refuse, this does the same. An
        // ASCII payload is UTF-8 throughout: only the text up to the last claim read (a
        // portal's long extras come after the claims) is made a `&str`.
        if !escaped {
            let end = if ascii { read_end } else { len };
            let text = core::str::from_utf8(scratch.get(..end).ok_or(CLAIMS_JSON)?)
                .map_err(|_| CLAIMS_JSON)?;
            return finish(&found, |s, e| text.get(s..e), email_required);
        }
        if !ascii {
            core::str::from_utf8(scratch.get(..len).ok_or(CLAIMS_JSON)?)
                .map_err(|_| CLAIMS_JSON)?;
        }
        let found = found.unescape(scratch.get_mut(..len).ok_or(CLAIMS_JSON)?)?;
        return finish(&found, utf8_span(scratch), email_required);
    }
    let found = general(scratch.get_mut(..len).ok_or(CLAIMS_JSON)?)?;
    finish(&found, utf8_span(scratch), email_required)
}

/// The text of a span of `b`, if it is UTF-8 (after in-place unescaping, only the strings'
/// own spans are).
fn utf8_span<'b>(b: &'b [u8]) -> impl Fn(usize, usize) -> Option<&'b str> {
    move |s, e| core::str::from_utf8(b.get(s..e)?).ok()
}

/// The most members the compact reader skips (claims hfjwt does not read, such as a portal's
/// `groups`; on 64-bit targets only); a payload with more goes to the general reader.
const MAX_SKIPPED: usize = 8;

/// The compact reader: `{"k":v,...}` with no whitespace and unescaped keys, each at most
/// once. The claims hfjwt reads must be strings without control characters or integer
/// literals (so an `aud` array sends the payload to the general reader); up to
/// [`MAX_SKIPPED`] other members are skipped when their values are strings, integers,
/// `true`, `false`, `null` or flat arrays of those. Escapes in strings are checked exactly
/// as the general reader checks them (PyJWT escapes every non-ASCII character); the flag
/// says whether any claim read has one, and then the strings' spans are still raw. `None`
/// for anything else (the general reader decides those). UTF-8 inside the strings is left
/// to the caller.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn compact(b: &[u8], found: &mut Found) -> Option<Compact> {
    let mut escaped = false;
    let mut read_end = 0;
    let mut skipped = [(0usize, 0usize); MAX_SKIPPED];
    let mut n_skipped = 0;
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut pos = 1;
    loop {
        if b.get(pos) != Some(&b'"') {
            return None;
        }
        let key_start = pos + 1;
        // A claim hfjwt reads, with its closing quote and colon, straight from 8 bytes;
        // else the key is scanned for (and equal to none of those).
        let known = if cfg!(target_pointer_width = "64") {
            known_key(b, key_start)
        } else {
            None // microcontrollers: the scan alone, for less code
        };
        let (slot, key) = match known {
            Some((claim, len)) => {
                pos = key_start + len;
                (Some(found.claim(claim)), &[][..])
            }
            None => {
                let key_end = key_start + json::find_special(b.get(key_start..)?)?;
                if b.get(key_end) != Some(&b'"') {
                    return None; // an escaped or broken key: the general reader judges it
                }
                let key = b.get(key_start..key_end)?;
                pos = key_end + 1;
                if b.get(pos) != Some(&b':') {
                    return None;
                }
                pos += 1;
                (found.slot(key), key)
            }
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return None; // a duplicate: the general reader names it
            }
            let value = match *b.get(pos)? {
                b'"' => {
                    let (end, esc) = string_end::<true>(b, pos + 1)?;
                    escaped |= esc;
                    let start = pos + 1;
                    pos = end + 1;
                    Raw::Str(start, end)
                }
                b'0'..=b'9' => {
                    let start = pos;
                    pos = integer_end(b, pos)?;
                    // Up to 19 digits cannot overflow: read them now, while they are at hand.
                    let digits = b.get(start..pos)?;
                    if digits.len() <= 19 {
                        Raw::Int(digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
                    } else {
                        Raw::Num(start, pos)
                    }
                }
                _ => return None,
            };
            *slot = Some(value);
            read_end = pos;
        } else {
            // A member hfjwt does not read: refuse duplicates as the general reader does,
            // then step over its value. Microcontrollers leave such payloads to the general
            // reader (same verdicts, slower): flash is dearer there than time.
            if cfg!(not(target_pointer_width = "64")) {
                return None;
            }
            if skipped
                .get(..n_skipped)?
                .iter()
                .any(|&(s, e)| b.get(s..e) == Some(key))
            {
                return None;
            }
            *skipped.get_mut(n_skipped)? = (key_start, key_start + key.len());
            n_skipped += 1;
            pos = skip_value(b, pos)?;
        }
        // A fraction, an exponent or whitespace after a value lands here too: give up.
        match b.get(pos)? {
            b',' => pos += 1,
            b'}' if pos + 1 == b.len() => return Some(Compact { escaped, read_end }),
            _ => return None,
        }
    }
}

/// What the compact reader found besides the claims.
struct Compact {
    /// Whether a claim read has an escape (its span is then still raw).
    escaped: bool,
    /// Where the value of the last claim read ends: the claims' text lies before.
    read_end: usize,
}

/// The end (closing quote) of the string whose contents start at `start`, and whether it
/// has escapes; `None` for a control character or a bad escape.
// Inlined on 64-bit targets: called once per string, its call cost (saved registers, the
// scan's constants) was a third of skipping a short string such as an array element.
#[cfg_attr(target_pointer_width = "64", inline(always))]
fn string_end<const PAIR: bool>(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut end = start;
    let mut escaped = false;
    loop {
        end = json::find_special_from::<PAIR>(b, end)?;
        match b.get(end)? {
            b'"' => return Some((end, escaped)),
            b'\\' => {
                escaped = true;
                end += json::escape_at(b, end)?.1; // a bad escape: give up
            }
            _ => return None, // a control character
        }
    }
}

/// The end of the non-negative integer literal at `pos`; `None` for a leading zero.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn integer_end(b: &[u8], pos: usize) -> Option<usize> {
    let len = b
        .get(pos..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if len == 0 || len > 1 && b.get(pos) == Some(&b'0') {
        return None; // a leading zero is not JSON
    }
    Some(pos + len)
}

/// The end of a skipped member's value at `pos`: a string, an integer (optionally negative),
/// `true`, `false`, `null`, or an array of those (not nested). `None` for anything else.
fn skip_value(b: &[u8], pos: usize) -> Option<usize> {
    let scalar = |pos: usize| -> Option<usize> {
        match *b.get(pos)? {
            b'"' => string_end::<false>(b, pos + 1).map(|(end, _)| end + 1),
            b'-' => integer_end(b, pos + 1),
            b'0'..=b'9' => integer_end(b, pos),
            c @ (b't' | b'f' | b'n') => {
                let lit: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                let end = pos + lit.len();
                (b.get(pos..end)? == lit).then_some(end)
            }
            _ => None,
        }
    };
    if b.get(pos) != Some(&b'[') {
        return scalar(pos);
    }
    let mut pos = pos + 1;
    if b.get(pos) == Some(&b']') {
        return Some(pos + 1);
    }
    // The previous string element's length, and whether the one before had it too.
    let mut guess = 0;
    let mut run = false;
    loop {
        // Strings, a portal's `groups`, the common element: scanned right here, so that the
        // scan's constants stay in registers from one element to the next.
        if b.get(pos) == Some(&b'"') {
            loop {
                let start = pos + 1;
                // An array's strings are often of one length. Where the next element starts
                // then follows from the previous length, checked by a (predictable) branch,
                // instead of from this element's scan: the elements' scans no longer wait on
                // each other.
                let guessed = start + guess;
                let special = json::find_special_from::<false>(b, start);
                // The closing quote where guessed, and another string after it: on at once.
                if special == Some(guessed) && b.get(guessed..guessed + 3) == Some(b"\",\"") {
                    // Three of one length in a row: likely a run of them (a portal's
                    // numbered groups, ids), stepped over without this loop's bookkeeping.
                    // Mixed lengths rarely get here, and pay no call.
                    pos = if run {
                        same_length_run(b, guessed + 3, guess) - 1
                    } else {
                        guessed + 2
                    };
                    run = true;
                    continue;
                }
                run = false;
                let end = if special == Some(guessed) && b.get(guessed) == Some(&b'"') {
                    guessed
                } else {
                    let end = match special {
                        Some(end) if b.get(end) == Some(&b'"') => end,
                        _ => string_end::<false>(b, start)?.0, // an escape, or worse
                    };
                    guess = end - start;
                    end
                };
                // Another string follows: straight on, with one two-byte comparison.
                if b.get(end + 1..end + 3) == Some(b",\"") {
                    pos = end + 2;
                    continue;
                }
                pos = end + 1;
                break;
            }
        } else {
            pos = scalar(pos)?;
        }
        match b.get(pos)? {
            b',' => pos += 1,
            b']' => return Some(pos + 1),
            _ => return None,
        }
    }
}

/// Steps over string elements of `len` bytes each, with no escapes or controls, each
/// followed by `,"`, the first starting (after its opening quote) at `start`: where the
/// first that is not starts. That element is left to [`skip_value`]'s loop.
///
/// Every check of an element is known before its bytes are loaded: no scan's result feeds
/// the next element's position, and an element of up to 12 bytes, with its `","`, is judged
/// from one 16-byte window by masks, not by locating its first special byte. Out of line, so
/// that its constants and masks have registers of their own (inlined into `skip_value`, the
/// element loop there spilled them: arrays of mixed lengths took 4.8 % longer, measured).
#[inline(never)]
fn same_length_run(b: &[u8], mut start: usize, len: usize) -> usize {
    if len > 12 {
        while json::find_special_from::<true>(b, start) == Some(start + len)
            && b.get(start + len..start + len + 3) == Some(b"\",\"")
        {
            start += len + 3;
        }
        return start;
    }
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bits of the bytes before the closing quote, in each word. `special_mask` is
    // exact below the first special byte, so none may be set there.
    let below = |n: usize| {
        HIGH & 1u64
            .checked_shl(8 * n as u32)
            .map_or(u64::MAX, |m| m.wrapping_sub(1))
    };
    let (lo_mask, hi_mask) = (below(len), below(len.saturating_sub(8)));
    while let Some(w) = b.get(start..).and_then(<[u8]>::first_chunk::<16>) {
        let (lo, hi) = json::words(w);
        let clean = json::special_mask(lo) & lo_mask | json::special_mask(hi) & hi_mask == 0;
        let sep = w
            .get(len..len + 4)
            .and_then(<[u8]>::first_chunk::<4>)
            .map_or(0, |q| u32::from_le_bytes(*q));
        if !clean || sep & 0x00ff_ffff != 0x0022_2c22 {
            break;
        }
        start += len + 3;
    }
    start
}

/// The general reader: any valid JSON object, duplicates (also after unescaping) refused,
/// strings unescaped in place.
// Out of line on microcontrollers: its duplicate-key list (512 bytes) then takes stack only
// when it runs, not in every verify's frame.
#[cfg_attr(not(target_pointer_width = "64"), inline(never))]
fn general(payload: &mut [u8]) -> Result<Found, Error> {
    let mut reader = Reader::new(payload, CLAIMS_JSON)?;
    let mut spans = [None::<Value>; CLAIMS.len()];
    let duplicate = reader.object(|r, key| {
        let value = r.value()?;
        // Escaped names compare unescaped.
        let name = match r.plain(key) {
            Some(raw) => raw,
            None => CLAIMS
                .into_iter()
                .map(|(_, n)| n)
                .find(|n| r.str_is(key, n))
                .unwrap_or(b""),
        };
        if let Some(i) = CLAIMS.iter().position(|(_, n)| *n == name)
            && let Some(slot) = spans.get_mut(i)
        {
            *slot = Some(value);
        }
        Ok(())
    })?;
    if duplicate {
        return Err(Error::new(Reason::ClaimDuplicate));
    }
    let mut found = Found::default();
    for ((claim, _), value) in CLAIMS.into_iter().zip(spans) {
        let raw = match value {
            None => continue,
            Some(Value::Str(s)) => {
                let (start, end) = unescape(payload, s)?;
                Raw::Str(start, end)
            }
            Some(Value::Num(s, e)) => Raw::Num(s, e),
            Some(Value::Other(s, e)) if payload.get(s) == Some(&b'[') => Raw::Array(s, e),
            Some(Value::Other(..)) => Raw::Other,
        };
        *found.claim(claim) = Some(raw);
    }
    Ok(found)
}

/// Unescapes a checked string in place (the spans of different strings never overlap).
fn unescape(payload: &mut [u8], s: JsonStr) -> Result<(usize, usize), Error> {
    json::unescape_in_place(payload, s).ok_or(CLAIMS_JSON)
}

/// Judges the claims found: types, values and presence, in a fixed order. `text(start, end)`
/// is the UTF-8 text of a span.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn finish<'s>(
    found: &Found,
    text: impl Fn(usize, usize) -> Option<&'s str>,
    email_required: bool,
) -> Result<Claims<'s>, Error> {
    let date = |v: Option<Raw>, fraction: Fraction, invalid: Error| match v {
        None => Ok(None),
        Some(Raw::Num(s, e)) => text(s, e)
            .and_then(|lit| json::numeric_date(lit.as_bytes(), fraction))
            .map(Some)
            .ok_or(invalid),
        Some(Raw::Int(n)) => Ok(Some(n)),
        Some(_) => Err(invalid),
    };
    let string = |v: Option<Raw>, missing: Error, invalid: Error| match v {
        None => Err(missing),
        Some(Raw::Str(s, e)) => text(s, e).ok_or(CLAIMS_JSON),
        Some(_) => Err(invalid),
    };
    let iat = date(found.iat, Fraction::Refuse, IAT_INVALID)?
        .ok_or(Error::new(Reason::ClaimMissing(Claim::Iat)))?;
    let exp = date(
        found.exp,
        Fraction::Floor,
        Error::new(Reason::ClaimInvalid(Claim::Exp)),
    )?;
    let nbf = date(
        found.nbf,
        Fraction::Ceil,
        Error::new(Reason::ClaimInvalid(Claim::Nbf)),
    )?;
    let jti = string(
        found.jti,
        Error::new(Reason::ClaimMissing(Claim::Jti)),
        JTI_INVALID,
    )?;
    let email = match found.email {
        None if email_required => return Err(Error::new(Reason::ClaimMissing(Claim::Email))),
        None => None,
        v => Some(string(v, EMAIL_INVALID, EMAIL_INVALID)?),
    };
    let name = match found.name {
        None => None,
        v => Some(string(v, NAME_INVALID, NAME_INVALID)?),
    };
    let aud = audience(found.aud, &text)?;
    if jti.is_empty() {
        return Err(JTI_INVALID);
    }
    if email.is_some_and(|e| !is_valid_email(e)) {
        return Err(EMAIL_INVALID);
    }
    Ok(Claims {
        name,
        email,
        iat,
        jti,
        exp,
        nbf,
        aud,
    })
}

/// The `aud` claim: `None` when absent or empty (`""`, `[]`); a string, or an array of
/// strings; anything else is `invalid_claim`.
fn audience<'s>(
    aud: Option<Raw>,
    text: &impl Fn(usize, usize) -> Option<&'s str>,
) -> Result<Option<Audience<'s>>, Error> {
    Ok(match aud {
        None => None,
        // The opening quote comes along (it is still in place before the unescaped text):
        // that is how `Audience` tells one audience from an array in a single `&str`.
        Some(Raw::Str(s, e)) => {
            let quoted = text(s.saturating_sub(1), e)
                .filter(|t| t.starts_with('"'))
                .ok_or(CLAIMS_JSON)?;
            (quoted.len() > 1).then_some(Audience::one(quoted))
        }
        Some(Raw::Array(s, e)) => {
            let array = text(s, e).ok_or(CLAIMS_JSON)?;
            let n = Reader::new(array.as_bytes(), AUD_INVALID)?.string_array(|_, _| ())?;
            (n > 0).then_some(Audience::many(array))
        }
        Some(_) => return Err(AUD_INVALID),
    })
}

const IAT_INVALID: Error = Error::new(Reason::ClaimInvalid(Claim::Iat));
const JTI_INVALID: Error = Error::new(Reason::ClaimInvalid(Claim::Jti));
const EMAIL_INVALID: Error = Error::new(Reason::ClaimInvalid(Claim::Email));
const NAME_INVALID: Error = Error::new(Reason::ClaimInvalid(Claim::Name));
const AUD_INVALID: Error = Error::new(Reason::ClaimInvalid(Claim::Aud));

/// For the `readers` fuzz target (built with `--cfg fuzzing` only): whether [`read`] and the
/// general reader alone return the same claims or the same error for `payload`, with email
/// required and not. Payloads past 4 KiB are skipped (this path has no allocator).
#[cfg(fuzzing)]
pub fn readers_agree(payload: &[u8]) -> bool {
    let mut both = [0u8; 4096];
    let mut general_only = [0u8; 4096];
    let (Some(a), Some(b)) = (
        both.get_mut(..payload.len()),
        general_only.get_mut(..payload.len()),
    ) else {
        return true;
    };
    [true, false].into_iter().all(|email_required| {
        a.copy_from_slice(payload);
        b.copy_from_slice(payload);
        let fast = read(a, payload.len(), email_required);
        let slow = general(b).and_then(|found| finish(&found, utf8_span(b), email_required));
        fast == slow
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// What `read` would return with the compact reader switched off (`scratch` holds the
    /// payload).
    fn read_general(scratch: &mut [u8], email_required: bool) -> Result<Claims<'_>, Error> {
        let found = general(scratch)?;
        finish(&found, utf8_span(scratch), email_required)
    }

    fn read_both(payload: &[u8]) {
        for email_required in [true, false] {
            let mut scratch = payload.to_vec();
            let got = read(&mut scratch, payload.len(), email_required);
            let mut other = payload.to_vec();
            let want = read_general(&mut other, email_required);
            let shown = std::string::String::from_utf8_lossy(payload);
            assert_eq!(got, want, "{shown:?}");
        }
    }

    #[test]
    fn every_claim_name_has_a_slot() {
        let mut found = Found::default();
        for (_, name) in CLAIMS {
            assert!(
                found.slot(name).is_some(),
                "{:?}",
                core::str::from_utf8(name)
            );
        }
        assert!(found.slot(b"sub").is_none());
        // The word match knows each name with its quote and colon, and nothing near them.
        for (claim, name) in CLAIMS {
            let key = [name, b"\":0000000"].concat();
            assert_eq!(known_key(&key, 0), Some((claim, name.len() + 2)));
            assert_eq!(known_key(&[name, b"\" :0000000"].concat(), 0), None);
            assert_eq!(known_key(&[name, b"x\":000000"].concat(), 0), None);
        }
        assert_eq!(known_key(b"iat\":", 0), None); // fewer than 8 bytes: scanned instead
    }

    #[test]
    fn compact_reader_takes_what_minters_emit() {
        for p in [
            &br#"{"name":"John Doe","email":"john.doe@example-customer.com","iat":1717740457,"jti":"2c65fe8c"}"#[..],
            br#"{"iat":0,"jti":"x","email":"a@b.co"}"#,
            br#"{"iat":1,"jti":"","email":"a@b.co","exp":2,"nbf":3}"#,
            br#"{"iat":1,"jti":"x","email":"a@b.co","aud":"kiosk-a"}"#,
            br#"{"iat":1,"jti":"x","email":"a@b.co","aud":"k\u0069osk"}"#,
            br#"{"iat":1,"jti":"x","email":"a@b.co","aud":7}"#,
            "{\"iat\":1,\"jti\":\"\u{e9}\",\"email\":\"a@b.co\",\"name\":\"Jos\u{e9}\"}".as_bytes(),
            // PyJWT's ensure_ascii output, and every escape JSON has.
            br#"{"name":"Jos\u00e9 \ud83d\ude00","email":"a@b.co","iat":1,"jti":"j\"1\\\/\b\f\n\r\t"}"#,
            // Claims hfjwt does not read, skipped: a portal's extras.
            br#"{"iat":1,"jti":"x","email":"a@b.co","sub":"y"}"#,
            br#"{"iat":1,"jti":"x","email":"a@b.co","groups":["a","b\u00e9"],"n":-7,"ok":true,"z":null,"f":false,"e":[]}"#,
            // Elements of one length, then another, an escape where the end would be, fewer.
            br#"{"iat":1,"g":["ab","cd","e\"","fg","h","ij","klm","nop","","q"]}"#,
        ] {
            assert!(compact(p, &mut Found::default()).is_some(), "{:?}", core::str::from_utf8(p));
            read_both(p);
        }
        for p in [
            &br#"{"iat":1,"iat":2}"#[..],
            br#"{"iat":1,"sub":"x","sub":"y"}"#, // a duplicate claim hfjwt does not read
            br#"{"iat":1,"g":[[1]]}"#,           // nested: general
            br#"{"iat":1,"g":{"a":1}}"#,
            br#"{"iat":1,"g":[1,]}"#,
            b"{\"iat\":1,\"g\":[\"ab\",\"c\x01\",\"de\"]}", // a control character
            br#"{"iat":1,"g":["ab","cd""ef"]}"#,
            br#"{"iat":1,"g":["ab","cd"#,
            br#"{"iat":1,"g":[1 ]}"#,
            br#"{"iat":1,"g":1.5}"#,
            br#"{"iat":1,"g":-}"#,
            br#"{"iat":1,"g":-01}"#,
            br#"{"iat":1,"g":tru}"#,
            br#"{"iat":1,"g":"\ud800"}"#,
            br#"{"iat":1,"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1}"#, // > 8 skipped
            br#"{"iat":1,"s\u0075b":1}"#,
            br#"{"iat":1,"jti":"x","email":"a@b.co","aud":["kiosk-a"]}"#, // arrays: general
            br#"{"iat":1,"jti":"x","email":"a@b.co","aud":null}"#,
            br#"{"iat":01}"#,
            br#"{"iat":1.0}"#,
            br#"{"iat":-1}"#,
            br#"{"iat":1e3}"#,
            br#"{"iat":1 }"#,
            br#"{ "iat":1}"#,
            br#"{"jti":"\ud800"}"#, // a lone surrogate
            br#"{"jti":"\x"}"#,
            br#"{"\u0069at":1}"#, // an escaped key
            br#"{"jti":"a
b"}"#,
            br#"{"jti":true}"#,
            br#"{"iat":1}x"#,
            br#"{"iat":1,}"#,
            br#"{}"#,
            br#"{"#,
            b"",
        ] {
            assert!(
                compact(p, &mut Found::default()).is_none(),
                "{:?}",
                core::str::from_utf8(p)
            );
            read_both(p);
        }
        read_both(b"{\"iat\":1,\"jti\":\"\xff\",\"email\":\"a@b.co\"}");

        let mut pyjwt = br#"{"name":"Jos\u00e9 \ud83d\ude00","email":"a@b.co","iat":1,"jti":"j\"1\\\/\b\f\n\r\t"}"#.to_vec();
        let len = pyjwt.len();
        let c = read(&mut pyjwt, len, true).unwrap();
        assert_eq!(c.name, Some("Jos\u{e9} \u{1f600}"));
        assert_eq!(c.jti, "j\"1\\/\u{8}\u{c}\n\r\t");
    }

    #[test]
    fn runs_of_one_length_are_read_as_the_general_reader_reads_them() {
        // Every element length around the run's 16-byte window, and each byte of the array
        // replaced by something that must end the run (or deleted, or doubled): the compact
        // reader, which steps over a run without scanning each element, agrees with the
        // general reader every time.
        // Under Miri (for undefined behaviour, not logic): one length, a sample of positions.
        let lens: Vec<usize> = if cfg!(miri) {
            std::vec![13]
        } else {
            (0..=30).chain([36]).collect()
        };
        // Three elements never reach the run (it starts after three of one length); eight
        // give it five to step over.
        for len in lens {
            for count in [3, 8] {
                let elements: Vec<std::string::String> = (0..count)
                    .map(|i| {
                        let text: std::string::String = (0..len)
                            .map(|k| char::from(b'a' + ((i + k) % 26) as u8))
                            .collect();
                        format!("\"{text}\"")
                    })
                    .collect();
                let array = format!("[{}]", elements.join(","));
                let head = r#"{"iat":1,"jti":"x","email":"a@b.co","g":"#;
                let payload = format!("{head}{array}}}").into_bytes();
                assert!(
                    compact(&payload, &mut Found::default()).is_some(),
                    "{len} {count}"
                );
                read_both(&payload);
                let positions = head.len()..head.len() + array.len();
                let step = if cfg!(miri) { 29 } else { 1 };
                for at in positions.step_by(step) {
                    for r in [b'"', b'\\', 0x01, b',', b']', b'a', 0xc3] {
                        let mut p = payload.clone();
                        p[at] = r;
                        read_both(&p);
                    }
                    let mut p = payload.clone();
                    p.remove(at);
                    read_both(&p);
                    let mut p = payload.clone();
                    p.insert(at, payload[at]);
                    read_both(&p);
                }
            }
        }
    }

    /// Fragments that build payloads on both sides of every rule of the compact reader.
    fn fragment() -> impl Strategy<Value = &'static [u8]> {
        prop::sample::select(
            [
                &b"{"[..],
                b"}",
                b":",
                b",",
                b" ",
                b"\"iat\"",
                b"\"jti\"",
                b"\"email\"",
                b"\"name\"",
                b"\"exp\"",
                b"\"nbf\"",
                b"\"aud\"",
                b"\"sub\"",
                b"\"\\u0069at\"",
                b"\"a@b.co\"",
                b"\"x\"",
                b"\"\"",
                b"\"J\xc3\xa9\"",
                b"\"\xff\"",
                b"\"a\\\"b\"",
                b"0",
                b"7",
                b"1700000000",
                b"01",
                b"1.5",
                b"-1",
                b"2e3",
                b"true",
                b"null",
                b"[1,{}]",
                b"[\"x\",\"a@b.co\"]",
                b"[]",
                b"[",
                b"]",
                b"{\"k\":1}",
                b"\"groups\"",
                b"false",
                b"-0",
            ]
            .to_vec(),
        )
    }

    /// A member `"key":value` from the same pools.
    fn member() -> impl Strategy<Value = Vec<u8>> {
        let key = prop::sample::select(std::vec![
            "iat",
            "jti",
            "email",
            "name",
            "exp",
            "nbf",
            "aud",
            "sub",
            "groups",
            "s\\u0075b"
        ]);
        let value = prop::sample::select(std::vec![
            "0",
            "1",
            "1717740457",
            "01",
            "1.5",
            "-3",
            "\"a@b.co\"",
            "\"x\"",
            "\"\"",
            "\"a\\nb\"",
            "\"Jos\u{e9}\"",
            "null",
            "[]",
            "[\"x\"]",
            "[\"x\", \"k\\u002da\"]",
            "[\"x\",2]",
            "{}",
            "true",
            "false",
            "-0",
            "-01",
            "[null,-1,true,\"\\u00e9\"]",
            "[[]]",
            "[\"\\ud800\"]",
        ]);
        (key, value).prop_map(|(k, v)| std::format!("\"{k}\":{v}").into_bytes())
    }

    // Native runs only: proptest needs the file system (failure persistence), which Miri
    // isolates; under Miri the example-based test above covers both readers.
    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn compact_and_general_readers_agree_on_fragments(parts in prop::collection::vec(fragment(), 0..24)) {
            read_both(&parts.concat());
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn compact_and_general_readers_agree_on_objects(members in prop::collection::vec(member(), 0..8)) {
            let doc = [&b"{"[..], &members.join(&b","[..]), b"}"].concat();
            read_both(&doc);
        }
    }
}
