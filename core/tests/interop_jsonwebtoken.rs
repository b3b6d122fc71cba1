//! Interoperability with the `jsonwebtoken` crate, both directions.

mod common;

use common::*;
use hfjwt::{Grant, Key, Verifier, mint, token_len};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct HappyFoxClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    email: String,
    iat: u64,
    jti: String,
}

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    // HappyFox tokens carry no exp; jsonwebtoken requires one unless told otherwise.
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v
}

#[test]
fn tokens_minted_by_hfjwt_decode_with_jsonwebtoken() {
    let key = Key::new(KEY).unwrap();
    for (name, email) in [
        (Some("John Doe"), "john@john.com"),
        (Some("José \"Pepe\" 😀\n"), "josé@exämple.de"),
        (None, "a@b.co"),
    ] {
        let mut grant = Grant::new(email, 1_717_740_457, "2c65fe8c-2494-11ef");
        grant.name = name;
        let mut buf = vec![0u8; token_len(&grant)];
        let token = mint(&key, &grant, &mut buf).unwrap();
        let data = jsonwebtoken::decode::<HappyFoxClaims>(
            token,
            &DecodingKey::from_secret(KEY).unwrap(),
            &validation(),
        )
        .unwrap();
        assert_eq!(data.header.alg, Algorithm::HS256);
        assert_eq!(data.header.typ.as_deref(), Some("JWT"));
        assert_eq!(
            data.claims,
            HappyFoxClaims {
                name: name.map(String::from),
                email: email.into(),
                iat: 1_717_740_457,
                jti: "2c65fe8c-2494-11ef".into()
            }
        );
    }
}

#[test]
fn tokens_encoded_by_jsonwebtoken_verify_with_hfjwt() {
    let claims = HappyFoxClaims {
        name: Some("Zoë 李".into()),
        email: "zoe@acme.com".into(),
        iat: 1_717_740_457,
        jti: "j-42".into(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(KEY).unwrap(),
    )
    .unwrap();
    let mut verifier: Verifier = Verifier::new(Key::new(KEY).unwrap());
    let mut scratch = [0u8; 1024];
    let got = verifier
        .verify(&token, 1_717_740_500, &mut scratch)
        .unwrap();
    assert_eq!(got.name, Some("Zoë 李"));
    assert_eq!(got.email, Some("zoe@acme.com"));
    assert_eq!((got.iat, got.jti), (1_717_740_457, "j-42"));
    // jsonwebtoken with another key: refused as a bad signature.
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(OTHER_KEY).unwrap(),
    )
    .unwrap();
    assert_eq!(
        verifier
            .verify(&forged, 1_717_740_500, &mut scratch)
            .unwrap_err()
            .kind(),
        hfjwt::ErrorKind::BadSignature
    );
}
