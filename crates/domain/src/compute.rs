//! A unit's points: leaf entries checked against the framework, node sums, bonus and penalty,
//! and the index (docs/method.md §2.6–§2.8).

use std::fmt;

use crate::framework::{Framework, Method, NodeId};
use crate::points::Points;
use crate::rule::RuleError;

/// Why a leaf entry is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScoreError {
    #[error("code {0} is not in the framework")]
    UnknownCode(String),
    #[error("code {0} is not a leaf: points go on its sub-criteria")]
    NotALeaf(String),
    #[error("points {points} are outside [0, {max}] for {code}")]
    OutOfRange {
        code: String,
        points: Points,
        max: Points,
    },
    #[error("{code}: {source}")]
    Rule { code: String, source: RuleError },
    #[error("{code} has points already")]
    Duplicate { code: String },
}

/// One unit's entered leaf points. Leaves without an entry score 0 and are reported as missing
/// (docs/formats.md §3).
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreSheet {
    /// Indexed by node id; only leaves are ever set.
    entries: Vec<Option<Points>>,
}

impl ScoreSheet {
    pub fn new(framework: &Framework) -> ScoreSheet {
        ScoreSheet {
            entries: vec![None; framework.nodes().len()],
        }
    }

    /// Sets a leaf's points after checking them: a leaf, in `[0, max]`, one of the levels
    /// where the leaf has fixed levels. Nothing is clamped (docs/method.md §2.6).
    pub fn set(
        &mut self,
        framework: &Framework,
        leaf: NodeId,
        points: Points,
    ) -> Result<(), ScoreError> {
        check_leaf_points(framework, leaf, points)?;
        let code = &framework.node(leaf).code;
        if self.entries[leaf].is_some() {
            return Err(ScoreError::Duplicate { code: code.clone() });
        }
        self.entries[leaf] = Some(points);
        Ok(())
    }

    /// Sets a leaf from its rule's input (threshold, proportional or survey).
    pub fn set_from_input(
        &mut self,
        framework: &Framework,
        leaf: NodeId,
        input: f64,
    ) -> Result<Points, ScoreError> {
        let points = points_from_input(framework, leaf, input)?;
        self.set(framework, leaf, points)?;
        Ok(points)
    }

    /// Sets a leaf's points over what it had, after the same checks as [`ScoreSheet::set`];
    /// returns the earlier points. What-if changes use it (docs/method.md §7.2).
    pub fn replace(
        &mut self,
        framework: &Framework,
        leaf: NodeId,
        points: Points,
    ) -> Result<Option<Points>, ScoreError> {
        check_leaf_points(framework, leaf, points)?;
        Ok(self.entries[leaf].replace(points))
    }

    pub fn get(&self, leaf: NodeId) -> Option<Points> {
        self.entries[leaf]
    }
}

/// Checks a value for a leaf without storing it.
pub fn check_leaf_points(
    framework: &Framework,
    leaf: NodeId,
    points: Points,
) -> Result<(), ScoreError> {
    let node = framework.node(leaf);
    if !node.is_leaf() {
        return Err(ScoreError::NotALeaf(node.code.clone()));
    }
    if points.is_negative() || points > node.max_points {
        return Err(ScoreError::OutOfRange {
            code: node.code.clone(),
            points,
            max: node.max_points,
        });
    }
    if let Some(rule) = &node.rule {
        rule.check_points(points)
            .map_err(|source| ScoreError::Rule {
                code: node.code.clone(),
                source,
            })?;
    }
    Ok(())
}

/// The points a leaf's rule gives for an input.
pub fn points_from_input(
    framework: &Framework,
    leaf: NodeId,
    input: f64,
) -> Result<Points, ScoreError> {
    let node = framework.node(leaf);
    let rule_error = |source| ScoreError::Rule {
        code: node.code.clone(),
        source,
    };
    let rule = node
        .rule
        .as_ref()
        .ok_or_else(|| rule_error(RuleError::NoInputRule))?;
    let points = rule
        .points_from_input(node.max_points, input)
        .map_err(rule_error)?;
    check_leaf_points(framework, leaf, points)?;
    Ok(points)
}

/// A unit's computed points.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitPoints {
    /// Points of every node, indexed by node id: leaves as entered, inner nodes summed.
    pub node_points: Vec<Points>,
    /// Sum of the areas (the 100-point tree).
    pub tree_points: Points,
    pub bonus: Points,
    pub penalty: Points,
    /// Tree points + bonus − penalty. Not clamped: only the index is (docs/formats.md §4.2).
    pub points: Points,
    /// Leaves with no entry, in tree order.
    pub missing: Vec<NodeId>,
}

impl UnitPoints {
    /// The unrounded index in %, clamped to [0, 100].
    pub fn index(&self, framework: &Framework) -> f64 {
        self.points
            .percent_of(framework.max_points())
            .map(|i| i.clamp(0.0, 100.0))
            .unwrap_or(0.0)
    }

    /// The index rounded to 2 decimals, in hundredths, clamped: the ranking key.
    pub fn index_hundredths(&self, framework: &Framework) -> i64 {
        self.points
            .percent_hundredths_of(framework.max_points())
            .map(|i| i.clamp(0, 10_000))
            .unwrap_or(0)
    }

    /// An area's (or any node's) unrounded index; `None` when its max is 0.
    pub fn node_index(&self, framework: &Framework, node: NodeId) -> Option<f64> {
        self.node_points[node].percent_of(framework.node(node).max_points)
    }

