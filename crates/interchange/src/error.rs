//! Input errors that name the file, the row and the field at fault.

use std::fmt;

use chiso_domain::framework::FrameworkProblem;
use chiso_domain::points::PointsParseError;
use chiso_domain::rule::RuleProblem;

use crate::sheet::SheetError;

/// One problem with an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// 1-based, the header being row 1.
    pub row: Option<usize>,
    /// What `row` counts: "row" in tables, "line" in text files such as TOML.
    pub row_word: &'static str,
    /// The problem in English, as the command line prints it.
    pub message: String,
    /// The problem, typed: the web says it from its locale files (never `message`). Boxed:
    /// readers return `Result<_, InputError>` and the problem is rarely built.
    pub problem: Box<Problem>,
}

/// What is wrong with an input file, by kind, with the values a message names (docs/formats.md
/// describes the files). `Display` is the command line's English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The shared reader refused the file or a row (a limit, not a workbook).
    Sheet(SheetError),
    /// A required column is not in the header row.
    MissingColumn { column: String, found: Vec<String> },
    /// A row has more cells than the header has columns.
    ColumnCount { found: usize, expected: usize },
    /// A file with a header and nothing below it.
    NoRows,
    /// A file with no header row at all.
    NoHeader,
    /// A CSV file whose bytes are not UTF-8.
    NotUtf8,
    /// A CSV file the reader cannot parse (`detail` is the library's, for the log).
    NotCsv { detail: String },
    /// A file that cannot be read from disk.
    Unreadable { detail: String },
    /// `units.csv`: a row without its `unit_code`.
    EmptyUnitCode,
    /// `units.csv`: a code given twice.
    UnitCodeRepeated { code: String, first_row: usize },
    /// A framework row the tree refuses, named by its code (empty when the row has none).
    Framework {
        code: String,
        problem: FrameworkProblem,
    },
    /// A framework row's field that does not read.
    FrameworkField { code: String, field: FieldProblem },
    /// A framework with more nodes than chiso takes.
    TooManyNodes { count: usize, limit: usize },
    /// A framework TOML file that does not parse (`detail` is the library's).
    NotToml { detail: String },
    /// A file of published index results (docs/formats.md §7.4).
    Indices(crate::indices::IndicesProblem),
    /// The problems of the command line's other inputs (scores, lineage, earlier results),
    /// worded in English: only the command line reads them (the web reads units and
    /// frameworks only, and never shows this text).
    Other(String),
}

/// A framework row's field that does not read (docs/formats.md, the framework file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// `max_points` is not a number of points.
    MaxPoints {
        text: String,
        detail: PointsParseError,
    },
    /// `method` is not one of self, survey, bonus, penalty.
    Method {
        text: String,
    },
    /// `evidence_required` is not a yes or no.
    Evidence {
        text: String,
    },
    Impact {
        text: String,
    },
    /// `rule` does not parse (docs/formats.md §8.2).
    Rule {
        text: String,
        detail: RuleProblem,
    },
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblem::MaxPoints { detail, .. } => write!(f, "max_points: {detail}"),
            FieldProblem::Method { text } => write!(
                f,
                "method: '{text}' is not one of self, survey, bonus, penalty"
            ),
            FieldProblem::Evidence { text } => write!(
                f,
                "evidence_required: '{text}' is not yes/no (1/0, true/false, có/không)"
            ),
            FieldProblem::Impact { text } => {
                write!(
                    f,
                    "impact: '{text}' is not yes/no (1/0, true/false, có/không)"
                )
            }
            FieldProblem::Rule { detail, .. } => write!(f, "rule: {detail}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Sheet(error) => f.write_str(&error.message()),
            Problem::MissingColumn { column, found } => write!(
                f,
                "missing column '{column}' in the header row (found: {})",
                found.join(", ")
            ),
            Problem::ColumnCount { found, expected } => {
                write!(f, "wrong column count: {found}, expected {expected}")
            }
            Problem::NoRows => f.write_str("has no rows below the header"),
            Problem::NoHeader => f.write_str("is empty: no header row"),
            Problem::NotUtf8 => f.write_str("is not UTF-8 text"),
            Problem::NotCsv { detail } => write!(f, "not readable as CSV: {detail}"),
            Problem::Unreadable { detail } => write!(f, "cannot be read: {detail}"),
            Problem::EmptyUnitCode => f.write_str("empty unit_code"),
            Problem::UnitCodeRepeated { code, first_row } => {
                write!(f, "unit_code {code} repeated (first at row {first_row})")
            }
            Problem::Framework { code, problem } if code.is_empty() => write!(f, "{problem}"),
            Problem::Framework { code, problem } => write!(f, "(code {code}) {problem}"),
            Problem::FrameworkField { code, field } => write!(f, "(code {code}) {field}"),
            Problem::TooManyNodes { count, limit } => write!(
                f,
                "has {} nodes, more than the limit of {} nodes in a framework",
                crate::sheet::group_digits(*count as u64),
                crate::sheet::group_digits(*limit as u64)
            ),
            Problem::NotToml { detail } => write!(f, "not valid framework TOML: {detail}"),
            Problem::Indices(problem) => write!(f, "{problem}"),
            Problem::Other(message) => f.write_str(message),
        }
    }
}

impl InputError {
    /// A typed problem of a file, at a row or of the whole file.
    pub fn problem(file: &str, row: Option<usize>, problem: Problem) -> InputError {
        InputError {
            file: file.to_string(),
            row,
            row_word: "row",
            message: problem.to_string(),
            problem: Box::new(problem),
        }
    }

    /// The reader's own error when the file itself was refused (a limit, not a workbook).
    pub fn cause(&self) -> Option<&SheetError> {
        match &*self.problem {
            Problem::Sheet(error) => Some(error),
            _ => None,
        }
    }

    /// A problem worded in English, for the command line's own inputs.
    pub fn at(file: &str, row: Option<usize>, message: String) -> InputError {
        InputError::problem(file, row, Problem::Other(message))
    }

    /// The shared reader's refusal of a file, at the row it names.
    pub fn sheet(file: &str, error: SheetError) -> InputError {
        let row = error.row().map(|r| r as usize);
        InputError::problem(file, row, Problem::Sheet(error))
    }

    /// The same error, its position counted in lines of a text file.
    pub fn in_lines(mut self) -> InputError {
        self.row_word = "line";
        self
    }

    pub fn row(file: &str, row: usize, message: String) -> InputError {
        InputError::at(file, Some(row), message)
    }

    pub fn file(file: &str, message: String) -> InputError {
        InputError::at(file, None, message)
    }

    pub fn io(file: &str, error: std::io::Error) -> InputError {
        let detail = error.to_string();
        InputError::problem(file, None, Problem::Unreadable { detail })
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            Some(row) => write!(
                f,
                "{} {} {}: {}",
                self.file, self.row_word, row, self.message
            ),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in the inputs; nothing is computed while there is one.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InputErrors(pub Vec<InputError>);

impl InputErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, error: InputError) {
        self.0.push(error);
    }

    /// `Ok(value)` when no problem was found.
    pub fn into_result<T>(self, value: T) -> Result<T, InputErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<InputError> for InputErrors {
    fn from(error: InputError) -> InputErrors {
        InputErrors(vec![error])
    }
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}
impl std::error::Error for InputError {}
