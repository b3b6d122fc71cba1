//! Why a subcommand stopped, and the exit code that says so.
//!
//! | exit | meaning |
//! | --- | --- |
//! | 0 | everything asked for was done (and every token passed) |
//! | 1 | rejected: the core refused a token or an input; the kind is printed |
//! | 2 | usage or configuration: a wrong flag, a missing or unusable key, a bad setting |
//! | 3 | run time: the command was right but the machine failed it (a port that cannot be bound, an I/O error) |

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
    /// The invocation was fine but running it failed: a port that cannot be bound, an I/O
    /// error on stdout or the network, a runtime that cannot start: exit 3.
    Runtime(String),
}

/// Exit code of [`Failure::Rejected`].
pub const EXIT_REJECTED: u8 = 1;
/// Exit code of [`Failure::Usage`] and [`Failure::Config`].
pub const EXIT_USAGE: u8 = 2;
/// Exit code of [`Failure::Runtime`].
pub const EXIT_RUNTIME: u8 = 3;

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_status())
    }

    /// The number [`Failure::exit_code`] exits with (see the module docs for the table).
    pub fn exit_status(&self) -> u8 {
        match self {
            Failure::Rejected(_) => EXIT_REJECTED,
            Failure::Config(_) | Failure::Usage(_) => EXIT_USAGE,
            Failure::Runtime(_) => EXIT_RUNTIME,
        }
    }

    /// A usage or configuration failure with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    /// A run-time failure (exit 3) with this message.
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure::Runtime(message.into())
    }
}

impl fmt::Display for Failure {
    /// `<kind>: <message>` for core errors, so scripts can match the stable kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Rejected(e) | Failure::Config(e) => write!(f, "{}: {e}", e.kind().as_str()),
            Failure::Usage(m) | Failure::Runtime(m) => f.write_str(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_own_exit_status() {
        let e = hfjwt::Error::new(hfjwt::Reason::Segments);
        assert_eq!(Failure::Rejected(e).exit_status(), 1);
        assert_eq!(Failure::Config(e).exit_status(), 2);
        assert_eq!(Failure::usage("u").exit_status(), 2);
        assert_eq!(Failure::runtime("r").exit_status(), 3);
        assert_eq!(
            Failure::runtime("cannot listen").to_string(),
            "cannot listen"
        );
    }
}
