//! Replay behaviour through the whole verifier, and a million-jti model check of the cache.

mod common;

use std::collections::HashMap;

use common::*;
use hfjwt::{ErrorKind, HeapReplayCache, Key, Policy, ReplayCache, ReplayStore, Verifier};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn kind<T>(r: Result<T, hfjwt::Error>) -> Option<ErrorKind> {
    r.err().map(|e| e.kind())
}

fn verifier<const N: usize>() -> Verifier<ReplayCache<N>> {
    Verifier::new(Key::new(KEY).unwrap())
}

const NOW: u64 = 1_700_000_000;

#[test]
fn forged_expired_or_refused_tokens_do_not_poison_the_cache() {
    let mut v = verifier::<8>().with_allowed_domains(["acme.com"]);
    let mut s = [0u8; 1024];
    let genuine = token(KEY, HEADER, &payload("jo@acme.com", NOW, "shared-jti"));
    let forged = token(
        OTHER_KEY,
        HEADER,
        &payload("jo@acme.com", NOW, "shared-jti"),
    );
    let late = token(
        KEY,
        HEADER,
        &payload("jo@acme.com", NOW - 500, "shared-jti"),
    );
    let foreign = token(KEY, HEADER, &payload("jo@evil.com", NOW, "shared-jti"));
    assert_eq!(
        kind(v.verify(&forged, NOW, &mut s)),
        Some(ErrorKind::BadSignature)
    );
    assert_eq!(kind(v.verify(&late, NOW, &mut s)), Some(ErrorKind::Expired));
    assert_eq!(
        kind(v.verify(&foreign, NOW, &mut s)),
        Some(ErrorKind::DomainNotAllowed)
    );
    assert_eq!(v.replay_store().len(), 0);
    assert_eq!(kind(v.verify(&genuine, NOW, &mut s)), None);
    assert_eq!(
        kind(v.verify(&genuine, NOW + 1, &mut s)),
        Some(ErrorKind::Replayed)
    );
}

#[test]
fn same_jti_in_a_differently_encoded_token_is_still_a_replay() {
    // The cache is keyed on the verified jti, not the token text.
    let mut v = verifier::<8>();
    let mut s = [0u8; 1024];
    let a = token(KEY, HEADER, &payload("jo@acme.com", NOW, "j"));
    let b = token(
        KEY,
        r#"{"typ":"JWT","alg":"HS256"}"#,
        r#"{"jti":"\u006a","iat":1700000000,"email":"jo@acme.com"}"#,
    );
    assert_ne!(a, b);
    assert_eq!(kind(v.verify(&a, NOW, &mut s)), None);
    assert_eq!(kind(v.verify(&b, NOW, &mut s)), Some(ErrorKind::Replayed));
}

#[test]
fn full_of_live_entries_fails_closed_then_recovers() {
    let mut v = verifier::<4>();
    let mut s = [0u8; 1024];
    for i in 0..4 {
        let t = token(KEY, HEADER, &payload("jo@acme.com", NOW, &format!("j{i}")));
        assert_eq!(kind(v.verify(&t, NOW + i, &mut s)), None);
    }
    let fifth = token(KEY, HEADER, &payload("jo@acme.com", NOW + 5, "j4"));
    assert_eq!(
        kind(v.verify(&fifth, NOW + 5, &mut s)),
        Some(ErrorKind::ReplayCacheFull)
    );
    // The full cache forgot nothing.
    let first = token(KEY, HEADER, &payload("jo@acme.com", NOW, "j0"));
    assert_eq!(
        kind(v.verify(&first, NOW + 100, &mut s)),
        Some(ErrorKind::Replayed)
    );
    // Once the first tokens can no longer pass the window, there is room again.
    let later = token(KEY, HEADER, &payload("jo@acme.com", NOW + 121, "j5"));
    assert_eq!(kind(v.verify(&later, NOW + 121, &mut s)), None);
}

