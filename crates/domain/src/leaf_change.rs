//! A unit's leaves against the same leaves a year earlier (docs/method.md §7.2, "leaves that
//! fell"): each leaf of this year's framework is matched with the leaf of the same code in the
//! earlier framework, or with the leaves it `continues` when the framework changed version
//! (docs/method.md §2.3); a continued inner node stands for all the leaves under it. Leaves
//! are compared as shares of their maximum, so a leaf whose maximum changed between versions
//! is compared fairly; the drop is then expressed in this year's points.

use crate::compute::ScoreSheet;
use crate::framework::{Framework, NodeId};
use crate::points::Points;

/// One leaf that scored a smaller share of its maximum than a year earlier.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafChange {
    pub leaf: NodeId,
    pub points: Points,
    pub max_points: Points,
    /// The earlier leaf's (or leaves') points and maximum.
    pub previous_points: Points,
    pub previous_max: Points,
    /// The earlier leaf codes it was compared with.
    pub previous_codes: Vec<String>,
    /// The drop in this year's points: (earlier share − share) × this year's maximum.
    pub drop: f64,
}

/// The earlier leaves a leaf is compared with: its `continues` codes (an inner node standing
/// for its leaves), else the leaf of the same code.
fn earlier_leaves(framework: &Framework, leaf: NodeId, previous: &Framework) -> Vec<NodeId> {
    let node = framework.node(leaf);
    let codes: Vec<&str> = if node.continues.is_empty() {
        vec![node.code.as_str()]
    } else {
        node.continues.iter().map(String::as_str).collect()
    };
    let mut leaves = Vec::new();
    for code in codes {
        let Some(found) = previous.find(code) else {
            continue;
        };
        let prefix = format!("{}.", previous.node(found).code);
        leaves.extend(
            previous
                .leaves()
                .iter()
                .copied()
                .filter(|&l| l == found || previous.node(l).code.starts_with(&prefix)),
        );
    }
    leaves.sort_unstable();
    leaves.dedup();
    leaves
}

/// The leaves of the tree (bonus and penalty items aside) whose share of the maximum fell since
/// the earlier sheet, the largest drop first. A leaf without a value in either year, or without
/// an earlier match, is left out.
pub fn fallen_leaves(
    framework: &Framework,
    sheet: &ScoreSheet,
    previous: &Framework,
    previous_sheet: &ScoreSheet,
) -> Vec<LeafChange> {
    let mut fallen = Vec::new();
    for &leaf in framework.leaves() {
        let node = framework.node(leaf);
        if node.method.is_outside_tree() || node.max_points <= Points::ZERO {
            continue;
        }
        let Some(points) = sheet.get(leaf) else {
            continue;
        };
        let earlier = earlier_leaves(framework, leaf, previous);
        let values: Option<Vec<Points>> = earlier.iter().map(|&l| previous_sheet.get(l)).collect();
        let Some(values) = values.filter(|v| !v.is_empty()) else {
            continue;
        };
        let previous_points = values.iter().copied().sum::<Points>();
        let previous_max = earlier
            .iter()
            .map(|&l| previous.node(l).max_points)
            .sum::<Points>();
        if previous_max <= Points::ZERO {
            continue;
        }
        let share = points.to_f64() / node.max_points.to_f64();
        let earlier_share = previous_points.to_f64() / previous_max.to_f64();
        let drop = (earlier_share - share) * node.max_points.to_f64();
        if drop > 1e-9 {
            fallen.push(LeafChange {
                leaf,
                points,
                max_points: node.max_points,
                previous_points,
                previous_max,
                previous_codes: earlier
                    .iter()
                    .map(|&l| previous.node(l).code.clone())
                    .collect(),
                drop,
            });
        }
    }
    fallen.sort_by(|a, b| b.drop.total_cmp(&a.drop).then(a.leaf.cmp(&b.leaf)));
    fallen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{FrameworkMeta, Method, NodeSpec};

    fn spec(code: &str, max: &str, continues: &[&str]) -> NodeSpec {
        NodeSpec {
            code: code.into(),
            title: format!("Tiêu chí {code}"),
            max_points: Some(max.parse().unwrap()),
            method: Some(Method::SelfAssessed),
            continues: continues.iter().map(|c| c.to_string()).collect(),
            impact: false,
            ..NodeSpec::default()
        }
    }

    fn framework(id: &str, specs: Vec<NodeSpec>) -> Framework {
        Framework::build(
            FrameworkMeta {
                id: id.into(),
                title: id.into(),
                ..FrameworkMeta::default()
            },
            specs,
        )
        .unwrap()
    }

    fn sheet(framework: &Framework, values: &[(&str, &str)]) -> ScoreSheet {
        let mut sheet = ScoreSheet::new(framework);
        for (code, points) in values {
            sheet
                .set(
                    framework,
                    framework.find(code).unwrap(),
                    points.parse().unwrap(),
                )
                .unwrap();
        }
        sheet
    }

    #[test]
    fn the_same_framework_compares_leaf_by_leaf() {
        let fw = framework(
            "f",
            vec![
                spec("1", "4", &[]),
                spec("1.1", "2", &[]),
                spec("1.2", "2", &[]),
            ],
        );
        let before = sheet(&fw, &[("1.1", "2"), ("1.2", "1")]);
        let now = sheet(&fw, &[("1.1", "1"), ("1.2", "2")]);
        let fallen = fallen_leaves(&fw, &now, &fw, &before);
        assert_eq!(fallen.len(), 1);
        assert_eq!(fw.node(fallen[0].leaf).code, "1.1");
        assert_eq!(fallen[0].previous_points, "2".parse().unwrap());
        assert!((fallen[0].drop - 1.0).abs() < 1e-9);
        // Nothing fell against itself.
        assert!(fallen_leaves(&fw, &now, &fw, &now).is_empty());
    }

    #[test]
    fn a_new_version_compares_shares_through_continues() {
        let old = framework(
            "old",
            vec![
                spec("1", "3", &[]),
                spec("1.1", "1", &[]),
                spec("1.2", "2", &[]),
                spec("2", "1", &[]),
                spec("2.1", "1", &[]),
            ],
        );
        // 1.1 now continues the whole of old area 1 (3 points), worth 6; 2.1 is new.
        let new = framework(
            "new",
            vec![
                spec("1", "6", &[]),
                spec("1.1", "6", &["1"]),
                spec("2", "1", &[]),
                spec("2.1", "1", &["9.9"]),
            ],
        );
        let before = sheet(&old, &[("1.1", "1"), ("1.2", "2"), ("2.1", "1")]);
        let now = sheet(&new, &[("1.1", "4"), ("2.1", "0")]);
        let fallen = fallen_leaves(&new, &now, &old, &before);
        // Area 1 was at 3/3 = 100 %, now 4/6: a drop of 2 of this year's points.
        assert_eq!(fallen.len(), 1, "{fallen:?}");
        assert_eq!(new.node(fallen[0].leaf).code, "1.1");
        assert_eq!(fallen[0].previous_codes, ["1.1", "1.2"]);
        assert_eq!(fallen[0].previous_max, "3".parse().unwrap());
        assert!((fallen[0].drop - 2.0).abs() < 1e-9);
    }
}
