//! Tables read from CSV or the first sheet of an .xlsx (interchange.md: "Every format that is
//! accepted as CSV is also accepted as .xlsx (first sheet, same header row)").

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use crate::error::InputError;

/// A header row and data rows as text. Row numbers are 1-based with the header as row 1, as
/// every error message names them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    pub number: usize,
    pub cells: Vec<String>,
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
            InputError::file(
                &self.name,
                format!(
                    "missing column '{name}' in the header row (found: {})",
                    self.headers.join(", ")
                ),
            )
        })
    }
}

impl TableRow {
    /// A cell's trimmed text; empty when the column is absent or the row is short.
    pub fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|c| self.cells.get(c))
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
/// hold commas and line breaks, blank lines are skipped and not counted as rows. A row with a different number of fields is kept as it is; the
/// caller decides whether that is an error.
pub fn read_csv(name: &str, reader: impl Read) -> Result<Table, InputError> {
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut table = Table {
        name: name.to_string(),
        ..Table::default()
    };
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    let mut records = 0usize;
    loop {
        let more = csv_reader.read_byte_record(&mut record).map_err(|e| {
            let row = e.position().map(|p| p.line() as usize);
            InputError::at(name, row, format!("not readable as CSV: {e}"))
        })?;
        if !more {
            break;
        }
        // Rows are records, as a spreadsheet shows them: a quoted line break stays in its row.
        records += 1;
        let row_number = records;
        let mut cells = Vec::with_capacity(record.len());
        for field in record.iter() {
            let text = std::str::from_utf8(field).map_err(|_| {
                InputError::at(name, Some(row_number), "is not UTF-8 text".to_string())
            })?;
            cells.push(text.to_string());
        }
        if first {
            if let Some(cell) = cells.first_mut()
                && let Some(stripped) = cell.strip_prefix('\u{feff}')
            {
                *cell = stripped.to_string();
            }
            table.headers = cells;
            first = false;
        } else if cells.iter().all(|c| c.trim().is_empty()) && cells.len() <= 1 {
            // A blank line (often the last one) carries nothing.
            continue;
        } else {
            table.rows.push(TableRow {
                number: row_number,
                cells,
            });
        }
    }
    if first {
        return Err(InputError::file(
            name,
            "is empty: no header row".to_string(),
        ));
    }
    Ok(table)
}

/// Reads the first sheet of an .xlsx workbook. Numbers are written back as the shortest
/// decimal (1.5, 12), so codes should be text cells ("01" typed as a number becomes "1").
pub fn read_xlsx(name: &str, bytes: &[u8]) -> Result<Table, InputError> {
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| InputError::file(name, format!("not readable as .xlsx: {e}")))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| InputError::file(name, "has no sheet".to_string()))?
        .map_err(|e| InputError::file(name, format!("first sheet not readable: {e}")))?;
    let mut rows = range.rows();
    let (start_row, _) = range.start().unwrap_or((0, 0));
    let headers: Vec<String> = match rows.next() {
        Some(cells) => cells.iter().map(cell_text).collect(),
        None => {
            return Err(InputError::file(
                name,
                "is empty: no header row".to_string(),
            ));
        }
    };
    let width = headers
        .iter()
        .rposition(|h| !h.trim().is_empty())
        .map_or(0, |p| p + 1);
    let mut table = Table {
        name: name.to_string(),
        headers: headers[..width].to_vec(),
        rows: Vec::new(),
    };
    for (offset, cells) in rows.enumerate() {
        let mut cells: Vec<String> = cells.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // Trailing empty cells beyond the header are formatting, not data.
        while cells.len() > width && cells.last().is_some_and(|c| c.trim().is_empty()) {
            cells.pop();
        }
        table.rows.push(TableRow {
            number: start_row as usize + offset + 2,
            cells,
        });
    }
    Ok(table)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim_start_matches('\u{feff}').to_string(),
        Data::Float(f) => format_number(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
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

    #[test]
    fn reads_csv_with_bom_crlf_and_quotes() {
        let text =
            "\u{feff}code,title\r\n1,\"Kiểm tra, tuyên truyền\"\r\n\r\n2,\"line\nbreak\"\r\n";
        let table = read_csv("t.csv", text.as_bytes()).unwrap();
        assert_eq!(table.headers, ["code", "title"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].cells[1], "Kiểm tra, tuyên truyền");
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
}
