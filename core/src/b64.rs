//! Unpadded base64url, both ways: strict decoding (URL alphabet only, no padding, canonical
//! trailing bits) and the streaming encoder that mints tokens. One alphabet for both.
//!
//! Table-driven rather than constant-time (base64ct took longer on a token's payload than
//! HMAC-SHA256 took on the whole token): every byte decoded here is the presenter's own
//! input, so its timing reveals nothing secret. The one secret-dependent comparison, the
//! MAC, stays constant-time (`subtle`, in `key.rs`).

const INVALID: u8 = 0xff;

/// The base64url alphabet (RFC 4648 §5).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Characters of an HS256 signature (32 bytes) in unpadded base64url.
pub(crate) const SIG_B64_LEN: usize = encoded_len(32);

/// Characters of unpadded base64url for `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3][n % 3]
}

/// Value of each byte in the base64url alphabet, `INVALID` elsewhere.
static DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

fn value(c: u8) -> u8 {
    DECODE[usize::from(c)]
}

/// `DECODE` pre-shifted into each of the four positions of a 24-bit group, invalid bytes
/// marked above bit 23: four lookups and three ORs decode a group. 4 KiB, so only where
/// memory is plentiful (64-bit targets); microcontrollers use `quad_compact`.
#[cfg(any(test, target_pointer_width = "64"))]
static SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[0u32; 256]; 4];
    let mut c = 0;
    while c < 256 {
        let v = DECODE[c];
        let mut k = 0;
        while k < 4 {
            t[k][c] = if v == INVALID {
                0xff00_0000
            } else {
                (v as u32) << (18 - 6 * k)
            };
            k += 1;
        }
        c += 1;
    }
    t
};

/// One group of four characters as its 24 bits, with bits above 23 set if any was invalid.
#[cfg(any(test, target_pointer_width = "64"))]
fn quad_shifted(q: &[u8; 4]) -> u32 {
    let [t0, t1, t2, t3] = &SHIFTED;
    t0[usize::from(q[0])] | t1[usize::from(q[1])] | t2[usize::from(q[2])] | t3[usize::from(q[3])]
}

/// [`quad_shifted`] from the 256-byte table alone.
#[cfg(any(test, not(target_pointer_width = "64")))]
fn quad_compact(q: &[u8; 4]) -> u32 {
    let (a, b, c, d) = (value(q[0]), value(q[1]), value(q[2]), value(q[3]));
    // INVALID has bit 7 set, which lands above bit 23 from the first position and is ORed
    // in from the others.
    let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
    n | u32::from((a | b | c | d) & 0x80) << 24
}

#[cfg(not(target_pointer_width = "64"))]
use quad_compact as quad;
#[cfg(target_pointer_width = "64")]
use quad_shifted as quad;

/// Length of the bytes `len` base64url characters decode to, or `None` for an impossible
/// length (one character past a multiple of four).
pub(crate) const fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        r => Some(len / 4 * 3 + if r == 0 { 0 } else { r - 1 }),
    }
}

/// Decodes `input` into the front of `out`; `None` for anything but canonical unpadded
/// base64url, or when `out` is too short (check [`decoded_len`] first to tell them apart).
pub(crate) fn decode<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    decode_with(input, out, quad, || {}).map(|d| d.bytes)
}

/// What [`decode_stepped`] decoded.
pub(crate) struct Decoded<'o> {
    /// The bytes.
    pub(crate) bytes: &'o [u8],
    /// Whether every byte is ASCII (then the bytes are UTF-8 with no check), known from the
    /// decoding's own validity check at no cost.
    pub(crate) ascii: bool,
}

/// Characters decoded between two calls of [`decode_stepped`]'s `step`: as many as a verifier
/// hashes signing-input bytes per step ([`STEP_BLOCKS`] SHA-256 blocks).
pub(crate) const STEP_CHARS: usize = 64;

/// SHA-256 blocks a verifier hashes per step. Each call of the compression function costs
/// about 3 ns beyond its blocks, yet one block per 64 characters beat two per 128 (a 4 KB
/// token took 1.28x the floor against 1.53x): the finer the interleaving, the more of the
/// decoding runs beside the hashing.
pub(crate) const STEP_BLOCKS: usize = STEP_CHARS / 64;

