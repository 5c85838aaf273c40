//! Workbooks as their publishers distribute them (docs/formats.md §7.5): PAPI's provincial
//! workbook (a sheet per year, English and Vietnamese header rows, id and names, each
//! dimension followed by its sub-dimensions, the total, summary rows below), and MoHA's yearly
//! PAR INDEX and SIPAS tables (one row per province, a column per area, component or factor).
//! Columns are found by their headers against the year's structure, never by position; every
//! surprise is a warning naming the sheet, row and column.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::indices::{Structure, UnitScope, UnitValues};

use super::assemble::{Cell, RawUnit, RawYear, assemble};
use super::headers::{ColumnRole, HeaderKeys, fold, is_summary_name, year_in};
use super::model::{IndicesReport, SkipKind, Skipped, Warning, WarningKind};
use super::{IndicesProblem, ReadOptions, parse_number, problem};
use crate::error::InputError;
use crate::sheet::{GridSheet, column_letters};

/// Header rows are looked for among the first rows of a sheet.
const HEADER_SEARCH_ROWS: usize = 40;
/// At most this many header rows (English, Vietnamese, a units line…).
const MAX_HEADER_ROWS: usize = 4;

pub(super) fn read(
    file: &str,
    sheets: &[GridSheet],
    options: ReadOptions<'_>,
) -> Result<IndicesReport, InputError> {
    let known: Vec<String> = options
        .catalogue
        .indices()
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    let Some(index) = options.index.map(str::to_lowercase) else {
        return Err(problem(
            file,
            None,
            IndicesProblem::IndexNeeded { found: Vec::new() },
        ));
    };
    if !options.catalogue.knows(&index) {
        return Err(problem(
            file,
            None,
            IndicesProblem::UnknownIndex { index, known },
        ));
    }
    let mut warnings = Vec::new();
    let mut years: BTreeMap<i32, RawYear> = BTreeMap::new();
    for sheet in sheets {
        let Some(raw) = read_sheet(sheet, &index, options, &mut warnings)? else {
            continue;
        };
        match years.get_mut(&raw.year) {
            Some(year) => {
                year.units.extend(raw.units);
                year.skipped.extend(raw.skipped);
            }
            None => {
                years.insert(raw.year, raw);
            }
        }
    }
    if years.is_empty() {
        return Err(problem(file, None, IndicesProblem::NoLayout));
    }
    let mut reports = Vec::with_capacity(years.len());
    for raw in years.into_values() {
        reports.push(assemble(file, raw, options.roster, &mut warnings)?);
    }
    Ok(IndicesReport {
        index,
        years: reports,
        warnings,
    })
}

/// The columns of one sheet.
#[derive(Default)]
struct Layout {
    id: Option<usize>,
    names: Vec<usize>,
    rank: Option<usize>,
    total: Option<usize>,
    items: Vec<(String, usize)>,
}

