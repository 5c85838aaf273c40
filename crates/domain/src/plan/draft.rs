//! Which results a plan's draft proposes tasks for (docs/method.md §7.8): the rules are here,
//! pure; the web gathers the results (a published campaign's leaves across its units, a unit's
//! own losses and what it takes to reach a rank, the province's standing on each national
//! index) and words the proposals.

/// A campaign leaf the units lost points on is proposed when they lost at least this share of
/// its points taken together…
pub const LEAF_LOST_SHARE: f64 = 0.2;

/// …or when fewer than half of the units reached its maximum. At most this many leaves of a
/// group are proposed, those that lost most first.
pub const LEAVES_PER_GROUP: usize = 12;

/// A dimension that fell this many places or more since the year before (ranks among the same
/// number of provinces) is proposed.
pub const FELL_PLACES: u32 = 5;

/// The units named as coordinators of a leaf's task: those that lost most on it.
pub const COORDINATORS_PER_LEAF: usize = 10;

/// Why a result is weak enough for a task.
#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// The units of a campaign lost `share` of a leaf's points; `full_marks` of `units`
    /// reached its maximum.
    LeafLost {
        share: f64,
        full_marks: usize,
        units: usize,
    },
    /// A unit lost `lost` of a leaf's `max` points.
    UnitLost { lost: f64, max: f64 },
    /// One of the leaves "what it takes" selects for the target rank.
    NeededForRank { rank: u32 },
    /// In the bottom quarter of the provinces ranked.
    BottomQuartile { rank: u32, of: usize },
    /// Fell from `from` to `to` since the year before.
    FellInRank { from: u32, to: u32 },
    /// Below a target value of the same index (both in % of the maximum).
    BelowTarget { value: f64, target: f64 },
    /// Ranked below a rank target of the same index ("PAPI: nhóm 20").
    BelowRankTarget { rank: u32, target: u32 },
}

/// The targets a dimension is held to: its index's value target in % and rank target.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Targets {
    pub value: Option<f64>,
    pub rank: Option<u32>,
}

/// A leaf of a campaign's group across its units.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafAcrossUnits {
    pub code: String,
    /// Points lost by all units together.
    pub lost: f64,
    /// `lost` as a share of the points all units could have had.
    pub share: f64,
    pub full_marks: usize,
    pub units: usize,
}

/// Whether the units' result on a leaf calls for a task.
pub fn leaf_is_weak(leaf: &LeafAcrossUnits) -> Option<Why> {
    let weak =
        leaf.lost > 0.0 && (leaf.share >= LEAF_LOST_SHARE || leaf.full_marks * 2 < leaf.units);
    weak.then_some(Why::LeafLost {
        share: leaf.share,
        full_marks: leaf.full_marks,
        units: leaf.units,
    })
}

/// The weak leaves of a group, most points lost first, at most [`LEAVES_PER_GROUP`].
pub fn weak_leaves(leaves: &[LeafAcrossUnits]) -> Vec<(&LeafAcrossUnits, Why)> {
    let mut weak: Vec<(&LeafAcrossUnits, Why)> = leaves
        .iter()
        .filter_map(|l| leaf_is_weak(l).map(|why| (l, why)))
        .collect();
    weak.sort_by(|a, b| b.0.lost.total_cmp(&a.0.lost));
    weak.truncate(LEAVES_PER_GROUP);
    weak
}

/// A dimension of a national index for the province in a year.
#[derive(Clone, Debug, PartialEq)]
pub struct DimensionResult {
    pub rank: Option<u32>,
    /// Provinces ranked that year.
    pub of: usize,
    /// The rank the year before, when the provinces ranked were as many.
    pub previous_rank: Option<u32>,
    /// Its value in % of its maximum, when the maximum is known.
    pub share: Option<f64>,
}

/// Why a dimension calls for a task, every reason that holds. A value target of the same index
/// in % (SIPAS ≥ 90 %) is compared with the dimension's share of its maximum, a rank target
/// ("nhóm 20") with its rank.
pub fn dimension_reasons(dimension: &DimensionResult, targets: Targets) -> Vec<Why> {
    let mut why = Vec::new();
    if let Some(rank) = dimension.rank
        && dimension.of >= 4
        && u64::from(rank) * 4 > 3 * dimension.of as u64
    {
        why.push(Why::BottomQuartile {
            rank,
            of: dimension.of,
        });
    }
    if let (Some(to), Some(from)) = (dimension.rank, dimension.previous_rank)
        && to >= from + FELL_PLACES
    {
        why.push(Why::FellInRank { from, to });
    }
    if let (Some(value), Some(target)) = (dimension.share, targets.value)
        && (value * 100.0).round() < (target * 100.0).round()
    {
        why.push(Why::BelowTarget { value, target });
    }
    if let (Some(rank), Some(target)) = (dimension.rank, targets.rank)
        && rank > target
    {
        why.push(Why::BelowRankTarget { rank, target });
    }
    why
}

