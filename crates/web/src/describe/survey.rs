//! Survey refusals in the user's language: wave transitions (`chiso_domain::wave`), the
//! store's survey refusals (waves, services, questionnaires, leaf mappings, tokens, devices)
//! with the form field each names, and the store's submission [`Refusal`]s.

use axum::http::StatusCode;
use chiso_domain::campaign::CampaignState;
use chiso_domain::wave::{WaveState, WaveTransitionError};
use chiso_store::surveys::{
    LeafMapRefusal, QuestionnaireRefusal, Refusal, ServiceRefusal, ShapeFault, SurveyRefusal,
    WAVE_YEARS, WaveFieldRefusal,
};
use chiso_survey::ReadError;
use chiso_survey::codec::{ColumnProblem, Fault, WeightProblem};

use super::Describe;
use crate::i18n::{self, Lang};

/// A wave state as the interface names it ("Đang mở"), never its stored name.
pub fn wave_state(lang: Lang, state: WaveState) -> &'static str {
    i18n::text(lang, &format!("surveys.state_{}", state.as_str()))
}

impl Describe for WaveTransitionError {
    fn describe(&self, lang: Lang) -> String {
        match self {
            WaveTransitionError::NotAllowed { from, to } => i18n::fill(
                lang,
                "surveys.transition_not_allowed",
                &[
                    ("from", &wave_state(lang, *from)),
                    ("to", &wave_state(lang, *to)),
                ],
            ),
            WaveTransitionError::NoUnits => i18n::text(lang, "surveys.transition_no_units").into(),
        }
    }
}

/// A campaign state as the interface names it ("Đã chốt kết quả").
fn campaign_state(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("common.state_{}", state.as_str()))
}

impl Describe for SurveyRefusal {
    fn describe(&self, lang: Lang) -> String {
        let text = |key: &str| i18n::text(lang, key).to_string();
        let state = |key: &str, state: &CampaignState| {
            i18n::fill(lang, key, &[("state", &campaign_state(lang, *state))])
        };
        match self {
            SurveyRefusal::LeavesFinal(s) => state("surveys.leaves_final", s),
            SurveyRefusal::LeavesNotNow(s) => state("surveys.leaves_not_now", s),
            SurveyRefusal::Wave(refusal) => refusal.describe(lang),
            SurveyRefusal::Service(refusal) => refusal.describe(lang),
            SurveyRefusal::Questionnaire(refusal) => refusal.describe(lang),
            SurveyRefusal::LeafMap(refusal) => refusal.describe(lang),
            SurveyRefusal::DeviceNameEmpty => text("surveys.error_device_name"),
            SurveyRefusal::TokenCount { count, max } => i18n::fill(
                lang,
                "surveys.refused.token_count",
                &[
                    ("count", &integer(lang, *count)),
                    ("max", &integer(lang, *max)),
                ],
            ),
            SurveyRefusal::WaveClosed => text("surveys.refused.tokens_wave_closed"),
            SurveyRefusal::UnitNotInWave => text("surveys.refusal_unit"),
            SurveyRefusal::ServiceNotInUnit => text("surveys.refusal_service"),
            SurveyRefusal::UnitHasResponses => text("surveys.refused.unit_has_responses"),
            SurveyRefusal::TransactionsNegative { transactions } => i18n::fill(
                lang,
                "surveys.refused.transactions_negative",
                &[("transactions", &signed(lang, *transactions))],
            ),
            SurveyRefusal::WaveChangedMeanwhile => text("surveys.refused.wave_changed"),
            SurveyRefusal::NoFreeShortLink => text("surveys.refused.no_short_link"),
            SurveyRefusal::ImportIntoDraft => text("surveys.error_import_draft"),
            SurveyRefusal::WriterStopped => text("surveys.refused.writer_stopped"),
            SurveyRefusal::ExclusionReasonEmpty => text("surveys.refused.exclusion_reason"),
        }
    }

    fn field(&self) -> Option<&str> {
        SurveyRefusal::field(self)
    }

