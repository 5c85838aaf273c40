//! Writing results: to standard output, or to a file that appears whole or not at all.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chiso_interchange::text::escape_controls;

use crate::error::CliError;

/// A warning on standard error. It often quotes an input file (a unit code, a reason), so its
/// control characters are escaped: an escape sequence in a file is shown, not run by the
/// terminal.
pub fn warn(message: &str) {
    eprintln!("warning: {}", escape_controls(message));
}

/// Text for people (a table, a tree, a summary) to `output` or standard output, its control
/// characters escaped as in [`warn`]. Data formats (JSON, CSV) go through [`write_output`]
/// unchanged: JSON escapes them itself, and CSV must read back as written.
pub fn write_text(output: Option<&Path>, text: &str) -> Result<(), CliError> {
    write_output(output, escape_controls(text).as_bytes(), false)
}

/// Writes `bytes` to `output`, or to standard output. A file is written beside its target and
/// renamed into place, so an interrupted run never leaves a half-written file.
pub fn write_output(output: Option<&Path>, bytes: &[u8], binary: bool) -> Result<(), CliError> {
    match output {
        Some(path) => {
            let directory = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let file_name = path.file_name().ok_or_else(|| {
                CliError::Usage(format!("--output {} is not a file name", path.display()))
            })?;
            let temporary = directory.join(format!(".{}.partial", file_name.to_string_lossy()));
            let written =
                std::fs::write(&temporary, bytes).and_then(|_| std::fs::rename(&temporary, path));
            if let Err(error) = written {
                let _ = std::fs::remove_file(&temporary);
                return Err(CliError::Failed(format!(
                    "cannot write {}: {error}",
                    path.display()
                )));
            }
            Ok(())
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if binary && stdout.is_terminal() {
                return Err(CliError::Usage(
                    "this format is binary: give --output FILE or redirect standard output"
                        .to_string(),
                ));
            }
            stdout
                .write_all(bytes)
                .and_then(|_| stdout.flush())
                .map_err(|e| CliError::Failed(format!("cannot write to standard output: {e}")))
        }
    }
}
