//! `hfjwt-sim mint`: print a HappyFox token.

use std::io::Write as _;

use hfjwt::{Grant, Key};

use crate::clock::unix_now;
use crate::failure::{Failure, Outcome};
use crate::key::KeySource;

/// Mint a HappyFox token (HS256, claims name, email, iat, jti, and aud if asked) and print it.
#[derive(clap::Args, Debug)]
#[command(after_help = "Exit status: 0 printed, 1 the core refused the grant \
(e.g. invalid_claim for an invalid email), 2 usage or key error.")]
pub struct Args {
    #[command(flatten)]
    pub key: KeySource,
    /// The user's email address.
    #[arg(long)]
    pub email: String,
    /// The user's display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Issued-at, Unix seconds [default: now].
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub iat: Option<u64>,
    /// The token's unique id [default: a fresh UUID].
    #[arg(long)]
    pub jti: Option<String>,
    /// Bind the token to one audience (e.g. a kiosk's device id): only a verifier with that
    /// --audience accepts it. HappyFox itself takes no aud.
    #[arg(long, value_name = "AUDIENCE")]
    pub aud: Option<String>,
}

/// Runs `mint`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let key = args.key.load()?;
    let token = mint_grant(
        &key,
        &args.email,
        args.name.as_deref(),
        args.iat,
        args.jti.as_deref(),
        args.aud.as_deref(),
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::runtime(format!("cannot write the token: {e}")))?;
    Ok(Outcome::Accepted)
}

/// Mints through the core; `iat` defaults to now and `jti` to a fresh UUID v4.
pub fn mint_token(
    key: &Key,
    email: &str,
    name: Option<&str>,
    iat: Option<u64>,
    jti: Option<&str>,
) -> Result<String, Failure> {
    mint_grant(key, email, name, iat, jti, None)
}

/// [`mint_token`], bound to an audience when `aud` is given.
pub fn mint_grant(
    key: &Key,
    email: &str,
    name: Option<&str>,
    iat: Option<u64>,
    jti: Option<&str>,
    aud: Option<&str>,
) -> Result<String, Failure> {
    let iat = match iat {
        Some(t) => t,
        None => unix_now()?,
    };
    let fresh;
    let jti = match jti {
        Some(j) => j,
        None => {
            fresh = uuid::Uuid::new_v4().to_string();
            &fresh
        }
    };
    let mut grant = Grant::new(email, iat, jti);
    if let Some(name) = name {
        grant = grant.with_name(name);
    }
    if let Some(aud) = aud {
        grant = grant.with_audience(aud);
    }
    let mut buf = vec![0u8; hfjwt::token_len(&grant)];
    hfjwt::mint(key, &grant, &mut buf)
        .map(str::to_owned)
        .map_err(Failure::Rejected)
}
