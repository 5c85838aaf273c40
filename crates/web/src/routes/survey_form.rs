//! The public survey form (no login: short links, one-time token links, rate limited) and the
//! JSON API for kiosks and one-stop-shop software (API key per device).
//!
//! Both paths end in the store's `submit`, which checks the wave, the unit, the token or the
//! respondent id and writes the response with its counters in one transaction; the answer
//! ("recorded", `201 accepted`) is sent only after that commit, so an acknowledged response
//! survives a `kill -9` of the process (store docs: WAL on SQLite, a flushed commit on
//! PostgreSQL). The checks here come first so that refusals name the question at fault in the
//! visitor's language; the store repeats the ones that matter under concurrency (token spent
//! once, respondent id unique).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chiso_store::survey_services;
use chiso_store::surveys::{self, Identity, Refusal, WaveRow};
use chiso_survey::Questionnaire;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Context, Ctx};
use crate::error::{AppError, AppResult};
use crate::extract::{ConnectInfo, Form, Json as JsonBody, JsonRejection, Path, Query, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

/// The public form's pages (inside the session layer: a visitor's form carries the
/// pre-login CSRF token like the login form).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ks/cam-on", get(thanks))
        .route("/ks/t/{token}", get(token_form).post(token_submit))
        .route("/ks/{slug}", get(slug_form).post(slug_submit))
}

/// Largest JSON body the device API reads: a response is a few hundred bytes (23 answers, a
/// comment of at most 2 000 characters), so anything past this is not a response.
pub const API_BODY_LIMIT: usize = 16 * 1024;

/// The JSON API under `/api/`, authenticated by a device key, without cookies or CSRF.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/responses",
            post(api_submit).layer(DefaultBodyLimit::max(API_BODY_LIMIT)),
        )
        .route("/api/v1/questionnaire", get(api_questionnaire))
}

// ---------------------------------------------------------------------------------------------
// Shared: questionnaires, wave state, rate limit

/// Parsed questionnaires by code and version. A stored version never changes (a new text is a
/// new version), so parsing the TOML once per process is enough; the submission path would
/// otherwise parse it on every request.
type QuestionnaireCache = HashMap<(String, i64), Arc<Questionnaire>>;
static QUESTIONNAIRES: LazyLock<Mutex<QuestionnaireCache>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

async fn questionnaire_of(state: &AppState, wave: &WaveRow) -> AppResult<Arc<Questionnaire>> {
    let key = (wave.questionnaire_code.clone(), wave.questionnaire_version);
    if let Some(found) = QUESTIONNAIRES.lock().expect("cache lock").get(&key) {
        return Ok(found.clone());
    }
    let row = surveys::get_questionnaire(&state.db, wave.questionnaire_id).await?;
    let parsed = Arc::new(row.questionnaire()?);
    QUESTIONNAIRES
        .lock()
        .expect("cache lock")
        .insert(key, parsed.clone());
    Ok(parsed)
}

/// Why a wave takes no answers today, as a refusal of the store (the same rule as `submit`).
fn wave_closed(wave: &WaveRow) -> Option<Refusal> {
    let today = chiso_store::assessments::today_in_vietnam();
    if wave.state != "open" {
        return Some(Refusal::WaveNotOpen(wave.state.clone()));
    }
    if let Some(opens) = wave.opens_on
        && today < opens
    {
        return Some(Refusal::NotYetOpen(opens));
    }
    if let Some(closes) = wave.closes_on
        && today > closes
    {
        return Some(Refusal::AlreadyClosed(closes));
    }
    None
}

/// A title in the page's language when the questionnaire has one.
fn pick(lang: Lang, vi: &str, en: &Option<String>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) if !en.trim().is_empty() => en.clone(),
        _ => vi.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Public form: views

struct OptionView {
    value: String,
    label: String,
    checked: bool,
}

struct ItemView {
    code: String,
    title: String,
    options: Vec<OptionView>,
    error: bool,
}

struct GroupView {
    title: String,
    items: Vec<ItemView>,
}

