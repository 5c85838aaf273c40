use super::*;
use sqlx::Row;

use crate::evidence::LinkedFile;

/// What a request on a sheet reads before it decides, in one statement: the sheet, its
/// campaign, the unit's code and name, the unit's extensions, and the unit-scoped roles the
/// user holds on the sheet's unit or on a unit above it (docs/method.md: a unit's people
/// assess it; roles granted on a unit reach the units below it).
#[derive(Clone, Debug)]
pub struct SheetHead {
    pub sheet: SheetRow,
    pub campaign: CampaignRow,
    pub unit_code: String,
    pub unit_name: String,
    /// The last day of the unit's extension for the self-assessment, if it has one.
    pub self_extension: Option<NaiveDate>,
    /// The last day of the unit's extension for the explanation, if it has one.
    pub explanation_extension: Option<NaiveDate>,
    /// The user's unit-scoped roles on the sheet's unit, the leader's first.
    pub unit_roles: Vec<Role>,
}

/// The rows of one sheet a page or a redrawn leaf is drawn from, in one statement: every leaf
/// row of the sheet (all stages) and every evidence link of the unit's sheets (this sheet's
/// files, and the files the unit may link again).
#[derive(Clone, Debug, Default)]
pub struct SheetContents {
    pub rows: Vec<LeafScore>,
    /// Links of every sheet of the unit, this one's among them.
    pub unit_links: Vec<LinkedFile>,
}

impl SheetContents {
    /// The files linked to this sheet, by leaf, stage and link.
    pub fn sheet_files(&self, sheet_id: i64) -> Vec<LinkedFile> {
        let mut files: Vec<LinkedFile> = self
            .unit_links
            .iter()
            .filter(|l| l.sheet_id == sheet_id)
            .cloned()
            .collect();
        files.sort_by_key(|l| (l.node_id, l.stage, l.link_id));
        files
    }

    /// Evidence counts by (node, stage) of this sheet, as the rules count them.
    pub fn evidence_counts(&self, sheet_id: i64) -> Vec<EvidenceCount> {
        let mut counts: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        for link in self.unit_links.iter().filter(|l| l.sheet_id == sheet_id) {
            *counts.entry((link.node_id, link.stage)).or_default() += 1;
        }
        counts.into_iter().map(|((n, s), c)| (n, s, c)).collect()
    }

    /// The files linked to any sheet of the unit, each once, most recently linked first, named
    /// as the unit last named them: the files the unit may link again
    /// ([`crate::sheet_queries::unit_files`] reads the same from the database).
    pub fn unit_files(&self) -> Vec<crate::sheet_queries::UnitFile> {
        let mut by_file: BTreeMap<i64, &LinkedFile> = BTreeMap::new();
        let mut last: HashMap<i64, DateTime<Utc>> = HashMap::new();
        for link in &self.unit_links {
            let latest = by_file.entry(link.file_id).or_insert(link);
            if (link.linked_at, link.link_id) > (latest.linked_at, latest.link_id) {
                *latest = link;
            }
            let at = last.entry(link.file_id).or_insert(link.linked_at);
            *at = (*at).max(link.linked_at);
        }
        let mut files: Vec<crate::sheet_queries::UnitFile> = by_file
            .into_values()
            .map(|link| crate::sheet_queries::UnitFile {
                file_id: link.file_id,
                file_name: link.file_name.clone(),
                size: link.size,
                content_type: link.content_type.clone(),
                last_linked_at: last[&link.file_id],
            })
            .collect();
        files.sort_by(|a, b| {
            b.last_linked_at
                .cmp(&a.last_linked_at)
                .then(b.file_id.cmp(&a.file_id))
        });
        files
    }

    /// Puts a saved row in place of the one it replaced (or adds it).
    pub fn put(&mut self, saved: LeafScore) {
        match self
            .rows
            .iter_mut()
            .find(|r| r.node_id == saved.node_id && r.stage == saved.stage)
        {
            Some(row) => *row = saved,
            None => self.rows.push(saved),
        }
    }
}

