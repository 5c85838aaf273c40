//! A province's figures of one index over the years, across the 2025 merger (docs/method.md
//! §6.5): a province that continues one earlier province has one line; a province formed
//! from several has each predecessor's line until 2024, its own from 2025, and an estimate of
//! the merged unit before it existed, always labelled an estimate with its weighting (equal
//! weights, or by population when every predecessor with a value has one). Changes are the
//! differences of the published values; a rank change is given only between two years ranked
//! among the same provinces (63 until 2024, 34 from 2025), never across the merger.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chiso_domain::change::{Weighting, combined_baseline, published_difference};
use chiso_domain::indices::ProvinceList;
use chiso_store::indices::HistoryValue;

use super::standing::{Province, Reference};

/// How a merged province's earlier figures are combined, as asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightingChoice {
    /// Every predecessor counts the same.
    #[default]
    Equal,
    /// Each predecessor by its population (the `population_file`).
    Population,
}

impl WeightingChoice {
    /// The word in addresses and settings: `deu` (equal) or `dan-so` (population); the
    /// settings also take `equal` and `population`.
    pub fn parse(text: &str) -> Option<WeightingChoice> {
        match text.trim() {
            "deu" | "equal" => Some(WeightingChoice::Equal),
            "dan-so" | "population" => Some(WeightingChoice::Population),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WeightingChoice::Equal => "deu",
            WeightingChoice::Population => "dan-so",
        }
    }
}

/// Populations of the 63 provinces by code, the weights of an estimate by population.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Populations {
    by_code: HashMap<String, f64>,
}

/// Why a population file cannot be used (said at start, naming the file).
#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    #[error("{file}, row {row}: {message}")]
    Row {
        file: String,
        row: usize,
        message: String,
    },
}

static LOADED: Mutex<Vec<(PathBuf, Arc<Populations>)>> = Mutex::new(Vec::new());

impl Populations {
    /// Reads `unit_code,population`: every code a province of the 63, every population a
    /// number above 0, each code once.
    pub fn parse(
        name: &str,
        bytes: &[u8],
        reference: &Reference,
    ) -> Result<Populations, PopulationError> {
        let unreadable = |message: String| PopulationError::Unreadable {
            file: name.to_string(),
            message,
        };
        let table = chiso_interchange::table::read_csv(name, bytes)
            .map_err(|e| unreadable(e.to_string()))?;
        let code = table
            .require("unit_code")
            .map_err(|e| unreadable(e.to_string()))?;
        let population = table
            .require("population")
            .map_err(|e| unreadable(e.to_string()))?;
        let mut by_code = HashMap::new();
        for row in &table.rows {
            let problem = |message: String| PopulationError::Row {
                file: name.to_string(),
                row: row.number,
                message,
            };
            let unit = row.get(Some(code)).trim();
            if reference.province(2024, unit).is_none() {
                return Err(problem(format!("{unit} is not one of the 63 provinces")));
            }
            let text = row.get(Some(population)).trim();
            let value: f64 = match text.parse() {
                Ok(v) if v > 0.0 && f64::is_finite(v) => v,
                _ => {
                    return Err(problem(format!(
                        "population {text} is not a number above 0"
                    )));
                }
            };
            if by_code.insert(unit.to_string(), value).is_some() {
                return Err(problem(format!("{unit} is listed twice")));
            }
        }
        Ok(Populations { by_code })
    }

    /// The file's populations, read once per process (the server reads it at start, so a
    /// wrong file stops the start).
    pub fn load(path: &Path, reference: &Reference) -> Result<Arc<Populations>, PopulationError> {
        let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, populations)) = loaded.iter().find(|(p, _)| p == path) {
            return Ok(populations.clone());
        }
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| PopulationError::Unreadable {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let populations = Arc::new(Populations::parse(&name, &bytes, reference)?);
        loaded.push((path.to_path_buf(), populations.clone()));
        Ok(populations)
    }

    pub fn get(&self, code: &str) -> Option<f64> {
        self.by_code.get(code).copied()
    }
}

/// How an estimate was combined: as asked, as done (population weights fall back to the
/// plain mean when a predecessor has none), and whether populations were missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightingUsed {
    pub asked: WeightingChoice,
    pub used: Weighting,
    /// Weighting by population was asked but no population is known for some predecessor.
    pub populations_missing: bool,
}

