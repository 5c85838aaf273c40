//! Competition ranking with ties (docs/formats.md §4.3, docs/method.md §2.9): equal values share a rank and the next
//! rank skips (1, 2, 2, 4).

use std::collections::HashMap;
use std::hash::Hash;

/// Ranks of `keys`, higher is better, in input order. Keys are exact integers (an index in
/// hundredths), so ties are decided without float comparisons.
pub fn competition_ranks(keys: &[i64]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| keys[b].cmp(&keys[a]));
    let mut ranks = vec![0u32; keys.len()];
    let mut previous: Option<(i64, u32)> = None;
    for (position, &i) in order.iter().enumerate() {
        let rank = match previous {
            Some((key, rank)) if key == keys[i] => rank,
            _ => position as u32 + 1,
        };
        ranks[i] = rank;
        previous = Some((keys[i], rank));
    }
    ranks
}

/// Ranks within groups (a region, or any declared group of units): each unit is ranked among
/// the units of its own group; units without a group get `None`.
pub fn ranks_within_groups<G: Eq + Hash>(keys: &[i64], groups: &[Option<G>]) -> Vec<Option<u32>> {
    assert_eq!(keys.len(), groups.len(), "one group per key");
    let mut members: HashMap<&G, Vec<usize>> = HashMap::new();
    for (i, group) in groups.iter().enumerate() {
        if let Some(group) = group {
            members.entry(group).or_default().push(i);
        }
    }
    let mut ranks = vec![None; keys.len()];
    for indices in members.values() {
        let group_keys: Vec<i64> = indices.iter().map(|&i| keys[i]).collect();
        for (&i, rank) in indices.iter().zip(competition_ranks(&group_keys)) {
            ranks[i] = Some(rank);
        }
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_share_and_skip() {
        assert_eq!(
            competition_ranks(&[10_000, 8_525, 8_525, 7_843, 7_843, 6_512]),
            [1, 2, 2, 4, 4, 6]
        );
        assert_eq!(competition_ranks(&[5, 9, 5, 9]), [3, 1, 3, 1]);
        assert!(competition_ranks(&[]).is_empty());
    }

    #[test]
    fn groups_rank_separately() {
        let groups = [Some("north"), Some("south"), Some("north"), None];
        assert_eq!(
            ranks_within_groups(&[50, 60, 70, 80], &groups),
            [Some(2), Some(1), Some(1), None]
        );
    }

    proptest! {
        /// A rank is one more than the number of strictly better keys: this is exactly the
        /// competition ranking, and it agrees with the order and with ties.
        #[test]
        fn rank_is_one_plus_the_number_of_better_keys(keys in proptest::collection::vec(0i64..50, 0..60)) {
            let ranks = competition_ranks(&keys);
            for (i, &key) in keys.iter().enumerate() {
                let better = keys.iter().filter(|&&other| other > key).count() as u32;
                prop_assert_eq!(ranks[i], better + 1);
            }
            for i in 0..keys.len() {
                for j in 0..keys.len() {
                    prop_assert_eq!(keys[i] == keys[j], ranks[i] == ranks[j]);
                    prop_assert_eq!(keys[i] > keys[j], ranks[i] < ranks[j]);
                }
            }
        }
    }
}
