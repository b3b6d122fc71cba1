//! Why a subcommand stopped, and the exit code that says so.

use std::fmt;
use std::process::ExitCode;

/// How a subcommand that ran to the end went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done and every token passed: exit 0.
    Accepted,
    /// At least one token was rejected; each verdict is already on stdout: exit 1.
    SomeRejected,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Accepted => ExitCode::SUCCESS,
            Outcome::SomeRejected => ExitCode::from(1),
        }
    }
}

/// Why a subcommand stopped early. Printed as one line on stderr.
#[derive(Debug)]
pub enum Failure {
    /// The core refused an input (a token, a grant, a URL part): exit 1.
    Rejected(hfjwt::Error),
    /// The core refused a configuration value, e.g. a `weak_key`: exit 2.
    Config(hfjwt::Error),
    /// Wrong invocation or unusable configuration (missing key, unreadable file): exit 2.
    Usage(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Rejected(_) => ExitCode::from(1),
            Failure::Config(_) | Failure::Usage(_) => ExitCode::from(2),
        }
    }

    /// A usage or configuration failure with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }
}

impl fmt::Display for Failure {
    /// `<kind>: <message>` for core errors, so scripts can match the stable kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Rejected(e) | Failure::Config(e) => write!(f, "{}: {e}", e.kind().as_str()),
            Failure::Usage(m) => f.write_str(m),
        }
    }
}