/// One year of a line.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The value, when published (a report may quote a rank alone).
    pub value: Option<f64>,
    pub rank: Option<u32>,
    pub rank_published: bool,
    /// The provinces of that year's list (63 or 34): a rank is "of" them.
    pub of: usize,
    /// The unit's name that year (a reused code named another province before 2025).
    pub name: String,
    /// For an estimate: the predecessors without a value that year, left out of it.
    pub left_out: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The province itself (and, when it continues one province, that province before 2025).
    Province,
    /// One of the provinces it was formed from, until 2024.
    Predecessor,
    /// The merged unit before it existed: an estimate from its predecessors.
    Estimate,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub code: String,
    pub name: String,
    pub kind: LineKind,
    pub points: BTreeMap<i32, Point>,
}

/// The change of the province's value against its previous year with a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub previous_year: i32,
    /// The difference of the published values (docs/method.md §2.11), when both have one.
    pub value: Option<f64>,
    /// Places gained (positive) or lost; only between years ranked among the same provinces.
    pub rank: Option<i64>,
    /// The two years rank different lists of provinces (63 and 34): no rank change.
    pub across_merger: bool,
    /// Measured against the estimate of the merged unit (labelled so).
    pub against_estimate: bool,
}

/// The province's trend of one index.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub lines: Vec<Line>,
    /// Every year with a point, oldest first.
    pub years: Vec<i32>,
    /// The change of the province's line at each of its years (after its first).
    pub changes: BTreeMap<i32, Change>,
    /// How the estimate was combined, when there is one.
    pub weighting: Option<WeightingUsed>,
}

impl Trend {
    /// The province's own line.
    pub fn province_line(&self) -> Option<&Line> {
        self.lines.iter().find(|l| l.kind == LineKind::Province)
    }

    /// The estimate line, for a merged province.
    pub fn estimate_line(&self) -> Option<&Line> {
        self.lines.iter().find(|l| l.kind == LineKind::Estimate)
    }
}

fn point_of(reference: &Reference, year: i32, row: &HistoryValue) -> Option<Point> {
    let rank = row.rank.and_then(|r| u32::try_from(r).ok());
    if row.value.is_none() && rank.is_none() {
        return None;
    }
    Some(Point {
        value: row.value,
        rank,
        rank_published: row.rank_published,
        of: reference.roster.for_year(year).len(),
        name: row.unit_name.clone(),
        left_out: Vec::new(),
    })
}

/// The trend of one index for the province, from its history (`history`: the rows of that
/// index for the province's codes, as `history_of_units` reads them).
pub fn build(
    reference: &Reference,
    province: &Province,
    history: &[&HistoryValue],
    asked: WeightingChoice,
    populations: Option<&Populations>,
) -> Trend {
    // The total of each code in each year it stands for the province.
    let mut totals: BTreeMap<(i32, &str), &HistoryValue> = BTreeMap::new();
    for row in history {
        let year = row.year as i32;
        if row.measure == "total" && province.is_unit(year, &row.unit_code) {
            totals.insert((year, row.unit_code.as_str()), row);
        }
    }
    let mut own = Line {
        code: province.code.clone(),
        name: province.name.clone(),
        kind: LineKind::Province,
        points: BTreeMap::new(),
    };
    let mut predecessors: Vec<Line> = Vec::new();
    if province.merged() {
        predecessors = province
            .predecessors
            .iter()
            .map(|p| Line {
                code: p.code.clone(),
                name: p.name.clone(),
                kind: LineKind::Predecessor,
                points: BTreeMap::new(),
            })
            .collect();
    }
    for (&(year, code), row) in &totals {
        let Some(point) = point_of(reference, year, row) else {
            continue;
        };
        match ProvinceList::of_year(year) {
            ProvinceList::Historical63 if province.merged() => {
                if let Some(line) = predecessors.iter_mut().find(|l| l.code == code) {
                    line.points.insert(year, point);
                }
            }
            _ => {
                own.points.insert(year, point);
            }
        }
    }
    let (estimate, weighting) = if province.merged() {
        let (line, used) = estimate(province, &predecessors, asked, populations);
        (Some(line), Some(used))
    } else {
        (None, None)
    };
    let changes = changes(&own, estimate.as_ref());
    let mut lines = predecessors;
    lines.extend(estimate);
    lines.push(own);
    lines.retain(|l| !l.points.is_empty());
    let mut years: Vec<i32> = lines
        .iter()
        .flat_map(|l| l.points.keys().copied())
        .collect();
    years.sort_unstable();
    years.dedup();
    Trend {
        lines,
        years,
        changes,
        weighting,
    }
}

