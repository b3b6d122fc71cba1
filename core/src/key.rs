//! The HS256 key: HMAC-SHA256 keyed once, its midstates wiped on drop.
//!
//! HMAC is written here over the SHA-256 compression function (`sha2::block_api::compress256`,
//! which picks SHA-NI or the ARMv8 extensions at run time and software elsewhere) rather than
//! through the `hmac` crate: a token's whole blocks are hashed straight from the token, with no
//! copy into a block buffer and no clone of a buffered hasher per call, and a verifier can
//! hash block by block while it decodes ([`Mac`]), so the other work runs in the shadow of
//! SHA-256's long dependency chain. RFC 4231's vectors and the `hmac` crate hold it to account
//! (tests below, and `tests/` against `jsonwebtoken` and PyJWT).

use core::fmt;

use sha2::block_api::compress256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Error, Reason, sat};

/// The shortest key hfjwt accepts, in bytes: RFC 7518 §3.2 requires a key at least as long as
/// the HS256 output. HappyFox keys are 32 alphanumeric characters.
pub const MIN_KEY_LEN: usize = 32;

/// Length of an HS256 signature in bytes.
pub(crate) const SIG_LEN: usize = 32;

/// SHA-256's block size in bytes.
pub(crate) const BLOCK: usize = 64;

/// A SHA-256 block.
pub(crate) type Block = [u8; BLOCK];

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A shared HS256 key.
///
/// The HMAC inner and outer hash states are computed once here, so signing or verifying a
/// token hashes only the token. The raw key bytes are not kept; the two SHA-256 midstates that
/// stand for them are zeroized when the `Key` is dropped, as are a signature's working
/// copies that could stand for them (a hash state still holding a keyed midstate, and the
/// outer hash's result). `Debug` and `defmt` print `Key(<redacted>)`.
///
/// ```
/// let key = hfjwt::Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
/// assert_eq!(format!("{key:?}"), "Key(<redacted>)");
/// assert_eq!(hfjwt::Key::new(b"short").unwrap_err().kind(), hfjwt::ErrorKind::WeakKey);
/// # Ok::<(), hfjwt::Error>(())
/// ```
#[derive(Clone)]
pub struct Key {
    /// SHA-256 state after the block `key ^ ipad`.
    inner: [u32; 8],
    /// SHA-256 state after the block `key ^ opad`.
    outer: [u32; 8],
}

impl Drop for Key {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl Key {
    /// Keys HMAC-SHA256 with `bytes` (for HappyFox: the bytes of the 32-character key).
    ///
    /// Fails with [`ErrorKind::WeakKey`](crate::ErrorKind::WeakKey) when `bytes` is shorter than [`MIN_KEY_LEN`].
    pub fn new(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(Error::new(Reason::KeyTooShort {
                len: sat(bytes.len()),
            }));
        }
        Ok(Key::derive(bytes))
    }

    /// The midstates for `bytes`, of any length (tests use RFC 4231's short keys).
    fn derive(bytes: &[u8]) -> Self {
        // RFC 2104: a key longer than a block is hashed first; a shorter one is zero-padded.
        let mut block: Block = [0; BLOCK];
        if let Some(dst) = block.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
        } else {
            let mut digest = sha256(bytes);
            if let Some(dst) = block.first_chunk_mut::<32>() {
                *dst = digest;
            }
            digest.zeroize();
        }
        let mut pad = block.map(|b| b ^ 0x36);
        let mut inner = IV;
        compress256(&mut inner, core::slice::from_ref(&pad));
        pad = block.map(|b| b ^ 0x5c);
        let mut outer = IV;
        compress256(&mut outer, core::slice::from_ref(&pad));
        block.zeroize();
        pad.zeroize();
        Key { inner, outer }
    }

    /// HMAC-SHA256 of `message` under this key: the primitive HS256 signs with (a token's
    /// signature is this over its `header.payload`, base64url-encoded).
    ///
    /// ```
    /// // RFC 4231, test case 2 needs a 4-byte key, below hfjwt's minimum; here a 32-byte one:
    /// let key = hfjwt::Key::new(&[0x0b; 32])?;
    /// assert_eq!(key.hmac(b"Hi There").len(), 32);
    /// # Ok::<(), hfjwt::Error>(())
    /// ```
    #[must_use]
    pub fn hmac(&self, message: &[u8]) -> [u8; SIG_LEN] {
        let mut mac = self.mac();
        let (blocks, tail) = message.as_chunks::<BLOCK>();
        mac.blocks(blocks);
        mac.finish(tail)
    }

    /// Whether `tag` is the HMAC-SHA256 of `message` under this key, compared in constant
    /// time (the comparison a verifier makes; the expected MAC is never written out).
    ///
    /// ```
    /// let key = hfjwt::Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
    /// let tag = key.hmac(b"header.payload");
    /// assert!(key.verify_hmac(b"header.payload", &tag));
    /// assert!(!key.verify_hmac(b"header.payload!", &tag));
    /// # Ok::<(), hfjwt::Error>(())
    /// ```
    #[must_use]
    pub fn verify_hmac(&self, message: &[u8], tag: &[u8; SIG_LEN]) -> bool {
        let (blocks, tail) = message.as_chunks::<BLOCK>();
        let mut mac = self.mac();
        mac.blocks(blocks);
        mac.finish_inner(tail).matches(tag)
    }

    /// A MAC over a message fed in whole blocks, then finished with its tail.
    pub(crate) fn mac(&self) -> Mac<'_> {
        Mac {
            key: self,
            state: self.inner,
            blocks: 0,
        }
    }
}

