//! `chiso indices read|list|published` (docs/formats.md §7).

use chiso_interchange::indices::{
    IndicesReport, ReadOptions, indices_csv, indices_table, read_indices,
};
use chiso_interchange::table::{FileKind, display_name};
use chiso_interchange::{InputError, InputErrors};

use crate::cli::{IndicesCommand, IndicesFormat, IndicesReadArgs};
use crate::error::CliError;
use crate::output::{warn, write_output, write_text};

pub fn run(command: IndicesCommand) -> Result<(), CliError> {
    match command {
        IndicesCommand::Read(args) => read(args),
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

fn read(args: IndicesReadArgs) -> Result<(), CliError> {
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
    let report: IndicesReport =
        read_indices(&name, &bytes, kind, options).map_err(InputErrors::from)?;
    for warning in &report.warnings {
        warn(&warning.to_string());
    }
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
