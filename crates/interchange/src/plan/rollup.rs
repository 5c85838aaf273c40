//! The roll-up report of a reporting period to the UBND (docs/formats.md §8.16): what the
//! web computed from the tasks and their reports, written as a workbook. Nothing is computed
//! here.

use chiso_domain::plan::TaskStatus;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::{roman, status_title};
use crate::workbook::{
    Column, Styles, decimal_or_blank, finish, fit_row, for_print, header, merged, title_block,
};

/// The roll-up of one period of a plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RollupDoc {
    /// The issuing authority ("UBND TỈNH QUẢNG BÌNH"); written in capitals.
    pub authority: String,
    /// "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN KẾ HOẠCH …".
    pub title: String,
    /// The line naming the plan ("Kế hoạch số 1886/KH-UBND ngày 10/09/2021 …").
    pub document: String,
    /// The period as it is to be read: "Quý IV năm 2026".
    pub period: String,
    /// The day the report was made, as written: "07/12/2026" (shown "Ngày lập: 07/12/2026").
    pub made_on: String,
    pub summary: RollupSummary,
    /// The solution groups, in the plan's order.
    pub groups: Vec<RollupGroup>,
    /// The units that lead tasks, in the order to show.
    pub units: Vec<RollupUnit>,
}

/// The counts above the table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RollupSummary {
    /// Tasks of the plan (every status).
    pub tasks: u32,
    pub done: u32,
    pub in_progress: u32,
    pub not_started: u32,
    /// Open tasks overdue on the day the report was made (docs/method.md §7.6).
    pub overdue: u32,
    /// Tasks whose lead filed a report for the period.
    pub reported: u32,
    /// Open tasks whose lead filed none.
    pub not_reported: u32,
    /// The tasks' mean completion (0–100); `None` when no task has one.
    pub average_percent: Option<f64>,
}

/// A solution group and its tasks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RollupGroup {
    /// The title without a numeral (numbered I, II … in the sheet).
    pub title: String,
    pub tasks: Vec<RollupTask>,
}

/// A task's line in the roll-up.
#[derive(Clone, Debug, PartialEq)]
pub struct RollupTask {
    pub title: String,
    pub lead: String,
    pub status: TaskStatus,
    /// The completion the lead reported (0–100); `None` when it reported none.
    pub percent: Option<f64>,
    /// What the lead reported for the period (Kết quả trong kỳ).
    pub narrative: String,
    /// What each coordinating agency reported, one line each ("Sở X: …").
    pub contributions: Vec<Contribution>,
    /// Overdue on the day the report was made: "Có" in the sheet.
    pub overdue: bool,
}

/// A coordinating agency's contribution to a task in the period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contribution {
    pub unit: String,
    pub text: String,
}

/// A unit's line in the sheet "Đơn vị".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RollupUnit {
    pub name: String,
    /// Tasks the unit leads.
    pub lead_tasks: u32,
    /// Of those, done.
    pub done: u32,
    /// Of those, overdue.
    pub overdue: u32,
    /// Whether the unit reported on every open task it leads for the period.
    pub reported: bool,
    /// The mean completion of the tasks it leads (0–100).
    pub average_percent: Option<f64>,
}

/// "Ngày lập: 07/12/2026", or nothing without a date.
pub(super) fn made_on_line(made_on: &str) -> String {
    if made_on.trim().is_empty() {
        String::new()
    } else {
        format!("Ngày lập: {}", made_on.trim())
    }
}

/// The table's columns on the sheet "Tổng hợp".
const TASK_COLUMNS: [(&str, f64); 8] = [
    ("STT", 6.0),
    ("Nhiệm vụ", 40.0),
    ("Cơ quan chủ trì", 18.0),
    ("Tình trạng", 14.0),
    ("Tỷ lệ hoàn thành (%)", 12.0),
    ("Kết quả trong kỳ", 40.0),
    ("Đóng góp của cơ quan phối hợp", 36.0),
    ("Quá hạn", 9.0),
];

