//! `hfjwt-sim`: hfjwt on the desktop.
//!
//! A thin command line over the `hfjwt` core: `mint` a token, build a login `url`, `verify`
//! tokens (streaming from stdin through one verifier), and `serve` a local stand-in for a
//! HappyFox support center with a sample login portal. Every token rule lives in the core;
//! this crate only moves bytes, time and HTTP to and from it.
//!
//! Exit status for every subcommand: 0 ok, 1 rejected (the core refused a token or input;
//! its stable kind is printed), 2 usage or configuration error, 3 run-time failure (e.g. a
//! port that cannot be bound, an I/O error); see `failure.rs`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod clock;
mod failure;
mod key;
mod kiosk;
mod mint;
mod qemu;
mod scenario;
mod serve;
mod url;
mod verify;

use failure::{Failure, Outcome};

/// hfjwt on the desktop: mint, build login URLs, verify HappyFox JWT SSO tokens, and serve a
/// local support-center stand-in.
#[derive(Parser, Debug)]
#[command(
    name = "hfjwt-sim",
    version,
    after_help = "Keys are read only from a file (--key-file) or an environment variable \
(--key-env), never from the command line.\n\nExit status: 0 ok, 1 rejected, 2 usage or \
configuration error, 3 run-time failure (e.g. a port that cannot be bound)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per subcommand; each lives in its own module exposing `Args` and `run`.
/// To add one: `mod name;`, a variant here, and an arm in [`Command::run`].
#[derive(Subcommand, Debug)]
enum Command {
    /// Mint a HappyFox token.
    Mint(mint::Args),
    /// Print the login URL for a token.
    Url(url::Args),
    /// Verify tokens from the arguments or standard input.
    Verify(verify::Args),
    /// Run a local HappyFox support-center stand-in with a sample login portal.
    Serve(serve::Args),
    /// Run the kiosk firmware's logic on the desktop (stdin, or a scenario file).
    Kiosk(kiosk::Args),
    /// Build the kiosk firmware for a board (`--board lm3s6965evb|netduinoplus2`), boot it
    /// under qemu-system-arm and run a scenario on it.
    Qemu(qemu::Args),
}

impl Command {
    fn run(self) -> Result<Outcome, Failure> {
        match self {
            Command::Mint(args) => mint::run(args),
            Command::Url(args) => url::run(args),
            Command::Verify(args) => verify::run(args),
            Command::Serve(args) => serve::run(args),
            Command::Kiosk(args) => kiosk::run(args),
            Command::Qemu(args) => qemu::run(args),
        }
    }
}

fn main() -> ExitCode {
    // clap exits 2 on a usage error and 0 for --help / --version.
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(outcome) => outcome.exit_code(),
        Err(failure) => {
            eprintln!("hfjwt-sim: {failure}");
            failure.exit_code()
        }
    }
}
