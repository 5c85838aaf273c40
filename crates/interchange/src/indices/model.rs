//! The normalised shape of published index results (docs/formats.md §7.3): what
//! `chiso indices read` prints as JSON and what an import stores. Warnings and skipped rows are
//! typed, each naming its sheet (or file), row and column.

use std::fmt;

use chiso_domain::indices::Breakdown;
use serde::Serialize;

/// Every year read from one file, for one index.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndicesReport {
    pub index: String,
    pub years: Vec<YearReport>,
    /// Every structural surprise and failed check, also printed on standard error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// One year's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YearReport {
    pub year: i32,
    /// The bundled structure the year was read with.
    pub structure: String,
    /// Whether the year lists every unit the index ranks (else only published ranks are kept,
    /// and no group is given: docs/formats.md §7.4).
    pub complete: bool,
    pub units: Vec<UnitReport>,
    pub skipped: Vec<Skipped>,
    /// Figures of no single unit (a national mean), as published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<SummaryValue>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitReport {
    pub unit_code: String,
    pub unit_name: String,
    pub total: Option<f64>,
    pub rank: Option<u32>,
    pub group: Option<u8>,
    /// The rank is the publisher's, not computed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rank_published: bool,
    /// The source gave no total: it is the sum of the dimensions.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_derived: bool,
    pub dimensions: Vec<DimensionReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<DimensionReport>,
    /// Where the figures come from (the `source` column of `indices.csv`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DimensionReport {
    pub code: String,
    pub title: String,
    pub value: Option<f64>,
    pub rank: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_dimensions: Vec<SubDimensionReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubDimensionReport {
    pub code: String,
    pub title: String,
    pub value: Option<f64>,
}

/// A national or summary figure (a row with no unit code).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryValue {
    pub unit_name: String,
    pub measure: String,
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Why a row holds no unit's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// Highest, lowest, mean…, or an id such as 999.
    Summary,
    /// Blank rows between the units.
    Empty,
    /// A province listed without a result that year.
    NoResult,
    /// A unit listed a second time.
    Repeated,
    /// Text below the table (a note, a source line).
    Note,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub sheet: String,
    pub row: usize,
    /// The last of several blank rows in a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_row: Option<usize>,
    pub reason: String,
    pub kind: SkipKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
}

impl Skipped {
    pub fn new(sheet: &str, row: usize, kind: SkipKind) -> Skipped {
        Skipped {
            sheet: sheet.to_string(),
            row,
            last_row: None,
            reason: String::new(),
            kind,
            unit_code: None,
            unit_name: None,
        }
        .with_reason()
    }

    pub fn unit(mut self, code: Option<String>, name: Option<String>) -> Skipped {
        self.unit_code = code.filter(|c| !c.is_empty());
        self.unit_name = name.filter(|n| !n.is_empty());
        self.with_reason()
    }

    fn with_reason(mut self) -> Skipped {
        let who = self
            .unit_code
            .clone()
            .or_else(|| self.unit_name.clone())
            .unwrap_or_default();
        self.reason = match self.kind {
            SkipKind::Summary => match (&self.unit_code, &self.unit_name) {
                (Some(id), _) => format!("summary row (id {id}), not a unit"),
                (None, Some(name)) => format!("summary row ({name}), not a unit"),
                (None, None) => "summary row, not a unit".to_string(),
            },
            SkipKind::Empty => "empty row".to_string(),
            SkipKind::NoResult => format!("no result for {who} this year"),
            SkipKind::Repeated => format!("unit {who} listed a second time"),
            SkipKind::Note => "text below the table, not a unit".to_string(),
        };
        self
    }
}

/// A structural surprise or a failed check, at its sheet, row and column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    pub sheet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The warning in English, for the command line (the web says `kind` from its locales).
    pub message: String,
    #[serde(flatten)]
    pub kind: WarningKind,
}

