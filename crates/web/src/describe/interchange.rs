//! The problems the file readers find (units, frameworks, the shared table reader) in the
//! user's language, from their locale keys: the readers' English is for the command line.
//! The row is shown apart by the pages (a column of the problems table), so it is not in the
//! message.

use chiso_domain::Points;
use chiso_domain::framework::{FrameworkProblem, Method};
use chiso_domain::points::PointsParseError;
use chiso_domain::rule::RuleProblem;
use chiso_interchange::{FieldProblem, Problem};

use super::Describe;
use crate::i18n::{self, Lang};

fn method_title(lang: Lang, method: Method) -> &'static str {
    i18n::text(lang, &format!("frameworks.method_{}", method.as_str()))
}

fn points(lang: Lang, value: Points) -> String {
    i18n::points(lang, value.to_f64())
}

/// A framework row's problem without its code (the pages show the code in its own column).
pub fn framework_problem(lang: Lang, problem: &FrameworkProblem) -> String {
    let text = |key: &str| i18n::text(lang, key).to_string();
    match problem {
        FrameworkProblem::EmptyCode => text("input.file_fw_empty_code"),
        FrameworkProblem::InvalidCode => text("input.file_fw_invalid_code"),
        FrameworkProblem::EmptyTitle => text("input.file_fw_empty_title"),
        FrameworkProblem::DuplicateCode { first_row } => {
            i18n::fill(lang, "input.file_fw_duplicate", &[("first_row", first_row)])
        }
        FrameworkProblem::MissingParent { parent } => {
            i18n::fill(lang, "input.file_fw_missing_parent", &[("parent", parent)])
        }
        FrameworkProblem::LeafWithoutMaxPoints => text("input.file_fw_leaf_without_max"),
        FrameworkProblem::NegativePoints { value } => i18n::fill(
            lang,
            "input.file_fw_negative",
            &[("value", &points(lang, *value))],
        ),
        FrameworkProblem::SumMismatch { stated, children } => i18n::fill(
            lang,
            "input.file_fw_sum_mismatch",
            &[
                ("stated", &points(lang, *stated)),
                ("children", &points(lang, *children)),
            ],
        ),
        FrameworkProblem::MisplacedMethod {
            method,
            parent_method,
        } => i18n::fill(
            lang,
            "input.file_fw_misplaced_method",
            &[
                ("method", &method_title(lang, *method)),
                ("parent_method", &method_title(lang, *parent_method)),
            ],
        ),
        FrameworkProblem::RuleOnInnerNode => text("input.file_fw_rule_on_inner"),
        FrameworkProblem::SurveyRuleOnNonSurveyLeaf => text("input.file_fw_survey_rule"),
        FrameworkProblem::BadRule { problem } => bad_rule(lang, problem),
        FrameworkProblem::NoTree => text("input.file_fw_no_tree"),
    }
}

fn field_problem(lang: Lang, field: &FieldProblem) -> String {
    match field {
        FieldProblem::MaxPoints { text, .. } => {
            i18n::fill(lang, "input.file_fw_max_points", &[("value", text)])
        }
        FieldProblem::Method { text } => {
            i18n::fill(lang, "input.file_fw_method", &[("value", text)])
        }
        FieldProblem::Evidence { text } => {
            i18n::fill(lang, "input.file_fw_evidence", &[("value", text)])
        }
        FieldProblem::Impact { text } => {
            i18n::fill(lang, "input.file_fw_impact", &[("value", text)])
        }
        FieldProblem::Rule { detail, .. } => bad_rule(lang, detail),
    }
}

fn bad_rule(lang: Lang, problem: &RuleProblem) -> String {
    i18n::fill(
        lang,
        "input.file_fw_bad_rule",
        &[("detail", &rule_problem(lang, problem))],
    )
}

