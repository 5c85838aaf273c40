//! Weakness analysis behind an improvement plan (docs/method.md §7.2): points lost per leaf and per
//! area, each leaf against the best and the median unit, and what it takes to reach a target
//! rank or index.

use crate::evaluation::{Evaluation, UnitOutcome};
use crate::framework::{Framework, Method, NodeId};
use crate::points::{Points, div_round_half_away};

/// Points a unit lost on one leaf: max − points, or the points of a penalty it incurred.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafLoss {
    pub leaf: NodeId,
    pub points: Points,
    pub max_points: Points,
    pub lost: Points,
}

/// Losses on every tree leaf and every penalty leaf with a loss, the largest first, then in
/// tree order.
pub fn leaf_losses(framework: &Framework, unit: &UnitOutcome) -> Vec<LeafLoss> {
    let mut losses: Vec<LeafLoss> = framework
        .leaves()
        .iter()
        .filter_map(|&leaf| {
            let node = framework.node(leaf);
            let points = unit.points.node_points[leaf];
            let lost = match node.method {
                Method::Bonus => return None,
                Method::Penalty => points,
                Method::SelfAssessed | Method::Survey => node.max_points - points,
            };
            (lost > Points::ZERO).then_some(LeafLoss {
                leaf,
                points,
                max_points: node.max_points,
                lost,
            })
        })
        .collect();
    // A stable sort keeps tree order among equal losses.
    losses.sort_by_key(|l| std::cmp::Reverse(l.lost));
    losses
}

/// Points lost per area, in framework order.
pub fn area_losses(framework: &Framework, unit: &UnitOutcome) -> Vec<LeafLoss> {
    framework
        .areas()
        .iter()
        .map(|&area| {
            let points = unit.points.node_points[area];
            let max_points = framework.node(area).max_points;
            LeafLoss {
                leaf: area,
                points,
                max_points,
                lost: max_points - points,
            }
        })
        .collect()
}

/// One leaf of a unit compared with the other units of the evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerComparison {
    pub leaf: NodeId,
    pub points: Points,
    /// The highest points any unit has on this leaf, and how many units have them.
    pub best: Points,
    pub best_units: usize,
    /// The median of all units' points on this leaf.
    pub median: Points,
    /// Points of the first-ranked unit on this leaf.
    pub top_unit: Points,
}

/// Every tree leaf of `unit` against the best, the median and the first-ranked unit.
pub fn compare_with_peers(
    framework: &Framework,
    evaluation: &Evaluation,
    unit: &UnitOutcome,
) -> Vec<PeerComparison> {
    let top = evaluation.units.first();
    framework
        .leaves()
        .iter()
        .filter(|&&leaf| !framework.node(leaf).method.is_outside_tree())
        .map(|&leaf| {
            let mut values: Vec<Points> = evaluation
                .units
                .iter()
                .map(|u| u.points.node_points[leaf])
                .collect();
            values.sort_unstable();
            let best = values.last().copied().unwrap_or(Points::ZERO);
            PeerComparison {
                leaf,
                points: unit.points.node_points[leaf],
                best,
                best_units: values.iter().filter(|v| **v == best).count(),
                median: median(&values),
                top_unit: top
                    .map(|t| t.points.node_points[leaf])
                    .unwrap_or(Points::ZERO),
            }
        })
        .collect()
}

/// The median of sorted values; the mean of the two middle ones for an even count.
fn median(sorted: &[Points]) -> Points {
    match sorted.len() {
        0 => Points::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => {
            let sum = sorted[n / 2 - 1].ten_thousandths() as i128
                + sorted[n / 2].ten_thousandths() as i128;
            Points::from_ten_thousandths(div_round_half_away(sum, 2) as i64)
        }
    }
}

/// A leaf where a unit lost points, with what tells how recoverable they are: how many units
/// of the evaluation score full marks there (none lost, for a penalty) and whether the unit
/// scores it itself or a survey does (docs/method.md §7.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Recoverable {
    pub loss: LeafLoss,
    pub method: Method,
    /// Units of the evaluation with nothing lost on this leaf.
    pub full_marks: usize,
    /// Units in the evaluation.
    pub units: usize,
}

/// Every leaf where the unit lost points, the most recoverable first: the most points lost,
/// then the most units at full marks (others show it can be done), then self-assessed leaves
/// before survey leaves (a unit acts on its own work sooner than on citizens' opinion), then
/// tree order.
pub fn recoverable(
    framework: &Framework,
    evaluation: &Evaluation,
    unit: &UnitOutcome,
) -> Vec<Recoverable> {
    let mut found: Vec<Recoverable> = leaf_losses(framework, unit)
        .into_iter()
        .map(|loss| {
            let node = framework.node(loss.leaf);
            let full = |u: &UnitOutcome| {
                let points = u.points.node_points[loss.leaf];
                match node.method {
                    Method::Penalty => points == Points::ZERO,
                    _ => points >= node.max_points,
                }
            };
            Recoverable {
                method: node.method,
                full_marks: evaluation.units.iter().filter(|u| full(u)).count(),
                units: evaluation.units.len(),
                loss,
            }
        })
        .collect();
    // Stable: tree order stays among equals.
    found.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.loss.lost),
            std::cmp::Reverse(r.full_marks),
            r.method == Method::Survey,
        )
    });
    found
}