fn read_sheet(
    sheet: &GridSheet,
    index: &str,
    options: ReadOptions<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<RawYear>, InputError> {
    let name = sheet.name.as_str();
    let warn = |row: Option<u64>, column: Option<usize>, kind: WarningKind| {
        Warning::new(
            name,
            row.map(|r| r as usize),
            column.map(|c| column_letters(c as u32)),
            kind,
        )
    };
    let Some(year) = year_in(name).or_else(|| title_year(sheet)).or(options.year) else {
        warnings.push(warn(None, None, WarningKind::SheetWithoutYear));
        return Ok(None);
    };
    let Some(structure) = options.catalogue.for_year(index, year) else {
        warnings.push(warn(None, None, WarningKind::NoStructure { year }));
        return Ok(None);
    };
    let keys = HeaderKeys::new(structure);
    let Some((first, last)) = header_block(sheet, &keys) else {
        warnings.push(warn(None, None, WarningKind::SheetWithoutLayout { year }));
        return Ok(None);
    };
    let header_rows = &sheet.rows[first..=last];
    let layout = layout(
        structure,
        &keys,
        year,
        header_rows,
        &mut |row, column, kind| {
            warnings.push(warn(Some(row), Some(column), kind));
        },
    );
    let header_row = header_rows[0].0;
    if (layout.items.is_empty() && layout.total.is_none())
        || (layout.id.is_none() && layout.names.is_empty())
    {
        warnings.push(warn(
            Some(header_row),
            None,
            WarningKind::SheetWithoutLayout { year },
        ));
        return Ok(None);
    }
    if layout.id.is_none() && structure.units == UnitScope::Province {
        warnings.push(warn(Some(header_row), None, WarningKind::NoCodeColumn));
    }
    for item in structure.items() {
        if !layout.items.iter().any(|(code, _)| code == &item.code) {
            warnings.push(warn(
                Some(header_row),
                None,
                WarningKind::MissingColumn {
                    code: item.code.clone(),
                    title: item.title.clone(),
                },
            ));
        }
    }
    let mut raw = RawYear {
        year,
        structure: structure.clone(),
        units: Vec::new(),
        skipped: Vec::new(),
        summaries: Vec::new(),
    };
    let mut previous: Option<u64> = None;
    for (number, cells) in &sheet.rows[last + 1..] {
        if let Some(previous) = previous
            && *number > previous + 1
        {
            let mut empty = Skipped::new(name, previous as usize + 1, SkipKind::Empty);
            if *number > previous + 2 {
                empty.last_row = Some(*number as usize - 1);
            }
            raw.skipped.push(empty);
        }
        previous = Some(*number);
        read_row(
            sheet,
            structure,
            &layout,
            year,
            (*number, cells),
            options,
            &mut raw,
            warnings,
        )?;
    }
    Ok(Some(raw))
}

/// The header rows: the first row (among the first [`HEADER_SEARCH_ROWS`]) that looks like a
/// header, and the rows below it that hold no number, [`MAX_HEADER_ROWS`] at most.
fn header_block(sheet: &GridSheet, keys: &HeaderKeys) -> Option<(usize, usize)> {
    let first = sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| looks_like_header(keys, cells))?;
    let mut last = first;
    while last + 1 < sheet.rows.len()
        && last + 1 - first < MAX_HEADER_ROWS
        && !sheet.rows[last + 1].1.iter().any(|c| is_number(c))
    {
        last += 1;
    }
    Some((first, last))
}

/// A row with at least two recognised headers, one of them the total or an item.
fn looks_like_header(keys: &HeaderKeys, cells: &[String]) -> bool {
    let roles: Vec<ColumnRole> = cells.iter().filter_map(|c| keys.classify(c)).collect();
    roles.len() >= 2
        && roles
            .iter()
            .any(|r| matches!(r, ColumnRole::Item(_) | ColumnRole::Total { .. }))
}

fn is_number(text: &str) -> bool {
    matches!(parse_number(text), Ok(Some(_)))
}

/// The year written in the title rows above the header (a row with no number in it), as
/// MoHA's one-sheet tables give it ("KẾT QUẢ CHỈ SỐ CCHC NĂM 2023").
fn title_year(sheet: &GridSheet) -> Option<i32> {
    sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .take_while(|(_, cells)| !cells.iter().any(|c| is_number(c)))
        .flat_map(|(_, cells)| cells.iter())
        .find_map(|c| year_in(c))
}

