//! Login, logout, password change and the language switch.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chiso_store::users;
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::auth::{self, Auth, Ctx, LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::demo;
use crate::error::AppResult;
use crate::extract::{ConnectInfo, Form, Query, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    page: Page,
    error: Option<&'static str>,
    next: String,
    username: String,
    demo_accounts: Vec<(&'static str, &'static str)>,
    demo_password: &'static str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths: never redirect to another site after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn login_page(
    state: &AppState,
    context: &crate::auth::Context,
    error: Option<&'static str>,
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
        return Redirect::to(&safe_next(query.next.as_deref())).into_response();
    }
    login_page(
        &state,
        &context,
        None,
        safe_next(query.next.as_deref()),
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

/// The client address: the socket peer, or the first `X-Forwarded-For` hop behind a trusted
/// proxy.
pub fn client_ip(state: &AppState, headers: &HeaderMap, peer: std::net::SocketAddr) -> String {
    if state.config.trust_proxy
        && let Some(forwarded) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(first) = forwarded.split(',').next()
    {
        return first.trim().to_string();
    }
    peer.ip().to_string()
}

/// Checks the password with per-address rate limiting and per-account lockout, both kept in
/// the database so that every process behind a load balancer sees them.
pub async fn login(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(form.next.as_deref());
    let ip = client_ip(&state, &headers, peer);
    let config = &state.config;
    let refuse = |key: &'static str, status: axum::http::StatusCode| {
        Ok((
            status,
            login_page(
                &state,
                &context,
                Some(i18n::text(context.lang, key)),
                next.clone(),
                form.username.clone(),
            ),
        )
            .into_response())
    };
    let window = Utc::now() - Duration::minutes(15);
    if users::failed_logins_from(&state.db, &ip, window).await? >= config.ip_failures_per_15_minutes
    {
        return refuse(
            "common.login_rate_limited",
            axum::http::StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let user = users::find_by_username(&state.db, &form.username).await?;
    let Some(user) = user else {
        // The same work as a real check, so timing does not tell which usernames exist.
        auth::verify_against_dummy(form.password.clone()).await;
        users::record_login(&state.db, &form.username, &ip, None, false, None).await?;
        return refuse("common.login_failed", axum::http::StatusCode::UNAUTHORIZED);
    };
    if user.locked_until.is_some_and(|until| until > Utc::now()) {
        users::record_login(&state.db, &form.username, &ip, Some(user.id), false, None).await?;
        return refuse(
            "common.login_locked",
            axum::http::StatusCode::TOO_MANY_REQUESTS,
        );
    }
    if !auth::verify_password(form.password.clone(), user.password_hash.clone()).await {
        let lock = (user.failed_logins + 1 >= config.lockout_failures)
            .then(|| Utc::now() + Duration::minutes(config.lockout_minutes));
        users::record_login(&state.db, &form.username, &ip, Some(user.id), false, lock).await?;
        return refuse("common.login_failed", axum::http::StatusCode::UNAUTHORIZED);
    }
    if !user.active {
        return refuse("common.login_inactive", axum::http::StatusCode::FORBIDDEN);
    }
    users::record_login(&state.db, &form.username, &ip, Some(user.id), true, None).await?;
    let token = auth::new_token();
    let expires = Utc::now() + Duration::hours(config.session_hours);
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
        "/doi-mat-khau".to_string()
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

pub async fn logout(State(state): State<AppState>, Ctx(context): Ctx) -> AppResult<Response> {
    if let Some(principal) = &context.principal {
        users::delete_session(&state.db, &principal.session_hash).await?;
    }
    let mut response = Redirect::to("/dang-nhap").into_response();
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
    } else if !auth::verify_password(form.current.clone(), principal.user.password_hash.clone())
        .await
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
    let hash = auth::hash_password(form.new_password).await?;
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
    let mut response = Redirect::to(&safe_next(back.as_deref())).into_response();
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
