//! Input errors that name the file, the row and the field at fault.

use std::fmt;

use crate::sheet::SheetError;

/// One problem with an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// 1-based, the header being row 1.
    pub row: Option<usize>,
    /// What `row` counts: "row" in tables, "line" in text files such as TOML.
    pub row_word: &'static str,
    pub message: String,
    /// The reader's own error when the file itself was refused (a limit, not a workbook), so
    /// that the web can say it in the reader's language rather than in `message`'s English.
    pub cause: Option<SheetError>,
}

impl InputError {
    pub fn at(file: &str, row: Option<usize>, message: String) -> InputError {
        InputError {
            file: file.to_string(),
            row,
            row_word: "row",
            message,
            cause: None,
        }
    }

    /// The shared reader's refusal of a file, at the row it names.
    pub fn sheet(file: &str, error: SheetError) -> InputError {
        InputError {
            file: file.to_string(),
            row: error.row().map(|r| r as usize),
            row_word: "row",
            message: error.message(),
            cause: Some(error),
        }
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
        InputError::file(file, format!("cannot be read: {error}"))
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
