//! The JSON API for kiosks and one-stop-shop software (API key per device).

use super::*;

// Device API

/// A JSON refusal: `{ "error": "…", "field": "…" }`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: String,
    field: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: error.into(),
            field: None,
        }
    }

    fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error });
        if let Some(field) = self.field {
            body["field"] = Value::String(field);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        match error {
            AppError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not found"),
            AppError::BadRequest(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            AppError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, message),
            AppError::TooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload too large"),
            other => {
                tracing::error!(error = ?other, "device API error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<chiso_store::StoreError> for ApiError {
    fn from(error: chiso_store::StoreError) -> ApiError {
        AppError::from(error).into()
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
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing Authorization: Bearer <device key>",
            )
        })?;
    // One read: a turned-off key is told apart from an unknown one.
    match surveys::device_by_key_any(&state.db, key).await? {
        Some(device) if device.active => Ok(device),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this device key is turned off",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unknown device key",
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
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "no survey is open for this device's unit",
        )),
    }
}

/// A kiosk's or an integration's response.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiResponse {
    unit_code: Option<String>,
    /// The code of one of the unit's services in the wave.
    service: Option<String>,
    respondent_id: Option<String>,
    channel: Option<String>,
    #[serde(default)]
    answers: serde_json::Map<String, Value>,
    overall: Option<Value>,
    comment: Option<String>,
    #[serde(default)]
    demographics: serde_json::Map<String, Value>,
    #[serde(default)]
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
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, fault.to_string()).field(field)
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
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown unit {code}"),
            )
            .field("unit_code"));
        }
        surveys::NamedUnit::Elsewhere(_) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this device may not answer for unit {code}"),
            )
            .field("unit_code"));
        }
    };
    // The service is refused after the answers are checked, as before the lookups were merged.
    let service = match service_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if target.service_id.is_none() => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("unknown service {code} for this unit"),
        )
        .field("service")),
        _ => Ok(target.service_id),
    };
    Ok((unit_id, service))
}

/// POST /api/v1/responses: one response from a device; 201 only after the commit.
pub async fn api_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<JsonBody<ApiResponse>, JsonRejection>,
) -> Response {
    match submit_inner(&state, &headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

pub(super) async fn submit_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<JsonBody<ApiResponse>, JsonRejection>,
) -> ApiResult<Response> {
    let device = device(state, headers).await?;
    // Refused text (a NUL, an over-long field) is a 422 naming its field, like the others.
    let JsonBody(body) = body.map_err(|rejection| ApiError {
        status: rejection.status(),
        error: rejection.message(API_BODY_LIMIT),
        field: rejection.field().map(str::to_string),
    })?;
    let wave = device_wave(state, &device).await?;
    if let Some(refusal) = wave_closed(&wave) {
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
    match state
        .submissions
        .submit(
            wave.id,
            unit_id,
            &response,
            Identity::Respondent(respondent),
        )
        .await?
    {
        Ok(accepted) => Ok((
            StatusCode::CREATED,
            Json(json!({
                "id": accepted.response_id,
                "status": "accepted",
                "flagged_duplicate": accepted.flagged_duplicate,
            })),
        )
            .into_response()),
        Err(refusal) => Err(refusal_error(&refusal)),
    }
}

/// A store refusal as a JSON error.
pub(super) fn refusal_error(refusal: &Refusal) -> ApiError {
    let message = refusal.to_string();
    match refusal {
        Refusal::UnknownWave => ApiError::new(StatusCode::CONFLICT, message),
        Refusal::WaveNotOpen(_) | Refusal::NotYetOpen(_) | Refusal::AlreadyClosed(_) => {
            ApiError::new(StatusCode::CONFLICT, message)
        }
        Refusal::UnitNotInWave => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).field("unit_code")
        }
        Refusal::UnknownService => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).field("service")
        }
        Refusal::UnknownToken | Refusal::TokenUsed => ApiError::new(StatusCode::CONFLICT, message),
        Refusal::DuplicateRespondent => {
            ApiError::new(StatusCode::CONFLICT, message).field("respondent_id")
        }
        Refusal::Fault(fault) => match fault.field() {
            Some(field) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).field(field),
            None => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message),
        },
        Refusal::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message),
    }
}

/// GET /api/v1/questionnaire: the device's wave and its questionnaire (items with their
/// factor, the answer scale with labels, demographics, expectations, comment).
pub async fn api_questionnaire(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result: ApiResult<Response> = async {
        let device = device(&state, &headers).await?;
        let wave = device_wave(&state, &device).await?;
        let q = questionnaire_of(&state, &wave).await?;
        let choice = |c: &chiso_survey::questionnaire::ChoiceQuestion| {
            json!({
                "code": c.code,
                "title": c.title,
                "options": c.options.iter().map(|o| json!({"code": o.code, "label": o.label})).collect::<Vec<_>>(),
            })
        };
        let body = json!({
            "wave": {
                "id": wave.id,
                "title": wave.title,
                "state": wave.state,
                "opens_on": wave.opens_on,
                "closes_on": wave.closes_on,
                "open": wave_closed(&wave).is_none(),
            },
            "unit_id": device.unit_id,
            "questionnaire": {
                "id": q.id,
                "version": q.version,
                "title": q.title,
                "title_en": q.title_en,
                "scale": q.scale.answers.iter().map(|a| json!({
                    "code": a.code, "label": a.label, "satisfied": a.satisfied, "share": a.share,
                })).collect::<Vec<_>>(),
                "factors": q.factors.iter().map(|f| json!({
                    "code": f.code, "title": f.title, "title_en": f.title_en,
                    "items": f.items.iter().map(|&i| q.items[i].code.clone()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "items": q.items.iter().map(|i| json!({
                    "code": i.code, "title": i.title, "title_en": i.title_en,
                    "factor": i.factor.map(|f| q.factors[f].code.clone()),
                    "labels": i.labels,
                })).collect::<Vec<_>>(),
                "overall": q.overall.map(|i| q.items[i].code.clone()),
                "demographics": q.demographics.iter().map(choice).collect::<Vec<_>>(),
                "expectations": q.expectations.as_ref().map(|e| {
                    let mut value = choice(&e.question);
                    value["max_choices"] = json!(e.max_choices);
                    value
                }),
                "comment": q.comment.as_ref().map(|c| json!({"code": c.code, "title": c.title})),
            },
        });
        Ok(Json(body).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
