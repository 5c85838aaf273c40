//! The bundled published figures (`data/published/`, docs/method.md §8) in the long format of
//! `indices.csv` (docs/formats.md §7.1), so that a fresh database loads them as its first
//! import. The mapping (docs/formats.md §8.15):
//!
//! - `par-index.csv`: provinces → index `par`, ministries → `par-ministry` (the Ministry of
//!   Justice as `BTP`); `index` → `total` with its `rank`; rows without a code (averages) →
//!   summary rows. `index_change` and `rank_change` are not carried (each is the difference
//!   with the previous year's row where that row is bundled).
//! - `par-components.csv` → `par` measures `results`, `impact`, `surveys`, `sipas`, `leaders`
//!   (the `total` row repeats `par-index.csv` and is left out; component ranks are not
//!   carried).
//! - `sipas.csv` → `sipas` `total` with its rank; its `points` → `par` measure `sipas` where
//!   `par-components.csv` does not give it; national rows → summary rows.
//! - `sipas-factors.csv` → `sipas` summary rows, measures `1`–`5` for F1–F5.
//! - `papi.csv` → `papi` `total` with its rank; `not-reported` → a province without a result;
//!   the five lowest of 2023 (`bottom-5`, no value each) and the `lowest` group are not
//!   carried.
//! - `internal-indices.csv` (a department's internal index) is not a national index: not
//!   carried.
//!
//! The `source` column keeps the files' keys (docs/method.md §8.5); a figure the files mark as
//! derived has ` (derived)` after its key.

use chiso_domain::indices::{Catalogue, Roster};
use chiso_interchange::csv_out::to_string;
use chiso_interchange::indices::{IndicesReport, ReadOptions, read_indices};
use chiso_interchange::table::{FileKind, Table, TableRow, read_csv};

use crate::{PUBLISHED_PAPI, PUBLISHED_PAR_COMPONENTS, PUBLISHED_PAR_INDEX, PUBLISHED_SIPAS};

const PUBLISHED_SIPAS_FACTORS: &str = include_str!("../../../data/published/sipas-factors.csv");

/// The ministries' codes used for the bundled figures.
const MINISTRY_CODES: &[(&str, &str)] = &[("Bộ Tư pháp", "BTP")];

fn table(name: &str, text: &str) -> Table {
    read_csv(name, text.as_bytes()).unwrap_or_else(|e| panic!("bundled {name}: {e}"))
}

struct Rows {
    rows: Vec<[String; 8]>,
}

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        index: &str,
        year: &str,
        code: &str,
        name: &str,
        measure: &str,
        value: &str,
        rank: &str,
        source: &str,
    ) {
        self.rows.push(
            [index, year, code, name, measure, value, rank, source].map(|c| c.trim().to_string()),
        );
    }
}

fn cell<'a>(table: &Table, row: &'a TableRow, column: &str) -> &'a str {
    row.get(table.column(column))
}

/// `par-index.csv`: provinces → `par`, ministries → `par-ministry`; derived rows marked.
fn par_rows(out: &mut Rows) {
    let par = table("par-index.csv", PUBLISHED_PAR_INDEX);
    for row in &par.rows {
        let get = |c: &str| cell(&par, row, c);
        let mut source = get("source").to_string();
        if get("derived") == "true" {
            source.push_str(" (derived)");
        }
        let ministry = get("level") == "ministry";
        let code = match (ministry, get("unit_code")) {
            (true, _) => MINISTRY_CODES
                .iter()
                .find(|(name, _)| *name == get("unit_name"))
                .map_or("", |(_, code)| code),
            (false, code) => code,
        };
        let index = if ministry { "par-ministry" } else { "par" };
        out.push(
            index,
            get("year"),
            code,
            get("unit_name"),
            "total",
            get("index"),
            get("rank"),
            &source,
        );
    }
}

/// `par-components.csv` → `par` component measures (its `total` repeats `par-index.csv`).
fn component_rows(out: &mut Rows, components: &Table) {
    for row in &components.rows {
        let get = |c: &str| cell(components, row, c);
        if get("component") == "total" {
            continue;
        }
        out.push(
            "par",
            get("year"),
            get("unit_code"),
            get("unit_name"),
            get("component"),
            get("points"),
            "",
            get("source"),
        );
    }
}

/// `sipas.csv` → `sipas` totals, and its points → `par` measure `sipas` where the components
/// lack it; `sipas-factors.csv` → national factor rows.
fn sipas_rows(out: &mut Rows, components: &Table) {
    let sipas = table("sipas.csv", PUBLISHED_SIPAS);
    for row in &sipas.rows {
        let get = |c: &str| cell(&sipas, row, c);
        out.push(
            "sipas",
            get("year"),
            get("unit_code"),
            get("unit_name"),
            "total",
            get("index"),
            get("rank"),
            get("source"),
        );
        let in_components = components.rows.iter().any(|c| {
            cell(components, c, "year") == get("year")
                && cell(components, c, "unit_code") == get("unit_code")
                && cell(components, c, "component") == "sipas"
        });
        if !get("points").is_empty() && !get("unit_code").is_empty() && !in_components {
            out.push(
                "par",
                get("year"),
                get("unit_code"),
                get("unit_name"),
                "sipas",
                get("points"),
                "",
                get("source"),
            );
        }
    }
    let factors = table("sipas-factors.csv", PUBLISHED_SIPAS_FACTORS);
    for row in &factors.rows {
        let get = |c: &str| cell(&factors, row, c);
        let measure = get("factor_code").trim_start_matches('F');
        out.push(
            "sipas",
            get("year"),
            "",
            "Toàn quốc",
            measure,
            get("index"),
            "",
            get("source"),
        );
    }
}

/// `papi.csv` → `papi` totals; the five lowest of 2023 (no value each) are not carried.
fn papi_rows(out: &mut Rows) {
    let papi = table("papi.csv", PUBLISHED_PAPI);
    for row in &papi.rows {
        let get = |c: &str| cell(&papi, row, c);
        if get("group") == "bottom-5" {
            continue;
        }
        out.push(
            "papi",
            get("year"),
            get("unit_code"),
            get("unit_name"),
            "total",
            get("total"),
            get("rank"),
            get("source"),
        );
    }
}

/// The bundled figures as one `indices.csv` (indices `par`, `par-ministry`, `sipas`, `papi`,
/// with a `source` column).
pub fn published_indices_csv() -> String {
    let mut out = Rows { rows: Vec::new() };
    let components = table("par-components.csv", PUBLISHED_PAR_COMPONENTS);
    par_rows(&mut out);
    component_rows(&mut out, &components);
    sipas_rows(&mut out, &components);
    papi_rows(&mut out);
    let header = [
        "index",
        "year",
        "unit_code",
        "unit_name",
        "measure",
        "value",
        "rank",
        "source",
    ]
    .map(str::to_string);
    to_string(std::iter::once(header).chain(out.rows))
}

/// The indices of the bundled figures.
pub const PUBLISHED_INDICES: [&str; 4] = ["par", "par-ministry", "sipas", "papi"];

/// The bundled figures read as the first import reads them: one report per index.
pub fn published_reports(catalogue: &Catalogue, roster: &Roster) -> Vec<IndicesReport> {
    let csv = published_indices_csv();
    PUBLISHED_INDICES
        .iter()
        .map(|index| {
            let options = ReadOptions {
                catalogue,
                roster,
                index: Some(index),
                year: None,
            };
            read_indices("published.csv", csv.as_bytes(), FileKind::Csv, options)
                .unwrap_or_else(|e| panic!("bundled published figures, {index}: {e}"))
        })
        .collect()
}
