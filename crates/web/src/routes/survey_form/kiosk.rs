//! The JSON API for kiosks and one-stop-shop software (API key per device).

use chiso_store::surveys::ShapeFault;

use super::api_doc::{
    Accepted, AcceptedStatus, AnswerValue, ApiErrorBody, DeviceQuestionnaire, QuestionnaireInfo,
    WaveInfo,
};

use super::*;

// Device API

/// A JSON refusal (docs/formats.md §11): `{"code", "message", "error", "field"?}`. `code` is
/// the refusal's stable name (its variant's, in snake_case), `message` says it in the
/// request's language (`Accept-Language`, Vietnamese unless it asks for English), `error` in
/// English (for logs, and for clients written before `message`), and `field` names the field
/// of the request at fault as the request wrote it (`answers.c05`, `overall`, `unit_code`).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    refusal: Box<dyn Describe>,
    field: Option<String>,
    lang: Lang,
}

impl ApiError {
    /// A refusal of the API itself (keys, units, the body).
    fn api(status: StatusCode, refusal: ApiRefusal) -> ApiError {
        ApiError::of(status, Box::new(refusal))
    }

    /// A typed refusal with its status; the code is its variant's name.
    fn of(status: StatusCode, refusal: Box<dyn Describe>) -> ApiError {
        ApiError {
            status,
            code: variant_code(&*refusal),
            field: refusal.field().map(str::to_string),
            refusal,
            lang: Lang::Vi,
        }
    }

    fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// The same refusal, said in `lang` when it is written.
    pub(super) fn in_lang(mut self, lang: Lang) -> ApiError {
        self.lang = lang;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            code: self.code,
            message: self.refusal.describe(self.lang),
            error: self.refusal.describe(Lang::En),
            field: self.field,
        };
        (self.status, Json(body)).into_response()
    }
}

/// A value's variant name in snake_case (`WaveNotOpen(Closed)` → `wave_not_open`): the API's
/// stable machine code of a refusal.
pub(super) fn variant_code(value: &dyn std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let mut code = String::new();
    for c in debug.chars().take_while(|c| c.is_ascii_alphanumeric()) {
        if c.is_ascii_uppercase() {
            if !code.is_empty() {
                code.push('_');
            }
            code.push(c.to_ascii_lowercase());
        } else {
            code.push(c);
        }
    }
    code
}

/// The language a device asks its refusals in: English when `Accept-Language` prefers it,
/// Vietnamese otherwise.
pub(super) fn api_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .map(|tag| {
                    tag.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or("")))
        })
        .unwrap_or(Lang::Vi)
}

/// The device API's own refusals (keys, units, the body), said from `surveys.api.*`.
#[derive(Debug)]
enum ApiRefusal {
    MissingKey,
    UnknownKey,
    KeyTurnedOff,
    NoOpenWave,
    UnknownUnit {
        code: String,
    },
    UnitNotAllowed {
        code: String,
    },
    UnknownService {
        code: String,
    },
    MalformedJson {
        detail: String,
    },
    BodyTooLarge {
        limit: usize,
    },
    UnreadableBody,
    /// A string over its limit or with a control character: the reader's English message.
    InvalidText {
        field: String,
        english: String,
    },
    NotFound,
    Conflict,
    /// The database cannot be reached now: send again in a moment.
    Unavailable,
    Internal,
}