struct ChoiceView {
    code: String,
    title: String,
    options: Vec<OptionView>,
}

struct ExpectationsView {
    title: String,
    max: usize,
    options: Vec<OptionView>,
    error: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_form/form.html")]
pub struct FormPage {
    page: Page,
    questionnaire_title: String,
    unit_name: String,
    service_name: Option<String>,
    action: String,
    /// The form without token asks for an optional respondent id.
    with_respondent: bool,
    respondent_id: String,
    groups: Vec<GroupView>,
    demographics: Vec<ChoiceView>,
    expectations: Option<ExpectationsView>,
    comment_title: Option<String>,
    comment: String,
    errors: Vec<String>,
}

/// A page with a title and one message: thanks, an answered link, a closed survey.
#[derive(Template, WebTemplate)]
#[template(path = "survey_form/notice.html")]
pub struct NoticePage {
    page: Page,
    message: String,
    ok: bool,
}

fn notice(context: &Context, status: StatusCode, title_key: &str, message: String) -> Response {
    let page = Page::new(context, title_key);
    (
        status,
        NoticePage {
            page,
            message,
            ok: status.is_success(),
        },
    )
        .into_response()
}

/// The submitted form's values by field name (checkboxes repeat their name).
type Fields = Vec<(String, String)>;

fn values<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn first<'a>(fields: &'a Fields, name: &str) -> &'a str {
    values(fields, name).first().copied().unwrap_or("")
}

