//! `indices.csv`, the long format (docs/formats.md §7.1): one row per unit, year and measure.
//! Extensions (docs/formats.md §8.13): a row without `unit_code` is a summary figure (a
//! national mean); a row with an empty `value` and a `rank` is a published rank alone; a unit
//! whose rows all have an empty `value` and no rank is listed without a result; an optional
//! `source` column.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::indices::{Structure, UnitScope, UnitValues};

use super::assemble::{Cell, RawUnit, RawYear, assemble};
use super::model::{IndicesReport, SkipKind, Skipped, SummaryValue, Warning, WarningKind};
use super::{IndicesProblem, ReadOptions, ad_hoc_structure, parse_number, problem, province_code};
use crate::error::InputError;
use crate::table::{Table, TableRow};

const REQUIRED: [&str; 5] = ["index", "year", "unit_code", "measure", "value"];

/// Whether a table has the long format's columns.
pub(super) fn is_long(table: &Table) -> bool {
    REQUIRED.iter().all(|c| table.column(c).is_some())
}

struct Columns {
    index: usize,
    year: usize,
    unit_code: usize,
    unit_name: Option<usize>,
    measure: usize,
    value: usize,
    rank: Option<usize>,
    source: Option<usize>,
}

/// A unit being gathered from its rows.
struct Gathering {
    unit: RawUnit,
    /// A row of the unit held a value or a rank.
    any_result: bool,
}

pub(super) fn read(table: &Table, options: ReadOptions<'_>) -> Result<IndicesReport, InputError> {
    let file = table.name.as_str();
    let columns = Columns {
        index: table.require("index")?,
        year: table.require("year")?,
        unit_code: table.require("unit_code")?,
        unit_name: table.column("unit_name"),
        measure: table.require("measure")?,
        value: table.require("value")?,
        rank: table.column("rank"),
        source: table.column("source"),
    };
    let index = choose_index(table, &columns, options.index)?;
    let mut warnings = Vec::new();
    let rows = rows_of_index(table, &columns, &index, &mut warnings);
    let ad_hoc = (!options.catalogue.knows(&index)).then(|| {
        let mut measures: Vec<String> = rows
            .iter()
            .map(|r| r.get(Some(columns.measure)).to_string())
            .filter(|m| !m.is_empty() && !m.eq_ignore_ascii_case("total"))
            .collect();
        measures.sort();
        measures.dedup();
        ad_hoc_structure(&index, &measures)
    });
    let mut years: BTreeMap<i32, (Structure, Vec<Gathering>, Vec<SummaryValue>)> = BTreeMap::new();
    let mut years_without: Vec<i32> = Vec::new();
    for row in rows {
        let year_text = row.get(Some(columns.year));
        let year = year_text
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2100).contains(y))
            .ok_or_else(|| {
                problem(
                    file,
                    Some(row.number),
                    IndicesProblem::BadYear {
                        text: year_text.to_string(),
                    },
                )
            })?;
        let structure = match &ad_hoc {
            Some(structure) => structure,
            None => match options.catalogue.for_year(&index, year) {
                Some(structure) => structure,
                None => {
                    if !years_without.contains(&year) {
                        years_without.push(year);
                        warnings.push(Warning::new(
                            file,
                            Some(row.number),
                            Some("year".to_string()),
                            WarningKind::NoStructure { year },
                        ));
                    }
                    continue;
                }
            },
        };
        let entry = years
            .entry(year)
            .or_insert_with(|| (structure.clone(), Vec::new(), Vec::new()));
        read_row(file, row, &columns, entry, &mut warnings)?;
    }
    let mut reports = Vec::with_capacity(years.len());
    for (year, (structure, gathered, summaries)) in years {
        let raw = raw_year(file, year, structure, gathered, summaries);
        reports.push(assemble(file, raw, options.roster, &mut warnings)?);
    }
    if reports.is_empty() {
        return Err(problem(file, None, IndicesProblem::IndexAbsent { index }));
    }
    Ok(IndicesReport {
        index,
        years: reports,
        warnings,
    })
}

/// The rows of the chosen index; the others are counted in one warning per index.
fn rows_of_index<'t>(
    table: &'t Table,
    columns: &Columns,
    index: &str,
    warnings: &mut Vec<Warning>,
) -> Vec<&'t TableRow> {
    let mut other: BTreeMap<String, usize> = BTreeMap::new();
    let rows = table
        .rows
        .iter()
        .filter(|row| {
            let this = row.get(Some(columns.index)).to_lowercase();
            if this == index {
                return true;
            }
            *other.entry(this).or_default() += 1;
            false
        })
        .collect();
    for (other_index, count) in other {
        warnings.push(Warning::new(
            &table.name,
            None,
            Some("index".to_string()),
            WarningKind::OtherIndex {
                index: other_index,
                rows: count,
            },
        ));
    }
    rows
}

/// A year's gathered units: those with a value or a rank, and those listed without a result.
fn raw_year(
    file: &str,
    year: i32,
    structure: Structure,
    gathered: Vec<Gathering>,
    summaries: Vec<SummaryValue>,
) -> RawYear {
    let mut units = Vec::new();
    let mut skipped = Vec::new();
    for g in gathered {
        if g.any_result {
            units.push(g.unit);
        } else {
            let name = Some(g.unit.values.unit_name.clone());
            skipped.push(
                Skipped::new(file, g.unit.row, SkipKind::NoResult)
                    .unit(Some(g.unit.values.unit_code.clone()), name),
            );
        }
    }
    RawYear {
        year,
        structure,
        units,
        skipped,
        summaries,
    }
}