/// HMAC-SHA256 in progress: the inner hash has absorbed `blocks` whole blocks of the message.
pub(crate) struct Mac<'k> {
    key: &'k Key,
    state: [u32; 8],
    blocks: u64,
}

impl<'k> Mac<'k> {
    /// Absorbs whole blocks of the message.
    pub(crate) fn blocks(&mut self, blocks: &[Block]) {
        compress256(&mut self.state, blocks);
        self.blocks = self.blocks.wrapping_add(blocks.len() as u64);
    }

    /// The MAC of everything absorbed followed by `tail` (of any length).
    pub(crate) fn finish(self, tail: &[u8]) -> [u8; SIG_LEN] {
        self.finish_inner(tail).finish()
    }

    /// Absorbs `tail` (of any length) and ends the inner hash; [`Outer::finish`] gives the
    /// MAC. Work placed between the two runs beside the inner hash's last rounds.
    pub(crate) fn finish_inner(mut self, tail: &[u8]) -> Outer<'k> {
        let (blocks, tail) = tail.as_chunks::<BLOCK>();
        self.blocks(blocks);
        // Message bits, counting the key block the inner state already holds.
        let bits = (self.blocks.wrapping_add(1) << 9).wrapping_add((tail.len() as u64) << 3);
        pad_and_compress(&mut self.state, tail, bits, false);
        self.into_outer()
    }

    /// [`finish_inner`](Self::finish_inner) for a `rest` of one whole block and a tail,
    /// hashed with the padding in one call of the compression function instead of two (a
    /// call costs about 3 ns beyond its blocks on SHA-NI). Mint's last stretch has that shape.
    #[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
    #[cfg(target_pointer_width = "64")]
    pub(crate) fn finish_inner_joined(mut self, rest: &[u8]) -> Outer<'k> {
        let (blocks, tail) = rest.as_chunks::<BLOCK>();
        let [block] = blocks else {
            return self.finish_inner(rest);
        };
        let bits = (self.blocks.wrapping_add(2) << 9).wrapping_add((tail.len() as u64) << 3);
        pad_and_compress_after(&mut self.state, block, tail, bits);
        self.into_outer()
    }

    /// The finished inner hash.
    fn into_outer(self) -> Outer<'k> {
        // The state is now the inner digest, which without the outer midstate gives nothing
        // away (unlike the keyed midstate a Mac starts from): no wipe on this path.
        let done = core::mem::ManuallyDrop::new(self);
        Outer {
            key: done.key,
            inner: done.state,
        }
    }
}

/// HMAC-SHA256 whose inner hash is done: one more block gives the MAC.
pub(crate) struct Outer<'k> {
    key: &'k Key,
    /// The inner hash's final state (its digest, as words).
    inner: [u32; 8],
}

impl Outer<'_> {
    /// The MAC.
    pub(crate) fn finish(self) -> [u8; SIG_LEN] {
        let mut outer = self.outer_state();
        let tag = digest_bytes(&outer);
        outer.zeroize();
        tag
    }

    /// Whether the MAC equals `tag`, compared in constant time. The MAC itself is never
    /// written out: its state words are compared with `tag`'s and wiped (for a forged
    /// token, the MAC is the signature the forger lacked).
    #[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
    pub(crate) fn matches(self, tag: &[u8; SIG_LEN]) -> bool {
        let mut outer = self.outer_state();
        // Branch-free XOR/OR over the words, then one constant-time test of the result
        // (`subtle`'s slice comparison would pass every byte through its optimisation barrier).
        let mut diff = 0u32;
        for (word, bytes) in outer.iter().zip(tag.as_chunks::<4>().0) {
            diff |= word ^ u32::from_be_bytes(*bytes);
        }
        outer.zeroize();
        bool::from(diff.ct_eq(&0))
    }

    /// The outer hash's final state: SHA-256 of the outer key block, then the inner digest.
    fn outer_state(&self) -> [u32; 8] {
        // One block: the inner digest, then padding for 64 + 32 bytes. The block holds the
        // inner digest, worthless without the outer midstate: it is not wiped.
        let digest = digest_bytes(&self.inner);
        let mut outer = self.key.outer;
        pad_and_compress(&mut outer, &digest, ((BLOCK + SIG_LEN) as u64) << 3, false);
        outer
    }
}