impl Describe for ApiRefusal {
    fn describe(&self, lang: Lang) -> String {
        let fill = |key: &str, values: &[(&str, &dyn std::fmt::Display)]| {
            i18n::fill(lang, &format!("surveys.api.{key}"), values)
        };
        match self {
            ApiRefusal::MissingKey => fill("missing_key", &[]),
            ApiRefusal::UnknownKey => fill("unknown_key", &[]),
            ApiRefusal::KeyTurnedOff => fill("key_off", &[]),
            ApiRefusal::NoOpenWave => fill("no_open_wave", &[]),
            ApiRefusal::UnknownUnit { code } => fill("unknown_unit", &[("code", code)]),
            ApiRefusal::UnitNotAllowed { code } => fill("unit_elsewhere", &[("code", code)]),
            ApiRefusal::UnknownService { code } => fill("unknown_service", &[("code", code)]),
            ApiRefusal::MalformedJson { detail } => fill("malformed", &[("detail", detail)]),
            ApiRefusal::BodyTooLarge { limit } => fill(
                "too_large",
                &[("limit", &i18n::number(lang, *limit as f64, 0))],
            ),
            ApiRefusal::UnreadableBody => fill("unreadable", &[]),
            ApiRefusal::InvalidText { field, english } => {
                fill("invalid_text", &[("field", field), ("detail", english)])
            }
            ApiRefusal::NotFound => fill("not_found", &[]),
            ApiRefusal::Conflict => fill("conflict", &[]),
            ApiRefusal::Unavailable => fill("unavailable", &[]),
            ApiRefusal::Internal => fill("internal", &[]),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ApiRefusal::UnknownUnit { .. } | ApiRefusal::UnitNotAllowed { .. } => Some("unit_code"),
            ApiRefusal::UnknownService { .. } => Some("service"),
            ApiRefusal::InvalidText { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        match error {
            AppError::NotFound => ApiError::api(StatusCode::NOT_FOUND, ApiRefusal::NotFound),
            AppError::Refused(refusal) => ApiError::of(refusal.status(), refusal),
            AppError::Conflict(constraint) => {
                tracing::info!(%constraint, "device API conflict");
                ApiError::api(StatusCode::CONFLICT, ApiRefusal::Conflict)
            }
            AppError::Unavailable => {
                ApiError::api(StatusCode::SERVICE_UNAVAILABLE, ApiRefusal::Unavailable)
            }
            AppError::TooLarge => ApiError::api(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiRefusal::BodyTooLarge {
                    limit: API_BODY_LIMIT,
                },
            ),
            other => {
                tracing::error!(error = ?other, "device API error");
                ApiError::api(StatusCode::INTERNAL_SERVER_ERROR, ApiRefusal::Internal)
            }
        }
    }
}

impl From<chiso_store::StoreError> for ApiError {
    fn from(error: chiso_store::StoreError) -> ApiError {
        AppError::from(error).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let status = rejection.status();
        let refusal = match &rejection {
            JsonRejection::TooLarge => ApiRefusal::BodyTooLarge {
                limit: API_BODY_LIMIT,
            },
            JsonRejection::Malformed(detail) => ApiRefusal::MalformedJson {
                detail: detail.clone(),
            },
            JsonRejection::Body(_) => ApiRefusal::UnreadableBody,
            JsonRejection::Text(refused) => ApiRefusal::InvalidText {
                field: refused.field().to_string(),
                english: refused.message().to_string(),
            },
        };
        ApiError::api(status, refusal)
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

/// The device of the `Authorization: Bearer <key>` header: 401 without a known key, 403 for a
/// key that was turned off.
pub(super) async fn device(state: &AppState, headers: &HeaderMap) -> ApiResult<surveys::DeviceRow> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::api(StatusCode::UNAUTHORIZED, ApiRefusal::MissingKey))?;
    // One read: a turned-off key is told apart from an unknown one.
    match surveys::device_by_key_any(&state.db, key).await? {
        Some(device) if device.active => Ok(device),
        Some(_) => Err(ApiError::api(
            StatusCode::FORBIDDEN,
            ApiRefusal::KeyTurnedOff,
        )),
        None => Err(ApiError::api(
            StatusCode::UNAUTHORIZED,
            ApiRefusal::UnknownKey,
        )),
    }
}

/// The device's wave: its own, or its unit's open wave.
pub(super) async fn device_wave(
    state: &AppState,
    device: &surveys::DeviceRow,
) -> ApiResult<WaveRow> {
    let today = chiso_store::assessments::today_in_vietnam();
    match surveys::device_open_wave(&state.db, device, today).await? {
        Some(wave) => Ok(wave),
        None => Err(ApiError::api(StatusCode::CONFLICT, ApiRefusal::NoOpenWave)),
    }
}

/// One response from a kiosk or an integration: every field is optional but one answer;
/// unknown fields are refused.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiResponse {
    /// The unit answered about, by code; the device's own unit when absent.
    unit_code: Option<String>,
    /// The code of one of the unit's services in the wave.
    service: Option<String>,
    /// The respondent's id in the sending system (a repeated id is kept and flagged).
    respondent_id: Option<String>,
    /// How the answer was collected (`kiosk`, `online`, `paper`, …).
    channel: Option<String>,
    /// Answers by item code (`c01`, `q1`).
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, AnswerValue>>)]
    answers: serde_json::Map<String, Value>,
    /// The questionnaire's overall question, when it has one.
    #[schema(value_type = Option<AnswerValue>)]
    overall: Option<Value>,
    comment: Option<String>,
    /// Demographic answers by question code, each an option's code.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, AnswerValue>>)]
    demographics: serde_json::Map<String, Value>,
    /// The chosen expectation areas, by option code.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    expectations: Vec<String>,
}

