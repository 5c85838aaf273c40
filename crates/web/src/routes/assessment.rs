//! The self-assessment screens: the unit's scoresheet, evidence, submit/withdraw, explanations, leaf history.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
