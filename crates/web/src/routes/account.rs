//! Login, logout, password change and the language switch.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chiso_store::users;
use chrono::Utc;
use serde::Deserialize;

use crate::app::login::{self, LoggedIn};
use crate::auth::{Auth, Ctx, LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::demo;
use crate::describe::Describe;
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

/// Checks the password with a per-address limit and a per-account lockout
/// ([`app::login`](crate::app::login)), then sets the session's cookie and goes on to the page
/// asked for (or to the password change the account owes).
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
    let outcome = login::log_in(&state, &form.username, &form.password, &ip, Utc::now()).await?;
    let LoggedIn { user, token } = match outcome {
        Ok(logged_in) => logged_in,
        Err(refusal) => {
            let message = refusal.describe(context.lang);
            let page = login_page(&state, &context, Some(message), next, form.username);
            return Ok((refusal.status(), page).into_response());
        }
    };
    tracing::info!(user = %user.username, "login");
    let target = if user.must_change_password {
        paths::PASSWORD.to_string()
    } else {
        next
    };
    let mut response = Redirect::to(&target).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, None, state.config.secure_cookies),
    );
    Ok(response)
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
