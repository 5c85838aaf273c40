//! The public survey form (no login: short links, one-time token links, rate limited) and the JSON API for kiosks and one-stop-shop software (API key per device).

use axum::Router;

use crate::state::AppState;

/// The public form's pages (inside the session layer: a visitor's form carries the
/// pre-login CSRF token like the login form).
pub fn router() -> Router<AppState> {
    Router::new()
}

/// The JSON API under `/api/`, authenticated by a device key, without cookies or CSRF.
pub fn api_router() -> Router<AppState> {
    Router::new()
}
