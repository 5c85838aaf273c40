use super::*;

/// A sheet with what its rules need: the campaign, the framework and the node id → tree node
/// map.
pub struct SheetScope {
    pub sheet: SheetRow,
    pub campaign: CampaignRow,
    /// Shared: a framework is frozen once a campaign that uses it opens (docs/method.md), so
    /// the web keeps it built between requests.
    pub stored: std::sync::Arc<StoredFramework>,
    /// Framework node id (database) → node of the tree.
    pub node_index: std::sync::Arc<HashMap<i64, NodeId>>,
}

impl SheetScope {
    pub fn framework(&self) -> &Framework {
        &self.stored.framework
    }

    /// The tree node of a database node id, refused when it is not in the sheet's framework.
    pub fn leaf(&self, node_id: i64) -> Result<NodeId, StoreError> {
        self.node_index
            .get(&node_id)
            .copied()
            .ok_or(StoreError::Rule(rules::WorkflowError::NodeNotInFramework {
                node_id,
            }))
    }

    pub fn code(&self, leaf: NodeId) -> &str {
        &self.framework().node(leaf).code
    }

    pub(super) fn context(&self, open_round: Option<u32>) -> SheetContext {
        SheetContext {
            campaign: self.campaign.state(),
            status: self.sheet.status(),
            current_round: self.sheet.current_round as u32,
            open_round,
        }
    }

    /// An audit row about a leaf of this sheet.
    pub(crate) fn entry(&self, action: &str, node_id: i64) -> AuditEntry {
        AuditEntry::new(action, "leaf", node_id)
            .campaign(self.campaign.id)
            .unit(Some(self.sheet.unit_id))
    }

    pub(super) fn sheet_entry(&self, field: &str, old: &str, new: &str) -> AuditEntry {
        AuditEntry::new("transition", "sheet", self.sheet.id)
            .change(field, Some(old.to_string()), Some(new.to_string()))
            .campaign(self.campaign.id)
            .unit(Some(self.sheet.unit_id))
    }
}

pub fn node_index(stored: &StoredFramework) -> HashMap<i64, NodeId> {
    stored
        .node_ids
        .iter()
        .filter_map(|(code, &id)| stored.framework.find(code).map(|node| (id, node)))
        .collect()
}

/// Loads a sheet with its campaign and framework.
pub async fn scope(db: &Db, sheet_id: i64) -> Result<SheetScope, StoreError> {
    let sheet = get_sheet(db, sheet_id).await?;
    let campaign = campaigns::get(db, sheet.campaign_id).await?;
    let stored = frameworks::load(db, sheet.framework_id).await?;
    let node_index = node_index(&stored);
    Ok(SheetScope {
        sheet,
        campaign,
        stored: std::sync::Arc::new(stored),
        node_index: std::sync::Arc::new(node_index),
    })
}

/// A sheet's scope and the last day of its unit's extension for a stage, if any: what the
/// sheet-id wrappers of the `*_in` use cases load before calling them.
pub(super) async fn scope_and_extension(
    db: &Db,
    sheet_id: i64,
    stage: Stage,
) -> Result<(SheetScope, Option<NaiveDate>), StoreError> {
    let scope = scope(db, sheet_id).await?;
    let extension = extension_for(db, scope.campaign.id, scope.sheet.unit_id, stage)
        .await?
        .map(|e| e.valid_until);
    Ok((scope, extension))
}

/// Evidence link counts of a sheet: (node id, stage, count).
pub(super) type EvidenceCount = (i64, i64, i64);

pub(super) const EVIDENCE_COUNTS: &str = "SELECT node_id, stage, COUNT(*) FROM evidence_links WHERE sheet_id = $1 GROUP BY node_id, stage";

/// What the pure rules see of a sheet's rows.
pub fn records_of(
    framework: &Framework,
    node_index: &HashMap<i64, NodeId>,
    rows: &[LeafScore],
    evidence: &[EvidenceCount],
) -> SheetRecords {
    let mut records = SheetRecords::new(framework);
    let mut stage_evidence: HashMap<(i64, i64), i64> = HashMap::new();
    for &(node, stage, count) in evidence {
        stage_evidence.insert((node, stage), count);
        if stage == 0
            && let Some(&leaf) = node_index.get(&node)
        {
            records.get_mut(leaf).evidence = count as usize;
        }
    }
    for row in rows {
        let Some(&leaf) = node_index.get(&row.node_id) else {
            continue;
        };
        let record: &mut LeafRecord = records.get_mut(leaf);
        if row.stage == 0 {
            record.self_points = row.points();
            record.explanation = row.explanation.is_some();
        } else {
            let extra = stage_evidence
                .get(&(row.node_id, row.stage))
                .copied()
                .unwrap_or(0);
            record.rounds.insert(
                row.stage as u32,
                RoundRecord {
                    points: row.points(),
                    explanation_requested: row.explanation_requested,
                    answered: row.answer.is_some() || extra > 0,
                },
            );
        }
    }
    records
}

/// The rules' view of a sheet as stored now.
pub async fn sheet_records(db: &Db, scope: &SheetScope) -> Result<SheetRecords, StoreError> {
    let rows = leaf_scores(db, scope.sheet.id).await?;
    let evidence = with_db_read!(db, pool => sqlx::query_as::<_, EvidenceCount>(EVIDENCE_COUNTS)
        .bind(scope.sheet.id)
        .fetch_all(pool)
        .await?);
    Ok(records_of(
        scope.framework(),
        &scope.node_index,
        &rows,
        &evidence,
    ))
}

/// Every leaf that blocks the sheet's submission now (for the leader's review screen).
pub async fn submission_problems(
    db: &Db,
    sheet_id: i64,
) -> Result<Vec<SubmissionProblem>, StoreError> {
    let scope = scope(db, sheet_id).await?;
    let records = sheet_records(db, &scope).await?;
    Ok(rules::submission_problems(scope.framework(), &records))
}
