//! The survey report as .xlsx (docs/formats.md §6 and §12.5): a sheet per view —
//! information, units (with their names when the caller knows them), the satisfied rate of
//! each item per unit, the answers per item, channels, unit × channel, services, groups,
//! expectations and rejected rows — in the look of every report workbook
//! ([`chiso_interchange::workbook`]): header rows in bold, frozen, column widths set, rates
//! and indices as numbers formatted `0.00`, A4 landscape with the headers on every page, and
//! a title block above each table when the caller gives one.

use std::collections::HashMap;

use chiso_interchange::workbook::{Column, Styles, finish, header, title_block};
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use crate::index::SurveyResult;
use crate::questionnaire::Questionnaire;
use crate::report::{CI_METHOD, Report};

/// The title block above each table: the issuing authority, the title and the lines under it
/// (the wave, the date). `chiso survey index` writes none.
#[derive(Clone, Debug, Default)]
pub struct Heading {
    pub authority: String,
    pub title: String,
    pub lines: Vec<String>,
}

impl Report {
    /// The workbook without a title block.
    pub fn to_xlsx(&self, questionnaire: &Questionnaire) -> Result<Vec<u8>, XlsxError> {
        self.to_xlsx_with(questionnaire, None)
    }

    /// The workbook, each table under `heading` when given.
    pub fn to_xlsx_with(
        &self,
        questionnaire: &Questionnaire,
        heading: Option<&Heading>,
    ) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let book = Book {
            report: self,
            questionnaire,
            heading,
            styles: Styles::new(),
            names: self
                .units
                .iter()
                .filter_map(|u| Some((u.unit_code.as_str(), u.unit_name.as_deref()?)))
                .collect(),
        };
        book.info(&mut workbook)?;
        let mut unit_rows: Vec<(Vec<String>, &SurveyResult)> = self
            .units
            .iter()
            .map(|u| (book.unit_labels(&u.unit_code), &u.result))
            .collect();
        unit_rows.push((vec!["Toàn bộ".to_string(), String::new()], &self.all.result));
        book.summary(&mut workbook, "Đơn vị", &UNIT_HEADING, unit_rows)?;
        book.items(&mut workbook)?;
        book.answered(&mut workbook)?;
        if !self.channels.is_empty() {
            let rows = self
                .channels
                .iter()
                .map(|c| (vec![c.channel.clone()], &c.result))
                .collect();
            book.summary(&mut workbook, "Kênh", &[("Kênh", 16.0)], rows)?;
            let rows = self
                .unit_channels
                .iter()
                .map(|c| {
                    let mut labels = book.unit_labels(&c.unit_code);
                    labels.push(c.channel.clone());
                    (labels, &c.result)
                })
                .collect();
            let heading = [UNIT_HEADING[0], UNIT_HEADING[1], ("Kênh", 14.0)];
            book.summary(&mut workbook, "Đơn vị theo kênh", &heading, rows)?;
        }
        if !self.services.is_empty() {
            let rows = self
                .services
                .iter()
                .map(|c| (vec![c.service.clone()], &c.result))
                .collect();
            book.summary(&mut workbook, "Dịch vụ", &[("Mã dịch vụ", 14.0)], rows)?;
            let rows = self
                .unit_services
                .iter()
                .map(|c| {
                    let mut labels = book.unit_labels(&c.unit_code);
                    labels.push(c.service.clone());
                    (labels, &c.result)
                })
                .collect();
            let heading = [UNIT_HEADING[0], UNIT_HEADING[1], ("Mã dịch vụ", 14.0)];
            book.summary(&mut workbook, "Đơn vị theo dịch vụ", &heading, rows)?;
        }
        if !self.groups.is_empty() {
            let rows = self
                .groups
                .iter()
                .map(|g| (vec![g.name.clone(), g.units.join(", ")], &g.result))
                .collect();
            let heading = [("Nhóm", 30.0), ("Đơn vị", 30.0)];
            book.summary(&mut workbook, "Nhóm đơn vị", &heading, rows)?;
        }
        if !self.all.result.expectations.is_empty() {
            book.expectations(&mut workbook)?;
        }
        book.rejected(&mut workbook)?;
        workbook.save_to_buffer()
    }
}

/// A unit's labels: its code and its name.
const UNIT_HEADING: [(&str, f64); 2] = [("Mã đơn vị", 10.0), ("Tên đơn vị", 30.0)];

/// What the sheets are written from.
struct Book<'a> {
    report: &'a Report,
    questionnaire: &'a Questionnaire,
    heading: Option<&'a Heading>,
    styles: Styles,
    /// Unit names by code, where the report has them.
    names: HashMap<&'a str, &'a str>,
}

