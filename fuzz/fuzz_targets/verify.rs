//! Verify arbitrary bytes under an arbitrary policy, clock and allow-list.
//!
//! Input: a 16-byte configuration prefix (read with `arbitrary`), then either a raw token
//! (mode even) or `header NUL payload` / `payload` JSON that the harness signs with the
//! verifier's key (mode odd), so the fuzzer reaches the claims, time, domain and replay checks
//! behind the MAC. Invariants checked on top of "never panics":
//! - `check` and a fresh `verify` agree; an accepted token is refused as `replayed` the second
//!   time; its claims satisfy the policy (time window, email syntax, allow-list, non-empty jti,
//!   audience: none when the policy has none, one naming it when it has one);
//! - a token signed with another key, or with one signature bit flipped, is never accepted, and
//!   is `bad_signature` whenever the genuine token got past the MAC.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use hfjwt::{ErrorKind, Key, Policy, ReplayCache, Verifier, email_domain, is_valid_email};
use hfjwt_fuzz::{HEADER_JSON, KEY, OTHER_KEY, sign, split_nul};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Config {
    mode: u8,
    now: u64,
    max_age: u16,
    leeway: u8,
    max_token_len: u16,
    flags: u8,
    scratch_delta: i8,
    flip: u16,
}

const CONFIG_LEN: usize = 1 + 8 + 2 + 1 + 2 + 1 + 1 + 2;

fuzz_target!(|data: &[u8]| {
    let Some(prefix) = data.get(..CONFIG_LEN) else {
        return;
    };
    let Ok(cfg) = Config::arbitrary(&mut Unstructured::new(prefix)) else {
        return;
    };
    let rest = &data[CONFIG_LEN..];

    let mut policy = Policy::new()
        .max_age(u64::from(cfg.max_age))
        .leeway(u64::from(cfg.leeway))
        .require_email(cfg.flags & 1 == 1);
    if cfg.max_token_len != 0 {
        policy = policy.max_token_len(usize::from(cfg.max_token_len));
    }
    // The audience rule (flag bits 3-4): none (tokens with aud refused), ignored, or one of two.
    let audience = match (cfg.flags >> 3) & 3 {
        0 => None,
        1 => {
            policy = policy.ignore_audience();
            None
        }
        2 => Some("kiosk-a"),
        _ => Some("jo@acme.com"),
    };
    if let Some(a) = audience {
        policy = policy.audience(a).unwrap();
    }

    // The allow-list: none, empty, fixed, or the `,`-separated text after a second NUL.
    let (body, list_text) = if cfg.mode & 1 == 1 {
        (rest, None)
    } else {
        match split_nul(rest) {
            (t, Some(l)) => (t, Some(l)),
            (t, None) => (t, None),
        }
    };
    let list_owned: Vec<String> = list_text
        .map(|l| {
            String::from_utf8_lossy(l)
                .split(',')
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let domains: Option<Vec<&str>> = match (cfg.flags >> 1) & 3 {
        0 => None,
        1 => Some(vec![]),
        2 => Some(vec!["acme.com", "Example.ORG"]),
        _ => Some(list_owned.iter().map(String::as_str).collect()),
    };

    // The token: raw bytes, or a header/payload pair signed with the right key.
    let (token, forged): (Vec<u8>, Option<Vec<u8>>) = if cfg.mode & 1 == 0 {
        (body.to_vec(), None)
    } else {
        let (header, payload) = match split_nul(body) {
            (h, Some(p)) => (h, p),
            (p, None) => (HEADER_JSON, p),
        };
        let good = sign(KEY, header, payload);
        let forged = if cfg.mode & 2 == 0 {
            sign(OTHER_KEY, header, payload).into_bytes()
        } else {
            flip_signature_bit(&good, cfg.flip)
        };
        (good.into_bytes(), Some(forged))
    };

    let key = Key::new(KEY).unwrap();
    let mut verifier = Verifier::<ReplayCache<4>>::new(key)
        .with_policy(policy)
        .with_allowed_domains(domains.clone());
    let need = hfjwt::scratch_len(token.len());
    let scratch_len = need.saturating_add_signed(isize::from(cfg.scratch_delta));
    let mut scratch = vec![0u8; scratch_len];
    let mut scratch2 = vec![0u8; scratch_len];

    let checked = verifier
        .check(&token, cfg.now, &mut scratch2)
        .map(|c| c.jti.to_owned());
    let verified = verifier.verify(&token, cfg.now, &mut scratch);
    match (&verified, &checked) {
        (Ok(c), Ok(jti)) => assert_eq!(c.jti, jti),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("check and verify disagree: {verified:?} vs {checked:?}"),
    }

    let passed_mac = match &verified {
        Ok(c) => {
            // The claims satisfy the policy.
            assert!(!c.jti.is_empty());
            assert!(c.iat <= cfg.now.saturating_add(policy.leeway_seconds()));
            assert!(cfg.now.saturating_sub(c.iat) <= policy.window());
            assert!(token.len() <= policy.max_token_bytes());
            match audience {
                Some(a) => assert!(c.aud.is_some_and(|aud| aud.contains(a)), "{:?}", c.aud),
                None if !policy.ignores_audience() => assert!(c.aud.is_none()),
                None => {}
            }
            if let Some(e) = c.email {
                assert!(is_valid_email(e), "{e:?}");
                if let Some(list) = &domains {
                    assert!(list.iter().any(|d| d.eq_ignore_ascii_case(email_domain(e))));
                }
            } else {
                assert!(!policy_requires_email(&cfg) && domains.is_none());
            }
            // The same token again is a replay.
            let mut scratch = vec![0u8; scratch_len];
            let again = verifier.verify(&token, cfg.now, &mut scratch).unwrap_err();
            assert_eq!(again.kind(), ErrorKind::Replayed);
            true
        }
        Err(e) => !matches!(
            e.kind(),
            ErrorKind::TooLarge
                | ErrorKind::Malformed
                | ErrorKind::UnsupportedAlgorithm
                | ErrorKind::BadSignature
                | ErrorKind::BufferTooSmall
        ),
    };

    if let Some(forged) = forged {
        let key = Key::new(KEY).unwrap();
        let mut fresh = Verifier::<ReplayCache<4>>::new(key)
            .with_policy(policy)
            .with_allowed_domains(domains);
        let mut scratch = vec![0u8; hfjwt::scratch_len(forged.len()).max(scratch_len)];
        let r = fresh.verify(&forged, cfg.now, &mut scratch);
        assert!(r.is_err(), "forged token accepted");
        if passed_mac {
            assert_eq!(r.unwrap_err().kind(), ErrorKind::BadSignature);
        }
    }
});

fn policy_requires_email(cfg: &Config) -> bool {
    cfg.flags & 1 == 1
}

/// The token with one bit of its decoded signature flipped (re-encoded canonically).
fn flip_signature_bit(token: &str, flip: u16) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let dot = token.rfind('.').unwrap();
    let mut sig = Base64UrlUnpadded::decode_vec(&token[dot + 1..]).unwrap();
    let bit = usize::from(flip) % (sig.len() * 8);
    sig[bit / 8] ^= 1 << (bit % 8);
    let mut out = token[..=dot].to_owned();
    out.push_str(&Base64UrlUnpadded::encode_string(&sig));
    out.into_bytes()
}
