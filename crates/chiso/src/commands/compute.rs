//! `chiso compute` (docs/formats.md §4).

use chiso_domain::{Bands, evaluate};
use chiso_interchange::report::build_report;

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
