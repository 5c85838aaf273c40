//! The assessment workflow in the database (issue 4): a sheet per unit and campaign, leaf
//! scores per stage (0 = self-assessment, k = appraisal round k), extensions, appraisal round
//! states, finalization and the published results.
//!
//! Every write is one transaction holding its audit rows. The rules are the pure ones of
//! `chiso_domain::assessment`, checked before the transaction; inside it, each write is a
//! conditional update on the sheet (`WHERE status = <the status checked>`), so a write that
//! races a state change has exactly one outcome: the first to commit wins and the other gets
//! [`StoreError::Conflict`] saying what happened. Leaf rows carry a version: two editors saving
//! the same leaf never silently lose data, the second is told who saved first.
//!
//! Audit rows of a leaf use entity type `leaf`, the framework node id as entity id, the
//! campaign and unit of the sheet, and a field `<stage>.<field>` (`self.points`,
//! `round1.comment`, `round2.answer`, `self.evidence`…), so [`leaf_history`] reads them back
//! with the stage named. Sheet state changes use entity type `sheet`.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::access::Role;
use chiso_domain::assessment::{
    self as rules, LeafRecord, RoundPhase, RoundRecord, SheetAction, SheetContext, SheetRecords,
    SheetStatus, SheetSummary, Stage, SubmissionProblem,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::{Bands, Framework, NodeId, Points, evaluate};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::audit::{Actor, AuditEntry, AuditRecord, AuditSink, record_all};
use crate::campaigns::{self, CampaignRow};
use crate::db::Db;
use crate::error::StoreError;
use crate::frameworks::{self, StoredFramework};
use crate::{in_transaction, with_db_read};

/// Today's date in Vietnam (UTC+7, no daylight saving): deadlines are Vietnamese calendar days,
/// so a deadline of 15/12 ends at midnight in Hà Nội, not in Greenwich.
pub fn today_in_vietnam() -> NaiveDate {
    (Utc::now() + Duration::hours(7)).date_naive()
}

/// A unit's sheet in a campaign, with its progress figures.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct SheetRow {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub framework_id: i64,
    pub status: String,
    pub current_round: i64,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<String>,
    pub leaves_total: i64,
    pub leaves_filled: i64,
    pub missing_evidence: i64,
    pub unexplained: i64,
    /// Ten-thousandths, like every stored number of points.
    pub self_total: i64,
    pub appraised_total: i64,
    pub round_leaves: i64,
    pub round_reviewed: i64,
    pub flagged: i64,
    pub answered: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SheetRow {
    pub fn status(&self) -> SheetStatus {
        SheetStatus::parse(&self.status).unwrap_or(SheetStatus::Draft)
    }

    pub fn self_total_points(&self) -> Points {
        Points::from_ten_thousandths(self.self_total)
    }

    pub fn appraised_total_points(&self) -> Points {
        Points::from_ten_thousandths(self.appraised_total)
    }
}

/// One leaf at one stage of a sheet.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LeafScore {
    pub id: i64,
    pub sheet_id: i64,
    pub node_id: i64,
    /// 0 = self-assessment, k = appraisal round k.
    pub stage: i64,
    pub points: Option<i64>,
    /// The rule's input as JSON (`{"on_time_share": 85.0}`).
    pub input: Option<String>,
    pub explanation: Option<String>,
    pub comment: Option<String>,
    pub explanation_requested: bool,
    pub answer: Option<String>,
    pub updated_by: Option<i64>,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl LeafScore {
    pub fn points(&self) -> Option<Points> {
        self.points.map(Points::from_ten_thousandths)
    }

    /// The rule input's value, when the points were computed from one.
    pub fn input_value(&self) -> Option<f64> {
        let json: serde_json::Value = serde_json::from_str(self.input.as_deref()?).ok()?;
        json.as_object()?.values().next()?.as_f64()
    }
}

/// An extension (gia hạn) granted to a unit for a stage.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Extension {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub stage: String,
    pub valid_until: NaiveDate,
    pub reason: String,
    pub granted_by: Option<i64>,
    pub granted_by_name: String,
    pub granted_at: DateTime<Utc>,
}

/// Where an appraisal round of a campaign stands.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct RoundState {
    pub campaign_id: i64,
    pub round_no: i64,
    pub state: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by_name: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by_name: Option<String>,
}

/// The self-assessment of one leaf, as an editor saves it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelfEntry {
    pub node_id: i64,
    /// Points entered by hand; with `input` too, both must agree.
    pub points: Option<Points>,
    /// The input of the leaf's rule (threshold, proportional): the points are computed.
    pub input: Option<f64>,
    pub explanation: Option<String>,
    /// The version of the leaf the editor started from; `None` when the leaf had no row yet.
    pub expected_version: Option<i64>,
}

/// An appraiser's entry on one leaf in the open round.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppraisalEntry {
    pub node_id: i64,
    /// `None` keeps the earlier value (the unit's, or the previous round's).
    pub points: Option<Points>,
    pub input: Option<f64>,
    pub comment: Option<String>,
    pub explanation_requested: bool,
    pub expected_version: Option<i64>,
}

/// The unit's answer to an explanation request on one leaf.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerEntry {
    pub node_id: i64,
    pub answer: Option<String>,
    /// The version of the round's leaf row (the appraiser created it with the request).
    pub expected_version: i64,
}

const SHEET_COLUMNS: &str = "id, campaign_id, unit_id, framework_id, status, current_round, submitted_at, submitted_by, \
     leaves_total, leaves_filled, missing_evidence, unexplained, self_total, appraised_total, round_leaves, \
     round_reviewed, flagged, answered, version, created_at, updated_at";
pub(crate) const LEAF_COLUMNS: &str = "id, sheet_id, node_id, stage, points, input, explanation, comment, explanation_requested, \
     answer, updated_by, updated_by_name, updated_at, version";

/// Longest text accepted in an explanation, comment or answer.
const MAX_TEXT: usize = 20_000;

/// The audit field of a leaf change: `self.points`, `round2.comment`.
pub fn stage_field(stage: i64, field: &str) -> String {
    if stage == 0 {
        format!("self.{field}")
    } else {
        format!("round{stage}.{field}")
    }
}

/// Splits an audit field written by [`stage_field`] into the stage and the field.
pub fn parse_stage_field(text: &str) -> Option<(i64, &str)> {
    let (stage, field) = text.split_once('.')?;
    if stage == "self" {
        return Some((0, field));
    }
    Some((stage.strip_prefix("round")?.parse().ok()?, field))
}

fn text(value: &Option<String>, what: &str) -> Result<Option<String>, StoreError> {
    let value = value
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if let Some(t) = &value
        && t.chars().count() > MAX_TEXT
    {
        return Err(StoreError::Invalid(format!(
            "the {what} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(value)
}

fn invalid(error: rules::WorkflowError) -> StoreError {
    StoreError::Invalid(error.to_string())
}

/// A sheet by id.
pub async fn get_sheet(db: &Db, id: i64) -> Result<SheetRow, StoreError> {
    let sql = format!("SELECT {SHEET_COLUMNS} FROM sheets WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, SheetRow>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// The sheet of a unit in a campaign, if it has one yet.
pub async fn find_sheet(
    db: &Db,
    campaign_id: i64,
    unit_id: i64,
) -> Result<Option<SheetRow>, StoreError> {
    let sql = format!("SELECT {SHEET_COLUMNS} FROM sheets WHERE campaign_id = $1 AND unit_id = $2");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, SheetRow>(&sql)
        .bind(campaign_id)
        .bind(unit_id)
        .fetch_optional(pool)
        .await?),
    )
}

/// Every sheet of a campaign.
pub async fn list_sheets(db: &Db, campaign_id: i64) -> Result<Vec<SheetRow>, StoreError> {
    let sql = format!("SELECT {SHEET_COLUMNS} FROM sheets WHERE campaign_id = $1 ORDER BY unit_id");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, SheetRow>(&sql)
        .bind(campaign_id)
        .fetch_all(pool)
        .await?),
    )
}

/// Every leaf row of a sheet, every stage, by node then stage.
pub async fn leaf_scores(db: &Db, sheet_id: i64) -> Result<Vec<LeafScore>, StoreError> {
    let sql = format!(
        "SELECT {LEAF_COLUMNS} FROM leaf_scores WHERE sheet_id = $1 ORDER BY node_id, stage"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, LeafScore>(&sql)
        .bind(sheet_id)
        .fetch_all(pool)
        .await?),
    )
}

/// The appraisal rounds of a campaign that have been opened, by round.
pub async fn round_states(db: &Db, campaign_id: i64) -> Result<Vec<RoundState>, StoreError> {
    const SQL: &str = "SELECT campaign_id, round_no, state, opened_at, opened_by_name, closed_at, closed_by_name \
         FROM round_states WHERE campaign_id = $1 ORDER BY round_no";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, RoundState>(SQL)
        .bind(campaign_id)
        .fetch_all(pool)
        .await?),
    )
}