/// [`decode`], calling `step` before each [`STEP_CHARS`] characters and once before the rest.
///
/// A verifier hashes a SHA-256 block in `step`: the block's rounds form one long dependency
/// chain that leaves most of the core idle, and the decoding that follows in program order
/// runs beside it.
///
/// Only on 64-bit targets: a microcontroller's in-order core gains nothing from the
/// interleaving, so there `step` is never called and [`decode`]'s one copy serves both.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
#[cfg(target_pointer_width = "64")]
pub(crate) fn decode_stepped<'o>(
    input: &[u8],
    out: &'o mut [u8],
    step: impl FnMut(),
) -> Option<Decoded<'o>> {
    decode_with(input, out, quad, step)
}

/// [`decode`]: see the 64-bit version.
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn decode_stepped<'o>(
    input: &[u8],
    out: &'o mut [u8],
    _: impl FnMut(),
) -> Option<Decoded<'o>> {
    // Without the ASCII flag: the reader then checks UTF-8 itself, in code it has anyway.
    Some(Decoded {
        bytes: decode(input, out)?,
        ascii: false,
    })
}

#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
fn decode_with<'o>(
    input: &[u8],
    out: &'o mut [u8],
    quad: impl Fn(&[u8; 4]) -> u32,
    mut step: impl FnMut(),
) -> Option<Decoded<'o>> {
    let out = out.get_mut(..decoded_len(input.len())?)?;
    let (quads, tail) = input.as_chunks::<4>();
    let (body, rest) = out.split_at_mut_checked(quads.len() * 3)?;
    // Invalid characters set bits above 23 of their group: OR the groups, look once at the end.
    let mut groups = 0u32;
    // Two groups at a time: six bytes leave as one 48-bit value rather than six byte stores.
    // Returns the groups ORed (for the validity check) and the 48 bits.
    // (An invalid group's marks above bit 23 garble the bits; the whole result is then
    // discarded, so valid groups, below 2^24, need no masking.)
    let pair = |[q0, q1]: &[[u8; 4]; 2]| {
        let (a, b) = (quad(q0), quad(q1));
        (a | b, u64::from(a) << 24 | u64::from(b))
    };
    let (pairs, odd) = quads.as_chunks::<2>();
    let (sixes, odd_out) = body.as_chunks_mut::<6>();
    // A pair is 8 characters. (Microcontrollers never step: one loop, less code.)
    let stepping = cfg!(target_pointer_width = "64");
    let (runs, pairs_left) = if stepping {
        pairs.as_chunks::<{ STEP_CHARS / 8 }>()
    } else {
        (&[][..], pairs)
    };
    let (runs_out, sixes_left) = if stepping {
        sixes.as_chunks_mut::<{ STEP_CHARS / 8 }>()
    } else {
        (&mut [][..], sixes)
    };
    for (run, d) in runs.iter().zip(runs_out) {
        step();
        // 6 bytes per pair out: each pair but the last stores 8 bytes (its 6 and 2 that the next
        // pair overwrites), one store instead of two and the shifts to split them.
        let d = d.as_flattened_mut();
        for (k, p) in run.iter().enumerate() {
            let (g, v) = pair(p);
            groups |= g;
            let bytes = (v << 16).to_be_bytes();
            if let Some(dst) = d.get_mut(k * 6..k * 6 + 8) {
                dst.copy_from_slice(&bytes);
            } else if let (Some(dst), Some(src)) = (d.get_mut(k * 6..), bytes.get(..6)) {
                dst.copy_from_slice(src);
            }
        }
    }
    step();
    for (p, d) in pairs_left.iter().zip(sixes_left) {
        let (g, v) = pair(p);
        groups |= g;
        let [_, _, x @ ..] = v.to_be_bytes();
        *d = x;
    }
    for (q, t) in odd.iter().zip(odd_out.as_chunks_mut::<3>().0) {
        let n = quad(q);
        groups |= n;
        let [_, x @ ..] = n.to_be_bytes();
        *t = x;
    }
    let mut seen = (groups >> 24) as u8;
    // The groups ORed hold every decoded byte's high bit too (bits 23, 15 and 7): whether
    // all are ASCII comes for free.
    let mut high = groups & 0x0080_8080;
    match (tail, rest) {
        ([], []) => {}
        ([a, b], [x]) => {
            let (a, b) = (value(*a), value(*b));
            // The second character's low 4 bits carry nothing and must be zero.
            seen |= a | b | if b & 0x0f != 0 { INVALID } else { 0 };
            *x = a << 2 | b >> 4;
            high |= u32::from(*x & 0x80);
        }
        ([a, b, c], [x, y]) => {
            let (invalid, bytes) = last_three(a, b, c);
            seen |= invalid;
            [*x, *y] = bytes;
            high |= u32::from((*x | *y) & 0x80);
        }
        _ => return None,
    }
    if seen & 0x80 == 0 {
        Some(Decoded {
            bytes: out,
            ascii: high == 0,
        })
    } else {
        None
    }
}

