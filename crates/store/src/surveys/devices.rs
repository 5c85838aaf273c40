//! Kiosk and integration devices: keys, activity and the wave a device submits to.

use super::*;

/// A kiosk or integration device.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct DeviceRow {
    pub id: i64,
    pub unit_id: i64,
    pub wave_id: Option<i64>,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const DEVICE_COLUMNS: &str = "id, unit_id, wave_id, name, active, created_at, last_used_at";

/// Creates a device key for a unit (and a wave, or `None` for the unit's open wave at each
/// submission). Returns the id and the plaintext key, shown once; the key's hash is stored.
pub async fn create_device(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    wave_id: Option<i64>,
    name: &str,
) -> Result<(i64, String), StoreError> {
    if name.trim().is_empty() {
        return Err(SurveyRefusal::DeviceNameEmpty.into());
    }
    let key = random_code(DEVICE_KEY_LEN);
    let hash = sha256_hex(&key);
    let now = Utc::now();
    let id = in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO survey_devices (unit_id, wave_id, name, key_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id")
            .bind(unit_id)
            .bind(wave_id)
            .bind(name.trim())
            .bind(&hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("create", "survey_device", id).unit(Some(unit_id))
            .change("device", None, Some(name.trim().to_string()))).await?;
        Ok(id)
    })?;
    Ok((id, key))
}

/// Turns a device key off (or on again), audited.
pub async fn set_device_active(
    db: &Db,
    actor: &Actor,
    device_id: i64,
    active: bool,
) -> Result<(), StoreError> {
    in_transaction!(db, tx => {
        let old: (bool, i64) = sqlx::query_as("SELECT active, unit_id FROM survey_devices WHERE id = $1")
            .bind(device_id)
            .fetch_one(&mut *tx)
            .await?;
        if old.0 == active {
            return Ok(());
        }
        sqlx::query("UPDATE survey_devices SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("update", "survey_device", device_id).unit(Some(old.1))
            .change("active", Some(old.0.to_string()), Some(active.to_string()))).await?;
        Ok(())
    })
}

/// The active device a plaintext key belongs to.
pub async fn device_by_key(db: &Db, key: &str) -> Result<Option<DeviceRow>, StoreError> {
    let sql = format!(
        "SELECT {DEVICE_COLUMNS} FROM survey_devices WHERE key_hash = $1 AND active = TRUE"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, DeviceRow>(&sql).bind(sha256_hex(key.trim())).fetch_optional(pool).await?),
    )
}

/// The devices of a unit.
pub async fn devices(db: &Db, unit_id: i64) -> Result<Vec<DeviceRow>, StoreError> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM survey_devices WHERE unit_id = $1 ORDER BY id");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, DeviceRow>(&sql).bind(unit_id).fetch_all(pool).await?),
    )
}

/// The wave a device submits to: its own, or else the most recently opened wave that covers
/// its unit and is open today.
pub async fn device_wave(db: &Db, device: &DeviceRow) -> Result<Option<i64>, StoreError> {
    if device.wave_id.is_some() {
        return Ok(device.wave_id);
    }
    let today = today_in_vietnam();
    let waves: Vec<(i64, String, Option<NaiveDate>, Option<NaiveDate>)> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT w.id, w.state, w.opens_on, w.closes_on FROM waves w JOIN wave_units wu ON wu.wave_id = w.id \
         WHERE wu.unit_id = $1 AND w.state = 'open' ORDER BY w.id DESC")
        .bind(device.unit_id)
        .fetch_all(pool)
        .await?);
    Ok(waves
        .into_iter()
        .find(|(_, state, opens_on, closes_on)| {
            WaveState::parse(state).is_some_and(|state| {
                wave::takes_answers(state, *opens_on, *closes_on, today).is_ok()
            })
        })
        .map(|(id, ..)| id))
}

/// The device a plaintext key belongs to, active or not.
pub async fn device_by_key_any(db: &Db, key: &str) -> Result<Option<DeviceRow>, StoreError> {
    const SQL: &str = "SELECT id, unit_id, wave_id, name, active, created_at, last_used_at \
         FROM survey_devices WHERE key_hash = $1";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, DeviceRow>(SQL)
        .bind(sha256_hex(key.trim()))
        .fetch_optional(pool)
        .await?),
    )
}

