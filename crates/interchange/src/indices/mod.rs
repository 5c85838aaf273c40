//! National and external indices as files (docs/formats.md §7): `indices.csv` in the long
//! format (CSV or .xlsx) read and written, and the workbooks as their publishers distribute
//! them (PAPI's provincial workbook, MoHA's yearly PAR INDEX and SIPAS tables) read by their
//! header names. Every reader ends in the same normalised [`IndicesReport`], ranked and checked
//! by the rules of `chiso_domain::indices`. No IO beyond the bytes given.

mod assemble;
pub mod headers;
mod long;
pub mod model;
mod output;
mod workbook;

use std::fmt;

use chiso_domain::indices::{Catalogue, Roster, Structure};

pub use model::{
    DimensionReport, IndicesReport, SkipKind, Skipped, SubDimensionReport, SummaryValue,
    UnitReport, Warning, WarningKind, YearReport,
};
pub use output::{indices_csv, indices_table};

use crate::error::{InputError, Problem};
use crate::sheet::{GridSheet, read_xlsx_grid};
use crate::table::{FileKind, Table, read_csv, read_xlsx};

/// What a reader needs besides the bytes: the structures, the provinces of each year, and
/// what the command line says.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    pub catalogue: &'a Catalogue,
    pub roster: &'a Roster,
    /// The index to read (`--index`); a long file holding one index needs none.
    pub index: Option<&'a str>,
    /// The year of a one-sheet table whose sheet name and title give none.
    pub year: Option<i32>,
}

/// Why a file of index results cannot be read (docs/formats.md §7.4: exit 1, nothing printed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndicesProblem {
    /// Neither the long format's columns nor a sheet in a publisher's layout.
    NoLayout,
    /// A year with no unit that has a result.
    NoUnit { year: i32 },
    /// A cell that should hold a number.
    NotANumber { column: String, text: String },
    /// A `year` that is not a year.
    BadYear { text: String },
    /// A `rank` that is not a whole number from 1.
    BadRank { text: String },
    /// A publisher workbook read without `--index`, or a long file with several indices.
    IndexNeeded { found: Vec<String> },
    /// `--index` names an index without a bundled structure and the file is a workbook.
    UnknownIndex { index: String, known: Vec<String> },
    /// The long file has no row of the index asked for.
    IndexAbsent { index: String },
}

impl fmt::Display for IndicesProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndicesProblem::NoLayout => f.write_str(
                "no recognisable layout: neither indices.csv's columns (index, year, unit_code, measure, value) nor a sheet with the index's headers",
            ),
            IndicesProblem::NoUnit { year } => write!(f, "{year} has no unit with a result"),
            IndicesProblem::NotANumber { column, text } => {
                write!(f, "column {column}: '{text}' is not a number")
            }
            IndicesProblem::BadYear { text } => write!(f, "year: '{text}' is not a year"),
            IndicesProblem::BadRank { text } => {
                write!(f, "rank: '{text}' is not a whole number from 1")
            }
            IndicesProblem::IndexNeeded { found } if found.is_empty() => {
                f.write_str("give the index with --index (papi, par, sipas…)")
            }
            IndicesProblem::IndexNeeded { found } => write!(
                f,
                "the file holds several indices ({}): choose one with --index",
                found.join(", ")
            ),
            IndicesProblem::UnknownIndex { index, known } => write!(
                f,
                "no bundled structure for index '{index}' (known: {})",
                known.join(", ")
            ),
            IndicesProblem::IndexAbsent { index } => {
                write!(f, "no row of index '{index}'")
            }
        }
    }
}

pub(crate) fn problem(file: &str, row: Option<usize>, problem: IndicesProblem) -> InputError {
    InputError::problem(file, row, Problem::Indices(problem))
}

/// Reads a file of published index results: `indices.csv` (CSV, or .xlsx with the same
/// header row on its first sheet), or a publisher's workbook (or a wide CSV table) whose
/// columns are found by their headers.
pub fn read_indices(
    name: &str,
    bytes: &[u8],
    kind: FileKind,
    options: ReadOptions<'_>,
) -> Result<IndicesReport, InputError> {
    let (table, grid) = match kind {
        FileKind::Xlsx => {
            let grid = read_xlsx_grid(bytes).map_err(|e| InputError::sheet(name, e))?;
            let first = read_xlsx(name, bytes).ok();
            (first, grid)
        }
        _ => {
            let table = read_csv(name, bytes)?;
            let grid = vec![grid_of(name, &table)];
            (Some(table), grid)
        }
    };
    if let Some(table) = table.filter(long::is_long) {
        return long::read(&table, options);
    }
    workbook::read(name, &grid, options)
}

