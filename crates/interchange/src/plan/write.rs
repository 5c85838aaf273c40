//! Writing a plan's appendix in the standard layout (docs/formats.md §8.16), with the look of
//! every report workbook ([`crate::workbook`]).

use chiso_domain::plan::TaskStatus;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::columns::AppendixColumn;
use super::{roman, status_title};
use crate::workbook::{Column, Styles, finish, fit_row, header, merged, title_block};

/// A plan's appendix to write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppendixDoc {
    /// The issuing authority ("UBND TỈNH QUẢNG BÌNH"); written in capitals.
    pub authority: String,
    /// "PHỤ LỤC: NHIỆM VỤ, GIẢI PHÁP …".
    pub title: String,
    /// The line naming the plan: "(Kèm theo Kế hoạch số 1886/KH-UBND ngày 10/09/2021 …)".
    pub document: String,
    /// The solution groups, in order; numbered I, II … in the sheet.
    pub groups: Vec<AppendixGroup>,
}

/// A solution group ("Nhóm giải pháp nâng cao chỉ số PAPI") and its tasks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppendixGroup {
    /// The title without a numeral.
    pub title: String,
    /// The tasks, numbered 1, 2 … through the whole plan in the sheet.
    pub tasks: Vec<AppendixTask>,
}

/// One task of the appendix.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppendixTask {
    /// The task's text; line breaks are kept.
    pub title: String,
    /// The related criteria, one per line (a criterion holding "," or ";" reads back split).
    pub criteria: Vec<String>,
    pub lead: String,
    /// The coordinating agencies, one per line.
    pub coordinators: Vec<String>,
    /// The deadline as the plan writes it ("Trước ngày 20/12 hằng năm", "Thường xuyên",
    /// "30/6/2027").
    pub deadline: String,
    pub product: String,
    /// Written as its Vietnamese title; blank when `None`.
    pub status: Option<TaskStatus>,
}

/// The appendix's columns and their widths.
const COLUMNS: [(AppendixColumn, f64); 8] = [
    (AppendixColumn::Stt, 6.0),
    (AppendixColumn::Task, 45.0),
    (AppendixColumn::Criteria, 20.0),
    (AppendixColumn::Lead, 18.0),
    (AppendixColumn::Coordinators, 24.0),
    (AppendixColumn::Deadline, 16.0),
    (AppendixColumn::Product, 24.0),
    (AppendixColumn::Status, 14.0),
];

/// Writes the appendix: sheet "Phụ lục", the title block, one header row (STT | Nhiệm vụ |
/// Tiêu chí liên quan | Cơ quan chủ trì | Cơ quan phối hợp | Thời hạn | Sản phẩm | Tình
/// trạng), each group as a bold row numbered I, II … with its title merged over the rest,
/// its tasks numbered 1, 2 … through the plan, wrapped; A4 landscape, one page wide.
/// [`super::read_appendix`] reads it back to the same groups and tasks.
pub fn write_appendix(plan: &AppendixDoc) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Phụ lục")?;
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|(column, width)| Column::new(column.header(), *width))
        .collect();
    let last = columns.len() as u16 - 1;
    let top = title_block(
        sheet,
        &styles,
        &plan.authority,
        &plan.title,
        std::slice::from_ref(&plan.document),
        columns.len() as u16,
    )?;
    let data_first = header(sheet, &styles, top, &columns)?;
    let title_width: f64 = COLUMNS[1..].iter().map(|(_, w)| w).sum();
    let mut row = data_first;
    let mut number = 0;
    for (g, group) in plan.groups.iter().enumerate() {
        sheet.write_string_with_format(row, 0, roman(g + 1), &styles.total_text)?;
        merged(sheet, row, 1, last, &group.title, &styles.total_text)?;
        fit_row(sheet, row, &[(&group.title, title_width)])?;
        row += 1;
        for task in &group.tasks {
            number += 1;
            write_task(sheet, &styles, row, number, task)?;
            row += 1;
        }
    }
    finish(sheet, top, data_first, 0)?;
    book.save_to_buffer()
}

fn write_task(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    number: u32,
    task: &AppendixTask,
) -> Result<(), XlsxError> {
    sheet.write_number_with_format(row, 0, f64::from(number), &styles.integer)?;
    let texts = [
        task.title.clone(),
        task.criteria.join("\n"),
        task.lead.clone(),
        task.coordinators.join("\n"),
        task.deadline.clone(),
        task.product.clone(),
        task.status
            .map(status_title)
            .unwrap_or_default()
            .to_string(),
    ];
    for (k, text) in texts.iter().enumerate() {
        let col = k as u16 + 1;
        if text.is_empty() {
            sheet.write_blank(row, col, &styles.text)?;
        } else {
            sheet.write_string_with_format(row, col, text, &styles.text)?;
        }
    }
    let cells: Vec<(&str, f64)> = texts
        .iter()
        .zip(&COLUMNS[1..])
        .map(|(text, (_, width))| (text.as_str(), *width))
        .collect();
    fit_row(sheet, row, &cells)
}
