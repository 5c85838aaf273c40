//! From the units a reader found to a year's report: repeated units, codes that are not
//! provinces of the year, totals computed where none is given, the sum checks, ranks and
//! groups (docs/formats.md §7.3–§7.4). Shared by every reader, so the rules hold alike for
//! `indices.csv` and the publishers' workbooks.

use std::collections::{HashMap, HashSet};

use chiso_domain::indices::{
    Dimension, Roster, Standing, Structure, SumFinding, UnitScope, UnitValues, derived_total,
    is_complete, standings, sum_findings,
};

use super::model::{
    DimensionReport, SkipKind, Skipped, SubDimensionReport, SummaryValue, UnitReport, Warning,
    WarningKind, YearReport,
};
use super::{IndicesProblem, problem};
use crate::error::InputError;

/// One unit as a reader found it, with where each of its values stands.
pub(super) struct RawUnit {
    pub values: UnitValues,
    pub sheet: String,
    /// The unit's (first) row.
    pub row: usize,
    /// Where each value stands, by measure code; the total under `total`, the published rank
    /// under `rank`, the unit's code under `unit_code`.
    pub cells: HashMap<String, Cell>,
    pub source: Option<String>,
    /// The total is the sum of the dimensions, computed here.
    pub total_derived: bool,
}

/// A row and column (a letter in a workbook, a column name in `indices.csv`).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Cell {
    pub row: usize,
    pub column: String,
}

impl RawUnit {
    /// A warning at the cell of `measure`, else at the unit's row.
    fn warn(&self, measure: &str, kind: WarningKind) -> Warning {
        match self.cells.get(measure) {
            Some(cell) => {
                Warning::new(&self.sheet, Some(cell.row), Some(cell.column.clone()), kind)
            }
            None => Warning::new(&self.sheet, Some(self.row), None, kind),
        }
    }
}

/// One year as a reader found it.
pub(super) struct RawYear {
    pub year: i32,
    pub structure: Structure,
    pub units: Vec<RawUnit>,
    pub skipped: Vec<Skipped>,
    pub summaries: Vec<SummaryValue>,
}

/// The year's report; its warnings are added to `warnings`. A year with no unit that has a
/// result is an error.
pub(super) fn assemble(
    file: &str,
    raw: RawYear,
    roster: &Roster,
    warnings: &mut Vec<Warning>,
) -> Result<YearReport, InputError> {
    let RawYear {
        year,
        structure,
        units,
        mut skipped,
        summaries,
    } = raw;
    let kept = keep_units(&structure, year, units, roster, &mut skipped, warnings);
    // A unit listed again without a result (a second row found by its name) is a repeated
    // listing, not a unit without a result: it has one already, or an earlier row said none.
    let mut listed_once: HashSet<String> =
        kept.iter().map(|u| u.values.unit_code.clone()).collect();
    for skip in skipped.iter_mut().filter(|s| s.kind == SkipKind::NoResult) {
        if let Some(code) = &skip.unit_code
            && !listed_once.insert(code.clone())
        {
            skip.kind = SkipKind::Repeated;
        }
    }
    if kept.is_empty() {
        // A year that only gives national figures (a mean) is kept for them.
        if summaries.is_empty() {
            return Err(problem(file, None, IndicesProblem::NoUnit { year }));
        }
        skipped.sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
        return Ok(YearReport {
            year,
            structure: structure.id.clone(),
            complete: false,
            units: Vec::new(),
            skipped,
            summaries,
        });
    }
    let mut listed: Vec<&str> = kept.iter().map(|u| u.values.unit_code.as_str()).collect();
    listed.extend(
        skipped
            .iter()
            .filter(|s| s.kind == SkipKind::NoResult)
            .filter_map(|s| s.unit_code.as_deref()),
    );
    listed.sort_unstable();
    listed.dedup();
    let complete = is_complete(&structure, year, &listed, roster);
    if !complete {
        let expected = match structure.units {
            UnitScope::Province => Some(roster.for_year(year).len()),
            UnitScope::Ministry => None,
        };
        warnings.push(Warning::new(
            &kept[0].sheet,
            None,
            None,
            WarningKind::PartialYear {
                year,
                listed: listed.len(),
                expected,
            },
        ));
    }
    let values: Vec<UnitValues> = kept.iter().map(|u| u.values.clone()).collect();
    let standings = standings(&structure, &values, complete);
    let mut reports = Vec::with_capacity(kept.len());
    for (unit, standing) in kept.iter().zip(&standings) {
        if let (true, Some(published), Some(computed)) = (
            standing.rank_published,
            standing.rank,
            standing.computed_rank,
        ) && published != computed
        {
            warnings.push(unit.warn(
                "rank",
                WarningKind::RankDiffers {
                    unit_code: unit.values.unit_code.clone(),
                    published,
                    computed,
                },
            ));
        }
        reports.push(unit_report(&structure, unit, standing));
    }
    reports.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.unit_code).cmp(&(b.rank.is_none(), b.rank, &b.unit_code))
    });
    skipped.sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
    Ok(YearReport {
        year,
        structure: structure.id.clone(),
        complete,
        units: reports,
        skipped,
        summaries,
    })
}