/// Builds the form, with the submitted values checked again and the faulty questions marked.
fn form_page(
    context: &Context,
    questionnaire: &Questionnaire,
    target: &Target,
    fields: &Fields,
    faulty: &[String],
    errors: Vec<String>,
) -> FormPage {
    let lang = context.lang;
    let scale: Vec<(String, String)> = questionnaire
        .scale
        .answers
        .iter()
        .map(|a| (a.code.clone(), a.label.clone()))
        .collect();
    let item_view = |index: usize| {
        let item = &questionnaire.items[index];
        let chosen = first(fields, &item.code);
        ItemView {
            code: item.code.clone(),
            title: pick(lang, &item.title, &item.title_en),
            options: scale
                .iter()
                .map(|(code, label)| OptionView {
                    value: code.clone(),
                    label: label.clone(),
                    checked: chosen.eq_ignore_ascii_case(code),
                })
                .collect(),
            error: faulty.contains(&item.code),
        }
    };
    let mut groups: Vec<GroupView> = questionnaire
        .factors
        .iter()
        .map(|factor| GroupView {
            title: pick(lang, &factor.title, &factor.title_en),
            items: factor.items.iter().map(|&i| item_view(i)).collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect();
    let loose: Vec<ItemView> = (0..questionnaire.items.len())
        .filter(|&i| questionnaire.items[i].factor.is_none())
        .map(item_view)
        .collect();
    if !loose.is_empty() {
        groups.push(GroupView {
            title: i18n::text(lang, "survey_form.overall_group").to_string(),
            items: loose,
        });
    }
    let choice = |options: &[chiso_survey::questionnaire::Choice], chosen: &[&str]| {
        options
            .iter()
            .map(|o| OptionView {
                value: o.code.clone(),
                label: o.label.clone(),
                checked: chosen.iter().any(|c| c.eq_ignore_ascii_case(&o.code)),
            })
            .collect::<Vec<_>>()
    };
    let demographics = questionnaire
        .demographics
        .iter()
        .map(|d| ChoiceView {
            code: d.code.clone(),
            title: d.title.clone(),
            options: choice(&d.options, &[first(fields, &d.code)]),
        })
        .collect();
    let expectations = questionnaire.expectations.as_ref().map(|e| {
        let chosen = values(fields, &e.question.code);
        ExpectationsView {
            title: e.question.title.clone(),
            max: e.max_choices,
            options: choice(&e.question.options, &chosen),
            error: faulty.contains(&e.question.code),
        }
    });
    FormPage {
        page: Page::new(context, "survey_form.title"),
        questionnaire_title: pick(lang, &questionnaire.title, &questionnaire.title_en),
        unit_name: target.unit_name.clone(),
        service_name: target.service.as_ref().map(|(_, name)| name.clone()),
        action: target.action.clone(),
        // The form without token asks for an optional respondent id.
        with_respondent: target.token.is_none(),
        respondent_id: first(fields, "respondent_id").to_string(),
        groups,
        demographics,
        expectations,
        comment_title: questionnaire.comment.as_ref().map(|c| c.title.clone()),
        comment: first(fields, "comment").to_string(),
        errors,
    }
}

/// A question named for an error: its code and its title.
fn named(lang: Lang, code: &str, title: &str) -> String {
    i18n::text(lang, "survey_form.question")
        .replace("{code}", code)
        .replace("{title}", title)
}

/// Reads the form into a submission; on faults, the codes at fault and messages naming them.
fn parse_form(
    lang: Lang,
    questionnaire: &Questionnaire,
    fields: &Fields,
) -> Result<surveys::Response, (Vec<String>, Vec<String>)> {
    let mut faulty = Vec::new();
    let mut errors = Vec::new();
    let mut answers = Vec::with_capacity(questionnaire.items.len());
    for item in &questionnaire.items {
        let value = first(fields, &item.code).trim();
        let title = pick(lang, &item.title, &item.title_en);
        if value.is_empty() {
            faulty.push(item.code.clone());
            errors.push(format!(
                "{}: {}",
                named(lang, &item.code, &title),
                i18n::text(lang, "survey_form.error_unanswered")
            ));
            answers.push(0);
            continue;
        }
        match questionnaire.scale.find(value) {
            Some(position) => answers.push(position as u8 + 1),
            None => {
                faulty.push(item.code.clone());
                errors.push(format!(
                    "{}: {}",
                    named(lang, &item.code, &title),
                    i18n::text(lang, "survey_form.error_value")
                ));
                answers.push(0);
            }
        }
    }
    let mut demographics = Vec::new();
    if !questionnaire.demographics.is_empty() {
        for question in &questionnaire.demographics {
            let value = first(fields, &question.code).trim();
            if value.is_empty() {
                demographics.push(0);
                continue;
            }
            match question.find(value) {
                Some(position) => demographics.push(position as u8 + 1),
                None => {
                    faulty.push(question.code.clone());
                    errors.push(format!(
                        "{}: {}",
                        named(lang, &question.code, &question.title),
                        i18n::text(lang, "survey_form.error_value")
                    ));
                    demographics.push(0);
                }
            }
        }
        if demographics.iter().all(|&v| v == 0) {
            demographics.clear();
        }
    }
    let mut expectations = Vec::new();
    if let Some(question) = &questionnaire.expectations {
        let chosen = values(fields, &question.question.code);
        for value in &chosen {
            match question.question.find(value) {
                Some(position) if !expectations.contains(&(position as u8 + 1)) => {
                    expectations.push(position as u8 + 1)
                }
                Some(_) => {}
                None => {
                    faulty.push(question.question.code.clone());
                    errors.push(format!(
                        "{}: {}",
                        named(lang, &question.question.code, &question.question.title),
                        i18n::text(lang, "survey_form.error_value")
                    ));
                }
            }
        }
        // The limit is the server's: the page says "up to 3" but a browser sends what it sends.
        if expectations.len() > question.max_choices {
            faulty.push(question.question.code.clone());
            errors.push(format!(
                "{}: {}",
                named(lang, &question.question.code, &question.question.title),
                i18n::text(lang, "survey_form.error_too_many")
                    .replace("{max}", &question.max_choices.to_string())
            ));
        }
    }
    let comment = first(fields, "comment").trim();
    if comment.chars().count() > surveys::MAX_COMMENT {
        faulty.push("comment".into());
        errors.push(
            i18n::text(lang, "survey_form.error_comment")
                .replace("{max}", &surveys::MAX_COMMENT.to_string()),
        );
    }
    if !errors.is_empty() {
        return Err((faulty, errors));
    }
    let mut response = surveys::Response::new("online", answers);
    response.demographics = demographics;
    response.expectations = expectations;
    response.comment = (!comment.is_empty()).then(|| comment.to_string());
    Ok(response)
}

/// A store refusal as a page with its status.
fn refusal_page(context: &Context, refusal: &Refusal) -> Response {
    let lang = context.lang;
    let (status, title, message) = match refusal {
        Refusal::UnknownWave | Refusal::UnknownToken => (
            StatusCode::NOT_FOUND,
            "survey_form.not_found_title",
            i18n::text(lang, "survey_form.not_found").to_string(),
        ),
        Refusal::UnitNotInWave => (
            StatusCode::NOT_FOUND,
            "survey_form.not_found_title",
            i18n::text(lang, "survey_form.unit_not_in_wave").to_string(),
        ),
        Refusal::UnknownService => (
            StatusCode::NOT_FOUND,
            "survey_form.not_found_title",
            i18n::text(lang, "survey_form.unknown_service").to_string(),
        ),
        Refusal::TokenUsed => (
            StatusCode::CONFLICT,
            "survey_form.used_title",
            i18n::text(lang, "survey_form.used").to_string(),
        ),
        Refusal::DuplicateRespondent => (
            StatusCode::CONFLICT,
            "survey_form.duplicate_title",
            i18n::text(lang, "survey_form.duplicate").to_string(),
        ),
        Refusal::WaveNotOpen(_) | Refusal::AlreadyClosed(_) => (
            StatusCode::GONE,
            "survey_form.closed_title",
            i18n::text(lang, "survey_form.closed").to_string(),
        ),
        Refusal::NotYetOpen(date) => (
            StatusCode::FORBIDDEN,
            "survey_form.closed_title",
            i18n::text(lang, "survey_form.not_yet_open").replace("{date}", &i18n::date(*date)),
        ),
        Refusal::Invalid(message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "survey_form.error_title",
            i18n::message(lang, message),
        ),
    };
    notice(context, status, title, message)
}

/// What a link leads to: the wave, the unit, the service asked about if any and, for a token
/// link, the token.
struct Target {
    wave: WaveRow,
    unit_id: i64,
    unit_name: String,
    /// The service's id and name.
    service: Option<(i64, String)>,
    token: Option<String>,
    action: String,
}

/// `?dv=CODE` on a unit's short link: the form about one of its services (a QR code per
/// service at the counter).
#[derive(Debug, Default, Deserialize)]
pub struct ServiceQuery {
    #[serde(default)]
    dv: Option<String>,
}

async fn slug_target(
    state: &AppState,
    slug: &str,
    service_code: Option<&str>,
) -> AppResult<Result<Target, Refusal>> {
    let Some((wave_id, unit_id)) = surveys::find_slug(&state.db, slug).await? else {
        return Ok(Err(Refusal::UnknownWave));
    };
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let unit = chiso_store::units::get(&state.db, unit_id).await?;
    let mut action = format!("/ks/{}", slug.trim().to_lowercase());
    let mut service = None;
    if let Some(code) = service_code.map(str::trim).filter(|c| !c.is_empty()) {
        let Some(found) = survey_services::find_service(&state.db, wave_id, unit_id, code).await?
        else {
            return Ok(Err(Refusal::UnknownService));
        };
        action = format!("{action}?dv={}", found.code);
        service = Some((found.id, found.name));
    }
    Ok(Ok(Target {
        wave,
        unit_id,
        unit_name: unit.name,
        service,
        token: None,
        action,
    }))
}

async fn token_target(state: &AppState, token: &str) -> AppResult<Result<Target, Refusal>> {
    let Some(info) = surveys::find_token(&state.db, token).await? else {
        return Ok(Err(Refusal::UnknownToken));
    };
    if info.used_at.is_some() {
        return Ok(Err(Refusal::TokenUsed));
    }
    let wave = surveys::get_wave(&state.db, info.wave_id).await?;
    let unit = chiso_store::units::get(&state.db, info.unit_id).await?;
    let service = match info.service_id {
        Some(id) => {
            let found = survey_services::get_service(&state.db, id).await?;
            Some((found.id, found.name))
        }
        None => None,
    };
    Ok(Ok(Target {
        wave,
        unit_id: info.unit_id,
        unit_name: unit.name,
        service,
        token: Some(token.trim().to_string()),
        action: format!("/ks/t/{}", token.trim()),
    }))
}

async fn show_form(
    state: &AppState,
    context: &Context,
    target: Result<Target, Refusal>,
) -> AppResult<Response> {
    let target = match target {
        Ok(target) => target,
        Err(refusal) => return Ok(refusal_page(context, &refusal)),
    };
    if let Some(refusal) = wave_closed(&target.wave) {
        return Ok(refusal_page(context, &refusal));
    }
    let questionnaire = questionnaire_of(state, &target.wave).await?;
    Ok(form_page(
        context,
        &questionnaire,
        &target,
        &Vec::new(),
        &[],
        Vec::new(),
    )
    .into_response())
}

async fn take_form(
    state: &AppState,
    context: &Context,
    ip: std::net::IpAddr,
    target: Result<Target, Refusal>,
    fields: Fields,
) -> AppResult<Response> {
    let lang = context.lang;
    let target = match target {
        Ok(target) => target,
        Err(refusal) => return Ok(refusal_page(context, &refusal)),
    };
    if let Some(refusal) = wave_closed(&target.wave) {
        return Ok(refusal_page(context, &refusal));
    }
    if target.token.is_none()
        && !state
            .survey_rate
            .allows(ip, state.config.survey_submissions_per_minute)
    {
        return Ok(notice(
            context,
            StatusCode::TOO_MANY_REQUESTS,
            "survey_form.rate_title",
            i18n::text(lang, "survey_form.rate_limited").to_string(),
        ));
    }
    let questionnaire = questionnaire_of(state, &target.wave).await?;
    let rerender = |faulty: &[String], errors: Vec<String>| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(context, &questionnaire, &target, &fields, faulty, errors),
        )
            .into_response()
    };
    let mut response = match parse_form(lang, &questionnaire, &fields) {
        Ok(response) => response,
        Err((faulty, errors)) => return Ok(rerender(&faulty, errors)),
    };
    response.source = Some(ip.to_string());
    response.service_id = target.service.as_ref().map(|(id, _)| *id);
    let respondent = first(&fields, "respondent_id").trim().to_string();
    if respondent.chars().count() > surveys::MAX_RESPONDENT_ID {
        return Ok(rerender(
            &["respondent_id".to_string()],
            vec![
                i18n::text(lang, "survey_form.error_respondent_long")
                    .replace("{max}", &surveys::MAX_RESPONDENT_ID.to_string()),
            ],
        ));
    }
    let identity = match &target.token {
        Some(token) => Identity::Token(token),
        None => Identity::PublicRespondent((!respondent.is_empty()).then_some(respondent.as_str())),
    };
    match state
        .submissions
        .submit(target.wave.id, target.unit_id, &response, identity)
        .await?
    {
        Ok(_) => Ok(Redirect::to("/ks/cam-on").into_response()),
        Err(Refusal::DuplicateRespondent) => Ok((
            StatusCode::CONFLICT,
            form_page(
                context,
                &questionnaire,
                &target,
                &fields,
                &["respondent_id".to_string()],
                vec![i18n::text(lang, "survey_form.duplicate").to_string()],
            ),
        )
            .into_response()),
        Err(Refusal::Invalid(message)) => Ok(rerender(&[], vec![i18n::message(lang, &message)])),
        Err(refusal) => Ok(refusal_page(context, &refusal)),
    }
}

