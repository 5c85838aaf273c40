//! The province's targets for the national indices, and the agencies responsible for each
//! item of an index (docs/method.md §5.8). Every change writes its audit row in its own
//! transaction; audit values are read on the Vietnamese audit page, so the callers give the
//! words they are written with (the index's title from its structure, the target as typed).

use chiso_domain::org::OrgKind;
use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

/// A target as stored: the index, the year whose results it is checked against, the target
/// as the document writes it ("nhóm 10 tỉnh dẫn đầu", "≥ 90 %") and the document.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredTarget {
    pub id: i64,
    pub index_id: String,
    pub year: i64,
    pub target: String,
    pub document: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a target form gives.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetFields {
    pub index_id: String,
    pub year: i64,
    pub target: String,
    pub document: String,
}

const TARGET_COLUMNS: &str = "id, index_id, year, target, document, created_at, updated_at";

/// Every target, by index, then year, then the order they were set.
pub async fn targets(db: &Db) -> Result<Vec<StoredTarget>, StoreError> {
    let sql = format!("SELECT {TARGET_COLUMNS} FROM index_targets ORDER BY index_id, year, id");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, StoredTarget>(&sql).fetch_all(pool).await?))
}

pub async fn target(db: &Db, id: i64) -> Result<StoredTarget, StoreError> {
    let sql = format!("SELECT {TARGET_COLUMNS} FROM index_targets WHERE id = $1");
    with_db_read!(db, pool => sqlx::query_as::<_, StoredTarget>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?)
    .ok_or(StoreError::NotFound)
}

/// Adds a target; `label` is how the audit row names it.
pub async fn add_target(
    db: &Db,
    actor: &Actor,
    fields: &TargetFields,
    label: &str,
) -> Result<i64, StoreError> {
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO index_targets (index_id, year, target, document, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&fields.index_id)
        .bind(fields.year)
        .bind(&fields.target)
        .bind(&fields.document)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.record(actor, &AuditEntry::new("create", "index_target", id)
            .change("index_target", None, Some(label.to_string()))).await?;
        Ok(id)
    })
}

/// Changes a target; `old_label` and `label` are how the audit row names it before and after.
pub async fn update_target(
    db: &Db,
    actor: &Actor,
    id: i64,
    fields: &TargetFields,
    old_label: &str,
    label: &str,
) -> Result<(), StoreError> {
    let now = Utc::now();
    in_transaction!(db, tx => {
        let changed = sqlx::query(
            "UPDATE index_targets SET index_id = $1, year = $2, target = $3, document = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&fields.index_id)
        .bind(fields.year)
        .bind(&fields.target)
        .bind(&fields.document)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        if old_label != label {
            tx.record(actor, &AuditEntry::new("update", "index_target", id).change(
                "index_target",
                Some(old_label.to_string()),
                Some(label.to_string()),
            )).await?;
        }
        Ok(())
    })
}

/// Deletes a target; `label` is how the audit row names what was deleted.
pub async fn delete_target(db: &Db, actor: &Actor, id: i64, label: &str) -> Result<(), StoreError> {
    in_transaction!(db, tx => {
        let deleted = sqlx::query("DELETE FROM index_targets WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tx.record(actor, &AuditEntry::new("delete", "index_target", id)
            .change("index_target", Some(label.to_string()), None)).await?;
        Ok(())
    })
}

/// An agency responsible for an item of an index: a unit, or every current unit of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agency {
    Unit(i64),
    Kind(OrgKind),
}

impl Agency {
    /// A stable order: units by id, then kinds.
    fn key(&self) -> (u8, i64, &'static str) {
        match self {
            Agency::Unit(id) => (0, *id, ""),
            Agency::Kind(kind) => (1, 0, kind.as_str()),
        }
    }
}

fn sorted(mut agencies: Vec<Agency>) -> Vec<Agency> {
    agencies.sort_by_key(Agency::key);
    agencies.dedup();
    agencies
}

/// The agencies of one item of a structure.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemAgencies {
    pub structure_id: String,
    pub measure: String,
    pub agencies: Vec<Agency>,
}

#[derive(sqlx::FromRow)]
struct AgencyRow {
    structure_id: String,
    measure: String,
    unit_id: Option<i64>,
    unit_kind: Option<String>,
}

