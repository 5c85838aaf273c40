//! The components of a unit's points as the Ministry publishes them (docs/method.md §2.3):
//! the points the council appraised (self-assessed leaves; split into the results of the
//! reform and the impact on socio-economic development where the framework marks impact
//! nodes) and the points of each survey (SIPAS, the leader survey, …, by the source named in
//! the leaves' survey rules).

use crate::compute::UnitPoints;
use crate::framework::{Framework, Method};
use crate::points::Points;
use crate::ranking::competition_ranks;

/// One component of the points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    /// Self-assessed leaves, as appraised (a framework without impact nodes).
    Appraised,
    /// Self-assessed leaves outside the impact nodes: the results of the reform.
    Results,
    /// Self-assessed leaves under a node marked `impact`.
    Impact,
    /// The survey leaves filled from one source (`sipas`, `leaders`).
    Survey(String),
}

/// The components of a framework's tree, in order: appraised first (results, then impact,
/// where the framework marks impact nodes), then each survey source in the order its first
/// leaf appears. A framework without survey leaves or impact nodes has one component.
pub fn components(framework: &Framework) -> Vec<Component> {
    let split = framework
        .leaves()
        .iter()
        .any(|&l| framework.node(l).impact && framework.node(l).method == Method::SelfAssessed);
    let mut found = Vec::new();
    for &leaf in framework.leaves() {
        let node = framework.node(leaf);
        let component = match node.method {
            Method::SelfAssessed if !split => Component::Appraised,
            Method::SelfAssessed if node.impact => Component::Impact,
            Method::SelfAssessed => Component::Results,
            Method::Survey => Component::Survey(survey_source(node).to_string()),
            Method::Bonus | Method::Penalty => continue,
        };
        if !found.contains(&component) {
            found.push(component);
        }
    }
    found.sort_by_key(|c| match c {
        Component::Appraised | Component::Results => 0,
        Component::Impact => 1,
        Component::Survey(_) => 2,
    });
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
                Component::Results => node.method == Method::SelfAssessed && !node.impact,
                Component::Impact => node.method == Method::SelfAssessed && node.impact,
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
    use crate::framework::{FrameworkMeta, NodeSpec};

    /// Two areas of self-assessed leaves, the second marked impact, and a SIPAS leaf in it.
    fn with_impact() -> Framework {
        let spec = |row, code: &str, max: Option<&str>, impact: bool| NodeSpec {
            row,
            code: code.into(),
            title: format!("Node {code}"),
            max_points: max.map(|m| m.parse().unwrap()),
            impact,
            ..NodeSpec::default()
        };
        let mut sipas = spec(7, "2.2", Some("10"), false);
        sipas.method = Some(Method::Survey);
        sipas.rule = Some(crate::rule::Rule::Survey {
            source: "sipas".into(),
        });
        Framework::build(
            FrameworkMeta::default(),
            vec![
                spec(2, "1", None, false),
                spec(3, "1.1", Some("4"), false),
                spec(4, "1.2", Some("6"), false),
                spec(5, "2", None, true),
                spec(6, "2.1", Some("3"), false),
                sipas,
            ],
        )
        .unwrap()
    }

    #[test]
    fn impact_nodes_split_the_appraised_points_into_results_and_impact() {
        let framework = with_impact();
        let found = components(&framework);
        assert_eq!(
            found,
            [
                Component::Results,
                Component::Impact,
                Component::Survey("sipas".into())
            ]
        );
        // The marker is inherited: 2.1 sits under the impact area.
        assert!(framework.node(framework.find("2.1").unwrap()).impact);
        assert!(!framework.node(framework.find("2.1").unwrap()).impact_stated);
        let mut sheet = ScoreSheet::new(&framework);
        for (code, points) in [("1.1", "3"), ("1.2", "5.5"), ("2.1", "2"), ("2.2", "8.25")] {
            let id = framework.find(code).unwrap();
            sheet.set(&framework, id, points.parse().unwrap()).unwrap();
        }
        let points = compute_unit(&framework, &sheet);
        let p = |c: Component| component_points(&framework, &points, &c);
        let s = |t: &str| t.parse::<Points>().unwrap();
        assert_eq!(p(Component::Results), (s("8.5"), s("10")));
        assert_eq!(p(Component::Impact), (s("2"), s("3")));
        // Results and impact together are the appraised part.
        assert_eq!(p(Component::Appraised), (s("10.5"), s("13")));
        // Without the marker there is one appraised component, as before.
        assert_eq!(
            components(&crate::framework::tests::example())[0],
            Component::Appraised
        );
    }

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
