//! A refusal of one field of a leaf's form, typed: the leaf's code, the field (the points, or
//! the rule's input with its label and name) and what is wrong with the value, with a value
//! the field would take. The web renders it beside the field
//! ([`crate::describe::Describe`]), in the user's language with decimal commas.

use chiso_domain::assessment::WorkflowError;
use chiso_domain::rule::RuleError;
use chiso_domain::{Framework, NodeId, Points, Rule, ScoreError};

/// The field of a leaf's form a refusal concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafField {
    Points,
    Input,
}

impl LeafField {
    /// The form field's name.
    pub fn name(self) -> &'static str {
        match self {
            LeafField::Points => "points",
            LeafField::Input => "input",
        }
    }
}

/// What is wrong with the value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldProblem {
    /// Not read as a number (as typed).
    NotANumber {
        value: String,
    },
    OutOfRange {
        value: f64,
        min: f64,
        max: f64,
    },
    /// Points that are not one of the leaf's levels.
    NotALevel {
        value: f64,
        levels: Vec<f64>,
    },
    /// Points typed beside an input that computes other points.
    Disagree {
        points: f64,
        computed: f64,
    },
}

/// A refused field of one leaf.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafFieldError {
    /// The leaf's code (`1.3`).
    pub code: String,
    pub field: LeafField,
    /// The input's label as the framework gives it (`Tỷ lệ văn bản điện tử`), for the input.
    pub label: Option<String>,
    /// The input's name in the framework (`electronic_docs_ratio`): never shown, kept for logs.
    pub input_name: Option<String>,
    pub problem: FieldProblem,
    /// A value this field takes.
    pub example: f64,
    /// The field takes a share in per cent (values and example are in per cent).
    pub percent: bool,
}

impl LeafFieldError {
    /// A value that does not read as a number.
    pub fn not_a_number(
        framework: &Framework,
        leaf: NodeId,
        field: LeafField,
        value: &str,
    ) -> LeafFieldError {
        LeafFieldError::new(
            framework,
            leaf,
            field,
            FieldProblem::NotANumber {
                value: value.trim().to_string(),
            },
        )
    }

    /// The field-level reading of a rule's refusal, when it concerns one field.
    pub fn of_rule(
        framework: &Framework,
        leaf: NodeId,
        error: &WorkflowError,
    ) -> Option<LeafFieldError> {
        let (field, problem) = match error {
            WorkflowError::PointsDisagree {
                points, computed, ..
            } => (
                LeafField::Points,
                FieldProblem::Disagree {
                    points: points.to_f64(),
                    computed: computed.to_f64(),
                },
            ),
            WorkflowError::Score(ScoreError::OutOfRange { points, max, .. }) => (
                LeafField::Points,
                FieldProblem::OutOfRange {
                    value: points.to_f64(),
                    min: 0.0,
                    max: max.to_f64(),
                },
            ),
            WorkflowError::Score(ScoreError::Rule { source, .. }) => match source {
                RuleError::NotALevel { points, .. } => (
                    LeafField::Points,
                    FieldProblem::NotALevel {
                        value: points.to_f64(),
                        levels: levels(framework, leaf),
                    },
                ),
                RuleError::InputOutOfRange {
                    value, min, max, ..
                } => (
                    LeafField::Input,
                    FieldProblem::OutOfRange {
                        value: *value,
                        min: *min,
                        max: *max,
                    },
                ),
                RuleError::NegativeInput { value } => (
                    LeafField::Input,
                    FieldProblem::OutOfRange {
                        value: *value,
                        min: 0.0,
                        max: f64::INFINITY,
                    },
                ),
                RuleError::NotFinite { value, .. } => (
                    LeafField::Input,
                    FieldProblem::NotANumber {
                        value: value.to_string(),
                    },
                ),
                RuleError::NoInputRule => return None,
            },
            _ => return None,
        };
        Some(LeafFieldError::new(framework, leaf, field, problem))
    }

    fn new(
        framework: &Framework,
        leaf: NodeId,
        field: LeafField,
        problem: FieldProblem,
    ) -> LeafFieldError {
        let node = framework.node(leaf);
        let rule = node.rule.as_ref();
        let (label, input_name) = match (field, rule) {
            (
                LeafField::Input,
                Some(Rule::Threshold {
                    input, input_label, ..
                })
                | Some(Rule::Proportional { input, input_label }),
            ) => (input_label.clone(), Some(input.clone())),
            _ => (None, None),
        };
        // The values the rule refused are the stored ones: say them as the form takes them
        // (a ratio in per cent, docs/method.md §2.6).
        let entered = |v: f64| match (field, rule) {
            (LeafField::Input, Some(rule)) => rule.input_to_entered(v),
            _ => v,
        };
        let problem = match problem {
            FieldProblem::OutOfRange { value, min, max } => FieldProblem::OutOfRange {
                value: entered(value),
                min: entered(min),
                max: if max.is_finite() { entered(max) } else { max },
            },
            other => other,
        };
        LeafFieldError {
            code: node.code.clone(),
            field,
            label,
            input_name,
            problem,
            example: entered(example(node.max_points, rule, field)),
            percent: field == LeafField::Input && rule.is_some_and(Rule::input_is_percentage),
        }
    }
}

/// The leaf's levels, when its rule fixes them.
fn levels(framework: &Framework, leaf: NodeId) -> Vec<f64> {
    framework
        .node(leaf)
        .rule
        .as_ref()
        .and_then(Rule::allowed_points)
        .map(|values| values.iter().map(|p| p.to_f64()).collect())
        .unwrap_or_default()
}

/// A value the field takes: for the points, the leaf's highest level or a half of its
/// maximum; for a threshold's input, its highest step; for a proportional input, 0.85 of
/// its range (docs/method.md: a proportional leaf scores its maximum times the ratio).
fn example(max: Points, rule: Option<&Rule>, field: LeafField) -> f64 {
    match (field, rule) {
        (LeafField::Points, Some(rule)) => rule
            .allowed_points()
            .and_then(|values| values.into_iter().filter(|p| !p.is_negative()).max())
            .map(|p| p.to_f64())
            .unwrap_or(max.to_f64() / 2.0),
        (LeafField::Points, None) => max.to_f64() / 2.0,
        (LeafField::Input, Some(Rule::Threshold { steps, .. })) => steps
            .iter()
            .map(|s| s.min)
            .fold(f64::NAN, f64::max)
            .max(0.0),
        (LeafField::Input, _) => 0.85,
    }
}
