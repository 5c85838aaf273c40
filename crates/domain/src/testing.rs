//! Random frameworks and score sheets for property tests (feature `test-support`).

use proptest::prelude::*;

use crate::compute::ScoreSheet;
use crate::evaluation::UnitInput;
use crate::framework::{Framework, FrameworkMeta, Method, NodeSpec};
use crate::points::Points;
use crate::rule::Rule;

/// Max points in quarter points, 0.25 to 10.
fn leaf_max() -> impl Strategy<Value = Points> {
    (1i64..=40).prop_map(|quarters| Points::from_ten_thousandths(quarters * 2_500))
}

fn method() -> impl Strategy<Value = Option<Method>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(Method::SelfAssessed)),
        1 => Just(Some(Method::Survey)),
    ]
}

/// A generated leaf: its max points, its method, whether it has a levels rule, whether it
/// requires evidence.
type ArbLeaf = (Points, Option<Method>, bool, bool);
/// A generated criterion: its sub-criteria, and itself as a leaf when it has none.
type ArbCriterion = (Vec<ArbLeaf>, ArbLeaf);
/// A generated area: its criteria, its max when it has none, whether it states its max.
type ArbArea = (Vec<ArbCriterion>, Points, bool);

/// A random framework: 1–5 areas of depth up to 3, optional bonus and penalty, some leaves with
/// fixed levels, some inner nodes stating their max.
pub fn arb_framework() -> impl Strategy<Value = Framework> {
    let leaf = || (leaf_max(), method(), any::<bool>(), any::<bool>());
    let criterion = (prop::collection::vec(leaf(), 0..4), leaf());
    let area = (
        prop::collection::vec(criterion, 0..4),
        leaf_max(),
        any::<bool>(),
    );
    (
        prop::collection::vec(area, 1..6),
        prop::option::of(leaf_max()),
        prop::option::of(leaf_max()),
        "[a-zA-ZĐđÀ-ỹ ,\"]{1,30}",
    )
        .prop_map(|(areas, bonus, penalty, title)| framework_of(&areas, bonus, penalty, title))
}

/// The rows of a generated framework, numbered from 2 as under a header row.
struct Rows {
    title: String,
    specs: Vec<NodeSpec>,
}

impl Rows {
    fn push(
        &mut self,
        code: String,
        max: Option<Points>,
        method: Option<Method>,
        rule: Option<Rule>,
        evidence: bool,
    ) {
        self.specs.push(NodeSpec {
            row: self.specs.len() + 2,
            title: format!("{} {code}", self.title),
            code,
            max_points: max,
            method,
            evidence_required: evidence,
            rule,
            ..NodeSpec::default()
        });
    }

    /// An area, then its criteria.
    fn area(&mut self, number: usize, (criteria, area_max, state_area_max): &ArbArea) {
        let area_code = number.to_string();
        let total: Points = if criteria.is_empty() {
            *area_max
        } else {
            criteria
                .iter()
                .map(|(subs, own)| criterion_max(subs, own.0))
                .sum()
        };
        let stated = (*state_area_max || criteria.is_empty()).then_some(total);
        self.push(area_code.clone(), stated, None, None, false);
        for (c, criterion) in criteria.iter().enumerate() {
            self.criterion(format!("{area_code}.{}", c + 1), criterion);
        }
    }

    /// A criterion: a leaf, or an inner node then its sub-criteria.
    fn criterion(&mut self, code: String, (subs, own): &ArbCriterion) {
        if subs.is_empty() {
            let rule = own.2.then(|| Rule::Levels {
                levels: vec![Points::ZERO, own.0],
            });
            self.push(code, Some(own.0), own.1, rule, own.3);
            return;
        }
        self.push(
            code.clone(),
            own.3.then(|| criterion_max(subs, own.0)),
            None,
            None,
            false,
        );
        for (s, (max, method, levels, evidence)) in subs.iter().enumerate() {
            let rule = levels.then(|| Rule::Levels {
                levels: vec![Points::ZERO, *max],
            });
            self.push(
                format!("{code}.{}", s + 1),
                Some(*max),
                *method,
                rule,
                *evidence,
            );
        }
    }
}

/// A criterion's max: its own, or its sub-criteria's sum.
fn criterion_max(subs: &[ArbLeaf], own: Points) -> Points {
    if subs.is_empty() {
        own
    } else {
        subs.iter().map(|s| s.0).sum()
    }
}

/// The framework of generated areas, bonus and penalty.
fn framework_of(
    areas: &[ArbArea],
    bonus: Option<Points>,
    penalty: Option<Points>,
    title: String,
) -> Framework {
    let mut rows = Rows {
        title: title.clone(),
        specs: Vec::new(),
    };
    for (a, area) in areas.iter().enumerate() {
        rows.area(a + 1, area);
    }
    let next = areas.len() + 1;
    if let Some(max) = bonus {
        rows.push(
            next.to_string(),
            Some(max),
            Some(Method::Bonus),
            None,
            false,
        );
    }
    if let Some(max) = penalty {
        rows.push(
            (next + 1).to_string(),
            Some(max),
            Some(Method::Penalty),
            None,
            false,
        );
    }
    Framework::build(
        FrameworkMeta {
            id: "random".into(),
            title,
            ..FrameworkMeta::default()
        },
        rows.specs,
    )
    .expect("generated frameworks are valid")
}

/// A sheet for `framework`: each leaf missing, or with points allowed by its max and rule.
pub fn arb_sheet(framework: &Framework) -> impl Strategy<Value = ScoreSheet> + use<> {
    let framework = framework.clone();
    let choices: Vec<_> = framework
        .leaves()
        .iter()
        .map(|&leaf| (prop::option::weighted(0.9, 0..=10_000i64), Just(leaf)))
        .collect();
    choices.prop_map(move |entries| {
        let mut sheet = ScoreSheet::new(&framework);
        for (fraction, leaf) in entries {
            let Some(fraction) = fraction else { continue };
            let node = framework.node(leaf);
            let points = match node.rule.as_ref().and_then(Rule::allowed_points) {
                Some(values) => values[fraction as usize % values.len()],
                None => Points::from_ten_thousandths(
                    node.max_points.ten_thousandths() * fraction / 10_000,
                ),
            };
            sheet
                .set(&framework, leaf, points)
                .expect("generated points are valid");
        }
        sheet
    })
}

/// A framework with 1–30 units scored on it.
pub fn arb_evaluation_input() -> impl Strategy<Value = (Framework, Vec<UnitInput>)> {
    arb_framework().prop_flat_map(|framework| {
        let sheets = prop::collection::vec(arb_sheet(&framework), 1..30);
        (Just(framework), sheets).prop_map(|(framework, sheets)| {
            let units = sheets
                .into_iter()
                .enumerate()
                .map(|(i, sheet)| UnitInput {
                    code: format!("{:02}", i + 1),
                    group: Some(if i % 3 == 0 { "A" } else { "B" }.to_string()),
                    sheet,
                })
                .collect();
            (framework, units)
        })
    })
}