/// Every assignment of an index, per structure and item, agencies in a stable order.
pub async fn agencies_of_index(db: &Db, index_id: &str) -> Result<Vec<ItemAgencies>, StoreError> {
    const SQL: &str = "SELECT i.structure_id, i.measure, a.unit_id, a.unit_kind \
         FROM index_agency_items i JOIN index_agencies a ON a.item_id = i.id \
         WHERE i.index_id = $1 ORDER BY i.structure_id, i.measure, a.id";
    let rows = with_db_read!(db, pool => sqlx::query_as::<_, AgencyRow>(SQL)
        .bind(index_id)
        .fetch_all(pool)
        .await?);
    let mut out: Vec<ItemAgencies> = Vec::new();
    for row in rows {
        let agency = match (row.unit_id, row.unit_kind.as_deref()) {
            (Some(id), _) => Agency::Unit(id),
            (None, Some(kind)) => {
                Agency::Kind(OrgKind::parse(kind).ok_or_else(|| StoreError::Corrupt {
                    what: "index_agencies.unit_kind",
                    detail: kind.to_string(),
                })?)
            }
            (None, None) => continue,
        };
        match out
            .last_mut()
            .filter(|i| i.structure_id == row.structure_id && i.measure == row.measure)
        {
            Some(item) => item.agencies.push(agency),
            None => out.push(ItemAgencies {
                structure_id: row.structure_id,
                measure: row.measure,
                agencies: vec![agency],
            }),
        }
    }
    for item in &mut out {
        item.agencies = sorted(std::mem::take(&mut item.agencies));
    }
    Ok(out)
}

/// The item whose agencies change, and how the audit row names them.
#[derive(Clone, Debug)]
pub struct AgencyChange<'a> {
    pub index_id: &'a str,
    pub structure_id: &'a str,
    pub measure: &'a str,
    pub agencies: &'a [Agency],
    /// The item's label and the agencies before and after, as the audit row writes them
    /// (none: no agency).
    pub old_label: Option<String>,
    pub new_label: Option<String>,
}

/// Sets the agencies of one item (replacing those it had), with one audit row when they
/// changed. Returns whether they changed.
pub async fn set_agencies(
    db: &Db,
    actor: &Actor,
    change: &AgencyChange<'_>,
) -> Result<bool, StoreError> {
    in_transaction!(db, tx => {
        let item_id: i64 = sqlx::query_scalar(
            "INSERT INTO index_agency_items (index_id, structure_id, measure) VALUES ($1, $2, $3) \
             ON CONFLICT (structure_id, measure) DO UPDATE SET index_id = excluded.index_id \
             RETURNING id",
        )
        .bind(change.index_id)
        .bind(change.structure_id)
        .bind(change.measure)
        .fetch_one(&mut *tx)
        .await?;
        let before: Vec<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT unit_id, unit_kind FROM index_agencies WHERE item_id = $1",
        )
        .bind(item_id)
        .fetch_all(&mut *tx)
        .await?;
        let before: Vec<Agency> = before
            .into_iter()
            .filter_map(|(unit, kind)| match (unit, kind) {
                (Some(id), _) => Some(Agency::Unit(id)),
                (None, Some(kind)) => OrgKind::parse(&kind).map(Agency::Kind),
                (None, None) => None,
            })
            .collect();
        let before = sorted(before);
        let after = sorted(change.agencies.to_vec());
        if before == after {
            return Ok(false);
        }
        sqlx::query("DELETE FROM index_agencies WHERE item_id = $1")
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        for agency in &after {
            let (unit, kind) = match agency {
                Agency::Unit(id) => (Some(*id), None),
                Agency::Kind(kind) => (None, Some(kind.as_str())),
            };
            sqlx::query("INSERT INTO index_agencies (item_id, unit_id, unit_kind) VALUES ($1, $2, $3)")
                .bind(item_id)
                .bind(unit)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
        }
        tx.record(actor, &AuditEntry::new("update", "index_agency", item_id).change(
            "agencies",
            change.old_label.clone(),
            change.new_label.clone(),
        )).await?;
        Ok(true)
    })
}
