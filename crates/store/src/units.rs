//! Organisational units, their hierarchy, validity periods and lineage (docs/method.md §6).

use chiso_domain::org::{OrgKind, search_form};
use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink, Changes, record_all};
use crate::db::Db;
use crate::error::StoreError;
use crate::setup::SetupRefusal;
use crate::{in_transaction, with_db_read};

/// A unit as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct OrgUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Decoded at the boundary: a row with a kind chiso does not know is a decoding error
    /// naming the column.
    #[sqlx(try_from = "String")]
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub region: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrgUnit {
    /// Whether the unit exists on `date` (it has not been merged away or closed).
    pub fn is_current_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|end| date <= end)
    }
}

/// The fields of a unit that a user sets.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitFields {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub region: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// A lineage edge: `predecessor` continues as `successor` from `effective_date`.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LineageEdge {
    pub id: i64,
    pub predecessor_id: i64,
    pub successor_id: i64,
    pub kind: String,
    pub effective_date: NaiveDate,
    pub weight: Option<f64>,
    pub note: Option<String>,
}

const COLUMNS: &str =
    "id, code, name, kind, parent_id, region, valid_from, valid_to, created_at, updated_at";

pub async fn get(db: &Db, id: i64) -> Result<OrgUnit, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM org_units WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, OrgUnit>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// Every unit, in code order: small enough (a province has tens to thousands) to build the tree
/// in one query instead of one per level.
pub async fn list(db: &Db) -> Result<Vec<OrgUnit>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM org_units ORDER BY kind, code, valid_from");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, OrgUnit>(&sql).fetch_all(pool).await?))
}

/// Units whose name contains the text, diacritics ignored.
pub async fn search(db: &Db, text: &str, limit: i64) -> Result<Vec<OrgUnit>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM org_units WHERE name_search LIKE $1 OR code = $2 ORDER BY code LIMIT $3"
    );
    let pattern = format!("%{}%", search_form(text).replace(['%', '_'], ""));
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, OrgUnit>(&sql)
        .bind(pattern)
        .bind(text.trim())
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// The unit with this code that is current on `date`.
pub async fn find_current_by_code(
    db: &Db,
    code: &str,
    date: NaiveDate,
) -> Result<Option<OrgUnit>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM org_units WHERE code = $1 AND valid_from <= $2 \
         AND (valid_to IS NULL OR valid_to >= $2) ORDER BY valid_from DESC LIMIT 1"
    );
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, OrgUnit>(&sql)
        .bind(code)
        .bind(date)
        .fetch_optional(pool)
        .await?))
}

/// Checks the parent's kind against the hierarchy (nation → province → department or commune).
async fn check_parent(db: &Db, fields: &UnitFields, own_id: Option<i64>) -> Result<(), StoreError> {
    let Some(parent_id) = fields.parent_id else {
        return Ok(());
    };
    if Some(parent_id) == own_id {
        return Err(SetupRefusal::OwnParent.into());
    }
    let parent = get(db, parent_id).await.map_err(|e| match e {
        StoreError::NotFound => SetupRefusal::ParentMissing { id: parent_id }.into(),
        other => other,
    })?;
    let parent_kind = parent.kind;
    if !fields.kind.allowed_parents().contains(&parent_kind) {
        return Err(SetupRefusal::ParentKind {
            kind: fields.kind,
            parent_kind,
            parent_name: parent.name,
        }
        .into());
    }
    Ok(())
}

fn check_fields(fields: &UnitFields) -> Result<(), SetupRefusal> {
    if fields.code.trim().is_empty() {
        return Err(SetupRefusal::UnitCodeEmpty);
    }
    if fields.name.trim().is_empty() {
        return Err(SetupRefusal::UnitNameEmpty);
    }
    if let (Some(from), Some(to)) = (fields.valid_from, fields.valid_to)
        && to < from
    {
        return Err(SetupRefusal::ValidityOrder);
    }
    Ok(())
}

const INSERT: &str = "INSERT INTO org_units (code, name, name_search, kind, parent_id, region, valid_from, valid_to, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id";

fn default_valid_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date")
}

/// Creates a unit and audits it.
pub async fn create(db: &Db, actor: &Actor, fields: &UnitFields) -> Result<i64, StoreError> {
    check_fields(fields)?;
    check_parent(db, fields, None).await?;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(INSERT)
            .bind(fields.code.trim())
            .bind(fields.name.trim())
            .bind(search_form(&fields.name))
            .bind(fields.kind.as_str())
            .bind(fields.parent_id)
            .bind(&fields.region)
            .bind(fields.valid_from.unwrap_or_else(default_valid_from))
            .bind(fields.valid_to)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let entry = AuditEntry::new("create", "org_unit", id)
            .change("unit", None, Some(format!("{} {}", fields.code.trim(), fields.name.trim())))
            .unit(Some(id));
        tx.record(actor, &entry).await?;
        Ok(id)
    })
}

