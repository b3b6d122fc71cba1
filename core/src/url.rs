//! Login and logout URLs of a HappyFox support center.
//!
//! [`Site`] and [`ReturnTo`] are checked when they are made, so a value that exists is valid:
//! the URL builders can only fail when the URL does not fit its buffer.

use core::fmt::Write as _;

use heapless::String;

use crate::error::{Error, Reason};

/// Where the support center lives: a HappyFox account, the account's custom domain, or an
/// explicit origin. Made by [`Site::account`], [`Site::domain`] or [`Site::origin`], each of
/// which checks its text (`invalid_config` otherwise); all three are `const fn`, so a
/// firmware can hold its site in a `const`.
///
/// ```
/// use hfjwt::{ErrorKind, Site};
/// const SITE: Site<'static> = match Site::account("acme") {
///     Ok(site) => site,
///     Err(_) => panic!("not an account name"),
/// };
/// assert_eq!(SITE.account_name(), Some("acme"));
/// assert_eq!(Site::domain("evil.com/x").unwrap_err().kind(), ErrorKind::InvalidConfig);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Site<'a> {
    form: SiteForm,
    /// The account name, the host name, or the origin without a trailing `/`.
    text: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum SiteForm {
    Account,
    Domain,
    Origin,
}

impl<'a> Site<'a> {
    /// A HappyFox account name, `https://<account>.happyfox.com`: 1-63 letters, digits or
    /// inner hyphens.
    pub const fn account(name: &'a str) -> Result<Self, Error> {
        if is_label(name.as_bytes()) {
            Ok(Site {
                form: SiteForm::Account,
                text: name,
            })
        } else {
            Err(Error::new(Reason::Account))
        }
    }

    /// The account's custom domain, `https://<domain>`: a host name (labels of letters, digits
    /// and inner hyphens) or a dotted IPv4 address.
    pub const fn domain(host: &'a str) -> Result<Self, Error> {
        if is_host(host.as_bytes()) {
            Ok(Site {
                form: SiteForm::Domain,
                text: host,
            })
        } else {
            Err(Error::new(Reason::Domain))
        }
    }

    /// An explicit origin `https://host[:port]` or `http://host[:port]` (one trailing `/` is
    /// dropped), e.g. a local stand-in for tests: `http://127.0.0.1:8080`.
    pub const fn origin(origin: &'a str) -> Result<Self, Error> {
        let bad = Error::new(Reason::Origin);
        let text = match origin.as_bytes() {
            [rest @ .., b'/'] => match core::str::from_utf8(rest) {
                Ok(t) => t,
                Err(_) => return Err(bad),
            },
            _ => origin,
        };
        let authority = match text.as_bytes() {
            [b'h', b't', b't', b'p', b's', b':', b'/', b'/', rest @ ..]
            | [b'h', b't', b't', b'p', b':', b'/', b'/', rest @ ..] => rest,
            _ => return Err(bad),
        };
        if is_host_port(authority) {
            Ok(Site {
                form: SiteForm::Origin,
                text,
            })
        } else {
            Err(bad)
        }
    }

    /// The account name, if this site is a HappyFox account.
    pub const fn account_name(&self) -> Option<&'a str> {
        match self.form {
            SiteForm::Account => Some(self.text),
            _ => None,
        }
    }

    /// The host name the site is reached at (`acme.happyfox.com` for an account is not
    /// stored: see [`account_name`](Self::account_name)); `None` for an account.
    pub const fn domain_name(&self) -> Option<&'a str> {
        match self.form {
            SiteForm::Domain => Some(self.text),
            _ => None,
        }
    }

    /// The origin as given (without a trailing `/`), if this site is an explicit origin.
    pub const fn origin_text(&self) -> Option<&'a str> {
        match self.form {
            SiteForm::Origin => Some(self.text),
            _ => None,
        }
    }
}

/// Where HappyFox sends the user after signing in (`return_to`): [`ReturnTo::HOME`],
/// [`ReturnTo::TICKETS`], [`ReturnTo::KB`], or a path checked by [`ReturnTo::parse`] (it
/// must start with a single `/`, no controls or spaces: `//evil.example` would be an open
/// redirect).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReturnTo<'a> {
    path: &'a str,
}

impl<'a> ReturnTo<'a> {
    /// `/home`, the support center's home page (HappyFox's default).
    pub const HOME: ReturnTo<'static> = ReturnTo { path: "/home" };
    /// `/tickets`, the user's tickets.
    pub const TICKETS: ReturnTo<'static> = ReturnTo { path: "/tickets" };
    /// `/kb`, the knowledge base.
    pub const KB: ReturnTo<'static> = ReturnTo { path: "/kb" };