/// A Mac dropped before it is finished may hold the keyed midstate itself.
impl Drop for Mac<'_> {
    fn drop(&mut self) {
        self.state.zeroize();
    }
}

/// Absorbs a message's last partial block (`tail`, shorter than a block) and SHA-256's
/// padding for a message of `bits` bits; `secret`: the tail is key material, wipe the copy.
// Three callers: one copy on microcontrollers, inlined (and specialised) elsewhere.
#[cfg_attr(not(target_pointer_width = "64"), inline(never))]
fn pad_and_compress(state: &mut [u32; 8], tail: &[u8], bits: u64, secret: bool) {
    let mut last = [[0u8; BLOCK]; 2];
    let used = pad(tail, bits, &mut last);
    compress256(state, last.get(..used).unwrap_or(&last));
    // A token's bytes are public: only a long key's tail is wiped.
    if secret {
        last.as_flattened_mut().zeroize();
    }
}

/// Writes `tail` (shorter than a block) and SHA-256's padding for a message of `bits` bits
/// into the zeroed `last`; returns how many of its blocks are used (a tail of 56 bytes or
/// more needs the second, for the length in the last 8 bytes).
fn pad(tail: &[u8], bits: u64, last: &mut [Block; 2]) -> usize {
    let flat = last.as_flattened_mut();
    if let Some(dst) = flat.get_mut(..tail.len()) {
        dst.copy_from_slice(tail);
    }
    if let Some(b) = flat.get_mut(tail.len()) {
        *b = 0x80;
    }
    let [first, second] = last;
    if tail.len() < BLOCK - 8 {
        first[BLOCK - 8..].copy_from_slice(&bits.to_be_bytes());
        1
    } else {
        second[BLOCK - 8..].copy_from_slice(&bits.to_be_bytes());
        2
    }
}

/// [`pad_and_compress`] (of a public tail) with one whole `block` of the message before it,
/// all in one call of the compression function.
#[cfg(target_pointer_width = "64")]
fn pad_and_compress_after(state: &mut [u32; 8], block: &Block, tail: &[u8], bits: u64) {
    let mut buf = [[0u8; BLOCK]; 3];
    let [whole, last @ ..] = &mut buf;
    *whole = *block;
    let used = pad(tail, bits, last);
    compress256(state, buf.get(..1 + used).unwrap_or(&buf));
}

/// A SHA-256 state as its digest bytes (big-endian words).
fn digest_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (dst, word) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *dst = word.to_be_bytes();
    }
    out
}