/// A row's `value` and `rank`: a number or nothing, a whole number from 1 or nothing.
fn value_and_rank(
    file: &str,
    row: &TableRow,
    columns: &Columns,
) -> Result<(Option<f64>, Option<u32>), InputError> {
    let text = row.get(Some(columns.value));
    let value = parse_number(text).map_err(|()| {
        problem(
            file,
            Some(row.number),
            IndicesProblem::NotANumber {
                column: "value".to_string(),
                text: text.to_string(),
            },
        )
    })?;
    let rank = match row.get(columns.rank) {
        "" => None,
        text => Some(
            text.parse::<u32>()
                .ok()
                .filter(|r| *r >= 1)
                .ok_or_else(|| {
                    problem(
                        file,
                        Some(row.number),
                        IndicesProblem::BadRank {
                            text: text.to_string(),
                        },
                    )
                })?,
        ),
    };
    Ok((value, rank))
}

/// The position of the unit `code` among the year's gathered units, added at its first row.
fn gathering(gathered: &mut Vec<Gathering>, code: &str, file: &str, at: Cell) -> usize {
    if let Some(position) = gathered
        .iter()
        .position(|g| g.unit.values.unit_code == code)
    {
        return position;
    }
    gathered.push(Gathering {
        unit: RawUnit {
            values: UnitValues {
                unit_code: code.to_string(),
                ..UnitValues::default()
            },
            sheet: file.to_string(),
            row: at.row,
            cells: HashMap::from([("unit_code".to_string(), at)]),
            source: None,
            total_derived: false,
        },
        any_result: false,
    });
    gathered.len() - 1
}

/// The index asked for, or the file's only one.
fn choose_index(
    table: &Table,
    columns: &Columns,
    asked: Option<&str>,
) -> Result<String, InputError> {
    let mut found: Vec<String> = table
        .rows
        .iter()
        .map(|r| r.get(Some(columns.index)).to_lowercase())
        .filter(|i| !i.is_empty())
        .collect();
    found.sort();
    found.dedup();
    match asked {
        Some(index) => {
            let index = index.to_lowercase();
            if found.contains(&index) {
                Ok(index)
            } else {
                Err(problem(
                    &table.name,
                    None,
                    IndicesProblem::IndexAbsent { index },
                ))
            }
        }
        None if found.len() == 1 => Ok(found.remove(0)),
        None if found.is_empty() => Err(problem(&table.name, None, IndicesProblem::NoLayout)),
        None => Err(problem(
            &table.name,
            None,
            IndicesProblem::IndexNeeded { found },
        )),
    }
}

/// One row into its unit (or the year's summaries).
fn read_row(
    file: &str,
    row: &TableRow,
    columns: &Columns,
    (structure, gathered, summaries): &mut (Structure, Vec<Gathering>, Vec<SummaryValue>),
    warnings: &mut Vec<Warning>,
) -> Result<(), InputError> {
    let at = |column: &str| Cell {
        row: row.number,
        column: column.to_string(),
    };
    let measure_text = row.get(Some(columns.measure));
    let measure = if measure_text.eq_ignore_ascii_case("total") {
        "total".to_string()
    } else if structure.item(measure_text).is_some() {
        measure_text.to_string()
    } else {
        warnings.push(Warning::new(
            file,
            Some(row.number),
            Some("measure".to_string()),
            WarningKind::UnknownMeasure {
                measure: measure_text.to_string(),
            },
        ));
        return Ok(());
    };
    let (value, rank) = value_and_rank(file, row, columns)?;
    let name = row.get(columns.unit_name).to_string();
    let source = Some(row.get(columns.source).to_string()).filter(|s| !s.is_empty());
    let written = row.get(Some(columns.unit_code));
    if written.is_empty() {
        if let Some(value) = value {
            summaries.push(SummaryValue {
                unit_name: name,
                measure,
                value,
                source,
            });
        }
        return Ok(());
    }
    let code = match structure.units {
        UnitScope::Province => province_code(written),
        UnitScope::Ministry => written.to_string(),
    };
    if code != written {
        warnings.push(Warning::new(
            file,
            Some(row.number),
            Some("unit_code".to_string()),
            WarningKind::CodePadded {
                written: written.to_string(),
                read_as: code.clone(),
            },
        ));
    }
    let position = gathering(gathered, &code, file, at("unit_code"));
    let g = &mut gathered[position];
    if g.unit.values.unit_name.is_empty() {
        g.unit.values.unit_name = name;
    }
    if g.unit.source.is_none() {
        g.unit.source = source;
    }
    if let Some(first) = g.unit.cells.get(&measure) {
        warnings.push(Warning::new(
            file,
            Some(row.number),
            Some("measure".to_string()),
            WarningKind::Repeated {
                unit_code: code,
                first_row: first.row,
                measure: Some(measure),
            },
        ));
        return Ok(());
    }
    g.unit.cells.insert(measure.clone(), at("value"));
    g.any_result |= value.is_some() || (measure == "total" && rank.is_some());
    if measure == "total" {
        g.unit.values.total = value;
        if let Some(rank) = rank {
            g.unit.values.published_rank = Some(rank);
            g.unit.cells.insert("rank".to_string(), at("rank"));
        }
    } else if let Some(value) = value {
        g.unit.values.values.insert(measure, value);
    }
    Ok(())
}