/// Each column's role from its headers, top row first; surprises reported through `warn`.
fn layout(
    structure: &Structure,
    keys: &HeaderKeys,
    year: i32,
    header_rows: &[(u64, Vec<String>)],
    warn: &mut dyn FnMut(u64, usize, WarningKind),
) -> Layout {
    let width = header_rows.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
    let mut layout = Layout::default();
    for column in 0..width {
        let headers: Vec<(u64, &str)> = header_rows
            .iter()
            .filter_map(|(row, cells)| {
                let text = cells.get(column)?.trim();
                (!text.is_empty()).then_some((*row, text))
            })
            .collect();
        let roles: Vec<(u64, &str, ColumnRole)> = headers
            .iter()
            .filter_map(|&(row, text)| keys.classify(text).map(|role| (row, text, role)))
            .collect();
        let Some((row, text, role)) = roles.first().cloned() else {
            if let Some(&(row, text)) = headers.first() {
                warn(
                    row,
                    column,
                    WarningKind::UnknownColumn {
                        header: text.to_string(),
                    },
                );
            }
            continue;
        };
        if let ColumnRole::Item(code) = &role {
            for (other_row, _, other) in &roles[1..] {
                if let ColumnRole::Item(other) = other
                    && other != code
                {
                    warn(
                        *other_row,
                        column,
                        WarningKind::HeaderConflict {
                            read_as: code.clone(),
                            other: other.clone(),
                        },
                    );
                }
            }
        }
        let twice = |code: &str, first: usize| WarningKind::ColumnTwice {
            code: code.to_string(),
            first_column: column_letters(first as u32),
        };
        match role {
            ColumnRole::Id if layout.id.is_none() => layout.id = Some(column),
            ColumnRole::Name => layout.names.push(column),
            ColumnRole::Rank if layout.rank.is_none() => layout.rank = Some(column),
            ColumnRole::Total { year: named } => {
                if let Some(first) = layout.total {
                    warn(row, column, twice("total", first));
                    continue;
                }
                if let Some(named) = named.filter(|n| *n != year) {
                    warn(
                        row,
                        column,
                        WarningKind::TotalHeaderYear {
                            header_year: named,
                            year,
                        },
                    );
                }
                layout.total = Some(column);
            }
            ColumnRole::Weighted => warn(
                row,
                column,
                WarningKind::WeightedTotal {
                    header: text.to_string(),
                },
            ),
            ColumnRole::Item(code) => match layout.items.iter().find(|(c, _)| *c == code) {
                Some(&(_, first)) => warn(row, column, twice(&code, first)),
                None => layout.items.push((code, column)),
            },
            ColumnRole::Serial | ColumnRole::Id | ColumnRole::Rank => {}
        }
    }
    // Items in the structure's order, whatever the columns' order.
    let order: Vec<&str> = structure.items().map(|d| d.code.as_str()).collect();
    layout
        .items
        .sort_by_key(|(code, _)| order.iter().position(|c| c == code));
    layout
}

/// One row below the header as its cells say it: the id, the names, the unit's name.
struct RowText<'a> {
    id: &'a str,
    names: Vec<&'a str>,
    /// The Vietnamese name (the one written with marks), else the first.
    unit_name: String,
}