    fn status(&self) -> StatusCode {
        match self {
            SurveyRefusal::WaveChangedMeanwhile | SurveyRefusal::NoFreeShortLink => {
                StatusCode::CONFLICT
            }
            SurveyRefusal::WriterStopped => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// A whole number with the language's grouping (1.000 in Vietnamese).
fn integer(lang: Lang, n: usize) -> String {
    i18n::number(lang, n as f64, 0)
}

/// A signed whole number with the language's grouping (-1.000 in Vietnamese).
fn signed(lang: Lang, n: i64) -> String {
    i18n::number(lang, n as f64, 0)
}

impl Describe for WaveFieldRefusal {
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("surveys.refused.{key}"), values)
        };
        match self {
            WaveFieldRefusal::TitleEmpty => fill("wave_title_empty", &[]),
            // Years are written without grouping (2026, not 2.026).
            WaveFieldRefusal::YearOutOfRange { year } => fill(
                "wave_year",
                &[
                    ("year", year),
                    ("min", WAVE_YEARS.start()),
                    ("max", WAVE_YEARS.end()),
                ],
            ),
            WaveFieldRefusal::QuarterOutOfRange { quarter } => {
                fill("wave_quarter", &[("quarter", quarter)])
            }
            WaveFieldRefusal::ClosesBeforeOpens { opens, closes } => fill(
                "wave_closes_before_opens",
                &[
                    ("opens", &i18n::date(*opens)),
                    ("closes", &i18n::date(*closes)),
                ],
            ),
            WaveFieldRefusal::MarginOutOfRange { margin } if margin.is_finite() => {
                fill("wave_margin", &[("margin", &i18n::points(lang, *margin))])
            }
            WaveFieldRefusal::MarginOutOfRange { .. } => fill("wave_margin_not_number", &[]),
            WaveFieldRefusal::DuplicateWindowNegative { seconds } => fill(
                "wave_duplicate_window",
                &[("seconds", &signed(lang, *seconds))],
            ),
        }
    }

    fn field(&self) -> Option<&str> {
        WaveFieldRefusal::field(self)
    }
}

impl Describe for ServiceRefusal {
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("surveys.refused.{key}"), values)
        };
        match self {
            ServiceRefusal::CodeEmpty => fill("service_code_empty", &[]),
            ServiceRefusal::CodeInvalid { code, max } => fill(
                "service_code_invalid",
                &[("code", code), ("max", &integer(lang, *max))],
            ),
            ServiceRefusal::NameEmpty { code } => fill("service_name_empty", &[("code", code)]),
            ServiceRefusal::NameTooLong { code, max } => fill(
                "service_name_long",
                &[("code", code), ("max", &integer(lang, *max))],
            ),
            ServiceRefusal::TransactionsNegative { code, transactions } => fill(
                "service_transactions",
                &[
                    ("code", code),
                    ("transactions", &signed(lang, *transactions)),
                ],
            ),
            ServiceRefusal::InUse { code } => fill("service_in_use", &[("code", code)]),
        }
    }

    fn field(&self) -> Option<&str> {
        ServiceRefusal::field(self)
    }
}

impl Describe for QuestionnaireRefusal {
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("surveys.refused.{key}"), values)
        };
        match self {
            QuestionnaireRefusal::ItemCount { count } => fill(
                "questionnaire_item_count",
                &[("count", &integer(lang, *count))],
            ),
            QuestionnaireRefusal::ValuesMismatch { items, values } => fill(
                "questionnaire_values",
                &[("items", items), ("values", values)],
            ),
            QuestionnaireRefusal::NoValues => fill("questionnaire_no_values", &[]),
            QuestionnaireRefusal::ItemTwice { code } => {
                fill("questionnaire_item_twice", &[("code", code)])
            }
            QuestionnaireRefusal::CodeOrTitleEmpty => fill("questionnaire_code_title", &[]),
            QuestionnaireRefusal::UnknownFormat { format } => {
                fill("questionnaire_format", &[("format", format)])
            }
            QuestionnaireRefusal::NotToml {
                code,
                version,
                format,
            } => fill(
                "questionnaire_not_toml",
                &[("code", code), ("version", version), ("format", format)],
            ),
            // The problems are the survey crate's English: the English page lists them, the
            // Vietnamese one counts them.
            QuestionnaireRefusal::Definition { file, problems } => fill(
                "questionnaire_definition",
                &[
                    ("file", file),
                    ("count", &problems.len()),
                    ("problems", &problems.join("; ")),
                ],
            ),
            QuestionnaireRefusal::UnknownBundled { id } => {
                fill("questionnaire_unknown_bundled", &[("id", id)])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        QuestionnaireRefusal::field(self)
    }
}