/// The units to name as coordinators of a leaf's task: those that lost points on it, most
/// first (ties by the order given), at most [`COORDINATORS_PER_LEAF`].
pub fn coordinators(losses: &[(i64, f64)]) -> Vec<i64> {
    let mut lost: Vec<(usize, i64, f64)> = losses
        .iter()
        .enumerate()
        .filter(|(_, (_, l))| *l > 0.0)
        .map(|(i, (u, l))| (i, *u, *l))
        .collect();
    lost.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    lost.into_iter()
        .take(COORDINATORS_PER_LEAF)
        .map(|(_, u, _)| u)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(code: &str, lost: f64, share: f64, full: usize, units: usize) -> LeafAcrossUnits {
        LeafAcrossUnits {
            code: code.into(),
            lost,
            share,
            full_marks: full,
            units,
        }
    }

    #[test]
    fn a_leaf_is_weak_by_its_share_lost_or_by_few_full_marks() {
        assert!(leaf_is_weak(&leaf("1.1", 4.0, 0.2, 15, 20)).is_some());
        assert!(leaf_is_weak(&leaf("1.2", 1.0, 0.19, 10, 20)).is_none());
        assert_eq!(
            leaf_is_weak(&leaf("1.3", 1.0, 0.05, 9, 20)),
            Some(Why::LeafLost {
                share: 0.05,
                full_marks: 9,
                units: 20
            })
        );
        assert!(leaf_is_weak(&leaf("1.4", 0.0, 0.0, 0, 20)).is_none());
    }

    #[test]
    fn weak_leaves_come_most_lost_first_and_are_capped() {
        let leaves: Vec<LeafAcrossUnits> = (0..20)
            .map(|i| leaf(&format!("L{i}"), f64::from(i), 0.5, 0, 10))
            .collect();
        let weak = weak_leaves(&leaves);
        assert_eq!(weak.len(), LEAVES_PER_GROUP);
        assert_eq!(weak[0].0.code, "L19");
        assert_eq!(weak[11].0.code, "L8");
    }

    #[test]
    fn a_dimension_in_the_bottom_quarter_fallen_or_below_target() {
        let value = |v: f64| Targets {
            value: Some(v),
            rank: None,
        };
        let d = |rank, of, previous, share| DimensionResult {
            rank: Some(rank),
            of,
            previous_rank: previous,
            share,
        };
        // 48 of 63: 48 × 4 = 192 > 189, the bottom quarter; 47: 188, not.
        assert_eq!(
            dimension_reasons(&d(48, 63, None, None), Targets::default()),
            vec![Why::BottomQuartile { rank: 48, of: 63 }]
        );
        assert!(dimension_reasons(&d(47, 63, None, None), Targets::default()).is_empty());
        assert_eq!(
            dimension_reasons(&d(20, 63, Some(15), None), Targets::default()),
            vec![Why::FellInRank { from: 15, to: 20 }]
        );
        assert!(dimension_reasons(&d(19, 63, Some(15), None), Targets::default()).is_empty());
        assert_eq!(
            dimension_reasons(&d(3, 63, None, Some(88.5)), value(90.0)),
            vec![Why::BelowTarget {
                value: 88.5,
                target: 90.0
            }]
        );
        assert!(dimension_reasons(&d(3, 63, None, Some(90.0)), value(90.0)).is_empty());
        assert_eq!(
            dimension_reasons(&d(60, 63, Some(40), Some(50.0)), value(90.0)).len(),
            3
        );
        let top20 = Targets {
            value: None,
            rank: Some(20),
        };
        assert_eq!(
            dimension_reasons(&d(21, 63, None, None), top20),
            vec![Why::BelowRankTarget {
                rank: 21,
                target: 20
            }]
        );
        assert!(dimension_reasons(&d(20, 63, None, None), top20).is_empty());
    }

    #[test]
    fn coordinators_are_the_units_that_lost_most() {
        assert_eq!(
            coordinators(&[(1, 0.5), (2, 0.0), (3, 1.0), (4, 0.5)]),
            vec![3, 1, 4]
        );
        let many: Vec<(i64, f64)> = (0..15).map(|i| (i, 1.0)).collect();
        assert_eq!(coordinators(&many).len(), COORDINATORS_PER_LEAF);
    }
}