    /// An area's (or any node's) index rounded to 2 decimals, in hundredths.
    pub fn node_index_hundredths(&self, framework: &Framework, node: NodeId) -> Option<i64> {
        self.node_points[node].percent_hundredths_of(framework.node(node).max_points)
    }

    /// Points per method of the tree's leaves (self-assessed vs survey), the components of the
    /// published results (B1: appraised 59.79 + surveys 28.68 = 88.47).
    pub fn by_method(&self, framework: &Framework, method: Method) -> (Points, Points) {
        framework
            .leaves()
            .iter()
            .filter(|&&leaf| framework.node(leaf).method == method)
            .fold((Points::ZERO, Points::ZERO), |(points, max), &leaf| {
                (
                    points + self.node_points[leaf],
                    max + framework.node(leaf).max_points,
                )
            })
    }
}

/// Sums a sheet over the tree (docs/method.md §2.7: plain sums, no re-weighting).
pub fn compute_unit(framework: &Framework, sheet: &ScoreSheet) -> UnitPoints {
    let mut node_points = vec![Points::ZERO; framework.nodes().len()];
    let mut missing = Vec::new();
    for &id in framework.bottom_up() {
        let node = framework.node(id);
        node_points[id] = if node.is_leaf() {
            sheet.entries[id].unwrap_or(Points::ZERO)
        } else {
            node.children.iter().map(|&c| node_points[c]).sum()
        };
    }
    for &leaf in framework.leaves() {
        if sheet.entries[leaf].is_none() {
            missing.push(leaf);
        }
    }
    let tree_points = framework.areas().iter().map(|&a| node_points[a]).sum();
    let outside = |method: Method| -> Points {
        framework
            .outside_tree()
            .iter()
            .filter(|&&id| framework.node(id).method == method)
            // Each entry is within its leaf's max, so the sum is within the node's cap; the
            // min() keeps the cap even for a group whose children exceed it.
            .map(|&id| node_points[id].min(framework.node(id).max_points))
            .sum()
    };
    let bonus = outside(Method::Bonus);
    let penalty = outside(Method::Penalty);
    UnitPoints {
        node_points,
        tree_points,
        bonus,
        penalty,
        points: tree_points + bonus - penalty,
        missing,
    }
}

impl fmt::Display for UnitPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (tree {} + bonus {} − penalty {})",
            self.points, self.tree_points, self.bonus, self.penalty
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::tests::example;

    fn p(text: &str) -> Points {
        text.parse().unwrap()
    }

    fn sheet(f: &Framework, entries: &[(&str, &str)]) -> ScoreSheet {
        let mut sheet = ScoreSheet::new(f);
        for (code, points) in entries {
            sheet.set(f, f.find(code).unwrap(), p(points)).unwrap();
        }
        sheet
    }

    /// Unit 48 of the compute example (examples/README.md, hand computation 1).
    #[test]
    fn sums_unit_48_of_the_example() {
        let f = example();
        let s = sheet(
            &f,
            &[
                ("1.1", "8"),
                ("1.2", "4.5"),
                ("1.3", "7"),
                ("2.1", "10"),
                ("2.2.1", "12"),
                ("2.2.2", "15"),
                ("3.1", "17.25"),
                ("3.2", "11"),
                ("4", "0.5"),
                ("5", "0"),
            ],
        );
        let result = compute_unit(&f, &s);
        assert_eq!(result.tree_points, p("84.75"));
        assert_eq!(result.points, p("85.25"));
        assert_eq!(result.index(&f), 85.25);
        let area2 = f.find("2").unwrap();
        assert_eq!(result.node_points[area2], p("37"));
        assert!((result.node_index(&f, area2).unwrap() - 82.222_222_222).abs() < 1e-6);
        assert!(result.missing.is_empty());
        assert_eq!(result.by_method(&f, Method::Survey), (p("17.25"), p("20")));
    }

    #[test]
    fn clamps_only_the_index() {
        let f = example();
        let s = sheet(
            &f,
            &[
                ("1.1", "8"),
                ("1.2", "4.5"),
                ("1.3", "7.5"),
                ("2.1", "12"),
                ("2.2.1", "15"),
                ("2.2.2", "18"),
                ("3.1", "19.5"),
                ("3.2", "14.5"),
                ("4", "2"),
            ],
        );
        let result = compute_unit(&f, &s);
        assert_eq!(result.points, p("101"));
        assert_eq!(result.index(&f), 100.0);
        assert_eq!(result.index_hundredths(&f), 10_000);
        let penalty_only = compute_unit(&f, &sheet(&f, &[("5", "3")]));
        assert_eq!(penalty_only.points, p("-3"));
        assert_eq!(penalty_only.index(&f), 0.0);
        assert_eq!(penalty_only.missing.len(), 9);
    }

    #[test]
    fn refuses_bad_entries_without_clamping() {
        let f = example();
        let mut s = ScoreSheet::new(&f);
        let leaf = f.find("1.2").unwrap();
        assert_eq!(
            s.set(&f, leaf, p("4.6")).unwrap_err().to_string(),
            "points 4.6 are outside [0, 4.5] for 1.2"
        );
        assert!(s.set(&f, leaf, p("-0.5")).is_err());
        assert!(matches!(
            s.set(&f, f.find("2.2").unwrap(), p("1")),
            Err(ScoreError::NotALeaf(_))
        ));
        s.set(&f, leaf, p("4")).unwrap();
        assert!(matches!(
            s.set(&f, leaf, p("4")),
            Err(ScoreError::Duplicate { .. })
        ));
        assert_eq!(s.get(leaf), Some(p("4")));
    }
}