/// The phase of rounds 1..=`rounds` from the stored states.
pub fn phases(states: &[RoundState], rounds: i64) -> Vec<RoundPhase> {
    (1..=rounds)
        .map(|round| {
            states
                .iter()
                .find(|s| s.round_no == round)
                .and_then(|s| RoundPhase::parse(&s.state))
                .unwrap_or(RoundPhase::NotOpened)
        })
        .collect()
}

/// The open round of a campaign, if any.
pub async fn open_round_of(db: &Db, campaign_id: i64) -> Result<Option<u32>, StoreError> {
    Ok(round_states(db, campaign_id)
        .await?
        .iter()
        .find(|s| s.state == "open")
        .map(|s| s.round_no as u32))
}

const EXTENSION_COLUMNS: &str =
    "id, campaign_id, unit_id, stage, valid_until, reason, granted_by, granted_by_name, granted_at";

/// Every extension granted in a campaign.
pub async fn extensions(db: &Db, campaign_id: i64) -> Result<Vec<Extension>, StoreError> {
    let sql = format!(
        "SELECT {EXTENSION_COLUMNS} FROM extensions WHERE campaign_id = $1 ORDER BY unit_id, stage"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, Extension>(&sql)
        .bind(campaign_id)
        .fetch_all(pool)
        .await?),
    )
}

/// The extension of a unit for a stage, if any.
pub async fn extension_for(
    db: &Db,
    campaign_id: i64,
    unit_id: i64,
    stage: Stage,
) -> Result<Option<Extension>, StoreError> {
    let sql = format!(
        "SELECT {EXTENSION_COLUMNS} FROM extensions WHERE campaign_id = $1 AND unit_id = $2 AND stage = $3"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, Extension>(&sql)
        .bind(campaign_id)
        .bind(unit_id)
        .bind(stage.as_str())
        .fetch_optional(pool)
        .await?),
    )
}

/// A sheet with what its rules need: the campaign, the framework and the node id → tree node
/// map.
pub struct SheetScope {
    pub sheet: SheetRow,
    pub campaign: CampaignRow,
    pub stored: StoredFramework,
    /// Framework node id (database) → node of the tree.
    pub node_index: HashMap<i64, NodeId>,
}

impl SheetScope {
    pub fn framework(&self) -> &Framework {
        &self.stored.framework
    }

    /// The tree node of a database node id, refused when it is not in the sheet's framework.
    pub fn leaf(&self, node_id: i64) -> Result<NodeId, StoreError> {
        self.node_index.get(&node_id).copied().ok_or_else(|| {
            StoreError::Invalid(format!(
                "node {node_id} is not part of this sheet's framework"
            ))
        })
    }

    pub fn code(&self, leaf: NodeId) -> &str {
        &self.framework().node(leaf).code
    }

    fn context(&self, open_round: Option<u32>) -> SheetContext {
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

    fn sheet_entry(&self, field: &str, old: &str, new: &str) -> AuditEntry {
        AuditEntry::new("transition", "sheet", self.sheet.id)
            .change(field, Some(old.to_string()), Some(new.to_string()))
            .campaign(self.campaign.id)
            .unit(Some(self.sheet.unit_id))
    }
}

fn node_index(stored: &StoredFramework) -> HashMap<i64, NodeId> {
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
        stored,
        node_index,
    })
}

/// Evidence link counts of a sheet: (node id, stage, count).
type EvidenceCount = (i64, i64, i64);

const EVIDENCE_COUNTS: &str = "SELECT node_id, stage, COUNT(*) FROM evidence_links WHERE sheet_id = $1 GROUP BY node_id, stage";

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

/// Recomputes a sheet's progress figures from its rows, inside the transaction `$tx` of the
/// change that moved them (engineering guide §7: summary rows updated with the scores).
macro_rules! refresh_summary {
    ($tx:ident, $sheet_id:expr, $framework:expr, $node_index:expr, $current_round:expr) => {{
        let leaf_sql = format!(
            "SELECT {} FROM leaf_scores WHERE sheet_id = $1",
            $crate::assessments::LEAF_COLUMNS
        );
        let rows = sqlx::query_as::<_, $crate::assessments::LeafScore>(&leaf_sql)
            .bind($sheet_id)
            .fetch_all(&mut *$tx)
            .await?;
        let evidence =
            sqlx::query_as::<_, (i64, i64, i64)>($crate::assessments::EVIDENCE_COUNTS_SQL)
                .bind($sheet_id)
                .fetch_all(&mut *$tx)
                .await?;
        let records = $crate::assessments::records_of($framework, $node_index, &rows, &evidence);
        let summary = chiso_domain::assessment::summarize($framework, &records, $current_round);
        $crate::assessments::write_summary!($tx, $sheet_id, summary);
        summary
    }};
}
pub(crate) use refresh_summary;

