//! Verified claims, email syntax and the email-domain allow-list.

/// The claims of a verified token, borrowed from the caller's scratch buffer.
///
/// Strings are unescaped (`"Jos\u00e9"` becomes `José`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claims<'a> {
    /// The user's display name, if the token has one.
    pub name: Option<&'a str>,
    /// The user's email address (syntax checked). Always `Some` unless the verifier's policy
    /// makes email optional and no allow-list is set.
    pub email: Option<&'a str>,
    /// Issued-at, unix seconds.
    pub iat: u64,
    /// The token's unique id.
    pub jti: &'a str,
    /// Expiry, unix seconds, if present (a fractional value is rounded down: toward refusal).
    pub exp: Option<u64>,
    /// Not-before, unix seconds, if present (a fractional value is rounded up: toward refusal).
    pub nbf: Option<u64>,
    /// The audience the token is meant for, if it names one (`aud`: a string, or an array
    /// of strings; `""` and `[]` count as absent, as in PyJWT).
    pub aud: Option<Audience<'a>>,
}

/// The `aud` claim of a verified token: one audience, or a JSON array of them.
///
/// ```
/// use hfjwt::{mint, Grant, Key, Policy, Verifier};
/// let key = Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
/// let mut buf = [0u8; 512];
/// let grant = Grant::new("jo@acme.com", 1_700_000_000, "j1").with_audience("kiosk-a");
/// let token = mint(&key, &grant, &mut buf)?;
/// let mut v: Verifier = Verifier::new(key).with_policy(Policy::new().audience("kiosk-a")?);
/// let mut scratch = [0u8; 512];
/// let aud = v.verify(token, 1_700_000_001, &mut scratch)?.aud.unwrap();
/// assert!(aud.contains("kiosk-a") && !aud.contains("kiosk-b"));
/// assert_eq!(aud.as_single(), Some("kiosk-a"));
/// # Ok::<(), hfjwt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audience<'a>(
    /// One `&str`, to keep [`Claims`] (and every `Result` carrying it) small: either `"`
    /// followed by the unescaped audience (the opening quote still precedes the string's
    /// in-place unescaped text in the scratch buffer), or a JSON array as in the token,
    /// checked to hold one or more strings and nothing else (they may still hold escapes).
    &'a str,
);

impl<'a> Audience<'a> {
    /// `quoted`: a `"` followed by the unescaped audience.
    pub(crate) const fn one(quoted: &'a str) -> Self {
        Audience(quoted)
    }

    /// `array_json`: a checked JSON array of strings.
    pub(crate) const fn many(array_json: &'a str) -> Self {
        Audience(array_json)
    }

    /// Whether the claim names `audience` (exact, case-sensitive comparison after JSON
    /// unescaping, as RFC 7519 §4.1.3 says).
    pub fn contains(&self, audience: &str) -> bool {
        match self.as_single() {
            Some(s) => s == audience,
            None => crate::json::string_array_contains(self.0.as_bytes(), audience.as_bytes()),
        }
    }

    /// The audience when the claim is a single string, `None` for an array.
    pub fn as_single(&self) -> Option<&'a str> {
        self.0.strip_prefix('"')
    }

    /// The claim's JSON text when it is an array (e.g. `["kiosk-a","kiosk-b"]`, escapes
    /// kept), `None` for a single string.
    pub fn array_json(&self) -> Option<&'a str> {
        self.0.starts_with('[').then_some(self.0)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Claims<'_> {
    /// Logs the email's domain, `iat` and `jti`: enough to trace a decision, no full address.
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Claims {{ email_domain: {=str}, iat: {=u64}, jti: {=str} }}",
            self.email.map_or("-", email_domain),
            self.iat,
            self.jti
        )
    }
}

/// The domain part of an email address (after the last `@`), or the whole string if none.
pub fn email_domain(email: &str) -> &str {
    // A byte search rather than `rsplit_once`: core's `memrchr` keeps a slice-index panic
    // that the optimiser cannot remove (scripts/check-no-panic.sh proves the rest).
    match email.bytes().rposition(|c| c == b'@') {
        Some(at) => email.get(at + 1..).unwrap_or(""),
        None => email,
    }
}

