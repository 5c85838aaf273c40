//! `chiso survey …`: indices from responses (docs/formats.md §6), questionnaires, sample sizes
//! and synthetic data. The maths and the reports live in `chiso-survey`; this file reads the
//! files, reports problems with their file and row, and writes the output.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use chiso_interchange::table::{FileKind, display_name, read_table};
use chiso_interchange::{InputError, InputErrors};
use chiso_survey::generate::{GenerateOptions, write_responses};
use chiso_survey::questionnaire::{BUNDLED, ParMethod};
use chiso_survey::report::{ReportOptions, build_report, previous_from_json, vi_number};
use chiso_survey::{Questionnaire, ReadError, Tally, sample_size};

use crate::cli::{Format, SurveyBy, SurveyCommand, SurveyGenerateArgs, SurveyIndexArgs};
use crate::commands::CliError;
use crate::output::{warn, write_output, write_text};
use crate::progress::{ProgressReader, Stage};

/// One input problem as the command's failure.
trait IntoCli {
    fn into_cli(self) -> CliError;
}

impl IntoCli for InputError {
    fn into_cli(self) -> CliError {
        CliError::Input(self.into())
    }
}

/// At most this many rejected rows are printed on standard error; JSON lists them all.
const MAX_PRINTED: usize = 200;

pub fn run(command: SurveyCommand) -> Result<(), CliError> {
    match command {
        SurveyCommand::Index(args) => index(args),
        SurveyCommand::List => {
            let mut out = String::new();
            for b in BUNDLED {
                let q = chiso_survey::bundled(b.id).expect("bundled");
                out.push_str(&format!(
                    "{:<12}  v{}  {} câu hỏi, {} yếu tố  {}\n",
                    q.id,
                    q.version,
                    q.items.len(),
                    q.factors.len(),
                    q.title
                ));
            }
            write_output(None, out.as_bytes(), false)
        }
        SurveyCommand::Show { questionnaire } => {
            let q = questionnaire_arg(&questionnaire)?;
            write_text(None, &show(&q))
        }
        SurveyCommand::SampleSize {
            transactions,
            error,
        } => {
            check_margin(error, "--error")?;
            let n = sample_size(transactions, error);
            write_output(None, format!("{n}\n").as_bytes(), false)
        }
        SurveyCommand::Generate(args) => generate(args),
    }
}

fn check_margin(e: f64, flag: &str) -> Result<(), CliError> {
    if e > 0.0 && e < 1.0 {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{flag} {e}: must be between 0 and 1"
        )))
    }
}

/// A questionnaire from a .toml file, or a bundled one by id when no such file exists.
fn questionnaire_arg(argument: &str) -> Result<Questionnaire, CliError> {
    let path = Path::new(argument);
    if !path.exists() {
        if let Some(q) = chiso_survey::bundled(argument) {
            return Ok(q);
        }
        let ids: Vec<&str> = BUNDLED.iter().map(|b| b.id).collect();
        return Err(InputError::file(
            argument,
            format!(
                "no such file, nor a bundled questionnaire ({})",
                ids.join(", ")
            ),
        )
        .into_cli());
    }
    let name = display_name(path);
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(&name, e).into_cli())?;
    Questionnaire::from_toml(&name, &text).map_err(|e| {
        CliError::Input(InputErrors(
            e.problems
                .into_iter()
                .map(|p| InputError::file(&name, p))
                .collect(),
        ))
    })
}

fn read_error(error: ReadError) -> CliError {
    InputError::at(&error.file, error.row.map(|r| r as usize), error.message).into_cli()
}

/// Reads responses.csv (streaming, with a progress line on a terminal) or .xlsx.
fn read_responses(questionnaire: &Questionnaire, path: &Path) -> Result<Tally, CliError> {
    let name = display_name(path);
    if FileKind::of(path) == Some(FileKind::Xlsx) {
        let bytes = std::fs::read(path).map_err(|e| InputError::io(&name, e).into_cli())?;
        return chiso_survey::read_xlsx(questionnaire, &name, &bytes).map_err(read_error);
    }
    let file = std::fs::File::open(path).map_err(|e| InputError::io(&name, e).into_cli())?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = ProgressReader::new(file, format!("Đang đọc {name}"), total);
    chiso_survey::read_csv_sized(questionnaire, &name, reader, Some(total)).map_err(read_error)
}

