//! mint → verify: whatever `mint` accepts must verify to the same claims.
//!
//! Input: `iat` (8 bytes, read with `arbitrary`), a flags byte (bit 0: has a name), then
//! `email NUL jti NUL name` as bytes, turned into arbitrary Unicode with lossy UTF-8 decoding.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use hfjwt::{
    ErrorKind, Grant, Key, Policy, ReplayCache, Verifier, is_valid_email, mint, token_len,
};
use hfjwt_fuzz::KEY;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(prefix) = data.get(..9) else { return };
    let mut u = Unstructured::new(prefix);
    let (Ok(iat), Ok(flags)) = (u64::arbitrary(&mut u), u8::arbitrary(&mut u)) else {
        return;
    };
    let mut fields = data[9..].split(|&c| c == 0).map(String::from_utf8_lossy);
    let email = fields.next().unwrap_or_default();
    let jti = fields.next().unwrap_or_default();
    let name = fields.next().unwrap_or_default();

    let mut grant = Grant::new(&email, iat, &jti);
    if flags & 1 == 1 {
        grant = grant.with_name(&name);
    }
    let key = Key::new(KEY).unwrap();
    let need = token_len(&grant);
    let mut buf = vec![0u8; need + usize::from(flags >> 4)];
    let token = match mint(&key, &grant, &mut buf) {
        Ok(t) => t.to_owned(),
        Err(e) => {
            // Refused only for the documented reasons.
            match e.kind() {
                ErrorKind::InvalidClaim => assert!(!is_valid_email(&email) || jti.is_empty()),
                k => panic!("mint refused a valid grant with {k:?}"),
            }
            return;
        }
    };
    assert_eq!(token.len(), need, "token_len disagrees with mint");
    // One byte short is BufferTooSmall, never a panic or a truncated token.
    if need > 0 {
        let mut short = vec![0u8; need - 1];
        assert_eq!(
            mint(&key, &grant, &mut short).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
    }

    let mut verifier = Verifier::<ReplayCache<2>>::new(key)
        .with_policy(Policy::new().max_token_len(usize::MAX).require_email(true));
    let mut scratch = vec![0u8; hfjwt::scratch_len(token.len())];
    let claims = verifier
        .verify(&token, iat, &mut scratch)
        .unwrap_or_else(|e| panic!("minted token refused: {e} ({token})"));
    assert_eq!(claims.email, Some(&*email));
    assert_eq!(claims.jti, &*jti);
    assert_eq!(claims.iat, iat);
    assert_eq!(claims.name, grant.name);
    assert_eq!((claims.exp, claims.nbf), (None, None));
});
