//! The services of a wave unit (results for every unit, service, channel and period; a link
//! or QR code per unit or service): the administrative procedures a unit's
//! counter handles (cấp giấy phép xây dựng, đăng ký kinh doanh…), each with the transactions
//! N it declares for the period and the target sample n = N / (1 + N·e²) computed from it
//! (docs/method.md §3.4: the pilot method sizes the sample per service). A response may name one
//! of them; the counters carry the service as a key, so a service's figures are a slice of
//! its unit's (`surveys::Slice::service`).

use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink, Changes};
use crate::db::Db;
use crate::error::StoreError;
use crate::surveys::{ServiceRefusal, SurveyRefusal, get_wave, target_sample};
use crate::{in_transaction, with_db_read};

/// The longest service code (it appears in links: `/ks/<slug>?dv=<code>`).
pub const MAX_SERVICE_CODE: usize = 32;
/// The longest service name.
pub const MAX_SERVICE_NAME: usize = 300;

/// A service of a unit in a wave, with its counted responses.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ServiceRow {
    pub id: i64,
    pub wave_id: i64,
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub transactions: Option<i64>,
    pub target_sample: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Counted responses that name the service (from the counters).
    pub responses: i64,
}

impl ServiceRow {
    /// Whether the counted responses are below the target sample.
    pub fn below_target(&self) -> bool {
        self.target_sample.is_some_and(|n| self.responses < n)
    }
}

/// A service as entered: code, name and the declared transactions N.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceFields {
    pub code: String,
    pub name: String,
    pub transactions: Option<i64>,
}

/// Codes are short and safe in a link: letters, digits, `-`, `_` and `.`.
fn check_fields(fields: &ServiceFields) -> Result<(String, String), ServiceRefusal> {
    let code = fields.code.trim().to_uppercase();
    if code.is_empty() {
        return Err(ServiceRefusal::CodeEmpty);
    }
    if code.chars().count() > MAX_SERVICE_CODE
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ServiceRefusal::CodeInvalid {
            code,
            max: MAX_SERVICE_CODE,
        });
    }
    let name = fields.name.trim().to_string();
    if name.is_empty() {
        return Err(ServiceRefusal::NameEmpty { code });
    }
    if name.chars().count() > MAX_SERVICE_NAME {
        return Err(ServiceRefusal::NameTooLong {
            code,
            max: MAX_SERVICE_NAME,
        });
    }
    if let Some(transactions) = fields.transactions
        && transactions < 0
    {
        return Err(ServiceRefusal::TransactionsNegative { code, transactions });
    }
    Ok((code, name))
}

