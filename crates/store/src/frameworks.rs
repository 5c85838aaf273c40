//! Frameworks and their versions. Nodes are shared rows: a unit's scores refer to node ids and
//! never copy the tree, so correcting a framework before its campaign opens reaches every unit
//! (engineering guide §7). A framework is frozen once a campaign that uses it opens.

use std::collections::HashMap;

use chiso_domain::{Framework, FrameworkMeta, Method, NodeSpec, Points, Rule, UnitKind};
use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink, Changes, record_all};
use crate::db::Db;
use crate::error::StoreError;
use crate::setup::SetupRefusal;
use crate::{in_transaction, with_db_read};

/// A framework version as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct FrameworkRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    pub title_en: Option<String>,
    pub year: Option<i64>,
    pub methodology: Option<String>,
    pub unit_kind: String,
    pub sample: bool,
    pub previous_id: Option<i64>,
    pub frozen: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct NodeRow {
    pub id: i64,
    pub framework_id: i64,
    pub code: String,
    pub position: i64,
    pub title: String,
    pub title_en: Option<String>,
    pub max_points: Option<i64>,
    pub method: Option<String>,
    pub guidance: Option<String>,
    pub evidence_required: bool,
    pub rule: Option<String>,
    pub continues: String,
    pub impact: bool,
}

/// A stored framework: its row, the checked tree, and the id of every node by code.
#[derive(Clone, Debug)]
pub struct StoredFramework {
    pub row: FrameworkRow,
    pub framework: Framework,
    pub node_ids: HashMap<String, i64>,
}

const COLUMNS: &str = "id, code, version, title, title_en, year, methodology, unit_kind, sample, previous_id, frozen, created_at, updated_at";
const NODE_COLUMNS: &str = "id, framework_id, code, position, title, title_en, max_points, method, guidance, evidence_required, rule, continues, impact";

pub async fn list(db: &Db) -> Result<Vec<FrameworkRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM frameworks ORDER BY code, version DESC");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, FrameworkRow>(&sql).fetch_all(pool).await?))
}