/// Updates a unit, one audit row per changed field.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    fields: &UnitFields,
) -> Result<(), StoreError> {
    check_fields(fields)?;
    check_parent(db, fields, Some(id)).await?;
    let old = get(db, id).await?;
    let mut changes = Changes::new();
    changes
        .field(
            "code",
            &Some(old.code.clone()),
            &Some(fields.code.trim().to_string()),
        )
        .field(
            "name",
            &Some(old.name.clone()),
            &Some(fields.name.trim().to_string()),
        )
        .field(
            "kind",
            &Some(old.kind.as_str().to_string()),
            &Some(fields.kind.as_str().to_string()),
        )
        .field("parent_id", &old.parent_id, &fields.parent_id)
        .field("region", &old.region, &fields.region)
        .field(
            "valid_from",
            &Some(old.valid_from),
            &Some(fields.valid_from.unwrap_or(old.valid_from)),
        )
        .field("valid_to", &old.valid_to, &fields.valid_to);
    if changes.is_empty() {
        return Ok(());
    }
    let entries: Vec<AuditEntry> = changes
        .into_entries("update", "org_unit", id)
        .into_iter()
        .map(|e| e.unit(Some(id)))
        .collect();
    const SQL: &str = "UPDATE org_units SET code = $1, name = $2, name_search = $3, kind = $4, parent_id = $5, \
         region = $6, valid_from = $7, valid_to = $8, updated_at = $9 WHERE id = $10";
    in_transaction!(db, tx => {
        sqlx::query(SQL)
            .bind(fields.code.trim())
            .bind(fields.name.trim())
            .bind(search_form(&fields.name))
            .bind(fields.kind.as_str())
            .bind(fields.parent_id)
            .bind(&fields.region)
            .bind(fields.valid_from.unwrap_or(old.valid_from))
            .bind(fields.valid_to)
            .bind(Utc::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record_all(&mut *tx, actor, &entries).await?;
        Ok(())
    })
}

/// Merges units into a successor (a new unit, or one of them that continues under its code):
/// each predecessor ends the day before `effective`, and a lineage edge records the merger, so
/// the merged units keep their history (docs/method.md §6.2).
pub async fn merge(
    db: &Db,
    actor: &Actor,
    predecessor_ids: &[i64],
    successor: MergeTarget,
    effective: NaiveDate,
    note: Option<&str>,
) -> Result<i64, StoreError> {
    if predecessor_ids.is_empty() {
        return Err(SetupRefusal::NothingToMerge.into());
    }
    let mut predecessors = Vec::new();
    for &id in predecessor_ids {
        let unit = get(db, id).await?;
        if unit.valid_to.is_some_and(|end| end < effective) {
            return Err(SetupRefusal::AlreadyEnded {
                code: unit.code,
                name: unit.name,
            }
            .into());
        }
        predecessors.push(unit);
    }
    let end = effective
        .checked_sub_days(Days::new(1))
        .ok_or(SetupRefusal::MergeDate)?;
    if let MergeTarget::New(fields) = &successor {
        check_fields(fields)?;
        check_parent(db, fields, None).await?;
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let successor_id = match &successor {
            MergeTarget::New(fields) => {
                let id: i64 = sqlx::query_scalar(INSERT)
                    .bind(fields.code.trim())
                    .bind(fields.name.trim())
                    .bind(search_form(&fields.name))
                    .bind(fields.kind.as_str())
                    .bind(fields.parent_id)
                    .bind(&fields.region)
                    .bind(effective)
                    .bind(None::<NaiveDate>)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.record(actor, &AuditEntry::new("create", "org_unit", id)
                    .change("unit", None, Some(format!("{} {}", fields.code.trim(), fields.name.trim())))
                    .unit(Some(id))).await?;
                id
            }
            MergeTarget::Existing(id) => *id,
        };
        for unit in &predecessors {
            if unit.id != successor_id {
                sqlx::query("UPDATE org_units SET valid_to = $1, updated_at = $2 WHERE id = $3")
                    .bind(end)
                    .bind(now)
                    .bind(unit.id)
                    .execute(&mut *tx)
                    .await?;
                tx.record(actor, &AuditEntry::new("update", "org_unit", unit.id)
                    .change("valid_to", unit.valid_to.map(|d| d.to_string()), Some(end.to_string()))
                    .reason(Some("hợp nhất / merger"))
                    .unit(Some(unit.id))).await?;
            }
            sqlx::query("INSERT INTO unit_lineage (predecessor_id, successor_id, kind, effective_date, note, created_at) \
                 VALUES ($1, $2, 'merge', $3, $4, $5)")
                .bind(unit.id)
                .bind(successor_id)
                .bind(effective)
                .bind(note)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.record(actor, &AuditEntry::new("merge", "org_unit", successor_id)
                .change("predecessor", None, Some(format!("{} {}", unit.code, unit.name)))
                .reason(note)
                .unit(Some(successor_id))).await?;
        }
        Ok(successor_id)
    })
}

