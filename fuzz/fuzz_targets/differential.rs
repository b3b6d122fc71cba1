//! Differential: the claims hfjwt decodes from an accepted token equal serde_json's reading of
//! the same payload.
//!
//! Input: the payload JSON bytes; the harness signs them under the standard header, and the
//! verifier's policy lets every `iat` through and ignores the audience, so acceptance depends
//! on the JSON alone.
#![no_main]

use hfjwt::{Key, Policy, ReplayCache, Verifier};
use hfjwt_fuzz::{HEADER_JSON, KEY, sign};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|payload: &[u8]| {
    let token = sign(KEY, HEADER_JSON, payload);
    let mut verifier = Verifier::<ReplayCache<1>>::new(Key::new(KEY).unwrap()).with_policy(
        Policy::new()
            .max_age(u64::MAX)
            .leeway(u64::MAX)
            .max_token_len(usize::MAX)
            .require_email(false)
            .ignore_audience(),
    );
    let mut scratch = vec![0u8; hfjwt::scratch_len(token.len())];
    let Ok(claims) = verifier.verify(&token, 0, &mut scratch) else {
        return;
    };

    let doc: Value = match serde_json::from_slice(payload) {
        Ok(v) => v,
        // serde_json (without arbitrary_precision) cannot hold numbers beyond f64 in an
        // ignored claim, which hfjwt only syntax-checks; anything else is a disagreement.
        Err(e) if e.to_string().starts_with("number out of range") => return,
        Err(e) => panic!("hfjwt accepted a payload serde_json refuses: {e}"),
    };
    let obj = doc.as_object().expect("hfjwt accepted a non-object");
    assert_eq!(obj.get("jti").and_then(Value::as_str), Some(claims.jti));
    assert_eq!(obj.get("iat").and_then(Value::as_u64), Some(claims.iat));
    assert_eq!(obj.get("email").and_then(Value::as_str), claims.email);
    assert_eq!(obj.get("name").and_then(Value::as_str), claims.name);
    // aud: a string, or an array of strings (each named by `contains`); "" and [] are none.
    match obj.get("aud") {
        None => assert_eq!(claims.aud, None),
        Some(Value::String(s)) if s.is_empty() => assert_eq!(claims.aud, None),
        Some(Value::String(s)) => {
            let aud = claims.aud.expect("aud read");
            assert_eq!(aud.as_single(), Some(s.as_str()));
            assert!(aud.contains(s));
        }
        Some(Value::Array(items)) if items.is_empty() => assert_eq!(claims.aud, None),
        Some(Value::Array(items)) => {
            let aud = claims.aud.expect("aud read");
            let json = aud.array_json().expect("an array");
            assert_eq!(
                serde_json::from_str::<Value>(json).ok().as_ref(),
                obj.get("aud")
            );
            for item in items {
                assert!(aud.contains(item.as_str().expect("hfjwt accepted a non-string aud")));
            }
        }
        Some(other) => panic!("hfjwt accepted aud {other}"),
    }
    for (name, got) in [("exp", claims.exp), ("nbf", claims.nbf)] {
        match obj.get(name) {
            None => assert_eq!(got, None),
            // An integer literal reads the same; a fraction is rounded toward refusal by
            // hfjwt: `exp` down (it ends sooner), `nbf` up (it starts later).
            Some(v) => match v.as_u64() {
                Some(n) => assert_eq!(got, Some(n)),
                None => {
                    let (got, f) = (got.expect("date read"), v.as_f64().expect("a number"));
                    // serde_json's float parsing (without `float_roundtrip`) may land one unit
                    // in the last place off the correctly rounded double, which matters above
                    // 2^53: allow that much, no more (below 2^52 it is under 1).
                    let ulp = f.abs() * f64::EPSILON;
                    if name == "exp" {
                        assert!(got as f64 <= f + ulp, "exp {f} read as {got}");
                    } else {
                        assert!(got as f64 >= f - ulp, "nbf {f} read as {got}");
                    }
                }
            },
        }
    }
});