/// Writes progress figures on a sheet inside a transaction.
macro_rules! write_summary {
    ($tx:ident, $sheet_id:expr, $summary:expr) => {{
        let summary: chiso_domain::assessment::SheetSummary = $summary;
        sqlx::query(
            "UPDATE sheets SET leaves_total = $1, leaves_filled = $2, missing_evidence = $3, unexplained = $4, \
             self_total = $5, appraised_total = $6, round_leaves = $7, round_reviewed = $8, flagged = $9, \
             answered = $10 WHERE id = $11",
        )
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
        .bind($sheet_id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use write_summary;

pub(crate) const EVIDENCE_COUNTS_SQL: &str = EVIDENCE_COUNTS;

/// Marks a sheet as changed (version + 1) on condition that it is still in `$status` (and, when
/// given, in round `$round`): the conditional write that decides races with state changes. On
/// PostgreSQL it also locks the sheet row until the transaction ends, so changes to one sheet
/// are applied one after the other. Refused with a Conflict naming the sheet's current status.
macro_rules! touch_sheet {
    ($tx:ident, $sheet_id:expr, $status:expr, $round:expr, $what:expr) => {{
        let status: chiso_domain::assessment::SheetStatus = $status;
        let round: Option<i64> = $round;
        let touched = sqlx::query(
            "UPDATE sheets SET version = version + 1, updated_at = $1 WHERE id = $2 AND status = $3 \
             AND ($4 IS NULL OR current_round = $4)",
        )
        .bind(chrono::Utc::now())
        .bind($sheet_id)
        .bind(status.as_str())
        .bind(round)
        .execute(&mut *$tx)
        .await?;
        if touched.rows_affected() != 1 {
            let now: (String, i64) =
                sqlx::query_as("SELECT status, current_round FROM sheets WHERE id = $1")
                    .bind($sheet_id)
                    .fetch_one(&mut *$tx)
                    .await?;
            let now_status = chiso_domain::assessment::SheetStatus::parse(&now.0)
                .map(|s| s.describe())
                .unwrap_or("changed");
            return Err($crate::StoreError::Conflict(format!(
                "{} was not saved: the sheet is now {now_status}{}",
                $what,
                if now.1 > 0 { format!(" (round {})", now.1) } else { String::new() }
            )));
        }
    }};
}
pub(crate) use touch_sheet;

/// A leaf row changed by someone else since the caller read it.
fn leaf_conflict(code: &str, current: Option<&LeafScore>) -> StoreError {
    match current {
        Some(row) => StoreError::Conflict(format!(
            "leaf {code} was saved by {} at {} (version {}) after you opened it: reload it to see their values, then save again",
            row.updated_by_name,
            (row.updated_at + Duration::hours(7)).format("%d/%m/%Y %H:%M"),
            row.version
        )),
        None => StoreError::Conflict(format!(
            "leaf {code} changed after you opened it: reload it and save again"
        )),
    }
}

fn input_json(framework: &Framework, leaf: NodeId, input: Option<f64>) -> Option<String> {
    let input = input?;
    let name = framework
        .node(leaf)
        .rule
        .as_ref()
        .and_then(|r| r.input_name())
        .unwrap_or("input")
        .to_string();
    Some(serde_json::json!({ name: input }).to_string())
}

fn points_text(points: Option<i64>) -> Option<String> {
    points.map(|p| Points::from_ten_thousandths(p).to_string())
}

/// Creates the sheets of every participating unit that has none yet (when the campaign opens,
/// or lazily), each a draft on its group's framework. Returns how many were created.
pub async fn ensure_sheets(db: &Db, actor: &Actor, campaign_id: i64) -> Result<usize, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    if campaign.state() == CampaignState::Draft {
        return Err(StoreError::Invalid(
            "the campaign is a draft: sheets are created when it opens".into(),
        ));
    }
    let groups = campaigns::frameworks(db, campaign_id).await?;
    let mut summaries = Vec::new();
    for group in &groups {
        let stored = frameworks::load(db, group.framework_id).await?;
        let empty = SheetRecords::new(&stored.framework);
        summaries.push((
            group.id,
            group.framework_id,
            rules::summarize(&stored.framework, &empty, 0),
        ));
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let mut created = 0;
        for (group_id, framework_id, summary) in &summaries {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "INSERT INTO sheets (campaign_id, unit_id, framework_id, status, current_round, leaves_total, \
                 leaves_filled, missing_evidence, unexplained, self_total, appraised_total, round_leaves, \
                 round_reviewed, flagged, answered, version, created_at, updated_at) \
                 SELECT cu.campaign_id, cu.unit_id, $1, 'draft', 0, $2, 0, $3, $4, 0, 0, 0, 0, 0, 0, 1, $5, $5 \
                 FROM campaign_units cu WHERE cu.campaign_id = $6 AND cu.campaign_framework_id = $7 \
                 ON CONFLICT (campaign_id, unit_id) DO NOTHING RETURNING id, unit_id",
            )
            .bind(framework_id)
            .bind(i64::from(summary.leaves_total))
            .bind(i64::from(summary.missing_evidence))
            .bind(i64::from(summary.unexplained))
            .bind(now)
            .bind(campaign_id)
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
            for (sheet_id, unit_id) in &rows {
                tx.record(actor, &AuditEntry::new("create", "sheet", *sheet_id)
                    .change("status", None, Some(SheetStatus::Draft.to_string()))
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
            }
            created += rows.len();
        }
        Ok(created)
    })
}

/// The sheet of a unit in a campaign, created when missing (the unit must take part).
pub async fn sheet_for_unit(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    unit_id: i64,
) -> Result<SheetRow, StoreError> {
    if let Some(sheet) = find_sheet(db, campaign_id, unit_id).await? {
        return Ok(sheet);
    }
    ensure_sheets(db, actor, campaign_id).await?;
    find_sheet(db, campaign_id, unit_id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Saves an editor's self-assessment of one leaf (points or rule input, explanation), while
/// the sheet is a draft and the self-assessment deadline (or the unit's extension) allows.
/// Returns the stored row with its new version; nothing changes when nothing differs.
pub async fn save_self_assessment(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    entry: &SelfEntry,
) -> Result<LeafScore, StoreError> {
    let scope = scope(db, sheet_id).await?;
    rules::check_action(role, SheetAction::EditSelfAssessment, &scope.context(None))
        .map_err(invalid)?;
    let extension = extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::SelfAssessment,
    )
    .await?;
    rules::may_enter(
        Stage::SelfAssessment,
        today,
        scope.campaign.self_assessment_deadline,
        extension.map(|e| e.valid_until),
    )
    .map_err(invalid)?;
    let leaf = scope.leaf(entry.node_id)?;
    let framework = scope.framework();
    rules::check_self_assessable(framework, leaf).map_err(invalid)?;
    let points = rules::resolve_points(framework, leaf, entry.points, entry.input)
        .map_err(invalid)?
        .map(Points::ten_thousandths);
    let input = input_json(framework, leaf, entry.input);
    let explanation = text(&entry.explanation, "explanation")?;
    let code = scope.code(leaf).to_string();
    let select = format!(
        "SELECT {LEAF_COLUMNS} FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = 0"
    );
    in_transaction!(db, tx => {
        let old = sqlx::query_as::<_, LeafScore>(&select)
            .bind(sheet_id)
            .bind(entry.node_id)
            .fetch_optional(&mut *tx)
            .await?;
        if old.as_ref().map(|o| o.version) != entry.expected_version {
            return Err(leaf_conflict(&code, old.as_ref()));
        }
        let mut entries = Vec::new();
        let mut change = |field: &str, before: Option<String>, after: Option<String>| {
            if before != after {
                entries.push(scope.entry("update", entry.node_id).change(
                    &stage_field(0, field), before, after));
            }
        };
        change("points", points_text(old.as_ref().and_then(|o| o.points)), points_text(points));
        change("input", old.as_ref().and_then(|o| o.input.clone()), input.clone());
        change("explanation", old.as_ref().and_then(|o| o.explanation.clone()), explanation.clone());
        if entries.is_empty() && let Some(old) = &old {
            return Ok(old.clone());
        }
        touch_sheet!(tx, sheet_id, SheetStatus::Draft, None, format!("leaf {code}"));
        let now = Utc::now();
        let saved = match &old {
            None => sqlx::query_as::<_, LeafScore>(&format!(
                "INSERT INTO leaf_scores (sheet_id, node_id, stage, points, input, explanation, explanation_requested, \
                 updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, 0, $3, $4, $5, FALSE, $6, $7, $8, 1) \
                 ON CONFLICT (sheet_id, node_id, stage) DO NOTHING RETURNING {LEAF_COLUMNS}"))
                .bind(sheet_id)
                .bind(entry.node_id)
                .bind(points)
                .bind(&input)
                .bind(&explanation)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?,
            Some(old) => sqlx::query_as::<_, LeafScore>(&format!(
                "UPDATE leaf_scores SET points = $1, input = $2, explanation = $3, updated_by = $4, updated_by_name = $5, \
                 updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8 RETURNING {LEAF_COLUMNS}"))
                .bind(points)
                .bind(&input)
                .bind(&explanation)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .bind(old.id)
                .bind(old.version)
                .fetch_optional(&mut *tx)
                .await?,
        };
        let Some(saved) = saved else {
            let current = sqlx::query_as::<_, LeafScore>(&select)
                .bind(sheet_id)
                .bind(entry.node_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(leaf_conflict(&code, current.as_ref()));
        };
        record_all(&mut *tx, actor, &entries).await?;
        refresh_summary!(tx, sheet_id, framework, &scope.node_index, 0);
        Ok(saved)
    })
}

/// The unit leader submits the sheet they reviewed at `expected_version`: refused with every
/// offending leaf when the submission check fails, and with a Conflict when the sheet changed
/// since the review.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    expected_version: i64,
    today: NaiveDate,
) -> Result<SheetRow, StoreError> {
    let scope = scope(db, sheet_id).await?;
    rules::check_action(role, SheetAction::Submit, &scope.context(None)).map_err(invalid)?;
    let extension = extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::SelfAssessment,
    )
    .await?;
    rules::may_enter(
        Stage::SelfAssessment,
        today,
        scope.campaign.self_assessment_deadline,
        extension.map(|e| e.valid_until),
    )
    .map_err(invalid)?;
    let records = sheet_records(db, &scope).await?;
    rules::check_submission(scope.framework(), &records).map_err(invalid)?;
    set_status(
        db,
        actor,
        &scope,
        SheetStatus::Draft,
        SheetStatus::Submitted,
        Some(expected_version),
        None,
    )
    .await
}

/// The unit leader withdraws a submitted sheet back to draft, while appraisal has not started
/// for it and the self-assessment deadline (or extension) still allows entry, so the unit can
/// submit again. A round opening at the same moment wins or loses as a whole: the loser gets a
/// Conflict.
pub async fn withdraw(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    reason: Option<&str>,
) -> Result<SheetRow, StoreError> {
    let scope = scope(db, sheet_id).await?;
    rules::check_action(role, SheetAction::Withdraw, &scope.context(None)).map_err(invalid)?;
    let extension = extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::SelfAssessment,
    )
    .await?;
    rules::may_enter(
        Stage::SelfAssessment,
        today,
        scope.campaign.self_assessment_deadline,
        extension.map(|e| e.valid_until),
    )
    .map_err(invalid)?;
    set_status(
        db,
        actor,
        &scope,
        SheetStatus::Submitted,
        SheetStatus::Draft,
        None,
        reason,
    )
    .await
}

/// Moves one sheet from `from` to `to` with a conditional update, audited.
async fn set_status(
    db: &Db,
    actor: &Actor,
    scope: &SheetScope,
    from: SheetStatus,
    to: SheetStatus,
    expected_version: Option<i64>,
    reason: Option<&str>,
) -> Result<SheetRow, StoreError> {
    let sheet_id = scope.sheet.id;
    let sql = format!(
        "UPDATE sheets SET status = $1, version = version + 1, updated_at = $2, \
         submitted_at = CASE WHEN $1 = 'submitted' THEN $2 WHEN $1 = 'draft' THEN NULL ELSE submitted_at END, \
         submitted_by = CASE WHEN $1 = 'submitted' THEN $3 WHEN $1 = 'draft' THEN NULL ELSE submitted_by END \
         WHERE id = $4 AND status = $5 AND ($6 IS NULL OR version = $6) RETURNING {SHEET_COLUMNS}"
    );
    in_transaction!(db, tx => {
        let updated = sqlx::query_as::<_, SheetRow>(&sql)
            .bind(to.as_str())
            .bind(Utc::now())
            .bind(&actor.name)
            .bind(sheet_id)
            .bind(from.as_str())
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(updated) = updated else {
            let now: (String, i64, i64) = sqlx::query_as("SELECT status, current_round, version FROM sheets WHERE id = $1")
                .bind(sheet_id)
                .fetch_one(&mut *tx)
                .await?;
            let status = SheetStatus::parse(&now.0).unwrap_or(SheetStatus::Draft);
            return Err(StoreError::Conflict(if status == from {
                format!("the sheet changed after you reviewed it (version {} now, yours {}): review it again before you {}",
                    now.2, expected_version.unwrap_or_default(), match to {
                        SheetStatus::Submitted => "submit",
                        SheetStatus::ExplanationSubmitted => "submit the explanation",
                        _ => "continue",
                    })
            } else if status == SheetStatus::InAppraisal {
                format!("appraisal round {} started first: the sheet is in appraisal and was not changed", now.1)
            } else {
                format!("the sheet is now {}: it was not changed", status.describe())
            }));
        };
        tx.record(actor, &scope.sheet_entry("status", from.as_str(), to.as_str()).reason(reason)).await?;
        Ok(updated)
    })
}

/// The secretariat opens appraisal round `round`: submitted sheets (and, after round 1, the
/// sheets with explanation requests) enter it. Opening round 1 of an open campaign moves the
/// campaign to appraisal. Returns how many sheets entered the round.
pub async fn open_round(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    round: u32,
    reason: Option<&str>,
) -> Result<usize, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = round_states(db, campaign_id).await?;
    rules::check_open_round(
        role,
        campaign.state(),
        &phases(&states, campaign.appraisal_rounds),
        campaign.appraisal_rounds as u32,
        round,
    )
    .map_err(invalid)?;
    let groups = load_frameworks(db, campaign_id).await?;
    let round = i64::from(round);
    let moving: Vec<SheetStatus> = SheetStatus::ALL
        .into_iter()
        .filter(|s| rules::status_after_round_opens(*s, round as u32).is_some())
        .collect();
    let now = Utc::now();
    in_transaction!(db, tx => {
        sqlx::query("INSERT INTO round_states (campaign_id, round_no, state, opened_at, opened_by_name) \
             VALUES ($1, $2, 'open', $3, $4)")
            .bind(campaign_id)
            .bind(round)
            .bind(now)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("round {round} was opened meanwhile, or another round is open")),
                other => other,
            })?;
        tx.record(actor, &AuditEntry::new("open_round", "campaign", campaign_id)
            .change(&format!("round{round}"), Some(RoundPhase::NotOpened.as_str().into()), Some(RoundPhase::Open.as_str().into()))
            .reason(reason)
            .campaign(campaign_id)).await?;
        if campaign.state() == CampaignState::Open {
            let moved = sqlx::query("UPDATE campaigns SET state = 'appraisal', updated_at = $1 WHERE id = $2 AND state = 'open'")
                .bind(now)
                .bind(campaign_id)
                .execute(&mut *tx)
                .await?;
            if moved.rows_affected() != 1 {
                return Err(StoreError::Conflict("the campaign changed state meanwhile".into()));
            }
            tx.record(actor, &AuditEntry::new("transition", "campaign", campaign_id)
                .change("state", Some(CampaignState::Open.to_string()), Some(CampaignState::Appraisal.to_string()))
                .reason(Some(&format!("appraisal round {round} opened")))
                .campaign(campaign_id)).await?;
        }
        let mut entered: Vec<(i64, i64, i64)> = Vec::new();
        for from in &moving {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "UPDATE sheets SET status = 'in_appraisal', current_round = $1, version = version + 1, updated_at = $2 \
                 WHERE campaign_id = $3 AND status = $4 RETURNING id, unit_id, framework_id")
                .bind(round)
                .bind(now)
                .bind(campaign_id)
                .bind(from.as_str())
                .fetch_all(&mut *tx)
                .await?;
            for (sheet_id, unit_id, _) in &rows {
                tx.record(actor, &AuditEntry::new("transition", "sheet", *sheet_id)
                    .change("status", Some(from.to_string()), Some(SheetStatus::InAppraisal.to_string()))
                    .reason(Some(&format!("appraisal round {round} opened")))
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
            }
            entered.extend(rows);
        }
        for (sheet_id, _, framework_id) in &entered {
            let Some((framework, node_index)) = groups.get(framework_id) else { continue };
            refresh_summary!(tx, *sheet_id, framework, node_index, round as u32);
        }
        Ok(entered.len())
    })
}

