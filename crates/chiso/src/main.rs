//! The `chiso` command: parses the command line and runs one command.

mod backup;
mod cli;
mod commands;
mod config_check;
mod error;
mod inputs;
mod output;
mod progress;
mod server;

use std::process::ExitCode;

use chiso_interchange::text::escape_controls;
use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Messages quote input files: their control characters are shown, not run.
            eprint!("{}", escape_controls(&error.to_string()));
            error.exit_code()
        }
    }
}
