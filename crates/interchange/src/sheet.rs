//! The one bounded reader of spreadsheet files, shared by every import: the command line's
//! tables and survey responses, and the web's units, framework and survey-response uploads.
//!
//! An .xlsx is a zip of XML parts, and both layers can lie. A 1.6 KB workbook holding only
//! `A1` and `XFD1048576` makes a dense range of 17 billion cells; a few megabytes of deflated
//! XML unpack to gigabytes; a shared-strings part can declare a count that sizes an
//! allocation. So, before the workbook parser sees anything, [`read_xlsx_rows`] unpacks every
//! part into a counting sink that stops at hard limits (the zip's declared sizes are never
//! trusted), and then reads the first sheet cell by cell with calamine's streaming cell reader,
//! handing out one row at a time: memory stays bounded by one row, whatever the sheet claims.
//!
//! The limits are far above what a provincial file holds (a units list, a framework, a year of
//! scores or of survey responses) and far below what would hurt the process. CSV readers apply
//! the same column, header and cell limits with the same errors.

mod unpack;
mod xml_events;

use std::fmt;

use calamine::{DataRef, Reader, Xlsx, XlsxError};

/// Uncompressed bytes of all the parts of a workbook together. A sheet of 400,000 survey
/// responses is about 250 MB of XML; beyond this, use CSV, which streams without a limit.
pub const MAX_XML_BYTES: u64 = 256 << 20;

/// Uncompressed bytes of the shared-strings part, which the parser keeps in memory (about
/// three times its size): 32 MiB is about a million distinct texts.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 32 << 20;

/// Uncompressed bytes of each other part the parser keeps in memory: the workbook, the styles,
/// the theme and the relationships. Real ones are kilobytes; styles cost ten times their size
/// in memory.
pub const MAX_PART_BYTES: u64 = 4 << 20;

/// The longest XML element, text or comment in any part. The parser buffers one at a time;
/// a cell of 32,767 characters with every character escaped is well below.
pub const MAX_XML_EVENT_BYTES: u64 = 1 << 20;

/// Files in the zip. A workbook has a dozen; images and sheets add a few each.
pub const MAX_ZIP_ENTRIES: usize = 10_000;

/// Non-empty cells of a sheet (and cells of a table read into memory, padding included).
/// A scores file of 10,000 communes × 120 criteria × 4 columns is 4.8 million.
pub const MAX_CELLS: u64 = 10_000_000;

/// Columns of a sheet or a CSV file. Excel allows 16,384; the widest of our headers (a
/// questionnaire with its demographics) has a few dozen.
pub const MAX_COLUMNS: usize = 1_000;

/// Characters in one cell: Excel's own limit, so a real workbook never exceeds it.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Bytes of the header row.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Bytes of one row of a CSV file.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// Why a spreadsheet or CSV file was refused before or while its rows were read. Each
/// variant names the limit it hit; the web renders each from its own text key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetError {
    /// Not a zip, or not a workbook inside (the parser's own words in `detail`).
    NotXlsx { detail: String },
    /// The workbook lists no sheet.
    NoSheet,
    /// No row holds anything: there is no header row.
    Empty,
    /// More than [`MAX_ZIP_ENTRIES`] files in the zip.
    TooManyEntries { limit: usize },
    /// A part (`None`: all of them together) unpacks to more than `limit_bytes`.
    TooLarge {
        part: Option<String>,
        limit_bytes: u64,
    },
    /// A part holds one XML element or text longer than [`MAX_XML_EVENT_BYTES`].
    ElementTooLarge { part: String, limit_bytes: u64 },
    /// The shared strings declare more entries than [`MAX_CELLS`].
    TooManyStrings { limit: u64 },
    /// More than [`MAX_CELLS`] cells, found at `row`.
    TooManyCells { row: u64, limit: u64 },
    /// A cell beyond column [`MAX_COLUMNS`], found at `row`.
    TooManyColumns { row: u64, limit: usize },
    /// A cell longer than [`MAX_CELL_CHARS`] characters.
    CellTooLong {
        row: u64,
        column: String,
        limit: usize,
    },
    /// The header row is longer than [`MAX_HEADER_BYTES`].
    HeaderTooLong { limit: usize },
    /// A CSV row longer than [`MAX_ROW_BYTES`].
    RowTooLong { row: u64, limit: usize },
    /// The sheet's rows are not in ascending order (a streaming read cannot go back).
    RowOutOfOrder { row: u64 },
    /// The first sheet's XML cannot be read.
    Unreadable { detail: String },
}

