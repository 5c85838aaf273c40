//! Tokens and devices.

use super::*;

/// Issues `count` one-time tokens for a unit of a wave (one per completed transaction, printed
/// as QR codes). The plaintext tokens are returned once and only their hashes are kept, so a
/// copy of the database answers nothing. One audit row per issue.
pub async fn issue_tokens(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    unit_id: i64,
    count: usize,
) -> Result<Vec<String>, StoreError> {
    issue_service_tokens(db, actor, wave_id, unit_id, None, count).await
}

/// [`issue_tokens`] for one of the unit's services: the answers of these tokens count for it.
pub async fn issue_service_tokens(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    unit_id: i64,
    service_id: Option<i64>,
    count: usize,
) -> Result<Vec<String>, StoreError> {
    if count == 0 || count > MAX_TOKENS_AT_ONCE {
        return Err(SurveyRefusal::TokenCount {
            count,
            max: MAX_TOKENS_AT_ONCE,
        }
        .into());
    }
    let wave = get_wave(db, wave_id).await?;
    if wave.state() == WaveState::Closed {
        return Err(SurveyRefusal::WaveClosed.into());
    }
    let tokens: Vec<String> = (0..count).map(|_| random_code(TOKEN_LEN)).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| sha256_hex(t)).collect();
    let style = Placeholders::of(db);
    let now = Utc::now();
    in_transaction!(db, tx => {
        let member: Option<i64> = sqlx::query_scalar("SELECT unit_id FROM wave_units WHERE wave_id = $1 AND unit_id = $2")
            .bind(wave_id)
            .bind(unit_id)
            .fetch_optional(&mut *tx)
            .await?;
        if member.is_none() {
            return Err(SurveyRefusal::UnitNotInWave.into());
        }
        let mut service_code = None;
        if let Some(service_id) = service_id {
            service_code = sqlx::query_scalar::<_, String>(
                "SELECT code FROM wave_services WHERE id = $1 AND wave_id = $2 AND unit_id = $3")
                .bind(service_id)
                .bind(wave_id)
                .bind(unit_id)
                .fetch_optional(&mut *tx)
                .await?;
            if service_code.is_none() {
                return Err(SurveyRefusal::ServiceNotInUnit.into());
            }
        }
        for chunk in hashes.chunks(500) {
            let sql = format!(
                "INSERT INTO survey_tokens (wave_id, unit_id, issued_at, token_hash, service_id) VALUES {}",
                values_list(style, chunk.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for hash in chunk {
                query = query.bind(wave_id).bind(unit_id).bind(now).bind(hash).bind(service_id);
            }
            query.execute(&mut *tx).await?;
        }
        let issued = match &service_code {
            Some(code) => format!("{count} ({code})"),
            None => count.to_string(),
        };
        let mut entry = AuditEntry::new("issue_tokens", "wave", wave_id).unit(Some(unit_id))
            .change("tokens", None, Some(issued));
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })?;
    Ok(tokens)
}

/// How a backend numbers bound parameters in a long statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?` (SQLite): SQLite looks a numbered parameter's name up in a list, once per
    /// parameter, so a statement with thousands of `$N` spends its time binding (quadratic);
    /// anonymous `?` parameters are bound in order at no such cost.
    Anonymous,
}

impl Placeholders {
    fn of(db: &Db) -> Placeholders {
        match db {
            Db::Sqlite(_) => Placeholders::Anonymous,
            Db::Postgres(_) => Placeholders::Numbered,
        }
    }
}

/// The rows of a multi-row `VALUES` list with `per_row` parameters each, every value bound in
/// order: `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`.
pub(super) fn values_list(style: Placeholders, rows: usize, per_row: usize) -> String {
    let mut out = String::with_capacity(rows * per_row * 6);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for k in 0..per_row {
            if k > 0 {
                out.push_str(", ");
            }
            match style {
                Placeholders::Anonymous => out.push('?'),
                Placeholders::Numbered => {
                    out.push('$');
                    out.push_str(&(row * per_row + k + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// What a token gives access to.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub wave_id: i64,
    pub unit_id: i64,
    pub used_at: Option<DateTime<Utc>>,
    pub response_id: Option<i64>,
    /// The service the token was issued for.
    pub service_id: Option<i64>,
}

/// Looks a plaintext token up (the public form shows the unit and whether it was answered).
pub async fn find_token(db: &Db, token: &str) -> Result<Option<TokenInfo>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, TokenInfo>(
        "SELECT id, wave_id, unit_id, used_at, response_id, service_id FROM survey_tokens WHERE token_hash = $1")
        .bind(sha256_hex(token.trim()))
        .fetch_optional(pool)
        .await?))
}

/// Issued and used tokens of a unit in a wave.
pub async fn token_counts(db: &Db, wave_id: i64, unit_id: i64) -> Result<(i64, i64), StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), COUNT(used_at) FROM survey_tokens WHERE wave_id = $1 AND unit_id = $2")
        .bind(wave_id)
        .bind(unit_id)
        .fetch_one(pool)
        .await?))
}