    /// The path this stands for.
    pub const fn path(&self) -> &'a str {
        self.path
    }

    /// `home`, `tickets`, `kb`, or a path starting with a single `/` (no spaces or control
    /// characters); anything else is `invalid_config`.
    ///
    /// ```
    /// use hfjwt::ReturnTo;
    /// assert_eq!(ReturnTo::parse("tickets")?, ReturnTo::TICKETS);
    /// assert_eq!(ReturnTo::parse("/new?x=1")?.path(), "/new?x=1");
    /// assert!(ReturnTo::parse("//evil.example").is_err());
    /// # Ok::<(), hfjwt::Error>(())
    /// ```
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let path = match s {
            "home" => "/home",
            "tickets" => "/tickets",
            "kb" => "/kb",
            p => p,
        };
        let b = path.as_bytes();
        // "//evil.example" would be a protocol-relative URL: an open redirect.
        let ok = b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && b.iter().all(|&c| c.is_ascii_graphic() || c >= 0x80);
        if ok {
            Ok(ReturnTo { path })
        } else {
            Err(Error::new(Reason::ReturnTo))
        }
    }
}

impl<'a> TryFrom<&'a str> for ReturnTo<'a> {
    type Error = Error;
    fn try_from(s: &'a str) -> Result<Self, Error> {
        ReturnTo::parse(s)
    }
}

const URL_TOO_SMALL: Error = Error::new(Reason::UrlTooLong);

/// The login URL that signs a user in: `<site>/jwt/?token=<token>[&return_to=<path>]`,
/// query values percent-encoded, into a `heapless::String<L>`.
///
/// Fails only with [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall), when the
/// URL is longer than `L`: the site and path were checked when they were made.
///
/// ```
/// use hfjwt::{login_url, ReturnTo, Site};
/// let url = login_url::<512>(Site::account("acme")?, "aaa.bbb.ccc", Some(ReturnTo::TICKETS))?;
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
        push(&mut url, "&return_to=")?;
        push_encoded(&mut url, r.path())?;
    }
    Ok(url)
}

/// The support center's logout URL, `<site>/logout`: HappyFox ends the session and then sends
/// the user to the Remote Logout URL configured in its JWT app. Fails only when the URL is
/// longer than `L`.
pub fn logout_url<const L: usize>(site: Site<'_>) -> Result<String<L>, Error> {
    let mut url = String::new();
    push_origin(&mut url, site)?;
    push(&mut url, "/logout")?;
    Ok(url)
}

/// A Remote Login or Remote Logout URL as configured in HappyFox's JWT app (the portal's
/// pages): an absolute `https://` URL (or `http://` for `localhost` / `127.0.0.1` during
/// development) whose authority is `host[:port]` — user info (`user@`, which browsers
/// would follow to another host: `http://localhost:80@evil.example/`) is refused — without
/// spaces or control characters. `invalid_config` otherwise.
pub fn check_remote_url(url: &str) -> Result<(), Error> {
    let bad = Error::new(Reason::RemoteUrl);
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad);
    };
    // The authority ends at the first `/`, `?` or `#` (RFC 3986 §3.2); `@` and `\` (which
    // browsers read as `/`) are refused anywhere in it.
    let authority = before_any(rest, b"/?#");
    if !url.bytes().all(|c| c.is_ascii_graphic() || c >= 0x80)
        || authority.bytes().any(|c| c == b'@' || c == b'\\')
        || !is_host_port(authority.as_bytes())
    {
        return Err(bad);
    }
    if !https {
        let host = before_any(authority, b":");
        if host != "localhost" && host != "127.0.0.1" {
            return Err(bad);
        }
    }
    Ok(())
}

fn push<const L: usize>(url: &mut String<L>, s: &str) -> Result<(), Error> {
    url.push_str(s).map_err(|_| URL_TOO_SMALL)
}

fn push_origin<const L: usize>(url: &mut String<L>, site: Site<'_>) -> Result<(), Error> {
    match site.form {
        SiteForm::Account => {
            push(url, "https://")?;
            push(url, site.text)?;
            push(url, ".happyfox.com")
        }
        SiteForm::Domain => {
            push(url, "https://")?;
            push(url, site.text)
        }
        SiteForm::Origin => push(url, site.text),
    }
}

/// One DNS label: 1-63 letters, digits and inner hyphens. `const`, and written with slice
/// patterns so that it has no index that could panic.
const fn is_label(l: &[u8]) -> bool {
    if l.is_empty() || l.len() > 63 {
        return false;
    }
    if let ([b'-', ..], _) | (_, [.., b'-']) = (l, l) {
        return false;
    }
    let mut rest = l;
    while let [c, tail @ ..] = rest {
        if !(c.is_ascii_alphanumeric() || *c == b'-') {
            return false;
        }
        rest = tail;
    }
    true
}

/// A DNS host name or dotted IPv4 address: 1-253 bytes of dot-separated [labels](is_label).
const fn is_host(h: &[u8]) -> bool {
    if h.is_empty() || h.len() > 253 {
        return false;
    }
    // Each label is the bytes before the next dot; an empty label (`a..b`, a leading or a
    // trailing dot) is refused by `is_label`.
    let mut rest = h;
    loop {
        let mut label_len = 0;
        let mut scan = rest;
        while let [c, tail @ ..] = scan {
            if *c == b'.' {
                break;
            }
            label_len += 1;
            scan = tail;
        }
        let Some((label, after)) = rest.split_at_checked(label_len) else {
            return false;
        };
        if !is_label(label) {
            return false;
        }
        match after {
            [b'.', tail @ ..] => rest = tail,
            _ => return true,
        }
    }
}

