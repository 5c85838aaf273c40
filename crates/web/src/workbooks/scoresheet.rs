//! A unit's detailed scoresheet (docs/formats.md §12.2): under the title block, every node of
//! the framework in its order with its code, title and maximum; for a leaf its self-assessed
//! points, each appraisal round's points, its final points and the council's comments; for an
//! area (bold) and every criterion above the leaves, the sums. The tree's total follows, then
//! the bonus and penalty items and the unit's total when the framework has them.

use chiso_domain::{Framework, NodeId, Points};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{Column, Styles, exported_line, finish, header, t, tf, title_block};
use crate::app::scoresheet::Scoresheet;
use crate::i18n::Lang;
use crate::routes::campaigns::shared::status_label;

/// Writes the workbook of `sheet` for the `authority`, dated `today`.
pub fn write(sheet: &Scoresheet, authority: &str, today: NaiveDate) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name(t("workbook.scoresheet_sheet"))?;
    Writer {
        sheet,
        styles: &styles,
        framework: sheet.context.scope.framework(),
    }
    .write(ws, authority, today)?;
    workbook.save_to_buffer()
}

struct Writer<'a> {
    sheet: &'a Scoresheet,
    styles: &'a Styles,
    framework: &'a Framework,
}

/// The columns after the leaf's code, title and maximum: self, rounds, final, comment.
const FIRST_VALUE: u16 = 3;