/// Writes the roll-up: the sheet "Tổng hợp" (title block; the summary counts; the tasks
/// under their groups) and the sheet "Đơn vị" (one row per unit). Counts and percentages
/// are number cells.
pub fn write_rollup(doc: &RollupDoc) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Tổng hợp")?;
    let subtitles = [
        doc.document.clone(),
        doc.period.clone(),
        made_on_line(&doc.made_on),
    ];
    let columns: Vec<Column> = TASK_COLUMNS
        .iter()
        .map(|(title, width)| Column::new(*title, *width))
        .collect();
    let mut row = title_block(
        sheet,
        &styles,
        &doc.authority,
        &doc.title,
        &subtitles,
        columns.len() as u16,
    )?;
    row = write_summary(sheet, &styles, row, &doc.summary)? + 1;
    let header_row = row;
    row = header(sheet, &styles, row, &columns)?;
    let mut number = 0;
    for (g, group) in doc.groups.iter().enumerate() {
        sheet.write_string_with_format(row, 0, roman(g + 1), &styles.total_text)?;
        merged(
            sheet,
            row,
            1,
            columns.len() as u16 - 1,
            &group.title,
            &styles.total_text,
        )?;
        row += 1;
        for task in &group.tasks {
            number += 1;
            write_task(sheet, &styles, row, number, task)?;
            row += 1;
        }
    }
    for_print(sheet, header_row, header_row)?;
    write_units(book.add_worksheet(), &styles, doc)?;
    book.save_to_buffer()
}

/// The summary lines from `row`, each a label over the first two columns and its number in
/// the third. Returns the row below.
fn write_summary(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    summary: &RollupSummary,
) -> Result<u32, XlsxError> {
    let counts = [
        ("Tổng số nhiệm vụ", summary.tasks),
        ("Đã hoàn thành", summary.done),
        ("Đang thực hiện", summary.in_progress),
        ("Chưa bắt đầu", summary.not_started),
        ("Quá hạn", summary.overdue),
        ("Đã báo cáo trong kỳ", summary.reported),
        ("Chưa báo cáo trong kỳ", summary.not_reported),
    ];
    let mut row = row;
    for (label, count) in counts {
        merged(sheet, row, 0, 1, label, &styles.text)?;
        sheet.write_number_with_format(row, 2, f64::from(count), &styles.integer)?;
        row += 1;
    }
    merged(
        sheet,
        row,
        0,
        1,
        "Tỷ lệ hoàn thành bình quân (%)",
        &styles.text,
    )?;
    decimal_or_blank(sheet, styles, row, 2, summary.average_percent)?;
    Ok(row + 1)
}

fn write_task(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    number: u32,
    task: &RollupTask,
) -> Result<(), XlsxError> {
    sheet.write_number_with_format(row, 0, f64::from(number), &styles.integer)?;
    let contributions = task
        .contributions
        .iter()
        .map(|c| format!("{}: {}", c.unit, c.text))
        .collect::<Vec<_>>()
        .join("\n");
    let texts: [(u16, &str); 6] = [
        (1, &task.title),
        (2, &task.lead),
        (3, status_title(task.status)),
        (5, &task.narrative),
        (6, &contributions),
        (7, if task.overdue { "Có" } else { "" }),
    ];
    for (col, text) in texts {
        sheet.write_string_with_format(row, col, text, &styles.text)?;
    }
    decimal_or_blank(sheet, styles, row, 4, task.percent)?;
    let cells: Vec<(&str, f64)> = texts
        .iter()
        .map(|(col, text)| (*text, TASK_COLUMNS[*col as usize].1))
        .collect();
    fit_row(sheet, row, &cells)
}

/// The sheet "Đơn vị".
fn write_units(sheet: &mut Worksheet, styles: &Styles, doc: &RollupDoc) -> Result<(), XlsxError> {
    sheet.set_name("Đơn vị")?;
    let columns = [
        Column::new("Đơn vị", 36.0),
        Column::new("Số nhiệm vụ chủ trì", 12.0),
        Column::new("Hoàn thành", 12.0),
        Column::new("Quá hạn", 10.0),
        Column::new("Đã báo cáo kỳ này", 12.0),
        Column::new("Tỷ lệ hoàn thành bình quân (%)", 14.0),
    ];
    let subtitles = [
        doc.document.clone(),
        doc.period.clone(),
        made_on_line(&doc.made_on),
    ];
    let top = title_block(
        sheet,
        styles,
        &doc.authority,
        "KẾT QUẢ THỰC HIỆN KẾ HOẠCH THEO ĐƠN VỊ",
        &subtitles,
        columns.len() as u16,
    )?;
    let first = header(sheet, styles, top, &columns)?;
    for (k, unit) in doc.units.iter().enumerate() {
        let row = first + k as u32;
        sheet.write_string_with_format(row, 0, &unit.name, &styles.text)?;
        for (col, count) in [(1, unit.lead_tasks), (2, unit.done), (3, unit.overdue)] {
            sheet.write_number_with_format(row, col, f64::from(count), &styles.integer)?;
        }
        let reported = if unit.reported { "Có" } else { "Chưa" };
        sheet.write_string_with_format(row, 4, reported, &styles.text)?;
        decimal_or_blank(sheet, styles, row, 5, unit.average_percent)?;
        fit_row(sheet, row, &[(&unit.name, 36.0)])?;
    }
    finish(sheet, top, first, 1)
}