impl SheetError {
    /// The row the problem was found at, when there is one (1-based, as a spreadsheet shows).
    pub fn row(&self) -> Option<u64> {
        match self {
            SheetError::TooManyCells { row, .. }
            | SheetError::TooManyColumns { row, .. }
            | SheetError::CellTooLong { row, .. }
            | SheetError::RowTooLong { row, .. }
            | SheetError::RowOutOfOrder { row } => Some(*row),
            SheetError::HeaderTooLong { .. } => Some(1),
            _ => None,
        }
    }

    /// The problem without its row, for messages that name the row themselves.
    pub fn message(&self) -> String {
        match self {
            SheetError::NotXlsx { detail } => format!("not readable as .xlsx: {detail}"),
            SheetError::NoSheet => "has no sheet".to_string(),
            SheetError::Empty => "is empty: no header row".to_string(),
            SheetError::TooManyEntries { limit } => format!(
                "the workbook holds more than {} files, the limit",
                group_digits(*limit as u64)
            ),
            SheetError::TooLarge { part, limit_bytes } => format!(
                "{} unpacks to more than {}, the limit",
                part.as_deref().unwrap_or("the workbook"),
                bytes_text(*limit_bytes)
            ),
            SheetError::ElementTooLarge { part, limit_bytes } => format!(
                "{part} holds an XML element or text longer than {}, the limit",
                bytes_text(*limit_bytes)
            ),
            SheetError::TooManyStrings { limit } => format!(
                "the shared strings declare more than {} entries, the limit",
                group_digits(*limit)
            ),
            SheetError::TooManyCells { limit, .. } => format!(
                "more than {} cells, the limit of a file",
                group_digits(*limit)
            ),
            SheetError::TooManyColumns { limit, .. } => format!(
                "more than {} columns, the limit of a file",
                group_digits(*limit as u64)
            ),
            SheetError::CellTooLong { column, limit, .. } => format!(
                "column {column}: a cell longer than {} characters, the limit",
                group_digits(*limit as u64)
            ),
            SheetError::HeaderTooLong { limit } => format!(
                "the header row is longer than {}, the limit",
                bytes_text(*limit as u64)
            ),
            SheetError::RowTooLong { limit, .. } => format!(
                "the row is longer than {}, the limit",
                bytes_text(*limit as u64)
            ),
            SheetError::RowOutOfOrder { .. } => {
                "the row comes after a later row: the sheet's rows are out of order".to_string()
            }
            SheetError::Unreadable { detail } => format!("first sheet not readable: {detail}"),
        }
    }
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row() {
            Some(row) => write!(f, "row {row}: {}", self.message()),
            None => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for SheetError {}

/// `10,000,000`.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `256 MiB`, `64 KiB`, `100 bytes`.
pub fn bytes_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", group_digits(bytes >> 20))
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", group_digits(bytes >> 10))
    } else {
        format!("{} bytes", group_digits(bytes))
    }
}

