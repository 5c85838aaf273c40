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

    /// Writes several rows in one statement (none when `entries` is empty).
    fn record_many(
        &mut self,
        actor: &Actor,
        entries: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The multi-row insert of `rows` audit rows.
fn insert_many(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let at = i * 12;
            let holes: Vec<String> = (1..=12).map(|k| format!("${}", at + k)).collect();
            format!("({})", holes.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, entity_type, entity_id, field, \
         old_value, new_value, reason, campaign_id, unit_id) VALUES {}",
        values.join(", ")
    )
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

            async fn record_many(
                &mut self,
                actor: &Actor,
                entries: &[AuditEntry],
            ) -> Result<(), StoreError> {
                if entries.is_empty() {
                    return Ok(());
                }
                let sql = insert_many(entries.len());
                let now = Utc::now();
                let mut query = sqlx::query(&sql);
                for entry in entries {
                    query = query
                        .bind(now)
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
                        .bind(entry.unit_id);
                }
                query.execute(self).await?;
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

/// An audit row as stored, with the names it refers to (the actor's full name, the unit, the
/// campaign, the criterion's code) for a log a person can read.
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
    pub actor_full_name: Option<String>,
    /// The unit the row concerns (its own unit, or the unit itself for a unit's row).
    pub unit_name: Option<String>,
    pub campaign_title: Option<String>,
    /// The criterion's code, for rows about a criterion.
    pub node_code: Option<String>,
    /// The name of what the row is about, when it has one of its own (a person, a survey
    /// wave, a framework, a campaign).
    pub entity_title: Option<String>,
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

/// The audit log page's filters beyond [`AuditFilter`]: who, which unit, which kind of
/// change, and a time range.
#[derive(Clone, Debug, Default)]
pub struct AuditSearch {
    pub filter: AuditFilter,
    pub actor_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub action: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.entity_type, a.entity_id, \
     a.field, a.old_value, a.new_value, a.reason, a.campaign_id, a.unit_id, \
     us.full_name AS actor_full_name, ou.name AS unit_name, c.title AS campaign_title, \
     fn.code AS node_code, \
     COALESCE(tu.full_name, w.title, f.title, \
         CASE WHEN a.entity_type = 'campaign' THEN c.title END) AS entity_title \
     FROM audit_log a \
     LEFT JOIN users us ON us.id = a.actor_id \
     LEFT JOIN org_units ou ON ou.id = COALESCE(a.unit_id, \
         CASE WHEN a.entity_type = 'org_unit' THEN a.entity_id END) \
     LEFT JOIN campaigns c ON c.id = COALESCE(a.campaign_id, \
         CASE WHEN a.entity_type = 'campaign' THEN a.entity_id END) \
     LEFT JOIN users tu ON tu.id = a.entity_id AND a.entity_type = 'user' \
     LEFT JOIN waves w ON w.id = a.entity_id AND a.entity_type = 'wave' \
     LEFT JOIN frameworks f ON f.id = a.entity_id AND a.entity_type = 'framework' \
     LEFT JOIN framework_nodes fn ON fn.id = a.entity_id \
         AND a.entity_type IN ('leaf', 'framework_node') \
     WHERE ($1 IS NULL OR a.entity_type = $1) AND ($2 IS NULL OR a.entity_id = $2) \
     AND ($3 IS NULL OR a.campaign_id = $3) AND ($4 IS NULL OR a.id < $4) \
     AND ($5 IS NULL OR a.id > $5) AND ($6 IS NULL OR a.actor_id = $6) \
     AND ($7 IS NULL OR a.unit_id = $7 OR (a.entity_type = 'org_unit' AND a.entity_id = $7)) \
     AND ($8 IS NULL OR a.action = $8) AND ($9 IS NULL OR a.at >= $9) \
     AND ($10 IS NULL OR a.at < $10) ";

async fn select(
    db: &Db,
    search: &AuditSearch,
    after_id: Option<i64>,
    ascending: bool,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let order = if ascending {
        "ORDER BY a.id ASC LIMIT $11"
    } else {
        "ORDER BY a.id DESC LIMIT $11"
    };
    let sql = format!("{SELECT}{order}");
    let filter = &search.filter;
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, AuditRecord>(&sql)
        .bind(&filter.entity_type)
        .bind(filter.entity_id)
        .bind(filter.campaign_id)
        .bind(filter.before_id)
        .bind(after_id)
        .bind(search.actor_id)
        .bind(search.unit_id)
        .bind(&search.action)
        .bind(search.from)
        .bind(search.until)
        .bind(limit)
        .fetch_all(pool)
        .await?),
    )
}

/// The newest rows first.
pub async fn list(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
    search(
        db,
        &AuditSearch {
            filter: filter.clone(),
            ..AuditSearch::default()
        },
    )
    .await
}

/// The newest rows first, with every filter of the audit log page.
pub async fn search(db: &Db, search: &AuditSearch) -> Result<Vec<AuditRecord>, StoreError> {
    let limit = if search.filter.limit <= 0 {
        100
    } else {
        search.filter.limit.min(10_000)
    };
    select(db, search, None, false, limit).await
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
    let search = AuditSearch {
        filter: filter.clone(),
        ..AuditSearch::default()
    };
    search_ascending(db, &search, after_id, limit).await
}

/// [`page_ascending`] with every filter of the audit log page.
pub async fn search_ascending(
    db: &Db,
    search: &AuditSearch,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    select(db, search, after_id, true, limit.clamp(1, 10_000)).await
}
