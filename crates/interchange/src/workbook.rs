//! The look of every report workbook chiso writes (docs/formats.md §12, "Report workbooks"):
//! a title block (authority, title, campaign, date) above the table, one or two header rows in
//! bold with borders and wrapped text, frozen below the headers, column widths set, points and
//! indices as numbers with the format `0.00` (70 is the number 70 shown "70,00" in a
//! Vietnamese locale, never the text "70,00"), ranks as integers, and the print setup offices
//! file tables with: A4 landscape, one page wide, the header rows repeated on every page, the
//! page number in the footer.
//!
//! Every workbook the web serves and `chiso survey index --format xlsx` writes goes through
//! these helpers; none sets its own fonts, borders or number formats.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

/// The number format of points and indices: two decimals, always shown.
pub const TWO_DECIMALS: &str = "0.00";

/// The number format of counts, ranks and row numbers.
pub const INTEGER: &str = "0";

/// A signed change with two decimals (the minus sign is the locale's).
pub const SIGNED_DECIMALS: &str = "+0.00;-0.00;0.00";

/// A signed change of places.
pub const SIGNED_INTEGER: &str = "+0;-0;0";

/// A4 in the paper codes of the .xlsx format.
const A4: u8 = 9;

/// The cell formats of the report workbooks.
pub struct Styles {
    /// The authority's line of the title block.
    pub authority: Format,
    /// The report's title.
    pub title: Format,
    /// The lines under the title (campaign, group, date).
    pub subtitle: Format,
    /// A header cell: bold, centred, wrapped, bordered.
    pub header: Format,
    /// Text in the table: bordered, wrapped, top-aligned.
    pub text: Format,
    /// Text that must stay text (codes such as `1.10` or `01`).
    pub code: Format,
    /// A count, rank or row number.
    pub integer: Format,
    /// Points and indices: `0.00`.
    pub decimal: Format,
    /// A change of points or index, signed: `+0.00`, `-0.00`.
    pub change: Format,
    /// A change of places, signed: `+2`, `-1`.
    pub places: Format,
    /// A subtotal row's label (bold).
    pub total_text: Format,
    /// A subtotal row's points (bold, `0.00`).
    pub total_decimal: Format,
    /// A note under the table (italic, no border).
    pub note: Format,
    /// A label in an information sheet (bold, no border).
    pub label: Format,
}

impl Default for Styles {
    fn default() -> Self {
        Styles::new()
    }
}

impl Styles {
    pub fn new() -> Styles {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        Styles {
            authority: Format::new().set_bold().set_align(FormatAlign::Left),
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            subtitle: Format::new()
                .set_italic()
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#DDEBF7"),
            text: cell.clone().set_text_wrap(),
            code: cell.clone().set_num_format("@"),
            integer: cell
                .clone()
                .set_num_format(INTEGER)
                .set_align(FormatAlign::Center),
            decimal: cell.clone().set_num_format(TWO_DECIMALS),
            change: cell.clone().set_num_format(SIGNED_DECIMALS),
            places: cell
                .clone()
                .set_num_format(SIGNED_INTEGER)
                .set_align(FormatAlign::Center),
            total_text: cell.clone().set_bold().set_text_wrap(),
            total_decimal: cell.set_bold().set_num_format(TWO_DECIMALS),
            note: Format::new().set_italic(),
            label: Format::new().set_bold().set_align(FormatAlign::Top),
        }
    }
}

/// A column of a table: its header, the header of the group it belongs to (a second header
/// row above it, merged over the group's neighbouring columns), and its width in characters.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub title: String,
    pub group: Option<String>,
    pub width: f64,
}

impl Column {
    pub fn new(title: impl Into<String>, width: f64) -> Column {
        Column {
            title: title.into(),
            group: None,
            width,
        }
    }

    /// A column under a group header.
    pub fn grouped(group: impl Into<String>, title: impl Into<String>, width: f64) -> Column {
        Column {
            title: title.into(),
            group: Some(group.into()),
            width,
        }
    }
}

/// Writes `text` over columns `first..=last` of `row` (one cell when they are the same).
pub fn merged(
    sheet: &mut Worksheet,
    row: u32,
    first: u16,
    last: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if last > first {
        sheet.merge_range(row, first, row, last, text, format)?;
    } else {
        sheet.write_string_with_format(row, first, text, format)?;
    }
    Ok(())
}