/// A column's letters: 0 → `A`, 26 → `AA`.
pub fn column_letters(column: u32) -> String {
    let mut n = u64::from(column) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Why reading rows stopped: the file, or the caller's handling of a row.
#[derive(Debug, PartialEq)]
pub enum RowsError<E> {
    Sheet(SheetError),
    Row(E),
}

impl<E> From<SheetError> for RowsError<E> {
    fn from(error: SheetError) -> Self {
        RowsError::Sheet(error)
    }
}

/// Reads the first sheet of an .xlsx row by row, within the limits above.
///
/// The header row is the first row holding a non-empty cell; its first non-empty cell is the
/// first column (cells left of it belong to no column and are ignored), its last non-empty
/// cell the last. `on_row` gets the header first, then each data row that holds something,
/// with the row numbers a spreadsheet shows (the header is row 1 when the sheet starts at
/// `A1`). A data row is padded with empty cells to the header's width; cells beyond the header
/// are kept up to the last non-empty one. Numbers are written back as the shortest decimal.
pub fn read_xlsx_rows<E>(
    bytes: &[u8],
    on_row: impl FnMut(u64, &[String]) -> Result<(), E>,
) -> Result<(), RowsError<E>> {
    unpack::check(bytes)?;
    // The checks above bound what the parser allocates, but it still does arithmetic on cell
    // references it has not validated (overflow in a debug build): a panic there is a file
    // that cannot be read, not a crash.
    let mut on_row = on_row;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stream_first_sheet(bytes, &mut on_row)
    })) {
        Ok(result) => result,
        Err(_) => Err(RowsError::Sheet(SheetError::Unreadable {
            detail: "a cell reference is out of range".to_string(),
        })),
    }
}

fn stream_first_sheet<E>(
    bytes: &[u8],
    on_row: &mut impl FnMut(u64, &[String]) -> Result<(), E>,
) -> Result<(), RowsError<E>> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| SheetError::NotXlsx {
            detail: e.to_string(),
        })?;
    let first = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(SheetError::NoSheet)?;
    let mut cells = match workbook.worksheet_cells_reader(&first) {
        Ok(cells) => cells,
        // A chart sheet first: no rows, as the old dense reader saw it.
        Err(XlsxError::NotAWorksheet(_)) => return Err(SheetError::Empty.into()),
        Err(XlsxError::WorksheetNotFound(_)) => return Err(SheetError::NoSheet.into()),
        Err(e) => {
            return Err(SheetError::Unreadable {
                detail: e.to_string(),
            }
            .into());
        }
    };
    let mut rows = RowAssembler::default();
    loop {
        let cell = cells.next_cell().map_err(|e| SheetError::Unreadable {
            detail: e.to_string(),
        })?;
        let Some(cell) = cell else { break };
        let (row, column) = cell.get_position();
        let text = cell_text(cell.get_value());
        rows.cell(row, column, text, on_row)?;
    }
    rows.finish(on_row)
}

/// The last row Excel allows (0-based) and the last column.
const LAST_ROW: u32 = 1_048_575;
const LAST_COLUMN: u32 = 16_383;

/// Gathers streamed cells into rows and hands each out when the next one starts.
#[derive(Default)]
struct RowAssembler {
    /// The row being gathered (0-based).
    current: Option<u32>,
    /// The header's first column and its width, once the header row is complete.
    layout: Option<(u32, usize)>,
    /// Header cells as (column, text) until the header row is complete.
    header: Vec<(u32, String)>,
    /// The data row being gathered, by position from the first column.
    row: Vec<String>,
    /// Non-empty cells so far.
    cells: u64,
}

