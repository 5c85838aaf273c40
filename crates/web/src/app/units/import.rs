//! Importing units from `units.csv` or its .xlsx form (docs/formats.md, the units file): the
//! table read by the handler is checked row by row against the database and the rows above
//! it, then written in one transaction. Nothing is written while any row has a problem.
//!
//! Columns: `unit_code`, `unit_name`, `region`, and chiso's extensions `kind`, `parent_code`,
//! `valid_from`, `valid_to`. A file without a `kind` column lists provinces, as the contract's
//! `units.csv` does; a blank name, kind, region or parent keeps what an existing unit has.

use std::collections::{HashMap, HashSet};

use chiso_domain::org::OrgKind;
use chiso_interchange::table::{Table, TableRow};
use chiso_interchange::units_io::read_units;
use chiso_store::units::{self, ImportSummary, ImportedUnit, OrgUnit, UnitFields};
use chiso_store::{Actor, Db, StoreError};
use chrono::NaiveDate;

use crate::forms::parse_date;

/// A date column of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateColumn {
    ValidFrom,
    ValidTo,
}

/// What is wrong with one row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowProblem {
    /// The file reader's problem (an empty or repeated `unit_code`, a row too wide).
    File(chiso_interchange::Problem),
    /// A new unit needs a name.
    NameRequired,
    /// A new unit needs a kind (when the file has a `kind` column).
    KindRequired,
    KindValue {
        value: String,
    },
    OwnParent,
    /// No current unit, in the database or above in the file, has the parent's code.
    ParentCode {
        code: String,
    },
    /// The hierarchy forbids this parent's kind.
    ParentKind {
        kind: OrgKind,
        parent_kind: OrgKind,
    },
    DateValue {
        column: DateColumn,
        value: String,
    },
    /// `valid_to` before `valid_from`.
    DatesOrder,
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportRefusal {
    /// The file cannot be read as a units table (a missing column).
    File(chiso_interchange::Problem),
    /// A header and no rows.
    Empty,
    /// Every bad row, with its number (the header is row 1), in row order.
    Rows(Vec<(usize, RowProblem)>),
    /// The store refused (the data changed since the check, or a code is taken).
    Store(StoreError),
}

/// Checks the table, then imports it in one transaction.
pub async fn import(
    db: &Db,
    actor: &Actor,
    table: &Table,
    today: NaiveDate,
) -> Result<ImportSummary, ImportRefusal> {
    let existing = units::list(db).await.map_err(ImportRefusal::Store)?;
    let rows = check(table, &existing, today)?;
    units::import(db, actor, &rows)
        .await
        .map_err(ImportRefusal::Store)
}

/// Checks every row of a units table against the units that exist and the rows before it, and
/// turns the table into the store's import rows.
pub fn check(
    table: &Table,
    existing: &[OrgUnit],
    today: NaiveDate,
) -> Result<Vec<ImportedUnit>, ImportRefusal> {
    let (mut problems, reported) = file_problems(table)?;
    if table.rows.is_empty() {
        return Err(ImportRefusal::Empty);
    }
    let columns = Columns::of(table);
    let current: HashMap<&str, &OrgUnit> = existing
        .iter()
        .filter(|u| u.is_current_on(today))
        .map(|u| (u.code.as_str(), u))
        .collect();
    // Codes of earlier rows and their kinds: a parent may be a unit of the same file.
    let mut in_file: HashMap<String, OrgKind> = HashMap::new();
    let mut rows = Vec::new();
    for row in &table.rows {
        if reported.contains(&row.number) {
            continue;
        }
        match check_row(row, &columns, &current, &in_file) {
            Ok(Some(unit)) => {
                in_file.insert(unit.fields.code.clone(), unit.fields.kind);
                rows.push(unit);
            }
            Ok(None) => {}
            Err(row_problems) => {
                problems.extend(row_problems.into_iter().map(|p| (row.number, p)));
            }
        }
    }
    problems.sort_by_key(|(row, _)| *row);
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(ImportRefusal::Rows(problems))
    }
}

/// Problems with their row numbers (the header is row 1).
type RowProblems = Vec<(usize, RowProblem)>;

/// The file reader's problems by row, and the rows they are on (not checked further); a
/// missing column refuses the whole file.
fn file_problems(table: &Table) -> Result<(RowProblems, HashSet<usize>), ImportRefusal> {
    let mut problems: RowProblems = Vec::new();
    let mut reported: HashSet<usize> = HashSet::new();
    if let Err(errors) = read_units(table) {
        for error in errors.0 {
            match error.row {
                Some(row) => {
                    reported.insert(row);
                    problems.push((row, RowProblem::File(*error.problem)));
                }
                // A missing column: nothing else can be read.
                None => return Err(ImportRefusal::File(*error.problem)),
            }
        }
    }
    Ok((problems, reported))
}

