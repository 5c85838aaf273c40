//! Properties of the scoring maths (docs/method.md §2.7–§2.9) over random frameworks and scores.

use proptest::prelude::*;

use crate::simulator::{Change, simulate};
use crate::testing::{arb_evaluation_input, arb_framework, arb_sheet};
use crate::weakness::{Target, what_it_takes};
use crate::{Bands, Points, compute_unit, evaluate};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every inner node's points are the sum of its children's, and every node stays within
    /// [0, max].
    #[test]
    fn a_node_is_the_sum_of_its_children(
        (framework, sheet) in arb_framework().prop_flat_map(|f| { let s = arb_sheet(&f); (Just(f), s) })
    ) {
        let result = compute_unit(&framework, &sheet);
        for (id, node) in framework.nodes().iter().enumerate() {
            if !node.is_leaf() {
                let children: Points = node.children.iter().map(|&c| result.node_points[c]).sum();
                prop_assert_eq!(result.node_points[id], children, "node {}", node.code);
            }
            prop_assert!(!result.node_points[id].is_negative());
            prop_assert!(result.node_points[id] <= node.max_points);
        }
        let areas: Points = framework.areas().iter().map(|&a| result.node_points[a]).sum();
        prop_assert_eq!(result.tree_points, areas);
        prop_assert_eq!(result.points, result.tree_points + result.bonus - result.penalty);
    }

    /// The index stays within [0, 100] whatever the bonus and penalty, and agrees with its
    /// rounded ranking key.
    #[test]
    fn the_index_stays_within_0_and_100((framework, units) in arb_evaluation_input()) {
        let evaluation = evaluate(&framework, units, &Bands::default());
        for unit in &evaluation.units {
            prop_assert!((0.0..=100.0).contains(&unit.index), "index {}", unit.index);
            prop_assert!((0..=10_000).contains(&unit.index_hundredths));
            prop_assert!((unit.index - unit.index_hundredths as f64 / 100.0).abs() <= 0.005 + 1e-9);
            for area in &unit.areas {
                if let Some(index) = area.index {
                    prop_assert!((0.0..=100.0 + 1e-9).contains(&index));
                }
            }
        }
    }

    /// Ranks agree with the order of the rounded index and with ties, and units are listed by
    /// rank, then code.
    #[test]
    fn ranks_agree_with_the_order((framework, units) in arb_evaluation_input()) {
        let evaluation = evaluate(&framework, units, &Bands::default());
        let units = &evaluation.units;
        for a in units {
            let better = units.iter().filter(|b| b.index_hundredths > a.index_hundredths).count() as u32;
            prop_assert_eq!(a.rank, better + 1);
            let better_in_group = units
                .iter()
                .filter(|b| b.group == a.group && b.index_hundredths > a.index_hundredths)
                .count() as u32;
            prop_assert_eq!(a.group_rank, Some(better_in_group + 1));
        }
        for pair in units.windows(2) {
            prop_assert!((pair[0].rank, &pair[0].code) < (pair[1].rank, &pair[1].code));
        }
    }

    /// Shuffling the units (and so the input rows) changes nothing.
    #[test]
    fn shuffling_the_input_changes_nothing(((framework, units), seed) in (arb_evaluation_input(), any::<u64>())) {
        let reference = evaluate(&framework, units.clone(), &Bands::default());
        let mut shuffled = units;
        // A Fisher–Yates shuffle driven by a small LCG: deterministic for the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(evaluate(&framework, shuffled, &Bands::default()), reference);
    }

    /// What it takes (docs/method.md §7.2): when a target rank is reachable, recovering the
    /// proposed leaves reaches it, the others as they stand; leaving any one of them out does
    /// not, so no smaller subset of the proposal reaches it either.
    #[test]
    fn what_it_takes_reaches_the_rank_and_no_less_does(
        ((framework, units), pick, rank) in (arb_evaluation_input(), any::<prop::sample::Index>(), 1u32..8)
    ) {
        let bands = Bands::default();
        let evaluation = evaluate(&framework, units.clone(), &bands);
        let unit = &evaluation.units[pick.index(evaluation.units.len())];
        let rank = rank.min(evaluation.units.len() as u32);
        let taken = what_it_takes(&framework, &evaluation, unit, Target::Rank(rank)).unwrap();
        prop_assume!(taken.reachable);
        let changes: Vec<Change> = taken
            .leaves
            .iter()
            .map(|loss| Change::recovering(&framework, loss))
            .collect();
        // A change a leaf's levels refuse (no 0 level on a penalty) cannot be simulated.
        let Ok(after) = simulate(&framework, &units, &bands, &unit.code, &changes) else {
            return Ok(());
        };
        prop_assert!(after.rank <= rank, "rank {} for target {}", after.rank, rank);
        prop_assert!(after.index_hundredths >= taken.target_index_hundredths);
        if taken.points_needed > Points::ZERO {
            for left_out in 0..changes.len() {
                let mut fewer = changes.clone();
                fewer.remove(left_out);
                let short = simulate(&framework, &units, &bands, &unit.code, &fewer).unwrap();
                prop_assert!(
                    short.rank > rank || short.index_hundredths < taken.target_index_hundredths,
                    "without leaf {} the unit still reaches rank {}", left_out, rank
                );
            }
        } else {
            prop_assert!(changes.is_empty());
        }
    }

    /// The weakest leaves across a group (docs/method.md §7.2, §10.1): each one's loss is what
    /// every unit lost there, its share what they reached, its full marks those who lost
    /// nothing; no leaf with a loss is left out and the list runs from the largest loss down.
    #[test]
    fn the_weakest_leaves_add_up_every_units_loss((framework, units) in arb_evaluation_input()) {
        let evaluation = evaluate(&framework, units, &Bands::default());
        let weakest = crate::weakness::weakest_leaves(&framework, &evaluation);
        for pair in weakest.windows(2) {
            prop_assert!(pair[0].lost >= pair[1].lost);
        }
        for &leaf in framework.leaves() {
            let node = framework.node(leaf);
            if node.method.is_outside_tree() || node.max_points <= Points::ZERO {
                continue;
            }
            let lost: Points = evaluation.units.iter().map(|u| node.max_points - u.points.node_points[leaf]).sum();
            let full = evaluation.units.iter().filter(|u| u.points.node_points[leaf] >= node.max_points).count();
            match weakest.iter().find(|w| w.leaf == leaf) {
                Some(w) => {
                    prop_assert_eq!(w.lost, lost);
                    prop_assert_eq!(w.full_marks, full);
                    prop_assert!((0.0..100.0).contains(&w.share));
                }
                None => prop_assert_eq!(lost, Points::ZERO),
            }
        }
    }
}
