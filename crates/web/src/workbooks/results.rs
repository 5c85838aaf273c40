//! The results table as provincial decisions publish it (docs/formats.md §12.1): a sheet per
//! group of units under a title block (authority, title, campaign and group, date), with STT,
//! the unit, its points per area (the areas named in the headers), each component's points
//! and rank (the council's appraised points, SIPAS, the leader survey), the total, the index,
//! the rank, the classification and the change of index and places against the previous
//! published campaign (an estimate through a merger is flagged and its places left out); the
//! group's averages below, then the units left out of the ranking with why. An information
//! sheet closes the workbook: the campaign, its state, its bands and how it ranks.

use std::collections::HashMap;

use chiso_domain::Points;
use chiso_store::assessments::{PublishedGroup, PublishedResults, PublishedUnit};
use chrono::NaiveDate;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::{Column, Styles, finish, header, points_text, sheet_name, t, tf, title_block};
use crate::app::results::ranking::GroupExtras;
use crate::i18n::{self, Lang};
use crate::routes::appraisal::component_label;
use crate::routes::campaigns::shared::group_label;

/// What the results workbook is written from.
pub struct ResultsBook<'a> {
    /// The issuing authority (`authority_name`).
    pub authority: &'a str,
    pub results: &'a PublishedResults,
    /// Published, or a preview of finalized results.
    pub published: bool,
    /// Components and changes per group name ([`crate::app::results::ranking::extras`]).
    pub extras: &'a HashMap<String, GroupExtras>,
    /// The title of the campaign the changes are measured against.
    pub previous: Option<&'a str>,
    pub today: NaiveDate,
}

