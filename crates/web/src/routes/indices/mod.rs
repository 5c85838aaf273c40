//! The national indices (docs/method.md §5.7): the list, an index's year, the leadership
//! page and its report.

pub mod leadership;
pub mod pages;
pub mod shared;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

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