/// The lines above a table: the issuing authority (left, bold), the title (centred, large),
/// then each subtitle (centred, italic), each merged over `columns` columns, and a blank row.
/// Returns the first row below the block.
pub fn title_block(
    sheet: &mut Worksheet,
    styles: &Styles,
    authority: &str,
    title: &str,
    subtitles: &[String],
    columns: u16,
) -> Result<u32, XlsxError> {
    let last = columns.max(1) - 1;
    let mut row = 0;
    if !authority.is_empty() {
        merged(
            sheet,
            row,
            0,
            last,
            &authority.to_uppercase(),
            &styles.authority,
        )?;
        row += 1;
    }
    merged(sheet, row, 0, last, title, &styles.title)?;
    sheet.set_row_height(row, 36)?;
    row += 1;
    for line in subtitles.iter().filter(|l| !l.is_empty()) {
        merged(sheet, row, 0, last, line, &styles.subtitle)?;
        row += 1;
    }
    Ok(row + 1)
}

/// The header rows of a table starting at `row`: one row, or two when a column has a group
/// (a group's header merged over its neighbouring columns, a column without a group merged
/// over both rows). Sets the columns' widths. Returns the first data row.
pub fn header(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    columns: &[Column],
) -> Result<u32, XlsxError> {
    for (c, column) in columns.iter().enumerate() {
        sheet.set_column_width(c as u16, column.width)?;
    }
    // Wrapped headers get the height of their longest title: a file opens with its row
    // heights as written, and a long area name would otherwise show as its first word.
    let most = columns
        .iter()
        .map(|c| lines(&c.title, c.width))
        .max()
        .unwrap_or(1);
    let height = (most as f64 * 15.0).min(150.0);
    if columns.iter().all(|c| c.group.is_none()) {
        sheet.set_row_height(row, height)?;
        for (c, column) in columns.iter().enumerate() {
            sheet.write_string_with_format(row, c as u16, &column.title, &styles.header)?;
        }
        return Ok(row + 1);
    }
    sheet.set_row_height(row + 1, height)?;
    // The group row holds the longest group name over its columns' joint width.
    let mut group_lines = 1;
    let mut c = 0;
    while c < columns.len() {
        let end = span(columns, c);
        if let Some(group) = &columns[c].group {
            let width: f64 = columns[c..end].iter().map(|c| c.width).sum();
            group_lines = group_lines.max(lines(group, width));
        }
        c = end;
    }
    sheet.set_row_height(row, group_lines as f64 * 15.0)?;
    let mut c = 0;
    while c < columns.len() {
        match &columns[c].group {
            None => {
                sheet.merge_range(
                    row,
                    c as u16,
                    row + 1,
                    c as u16,
                    &columns[c].title,
                    &styles.header,
                )?;
                c += 1;
            }
            Some(group) => {
                let end = span(columns, c);
                merged(sheet, row, c as u16, end as u16 - 1, group, &styles.header)?;
                for (k, column) in columns[c..end].iter().enumerate() {
                    sheet.write_string_with_format(
                        row + 1,
                        (c + k) as u16,
                        &column.title,
                        &styles.header,
                    )?;
                }
                c = end;
            }
        }
    }
    Ok(row + 2)
}

/// The end (exclusive) of the run of columns from `start` that share its group; a column
/// without a group is a run of one.
fn span(columns: &[Column], start: usize) -> usize {
    match &columns[start].group {
        None => start + 1,
        Some(group) => columns[start..]
            .iter()
            .position(|other| other.group.as_ref() != Some(group))
            .map_or(columns.len(), |n| start + n),
    }
}

/// The print setup and frozen panes of a table whose header rows are
/// `header_first..data_first`: the panes frozen below the headers and right of
/// `frozen_columns`, A4 landscape one page wide, the header rows on every printed page, the
/// page number in the footer.
pub fn finish(
    sheet: &mut Worksheet,
    header_first: u32,
    data_first: u32,
    frozen_columns: u16,
) -> Result<(), XlsxError> {
    sheet.set_freeze_panes(data_first, frozen_columns)?;
    for_print(sheet, header_first, data_first.max(header_first + 1) - 1)
}