impl RowAssembler {
    fn cell<E>(
        &mut self,
        row: u32,
        column: u32,
        text: String,
        on_row: &mut impl FnMut(u64, &[String]) -> Result<(), E>,
    ) -> Result<(), RowsError<E>> {
        if text.is_empty() {
            // An empty cell is formatting: it neither starts a row nor widens one.
            return Ok(());
        }
        let number = u64::from(row) + 1;
        if row > LAST_ROW || column > LAST_COLUMN {
            return Err(SheetError::Unreadable {
                detail: format!("row {number}: a cell reference beyond the sheet's last cell"),
            }
            .into());
        }
        match self.current {
            Some(current) if row < current => {
                return Err(SheetError::RowOutOfOrder { row: number }.into());
            }
            Some(current) if row > current => self.flush(on_row)?,
            _ => {}
        }
        self.current = Some(row);
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(SheetError::TooManyCells {
                row: number,
                limit: MAX_CELLS,
            }
            .into());
        }
        if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
            return Err(SheetError::CellTooLong {
                row: number,
                column: column_letters(column),
                limit: MAX_CELL_CHARS,
            }
            .into());
        }
        let too_wide = SheetError::TooManyColumns {
            row: number,
            limit: MAX_COLUMNS,
        };
        match self.layout {
            None => {
                if self.header.len() >= MAX_COLUMNS {
                    return Err(too_wide.into());
                }
                self.header.push((column, text));
            }
            Some((first, _)) if column < first => {}
            Some((first, _)) => {
                let at = (column - first) as usize;
                if at >= MAX_COLUMNS {
                    return Err(too_wide.into());
                }
                if self.row.len() <= at {
                    self.row.resize(at + 1, String::new());
                }
                self.row[at] = text;
            }
        }
        Ok(())
    }

    /// Hands out the row gathered so far.
    fn flush<E>(
        &mut self,
        on_row: &mut impl FnMut(u64, &[String]) -> Result<(), E>,
    ) -> Result<(), RowsError<E>> {
        let Some(current) = self.current else {
            return Ok(());
        };
        let number = u64::from(current) + 1;
        match self.layout {
            None => {
                let first = self.header.iter().map(|(c, _)| *c).min().unwrap_or(0);
                let last = self.header.iter().map(|(c, _)| *c).max().unwrap_or(0);
                let width = (last - first) as usize + 1;
                if width > MAX_COLUMNS {
                    return Err(SheetError::TooManyColumns {
                        row: number,
                        limit: MAX_COLUMNS,
                    }
                    .into());
                }
                let mut header = vec![String::new(); width];
                let mut length = 0;
                for (column, text) in self.header.drain(..) {
                    length += text.len();
                    header[(column - first) as usize] = text;
                }
                if length > MAX_HEADER_BYTES {
                    return Err(SheetError::HeaderTooLong {
                        limit: MAX_HEADER_BYTES,
                    }
                    .into());
                }
                // Trailing blank header cells are formatting, not columns.
                let width = header
                    .iter()
                    .rposition(|h| !h.trim().is_empty())
                    .map_or(0, |p| p + 1);
                header.truncate(width);
                self.layout = Some((first, width));
                on_row(number, &header).map_err(RowsError::Row)?;
            }
            Some((_, width)) => {
                if self.row.iter().any(|c| !c.trim().is_empty()) {
                    if self.row.len() < width {
                        self.row.resize(width, String::new());
                    }
                    // Trailing empty cells beyond the header are formatting, not data.
                    while self.row.len() > width
                        && self.row.last().is_some_and(|c| c.trim().is_empty())
                    {
                        self.row.pop();
                    }
                    on_row(number, &self.row).map_err(RowsError::Row)?;
                }
                self.row.clear();
            }
        }
        Ok(())
    }

    fn finish<E>(
        mut self,
        on_row: &mut impl FnMut(u64, &[String]) -> Result<(), E>,
    ) -> Result<(), RowsError<E>> {
        self.flush(on_row)?;
        if self.layout.is_none() {
            return Err(SheetError::Empty.into());
        }
        Ok(())
    }
}

/// One worksheet's rows as a spreadsheet shows them: each row that holds a non-empty cell,
/// with its 1-based number and its cells from column A (empty text where nothing is written).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridSheet {
    pub name: String,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Every worksheet of an .xlsx (chart sheets left out), in the workbook's order, for readers
/// that find their own header rows (the publisher workbooks of docs/formats.md §7.2). The
/// same limits hold as for [`read_xlsx_rows`]: the parts are checked before the parser sees
/// them, cells (the empty ones a row is padded with from column A included) count across all
/// sheets, columns are counted from A, and a formula's cell holds the value last computed.
pub fn read_xlsx_grid(bytes: &[u8]) -> Result<Vec<GridSheet>, SheetError> {
    unpack::check(bytes)?;
    match std::panic::catch_unwind(|| grid_sheets(bytes)) {
        Ok(result) => result,
        Err(_) => Err(SheetError::Unreadable {
            detail: "a cell reference is out of range".to_string(),
        }),
    }
}