/// An answer as JSON: a number (5) or a code ("5", "A"); null is a blank.
pub(super) fn answer_code(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

/// A codec fault as a JSON refusal naming its field as the request wrote it
/// (`answers.c07`, `overall`, `demographics.sex`, `expectations`, `comment`).
fn fault_error(questionnaire: &Questionnaire, fault: &Fault, overall_given: bool) -> ApiError {
    let field = match fault {
        Fault::Answer { item, .. } | Fault::Unanswered { item, .. }
            if overall_given && questionnaire.overall == Some(*item) =>
        {
            "overall".to_string()
        }
        Fault::Answer { code, .. }
        | Fault::Unanswered { code, .. }
        | Fault::UnknownItem { code } => format!("answers.{code}"),
        Fault::Demographic { code, .. } | Fault::UnknownQuestion { code } => {
            format!("demographics.{code}")
        }
        Fault::Expectation { .. } | Fault::TooManyExpectations { .. } => "expectations".into(),
        other => other.field().unwrap_or("answers").to_string(),
    };
    ApiError::of(StatusCode::UNPROCESSABLE_ENTITY, Box::new(fault.clone())).field(field)
}

/// Checks a device's response against the questionnaire through the survey codec (at least
/// one answer), naming the field at fault.
pub(super) fn api_response(
    questionnaire: &Questionnaire,
    body: &ApiResponse,
) -> ApiResult<surveys::Response> {
    let refuse = |fault: Fault| fault_error(questionnaire, &fault, body.overall.is_some());
    // A JSON value as a cell: null is a blank; any value that is neither a number nor a
    // string keeps its JSON text, which no scale has, so the codec refuses it by name.
    let cell = |value: &Value| match value {
        Value::Null => String::new(),
        other => answer_code(other).unwrap_or_else(|| other.to_string()),
    };
    let mut cells = TextCells::new(questionnaire);
    for (code, value) in &body.answers {
        let Some(index) = questionnaire.items.iter().position(|i| &i.code == code) else {
            return Err(refuse(Fault::UnknownItem { code: code.clone() }));
        };
        cells.answers[index] = cell(value);
    }
    if let Some(overall) = &body.overall {
        let Some(index) = questionnaire.overall else {
            return Err(refuse(Fault::NoOverall));
        };
        cells.answers[index] = cell(overall);
    }
    for (code, value) in &body.demographics {
        let Some(index) = questionnaire
            .demographics
            .iter()
            .position(|d| &d.code == code)
        else {
            return Err(refuse(Fault::UnknownQuestion { code: code.clone() }));
        };
        cells.demographics[index] = cell(value);
    }
    if !body.expectations.is_empty() && questionnaire.expectations.is_none() {
        return Err(refuse(Fault::NoExpectations));
    }
    cells.expectations = body.expectations.clone();
    cells.comment = body.comment.clone().unwrap_or_default();
    let mut codec = Codec::new(questionnaire, Blanks::AtLeastOne);
    let packed = codec
        .pack(&&cells)
        .map_err(|faults| refuse(faults.into_iter().next().expect("a refusal names a fault")))?;
    let channel = body
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map_or(surveys::Channel::Kiosk, surveys::Channel::from);
    Ok(surveys::Response::packed(channel, &packed))
}

/// The unit a device answers for (its own, or a unit named by `unit_code` below it: the
/// province's one-stop-shop software answers for every department and commune) and the service
/// it names, resolved in one read.
pub(super) async fn api_target(
    state: &AppState,
    device: &surveys::DeviceRow,
    wave_id: i64,
    unit_code: Option<&str>,
    service_code: Option<&str>,
) -> ApiResult<(i64, ApiResult<Option<i64>>)> {
    let today = chiso_store::assessments::today_in_vietnam();
    let target =
        surveys::device_target(&state.db, device, wave_id, unit_code, service_code, today).await?;
    let code = unit_code.map(str::trim).unwrap_or_default();
    let unit_id = match target.unit {
        surveys::NamedUnit::Own => device.unit_id,
        surveys::NamedUnit::Below(id) => id,
        surveys::NamedUnit::Unknown => {
            let code = code.to_string();
            let refusal = ApiRefusal::UnknownUnit { code };
            return Err(ApiError::api(StatusCode::UNPROCESSABLE_ENTITY, refusal));
        }
        surveys::NamedUnit::Elsewhere(_) => {
            let code = code.to_string();
            let refusal = ApiRefusal::UnitNotAllowed { code };
            return Err(ApiError::api(StatusCode::FORBIDDEN, refusal));
        }
    };
    // The service is refused after the answers are checked, as before the lookups were merged.
    let service = match service_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if target.service_id.is_none() => Err(ApiError::api(
            StatusCode::UNPROCESSABLE_ENTITY,
            ApiRefusal::UnknownService {
                code: code.to_string(),
            },
        )),
        _ => Ok(target.service_id),
    };
    Ok((unit_id, service))
}