pub async fn get_row(db: &Db, id: i64) -> Result<FrameworkRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM frameworks WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, FrameworkRow>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// Loads a framework and rebuilds its tree.
pub async fn load(db: &Db, id: i64) -> Result<StoredFramework, StoreError> {
    let row = get_row(db, id).await?;
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM framework_nodes WHERE framework_id = $1 ORDER BY position"
    );
    let nodes = with_db_read!(db, pool => sqlx::query_as::<_, NodeRow>(&sql).bind(id).fetch_all(pool).await?);
    let node_ids = nodes.iter().map(|n| (n.code.clone(), n.id)).collect();
    let specs = nodes
        .into_iter()
        .map(|n| -> Result<NodeSpec, StoreError> {
            Ok(NodeSpec {
                row: n.position as usize,
                code: n.code,
                title: n.title,
                title_en: n.title_en,
                max_points: n.max_points.map(Points::from_ten_thousandths),
                method: n.method.as_deref().and_then(Method::parse),
                guidance: n.guidance,
                evidence_required: n.evidence_required,
                rule: n
                    .rule
                    .as_deref()
                    .map(serde_json::from_str::<Rule>)
                    .transpose()
                    .map_err(|e| SetupRefusal::StoredFramework {
                        id: row.id,
                        detail: format!("stored rule: {e}"),
                    })?,
                continues: serde_json::from_str(&n.continues).unwrap_or_default(),
                impact: n.impact,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let framework =
        Framework::build(meta_of(&row), specs).map_err(|errors| SetupRefusal::StoredFramework {
            id: row.id,
            detail: errors[0].to_string(),
        })?;
    Ok(StoredFramework {
        row,
        framework,
        node_ids,
    })
}

fn meta_of(row: &FrameworkRow) -> FrameworkMeta {
    FrameworkMeta {
        id: row.code.clone(),
        title: row.title.clone(),
        title_en: row.title_en.clone(),
        year: row.year.map(|y| y as i32),
        methodology: row.methodology.clone(),
        unit_kind: UnitKind::parse(&row.unit_kind).unwrap_or_default(),
        sample: row.sample,
        previous: None,
    }
}

const INSERT_NODE: &str = "INSERT INTO framework_nodes (framework_id, code, position, title, title_en, max_points, \
     method, guidance, evidence_required, rule, continues, impact) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

fn rule_json(rule: &Option<Rule>) -> Option<String> {
    rule.as_ref()
        .map(|r| serde_json::to_string(r).expect("rules serialise"))
}

fn continues_json(continues: &[String]) -> String {
    serde_json::to_string(continues).expect("codes serialise")
}

/// Stores a framework as the next version of its code (`meta.id`), with lineage to
/// `previous_id` when given. Returns the new id.
pub async fn insert(
    db: &Db,
    actor: &Actor,
    framework: &Framework,
    previous_id: Option<i64>,
) -> Result<i64, StoreError> {
    let meta = &framework.meta;
    if meta.id.trim().is_empty() {
        return Err(SetupRefusal::FrameworkCodeEmpty.into());
    }
    let specs = framework.to_source_specs();
    let now = Utc::now();
    in_transaction!(db, tx => {
        let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM frameworks WHERE code = $1")
            .bind(&meta.id)
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO frameworks (code, version, title, title_en, year, methodology, unit_kind, sample, previous_id, \
             frozen, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE, $10, $10) RETURNING id",
        )
        .bind(&meta.id)
        .bind(version)
        .bind(&meta.title)
        .bind(&meta.title_en)
        .bind(meta.year.map(i64::from))
        .bind(&meta.methodology)
        .bind(meta.unit_kind.as_str())
        .bind(meta.sample)
        .bind(previous_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (position, spec) in specs.iter().enumerate() {
            sqlx::query(INSERT_NODE)
                .bind(id)
                .bind(&spec.code)
                .bind(position as i64 + 1)
                .bind(&spec.title)
                .bind(&spec.title_en)
                .bind(spec.max_points.map(Points::ten_thousandths))
                .bind(spec.method.map(Method::as_str))
                .bind(&spec.guidance)
                .bind(spec.evidence_required)
                .bind(rule_json(&spec.rule))
                .bind(continues_json(&spec.continues))
                .bind(spec.impact)
                .execute(&mut *tx)
                .await?;
        }
        tx.record(actor, &AuditEntry::new("create", "framework", id).change(
            "framework",
            None,
            Some(format!("{} v{version}: {} ({} nodes, {} points)", meta.id, meta.title, specs.len(), framework.max_points())),
        )).await?;
        Ok(id)
    })
}

/// A new version made from a stored one: the same tree, each node continuing its own code, not
/// frozen, ready to edit or replace by import.
pub async fn new_version(
    db: &Db,
    actor: &Actor,
    from_id: i64,
    year: Option<i32>,
) -> Result<i64, StoreError> {
    let stored = load(db, from_id).await?;
    let mut meta = stored.framework.meta.clone();
    meta.year = year.or(meta.year);
    let specs: Vec<NodeSpec> = stored
        .framework
        .to_source_specs()
        .into_iter()
        .map(|mut spec| {
            spec.continues = vec![spec.code.clone()];
            spec
        })
        .collect();
    let framework =
        Framework::build(meta, specs).map_err(|errors| SetupRefusal::StoredFramework {
            id: from_id,
            detail: errors[0].to_string(),
        })?;
    insert(db, actor, &framework, Some(from_id)).await
}

/// Replaces the tree of a framework that is not frozen with a corrected one: nodes keep their
/// ids by code (so entries that refer to them stay attached), changed fields are audited,
/// new codes are added and codes no longer present are removed.
pub async fn replace_tree(
    db: &Db,
    actor: &Actor,
    id: i64,
    corrected: &Framework,
) -> Result<(), StoreError> {
    let stored = load(db, id).await?;
    if stored.row.frozen {
        return Err(SetupRefusal::FrameworkFrozen.into());
    }
    let old_specs: HashMap<String, NodeSpec> = stored
        .framework
        .to_source_specs()
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let new_specs = corrected.to_source_specs();
    let now = Utc::now();
    in_transaction!(db, tx => {
        for (position, spec) in new_specs.iter().enumerate() {
            match (old_specs.get(&spec.code), stored.node_ids.get(&spec.code)) {
                (Some(old), Some(&node_id)) => {
                    let mut changes = Changes::new();
                    changes
                        .field("title", &Some(old.title.clone()), &Some(spec.title.clone()))
                        .field("title_en", &old.title_en, &spec.title_en)
                        .field("max_points", &old.max_points, &spec.max_points)
                        .field("method", &old.method, &spec.method)
                        .field("guidance", &old.guidance, &spec.guidance)
                        .field("evidence_required", &Some(old.evidence_required), &Some(spec.evidence_required))
                        .field("rule", &rule_json(&old.rule), &rule_json(&spec.rule))
                        .field("continues", &Some(continues_json(&old.continues)), &Some(continues_json(&spec.continues)))
                        .field("impact", &Some(old.impact), &Some(spec.impact));
                    sqlx::query("UPDATE framework_nodes SET position = $1, title = $2, title_en = $3, max_points = $4, \
                         method = $5, guidance = $6, evidence_required = $7, rule = $8, continues = $9, impact = $10 WHERE id = $11")
                        .bind(position as i64 + 1)
                        .bind(&spec.title)
                        .bind(&spec.title_en)
                        .bind(spec.max_points.map(Points::ten_thousandths))
                        .bind(spec.method.map(Method::as_str))
                        .bind(&spec.guidance)
                        .bind(spec.evidence_required)
                        .bind(rule_json(&spec.rule))
                        .bind(continues_json(&spec.continues))
                        .bind(spec.impact)
                        .bind(node_id)
                        .execute(&mut *tx)
                        .await?;
                    let entries: Vec<AuditEntry> = changes
                        .into_entries("update", "framework_node", node_id)
                        .into_iter()
                        .map(|mut e| {
                            e.field = e.field.map(|f| format!("{} {f}", spec.code));
                            e
                        })
                        .collect();
                    record_all(&mut *tx, actor, &entries).await?;
                }
                _ => {
                    sqlx::query(INSERT_NODE)
                        .bind(id)
                        .bind(&spec.code)
                        .bind(position as i64 + 1)
                        .bind(&spec.title)
                        .bind(&spec.title_en)
                        .bind(spec.max_points.map(Points::ten_thousandths))
                        .bind(spec.method.map(Method::as_str))
                        .bind(&spec.guidance)
                        .bind(spec.evidence_required)
                        .bind(rule_json(&spec.rule))
                        .bind(continues_json(&spec.continues))
                        .bind(spec.impact)
                        .execute(&mut *tx)
                        .await?;
                    tx.record(actor, &AuditEntry::new("create", "framework_node", id)
                        .change(&spec.code, None, Some(format!("{} ({})", spec.title, spec.max_points.map(|p| p.to_string()).unwrap_or_default())))).await?;
                }
            }
        }
        for (code, old) in &old_specs {
            if !new_specs.iter().any(|s| &s.code == code) {
                sqlx::query("DELETE FROM framework_nodes WHERE framework_id = $1 AND code = $2")
                    .bind(id)
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
                tx.record(actor, &AuditEntry::new("delete", "framework_node", id)
                    .change(code, Some(old.title.clone()), None)).await?;
            }
        }
        sqlx::query("UPDATE frameworks SET title = $1, year = $2, methodology = $3, updated_at = $4 WHERE id = $5")
            .bind(&corrected.meta.title)
            .bind(corrected.meta.year.map(i64::from))
            .bind(&corrected.meta.methodology)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    })
}
