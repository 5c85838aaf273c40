//! Automatic scoring rules of a leaf (docs/method.md §2.6, docs/formats.md §8.2): fixed levels, a threshold table on a
//! declared input, proportional points, and survey-derived points.

use serde::{Deserialize, Serialize};

use crate::points::{Points, PointsParseError};

/// One row of a threshold table: an input at or above `min` earns `points`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdStep {
    pub min: f64,
    pub points: Points,
}

/// How a leaf's points may be, or are, derived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Rule {
    /// The points must be one of these values, e.g. 0 / 0.5 / 1 (a rubric with fixed levels).
    Levels { levels: Vec<Points> },
    /// Points from a table on a declared input: the first step whose `min` the input reaches,
    /// else `otherwise`. E.g. "share of documents issued on time: 100 % → 1; ≥ 80 % → 0.5;
    /// otherwise 0".
    Threshold {
        input: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input_label: Option<String>,
        steps: Vec<ThresholdStep>,
        #[serde(default)]
        otherwise: Points,
    },
    /// Points = max × ratio, ratio in [0, 1].
    Proportional {
        input: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input_label: Option<String>,
    },
    /// Points = survey index (%) × max / 100 (docs/method.md §3.3: SIPAS % × 10 / 100).
    Survey { source: String },
}

/// Why a rule cannot produce points, or a value breaks it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("points {points} are not one of the levels {}", join_levels(levels))]
    NotALevel { points: Points, levels: Vec<Points> },
    #[error("input {input} = {value} is not a finite number")]
    NotFinite { input: String, value: f64 },
    #[error("input {input} = {value} is outside [{min}, {max}]")]
    InputOutOfRange {
        input: String,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("input {value} is negative")]
    NegativeInput { value: f64 },
    #[error("this leaf has no rule that computes points from an input")]
    NoInputRule,
}

