//! The components of a unit's points as the Ministry publishes them (docs/method.md §2.3):
//! the points the council appraised (self-assessed leaves) and the points of each survey
//! (SIPAS, the leader survey, …, by the source named in the leaves' survey rules).

use crate::compute::UnitPoints;
use crate::framework::{Framework, Method};
use crate::points::Points;
use crate::ranking::competition_ranks;

/// One component of the points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    /// Self-assessed leaves, as appraised.
    Appraised,
    /// The survey leaves filled from one source (`sipas`, `leaders`).
    Survey(String),
}

/// The components of a framework's tree, in order: appraised first, then each survey source
/// in the order its first leaf appears. A framework without survey leaves has one component.
pub fn components(framework: &Framework) -> Vec<Component> {
    let mut found = Vec::new();
    for &leaf in framework.leaves() {
        let node = framework.node(leaf);
        let component = match node.method {
            Method::SelfAssessed => Component::Appraised,
            Method::Survey => Component::Survey(survey_source(node).to_string()),
            Method::Bonus | Method::Penalty => continue,
        };
        if !found.contains(&component) {
            found.push(component);
        }
    }
    found.sort_by_key(|c| !matches!(c, Component::Appraised));
    found
}

/// The source a survey leaf is filled from (empty when its rule names none).
fn survey_source(node: &crate::framework::Node) -> &str {
    match &node.rule {
        Some(crate::rule::Rule::Survey { source }) => source,
        _ => "",
    }
}

/// A unit's points on a component, and the component's maximum.
pub fn component_points(
    framework: &Framework,
    points: &UnitPoints,
    component: &Component,
) -> (Points, Points) {
    framework
        .leaves()
        .iter()
        .filter(|&&leaf| {
            let node = framework.node(leaf);
            match component {
                Component::Appraised => node.method == Method::SelfAssessed,
                Component::Survey(source) => {
                    node.method == Method::Survey && survey_source(node) == source
                }
            }
        })
        .fold((Points::ZERO, Points::ZERO), |(sum, max), &leaf| {
            (
                sum + points.node_points[leaf],
                max + framework.node(leaf).max_points,
            )
        })
}

/// Competition ranks of units on one component (1 = most points; ties share a rank).
pub fn component_ranks(points: &[Points]) -> Vec<u32> {
    let keys: Vec<i64> = points.iter().map(|p| p.ten_thousandths()).collect();
    competition_ranks(&keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::{ScoreSheet, compute_unit};

    #[test]
    fn components_split_the_tree_and_sum_to_it() {
        let framework = crate::framework::tests::example();
        let found = components(&framework);
        assert_eq!(found[0], Component::Appraised);
        assert!(
            found.iter().any(|c| matches!(c, Component::Survey(_))),
            "{found:?}"
        );
        // Full marks everywhere: the components' points are their maxima and sum to the tree.
        let mut sheet = ScoreSheet::new(&framework);
        for &leaf in framework.leaves() {
            let node = framework.node(leaf);
            if !node.method.is_outside_tree() {
                sheet.set(&framework, leaf, node.max_points).unwrap();
            }
        }
        let points = compute_unit(&framework, &sheet);
        let total: Points = found
            .iter()
            .map(|c| {
                let (p, max) = component_points(&framework, &points, c);
                assert_eq!(p, max);
                p
            })
            .sum();
        assert_eq!(total, framework.max_points());
        assert_eq!(
            component_ranks(&[Points::ZERO, "1".parse().unwrap(), "1".parse().unwrap()]),
            [3, 1, 1]
        );
    }
}