fn prefixed(columns: &str, table: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{table}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a sheet's [`SheetHead`] for a user; `None` when there is no such sheet.
pub async fn sheet_head(
    db: &Db,
    sheet_id: i64,
    user_id: Option<i64>,
) -> Result<Option<SheetHead>, StoreError> {
    let sql = format!(
        "WITH RECURSIVE up (id, parent_id, depth) AS ( \
           SELECT u.id, u.parent_id, 0 FROM org_units u JOIN sheets s0 ON s0.unit_id = u.id WHERE s0.id = $1 \
           UNION ALL \
           SELECT p.id, p.parent_id, up.depth + 1 FROM org_units p JOIN up ON p.id = up.parent_id WHERE up.depth < 16) \
         SELECT {sheet}, c.year AS c_year, c.title AS c_title, c.state AS c_state, \
           c.appraisal_rounds AS c_appraisal_rounds, c.self_assessment_deadline AS c_self_assessment_deadline, \
           c.explanation_deadline AS c_explanation_deadline, c.bands AS c_bands, c.created_at AS c_created_at, \
           c.updated_at AS c_updated_at, u.code AS unit_code, u.name AS unit_name, \
           (SELECT e.valid_until FROM extensions e WHERE e.campaign_id = s.campaign_id AND e.unit_id = s.unit_id \
            AND e.stage = $3) AS self_extension, \
           (SELECT e.valid_until FROM extensions e WHERE e.campaign_id = s.campaign_id AND e.unit_id = s.unit_id \
            AND e.stage = $4) AS explanation_extension, \
           (SELECT COUNT(*) FROM role_assignments r WHERE r.user_id = $2 AND r.role = $5 \
            AND r.unit_id IN (SELECT id FROM up)) AS leader, \
           (SELECT COUNT(*) FROM role_assignments r WHERE r.user_id = $2 AND r.role = $6 \
            AND r.unit_id IN (SELECT id FROM up)) AS editor \
         FROM sheets s JOIN campaigns c ON c.id = s.campaign_id JOIN org_units u ON u.id = s.unit_id \
         WHERE s.id = $1",
        sheet = prefixed(SHEET_COLUMNS, "s"),
    );
    macro_rules! decode {
        ($row:expr) => {{
            let row = $row;
            let sheet = SheetRow::from_row(&row)?;
            let campaign = CampaignRow {
                id: sheet.campaign_id,
                year: row.try_get("c_year")?,
                title: row.try_get("c_title")?,
                state: {
                    let text: String = row.try_get("c_state")?;
                    CampaignState::try_from(text).map_err(|e| StoreError::Corrupt {
                        what: "campaign state",
                        detail: format!("sheet {}: {e}", sheet.id),
                    })?
                },
                appraisal_rounds: row.try_get("c_appraisal_rounds")?,
                self_assessment_deadline: row.try_get("c_self_assessment_deadline")?,
                explanation_deadline: row.try_get("c_explanation_deadline")?,
                bands: row.try_get("c_bands")?,
                created_at: row.try_get("c_created_at")?,
                updated_at: row.try_get("c_updated_at")?,
            };
            let leader: i64 = row.try_get("leader")?;
            let editor: i64 = row.try_get("editor")?;
            let mut unit_roles = Vec::new();
            if leader > 0 {
                unit_roles.push(Role::UnitLeader);
            }
            if editor > 0 {
                unit_roles.push(Role::UnitEditor);
            }
            SheetHead {
                sheet,
                campaign,
                unit_code: row.try_get("unit_code")?,
                unit_name: row.try_get("unit_name")?,
                self_extension: row.try_get("self_extension")?,
                explanation_extension: row.try_get("explanation_extension")?,
                unit_roles,
            }
        }};
    }
    use sqlx::FromRow;
    Ok(with_db_read!(db, pool => {
        let row = sqlx::query(&sql)
            .bind(sheet_id)
            .bind(user_id.unwrap_or(-1))
            .bind(Stage::SelfAssessment.as_str())
            .bind(Stage::Explanation.as_str())
            .bind(Role::UnitLeader.as_str())
            .bind(Role::UnitEditor.as_str())
            .fetch_optional(pool)
            .await?;
        match row {
            Some(row) => Some(decode!(row)),
            None => None,
        }
    }))
}

/// One row of [`sheet_contents`]: a leaf row or an evidence link, padded to one shape.
#[derive(sqlx::FromRow)]
struct ContentRow {
    kind: String,
    id: i64,
    sheet_id: i64,
    node_id: i64,
    stage: i64,
    points: Option<i64>,
    input: Option<String>,
    explanation: Option<String>,
    comment: Option<String>,
    explanation_requested: Option<bool>,
    answer: Option<String>,
    updated_by: Option<i64>,
    by_name: String,
    at: DateTime<Utc>,
    version: Option<i64>,
    file_id: Option<i64>,
    file_name: Option<String>,
    sha256: Option<String>,
    size: Option<i64>,
    content_type: Option<String>,
}

/// Reads a sheet's [`SheetContents`] in one statement.
pub async fn sheet_contents(db: &Db, sheet_id: i64) -> Result<SheetContents, StoreError> {
    const SQL: &str = "SELECT 'leaf' AS kind, l.id, l.sheet_id, l.node_id, l.stage, l.points, l.input, \
           l.explanation, l.comment, l.explanation_requested, l.answer, l.updated_by, \
           l.updated_by_name AS by_name, l.updated_at AS at, l.version, \
           NULL AS file_id, NULL AS file_name, NULL AS sha256, NULL AS size, NULL AS content_type \
         FROM leaf_scores l WHERE l.sheet_id = $1 \
         UNION ALL \
         SELECT 'link', k.id, k.sheet_id, k.node_id, k.stage, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
           k.linked_by_name, k.linked_at, NULL, f.id, k.file_name, f.sha256, f.size, f.content_type \
         FROM evidence_links k JOIN evidence_files f ON f.id = k.file_id \
         JOIN sheets s ON s.id = k.sheet_id \
         WHERE s.unit_id = (SELECT unit_id FROM sheets WHERE id = $1)";
    let rows = with_db_read!(db, pool => sqlx::query_as::<_, ContentRow>(SQL)
        .bind(sheet_id)
        .fetch_all(pool)
        .await?);
    let mut contents = SheetContents::default();
    for row in rows {
        if row.kind == "leaf" {
            contents.rows.push(LeafScore {
                id: row.id,
                sheet_id: row.sheet_id,
                node_id: row.node_id,
                stage: row.stage,
                points: row.points,
                input: row.input,
                explanation: row.explanation,
                comment: row.comment,
                explanation_requested: row.explanation_requested.unwrap_or(false),
                answer: row.answer,
                updated_by: row.updated_by,
                updated_by_name: row.by_name,
                updated_at: row.at,
                version: row.version.unwrap_or_default(),
            });
        } else {
            contents.unit_links.push(LinkedFile {
                link_id: row.id,
                sheet_id: row.sheet_id,
                node_id: row.node_id,
                stage: row.stage,
                file_id: row.file_id.unwrap_or_default(),
                file_name: row.file_name.unwrap_or_default(),
                linked_by_name: row.by_name,
                linked_at: row.at,
                sha256: row.sha256.unwrap_or_default(),
                size: row.size.unwrap_or_default(),
                content_type: row.content_type.unwrap_or_default(),
            });
        }
    }
    contents.rows.sort_by_key(|r| (r.node_id, r.stage));
    Ok(contents)
}

/// The self-assessment of one leaf, decided by the caller with the rules and the sheet as it
/// read them ([`sheet_head`], [`sheet_contents`]): what to write and the summary it leads to.
pub struct SelfWrite<'a> {
    pub scope: &'a SheetScope,
    pub node_id: i64,
    /// The leaf's row as read (its version is the one the editor started from).
    pub old: Option<&'a LeafScore>,
    /// Ten-thousandths.
    pub points: Option<i64>,
    pub input: Option<String>,
    pub explanation: Option<String>,
    /// The sheet's progress figures with this change.
    pub summary: SheetSummary,
    pub audit: Vec<AuditEntry>,
}