/// `0 / 0.5 / 1`: levels as the command line writes them.
fn join_levels(levels: &[Points]) -> String {
    levels
        .iter()
        .map(Points::to_string)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Why a leaf's rule is refused (the `rule` column of a framework file, docs/formats.md §8.2):
/// its text does not read, or the rule does not fit the leaf's maximum. `Display` is the
/// command line's English; the web says each from its locale keys.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    /// `threshold(x: …`: an argument without its `)`.
    #[error("'{head}' lacks a closing parenthesis")]
    Unclosed { head: String },
    /// A threshold or proportional rule without its input's name.
    #[error("{kind} needs the input name in parentheses, e.g. {kind}(name)")]
    NeedsInput { kind: String },
    /// A survey rule without its source.
    #[error("{kind} needs the survey source in parentheses, e.g. {kind}(name)")]
    NeedsSource { kind: String },
    /// A threshold step that is not `minimum => points`.
    #[error("step '{step}' is not 'minimum => points'")]
    BadStep { step: String },
    #[error("step minimum '{text}' is not a number")]
    StepMinimumNotANumber { text: String },
    /// A level or a step's points that is not a number of points.
    #[error(transparent)]
    Points(#[from] PointsParseError),
    #[error("'{kind}' is not a rule kind (levels, threshold, proportional, survey)")]
    UnknownKind { kind: String },
    #[error("levels: the list is empty")]
    NoLevels,
    #[error("levels: values must be strictly ascending")]
    LevelsNotAscending,
    #[error("levels: {level} is outside [0, {max}]")]
    LevelOutOfRange { level: Points, max: Points },
    #[error("levels: max_points {max} is not one of the levels")]
    MaxNotALevel { max: Points },
    #[error("threshold: the input has no name")]
    ThresholdUnnamed,
    #[error("threshold: no steps")]
    NoSteps,
    #[error("threshold: step minima must be strictly descending")]
    StepsNotDescending,
    #[error("threshold: a step minimum is not a number")]
    StepMinimumNotFinite,
    #[error("threshold: step points {points} are outside [0, {max}]")]
    StepOutOfRange { points: Points, max: Points },
    #[error("threshold: otherwise {points} is outside [0, {max}]")]
    OtherwiseOutOfRange { points: Points, max: Points },
    #[error("proportional: the input has no name")]
    ProportionalUnnamed,
    #[error("survey: the source has no name")]
    SurveyUnnamed,
}

impl Rule {
    /// The declared input's name, for rules that compute points from one.
    pub fn input_name(&self) -> Option<&str> {
        match self {
            Rule::Threshold { input, .. } | Rule::Proportional { input, .. } => Some(input),
            Rule::Survey { source } => Some(source),
            Rule::Levels { .. } => None,
        }
    }

    /// Whether the rule's input is a share, entered as a percentage 0–100 with a % sign
    /// beside the field whatever the rule stores (docs/method.md §2.6): a proportional rule's
    /// ratio, and a threshold whose input is labelled in per cent.
    pub fn input_is_percentage(&self) -> bool {
        match self {
            Rule::Proportional { .. } => true,
            Rule::Threshold { input_label, .. } => {
                input_label.as_deref().is_some_and(|l| l.contains('%'))
            }
            Rule::Levels { .. } | Rule::Survey { .. } => false,
        }
    }

    /// The value the rule takes from a value entered in a form: a proportional rule stores
    /// its ratio in [0, 1] and is entered as a percentage (92 → 0.92); every other input is
    /// stored as entered.
    pub fn input_from_entered(&self, entered: f64) -> f64 {
        match self {
            Rule::Proportional { .. } => entered / 100.0,
            _ => entered,
        }
    }

    /// The value a form shows for a stored input (0.92 → 92 for a proportional rule).
    pub fn input_to_entered(&self, stored: f64) -> f64 {
        match self {
            Rule::Proportional { .. } => stored * 100.0,
            _ => stored,
        }
    }

    /// Whether the rule computes points from an input (as opposed to constraining them).
    pub fn takes_input(&self) -> bool {
        !matches!(self, Rule::Levels { .. })
    }

    /// Points from the rule's input for a leaf worth `max`. Inputs out of range are errors,
    /// never clamped (docs/method.md §2.6).
    pub fn points_from_input(&self, max: Points, value: f64) -> Result<Points, RuleError> {
        if !value.is_finite() {
            return Err(RuleError::NotFinite {
                input: self.input_name().unwrap_or("").to_string(),
                value,
            });
        }
        let in_range = |min: f64, top: f64, input: &str| {
            if value < min || value > top {
                Err(RuleError::InputOutOfRange {
                    input: input.to_string(),
                    value,
                    min,
                    max: top,
                })
            } else {
                Ok(())
            }
        };
        match self {
            Rule::Levels { .. } => Err(RuleError::NoInputRule),
            Rule::Threshold {
                steps, otherwise, ..
            } => {
                if value < 0.0 {
                    return Err(RuleError::NegativeInput { value });
                }
                Ok(steps
                    .iter()
                    .find(|step| value >= step.min)
                    .map(|step| step.points)
                    .unwrap_or(*otherwise))
            }
            Rule::Proportional { input, .. } => {
                in_range(0.0, 1.0, input)?;
                Ok(Points::from_f64_rounded(max.to_f64() * value).unwrap_or(Points::ZERO))
            }
            Rule::Survey { source } => {
                in_range(0.0, 100.0, source)?;
                Ok(Points::from_f64_rounded(value * max.to_f64() / 100.0).unwrap_or(Points::ZERO))
            }
        }
    }

    /// The only values the rule can give, where it has a fixed set: the levels, or the step
    /// points and `otherwise` of a threshold table.
    pub fn allowed_points(&self) -> Option<Vec<Points>> {
        match self {
            Rule::Levels { levels } => Some(levels.clone()),
            Rule::Threshold {
                steps, otherwise, ..
            } => {
                let mut values: Vec<Points> = steps.iter().map(|s| s.points).collect();
                values.push(*otherwise);
                values.sort();
                values.dedup();
                Some(values)
            }
            Rule::Proportional { .. } | Rule::Survey { .. } => None,
        }
    }

    /// Checks points entered by hand (or by an appraiser) against the rule: a rubric with fixed
    /// levels or a threshold table can only give its own values.
    pub fn check_points(&self, points: Points) -> Result<(), RuleError> {
        match self.allowed_points() {
            Some(values) if !values.contains(&points) => Err(RuleError::NotALevel {
                points,
                levels: values,
            }),
            _ => Ok(()),
        }
    }

    /// Problems with the rule itself on a leaf worth `max`.
    pub(crate) fn problems(&self, max: Points) -> Vec<RuleProblem> {
        let mut problems = Vec::new();
        let within = |p: Points| !p.is_negative() && p <= max;
        match self {
            Rule::Levels { levels } => {
                if levels.is_empty() {
                    problems.push(RuleProblem::NoLevels);
                }
                if levels.windows(2).any(|w| w[0] >= w[1]) {
                    problems.push(RuleProblem::LevelsNotAscending);
                }
                if let Some(bad) = levels.iter().find(|l| !within(**l)) {
                    problems.push(RuleProblem::LevelOutOfRange { level: *bad, max });
                }
                if !levels.is_empty() && !levels.contains(&max) {
                    problems.push(RuleProblem::MaxNotALevel { max });
                }
            }
            Rule::Threshold {
                input,
                steps,
                otherwise,
                ..
            } => {
                if input.trim().is_empty() {
                    problems.push(RuleProblem::ThresholdUnnamed);
                }
                if steps.is_empty() {
                    problems.push(RuleProblem::NoSteps);
                }
                if steps.windows(2).any(|w| w[0].min <= w[1].min) {
                    problems.push(RuleProblem::StepsNotDescending);
                }
                if steps.iter().any(|s| !s.min.is_finite()) {
                    problems.push(RuleProblem::StepMinimumNotFinite);
                }
                if let Some(bad) = steps.iter().find(|s| !within(s.points)) {
                    problems.push(RuleProblem::StepOutOfRange {
                        points: bad.points,
                        max,
                    });
                }
                if !within(*otherwise) {
                    problems.push(RuleProblem::OtherwiseOutOfRange {
                        points: *otherwise,
                        max,
                    });
                }
            }
            Rule::Proportional { input, .. } => {
                if input.trim().is_empty() {
                    problems.push(RuleProblem::ProportionalUnnamed);
                }
            }
            Rule::Survey { source } => {
                if source.trim().is_empty() {
                    problems.push(RuleProblem::SurveyUnnamed);
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Points {
        text.parse().unwrap()
    }

    fn on_time() -> Rule {
        Rule::Threshold {
            input: "on_time_share".into(),
            input_label: None,
            steps: vec![
                ThresholdStep {
                    min: 100.0,
                    points: p("1"),
                },
                ThresholdStep {
                    min: 80.0,
                    points: p("0.5"),
                },
            ],
            otherwise: Points::ZERO,
        }
    }

    #[test]
    fn threshold_picks_the_first_step_reached() {
        let rule = on_time();
        assert_eq!(rule.points_from_input(p("1"), 100.0), Ok(p("1")));
        assert_eq!(rule.points_from_input(p("1"), 99.9), Ok(p("0.5")));
        assert_eq!(rule.points_from_input(p("1"), 80.0), Ok(p("0.5")));
        assert_eq!(rule.points_from_input(p("1"), 79.99), Ok(Points::ZERO));
        assert!(rule.points_from_input(p("1"), -1.0).is_err());
        assert!(rule.points_from_input(p("1"), f64::NAN).is_err());
    }

    #[test]
    fn proportional_and_survey_scale_the_max() {
        let ratio = Rule::Proportional {
            input: "online_share".into(),
            input_label: None,
        };
        assert_eq!(ratio.points_from_input(p("2"), 0.75), Ok(p("1.5")));
        assert!(matches!(
            ratio.points_from_input(p("2"), 1.2),
            Err(RuleError::InputOutOfRange { .. })
        ));
        let sipas = Rule::Survey {
            source: "sipas".into(),
        };
        // Hà Tĩnh 2021: SIPAS 91.17 % ↔ 9.117 points of 10 (docs/method.md §3.3).
        assert_eq!(sipas.points_from_input(p("10"), 91.17), Ok(p("9.117")));
        assert_eq!(sipas.points_from_input(p("20"), 80.905), Ok(p("16.181")));
        assert!(sipas.points_from_input(p("10"), 100.5).is_err());
    }

    #[test]
    fn levels_constrain_manual_points() {
        let rule = Rule::Levels {
            levels: vec![p("0"), p("0.5"), p("1")],
        };
        assert!(rule.check_points(p("0.5")).is_ok());
        let error = rule.check_points(p("0.7")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "points 0.7 are not one of the levels 0 / 0.5 / 1"
        );
        assert_eq!(
            rule.points_from_input(p("1"), 1.0),
            Err(RuleError::NoInputRule)
        );
        assert!(on_time().check_points(p("0.5")).is_ok());
        assert_eq!(
            on_time().check_points(p("0.7")).unwrap_err().to_string(),
            "points 0.7 are not one of the levels 0 / 0.5 / 1"
        );
    }

    #[test]
    fn malformed_rules_are_reported() {
        let rule = Rule::Levels {
            levels: vec![p("0"), p("1"), p("0.5")],
        };
        let problems = rule.problems(p("1"));
        assert!(problems.contains(&RuleProblem::LevelsNotAscending));
        assert!(problems[0].to_string().contains("ascending"));
        let rule = Rule::Levels {
            levels: vec![p("0"), p("0.5")],
        };
        assert_eq!(
            rule.problems(p("1")),
            [RuleProblem::MaxNotALevel { max: p("1") }]
        );
        assert_eq!(
            rule.problems(p("1"))[0].to_string(),
            "levels: max_points 1 is not one of the levels"
        );
        assert!(on_time().problems(p("1")).is_empty());
        assert!(!on_time().problems(p("0.5")).is_empty());
    }
}
