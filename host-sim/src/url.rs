//! `hfjwt-sim url`: print the support center's login URL for a token.

use std::io::Write as _;

use hfjwt::{ReturnTo, Site};

use crate::failure::{Failure, Outcome};
use crate::key::KeySource;
use crate::mint::mint_token;

/// The longest login URL printed, in bytes; a longer one is `buffer_too_small`.
pub const MAX_URL_LEN: usize = 8192;

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
    /// The core's [`Site`] for these arguments.
    pub fn site(&self) -> Site<'_> {
        match (&self.account, &self.domain, &self.origin) {
            (Some(a), _, _) => Site::Account(a),
            (None, Some(d), _) => Site::Domain(d),
            (None, None, Some(o)) => Site::Origin(o),
            // clap's required group guarantees one; an empty account is refused by the core.
            (None, None, None) => Site::Account(""),
        }
    }
}

/// Print the login URL `<site>/jwt/?token=<TOKEN>[&return_to=<path>]` for a given or freshly
/// minted token.
#[derive(clap::Args, Debug)]
#[command(after_help = "Exit status: 0 printed, 1 the core refused a part \
(malformed account, domain or return_to; invalid_claim when minting), 2 usage or key error.")]
pub struct Args {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Where to land after signing in: home, tickets, kb, or a path starting with /.
    #[arg(long, value_name = "home|tickets|kb|/PATH")]
    pub return_to: Option<String>,
    /// The token to sign in with (or use --mint).
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
    let return_to = args
        .return_to
        .as_deref()
        .map(ReturnTo::parse)
        .transpose()
        .map_err(Failure::Rejected)?;
    let token = match (&args.token, &args.email) {
        (Some(t), _) => t.clone(),
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
    let url = hfjwt::login_url::<MAX_URL_LEN>(args.site.site(), &token, return_to)
        .map_err(Failure::Rejected)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{url}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::usage(format!("cannot write the URL: {e}")))?;
    Ok(Outcome::Accepted)
}
