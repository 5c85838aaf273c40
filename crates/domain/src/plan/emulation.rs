//! The emulation score of a unit (thi đua, khen thưởng; docs/method.md §7.10): how the
//! emulation council's table ranks the units by their plan work and their result's change.
//!
//! Score = 70 % × the mean completion of the tasks the unit leads (0–100)
//!       + 30 % × (50 + 10 × the change of its index in points), the second term held in 0–100;
//! a unit without two results counts a change of 0 (50). Overdue tasks count 0 % completion.
//! Ties share a rank (competition ranking on the score rounded to 2 decimals).

/// The weight of completion and of the result's change.
pub const COMPLETION_WEIGHT: f64 = 0.7;
pub const CHANGE_WEIGHT: f64 = 0.3;

/// The score of a unit from its mean completion (%) and its index change (points).
pub fn score(mean_completion: f64, change: Option<f64>) -> f64 {
    let change_term = (50.0 + 10.0 * change.unwrap_or(0.0)).clamp(0.0, 100.0);
    let score = COMPLETION_WEIGHT * mean_completion.clamp(0.0, 100.0) + CHANGE_WEIGHT * change_term;
    (score * 100.0).round() / 100.0
}

/// Competition ranks (1, 2, 2, 4) of scores, best first, in the order given.
pub fn ranks(scores: &[f64]) -> Vec<u32> {
    let key = |s: f64| (s * 100.0).round() as i64;
    scores
        .iter()
        .map(|s| 1 + scores.iter().filter(|o| key(**o) > key(*s)).count() as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_score_weighs_completion_and_change() {
        assert_eq!(score(100.0, Some(5.0)), 100.0);
        assert_eq!(score(80.0, None), 71.0);
        assert_eq!(score(80.0, Some(-2.5)), 63.5);
        assert_eq!(score(0.0, Some(-20.0)), 0.0);
        assert_eq!(ranks(&[71.0, 100.0, 71.0, 3.0]), vec![2, 1, 2, 4]);
    }

    proptest! {
        #[test]
        fn scores_stay_in_bounds_and_grow_with_both_terms(
            completion in -10.0f64..110.0, change in -50.0f64..50.0, more in 0.0f64..20.0
        ) {
            let s = score(completion, Some(change));
            prop_assert!((0.0..=100.0).contains(&s));
            prop_assert!(score(completion + more, Some(change)) >= s);
            prop_assert!(score(completion, Some(change + more)) >= s);
        }
    }
}
