//! Logging in: the password checked under a per-address limit and a per-account lockout, both
//! kept in the database so that every process behind a load balancer sees them.
//!
//! Every attempt first reserves its place in both counters with one atomic write, then checks
//! exactly one password (the account's, or a throwaway one), so that parallel attempts cannot
//! all pass a limit they read before the slow hash, and the answer (its text, status and
//! timing) is the same whether the account exists, is locked, is deactivated or the password
//! is wrong.

use chiso_store::users::{self, LoginOutcome, User};
use chrono::{DateTime, Duration, Utc};

use crate::auth;
use crate::error::AppResult;
use crate::state::AppState;

/// The window of the per-address limit on failed logins.
const ADDRESS_WINDOW_MINUTES: i64 = 15;

/// Why a login was refused; the same whatever was wrong with the account or the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many failed logins from the address in the window.
    RateLimited,
    /// The username or password is wrong, or the account is locked or deactivated; the
    /// lockout's rule, for the message.
    Failed { failures: i64, minutes: i64 },
}

/// A session opened: its user and the token of its cookie.
pub struct LoggedIn {
    pub user: User,
    pub token: String,
}

/// Checks `password` for `username` from address `ip` at `now`, and opens a session.
pub async fn log_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> AppResult<Result<LoggedIn, LoginRefusal>> {
    let config = &state.config;
    let reservation = users::reserve_login(
        &state.db,
        username,
        ip,
        now,
        Duration::minutes(ADDRESS_WINDOW_MINUTES),
        config.ip_failures_per_15_minutes,
    )
    .await?;
    if reservation.address_failures > config.ip_failures_per_15_minutes {
        users::finish_login(&state.db, username, ip, None, failed(None)).await?;
        return Ok(Err(LoginRefusal::RateLimited));
    }
    // The account is usable when it exists, is active, is not locked and this attempt is
    // within its allowance (parallel attempts beyond it are refused unchecked).
    let usable = reservation.account.as_ref().filter(|user| {
        user.active
            && user.locked_until.is_none_or(|until| until <= now)
            && user.failed_logins <= config.lockout_failures
    });
    let verified = match usable {
        Some(user) => {
            state
                .passwords
                .verify(password.to_string(), user.password_hash.clone())
                .await?
        }
        None => {
            state.passwords.verify_dummy(password.to_string()).await?;
            false
        }
    };
    let user_id = reservation.account.as_ref().map(|user| user.id);
    let Some(user) = usable.filter(|_| verified) else {
        let lock = reservation
            .account
            .as_ref()
            .filter(|user| user.failed_logins >= config.lockout_failures)
            .map(|_| now + Duration::minutes(config.lockout_minutes));
        users::finish_login(&state.db, username, ip, user_id, failed(lock)).await?;
        return Ok(Err(LoginRefusal::Failed {
            failures: config.lockout_failures,
            minutes: config.lockout_minutes,
        }));
    };
    users::finish_login(&state.db, username, ip, user_id, LoginOutcome::Succeeded).await?;
    let token = auth::new_token();
    let expires = now + Duration::hours(config.session_hours);
    users::create_session(
        &state.db,
        &auth::token_hash(&token),
        user.id,
        &auth::new_token(),
        expires,
    )
    .await?;
    Ok(Ok(LoggedIn {
        user: user.clone(),
        token,
    }))
}

fn failed(lock_until: Option<DateTime<Utc>>) -> LoginOutcome {
    LoginOutcome::Failed { lock_until }
}
