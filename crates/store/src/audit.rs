//! The append-only audit log: typed rows of who changed what, from what value to what, and
//! why (engineering guide §7: "audit log as free text" is the mistake to avoid). Rows are
//! written in the transaction of the change they record; the database refuses UPDATE and
//! DELETE on the table (triggers in the migrations).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, SqliteConnection};

use crate::db::Db;
use crate::error::StoreError;
use crate::with_db_read;

/// Who acts: a signed-in user, or the system (the command line, demo seeding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(id: i64, name: &str) -> Actor {
        Actor {
            id: Some(id),
            name: name.to_string(),
        }
    }

    pub fn system(what: &str) -> Actor {
        Actor {
            id: None,
            name: format!("system:{what}"),
        }
    }
}

/// One audit row to write.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AuditEntry {
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub campaign_id: Option<i64>,
    pub unit_id: Option<i64>,
}

impl AuditEntry {
    pub fn new(action: &str, entity_type: &str, entity_id: i64) -> AuditEntry {
        AuditEntry {
            action: action.to_string(),
            entity_type: entity_type.to_string(),
            entity_id: Some(entity_id),
            ..AuditEntry::default()
        }
    }

    pub fn change(mut self, field: &str, old: Option<String>, new: Option<String>) -> AuditEntry {
        self.field = Some(field.to_string());
        self.old_value = old;
        self.new_value = new;
        self
    }

    pub fn reason(mut self, reason: Option<&str>) -> AuditEntry {
        self.reason = reason.map(str::to_string).filter(|r| !r.trim().is_empty());
        self
    }

    pub fn campaign(mut self, campaign_id: i64) -> AuditEntry {
        self.campaign_id = Some(campaign_id);
        self
    }

    pub fn unit(mut self, unit_id: Option<i64>) -> AuditEntry {
        self.unit_id = unit_id;
        self
    }
}

/// The field-by-field differences of an update, one audit row per changed field.
#[derive(Debug, Default)]
pub struct Changes {
    entries: Vec<(String, Option<String>, Option<String>)>,
}

impl Changes {
    pub fn new() -> Changes {
        Changes::default()
    }

    /// Records `field` when `old` and `new` differ.
    pub fn field<T: ToString + PartialEq>(
        &mut self,
        field: &str,
        old: &Option<T>,
        new: &Option<T>,
    ) -> &mut Changes {
        if old != new {
            self.entries.push((
                field.to_string(),
                old.as_ref().map(ToString::to_string),
                new.as_ref().map(ToString::to_string),
            ));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The audit rows for these changes.
    pub fn into_entries(self, action: &str, entity_type: &str, entity_id: i64) -> Vec<AuditEntry> {
        self.entries
            .into_iter()
            .map(|(field, old, new)| {
                AuditEntry::new(action, entity_type, entity_id).change(&field, old, new)
            })
            .collect()
    }
}

const INSERT: &str = "INSERT INTO audit_log (at, actor_id, actor_name, action, entity_type, entity_id, field, \
     old_value, new_value, reason, campaign_id, unit_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// A connection that can take audit rows: the connection of an open transaction on either
/// backend.
pub trait AuditSink {
    fn record(
        &mut self,
        actor: &Actor,
        entry: &AuditEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

macro_rules! impl_audit_sink {
    ($connection:ty) => {
        impl AuditSink for $connection {
            async fn record(
                &mut self,
                actor: &Actor,
                entry: &AuditEntry,
            ) -> Result<(), StoreError> {
                sqlx::query(INSERT)
                    .bind(Utc::now())
                    .bind(actor.id)
                    .bind(&actor.name)
                    .bind(&entry.action)
                    .bind(&entry.entity_type)
                    .bind(entry.entity_id)
                    .bind(&entry.field)
                    .bind(&entry.old_value)
                    .bind(&entry.new_value)
                    .bind(&entry.reason)
                    .bind(entry.campaign_id)
                    .bind(entry.unit_id)
                    .execute(self)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_audit_sink!(SqliteConnection);
impl_audit_sink!(PgConnection);

/// Writes several rows on one connection.
pub async fn record_all<C: AuditSink>(
    connection: &mut C,
    actor: &Actor,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    for entry in entries {
        connection.record(actor, entry).await?;
    }
    Ok(())
}

/// An audit row as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub campaign_id: Option<i64>,
    pub unit_id: Option<i64>,
}

/// Which audit rows to list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// Rows with an id below this one (paging backwards in time).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The newest rows first.
pub async fn list(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
    const SQL: &str = "SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, field, old_value, \
         new_value, reason, campaign_id, unit_id FROM audit_log \
         WHERE ($1 IS NULL OR entity_type = $1) AND ($2 IS NULL OR entity_id = $2) \
         AND ($3 IS NULL OR campaign_id = $3) AND ($4 IS NULL OR id < $4) \
         ORDER BY id DESC LIMIT $5";
    let limit = if filter.limit <= 0 {
        100
    } else {
        filter.limit.min(10_000)
    };
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, AuditRecord>(SQL)
        .bind(&filter.entity_type)
        .bind(filter.entity_id)
        .bind(filter.campaign_id)
        .bind(filter.before_id)
        .bind(limit)
        .fetch_all(pool)
        .await?),
    )
}

/// One page of the filtered log in ascending id order, after `after_id`: an export walks the
/// whole log page by page (keyset paging: each page is an index range scan, however deep),
/// holding one page at a time. `filter.before_id` still bounds it from above; `filter.limit`
/// is ignored for `limit` (at most 10,000).
pub async fn page_ascending(
    db: &Db,
    filter: &AuditFilter,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    const SQL: &str = "SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, field, old_value, \
         new_value, reason, campaign_id, unit_id FROM audit_log \
         WHERE ($1 IS NULL OR entity_type = $1) AND ($2 IS NULL OR entity_id = $2) \
         AND ($3 IS NULL OR campaign_id = $3) AND ($4 IS NULL OR id < $4) \
         AND ($5 IS NULL OR id > $5) \
         ORDER BY id ASC LIMIT $6";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, AuditRecord>(SQL)
        .bind(&filter.entity_type)
        .bind(filter.entity_id)
        .bind(filter.campaign_id)
        .bind(filter.before_id)
        .bind(after_id)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(pool)
        .await?),
    )
}
