//! Login, logout, password change and the language switch.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chiso_store::users;
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::auth::{self, Auth, Ctx, LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::demo;
use crate::error::AppResult;
use crate::extract::{ConnectInfo, Form, Query, State};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;
use crate::views::Page;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    page: Page,
    error: Option<String>,
    next: String,
    username: String,
    demo_accounts: Vec<(&'static str, &'static str)>,
    demo_password: &'static str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_page(
    state: &AppState,
    context: &crate::auth::Context,
    error: Option<String>,
    next: String,
    username: String,
) -> LoginPage {
    let demo = state.config.demo_data;
    LoginPage {
        page: Page::new(context, "common.login_title"),
        error,
        next,
        username,
        demo_accounts: if demo {
            demo::ACCOUNTS.to_vec()
        } else {
            Vec::new()
        },
        demo_password: if demo { demo::PASSWORD } else { "" },
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    Query(query): Query<NextQuery>,
) -> Response {
    if context.principal.is_some() {
        return Redirect::to(&paths::safe_next(query.next.as_deref())).into_response();
    }
    login_page(
        &state,
        &context,
        None,
        paths::safe_next(query.next.as_deref()),
        String::new(),
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// The window of the per-address limit on failed logins.
const ADDRESS_WINDOW_MINUTES: i64 = 15;

/// Checks the password with a per-address limit and a per-account lockout, both kept in the
/// database so that every process behind a load balancer sees them.
///
/// Every attempt first reserves its place in both counters with one atomic write, then checks
/// exactly one password (the account's, or a throwaway one), so that parallel attempts cannot
/// all pass a limit they read before the slow hash, and the answer (its text, status and
/// timing) is the same whether the account exists, is locked, is deactivated or the password
/// is wrong.
pub async fn login(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let next = paths::safe_next(form.next.as_deref());
    let ip = state
        .config
        .trusted_proxies
        .client_ip(&headers, peer)
        .to_string();
    let config = &state.config;
    let lang = context.lang;
    let refuse = |message: String, status: StatusCode| {
        Ok((
            status,
            login_page(
                &state,
                &context,
                Some(message),
                next.clone(),
                form.username.clone(),
            ),
        )
            .into_response())
    };
    let failed_message = || {
        i18n::text(lang, "common.login_failed")
            .replace("{failures}", &config.lockout_failures.to_string())
            .replace("{minutes}", &config.lockout_minutes.to_string())
    };
    let now = Utc::now();
    let reservation = users::reserve_login(
        &state.db,
        &form.username,
        &ip,
        now,
        Duration::minutes(ADDRESS_WINDOW_MINUTES),
        config.ip_failures_per_15_minutes,
    )
    .await?;
    if reservation.address_failures > config.ip_failures_per_15_minutes {
        users::finish_login(&state.db, &form.username, &ip, None, failed(None)).await?;
        let message = i18n::text(lang, "common.login_rate_limited").to_string();
        return refuse(message, StatusCode::TOO_MANY_REQUESTS);
    }
    // The account is usable when it exists, is active, is not locked and this attempt is
    // within its allowance (parallel attempts beyond it are refused unchecked).
    let usable = reservation.account.as_ref().filter(|user| {
        user.active
            && user.locked_until.is_none_or(|until| until <= now)
            && user.failed_logins <= config.lockout_failures
    });
    let verified = match usable {
        Some(user) => {
            state
                .passwords
                .verify(form.password.clone(), user.password_hash.clone())
                .await?
        }
        None => {
            state.passwords.verify_dummy(form.password.clone()).await?;
            false
        }
    };
    let user_id = reservation.account.as_ref().map(|user| user.id);
    let Some(user) = usable.filter(|_| verified) else {
        let lock = reservation
            .account
            .as_ref()
            .filter(|user| user.failed_logins >= config.lockout_failures)
            .map(|_| now + Duration::minutes(config.lockout_minutes));
        users::finish_login(&state.db, &form.username, &ip, user_id, failed(lock)).await?;
        return refuse(failed_message(), StatusCode::UNAUTHORIZED);
    };
    users::finish_login(
        &state.db,
        &form.username,
        &ip,
        user_id,
        users::LoginOutcome::Succeeded,
    )
    .await?;
    let token = auth::new_token();
    let expires = now + Duration::hours(config.session_hours);
    users::create_session(
        &state.db,
        &auth::token_hash(&token),
        user.id,
        &auth::new_token(),
        expires,
    )
    .await?;
    tracing::info!(user = %user.username, "login");
    let target = if user.must_change_password {
        paths::PASSWORD.to_string()
    } else {
        next
    };
    let mut response = Redirect::to(&target).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, None, config.secure_cookies),
    );
    Ok(response)
}

fn failed(lock_until: Option<chrono::DateTime<Utc>>) -> users::LoginOutcome {
    users::LoginOutcome::Failed { lock_until }
}

pub async fn logout(State(state): State<AppState>, Ctx(context): Ctx) -> AppResult<Response> {
    if let Some(principal) = &context.principal {
        users::delete_session(&state.db, &principal.session_hash).await?;
    }
    let mut response = Redirect::to(paths::LOGIN).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies),
    );
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    page: Page,
    must_change: bool,
    error: Option<&'static str>,
}

pub async fn password_form(Auth(principal, context): Auth) -> PasswordPage {
    PasswordPage {
        page: Page::new(&context, "common.nav_password"),
        must_change: principal.user.must_change_password,
        error: None,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let problem = if form.new_password != form.confirm {
        Some("common.password_mismatch")
    } else if form.new_password.chars().count() < 10 {
        Some("common.password_too_short")
    } else if !state
        .passwords
        .verify(form.current.clone(), principal.user.password_hash.clone())
        .await?
    {
        Some("common.password_wrong")
    } else {
        None
    };
    if let Some(key) = problem {
        let page = PasswordPage {
            page: Page::new(&context, "common.nav_password"),
            must_change: principal.user.must_change_password,
            error: Some(i18n::text(context.lang, key)),
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = state.passwords.hash(form.new_password).await?;
    users::set_password(
        &state.db,
        &principal.actor(),
        principal.user.id,
        &hash,
        false,
        Some(&principal.session_hash),
    )
    .await?;
    Ok(Redirect::to("/?msg=common.password_changed").into_response())
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
}

pub async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Response {
    let lang = Lang::parse(&form.lang).unwrap_or_default();
    // Back to the page the switch was pressed on, when it is ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    let mut response = Redirect::to(&paths::safe_next(back.as_deref())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            state.config.secure_cookies,
        ),
    );
    response
}
