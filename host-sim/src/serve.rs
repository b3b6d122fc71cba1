//! placeholder
use crate::failure::{Failure, Outcome};
/// Serve.
#[derive(clap::Args, Debug)]
pub struct Args {}
/// Runs `serve`.
pub fn run(_args: Args) -> Result<Outcome, Failure> {
    Err(Failure::usage("todo"))
}
