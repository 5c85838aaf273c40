//! Why a command failed, and how the failure reaches the user: one type that the commands, the
//! output writers and the server commands share (outside `commands`, so that `output` does not
//! import the module that imports it).

use std::fmt;
use std::process::ExitCode;

use chiso_interchange::InputErrors;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// Problems in the input files, each naming its file, row and field. Nothing was written.
    Input(InputErrors),
    /// The command line itself is wrong.
    Usage(String),
    /// Anything else (an output that cannot be written).
    Failed(String),
}

impl From<InputErrors> for CliError {
    fn from(errors: InputErrors) -> CliError {
        CliError::Input(errors)
    }
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) | CliError::Failed(_) => ExitCode::from(1),
            CliError::Usage(_) => ExitCode::from(2),
        }
    }
}

/// At most this many problems are listed; the count of the rest follows.
const MAX_LISTED: usize = 200;

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(errors) => {
                for error in errors.0.iter().take(MAX_LISTED) {
                    writeln!(f, "error: {error}")?;
                }
                if errors.0.len() > MAX_LISTED {
                    writeln!(f, "error: … and {} more", errors.0.len() - MAX_LISTED)?;
                }
                writeln!(
                    f,
                    "{} problem(s) found; nothing was computed or written.",
                    errors.0.len()
                )
            }
            CliError::Usage(message) => writeln!(f, "error: {message}"),
            CliError::Failed(message) => writeln!(f, "error: {message}"),
        }
    }
}