fn grid_sheets(bytes: &[u8]) -> Result<Vec<GridSheet>, SheetError> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| SheetError::NotXlsx {
            detail: e.to_string(),
        })?;
    let names = workbook.sheet_names();
    if names.is_empty() {
        return Err(SheetError::NoSheet);
    }
    let unreadable = |e: XlsxError| SheetError::Unreadable {
        detail: e.to_string(),
    };
    let mut cells_read = 0u64;
    let mut sheets = Vec::new();
    for name in names {
        let mut cells = match workbook.worksheet_cells_reader(&name) {
            Ok(cells) => cells,
            Err(XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(unreadable(e)),
        };
        let mut sheet = GridSheet {
            name: name.clone(),
            rows: Vec::new(),
        };
        while let Some(cell) = cells.next_cell().map_err(unreadable)? {
            let (row, column) = cell.get_position();
            let text = cell_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let number = u64::from(row) + 1;
            if row > LAST_ROW || column as usize >= MAX_COLUMNS {
                return Err(SheetError::TooManyColumns {
                    row: number,
                    limit: MAX_COLUMNS,
                });
            }
            // Rows are padded from column A: the padding counts against the limit too, so a
            // far column on many rows cannot fill memory with empty cells.
            let row_length = match sheet.rows.last() {
                Some((last, cells)) if *last == number => cells.len(),
                _ => 0,
            };
            cells_read += (column as u64 + 1).saturating_sub(row_length as u64).max(1);
            if cells_read > MAX_CELLS {
                return Err(SheetError::TooManyCells {
                    row: number,
                    limit: MAX_CELLS,
                });
            }
            if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
                return Err(SheetError::CellTooLong {
                    row: number,
                    column: column_letters(column),
                    limit: MAX_CELL_CHARS,
                });
            }
            match sheet.rows.last_mut() {
                Some((last, _)) if *last > number => {
                    return Err(SheetError::RowOutOfOrder { row: number });
                }
                Some((last, cells)) if *last == number => put(cells, column, text),
                _ => {
                    let mut cells = Vec::new();
                    put(&mut cells, column, text);
                    sheet.rows.push((number, cells));
                }
            }
        }
        sheets.push(sheet);
    }
    Ok(sheets)
}

fn put(cells: &mut Vec<String>, column: u32, text: String) {
    let at = column as usize;
    if cells.len() <= at {
        cells.resize(at + 1, String::new());
    }
    cells[at] = text;
}

/// The first sheet of an .xlsx as CSV text, so that one row reader serves both formats (the survey import's `responses.xlsx`, docs/formats.md). The
/// shared bounded reader streams the rows. A row the sheet leaves blank becomes an empty line,
/// so that rows keep their numbers (counted from the header); cells go through the project's
/// CSV writer, whose `'` before a formula the row reader takes off again: every cell arrives
/// as typed.
pub fn xlsx_to_csv(bytes: &[u8]) -> Result<Vec<u8>, SheetError> {
    let mut writer = crate::csv_out::CsvWriter::new(Vec::new(), crate::csv_out::LineEnd::Lf);
    // The last row written: the header is the first line, whatever row it is on.
    let mut last: Option<u64> = None;
    let failed = |e: csv::Error| SheetError::Unreadable {
        detail: e.to_string(),
    };
    read_xlsx_rows(bytes, |number, cells| {
        if let Some(last) = last {
            for _ in last + 1..number {
                writer.row([""]).map_err(failed)?;
            }
        }
        last = Some(number);
        writer.row(cells).map_err(failed)
    })
    .map_err(|e| match e {
        RowsError::Sheet(e) | RowsError::Row(e) => e,
    })?;
    writer.into_inner().map_err(|e| SheetError::Unreadable {
        detail: e.to_string(),
    })
}