/// The merged unit's estimate in every year a predecessor has a value (docs/method.md §6.5).
fn estimate(
    province: &Province,
    predecessors: &[Line],
    asked: WeightingChoice,
    populations: Option<&Populations>,
) -> (Line, WeightingUsed) {
    let weight = |code: &str| match asked {
        WeightingChoice::Equal => None,
        WeightingChoice::Population => populations.and_then(|p| p.get(code)),
    };
    let populations_missing = asked == WeightingChoice::Population
        && province
            .predecessors
            .iter()
            .any(|p| weight(&p.code).is_none());
    let mut used = if asked == WeightingChoice::Population && !populations_missing {
        Weighting::Weighted
    } else {
        Weighting::Mean
    };
    let mut points = BTreeMap::new();
    let years: std::collections::BTreeSet<i32> = predecessors
        .iter()
        .flat_map(|l| l.points.keys().copied())
        .collect();
    for year in years {
        let parts: Vec<(f64, Option<f64>)> = predecessors
            .iter()
            .filter_map(|l| {
                let value = l.points.get(&year)?.value?;
                Some((value, weight(&l.code)))
            })
            .collect();
        let Some((value, weighting)) = combined_baseline(&parts) else {
            continue;
        };
        if weighting == Weighting::Mean {
            used = Weighting::Mean;
        }
        let left_out = predecessors
            .iter()
            .filter(|l| l.points.get(&year).is_none_or(|p| p.value.is_none()))
            .map(|l| l.name.clone())
            .collect();
        points.insert(
            year,
            Point {
                value: Some(value),
                rank: None,
                rank_published: false,
                of: 0,
                name: province.name.clone(),
                left_out,
            },
        );
    }
    let line = Line {
        code: province.code.clone(),
        name: province.name.clone(),
        kind: LineKind::Estimate,
        points,
    };
    (
        line,
        WeightingUsed {
            asked,
            used,
            populations_missing,
        },
    )
}