/// SHA-256 of `message`, a key longer than a block (its copies are wiped).
fn sha256(message: &[u8]) -> [u8; 32] {
    let mut state = IV;
    let (blocks, tail) = message.as_chunks::<BLOCK>();
    compress256(&mut state, blocks);
    pad_and_compress(&mut state, tail, (message.len() as u64) << 3, true);
    let digest = digest_bytes(&state);
    state.zeroize();
    digest
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Key {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Key(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 §4, HMAC-SHA256: (key, data, MAC; case 5's MAC is truncated to 128 bits).
    const RFC4231: [(&str, &str, &str); 7] = [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "4869205468657265",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            "4a656665",
            "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819",
            "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
        (
            "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
            "546573742057697468205472756e636174696f6e",
            "a3b6167473100ee06e0c796c2955552b",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];

    #[test]
    fn rfc4231_vectors() {
        for (i, (key, data, mac)) in RFC4231.iter().enumerate() {
            let (key, data, mac) = (hex(key), hex(data), hex(mac));
            let k = Key::derive(&key);
            let tag = k.hmac(&data);
            assert_eq!(&tag[..mac.len()], &mac[..], "RFC 4231 case {}", i + 1);
            if mac.len() == SIG_LEN {
                let mac: [u8; SIG_LEN] = mac.try_into().unwrap();
                assert!(k.verify_hmac(&data, &mac));
                for bit in [0, 7, 8 * 31 + 7] {
                    let mut wrong = mac;
                    wrong[bit / 8] ^= 1 << (bit % 8);
                    assert!(!k.verify_hmac(&data, &wrong), "case {} bit {bit}", i + 1);
                }
            }
        }
        // Keys of 32 bytes and more (the only ones `new` takes) go through the same path.
        let (key, data, mac) = (hex(RFC4231[5].0), hex(RFC4231[5].1), hex(RFC4231[5].2));
        assert_eq!(&Key::new(&key).unwrap().hmac(&data)[..], &mac[..]);
    }

    #[test]
    fn agrees_with_the_hmac_crate_at_every_length_and_however_the_blocks_are_fed() {
        use hmac::{Hmac, KeyInit, Mac as _};
        let step = if cfg!(miri) { 61 } else { 1 };
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 131 % 251) as u8).collect();
        for key_len in [32, 33, 63, 64, 65, 131] {
            let key_bytes: std::vec::Vec<u8> = (0..key_len).map(|i| i as u8 ^ 0xa5).collect();
            let k = Key::new(&key_bytes).unwrap();
            for len in (0..data.len()).step_by(step) {
                let msg = &data[..len];
                let mut theirs = Hmac::<sha2::Sha256>::new_from_slice(&key_bytes).unwrap();
                theirs.update(msg);
                let want: [u8; 32] = theirs.finalize().into_bytes().into();
                assert_eq!(k.hmac(msg), want, "key {key_len} len {len}");
                // Blocks one at a time, the rest (of any length) to finish.
                for cut in [0, 1, 2] {
                    let whole = (len / BLOCK).min(cut);
                    let (blocks, _) = msg.as_chunks::<BLOCK>();
                    let mut mac = k.mac();
                    for b in &blocks[..whole] {
                        mac.blocks(core::slice::from_ref(b));
                    }
                    assert_eq!(mac.finish(&msg[whole * BLOCK..]), want);
                }
                // The last whole block hashed with the padding (mint's path).
                #[cfg(target_pointer_width = "64")]
                if let Some(before) = (len / BLOCK).checked_sub(1) {
                    let (blocks, _) = msg.as_chunks::<BLOCK>();
                    let mut mac = k.mac();
                    mac.blocks(&blocks[..before]);
                    let joined = mac.finish_inner_joined(&msg[before * BLOCK..]);
                    assert_eq!(joined.finish(), want, "joined, len {len}");
                }
            }
        }
    }

    #[test]
    fn weak_keys_are_refused() {
        for len in [0, 1, 16, 31] {
            let err = Key::new(&[b'a'; 64][..len]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WeakKey);
        }
        assert!(Key::new(&[b'a'; 32]).is_ok());
    }
}

/// The most bytes of key text [`key_text`] looks at: a HappyFox key is 32 characters, so a
/// longer source (a file, a variable) is not a key. Readers stop at this many bytes plus one.
pub const MAX_KEY_TEXT_LEN: usize = 4096;

/// Why key text is not a key (see [`key_text`]). `Display` says what is wrong and what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyTextProblem {
    /// More than [`MAX_KEY_TEXT_LEN`] bytes.
    TooLarge,
    /// It starts with the UTF-8 byte order mark (EF BB BF), as some Windows editors save.
    ByteOrderMark,
    /// Whitespace before the key or after it (beyond the one final newline stripped).
    SurroundingWhitespace,
    /// A control character (U+0000–U+001F, U+007F–U+009F) inside the key.
    ControlCharacter,
}

impl KeyTextProblem {
    /// What is wrong, e.g. "starts with a UTF-8 byte order mark (BOM)".
    pub const fn problem(self) -> &'static str {
        match self {
            KeyTextProblem::TooLarge => "is larger than 4 KiB, so it is not a key",
            KeyTextProblem::ByteOrderMark => "starts with a UTF-8 byte order mark (BOM)",
            KeyTextProblem::SurroundingWhitespace => {
                "has whitespace before or after the key (only one final newline is stripped)"
            }
            KeyTextProblem::ControlCharacter => "contains control characters",
        }
    }

    /// What to do about it.
    pub const fn advice(self) -> &'static str {
        match self {
            KeyTextProblem::TooLarge => "a HappyFox key is 32 characters",
            KeyTextProblem::ByteOrderMark => {
                "save the file as UTF-8 without BOM, or as plain ASCII"
            }
            KeyTextProblem::SurroundingWhitespace | KeyTextProblem::ControlCharacter => {
                "write only the key, optionally followed by one newline"
            }
        }
    }
}

