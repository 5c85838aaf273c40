//! Importing a file of published index results through the web (docs/method.md §5.8): the
//! secretariat uploads a file, the file is read and held in the database with the form's
//! source, a preview says per year what would be stored and what it replaces, and the
//! confirmation stores it all or nothing with its audit rows (`chiso_store::indices`). The
//! confirmation reads the held file again, never a payload the browser sends back.

use std::collections::{BTreeMap, HashMap, HashSet};

use chiso_domain::indices::{Catalogue, Roster, Structure, UnitScope};
use chiso_domain::text::{self, TextKind};
use chiso_interchange::Problem;
use chiso_interchange::indices::{
    IndicesReport, ReadOptions, SkipKind, Skipped, Warning, YearReport, read_indices,
};
use chiso_interchange::table::FileKind;
use chiso_store::index_uploads::{self, HeldUpload};
use chiso_store::indices::{self, ImportOutcome, ImportSource, StoredYear, YearVersion};
use chiso_store::{Actor, Db, StoreError};
use chrono::{DateTime, Utc};

/// The bundled structures of the national indices, read once.
pub fn catalogue() -> &'static Catalogue {
    &super::standing::reference().catalogue
}

/// The provinces before and after the 2025 merger, read once.
pub fn roster() -> &'static Roster {
    &super::standing::reference().roster
}

/// What the upload form gives besides the file.
#[derive(Clone, Debug, Default)]
pub struct UploadChoices {
    /// The index, when chosen; none: recognised from the file.
    pub index: Option<String>,
    /// The year of a one-sheet table whose sheet and title name none.
    pub year: Option<i32>,
    pub source: ImportSource,
}

/// A text of the file the system does not take (a control character, a name too long).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileText {
    UnitCode,
    UnitName,
    Source,
}

/// Why a file is not imported, or not previewed.
#[derive(Debug)]
pub enum ImportRefusal {
    /// The file cannot be read as index results (no recognisable layout, a year without a
    /// unit, a cell that is not a number, a sheet over a limit); the row when known.
    Unreadable {
        row: Option<usize>,
        problem: Problem,
    },
    /// The index chosen on the form has no bundled structure.
    UnknownIndex { index: String },
    /// A text of the file refused as the same text typed into a form would be.
    BadText { what: FileText, unit: String },
    /// The file holds no year to store.
    NoYear,
    /// The held file is gone: confirmed already, cancelled, or older than a day.
    Gone,
    /// Another import changed the years in force since the preview was shown: the preview is
    /// shown again with what the file now replaces.
    ChangedMeanwhile,
}

/// One value the import would change.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueChange {
    pub unit_code: String,
    pub unit_name: String,
    /// `total`, or the code of an item of the year's structure.
    pub measure: String,
    /// The item's title in the structure (none for the total).
    pub measure_title: Option<String>,
    pub old: Option<f64>,
    pub new: Option<f64>,
}

/// A stored year the import would replace, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Replacement {
    pub version: YearVersion,
    /// Values present in both with another value (or a value on one side only).
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    /// A few of the changed values, by unit.
    pub examples: Vec<ValueChange>,
}

/// A province of the year, by code and name.
#[derive(Clone, Debug, PartialEq)]
pub struct Province {
    pub code: String,
    pub name: String,
}

/// What the file holds for one year, and what storing it would do.
#[derive(Clone, Debug, PartialEq)]
pub struct YearPreview {
    pub year: i32,
    pub structure_id: String,
    /// The structure's title, in both languages (data, not interface text).
    pub structure_title: String,
    pub structure_title_en: String,
    pub complete: bool,
    /// Units with a result.
    pub units: usize,
    /// Provinces listed without a result that year ("không có số liệu").
    pub without_result: Vec<Province>,
    /// Provinces of the year the file does not list at all.
    pub missing: Vec<Province>,
    /// Rows read as no unit's result (summaries, blank runs, notes, repeats).
    pub skipped: Vec<Skipped>,
    pub replaces: Option<Replacement>,
}

/// What an import would store.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub index_id: String,
    pub years: Vec<YearPreview>,
    pub warnings: Vec<Warning>,
}

/// A held file with its preview.
pub struct HeldPreview {
    pub upload: HeldUpload,
    pub preview: Preview,
}

/// How many changed values a preview shows per year.
const EXAMPLES: usize = 5;

/// Whether the name says .xlsx (the upload was sniffed when it arrived).
fn file_kind(name: &str) -> FileKind {
    if name.to_lowercase().ends_with(".xlsx") {
        FileKind::Xlsx
    } else {
        FileKind::Csv
    }
}

