//! Tables read from CSV or the first sheet of an .xlsx (docs/formats.md: "Every format that is
//! accepted as CSV is also accepted as .xlsx (first sheet, same header row)").

use std::io::Read;
use std::path::Path;

use crate::csv_out::restore;
use crate::error::{InputError, Problem};
use crate::sheet::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_HEADER_BYTES, MAX_ROW_BYTES, RowsError, SheetError,
    column_letters, read_xlsx_rows,
};

/// A header row and data rows as text. Row numbers are 1-based with the header as row 1, as
/// every error message names them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

impl Table {
    /// The position of a column, matched case-insensitively and ignoring surrounding spaces.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    }

    /// The position of a required column, or an error naming it.
    pub fn require(&self, name: &str) -> Result<usize, InputError> {
        self.column(name).ok_or_else(|| {
            let problem = Problem::MissingColumn {
                column: name.to_string(),
                found: self.headers.clone(),
            };
            InputError::problem(&self.name, None, problem)
        })
    }
}

/// One data row. Its cells are kept as one text with their ends, two allocations a row rather
/// than one a cell: a table of ten million cells (the limit) stays around 350 MB.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    pub number: usize,
    text: Box<str>,
    ends: Box<[u32]>,
}

impl TableRow {
    pub fn new<T: AsRef<str>>(number: usize, cells: &[T]) -> TableRow {
        let mut text = String::with_capacity(cells.iter().map(|c| c.as_ref().len()).sum());
        let mut ends = Vec::with_capacity(cells.len());
        for cell in cells {
            text.push_str(cell.as_ref());
            ends.push(u32::try_from(text.len()).expect("a row is at most a few megabytes"));
        }
        TableRow {
            number,
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// A cell's text as read (untrimmed).
    pub fn cell(&self, column: usize) -> Option<&str> {
        let end = *self.ends.get(column)? as usize;
        let start = match column {
            0 => 0,
            _ => self.ends[column - 1] as usize,
        };
        Some(&self.text[start..end])
    }

    /// Every cell's text, in order.
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|c| self.cell(c))
    }

    /// A cell's trimmed text; empty when the column is absent or the row is short.
    pub fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|c| self.cell(c))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// Which kind of file a path is, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
    Toml,
    Json,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" | "txt" => Some(FileKind::Csv),
            "xlsx" | "xlsm" => Some(FileKind::Xlsx),
            "toml" => Some(FileKind::Toml),
            "json" => Some(FileKind::Json),
            _ => None,
        }
    }
}

/// Reads a table from a CSV or XLSX file chosen by extension (CSV when unknown).
pub fn read_table(path: &Path) -> Result<Table, InputError> {
    let name = display_name(path);
    match FileKind::of(path) {
        Some(FileKind::Xlsx) => {
            let bytes = std::fs::read(path).map_err(|e| InputError::io(&name, e))?;
            read_xlsx(&name, &bytes)
        }
        _ => {
            let file = std::fs::File::open(path).map_err(|e| InputError::io(&name, e))?;
            read_csv(&name, file)
        }
    }
}

/// The file name used in messages.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads RFC 4180 CSV: a UTF-8 BOM is ignored, CRLF and LF both end rows, quoted fields may
/// hold commas and line breaks, blank lines are skipped and not counted as rows. A row with a
/// different number of fields is kept as it is; the caller decides whether that is an error.
/// A cell written behind a `'` by [`crate::csv_out`] is read without it. The file is held to
/// the shared limits ([`crate::sheet`]): columns, header and row length, cells, cell length.
pub fn read_csv(name: &str, reader: impl Read) -> Result<Table, InputError> {
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(CSV_BUFFER as usize)
        .from_reader(Allowance {
            inner: reader,
            read: 0,
            allowed: MAX_HEADER_BYTES as u64 + CSV_BUFFER,
        });
    let mut table = Table {
        name: name.to_string(),
        ..Table::default()
    };
    let mut record = csv::ByteRecord::new();
    let mut records = 0u64;
    let mut cells = 0u64;
    loop {
        let more = csv_reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(name, records, e))?;
        if !more {
            break;
        }
        // Rows are records, as a spreadsheet shows them: a quoted line break stays in its row.
        records += 1;
        let next_allowed = csv_reader.position().byte() + MAX_ROW_BYTES as u64 + CSV_BUFFER;
        csv_reader.get_mut().allowed = next_allowed;
        let row_cells = record_cells(name, records, &record)?;
        if records == 1 {
            table.headers = row_cells;
            continue;
        }
        if row_cells.iter().all(|c| c.trim().is_empty()) && row_cells.len() <= 1 {
            // A blank line (often the last one) carries nothing.
            continue;
        }
        cells += row_cells.len() as u64;
        if cells > MAX_CELLS {
            return Err(InputError::sheet(
                name,
                SheetError::TooManyCells {
                    row: records,
                    limit: MAX_CELLS,
                },
            ));
        }
        table.rows.push(TableRow::new(records as usize, &row_cells));
    }
    if records == 0 {
        return Err(InputError::problem(name, None, Problem::NoHeader));
    }
    Ok(table)
}

