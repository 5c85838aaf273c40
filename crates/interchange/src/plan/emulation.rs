//! The emulation table (thi đua, khen thưởng; docs/formats.md §8.16): the units ranked by a
//! rule the web states and applies. The ranks, scores and changes are the caller's; nothing
//! is computed here.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::rollup::made_on_line;
use crate::workbook::{
    Column, Styles, decimal_or_blank, finish, fit_row, header, lines, title_block,
};

/// The emulation table of a plan's period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmulationDoc {
    /// The issuing authority; written in capitals.
    pub authority: String,
    /// "KẾT QUẢ CHẤM ĐIỂM THI ĐUA …".
    pub title: String,
    /// The rule the ranking follows, written on the line under the title ("Điểm thi đua =
    /// 60 % × tỷ lệ hoàn thành + 40 % × mức tăng chỉ số …").
    pub rule: String,
    /// The line naming the plan.
    pub document: String,
    /// The period as it is to be read: "Năm 2026".
    pub period: String,
    /// The day the table was made, as written: "07/12/2026".
    pub made_on: String,
    /// The units in the order to show (by rank).
    pub units: Vec<EmulationUnit>,
}

/// A unit's line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmulationUnit {
    /// The rank the caller gave (ties share one).
    pub rank: u32,
    pub name: String,
    /// Tasks the unit leads.
    pub lead_tasks: u32,
    /// Of those, done by their deadline.
    pub done_on_time: u32,
    /// Of those, overdue.
    pub overdue: u32,
    /// The mean completion of the tasks it leads (0–100).
    pub average_percent: Option<f64>,
    /// The unit's index the year before and this year (blank when it has none).
    pub index_previous: Option<f64>,
    pub index_current: Option<f64>,
    /// The change of the index as the rule uses it (signed).
    pub change: Option<f64>,
    /// The emulation score.
    pub score: f64,
}

const COLUMNS: [(&str, f64); 10] = [
    ("Hạng", 7.0),
    ("Đơn vị", 34.0),
    ("Nhiệm vụ chủ trì", 11.0),
    ("Hoàn thành đúng hạn", 12.0),
    ("Quá hạn", 9.0),
    ("Tỷ lệ hoàn thành bình quân (%)", 14.0),
    ("Chỉ số năm trước", 11.0),
    ("Chỉ số năm nay", 11.0),
    ("Thay đổi", 10.0),
    ("Điểm thi đua", 11.0),
];

/// Writes the emulation table: sheet "Thi đua", the title block with the rule on the line
/// under the title, then one row per unit in the given order (Hạng | Đơn vị | Nhiệm vụ chủ
/// trì | Hoàn thành đúng hạn | Quá hạn | Tỷ lệ hoàn thành bình quân (%) | Chỉ số năm trước |
/// Chỉ số năm nay | Thay đổi | Điểm thi đua), every figure a number cell.
pub fn write_emulation(doc: &EmulationDoc) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Thi đua")?;
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|(title, width)| Column::new(*title, *width))
        .collect();
    let subtitles = [
        doc.rule.clone(),
        doc.document.clone(),
        doc.period.clone(),
        made_on_line(&doc.made_on),
    ];
    let top = title_block(
        sheet,
        &styles,
        &doc.authority,
        &doc.title,
        &subtitles,
        columns.len() as u16,
    )?;
    if !doc.rule.is_empty() {
        // The rule is the first line under the title, which follows the authority's line.
        let rule_row = u32::from(!doc.authority.is_empty()) + 1;
        let width: f64 = COLUMNS.iter().map(|(_, w)| w).sum();
        let height = (lines(&doc.rule, width) as f64 * 15.0).min(150.0);
        sheet.set_row_height(rule_row, height)?;
    }
    let first = header(sheet, &styles, top, &columns)?;
    for (k, unit) in doc.units.iter().enumerate() {
        let row = first + k as u32;
        sheet.write_number_with_format(row, 0, f64::from(unit.rank), &styles.integer)?;
        sheet.write_string_with_format(row, 1, &unit.name, &styles.text)?;
        for (col, count) in [
            (2, unit.lead_tasks),
            (3, unit.done_on_time),
            (4, unit.overdue),
        ] {
            sheet.write_number_with_format(row, col, f64::from(count), &styles.integer)?;
        }
        decimal_or_blank(sheet, &styles, row, 5, unit.average_percent)?;
        decimal_or_blank(sheet, &styles, row, 6, unit.index_previous)?;
        decimal_or_blank(sheet, &styles, row, 7, unit.index_current)?;
        match unit.change {
            Some(change) => sheet.write_number_with_format(row, 8, change, &styles.change)?,
            None => sheet.write_blank(row, 8, &styles.text)?,
        };
        sheet.write_number_with_format(row, 9, unit.score, &styles.decimal)?;
        fit_row(sheet, row, &[(&unit.name, COLUMNS[1].1)])?;
    }
    finish(sheet, top, first, 2)?;
    book.save_to_buffer()
}
