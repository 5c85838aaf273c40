//! Survey intake (docs/method.md §3.7): one response from the public form, a one-time token
//! link, a kiosk or the one-stop-shop software, already packed by the codec from what its
//! channel sent.
//!
//! Context: the wave (found from the short link, the token or the device) and its cached
//! questionnaire. Rules: the wave takes answers today (`chiso_domain::wave::takes_answers`, on
//! the injectable clock), a public form without a token stays within the per-address limit,
//! and the store's submit checks the unit, the service, the token or the respondent id under
//! the group commit. Rows written: the response and its counters, in one transaction shared
//! with the other responses of its group; the answer goes back only after that commit.

use std::net::IpAddr;

use chiso_store::surveys::{Identity, Outcome, Refusal, Response, WaveRow};

use crate::app::Clock;
use crate::state::AppState;

/// Why a wave takes no answers today, as the store's refusal; `None` when it takes them.
pub fn wave_refusal(clock: &Clock, wave: &WaveRow) -> Option<Refusal> {
    wave.takes_answers(clock.today()).err().map(Refusal::from)
}

/// Whether one more public submission without a token may come from `ip` this minute
/// (`survey_submissions_per_minute`; a token is its own limit: it answers once). On
/// PostgreSQL the count is the database's, shared by every process on it; SQLite serves one
/// process, which counts in memory (a write per submission there would queue behind the
/// survey writer's group commits). A database that cannot count falls back to memory.
pub async fn public_submission_allowed(state: &AppState, ip: IpAddr) -> bool {
    let limit = state.config.survey_submissions_per_minute;
    if state.db.backend() == chiso_store::Backend::Postgres {
        let key = format!("survey:{ip}");
        match chiso_store::jobs::hit(&state.db, &key, limit, chrono::Utc::now()).await {
            Ok(allowed) => return allowed,
            Err(error) => tracing::warn!(%error, "the shared rate limit failed; counting here"),
        }
    }
    state.survey_rate.allows(ip, limit)
}

/// Submits one packed response to the wave's unit: refused when the wave takes no answers
/// today, else queued for the group commit and answered after it.
pub async fn submit(
    state: &AppState,
    wave: &WaveRow,
    unit_id: i64,
    response: &Response,
    identity: Identity<'_>,
) -> Outcome {
    if let Some(refusal) = wave_refusal(&state.clock, wave) {
        return Ok(Err(refusal));
    }
    state
        .submissions
        .submit(wave.id, unit_id, response, identity)
        .await
}