/// The frameworks of a campaign's groups, by framework id, with their node maps.
async fn load_frameworks(
    db: &Db,
    campaign_id: i64,
) -> Result<HashMap<i64, (Framework, HashMap<i64, NodeId>)>, StoreError> {
    let mut loaded = HashMap::new();
    for group in campaigns::frameworks(db, campaign_id).await? {
        if loaded.contains_key(&group.framework_id) {
            continue;
        }
        let stored = frameworks::load(db, group.framework_id).await?;
        let index = node_index(&stored);
        loaded.insert(group.framework_id, (stored.framework, index));
    }
    // Sheets made before a group changed framework keep theirs.
    let sheet_frameworks: Vec<i64> = with_db_read!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT framework_id FROM sheets WHERE campaign_id = $1")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?);
    for framework_id in sheet_frameworks {
        if let std::collections::hash_map::Entry::Vacant(slot) = loaded.entry(framework_id) {
            let stored = frameworks::load(db, framework_id).await?;
            let index = node_index(&stored);
            slot.insert((stored.framework, index));
        }
    }
    Ok(loaded)
}

/// The secretariat closes the open round `round`: each sheet in it moves to "explanation
/// requested" when one of its leaves was flagged in the round, else to "appraised".
pub async fn close_round(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    round: u32,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = round_states(db, campaign_id).await?;
    rules::check_close_round(
        role,
        campaign.state(),
        &phases(&states, campaign.appraisal_rounds),
        round,
    )
    .map_err(invalid)?;
    let round = i64::from(round);
    let now = Utc::now();
    in_transaction!(db, tx => {
        let closed = sqlx::query("UPDATE round_states SET state = 'closed', closed_at = $1, closed_by_name = $2 \
             WHERE campaign_id = $3 AND round_no = $4 AND state = 'open'")
            .bind(now)
            .bind(&actor.name)
            .bind(campaign_id)
            .bind(round)
            .execute(&mut *tx)
            .await?;
        if closed.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("round {round} was closed meanwhile")));
        }
        tx.record(actor, &AuditEntry::new("close_round", "campaign", campaign_id)
            .change(&format!("round{round}"), Some(RoundPhase::Open.as_str().into()), Some(RoundPhase::Closed.as_str().into()))
            .reason(reason)
            .campaign(campaign_id)).await?;
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "UPDATE sheets SET status = CASE WHEN EXISTS (SELECT 1 FROM leaf_scores ls WHERE ls.sheet_id = sheets.id \
             AND ls.stage = $1 AND ls.explanation_requested) THEN 'explanation_requested' ELSE 'appraised' END, \
             version = version + 1, updated_at = $2 \
             WHERE campaign_id = $3 AND status = 'in_appraisal' AND current_round = $1 RETURNING id, unit_id, status")
            .bind(round)
            .bind(now)
            .bind(campaign_id)
            .fetch_all(&mut *tx)
            .await?;
        for (sheet_id, unit_id, status) in &rows {
            tx.record(actor, &AuditEntry::new("transition", "sheet", *sheet_id)
                .change("status", Some(SheetStatus::InAppraisal.to_string()), Some(status.clone()))
                .reason(Some(&format!("appraisal round {round} closed")))
                .campaign(campaign_id)
                .unit(Some(*unit_id))).await?;
        }
        Ok(())
    })
}