impl Describe for LeafMapRefusal {
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("surveys.refused.{key}"), values)
        };
        match self {
            LeafMapRefusal::BadSource { text } => fill("leaf_source", &[("text", text)]),
            LeafMapRefusal::SourceNotInQuestionnaire { text, .. } => {
                fill("leaf_source_missing", &[("text", text)])
            }
            LeafMapRefusal::NotSurveyLeaf { .. } => fill("leaf_not_survey", &[]),
            LeafMapRefusal::NoParMapping { .. } => fill("leaf_no_par", &[]),
            LeafMapRefusal::LeavesMissing { codes } => {
                fill("leaf_missing", &[("codes", &codes.join(", "))])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        LeafMapRefusal::field(self)
    }
}

impl Describe for ShapeFault {
    /// Items are named by their number ("Câu 7"), like the codec's faults.
    fn describe(&self, lang: Lang) -> String {
        let fill =
            |key: &str, values: &[(&str, &dyn std::fmt::Display)]| i18n::fill(lang, key, values);
        match self {
            ShapeFault::AnswerCount { found, expected } => fill(
                "surveys.refused.shape_answer_count",
                &[("found", found), ("expected", expected)],
            ),
            ShapeFault::Answer {
                item,
                value,
                values,
                ..
            } => fill(
                "surveys.fault.answer",
                &[
                    ("n", &(item + 1)),
                    ("value", value),
                    ("expected", &format!("1-{values}")),
                ],
            ),
            ShapeFault::DemographicCount { found, expected } => fill(
                "surveys.refused.shape_demographic_count",
                &[("found", found), ("expected", expected)],
            ),
            ShapeFault::Demographic {
                question,
                value,
                values,
            } => fill(
                "surveys.refused.shape_demographic",
                &[("n", &(question + 1)), ("value", value), ("values", values)],
            ),
            ShapeFault::TooManyExpectations { chosen, max } => fill(
                "surveys.refused.shape_too_many",
                &[("chosen", chosen), ("max", max)],
            ),
            ShapeFault::Expectation { area, areas } => fill(
                "surveys.refused.shape_expectation",
                &[("area", area), ("areas", areas)],
            ),
            ShapeFault::ExpectationTwice { area } => {
                fill("surveys.refused.shape_expectation_twice", &[("area", area)])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        Some(ShapeFault::field(self))
    }
}

impl Describe for Refusal {
    fn describe(&self, lang: Lang) -> String {
        let key = match self {
            Refusal::UnknownWave => "surveys.refusal_unknown_wave",
            Refusal::WaveNotOpen(_) => "surveys.refusal_not_open",
            Refusal::NotYetOpen(_) => "surveys.refusal_not_yet_open",
            Refusal::AlreadyClosed(_) => "surveys.refusal_closed",
            Refusal::UnitNotInWave => "surveys.refusal_unit",
            Refusal::UnknownService => "surveys.refusal_service",
            Refusal::UnknownToken | Refusal::TokenUsed => "surveys.refusal_token",
            Refusal::DuplicateRespondent => "surveys.refusal_duplicate",
            Refusal::Shape(fault) => return fault.describe(lang),
            Refusal::Fault(fault) => return fault.describe(lang),
        };
        i18n::text(lang, key).to_string()
    }

    /// The field at fault, as the forms and the device API name it.
    fn field(&self) -> Option<&str> {
        match self {
            Refusal::UnitNotInWave => Some("unit_code"),
            Refusal::UnknownService => Some("service"),
            Refusal::DuplicateRespondent => Some("respondent_id"),
            Refusal::Shape(fault) => Some(fault.field()),
            Refusal::Fault(fault) => fault.field(),
            Refusal::UnknownWave
            | Refusal::WaveNotOpen(_)
            | Refusal::NotYetOpen(_)
            | Refusal::AlreadyClosed(_)
            | Refusal::UnknownToken
            | Refusal::TokenUsed => None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Refusal::UnitNotInWave
            | Refusal::UnknownService
            | Refusal::Shape(_)
            | Refusal::Fault(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::UnknownWave
            | Refusal::WaveNotOpen(_)
            | Refusal::NotYetOpen(_)
            | Refusal::AlreadyClosed(_)
            | Refusal::UnknownToken
            | Refusal::TokenUsed
            | Refusal::DuplicateRespondent => StatusCode::CONFLICT,
        }
    }
}

/// A field of a response as a page names it ("Mã đơn vị", "Góp ý"), never its column name.
fn field_label(lang: Lang, field: &str) -> &'static str {
    i18n::text(lang, &format!("surveys.fault.field_{field}"))
}

impl Describe for Fault {
    /// Items are named by their number ("Câu 7"), demographic and expectation questions by
    /// their title; the command line's English is [`std::fmt::Display`].
    fn describe(&self, lang: Lang) -> String {
        let key = |name: &str| format!("surveys.fault.{name}");
        let fill = |name: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &key(name), values)
        };
        match self {
            Fault::Answer {
                item,
                value,
                expected,
                ..
            } => fill(
                "answer",
                &[("n", &(item + 1)), ("value", value), ("expected", expected)],
            ),
            Fault::Unanswered { item, .. } => fill("unanswered", &[("n", &(item + 1))]),
            Fault::NoAnswer => fill("no_answer", &[]),
            Fault::Demographic {
                title,
                value,
                expected,
                ..
            }
            | Fault::Expectation {
                title,
                value,
                expected,
                ..
            } => fill(
                "option",
                &[("title", title), ("value", value), ("expected", expected)],
            ),
            Fault::TooManyExpectations {
                title, chosen, max, ..
            } => fill(
                "too_many",
                &[("title", title), ("chosen", chosen), ("max", max)],
            ),
            Fault::CommentTooLong { max } => fill("comment_long", &[("max", max)]),
            Fault::RespondentTooLong { max } => fill("respondent_long", &[("max", max)]),
            Fault::NotText { field } => fill("not_text", &[("field", &field_label(lang, field))]),
            Fault::Weight { value, problem } => {
                let name = match problem {
                    WeightProblem::NotNumber { comma: true } => "weight_comma",
                    WeightProblem::NotNumber { comma: false } => "weight_not_number",
                    WeightProblem::NotPositive => "weight_not_positive",
                    WeightProblem::TooLarge => "weight_too_large",
                    WeightProblem::TooSmall => "weight_too_small",
                };
                fill(name, &[("value", value)])
            }
            Fault::UnknownItem { code } => fill("unknown_item", &[("code", code)]),
            Fault::UnknownQuestion { code } => fill("unknown_question", &[("code", code)]),
            Fault::NoOverall => fill("no_overall", &[]),
            Fault::NoExpectations => fill("no_expectations", &[]),
            Fault::DigitCount { found, expected } => {
                fill("digit_count", &[("found", found), ("expected", expected)])
            }
            Fault::ColumnCount { found, expected } => {
                fill("column_count", &[("found", found), ("expected", expected)])
            }
            Fault::EmptyUnit => fill("empty_unit", &[]),
            Fault::UnitNotInWave { unit } => fill("unit_not_in_wave", &[("unit", unit)]),
            Fault::UnknownService { unit, service } => {
                fill("unknown_service", &[("unit", unit), ("service", service)])
            }
            Fault::RepeatedRespondent {
                id,
                unit,
                first_row: Some(first),
            } => fill(
                "repeated_respondent",
                &[("id", id), ("unit", unit), ("first", first)],
            ),
            Fault::RepeatedRespondent {
                id,
                unit,
                first_row: None,
            } => fill("repeated_stored", &[("id", id), ("unit", unit)]),
            Fault::Unreadable { cause, detail } => {
                let detail = match cause {
                    Some(cause) => i18n::sheet_error(lang, cause),
                    None => detail.clone(),
                };
                fill("unreadable", &[("detail", &detail)])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        Fault::field(self)
    }
}

impl Describe for ColumnProblem {
    fn describe(&self, lang: Lang) -> String {
        match self {
            ColumnProblem::Missing(name) => {
                i18n::fill(lang, "surveys.fault.column_missing", &[("name", name)])
            }
            ColumnProblem::Repeated(name) => {
                i18n::fill(lang, "surveys.fault.column_repeated", &[("name", name)])
            }
        }
    }
}

impl Describe for ReadError {
    /// The header's problems or the shared reader's refusal; the English message otherwise
    /// (a file that cannot be read at all, which the reader words with the system's error).
    fn describe(&self, lang: Lang) -> String {
        if let Some(cause) = &self.cause {
            return i18n::sheet_error_with_row(lang, cause);
        }
        if let Some(columns) = &self.columns {
            return columns
                .0
                .iter()
                .map(|p| p.describe(lang))
                .collect::<Vec<_>>()
                .join("; ");
        }
        i18n::fill(
            lang,
            "surveys.fault.unreadable",
            &[("detail", &self.message)],
        )
    }
}

/// A rejected row of a file: "Dòng 12: Câu 7: …".
pub fn row_fault(lang: Lang, row: u64, fault: &Fault) -> String {
    i18n::fill(
        lang,
        "surveys.fault.row",
        &[("row", &row), ("fault", &fault.describe(lang))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wave_transitions_are_worded_without_state_names() {
        let refused = WaveTransitionError::NotAllowed {
            from: WaveState::Draft,
            to: WaveState::Closed,
        };
        let vi = refused.describe(Lang::Vi);
        assert!(vi.contains("Bản nháp") && vi.contains("Đã đóng"), "{vi}");
        assert!(!vi.contains("draft") && !vi.contains("closed"), "{vi}");
        let vi = WaveTransitionError::NoUnits.describe(Lang::Vi);
        assert!(vi.contains("đơn vị") && !vi.contains("units"), "{vi}");
        assert!(
            WaveTransitionError::NoUnits
                .describe(Lang::En)
                .contains("unit")
        );
    }

    #[test]
    fn faults_name_the_question_number_in_vietnamese() {
        let fault = Fault::Answer {
            item: 6,
            code: "c07".into(),
            value: "9".into(),
            expected: "1-5".into(),
        };
        let vi = fault.describe(Lang::Vi);
        assert!(vi.starts_with("Câu 7:"), "{vi}");
        assert!(
            !vi.contains("c07") && !vi.contains(" or ") && !vi.contains("blank"),
            "{vi}"
        );
        assert_eq!(row_fault(Lang::Vi, 12, &fault), format!("Dòng 12: {vi}"));
        assert!(fault.describe(Lang::En).starts_with("Question 7:"));
        let weight = Fault::Weight {
            value: "1,5".into(),
            problem: WeightProblem::NotNumber { comma: true },
        };
        assert!(weight.describe(Lang::Vi).contains("Trọng số"));
        let missing = ColumnProblem::Missing("c03".into()).describe(Lang::Vi);
        assert!(
            missing.contains("c03") && missing.contains("thiếu cột"),
            "{missing}"
        );
    }

    #[test]
    fn survey_leaf_refusals_name_the_campaign_state_in_words() {
        let vi = SurveyRefusal::LeavesFinal(CampaignState::Finalized).describe(Lang::Vi);
        assert!(vi.contains("Đã chốt kết quả"), "{vi}");
        let vi = SurveyRefusal::LeavesNotNow(CampaignState::Draft).describe(Lang::Vi);
        assert!(vi.contains("Bản nháp"), "{vi}");
        for text in [
            SurveyRefusal::LeavesFinal(CampaignState::Published).describe(Lang::Vi),
            SurveyRefusal::LeavesNotNow(CampaignState::Draft).describe(Lang::Vi),
        ] {
            for english in ["draft", "finalized", "published", "final", "campaign"] {
                assert!(!text.contains(english), "{text}");
            }
        }
    }
}