/// Adds a service to a unit of a wave, or changes the name and N of the one with that code
/// (target n recomputed from the wave's e); audited. Returns its id.
pub async fn set_service(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    unit_id: i64,
    fields: &ServiceFields,
) -> Result<i64, StoreError> {
    let (code, name) = check_fields(fields).map_err(SurveyRefusal::from)?;
    let wave = get_wave(db, wave_id).await?;
    let transactions = fields.transactions;
    let target = transactions.map(|n| target_sample(n, wave.margin_e));
    in_transaction!(db, tx => {
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT unit_id FROM wave_units WHERE wave_id = $1 AND unit_id = $2")
            .bind(wave_id)
            .bind(unit_id)
            .fetch_optional(&mut *tx)
            .await?;
        if member.is_none() {
            return Err(SurveyRefusal::UnitNotInWave.into());
        }
        let old: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, transactions FROM wave_services WHERE wave_id = $1 AND unit_id = $2 AND code = $3")
            .bind(wave_id)
            .bind(unit_id)
            .bind(&code)
            .fetch_optional(&mut *tx)
            .await?;
        let mut entry = AuditEntry::new("update", "wave", wave_id).unit(Some(unit_id));
        entry.campaign_id = wave.campaign_id;
        let id = match old {
            Some((id, old_name, old_n)) => {
                if old_name == name && old_n == transactions {
                    return Ok(id);
                }
                sqlx::query("UPDATE wave_services SET name = $1, transactions = $2, target_sample = $3 WHERE id = $4")
                    .bind(&name)
                    .bind(transactions)
                    .bind(target)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let mut changes = Changes::new();
                changes
                    .field(&format!("service {code} name"), &Some(old_name), &Some(name.clone()))
                    .field(&format!("service {code} transactions"), &old_n, &transactions);
                for change in changes.into_entries("update", "wave", wave_id) {
                    let mut change = change.unit(Some(unit_id));
                    change.campaign_id = wave.campaign_id;
                    tx.record(actor, &change).await?;
                }
                id
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO wave_services (wave_id, unit_id, code, name, transactions, target_sample, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                    .bind(wave_id)
                    .bind(unit_id)
                    .bind(&code)
                    .bind(&name)
                    .bind(transactions)
                    .bind(target)
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                tx.record(actor, &entry.change("service", None,
                    Some(format!("{code} {name}{}", transactions.map(|n| format!(", N = {n}")).unwrap_or_default())))).await?;
                id
            }
        };
        Ok(id)
    })
}

/// Removes a service; refused once a response or a token names it.
pub async fn remove_service(db: &Db, actor: &Actor, service_id: i64) -> Result<(), StoreError> {
    let service = get_service(db, service_id).await?;
    let wave = get_wave(db, service.wave_id).await?;
    in_transaction!(db, tx => {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM responses WHERE service_id = $1 UNION ALL SELECT id FROM survey_tokens WHERE service_id = $1 LIMIT 1")
            .bind(service_id)
            .fetch_optional(&mut *tx)
            .await?;
        if used.is_some() {
            return Err(SurveyRefusal::from(ServiceRefusal::InUse { code: service.code.clone() }).into());
        }
        sqlx::query("DELETE FROM wave_services WHERE id = $1")
            .bind(service_id)
            .execute(&mut *tx)
            .await?;
        let mut entry = AuditEntry::new("update", "wave", service.wave_id).unit(Some(service.unit_id))
            .change("service", Some(format!("{} {}", service.code, service.name)), None);
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })
}

const SELECT: &str = "SELECT s.id, s.wave_id, s.unit_id, s.code, s.name, s.transactions, s.target_sample, s.created_at, \
     CAST(COALESCE((SELECT SUM(rs.n) FROM response_stats rs WHERE rs.wave_id = s.wave_id AND rs.unit_id = s.unit_id \
     AND rs.service_id = s.id), 0) AS BIGINT) AS responses FROM wave_services s";

pub async fn get_service(db: &Db, service_id: i64) -> Result<ServiceRow, StoreError> {
    let sql = format!("{SELECT} WHERE s.id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, ServiceRow>(&sql)
        .bind(service_id)
        .fetch_one(pool)
        .await?),
    )
}

/// The services of a wave (`unit_id` None) or of one of its units, by unit and code.
pub async fn services(
    db: &Db,
    wave_id: i64,
    unit_id: Option<i64>,
) -> Result<Vec<ServiceRow>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE s.wave_id = $1 AND ($2 = 0 OR s.unit_id = $2) ORDER BY s.unit_id, s.code"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, ServiceRow>(&sql)
        .bind(wave_id)
        .bind(unit_id.unwrap_or(0))
        .fetch_all(pool)
        .await?),
    )
}

/// A unit's service in a wave by code (as in a link), case-insensitive.
pub async fn find_service(
    db: &Db,
    wave_id: i64,
    unit_id: i64,
    code: &str,
) -> Result<Option<ServiceRow>, StoreError> {
    let sql = format!("{SELECT} WHERE s.wave_id = $1 AND s.unit_id = $2 AND s.code = $3");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, ServiceRow>(&sql)
        .bind(wave_id)
        .bind(unit_id)
        .bind(code.trim().to_uppercase())
        .fetch_optional(pool)
        .await?),
    )
}