impl Book<'_> {
    /// A unit's code and name (empty when unknown).
    fn unit_labels(&self, code: &str) -> Vec<String> {
        vec![
            code.to_string(),
            self.names
                .get(code)
                .copied()
                .unwrap_or_default()
                .to_string(),
        ]
    }

    /// A unit as a column header: its name, else its code.
    fn unit_header(&self, code: &str) -> String {
        self.names.get(code).map_or(code, |n| n).to_string()
    }

    /// Names the sheet, writes the title block (when there is one) and the header rows;
    /// returns the header's first row and the first data row.
    fn start(
        &self,
        sheet: &mut Worksheet,
        name: &str,
        columns: &[Column],
    ) -> Result<(u32, u32), XlsxError> {
        sheet.set_name(name)?;
        let first = match self.heading {
            Some(h) => title_block(
                sheet,
                &self.styles,
                &h.authority,
                &h.title,
                &h.lines,
                columns.len() as u16,
            )?,
            None => 0,
        };
        let data = header(sheet, &self.styles, first, columns)?;
        Ok((first, data))
    }

    /// The sheet of facts about the run.
    fn info(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let (report, questionnaire) = (self.report, self.questionnaire);
        let info = workbook.add_worksheet();
        info.set_name("Thông tin")?;
        let facts: Vec<(&str, String)> = vec![
            (
                "Phiếu khảo sát",
                format!("{} — {}", questionnaire.id, questionnaire.title),
            ),
            ("Phiên bản", questionnaire.version.to_string()),
            (
                "Phương pháp",
                questionnaire.methodology.clone().unwrap_or_default(),
            ),
            ("Số dòng đã đọc", report.rows.to_string()),
            ("Số phiếu hợp lệ", report.accepted.to_string()),
            ("Số dòng bị loại", report.rejected.len().to_string()),
            ("Số đơn vị", report.units.len().to_string()),
            ("Khoảng tin cậy 95 %", CI_METHOD.to_string()),
        ];
        let mut row = 0;
        if let Some(h) = self.heading {
            row = title_block(info, &self.styles, &h.authority, &h.title, &h.lines, 2)?;
        }
        for (r, (key, value)) in facts.iter().enumerate() {
            let r = row + r as u32;
            info.write_string_with_format(r, 0, *key, &self.styles.label)?;
            info.write_string_with_format(r, 1, value, &self.styles.text)?;
        }
        info.set_column_width(0, 22)?;
        info.set_column_width(1, 90)?;
        chiso_interchange::workbook::for_print(info, 0, 0)
    }

    /// A summary sheet: one row per scope, its labels under `heading` then its results, and
    /// the index of each factor.
    fn summary(
        &self,
        workbook: &mut Workbook,
        name: &str,
        heading: &[(&str, f64)],
        rows: Vec<(Vec<String>, &SurveyResult)>,
    ) -> Result<(), XlsxError> {
        let styles = &self.styles;
        let sheet = workbook.add_worksheet();
        let mut columns: Vec<Column> = heading
            .iter()
            .map(|(title, width)| Column::new(*title, *width))
            .collect();
        for (title, width) in [
            ("Số phiếu", 9.0),
            ("Chỉ số (%)", 9.0),
            ("KTC 95% thấp", 9.0),
            ("KTC 95% cao", 9.0),
            ("Điểm CCHC", 9.0),
            ("Hài lòng chung (%)", 10.0),
        ] {
            columns.push(Column::new(title, width));
        }
        for f in &self.questionnaire.factors {
            columns.push(Column::grouped(
                "Chỉ số theo yếu tố (%)",
                format!("{} {}", f.code, f.title),
                14.0,
            ));
        }
        let (first, data) = self.start(sheet, name, &columns)?;
        for (r, (labels, result)) in rows.iter().enumerate() {
            let r = data + r as u32;
            let mut c = 0u16;
            let wrapped: Vec<(&str, f64)> = labels
                .iter()
                .zip(heading)
                .map(|(l, (_, width))| (l.as_str(), *width))
                .collect();
            chiso_interchange::workbook::fit_row(sheet, r, &wrapped)?;
            for l in labels {
                sheet.write_string_with_format(r, c, l, &styles.text)?;
                c += 1;
            }
            sheet.write_number_with_format(r, c, result.responses as f64, &styles.integer)?;
            let values = [
                result.index,
                result.ci95.map(|x| x[0]),
                result.ci95.map(|x| x[1]),
                result.par_points,
                result.overall_satisfied_rate,
            ]
            .into_iter()
            .chain(result.factors.iter().map(|f| f.index));
            for (k, v) in values.enumerate() {
                chiso_interchange::workbook::decimal_or_blank(
                    sheet,
                    styles,
                    r,
                    c + 1 + k as u16,
                    v,
                )?;
            }
        }
        finish(sheet, first, data, heading.len().min(2) as u16)
    }

    /// The units' results then all's, in that order of columns.
    fn scopes(&self) -> impl Iterator<Item = &SurveyResult> {
        self.report
            .units
            .iter()
            .map(|u| &u.result)
            .chain([&self.report.all.result])
    }

    /// The item's columns, then one per unit (by name) under `group`, then all.
    fn per_unit_columns(&self, leading: &[(&str, f64)], group: &str) -> Vec<Column> {
        let mut columns: Vec<Column> = leading
            .iter()
            .map(|(title, width)| Column::new(*title, *width))
            .collect();
        for u in &self.report.units {
            columns.push(Column::grouped(group, self.unit_header(&u.unit_code), 12.0));
        }
        columns.push(Column::grouped(group, "Toàn bộ", 10.0));
        columns
    }

    /// The satisfied rate of each item per unit and for all.
    fn items(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let (styles, questionnaire) = (&self.styles, self.questionnaire);
        let sheet = workbook.add_worksheet();
        let columns = self.per_unit_columns(
            &[("Mã", 7.0), ("Tiêu chí", 50.0), ("Yếu tố", 8.0)],
            "Tỷ lệ hài lòng (%)",
        );
        let (first, data) = self.start(sheet, "Tiêu chí", &columns)?;
        for (i, item) in questionnaire.items.iter().enumerate() {
            let r = data + i as u32;
            sheet.write_string_with_format(r, 0, &item.code, &styles.code)?;
            sheet.write_string_with_format(r, 1, &item.title, &styles.text)?;
            chiso_interchange::workbook::fit_row(sheet, r, &[(&item.title, 50.0)])?;
            let factor = item
                .factor
                .map(|f| questionnaire.factors[f].code.as_str())
                .unwrap_or_default();
            sheet.write_string_with_format(r, 2, factor, &styles.code)?;
            for (k, result) in self.scopes().enumerate() {
                let rate = result.item(&item.code).and_then(|x| x.satisfied_rate);
                chiso_interchange::workbook::decimal_or_blank(
                    sheet,
                    styles,
                    r,
                    3 + k as u16,
                    rate,
                )?;
            }
        }
        finish(sheet, first, data, 2)
    }

    /// The number of answers of each item per unit and for all.
    fn answered(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let styles = &self.styles;
        let sheet = workbook.add_worksheet();
        let columns = self.per_unit_columns(&[("Mã", 7.0), ("Tiêu chí", 50.0)], "Số người trả lời");
        let (first, data) = self.start(sheet, "Số trả lời", &columns)?;
        for (i, item) in self.questionnaire.items.iter().enumerate() {
            let r = data + i as u32;
            sheet.write_string_with_format(r, 0, &item.code, &styles.code)?;
            sheet.write_string_with_format(r, 1, &item.title, &styles.text)?;
            for (k, result) in self.scopes().enumerate() {
                let answered = result.item(&item.code).map_or(0, |x| x.answered) as f64;
                sheet.write_number_with_format(r, 2 + k as u16, answered, &styles.integer)?;
            }
        }
        finish(sheet, first, data, 2)
    }

    /// The expectations over all responses.
    fn expectations(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let styles = &self.styles;
        let sheet = workbook.add_worksheet();
        let columns = [
            Column::new("Mã", 7.0),
            Column::new("Nội dung", 60.0),
            Column::new("Số người chọn", 12.0),
            Column::new("Tỷ lệ (%)", 10.0),
        ];
        let (first, data) = self.start(sheet, "Mong đợi", &columns)?;
        for (r, e) in self.report.all.result.expectations.iter().enumerate() {
            let r = data + r as u32;
            sheet.write_string_with_format(r, 0, &e.code, &styles.code)?;
            sheet.write_string_with_format(r, 1, &e.label, &styles.text)?;
            sheet.write_number_with_format(r, 2, e.count as f64, &styles.integer)?;
            sheet.write_number_with_format(r, 3, e.share, &styles.decimal)?;
        }
        finish(sheet, first, data, 0)
    }

    /// The rejected rows.
    fn rejected(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let styles = &self.styles;
        let sheet = workbook.add_worksheet();
        let columns = [Column::new("Dòng", 8.0), Column::new("Lý do", 90.0)];
        let (first, data) = self.start(sheet, "Dòng bị loại", &columns)?;
        for (r, rejection) in self.report.rejected.iter().enumerate() {
            let r = data + r as u32;
            sheet.write_number_with_format(r, 0, rejection.row as f64, &styles.integer)?;
            sheet.write_string_with_format(r, 1, rejection.reason.to_string(), &styles.text)?;
        }
        finish(sheet, first, data, 0)
    }
}
