//! Ranks and groups of a year's published results (docs/method.md §5.4, §5.5): competition
//! ranking on the value rounded to 2 decimals, direction aware; quartile groups by percentile
//! cut-offs (linear interpolation between order statistics); fixed bands where the publisher
//! uses them. Units without a value are left out of ranks and cut-offs.

use std::collections::BTreeMap;

use super::structure::{Band, Direction, Grouping, Structure};
use crate::ranking::competition_ranks;

/// A value as published, in hundredths: its decimal digits (the shortest text that reads back
/// as the same number) rounded half away from zero, so 1.005 is 1.01 as a reader of the
/// table sees it, never 1.00 from the binary fraction below it.
pub fn hundredths(value: f64) -> i64 {
    if !value.is_finite() || value.abs() >= 1e15 {
        return (value * 100.0).round() as i64;
    }
    let text = format!("{}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digit = |i: usize| {
        fraction
            .as_bytes()
            .get(i)
            .map_or(0, |d| i64::from(d - b'0'))
    };
    let whole: i64 = whole.parse().unwrap_or(0);
    let mut magnitude = whole * 100 + digit(0) * 10 + digit(1);
    if digit(2) >= 5 {
        magnitude += 1;
    }
    if value < 0.0 { -magnitude } else { magnitude }
}

/// The ranking key of a value: hundredths, negated when lower is better, so that a larger key
/// is always the better one.
fn key(value: f64, direction: Direction) -> i64 {
    match direction {
        Direction::Higher => hundredths(value),
        Direction::Lower => -hundredths(value),
    }
}

/// Competition ranks of the values present (1 = best), `None` where there is no value.
pub fn ranks(values: &[Option<f64>], direction: Direction) -> Vec<Option<u32>> {
    let present: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
    let keys: Vec<i64> = present
        .iter()
        .filter_map(|&i| values[i].map(|v| key(v, direction)))
        .collect();
    let mut out = vec![None; values.len()];
    for (&i, rank) in present.iter().zip(competition_ranks(&keys)) {
        out[i] = Some(rank);
    }
    out
}

/// Quartile groups 1–4 of the values present (1 = at or above the 75th percentile of the
/// keys, 4 = below the 25th), `None` where there is no value. Percentiles interpolate linearly
/// between order statistics (docs/method.md §5.4), computed exactly in quarters of a
/// hundredth: 63 distinct values fall 16 / 16 / 15 / 16.
pub fn quartile_groups(values: &[Option<f64>], direction: Direction) -> Vec<Option<u8>> {
    let mut sorted: Vec<i64> = values
        .iter()
        .flatten()
        .map(|&v| key(v, direction))
        .collect();
    if sorted.is_empty() {
        return vec![None; values.len()];
    }
    sorted.sort_unstable();
    let n = sorted.len() as i64;
    // Four times the k-th quartile: the order statistic at (n − 1)·k/4, interpolated.
    let cut = |k: i64| {
        let position = (n - 1) * k;
        let (low, rest) = ((position / 4) as usize, position % 4);
        let next = sorted.get(low + 1).copied().unwrap_or(sorted[low]);
        4 * sorted[low] + rest * (next - sorted[low])
    };
    let (q1, q2, q3) = (cut(1), cut(2), cut(3));
    values
        .iter()
        .map(|v| {
            v.map(|v| {
                let k4 = 4 * key(v, direction);
                match () {
                    _ if k4 >= q3 => 1,
                    _ if k4 >= q2 => 2,
                    _ if k4 >= q1 => 3,
                    _ => 4,
                }
            })
        })
        .collect()
}

/// Band groups: the first band (best first) whose minimum the value rounded to 2 decimals
/// reaches; the last band takes the rest.
pub fn band_groups(values: &[Option<f64>], bands: &[Band]) -> Vec<Option<u8>> {
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            let position = bands
                .iter()
                .position(|b| b.min.is_none_or(|min| hundredths(v) >= hundredths(min)))
                .unwrap_or(bands.len().saturating_sub(1));
            Some(position as u8 + 1)
        })
        .collect()
}

/// The groups a structure's grouping gives the values.
pub fn groups(structure: &Structure, values: &[Option<f64>]) -> Vec<Option<u8>> {
    match &structure.grouping {
        Grouping::None => vec![None; values.len()],
        Grouping::Quartiles => quartile_groups(values, structure.direction),
        Grouping::Bands { bands, .. } => band_groups(values, bands),
    }
}

/// One unit's published values in a year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitValues {
    pub unit_code: String,
    pub unit_name: String,
    pub total: Option<f64>,
    /// Dimension, sub-dimension and component values by measure code.
    pub values: BTreeMap<String, f64>,
    /// The rank the publisher printed, when the source gives one.
    pub published_rank: Option<u32>,
}