/// A cell as text: strings as written (without a leading byte-order mark), numbers as the
/// shortest decimal (12 rather than 12.0), dates as Excel's serial number.
pub fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.trim_start_matches('\u{feff}').to_string(),
        DataRef::SharedString(s) => s.trim_start_matches('\u{feff}').to_string(),
        DataRef::Float(f) => crate::table::format_number(*f),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostile;

    fn rows(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, SheetError> {
        let mut out = Vec::new();
        read_xlsx_rows(bytes, |n, cells| {
            out.push((n, cells.to_vec()));
            Ok::<(), ()>(())
        })
        .map_err(|e| match e {
            RowsError::Sheet(e) => e,
            RowsError::Row(()) => unreachable!(),
        })?;
        Ok(out)
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_rows_as_a_spreadsheet_shows_them() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        // The header from B2, a blank row, a number, a cell beyond the header, a formatted
        // empty cell far to the right, a cell left of the header.
        sheet.write_string(1, 1, "unit_code").unwrap();
        sheet.write_string(1, 2, "points").unwrap();
        sheet.write_string(1, 3, " ").unwrap();
        sheet.write_string(2, 1, "01").unwrap();
        sheet.write_number(2, 2, 1.5).unwrap();
        sheet.write_string(4, 1, "02").unwrap();
        sheet.write_number(4, 4, 12.0).unwrap();
        sheet
            .write_blank(5, 300, &rust_xlsxwriter::Format::new().set_bold())
            .unwrap();
        sheet.write_string(6, 0, "lạc").unwrap();
        sheet.write_string(6, 2, "3").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        assert_eq!(
            rows(&bytes).unwrap(),
            vec![
                (2, strings(&["unit_code", "points"])),
                (3, strings(&["01", "1.5"])),
                (5, strings(&["02", "", "", "12"])),
                (7, strings(&["", "3"])),
            ]
        );
    }

    #[test]
    fn the_grid_reads_every_sheet_from_column_a_with_cached_formula_values() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let first = workbook.add_worksheet();
        first.set_name("2016_PAPI").unwrap();
        first.write_string(1, 2, "Total").unwrap();
        first.write_number(2, 0, 1.0).unwrap();
        first
            .write_formula(
                2,
                2,
                rust_xlsxwriter::Formula::new("=A3*2").set_result("2.5"),
            )
            .unwrap();
        let second = workbook.add_worksheet();
        second.set_name("Ghi chú").unwrap();
        second.write_string(0, 0, "x").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let sheets = read_xlsx_grid(&bytes).unwrap();
        assert_eq!(
            sheets,
            vec![
                GridSheet {
                    name: "2016_PAPI".into(),
                    rows: vec![
                        (2, strings(&["", "", "Total"])),
                        (3, strings(&["1", "", "2.5"])),
                    ],
                },
                GridSheet {
                    name: "Ghi chú".into(),
                    rows: vec![(1, strings(&["x"]))],
                },
            ]
        );
        // A far column on many rows: the padding reaches the cell limit, refused at once.
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let far = workbook.add_worksheet();
        for row in 0..10_100u32 {
            far.write_number(row, 998, 1.0).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        assert!(matches!(
            read_xlsx_grid(&bytes),
            Err(SheetError::TooManyCells { row: 10_011, .. })
        ));
        assert_eq!(
            read_xlsx_grid(&hostile::dense_range_xlsx(&["unit_code"])),
            Err(SheetError::TooManyColumns {
                row: 1_048_576,
                limit: MAX_COLUMNS
            })
        );
    }

    #[test]
    fn refuses_the_dense_range_workbook_naming_the_column_limit() {
        let bytes = hostile::dense_range_xlsx(&["unit_code"]);
        assert!(bytes.len() < 2_000, "{} bytes", bytes.len());
        assert_eq!(
            rows(&bytes),
            Err(SheetError::TooManyColumns {
                row: 1_048_576,
                limit: MAX_COLUMNS
            })
        );
    }

    #[test]
    fn refuses_a_zip_bomb_before_parsing_it() {
        let bytes = hostile::xlsx_bomb(MAX_XML_BYTES + (1 << 20), &["unit_code"], "x");
        assert!(bytes.len() < 8 << 20, "{} bytes", bytes.len());
        let started = std::time::Instant::now();
        assert_eq!(
            rows(&bytes),
            Err(SheetError::TooLarge {
                part: None,
                limit_bytes: MAX_XML_BYTES
            })
        );
        assert!(started.elapsed().as_secs() < 60);
    }

    #[test]
    fn refuses_a_declared_count_of_shared_strings_above_the_cell_limit() {
        let bytes = hostile::shared_strings_count_xlsx(1 << 40);
        assert_eq!(
            rows(&bytes),
            Err(SheetError::TooManyStrings { limit: MAX_CELLS })
        );
        // A true count reads.
        let bytes = hostile::shared_strings_count_xlsx(1);
        assert_eq!(rows(&bytes).unwrap(), vec![(1, strings(&["unit_code"]))]);
        // Megabytes of comments before the tag, or a decoy tag inside one, change nothing.
        let padding = "<!-- <sst uniqueCount=\"1\"> -->".repeat(100_000);
        let xml = format!(
            r#"<?xml version="1.0"?>{padding}<x:sst xmlns:x="urn:x" uniqueCount="99999999999"><x:si><x:t>a</x:t></x:si></x:sst>"#
        );
        assert_eq!(
            rows(&hostile::shared_strings_xlsx(&xml)),
            Err(SheetError::TooManyStrings { limit: MAX_CELLS })
        );
    }

    #[test]
    fn refuses_wide_headers_long_cells_and_long_elements() {
        let bytes = hostile::wide_header_xlsx(&["unit_code"], 150_000);
        assert_eq!(
            rows(&bytes),
            Err(SheetError::TooManyColumns {
                row: 1,
                limit: MAX_COLUMNS
            })
        );
        let long = "x".repeat(MAX_CELL_CHARS + 1);
        let bytes = hostile::xlsx_bomb(0, &["a", &long], "");
        assert_eq!(
            rows(&bytes),
            Err(SheetError::CellTooLong {
                row: 1,
                column: "B".to_string(),
                limit: MAX_CELL_CHARS
            })
        );
        let huge = "y".repeat(MAX_XML_EVENT_BYTES as usize + 10);
        let bytes = hostile::xlsx_bomb(0, &[&huge], "");
        assert_eq!(
            rows(&bytes),
            Err(SheetError::ElementTooLarge {
                part: "xl/worksheets/sheet1.xml".to_string(),
                limit_bytes: MAX_XML_EVENT_BYTES
            })
        );
        let header: Vec<String> = (0..MAX_COLUMNS).map(|i| format!("{i:0>70}")).collect();
        let bytes = hostile::xlsx_of(&[header]);
        assert_eq!(
            rows(&bytes),
            Err(SheetError::HeaderTooLong {
                limit: MAX_HEADER_BYTES
            })
        );
    }

    #[test]
    fn absurd_cell_references_are_an_unreadable_sheet_not_a_crash() {
        // Overflowing references, out-of-order rows: refused whatever the build's arithmetic.
        for sheet_data in [
            r#"<row r="1"><c r="AAAAAAAAAAAA1" t="inlineStr"><is><t>a</t></is></c></row>"#,
            r#"<row r="99999999999"><c t="inlineStr"><is><t>a</t></is></c></row>"#,
            r#"<row r="5"><c r="A5" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>b</t></is></c></row>"#,
        ] {
            let bytes = hostile::raw_sheet_xlsx(sheet_data);
            let error = rows(&bytes).unwrap_err();
            assert!(
                matches!(
                    error,
                    SheetError::Unreadable { .. }
                        | SheetError::RowOutOfOrder { .. }
                        | SheetError::TooManyColumns { .. }
                ),
                "{error:?}"
            );
        }
    }

    /// Found by fuzzing (fuzz/corpus/table_xlsx/regression-header-on-row-2.parts): a sheet
    /// whose header is on row 2 came out with an empty line first, which every CSV reader
    /// takes for the header (the web's responses.xlsx import then found no column).
    #[test]
    fn xlsx_to_csv_starts_with_the_header_row_wherever_it_is() {
        let bytes = hostile::raw_sheet_xlsx(
            r#"<row r="2"><c r="A2" t="inlineStr"><is><t>unit_code</t></is></c></row><row r="4"><c r="A4" t="inlineStr"><is><t>01</t></is></c></row>"#,
        );
        let csv = String::from_utf8(xlsx_to_csv(&bytes).unwrap()).unwrap();
        // Row 3 stays a blank line, so that rows keep their numbers counted from the header.
        assert_eq!(csv, "unit_code\n\"\"\n01\n");
    }

    #[test]
    fn refuses_what_is_not_a_workbook_or_has_no_header() {
        assert!(matches!(
            rows(b"not a zip"),
            Err(SheetError::NotXlsx { .. })
        ));
        let bytes = rust_xlsxwriter::Workbook::new().save_to_buffer().unwrap();
        assert_eq!(rows(&bytes), Err(SheetError::Empty));
    }

    #[test]
    fn messages_name_their_limits() {
        let error = SheetError::TooManyCells {
            row: 7,
            limit: MAX_CELLS,
        };
        assert_eq!(
            error.to_string(),
            "row 7: more than 10,000,000 cells, the limit of a file"
        );
        let error = SheetError::TooLarge {
            part: None,
            limit_bytes: MAX_XML_BYTES,
        };
        assert_eq!(
            error.to_string(),
            "the workbook unpacks to more than 256 MiB, the limit"
        );
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }

    /// The rows a spreadsheet shows for sparse cells `(row, column, text)` (later cells win),
    /// computed plainly: the model the streaming reader must agree with.
    fn expected_rows(cells: &[(u32, u16, String)]) -> Vec<(u64, Vec<String>)> {
        let mut grid = std::collections::BTreeMap::new();
        for (r, c, text) in cells {
            grid.insert((*r, u32::from(*c)), text.clone());
        }
        grid.retain(|_, text| !text.is_empty());
        let Some(&(header_row, _)) = grid.keys().next() else {
            return Vec::new();
        };
        let header_cells: Vec<(u32, String)> = grid
            .iter()
            .filter(|((r, _), _)| *r == header_row)
            .map(|((_, c), t)| (*c, t.clone()))
            .collect();
        let first = header_cells[0].0;
        let mut header = vec![String::new(); (header_cells.last().unwrap().0 - first + 1) as usize];
        for (c, t) in header_cells {
            header[(c - first) as usize] = t;
        }
        let width = header
            .iter()
            .rposition(|h| !h.trim().is_empty())
            .map_or(0, |p| p + 1);
        header.truncate(width);
        let mut out = vec![(u64::from(header_row) + 1, header)];
        let rows: std::collections::BTreeSet<u32> = grid
            .keys()
            .map(|(r, _)| *r)
            .filter(|r| *r > header_row)
            .collect();
        for r in rows {
            let mut row = vec![String::new(); width];
            for ((_, c), t) in grid.range((r, 0)..(r + 1, 0)) {
                if *c < first {
                    continue;
                }
                let at = (c - first) as usize;
                if row.len() <= at {
                    row.resize(at + 1, String::new());
                }
                row[at] = t.clone();
            }
            while row.len() > width && row.last().is_some_and(|c| c.trim().is_empty()) {
                row.pop();
            }
            if row.iter().any(|c| !c.trim().is_empty()) {
                out.push((u64::from(r) + 1, row));
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Whatever the layout (a header anywhere, gaps, blank and whitespace cells, cells left
        /// of the header or beyond it), the streamed rows are those a spreadsheet shows.
        #[test]
        fn streamed_rows_agree_with_the_sheet(
            cells in proptest::collection::vec(
                (0u32..12, 0u16..8, proptest::sample::select(vec!["", " ", "a", "Hà Nội", "=1+1", "01", "x y"])),
                1..40,
            )
        ) {
            let cells: Vec<(u32, u16, String)> =
                cells.into_iter().map(|(r, c, t)| (r, c, t.to_string())).collect();
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet();
            let mut written = Vec::new();
            for (r, c, text) in &cells {
                if !text.is_empty() {
                    sheet.write_string(*r, *c, text).unwrap();
                    written.push((*r, *c, text.clone()));
                }
            }
            let bytes = workbook.save_to_buffer().unwrap();
            let expected = expected_rows(&written);
            match rows(&bytes) {
                Ok(actual) => proptest::prop_assert_eq!(actual, expected),
                Err(SheetError::Empty) => proptest::prop_assert!(expected.is_empty()),
                Err(e) => proptest::prop_assert!(false, "{e}"),
            }
        }
    }
}
