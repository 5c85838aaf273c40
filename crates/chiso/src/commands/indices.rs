//! `chiso indices read|import|list|published` (docs/formats.md §7, §8.13).

use chiso_interchange::indices::{
    IndicesReport, ReadOptions, indices_csv, indices_table, read_indices,
};
use chiso_interchange::table::{FileKind, display_name};
use chiso_interchange::{InputError, InputErrors};

use crate::cli::{
    IndicesCommand, IndicesFileArgs, IndicesFormat, IndicesImportArgs, IndicesReadArgs, ServerArgs,
};
use crate::error::CliError;
use crate::output::{warn, write_output, write_text};

pub fn run(command: IndicesCommand, server: &ServerArgs) -> Result<(), CliError> {
    match command {
        IndicesCommand::Read(args) => read(args),
        IndicesCommand::Import(args) => import(args, server),
        IndicesCommand::List => {
            let mut text = String::new();
            for structure in chiso_refdata::structures() {
                let years = match structure.years.to {
                    Some(to) => format!("{}–{to}", structure.years.from),
                    None => format!("{}–", structure.years.from),
                };
                let subs: usize = structure
                    .dimensions
                    .iter()
                    .map(|d| d.sub_dimensions.len())
                    .sum();
                text.push_str(&format!(
                    "{:<18} {:<12} {:<9} {} dimensions, {} sub-dimensions, {} components; {} – {}\n",
                    structure.id,
                    structure.index,
                    years,
                    structure.dimensions.len(),
                    subs,
                    structure.components.len(),
                    structure.publisher,
                    structure.title_en,
                ));
            }
            write_text(None, &text)
        }
        IndicesCommand::Published => write_output(
            None,
            chiso_refdata::published::published_indices_csv().as_bytes(),
            false,
        ),
    }
}

/// Reads the file of a command, printing its warnings on standard error.
fn read_file(args: &IndicesFileArgs) -> Result<(String, IndicesReport), CliError> {
    let name = display_name(&args.file);
    let bytes =
        std::fs::read(&args.file).map_err(|e| InputErrors::from(InputError::io(&name, e)))?;
    let kind = FileKind::of(&args.file).unwrap_or(FileKind::Csv);
    let catalogue = chiso_refdata::index_catalogue();
    let roster = chiso_refdata::province_roster();
    let options = ReadOptions {
        catalogue: &catalogue,
        roster: &roster,
        index: args.index.as_deref(),
        year: args.year,
    };
    let report = read_indices(&name, &bytes, kind, options).map_err(InputErrors::from)?;
    for warning in &report.warnings {
        warn(&warning.to_string());
    }
    Ok((name, report))
}

fn import(args: IndicesImportArgs, server: &ServerArgs) -> Result<(), CliError> {
    let (name, report) = read_file(&args.read)?;
    let source = chiso_store::indices::ImportSource {
        publisher: args.publisher,
        document: args.document,
        published_on: args.date,
        url: args.url,
    };
    let outcome = crate::server::import_indices(server, &name, &source, &report)?;
    let mut text = format!(
        "{name}: import #{} of {}\n",
        outcome.import_id, report.index
    );
    for year in &outcome.years {
        let replaced = match year.replaced {
            Some(replaced) => format!(
                ", replacing import #{} (kept in history)",
                replaced.import_id
            ),
            None => String::new(),
        };
        text.push_str(&format!(
            "  {} {}: {} units{replaced}\n",
            report.index, year.year, year.units
        ));
    }
    write_text(None, &text)
}

fn read(args: IndicesReadArgs) -> Result<(), CliError> {
    let (_, report) = read_file(&args.read)?;
    let output = args.output.as_deref();
    match args.format {
        IndicesFormat::Json => {
            let mut json = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))?;
            json.push('\n');
            write_output(output, json.as_bytes(), false)
        }
        IndicesFormat::Csv => write_output(output, indices_csv(&report).as_bytes(), false),
        IndicesFormat::Table => write_text(output, &indices_table(&report)),
    }
}
