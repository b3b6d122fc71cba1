//! Audience binding (`aud`, RFC 7519 §4.1.3) through minting and the whole verifier: the
//! kiosk-fleet case where a code minted for kiosk A must not sign anyone in at kiosk B.

mod common;

use common::*;
use hfjwt::{
    ErrorKind, Grant, Key, MAX_AUDIENCE_LEN, Policy, ReplayCache, ReplayStore, Verifier, mint,
};

const NOW: u64 = 1_700_000_000;

fn kiosk(audience: &str) -> Verifier<ReplayCache<8>> {
    Verifier::new(Key::new(KEY).unwrap()).with_policy(Policy::new().audience(audience).unwrap())
}

fn minted(grant: &Grant<'_>) -> String {
    let mut buf = [0u8; 512];
    mint(&Key::new(KEY).unwrap(), grant, &mut buf)
        .unwrap()
        .to_string()
}

fn kind<T>(r: Result<T, hfjwt::Error>) -> Option<ErrorKind> {
    r.err().map(|e| e.kind())
}

#[test]
fn a_code_for_kiosk_a_signs_in_at_a_only_and_b_does_not_consume_it() {
    let token = minted(&Grant::new("jo@acme.com", NOW, "code-1").with_audience("kiosk-a"));
    let (mut a, mut b) = (kiosk("kiosk-a"), kiosk("kiosk-b"));
    let mut s = [0u8; 512];
    // Refused at B first: the refusal records nothing, so A still accepts it afterwards.
    let refused = b.verify_detailed(&token, NOW + 1, &mut s).unwrap_err();
    assert_eq!(refused.error.kind(), ErrorKind::WrongAudience);
    assert_eq!(
        refused.claims.map(|c| c.jti),
        Some("code-1"),
        "authentic claims ride along"
    );
    assert_eq!(b.replay_store().len(), 0);
    let mut s = [0u8; 512];
    let claims = a.verify(&token, NOW + 2, &mut s).unwrap();
    assert_eq!(claims.aud.and_then(|a| a.as_single()), Some("kiosk-a"));
    let mut s = [0u8; 512];
    assert_eq!(
        kind(a.verify(&token, NOW + 3, &mut s)),
        Some(ErrorKind::Replayed)
    );
}

#[test]
fn without_an_audience_a_token_that_names_one_is_refused_unless_ignored() {
    let token = minted(&Grant::new("jo@acme.com", NOW, "code-2").with_audience("kiosk-a"));
    let mut plain: Verifier = Verifier::new(Key::new(KEY).unwrap());
    let mut s = [0u8; 512];
    assert_eq!(
        kind(plain.verify(&token, NOW, &mut s)),
        Some(ErrorKind::WrongAudience)
    );
    let mut ignoring: Verifier =
        Verifier::new(Key::new(KEY).unwrap()).with_policy(Policy::new().ignore_audience());
    assert!(ignoring.policy().ignores_audience());
    let mut s = [0u8; 512];
    assert!(ignoring.verify(&token, NOW, &mut s).is_ok());
}

#[test]
fn an_audience_policy_requires_aud() {
    let token = minted(&Grant::new("jo@acme.com", NOW, "code-3"));
    let mut s = [0u8; 512];
    let e = kiosk("kiosk-a").verify(&token, NOW, &mut s).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingClaim);
    assert_eq!(e.reason(), hfjwt::Reason::ClaimMissing(hfjwt::Claim::Aud));
    assert_eq!(e.to_string(), "aud is missing");
}

#[test]
fn arrays_match_any_element_after_unescaping() {
    let payload =
        r#"{"email":"jo@acme.com","iat":1700000000,"jti":"j","aud":["kiosk-b","kiosk\u002da"]}"#;
    let token = token(KEY, HEADER, payload);
    let mut s = [0u8; 512];
    let claims = kiosk("kiosk-a").verify(&token, NOW, &mut s).unwrap();
    let aud = claims.aud.unwrap();
    assert!(aud.contains("kiosk-a") && aud.contains("kiosk-b") && !aud.contains("kiosk"));
    assert_eq!(aud.as_single(), None);
    assert_eq!(aud.array_json(), Some(r#"["kiosk-b","kiosk\u002da"]"#));
    let mut s = [0u8; 512];
    assert_eq!(
        kind(kiosk("kiosk-c").verify(&token, NOW, &mut s)),
        Some(ErrorKind::WrongAudience)
    );
}

#[test]
fn audience_configuration_limits() {
    assert_eq!(
        Policy::new().audience("").unwrap_err().kind(),
        ErrorKind::InvalidConfig
    );
    let longest = "k".repeat(MAX_AUDIENCE_LEN);
    assert_eq!(
        Policy::new()
            .audience(&longest)
            .unwrap()
            .required_audience(),
        Some(longest.as_str())
    );
    let too_long = "k".repeat(MAX_AUDIENCE_LEN + 1);
    assert_eq!(
        Policy::new().audience(&too_long).unwrap_err().kind(),
        ErrorKind::InvalidConfig
    );
    // Multi-byte UTF-8 is kept whole.
    let p = Policy::new().audience("kiosk-é").unwrap();
    assert_eq!(p.required_audience(), Some("kiosk-é"));
    assert_eq!(Policy::new().required_audience(), None);
    assert!(!Policy::new().ignores_audience());
    // Setting an audience after ignore_audience (or the reverse) keeps the last word.
    assert_eq!(
        Policy::new()
            .ignore_audience()
            .audience("a")
            .unwrap()
            .required_audience(),
        Some("a")
    );
    assert!(
        Policy::new()
            .audience("a")
            .unwrap()
            .ignore_audience()
            .ignores_audience()
    );
}

#[test]
fn minting_an_audience() {
    let key = Key::new(KEY).unwrap();
    let mut buf = [0u8; 512];
    let e = mint(
        &key,
        &Grant::new("jo@acme.com", NOW, "j").with_audience(""),
        &mut buf,
    );
    assert_eq!(kind(e), Some(ErrorKind::InvalidClaim));
    // Quotes and controls in the audience are escaped, and read back as written.
    let aud = "kiosk \"a\"\n";
    let g = Grant::new("jo@acme.com", NOW, "j").with_audience(aud);
    let token = minted(&g);
    assert_eq!(token.len(), hfjwt::token_len(&g));
    let mut s = [0u8; 512];
    let claims = kiosk(aud).verify(&token, NOW, &mut s).unwrap();
    assert_eq!(claims.aud.and_then(|a| a.as_single()), Some(aud));
}