/// POST /api/v1/responses: one response from a device; 201 only after the commit.
#[utoipa::path(
    post,
    path = "/api/v1/responses",
    request_body = ApiResponse,
    responses(
        (status = 201, description = "Stored and counted", body = Accepted),
        (status = 400, description = "Malformed JSON, or an unknown field", body = ApiErrorBody),
        (status = 401, description = "No key, or an unknown key", body = ApiErrorBody),
        (status = 403, description = "The key was turned off, or the unit is not the device's nor below it", body = ApiErrorBody),
        (status = 404, description = "Not found", body = ApiErrorBody),
        (status = 409, description = "No open wave for the device, the wave closed or not yet open, the respondent already answered", body = ApiErrorBody),
        (status = 413, description = "A body over 16 KiB", body = ApiErrorBody),
        (status = 415, description = "Not sent as application/json", body = ApiErrorBody),
        (status = 422, description = "A field refused; `field` names it", body = ApiErrorBody),
        (status = 503, description = "The service is stopping; send again", body = ApiErrorBody),
    )
)]
pub async fn api_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<JsonBody<ApiResponse>, JsonRejection>,
) -> Response {
    match submit_inner(&state, &headers, body).await {
        Ok(response) => response,
        Err(error) => error.in_lang(api_lang(&headers)).into_response(),
    }
}

pub(super) async fn submit_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<JsonBody<ApiResponse>, JsonRejection>,
) -> ApiResult<Response> {
    let device = device(state, headers).await?;
    // Refused text (a NUL, an over-long field) is a 422 naming its field, like the others.
    let JsonBody(body) = body?;
    let wave = device_wave(state, &device).await?;
    if let Some(refusal) = wave_closed(state, &wave) {
        return Err(refusal_error(&refusal));
    }
    let (unit_id, service_id) = api_target(
        state,
        &device,
        wave.id,
        body.unit_code.as_deref(),
        body.service.as_deref(),
    )
    .await?;
    let questionnaire = questionnaire_of(state, &wave).await?;
    let mut response = api_response(&questionnaire, &body)?;
    response.service_id = service_id?;
    response.device_id = Some(device.id);
    response.source = Some(format!("device:{}", device.id));
    let respondent = body.respondent_id.as_deref();
    match intake::submit(
        state,
        &wave,
        unit_id,
        &response,
        Identity::Respondent(respondent),
    )
    .await?
    {
        Ok(accepted) => Ok((
            StatusCode::CREATED,
            Json(Accepted {
                id: accepted.response_id,
                status: AcceptedStatus::Accepted,
                flagged_duplicate: accepted.flagged_duplicate,
            }),
        )
            .into_response()),
        Err(refusal) => Err(refusal_error(&refusal)),
    }
}