// ---------------------------------------------------------------------------------------------
// Public form: handlers

/// GET /ks/{slug}[?dv=SERVICE]: a unit's short link (or one service's), the form without
/// token.
pub async fn slug_form(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    Path(slug): Path<String>,
    Query(query): Query<ServiceQuery>,
) -> Response {
    let lang = context.lang;
    let target = slug_target(&state, &slug, query.dv.as_deref()).await;
    let result = match target {
        Ok(target) => show_form(&state, &context, target).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|e| e.into_response_in(lang))
}

/// POST /ks/{slug}: a submission without token (optional respondent id, rate limited).
pub async fn slug_submit(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<ServiceQuery>,
    Form(fields): Form<Fields>,
) -> Response {
    let lang = context.lang;
    let ip = state.config.trusted_proxies.client_ip(&headers, peer);
    let result = match slug_target(&state, &slug, query.dv.as_deref()).await {
        Ok(target) => take_form(&state, &context, ip, target, fields).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|e| e.into_response_in(lang))
}

/// GET /ks/t/{token}: the form bound to a one-time token; an answered token says so and
/// shows nothing else.
pub async fn token_form(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    Path(token): Path<String>,
) -> Response {
    let lang = context.lang;
    let result = match token_target(&state, &token).await {
        Ok(target) => show_form(&state, &context, target).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|e| e.into_response_in(lang))
}