impl ResultsBook<'_> {
    pub fn write(&self) -> Result<Vec<u8>, XlsxError> {
        let styles = Styles::new();
        let mut workbook = Workbook::new();
        let empty = GroupExtras::default();
        for group in &self.results.groups {
            let extras = self.extras.get(&group.unit_group).unwrap_or(&empty);
            let sheet = workbook.add_worksheet();
            self.ranking(sheet, &styles, group, extras)?;
        }
        self.facts(workbook.add_worksheet(), &styles)?;
        workbook.save_to_buffer()
    }

    /// The date line under the title: publication, or the preview's export date.
    fn date_line(&self) -> String {
        if self.published {
            tf(
                "workbook.published_line",
                &[("at", &i18n::date_time(self.results.published_at))],
            )
        } else {
            tf(
                "workbook.preview_line",
                &[("date", &i18n::date(self.today))],
            )
        }
    }

    /// The table's columns for one group.
    fn columns(&self, group: &PublishedGroup, extras: &GroupExtras) -> Vec<Column> {
        let mut columns = vec![
            Column::new(t("workbook.col_stt"), 5.0),
            Column::new(t("workbook.col_code"), 9.0),
            Column::new(t("workbook.col_unit"), 30.0),
        ];
        let areas_group = t("workbook.areas_group");
        for area in group.units.first().map_or(&[][..], |u| &u.areas[..]) {
            let title = tf(
                "workbook.area",
                &[
                    ("code", &area.code),
                    ("title", &area.title),
                    ("max", &points_text(area.max_points)),
                ],
            );
            columns.push(Column::grouped(areas_group, title, 14.0));
        }
        for (component, max) in &extras.components {
            let name = tf(
                "workbook.components_group",
                &[
                    ("name", &component_label(Lang::Vi, component)),
                    ("max", &points_text(*max)),
                ],
            );
            columns.push(Column::grouped(&name, t("workbook.col_points"), 9.0));
            columns.push(Column::grouped(
                &name,
                t("workbook.col_component_rank"),
                7.0,
            ));
        }
        columns.push(Column::new(
            tf(
                "workbook.col_total",
                &[("max", &points_text(group.max_points))],
            ),
            10.0,
        ));
        columns.push(Column::new(t("workbook.col_index"), 9.0));
        columns.push(Column::new(t("workbook.col_rank"), 8.0));
        columns.push(Column::new(t("workbook.col_class"), 11.0));
        if let Some(previous) = self.previous {
            let group = tf("workbook.change_group", &[("campaign", &previous)]);
            columns.push(Column::grouped(
                &group,
                t("workbook.col_index_change"),
                11.0,
            ));
            columns.push(Column::grouped(&group, t("workbook.col_rank_change"), 11.0));
        }
        columns.push(Column::new(t("workbook.col_note"), 28.0));
        columns
    }

    /// One group's ranking sheet.
    fn ranking(
        &self,
        sheet: &mut Worksheet,
        styles: &Styles,
        group: &PublishedGroup,
        extras: &GroupExtras,
    ) -> Result<(), XlsxError> {
        let label = group_label(Lang::Vi, &group.unit_group);
        sheet.set_name(sheet_name(&tf(
            "workbook.ranking_sheet",
            &[("group", &label)],
        )))?;
        let columns = self.columns(group, extras);
        let mut subtitles = vec![
            self.results.title.clone(),
            tf(
                "workbook.group_line",
                &[("group", &label), ("framework", &group.framework_title)],
            ),
            self.date_line(),
        ];
        let sample = t("workbook.sample_line");
        if group.sample && !group.framework_title.contains(sample) {
            subtitles.push(sample.to_string());
        }
        let first = title_block(
            sheet,
            styles,
            self.authority,
            &format!("{} {}", t("workbook.results_title"), self.results.year),
            &subtitles,
            columns.len() as u16,
        )?;
        let data = header(sheet, styles, first, &columns)?;
        let mut row = data;
        for (i, unit) in group.units.iter().enumerate() {
            self.unit_row(sheet, styles, row, i + 1, unit, extras)?;
            row += 1;
        }
        if !group.units.is_empty() {
            average_row(sheet, styles, row, group, extras)?;
            row += 1;
        }
        // The units left out of the ranking follow it, each with why (docs/method.md §2.5): a
        // file that lists only the ranked units would hide the missing work.
        if !group.excluded.is_empty() {
            row += 1;
            sheet.write_string_with_format(row, 2, t("workbook.left_out"), &styles.label)?;
            for left_out in &group.excluded {
                row += 1;
                sheet.write_string_with_format(row, 1, &left_out.unit_code, &styles.code)?;
                sheet.write_string_with_format(row, 2, &left_out.unit_name, &styles.text)?;
                sheet.write_string_with_format(
                    row,
                    3,
                    i18n::text(
                        Lang::Vi,
                        crate::routes::appraisal::excluded_note(left_out.never_submitted),
                    ),
                    &styles.text,
                )?;
            }
        }
        finish(sheet, first, data, 3)
    }

    /// A unit's row.
    fn unit_row(
        &self,
        sheet: &mut Worksheet,
        styles: &Styles,
        row: u32,
        number: usize,
        unit: &PublishedUnit,
        extras: &GroupExtras,
    ) -> Result<(), XlsxError> {
        sheet.write_number_with_format(row, 0, number as f64, &styles.integer)?;
        sheet.write_string_with_format(row, 1, &unit.unit_code, &styles.code)?;
        sheet.write_string_with_format(row, 2, &unit.unit_name, &styles.text)?;
        let mut c = 3u16;
        for area in &unit.areas {
            sheet.write_number_with_format(row, c, area.points.to_f64(), &styles.decimal)?;
            c += 1;
        }
        let cells = extras.cells.get(&unit.unit_id);
        for k in 0..extras.components.len() {
            match cells.and_then(|cells| cells.get(k)) {
                Some((points, rank)) => {
                    sheet.write_number_with_format(row, c, points.to_f64(), &styles.decimal)?;
                    sheet.write_number_with_format(
                        row,
                        c + 1,
                        f64::from(*rank),
                        &styles.integer,
                    )?;
                }
                None => {
                    sheet.write_blank(row, c, &styles.text)?;
                    sheet.write_blank(row, c + 1, &styles.text)?;
                }
            }
            c += 2;
        }
        sheet.write_number_with_format(row, c, unit.points.to_f64(), &styles.decimal)?;
        sheet.write_number_with_format(
            row,
            c + 1,
            unit.index_hundredths as f64 / 100.0,
            &styles.decimal,
        )?;
        sheet.write_number_with_format(row, c + 2, f64::from(unit.rank), &styles.integer)?;
        sheet.write_string_with_format(row, c + 3, &unit.classification, &styles.text)?;
        c += 4;
        let mut notes = Vec::new();
        if unit.outcome.is_some() {
            notes.push(t("appraisal.note_zero"));
        }
        if self.previous.is_some() {
            let change = extras.changes.get(&unit.unit_id);
            match change.and_then(|c| c.index_change) {
                Some(delta) => sheet.write_number_with_format(row, c, delta, &styles.change)?,
                None => sheet.write_blank(row, c, &styles.text)?,
            };
            match change.and_then(|c| c.rank_change) {
                Some(places) => {
                    sheet.write_number_with_format(row, c + 1, places as f64, &styles.places)?
                }
                None => sheet.write_blank(row, c + 1, &styles.text)?,
            };
            match change {
                Some(change) if change.estimate => notes.push(t("workbook.estimate_note")),
                Some(_) => {}
                None => notes.push(t("workbook.not_compared_note")),
            }
            c += 2;
        }
        let notes = notes.join("; ");
        chiso_interchange::workbook::fit_row(
            sheet,
            row,
            &[(&unit.unit_name, 30.0), (&notes, 28.0)],
        )?;
        sheet.write_string_with_format(row, c, notes, &styles.text)?;
        Ok(())
    }

    /// The information sheet: the campaign, its state, its bands and how it ranks.
    fn facts(&self, sheet: &mut Worksheet, styles: &Styles) -> Result<(), XlsxError> {
        let results = self.results;
        sheet.set_name(t("workbook.info_sheet"))?;
        let state = if self.published {
            tf(
                "workbook.state_published",
                &[
                    ("at", &i18n::date_time(results.published_at)),
                    ("by", &results.published_by),
                ],
            )
        } else {
            t("workbook.state_preview").to_string()
        };
        let facts = [
            ("workbook.info_campaign", results.title.clone()),
            ("workbook.info_year", results.year.to_string()),
            ("workbook.info_state", state),
            ("workbook.info_bands", results.bands.clone()),
            (
                "workbook.info_ranking",
                t("workbook.ranking_rule").to_string(),
            ),
            (
                "workbook.info_change",
                match self.previous {
                    Some(previous) => format!("{previous}. {}", t("workbook.change_rule")),
                    None => t("workbook.no_previous").to_string(),
                },
            ),
        ];
        for (r, (label, value)) in facts.iter().enumerate() {
            sheet.write_string_with_format(r as u32, 0, t(label), &styles.label)?;
            sheet.write_string_with_format(r as u32, 1, value, &styles.text)?;
        }
        sheet.set_column_width(0, 22)?;
        sheet.set_column_width(1, 90)?;
        chiso_interchange::workbook::for_print(sheet, 0, 0)
    }
}

