//! The device API's bodies as types, and its OpenAPI description served at
//! `/api/openapi.json` (docs/formats.md §11): derived from the same types the handlers
//! serialise, so the description cannot drift from the answers. `schemathesis` checks the
//! running server against it (crates/chiso/tests/api_schema.rs).

use axum::Json;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// What `POST /api/v1/responses` answers once the response is committed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The stored response's id.
    pub id: i64,
    pub status: AcceptedStatus,
    /// Another response of the wave came with the same respondent id: kept, and flagged for
    /// the secretariat.
    pub flagged_duplicate: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcceptedStatus {
    Accepted,
}

/// A refusal: `code` is stable (the refusal's name in snake_case), `message` is in the
/// request's language (`Accept-Language`; Vietnamese by default), `error` in English, `field`
/// names the request's field at fault as the request wrote it (`answers.c05`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An answer: the scale's code as a number (`5`) or as text (`"5"`, `"A"`); `null` is blank.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    Number(i64),
    Code(String),
}

/// `GET /api/v1/questionnaire`: the device's wave and its questionnaire.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceQuestionnaire {
    pub wave: WaveInfo,
    /// The device's unit.
    pub unit_id: i64,
    pub questionnaire: QuestionnaireInfo,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaveInfo {
    pub id: i64,
    pub title: String,
    pub state: WaveStateCode,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    /// Whether the wave takes answers today.
    pub open: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaveStateCode {
    Draft,
    Open,
    Closed,
}

impl From<chiso_domain::wave::WaveState> for WaveStateCode {
    fn from(state: chiso_domain::wave::WaveState) -> WaveStateCode {
        use chiso_domain::wave::WaveState;
        match state {
            WaveState::Draft => WaveStateCode::Draft,
            WaveState::Open => WaveStateCode::Open,
            WaveState::Closed => WaveStateCode::Closed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireInfo {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub title_en: Option<String>,
    pub scale: Vec<ScaleAnswer>,
    pub factors: Vec<FactorInfo>,
    pub items: Vec<ItemInfo>,
    /// The overall question's item code.
    pub overall: Option<String>,
    pub demographics: Vec<ChoiceInfo>,
    pub expectations: Option<ExpectationsInfo>,
    pub comment: Option<CommentInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScaleAnswer {
    pub code: String,
    pub label: String,
    pub satisfied: bool,
    /// The answer's value as a share of the scale (0–1), when it counts in the index.
    pub share: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FactorInfo {
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    /// Its items' codes.
    pub items: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemInfo {
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    pub factor: Option<String>,
    /// Labels of the scale for this item, when they differ from the scale's.
    pub labels: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceInfo {
    pub code: String,
    pub title: String,
    pub options: Vec<OptionInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionInfo {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectationsInfo {
    pub code: String,
    pub title: String,
    pub options: Vec<OptionInfo>,
    pub max_choices: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentInfo {
    pub code: String,
    pub title: String,
}

impl QuestionnaireInfo {
    pub fn of(q: &chiso_survey::Questionnaire) -> QuestionnaireInfo {
        let choice = |c: &chiso_survey::questionnaire::ChoiceQuestion| ChoiceInfo {
            code: c.code.clone(),
            title: c.title.clone(),
            options: options(c),
        };
        QuestionnaireInfo {
            id: q.id.clone(),
            version: q.version,
            title: q.title.clone(),
            title_en: q.title_en.clone(),
            scale: q
                .scale
                .answers
                .iter()
                .map(|a| ScaleAnswer {
                    code: a.code.clone(),
                    label: a.label.clone(),
                    satisfied: a.satisfied,
                    share: a.share,
                })
                .collect(),
            factors: q
                .factors
                .iter()
                .map(|f| FactorInfo {
                    code: f.code.clone(),
                    title: f.title.clone(),
                    title_en: f.title_en.clone(),
                    items: f.items.iter().map(|&i| q.items[i].code.clone()).collect(),
                })
                .collect(),
            items: q
                .items
                .iter()
                .map(|i| ItemInfo {
                    code: i.code.clone(),
                    title: i.title.clone(),
                    title_en: i.title_en.clone(),
                    factor: i.factor.map(|f| q.factors[f].code.clone()),
                    labels: i.labels.clone(),
                })
                .collect(),
            overall: q.overall.map(|i| q.items[i].code.clone()),
            demographics: q.demographics.iter().map(choice).collect(),
            expectations: q.expectations.as_ref().map(|e| ExpectationsInfo {
                code: e.question.code.clone(),
                title: e.question.title.clone(),
                options: options(&e.question),
                max_choices: e.max_choices,
            }),
            comment: q.comment.as_ref().map(|c| CommentInfo {
                code: c.code.clone(),
                title: c.title.clone(),
            }),
        }
    }
}

fn options(question: &chiso_survey::questionnaire::ChoiceQuestion) -> Vec<OptionInfo> {
    question
        .options
        .iter()
        .map(|o| OptionInfo {
            code: o.code.clone(),
            label: o.label.clone(),
        })
        .collect()
}

/// The device key as a bearer token.
struct DeviceKey;

impl Modify for DeviceKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chiso device API",
        description = "Survey responses from kiosks and one-stop-shop software (docs/formats.md §11). \
                       Each device authenticates with its key: `Authorization: Bearer <key>`."
    ),
    paths(super::kiosk::api_submit, super::kiosk::api_questionnaire),
    components(schemas(ApiErrorBody, Accepted, super::kiosk::ApiResponse, DeviceQuestionnaire)),
    modifiers(&DeviceKey),
    security(("device_key" = []))
)]
pub struct ApiDoc;

/// GET /api/openapi.json
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_both_operations_and_their_refusals() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let post = &doc["paths"]["/api/v1/responses"]["post"];
        for status in ["201", "400", "401", "403", "409", "413", "422"] {
            assert!(post["responses"][status].is_object(), "{status}: {post}");
        }
        assert!(doc["paths"]["/api/v1/questionnaire"]["get"].is_object());
        assert_eq!(
            doc["components"]["securitySchemes"]["device_key"]["scheme"],
            "bearer"
        );
        let body = &doc["components"]["schemas"]["ApiResponse"];
        assert!(body["properties"]["answers"].is_object(), "{body}");
    }
}
