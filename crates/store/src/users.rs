//! Accounts, roles scoped to units, server-side sessions and login attempts. Passwords arrive
//! here already hashed (Argon2id PHC strings); session tokens arrive as their SHA-256.
//! Rate limits and lockouts live in the database so that several processes share them.

use chiso_domain::access::Role;
use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::setup::SetupRefusal;
use crate::{in_transaction, with_db, with_db_read};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub must_change_password: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct RoleAssignment {
    pub id: i64,
    pub user_id: i64,
    /// Decoded at the boundary: a row with a role chiso does not know is a decoding error
    /// naming the column.
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub unit_id: Option<i64>,
    /// JSON array of area codes, for appraisers.
    pub area_codes: Option<String>,
}

impl RoleAssignment {
    pub fn areas(&self) -> Vec<String> {
        self.area_codes
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }
}

/// A new account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub must_change_password: bool,
}

const COLUMNS: &str = "id, username, full_name, email, password_hash, active, must_change_password, failed_logins, \
     locked_until, created_at, updated_at";

pub async fn get(db: &Db, id: i64) -> Result<User, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, User>(&sql).bind(id).fetch_one(pool).await?))
}

pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, User>(&sql)
        .bind(username.trim().to_lowercase())
        .fetch_optional(pool)
        .await?))
}

pub async fn list(db: &Db) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, User>(&sql).fetch_all(pool).await?))
}

/// Usernames are kept in lowercase: `Admin` and `admin` are one account.
pub async fn create(db: &Db, actor: &Actor, user: &NewUser) -> Result<i64, StoreError> {
    let username = user.username.trim().to_lowercase();
    if username.is_empty()
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(SetupRefusal::UsernameInvalid.into());
    }
    if user.full_name.trim().is_empty() {
        return Err(SetupRefusal::FullNameEmpty.into());
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, full_name, email, password_hash, active, must_change_password, \
             failed_logins, created_at, updated_at) VALUES ($1, $2, $3, $4, TRUE, $5, 0, $6, $6) RETURNING id",
        )
        .bind(&username)
        .bind(user.full_name.trim())
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.must_change_password)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => SetupRefusal::UsernameTaken { username: username.clone() }.into(),
            other => other,
        })?;
        tx.record(actor, &AuditEntry::new("create", "user", id)
            .change("user", None, Some(format!("{username} ({})", user.full_name.trim())))).await?;
        Ok(id)
    })
}

/// Sets a new password hash (a change by the user, or a reset by an admin) and ends the user's
/// sessions except `keep_session`.
pub async fn set_password(
    db: &Db,
    actor: &Actor,
    id: i64,
    password_hash: &str,
    must_change: bool,
    keep_session: Option<&str>,
) -> Result<(), StoreError> {
    in_transaction!(db, tx => {
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, \
             locked_until = NULL, updated_at = $3 WHERE id = $4")
            .bind(password_hash)
            .bind(must_change)
            .bind(Utc::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
            .bind(id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        let action = if must_change { "reset_password" } else { "change_password" };
        // The hash itself is never written to the audit log.
        tx.record(actor, &AuditEntry::new(action, "user", id).change("password", None, Some("••••".into()))).await?;
        Ok(())
    })
}

/// Activates or deactivates an account; deactivation ends its sessions.
pub async fn set_active(db: &Db, actor: &Actor, id: i64, active: bool) -> Result<(), StoreError> {
    let old = get(db, id).await?;
    in_transaction!(db, tx => {
        sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(active)
            .bind(Utc::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.record(actor, &AuditEntry::new("update", "user", id)
            .change("active", Some(old.active.to_string()), Some(active.to_string()))).await?;
        Ok(())
    })
}

pub async fn update_profile(
    db: &Db,
    actor: &Actor,
    id: i64,
    full_name: &str,
    email: Option<&str>,
) -> Result<(), StoreError> {
    let old = get(db, id).await?;
    if full_name.trim().is_empty() {
        return Err(SetupRefusal::FullNameEmpty.into());
    }
    in_transaction!(db, tx => {
        sqlx::query("UPDATE users SET full_name = $1, email = $2, updated_at = $3 WHERE id = $4")
            .bind(full_name.trim())
            .bind(email)
            .bind(Utc::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if old.full_name != full_name.trim() {
            tx.record(actor, &AuditEntry::new("update", "user", id)
                .change("full_name", Some(old.full_name.clone()), Some(full_name.trim().to_string()))).await?;
        }
        if old.email.as_deref() != email {
            tx.record(actor, &AuditEntry::new("update", "user", id)
                .change("email", old.email.clone(), email.map(str::to_string))).await?;
        }
        Ok(())
    })
}

pub async fn roles(db: &Db, user_id: i64) -> Result<Vec<RoleAssignment>, StoreError> {
    const SQL: &str = "SELECT id, user_id, role, unit_id, area_codes FROM role_assignments WHERE user_id = $1 ORDER BY id";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, RoleAssignment>(SQL).bind(user_id).fetch_all(pool).await?),
    )
}

pub async fn all_roles(db: &Db) -> Result<Vec<RoleAssignment>, StoreError> {
    const SQL: &str =
        "SELECT id, user_id, role, unit_id, area_codes FROM role_assignments ORDER BY user_id, id";
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, RoleAssignment>(SQL).fetch_all(pool).await?))
}

