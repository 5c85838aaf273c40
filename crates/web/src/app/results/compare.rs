//! Two to five units of one group side by side, area by area (docs/method.md §7.2): the
//! comparison is anchored at a unit's page and offers the other units of its group; units of
//! another group, or past the fifth, are left out and the page says so. Nothing is stored.

use chiso_domain::evaluation::{Evaluation, UnitOutcome};

/// The most units compared at once.
pub const MOST: usize = 5;

/// The units compared: the anchor first, then the others in the order asked.
pub struct Comparison<'a> {
    pub units: Vec<&'a UnitOutcome>,
    /// Asked units that are not ranked in the anchor's group.
    pub outside_group: usize,
    /// Asked units past the fifth.
    pub past_limit: usize,
}

/// The anchor unit (`anchor`, ranked in `evaluation`, a unit's group) with the asked units of
/// the same group; duplicates and the anchor itself are ignored.
pub fn compare<'a>(evaluation: &'a Evaluation, anchor: i64, asked: &[i64]) -> Comparison<'a> {
    let Some(first) = evaluation.find(&anchor.to_string()) else {
        return Comparison {
            units: Vec::new(),
            outside_group: asked.len(),
            past_limit: 0,
        };
    };
    let mut units = vec![first];
    let mut seen = vec![anchor];
    let (mut outside_group, mut past_limit) = (0, 0);
    for &id in asked {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let Some(outcome) = evaluation.find(&id.to_string()) else {
            outside_group += 1;
            continue;
        };
        if units.len() == MOST {
            past_limit += 1;
            continue;
        }
        units.push(outcome);
    }
    Comparison {
        units,
        outside_group,
        past_limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::Points;
    use chiso_domain::compute::UnitPoints;

    fn unit(code: &str) -> UnitOutcome {
        UnitOutcome {
            code: code.into(),
            group: None,
            points: UnitPoints {
                node_points: Vec::new(),
                tree_points: Points::ZERO,
                bonus: Points::ZERO,
                penalty: Points::ZERO,
                points: Points::ZERO,
                missing: Vec::new(),
            },
            index: 0.0,
            index_hundredths: 0,
            rank: 1,
            group_rank: None,
            areas: Vec::new(),
            classification: String::new(),
        }
    }

    #[test]
    fn the_anchor_and_at_most_four_more_of_its_group() {
        let evaluation = Evaluation {
            units: (1..=7).map(|i| unit(&i.to_string())).collect(),
        };
        let codes = |c: &Comparison<'_>| -> Vec<String> {
            c.units.iter().map(|u| u.code.clone()).collect()
        };
        let c = compare(&evaluation, 3, &[]);
        assert_eq!(codes(&c), ["3"]);
        // Duplicates and the anchor itself count once; an unknown unit is outside the group.
        let c = compare(&evaluation, 3, &[5, 3, 5, 99, 1]);
        assert_eq!(codes(&c), ["3", "5", "1"]);
        assert_eq!((c.outside_group, c.past_limit), (1, 0));
        // Past the fifth unit, the rest are left out and counted.
        let c = compare(&evaluation, 3, &[1, 2, 4, 5, 6, 7]);
        assert_eq!(codes(&c), ["3", "1", "2", "4", "5"]);
        assert_eq!((c.outside_group, c.past_limit), (0, 2));
        // An anchor that is not ranked compares nothing.
        let c = compare(&evaluation, 42, &[1]);
        assert!(c.units.is_empty());
    }
}
