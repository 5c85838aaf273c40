//! Writing a report: as `indices.csv` (docs/formats.md §7.1; read back, it gives the same
//! report) and as a text table for people.

use std::fmt::Write;

use super::model::{DimensionReport, IndicesReport, SkipKind};
use crate::csv_out::to_string;
use crate::table::format_number;

/// The report in the long format. Only published ranks are written (a computed rank is
/// computed again on reading); a computed total is not written; a province listed without a
/// result keeps an empty `total` row, so that the year stays complete; summary figures are
/// rows without `unit_code`. `source` is written when some unit has one.
pub fn indices_csv(report: &IndicesReport) -> String {
    let with_source = report.years.iter().any(|y| {
        y.units.iter().any(|u| u.source.is_some()) || y.summaries.iter().any(|s| s.source.is_some())
    });
    let mut header = vec![
        "index",
        "year",
        "unit_code",
        "unit_name",
        "measure",
        "value",
        "rank",
    ];
    if with_source {
        header.push("source");
    }
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    let mut push = |year: i32,
                    code: &str,
                    name: &str,
                    measure: &str,
                    value: Option<f64>,
                    rank: Option<u32>,
                    source: Option<&str>| {
        let mut row = vec![
            report.index.clone(),
            year.to_string(),
            code.to_string(),
            name.to_string(),
            measure.to_string(),
            value.map(format_number).unwrap_or_default(),
            rank.map(|r| r.to_string()).unwrap_or_default(),
        ];
        if with_source {
            row.push(source.unwrap_or_default().to_string());
        }
        rows.push(row);
    };
    for year in &report.years {
        for unit in &year.units {
            let source = unit.source.as_deref();
            let row = |measure: &str, value: Option<f64>, rank: Option<u32>| {
                (measure.to_string(), value, rank)
            };
            let mut measures = Vec::new();
            let published_rank = unit.rank.filter(|_| unit.rank_published);
            // A derived total is not written, but a published rank is, alone on its row.
            let total = unit.total.filter(|_| !unit.total_derived);
            if total.is_some() || published_rank.is_some() {
                measures.push(row("total", total, published_rank));
            }
            for dimension in unit.dimensions.iter().chain(&unit.components) {
                if dimension.value.is_some() {
                    measures.push(row(&dimension.code, dimension.value, None));
                }
                for sub in &dimension.sub_dimensions {
                    measures.push(row(&sub.code, sub.value, None));
                }
            }
            for (measure, value, rank) in measures {
                push(
                    year.year,
                    &unit.unit_code,
                    &unit.unit_name,
                    &measure,
                    value,
                    rank,
                    source,
                );
            }
        }
        for skipped in year.skipped.iter().filter(|s| s.kind == SkipKind::NoResult) {
            push(
                year.year,
                skipped.unit_code.as_deref().unwrap_or_default(),
                skipped.unit_name.as_deref().unwrap_or_default(),
                "total",
                None,
                None,
                None,
            );
        }
        for summary in &year.summaries {
            push(
                year.year,
                "",
                &summary.unit_name,
                &summary.measure,
                Some(summary.value),
                None,
                summary.source.as_deref(),
            );
        }
    }
    to_string(rows)
}

/// A table per year: rank, group, code, name, total and each dimension.
pub fn indices_table(report: &IndicesReport) -> String {
    let mut out = String::new();
    for year in &report.years {
        let _ = writeln!(
            out,
            "{} {} ({}){}",
            report.index,
            year.year,
            year.structure,
            if year.complete {
                ""
            } else {
                ", partial: published ranks only"
            }
        );
        let codes: Vec<&str> = year
            .units
            .iter()
            .flat_map(|u| u.dimensions.iter().map(|d| d.code.as_str()))
            .fold(Vec::new(), |mut codes, code| {
                if !codes.contains(&code) {
                    codes.push(code);
                }
                codes
            });
        let mut header = format!(
            "{:>5} {:>5} {:<6} {:<24} {:>9}",
            "rank", "group", "code", "name", "total"
        );
        for code in &codes {
            let _ = write!(header, " {code:>8}");
        }
        let _ = writeln!(out, "{header}");
        for unit in &year.units {
            let name: String = unit.unit_name.chars().take(24).collect();
            let _ = write!(
                out,
                "{:>5} {:>5} {:<6} {:<24} {:>9}",
                unit.rank.map(|r| r.to_string()).unwrap_or_default(),
                unit.group.map(|g| g.to_string()).unwrap_or_default(),
                unit.unit_code,
                name,
                unit.total.map(|t| format!("{t:.2}")).unwrap_or_default(),
            );
            for code in &codes {
                let value = unit
                    .dimensions
                    .iter()
                    .find(|d| d.code == *code)
                    .and_then(|d: &DimensionReport| d.value);
                let _ = write!(
                    out,
                    " {:>8}",
                    value.map(|v| format!("{v:.2}")).unwrap_or_default()
                );
            }
            out.push('\n');
        }
        for skipped in &year.skipped {
            let _ = writeln!(
                out,
                "  skipped: {} row {}: {}",
                skipped.sheet, skipped.row, skipped.reason
            );
        }
        out.push('\n');
    }
    out
}
