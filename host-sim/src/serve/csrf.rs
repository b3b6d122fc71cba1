//! The sample portal's anti-forgery tokens: every form it renders carries one in a hidden
//! field, and a POST without a valid one is refused (403) before anything is minted.
//!
//! A token is `<issued unix seconds>.<hex of the first 16 bytes of HMAC-SHA256(secret,
//! form ‖ issued)>`, with a secret drawn fresh at each start. It names the form it was made
//! for (the sign-in form's token does not work on the kiosk form) and expires after the
//! session lifetime. Nothing is stored per token, so rendering forms costs no memory.
//!
//! Decision: the token is not bound to a browser cookie. What it stops is a page on another
//! origin posting to the portal (the same-origin policy keeps it from reading a token); the
//! server listens on 127.0.0.1 only, so whoever could fetch a token for themselves already
//! runs code on this machine. A real portal, whose forms sit behind its own login, should
//! also bind the token to that session.

use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Bytes of the MAC kept in a token (128 bits).
const TAG_LEN: usize = 16;

/// The name of the hidden form field that carries the token.
pub const FIELD: &str = "csrf_token";

/// The portal's forms, each with tokens of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortalForm {
    /// The sign-in form at `/portal/login.html`.
    SignIn,
    /// The phone page's form (and its sign-out button) at `/portal/kiosk.html`.
    Kiosk,
}

impl PortalForm {
    fn label(self) -> &'static [u8] {
        match self {
            PortalForm::SignIn => b"portal-sign-in",
            PortalForm::Kiosk => b"portal-kiosk",
        }
    }
}

/// Why a form's token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrfRefusal {
    /// The form carried no token: it was not one of this portal's pages.
    Missing,
    /// The token is not one this server made for this form.
    Forged,
    /// The token is older than its lifetime (or dated in the future).
    Expired,
}

/// Makes and checks tokens with a per-process secret.
pub struct CsrfKey {
    secret: Zeroizing<[u8; 32]>,
    lifetime_secs: u64,
}

impl CsrfKey {
    /// A fresh random secret (from the OS, through `uuid`'s v4 generator); tokens live
    /// `lifetime_secs`.
    pub fn random(lifetime_secs: u64) -> Self {
        let mut secret = Zeroizing::new([0u8; 32]);
        secret[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        secret[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        CsrfKey {
            secret,
            lifetime_secs,
        }
    }

    fn mac(&self, form: PortalForm, issued: u64) -> HmacSha256 {
        // HMAC takes a key of any length, so this cannot fail; the fallback keeps it total.
        let mut mac = HmacSha256::new_from_slice(&*self.secret)
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        mac.update(form.label());
        mac.update(&[0]);
        mac.update(&issued.to_be_bytes());
        mac
    }

    /// A token for `form`, issued at `now` (Unix seconds).
    pub fn token(&self, form: PortalForm, now: u64) -> String {
        let tag = self.mac(form, now).finalize().into_bytes();
        let mut out = format!("{now}.");
        for b in tag.iter().take(TAG_LEN) {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// Whether `token` is this server's, for `form`, and still live at `now`. The MAC is
    /// compared in constant time.
    pub fn check(&self, form: PortalForm, token: &str, now: u64) -> Result<(), CsrfRefusal> {
        if token.is_empty() {
            return Err(CsrfRefusal::Missing);
        }
        let (issued, hex) = token.split_once('.').ok_or(CsrfRefusal::Forged)?;
        let issued: u64 = issued.parse().map_err(|_| CsrfRefusal::Forged)?;
        let tag = decode_hex(hex).ok_or(CsrfRefusal::Forged)?;
        self.mac(form, issued)
            .verify_truncated_left(&tag)
            .map_err(|_| CsrfRefusal::Forged)?;
        if issued > now || now - issued > self.lifetime_secs {
            return Err(CsrfRefusal::Expired);
        }
        Ok(())
    }
}

/// `TAG_LEN` bytes from lower-case hex.
fn decode_hex(hex: &str) -> Option<[u8; TAG_LEN]> {
    let digits = hex.as_bytes();
    if digits.len() != 2 * TAG_LEN {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; TAG_LEN];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn a_token_works_for_its_form_until_it_expires() {
        let key = CsrfKey::random(3600);
        let t = key.token(PortalForm::SignIn, NOW);
        assert_eq!(key.check(PortalForm::SignIn, &t, NOW), Ok(()));
        assert_eq!(key.check(PortalForm::SignIn, &t, NOW + 3600), Ok(()));
        assert_eq!(
            key.check(PortalForm::SignIn, &t, NOW + 3601),
            Err(CsrfRefusal::Expired)
        );
        assert_eq!(
            key.check(PortalForm::SignIn, &t, NOW - 1),
            Err(CsrfRefusal::Expired)
        );
        assert_eq!(
            key.check(PortalForm::Kiosk, &t, NOW),
            Err(CsrfRefusal::Forged)
        );
    }

    #[test]
    fn forged_or_missing_tokens_are_refused() {
        let key = CsrfKey::random(3600);
        let other = CsrfKey::random(3600);
        let t = key.token(PortalForm::Kiosk, NOW);
        assert_eq!(
            other.check(PortalForm::Kiosk, &t, NOW),
            Err(CsrfRefusal::Forged)
        );
        assert_eq!(
            key.check(PortalForm::Kiosk, "", NOW),
            Err(CsrfRefusal::Missing)
        );
        // A changed issue time breaks the MAC.
        let (_, tag) = t.split_once('.').unwrap();
        let moved = format!("{}.{tag}", NOW + 10);
        assert_eq!(
            key.check(PortalForm::Kiosk, &moved, NOW + 20),
            Err(CsrfRefusal::Forged)
        );
        for junk in [
            "x",
            "1.2",
            "1800000000.zz",
            &t.to_uppercase(),
            &format!("{t}00"),
        ] {
            assert_eq!(
                key.check(PortalForm::Kiosk, junk, NOW),
                Err(CsrfRefusal::Forged),
                "{junk}"
            );
        }
    }
}