/// Where each column of the units file is in the table, if it is there.
struct Columns {
    code: Option<usize>,
    name: Option<usize>,
    region: Option<usize>,
    kind: Option<usize>,
    parent: Option<usize>,
    from: Option<usize>,
    to: Option<usize>,
}

impl Columns {
    fn of(table: &Table) -> Columns {
        Columns {
            code: table.column("unit_code"),
            name: table.column("unit_name"),
            region: table.column("region"),
            kind: table.column("kind"),
            parent: table.column("parent_code"),
            from: table.column("valid_from"),
            to: table.column("valid_to"),
        }
    }
}

/// One row against the current units (`current`, by code) and the rows above it (`in_file`):
/// the store's import row, none when the row has no kind, or every problem of the row.
fn check_row(
    row: &TableRow,
    columns: &Columns,
    current: &HashMap<&str, &OrgUnit>,
    in_file: &HashMap<String, OrgKind>,
) -> Result<Option<ImportedUnit>, Vec<RowProblem>> {
    let mut row_problems = Vec::new();
    let code = row.get(columns.code).to_string();
    let old = current.get(code.as_str()).copied();
    let name = match (row.get(columns.name), old) {
        ("", Some(old)) => old.name.clone(),
        ("", None) => {
            row_problems.push(RowProblem::NameRequired);
            String::new()
        }
        (name, _) => name.to_string(),
    };
    let kind = row_kind(row, columns.kind, old, &mut row_problems);
    let parent_code = Some(row.get(columns.parent).to_string()).filter(|p| !p.is_empty());
    if let Some(parent) = &parent_code {
        let parent_kind = in_file
            .get(parent)
            .copied()
            .or_else(|| current.get(parent.as_str()).map(|u| u.kind));
        row_problems.extend(parent_problem(&code, parent, parent_kind, kind));
    }
    let (valid_from, valid_to) = row_dates(row, columns, &mut row_problems);
    if !row_problems.is_empty() {
        return Err(row_problems);
    }
    let Some(kind) = kind else { return Ok(None) };
    let region = match (row.get(columns.region), old) {
        ("", Some(old)) => old.region.clone(),
        ("", None) => None,
        (region, _) => Some(region.to_string()),
    };
    Ok(Some(ImportedUnit {
        row: row.number,
        fields: UnitFields {
            code,
            name,
            kind,
            // Without a parent code an existing unit keeps its parent.
            parent_id: old.and_then(|u| u.parent_id),
            region,
            valid_from,
            valid_to,
        },
        parent_code,
    }))
}

/// A row's kind: the existing unit's when blank (or without the column), a province in a
/// file without the column.
fn row_kind(
    row: &TableRow,
    kind_column: Option<usize>,
    old: Option<&OrgUnit>,
    row_problems: &mut Vec<RowProblem>,
) -> Option<OrgKind> {
    match (kind_column, row.get(kind_column), old) {
        (None, _, Some(old)) | (Some(_), "", Some(old)) => Some(old.kind),
        (None, _, None) => Some(OrgKind::Province),
        (Some(_), "", None) => {
            row_problems.push(RowProblem::KindRequired);
            None
        }
        (Some(_), text, _) => {
            let kind = OrgKind::parse(text);
            if kind.is_none() {
                row_problems.push(RowProblem::KindValue {
                    value: text.to_string(),
                });
            }
            kind
        }
    }
}

/// What is wrong with a row's parent (`parent_kind` is its kind when a current unit or a
/// row above has its code), if anything.
fn parent_problem(
    code: &str,
    parent: &str,
    parent_kind: Option<OrgKind>,
    kind: Option<OrgKind>,
) -> Option<RowProblem> {
    if parent == code {
        return Some(RowProblem::OwnParent);
    }
    match (parent_kind, kind) {
        (None, _) => Some(RowProblem::ParentCode {
            code: parent.to_string(),
        }),
        (Some(parent_kind), Some(kind)) if !kind.allowed_parents().contains(&parent_kind) => {
            Some(RowProblem::ParentKind { kind, parent_kind })
        }
        _ => None,
    }
}

/// A row's `valid_from` and `valid_to`, each none when blank or unreadable (a problem), and
/// whether they are in order.
fn row_dates(
    row: &TableRow,
    columns: &Columns,
    row_problems: &mut Vec<RowProblem>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let mut date = |column: Option<usize>, which: DateColumn| match parse_date(row.get(column)) {
        Ok(date) => date,
        Err(_) => {
            row_problems.push(RowProblem::DateValue {
                column: which,
                value: row.get(column).to_string(),
            });
            None
        }
    };
    let valid_from = date(columns.from, DateColumn::ValidFrom);
    let valid_to = date(columns.to, DateColumn::ValidTo);
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && to < from
    {
        row_problems.push(RowProblem::DatesOrder);
    }
    (valid_from, valid_to)
}
