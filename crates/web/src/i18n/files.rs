//! The shared file reader's refusals ([`SheetError`]) in the user's language, from their own
//! keys in `files.toml`.

use chiso_interchange::sheet::SheetError;

use super::{Lang, number, text};

/// A refusal of the shared file reader in the user's language, from its own text key (never
/// the reader's English), without its row: pages show the row apart.
pub fn sheet_error(lang: Lang, error: &SheetError) -> String {
    let count = |n: u64| number(lang, n as f64, 0);
    let bytes = |n: u64| {
        if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
            format!("{} MiB", count(n >> 20))
        } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
            format!("{} KiB", count(n >> 10))
        } else {
            count(n)
        }
    };
    let (key, args): (&str, Vec<(&str, String)>) = match error {
        SheetError::NotXlsx { detail } => ("files.not_xlsx", vec![("detail", detail.clone())]),
        SheetError::NoSheet => ("files.no_sheet", vec![]),
        SheetError::Empty => ("files.empty", vec![]),
        SheetError::TooManyEntries { limit } => (
            "files.too_many_entries",
            vec![("limit", count(*limit as u64))],
        ),
        SheetError::TooLarge {
            part: None,
            limit_bytes,
        } => ("files.too_large_all", vec![("limit", bytes(*limit_bytes))]),
        SheetError::TooLarge {
            part: Some(part),
            limit_bytes,
        } => (
            "files.too_large_part",
            vec![("part", part.clone()), ("limit", bytes(*limit_bytes))],
        ),
        SheetError::ElementTooLarge { part, limit_bytes } => (
            "files.element_too_large",
            vec![("part", part.clone()), ("limit", bytes(*limit_bytes))],
        ),
        SheetError::TooManyStrings { limit } => {
            ("files.too_many_strings", vec![("limit", count(*limit))])
        }
        SheetError::TooManyCells { limit, .. } => {
            ("files.too_many_cells", vec![("limit", count(*limit))])
        }
        SheetError::TooManyColumns { limit, .. } => (
            "files.too_many_columns",
            vec![("limit", count(*limit as u64))],
        ),
        SheetError::CellTooLong { column, limit, .. } => (
            "files.cell_too_long",
            vec![("column", column.clone()), ("limit", count(*limit as u64))],
        ),
        SheetError::HeaderTooLong { limit } => (
            "files.header_too_long",
            vec![("limit", bytes(*limit as u64))],
        ),
        SheetError::RowTooLong { limit, .. } => {
            ("files.row_too_long", vec![("limit", bytes(*limit as u64))])
        }
        SheetError::RowOutOfOrder { .. } => ("files.row_out_of_order", vec![]),
        SheetError::Unreadable { detail } => ("files.unreadable", vec![("detail", detail.clone())]),
    };
    let mut out = text(lang, key).to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

/// [`sheet_error`] with its row in front (`dòng 5: …`), for messages that stand alone.
pub fn sheet_error_with_row(lang: Lang, error: &SheetError) -> String {
    match error.row() {
        Some(row) => format!(
            "{}: {}",
            text(lang, "files.row").replace("{row}", &row.to_string()),
            sheet_error(lang, error)
        ),
        None => sheet_error(lang, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_of_the_file_reader_has_its_own_text_in_both_languages() {
        use chiso_interchange::sheet::*;
        let english = "English from the reader";
        let all = [
            SheetError::NotXlsx {
                detail: english.into(),
            },
            SheetError::NoSheet,
            SheetError::Empty,
            SheetError::TooManyEntries {
                limit: MAX_ZIP_ENTRIES,
            },
            SheetError::TooLarge {
                part: None,
                limit_bytes: MAX_XML_BYTES,
            },
            SheetError::TooLarge {
                part: Some("xl/styles.xml".into()),
                limit_bytes: MAX_PART_BYTES,
            },
            SheetError::ElementTooLarge {
                part: "xl/worksheets/sheet1.xml".into(),
                limit_bytes: MAX_XML_EVENT_BYTES,
            },
            SheetError::TooManyStrings { limit: MAX_CELLS },
            SheetError::TooManyCells {
                row: 9,
                limit: MAX_CELLS,
            },
            SheetError::TooManyColumns {
                row: 9,
                limit: MAX_COLUMNS,
            },
            SheetError::CellTooLong {
                row: 9,
                column: "AB".into(),
                limit: MAX_CELL_CHARS,
            },
            SheetError::HeaderTooLong {
                limit: MAX_HEADER_BYTES,
            },
            SheetError::RowTooLong {
                row: 9,
                limit: MAX_ROW_BYTES,
            },
            SheetError::RowOutOfOrder { row: 9 },
            SheetError::Unreadable {
                detail: english.into(),
            },
        ];
        for error in &all {
            let vi = sheet_error(Lang::Vi, error);
            let en = sheet_error(Lang::En, error);
            assert!(
                !vi.contains("files.") && !en.contains("files."),
                "{vi} / {en}"
            );
            assert!(!vi.contains('{') && !en.contains('{'), "{vi} / {en}");
            assert!(!vi.contains(english) && !vi.contains(" the "), "{vi}");
            assert_ne!(vi, en);
        }
        assert_eq!(
            sheet_error_with_row(Lang::Vi, &all[9]),
            "dòng 9: Tệp có hơn 1.000 cột, vượt giới hạn cho phép."
        );
        assert_eq!(
            sheet_error(Lang::En, &all[4]),
            "The workbook unpacks to more than 256 MiB, the limit."
        );
        assert_eq!(
            sheet_error(Lang::Vi, &all[10]),
            "Cột AB: ô dài hơn 32.767 ký tự, vượt giới hạn cho phép."
        );
    }
}