/// `host[:port]`: a [host](is_host) and an optional port of 1-5 digits.
const fn is_host_port(authority: &[u8]) -> bool {
    // Digits back from the end, then a `:`, split off the port.
    let mut scan = authority;
    let mut digits = 0;
    while let [head @ .., c] = scan {
        if c.is_ascii_digit() {
            digits += 1;
            scan = head;
        } else if *c == b':' {
            return digits >= 1 && digits <= 5 && is_host(head);
        } else {
            break;
        }
    }
    is_host(authority)
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
    use crate::ErrorKind;

    #[test]
    fn builds_login_urls() {
        let site = Site::domain("support.acme.com").unwrap();
        let u = login_url::<256>(site, "a.b.c", None).unwrap();
        assert_eq!(u, "https://support.acme.com/jwt/?token=a.b.c");
        let site = Site::origin("http://127.0.0.1:8080/").unwrap();
        let u = login_url::<256>(site, "t", Some(ReturnTo::KB)).unwrap();
        assert_eq!(u, "http://127.0.0.1:8080/jwt/?token=t&return_to=%2Fkb");
        let path = ReturnTo::parse("/new?x=é&y").unwrap();
        let u = login_url::<256>(Site::account("acme").unwrap(), "t", Some(path)).unwrap();
        assert_eq!(
            u,
            "https://acme.happyfox.com/jwt/?token=t&return_to=%2Fnew%3Fx%3D%C3%A9%26y"
        );
    }

    #[test]
    fn bad_sites_and_paths_are_configuration_errors() {
        let accounts = ["", "a.b", "-a", "a-", "a/b", "a b"];
        let domains = ["a b.com", "evil.com/x", "", "a..b", ".a", "a.", "x@y.com"];
        let origins = [
            "ftp://x",
            "http://x:99999x",
            "http://x:",
            "http://x:123456",
            "https://a/b",
            "https://",
            "https://u@evil.com",
            "https://a.com//",
            "acme.com",
        ];
        let refused = accounts
            .iter()
            .map(|a| Site::account(a))
            .chain(domains.iter().map(|d| Site::domain(d)))
            .chain(origins.iter().map(|o| Site::origin(o)));
        for r in refused {
            let e = r.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
            assert!(!e.to_string().contains("token"), "{e}");
        }
        assert!(Site::account(&"a".repeat(63)).is_ok());
        assert!(Site::account(&"a".repeat(64)).is_err());
        assert!(Site::origin("https://support.acme.com:8443").is_ok());
        for p in [
            "home2",
            "//evil.com",
            "/\\evil.com",
            "",
            "x/y",
            "/a\nb",
            "/a b?x=é",
        ] {
            let e = ReturnTo::parse(p).unwrap_err();
            assert_eq!(e.reason(), Reason::ReturnTo, "{p:?}");
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{p:?}");
        }
        assert_eq!(ReturnTo::parse("tickets"), Ok(ReturnTo::TICKETS));
        assert_eq!(ReturnTo::parse("/kb"), Ok(ReturnTo::KB));
        assert_eq!(ReturnTo::try_from("home"), Ok(ReturnTo::HOME));
    }

    #[test]
    fn sites_are_const() {
        const SITE: Site<'static> = match Site::origin("http://127.0.0.1:1/") {
            Ok(s) => s,
            Err(_) => panic!(),
        };
        assert_eq!(SITE.origin_text(), Some("http://127.0.0.1:1"));
        assert_eq!(SITE.account_name(), None);
    }

    #[test]
    fn only_a_short_buffer_fails_a_url() {
        let site = Site::account("acme").unwrap();
        assert_eq!(
            login_url::<20>(site, "t", None).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(
            logout_url::<64>(site).unwrap(),
            "https://acme.happyfox.com/logout"
        );
    }

    #[test]
    fn remote_urls() {
        assert!(check_remote_url("https://portal.acme.com/sso/login").is_ok());
        assert!(check_remote_url("https://portal.acme.com:8443/sso?next=/a@b").is_ok());
        assert!(check_remote_url("http://localhost:5000/login").is_ok());
        assert!(check_remote_url("http://127.0.0.1/login").is_ok());
        for bad in [
            "http://portal.acme.com/login",
            "javascript:alert(1)",
            "https:///x",
            // User info: a browser goes to evil.example.
            "http://localhost:80@evil.example/sso",
            "http://localhost@evil.example/",
            "https://portal.acme.com@evil.example/",
            "https://user:pw@portal.acme.com/",
            "http://localhost\\@evil.example/",
            "http://localhost:80\\evil.example/",
            "http://localhost.evil.example/",
            "https://portal.acme.com:port/",
            "https://portal acme.com/",
        ] {
            let e = check_remote_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        }
    }
}
