//! `hfjwt-sim url`: print the support center's login URL for a token.
//!
//! Defaults match `python -m hfjwt url`: `return_to` is `home`, a minted token's `iat` is
//! now and its `jti` a fresh UUID. A TOKEN of `-` is read from standard input.

use std::io::{Read as _, Write as _};

use hfjwt::{ReturnTo, Site};

use crate::failure::{Failure, Outcome};
use crate::key::KeySource;
use crate::mint::mint_token;

/// The longest login URL printed, in bytes; a longer one is `buffer_too_small`.
pub const MAX_URL_LEN: usize = 8192;

/// The most bytes read from standard input for `-` (a token is far shorter than a URL).
const MAX_STDIN_TOKEN_LEN: usize = MAX_URL_LEN;

/// Where the support center lives: exactly one of `--account`, `--domain`, `--origin`.
#[derive(clap::Args, Debug, Clone)]
#[group(id = "site", required = true, multiple = false)]
pub struct SiteArgs {
    /// HappyFox account name: `https://<ACCOUNT>.happyfox.com`
    #[arg(long)]
    pub account: Option<String>,
    /// The account's custom domain: `https://<DOMAIN>`
    #[arg(long)]
    pub domain: Option<String>,
    /// An explicit origin such as http://127.0.0.1:8080 (a local `hfjwt-sim serve`).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
}

impl SiteArgs {
    /// The core's [`Site`] for these arguments, checked by the core: a bad account, domain
    /// or origin is a configuration error (`invalid_config`, exit 2).
    pub fn site(&self) -> Result<Site<'_>, Failure> {
        match (&self.account, &self.domain, &self.origin) {
            (Some(a), _, _) => Site::account(a),
            (None, Some(d), _) => Site::domain(d),
            (None, None, Some(o)) => Site::origin(o),
            // clap's required group guarantees one; an empty account is refused by the core.
            (None, None, None) => Site::account(""),
        }
        .map_err(Failure::Config)
    }
}

/// Print the login URL `<site>/jwt/?token=<TOKEN>&return_to=<path>` for a given or freshly
/// minted token.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "TOKEN must be a compact JWS (three base64url segments separated by \
dots); `-` reads it from standard input (one line).

Exit status: 0 printed, 1 the core refused a part (invalid_claim when minting), 2 usage, key \
or configuration error (invalid_config: the account, domain, origin or return_to; a TOKEN that \
is not a compact JWS), 3 the URL could not be written."
)]
pub struct Args {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Where to land after signing in: home, tickets, kb, or a path starting with /.
    #[arg(long, value_name = "home|tickets|kb|/PATH", default_value = "home")]
    pub return_to: String,
    /// The token to sign in with, `-` to read it from standard input (or use --mint).
    #[arg(required_unless_present = "mint", conflicts_with = "mint")]
    pub token: Option<String>,
    /// Mint a fresh token (needs --email and a key) instead of taking TOKEN.
    #[arg(long, requires = "email")]
    pub mint: bool,
    /// With --mint: the user's email address.
    #[arg(long, requires = "mint")]
    pub email: Option<String>,
    /// With --mint: the user's display name.
    #[arg(long, requires = "mint")]
    pub name: Option<String>,
    /// With --mint: issued-at, Unix seconds [default: now].
    #[arg(long, requires = "mint", value_name = "UNIX_SECONDS")]
    pub iat: Option<u64>,
    /// With --mint: the token's unique id [default: a fresh UUID].
    #[arg(long, requires = "mint")]
    pub jti: Option<String>,
    #[command(flatten)]
    pub key: KeySource,
}

/// Runs `url`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let return_to = ReturnTo::parse(&args.return_to).map_err(Failure::Config)?;
    let site = args.site.site()?;
    let token = match (&args.token, &args.email) {
        (Some(t), _) if t == "-" => compact_jws(read_stdin_token()?, STDIN_TEXT)?,
        (Some(t), _) => compact_jws(t.clone(), "TOKEN")?,
        (None, Some(email)) => {
            let key = args.key.load()?;
            mint_token(
                &key,
                email,
                args.name.as_deref(),
                args.iat,
                args.jti.as_deref(),
            )?
        }
        (None, None) => return Err(Failure::usage("give a TOKEN or --mint --email E")),
    };
    let url = hfjwt::login_url::<MAX_URL_LEN>(site, &token, Some(return_to))
        .map_err(Failure::Rejected)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{url}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::runtime(format!("cannot write the URL: {e}")))?;
    Ok(Outcome::Accepted)
}

/// One line of standard input: the token, with one trailing `\n` or `\r\n` stripped.
fn read_stdin_token() -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_STDIN_TOKEN_LEN)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::runtime(format!("cannot read the token from standard input: {e}")))?;
    if bytes.len() > MAX_STDIN_TOKEN_LEN {
        return Err(Failure::usage(format!(
            "the token on standard input is longer than {MAX_STDIN_TOKEN_LEN} bytes"
        )));
    }
    let line = bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(&bytes);
    String::from_utf8(line.to_vec()).map_err(|_| Failure::usage(not_a_jws(STDIN_TEXT)))
}

/// How messages name a token read for `-`.
const STDIN_TEXT: &str = "the text on standard input";

/// `text` (named `what` in the message) when it has the shape of a compact JWS: three non-empty base64url segments
/// separated by dots. Whether it is a *good* token is for the support center to judge; this
/// only stops a URL being built around something that is not a token at all (a key, a file
/// name, a whole URL).
pub fn compact_jws(text: String, what: &str) -> Result<String, Failure> {
    let segments: Vec<&str> = text.split('.').collect();
    let base64url = |s: &&str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    if segments.len() == 3 && segments.iter().all(base64url) {
        Ok(text)
    } else {
        Err(Failure::usage(not_a_jws(what)))
    }
}

fn not_a_jws(what: &str) -> String {
    format!(
        "{what} is not a compact JWS: expected three base64url segments separated by dots \
         (header.payload.signature)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_compact_jws_text_is_taken() {
        for ok in ["aaa.bbb.ccc", "eyJ-_0.e30.AZaz09-_"] {
            assert_eq!(compact_jws(ok.to_owned(), "TOKEN").unwrap(), ok);
        }
        for bad in [
            "",
            "t",
            "a.b",
            "a.b.c.d",
            "a..c",
            ".b.c",
            "a.b.",
            "a.b.c=",
            "a+b.c.d",
            "a.b.c\n",
            " a.b.c",
            "https://acme.happyfox.com/jwt/?token=a.b.c",
        ] {
            let e = compact_jws(bad.to_owned(), "TOKEN").unwrap_err();
            assert_eq!(e.exit_status(), 2, "{bad:?}");
            assert!(e.to_string().contains("not a compact JWS"), "{e}");
        }
    }
}
