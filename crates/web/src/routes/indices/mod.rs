//! The national indices screens (`/chi-so-quoc-gia/…`, docs/method.md §5.7–§5.8): the list,
//! an index's year, the leadership page and its report for every signed-in role; imports and
//! their history, targets and responsible agencies for the secretariat.

pub mod agencies;
pub mod history;
pub mod import;
pub mod leadership;
pub mod pages;
pub mod shared;
pub mod targets;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The secretariat's screens: imports and their history, targets, responsible agencies.
pub fn router_import() -> Router<AppState> {
    Router::new()
        .merge(import::router())
        .merge(history::router())
        .merge(targets::router())
        .merge(agencies::router())
}

/// The pages that read the national indices: every signed-in role (published figures).
pub fn router_pages() -> Router<AppState> {
    Router::new()
        .route("/chi-so-quoc-gia", get(pages::list))
        .route("/chi-so-quoc-gia/tong-quan", get(leadership::page))
        .route(
            "/chi-so-quoc-gia/tong-quan/bao-cao",
            post(leadership::start_report),
        )
        .route("/chi-so-quoc-gia/{index}", get(pages::latest))
        .route("/chi-so-quoc-gia/{index}/{year}", get(pages::year))
}