/// The 32 bytes of an HS256 signature from its 43 characters, or `None` unless they are
/// canonical base64url. [`decode`] with every length fixed: fully unrolled, no slicing.
#[cfg_attr(target_pointer_width = "64", inline(always))] // see `Verifier::authentic_claims`
pub(crate) fn decode_signature(sig: &[u8; SIG_B64_LEN]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let (quads, [a, b, c]) = sig.as_chunks::<4>() else {
        return None; // 43 = 10 groups and 3 characters, always
    };
    let (groups_out, [x, y]) = out.as_chunks_mut::<3>() else {
        return None;
    };
    let mut groups = 0u32;
    for (q, d) in quads.iter().zip(groups_out) {
        let n = quad(q);
        groups |= n;
        let [_, v @ ..] = n.to_be_bytes();
        *d = v;
    }
    let (invalid, bytes) = last_three(a, b, c);
    [*x, *y] = bytes;
    (((groups >> 24) as u8 | invalid) & 0x80 == 0).then_some(out)
}

/// The two bytes of a final group of three characters, and bit 7 set if a character is not
/// base64url or the last one's low 2 bits (which carry nothing) are not zero.
fn last_three(a: &u8, b: &u8, c: &u8) -> (u8, [u8; 2]) {
    let (a, b, c) = (value(*a), value(*b), value(*c));
    let invalid = a | b | c | if c & 0x03 != 0 { INVALID } else { 0 };
    (invalid, [a << 2 | b >> 4, b << 4 | c >> 2])
}

/// Whether `input` is canonical unpadded base64url, without keeping the bytes.
pub(crate) fn is_canonical(input: &[u8]) -> bool {
    let mut chunk = [0u8; 3];
    // Only the last chunk can be short, and `decode` judges a short chunk as a tail.
    input.chunks(4).all(|c| decode(c, &mut chunk).is_some())
}

// --- encoding

/// Writes bytes as unpadded base64url: whole 3-byte groups straight from each input, with up
/// to two bytes carried into the next `put` or [`finish`](Writer::finish).
pub(crate) struct Writer<'b> {
    out: &'b mut [u8],
    pos: usize,
    /// Bytes of an unfinished group; only `carry[..carried]` count.
    carry: [u8; 3],
    carried: usize,
}

impl<'b> Writer<'b> {
    /// A writer filling `out` from its start.
    #[cfg(test)]
    pub(crate) fn new(out: &'b mut [u8]) -> Self {
        Self::at(out, 0)
    }

    /// A writer filling `out` from `pos` (what is before it was written by the caller).
    pub(crate) fn at(out: &'b mut [u8], pos: usize) -> Self {
        Writer {
            out,
            pos,
            carry: [0; 3],
            carried: 0,
        }
    }

    /// Everything in `out` before the writer's position: the caller's prefix and the whole
    /// groups written so far (not the carried bytes).
    pub(crate) fn written(&self) -> &[u8] {
        self.out.get(..self.pos).unwrap_or_default()
    }

