//! The routes, one module per feature, merged here with the layers added once.

pub mod account;
pub mod appraisal;
pub mod assessment;
pub mod audit;
pub mod campaigns;
pub mod frameworks;
pub mod home;
pub mod indices;
pub mod notifications;
pub mod plans;
pub mod public;
pub mod reports;
pub mod results;
pub mod survey_form;
pub mod survey_scope;
pub mod surveys;
pub mod templates;
pub mod units;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::auth;
use crate::extract::Path;
use crate::state::AppState;

/// Static files, compiled into the binary: nothing to deploy beside it.
async fn static_file(Path(name): Path<String>) -> axum::response::Response {
    let (body, kind): (&'static [u8], &str) = match name.as_str() {
        "htmx.min.js" => (
            include_bytes!("../../static/htmx.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "sheet.js" => (
            include_bytes!("../../static/sheet.js"),
            "text/javascript; charset=utf-8",
        ),
        "picker.js" => (
            include_bytes!("../../static/picker.js"),
            "text/javascript; charset=utf-8",
        ),
        "tables.js" => (
            include_bytes!("../../static/tables.js"),
            "text/javascript; charset=utf-8",
        ),
        "app.css" => (
            include_bytes!("../../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "favicon.svg" => (include_bytes!("../../static/favicon.svg"), "image/svg+xml"),
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn security_headers(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages carry a user's data and exports the province's: no browser or proxy keeps a copy
    // (the back button after logout shows nothing). Static files set their own caching.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
    );
    response
}

/// The header that carries a request's id, in the response and in every log line of it.
pub const REQUEST_ID: &str = "x-request-id";

/// Gives every request an id: the caller's `X-Request-Id` when it is a short code (a proxy's),
/// else a new random one. The id is in the response's header and in a tracing span around
/// the request, so each log line of it carries the id.
async fn request_id(
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let given = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (8..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string);
    let id = given.unwrap_or_else(|| crate::auth::new_token()[..16].to_lowercase());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID, value);
    }
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Ready to serve: the database answers and every migration of this build is applied (503
/// with the reason otherwise). `/healthz` says only that the process answers.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::http::StatusCode;
    match state.db.readiness().await {
        Ok(missing) if missing.is_empty() => (StatusCode::OK, "ready").into_response(),
        Ok(missing) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("migrations not applied: {missing:?}"),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.max_upload_bytes;
    Router::new()
        .route("/", get(home::show))
        .route("/dang-nhap", get(account::login_form).post(account::login))
        .route("/dang-xuat", post(account::logout))
        .route(
            "/doi-mat-khau",
            get(account::password_form).post(account::change_password),
        )
        .route("/ngon-ngu", post(account::switch_language))
        .route("/nhat-ky", get(audit::show))
        .route("/nhat-ky.csv", get(audit::export))
        .route("/nhat-ky.xlsx", get(audit::export_xlsx))
        .merge(units::router())
        .merge(frameworks::router())
        .merge(campaigns::router())
        .merge(users::router())
        .merge(assessment::router())
        .merge(appraisal::router())
        .merge(results::router())
        .merge(reports::router())
        .merge(surveys::router())
        .merge(notifications::router())
        .merge(plans::router())
        .merge(templates::router())
        .merge(survey_form::router())
        .merge(public::router())
        .merge(indices::router_import())
        .merge(indices::router_pages())
        // Any other address: the not-found page in the site's frame, in the user's language.
        .fallback(|| async { crate::error::AppError::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::context_layer,
        ))
        // Machine clients (kiosks, one-stop-shop software) authenticate with a device key and
        // send no cookies: outside the session and CSRF layer.
        .merge(survey_form::api_router())
        .route("/static/{name}", get(static_file))
        .route(
            "/favicon.ico",
            get(|| static_file(crate::extract::Path("favicon.svg".to_string()))),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::serve))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(request_id))
        .layer(DefaultBodyLimit::max(limit))
        // Pages, CSS and JS go gzip-compressed to browsers that ask (not images, not event
        // streams, not bodies under 32 bytes).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}