/// POST /ks/t/{token}: the token's answer; the store spends the token in the same
/// transaction, so two racing submissions give one answer and one "already answered".
pub async fn token_submit(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let lang = context.lang;
    let ip = state.config.trusted_proxies.client_ip(&headers, peer);
    let result = match token_target(&state, &token).await {
        Ok(target) => take_form(&state, &context, ip, target, fields).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|e| e.into_response_in(lang))
}

/// GET /ks/cam-on: the thank-you page after a recorded answer.
pub async fn thanks(Ctx(context): Ctx) -> Response {
    let message = i18n::text(context.lang, "survey_form.thanks").to_string();
    notice(
        &context,
        StatusCode::OK,
        "survey_form.thanks_title",
        message,
    )
}

// ---------------------------------------------------------------------------------------------
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

type ApiResult<T> = Result<T, ApiError>;

/// The device of the `Authorization: Bearer <key>` header: 401 without a known key, 403 for a
/// key that was turned off.
async fn device(state: &AppState, headers: &HeaderMap) -> ApiResult<surveys::DeviceRow> {
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
    if let Some(device) = surveys::device_by_key(&state.db, key).await? {
        return Ok(device);
    }
    // `device_by_key` only returns active devices: tell a turned-off key from an unknown one.
    let known = chiso_store::survey_intake::device_by_key_any(&state.db, key).await?;
    Err(match known.is_some() {
        true => ApiError::new(StatusCode::FORBIDDEN, "this device key is turned off"),
        false => ApiError::new(StatusCode::UNAUTHORIZED, "unknown device key"),
    })
}

