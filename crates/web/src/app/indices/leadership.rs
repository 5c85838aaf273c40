//! The leadership overview (docs/method.md §5.7): every national index the province tracks on
//! one screen, each with its latest value, rank and group, the change from the previous year
//! (a rank change only between years ranked among the same provinces), the weakest dimension,
//! and the trend across the 2025 merger. Read with one query for the province's history over
//! every index. Targets are another use case's (`app::indices::targets`): the page leaves them
//! a column.

use std::collections::BTreeMap;

use chiso_domain::indices::{Structure, UnitScope};
use chiso_store::Db;
use chiso_store::indices::{self as store, HistoryValue};

use super::standing::{Group, ItemStanding, Province, Reference, sort_weakest};
use super::trend::{self, Change, Populations, Trend, WeightingChoice};
use crate::error::AppResult;

/// One index the province tracks.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexLine {
    pub index: String,
    /// The structure of the latest year (its title names the index).
    pub structure: Structure,
    pub year: i32,
    /// The unit the figure is of (the province, or before 2025 the province it continues).
    pub unit_name: String,
    /// The value, when published (a report may quote a rank alone).
    pub value: Option<f64>,
    /// The value is the estimate of a merged province before it existed.
    pub estimate: bool,
    pub rank: Option<u32>,
    pub rank_published: bool,
    /// The provinces of the year's list (63 or 34).
    pub of: usize,
    pub group: Option<Group>,
    pub change: Option<Change>,
    /// The top-level dimension where it is weakest that year (worst rank, else smallest
    /// share of the maximum).
    pub weakest: Option<ItemStanding>,
    pub trend: Trend,
}

/// The overview of the province's indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    pub province: Province,
    pub lines: Vec<IndexLine>,
    /// The versions of the years shown, for the report's cache (a new import makes a new
    /// report).
    pub stamp: String,
}

/// Every province index with a figure for the province, in catalogue order.
pub async fn overview(
    db: &Db,
    reference: &Reference,
    province: &Province,
    weighting: WeightingChoice,
    populations: Option<&Populations>,
) -> AppResult<Overview> {
    let history = store::history_of_units(db, &province.codes()).await?;
    let mut by_index: BTreeMap<&str, Vec<&HistoryValue>> = BTreeMap::new();
    for row in &history {
        by_index.entry(row.index_id.as_str()).or_default().push(row);
    }
    let mut lines = Vec::new();
    let mut stamp = Vec::new();
    for index in reference.province_indices() {
        let Some(rows) = by_index.get(index) else {
            continue;
        };
        let trend = trend::build(reference, province, rows, weighting, populations);
        if let Some(line) = index_line(reference, province, index, rows, trend) {
            stamp.extend(
                rows.iter()
                    .map(|r| r.year_id)
                    .collect::<std::collections::BTreeSet<_>>(),
            );
            lines.push(line);
        }
    }
    stamp.push(i64::from(weighting == WeightingChoice::Population));
    Ok(Overview {
        province: province.clone(),
        lines,
        stamp: stamp
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join("-"),
    })
}

/// The index's line: its latest year with a figure of the province (or, for a merged
/// province without one yet, the latest estimate).
fn index_line(
    reference: &Reference,
    province: &Province,
    index: &str,
    rows: &[&HistoryValue],
    trend: Trend,
) -> Option<IndexLine> {
    let own = trend
        .province_line()
        .and_then(|l| l.points.last_key_value());
    let (year, point, estimate) = match own {
        Some((year, point)) => (*year, point.clone(), false),
        None => {
            let (year, point) = trend.estimate_line()?.points.last_key_value()?;
            (*year, point.clone(), true)
        }
    };
    let structure = reference.catalogue.for_year(index, year)?.clone();
    if structure.units != UnitScope::Province {
        return None;
    }
    let unit_rows: Vec<&HistoryValue> = rows
        .iter()
        .copied()
        .filter(|r| r.year as i32 == year && !estimate && province.is_unit(year, &r.unit_code))
        .collect();
    let group = unit_rows
        .iter()
        .find(|r| r.measure == "total")
        .and_then(|r| r.group_number)
        .and_then(|g| u8::try_from(g).ok())
        .and_then(|g| Group::of(&structure, g));
    let complete_rank = unit_rows
        .iter()
        .any(|r| r.measure != "total" && r.rank.is_some());
    let weakest = weakest_dimension(
        &structure,
        &unit_rows,
        reference.roster.for_year(year).len(),
        complete_rank,
    );
    Some(IndexLine {
        index: index.to_string(),
        year,
        unit_name: point.name.clone(),
        value: point.value,
        estimate,
        rank: point.rank,
        rank_published: point.rank_published,
        of: point.of,
        group,
        change: (!estimate)
            .then(|| trend.changes.get(&year).cloned())
            .flatten(),
        weakest,
        structure,
        trend,
    })
}

/// The top-level dimension where the unit is weakest: the worst stored rank (complete years),
/// else the smallest share of its maximum.
fn weakest_dimension(
    structure: &Structure,
    rows: &[&HistoryValue],
    of: usize,
    ranked: bool,
) -> Option<ItemStanding> {
    let mut items: Vec<ItemStanding> = structure
        .dimensions
        .iter()
        .filter_map(|d| {
            let row = rows.iter().find(|r| r.measure == d.code)?;
            let value = row.value?;
            Some(ItemStanding {
                share: d.max.filter(|m| *m > 0.0).map(|m| value / m * 100.0),
                item: d.clone(),
                parent: None,
                value,
                rank: row
                    .rank
                    .and_then(|r| u32::try_from(r).ok())
                    .filter(|_| ranked),
                of,
            })
        })
        .collect();
    sort_weakest(&mut items);
    items
        .into_iter()
        .find(|i| i.rank.is_some() || i.share.is_some())
}