    fn group(&mut self, g: &[u8; 3]) -> Option<()> {
        let chars = encode_group(g);
        let end = self.pos.checked_add(4)?;
        self.out.get_mut(self.pos..end)?.copy_from_slice(&chars);
        self.pos = end;
        Some(())
    }

    /// Writes the carried bytes, if any, as the final short group; returns the length written.
    pub(crate) fn finish(self) -> Option<usize> {
        let carried = self.carry.get(..self.carried)?;
        encode_into(carried, self.out.get_mut(self.pos..)?)?;
        self.pos.checked_add(encoded_len(carried.len()))
    }
}

impl Writer<'_> {
    /// Encodes `bytes`; `None` once `out` has no room.
    pub(crate) fn put(&mut self, mut bytes: &[u8]) -> Option<()> {
        if self.carried > 0 {
            // Complete the carried group first.
            while self.carried < 3 {
                let Some((&c, rest)) = bytes.split_first() else {
                    return Some(());
                };
                *self.carry.get_mut(self.carried)? = c;
                self.carried += 1;
                bytes = rest;
            }
            let carry = self.carry;
            self.group(&carry)?;
            self.carried = 0;
        }
        let (groups, rest) = bytes.as_chunks::<3>();
        let end = self.pos.checked_add(groups.len().checked_mul(4)?)?;
        let (dst, _) = self.out.get_mut(self.pos..end)?.as_chunks_mut::<4>();
        for (g, d) in groups.iter().zip(dst) {
            *d = encode_group(g);
        }
        self.pos = end;
        self.carry.get_mut(..rest.len())?.copy_from_slice(rest);
        self.carried = rest.len();
        Some(())
    }
}

/// Encodes `bytes` into exactly [`encoded_len`]`(bytes.len())` characters at the front of
/// `out` (whole groups, then a short final group); `None` if `out` is shorter.
pub(crate) fn encode_into(bytes: &[u8], out: &mut [u8]) -> Option<()> {
    let out = out.get_mut(..encoded_len(bytes.len()))?;
    let (groups, rest) = bytes.as_chunks::<3>();
    let (quads, tail) = out.as_chunks_mut::<4>();
    for (g, q) in groups.iter().zip(quads) {
        *q = encode_group(g);
    }
    // The last 1 or 2 bytes, zero-padded: their trailing bits are zero, as canonical
    // base64url requires.
    let mut last = [0u8; 3];
    last.get_mut(..rest.len())?.copy_from_slice(rest);
    let chars = encode_group(&last);
    tail.copy_from_slice(chars.get(..tail.len())?);
    Some(())
}

/// Three bytes as four base64url characters, one lookup per character (microcontrollers).
#[cfg(any(test, not(target_pointer_width = "64")))]
pub(crate) fn encode_group_compact(g: &[u8; 3]) -> [u8; 4] {
    let v = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
    [v >> 18, v >> 12, v >> 6, v].map(|x| ALPHABET[(x & 63) as usize])
}

/// The two characters of every 12-bit value: 8 KiB, so only on 64-bit targets.
#[cfg(any(test, target_pointer_width = "64"))]
static PAIRS: [[u8; 2]; 4096] = {
    let mut t = [[0u8; 2]; 4096];
    let mut v = 0;
    while v < 4096 {
        t[v] = [ALPHABET[v >> 6], ALPHABET[v & 63]];
        v += 1;
    }
    t
};

/// Three bytes as four base64url characters, one lookup per pair of characters.
#[cfg(any(test, target_pointer_width = "64"))]
pub(crate) fn encode_group_pairs(g: &[u8; 3]) -> [u8; 4] {
    let v = usize::from(g[0]) << 16 | usize::from(g[1]) << 8 | usize::from(g[2]);
    let ([a, b], [c, d]) = (PAIRS[(v >> 12) & 0xfff], PAIRS[v & 0xfff]);
    [a, b, c, d]
}