/// The device's wave: its own, or its unit's open wave.
async fn device_wave(state: &AppState, device: &surveys::DeviceRow) -> ApiResult<WaveRow> {
    let Some(wave_id) = surveys::device_wave(&state.db, device).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no survey is open for this device's unit",
        ));
    };
    Ok(surveys::get_wave(&state.db, wave_id).await?)
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
fn answer_code(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

/// Checks a device's response against the questionnaire, naming the field at fault.
fn api_response(questionnaire: &Questionnaire, body: &ApiResponse) -> ApiResult<surveys::Response> {
    let unprocessable = |message: String, field: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).field(field)
    };
    let mut answers = vec![0u8; questionnaire.items.len()];
    let mut set = |code: &str, value: &Value, field: String| -> ApiResult<()> {
        let Some(index) = questionnaire.items.iter().position(|i| i.code == code) else {
            return Err(unprocessable(format!("unknown item {code}"), field));
        };
        if value.is_null() {
            return Ok(());
        }
        let position = answer_code(value)
            .and_then(|c| questionnaire.scale.find(&c))
            .ok_or_else(|| {
                unprocessable(
                    format!(
                        "{code}: {value} is not one of {}",
                        questionnaire.scale.describe()
                    ),
                    field.clone(),
                )
            })?;
        answers[index] = position as u8 + 1;
        Ok(())
    };
    for (code, value) in &body.answers {
        set(code, value, format!("answers.{code}"))?;
    }
    if let Some(overall) = &body.overall {
        let Some(index) = questionnaire.overall else {
            return Err(unprocessable(
                "this questionnaire has no overall question".into(),
                "overall".into(),
            ));
        };
        let code = questionnaire.items[index].code.clone();
        set(&code, overall, "overall".into())?;
    }
    if answers.iter().all(|&a| a == 0) {
        return Err(unprocessable(
            "a response needs at least one answer".into(),
            "answers".into(),
        ));
    }
    let mut demographics = Vec::new();
    if !body.demographics.is_empty() {
        demographics = vec![0u8; questionnaire.demographics.len()];
        for (code, value) in &body.demographics {
            let field = format!("demographics.{code}");
            let Some(index) = questionnaire
                .demographics
                .iter()
                .position(|d| &d.code == code)
            else {
                return Err(unprocessable(
                    format!("unknown demographic question {code}"),
                    field,
                ));
            };
            let question = &questionnaire.demographics[index];
            let position = answer_code(value)
                .and_then(|c| question.find(&c))
                .ok_or_else(|| {
                    unprocessable(
                        format!("{code}: {value} is not one of {}", question.describe()),
                        field.clone(),
                    )
                })?;
            demographics[index] = position as u8 + 1;
        }
    }
    let mut expectations = Vec::new();
    if !body.expectations.is_empty() {
        let Some(question) = &questionnaire.expectations else {
            return Err(unprocessable(
                "this questionnaire has no expectations question".into(),
                "expectations".into(),
            ));
        };
        for code in &body.expectations {
            let position = question.question.find(code).ok_or_else(|| {
                unprocessable(
                    format!("unknown expectation area {code}"),
                    "expectations".into(),
                )
            })?;
            if !expectations.contains(&(position as u8 + 1)) {
                expectations.push(position as u8 + 1);
            }
        }
        if expectations.len() > question.max_choices {
            return Err(unprocessable(
                format!(
                    "at most {} expectations may be chosen",
                    question.max_choices
                ),
                "expectations".into(),
            ));
        }
    }
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > surveys::MAX_COMMENT) {
        return Err(unprocessable(
            format!(
                "the comment is longer than {} characters",
                surveys::MAX_COMMENT
            ),
            "comment".into(),
        ));
    }
    let channel = body
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("kiosk");
    let mut response = surveys::Response::new(channel, answers);
    response.demographics = demographics;
    response.expectations = expectations;
    response.comment = comment.map(str::to_string);
    Ok(response)
}