/// An appraiser's points, comment and explanation request on a leaf of a sheet in the open
/// round, for a leaf in their areas (`None` = every area). After round 1 only the leaves
/// flagged in the previous round are re-scored.
pub async fn save_appraisal(
    db: &Db,
    actor: &Actor,
    role: Role,
    areas: Option<&[String]>,
    sheet_id: i64,
    entry: &AppraisalEntry,
) -> Result<LeafScore, StoreError> {
    let scope = scope(db, sheet_id).await?;
    let open = open_round_of(db, scope.campaign.id).await?;
    rules::check_action(role, SheetAction::Appraise, &scope.context(open)).map_err(invalid)?;
    let round = scope.sheet.current_round;
    let leaf = scope.leaf(entry.node_id)?;
    let framework = scope.framework();
    let records = sheet_records(db, &scope).await?;
    let flagged_before = records
        .get(leaf)
        .rounds
        .get(&(round as u32).saturating_sub(1))
        .is_some_and(|r| r.explanation_requested);
    rules::check_appraisal(
        framework,
        leaf,
        areas,
        round as u32,
        scope.campaign.appraisal_rounds as u32,
        flagged_before,
        entry.explanation_requested,
    )
    .map_err(invalid)?;
    let points = rules::resolve_points(framework, leaf, entry.points, entry.input)
        .map_err(invalid)?
        .map(Points::ten_thousandths);
    let input = input_json(framework, leaf, entry.input);
    let comment = text(&entry.comment, "comment")?;
    let code = scope.code(leaf).to_string();
    let select = format!(
        "SELECT {LEAF_COLUMNS} FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = $3"
    );
    in_transaction!(db, tx => {
        let old = sqlx::query_as::<_, LeafScore>(&select)
            .bind(sheet_id)
            .bind(entry.node_id)
            .bind(round)
            .fetch_optional(&mut *tx)
            .await?;
        if old.as_ref().map(|o| o.version) != entry.expected_version {
            return Err(leaf_conflict(&code, old.as_ref()));
        }
        let mut entries = Vec::new();
        let mut change = |field: &str, before: Option<String>, after: Option<String>| {
            if before != after {
                entries.push(scope.entry("appraise", entry.node_id)
                    .change(&stage_field(round, field), before, after)
                    .reason(comment.as_deref()));
            }
        };
        change("points", points_text(old.as_ref().and_then(|o| o.points)), points_text(points));
        change("input", old.as_ref().and_then(|o| o.input.clone()), input.clone());
        change("comment", old.as_ref().and_then(|o| o.comment.clone()), comment.clone());
        change("explanation_requested",
            Some(old.as_ref().is_some_and(|o| o.explanation_requested).to_string()),
            Some(entry.explanation_requested.to_string()));
        if entries.is_empty() {
            match &old {
                Some(old) => return Ok(old.clone()),
                // A review that keeps the earlier value still counts as reviewed: say so.
                None => entries.push(scope.entry("appraise", entry.node_id)
                    .change(&stage_field(round, "reviewed"), None, Some("true".into()))),
            }
        }
        touch_sheet!(tx, sheet_id, SheetStatus::InAppraisal, Some(round), format!("the appraisal of leaf {code}"));
        let now = Utc::now();
        let saved = match &old {
            None => sqlx::query_as::<_, LeafScore>(&format!(
                "INSERT INTO leaf_scores (sheet_id, node_id, stage, points, input, comment, explanation_requested, \
                 updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) \
                 ON CONFLICT (sheet_id, node_id, stage) DO NOTHING RETURNING {LEAF_COLUMNS}"))
                .bind(sheet_id)
                .bind(entry.node_id)
                .bind(round)
                .bind(points)
                .bind(&input)
                .bind(&comment)
                .bind(entry.explanation_requested)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?,
            Some(old) => sqlx::query_as::<_, LeafScore>(&format!(
                "UPDATE leaf_scores SET points = $1, input = $2, comment = $3, explanation_requested = $4, updated_by = $5, \
                 updated_by_name = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9 \
                 RETURNING {LEAF_COLUMNS}"))
                .bind(points)
                .bind(&input)
                .bind(&comment)
                .bind(entry.explanation_requested)
                .bind(actor.id)
                .bind(&actor.name)
                .bind(now)
                .bind(old.id)
                .bind(old.version)
                .fetch_optional(&mut *tx)
                .await?,
        };
        let Some(saved) = saved else {
            let current = sqlx::query_as::<_, LeafScore>(&select)
                .bind(sheet_id)
                .bind(entry.node_id)
                .bind(round)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(leaf_conflict(&code, current.as_ref()));
        };
        record_all(&mut *tx, actor, &entries).await?;
        refresh_summary!(tx, sheet_id, framework, &scope.node_index, round as u32);
        Ok(saved)
    })
}

