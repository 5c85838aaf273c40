//! Sessions, the signed-in principal, CSRF protection and passwords.
//!
//! One middleware runs before every handler: it reads the language, loads the session (once
//! per request), and refuses any state-changing request that is cross-site or lacks the
//! session's CSRF token (engineering guide §1: `Sec-Fetch-Site`/`Origin` plus a per-login token
//! in forms and `hx-headers`). Before login the token is a double-submit cookie, so the login
//! form is protected too.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chiso_domain::access::{Permission, Role, role_grants};
use chiso_store::Actor;
use chiso_store::users::{self, RoleAssignment, User};
use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "chiso_sid";
pub const CSRF_COOKIE: &str = "chiso_csrf";
pub const LANG_COOKIE: &str = "chiso_lang";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in user with their roles, as loaded for this request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    pub roles: Vec<RoleAssignment>,
    pub session_hash: String,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r.role == role)
    }

    /// Whether any of the user's roles grants the permission.
    pub fn can(&self, permission: Permission) -> bool {
        self.roles
            .iter()
            .map(|assignment| assignment.role)
            .any(|role| role_grants(role, permission))
    }

    /// Refuses the request unless a role grants the permission. Checked on the server for every
    /// read and write.
    pub fn require(&self, permission: Permission) -> AppResult<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.username)
    }

    /// The units the user's unit-scoped roles cover (`None`: every unit).
    pub fn unit_scope(&self, all_units: &[chiso_store::units::OrgUnit]) -> Option<Vec<i64>> {
        if self
            .roles
            .iter()
            .map(|assignment| assignment.role)
            .any(|r| !r.is_unit_scoped())
        {
            return None;
        }
        let mut scope = Vec::new();
        for assignment in &self.roles {
            if let Some(unit) = assignment.unit_id {
                scope.extend(chiso_store::units::descendants(all_units, unit));
            }
        }
        scope.sort_unstable();
        scope.dedup();
        Some(scope)
    }
}

/// What the middleware learnt about the request.
#[derive(Clone, Debug)]
pub struct Context {
    pub lang: Lang,
    pub principal: Option<Arc<Principal>>,
    /// The token forms must send back.
    pub csrf_token: String,
    /// The path and query, to come back to after login.
    pub path: String,
}

/// Random URL-safe token of 256 bits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A cookie's name on the wire: behind HTTPS it carries the `__Host-` prefix, which browsers
/// accept only from a secure origin, for the whole site (`Path=/`) and without a `Domain`, so a
/// neighbouring subdomain or a plain-HTTP page cannot plant or overwrite it.
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_string()
    }
}

/// A cookie's value from the request headers (`name` without the prefix).
pub fn cookie(headers: &HeaderMap, name: &str, secure: bool) -> Option<String> {
    let name = cookie_name(name, secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, and Secure with the `__Host-` prefix
/// when configured.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        cookie_name(name, secure)
    );
    if let Some(age) = max_age_seconds {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).expect("cookie values are ASCII")
}

/// Constant-time comparison of two tokens.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn load_principal(
    state: &AppState,
    headers: &HeaderMap,
) -> AppResult<Option<(Principal, String)>> {
    let Some(token) = cookie(headers, SESSION_COOKIE, state.config.secure_cookies) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some((session, user, roles)) = users::session_principal(&state.db, &hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let absolute_end = session.created_at + Duration::hours(state.config.session_absolute_hours);
    if session.expires_at < now || absolute_end < now {
        users::delete_session(&state.db, &hash).await?;
        return Ok(None);
    }
    if !user.active {
        return Ok(None);
    }
    // Sliding expiry, written at most every five minutes.
    if now - session.last_seen_at > Duration::minutes(5) {
        users::touch_session(
            &state.db,
            &hash,
            now + Duration::hours(state.config.session_hours),
        )
        .await?;
    }
    Ok(Some((
        Principal {
            user,
            roles,
            session_hash: hash,
        },
        session.csrf_token,
    )))
}

/// Whether a state-changing request may come from another origin (checked before any token).
/// Only the same origin counts: `Sec-Fetch-Site: same-site` is a sibling subdomain, and an
/// `Origin: null` comes from a sandboxed frame, a `data:` page or a redirect chain, none of
/// them this site's own pages.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return true;
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => false,
        Some(Err(_)) | Some(Ok("null")) => true,
        Some(Ok(origin)) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            origin_host.is_none() || origin_host != host
        }
    }
}

/// The largest form body read to find the CSRF field; bigger forms send the header.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// Loads the request context, enforces CSRF on unsafe methods, and sets the pre-login CSRF
/// cookie when the browser has none.
pub async fn context_layer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match context(state.clone(), request, next).await {
        Ok(response) => response,
        Err((error, lang)) => error.into_response_in(lang),
    }
}

