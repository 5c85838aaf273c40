//! `units.csv` (docs/formats.md §2), `scores.csv` (§3), unit lineage and `previous.json`.

use std::collections::{HashMap, HashSet};

use chiso_domain::change::{Lineage, Predecessor, PreviousArea, PreviousUnit, PreviousYear};
use chiso_domain::compute::{check_leaf_points, points_from_input};
use chiso_domain::{Framework, NodeId, Points, ScoreSheet, UnitInput};
use serde::Deserialize;

use crate::error::{InputError, InputErrors, Problem};
use crate::sheet::group_digits;
use crate::table::Table;

/// One row of `units.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRecord {
    pub code: String,
    pub name: Option<String>,
    pub region: Option<String>,
}

/// Reads `units.csv`: `unit_code,unit_name,region` (region optional). Codes stay strings:
/// `01` is never `1`.
pub fn read_units(table: &Table) -> Result<Vec<UnitRecord>, InputErrors> {
    let code = table.require("unit_code")?;
    let name = table.column("unit_name");
    let region = table.column("region");
    let mut errors = InputErrors::default();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    let mut units = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let error = |problem| InputError::problem(&table.name, Some(row.number), problem);
        if row.len() > table.headers.len() {
            errors.push(error(Problem::ColumnCount {
                found: row.len(),
                expected: table.headers.len(),
            }));
            continue;
        }
        let unit_code = row.get(Some(code));
        if unit_code.is_empty() {
            errors.push(error(Problem::EmptyUnitCode));
            continue;
        }
        if let Some(first) = first_row.insert(unit_code.to_string(), row.number) {
            errors.push(error(Problem::UnitCodeRepeated {
                code: unit_code.to_string(),
                first_row: first,
            }));
            continue;
        }
        let text = |column| Some(row.get(column).to_string()).filter(|s| !s.is_empty());
        units.push(UnitRecord {
            code: unit_code.to_string(),
            name: text(name),
            region: text(region),
        });
    }
    errors.into_result(units)
}

/// Units read from `scores.csv`, in order of first appearance.
#[derive(Clone, Debug)]
pub struct ScoresInput {
    pub units: Vec<UnitInput>,
    /// Names from the optional `unit_name` column.
    pub names: HashMap<String, String>,
}

/// Distinct units in one scores file: each costs a score sheet, a result and a row of every
/// output. Vietnam has about 3,300 communes and wards (10,600 before 2025).
pub const MAX_SCORED_UNITS: usize = 20_000;

/// Distinct units × framework nodes in one scores file: the score sheets and results grow
/// with both (about 100 bytes per unit and node with the JSON output). 10,000 communes on a
/// 150-node framework is 1.5 million.
pub const MAX_UNIT_NODES: usize = 2_000_000;

/// The most distinct units a scores file may hold for `framework`.
pub fn max_scored_units(framework: &Framework) -> usize {
    (MAX_UNIT_NODES / framework.nodes().len().max(1)).min(MAX_SCORED_UNITS)
}

/// Reads `scores.csv`: `unit_code,code,points` (long format), optional `unit_name`, and the
/// extension column `input` for leaves with an input rule (threshold, proportional, survey):
/// when `points` is blank the rule computes them; when both are given they must agree.
/// `known_units` (from `units.csv`) rejects codes it does not list, which catches `01`
/// turned into `1` by a spreadsheet. Every bad row is reported; nothing is returned while
/// there is one (docs/formats.md §3).
pub fn read_scores(
    table: &Table,
    framework: &Framework,
    known_units: Option<&HashSet<String>>,
) -> Result<ScoresInput, InputErrors> {
    let mut errors = InputErrors::default();
    let columns = [
        table.require("unit_code"),
        table.require("code"),
        table.require("points"),
    ];
    if columns.iter().any(Result::is_err) {
        errors.0.extend(columns.into_iter().filter_map(Result::err));
        return Err(errors);
    }
    let [unit_column, code_column, points_column] = columns.map(|c| c.ok());
    let name_column = table.column("unit_name");
    let input_column = table.column("input");

    let mut scored = ScoredUnits::new(framework);
    for row in &table.rows {
        let error = |message: String| InputError::row(&table.name, row.number, message);
        if row.len() != table.headers.len() {
            errors.push(error(format!(
                "wrong column count: {}, expected {}",
                row.len(),
                table.headers.len()
            )));
            continue;
        }
        let unit_code = row.get(unit_column);
        let code = row.get(code_column);
        let entry = scored_leaf(framework, known_units, unit_code, code).and_then(|leaf| {
            let points = leaf_points(
                framework,
                leaf,
                row.get(points_column),
                row.get(input_column),
            )?;
            Ok((leaf, points))
        });
        let (leaf, points) = match entry {
            Ok(entry) => entry,
            Err(message) => {
                errors.push(error(message));
                continue;
            }
        };
        if let Err(limit) = scored.room_for(unit_code) {
            errors.push(error(limit));
            return Err(errors);
        }
        let name = row.get(name_column);
        if let Err(message) = scored.set(unit_code, leaf, points, row.number, name) {
            errors.push(error(message));
        }
    }
    if table.rows.is_empty() {
        errors.push(InputError::file(
            &table.name,
            "has no rows below the header".to_string(),
        ));
    }
    errors.into_result(ScoresInput {
        units: scored.units,
        names: scored.names,
    })
}

