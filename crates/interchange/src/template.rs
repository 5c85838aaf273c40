//! Blank import files to fill in: an .xlsx workbook whose first sheet holds the columns a file
//! must have (in the order docs/formats.md gives) and a few example rows, and whose second
//! sheet explains each column in the reader's language. The importers read the first sheet, so
//! a template filled in and uploaded as it is goes straight through.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One column of a template.
#[derive(Clone, Debug)]
pub struct TemplateColumn {
    /// The header the importer reads (`unit_code`, `max_points`, `c01`…).
    pub name: String,
    pub required: bool,
    /// What goes in it, in the reader's language.
    pub meaning: String,
}

/// The words of the guide sheet, in the reader's language.
#[derive(Clone, Debug)]
pub struct TemplateGuide {
    /// The name of the data sheet, e.g. "Dữ liệu".
    pub data_sheet: String,
    /// The name of the guide sheet, e.g. "Hướng dẫn".
    pub guide_sheet: String,
    /// The guide's column titles: column, required, meaning.
    pub headers: [String; 3],
    /// The words for a required and an optional column.
    pub yes: String,
    pub no: String,
    /// A sentence above the table (how to fill the file in).
    pub intro: String,
}

/// The workbook: the header row (bold, frozen), the example rows as text (codes such as
/// `1.10` must not turn into numbers), and the guide.
pub fn template_workbook(
    columns: &[TemplateColumn],
    examples: &[Vec<String>],
    guide: &TemplateGuide,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let data = book.add_worksheet();
    data.set_name(&guide.data_sheet)?;
    for (col, column) in columns.iter().enumerate() {
        let col = col as u16;
        data.write_string_with_format(0, col, &column.name, &bold)?;
        // Typed cells stay text too, so a code typed as 01 keeps its zero.
        data.set_column_format(col, &text)?;
        data.set_column_width(col, (column.name.chars().count() as f64 + 4.0).max(12.0))?;
    }
    for (row, values) in examples.iter().enumerate() {
        for (col, value) in values.iter().enumerate().take(columns.len()) {
            if !value.is_empty() {
                data.write_string_with_format(row as u32 + 1, col as u16, value, &text)?;
            }
        }
    }
    data.set_freeze_panes(1, 0)?;

    let sheet = book.add_worksheet();
    sheet.set_name(&guide.guide_sheet)?;
    sheet.write_string(0, 0, &guide.intro)?;
    for (col, title) in guide.headers.iter().enumerate() {
        sheet.write_string_with_format(2, col as u16, title, &bold)?;
    }
    for (row, column) in columns.iter().enumerate() {
        let row = row as u32 + 3;
        sheet.write_string(row, 0, &column.name)?;
        sheet.write_string(
            row,
            1,
            if column.required {
                &guide.yes
            } else {
                &guide.no
            },
        )?;
        sheet.write_string(row, 2, &column.meaning)?;
    }
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 12)?;
    sheet.set_column_width(2, 90)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::read_xlsx;

    fn guide() -> TemplateGuide {
        TemplateGuide {
            data_sheet: "Dữ liệu".into(),
            guide_sheet: "Hướng dẫn".into(),
            headers: ["Cột".into(), "Bắt buộc".into(), "Ý nghĩa".into()],
            yes: "Có".into(),
            no: "Không".into(),
            intro: "Điền từ dòng 2 của trang Dữ liệu.".into(),
        }
    }

    #[test]
    fn the_importers_read_the_template_back_with_its_codes_as_text() {
        let columns = vec![
            TemplateColumn {
                name: "code".into(),
                required: true,
                meaning: "mã".into(),
            },
            TemplateColumn {
                name: "max_points".into(),
                required: true,
                meaning: "điểm tối đa".into(),
            },
        ];
        let examples = vec![
            vec!["1.10".to_string(), "2.5".to_string()],
            vec!["01".to_string(), String::new()],
        ];
        let bytes = template_workbook(&columns, &examples, &guide()).unwrap();
        let table = read_xlsx("mau.xlsx", &bytes).unwrap();
        assert_eq!(table.headers, vec!["code", "max_points"]);
        let cells: Vec<Vec<&str>> = table.rows.iter().map(|r| r.cells().collect()).collect();
        assert_eq!(cells[0], vec!["1.10", "2.5"]);
        assert_eq!(cells[1][0], "01");
        assert_eq!(table.rows.len(), 2);
    }
}
