//! The council and secretariat screens: appraisal rounds, extensions, progress dashboard, finalize, publish, results.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