impl Warning {
    pub fn new(
        sheet: &str,
        row: Option<usize>,
        column: Option<String>,
        kind: WarningKind,
    ) -> Warning {
        Warning {
            sheet: sheet.to_string(),
            row,
            column,
            message: kind.to_string(),
            kind,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sheet)?;
        if let Some(row) = self.row {
            write!(f, " row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, " column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What a warning is about, with the values its message names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WarningKind {
    /// A dimension differs from the sum of its sub-dimensions by more than 0.01.
    DimensionSum {
        unit_code: String,
        code: String,
        value: f64,
        sum: f64,
    },
    /// A total differs from the sum of its dimensions (or components) by more than 0.01.
    TotalSum {
        unit_code: String,
        value: f64,
        sum: f64,
        breakdown: Breakdown,
    },
    /// The code is not one of the year's provinces.
    NotAProvince { unit_code: String, year: i32 },
    /// A unit (or one of its measures) appears twice; the first is kept.
    Repeated {
        unit_code: String,
        first_row: usize,
        measure: Option<String>,
    },
    /// The published rank differs from the one computed from the totals.
    RankDiffers {
        unit_code: String,
        published: u32,
        computed: u32,
    },
    /// A value outside the publisher's scale (or above an item's maximum).
    OutOfScale {
        unit_code: String,
        measure: String,
        value: f64,
        min: f64,
        max: f64,
    },
    /// A header that names nothing of the structure: the column is not read.
    UnknownColumn { header: String },
    /// Two columns name the same item; the first is read.
    ColumnTwice { code: String, first_column: String },
    /// The headers of one column name two different items; the first row's is read.
    HeaderConflict { read_as: String, other: String },
    /// An item of the year's structure has no column.
    MissingColumn { code: String, title: String },
    /// The total's header names another year than its sheet.
    TotalHeaderYear { header_year: i32, year: i32 },
    /// A weighted total beside the unweighted one: not read.
    WeightedTotal { header: String },
    /// A sheet whose name and title give no year: not read.
    SheetWithoutYear,
    /// The index has no bundled structure for the year: not read.
    NoStructure { year: i32 },
    /// A sheet in which no column of the structure was found: not read.
    SheetWithoutLayout { year: i32 },
    /// A measure code that the year's structure does not have: the row is not read.
    UnknownMeasure { measure: String },
    /// Rows of other indices in the file: not read.
    OtherIndex { index: String, rows: usize },
    /// The year does not list every unit the index ranks: only published ranks are kept.
    PartialYear {
        year: i32,
        listed: usize,
        expected: Option<usize>,
    },
    /// A one-digit province code, read with its leading zero.
    CodePadded { written: String, read_as: String },
    /// The sheet gives no codes: units are found by their names.
    NoCodeColumn,
    /// A unit found by a name written otherwise than the bundled list writes it.
    NamedUnit { name: String, unit_code: String },
    /// A row whose name is not a unit of the year: not read.
    UnknownUnit { name: String },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::DimensionSum {
                unit_code,
                code,
                value,
                sum,
            } => write!(
                f,
                "unit {unit_code}: dimension {code} is {value} but its sub-dimensions add up to {}",
                round6(*sum)
            ),
            WarningKind::TotalSum {
                unit_code,
                value,
                sum,
                breakdown,
            } => {
                let parts = match breakdown {
                    Breakdown::Dimensions => "dimensions",
                    Breakdown::Components => "components",
                };
                write!(
                    f,
                    "unit {unit_code}: the total is {value} but its {parts} add up to {}",
                    round6(*sum)
                )
            }
            WarningKind::NotAProvince { unit_code, year } => {
                write!(f, "unit code {unit_code} is not a province in {year}")
            }
            WarningKind::Repeated {
                unit_code,
                first_row,
                measure: None,
            } => write!(
                f,
                "unit {unit_code} is listed twice (first at row {first_row}); the first is kept"
            ),
            WarningKind::Repeated {
                unit_code,
                first_row,
                measure: Some(measure),
            } => write!(
                f,
                "unit {unit_code}, measure {measure} is given twice (first at row {first_row}); the first is kept"
            ),
            WarningKind::RankDiffers {
                unit_code,
                published,
                computed,
            } => write!(
                f,
                "unit {unit_code}: published rank {published}, computed rank {computed}; the published rank is kept"
            ),
            WarningKind::OutOfScale {
                unit_code,
                measure,
                value,
                min,
                max,
            } => write!(
                f,
                "unit {unit_code}: {measure} = {value} is outside {min}–{max}"
            ),
            WarningKind::UnknownColumn { header } => {
                write!(
                    f,
                    "header '{header}' names nothing of the index: column not read"
                )
            }
            WarningKind::ColumnTwice { code, first_column } => write!(
                f,
                "a second column for {code} (the first is column {first_column}): not read"
            ),
            WarningKind::HeaderConflict { read_as, other } => write!(
                f,
                "the headers name both {read_as} and {other}: read as {read_as}"
            ),
            WarningKind::MissingColumn { code, title } => {
                write!(f, "no column for {code} ({title})")
            }
            WarningKind::TotalHeaderYear { header_year, year } => write!(
                f,
                "the total's header names {header_year} on the sheet of {year}: read as the total of {year}"
            ),
            WarningKind::WeightedTotal { header } => write!(
                f,
                "'{header}' is a weighted total: not read (the total is the unweighted one)"
            ),
            WarningKind::SheetWithoutYear => {
                f.write_str("no year in the sheet's name or title: sheet not read")
            }
            WarningKind::NoStructure { year } => {
                write!(f, "no bundled structure of the index for {year}: not read")
            }
            WarningKind::SheetWithoutLayout { year } => {
                write!(f, "no column of the {year} structure found: sheet not read")
            }
            WarningKind::UnknownMeasure { measure } => write!(
                f,
                "measure '{measure}' is not in the year's structure: row not read"
            ),
            WarningKind::OtherIndex { index, rows } => {
                write!(f, "{rows} row(s) of index '{index}' not read")
            }
            WarningKind::PartialYear {
                year,
                listed,
                expected: Some(expected),
            } => write!(
                f,
                "{year} lists {listed} of {expected} units: ranks are the published ones only, no groups"
            ),
            WarningKind::PartialYear {
                year,
                listed,
                expected: None,
            } => write!(
                f,
                "{year} lists {listed} units only: ranks are the published ones only, no groups"
            ),
            WarningKind::CodePadded { written, read_as } => {
                write!(f, "unit code {written} read as {read_as}")
            }
            WarningKind::NoCodeColumn => {
                f.write_str("no column of unit codes: units are found by their names")
            }
            WarningKind::NamedUnit { name, unit_code } => {
                write!(f, "'{name}' read as unit {unit_code}")
            }
            WarningKind::UnknownUnit { name } => {
                write!(f, "'{name}' is not a unit of the year: row not read")
            }
        }
    }
}

/// A computed sum without binary noise (1.98, not 1.9800000000000002).
fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}