/// Where merged units continue.
#[derive(Clone, Debug)]
pub enum MergeTarget {
    New(UnitFields),
    Existing(i64),
}

/// All lineage edges.
pub async fn lineage(db: &Db) -> Result<Vec<LineageEdge>, StoreError> {
    const SQL: &str = "SELECT id, predecessor_id, successor_id, kind, effective_date, weight, note FROM unit_lineage ORDER BY id";
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, LineageEdge>(SQL).fetch_all(pool).await?))
}

/// One row of an import: a unit identified by code within its period.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedUnit {
    pub row: usize,
    pub fields: UnitFields,
    /// The parent's code, resolved during the import (it may be a unit of the same file).
    pub parent_code: Option<String>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports units in one transaction: a code that exists (current period) is updated, a new
/// code is created; parents are resolved by code, in the file or in the database. Nothing is
/// written when any row fails; the error names the row.
pub async fn import(
    db: &Db,
    actor: &Actor,
    rows: &[ImportedUnit],
) -> Result<ImportSummary, StoreError> {
    let existing = list(db).await?;
    let today = Utc::now().date_naive();
    let now = Utc::now();
    in_transaction!(db, tx => {
        let mut summary = ImportSummary::default();
        let mut ids: std::collections::HashMap<String, i64> = existing
            .iter()
            .filter(|u| u.is_current_on(today))
            .map(|u| (u.code.clone(), u.id))
            .collect();
        for row in rows {
            let mut fields = row.fields.clone();
            check_fields(&fields).map_err(|e| e.at_row(row.row))?;
            if let Some(parent_code) = &row.parent_code {
                let parent = ids.get(parent_code).copied().ok_or_else(|| {
                    SetupRefusal::ImportParent { code: parent_code.clone() }.at_row(row.row)
                })?;
                fields.parent_id = Some(parent);
            }
            match ids.get(&fields.code).copied() {
                Some(id) => {
                    let old = existing.iter().find(|u| u.id == id);
                    let mut changes = Changes::new();
                    if let Some(old) = old {
                        changes
                            .field("name", &Some(old.name.clone()), &Some(fields.name.clone()))
                            .field("kind", &Some(old.kind.as_str().to_string()), &Some(fields.kind.as_str().to_string()))
                            .field("region", &old.region, &fields.region)
                            .field("parent_id", &old.parent_id, &fields.parent_id);
                    }
                    if changes.is_empty() {
                        summary.unchanged += 1;
                        continue;
                    }
                    sqlx::query("UPDATE org_units SET name = $1, name_search = $2, kind = $3, region = $4, \
                         parent_id = $5, updated_at = $6 WHERE id = $7")
                        .bind(&fields.name)
                        .bind(search_form(&fields.name))
                        .bind(fields.kind.as_str())
                        .bind(&fields.region)
                        .bind(fields.parent_id)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let entries: Vec<AuditEntry> = changes.into_entries("import", "org_unit", id)
                        .into_iter().map(|e| e.unit(Some(id))).collect();
                    record_all(&mut *tx, actor, &entries).await?;
                    summary.updated += 1;
                }
                None => {
                    let id: i64 = sqlx::query_scalar(INSERT)
                        .bind(&fields.code)
                        .bind(&fields.name)
                        .bind(search_form(&fields.name))
                        .bind(fields.kind.as_str())
                        .bind(fields.parent_id)
                        .bind(&fields.region)
                        .bind(fields.valid_from.unwrap_or_else(default_valid_from))
                        .bind(fields.valid_to)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                    tx.record(actor, &AuditEntry::new("import", "org_unit", id)
                        .change("unit", None, Some(format!("{} {}", fields.code, fields.name)))
                        .unit(Some(id))).await?;
                    ids.insert(fields.code.clone(), id);
                    summary.created += 1;
                }
            }
        }
        Ok(summary)
    })
}

/// The ids of a unit and all its descendants (for role scopes).
pub fn descendants(units: &[OrgUnit], root: i64) -> Vec<i64> {
    let mut result = vec![root];
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for unit in units.iter().filter(|u| u.parent_id == Some(parent)) {
            if !result.contains(&unit.id) {
                result.push(unit.id);
                frontier.push(unit.id);
            }
        }
    }
    result
}