/// Each year of the province's line against its previous year with a value; the first year
/// after the merger of a merged province against the estimate of the latest earlier year.
fn changes(own: &Line, estimate: Option<&Line>) -> BTreeMap<i32, Change> {
    let mut out = BTreeMap::new();
    let mut previous: Option<(i32, &Point)> = None;
    for (&year, point) in &own.points {
        let earlier = previous.map(|(y, p)| (y, p, false)).or_else(|| {
            estimate
                .and_then(|e| e.points.range(..year).next_back())
                .map(|(y, p)| (*y, p, true))
        });
        if let Some((previous_year, before, against_estimate)) = earlier {
            let across_merger = ProvinceList::of_year(previous_year) != ProvinceList::of_year(year);
            let rank = match (point.rank, before.rank) {
                (Some(now), Some(then)) if !across_merger && !against_estimate => {
                    Some(i64::from(then) - i64::from(now))
                }
                _ => None,
            };
            let value = match (point.value, before.value) {
                (Some(now), Some(then)) => Some(published_difference(now, then)),
                _ => None,
            };
            if value.is_some() || rank.is_some() {
                out.insert(
                    year,
                    Change {
                        previous_year,
                        value,
                        rank,
                        across_merger,
                        against_estimate,
                    },
                );
            }
        }
        previous = Some((year, point));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::indices::standing::reference;

    fn row(
        year: i64,
        code: &str,
        name: &str,
        value: Option<f64>,
        rank: Option<i64>,
    ) -> HistoryValue {
        HistoryValue {
            index_id: "par".into(),
            year,
            year_id: year,
            unit_code: code.into(),
            unit_name: name.into(),
            measure: "total".into(),
            value,
            rank,
            rank_published: true,
            group_number: None,
        }
    }

    fn merger_history() -> Vec<HistoryValue> {
        vec![
            row(2023, "45", "Quảng Trị", Some(84.0), Some(30)),
            row(2023, "44", "Quảng Bình", Some(80.0), Some(55)),
            row(2024, "45", "Quảng Trị", Some(85.0), Some(28)),
            row(2024, "44", "Quảng Bình", None, Some(50)),
            row(2025, "44", "Quảng Trị", Some(86.1), Some(12)),
            // Code 45 in 2025 is no province: never read as Quảng Trị.
            row(2025, "45", "?", Some(1.0), None),
        ]
    }

    fn populations() -> Populations {
        Populations::parse(
            "dan-so.csv",
            b"unit_code,population\n45,600000\n44,900000\n",
            reference(),
        )
        .unwrap()
    }

    #[test]
    fn a_merged_provinces_estimate_by_equal_weights_and_by_population() {
        let r = reference();
        let province = Province::resolve(r, "44").unwrap();
        let history = merger_history();
        let rows: Vec<&HistoryValue> = history.iter().collect();
        let equal = build(r, &province, &rows, WeightingChoice::Equal, None);
        let kinds: Vec<LineKind> = equal.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                LineKind::Predecessor,
                LineKind::Predecessor,
                LineKind::Estimate,
                LineKind::Province
            ]
        );
        let estimate = equal.estimate_line().unwrap();
        assert_eq!(estimate.points[&2023].value, Some(82.0));
        // 2024: Quảng Bình quotes a rank only: the estimate is Quảng Trị's, Quảng Bình listed
        // as left out.
        assert_eq!(estimate.points[&2024].value, Some(85.0));
        assert_eq!(estimate.points[&2024].left_out, ["Quảng Bình"]);
        let change = &equal.changes[&2025];
        assert!(change.against_estimate && change.rank.is_none());
        assert_eq!(change.value, Some(1.1));
        assert_eq!(equal.province_line().unwrap().points.len(), 1);
        assert_eq!(
            equal.weighting,
            Some(WeightingUsed {
                asked: WeightingChoice::Equal,
                used: Weighting::Mean,
                populations_missing: false
            })
        );
        // By population, 2023: 0.4 · 84 + 0.6 · 80 = 81.6.
        let weighted = build(
            r,
            &province,
            &rows,
            WeightingChoice::Population,
            Some(&populations()),
        );
        let value = weighted.estimate_line().unwrap().points[&2023]
            .value
            .unwrap();
        assert!((value - 81.6).abs() < 1e-9, "{value}");
        assert_eq!(weighted.weighting.unwrap().used, Weighting::Weighted);
        // Asked without populations: equal weights, and said so.
        let fallback = build(r, &province, &rows, WeightingChoice::Population, None);
        assert_eq!(
            fallback.estimate_line().unwrap().points[&2023].value,
            Some(82.0)
        );
        let used = fallback.weighting.unwrap();
        assert!(used.populations_missing && used.used == Weighting::Mean);
    }

    #[test]
    fn an_unchanged_province_has_one_line_and_no_rank_change_across_the_merger() {
        let r = reference();
        let province = Province::resolve(r, "46").unwrap();
        let history = [
            row(2023, "46", "Thừa Thiên Huế", Some(88.38), Some(17)),
            row(2024, "46", "Thừa Thiên Huế", Some(89.0), Some(10)),
            row(2025, "46", "Huế", Some(90.0), Some(3)),
        ];
        let rows: Vec<&HistoryValue> = history.iter().collect();
        let trend = build(r, &province, &rows, WeightingChoice::Equal, None);
        assert_eq!(trend.lines.len(), 1);
        assert!(trend.weighting.is_none());
        assert_eq!(trend.changes[&2024].rank, Some(7));
        assert_eq!(trend.changes[&2024].value, Some(0.62));
        let across = &trend.changes[&2025];
        assert!(across.across_merger && across.rank.is_none() && !across.against_estimate);
        assert_eq!(across.value, Some(1.0));
    }

    #[test]
    fn a_population_file_is_checked() {
        let r = reference();
        let bad = |text: &str| Populations::parse("p.csv", text.as_bytes(), r).is_err();
        assert!(bad("unit_code,population\n99,1000\n"), "not a province");
        assert!(bad("unit_code,population\n46,0\n"), "not above 0");
        assert!(bad("unit_code,population\n46,1\n46,2\n"), "twice");
        assert!(bad("unit_code\n46\n"), "no population column");
        assert_eq!(populations().get("44"), Some(900000.0));
        assert_eq!(
            WeightingChoice::parse("population"),
            Some(WeightingChoice::Population)
        );
        assert_eq!(
            WeightingChoice::parse("dan-so"),
            Some(WeightingChoice::Population)
        );
        assert_eq!(WeightingChoice::parse("x"), None);
    }
}