/// Grants a role for a unit (and its descendants), or for every unit when `unit_id` is `None`.
pub async fn add_role(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    role: Role,
    unit_id: Option<i64>,
    areas: &[String],
) -> Result<i64, StoreError> {
    if role.is_unit_scoped() && unit_id.is_none() {
        return Err(SetupRefusal::RoleNeedsUnit { role }.into());
    }
    let area_codes =
        (!areas.is_empty()).then(|| serde_json::to_string(areas).expect("codes serialise"));
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO role_assignments (user_id, role, unit_id, area_codes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(unit_id)
        .bind(&area_codes)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        let scope = format!("{role}@{}{}", unit_id.map_or("*".to_string(), |u| u.to_string()),
            area_codes.as_deref().map(|a| format!(" areas {a}")).unwrap_or_default());
        tx.record(actor, &AuditEntry::new("grant", "user", user_id).change("role", None, Some(scope)).unit(unit_id)).await?;
        Ok(id)
    })
}

pub async fn remove_role(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    assignment_id: i64,
) -> Result<(), StoreError> {
    let assignment = roles(db, user_id)
        .await?
        .into_iter()
        .find(|r| r.id == assignment_id)
        .ok_or(StoreError::NotFound)?;
    in_transaction!(db, tx => {
        sqlx::query("DELETE FROM role_assignments WHERE id = $1 AND user_id = $2")
            .bind(assignment_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let scope = format!("{}@{}", assignment.role, assignment.unit_id.map_or("*".to_string(), |u| u.to_string()));
        tx.record(actor, &AuditEntry::new("revoke", "user", user_id).change("role", Some(scope), None).unit(assignment.unit_id)).await?;
        Ok(())
    })
}

/// What a login attempt reserved before its password is checked. Both counters are taken with
/// one atomic write each, so parallel attempts see each other: an attempt decides from the
/// value it got back, never from a count read before the slow hash.
#[derive(Clone, Debug)]
pub struct LoginReservation {
    /// Attempts from the address in the current window that have not succeeded, this one
    /// included.
    pub address_failures: i64,
    /// The account, when the username exists and the address was within its limit, with
    /// `failed_logins` already counting this attempt (a lock that has run out starts the count
    /// again).
    pub account: Option<User>,
}

/// Reserves a login attempt: counts it against the address (a fixed window of `window`
/// starting at its first failure) and, when the address is within `address_limit`, against the
/// account. `finish_login` settles it once the password has been checked.
pub async fn reserve_login(
    db: &Db,
    username: &str,
    ip: &str,
    now: DateTime<Utc>,
    window: chrono::Duration,
    address_limit: i64,
) -> Result<LoginReservation, StoreError> {
    let window_begin = now - window;
    let username = username.trim().to_lowercase();
    let update_account = format!(
        "UPDATE users SET \
           failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN 1 ELSE failed_logins + 1 END, \
           locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN NULL ELSE locked_until END \
         WHERE username = $2 RETURNING {COLUMNS}"
    );
    in_transaction!(db, tx => {
        let address_failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_throttle (ip, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (ip) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start < $3 THEN excluded.window_start ELSE login_throttle.window_start END \
             RETURNING failures")
            .bind(ip)
            .bind(now)
            .bind(window_begin)
            .fetch_one(&mut *tx)
            .await?;
        if address_failures > address_limit {
            return Ok(LoginReservation { address_failures, account: None });
        }
        let account = sqlx::query_as::<_, User>(&update_account)
            .bind(now)
            .bind(&username)
            .fetch_optional(&mut *tx)
            .await?;
        Ok(LoginReservation { address_failures, account })
    })
}

/// How a reserved attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// The password was right: the account's count and the address's reservation are undone.
    Succeeded,
    /// Refused; `lock_until` locks the account (when it is not locked already).
    Failed { lock_until: Option<DateTime<Utc>> },
}

/// Settles a reserved attempt and records it in `login_attempts` (kept for the record).
pub async fn finish_login(
    db: &Db,
    username: &str,
    ip: &str,
    user_id: Option<i64>,
    outcome: LoginOutcome,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let succeeded = outcome == LoginOutcome::Succeeded;
    in_transaction!(db, tx => {
        sqlx::query("INSERT INTO login_attempts (username, ip, succeeded, at) VALUES ($1, $2, $3, $4)")
            .bind(username.trim().to_lowercase())
            .bind(ip)
            .bind(succeeded)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        match (outcome, user_id) {
            (LoginOutcome::Succeeded, _) => {
                sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE ip = $1 AND failures > 0")
                    .bind(ip)
                    .execute(&mut *tx)
                    .await?;
                if let Some(user_id) = user_id {
                    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            (LoginOutcome::Failed { lock_until: Some(until) }, Some(user_id)) => {
                let locked = sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2 AND (locked_until IS NULL OR locked_until <= $3)")
                    .bind(until)
                    .bind(user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if locked > 0 {
                    tx.record(&Actor::system("login"), &AuditEntry::new("lock", "user", user_id)
                        .change("locked_until", None, Some(until.to_rfc3339()))
                        .reason(Some("too many failed logins"))).await?;
                }
            }
            (LoginOutcome::Failed { .. }, _) => {}
        }
        Ok(())
    })
}

/// A server-side session joined with its user.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn create_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    with_db!(db, pool => {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn find_session(db: &Db, token_hash: &str) -> Result<Option<Session>, StoreError> {
    const SQL: &str = "SELECT token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at FROM sessions WHERE token_hash = $1";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, Session>(SQL).bind(token_hash).fetch_optional(pool).await?),
    )
}

/// A session with its user and the user's roles, read in one statement for every request
/// that carries a session cookie.
pub async fn session_principal(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(Session, User, Vec<RoleAssignment>)>, StoreError> {
    use sqlx::{FromRow, Row};
    let sql = format!(
        "SELECT s.token_hash AS s_token_hash, s.user_id AS s_user_id, s.csrf_token AS s_csrf_token, \
         s.created_at AS s_created_at, s.expires_at AS s_expires_at, s.last_seen_at AS s_last_seen_at, \
         {user}, r.id AS r_id, r.role AS r_role, r.unit_id AS r_unit_id, r.area_codes AS r_area_codes \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN role_assignments r ON r.user_id = u.id \
         WHERE s.token_hash = $1 ORDER BY r.id",
        user = COLUMNS
            .split(',')
            .map(|c| format!("u.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    macro_rules! decode {
        ($rows:expr) => {{
            let rows = $rows;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let session = Session {
                token_hash: first.try_get("s_token_hash")?,
                user_id: first.try_get("s_user_id")?,
                csrf_token: first.try_get("s_csrf_token")?,
                created_at: first.try_get("s_created_at")?,
                expires_at: first.try_get("s_expires_at")?,
                last_seen_at: first.try_get("s_last_seen_at")?,
            };
            let user = User::from_row(first)?;
            let mut roles = Vec::new();
            for row in &rows {
                let Some(id) = row.try_get::<Option<i64>, _>("r_id")? else {
                    continue;
                };
                let role: String = row.try_get("r_role")?;
                roles.push(RoleAssignment {
                    id,
                    user_id: user.id,
                    role: Role::try_from(role).map_err(|e| sqlx::Error::ColumnDecode {
                        index: "r_role".into(),
                        source: e.into(),
                    })?,
                    unit_id: row.try_get("r_unit_id")?,
                    area_codes: row.try_get("r_area_codes")?,
                });
            }
            Some((session, user, roles))
        }};
    }
    Ok(with_db_read!(db, pool => {
        let rows = sqlx::query(&sql).bind(token_hash).fetch_all(pool).await?;
        decode!(rows)
    }))
}

/// Extends a session that is in use.
pub async fn touch_session(
    db: &Db,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    with_db!(db, pool => {
        sqlx::query("UPDATE sessions SET expires_at = $1, last_seen_at = $2 WHERE token_hash = $3")
            .bind(expires_at)
            .bind(Utc::now())
            .bind(token_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    with_db!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    });
    Ok(())
}

/// Removes expired sessions and login attempts older than `attempts_before`.
pub async fn purge(db: &Db, attempts_before: DateTime<Utc>) -> Result<(), StoreError> {
    let now = Utc::now();
    with_db!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(pool).await?;
        sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(attempts_before).execute(pool).await?;
        sqlx::query("DELETE FROM login_throttle WHERE window_start < $1").bind(attempts_before).execute(pool).await?;
    });
    Ok(())
}
