//! Writing results: to standard output, or to a file that appears whole or not at all.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::commands::CliError;

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