/// The leaf a row of `scores.csv` gives points for, once its unit is known to be listed.
fn scored_leaf(
    framework: &Framework,
    known_units: Option<&HashSet<String>>,
    unit_code: &str,
    code: &str,
) -> Result<NodeId, String> {
    if unit_code.is_empty() {
        return Err("empty unit_code".to_string());
    }
    if known_units.is_some_and(|known| !known.contains(unit_code)) {
        return Err(format!("unit_code {unit_code} is not in units.csv"));
    }
    let Some(leaf) = framework.find(code) else {
        return Err(if code.is_empty() {
            "empty code".to_string()
        } else {
            format!("code {code} is not in the framework")
        });
    };
    if !framework.node(leaf).is_leaf() {
        return Err(format!(
            "code {code} is not a leaf: points go on its sub-criteria"
        ));
    }
    Ok(leaf)
}

/// A leaf's points from the `points` and `input` cells: the points as given, or computed by
/// the leaf's rule from the input (and then equal to the points when both are given).
fn leaf_points(
    framework: &Framework,
    leaf: NodeId,
    points_text: &str,
    input_text: &str,
) -> Result<Points, String> {
    match (points_text, input_text) {
        ("", "") => Err("points: empty".to_string()),
        (text, "") => text
            .parse::<Points>()
            .map_err(|e| format!("points: {e}"))
            .and_then(|p| {
                check_leaf_points(framework, leaf, p)
                    .map(|_| p)
                    .map_err(|e| e.to_string())
            }),
        (text, input) => input
            .parse::<f64>()
            .map_err(|_| format!("input: '{input}' is not a number"))
            .and_then(|value| points_from_input(framework, leaf, value).map_err(|e| e.to_string()))
            .and_then(|computed| match text {
                "" => Ok(computed),
                given => match given.parse::<Points>() {
                    Ok(p) if p == computed => Ok(p),
                    Ok(p) => Err(format!(
                        "points {p} disagree with {computed} computed from input {input}"
                    )),
                    Err(e) => Err(format!("points: {e}")),
                },
            }),
    }
}

/// The score sheets of a scores file as its rows are read, in order of first appearance.
struct ScoredUnits<'a> {
    framework: &'a Framework,
    position: HashMap<String, usize>,
    units: Vec<UnitInput>,
    names: HashMap<String, String>,
    /// (unit position, leaf) → row of the first entry, to name duplicates.
    seen: HashMap<(usize, usize), usize>,
}

