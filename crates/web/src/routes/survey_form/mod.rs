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

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chiso_store::surveys::{self, Identity, Refusal, WaveRow};
use chiso_survey::{Blanks, Codec, Fault, Questionnaire, TextCells};
use serde::Deserialize;
use serde_json::Value;

use crate::app::survey::intake;
use crate::auth::{Context, Ctx};
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::{ConnectInfo, Form, Json as JsonBody, JsonRejection, Path, Query, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

pub mod api_doc;
mod kiosk;
mod views;

pub use kiosk::*;
pub use views::*;

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
        .route("/api/openapi.json", get(api_doc::openapi))
}

// ---------------------------------------------------------------------------------------------
// Shared: questionnaires, wave state, rate limit

async fn questionnaire_of(state: &AppState, wave: &WaveRow) -> AppResult<Arc<Questionnaire>> {
    Ok(state.questionnaires.of_wave(&state.db, wave).await?)
}

/// Why a wave takes no answers today (the intake use case's rule, on the clock): asked
/// before the form is drawn or parsed, so a closed wave says so at once.
fn wave_closed(state: &AppState, wave: &WaveRow) -> Option<Refusal> {
    intake::wave_refusal(&state.clock, wave)
}

/// A title in the page's language when the questionnaire has one.
fn pick(lang: Lang, vi: &str, en: &Option<String>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) if !en.trim().is_empty() => en.clone(),
        _ => vi.to_string(),
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