/// Why a leaf's rule (the `rule` column, docs/formats.md §8.2) is refused: the rule's keywords
/// (`levels`, `threshold`, `proportional`, `survey`) are the file's own syntax and stay as
/// typed; everything else is said from `input.rule_*`.
pub fn rule_problem(lang: Lang, problem: &RuleProblem) -> String {
    let key = |name: &str| format!("input.rule_{name}");
    let text = |name: &str| i18n::text(lang, &key(name)).to_string();
    let fill = |name: &str, values: &[(&str, &dyn std::fmt::Display)]| {
        i18n::fill(lang, &key(name), values)
    };
    let out_of_range = |name: &str, value: Points, max: Points| {
        fill(
            name,
            &[("value", &points(lang, value)), ("max", &points(lang, max))],
        )
    };
    match problem {
        RuleProblem::Unclosed { head } => fill("unclosed", &[("head", head)]),
        RuleProblem::NeedsInput { kind } => fill("needs_input", &[("kind", kind)]),
        RuleProblem::NeedsSource { kind } => fill("needs_source", &[("kind", kind)]),
        RuleProblem::BadStep { step } => fill("bad_step", &[("step", step)]),
        RuleProblem::StepMinimumNotANumber { text } => {
            fill("step_minimum_not_a_number", &[("text", text)])
        }
        RuleProblem::Points(PointsParseError::NotANumber(text)) => {
            fill("not_points", &[("text", text)])
        }
        RuleProblem::Points(PointsParseError::TooLarge(text)) => {
            fill("points_too_large", &[("text", text)])
        }
        RuleProblem::UnknownKind { kind } => fill("unknown_kind", &[("kind", kind)]),
        RuleProblem::NoLevels => text("no_levels"),
        RuleProblem::LevelsNotAscending => text("levels_not_ascending"),
        RuleProblem::LevelOutOfRange { level, max } => {
            out_of_range("level_out_of_range", *level, *max)
        }
        RuleProblem::MaxNotALevel { max } => {
            fill("max_not_a_level", &[("max", &points(lang, *max))])
        }
        RuleProblem::ThresholdUnnamed => text("threshold_unnamed"),
        RuleProblem::NoSteps => text("no_steps"),
        RuleProblem::StepsNotDescending => text("steps_not_descending"),
        RuleProblem::StepMinimumNotFinite => text("step_minimum_not_finite"),
        RuleProblem::StepOutOfRange { points, max } => {
            out_of_range("step_out_of_range", *points, *max)
        }
        RuleProblem::OtherwiseOutOfRange { points, max } => {
            out_of_range("otherwise_out_of_range", *points, *max)
        }
        RuleProblem::ProportionalUnnamed => text("proportional_unnamed"),
        RuleProblem::SurveyUnnamed => text("survey_unnamed"),
    }
}

