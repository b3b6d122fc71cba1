//! Property tests: mint → verify round trips for arbitrary Unicode, and no input panics.

mod common;

use common::*;
use hfjwt::{
    Grant, HeapReplayCache, Key, Policy, ReplayCache, Verifier, is_valid_email, mint, token_len,
};
use proptest::prelude::*;

/// Characters allowed in an email local part: non-ASCII, or ASCII graphic but not specials.
fn local_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('!', '~').prop_filter("special", |c| !"\"(),:;<>@[\\]".contains(*c)),
        any::<char>().prop_filter("non-ascii", |c| !c.is_ascii()),
    ]
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?",
        prop::collection::vec(
            any::<char>().prop_filter("non-ascii", |c| !c.is_ascii()),
            1..6
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
}

fn email() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(local_char(), 1..16),
        prop::collection::vec(label(), 2..4),
    )
        .prop_map(|(local, labels)| {
            let local: String = local.into_iter().collect();
            format!("{local}@{}", labels.join("."))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mint_then_verify_round_trips(
        name in proptest::option::of(any::<String>()),
        email in email(),
        jti in any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
        iat in 0u64..=u64::MAX / 2,
        age in 0u64..=120,
    ) {
        prop_assume!(is_valid_email(&email));
        let key = Key::new(KEY).unwrap();
        let mut grant = Grant::new(&email, iat, &jti);
        grant.name = name.as_deref();
        let mut buf = vec![0u8; token_len(&grant)];
        let token = mint(&key, &grant, &mut buf).unwrap();
        let mut verifier = Verifier::with_parts(key, Policy::new().max_token_len(usize::MAX), hfjwt::AnyDomain, ReplayCache::<2>::new());
        let mut scratch = vec![0u8; hfjwt::scratch_len(token.len())];
        let claims = verifier.verify(token, iat + age, &mut scratch).unwrap();
        prop_assert_eq!(claims.name, name.as_deref());
        prop_assert_eq!(claims.email, Some(email.as_str()));
        prop_assert_eq!(claims.jti, jti.as_str());
        prop_assert_eq!(claims.iat, iat);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..700), now in any::<u64>()) {
        let verifier: Verifier<HeapReplayCache> = Verifier::with_parts(Key::new(KEY).unwrap(), Policy::new(), hfjwt::AnyDomain, HeapReplayCache::new(4));
        let mut scratch = [0u8; 1024];
        prop_assert!(verifier.check(&bytes, now, &mut scratch).is_err());
    }

    #[test]
    fn structured_garbage_never_panics(
        header in "\\PC{0,40}",
        payload in "[{}\\[\\]\",:0-9a-z\\\\u. -]{0,80}",
        now in any::<u64>(),
    ) {
        // Correctly signed, so the claims parser sees the garbage.
        let t = token(KEY, &header, &payload);
        let verifier: Verifier = Verifier::new(Key::new(KEY).unwrap());
        let mut scratch = [0u8; 1024];
        let _ = verifier.check(&t, now, &mut scratch);
    }

    #[test]
    fn any_change_to_a_valid_token_is_refused(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let t = token(KEY, HEADER, &payload("jo@acme.com", 1000, "j"));
        let mut bytes = t.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let verifier: Verifier = Verifier::new(Key::new(KEY).unwrap());
        let mut scratch = [0u8; 1024];
        prop_assert!(verifier.check(&t, 1000, &mut scratch).is_ok());
        prop_assert!(verifier.check(&bytes, 1000, &mut scratch).is_err());
    }
}

/// Verify hashes the signing input's blocks at places that depend on the payload's length
/// and shape (while decoding, and while reading the claims): every length of a portal's
/// extra claim, in each shape the compact reader skips, must verify, and must be refused
/// with one signature bit changed.
#[test]
fn tokens_of_every_length_and_shape_verify_and_a_changed_signature_is_refused() {
    let verifier: Verifier = Verifier::new(Key::new(KEY).unwrap());
    let mut scratch = vec![0u8; 4096];
    let claims = r#""name":"Jo","email":"jo@acme.com","iat":1000,"jti":"j-1""#;
    let step = if cfg!(miri) { 97 } else { 1 };
    for n in (0..=2600).step_by(step) {
        let groups: Vec<String> = (0..n / 13).map(|i| format!("\"g-{i:07}\"")).collect();
        let ints: Vec<String> = (0..n / 11).map(|i| format!("{}", i * 1_000_003)).collect();
        for payload in [
            format!(r#"{{{claims},"note":"{}"}}"#, "x".repeat(n)),
            format!(r#"{{"note":"{}",{claims}}}"#, "é".repeat(n / 2)),
            format!(r#"{{{claims},"groups":[{}]}}"#, groups.join(",")),
            format!(r#"{{"ids":[{}],{claims},"ok":true}}"#, ints.join(",")),
        ] {
            let t = token(KEY, HEADER, &payload);
            let c = verifier
                .check(&t, 1000, &mut scratch)
                .unwrap_or_else(|e| panic!("{} bytes: {e}", t.len()));
            assert_eq!((c.jti, c.email, c.iat), ("j-1", Some("jo@acme.com"), 1000));
            let mut bad = t.into_bytes();
            let i = bad.len() - 10;
            bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
            let e = verifier.check(&bad, 1000, &mut scratch).unwrap_err();
            assert_eq!(
                e.kind(),
                hfjwt::ErrorKind::BadSignature,
                "{} bytes",
                bad.len()
            );
        }
    }
}
