//! What the survey intake over HTTP (public form, kiosk API in the web crate) needs beside
//! `surveys`: telling a turned-off device key from an unknown one, so a kiosk whose key was
//! withdrawn gets "turned off" (403) instead of "unknown" (401).

use crate::db::Db;
use crate::error::StoreError;
use crate::surveys::{DeviceRow, sha256_hex};
use crate::with_db_read;

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
