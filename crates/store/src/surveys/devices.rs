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
        return Err(StoreError::Invalid("the device needs a name".into()));
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