/// A CSV table as one sheet named after the file, its header as row 1.
fn grid_of(name: &str, table: &Table) -> GridSheet {
    let mut rows = vec![(1, table.headers.clone())];
    rows.extend(
        table
            .rows
            .iter()
            .map(|r| (r.number as u64, r.cells().map(str::to_string).collect())),
    );
    GridSheet {
        name: name.to_string(),
        rows,
    }
}

/// A structure for an index chiso has none for (`indices.csv` allows any index): totals as
/// given, and the measures the file names as dimensions (`1.2` under `1`).
fn ad_hoc_structure(index: &str, measures: &[String]) -> Structure {
    use chiso_domain::indices::{
        Dimension, Direction, Grouping, Scale, TotalRule, UnitScope, Years,
    };
    let item = |code: &str| Dimension {
        code: code.to_string(),
        title: code.to_string(),
        title_en: code.to_string(),
        max: None,
        unverified: true,
        aliases: Vec::new(),
        sub_dimensions: Vec::new(),
    };
    let mut dimensions: Vec<Dimension> = Vec::new();
    for code in measures.iter().filter(|m| !m.contains('.')) {
        if !dimensions.iter().any(|d| &d.code == code) {
            dimensions.push(item(code));
        }
    }
    for code in measures.iter().filter(|m| m.contains('.')) {
        let parent = code.split('.').next().unwrap_or_default();
        let position = match dimensions.iter().position(|d| d.code == parent) {
            Some(p) => p,
            None => {
                dimensions.push(item(parent));
                dimensions.len() - 1
            }
        };
        if !dimensions[position]
            .sub_dimensions
            .iter()
            .any(|s| &s.code == code)
        {
            dimensions[position].sub_dimensions.push(item(code));
        }
    }
    Structure {
        id: index.to_string(),
        index: index.to_string(),
        publisher: String::new(),
        title: index.to_string(),
        title_en: index.to_string(),
        years: Years {
            from: 1900,
            to: None,
        },
        units: UnitScope::Province,
        scale: Scale {
            min: f64::MIN,
            max: f64::MAX,
            unverified: true,
        },
        direction: Direction::Higher,
        total: TotalRule::Given,
        grouping: Grouping::None,
        source: String::new(),
        note: String::new(),
        words: Vec::new(),
        total_names: Vec::new(),
        dimensions,
        components: Vec::new(),
    }
}

/// Reads a structure's TOML (`data/indices/*.toml`, docs/formats.md §8.14).
pub fn structure_from_toml(name: &str, text: &str) -> Result<Structure, InputError> {
    let structure: Structure = toml::from_str(text).map_err(|e| {
        InputError::problem(
            name,
            None,
            Problem::NotToml {
                detail: e.to_string(),
            },
        )
    })?;
    structure
        .check()
        .map_err(|e| InputError::problem(name, None, Problem::Other(e.to_string())))?;
    Ok(structure)
}

/// A number as a publisher writes it: the shortest decimal of a number cell, or text with a
/// dot or a lone decimal comma ("5,1026"). Blank, "-", "n/a" and spreadsheet errors such as
/// `#N/A` are no value.
pub(crate) fn parse_number(text: &str) -> Result<Option<f64>, ()> {
    let text = text.trim();
    let blank = ["", "-", "–", "—", "n/a", "na", "x"];
    if blank.iter().any(|b| text.eq_ignore_ascii_case(b)) || text.starts_with('#') {
        return Ok(None);
    }
    let normal = if text.contains(',') && !text.contains('.') && text.matches(',').count() == 1 {
        text.replace(',', ".")
    } else {
        text.to_string()
    };
    match normal.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

/// A province code as two digits: `1` → `01`; other codes as written.
pub(crate) fn province_code(text: &str) -> String {
    let text = text.trim();
    match text.parse::<u32>() {
        Ok(n) if n < 10 && text.len() == 1 => format!("0{n}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_publishers_write_them() {
        assert_eq!(parse_number("5.10256410256410"), Ok(Some(5.1025641025641)));
        assert_eq!(parse_number("5,1026"), Ok(Some(5.1026)));
        assert_eq!(parse_number(" - "), Ok(None));
        assert_eq!(parse_number("#N/A"), Ok(None));
        assert_eq!(parse_number("1,234,5"), Err(()));
        assert_eq!(parse_number("cao"), Err(()));
        assert_eq!(province_code("1"), "01");
        assert_eq!(province_code("46"), "46");
        assert_eq!(province_code("BTP"), "BTP");
    }
}