/// Whether `email` is syntactically an address hfjwt accepts: `local@domain` with exactly one
/// `@`; a local part of 1–64 bytes without spaces, controls or `"(),:;<>[\]`; a domain of
/// 1–253 bytes made of at least two dot-separated labels of 1–63 bytes, each of letters,
/// digits, hyphens (not first or last) or non-ASCII characters (internationalised names).
pub fn is_valid_email(email: &str) -> bool {
    // Table folds and a word-at-a-time search for the dots, few branches: this runs on every
    // verify and every mint.
    let b = email.as_bytes();
    // The local part ends at the first byte it may not hold, which must be the one `@`.
    let Some(at) = b.iter().position(|&c| class(c) & LOCAL == 0) else {
        return false;
    };
    if b.get(at) != Some(&b'@') || !(1..=64).contains(&at) {
        return false;
    }
    let domain = b.get(at + 1..).unwrap_or_default();
    if !(1..=253).contains(&domain.len()) {
        return false;
    }
    // Every byte a label byte or a dot...
    if domain.iter().fold(DOMAIN, |ok, &c| ok & class(c)) == 0 {
        return false;
    }
    // ...so only the dots matter: at least one, and the labels between them 1–63 bytes, not
    // starting or ending with `-`.
    let label_ok = |label: &[u8]| {
        label.len() <= 63
            && matches!(label, [first, .., last] | [first @ last] if *first != b'-' && *last != b'-')
    };
    let (mut start, mut dots) = (0, 0);
    let mut dot_at = |i: usize| {
        let ok = domain.get(start..i).is_some_and(label_ok);
        start = i + 1;
        dots += 1;
        ok
    };
    let (words, tail) = domain.as_chunks::<8>();
    for (w, word) in words.iter().enumerate() {
        let mut m = exact_zero_bytes(u64::from_le_bytes(*word) ^ 0x2e2e_2e2e_2e2e_2e2e);
        while m != 0 {
            if !dot_at(w * 8 + (m.trailing_zeros() / 8) as usize) {
                return false;
            }
            m &= m - 1;
        }
    }
    for (j, _) in tail.iter().enumerate().filter(|&(_, &c)| c == b'.') {
        if !dot_at(words.len() * 8 + j) {
            return false;
        }
    }
    dots >= 1 && domain.get(start..).is_some_and(label_ok)
}

/// The high bit of each byte of `y` that is zero, exactly (no borrow between bytes).
fn exact_zero_bytes(y: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((y & LOW7) + LOW7) | y | LOW7)
}

/// May appear in an email's local part: non-ASCII, or ASCII graphic but not `"(),:;<>@[\]`.
const LOCAL: u8 = 1;
/// May appear in a domain label: non-ASCII, letters, digits, `-`.
const LABEL: u8 = 2;
/// May appear in a domain: a label byte or a dot.
const DOMAIN: u8 = 4;

static CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let special = matches!(
            b,
            b'"' | b'(' | b')' | b',' | b':' | b';' | b'<' | b'>' | b'@' | b'[' | b'\\' | b']'
        );
        if b >= 0x80 || (b.is_ascii_graphic() && !special) {
            t[c] |= LOCAL;
        }
        if b >= 0x80 || b.is_ascii_alphanumeric() || b == b'-' {
            t[c] |= LABEL | DOMAIN;
        }
        if b == b'.' {
            t[c] |= DOMAIN;
        }
        c += 1;
    }
    t
};

fn class(c: u8) -> u8 {
    CLASSES[usize::from(c)]
}

/// The email domains a verifier accepts.
///
/// Matching is exact and ASCII case-insensitive: `acme.com` allows `jo@ACME.com` but not
/// `jo@eu.acme.com`. Implemented for [`AnyDomain`] (no restriction), slices and arrays of
/// strings (an empty list allows nothing), `Option<L>` (`None` = no restriction), references,
/// and with `std`, `Vec`.
pub trait DomainAllowList {
    /// Whether a token whose email is in `domain` may pass.
    fn allows(&self, domain: &str) -> bool;

    /// Whether this list restricts anything (if so, tokens must carry an email). A list that
    /// returns `false` allows every domain and is never asked: the verifier skips
    /// [`allows`](Self::allows). The default, `true`, always asks.
    fn restricts(&self) -> bool {
        true
    }
}

/// The default allow-list: every domain passes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnyDomain;

impl DomainAllowList for AnyDomain {
    fn allows(&self, _: &str) -> bool {
        true
    }
    fn restricts(&self) -> bool {
        false
    }
}

/// Whether `domain` matches the allow-list entry `allowed` (exact, ASCII case-insensitive).
pub fn domain_matches(allowed: &str, domain: &str) -> bool {
    allowed.eq_ignore_ascii_case(domain)
}

impl<S: AsRef<str>> DomainAllowList for [S] {
    fn allows(&self, domain: &str) -> bool {
        self.iter().any(|a| domain_matches(a.as_ref(), domain))
    }
}

impl<S: AsRef<str>, const K: usize> DomainAllowList for [S; K] {
    fn allows(&self, domain: &str) -> bool {
        self[..].allows(domain)
    }
}

impl<S: AsRef<str>, const K: usize> DomainAllowList for heapless::Vec<S, K> {
    fn allows(&self, domain: &str) -> bool {
        self[..].allows(domain)
    }
}

#[cfg(feature = "std")]
impl<S: AsRef<str>> DomainAllowList for std::vec::Vec<S> {
    fn allows(&self, domain: &str) -> bool {
        self[..].allows(domain)
    }
}

impl<L: DomainAllowList> DomainAllowList for Option<L> {
    fn allows(&self, domain: &str) -> bool {
        self.as_ref().is_none_or(|l| l.allows(domain))
    }
    fn restricts(&self) -> bool {
        self.as_ref().is_some_and(|l| l.restricts())
    }
}

