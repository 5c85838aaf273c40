//! `chiso compute` (docs/formats.md §4).

use chiso_domain::change::{Lineage, PreviousYear, compare_populations, name_changes};
use chiso_domain::{Bands, Evaluation, evaluate};
use chiso_interchange::report::{UnitDirectory, build_report};

use crate::cli::{ComputeArgs, Format};
use crate::error::CliError;
use crate::inputs;
use crate::output::{warn, write_output, write_text};
use crate::progress::Stage;

pub fn run(args: ComputeArgs) -> Result<(), CliError> {
    let bands = match &args.bands {
        Some(text) => Bands::parse(text).map_err(|e| CliError::Usage(format!("--bands: {e}")))?,
        None => Bands::default(),
    };
    let (framework, scores, directory) = inputs::read_scoring_inputs(&args.inputs)?;
    let previous = args.previous.as_deref().map(inputs::previous).transpose()?;
    let lineage = args.lineage.as_deref().map(inputs::lineage).transpose()?;
    for code in inputs::units_without_scores(&directory, &scores) {
        warn(&format!(
            "unit {code} is in units.csv but has no scores; it is left out"
        ));
    }

    let stage = Stage::start("Đang tính điểm và xếp hạng");
    let evaluation = evaluate(&framework, scores.units, &bands);
    if let (Some(previous), Some(path)) = (&previous, &args.previous) {
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        warn_about_previous(&file, &evaluation, &directory, previous, lineage.as_ref());
    }
    let report = build_report(
        &framework,
        &evaluation,
        &directory,
        previous.as_ref(),
        lineage.as_ref(),
    );
    drop(stage);
    let _stage = Stage::start("Đang tạo kết quả");
    let bytes = match args.format {
        Format::Json => report.to_json().into_bytes(),
        Format::Csv => report.to_csv().into_bytes(),
        Format::Table => return write_text(args.output.as_deref(), &report.to_table()),
        Format::Xlsx => report
            .to_xlsx(&framework, &evaluation)
            .map_err(|e| CliError::Failed(format!("cannot build the workbook: {e}")))?,
    };
    write_output(args.output.as_deref(), &bytes, args.format == Format::Xlsx)
}

/// At most this many codes are named in a warning.
const CODES_NAMED: usize = 5;

/// `codes` joined, the first [`CODES_NAMED`] of them.
fn a_few(codes: &[String]) -> String {
    let mut text = codes
        .iter()
        .take(CODES_NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > CODES_NAMED {
        text.push_str(", …");
    }
    text
}

/// Warns when the earlier year ranked a different set of units than this run (its rank
/// changes are then flagged as not comparable), and when a code names another unit than it
/// did the earlier year (docs/method.md §2.11).
fn warn_about_previous(
    file: &str,
    evaluation: &Evaluation,
    directory: &UnitDirectory,
    previous: &PreviousYear,
    lineage: Option<&Lineage>,
) {
    let codes = evaluation.units.iter().map(|u| u.code.as_str());
    let populations = compare_populations(codes, previous, lineage);
    if populations.differ() {
        let mut parts = Vec::new();
        let left_out = format!("left out (ranked only in {file})");
        for (list, what) in [
            (&populations.added, "added (no earlier result)"),
            (&populations.left_out, left_out.as_str()),
            (&populations.merged, "formed from several earlier units"),
            (&populations.split, "continued by several units now"),
        ] {
            if !list.is_empty() {
                parts.push(format!("{} {what}: {}", list.len(), a_few(list)));
            }
        }
        warn(&format!(
            "{file} ranked a different set of units ({} then, {} now): {}; rank changes are \
             flagged as not comparable (rank_change_comparable: false)",
            populations.previous_count,
            populations.current_count,
            parts.join("; ")
        ));
    }
    let current = evaluation.units.iter().map(|u| {
        (
            u.code.as_str(),
            directory.names.get(&u.code).map(String::as_str),
        )
    });
    for change in name_changes(current, previous, lineage) {
        warn(&format!(
            "unit code {} is {} here but {} in {file}: the code is compared with another unit \
             (the 2025 merger reused codes 15, 24, 44, 52, 80, 82 and 91; --lineage \
             merger-2025 compares through the lineage)",
            change.code, change.name, change.previous_name
        ));
    }
}