/// `NAME=CODE,CODE` → (name, codes).
fn parse_group(text: &str) -> Result<(String, Vec<String>), CliError> {
    let (name, codes) = text
        .split_once('=')
        .ok_or_else(|| CliError::Usage(format!("--group {text}: expected NAME=CODE,CODE")))?;
    let codes: Vec<String> = codes
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if name.trim().is_empty() || codes.is_empty() {
        return Err(CliError::Usage(format!(
            "--group {text}: expected NAME=CODE,CODE"
        )));
    }
    Ok((name.trim().to_string(), codes))
}

/// units.csv with `unit_code,transactions`.
fn transactions(path: &Path) -> Result<HashMap<String, u64>, CliError> {
    let table = read_table(path).map_err(IntoCli::into_cli)?;
    let code = table.require("unit_code").map_err(IntoCli::into_cli)?;
    let count = table.require("transactions").map_err(IntoCli::into_cli)?;
    let mut out = HashMap::new();
    let mut errors = InputErrors::default();
    for row in &table.rows {
        let unit = row.get(Some(code));
        let text = row.get(Some(count));
        if unit.is_empty() {
            errors.push(InputError::row(
                &table.name,
                row.number,
                "empty unit_code".to_string(),
            ));
            continue;
        }
        match text.parse::<u64>() {
            Ok(n) => {
                if out.insert(unit.to_string(), n).is_some() {
                    errors.push(InputError::row(
                        &table.name,
                        row.number,
                        format!("unit {unit} is listed twice"),
                    ));
                }
            }
            Err(_) => errors.push(InputError::row(
                &table.name,
                row.number,
                format!("transactions: '{text}' is not a whole number ≥ 0"),
            )),
        }
    }
    Ok(errors.into_result(out)?)
}

fn index(args: SurveyIndexArgs) -> Result<(), CliError> {
    let questionnaire = questionnaire_arg(&args.questionnaire)?;
    check_margin(args.target_error, "--target-error")?;
    let groups = args
        .groups
        .iter()
        .map(|g| parse_group(g))
        .collect::<Result<Vec<_>, _>>()?;
    let targets = match &args.transactions {
        Some(path) => Some((transactions(path)?, args.target_error)),
        None => None,
    };
    let previous = match &args.previous {
        Some(path) => {
            let name = display_name(path);
            let text =
                std::fs::read_to_string(path).map_err(|e| InputError::io(&name, e).into_cli())?;
            Some(previous_from_json(&text).map_err(|e| InputError::file(&name, e).into_cli())?)
        }
        None => None,
    };

    let tally = read_responses(&questionnaire, &args.responses)?;
    let name = display_name(&args.responses);
    if args.strict && !tally.rejected.is_empty() {
        return Err(CliError::Input(InputErrors(
            tally
                .rejected
                .iter()
                .map(|r| InputError::row(&name, r.row as usize, r.reason.to_string()))
                .collect(),
        )));
    }
    for warning in &tally.warnings {
        warn(&format!("{name}: {warning}"));
    }
    for r in tally.rejected.iter().take(MAX_PRINTED) {
        warn(&format!("{name} row {}: {} (row skipped)", r.row, r.reason));
    }
    if tally.rejected.len() > MAX_PRINTED {
        warn(&format!(
            "… and {} more rejected rows (all are listed in --format json)",
            tally.rejected.len() - MAX_PRINTED
        ));
    }

    let stage = Stage::start("Đang tính chỉ số");
    let options = ReportOptions {
        by_channel: args.by == Some(SurveyBy::Channel),
        by_service: args.by == Some(SurveyBy::Service),
        groups,
        targets,
        previous,
    };
    let report = build_report(&questionnaire, &tally, &options);
    drop(stage);
    if let Some((transactions, _)) = &options.targets {
        for unit in &report.units {
            match &unit.sample {
                Some(s) if s.below_target => warn(&format!(
                    "unit {}: {} responses, below the target sample {} (N = {} transactions)",
                    unit.unit_code, s.responses, s.target, s.transactions
                )),
                None => warn(&format!(
                    "unit {} has no row in {}: no target sample",
                    unit.unit_code,
                    args.transactions
                        .as_deref()
                        .map(display_name)
                        .unwrap_or_default()
                )),
                _ => {}
            }
        }
        for code in transactions.keys() {
            if !report.units.iter().any(|u| &u.unit_code == code) {
                warn(&format!(
                    "unit {code} has transactions but no accepted response"
                ));
            }
        }
    }
    if tally.accepted() == 0 {
        warn(&format!("{name}: no accepted response"));
    }

    let _stage = Stage::start("Đang tạo kết quả");
    let bytes = match args.format {
        Format::Json => report.to_json().into_bytes(),
        Format::Csv => report.to_csv(&questionnaire).into_bytes(),
        Format::Table => {
            return write_text(args.output.as_deref(), &report.to_table(&questionnaire));
        }
        Format::Xlsx => report
            .to_xlsx(&questionnaire)
            .map_err(|e| CliError::Failed(format!("cannot build the workbook: {e}")))?,
    };
    write_output(args.output.as_deref(), &bytes, args.format == Format::Xlsx)
}