async fn context(
    state: AppState,
    request: Request,
    next: Next,
) -> Result<Response, (AppError, Lang)> {
    let headers = request.headers().clone();
    let secure = state.config.secure_cookies;
    let lang = cookie(&headers, LANG_COOKIE, secure)
        .and_then(|l| Lang::parse(&l))
        .unwrap_or_default();
    let fail = |error: AppError| (error, lang);
    let loaded = load_principal(&state, &headers).await.map_err(fail)?;
    let anonymous_token = cookie(&headers, CSRF_COOKIE, secure).filter(|t| t.len() >= 32);
    let new_anonymous_token = (loaded.is_none() && anonymous_token.is_none()).then(new_token);
    let (principal, expected) = match loaded {
        Some((principal, csrf)) => (Some(Arc::new(principal)), csrf),
        None => (
            None,
            anonymous_token
                .clone()
                .or(new_anonymous_token.clone())
                .unwrap_or_default(),
        ),
    };

    let mut request = request;
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method {
        if cross_site(&headers) {
            return Err(fail(AppError::Csrf));
        }
        let (submitted, rebuilt) = submitted_token(request).await.map_err(fail)?;
        request = rebuilt;
        // Without a session, only a token the browser already held counts.
        let valid = match (&submitted, &principal, &anonymous_token) {
            (Some(token), Some(_), _) => same_token(token, &expected),
            (Some(token), None, Some(cookie_token)) => same_token(token, cookie_token),
            _ => false,
        };
        if !valid {
            return Err(fail(AppError::Csrf));
        }
    }

    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let context = Context {
        lang,
        principal,
        csrf_token: expected,
        path,
    };
    request.extensions_mut().insert(context.clone());
    // An htmx request swaps part of a page: its refusals stay bare.
    let partial = headers.contains_key("hx-request");
    let mut response = next.run(request).await;
    if !partial
        && let Some(frame) = response
            .extensions()
            .get::<crate::error::ErrorFrame>()
            .cloned()
    {
        let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
        let mut framed = crate::error::framed_error(&context, &frame, referer, &headers);
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                framed.headers_mut().append(name.clone(), value.clone());
            }
        }
        response = framed;
    }
    if let Some(token) = new_anonymous_token {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token, None, secure),
        );
    }
    Ok(response)
}

/// The token sent with a request: the `X-CSRF-Token` header (htmx), else the `_csrf` field of
/// a urlencoded form, else the first part of a multipart form, which the templates make the
/// `_csrf` field. Never the query string: a token in a URL ends up in logs and `Referer`s.
async fn submitted_token(request: Request) -> AppResult<(Option<String>, Request)> {
    if let Some(token) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Ok((Some(token.to_string()), request));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        let token = url_decoded_pairs(&bytes)
            .into_iter()
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value);
        return Ok((token, Request::from_parts(parts, Body::from(bytes))));
    }
    if content_type.starts_with("multipart/form-data") {
        return crate::multipart_token::first_field(request, &content_type, CSRF_FIELD).await;
    }
    Ok((None, request))
}

fn url_decoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let decode = |text: &str| -> String {
        let text = text.replace('+', " ");
        let mut out = Vec::with_capacity(text.len());
        let raw = text.as_bytes();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%'
                && i + 2 < raw.len()
                && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
            {
                out.push(byte);
                i += 3;
                continue;
            }
            out.push(raw[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(bytes)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

/// The request context, for handlers that serve anyone.
pub struct Ctx(pub Context);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Context>()
            .cloned()
            .map(Ctx)
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("the context middleware did not run"))
            })
    }
}

/// A signed-in user. Anyone else is sent to the login page; a user who must change their
/// password is sent to do so first.
pub struct Auth(pub Arc<Principal>, pub Context);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ctx(context) = Ctx::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = context.lang;
        let Some(principal) = context.principal.clone() else {
            return Err(AppError::Unauthorized {
                next: context.path.clone(),
            }
            .into_response_in(lang));
        };
        let path = parts.uri.path();
        if principal.user.must_change_password
            && path != crate::paths::PASSWORD
            && path != crate::paths::LOGOUT
        {
            return Err(Redirect::to(crate::paths::PASSWORD).into_response());
        }
        Ok(Auth(principal, context))
    }
}

/// Argon2id PHC string, off the async threads, for work outside a request (the command line,
/// the demo data); requests go through the bounded [`crate::passwords::PasswordGate`].
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

/// Refuses a request whose user lacks the permission before its handler runs, so before any
/// body (a multipart upload) is read: routers put it on routes whose body extractor would
/// otherwise answer first, with
/// `route_layer(middleware::from_fn_with_state(Permission::X, auth::require))`.
/// Anonymous visitors go to the login page, as the `Auth` extractor sends them.
pub async fn require(
    State(permission): State<Permission>,
    request: Request,
    next: Next,
) -> Response {
    let Some(context) = request.extensions().get::<Context>().cloned() else {
        return AppError::Internal(anyhow::anyhow!("the context middleware did not run"))
            .into_response();
    };
    match &context.principal {
        None => AppError::Unauthorized { next: context.path }.into_response_in(context.lang),
        Some(principal) if !principal.can(permission) => {
            AppError::Forbidden.into_response_in(context.lang)
        }
        Some(_) => next.run(request).await,
    }
}