/// Reads a file of index results off the async workers (up to seconds of CPU on a large
/// workbook), and checks the texts it would store.
pub async fn read_file(
    name: &str,
    content: Vec<u8>,
    choices: &UploadChoices,
) -> anyhow::Result<Result<IndicesReport, ImportRefusal>> {
    if let Some(index) = &choices.index
        && !catalogue().knows(index)
    {
        return Ok(Err(ImportRefusal::UnknownIndex {
            index: index.clone(),
        }));
    }
    let name = name.to_string();
    let index = choices.index.clone();
    let year = choices.year;
    let read = tokio::task::spawn_blocking(move || {
        let options = ReadOptions {
            catalogue: catalogue(),
            roster: roster(),
            index: index.as_deref(),
            year,
        };
        read_indices(&name, &content, file_kind(&name), options)
    })
    .await?;
    let report = match read {
        Ok(report) => report,
        Err(error) => {
            return Ok(Err(ImportRefusal::Unreadable {
                row: error.row,
                problem: *error.problem,
            }));
        }
    };
    if report.years.is_empty() {
        return Ok(Err(ImportRefusal::NoYear));
    }
    Ok(check_texts(&report).map(|()| report))
}

/// Every text the import stores, checked as the same text typed into a form.
fn check_texts(report: &IndicesReport) -> Result<(), ImportRefusal> {
    for unit in report.years.iter().flat_map(|y| &y.units) {
        let refuse = |what| ImportRefusal::BadText {
            what,
            unit: unit.unit_code.chars().take(20).collect(),
        };
        text::check(TextKind::Code, &unit.unit_code).map_err(|_| refuse(FileText::UnitCode))?;
        text::check(TextKind::Name, &unit.unit_name).map_err(|_| refuse(FileText::UnitName))?;
        if let Some(source) = &unit.source {
            text::check(TextKind::Short, source).map_err(|_| refuse(FileText::Source))?;
        }
    }
    Ok(())
}

/// The versions in force of the file's years (none where a year is new), as held with the
/// upload: `{"2016": 12, "2023": null}`.
fn expected_json(preview: &Preview) -> String {
    let map: BTreeMap<String, Option<i64>> = preview
        .years
        .iter()
        .map(|y| {
            let id = y.replaces.as_ref().map(|r| r.version.year_id);
            (y.year.to_string(), id)
        })
        .collect();
    serde_json::to_string(&map).expect("a map of ids serialises")
}