/// The unit's answer to an explanation request on a leaf flagged in the sheet's round, before
/// the explanation deadline (or the unit's extension).
pub async fn save_answer(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    today: NaiveDate,
    entry: &AnswerEntry,
) -> Result<LeafScore, StoreError> {
    let scope = scope(db, sheet_id).await?;
    rules::check_action(role, SheetAction::EditExplanation, &scope.context(None))
        .map_err(invalid)?;
    let extension = extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::Explanation,
    )
    .await?;
    rules::may_enter(
        Stage::Explanation,
        today,
        scope.campaign.explanation_deadline,
        extension.map(|e| e.valid_until),
    )
    .map_err(invalid)?;
    let leaf = scope.leaf(entry.node_id)?;
    let round = scope.sheet.current_round;
    let records = sheet_records(db, &scope).await?;
    let flagged = records
        .get(leaf)
        .rounds
        .get(&(round as u32))
        .is_some_and(|r| r.explanation_requested);
    rules::check_answer(scope.framework(), leaf, flagged).map_err(invalid)?;
    let answer = text(&entry.answer, "answer")?;
    let code = scope.code(leaf).to_string();
    let select = format!(
        "SELECT {LEAF_COLUMNS} FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = $3"
    );
    in_transaction!(db, tx => {
        let old = sqlx::query_as::<_, LeafScore>(&select)
            .bind(sheet_id)
            .bind(entry.node_id)
            .bind(round)
            .fetch_one(&mut *tx)
            .await?;
        if old.version != entry.expected_version {
            return Err(leaf_conflict(&code, Some(&old)));
        }
        if old.answer == answer {
            return Ok(old);
        }
        touch_sheet!(tx, sheet_id, SheetStatus::ExplanationRequested, Some(round), format!("the answer on leaf {code}"));
        let saved = sqlx::query_as::<_, LeafScore>(&format!(
            "UPDATE leaf_scores SET answer = $1, updated_by = $2, updated_by_name = $3, updated_at = $4, \
             version = version + 1 WHERE id = $5 AND version = $6 RETURNING {LEAF_COLUMNS}"))
            .bind(&answer)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(Utc::now())
            .bind(old.id)
            .bind(old.version)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(saved) = saved else {
            return Err(leaf_conflict(&code, None));
        };
        tx.record(actor, &scope.entry("explain", entry.node_id)
            .change(&stage_field(round, "answer"), old.answer.clone(), answer.clone())).await?;
        refresh_summary!(tx, sheet_id, scope.framework(), &scope.node_index, round as u32);
        Ok(saved)
    })
}

/// The unit leader submits the answers reviewed at `expected_version`; refused while a
/// flagged leaf has no answer (naming each).
pub async fn submit_explanation(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    expected_version: i64,
    today: NaiveDate,
) -> Result<SheetRow, StoreError> {
    let scope = scope(db, sheet_id).await?;
    rules::check_action(role, SheetAction::SubmitExplanation, &scope.context(None))
        .map_err(invalid)?;
    let extension = extension_for(
        db,
        scope.campaign.id,
        scope.sheet.unit_id,
        Stage::Explanation,
    )
    .await?;
    rules::may_enter(
        Stage::Explanation,
        today,
        scope.campaign.explanation_deadline,
        extension.map(|e| e.valid_until),
    )
    .map_err(invalid)?;
    let records = sheet_records(db, &scope).await?;
    rules::check_explanations(
        scope.framework(),
        &records,
        scope.sheet.current_round as u32,
    )
    .map_err(invalid)?;
    set_status(
        db,
        actor,
        &scope,
        SheetStatus::ExplanationRequested,
        SheetStatus::ExplanationSubmitted,
        Some(expected_version),
        None,
    )
    .await
}

/// An extension to grant.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtensionGrant {
    pub unit_id: i64,
    pub stage: Stage,
    /// The last day of entry.
    pub until: NaiveDate,
    pub reason: String,
}

/// The secretariat grants a unit an extension for a stage, with a reason (the extension is
/// itself recorded). Granting again replaces the date; both dates go to the audit log.
pub async fn grant_extension(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    grant: &ExtensionGrant,
) -> Result<Extension, StoreError> {
    let ExtensionGrant {
        unit_id,
        stage,
        until,
        ref reason,
    } = *grant;
    let campaign = campaigns::get(db, campaign_id).await?;
    rules::check_campaign_action(role, SheetAction::GrantExtension, campaign.state())
        .map_err(invalid)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Invalid("an extension needs a reason".into()));
    }
    let deadline = match stage {
        Stage::SelfAssessment => campaign.self_assessment_deadline,
        Stage::Explanation => campaign.explanation_deadline,
    };
    if let Some(deadline) = deadline
        && until <= deadline
    {
        return Err(StoreError::Invalid(format!(
            "the extension must end after the deadline ({deadline})"
        )));
    }
    if !campaigns::units(db, campaign_id)
        .await?
        .iter()
        .any(|u| u.unit_id == unit_id)
    {
        return Err(StoreError::Invalid(format!(
            "unit {unit_id} does not take part in this campaign"
        )));
    }
    let old = extension_for(db, campaign_id, unit_id, stage).await?;
    let sql = format!(
        "INSERT INTO extensions (campaign_id, unit_id, stage, valid_until, reason, granted_by, granted_by_name, granted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (campaign_id, unit_id, stage) DO UPDATE SET \
         valid_until = excluded.valid_until, reason = excluded.reason, granted_by = excluded.granted_by, \
         granted_by_name = excluded.granted_by_name, granted_at = excluded.granted_at RETURNING {EXTENSION_COLUMNS}"
    );
    in_transaction!(db, tx => {
        let saved = sqlx::query_as::<_, Extension>(&sql)
            .bind(campaign_id)
            .bind(unit_id)
            .bind(stage.as_str())
            .bind(until)
            .bind(reason)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("grant_extension", "extension", saved.id)
            .change(&format!("{stage}.until"), old.as_ref().map(|o| o.valid_until.to_string()), Some(until.to_string()))
            .reason(Some(reason))
            .campaign(campaign_id)
            .unit(Some(unit_id))).await?;
        Ok(saved)
    })
}

/// Every leaf row of a campaign's sheets, grouped by sheet: one query for the whole campaign.
macro_rules! campaign_rows {
    ($conn:expr, $campaign_id:expr) => {{
        let sql = format!(
            "SELECT {} FROM leaf_scores WHERE sheet_id IN (SELECT id FROM sheets WHERE campaign_id = $1)",
            LEAF_COLUMNS
        );
        let rows = sqlx::query_as::<_, LeafScore>(&sql)
            .bind($campaign_id)
            .fetch_all($conn)
            .await?;
        let mut by_sheet: HashMap<i64, Vec<LeafScore>> = HashMap::new();
        for row in rows {
            by_sheet.entry(row.sheet_id).or_default().push(row);
        }
        by_sheet
    }};
}

/// The secretariat finalizes the campaign: no round may be open; every sheet is finalized (a
/// sheet never submitted as it stands), each leaf's final points (the last round's value, else
/// the unit's) are written to `final_scores`, and the campaign moves to finalized.
pub async fn finalize(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    let states = round_states(db, campaign_id).await?;
    rules::check_finalize(
        role,
        campaign.state(),
        &phases(&states, campaign.appraisal_rounds),
    )
    .map_err(invalid)?;
    let groups = load_frameworks(db, campaign_id).await?;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let moved = sqlx::query("UPDATE campaigns SET state = 'finalized', updated_at = $1 WHERE id = $2 AND state = 'appraisal'")
            .bind(now)
            .bind(campaign_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict("the campaign changed state meanwhile".into()));
        }
        tx.record(actor, &AuditEntry::new("transition", "campaign", campaign_id)
            .change("state", Some(CampaignState::Appraisal.to_string()), Some(CampaignState::Finalized.to_string()))
            .reason(reason)
            .campaign(campaign_id)).await?;
        // Finalizing the sheets first locks them (PostgreSQL), so the rows read next are the
        // last word: a save that raced this finds its sheet finalized and is refused.
        let mut finalized: Vec<(i64, i64, i64)> = Vec::new();
        for from in SheetStatus::ALL.into_iter().filter(|s| *s != SheetStatus::Finalized) {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "UPDATE sheets SET status = 'finalized', version = version + 1, updated_at = $1 \
                 WHERE campaign_id = $2 AND status = $3 RETURNING id, unit_id, framework_id")
                .bind(now)
                .bind(campaign_id)
                .bind(from.as_str())
                .fetch_all(&mut *tx)
                .await?;
            for (sheet_id, unit_id, _) in &rows {
                tx.record(actor, &AuditEntry::new("transition", "sheet", *sheet_id)
                    .change("status", Some(from.to_string()), Some(SheetStatus::Finalized.to_string()))
                    .reason(reason)
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
            }
            finalized.extend(rows);
        }
        let by_sheet = campaign_rows!(&mut *tx, campaign_id);
        let mut values: Vec<(i64, i64, i64, i64)> = Vec::new();
        let mut totals: Vec<(i64, i64, Points)> = Vec::new();
        for (sheet_id, unit_id, framework_id) in &finalized {
            let Some((framework, node_index)) = groups.get(framework_id) else { continue };
            let rows = by_sheet.get(sheet_id).map(Vec::as_slice).unwrap_or(&[]);
            let records = records_of(framework, node_index, rows, &[]);
            let by_node: HashMap<NodeId, i64> = node_index.iter().map(|(&db_id, &node)| (node, db_id)).collect();
            for &leaf in framework.leaves() {
                let record = records.get(leaf);
                if let Some(points) = rules::final_points(record) {
                    let stage = record.rounds.iter().rev()
                        .find(|(_, r)| r.points.is_some())
                        .map(|(&k, _)| i64::from(k))
                        .unwrap_or(0);
                    values.push((*sheet_id, by_node[&leaf], points.ten_thousandths(), stage));
                }
            }
            let total = rules::summarize(framework, &records, 0).appraised_total;
            totals.push((*sheet_id, *unit_id, total));
        }
        for chunk in values.chunks(200) {
            let placeholders: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO final_scores (sheet_id, node_id, points, stage) VALUES {} \
                 ON CONFLICT (sheet_id, node_id) DO UPDATE SET points = excluded.points, stage = excluded.stage",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (sheet_id, node_id, points, stage) in chunk {
                query = query.bind(*sheet_id).bind(*node_id).bind(*points).bind(*stage);
            }
            query.execute(&mut *tx).await?;
        }
        for (sheet_id, unit_id, total) in &totals {
            tx.record(actor, &AuditEntry::new("finalize", "sheet", *sheet_id)
                .change("final_total", None, Some(total.to_string()))
                .campaign(campaign_id)
                .unit(Some(*unit_id))).await?;
        }
        Ok(())
    })
}

