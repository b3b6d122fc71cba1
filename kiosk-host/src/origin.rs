//! Which URLs the kiosk browser may be sent to: the support center's `/jwt/` and `/logout`,
//! nothing else.
//!
//! The reader is trusted to judge tokens, not to choose where the kiosk browser goes: a
//! compromised or confused reader must not be able to open a phishing page on a public kiosk.
//! So every URL in a `GRANT` or `LOGOUT` line is parsed (WHATWG rules, the same the browser
//! applies) and its *parsed* origin — scheme, host after IDN/case normalisation, port with
//! defaults filled in — is compared to the configured [`SupportOrigin`]. The URL the browser is
//! then sent to is the re-serialised parsed URL, so what was checked is what is opened.

use core::fmt;

use url::{Origin, Url};

/// The support center's origin (`--support-origin https://acme.happyfox.com`), validated once.
///
/// A value that exists is an `http` or `https` origin without userinfo, path, query or
/// fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportOrigin {
    origin: Origin,
    serialized: String,
    logout: CheckedUrl,
}

/// Why a `--support-origin` value was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadOrigin {
    /// Not an absolute URL.
    NotAUrl,
    /// Neither `http` nor `https`.
    Scheme,
    /// Carries a user name or password.
    Userinfo,
    /// Has a path other than `/`, a query or a fragment: an origin is scheme, host and port.
    NotJustAnOrigin,
}

impl fmt::Display for BadOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadOrigin::NotAUrl => "not an absolute URL",
            BadOrigin::Scheme => "the scheme must be https (or http for a local test server)",
            BadOrigin::Userinfo => "an origin carries no user name or password",
            BadOrigin::NotJustAnOrigin => {
                "give only scheme, host and port (no path, query or fragment)"
            }
        })
    }
}

impl std::error::Error for BadOrigin {}

impl SupportOrigin {
    /// Parses `https://acme.happyfox.com` (a trailing `/` is allowed).
    pub fn parse(text: &str) -> Result<SupportOrigin, BadOrigin> {
        let url = Url::parse(text.trim()).map_err(|_| BadOrigin::NotAUrl)?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(BadOrigin::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BadOrigin::Userinfo);
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(BadOrigin::NotJustAnOrigin);
        }
        let origin = url.origin();
        let mut logout = url;
        logout.set_path(LOGOUT_PATH);
        Ok(SupportOrigin {
            serialized: origin.ascii_serialization(),
            origin,
            logout: CheckedUrl { url: logout },
        })
    }

    /// `https://acme.happyfox.com` (ASCII, default port omitted).
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// `<origin>/logout`, for signing out when the reader did not send a usable `LOGOUT` URL.
    pub fn logout_url(&self) -> &CheckedUrl {
        &self.logout
    }

    /// Checks the URL of a `GRANT` line: this origin, path exactly `/jwt/`.
    pub fn check_grant(&self, text: &str) -> Result<CheckedUrl, Refusal> {
        self.check(text, GRANT_PATH)
    }

    /// Checks the URL of a `LOGOUT` line: this origin, path exactly `/logout`.
    pub fn check_logout(&self, text: &str) -> Result<CheckedUrl, Refusal> {
        self.check(text, LOGOUT_PATH)
    }

    fn check(&self, text: &str, path: &str) -> Result<CheckedUrl, Refusal> {
        // The line protocol carries one URL without spaces; anything else is not a URL we
        // would open (the URL parser would silently drop tabs/newlines and encode spaces).
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Refusal::NotAUrl);
        }
        let url = Url::parse(text).map_err(|_| Refusal::NotAUrl)?;
        let place = Place::of(&url);
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Userinfo(place));
        }
        // `blob:https://acme…/` has the inner URL's origin: require the scheme itself too.
        if !matches!(url.scheme(), "http" | "https") || url.origin() != self.origin {
            return Err(Refusal::ForeignOrigin(place));
        }
        if url.path() != path {
            return Err(Refusal::WrongPath(place));
        }
        if url.fragment().is_some() {
            return Err(Refusal::Fragment(place));
        }
        Ok(CheckedUrl { url })
    }
}

impl fmt::Display for SupportOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

/// The only path a `GRANT` URL may have.
pub const GRANT_PATH: &str = "/jwt/";
/// The only path a `LOGOUT` URL may have.
pub const LOGOUT_PATH: &str = "/logout";

/// A URL that passed [`SupportOrigin::check_grant`] or [`SupportOrigin::check_logout`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedUrl {
    url: Url,
}

impl CheckedUrl {
    /// The URL to open: the parsed URL re-serialised (never the reader's raw text).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Origin and path, safe to log (no query: it carries the token).
    pub fn place(&self) -> Place {
        Place::of(&self.url)
    }
}

/// Origin and path of a URL, the only parts of a URL the agent logs (a query carries a token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place(String);

impl Place {
    fn of(url: &Url) -> Place {
        let origin = url.origin();
        let text = if origin.is_tuple() {
            format!("{}{}", origin.ascii_serialization(), url.path())
        } else {
            // Not an http(s)-like URL: its scheme is enough to say what it was.
            format!("{}:", url.scheme())
        };
        Place(text)
    }

    /// `https://acme.happyfox.com/jwt/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a URL from the reader was not opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute URL, or it contains spaces or control characters.
    NotAUrl,
    /// Carries a user name or password (`https://acme.happyfox.com@evil.example/`).
    Userinfo(Place),
    /// Scheme, host or port differ from the support center's.
    ForeignOrigin(Place),
    /// The support center's origin, but not the expected path.
    WrongPath(Place),
    /// Has a `#fragment`.
    Fragment(Place),
}

impl Refusal {
    /// Stable snake_case name for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::NotAUrl => "not_a_url",
            Refusal::Userinfo(_) => "userinfo",
            Refusal::ForeignOrigin(_) => "foreign_origin",
            Refusal::WrongPath(_) => "wrong_path",
            Refusal::Fragment(_) => "fragment",
        }
    }

    /// Origin and path of the refused URL, when it parsed.
    pub fn place(&self) -> Option<&Place> {
        match self {
            Refusal::NotAUrl => None,
            Refusal::Userinfo(p)
            | Refusal::ForeignOrigin(p)
            | Refusal::WrongPath(p)
            | Refusal::Fragment(p) => Some(p),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if let Some(place) = self.place() {
            write!(f, " {place}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