/// What [`write_self_assessment`] did.
#[derive(Debug)]
pub enum SelfWritten {
    /// Saved: the new row and the sheet's figures written with it; the sheet's version moved
    /// by one.
    Saved(Box<LeafScore>, SheetSummary),
    /// The sheet changed since it was read (another leaf saved, evidence linked, a state
    /// change): nothing was written; read it again and decide again.
    SheetMoved,
}

/// Writes one self-assessed leaf in one transaction of three statements besides BEGIN and
/// COMMIT: the sheet's figures on condition that the sheet is still the draft at the
/// version read (which also takes the sheet's row lock on PostgreSQL, so writes to one sheet
/// are applied one after the other), the leaf on condition that it is still at the version
/// the editor started from (else [`StoreError::Meanwhile`] naming who saved it), and the audit
/// rows.
pub async fn write_self_assessment(
    db: &Db,
    actor: &Actor,
    write: &SelfWrite<'_>,
) -> Result<SelfWritten, StoreError> {
    let scope = write.scope;
    let sheet_id = scope.sheet.id;
    let code = scope
        .leaf(write.node_id)
        .map(|leaf| scope.code(leaf).to_string())?;
    let summary = write.summary;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let moved = sqlx::query(
            "UPDATE sheets SET version = version + 1, updated_at = $1, leaves_total = $2, leaves_filled = $3, \
             missing_evidence = $4, unexplained = $5, self_total = $6, appraised_total = $7, round_leaves = $8, \
             round_reviewed = $9, flagged = $10, answered = $11 WHERE id = $12 AND status = $13 AND version = $14",
        )
        .bind(now)
        .bind(i64::from(summary.leaves_total))
        .bind(i64::from(summary.leaves_filled))
        .bind(i64::from(summary.missing_evidence))
        .bind(i64::from(summary.unexplained))
        .bind(summary.self_total.ten_thousandths())
        .bind(summary.appraised_total.ten_thousandths())
        .bind(i64::from(summary.round_leaves))
        .bind(i64::from(summary.round_reviewed))
        .bind(i64::from(summary.flagged))
        .bind(i64::from(summary.answered))
        .bind(sheet_id)
        .bind(SheetStatus::Draft.as_str())
        .bind(scope.sheet.version)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(SelfWritten::SheetMoved);
        }
        let saved = match write.old {
            None => sqlx::query_as::<_, LeafScore>(&format!(
                "INSERT INTO leaf_scores (sheet_id, node_id, stage, points, input, explanation, explanation_requested, \
                 updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, 0, $3, $4, $5, FALSE, $6, $7, $8, 1) \
                 ON CONFLICT (sheet_id, node_id, stage) DO NOTHING RETURNING {LEAF_COLUMNS}"))
                .bind(sheet_id)
                .bind(write.node_id)
                .bind(write.points)
                .bind(&write.input)
                .bind(&write.explanation)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?,
            Some(old) => sqlx::query_as::<_, LeafScore>(&format!(
                "UPDATE leaf_scores SET points = $1, input = $2, explanation = $3, updated_by = $4, updated_by_name = $5, \
                 updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8 RETURNING {LEAF_COLUMNS}"))
                .bind(write.points)
                .bind(&write.input)
                .bind(&write.explanation)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .bind(old.id)
                .bind(old.version)
                .fetch_optional(&mut *tx)
                .await?,
        };
        // Someone saved the leaf since it was read: the transaction rolls back (the sheet's
        // figures with it) and the caller reads who saved it.
        let Some(saved) = saved else {
            return Err(leaf_conflict(&code, None));
        };
        tx.record_many(actor, &write.audit).await?;
        Ok(SelfWritten::Saved(Box::new(saved), summary))
    })
}
