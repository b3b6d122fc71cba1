//! Calls every public entry point of hfjwt that judges or builds a token, on inputs the
//! optimiser cannot see (each comes out of `core::hint::black_box`), so that no panic path can
//! be removed by constant folding. The `nopanic` binary links this with a panic handler that
//! calls an undefined symbol: if any panic path survives optimisation, the link fails.
#![no_std]

use core::hint::black_box;

use hfjwt::{
    AnyDomain, Grant, Key, Policy, ReplayCache, ReturnTo, Site, Verifier, check_remote_url,
    login_url, logout_url, mint,
};

/// A byte slice the optimiser knows nothing about (pointer, length and contents).
#[inline(always)]
fn bytes() -> &'static [u8] {
    black_box(&[][..])
}

/// A `&str` the optimiser knows nothing about.
#[inline(always)]
fn text() -> &'static str {
    black_box("")
}

#[inline(always)]
fn number() -> u64 {
    black_box(0)
}

/// An opaque policy: every field from `black_box`, and each of the three audience rules.
fn policy() -> Policy {
    let p = Policy::new()
        .max_age(number())
        .leeway(number())
        .max_token_len(black_box(0usize))
        .require_email(black_box(false));
    let p = match black_box(0u8) {
        0 => p,
        1 => p.ignore_audience(),
        _ => p.audience(text()).unwrap_or(p),
    };
    black_box(p)
}

/// Verifies an opaque token with an opaque policy, clock and scratch buffer, through both the
/// default allow-list and a slice of domains, then `check` and `remember_from`.
#[inline(never)]
pub fn exercise_verify(scratch: &mut [u8]) {
    let Ok(key) = Key::new(bytes()) else { return };
    let mut v = Verifier::<ReplayCache<64>>::new(key.clone()).with_policy(policy());
    let scratch = black_box(scratch);
    let r = v.verify(bytes(), number(), scratch).map(|c| {
        let aud = c
            .aud
            .map(|a| (a.contains(text()), a.as_single(), a.array_json()));
        (c.jti.len(), black_box(aud).is_some())
    });
    let _ = black_box(r);
    let r = v.check(text(), number(), scratch).map(|c| c.iat);
    let _ = black_box(r);
    v.remember_from(number());
    black_box(&v);

    let domains: &[&str] = black_box(&[]);
    let mut v = Verifier::<ReplayCache<8>, AnyDomain>::new(key).with_allowed_domains(domains);
    let r = v
        .verify(bytes(), number(), scratch)
        .map(|c| c.email.map(str::len));
    let _ = black_box(r);
}

/// Mints a token for an opaque grant into an opaque buffer.
#[inline(never)]
pub fn exercise_mint(out: &mut [u8]) {
    let Ok(key) = Key::new(bytes()) else { return };
    let mut grant = Grant::new(text(), number(), text());
    if black_box(true) {
        grant = grant.with_name(text());
    }
    if black_box(true) {
        grant = grant.with_audience(text());
    }
    let r = mint(&key, &grant, black_box(out)).map(str::len);
    let _ = black_box(r);
    black_box(hfjwt::token_len(&grant));
}

/// Builds login and logout URLs for an opaque site, token and return path.
#[inline(never)]
pub fn exercise_urls() {
    let site = match black_box(0u8) {
        0 => Site::account(text()),
        1 => Site::domain(text()),
        _ => Site::origin(text()),
    };
    let ret = match ReturnTo::parse(text()) {
        Ok(r) => Some(r),
        Err(_) => black_box(Some(ReturnTo::TICKETS)),
    };
    if let Ok(site) = site {
        let r = login_url::<640>(site, text(), ret).map(|u| u.len());
        let _ = black_box(r);
        let r = logout_url::<128>(site).map(|u| u.len());
        let _ = black_box(r);
    }
    black_box(check_remote_url(text()).is_ok());
}
