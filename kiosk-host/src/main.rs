//! `hfjwt-kiosk-host`: the kiosk PC's agent. See the crate README for options and deployment.

use std::process::ExitCode;

use clap::Parser;
use hfjwt_kiosk_host::config::Args;

fn main() -> ExitCode {
    // clap exits with 2 on its own for unknown or malformed options.
    let args = Args::parse();
    let config = match args.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match hfjwt_kiosk_host::shell::run(config) {
        // Stopped by SIGTERM, SIGINT or SIGHUP, cleanly: a requested stop is a success.
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
