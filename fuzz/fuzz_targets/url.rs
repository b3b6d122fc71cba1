//! URL building never panics and builds well-formed URLs.
//!
//! Input: a site-kind byte and a return-kind byte (read with `arbitrary`), then
//! `site NUL token NUL return_to NUL remote_url`, lossily decoded to Unicode.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use hfjwt::{ErrorKind, ReturnTo, Site, check_remote_url, login_url, logout_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(prefix) = data.get(..2) else { return };
    let mut u = Unstructured::new(prefix);
    let (Ok(site_kind), Ok(ret_kind)) = (u8::arbitrary(&mut u), u8::arbitrary(&mut u)) else {
        return;
    };
    let mut fields = data[2..].split(|&c| c == 0).map(String::from_utf8_lossy);
    let site_text = fields.next().unwrap_or_default();
    let token = fields.next().unwrap_or_default();
    let ret_text = fields.next().unwrap_or_default();
    let remote = fields.next().unwrap_or_default();

    // A site that exists is valid: the builders then fail only on buffer size.
    let site = match site_kind % 3 {
        0 => Site::account(&site_text),
        1 => Site::domain(&site_text),
        _ => Site::origin(&site_text),
    };
    let site = match site {
        Ok(site) => site,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            Site::account("acme").expect("a valid account")
        }
    };
    let ret = match ret_kind % 5 {
        0 => None,
        1 => Some(ReturnTo::HOME),
        2 => Some(ReturnTo::TICKETS),
        3 => Some(ReturnTo::KB),
        _ => match ReturnTo::parse(&ret_text) {
            Ok(r) => {
                let p = r.path();
                assert!(p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\"));
                Some(r)
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidConfig);
                None
            }
        },
    };

    let big = login_url::<16384>(site, &token, ret);
    let small = login_url::<96>(site, &token, ret);
    match &big {
        Ok(url) => {
            well_formed(url);
            let query = &url[url.find("/jwt/?token=").expect("login path") + 12..];
            let (tok, ret_enc) = match query.split_once("&return_to=") {
                Some((t, r)) => (t, Some(r)),
                None => (query, None),
            };
            assert_eq!(percent_decode(tok), token.as_bytes());
            assert_eq!(
                ret_enc.map(percent_decode),
                ret.map(|r| r.path().as_bytes().to_vec())
            );
            match &small {
                Ok(s) => assert_eq!(s.as_str(), url.as_str()),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
                    assert!(url.len() > 96);
                }
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
            assert!(small.is_err());
        }
    }

    match logout_url::<512>(site) {
        Ok(url) => {
            well_formed(&url);
            assert!(url.ends_with("/logout"));
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::BufferTooSmall),
    }

    match check_remote_url(&remote) {
        Ok(()) => remote_oracle(&remote),
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidConfig),
    }
});

/// What an accepted Remote Login/Logout URL must be, judged the way a browser reads it: the
/// scheme, then an authority up to the first `/`, `?` or `#` (browsers also end it at `\`)
/// that is `host[:port]` with no user info, so the host the browser goes to is the host
/// checked; `http` only when that host is localhost or 127.0.0.1.
fn remote_oracle(remote: &str) {
    assert!(
        remote.bytes().all(|c| c.is_ascii_graphic() || c >= 0x80),
        "{remote:?}"
    );
    let (https, rest) = match remote.strip_prefix("https://") {
        Some(r) => (true, r),
        None => (false, remote.strip_prefix("http://").expect("http(s)")),
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    assert!(!authority.contains('@'), "user info accepted: {remote:?}");
    assert!(
        !rest[end..].starts_with('\\'),
        "backslash after the host: {remote:?}"
    );
    let host = match authority.rsplit_once(':') {
        Some((h, port)) => {
            assert!((1..=5).contains(&port.len()) && port.bytes().all(|c| c.is_ascii_digit()));
            h
        }
        None => authority,
    };
    assert!(!host.is_empty() && host.len() <= 253, "{remote:?}");
    assert!(
        host.split('.').all(|l| !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')),
        "{remote:?}"
    );
    if !https {
        assert!(host == "localhost" || host == "127.0.0.1", "{remote:?}");
    }
}

/// An absolute http(s) URL of printable ASCII whose host is a DNS name or IPv4 address.
fn well_formed(url: &str) {
    assert!(url.bytes().all(|c| c.is_ascii_graphic()), "{url:?}");
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .expect("scheme");
    let authority = &rest[..rest.find('/').expect("path")];
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    assert!(!host.is_empty() && host.len() <= 253, "{url:?}");
    assert!(
        host.split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')),
        "{url:?}"
    );
    // Every `%` starts an escape of two upper-case hex digits.
    let b = url.as_bytes();
    for (i, _) in url.match_indices('%') {
        assert!(b.get(i + 1..i + 3).is_some_and(|h| {
            h.iter()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
        }));
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            assert!(
                b[i].is_ascii_alphanumeric() || b"-._~".contains(&b[i]),
                "{s:?}"
            );
            out.push(b[i]);
            i += 1;
        }
    }
    out
}