/// The csv crate's read buffer: the allowance below counts it as read ahead.
const CSV_BUFFER: u64 = 64 << 10;

/// A reader that refuses to read past `allowed` bytes: the CSV parser holds a whole record in
/// memory, so a file of one endless line must stop at the row limit, not at the end of memory.
struct Allowance<R> {
    inner: R,
    read: u64,
    allowed: u64,
}

/// The marker inside the I/O error an [`Allowance`] returns.
#[derive(Debug)]
struct RowLimit;

impl std::fmt::Display for RowLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("row limit")
    }
}

impl std::error::Error for RowLimit {}

impl<R: Read> Read for Allowance<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = self.allowed.saturating_sub(self.read);
        if room == 0 && !buf.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RowLimit,
            ));
        }
        let take = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..take])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A CSV reading error, with the limit it hit when it was the allowance.
fn csv_error(name: &str, records: u64, error: csv::Error) -> InputError {
    if let csv::ErrorKind::Io(io) = error.kind()
        && io.get_ref().is_some_and(|inner| inner.is::<RowLimit>())
    {
        let refusal = if records == 0 {
            SheetError::HeaderTooLong {
                limit: MAX_HEADER_BYTES,
            }
        } else {
            SheetError::RowTooLong {
                row: records + 1,
                limit: MAX_ROW_BYTES,
            }
        };
        return InputError::sheet(name, refusal);
    }
    let row = error.position().map(|p| p.line() as usize);
    let detail = error.to_string();
    InputError::problem(name, row, Problem::NotCsv { detail })
}

/// A record's cells as text, checked against the limits; the header without its BOMs.
fn record_cells(
    name: &str,
    number: u64,
    record: &csv::ByteRecord,
) -> Result<Vec<String>, InputError> {
    if number == 1 && record.as_slice().len() > MAX_HEADER_BYTES {
        return Err(InputError::sheet(
            name,
            SheetError::HeaderTooLong {
                limit: MAX_HEADER_BYTES,
            },
        ));
    }
    if number > 1 && record.as_slice().len() > MAX_ROW_BYTES {
        return Err(InputError::sheet(
            name,
            SheetError::RowTooLong {
                row: number,
                limit: MAX_ROW_BYTES,
            },
        ));
    }
    if record.len() > MAX_COLUMNS {
        return Err(InputError::sheet(
            name,
            SheetError::TooManyColumns {
                row: number,
                limit: MAX_COLUMNS,
            },
        ));
    }
    let mut cells = Vec::with_capacity(record.len());
    for (column, field) in record.iter().enumerate() {
        let mut text = std::str::from_utf8(field)
            .map_err(|_| InputError::problem(name, Some(number as usize), Problem::NotUtf8))?;
        if number == 1 && column == 0 {
            // Every leading mark, as the survey reader and the .xlsx reader take them off.
            text = text.trim_start_matches('\u{feff}');
        }
        if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
            return Err(InputError::sheet(
                name,
                SheetError::CellTooLong {
                    row: number,
                    column: column_letters(column as u32),
                    limit: MAX_CELL_CHARS,
                },
            ));
        }
        cells.push(restore(text).to_string());
    }
    Ok(cells)
}

/// Reads the first sheet of an .xlsx workbook through the bounded reader ([`crate::sheet`]).
/// Numbers are written back as the shortest decimal (1.5, 12), so codes should be text cells
/// ("01" typed as a number becomes "1").
pub fn read_xlsx(name: &str, bytes: &[u8]) -> Result<Table, InputError> {
    let mut table = Table {
        name: name.to_string(),
        ..Table::default()
    };
    let mut header = true;
    let mut cells = 0u64;
    read_xlsx_rows(bytes, |number, row| {
        if std::mem::take(&mut header) {
            table.headers = row.to_vec();
            return Ok(());
        }
        // Rows are padded to the header's width, so count what is kept, not what is written.
        cells += row.len() as u64;
        if cells > MAX_CELLS {
            return Err(SheetError::TooManyCells {
                row: number,
                limit: MAX_CELLS,
            });
        }
        table.rows.push(TableRow::new(number as usize, row));
        Ok(())
    })
    .map_err(|e| match e {
        RowsError::Sheet(e) | RowsError::Row(e) => InputError::sheet(name, e),
    })?;
    Ok(table)
}