/// The final points of a sheet, by framework node id.
pub async fn final_scores(db: &Db, sheet_id: i64) -> Result<BTreeMap<i64, Points>, StoreError> {
    let rows: Vec<(i64, i64)> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT node_id, points FROM final_scores WHERE sheet_id = $1")
        .bind(sheet_id)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(node, points)| (node, Points::from_ten_thousandths(points)))
        .collect())
}

/// One area's published result for a unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedArea {
    pub code: String,
    pub title: String,
    pub points: Points,
    pub max_points: Points,
    /// Unrounded; `None` when the area's max is 0.
    pub index: Option<f64>,
    pub rank: u32,
}

/// One unit's published result.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedUnit {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub region: Option<String>,
    pub points: Points,
    pub tree_points: Points,
    pub bonus: Points,
    pub penalty: Points,
    /// Unrounded, clamped to [0, 100].
    pub index: f64,
    /// The ranking key: the index rounded to 2 decimals, in hundredths.
    pub index_hundredths: i64,
    pub rank: u32,
    pub region_rank: Option<u32>,
    pub classification: String,
    pub areas: Vec<PublishedArea>,
    /// Leaves without a final value, scored 0.
    pub missing: Vec<String>,
}

/// The ranking of one group of units (one framework).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedGroup {
    pub unit_group: String,
    pub framework_id: i64,
    pub framework_code: String,
    pub framework_title: String,
    pub sample: bool,
    pub max_points: Points,
    /// In rank order, then unit code.
    pub units: Vec<PublishedUnit>,
}

/// A campaign's published results: the scoring engine's output, frozen at publication.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedResults {
    pub campaign_id: i64,
    pub year: i64,
    pub title: String,
    pub bands: String,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub groups: Vec<PublishedGroup>,
}

/// A unit's code, name, region and final leaf values, while results are computed.
type UnitFinals = (String, String, Option<String>, Vec<(NodeId, Points)>);

/// Computes a finalized campaign's results with the scoring engine (one ranking per group of
/// units, group ranks by region), without storing them.
pub async fn compute_results(
    db: &Db,
    campaign: &CampaignRow,
    published_by: &str,
) -> Result<PublishedResults, StoreError> {
    let bands =
        Bands::parse(&campaign.bands).map_err(|e| StoreError::Invalid(format!("bands: {e}")))?;
    type FinalRow = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
    );
    // One query for every sheet and final value of the campaign (sheets without a value come
    // back once with NULLs, so they are ranked too).
    let rows: Vec<FinalRow> = with_db_read!(db, pool => sqlx::query_as(
        "SELECT s.id, s.unit_id, u.code, u.name, u.region, s.framework_id, f.node_id, f.points \
         FROM sheets s JOIN org_units u ON u.id = s.unit_id \
         LEFT JOIN final_scores f ON f.sheet_id = s.id \
         WHERE s.campaign_id = $1 ORDER BY s.id")
        .bind(campaign.id)
        .fetch_all(pool)
        .await?);
    let participants = campaigns::units(db, campaign.id).await?;
    let mut groups = Vec::new();
    for group in campaigns::frameworks(db, campaign.id).await? {
        let stored = frameworks::load(db, group.framework_id).await?;
        let index = node_index(&stored);
        let framework = &stored.framework;
        let members: Vec<i64> = participants
            .iter()
            .filter(|u| u.unit_group == group.unit_group)
            .map(|u| u.unit_id)
            .collect();
        let mut units: BTreeMap<i64, UnitFinals> = BTreeMap::new();
        for (_, unit_id, code, name, region, framework_id, node, points) in &rows {
            if *framework_id != group.framework_id || !members.contains(unit_id) {
                continue;
            }
            let unit = units
                .entry(*unit_id)
                .or_insert_with(|| (code.clone(), name.clone(), region.clone(), Vec::new()));
            if let (Some(node), Some(points)) = (node, points)
                && let Some(&leaf) = index.get(node)
            {
                unit.3.push((leaf, Points::from_ten_thousandths(*points)));
            }
        }
        let mut inputs = Vec::new();
        for (unit_id, (_, _, region, values)) in &units {
            inputs.push(
                rules::unit_input(
                    framework,
                    &unit_id.to_string(),
                    region.clone(),
                    values.clone(),
                )
                .map_err(|e| StoreError::Invalid(format!("unit {unit_id}: {e}")))?,
            );
        }
        let evaluation = evaluate(framework, inputs, &bands);
        let mut published: Vec<PublishedUnit> = evaluation
            .units
            .iter()
            .map(|outcome| {
                let unit_id: i64 = outcome.code.parse().unwrap_or_default();
                let (code, name, region, _) = &units[&unit_id];
                PublishedUnit {
                    unit_id,
                    unit_code: code.clone(),
                    unit_name: name.clone(),
                    region: region.clone(),
                    points: outcome.points.points,
                    tree_points: outcome.points.tree_points,
                    bonus: outcome.points.bonus,
                    penalty: outcome.points.penalty,
                    index: outcome.index,
                    index_hundredths: outcome.index_hundredths,
                    rank: outcome.rank,
                    region_rank: outcome.group_rank,
                    classification: outcome.classification.clone(),
                    areas: outcome
                        .areas
                        .iter()
                        .map(|area| PublishedArea {
                            code: framework.node(area.node).code.clone(),
                            title: framework.node(area.node).title.clone(),
                            points: area.points,
                            max_points: area.max_points,
                            index: area.index,
                            rank: area.rank,
                        })
                        .collect(),
                    missing: outcome
                        .points
                        .missing
                        .iter()
                        .map(|&leaf| framework.node(leaf).code.clone())
                        .collect(),
                }
            })
            .collect();
        // The engine keys units by id; ties read in unit-code order (interchange.md §4).
        published.sort_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then_with(|| a.unit_code.cmp(&b.unit_code))
        });
        groups.push(PublishedGroup {
            unit_group: group.unit_group.clone(),
            framework_id: group.framework_id,
            framework_code: group.framework_code.clone(),
            framework_title: framework.display_title(),
            sample: framework.meta.sample,
            max_points: framework.max_points(),
            units: published,
        });
    }
    Ok(PublishedResults {
        campaign_id: campaign.id,
        year: campaign.year,
        title: campaign.title.clone(),
        bands: campaign.bands.clone(),
        published_at: Utc::now(),
        published_by: published_by.to_string(),
        groups,
    })
}