impl<'a> ScoredUnits<'a> {
    fn new(framework: &'a Framework) -> ScoredUnits<'a> {
        ScoredUnits {
            framework,
            position: HashMap::new(),
            units: Vec::new(),
            names: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    /// Whether `unit_code` is already read or one more unit fits: each unit costs a score
    /// sheet and a result per node of the framework, so the file is refused rather than fill
    /// memory.
    fn room_for(&self, unit_code: &str) -> Result<(), String> {
        let framework = self.framework;
        if self.position.contains_key(unit_code) || self.units.len() < max_scored_units(framework) {
            return Ok(());
        }
        Err(format!(
            "unit {unit_code} is one unit more than the limit of {} distinct units for \
             this framework of {} nodes (at most {} units, and units × nodes at most {})",
            group_digits(max_scored_units(framework) as u64),
            framework.nodes().len(),
            group_digits(MAX_SCORED_UNITS as u64),
            group_digits(MAX_UNIT_NODES as u64),
        ))
    }

    /// Sets a unit's points for a checked leaf, refusing a second entry for the same leaf;
    /// keeps the unit's first non-empty name.
    fn set(
        &mut self,
        unit_code: &str,
        leaf: NodeId,
        points: Points,
        row: usize,
        name: &str,
    ) -> Result<(), String> {
        let framework = self.framework;
        let unit = *self
            .position
            .entry(unit_code.to_string())
            .or_insert_with(|| {
                self.units.push(UnitInput {
                    code: unit_code.to_string(),
                    group: None,
                    sheet: ScoreSheet::new(framework),
                });
                self.units.len() - 1
            });
        if let Some(first) = self.seen.insert((unit, leaf), row) {
            let code = &framework.node(leaf).code;
            return Err(format!(
                "unit {unit_code} has points for {code} already (row {first})"
            ));
        }
        if !name.is_empty() {
            self.names
                .entry(unit_code.to_string())
                .or_insert_with(|| name.to_string());
        }
        // Checked by read_scores; setting cannot fail.
        let _ = self.units[unit].sheet.set(framework, leaf, points);
        Ok(())
    }
}

/// Reads a lineage table: `successor_code,predecessor_code` and an optional `weight` (a
/// declared weight such as population, for a weighted baseline).
pub fn read_lineage(table: &Table) -> Result<Lineage, InputErrors> {
    let successor = table.require("successor_code")?;
    let predecessor = table.require("predecessor_code")?;
    let weight = table.column("weight");
    let mut errors = InputErrors::default();
    let mut lineage = Lineage::new();
    for row in &table.rows {
        let error = |message: String| InputError::row(&table.name, row.number, message);
        let (to, from) = (row.get(Some(successor)), row.get(Some(predecessor)));
        if to.is_empty() || from.is_empty() {
            errors.push(error(
                "successor_code and predecessor_code are both required".to_string(),
            ));
            continue;
        }
        let weight = match row.get(weight) {
            "" => None,
            text => match text.parse::<f64>() {
                Ok(w) if w > 0.0 && w.is_finite() => Some(w),
                _ => {
                    errors.push(error(format!("weight: {text} is not a number > 0")));
                    continue;
                }
            },
        };
        lineage.add(
            to,
            Predecessor {
                code: from.to_string(),
                weight,
            },
        );
    }
    errors.into_result(lineage)
}

#[derive(Deserialize)]
struct PreviousDocument {
    units: Vec<PreviousUnitJson>,
}

#[derive(Deserialize)]
struct PreviousUnitJson {
    unit_code: String,
    #[serde(default)]
    unit_name: Option<String>,
    index: f64,
    rank: u32,
    #[serde(default)]
    areas: Vec<PreviousAreaJson>,
}

#[derive(Deserialize)]
struct PreviousAreaJson {
    code: String,
    index: Option<f64>,
    rank: u32,
}

/// Reads an earlier `chiso compute --format json` output; only codes, indices and ranks are
/// used (docs/formats.md §4).
pub fn read_previous(name: &str, text: &str) -> Result<PreviousYear, InputError> {
    let text = text.trim_start_matches('\u{feff}');
    let document: PreviousDocument = serde_json::from_str(text).map_err(|e| {
        InputError::at(
            name,
            Some(e.line()),
            format!("not a chiso compute JSON output: {e}"),
        )
        .in_lines()
    })?;
    let mut seen = HashSet::new();
    for unit in &document.units {
        if !seen.insert(unit.unit_code.as_str()) {
            return Err(InputError::file(
                name,
                format!("unit_code {} appears twice", unit.unit_code),
            ));
        }
    }
    Ok(PreviousYear::new(document.units.into_iter().map(|u| {
        PreviousUnit {
            code: u.unit_code,
            name: u.unit_name,
            index: u.index,
            rank: u.rank,
            areas: u
                .areas
                .into_iter()
                .filter_map(|a| {
                    a.index.map(|index| PreviousArea {
                        code: a.code,
                        index,
                        rank: a.rank,
                    })
                })
                .collect(),
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework_io::framework_from_table;
    use crate::table::read_csv;
    use chiso_domain::FrameworkMeta;

    fn table(name: &str, text: &str) -> Table {
        read_csv(name, text.as_bytes()).unwrap()
    }

    fn framework() -> Framework {
        let text = "code,title,max_points,method,rule\n\
                    1,A,10,,\n\
                    1.1,Levels,1,,levels: 0; 0.5; 1\n\
                    1.2,Threshold,1,,threshold(on_time): 100 => 1; 80 => 0.5; else => 0\n\
                    1.3,Plain,8,,\n\
                    2,SIPAS,10,survey,survey(sipas)\n";
        framework_from_table(&table("framework.csv", text), FrameworkMeta::default()).unwrap()
    }

    fn score_errors(text: &str, known: Option<&HashSet<String>>) -> Vec<String> {
        read_scores(&table("scores.csv", text), &framework(), known)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn reads_scores_with_rule_inputs() {
        let text = "unit_code,unit_name,code,points,input\n\
                    01,Hà Nội,1.1,0.5,\n\
                    01,,1.2,,85\n\
                    01,,2,,91.17\n\
                    08,Tuyên Quang,1.3,8,\n";
        let input = read_scores(&table("scores.csv", text), &framework(), None).unwrap();
        let f = framework();
        assert_eq!(input.units.len(), 2);
        assert_eq!(input.units[0].code, "01");
        let sheet = &input.units[0].sheet;
        assert_eq!(
            sheet.get(f.find("1.2").unwrap()),
            Some("0.5".parse().unwrap())
        );
        assert_eq!(
            sheet.get(f.find("2").unwrap()),
            Some("9.117".parse().unwrap())
        );
        assert_eq!(input.names["08"], "Tuyên Quang");
    }

    #[test]
    fn names_the_row_of_every_bad_score() {
        let known: HashSet<String> = ["01".to_string()].into();
        let text = "unit_code,code,points,input\n\
                    01,1.1,0.7,\n\
                    01,1.3,9,\n\
                    01,1.3,-1,\n\
                    01,9.9,1,\n\
                    01,1,1,\n\
                    ,1.3,1,\n\
                    1,1.3,1,\n\
                    01,1.2,1,50\n\
                    01,1.3,abc,\n\
                    01,1.3,\n\
                    01,1.3,2,\n\
                    01,1.3,3,\n\
                    01,2,,120\n\
                    01,1.2,,\n";
        assert_eq!(
            score_errors(text, Some(&known)),
            [
                "scores.csv row 2: 1.1: points 0.7 are not one of the levels 0 / 0.5 / 1",
                "scores.csv row 3: points 9 are outside [0, 8] for 1.3",
                "scores.csv row 4: points -1 are outside [0, 8] for 1.3",
                "scores.csv row 5: code 9.9 is not in the framework",
                "scores.csv row 6: code 1 is not a leaf: points go on its sub-criteria",
                "scores.csv row 7: empty unit_code",
                "scores.csv row 8: unit_code 1 is not in units.csv",
                "scores.csv row 9: points 1 disagree with 0 computed from input 50",
                "scores.csv row 10: points: 'abc' is not a number",
                "scores.csv row 11: wrong column count: 3, expected 4",
                "scores.csv row 13: unit 01 has points for 1.3 already (row 12)",
                "scores.csv row 14: 2: input sipas = 120 is outside [0, 100]",
                "scores.csv row 15: points: empty",
            ]
        );
        assert_eq!(
            score_errors("unit,code,points\n", None),
            [
                "scores.csv: missing column 'unit_code' in the header row (found: unit, code, points)"
            ]
        );
    }

    #[test]
    fn units_keep_leading_zeros_and_refuse_repeats() {
        let units = read_units(&table(
            "units.csv",
            "\u{feff}unit_code,unit_name,region\n01,Hà Nội,ĐBSH\n08,Tuyên Quang,\n",
        ))
        .unwrap();
        assert_eq!(units[0].code, "01");
        assert_eq!(units[1].region, None);
        let errors =
            read_units(&table("units.csv", "unit_code,unit_name\n01,A\n01,B\n,C\n")).unwrap_err();
        assert_eq!(
            errors.to_string(),
            "units.csv row 3: unit_code 01 repeated (first at row 2)\nunits.csv row 4: empty unit_code"
        );
    }

    #[test]
    fn reads_previous_output_and_lineage() {
        let previous = read_previous(
            "previous.json",
            include_str!("../../../tests/fixtures/compute/previous.json"),
        )
        .unwrap();
        assert_eq!(previous.len(), 6);
        assert_eq!(previous.get("79").unwrap().rank, 3);
        assert_eq!(previous.get("01").unwrap().areas[2].code, "3");
        let error = read_previous("p.json", "{\n\"units\": [ {\"unit_code\": 1} ]}").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("p.json line 2: not a chiso compute JSON output")
        );

        let lineage = read_lineage(&table(
            "lineage.csv",
            "successor_code,predecessor_code,weight\n44,45,0.9\n44,44,0.9\n08,02,abc\n",
        ))
        .unwrap_err();
        assert_eq!(
            lineage.to_string(),
            "lineage.csv row 4: weight: abc is not a number > 0"
        );
    }
}