/// Where a unit stands in its year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Standing {
    /// The published rank, else the computed one (on a complete year).
    pub rank: Option<u32>,
    pub rank_published: bool,
    /// The rank computed from the totals, on a complete year.
    pub computed_rank: Option<u32>,
    pub group: Option<u8>,
    /// Each top-level dimension's and component's rank, on a complete year.
    pub ranks: BTreeMap<String, u32>,
}

/// Ranks and groups of a year's units. On a year that does not cover the units the index
/// ranks (`complete` false: a few provinces quoted in a report), only published ranks are
/// kept: a rank among the quoted few means nothing.
pub fn standings(structure: &Structure, units: &[UnitValues], complete: bool) -> Vec<Standing> {
    let mut out: Vec<Standing> = units
        .iter()
        .map(|u| Standing {
            rank: u.published_rank,
            rank_published: u.published_rank.is_some(),
            ..Standing::default()
        })
        .collect();
    if !complete {
        return out;
    }
    let totals: Vec<Option<f64>> = units.iter().map(|u| u.total).collect();
    let computed = ranks(&totals, structure.direction);
    let groups = groups(structure, &totals);
    for ((standing, rank), group) in out.iter_mut().zip(computed).zip(groups) {
        standing.computed_rank = rank;
        standing.rank = standing.rank.or(rank);
        standing.group = group;
    }
    for item in structure.dimensions.iter().chain(&structure.components) {
        let values: Vec<Option<f64>> = units
            .iter()
            .map(|u| u.values.get(&item.code).copied())
            .collect();
        for (standing, rank) in out.iter_mut().zip(ranks(&values, structure.direction)) {
            if let Some(rank) = rank {
                standing.ranks.insert(item.code.clone(), rank);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indices::structure::tests::structure;
    use proptest::prelude::*;

    #[test]
    fn hundredths_round_the_published_digits_half_away_from_zero() {
        assert_eq!(hundredths(1.005), 101);
        assert_eq!(hundredths(35.338), 3534);
        assert_eq!(hundredths(35.3349999), 3533);
        assert_eq!(hundredths(-2.675), -268);
        assert_eq!(hundredths(48.881), 4888);
        assert_eq!(hundredths(7.0), 700);
        assert_eq!(hundredths(0.004), 0);
        assert_eq!(hundredths(5.10256410256410), 510);
    }

    #[test]
    fn ranks_share_ties_on_two_decimals_and_skip_missing() {
        let values = [Some(46.04), None, Some(45.78), Some(45.781), Some(43.96)];
        assert_eq!(
            ranks(&values, Direction::Higher),
            [Some(1), None, Some(2), Some(2), Some(4)]
        );
        assert_eq!(
            ranks(&values, Direction::Lower),
            [Some(4), None, Some(2), Some(2), Some(1)]
        );
    }

    #[test]
    fn quartiles_of_63_distinct_values_fall_16_16_15_16() {
        let values: Vec<Option<f64>> = (0..63).map(|i| Some(30.0 + f64::from(i) / 7.0)).collect();
        let groups = quartile_groups(&values, Direction::Higher);
        let count = |g: u8| groups.iter().filter(|x| **x == Some(g)).count();
        assert_eq!([count(1), count(2), count(3), count(4)], [16, 16, 15, 16]);
        // The best value is in group 1, the worst in group 4.
        assert_eq!(groups[62], Some(1));
        assert_eq!(groups[0], Some(4));
    }

    /// Eight values by hand: sorted 1 2 3 4 5 6 7 8 (hundredths ×100); n − 1 = 7.
    /// Q1 at 7/4 = 1.75 → 2.75; Q2 at 3.5 → 4.5; Q3 at 5.25 → 6.25. A tie at 6.25 would be
    /// group 1; a missing province changes nothing.
    #[test]
    fn quartiles_by_hand_with_a_tie_and_a_missing_province() {
        let values = [
            Some(5.0),
            Some(1.0),
            None,
            Some(8.0),
            Some(3.0),
            Some(7.0),
            Some(2.0),
            Some(6.0),
            Some(4.0),
        ];
        assert_eq!(
            quartile_groups(&values, Direction::Higher),
            [
                Some(2),
                Some(4),
                None,
                Some(1),
                Some(3),
                Some(1),
                Some(4),
                Some(2),
                Some(3)
            ]
        );
        // Ties: 1 2 2 2 5 → Q1 at 1 → 2; Q2 at 2 → 2; Q3 at 3 → 2: every 2 is group 1.
        let tied = [Some(1.0), Some(2.0), Some(2.0), Some(2.0), Some(5.0)];
        assert_eq!(
            quartile_groups(&tied, Direction::Higher),
            [Some(4), Some(1), Some(1), Some(1), Some(1)]
        );
    }

    #[test]
    fn bands_take_the_first_minimum_reached() {
        let bands = [
            Band {
                label: "A".into(),
                min: Some(90.0),
            },
            Band {
                label: "B".into(),
                min: Some(80.0),
            },
            Band {
                label: "C".into(),
                min: None,
            },
        ];
        let values = [Some(89.995), Some(89.994), Some(80.0), Some(12.0), None];
        assert_eq!(
            band_groups(&values, &bands),
            [Some(1), Some(2), Some(2), Some(3), None]
        );
    }

    #[test]
    fn a_partial_year_keeps_only_published_ranks() {
        let s = structure("papi-2018", 2018, None);
        let unit = |code: &str, total: f64, rank: Option<u32>| UnitValues {
            unit_code: code.into(),
            unit_name: code.into(),
            total: Some(total),
            values: [("1".to_string(), total / 2.0)].into_iter().collect(),
            published_rank: rank,
        };
        let units = [unit("22", 48.881, Some(1)), unit("01", 41.629, None)];
        let partial = standings(&s, &units, false);
        assert_eq!(partial[0].rank, Some(1));
        assert!(partial[0].rank_published);
        assert_eq!(partial[1].rank, None);
        assert_eq!(partial[1].group, None);
        let complete = standings(&s, &units, true);
        assert_eq!(complete[1].rank, Some(2));
        assert_eq!(complete[1].computed_rank, Some(2));
        assert_eq!(complete[1].ranks.get("1"), Some(&2));
        assert_eq!(complete[0].group, Some(1));
    }

    fn values_strategy() -> impl Strategy<Value = Vec<Option<f64>>> {
        proptest::collection::vec(
            proptest::option::weighted(0.85, (0u32..4000).prop_map(|h| f64::from(h) / 100.0)),
            0..70,
        )
    }

    proptest! {
        /// Ranks agree with the order of the rounded values and with their ties, and a unit
        /// without a value has no rank.
        #[test]
        fn ranks_agree_with_order_and_ties(values in values_strategy()) {
            let r = ranks(&values, Direction::Higher);
            for i in 0..values.len() {
                prop_assert_eq!(values[i].is_none(), r[i].is_none());
                for j in 0..values.len() {
                    if let (Some(a), Some(b)) = (values[i], values[j]) {
                        let (ka, kb) = (hundredths(a), hundredths(b));
                        prop_assert_eq!(ka == kb, r[i] == r[j]);
                        prop_assert_eq!(ka > kb, r[i] < r[j]);
                    }
                }
            }
        }

        /// Shuffling the units changes no unit's rank or group.
        #[test]
        fn shuffling_changes_nothing(values in values_strategy(), seed in any::<u64>()) {
            let mut order: Vec<usize> = (0..values.len()).collect();
            let mut state = seed | 1;
            for i in (1..order.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let shuffled: Vec<Option<f64>> = order.iter().map(|&i| values[i]).collect();
            let (r, g) = (ranks(&values, Direction::Higher), quartile_groups(&values, Direction::Higher));
            let (rs, gs) = (ranks(&shuffled, Direction::Higher), quartile_groups(&shuffled, Direction::Higher));
            for (position, &i) in order.iter().enumerate() {
                prop_assert_eq!(r[i], rs[position]);
                prop_assert_eq!(g[i], gs[position]);
            }
        }

        /// A better value is never in a worse group, in either direction; a missing value is
        /// in no group; every group is 1–4.
        #[test]
        fn groups_are_monotone_in_value(values in values_strategy()) {
            for direction in [Direction::Higher, Direction::Lower] {
                let g = quartile_groups(&values, direction);
                for i in 0..values.len() {
                    prop_assert_eq!(values[i].is_none(), g[i].is_none());
                    prop_assert!(g[i].is_none_or(|g| (1..=4).contains(&g)));
                    for j in 0..values.len() {
                        if let (Some(a), Some(b)) = (values[i], values[j]) {
                            let better = match direction {
                                Direction::Higher => hundredths(a) > hundredths(b),
                                Direction::Lower => hundredths(a) < hundredths(b),
                            };
                            if better { prop_assert!(g[i] <= g[j]); }
                            if hundredths(a) == hundredths(b) { prop_assert_eq!(g[i], g[j]); }
                        }
                    }
                }
            }
        }

        /// Units without a value change nothing for the others: ranks and groups are those of
        /// the units with a value alone.
        #[test]
        fn missing_units_are_left_out_of_ranks_and_cut_offs(values in values_strategy()) {
            let present: Vec<Option<f64>> = values.iter().copied().filter(Option::is_some).collect();
            let (r, g) = (ranks(&values, Direction::Higher), quartile_groups(&values, Direction::Higher));
            let (rp, gp) = (ranks(&present, Direction::Higher), quartile_groups(&present, Direction::Higher));
            let kept: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
            for (p, &i) in kept.iter().enumerate() {
                prop_assert_eq!(r[i], rp[p]);
                prop_assert_eq!(g[i], gp[p]);
            }
        }
    }
}