impl core::fmt::Display for KeyTextProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}; {}", self.problem(), self.advice())
    }
}

impl core::error::Error for KeyTextProblem {}

/// The key in key text (a key file's bytes, an environment variable, a pasted string):
/// exactly one trailing `\n` or `\r\n` stripped, and refused when anything else around or
/// inside it is not key material — a key read with its newline, a BOM or a stray space signs
/// tokens HappyFox rejects. Every front end (hfjwt-sim, `python -m hfjwt`, Python `str` keys)
/// applies this one rule. Bytes that are not UTF-8 are taken as key material, as they are.
///
/// ```
/// assert_eq!(hfjwt::key_text(b"0123456789abcdefghijklmnopqrstuv\n"), Ok(&b"0123456789abcdefghijklmnopqrstuv"[..]));
/// assert!(hfjwt::key_text(b" 0123456789abcdefghijklmnopqrstuv").is_err());
/// ```
pub fn key_text(source: &[u8]) -> Result<&[u8], KeyTextProblem> {
    if source.len() > MAX_KEY_TEXT_LEN {
        return Err(KeyTextProblem::TooLarge);
    }
    let key = source
        .strip_suffix(b"\r\n")
        .or_else(|| source.strip_suffix(b"\n"))
        .unwrap_or(source);
    if key.starts_with(b"\xEF\xBB\xBF") {
        return Err(KeyTextProblem::ByteOrderMark);
    }
    // Read as UTF-8 where it is: an invalid sequence is neither whitespace nor a control
    // character, so raw non-UTF-8 key bytes pass through as they are.
    let (mut first, mut last, mut control) = (None, None, false);
    for (i, chunk) in key.utf8_chunks().enumerate() {
        let valid = chunk.valid();
        control |= valid.chars().any(char::is_control);
        if i == 0 {
            first = valid.chars().next();
        }
        last = if chunk.invalid().is_empty() {
            valid.chars().next_back()
        } else {
            None
        };
    }
    // Whitespace at the ends is named as such, though `\t` and `\n` are control characters too.
    if first.is_some_and(char::is_whitespace) || last.is_some_and(char::is_whitespace) {
        return Err(KeyTextProblem::SurroundingWhitespace);
    }
    if control {
        return Err(KeyTextProblem::ControlCharacter);
    }
    Ok(key)
}

#[cfg(test)]
mod key_text_tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

    fn with(prefix: &[u8], suffix: &[u8]) -> std::vec::Vec<u8> {
        [prefix, KEY, suffix].concat()
    }

    #[test]
    fn strips_exactly_one_final_newline() {
        for suffix in [&b""[..], b"\n", b"\r\n"] {
            assert_eq!(key_text(&with(b"", suffix)), Ok(KEY), "{suffix:?}");
        }
        for suffix in [
            &b"\n\n"[..],
            b"\r\n\r\n",
            b" \n",
            b"\t",
            b" ",
            b"\r",
            b"\xc2\xa0",
        ] {
            assert_eq!(
                key_text(&with(b"", suffix)),
                Err(KeyTextProblem::SurroundingWhitespace),
                "{suffix:?}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_key_material() {
        for prefix in [&b" "[..], b"\t", b"\n", b"\xe2\x80\x83"] {
            assert_eq!(
                key_text(&with(prefix, b"\n")),
                Err(KeyTextProblem::SurroundingWhitespace),
                "{prefix:?}"
            );
        }
        assert_eq!(
            key_text(&with(b"\xEF\xBB\xBF", b"\n")),
            Err(KeyTextProblem::ByteOrderMark)
        );
        for inner in [&b"\x00"[..], b"\x1b", b"\x7f", b"\xc2\x85"] {
            let key = [&KEY[..4], inner, &KEY[4..]].concat();
            assert_eq!(
                key_text(&key),
                Err(KeyTextProblem::ControlCharacter),
                "{inner:?}"
            );
        }
        assert!(key_text(b"correct horse battery staple 1234").is_ok());
        // Not UTF-8 at either end: key material as it is.
        assert!(key_text(b"\xff\xfe0123456789abcdefghijklmnopqrst").is_ok());
        assert!(key_text(b"0123456789abcdefghijklmnopqrst\xff").is_ok());
    }

    #[test]
    fn refuses_sources_over_4_kib() {
        assert!(key_text(&[b'a'; MAX_KEY_TEXT_LEN]).is_ok());
        assert_eq!(
            key_text(&[b'a'; MAX_KEY_TEXT_LEN + 1]),
            Err(KeyTextProblem::TooLarge)
        );
    }
}