impl<'a> RowText<'a> {
    fn of(structure: &Structure, layout: &Layout, cells: &'a [String]) -> RowText<'a> {
        let cell = |column: usize| cells.get(column).map_or("", |c| c.trim());
        let mut names: Vec<&str> = layout
            .names
            .iter()
            .map(|&c| cell(c))
            .filter(|n| !n.is_empty())
            .collect();
        let mut id = layout.id.map_or("", cell);
        // A province's id is a number: text in the id column is a label (a note, "Cao nhất").
        if structure.units == UnitScope::Province && !id.is_empty() && id.parse::<u32>().is_err() {
            names.push(id);
            id = "";
        }
        let unit_name = names
            .iter()
            .find(|n| !n.is_ascii())
            .or(names.first())
            .map_or(String::new(), |n| n.to_string());
        RowText {
            id,
            names,
            unit_name,
        }
    }

    /// A summary row (an id of 0 or from 100, or a name such as "Cao nhất"), with the id it
    /// gives.
    fn summary(&self) -> Option<Option<String>> {
        if let Ok(n) = self.id.parse::<u32>() {
            return (n == 0 || n >= 100).then(|| Some(self.id.to_string()));
        }
        (is_summary_name(self.id) || self.names.iter().any(|n| is_summary_name(n))).then_some(None)
    }
}

/// Where a row's values stand and what they are.
struct RowValues {
    values: BTreeMap<String, f64>,
    total: Option<f64>,
    cells: HashMap<String, Cell>,
}

/// The numbers of a row's item and total columns; a cell that holds no number is an error.
fn row_values(
    sheet: &str,
    layout: &Layout,
    row: usize,
    cells: &[String],
) -> Result<RowValues, InputError> {
    let at = |column: usize| Cell {
        row,
        column: column_letters(column as u32),
    };
    let number_at = |column: usize| {
        let text = cells.get(column).map_or("", |c| c.trim());
        parse_number(text).map_err(|()| {
            problem(
                sheet,
                Some(row),
                IndicesProblem::NotANumber {
                    column: column_letters(column as u32),
                    text: text.to_string(),
                },
            )
        })
    };
    let mut out = RowValues {
        values: BTreeMap::new(),
        total: None,
        cells: HashMap::new(),
    };
    for (code, column) in &layout.items {
        if let Some(value) = number_at(*column)? {
            out.values.insert(code.clone(), value);
        }
        out.cells.insert(code.clone(), at(*column));
    }
    if let Some(column) = layout.total {
        out.cells.insert("total".to_string(), at(column));
        out.total = number_at(column)?;
    }
    if let Some(column) = layout.id {
        out.cells.insert("unit_code".to_string(), at(column));
    }
    Ok(out)
}

/// The unit's code: its id, or for a province written by name only, the province of the year
/// with that name (`None`: no such province, warned).
fn unit_code(
    sheet: &str,
    structure: &Structure,
    year: i32,
    row: usize,
    text: &RowText<'_>,
    options: ReadOptions<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    let warn = |kind| Warning::new(sheet, Some(row), None, kind);
    match (text.id, structure.units) {
        ("", UnitScope::Ministry) => Some(text.unit_name.clone()),
        ("", UnitScope::Province) => {
            let found = text
                .names
                .iter()
                .find_map(|n| options.roster.by_name(year, n));
            match found {
                Some(unit) => {
                    if !text.names.iter().any(|n| fold(n) == fold(&unit.name)) {
                        warnings.push(warn(WarningKind::NamedUnit {
                            name: text.unit_name.clone(),
                            unit_code: unit.code.clone(),
                        }));
                    }
                    Some(unit.code.clone())
                }
                None => {
                    warnings.push(warn(WarningKind::UnknownUnit {
                        name: text.unit_name.clone(),
                    }));
                    None
                }
            }
        }
        (id, UnitScope::Province) => Some(super::province_code(id)),
        (id, UnitScope::Ministry) => Some(id.to_string()),
    }
}

/// Reads one row below the header: a unit, a summary row, a note, or a province without a
/// result.
#[allow(clippy::too_many_arguments)]
fn read_row(
    sheet: &GridSheet,
    structure: &Structure,
    layout: &Layout,
    year: i32,
    (number, row_cells): (u64, &[String]),
    options: ReadOptions<'_>,
    raw: &mut RawYear,
    warnings: &mut Vec<Warning>,
) -> Result<(), InputError> {
    let name = sheet.name.as_str();
    let row = number as usize;
    let text = RowText::of(structure, layout, row_cells);
    let skip = |kind: SkipKind, code: Option<String>| {
        Skipped::new(name, row, kind).unit(code, Some(text.unit_name.clone()))
    };
    // Summary rows first: their cells need not be numbers.
    if let Some(id) = text.summary() {
        raw.skipped.push(skip(SkipKind::Summary, id));
        return Ok(());
    }
    let RowValues {
        values,
        total,
        mut cells,
    } = row_values(name, layout, row, row_cells)?;
    if text.id.is_empty() && text.names.is_empty() {
        let kind = if values.is_empty() && total.is_none() {
            SkipKind::Note
        } else {
            SkipKind::Summary
        };
        raw.skipped.push(skip(kind, None));
        return Ok(());
    }
    let Some(code) = unit_code(name, structure, year, row, &text, options, warnings) else {
        raw.skipped.push(skip(SkipKind::Note, None));
        return Ok(());
    };
    // A province without a result: every cell empty, or 0 from a formula over empty cells.
    if values.values().all(|v| *v == 0.0) && total.is_none_or(|t| t == 0.0) {
        raw.skipped.push(skip(SkipKind::NoResult, Some(code)));
        return Ok(());
    }
    let published_rank = match layout.rank {
        Some(column) => published_rank(name, row, column, row_cells, &mut cells)?,
        None => None,
    };
    raw.units.push(RawUnit {
        values: UnitValues {
            unit_code: code,
            unit_name: text.unit_name.clone(),
            total,
            values,
            published_rank,
        },
        sheet: name.to_string(),
        row,
        cells,
        source: None,
        total_derived: false,
    });
    Ok(())
}

/// The rank a row's rank column publishes, if any: a whole number from 1.
fn published_rank(
    sheet: &str,
    row: usize,
    column: usize,
    row_cells: &[String],
    cells: &mut HashMap<String, Cell>,
) -> Result<Option<u32>, InputError> {
    let written = row_cells.get(column).map_or("", |c| c.trim());
    if written.is_empty() {
        return Ok(None);
    }
    cells.insert(
        "rank".to_string(),
        Cell {
            row,
            column: column_letters(column as u32),
        },
    );
    let rank = written.parse::<u32>().ok().filter(|r| *r >= 1);
    rank.map(Some).ok_or_else(|| {
        problem(
            sheet,
            Some(row),
            IndicesProblem::BadRank {
                text: written.to_string(),
            },
        )
    })
}
