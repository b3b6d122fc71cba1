//! Data-driven verification: the RFC 7515 example, PyJWT-minted vectors, and the table of
//! cases in `tests/vectors/verify_cases.json` covering every error kind and every step of
//! the verification order.

mod common;

use base64ct::Encoding as _;
use common::*;
use hfjwt::{ErrorKind, HeapReplayCache, Key, Policy, Verifier};
use serde_json::Value;

fn kind_name(r: &Result<hfjwt::Claims<'_>, hfjwt::Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.kind().as_str().into(),
    }
}

fn assert_claims(name: &str, got: &hfjwt::Claims<'_>, want: &Value) {
    assert_eq!(got.email, want["email"].as_str(), "{name}: email");
    assert_eq!(got.name, want["name"].as_str(), "{name}: name");
    assert_eq!(Some(got.iat), want["iat"].as_u64(), "{name}: iat");
    assert_eq!(Some(got.jti), want["jti"].as_str(), "{name}: jti");
}

#[test]
fn rfc7515_appendix_a1_signature_verifies() {
    // RFC 7515 A.1: the JWK's "k", base64url.
    let key = base64ct::Base64UrlUnpadded::decode_vec(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    )
    .unwrap();
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let verifier: Verifier = Verifier::new(Key::new(&key).unwrap());
    let mut scratch = [0u8; 512];
    // The signature check passes; the RFC's claims have no `iat`, which HappyFox requires,
    // and claims are judged only after the MAC.
    let err = verifier
        .check(token, 1_300_819_000, &mut scratch)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingClaim, "{err}");
    // One flipped bit in the signature is caught before the claims.
    let tampered = token.replace("dBjftJeZ4CVP", "dBjftJeZ4CVQ");
    let err = verifier
        .check(&tampered, 1_300_819_000, &mut scratch)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadSignature);
}

#[test]
fn pyjwt_minted_vectors() {
    let file = vectors("pyjwt.json");
    let list = file["vectors"].as_array().unwrap();
    assert!(list.len() >= 30);
    for v in list {
        let name = v["name"].as_str().unwrap();
        let key = Key::new(v["key"].as_str().unwrap().as_bytes()).unwrap();
        let mut verifier: Verifier<HeapReplayCache> = Verifier::with_parts(
            key,
            Policy::new(),
            hfjwt::AnyDomain,
            HeapReplayCache::new(8),
        );
        let mut scratch = [0u8; 4096];
        let r = verifier.verify(
            v["token"].as_str().unwrap(),
            v["now"].as_u64().unwrap(),
            &mut scratch,
        );
        assert_eq!(
            kind_name(&r),
            v["expect"].as_str().unwrap(),
            "{name}: {r:?}"
        );
        if let Ok(c) = r {
            assert_claims(name, &c, &v["claims"]);
        }
    }
}

/// Applies a case's `tweak` and returns the token.
fn build(case: &Value, key: &[u8], wrong_key: &[u8]) -> String {
    if let Some(t) = case["token"].as_str() {
        return t.to_string();
    }
    let header = case["header"].as_str().unwrap();
    let payload = case["payload"].as_str().unwrap();
    let mut h = b64(header.as_bytes());
    let mut p = b64(payload.as_bytes());
    let tweak = case["tweak"].as_str().unwrap_or("");
    match tweak {
        "pad_header" => h.push_str(if h.len().is_multiple_of(4) {
            "=="
        } else {
            &"=="[..4 - h.len() % 4]
        }),
        "std_alphabet_payload" => p.replace_range(0..1, "+"),
        "space_in_payload" => p.insert(p.len() / 2, ' '),
        _ => {}
    }
    let input = format!("{h}.{p}");
    let mut sig = sign(if tweak == "wrong_key" { wrong_key } else { key }, &input);
    match tweak {
        "pad_signature" => sig.push('='),
        "sig_extra_char" => sig.push('A'),
        "sig_missing_char" => {
            sig.pop();
        }
        "tamper_first" | "tamper_last" => {
            let mut raw = base64ct::Base64UrlUnpadded::decode_vec(&sig).unwrap();
            let i = if tweak == "tamper_first" {
                0
            } else {
                raw.len() - 1
            };
            raw[i] ^= 0x01;
            sig = b64(&raw);
        }
        "noncanonical_signature" => {
            // The 43rd character carries 4 data bits and 2 bits that must be zero.
            const ALPHABET: &str =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let last = sig.pop().unwrap();
            let idx = ALPHABET.find(last).unwrap();
            sig.push(ALPHABET.as_bytes()[idx | 1] as char);
        }
        _ => {}
    }
    let mut token = format!("{input}.{sig}");
    match tweak {
        "extra_segment" => token = format!("{token}.{sig}"),
        "trailing_newline" => token.push('\n'),
        _ => {}
    }
    token
}