/// A4 landscape, one page wide (as long as needed), rows `first..=last` repeated on every
/// page, the page number in the footer.
pub fn for_print(sheet: &mut Worksheet, first: u32, last: u32) -> Result<(), XlsxError> {
    sheet
        .set_landscape()
        .set_paper_size(A4)
        .set_print_fit_to_pages(1, 0)
        .set_print_center_horizontally(true)
        .set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3)
        .set_footer("&CTrang &P/&N");
    sheet.set_repeat_rows(first, last)?;
    Ok(())
}

/// How many lines `text` takes in a wrapped column `width` characters wide (a rough
/// estimate: a file opens with the row heights it was written with, and neither Excel nor
/// LibreOffice grows a row for wrapped text on its own).
pub fn lines(text: &str, width: f64) -> usize {
    let per_line = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| ((line.chars().count() as f64 / per_line).ceil() as usize).max(1))
        .sum()
}

/// Sets the height of `row` to hold the longest of its wrapped `cells` (text, column width),
/// at most 15 lines; a row of one line keeps the default height.
pub fn fit_row(sheet: &mut Worksheet, row: u32, cells: &[(&str, f64)]) -> Result<(), XlsxError> {
    let most = cells
        .iter()
        .map(|(text, width)| lines(text, *width))
        .max()
        .unwrap_or(1)
        .min(15);
    if most > 1 {
        sheet.set_row_height(row, most as f64 * 15.0)?;
    }
    Ok(())
}

/// Writes an optional number as `0.00` (a blank bordered cell when there is none).
pub fn decimal_or_blank(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    col: u16,
    value: Option<f64>,
) -> Result<(), XlsxError> {
    match value {
        Some(v) => sheet.write_number_with_format(row, col, v, &styles.decimal)?,
        None => sheet.write_blank(row, col, &styles.text)?,
    };
    Ok(())
}

/// An .xlsx sheet name: at most 31 characters, none of `[]:*?/\`, never empty.
pub fn sheet_name(text: &str) -> String {
    let name: String = text
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if name.trim().is_empty() {
        "Sheet".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use rust_xlsxwriter::Workbook;
    use std::io::Cursor;

    fn cells(bytes: Vec<u8>) -> Vec<Vec<Data>> {
        let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        range.rows().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn a_title_block_then_grouped_headers_then_numbers() {
        let styles = Styles::new();
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let columns = [
            Column::new("STT", 5.0),
            Column::grouped("Điểm", "Lĩnh vực 1", 10.0),
            Column::grouped("Điểm", "Lĩnh vực 2", 10.0),
            Column::new("Chỉ số", 10.0),
        ];
        let row = title_block(
            sheet,
            &styles,
            "Ủy ban nhân dân tỉnh",
            "Kết quả",
            &["Năm 2026".to_string(), String::new()],
            columns.len() as u16,
        )
        .unwrap();
        assert_eq!(row, 4, "authority, title, one subtitle, a blank row");
        let data = header(sheet, &styles, row, &columns).unwrap();
        assert_eq!(data, row + 2, "two header rows under a group");
        sheet
            .write_number_with_format(data, 3, 70.0, &styles.decimal)
            .unwrap();
        finish(sheet, row, data, 1).unwrap();
        let rows = cells(book.save_to_buffer().unwrap());
        assert_eq!(rows[0][0], Data::String("ỦY BAN NHÂN DÂN TỈNH".into()));
        assert_eq!(rows[4][1], Data::String("Điểm".into()));
        assert_eq!(rows[5][2], Data::String("Lĩnh vực 2".into()));
        assert_eq!(rows[4][3], Data::String("Chỉ số".into()));
        // A number cell, not the text "70,00".
        assert_eq!(rows[6][3], Data::Float(70.0));
    }

    #[test]
    fn one_header_row_without_groups_and_sheet_names_are_legal() {
        assert_eq!(lines("", 10.0), 1);
        assert_eq!(lines("abcdefghij", 11.0), 1);
        assert_eq!(lines("abcdefghijk", 11.0), 2);
        assert_eq!(lines("a\nb", 11.0), 2);
        let styles = Styles::new();
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let next = header(sheet, &styles, 0, &[Column::new("Mã", 8.0)]).unwrap();
        assert_eq!(next, 1);
        assert_eq!(
            sheet_name("Xếp hạng: Sở/ngành [2026]"),
            "Xếp hạng Sởngành 2026"
        );
        assert_eq!(sheet_name("///"), "Sheet");
        assert_eq!(sheet_name(&"a".repeat(40)).chars().count(), 31);
    }
}