/// The questionnaire as text, for `chiso survey show`.
fn show(q: &Questionnaire) -> String {
    let mut out = format!("{} — {}\n", q.id, q.title);
    out.push_str(&format!("Phiên bản {}", q.version));
    if let Some(year) = q.year {
        out.push_str(&format!(", năm {year}"));
    }
    if let Some(m) = &q.methodology {
        out.push_str(&format!(", {m}"));
    }
    out.push('\n');
    out.push_str("Thang trả lời:\n");
    for a in &q.scale.answers {
        let counts = match a.share {
            None => "không tính".to_string(),
            Some(s) => format!("{} %", vi_number(s * 100.0, 0)),
        };
        out.push_str(&format!("  {:<3} {:<22} {}\n", a.code, a.label, counts));
    }
    for f in &q.factors {
        out.push_str(&format!("{} {}\n", f.code, f.title));
        for &i in &f.items {
            let item = &q.items[i];
            out.push_str(&format!("  {:<8} {}", item.code, item.title));
            if let (Some(max), Some(leaf)) = (item.max_points, &item.leaf) {
                out.push_str(&format!(" [{} điểm → {leaf}]", vi_number(max, 2)));
            }
            out.push('\n');
            if let Some(labels) = &item.labels {
                let own: Vec<String> = q
                    .scale
                    .answers
                    .iter()
                    .zip(labels)
                    .map(|(a, label)| format!("{} {label}", a.code))
                    .collect();
                out.push_str(&format!("           trả lời: {}\n", own.join(" / ")));
            }
        }
    }
    for item in q.items.iter().filter(|i| i.factor.is_none()) {
        out.push_str(&format!("— {:<8} {}\n", item.code, item.title));
    }
    if let Some(par) = &q.par {
        match &par.method {
            ParMethod::Index { leaf } => out.push_str(&format!(
                "Điểm CCHC: chỉ số × {} / 100{}\n",
                vi_number(par.points, 2),
                leaf.as_ref()
                    .map(|l| format!(" → tiêu chí {l}"))
                    .unwrap_or_default()
            )),
            ParMethod::ItemPoints => out.push_str(&format!(
                "Điểm CCHC: tổng điểm các câu hỏi (tối đa {}), mỗi câu vào tiêu chí của nó\n",
                vi_number(par.points, 2)
            )),
        }
    }
    for d in &q.demographics {
        let options: Vec<String> = d
            .options
            .iter()
            .map(|o| format!("{} = {}", o.code, o.label))
            .collect();
        out.push_str(&format!(
            "Cột {} ({}): {}\n",
            d.code,
            d.title,
            options.join("; ")
        ));
    }
    if let Some(e) = &q.expectations {
        out.push_str(&format!(
            "Cột {} ({}; tối đa {}, cách nhau bởi ';'):\n",
            e.question.code, e.question.title, e.max_choices
        ));
        for o in &e.question.options {
            out.push_str(&format!("  {:<16} {}\n", o.code, o.label));
        }
    }
    if let Some(c) = &q.comment {
        out.push_str(&format!("Cột {}: {}\n", c.code, c.title));
    }
    out
}

/// Writes the synthetic file beside its target and renames it, like every other output.
fn generate(args: SurveyGenerateArgs) -> Result<(), CliError> {
    let questionnaire = questionnaire_arg(&args.questionnaire)?;
    if args.units == 0 {
        return Err(CliError::Usage("--units must be at least 1".to_string()));
    }
    let path = &args.output;
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path.file_name().ok_or_else(|| {
        CliError::Usage(format!("--output {} is not a file name", path.display()))
    })?;
    let temporary = directory.join(format!(".{}.partial", file_name.to_string_lossy()));
    let options = GenerateOptions {
        rows: args.rows,
        units: args.units,
        seed: args.seed,
        weighted: !args.unweighted,
    };
    let written = std::fs::File::create(&temporary)
        .and_then(|file| {
            let mut writer = std::io::BufWriter::new(file);
            write_responses(&questionnaire, &options, &mut writer)?;
            writer.flush()
        })
        .and_then(|_| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(CliError::Failed(format!(
            "cannot write {}: {error}",
            path.display()
        )));
    }
    Ok(())
}
