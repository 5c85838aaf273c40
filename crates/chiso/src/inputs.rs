//! Reading the command's input files, with progress on large ones.

use std::collections::HashSet;
use std::path::Path;

use chiso_domain::Framework;
use chiso_domain::change::{Lineage, PreviousYear};
use chiso_interchange::framework_io::read_framework;
use chiso_interchange::report::UnitDirectory;
use chiso_interchange::table::{FileKind, Table, display_name, read_csv, read_table};
use chiso_interchange::units_io::{
    ScoresInput, read_lineage, read_previous, read_scores, read_units,
};
use chiso_interchange::{InputError, InputErrors};

use crate::cli::ScoringInputs;
use crate::progress::ProgressReader;

/// A framework from a file, or a bundled one by id when no such file exists.
pub fn framework(argument: &str) -> Result<Framework, InputErrors> {
    let path = Path::new(argument);
    if !path.exists()
        && let Some(framework) = chiso_refdata::framework(argument)
    {
        return Ok(framework);
    }
    if !path.exists() {
        let bundled: Vec<&str> = chiso_refdata::FRAMEWORKS.iter().map(|f| f.id).collect();
        return Err(InputError::file(
            argument,
            format!(
                "no such file, nor a bundled framework ({})",
                bundled.join(", ")
            ),
        )
        .into());
    }
    read_framework(path, None)
}

/// A table from CSV (with a progress line) or .xlsx.
pub fn table(path: &Path) -> Result<Table, InputErrors> {
    let name = display_name(path);
    if FileKind::of(path) == Some(FileKind::Xlsx) {
        return Ok(read_table(path)?);
    }
    let file = std::fs::File::open(path).map_err(|e| InputError::io(&name, e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = ProgressReader::new(
        std::io::BufReader::new(file),
        format!("Đang đọc {name}"),
        total,
    );
    Ok(read_csv(&name, reader)?)
}

/// The framework, the scores and the unit directory of a scoring command.
pub fn read_scoring_inputs(
    args: &ScoringInputs,
) -> Result<(Framework, ScoresInput, UnitDirectory), InputErrors> {
    let framework = framework(&args.framework)?;
    let (scores, directory) = scores_and_units(&framework, &args.scores, args.units.as_deref())?;
    Ok((framework, scores, directory))
}

/// Scores, with names and regions from units.csv when given. All problems in both files are
/// reported together.
pub fn scores_and_units(
    framework: &Framework,
    scores: &Path,
    units: Option<&Path>,
) -> Result<(ScoresInput, UnitDirectory), InputErrors> {
    let mut directory = UnitDirectory::default();
    let known = match units {
        Some(path) => {
            let records = read_units(&table(path)?)?;
            let known: HashSet<String> = records.iter().map(|u| u.code.clone()).collect();
            for record in records {
                if let Some(name) = record.name {
                    directory.names.insert(record.code.clone(), name);
                }
                if let Some(region) = record.region {
                    directory.regions.insert(record.code, region);
                }
            }
            Some(known)
        }
        None => None,
    };
    let mut input = read_scores(&table(scores)?, framework, known.as_ref())?;
    for (code, name) in &input.names {
        directory
            .names
            .entry(code.clone())
            .or_insert_with(|| name.clone());
    }
    for unit in &mut input.units {
        unit.group = directory.regions.get(&unit.code).cloned();
    }
    Ok((input, directory))
}

/// Units listed in units.csv that have no scores: left out, and said so.
pub fn units_without_scores(directory: &UnitDirectory, input: &ScoresInput) -> Vec<String> {
    let scored: HashSet<&str> = input.units.iter().map(|u| u.code.as_str()).collect();
    let mut missing: Vec<String> = directory
        .names
        .keys()
        .chain(directory.regions.keys())
        .filter(|code| !scored.contains(code.as_str()))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    missing.sort();
    missing
}

pub fn previous(path: &Path) -> Result<PreviousYear, InputErrors> {
    let name = display_name(path);
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(&name, e))?;
    Ok(read_previous(&name, &text)?)
}

/// A lineage file, or the bundled 2025 merger lineage.
pub fn lineage(argument: &str) -> Result<Lineage, InputErrors> {
    if argument == "merger-2025" && !Path::new(argument).exists() {
        return Ok(chiso_refdata::lineage_2025());
    }
    read_lineage(&table(Path::new(argument))?)
}
