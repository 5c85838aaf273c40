//! The national indices screens (`/chi-so-quoc-gia/…`, docs/method.md §5.7–§5.8).

pub mod agencies;
pub mod history;
pub mod import;
pub mod targets;

use axum::Router;

use crate::state::AppState;

/// The secretariat's screens: imports and their history, targets, responsible agencies.
pub fn router_import() -> Router<AppState> {
    Router::new()
        .merge(import::router())
        .merge(history::router())
        .merge(targets::router())
        .merge(agencies::router())
}
