//! Cells of imported files, checked like form fields once the file is read: a unit's name from
//! a spreadsheet is the same text as one typed into the unit form, with the same limits.

use chiso_domain::text::{self, TextKind};
use chiso_interchange::table::Table;

use super::fields::{Scope, kind_of};
use crate::i18n::{self, Lang};

/// The most problems reported for one file: past this the file is clearly not a units or
/// framework file, and the page stays short.
const MAX_PROBLEMS: usize = 100;

/// One refused cell: its row (the header is row 1) and the message naming its column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellProblem {
    pub row: usize,
    pub message: String,
}

/// Checks the header and every cell of a table, each cell against the kind its column's name
/// implies (`unit_name` and `title` are names, `guidance` is prose, codes are codes).
pub fn check_table(lang: Lang, table: &Table) -> Vec<CellProblem> {
    let scope = Scope::for_lang(lang);
    let mut problems = Vec::new();
    let mut kinds = Vec::with_capacity(table.headers.len());
    for (i, header) in table.headers.iter().enumerate() {
        let name = header.trim().to_ascii_lowercase();
        if let Err(error) = text::check(TextKind::Code, header) {
            let label = format!("#{}", i + 1);
            problems.push(CellProblem {
                row: 1,
                message: scope.describe(&label, error, "input.cell_too_long"),
            });
        }
        kinds.push(kind_of(&name));
    }
    for row in &table.rows {
        for (i, cell) in row.cells().enumerate() {
            if problems.len() >= MAX_PROBLEMS {
                return problems;
            }
            let kind = kinds.get(i).copied().unwrap_or(TextKind::Short);
            if let Err(error) = text::check(kind, cell) {
                let label = match table.headers.get(i) {
                    Some(header) if text::check(TextKind::Code, header).is_ok() => {
                        header.trim().to_string()
                    }
                    _ => format!("#{}", i + 1),
                };
                problems.push(CellProblem {
                    row: row.number,
                    message: scope.describe(&label, error, "input.cell_too_long"),
                });
            }
        }
    }
    problems
}

/// The refusal of a text file (a CSV, or an .xlsx turned into one) holding a control character
/// that no cell may hold, naming the file and the line; `None` when it has none. TAB, LF and CR
/// belong to the file's own layout and to multi-line cells; any other control character is
/// refused wherever it is, before a row is read (for files read row by row into the store).
pub fn control_in_file(lang: Lang, name: &str, bytes: &[u8]) -> Option<String> {
    let at = bytes
        .iter()
        .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)?;
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    Some(
        i18n::text(lang, "input.file_control")
            .replace("{file}", name)
            .replace("{line}", &line.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_interchange::table::TableRow;

    fn table(rows: Vec<Vec<&str>>) -> Table {
        Table {
            name: "units.csv".into(),
            headers: vec!["unit_code".into(), "unit_name".into(), "note".into()],
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, cells)| TableRow::new(i + 2, &cells))
                .collect(),
        }
    }

    #[test]
    fn cells_are_checked_by_their_column() {
        let long = "Đ".repeat(301);
        let problems = check_table(
            Lang::Vi,
            &table(vec![
                vec!["S01", "Sở Tư pháp", "dòng 1\ndòng 2"],
                vec!["S02", &long, ""],
                vec!["S\u{0}3", "Sở\tNội vụ", ""],
            ]),
        );
        assert_eq!(
            problems,
            vec![
                CellProblem {
                    row: 3,
                    message: "Cột «unit_name» dài quá 300 ký tự.".into()
                },
                CellProblem {
                    row: 4,
                    message: "Cột «unit_code» chứa ký tự điều khiển không hợp lệ.".into()
                },
                CellProblem {
                    row: 4,
                    message: "Cột «unit_name» chứa ký tự điều khiển không hợp lệ.".into()
                },
            ]
        );
        assert!(check_table(Lang::Vi, &table(vec![vec!["S01", "Sở", ""]])).is_empty());
    }

    #[test]
    fn a_control_character_anywhere_in_a_file_is_named_with_its_line() {
        let csv = "unit_code,respondent_id,comment\r\nS01,A,\"dòng 1\ndòng 2\t\"\r\nS01,B\0,\r\n";
        assert_eq!(
            control_in_file(Lang::Vi, "phieu.csv", csv.as_bytes()).as_deref(),
            Some("Tệp «phieu.csv» chứa ký tự điều khiển không hợp lệ ở dòng 4.")
        );
        assert_eq!(
            control_in_file(Lang::Vi, "phieu.csv", &csv.as_bytes()[..40]),
            None
        );
    }
}