/// A store refusal as a JSON error: the status, code and field of the refusal (an answer
/// is named as the request wrote it, `answers.c05`).
pub(super) fn refusal_error(refusal: &Refusal) -> ApiError {
    let error = ApiError::of(refusal.status(), Box::new(refusal.clone()));
    match refusal {
        Refusal::Fault(fault) => ApiError {
            code: variant_code(fault),
            ..error
        },
        Refusal::Shape(fault) => {
            let field = match fault {
                ShapeFault::Answer { code, .. } => format!("answers.{code}"),
                other => other.field().to_string(),
            };
            ApiError {
                code: variant_code(fault),
                ..error
            }
            .field(field)
        }
        _ => error,
    }
}

/// GET /api/v1/questionnaire: the device's wave and its questionnaire (items with their
/// factor, the answer scale with labels, demographics, expectations, comment).
#[utoipa::path(
    get,
    path = "/api/v1/questionnaire",
    responses(
        (status = 200, description = "The device's wave and questionnaire", body = DeviceQuestionnaire),
        (status = 401, description = "No key, or an unknown key", body = ApiErrorBody),
        (status = 403, description = "The key was turned off", body = ApiErrorBody),
        (status = 409, description = "No open wave for the device", body = ApiErrorBody),
    )
)]
pub async fn api_questionnaire(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = api_lang(&headers);
    let result: ApiResult<Response> = async {
        let device = device(&state, &headers).await?;
        let wave = device_wave(&state, &device).await?;
        let q = questionnaire_of(&state, &wave).await?;
        let body = DeviceQuestionnaire {
            wave: WaveInfo {
                id: wave.id,
                title: wave.title.clone(),
                state: wave.state.into(),
                opens_on: wave.opens_on,
                closes_on: wave.closes_on,
                open: wave_closed(&state, &wave).is_none(),
            },
            unit_id: device.unit_id,
            questionnaire: QuestionnaireInfo::of(&q),
        };
        Ok(Json(body).into_response())
    }
    .await;
    result.unwrap_or_else(|error| error.in_lang(lang).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_store::surveys::WaveState;

    #[test]
    fn codes_are_the_variants_names_in_snake_case() {
        assert_eq!(
            variant_code(&Refusal::WaveNotOpen(WaveState::Closed)),
            "wave_not_open"
        );
        assert_eq!(variant_code(&Refusal::UnknownWave), "unknown_wave");
        assert_eq!(
            variant_code(&Fault::CommentTooLong { max: 2_000 }),
            "comment_too_long"
        );
        assert_eq!(
            variant_code(&ApiRefusal::BodyTooLarge { limit: 1 }),
            "body_too_large"
        );
        // A store refusal keeps its code and field through the JSON error.
        let error = refusal_error(&Refusal::Fault(Fault::CommentTooLong { max: 2_000 }));
        assert_eq!(
            (error.code.as_str(), error.field.as_deref()),
            ("comment_too_long", Some("comment"))
        );
    }

    #[test]
    fn an_unreachable_database_is_a_503_with_its_own_code() {
        let error = ApiError::from(AppError::Unavailable);
        assert_eq!(
            (error.status, error.code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        // A pool that found no connection in time is that refusal, typed by its kind.
        let store = chiso_store::StoreError::from(sqlx::Error::PoolTimedOut);
        assert!(matches!(store, chiso_store::StoreError::Unavailable(_)));
        let error = ApiError::from(store);
        assert_eq!(
            (error.status, error.code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
    }

    #[test]
    fn the_language_is_the_first_one_the_device_accepts_vietnamese_by_default() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
            headers
        };
        assert_eq!(api_lang(&HeaderMap::new()), Lang::Vi);
        assert_eq!(api_lang(&headers("en-US,en;q=0.9")), Lang::En);
        assert_eq!(api_lang(&headers("fr-FR, en;q=0.5")), Lang::En);
        assert_eq!(api_lang(&headers("vi-VN,en;q=0.5")), Lang::Vi);
        assert_eq!(api_lang(&headers("fr")), Lang::Vi);
    }
}
