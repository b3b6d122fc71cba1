//! Login and logout URLs of a HappyFox support center.

use core::fmt::Write as _;

use heapless::String;

use crate::error::{Error, ErrorKind};

/// Where the support center lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Site<'a> {
    /// A HappyFox account name: `https://<account>.happyfox.com`.
    Account(&'a str),
    /// The account's custom domain (a host name): `https://<domain>`.
    Domain(&'a str),
    /// An explicit origin `https://host[:port]` or `http://host[:port]`, e.g. a local
    /// stand-in for tests (`http://127.0.0.1:8080`).
    Origin(&'a str),
}

/// Where HappyFox sends the user after signing in (`return_to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReturnTo<'a> {
    /// `/home`, the support center's home page (HappyFox's default).
    Home,
    /// `/tickets`, the user's tickets.
    Tickets,
    /// `/kb`, the knowledge base.
    Kb,
    /// A path on the support center: must start with a single `/`, no controls or spaces.
    Path(&'a str),
}

impl<'a> ReturnTo<'a> {
    /// The path this stands for.
    pub const fn path(&self) -> &'a str {
        match self {
            ReturnTo::Home => "/home",
            ReturnTo::Tickets => "/tickets",
            ReturnTo::Kb => "/kb",
            ReturnTo::Path(p) => p,
        }
    }

    /// `home`, `tickets`, `kb`, or a path starting with `/`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let r = match s {
            "home" | "/home" => ReturnTo::Home,
            "tickets" | "/tickets" => ReturnTo::Tickets,
            "kb" | "/kb" => ReturnTo::Kb,
            p => ReturnTo::Path(p),
        };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<(), Error> {
        let p = self.path();
        // "//evil.example" would be a protocol-relative URL: an open redirect.
        let ok = p.starts_with('/')
            && !p.starts_with("//")
            && !p.starts_with("/\\")
            && p.bytes().all(|c| c.is_ascii_graphic() || c >= 0x80);
        if ok {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Malformed,
                "return_to must be home, tickets, kb, or a path starting with a single /",
            ))
        }
    }
}

const URL_TOO_SMALL: Error = Error::new(ErrorKind::BufferTooSmall, "URL does not fit its buffer");

/// The login URL that signs a user in: `<site>/jwt/?token=<token>[&return_to=<path>]`,
/// query values percent-encoded, into a `heapless::String<L>`.
///
/// Errors: [`ErrorKind::Malformed`] for an invalid account, domain, origin or `return_to`;
/// [`ErrorKind::BufferTooSmall`] when the URL is longer than `L`.
///
/// ```
/// use hfjwt::{login_url, ReturnTo, Site};
/// let url = login_url::<512>(Site::Account("acme"), "aaa.bbb.ccc", Some(ReturnTo::Tickets))?;
/// assert_eq!(url, "https://acme.happyfox.com/jwt/?token=aaa.bbb.ccc&return_to=%2Ftickets");
/// # Ok::<(), hfjwt::Error>(())
/// ```
pub fn login_url<const L: usize>(
    site: Site<'_>,
    token: &str,
    return_to: Option<ReturnTo<'_>>,
) -> Result<String<L>, Error> {
    let mut url = String::new();
    push_origin(&mut url, site)?;
    push(&mut url, "/jwt/?token=")?;
    push_encoded(&mut url, token)?;
    if let Some(r) = return_to {
        r.check()?;
        push(&mut url, "&return_to=")?;
        push_encoded(&mut url, r.path())?;
    }
    Ok(url)
}

/// The support center's logout URL, `<site>/logout`: HappyFox ends the session and then sends
/// the user to the Remote Logout URL configured in its JWT app.
pub fn logout_url<const L: usize>(site: Site<'_>) -> Result<String<L>, Error> {
    let mut url = String::new();
    push_origin(&mut url, site)?;
    push(&mut url, "/logout")?;
    Ok(url)
}

/// A Remote Login or Remote Logout URL as configured in HappyFox's JWT app (the portal's
/// pages): an absolute `https://` URL (or `http://` for `localhost` / `127.0.0.1` during
/// development) without spaces or control characters.
pub fn check_remote_url(url: &str) -> Result<(), Error> {
    let bad = Error::new(
        ErrorKind::Malformed,
        "remote login/logout URL must be an absolute https:// URL (http:// only for localhost)",
    );
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let host = before_any(r, b"/:?#");
        if host != "localhost" && host != "127.0.0.1" {
            return Err(bad);
        }
        r
    } else {
        return Err(bad);
    };
    let host = before_any(rest, b"/?#");
    if host.is_empty() || !url.bytes().all(|c| c.is_ascii_graphic() || c >= 0x80) {
        return Err(bad);
    }
    Ok(())
}

fn push<const L: usize>(url: &mut String<L>, s: &str) -> Result<(), Error> {
    url.push_str(s).map_err(|_| URL_TOO_SMALL)
}