/// The group's averages: per area, per component, of the points and of the index.
fn average_row(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    group: &PublishedGroup,
    extras: &GroupExtras,
) -> Result<(), XlsxError> {
    let n = group.units.len() as i64;
    let mean = |values: &mut dyn Iterator<Item = Points>| {
        values.map(|p| p.ten_thousandths()).sum::<i64>() as f64 / n as f64 / 10_000.0
    };
    sheet.write_blank(row, 0, &styles.total_text)?;
    sheet.write_blank(row, 1, &styles.total_text)?;
    sheet.write_string_with_format(row, 2, t("workbook.average_row"), &styles.total_text)?;
    let areas = group.units[0].areas.len();
    let mut c = 3u16;
    for i in 0..areas {
        let value = mean(
            &mut group
                .units
                .iter()
                .filter_map(|u| u.areas.get(i))
                .map(|a| a.points),
        );
        sheet.write_number_with_format(row, c, value, &styles.total_decimal)?;
        c += 1;
    }
    for k in 0..extras.components.len() {
        let value = mean(
            &mut group
                .units
                .iter()
                .filter_map(|u| extras.cells.get(&u.unit_id).and_then(|cells| cells.get(k)))
                .map(|(p, _)| *p),
        );
        sheet.write_number_with_format(row, c, value, &styles.total_decimal)?;
        sheet.write_blank(row, c + 1, &styles.total_text)?;
        c += 2;
    }
    let points = mean(&mut group.units.iter().map(|u| u.points));
    sheet.write_number_with_format(row, c, points, &styles.total_decimal)?;
    let index = group
        .units
        .iter()
        .map(|u| u.index_hundredths as f64 / 100.0)
        .sum::<f64>()
        / n as f64;
    sheet.write_number_with_format(row, c + 1, index, &styles.total_decimal)?;
    Ok(())
}