#[test]
fn entries_expire_with_their_tokens() {
    let mut v = verifier::<2>();
    let mut s = [0u8; 1024];
    let t1 = token(KEY, HEADER, &payload("jo@acme.com", NOW, "j"));
    assert_eq!(kind(v.verify(&t1, NOW, &mut s)), None);
    assert_eq!(
        kind(v.verify(&t1, NOW + 120, &mut s)),
        Some(ErrorKind::Replayed)
    );
    assert_eq!(
        kind(v.verify(&t1, NOW + 121, &mut s)),
        Some(ErrorKind::Expired)
    );
    // A new token reusing the jti once the old one is dead is a new sign-in.
    let t2 = token(KEY, HEADER, &payload("jo@acme.com", NOW + 121, "j"));
    assert_eq!(kind(v.verify(&t2, NOW + 121, &mut s)), None);
}

#[test]
fn memory_horizon_refuses_tokens_from_before_a_reboot() {
    let mut v = verifier::<8>().with_policy(Policy::new().leeway(2));
    v.remember_from(NOW);
    let mut s = [0u8; 1024];
    let before = token(KEY, HEADER, &payload("jo@acme.com", NOW - 3, "a"));
    let at_edge = token(KEY, HEADER, &payload("jo@acme.com", NOW - 2, "b"));
    let err = v.verify(&before, NOW, &mut s).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Replayed);
    assert!(err.to_string().contains("started remembering"), "{err}");
    assert_eq!(kind(v.verify(&at_edge, NOW, &mut s)), None);
}

#[test]
fn a_million_random_jtis_over_simulated_time_never_accept_a_live_duplicate() {
    // 100 tokens a second for 10,000 simulated seconds, jtis drawn from 50,000 values so that
    // collisions are frequent; a HashMap is the reference model.
    const WINDOW: u64 = 120;
    let mut cache = HeapReplayCache::new(16_384);
    let mut model: HashMap<u32, u64> = HashMap::new();
    let mut rng = StdRng::seed_from_u64(7);
    let (mut accepted, mut replayed) = (0u64, 0u64);
    for i in 0..1_000_000u64 {
        let now = NOW + i / 100;
        let jti_n: u32 = rng.random_range(0..50_000);
        let iat = now - rng.random_range(0..=WINDOW);
        let jti = format!("jti-{jti_n}");
        let live_until = iat + WINDOW;
        let live_in_model = model.get(&jti_n).is_some_and(|&until| until >= now);
        match cache.record(&jti, live_until, now) {
            Ok(()) => {
                assert!(
                    !live_in_model,
                    "jti {jti_n} accepted twice while live at {now}"
                );
                model.insert(jti_n, live_until);
                accepted += 1;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Replayed, "{e}");
                assert!(
                    live_in_model,
                    "jti {jti_n} refused although not live at {now}"
                );
                replayed += 1;
            }
        }
    }
    assert!(
        accepted > 400_000 && replayed > 100_000,
        "{accepted} {replayed}"
    );
}

#[test]
fn detailed_rejections_carry_claims_only_when_the_signature_verified() {
    let mut v = verifier::<8>().with_allowed_domains(["acme.com"]);
    let mut s = [0u8; 1024];
    let forged = token(OTHER_KEY, HEADER, &payload("jo@acme.com", NOW, "f"));
    let r = v.verify_detailed(&forged, NOW, &mut s).unwrap_err();
    assert_eq!((r.error.kind(), r.claims), (ErrorKind::BadSignature, None));
    let late = token(KEY, HEADER, &payload("jo@acme.com", NOW - 500, "late"));
    let r = v.verify_detailed(&late, NOW, &mut s).unwrap_err();
    assert_eq!(r.error.kind(), ErrorKind::Expired);
    assert_eq!(r.claims.map(|c| c.jti), Some("late"));
    let foreign = token(KEY, HEADER, &payload("jo@evil.com", NOW, "x"));
    let r = v.verify_detailed(&foreign, NOW, &mut s).unwrap_err();
    assert_eq!(
        (r.error.kind(), r.claims.and_then(|c| c.email)),
        (ErrorKind::DomainNotAllowed, Some("jo@evil.com"))
    );
    let ok = token(KEY, HEADER, &payload("jo@acme.com", NOW, "ok"));
    assert!(v.verify_detailed(&ok, NOW, &mut s).is_ok());
    let r = v.verify_detailed(&ok, NOW, &mut s).unwrap_err();
    assert_eq!(
        (r.error.kind(), r.claims.map(|c| c.jti)),
        (ErrorKind::Replayed, Some("ok"))
    );
    assert_eq!(r.to_string(), r.error.to_string());
}