fn push_origin<const L: usize>(url: &mut String<L>, site: Site<'_>) -> Result<(), Error> {
    match site {
        Site::Account(a) => {
            let ok = (1..=63).contains(&a.len())
                && a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !a.starts_with('-')
                && !a.ends_with('-');
            if !ok {
                return Err(Error::new(
                    ErrorKind::Malformed,
                    "account must be 1-63 letters, digits or inner hyphens",
                ));
            }
            push(url, "https://")?;
            push(url, a)?;
            push(url, ".happyfox.com")
        }
        Site::Domain(d) => {
            if !is_host(d) {
                return Err(Error::new(
                    ErrorKind::Malformed,
                    "domain is not a host name",
                ));
            }
            push(url, "https://")?;
            push(url, d)
        }
        Site::Origin(o) => {
            let bad = Error::new(ErrorKind::Malformed, "origin must be http(s)://host[:port]");
            let o = o.strip_suffix('/').unwrap_or(o);
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .ok_or(bad)?;
            // A byte search rather than `rsplit_once` (core's `memrchr` can panic).
            let (host, port) = match rest.bytes().rposition(|c| c == b':') {
                Some(i) => (
                    rest.get(..i).ok_or(bad)?,
                    Some(rest.get(i + 1..).ok_or(bad)?),
                ),
                None => (rest, None),
            };
            let port_ok = port.is_none_or(|p| {
                (1..=5).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
            });
            if !is_host(host) || !port_ok {
                return Err(bad);
            }
            push(url, o)
        }
    }
}

/// A DNS host name or dotted IPv4 address: labels of letters, digits and inner hyphens.
fn is_host(h: &str) -> bool {
    // Splits bytes, not the `str`: `str::Split` keeps a panic path the optimiser cannot remove.
    (1..=253).contains(&h.len())
        && h.as_bytes().split(|&c| c == b'.').all(|l| {
            (1..=63).contains(&l.len())
                && l.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
                && l.first() != Some(&b'-')
                && l.last() != Some(&b'-')
        })
}

/// The part of `s` before the first of `stops` (all of `s` if none). Byte search rather than
/// `str::split`, whose iterator keeps a panic path the optimiser cannot remove.
fn before_any<'s>(s: &'s str, stops: &[u8]) -> &'s str {
    match s.bytes().position(|c| stops.contains(&c)) {
        Some(i) => s.get(..i).unwrap_or(""),
        None => s,
    }
}

/// Percent-encodes a query value: everything but RFC 3986 unreserved characters.
fn push_encoded<const L: usize>(url: &mut String<L>, s: &str) -> Result<(), Error> {
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            url.push(char::from(c)).map_err(|_| URL_TOO_SMALL)?;
        } else {
            write!(url, "%{c:02X}").map_err(|_| URL_TOO_SMALL)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_login_urls() {
        let u = login_url::<256>(Site::Domain("support.acme.com"), "a.b.c", None).unwrap();
        assert_eq!(u, "https://support.acme.com/jwt/?token=a.b.c");
        let u = login_url::<256>(
            Site::Origin("http://127.0.0.1:8080/"),
            "t",
            Some(ReturnTo::Kb),
        )
        .unwrap();
        assert_eq!(u, "http://127.0.0.1:8080/jwt/?token=t&return_to=%2Fkb");
        let u = login_url::<256>(Site::Account("acme"), "t", Some(ReturnTo::Path("/a b?x=é")))
            .unwrap_err();
        assert_eq!(u.kind(), ErrorKind::Malformed);
        let u = login_url::<256>(
            Site::Account("acme"),
            "t",
            Some(ReturnTo::Path("/new?x=é&y")),
        )
        .unwrap();
        assert_eq!(
            u,
            "https://acme.happyfox.com/jwt/?token=t&return_to=%2Fnew%3Fx%3D%C3%A9%26y"
        );
    }

    #[test]
    fn refuses_bad_sites_and_paths() {
        for site in [
            Site::Account(""),
            Site::Account("a.b"),
            Site::Account("-a"),
            Site::Account("a/b"),
            Site::Domain("a b.com"),
            Site::Domain("evil.com/x"),
            Site::Domain(""),
            Site::Origin("ftp://x"),
            Site::Origin("http://x:99999x"),
            Site::Origin("https://a/b"),
        ] {
            assert_eq!(
                login_url::<256>(site, "t", None).unwrap_err().kind(),
                ErrorKind::Malformed,
                "{site:?}"
            );
        }
        for p in ["home2", "//evil.com", "/\\evil.com", "", "x/y", "/a\nb"] {
            assert_eq!(
                ReturnTo::parse(p).unwrap_err().kind(),
                ErrorKind::Malformed,
                "{p:?}"
            );
        }
        assert_eq!(ReturnTo::parse("tickets"), Ok(ReturnTo::Tickets));
        assert_eq!(ReturnTo::parse("/kb"), Ok(ReturnTo::Kb));
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(
            login_url::<20>(Site::Account("acme"), "t", None)
                .unwrap_err()
                .kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(
            logout_url::<64>(Site::Account("acme")).unwrap(),
            "https://acme.happyfox.com/logout"
        );
    }

    #[test]
    fn remote_urls() {
        assert!(check_remote_url("https://portal.acme.com/sso/login").is_ok());
        assert!(check_remote_url("http://localhost:5000/login").is_ok());
        assert!(check_remote_url("http://portal.acme.com/login").is_err());
        assert!(check_remote_url("javascript:alert(1)").is_err());
        assert!(check_remote_url("https:///x").is_err());
    }
}