/// Reads an uploaded file and holds it for its confirmation; returns the held file's id.
pub async fn hold(
    db: &Db,
    user_id: i64,
    now: DateTime<Utc>,
    file_name: &str,
    content: Vec<u8>,
    choices: UploadChoices,
) -> anyhow::Result<Result<String, ImportRefusal>> {
    let report = match read_file(file_name, content.clone(), &choices).await? {
        Ok(report) => report,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let preview = preview_of(db, &report).await?;
    let id = crate::app::jobs::new_id();
    let upload = HeldUpload {
        id: id.clone(),
        user_id,
        file_name: file_name.to_string(),
        content,
        index_choice: choices.index,
        year: choices.year,
        source: choices.source,
        expected: expected_json(&preview),
        created_at: now,
    };
    index_uploads::hold(db, &upload).await?;
    Ok(Ok(id))
}

/// A held file of this user and what importing it would do now.
pub async fn preview(
    db: &Db,
    user_id: i64,
    id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<HeldPreview, ImportRefusal>> {
    let Some(upload) = index_uploads::held(db, id, user_id, now).await? else {
        return Ok(Err(ImportRefusal::Gone));
    };
    let report = match reread(&upload).await? {
        Ok(report) => report,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let preview = preview_of(db, &report).await?;
    Ok(Ok(HeldPreview { upload, preview }))
}

/// The held file read again with the choices it was held with.
async fn reread(upload: &HeldUpload) -> anyhow::Result<Result<IndicesReport, ImportRefusal>> {
    let choices = UploadChoices {
        index: upload.index_choice.clone(),
        year: upload.year,
        source: upload.source.clone(),
    };
    read_file(&upload.file_name, upload.content.clone(), &choices).await
}

/// Stores a held file of this user, all or nothing with its audit rows; refused when another
/// import changed the years in force since the preview (the preview then shows the new state).
pub async fn confirm(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(String, ImportOutcome), ImportRefusal>> {
    let Some(upload) = index_uploads::held(db, id, user_id, now).await? else {
        return Ok(Err(ImportRefusal::Gone));
    };
    let report = match reread(&upload).await? {
        Ok(report) => report,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let preview = preview_of(db, &report).await?;
    let expected = expected_json(&preview);
    if expected != upload.expected {
        index_uploads::set_expected(db, id, &expected).await?;
        return Ok(Err(ImportRefusal::ChangedMeanwhile));
    }
    let stored = indices::import_upload(
        db,
        actor,
        Some(id),
        &upload.file_name,
        &upload.source,
        &report,
    )
    .await;
    match stored {
        Ok(outcome) => Ok(Ok((report.index, outcome))),
        // A confirmation sent twice: the first took the file.
        Err(StoreError::NotFound) => Ok(Err(ImportRefusal::Gone)),
        Err(error) => Err(error.into()),
    }
}

/// Forgets a held file of this user (the preview's cancel); whether there was one.
pub async fn cancel(db: &Db, user_id: i64, id: &str) -> Result<bool, StoreError> {
    index_uploads::discard(db, id, user_id).await
}

/// What storing the report would do, year by year, against the years in force.
pub async fn preview_of(db: &Db, report: &IndicesReport) -> Result<Preview, StoreError> {
    let mut years = Vec::with_capacity(report.years.len());
    for year in &report.years {
        let current = indices::current_year(db, &report.index, year.year).await?;
        years.push(year_preview(year, current.as_ref()));
    }
    Ok(Preview {
        index_id: report.index.clone(),
        years,
        warnings: report.warnings.clone(),
    })
}

fn year_preview(year: &YearReport, current: Option<&StoredYear>) -> YearPreview {
    let structure = catalogue().get(&year.structure);
    let (without_result, missing) = provinces_absent(year, structure);
    YearPreview {
        year: year.year,
        structure_id: year.structure.clone(),
        structure_title: structure.map(|s| s.title.clone()).unwrap_or_default(),
        structure_title_en: structure.map(|s| s.title_en.clone()).unwrap_or_default(),
        complete: year.complete,
        units: year.units.len(),
        without_result,
        missing,
        skipped: year
            .skipped
            .iter()
            .filter(|s| s.kind != SkipKind::NoResult)
            .cloned()
            .collect(),
        replaces: current.map(|c| replacement(year, c, structure)),
    }
}

/// The provinces of the year listed without a result, and those the file does not list (for
/// an index of provinces; an index of ministries has no bundled list).
fn provinces_absent(
    year: &YearReport,
    structure: Option<&Structure>,
) -> (Vec<Province>, Vec<Province>) {
    let province = |code: &str, name: &str| Province {
        code: code.to_string(),
        name: name.to_string(),
    };
    let mut without_result: Vec<Province> = Vec::new();
    let mut without_codes: HashSet<&str> = HashSet::new();
    for skipped in year.skipped.iter().filter(|s| s.kind == SkipKind::NoResult) {
        let code = skipped.unit_code.as_deref().unwrap_or_default();
        let roster_name = roster()
            .for_year(year.year)
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.name.as_str());
        let name = roster_name.or(skipped.unit_name.as_deref()).unwrap_or(code);
        without_codes.insert(code);
        without_result.push(province(code, name));
    }
    let is_provinces = structure.is_none_or(|s| s.units == UnitScope::Province);
    if !is_provinces {
        return (without_result, Vec::new());
    }
    let listed: HashSet<&str> = year.units.iter().map(|u| u.unit_code.as_str()).collect();
    let missing = roster()
        .for_year(year.year)
        .iter()
        .filter(|p| !listed.contains(p.code.as_str()) && !without_codes.contains(p.code.as_str()))
        .map(|p| province(&p.code, &p.name))
        .collect();
    (without_result, missing)
}

/// How the year's values differ from the stored year's.
fn replacement(
    year: &YearReport,
    current: &StoredYear,
    structure: Option<&Structure>,
) -> Replacement {
    let key = |code: &str, measure: &str| (code.to_string(), measure.to_string());
    let old: HashMap<(String, String), Option<f64>> = current
        .values
        .iter()
        .map(|v| (key(&v.unit_code, &v.measure), v.value))
        .collect();
    let new_rows: Vec<_> = year.units.iter().flat_map(indices::unit_rows).collect();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let (mut changed, mut added) = (0, 0);
    let mut examples = Vec::new();
    for row in &new_rows {
        let k = key(&row.unit_code, &row.measure);
        match old.get(&k) {
            None => added += 1,
            Some(before) if !same(*before, row.value) => {
                changed += 1;
                if examples.len() < EXAMPLES {
                    examples.push(ValueChange {
                        unit_code: row.unit_code.clone(),
                        unit_name: row.unit_name.clone(),
                        measure: row.measure.clone(),
                        measure_title: structure
                            .and_then(|s| {
                                s.item(&row.measure).or_else(|| sub_item(s, &row.measure))
                            })
                            .map(|d| d.title.clone()),
                        old: *before,
                        new: row.value,
                    });
                }
            }
            Some(_) => {}
        }
        seen.insert(k);
    }
    let removed = old.keys().filter(|k| !seen.contains(*k)).count();
    Replacement {
        version: current.version.clone(),
        changed,
        added,
        removed,
        examples,
    }
}

/// A sub-dimension of the structure by its code.
fn sub_item<'a>(
    structure: &'a Structure,
    code: &str,
) -> Option<&'a chiso_domain::indices::Dimension> {
    structure
        .items()
        .flat_map(|d| &d.sub_dimensions)
        .find(|d| d.code == code)
}

/// Two stored values are the same figure (both absent, or equal to the stored precision).
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}
