//! Results for a set of units: points, index, overall and per-area ranks, ranks within groups
//! (regions) and classification (docs/method.md §2.8–§2.10).

use crate::classification::Bands;
use crate::compute::{ScoreSheet, UnitPoints, compute_unit};
use crate::framework::{Framework, NodeId};
use crate::points::Points;
use crate::ranking::{competition_ranks, ranks_within_groups};

/// One unit to evaluate.
#[derive(Clone, Debug)]
pub struct UnitInput {
    pub code: String,
    /// The unit's group for group ranks, e.g. its region.
    pub group: Option<String>,
    pub sheet: ScoreSheet,
}

/// An area's result for one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaOutcome {
    pub node: NodeId,
    pub points: Points,
    pub max_points: Points,
    /// Unrounded; `None` when the area's max is 0.
    pub index: Option<f64>,
    pub rank: u32,
}

/// One unit's result.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitOutcome {
    pub code: String,
    pub group: Option<String>,
    pub points: UnitPoints,
    /// Unrounded, clamped to [0, 100].
    pub index: f64,
    /// The ranking key: the index rounded to 2 decimals, in hundredths.
    pub index_hundredths: i64,
    pub rank: u32,
    pub group_rank: Option<u32>,
    /// In framework order of the areas.
    pub areas: Vec<AreaOutcome>,
    pub classification: String,
}

/// Every unit's result, sorted by rank, then unit code (docs/formats.md §4.3).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub units: Vec<UnitOutcome>,
}

impl Evaluation {
    pub fn find(&self, code: &str) -> Option<&UnitOutcome> {
        self.units.iter().find(|u| u.code == code)
    }
}

/// Computes, ranks and classifies. The result does not depend on the order of `inputs`.
pub fn evaluate(framework: &Framework, inputs: Vec<UnitInput>, bands: &Bands) -> Evaluation {
    let computed: Vec<(UnitInput, UnitPoints)> = inputs
        .into_iter()
        .map(|input| {
            let points = compute_unit(framework, &input.sheet);
            (input, points)
        })
        .collect();
    let keys: Vec<i64> = computed
        .iter()
        .map(|(_, points)| points.index_hundredths(framework))
        .collect();
    let ranks = competition_ranks(&keys);
    let groups: Vec<Option<&str>> = computed
        .iter()
        .map(|(input, _)| input.group.as_deref())
        .collect();
    let group_ranks = ranks_within_groups(&keys, &groups);
    let area_ranks: Vec<Vec<u32>> = framework
        .areas()
        .iter()
        .map(|&area| {
            let area_keys: Vec<i64> = computed
                .iter()
                .map(|(_, points)| points.node_index_hundredths(framework, area).unwrap_or(0))
                .collect();
            competition_ranks(&area_keys)
        })
        .collect();

    let mut units: Vec<UnitOutcome> = computed
        .into_iter()
        .enumerate()
        .map(|(i, (input, points))| {
            let areas = framework
                .areas()
                .iter()
                .zip(&area_ranks)
                .map(|(&area, ranks)| AreaOutcome {
                    node: area,
                    points: points.node_points[area],
                    max_points: framework.node(area).max_points,
                    index: points.node_index(framework, area),
                    rank: ranks[i],
                })
                .collect();
            UnitOutcome {
                index: points.index(framework),
                index_hundredths: keys[i],
                rank: ranks[i],
                group_rank: group_ranks[i],
                classification: bands.classify(keys[i]).to_string(),
                code: input.code,
                group: input.group,
                areas,
                points,
            }
        })
        .collect();
    units.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.code.cmp(&b.code)));
    Evaluation { units }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::framework::tests::example;

    /// The six units of tests/fixtures/compute (scores.csv; docs/formats.md §4.5).
    pub fn example_inputs(f: &Framework) -> Vec<UnitInput> {
        let rows: [(&str, [&str; 10]); 6] = [
            (
                "79",
                ["6", "3", "", "9.5", "11", "13", "14.62", "8", "0", "0"],
            ),
            (
                "01",
                [
                    "6.5", "3.5", "6", "10.5", "12", "14.75", "16.181", "9", "0", "0",
                ],
            ),
            (
                "46",
                [
                    "8", "4.5", "7.5", "12", "15", "18", "19.5", "14.5", "2", "0",
                ],
            ),
            (
                "08",
                ["7.5", "4", "6", "9", "14", "15", "15.434", "9", "0", "1.5"],
            ),
            (
                "48",
                ["8", "4.5", "7", "10", "12", "15", "17.25", "11", "0.5", "0"],
            ),
            (
                "44",
                [
                    "7", "4", "6.5", "11", "13.5", "16", "16.75", "10.5", "0", "0",
                ],
            ),
        ];
        let codes = [
            "1.1", "1.2", "1.3", "2.1", "2.2.1", "2.2.2", "3.1", "3.2", "4", "5",
        ];
        rows.iter()
            .map(|(unit, values)| {
                let mut sheet = ScoreSheet::new(f);
                for (code, value) in codes.iter().zip(values) {
                    if !value.is_empty() {
                        sheet
                            .set(f, f.find(code).unwrap(), value.parse().unwrap())
                            .unwrap();
                    }
                }
                UnitInput {
                    code: unit.to_string(),
                    group: None,
                    sheet,
                }
            })
            .collect()
    }

    #[test]
    fn ranks_the_example_with_ties_after_rounding() {
        let f = example();
        let evaluation = evaluate(&f, example_inputs(&f), &Bands::default());
        let summary: Vec<(&str, u32, &str)> = evaluation
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.rank, u.classification.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("46", 1, "Tốt"),
                ("44", 2, "Tốt"),
                ("48", 2, "Tốt"),
                ("01", 4, "Khá"),
                ("08", 4, "Khá"),
                ("79", 6, "Trung bình"),
            ]
        );
        let unit_08 = evaluation.find("08").unwrap();
        assert_eq!(unit_08.points.points, "78.434".parse().unwrap());
        let area_ranks: Vec<u32> = unit_08.areas.iter().map(|a| a.rank).collect();
        assert_eq!(area_ranks, [3, 3, 5]);
        let unit_79 = evaluation.find("79").unwrap();
        assert_eq!(unit_79.areas[0].index, Some(45.0));
        assert_eq!(unit_79.points.missing, [f.find("1.3").unwrap()]);
    }

    #[test]
    fn ranks_within_groups() {
        let f = example();
        let mut inputs = example_inputs(&f);
        for input in &mut inputs {
            input.group = Some(if ["46", "48", "44"].contains(&input.code.as_str()) {
                "Bắc Trung Bộ".to_string()
            } else {
                "other".to_string()
            });
        }
        let evaluation = evaluate(&f, inputs, &Bands::default());
        let group_rank = |code| evaluation.find(code).unwrap().group_rank;
        assert_eq!(group_rank("46"), Some(1));
        assert_eq!(group_rank("48"), Some(2));
        assert_eq!(group_rank("01"), Some(1));
        assert_eq!(group_rank("79"), Some(3));
    }
}
