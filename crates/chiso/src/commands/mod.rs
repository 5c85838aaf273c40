//! The commands; their failures are [`CliError`] (in `crate::error`).

mod compute;
mod framework;
mod indices;
mod survey;
mod weakness;

use crate::cli::{Cli, Command};
pub use crate::error::CliError;

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Compute(args)) => compute::run(args),
        Some(Command::Framework(command)) => framework::run(command),
        Some(Command::Weakness(args)) => weakness::run(args),
        Some(Command::Survey(command)) => survey::run(command),
        Some(Command::Indices(command)) => indices::run(command, &cli.server),
        Some(Command::Serve) | None => crate::server::serve(&cli.server),
        Some(Command::Migrate) => crate::server::migrate(&cli.server),
        Some(Command::Config(crate::cli::ConfigCommand::Check)) => {
            crate::config_check::check(&cli.server)
        }
        Some(Command::User(command)) => crate::server::user(&cli.server, command),
        Some(Command::Backup { output }) => {
            let manifest = crate::backup::backup(&cli.server, &output)?;
            println!(
                "{}: the database ({} tables, {} rows) and {} evidence file(s)",
                output.display(),
                manifest.tables.len(),
                manifest.tables.iter().map(|(_, n)| n).sum::<i64>(),
                manifest.files.len()
            );
            Ok(())
        }
        Some(Command::Restore { input }) => {
            let manifest = crate::backup::restore(&cli.server, &input)?;
            println!(
                "restored {} tables and {} evidence file(s) from {} (made {})",
                manifest.tables.len(),
                manifest.files.len(),
                input.display(),
                manifest.created_at
            );
            Ok(())
        }
    }
}