/// A goal for a unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Reach this rank or better.
    Rank(u32),
    /// Reach this index (%) or more, as ranked (rounded to 2 decimals).
    Index(f64),
}

/// Why a target cannot be analysed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TargetError {
    #[error("rank {0} is not a rank: ranks start at 1")]
    RankZero(u32),
    #[error("index {0} is outside [0, 100]")]
    IndexOutOfRange(f64),
}

/// What a unit needs for a target.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatItTakes {
    /// The index the unit must reach, rounded to 2 decimals, in hundredths.
    pub target_index_hundredths: i64,
    /// Extra points needed (0 when the target is already met).
    pub points_needed: Points,
    /// All points the unit could still recover.
    pub recoverable: Points,
    /// The leaves with the most recoverable points, largest first, enough to cover the need
    /// when it can be covered: no fewer leaves cover it, and leaving any one out falls short.
    /// Among equal losses the more recoverable leaf comes first ([`recoverable`]).
    pub leaves: Vec<LeafLoss>,
    pub reachable: bool,
}

/// The points needed to reach a target rank or index, and the leaves to recover them from.
pub fn what_it_takes(
    framework: &Framework,
    evaluation: &Evaluation,
    unit: &UnitOutcome,
    target: Target,
) -> Result<WhatItTakes, TargetError> {
    let target_hundredths = match target {
        Target::Rank(0) => return Err(TargetError::RankZero(0)),
        Target::Rank(rank) => {
            // Rank r needs no more than r − 1 other units strictly ahead: the index of the r-th
            // best other unit, which a tie then shares.
            let mut others: Vec<i64> = evaluation
                .units
                .iter()
                .filter(|u| u.code != unit.code)
                .map(|u| u.index_hundredths)
                .collect();
            others.sort_unstable_by(|a, b| b.cmp(a));
            others.get(rank as usize - 1).copied().unwrap_or(0)
        }
        Target::Index(index) => {
            if !(0.0..=100.0).contains(&index) {
                return Err(TargetError::IndexOutOfRange(index));
            }
            (index * 100.0).round() as i64
        }
    };
    let needed_points = minimal_points_for(framework.max_points(), target_hundredths);
    // A unit already at the target needs nothing, even with negative points (a penalty larger
    // than its points still gives index 0, which a target of 0 accepts).
    let points_needed = if unit.index_hundredths >= target_hundredths {
        Points::ZERO
    } else {
        (needed_points - unit.points.points).max(Points::ZERO)
    };
    let losses: Vec<LeafLoss> = recoverable(framework, evaluation, unit)
        .into_iter()
        .map(|r| r.loss)
        .collect();
    let recoverable: Points = losses.iter().map(|l| l.lost).sum();
    let mut leaves = Vec::new();
    let mut covered = Points::ZERO;
    for loss in losses {
        if covered >= points_needed {
            break;
        }
        covered += loss.lost;
        leaves.push(loss);
    }
    Ok(WhatItTakes {
        target_index_hundredths: target_hundredths,
        points_needed,
        recoverable,
        leaves,
        reachable: recoverable >= points_needed,
    })
}