impl Describe for Problem {
    fn describe(&self, lang: Lang) -> String {
        let text = |key: &str| i18n::text(lang, key).to_string();
        match self {
            Problem::Sheet(error) => i18n::sheet_error(lang, error),
            Problem::MissingColumn { column, found } => i18n::fill(
                lang,
                "input.file_missing_column",
                &[("column", column), ("found", &found.join(", "))],
            ),
            Problem::ColumnCount { found, expected } => i18n::fill(
                lang,
                "input.file_column_count",
                &[("found", found), ("expected", expected)],
            ),
            Problem::NoRows => text("input.file_no_rows"),
            Problem::NoHeader => text("input.file_no_header"),
            Problem::NotUtf8 => text("input.file_not_utf8"),
            Problem::NotCsv { detail } => {
                tracing::info!(%detail, "CSV not readable");
                text("input.file_not_csv")
            }
            Problem::Unreadable { detail } => {
                tracing::info!(%detail, "file not readable");
                text("input.file_unreadable")
            }
            Problem::EmptyUnitCode => text("input.file_empty_unit_code"),
            Problem::UnitCodeRepeated { code, first_row } => i18n::fill(
                lang,
                "input.file_unit_code_repeated",
                &[("code", code), ("first_row", first_row)],
            ),
            Problem::Framework { problem, .. } => framework_problem(lang, problem),
            Problem::FrameworkField { field, .. } => field_problem(lang, field),
            Problem::TooManyNodes { count, limit } => i18n::fill(
                lang,
                "input.file_too_many_nodes",
                &[
                    ("count", &i18n::number(lang, *count as f64, 0)),
                    ("limit", &i18n::number(lang, *limit as f64, 0)),
                ],
            ),
            Problem::NotToml { detail } => {
                tracing::info!(%detail, "framework TOML not readable");
                text("input.file_not_toml")
            }
            Problem::Indices(problem) => super::indices::indices_problem(lang, problem),
            // The command line's own inputs (scores, lineage, earlier results): the web never
            // reads them, and never shows their English.
            Problem::Other(message) => {
                tracing::warn!(%message, "a command-line input problem reached the web");
                text("input.file_unreadable")
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Problem::MissingColumn { column, .. } => Some(column),
            Problem::EmptyUnitCode | Problem::UnitCodeRepeated { .. } => Some("unit_code"),
            Problem::FrameworkField { field, .. } => Some(match field {
                FieldProblem::MaxPoints { .. } => "max_points",
                FieldProblem::Method { .. } => "method",
                FieldProblem::Evidence { .. } => "evidence_required",
                FieldProblem::Impact { .. } => "impact",
                FieldProblem::Rule { .. } => "rule",
            }),
            _ => None,
        }
    }
}

/// The code of the framework row a problem concerns, when the row has one.
pub fn framework_code(problem: &Problem) -> Option<&str> {
    match problem {
        Problem::Framework { code, .. } | Problem::FrameworkField { code, .. } => {
            Some(code.as_str()).filter(|c| !c.is_empty())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chiso_interchange::framework_io::framework_from_table;
    use chiso_interchange::table::read_csv;
    use chiso_interchange::units_io::read_units;

    use super::*;

    fn problems(errors: &chiso_interchange::InputErrors, lang: Lang) -> Vec<String> {
        errors.0.iter().map(|e| e.problem.describe(lang)).collect()
    }

    #[test]
    fn units_files_are_described_from_locale_keys() {
        let table = read_csv(
            "units.csv",
            "unit_code,unit_name\n01,A\n,B\n01,C\n".as_bytes(),
        )
        .unwrap();
        let errors = read_units(&table).unwrap_err();
        assert_eq!(
            problems(&errors, Lang::Vi),
            [
                "Cột unit_code: mã đơn vị để trống.",
                "Cột unit_code: mã đơn vị 01 bị trùng (đã có ở dòng 2)."
            ]
        );
        assert_eq!(errors.0[1].problem.field(), Some("unit_code"));
        // The command line keeps its English.
        assert_eq!(
            errors.0[1].message,
            "unit_code 01 repeated (first at row 2)"
        );
        let table = read_csv("units.csv", "code,name\n01,A\n".as_bytes()).unwrap();
        let missing = read_units(&table).unwrap_err();
        assert_eq!(
            problems(&missing, Lang::Vi),
            ["Thiếu cột 'unit_code' ở dòng tiêu đề (tệp có các cột: code, name)."]
        );
    }

    #[test]
    fn framework_rows_are_described_with_points_and_method_titles() {
        let text = "code,title,max_points,method\n1,A,10,self\n1.1,B,4,self\n1.1,C,5,self\n2,D,x,bonus\n3,E,1,other\n";
        let table = read_csv("framework.csv", text.as_bytes()).unwrap();
        let meta = chiso_domain::framework::FrameworkMeta::default();
        let errors = framework_from_table(&table, meta).unwrap_err();
        let vi = problems(&errors, Lang::Vi);
        assert!(
            vi.contains(&"mã bị trùng (đã có ở dòng 3).".to_string()),
            "{vi:?}"
        );
        assert!(
            vi.contains(&"điểm tối đa: 'x' không phải là số điểm hợp lệ.".to_string()),
            "{vi:?}"
        );
        assert!(
            vi.iter().any(|m| m.starts_with("phương thức: 'other'")),
            "{vi:?}"
        );
        let codes: Vec<_> = errors
            .0
            .iter()
            .map(|e| framework_code(&e.problem))
            .collect();
        assert!(codes.contains(&Some("1.1")), "{codes:?}");
        for message in &vi {
            for english in ["duplicate", "is not", "row ", "max_points:"] {
                assert!(!message.contains(english), "{message}");
            }
        }
    }
}