#[cfg(not(target_pointer_width = "64"))]
pub(crate) use encode_group_compact as encode_group;
#[cfg(target_pointer_width = "64")]
pub(crate) use encode_group_pairs as encode_group;

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};

    #[test]
    fn streaming_base64_matches_base64ct_however_the_input_is_cut() {
        let data: std::vec::Vec<u8> = (0..=255u8).collect();
        let step = if cfg!(miri) { 37 } else { 1 }; // Miri: a sample
        for len in (0..data.len()).step_by(step) {
            let want = Base64UrlUnpadded::encode_string(&data[..len]);
            // Cut into pieces of 1, 2, ..., 7 bytes, and as one piece.
            for piece in [1, 2, 3, 4, 5, 7, usize::MAX] {
                let mut buf = [0u8; 400];
                let mut w = Writer::new(&mut buf);
                for p in data[..len].chunks(piece.min(len.max(1))) {
                    w.put(p).unwrap();
                    w.put(&[]).unwrap();
                }
                let n = w.finish().unwrap();
                assert_eq!(&buf[..n], want.as_bytes(), "len {len} piece {piece}");
                // One byte less room is an error, not a panic.
                if n > 0 {
                    let mut short = std::vec![0u8; n - 1];
                    let mut w = Writer::new(&mut short);
                    assert!(w.put(&data[..len]).and_then(|()| w.finish()).is_none());
                }
            }
        }
    }

    #[test]
    fn the_fixed_encoders_agree_with_base64ct() {
        let data: std::vec::Vec<u8> = (0..=255u8).rev().collect();
        for len in 0..100 {
            let want = Base64UrlUnpadded::encode_string(&data[..len]);
            let mut out = [0u8; 140];
            encode_into(&data[..len], &mut out).unwrap();
            assert_eq!(&out[..want.len()], want.as_bytes(), "len {len}");
            assert!(encode_into(&data[..len], &mut out[..want.len()]).is_some());
            if !want.is_empty() {
                assert!(encode_into(&data[..len], &mut out[..want.len() - 1]).is_none());
            }
        }
        for start in 0..200 {
            let sig: [u8; 32] = data[start..start + 32].try_into().unwrap();
            let want = Base64UrlUnpadded::encode_string(&sig);
            let mut chars = [0u8; SIG_B64_LEN];
            encode_into(&sig, &mut chars).unwrap();
            assert_eq!(&chars[..], want.as_bytes());
            assert_eq!(decode_signature(&chars), Some(sig));
        }
    }

    #[test]
    fn both_group_encoders_agree_on_every_group() {
        let step = if cfg!(miri) { 4099 } else { 1 };
        for v in (0u32..1 << 24).step_by(step) {
            let [_, a, b, c] = v.to_be_bytes();
            assert_eq!(
                encode_group_pairs(&[a, b, c]),
                encode_group_compact(&[a, b, c])
            );
        }
    }

    #[test]
    fn encoding_and_decoding_share_one_alphabet_and_round_trip() {
        assert_eq!(SIG_B64_LEN, 43);
        let data: std::vec::Vec<u8> = (0..=255u8).rev().collect();
        for len in [0, 1, 2, 3, 32, 100, 256] {
            let mut text = [0u8; 400];
            let mut w = Writer::new(&mut text);
            w.put(&data[..len]).unwrap();
            let n = w.finish().unwrap();
            assert_eq!(n, encoded_len(len));
            let mut back = [0u8; 256];
            assert_eq!(decode(&text[..n], &mut back), Some(&data[..len]));
        }
    }

    /// Decodes with both group decoders (a microcontroller's and a server's), which must agree.
    fn decode<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
        let mut other = std::vec![0u8; out.len()];
        let compact = decode_with(input, &mut other, quad_compact, || {})
            .map(|d| (d.bytes.to_vec(), d.ascii));
        let mut steps = 0;
        let shifted = decode_with(input, out, quad_shifted, || steps += 1);
        if let Some(d) = &shifted {
            assert_eq!(d.ascii, d.bytes.is_ascii(), "{input:?}");
        }
        let shifted = shifted.map(|d| (d.bytes, d.ascii));
        if shifted.is_some() {
            assert_eq!(
                steps,
                input.len() / STEP_CHARS + 1,
                "one step per STEP_CHARS characters, one more"
            );
        }
        assert_eq!(shifted.map(|(d, a)| (d.to_vec(), a)), compact, "{input:?}");
        shifted.map(|(d, _)| d)
    }

    #[test]
    fn tells_ascii_from_not_at_every_position() {
        // `decode` above checks the flag against the bytes. Miri interprets ~1000x slower:
        // it checks a sample of the lengths.
        let step = if cfg!(miri) { 13 } else { 1 };
        for len in (0..80).step_by(step) {
            for at in (0..=len).step_by(step) {
                let mut data = std::vec![b'a'; len];
                if let Some(c) = data.get_mut(at) {
                    *c = [0x80, 0xff, 0xc3][at % 3];
                }
                let enc = Base64UrlUnpadded::encode_string(&data);
                let mut out = [0u8; 80];
                assert_eq!(decode(enc.as_bytes(), &mut out), Some(&data[..]));
            }
        }
    }

    #[test]
    fn agrees_with_base64ct_on_every_length_and_rejects_what_it_rejects() {
        let data: std::vec::Vec<u8> = (0..=255u8).rev().collect();
        // Miri interprets ~1000x slower: it checks a sample (`step`), native runs check all.
        let step = if cfg!(miri) { 37 } else { 1 };
        for len in (0..data.len()).step_by(step) {
            let enc = Base64UrlUnpadded::encode_string(&data[..len]);
            let mut out = [0u8; 256];
            assert_eq!(
                decode(enc.as_bytes(), &mut out),
                Some(&data[..len]),
                "len {len}"
            );
            assert!(is_canonical(enc.as_bytes()));
        }
        // Every single-character change is judged the same way by both decoders.
        let enc = Base64UrlUnpadded::encode_string(b"hello world!!");
        for i in 0..enc.len() {
            for c in (0u8..=255).step_by(step) {
                let mut e = enc.clone().into_bytes();
                e[i] = c;
                let mut a = [0u8; 32];
                let mut b = [0u8; 32];
                let ours = decode(&e, &mut a).map(|d| d.to_vec());
                let theirs = core::str::from_utf8(&e).ok().and_then(|s| {
                    Base64UrlUnpadded::decode(s, &mut b)
                        .ok()
                        .map(|d| d.to_vec())
                });
                assert_eq!(ours, theirs, "{:?}", core::str::from_utf8(&e));
                assert_eq!(is_canonical(&e), ours.is_some());
            }
        }
    }

    #[test]
    fn the_signature_decoder_agrees_with_the_general_one() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let rounds = if cfg!(miri) { 200 } else { 200_000 };
        for round in 0..rounds {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes: [u8; 32] = core::array::from_fn(|i| (seed >> (i % 8 * 8)) as u8 ^ i as u8);
            let mut sig: [u8; SIG_B64_LEN] = Base64UrlUnpadded::encode_string(&bytes)
                .into_bytes()
                .try_into()
                .unwrap();
            // Half the rounds change one character to any byte.
            if round % 2 == 1 {
                sig[(seed >> 40) as usize % SIG_B64_LEN] = (seed >> 48) as u8;
            }
            let mut general = [0u8; 32];
            assert_eq!(
                decode_signature(&sig),
                decode(&sig, &mut general).map(|d| <[u8; 32]>::try_from(d).unwrap()),
                "{sig:?}"
            );
        }
    }

    #[test]
    fn refuses_padding_standard_alphabet_and_bad_lengths() {
        let mut out = [0u8; 16];
        for bad in [
            &b"QQ=="[..],
            b"QQ=",
            b"a+b/",
            b"Q",
            b"QUJDR",
            b"QR",
            b"QUJ",
            b"QU J",
        ] {
            assert_eq!(
                decode(bad, &mut out),
                None,
                "{:?}",
                core::str::from_utf8(bad)
            );
            assert!(!is_canonical(bad));
        }
        assert_eq!(decode(b"QQ", &mut out), Some(&b"A"[..]));
        assert_eq!(decode(b"QUI", &mut out), Some(&b"AB"[..]));
        assert_eq!(decode(b"QUI", &mut [0u8; 1]), None); // out too short
    }
}