/// The fewest points whose index, rounded as for ranking, reaches `target_hundredths`.
fn minimal_points_for(max: Points, target_hundredths: i64) -> Points {
    if max == Points::ZERO || target_hundredths <= 0 {
        return Points::ZERO;
    }
    let (mut low, mut high) = (0i64, max.ten_thousandths());
    let reaches = |p: i64| {
        Points::from_ten_thousandths(p)
            .percent_hundredths_of(max)
            .is_some_and(|h| h >= target_hundredths)
    };
    while low < high {
        let middle = low + (high - low) / 2;
        if reaches(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    Points::from_ten_thousandths(low)
}

/// One tree leaf across every unit of an evaluation (docs/method.md §7.2, §10.1): the points
/// all of them lost there, the share of its maximum they reach on average and how many lose
/// nothing there.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafAcross {
    pub leaf: NodeId,
    pub max_points: Points,
    /// Σ (max − points) over the units.
    pub lost: Points,
    /// Σ points / (units × max) × 100.
    pub share: f64,
    pub full_marks: usize,
    pub units: usize,
}

/// The self-assessed and survey leaves where the units of an evaluation lost points, the most
/// points lost in all first, ties in tree order: the province's weakest leaves.
pub fn weakest_leaves(framework: &Framework, evaluation: &Evaluation) -> Vec<LeafAcross> {
    let units = evaluation.units.len();
    let mut leaves: Vec<LeafAcross> = framework
        .leaves()
        .iter()
        .filter(|&&leaf| {
            let node = framework.node(leaf);
            !node.method.is_outside_tree() && node.max_points > Points::ZERO
        })
        .filter_map(|&leaf| {
            let max_points = framework.node(leaf).max_points;
            let points: Vec<Points> = evaluation
                .units
                .iter()
                .map(|u| u.points.node_points[leaf])
                .collect();
            let reached: Points = points.iter().copied().sum();
            let lost =
                Points::from_ten_thousandths(max_points.ten_thousandths() * units as i64) - reached;
            (lost > Points::ZERO).then(|| LeafAcross {
                leaf,
                max_points,
                lost,
                share: reached.to_f64() / (max_points.to_f64() * units as f64) * 100.0,
                full_marks: points.iter().filter(|p| **p >= max_points).count(),
                units,
            })
        })
        .collect();
    leaves.sort_by_key(|l| std::cmp::Reverse(l.lost));
    leaves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classification::Bands;
    use crate::evaluation::evaluate;
    use crate::evaluation::tests::example_inputs;
    use crate::framework::tests::example;

    fn p(text: &str) -> Points {
        text.parse().unwrap()
    }

    #[test]
    fn losses_are_sorted_and_include_penalties() {
        let f = example();
        let evaluation = evaluate(&f, example_inputs(&f), &Bands::default());
        let unit_08 = evaluation.find("08").unwrap();
        let losses: Vec<(&str, Points)> = leaf_losses(&f, unit_08)
            .iter()
            .map(|l| (f.node(l.leaf).code.as_str(), l.lost))
            .collect();
        // 08: 3.2 lost 6, 3.1 lost 4.566, 2.2.2 lost 3, 2.1 lost 3, 5 penalty 1.5, 1.3 lost 1.5 …
        assert_eq!(losses[0], ("3.2", p("6")));
        assert_eq!(losses[1], ("3.1", p("4.566")));
        assert_eq!(losses[2], ("2.1", p("3")));
        assert_eq!(losses[3], ("2.2.2", p("3")));
        assert!(losses.contains(&("5", p("1.5"))));
        let areas: Vec<Points> = area_losses(&f, unit_08).iter().map(|l| l.lost).collect();
        assert_eq!(areas, [p("2.5"), p("7"), p("10.566")]);
    }

    #[test]
    fn peers_give_best_and_median() {
        let f = example();
        let evaluation = evaluate(&f, example_inputs(&f), &Bands::default());
        let unit_79 = evaluation.find("79").unwrap();
        let comparison = compare_with_peers(&f, &evaluation, unit_79);
        let leaf_11 = comparison
            .iter()
            .find(|c| f.node(c.leaf).code == "1.1")
            .unwrap();
        // 1.1 across units: 6, 6.5, 7, 7.5, 8, 8 → best 8 (twice), median (7 + 7.5) / 2.
        assert_eq!(leaf_11.points, p("6"));
        assert_eq!(leaf_11.best, p("8"));
        assert_eq!(leaf_11.best_units, 2);
        assert_eq!(leaf_11.median, p("7.25"));
        assert_eq!(leaf_11.top_unit, p("8"));
        assert_eq!(comparison.len(), 8);
    }

    #[test]
    fn what_it_takes_to_reach_a_rank() {
        let f = example();
        let evaluation = evaluate(&f, example_inputs(&f), &Bands::default());
        let unit_79 = evaluation.find("79").unwrap();
        // Rank 2 means tying 44 and 48 at 85.25: 85.245 rounds to 85.25, so 20.125 more points.
        let plan = what_it_takes(&f, &evaluation, unit_79, Target::Rank(2)).unwrap();
        assert_eq!(plan.target_index_hundredths, 8_525);
        assert_eq!(plan.points_needed, p("20.125"));
        assert!(plan.reachable);
        let covered: Points = plan.leaves.iter().map(|l| l.lost).sum();
        assert!(covered >= plan.points_needed);
        let without_last: Points = plan.leaves[..plan.leaves.len() - 1]
            .iter()
            .map(|l| l.lost)
            .sum();
        assert!(without_last < plan.points_needed);

        let first = what_it_takes(&f, &evaluation, unit_79, Target::Rank(6)).unwrap();
        assert_eq!(first.points_needed, Points::ZERO);
        assert!(first.leaves.is_empty());
        let unreachable = what_it_takes(&f, &evaluation, unit_79, Target::Index(100.0)).unwrap();
        // 99.995 already ranks as 100.00.
        assert_eq!(unreachable.points_needed, p("34.875"));
        assert!(unreachable.reachable);
        assert!(what_it_takes(&f, &evaluation, unit_79, Target::Rank(0)).is_err());
        assert!(what_it_takes(&f, &evaluation, unit_79, Target::Index(101.0)).is_err());
    }
}