/// The wave a device submits to, read whole in one statement: its own wave, or else the most
/// recently opened wave covering its unit that takes answers today
/// (`chiso_domain::wave::takes_answers`).
pub async fn device_open_wave(
    db: &Db,
    device: &DeviceRow,
    today: NaiveDate,
) -> Result<Option<WaveRow>, StoreError> {
    if let Some(wave_id) = device.wave_id {
        return match get_wave(db, wave_id).await {
            Ok(wave) => Ok(Some(wave)),
            Err(StoreError::NotFound) => Ok(None),
            Err(error) => Err(error),
        };
    }
    let sql = format!(
        "SELECT {WAVE_COLUMNS} FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id \
         JOIN wave_units wu ON wu.wave_id = w.id WHERE wu.unit_id = $1 AND w.state = 'open' \
         ORDER BY w.id DESC"
    );
    let waves: Vec<WaveRow> = with_db_read!(db, pool => sqlx::query_as(&sql)
        .bind(device.unit_id)
        .fetch_all(pool)
        .await?);
    Ok(waves.into_iter().find(|w| w.takes_answers(today).is_ok()))
}

/// The unit a device names by code, seen from the device's own unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedUnit {
    /// No code given: the device's own unit.
    Own,
    /// The unit current today under that code, at or below the device's unit.
    Below(i64),
    /// No unit is current today under that code.
    Unknown,
    /// The unit exists but is not at or below the device's unit.
    Elsewhere(i64),
}

/// Where a device's submission goes: the unit it names and the service of that unit in the wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceTarget {
    pub unit: NamedUnit,
    /// The named service of the target unit in the wave, when a code was given and matches.
    pub service_id: Option<i64>,
}

/// Resolves the unit and the service a device's submission names, in one statement: the unit
/// current today under `unit_code`, whether it is at or below the device's unit (a recursive
/// walk up `parent_id`, at most 16 levels), and the service `service_code` of that unit (or of
/// the device's unit) in the wave. No statement at all when neither is named.
pub async fn device_target(
    db: &Db,
    device: &DeviceRow,
    wave_id: i64,
    unit_code: Option<&str>,
    service_code: Option<&str>,
    today: NaiveDate,
) -> Result<DeviceTarget, StoreError> {
    let unit_code = unit_code.map(str::trim).filter(|c| !c.is_empty());
    let service_code = service_code
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    if unit_code.is_none() && service_code.is_none() {
        return Ok(DeviceTarget {
            unit: NamedUnit::Own,
            service_id: None,
        });
    }
    const SQL: &str = "WITH RECURSIVE named AS ( \
           SELECT id FROM org_units WHERE code = $1 AND valid_from <= $2 \
           AND (valid_to IS NULL OR valid_to >= $2) ORDER BY valid_from DESC LIMIT 1), \
         up (id, parent_id, depth) AS ( \
           SELECT u.id, u.parent_id, 0 FROM org_units u WHERE u.id = (SELECT id FROM named) \
           UNION ALL \
           SELECT p.id, p.parent_id, up.depth + 1 FROM org_units p JOIN up ON p.id = up.parent_id \
           WHERE up.depth < 16) \
         SELECT (SELECT id FROM named) AS unit_id, \
           CAST(COALESCE((SELECT 1 FROM up WHERE up.id = $3 LIMIT 1), 0) AS BIGINT) AS below, \
           (SELECT s.id FROM wave_services s WHERE s.wave_id = $4 AND s.code = $5 \
            AND s.unit_id = COALESCE((SELECT id FROM named), $3)) AS service_id";
    let (unit_id, below, service_id): (Option<i64>, i64, Option<i64>) = with_db_read!(db, pool => sqlx::query_as(SQL)
            .bind(unit_code.unwrap_or(""))
            .bind(today)
            .bind(device.unit_id)
            .bind(wave_id)
            .bind(service_code.as_deref().unwrap_or(""))
            .fetch_one(pool)
            .await?);
    let unit = match (unit_code, unit_id) {
        (None, _) => NamedUnit::Own,
        (Some(_), None) => NamedUnit::Unknown,
        (Some(_), Some(id)) if below == 1 => NamedUnit::Below(id),
        (Some(_), Some(id)) => NamedUnit::Elsewhere(id),
    };
    Ok(DeviceTarget {
        unit,
        service_id: service_code.and(service_id),
    })
}