impl<L: DomainAllowList + ?Sized> DomainAllowList for &L {
    fn allows(&self, domain: &str) -> bool {
        (**self).allows(domain)
    }
    fn restricts(&self) -> bool {
        (**self).restricts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax() {
        for ok in [
            "a@b.co",
            "john.doe+tag@example.com",
            "josé@exämple.de",
            "x@a-b.c",
            "用户@例子.中国",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b.co",
            "a@",
            "a@b",
            "a@@b.co",
            "a b@c.de",
            "a@b..co",
            "a@-b.co",
            "a@b-.co",
            "a@b.co.",
            "\"a\"@b.co",
            "a@b_c.co",
            "a\n@b.co",
            "a@b.co@c.de",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
        assert!(!is_valid_email(&std::format!("{}@b.co", "a".repeat(65))));
    }

    /// The rules of [`is_valid_email`] written plainly, to hold the table-driven one to.
    fn reference_email(email: &str) -> bool {
        let Some((local, domain)) = email.split_once('@') else {
            return false;
        };
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-')
        };
        (1..=64).contains(&local.len())
            && (1..=253).contains(&domain.len())
            && local
                .chars()
                .all(|c| !c.is_ascii() || (c.is_ascii_graphic() && !"\"(),:;<>@[\\]".contains(c)))
            && domain.split('.').count() >= 2
            && domain.split('.').all(label_ok)
    }

    #[test]
    fn email_syntax_matches_the_plain_rules_exhaustively() {
        // Every string of up to 6 characters over an alphabet that hits each rule.
        let alphabet = ['a', '-', '.', '@', '_', 'é', ' ', '"'];
        let max = if cfg!(miri) { 3 } else { 6 };
        let mut s = std::string::String::new();
        fn walk(s: &mut std::string::String, alphabet: &[char], left: usize) {
            assert_eq!(is_valid_email(s), reference_email(s), "{s:?}");
            if left > 0 {
                for &c in alphabet {
                    s.push(c);
                    walk(s, alphabet, left - 1);
                    s.pop();
                }
            }
        }
        walk(&mut s, &alphabet, max);
        // Lengths around the 64-byte local part, 63-byte label and 253-byte domain limits.
        let rep = |c: &str, n: usize| c.repeat(n);
        for e in [
            std::format!("{}@b.co", rep("a", 64)),
            std::format!("{}@b.co", rep("a", 65)),
            std::format!("a@{}.co", rep("b", 63)),
            std::format!("a@{}.co", rep("b", 64)),
            std::format!("a@co.{}", rep("b", 64)),
            std::format!("a@{}.{}", rep("b", 63), rep("c", 63)),
            std::format!("a@{}{}", rep("b.", 126), "c"),
            std::format!("a@{}{}", rep("b.", 126), "cd"),
            std::format!("a@{}.com", std::vec![rep("b", 63); 4].join(".")),
        ] {
            assert_eq!(is_valid_email(&e), reference_email(&e), "{e:?}");
        }
        assert!(!is_valid_email(&std::format!("a@{}.com", "b".repeat(64))));
        assert!(is_valid_email(&std::format!("a@{}.com", "b".repeat(63))));
    }

    #[test]
    fn email_syntax_matches_the_plain_rules_on_long_random_addresses() {
        // Domains past 8 bytes take the word-at-a-time dot search: dots, hyphens and the
        // bytes next to '.' (0x2d, 0x2f) at every offset of a word.
        let alphabet = ['a', 'b', '-', '.', '.', '/', 'é', '@', '_'];
        let mut seed = 0x853c_49e6_748f_ea9bu64;
        let rounds = if cfg!(miri) { 300 } else { 300_000 };
        let mut valid = 0;
        for _ in 0..rounds {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 3 + (seed % 40) as usize;
            let mut e: std::string::String = std::string::String::from("ab@");
            let mut r = seed;
            for _ in 0..len {
                r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                // Mostly letters, so that valid addresses come up too.
                let k = (r >> 33) as usize % (alphabet.len() + 6);
                e.push(alphabet[k.saturating_sub(6)]);
            }
            assert_eq!(is_valid_email(&e), reference_email(&e), "{e:?}");
            valid += usize::from(reference_email(&e));
        }
        assert!(
            valid > rounds / 200,
            "only {valid} valid addresses in {rounds}"
        );
    }

    #[test]
    fn allow_lists() {
        assert!(AnyDomain.allows("x.y") && !AnyDomain.restricts());
        let l = ["acme.com", "Example.ORG"];
        assert!(l.allows("ACME.com") && l.allows("example.org"));
        assert!(!l.allows("eu.acme.com") && !l.allows("acme.co"));
        let empty: [&str; 0] = [];
        assert!(!empty.allows("acme.com") && empty.restricts());
        assert!(None::<[&str; 1]>.allows("x") && !None::<[&str; 1]>.restricts());
        assert!(!Some(["a.b"]).allows("x.y") && Some(["a.b"]).restricts());
        assert_eq!(email_domain("a@b@c.d"), "c.d");
    }
}
