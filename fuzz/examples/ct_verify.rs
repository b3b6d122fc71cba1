//! dudect-style constant-time test of `Verifier::check` on forged signatures.
//!
//! Two classes of tokens, both refused as `bad_signature`: the genuine token with the first
//! byte of its signature changed, and with the last byte changed. An early-exit comparison
//! would return sooner for the first class. Measurements of the two classes are interleaved
//! in random order, timed with the TSC, and compared with Welch's t-test, on all samples and on
//! samples cropped at several percentiles (as dudect does); |t| < 4.5 means no leak detected.
//!
//! `CT_PART=mac` times `Key::verify_hmac` alone (HMAC-SHA256 and the tag comparison).
//!
//!   scripts/ct-test.sh [SAMPLES_PER_CLASS]
use std::hint::black_box;

use base64ct::{Base64UrlUnpadded, Encoding};
use hfjwt::{ErrorKind, Grant, Key, ReplayCache, Verifier, mint};

const KEY: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

struct Welch {
    n: [f64; 2],
    mean: [f64; 2],
    m2: [f64; 2],
}

impl Welch {
    fn new() -> Self {
        Welch {
            n: [0.0; 2],
            mean: [0.0; 2],
            m2: [0.0; 2],
        }
    }
    fn push(&mut self, class: usize, x: f64) {
        self.n[class] += 1.0;
        let d = x - self.mean[class];
        self.mean[class] += d / self.n[class];
        self.m2[class] += d * (x - self.mean[class]);
    }
    fn t(&self) -> f64 {
        let v0 = self.m2[0] / (self.n[0] - 1.0);
        let v1 = self.m2[1] / (self.n[1] - 1.0);
        (self.mean[0] - self.mean[1]) / (v0 / self.n[0] + v1 / self.n[1]).sqrt()
    }
}

#[inline(always)]
fn cycles() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: lfence and rdtsc have no preconditions on x86_64.
    unsafe {
        core::arch::x86_64::_mm_lfence();
        let t = core::arch::x86_64::_rdtsc();
        core::arch::x86_64::_mm_lfence();
        t
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::time::Instant;
        thread_local!(static T0: Instant = Instant::now());
        T0.with(|t| t.elapsed().as_nanos() as u64)
    }
}

fn with_sig_byte_changed(token: &str, index: usize) -> String {
    let dot = token.rfind('.').unwrap();
    let mut sig = Base64UrlUnpadded::decode_vec(&token[dot + 1..]).unwrap();
    sig[index] ^= 0x01;
    format!(
        "{}{}",
        &token[..=dot],
        Base64UrlUnpadded::encode_string(&sig)
    )
}

fn main() {
    let per_class: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let key = Key::new(KEY).unwrap();
    let grant = Grant::new("jo@acme.com", 1_700_000_000, "5c8e0a4e-0b7f").with_name("Jo");
    let mut buf = [0u8; 512];
    let token = mint(&key, &grant, &mut buf).unwrap().to_owned();
    // CT_CONTROL=1: both classes are the same token (first byte changed), to see the noise floor
    // of this machine; |t| must stay small there too or the real run means nothing.
    let control = std::env::var_os("CT_CONTROL").is_some();
    let last = if control { 0 } else { 31 };
    let classes = [
        with_sig_byte_changed(&token, 0),
        with_sig_byte_changed(&token, last),
    ];
    let verifier = Verifier::<ReplayCache<4>>::new(key);
    let mut scratch = [0u8; 512];
    for c in &classes {
        let e = verifier
            .check(c.as_str(), 1_700_000_001, &mut scratch)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadSignature);
    }

    // CT_PART=mac: time only HMAC + constant-time tag comparison, without base64/JSON parsing.
    let mac_only = std::env::var("CT_PART").is_ok_and(|p| p == "mac");
    let mac_key = Key::new(KEY).unwrap();
    let signing_len = token.rfind('.').unwrap();
    let tags: Vec<Vec<u8>> = classes
        .iter()
        .map(|c| Base64UrlUnpadded::decode_vec(&c[signing_len + 1..]).unwrap())
        .collect();
    let mut slot = vec![0u8; classes[0].len()];
    assert_eq!(classes[0].len(), classes[1].len());
    // Warm up, then collect (class, cycles) pairs in random class order.
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut samples: Vec<(u8, u32)> = Vec::with_capacity(2 * per_class);
    let mut counts = [0usize; 2];
    for i in 0..2 * per_class + 20_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut class = (rng & 1) as usize;
        if counts[class] >= per_class + 10_000 {
            class ^= 1;
        }
        counts[class] += 1;
        // Both classes are verified from the same buffer, so address and alignment effects
        // cannot tell them apart; only the signature's contents differ.
        slot.copy_from_slice(classes[class].as_bytes());
        let tok = black_box(&slot[..]);
        let t0 = cycles();
        let r = if mac_only {
            // The MAC comparison alone, on the decoded tags (what `check` does after parsing).
            let tag: &[u8; 32] = tags[class].as_slice().try_into().unwrap();
            !mac_key.verify_hmac(black_box(&tok[..signing_len]), black_box(tag))
        } else {
            verifier
                .check(tok, black_box(1_700_000_001), &mut scratch)
                .is_err()
        };
        let t1 = cycles();
        black_box(r);
        if i >= 20_000 {
            samples.push((class as u8, (t1 - t0).min(u64::from(u32::MAX)) as u32));
        }
    }

    // Percentile crops from the pooled distribution (dudect's 1 - 0.5^(10 (i+1) / 100) ...,
    // plus no crop).
    let mut sorted: Vec<u32> = samples.iter().map(|s| s.1).collect();
    sorted.sort_unstable();
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    let mut crops: Vec<(String, u32)> = vec![("all".into(), u32::MAX)];
    for p in [0.50, 0.75, 0.90, 0.95, 0.99, 0.999] {
        crops.push((format!("<p{}", p * 100.0), pct(p)));
    }
    let mut max_t = 0f64;
    println!(
        "ct-test{}: {}, bad signature differing in byte 0 vs byte {last}, {} samples per class",
        if control { " (CONTROL)" } else { "" },
        if mac_only {
            "HMAC-SHA256 and the tag comparison only (Key::verify_hmac)"
        } else {
            "Verifier::check"
        },
        per_class
    );
    println!("  median cycles: {}", pct(0.5));
    for (name, limit) in &crops {
        let mut w = Welch::new();
        for &(c, x) in &samples {
            if x <= *limit {
                w.push(usize::from(c), f64::from(x));
            }
        }
        let t = w.t();
        max_t = max_t.max(t.abs());
        println!(
            "  {name:>8}: n={:>8} mean first={:>8.1} last={:>8.1}  t={t:+.3}",
            (w.n[0] + w.n[1]) as u64,
            w.mean[0],
            w.mean[1]
        );
    }
    println!(
        "max |t| = {max_t:.3} ({})",
        if max_t < 4.5 {
            "below 4.5: no leak detected"
        } else {
            "ABOVE 4.5"
        }
    );
    std::process::exit(if max_t < 4.5 { 0 } else { 1 });
}
