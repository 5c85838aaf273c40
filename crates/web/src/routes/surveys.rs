//! Survey administration for staff: questionnaires, waves, units and target samples, tokens and QR codes, device keys, paper entry and bulk import, indices with intervals, charts, and filling a campaign's survey leaves.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