/// The units of a year once each is checked: a unit listed a second time is skipped (the
/// first is kept), a code that is not a province of the year warns, and each unit gets its
/// total and sum checks.
fn keep_units(
    structure: &Structure,
    year: i32,
    units: Vec<RawUnit>,
    roster: &Roster,
    skipped: &mut Vec<Skipped>,
    warnings: &mut Vec<Warning>,
) -> Vec<RawUnit> {
    let mut kept: Vec<RawUnit> = Vec::with_capacity(units.len());
    let mut first_rows: HashMap<String, usize> = HashMap::new();
    for mut unit in units {
        let code = unit.values.unit_code.clone();
        if let Some(&first_row) = first_rows.get(&code) {
            warnings.push(unit.warn(
                "unit_code",
                WarningKind::Repeated {
                    unit_code: code.clone(),
                    first_row,
                    measure: None,
                },
            ));
            skipped.push(
                Skipped::new(&unit.sheet, unit.row, SkipKind::Repeated)
                    .unit(Some(code), Some(unit.values.unit_name.clone())),
            );
            continue;
        }
        first_rows.insert(code.clone(), unit.row);
        if structure.units == UnitScope::Province && !roster.is_province(year, &code) {
            warnings.push(unit.warn(
                "unit_code",
                WarningKind::NotAProvince {
                    unit_code: code.clone(),
                    year,
                },
            ));
        }
        check_unit(structure, &mut unit, warnings);
        kept.push(unit);
    }
    kept
}

/// A unit's entry in the report: its values in the structure's order, its standing.
fn unit_report(structure: &Structure, unit: &RawUnit, standing: &Standing) -> UnitReport {
    let breakdown = |items: &[Dimension]| -> Vec<DimensionReport> {
        items
            .iter()
            .filter_map(|item| dimension_report(item, &unit.values, standing.ranks.get(&item.code)))
            .collect()
    };
    UnitReport {
        unit_code: unit.values.unit_code.clone(),
        unit_name: unit.values.unit_name.clone(),
        total: unit.values.total,
        rank: standing.rank,
        group: standing.group,
        rank_published: standing.rank_published,
        total_derived: unit.total_derived,
        dimensions: breakdown(&structure.dimensions),
        components: breakdown(&structure.components),
        source: unit.source.clone(),
    }
}

/// The total where none is given, the sum checks and the scale of one unit.
fn check_unit(structure: &Structure, unit: &mut RawUnit, warnings: &mut Vec<Warning>) {
    let code = unit.values.unit_code.clone();
    if unit.values.total.is_none()
        && let Some(total) = derived_total(structure, &unit.values.values)
    {
        unit.values.total = Some(total);
        unit.total_derived = true;
    }
    for finding in sum_findings(structure, unit.values.total, &unit.values.values) {
        let warning = match finding {
            SumFinding::Dimension {
                code: item,
                value,
                sum,
            } => unit.warn(
                &item.clone(),
                WarningKind::DimensionSum {
                    unit_code: code.clone(),
                    code: item,
                    value,
                    sum,
                },
            ),
            SumFinding::Total {
                value,
                sum,
                breakdown,
            } => unit.warn(
                "total",
                WarningKind::TotalSum {
                    unit_code: code.clone(),
                    value,
                    sum,
                    breakdown,
                },
            ),
        };
        warnings.push(warning);
    }
    let scale = structure.scale;
    if !scale.unverified
        && let Some(total) = unit.values.total
        && (total < scale.min || total > scale.max)
    {
        warnings.push(unit.warn(
            "total",
            WarningKind::OutOfScale {
                unit_code: code.clone(),
                measure: "total".to_string(),
                value: total,
                min: scale.min,
                max: scale.max,
            },
        ));
    }
    for item in structure.items() {
        if let (Some(max), false, Some(&value)) = (
            item.max,
            item.unverified,
            unit.values.values.get(&item.code),
        ) && (value < 0.0 || value > max + 1e-9)
        {
            warnings.push(unit.warn(
                &item.code,
                WarningKind::OutOfScale {
                    unit_code: code.clone(),
                    measure: item.code.clone(),
                    value,
                    min: 0.0,
                    max,
                },
            ));
        }
    }
}

/// A dimension's entry, when it or one of its parts has a value.
fn dimension_report(
    item: &Dimension,
    values: &UnitValues,
    rank: Option<&u32>,
) -> Option<DimensionReport> {
    let value = values.values.get(&item.code).copied();
    let sub_dimensions: Vec<SubDimensionReport> = item
        .sub_dimensions
        .iter()
        .filter_map(|sub| {
            values
                .values
                .get(&sub.code)
                .map(|&value| SubDimensionReport {
                    code: sub.code.clone(),
                    title: sub.title.clone(),
                    value: Some(value),
                })
        })
        .collect();
    if value.is_none() && sub_dimensions.is_empty() {
        return None;
    }
    Some(DimensionReport {
        code: item.code.clone(),
        title: item.title.clone(),
        value,
        rank: rank.copied(),
        sub_dimensions,
    })
}
