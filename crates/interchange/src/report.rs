//! The output of `chiso compute` (docs/formats.md §4) in JSON, CSV, a text table and .xlsx.

use std::collections::HashMap;

use chiso_domain::change::{
    Change, Lineage, MergedBaseline, PreviousUnit, PreviousYear, Weighting, YearOverYear,
    area_change, compare_populations, year_over_year,
};
use chiso_domain::framework::SAMPLE_LABEL;
use chiso_domain::{Evaluation, Framework, Method, UnitOutcome};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use serde::Serialize;

/// The whole JSON document.
#[derive(Clone, Debug, Serialize)]
pub struct ComputeReport {
    pub framework: FrameworkSummary,
    pub units: Vec<UnitReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FrameworkSummary {
    /// The tree's total, bonus and penalty excluded.
    pub max_points: f64,
    /// Every leaf that takes points, bonus and penalty leaves included.
    pub leaves: usize,
    pub id: String,
    pub title: String,
    pub sample: bool,
    pub areas: Vec<AreaSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AreaSummary {
    pub code: String,
    pub title: String,
    pub max_points: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitReport {
    pub unit_code: String,
    pub unit_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub points: f64,
    pub max_points: f64,
    pub index: f64,
    pub rank: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_rank: Option<u32>,
    pub classification: String,
    pub tree_points: f64,
    pub bonus: f64,
    pub penalty: f64,
    pub areas: Vec<AreaReport>,
    /// Points by how they were obtained: self-assessed (appraised) and survey.
    pub components: Vec<ComponentReport>,
    /// Leaves without an entry; they scored 0.
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ChangeReport>,
    /// For a unit formed from several earlier units: their results and a combined baseline,
    /// always an estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_estimate: Option<EstimateReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AreaReport {
    pub code: String,
    pub points: f64,
    pub max_points: f64,
    pub index: Option<f64>,
    pub rank: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<ChangeReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ComponentReport {
    pub method: String,
    pub points: f64,
    pub max_points: f64,
    /// For `self` in a framework that marks impact nodes: `results` and `impact` apart
    /// (docs/formats.md §8.7, docs/method.md §2.3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartReport {
    pub part: String,
    pub points: f64,
    pub max_points: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChangeReport {
    pub index: f64,
    pub rank: u32,
    pub index_change: f64,
    pub rank_change: i64,
    /// False when the two years ranked different populations (units added or left out, merged
    /// or split, e.g. 63 provinces then 34): `rank_change` then compares positions in two
    /// different rankings and is shown flagged, not as a plain number (docs/method.md §2.11).
    pub rank_change_comparable: bool,
    /// Set when the earlier unit had another code (a renamed predecessor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EstimateReport {
    pub estimate: bool,
    pub label: String,
    pub weighting: String,
    pub index: Option<f64>,
    pub index_change: Option<f64>,
    pub predecessors: Vec<PredecessorReport>,
    pub without_result: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PredecessorReport {
    pub unit_code: String,
    pub unit_name: Option<String>,
    pub index: f64,
    pub rank: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// The note under a table whose rank changes are flagged `*` (docs/method.md §2.11).
pub const NOT_COMPARABLE_NOTE: &str = "* Năm trước xếp hạng một tập đơn vị khác (thêm, bớt, hợp nhất hoặc chia tách đơn vị): thay đổi thứ hạng không so sánh trực tiếp được.";

/// Names and regions of units, from `units.csv` and `scores.csv`.
#[derive(Clone, Debug, Default)]
pub struct UnitDirectory {
    pub names: HashMap<String, String>,
    pub regions: HashMap<String, String>,
}

/// Builds the report from an evaluation.
pub fn build_report(
    framework: &Framework,
    evaluation: &Evaluation,
    directory: &UnitDirectory,
    previous: Option<&PreviousYear>,
    lineage: Option<&Lineage>,
) -> ComputeReport {
    let max_points = framework.max_points().to_f64();
    let comparable = previous.is_none_or(|p| {
        let ranked = evaluation.units.iter().map(|u| u.code.as_str());
        compare_populations(ranked, p, lineage).ranks_comparable()
    });
    let units = evaluation
        .units
        .iter()
        .map(|unit| {
            let comparison = previous
                .map(|p| year_over_year(&unit.code, unit.index, unit.rank, p, lineage))
                .unwrap_or(YearOverYear::None);
            let (change, earlier_unit, estimate) = match comparison {
                YearOverYear::Direct {
                    previous_code,
                    change,
                } => {
                    let earlier = previous.and_then(|p| p.get(&previous_code));
                    let renamed = (previous_code != unit.code).then_some(previous_code);
                    (
                        Some(change_report(&change, renamed, comparable)),
                        earlier,
                        None,
                    )
                }
                YearOverYear::Merged(merged) => (None, None, Some(estimate_report(merged))),
                YearOverYear::None => (None, None, None),
            };
            UnitReport {
                unit_code: unit.code.clone(),
                unit_name: directory.names.get(&unit.code).cloned(),
                region: directory.regions.get(&unit.code).cloned(),
                points: unit.points.points.to_f64(),
                max_points,
                index: unit.index,
                rank: unit.rank,
                region_rank: unit.group_rank,
                classification: unit.classification.clone(),
                tree_points: unit.points.tree_points.to_f64(),
                bonus: unit.points.bonus.to_f64(),
                penalty: unit.points.penalty.to_f64(),
                areas: area_reports(framework, unit, earlier_unit, comparable),
                components: component_reports(framework, unit),
                missing: unit
                    .points
                    .missing
                    .iter()
                    .map(|&leaf| framework.node(leaf).code.clone())
                    .collect(),
                previous: change,
                previous_estimate: estimate,
            }
        })
        .collect();
    ComputeReport {
        framework: framework_summary(framework, max_points),
        units,
    }
}

/// The change against one earlier result; `unit_code` is the earlier unit's code when it
/// differs; `comparable` whether the two years ranked the same population.
fn change_report(change: &Change, unit_code: Option<String>, comparable: bool) -> ChangeReport {
    ChangeReport {
        index: change.previous_index,
        rank: change.previous_rank,
        index_change: change.index_change,
        rank_change: change.rank_change,
        rank_change_comparable: comparable,
        unit_code,
    }
}

/// A merged unit's earlier results and its baseline, labelled as an estimate with its
/// weighting (docs/method.md §6.5).
fn estimate_report(merged: MergedBaseline) -> EstimateReport {
    let weighting = match merged.weighting {
        Weighting::Mean => "mean",
        Weighting::Weighted => "weighted",
    };
    let label = match merged.weighting {
        Weighting::Mean => "Ước tính: trung bình cộng chỉ số của các đơn vị trước hợp nhất",
        Weighting::Weighted => {
            "Ước tính: trung bình có trọng số (theo trọng số khai báo) của các đơn vị trước hợp nhất"
        }
    };
    EstimateReport {
        estimate: true,
        label: label.to_string(),
        weighting: weighting.to_string(),
        index: merged.baseline_index,
        index_change: merged.index_change,
        predecessors: merged
            .predecessors
            .into_iter()
            .map(|p| PredecessorReport {
                unit_code: p.code,
                unit_name: p.name,
                index: p.index,
                rank: p.rank,
                weight: p.weight,
            })
            .collect(),
        without_result: merged.without_result,
    }
}

/// A unit's areas, each against the same area (or the areas it continues) of the earlier
/// unit when there is one.
fn area_reports(
    framework: &Framework,
    unit: &UnitOutcome,
    earlier: Option<&PreviousUnit>,
    comparable: bool,
) -> Vec<AreaReport> {
    unit.areas
        .iter()
        .map(|area| {
            let node = framework.node(area.node);
            let mut codes: Vec<&str> = node.continues.iter().map(String::as_str).collect();
            if codes.is_empty() {
                codes.push(&node.code);
            }
            AreaReport {
                code: node.code.clone(),
                points: area.points.to_f64(),
                max_points: area.max_points.to_f64(),
                index: area.index,
                rank: area.rank,
                previous: earlier
                    .and_then(|earlier| area_change(&codes, area.index, area.rank, earlier))
                    .map(|c| change_report(&c, None, comparable)),
            }
        })
        .collect()
}

/// A unit's points by how they were obtained, for the methods its framework uses.
fn component_reports(framework: &Framework, unit: &UnitOutcome) -> Vec<ComponentReport> {
    use chiso_domain::components::{self, Component};
    let found = components::components(framework);
    let parts: Vec<PartReport> = [
        (Component::Results, "results"),
        (Component::Impact, "impact"),
    ]
    .into_iter()
    .filter(|(c, _)| found.contains(c))
    .map(|(c, part)| {
        let (points, max) = components::component_points(framework, &unit.points, &c);
        PartReport {
            part: part.to_string(),
            points: points.to_f64(),
            max_points: max.to_f64(),
        }
    })
    .collect();
    [Method::SelfAssessed, Method::Survey]
        .into_iter()
        .filter_map(|method| {
            let (points, max) = unit.points.by_method(framework, method);
            (max > chiso_domain::Points::ZERO).then(|| ComponentReport {
                method: method.as_str().to_string(),
                points: points.to_f64(),
                max_points: max.to_f64(),
                parts: if method == Method::SelfAssessed {
                    parts.clone()
                } else {
                    Vec::new()
                },
            })
        })
        .collect()
}

/// The framework's totals and areas.
fn framework_summary(framework: &Framework, max_points: f64) -> FrameworkSummary {
    FrameworkSummary {
        max_points,
        leaves: framework.leaves().len(),
        id: framework.meta.id.clone(),
        title: framework.display_title(),
        sample: framework.meta.sample,
        areas: framework
            .areas()
            .iter()
            .map(|&a| AreaSummary {
                code: framework.node(a).code.clone(),
                title: framework.node(a).title.clone(),
                max_points: framework.node(a).max_points.to_f64(),
            })
            .collect(),
    }
}

impl ComputeReport {
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the report is plain data");
        text.push('\n');
        text
    }

    fn has_previous(&self) -> bool {
        self.units.iter().any(|u| u.previous.is_some())
    }

    /// Whether the rank changes are flagged as not comparable (docs/method.md §2.11).
    fn ranks_not_comparable(&self) -> bool {
        self.units.iter().any(|u| {
            u.previous
                .as_ref()
                .is_some_and(|p| !p.rank_change_comparable)
        })
    }

    fn has_regions(&self) -> bool {
        self.units.iter().any(|u| u.region.is_some())
    }

    /// Header and rows shared by CSV and the xlsx ranking sheet.
    fn rows(&self) -> (Vec<String>, Vec<Vec<Cell>>) {
        let mut header: Vec<String> = [
            "rank",
            "unit_code",
            "unit_name",
            "points",
            "max_points",
            "index",
            "classification",
            "bonus",
            "penalty",
        ]
        .map(String::from)
        .to_vec();
        if self.has_regions() {
            header.extend(["region", "region_rank"].map(String::from));
        }
        for area in &self.framework.areas {
            for suffix in ["points", "index", "rank"] {
                header.push(format!("area_{}_{suffix}", area.code));
            }
        }
        if self.has_previous() {
            header.extend(
                [
                    "previous_index",
                    "previous_rank",
                    "index_change",
                    "rank_change",
                    "rank_change_comparable",
                ]
                .map(String::from),
            );
        }
        header.push("missing".to_string());
        let rows = self
            .units
            .iter()
            .map(|u| {
                let mut row = vec![
                    Cell::Int(u.rank as i64),
                    Cell::Text(u.unit_code.clone()),
                    Cell::Text(u.unit_name.clone().unwrap_or_default()),
                    Cell::Number(u.points),
                    Cell::Number(u.max_points),
                    Cell::Number(u.index),
                    Cell::Text(u.classification.clone()),
                    Cell::Number(u.bonus),
                    Cell::Number(u.penalty),
                ];
                if self.has_regions() {
                    row.push(Cell::Text(u.region.clone().unwrap_or_default()));
                    row.push(u.region_rank.map_or(Cell::Empty, |r| Cell::Int(r as i64)));
                }
                for area in &u.areas {
                    row.push(Cell::Number(area.points));
                    row.push(area.index.map_or(Cell::Empty, Cell::Number));
                    row.push(Cell::Int(area.rank as i64));
                }
                if self.has_previous() {
                    match &u.previous {
                        Some(p) => row.extend([
                            Cell::Number(p.index),
                            Cell::Int(p.rank as i64),
                            Cell::Number(p.index_change),
                            Cell::Int(p.rank_change),
                            Cell::Text(p.rank_change_comparable.to_string()),
                        ]),
                        None => row.extend(std::iter::repeat_n(Cell::Empty, 5)),
                    }
                }
                row.push(Cell::Text(u.missing.join(";")));
                row
            })
            .collect();
        (header, rows)
    }

    /// One row per unit; numbers unrounded with a dot, as in JSON.
    pub fn to_csv(&self) -> String {
        let (header, rows) = self.rows();
        let mut out = crate::csv_out::to_string([header]);
        out.push_str(&crate::csv_out::to_string(
            rows.iter().map(|row| row.iter().map(Cell::to_text)),
        ));
        out
    }

    /// A table for the terminal, numbers rounded to 2 decimals.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{} — {} điểm, {} tiêu chí được chấm\n",
            self.framework.title, self.framework.max_points, self.framework.leaves
        ));
        let previous = self.has_previous();
        let name_width = self
            .units
            .iter()
            .map(|u| u.unit_name.as_deref().unwrap_or("").chars().count())
            .max()
            .unwrap_or(0)
            .clamp(8, 40);
        let mut header = format!(
            "{:>5}  {:<6}  {:<name_width$}  {:>8}  {:>7}  {:<11}",
            "Hạng", "Mã", "Đơn vị", "Điểm", "Chỉ số", "Xếp loại"
        );
        if previous {
            header.push_str(&format!("  {:>8}  {:>6}", "± chỉ số", "± hạng"));
        }
        out.push_str(header.trim_end());
        out.push('\n');
        for u in &self.units {
            let name: String = u
                .unit_name
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(name_width)
                .collect();
            let mut line = format!(
                "{:>5}  {:<6}  {:<name_width$}  {:>8.2}  {:>7.2}  {:<11}",
                u.rank, u.unit_code, name, u.points, u.index, u.classification
            );
            if let Some(p) = &u.previous {
                // A rank change between different populations is flagged, not a plain number.
                let rank_change = format!(
                    "{:+}{}",
                    p.rank_change,
                    if p.rank_change_comparable { "" } else { "*" }
                );
                line.push_str(&format!("  {:>+8.2}  {:>6}", p.index_change, rank_change));
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if !u.missing.is_empty() {
                out.push_str(&format!(
                    "       thiếu điểm (tính 0): {}\n",
                    u.missing.join(", ")
                ));
            }
        }
        if self.ranks_not_comparable() {
            out.push_str(NOT_COMPARABLE_NOTE);
            out.push('\n');
        }
        out
    }

    /// A workbook: information, ranking with area results, and the points of every leaf.
    pub fn to_xlsx(
        &self,
        framework: &Framework,
        evaluation: &Evaluation,
    ) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Top);
        let two_decimals = Format::new().set_num_format("0.00");
        let four_decimals = Format::new().set_num_format("0.####");

        let info = workbook.add_worksheet();
        info.set_name("Thông tin")?;
        info.write_string_with_format(0, 0, "Bộ tiêu chí", &bold)?;
        info.write_string(0, 1, &self.framework.title)?;
        info.write_string_with_format(1, 0, "Tổng điểm tối đa", &bold)?;
        info.write_number(1, 1, self.framework.max_points)?;
        info.write_string_with_format(2, 0, "Số tiêu chí được chấm", &bold)?;
        info.write_number(2, 1, self.framework.leaves as f64)?;
        info.write_string_with_format(3, 0, "Số đơn vị", &bold)?;
        info.write_number(3, 1, self.units.len() as f64)?;
        info.write_string_with_format(4, 0, "Cách xếp hạng", &bold)?;
        info.write_string(
            4,
            1,
            "Theo chỉ số làm tròn 2 chữ số thập phân, giảm dần; bằng nhau thì đồng hạng và hạng sau bỏ qua (1, 2, 2, 4).",
        )?;
        if self.framework.sample {
            info.write_string_with_format(5, 0, "Lưu ý", &bold)?;
            info.write_string(5, 1, SAMPLE_LABEL)?;
        }
        if self.ranks_not_comparable() {
            info.write_string_with_format(6, 0, "So sánh thứ hạng", &bold)?;
            info.write_string(6, 1, NOT_COMPARABLE_NOTE.trim_start_matches("* "))?;
        }
        info.set_column_width(0, 24)?;
        info.set_column_width(1, 90)?;

        let (header, rows) = self.rows();
        let ranking = workbook.add_worksheet();
        ranking.set_name("Xếp hạng")?;
        for (c, title) in header.iter().enumerate() {
            ranking.write_string_with_format(0, c as u16, title, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(text) => {
                        ranking.write_string(r, c, text)?;
                    }
                    Cell::Number(value) => {
                        ranking.write_number_with_format(r, c, *value, &two_decimals)?;
                    }
                    Cell::Int(value) => {
                        ranking.write_number(r, c, *value as f64)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ranking.set_column_width(2, 28)?;
        ranking.set_freeze_panes(1, 3)?;
        ranking.autofilter(0, 0, rows.len() as u32, header.len() as u16 - 1)?;

        // Leaf points: one row per leaf, one column per unit in rank order.
        let leaves = workbook.add_worksheet();
        leaves.set_name("Điểm chi tiết")?;
        for (c, title) in ["code", "title", "method", "max_points"].iter().enumerate() {
            leaves.write_string_with_format(0, c as u16, *title, &bold)?;
        }
        for (i, unit) in evaluation.units.iter().enumerate() {
            leaves.write_string_with_format(0, 4 + i as u16, &unit.code, &bold)?;
        }
        for (r, id) in framework.top_down().enumerate() {
            let node = framework.node(id);
            let r = r as u32 + 1;
            leaves.write_string(r, 0, &node.code)?;
            leaves.write_string(r, 1, &node.title)?;
            leaves.write_string(r, 2, node.method.as_str())?;
            leaves.write_number_with_format(r, 3, node.max_points.to_f64(), &four_decimals)?;
            for (i, unit) in evaluation.units.iter().enumerate() {
                leaves.write_number_with_format(
                    r,
                    4 + i as u16,
                    unit.points.node_points[id].to_f64(),
                    &four_decimals,
                )?;
            }
        }
        leaves.set_column_width(1, 50)?;
        leaves.set_freeze_panes(1, 4)?;
        workbook.save_to_buffer()
    }
}

/// A cell of the CSV / xlsx outputs.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Int(i64),
    Empty,
}

impl Cell {
    fn to_text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Number(value) => value.to_string(),
            Cell::Int(value) => value.to_string(),
            Cell::Empty => String::new(),
        }
    }
}