impl Writer<'_> {
    fn columns(&self) -> Vec<Column> {
        let mut columns = vec![
            Column::new(t("workbook.col_leaf_code"), 9.0),
            Column::new(t("workbook.col_leaf_title"), 48.0),
            Column::new(t("workbook.col_max"), 9.0),
            Column::new(t("workbook.col_self"), 10.0),
        ];
        for round in &self.sheet.rounds {
            columns.push(Column::new(
                tf("workbook.col_round", &[("round", round)]),
                11.0,
            ));
        }
        columns.push(Column::new(t("workbook.col_final"), 10.0));
        columns.push(Column::new(t("workbook.col_comment"), 44.0));
        columns
    }

    fn write(
        &self,
        ws: &mut Worksheet,
        authority: &str,
        today: NaiveDate,
    ) -> Result<(), XlsxError> {
        let context = &self.sheet.context;
        let scope = &context.scope;
        let columns = self.columns();
        let mut subtitles = vec![
            tf(
                "workbook.unit_line",
                &[
                    ("unit", &context.unit.name),
                    ("campaign", &scope.campaign.title),
                ],
            ),
            scope.stored.framework.meta.title.clone(),
            tf(
                "workbook.status_line",
                &[("status", &status_label(Lang::Vi, context.status()))],
            ),
            exported_line(today),
        ];
        let sample = t("workbook.sample_line");
        if scope.stored.framework.meta.sample && !scope.stored.framework.meta.title.contains(sample)
        {
            subtitles.push(sample.to_string());
        }
        let first = title_block(
            ws,
            self.styles,
            authority,
            t("workbook.scoresheet_title"),
            &subtitles,
            columns.len() as u16,
        )?;
        let data = header(ws, self.styles, first, &columns)?;
        let mut row = data;
        let roots: Vec<NodeId> = (0..self.framework.nodes().len())
            .filter(|&n| self.framework.node(n).parent.is_none())
            .collect();
        let outside = self.framework.outside_tree();
        for &root in roots.iter().filter(|r| !outside.contains(r)) {
            row = self.node(ws, row, root)?;
        }
        let self_points = &self.sheet.self_points;
        let final_points = self.sheet.final_points.as_ref();
        row = self.total(
            ws,
            row,
            t("workbook.tree_total"),
            Some(self.framework.max_points()),
            self_points.tree_points,
            final_points.map(|f| f.tree_points),
        )?;
        let extras: Vec<NodeId> = roots.into_iter().filter(|r| outside.contains(r)).collect();
        if !extras.is_empty() {
            for &root in &extras {
                row = self.node(ws, row, root)?;
            }
            row = self.total(
                ws,
                row,
                t("workbook.grand_total"),
                None,
                self_points.points,
                final_points.map(|f| f.points),
            )?;
        }
        row += 1;
        if final_points.is_none() {
            ws.write_string_with_format(row, 1, t("workbook.final_pending"), &self.styles.note)?;
            row += 1;
        }
        if self.sheet.rounds_hidden {
            ws.write_string_with_format(row, 1, t("workbook.rounds_hidden"), &self.styles.note)?;
        }
        finish(ws, first, data, 2)
    }

    /// A node's row, then its children's, depth first. Returns the next free row.
    fn node(&self, ws: &mut Worksheet, row: u32, node: NodeId) -> Result<u32, XlsxError> {
        let n = self.framework.node(node);
        let styles = self.styles;
        let (text, number) = if n.depth == 1 {
            (&styles.total_text, &styles.total_decimal)
        } else {
            (&styles.text, &styles.decimal)
        };
        ws.write_string_with_format(row, 0, &n.code, &styles.code)?;
        ws.write_string_with_format(row, 1, &n.title, text)?;
        ws.write_number_with_format(row, 2, n.max_points.to_f64(), number)?;
        let line = self.sheet.leaves.get(&node);
        let (own, finals) = if n.is_leaf() {
            (
                line.and_then(|l| l.self_points),
                line.and_then(|l| l.final_points),
            )
        } else {
            (
                Some(self.sheet.self_points.node_points[node]),
                self.sheet
                    .final_points
                    .as_ref()
                    .map(|f| f.node_points[node]),
            )
        };
        let mut c = FIRST_VALUE;
        self.points(ws, row, c, own, number, text)?;
        c += 1;
        for round in &self.sheet.rounds {
            let value = line.and_then(|l| l.rounds.get(round).copied().flatten());
            self.points(ws, row, c, value, number, text)?;
            c += 1;
        }
        self.points(ws, row, c, finals, number, text)?;
        let comments = line
            .map(|l| {
                l.comments
                    .iter()
                    .map(|(round, comment)| {
                        if self.sheet.rounds.len() > 1 {
                            tf(
                                "workbook.round_comment",
                                &[("round", round), ("comment", comment)],
                            )
                        } else {
                            comment.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        chiso_interchange::workbook::fit_row(ws, row, &[(&n.title, 48.0), (&comments, 44.0)])?;
        ws.write_string_with_format(row, c + 1, comments, text)?;
        let mut next = row + 1;
        for &child in &n.children {
            next = self.node(ws, next, child)?;
        }
        Ok(next)
    }

    /// A bold total row.
    fn total(
        &self,
        ws: &mut Worksheet,
        row: u32,
        label: &str,
        max: Option<Points>,
        own: Points,
        finals: Option<Points>,
    ) -> Result<u32, XlsxError> {
        let styles = self.styles;
        let (text, number) = (&styles.total_text, &styles.total_decimal);
        ws.write_blank(row, 0, text)?;
        ws.write_string_with_format(row, 1, label, text)?;
        self.points(ws, row, 2, max, number, text)?;
        self.points(ws, row, FIRST_VALUE, Some(own), number, text)?;
        let mut c = FIRST_VALUE + 1;
        for _ in &self.sheet.rounds {
            ws.write_blank(row, c, text)?;
            c += 1;
        }
        self.points(ws, row, c, finals, number, text)?;
        ws.write_blank(row, c + 1, text)?;
        Ok(row + 1)
    }

    /// Points as a `0.00` number, or a blank bordered cell.
    fn points(
        &self,
        ws: &mut Worksheet,
        row: u32,
        col: u16,
        value: Option<Points>,
        number: &Format,
        blank: &Format,
    ) -> Result<(), XlsxError> {
        match value {
            Some(p) => ws.write_number_with_format(row, col, p.to_f64(), number)?,
            None => ws.write_blank(row, col, blank)?,
        };
        Ok(())
    }
}

/// The file's name: the unit's code and the campaign's id, in ASCII.
pub fn file_name(sheet: &Scoresheet) -> String {
    let code: String = sheet
        .context
        .unit
        .code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "bang-diem-{code}-dot-{}.xlsx",
        sheet.context.scope.campaign.id
    )
}
