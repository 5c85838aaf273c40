//! Files of index results held between their preview and the confirmation (docs/method.md
//! §5.8). The web reads a file, shows what it would store and keeps the file here; the
//! confirmation reads it back from here, never from what the browser sends again, and
//! [`crate::indices::import_upload`] takes it in the import's own transaction. A held file is
//! its uploader's alone and is forgotten after [`HELD_HOURS`].

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::db::Db;
use crate::error::StoreError;
use crate::indices::ImportSource;
use crate::{with_db, with_db_read};

/// How long a file waits for its confirmation.
pub const HELD_HOURS: i64 = 24;

/// A held file and what the form said about it.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldUpload {
    pub id: String,
    pub user_id: i64,
    pub file_name: String,
    pub content: Vec<u8>,
    /// The index chosen on the form; none when it is recognised from the file.
    pub index_choice: Option<String>,
    /// The year given for a one-sheet table whose sheet and title name none.
    pub year: Option<i32>,
    pub source: ImportSource,
    /// The versions in force the preview compared with (JSON, kept as written).
    pub expected: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    user_id: i64,
    file_name: String,
    content: Vec<u8>,
    index_choice: Option<String>,
    year: Option<i64>,
    publisher: Option<String>,
    document: Option<String>,
    published_on: Option<NaiveDate>,
    url: Option<String>,
    expected: String,
    created_at: DateTime<Utc>,
}

impl From<Row> for HeldUpload {
    fn from(row: Row) -> HeldUpload {
        HeldUpload {
            id: row.id,
            user_id: row.user_id,
            file_name: row.file_name,
            content: row.content,
            index_choice: row.index_choice,
            year: row.year.and_then(|y| i32::try_from(y).ok()),
            source: ImportSource {
                publisher: row.publisher,
                document: row.document,
                published_on: row.published_on,
                url: row.url,
            },
            expected: row.expected,
            created_at: row.created_at,
        }
    }
}

/// Holds a file for its confirmation, forgetting the files older than [`HELD_HOURS`].
pub async fn hold(db: &Db, upload: &HeldUpload) -> Result<(), StoreError> {
    const PURGE: &str = "DELETE FROM index_uploads WHERE created_at < $1";
    const INSERT: &str = "INSERT INTO index_uploads (id, user_id, file_name, content, \
         index_choice, year, publisher, document, published_on, url, expected, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let stale = upload.created_at - Duration::hours(HELD_HOURS);
    with_db!(db, pool => {
        sqlx::query(PURGE).bind(stale).execute(pool).await?;
        sqlx::query(INSERT)
            .bind(&upload.id)
            .bind(upload.user_id)
            .bind(&upload.file_name)
            .bind(&upload.content)
            .bind(&upload.index_choice)
            .bind(upload.year.map(i64::from))
            .bind(&upload.source.publisher)
            .bind(&upload.source.document)
            .bind(upload.source.published_on)
            .bind(&upload.source.url)
            .bind(&upload.expected)
            .bind(upload.created_at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A held file of this user, unless it is older than [`HELD_HOURS`] at `now`.
pub async fn held(
    db: &Db,
    id: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<HeldUpload>, StoreError> {
    const SQL: &str = "SELECT id, user_id, file_name, content, index_choice, year, publisher, \
         document, published_on, url, expected, created_at FROM index_uploads \
         WHERE id = $1 AND user_id = $2 AND created_at >= $3";
    let stale = now - Duration::hours(HELD_HOURS);
    let row = with_db_read!(db, pool => sqlx::query_as::<_, Row>(SQL)
        .bind(id)
        .bind(user_id)
        .bind(stale)
        .fetch_optional(pool)
        .await?);
    Ok(row.map(HeldUpload::from))
}

/// Forgets a held file of this user (the preview's "Hủy"); whether there was one.
pub async fn discard(db: &Db, id: &str, user_id: i64) -> Result<bool, StoreError> {
    const SQL: &str = "DELETE FROM index_uploads WHERE id = $1 AND user_id = $2";
    let done = with_db!(db, pool => sqlx::query(SQL)
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(done > 0)
}

/// Records the versions in force a preview compared with (after the confirmation found that
/// another import had changed them, and showed the new comparison).
pub async fn set_expected(db: &Db, id: &str, expected: &str) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE index_uploads SET expected = $1 WHERE id = $2";
    with_db!(db, pool => sqlx::query(SQL).bind(expected).bind(id).execute(pool).await?.rows_affected());
    Ok(())
}
