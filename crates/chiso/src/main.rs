//! The `chiso` command: parses the command line and runs one command.

mod cli;
mod commands;
mod inputs;
mod output;
mod progress;
mod server;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprint!("{error}");
            error.exit_code()
        }
    }
}