/// The secretariat publishes a finalized campaign: the engine's results are stored as a
/// snapshot and the campaign moves to published, in one transaction.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    reason: Option<&str>,
) -> Result<PublishedResults, StoreError> {
    let campaign = campaigns::get(db, campaign_id).await?;
    rules::check_campaign_action(role, SheetAction::Publish, campaign.state()).map_err(invalid)?;
    let results = compute_results(db, &campaign, &actor.name).await?;
    let snapshot = serde_json::to_string(&results)
        .map_err(|e| StoreError::Invalid(format!("results do not serialise: {e}")))?;
    let units: usize = results.groups.iter().map(|g| g.units.len()).sum();
    in_transaction!(db, tx => {
        let moved = sqlx::query("UPDATE campaigns SET state = 'published', updated_at = $1 WHERE id = $2 AND state = 'finalized'")
            .bind(results.published_at)
            .bind(campaign_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict("the campaign changed state meanwhile".into()));
        }
        sqlx::query("INSERT INTO published_results (campaign_id, published_at, published_by, published_by_name, snapshot) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(campaign_id)
            .bind(results.published_at)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(&snapshot)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("transition", "campaign", campaign_id)
            .change("state", Some(CampaignState::Finalized.to_string()), Some(CampaignState::Published.to_string()))
            .campaign(campaign_id)).await?;
        tx.record(actor, &AuditEntry::new("publish", "campaign", campaign_id)
            .change("results", None, Some(format!("{units} units in {} group(s)", results.groups.len())))
            .reason(reason)
            .campaign(campaign_id)).await?;
        Ok(results)
    })
}

/// The published results of a campaign, if it has been published.
pub async fn published_results(
    db: &Db,
    campaign_id: i64,
) -> Result<Option<PublishedResults>, StoreError> {
    let snapshot: Option<String> = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT snapshot FROM published_results WHERE campaign_id = $1")
        .bind(campaign_id)
        .fetch_optional(pool)
        .await?);
    snapshot
        .map(|s| {
            serde_json::from_str(&s)
                .map_err(|e| StoreError::Invalid(format!("stored results: {e}")))
        })
        .transpose()
}

/// The history of one leaf of a sheet, oldest first: every score, comment, explanation,
/// answer and evidence change at every stage (fields as written by [`stage_field`]).
pub async fn leaf_history(
    db: &Db,
    sheet_id: i64,
    node_id: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let sheet = get_sheet(db, sheet_id).await?;
    const SQL: &str = "SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, field, old_value, \
         new_value, reason, campaign_id, unit_id FROM audit_log \
         WHERE entity_type = 'leaf' AND entity_id = $1 AND campaign_id = $2 AND unit_id = $3 ORDER BY id";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, AuditRecord>(SQL)
        .bind(node_id)
        .bind(sheet.campaign_id)
        .bind(sheet.unit_id)
        .fetch_all(pool)
        .await?),
    )
}

/// One line of the secretariat's progress table: a participating unit and its sheet.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ProgressRow {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_group: String,
    /// `None` while the unit has no sheet yet.
    pub sheet_id: Option<i64>,
    pub status: Option<String>,
    pub current_round: Option<i64>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub leaves_total: Option<i64>,
    pub leaves_filled: Option<i64>,
    pub missing_evidence: Option<i64>,
    pub unexplained: Option<i64>,
    pub self_total: Option<i64>,
    pub appraised_total: Option<i64>,
    pub round_leaves: Option<i64>,
    pub round_reviewed: Option<i64>,
    pub flagged: Option<i64>,
    pub answered: Option<i64>,
    pub self_assessment_deadline: Option<NaiveDate>,
    pub explanation_deadline: Option<NaiveDate>,
    pub self_extension: Option<NaiveDate>,
    pub explanation_extension: Option<NaiveDate>,
    /// Filled by [`progress`], not read from the database.
    #[sqlx(skip)]
    pub late: bool,
    #[sqlx(skip)]
    pub explanation_late: bool,
}

impl ProgressRow {
    pub fn status(&self) -> Option<SheetStatus> {
        self.status.as_deref().and_then(SheetStatus::parse)
    }

    /// Filled leaves in % of the leaves that need points.
    pub fn completion_percent(&self) -> f64 {
        match (self.leaves_filled, self.leaves_total) {
            (Some(filled), Some(total)) if total > 0 => filled as f64 * 100.0 / total as f64,
            _ => 0.0,
        }
    }

    pub fn self_total_points(&self) -> Points {
        Points::from_ten_thousandths(self.self_total.unwrap_or(0))
    }

    pub fn appraised_total_points(&self) -> Points {
        Points::from_ten_thousandths(self.appraised_total.unwrap_or(0))
    }
}

/// The secretariat's progress table of a campaign, one row per participating unit, in one
/// query: status, leaves filled of total, missing evidence, lateness (against `today`, a
/// Vietnamese calendar day), appraisal progress, self-assessed vs appraised totals.
pub async fn progress(
    db: &Db,
    campaign_id: i64,
    today: NaiveDate,
) -> Result<Vec<ProgressRow>, StoreError> {
    const SQL: &str = "SELECT u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, cf.unit_group, \
         s.id AS sheet_id, s.status, s.current_round, s.submitted_at, s.leaves_total, s.leaves_filled, \
         s.missing_evidence, s.unexplained, s.self_total, s.appraised_total, s.round_leaves, s.round_reviewed, \
         s.flagged, s.answered, c.self_assessment_deadline, c.explanation_deadline, \
         es.valid_until AS self_extension, ee.valid_until AS explanation_extension \
         FROM campaign_units cu \
         JOIN org_units u ON u.id = cu.unit_id \
         JOIN campaign_frameworks cf ON cf.id = cu.campaign_framework_id \
         JOIN campaigns c ON c.id = cu.campaign_id \
         LEFT JOIN sheets s ON s.campaign_id = cu.campaign_id AND s.unit_id = cu.unit_id \
         LEFT JOIN extensions es ON es.campaign_id = cu.campaign_id AND es.unit_id = cu.unit_id AND es.stage = 'self_assessment' \
         LEFT JOIN extensions ee ON ee.campaign_id = cu.campaign_id AND ee.unit_id = cu.unit_id AND ee.stage = 'explanation' \
         WHERE cu.campaign_id = $1 ORDER BY cf.unit_group, u.code";
    let mut rows = with_db_read!(db, pool => sqlx::query_as::<_, ProgressRow>(SQL)
        .bind(campaign_id)
        .fetch_all(pool)
        .await?);
    for row in &mut rows {
        let status = row.status().unwrap_or(SheetStatus::Draft);
        // Late: submitted after the deadline (an extension lets it in, it is still late), or
        // not submitted and the deadline has passed.
        row.late = match (row.self_assessment_deadline, row.submitted_at) {
            (Some(deadline), Some(at)) => (at + Duration::hours(7)).date_naive() > deadline,
            (Some(deadline), None) => status == SheetStatus::Draft && today > deadline,
            _ => false,
        };
        row.explanation_late = status == SheetStatus::ExplanationRequested
            && row.explanation_deadline.is_some_and(|d| today > d);
    }
    Ok(rows)
}

/// The summary figures of a stored sheet, as the rules compute them now.
pub fn summary_of(sheet: &SheetRow) -> SheetSummary {
    SheetSummary {
        leaves_total: sheet.leaves_total as u32,
        leaves_filled: sheet.leaves_filled as u32,
        missing_evidence: sheet.missing_evidence as u32,
        unexplained: sheet.unexplained as u32,
        self_total: sheet.self_total_points(),
        appraised_total: sheet.appraised_total_points(),
        round_leaves: sheet.round_leaves as u32,
        round_reviewed: sheet.round_reviewed as u32,
        flagged: sheet.flagged as u32,
        answered: sheet.answered as u32,
    }
}