/// The shortest text that reads back as the same float: 12 rather than 12.0.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (fuzz/corpus/table_csv/regression-two-byte-order-marks.csv): behind
    /// two byte-order marks the first column was named "\u{feff}code", so `code` was not
    /// found, and a table written by the CSV writer did not read back the same.
    #[test]
    fn a_header_behind_two_byte_order_marks_reads_as_behind_one() {
        let table = read_csv("f.csv", "\u{feff}\u{feff}code,title\n1,A\n".as_bytes()).unwrap();
        assert_eq!(table.headers, ["code", "title"]);
        assert_eq!(table.column("code"), Some(0));
    }

    #[test]
    fn reads_csv_with_bom_crlf_and_quotes() {
        let text =
            "\u{feff}code,title\r\n1,\"Kiểm tra, tuyên truyền\"\r\n\r\n2,\"line\nbreak\"\r\n";
        let table = read_csv("t.csv", text.as_bytes()).unwrap();
        assert_eq!(table.headers, ["code", "title"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].cell(1), Some("Kiểm tra, tuyên truyền"));
        assert_eq!(table.rows[0].number, 2);
        assert_eq!(table.rows[1].number, 3);
        assert_eq!(table.column("TITLE"), Some(1));
    }

    #[test]
    fn rejects_empty_and_non_utf8_files() {
        assert!(read_csv("e.csv", "".as_bytes()).is_err());
        let error = read_csv("b.csv", &b"code\n\xff\xfe\n"[..]).unwrap_err();
        assert_eq!(error.to_string(), "b.csv row 2: is not UTF-8 text");
    }

    #[test]
    fn rejects_what_is_not_a_workbook() {
        let error = read_xlsx("x.xlsx", b"not a zip").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("x.xlsx: not readable as .xlsx")
        );
    }

    #[test]
    fn csv_limits_refuse_at_once_with_typed_errors() {
        use crate::hostile;
        let cause = |bytes: &[u8]| read_csv("t.csv", bytes).unwrap_err().cause().cloned();
        let started = std::time::Instant::now();
        let wide = hostile::wide_header_csv(&["unit_code"], 150_000);
        assert_eq!(
            cause(&wide),
            Some(SheetError::HeaderTooLong {
                limit: MAX_HEADER_BYTES
            })
        );
        assert!(
            started.elapsed().as_millis() < 1000,
            "{:?}",
            started.elapsed()
        );
        // A header within the bytes but beyond the columns.
        let narrow = hostile::wide_header(&[], MAX_COLUMNS + 1)
            .iter()
            .map(|_| "a")
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            cause(narrow.as_bytes()),
            Some(SheetError::TooManyColumns {
                row: 1,
                limit: MAX_COLUMNS
            })
        );
        let long_row = format!("a,b\n1,{}\n", "x".repeat(MAX_ROW_BYTES + 10));
        assert_eq!(
            cause(long_row.as_bytes()),
            Some(SheetError::RowTooLong {
                row: 2,
                limit: MAX_ROW_BYTES
            })
        );
        let long_cell = format!("a,b\n1,{}\n", "ô".repeat(MAX_CELL_CHARS + 1));
        let error = read_csv("t.csv", long_cell.as_bytes()).unwrap_err();
        assert_eq!(error.row, Some(2));
        assert_eq!(
            error.to_string(),
            "t.csv row 2: column B: a cell longer than 32,767 characters, the limit"
        );
        // Exactly the limit is read.
        let at_limit = format!("a,b\n1,{}\n", "ô".repeat(MAX_CELL_CHARS));
        assert!(read_csv("t.csv", at_limit.as_bytes()).is_ok());
    }

    #[test]
    fn a_neutralised_cell_is_read_as_it_was_typed() {
        let text = "code,title\n1,'=SUM(A1)\n2,'-1+2\n3,'x\n4,-1.5\n";
        let table = read_csv("t.csv", text.as_bytes()).unwrap();
        let titles: Vec<&str> = table.rows.iter().map(|r| r.get(Some(1))).collect();
        assert_eq!(titles, ["=SUM(A1)", "-1+2", "'x", "-1.5"]);
    }
}