#[test]
fn verification_table_covers_every_kind_and_step() {
    let file = vectors("verify_cases.json");
    let key = file["key"].as_str().unwrap().as_bytes();
    let wrong = file["wrong_key"].as_str().unwrap().as_bytes();
    let now = file["now"].as_u64().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let policy_json = &case["policy"];
        let mut policy = Policy::new();
        if let Some(v) = policy_json["max_age"].as_u64() {
            policy = policy.max_age(v);
        }
        if let Some(v) = policy_json["leeway"].as_u64() {
            policy = policy.leeway(v);
        }
        if let Some(v) = policy_json["max_token_len"].as_u64() {
            policy = policy.max_token_len(v as usize);
        }
        if let Some(v) = policy_json["require_email"].as_bool() {
            policy = policy.require_email(v);
        }
        if let Some(v) = policy_json["audience"].as_str() {
            policy = policy.audience(v).unwrap();
        }
        if policy_json["ignore_audience"].as_bool() == Some(true) {
            policy = policy.ignore_audience();
        }
        let domains: Option<Vec<String>> = policy_json["allowed_domains"]
            .as_array()
            .map(|a| a.iter().map(|d| d.as_str().unwrap().to_string()).collect());
        let mut verifier = Verifier::with_parts(
            Key::new(key).unwrap(),
            policy,
            domains,
            HeapReplayCache::new(4),
        );
        let token = build(case, key, wrong);
        let mut scratch = vec![0u8; case["scratch"].as_u64().unwrap_or(4096) as usize];
        let r = verifier.verify(&token, now, &mut scratch);
        let expect = case["expect"].as_str().unwrap();
        assert_eq!(kind_name(&r), expect, "{name}: {r:?} token={token:?}");
        if let Err(e) = &r {
            // Messages name the part, never echo the token.
            assert!(
                !e.to_string().contains(&token[..token.len().min(20)]) || token.len() < 20,
                "{name}"
            );
        }
        if let (Ok(c), Some(want)) = (&r, case.get("claims")) {
            assert_claims(name, c, want);
        }
        seen.insert(expect.to_string());
    }
    // Every kind a single verification can produce appears in the table; replayed and
    // replay_cache_full need a sequence (tests/replay.rs), weak_key a constructor, and
    // replay_store_unavailable a shared store that is down (replay-redis/tests), and
    // invalid_config comes from building a site, a path or a policy, never from a token.
    for kind in ErrorKind::ALL {
        let k = kind.as_str();
        if ![
            "replayed",
            "replay_cache_full",
            "weak_key",
            "replay_store_unavailable",
            "invalid_config",
        ]
        .contains(&k)
        {
            assert!(seen.contains(k), "no case expects {k}");
        }
    }
}

#[test]
fn weak_keys_are_refused_with_their_kind() {
    for k in [&b""[..], b"short", b"0123456789abcdef0123456789abcde"] {
        assert_eq!(Key::new(k).unwrap_err().kind(), ErrorKind::WeakKey);
    }
}