/// The unit a device answers for: its own, or a unit named by `unit_code` below it (the
/// province's one-stop-shop software answers for every department and commune).
async fn api_unit(
    state: &AppState,
    device: &surveys::DeviceRow,
    unit_code: Option<&str>,
) -> ApiResult<i64> {
    let Some(code) = unit_code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(device.unit_id);
    };
    let today = chiso_store::assessments::today_in_vietnam();
    let Some(unit) = chiso_store::units::find_current_by_code(&state.db, code, today).await? else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("unknown unit {code}"),
        )
        .field("unit_code"));
    };
    let mut cursor = Some(unit.id);
    let mut steps = 0;
    while let Some(id) = cursor {
        if id == device.unit_id {
            return Ok(unit.id);
        }
        steps += 1;
        if steps > 16 {
            break;
        }
        cursor = chiso_store::units::get(&state.db, id).await?.parent_id;
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        format!("this device may not answer for unit {code}"),
    )
    .field("unit_code"))
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

async fn submit_inner(
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
    let unit_id = api_unit(state, &device, body.unit_code.as_deref()).await?;
    let questionnaire = questionnaire_of(state, &wave).await?;
    let mut response = api_response(&questionnaire, &body)?;
    if let Some(code) = body
        .service
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let Some(service) =
            survey_services::find_service(&state.db, wave.id, unit_id, code).await?
        else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown service {code} for this unit"),
            )
            .field("service"));
        };
        response.service_id = Some(service.id);
    }
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
fn refusal_error(refusal: &Refusal) -> ApiError {
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
