//! Read models for the web screens that the workflow module does not provide: the
//! appraisal council's list of sheets with their units, and the per-leaf marks of a round
//! that tell which leaves a round reviews and which it has reviewed. Each is one query for a
//! whole campaign, so a page never loops over units (engineering guide §7: no N+1).

use chiso_domain::assessment::SheetStatus;
use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::error::StoreError;
use crate::with_db_read;

/// A sheet of a campaign with its unit, as the council's lists show it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct CouncilSheet {
    pub sheet_id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// The campaign group the unit takes part in (`department`, `commune`…); empty when the
    /// unit has left the campaign's groups since its sheet was made.
    pub unit_group: String,
    pub framework_id: i64,
    #[sqlx(try_from = "String")]
    pub status: SheetStatus,
    pub current_round: i64,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Ten-thousandths, like every stored number of points.
    pub self_total: i64,
    pub appraised_total: i64,
    pub round_leaves: i64,
    pub round_reviewed: i64,
    pub flagged: i64,
    pub answered: i64,
    pub version: i64,
}

/// Every sheet of a campaign that has left the draft stage (the council never sees drafts),
/// with its unit's code, name and group, by group then unit code.
pub async fn council_sheets(db: &Db, campaign_id: i64) -> Result<Vec<CouncilSheet>, StoreError> {
    const SQL: &str = "SELECT s.id AS sheet_id, s.campaign_id, s.unit_id, u.code AS unit_code, \
         u.name AS unit_name, COALESCE(cf.unit_group, '') AS unit_group, s.framework_id, s.status, \
         s.current_round, s.submitted_at, s.self_total, s.appraised_total, s.round_leaves, \
         s.round_reviewed, s.flagged, s.answered, s.version \
         FROM sheets s JOIN org_units u ON u.id = s.unit_id \
         LEFT JOIN campaign_units cu ON cu.campaign_id = s.campaign_id AND cu.unit_id = s.unit_id \
         LEFT JOIN campaign_frameworks cf ON cf.id = cu.campaign_framework_id \
         WHERE s.campaign_id = $1 AND s.status <> 'draft' \
         ORDER BY COALESCE(cf.unit_group, ''), u.code";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, CouncilSheet>(SQL)
        .bind(campaign_id)
        .fetch_all(pool)
        .await?),
    )
}

/// That a leaf of a sheet has a row at an appraisal stage: the appraiser reviewed it in that
/// round, and may have flagged it for explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RoundMark {
    pub sheet_id: i64,
    pub node_id: i64,
    pub stage: i64,
    pub explanation_requested: bool,
}

/// The marks of round `round` and of the round before it (whose flags decide which leaves
/// round `round` re-scores) for every sheet of a campaign, in one query.
pub async fn round_marks(
    db: &Db,
    campaign_id: i64,
    round: i64,
) -> Result<Vec<RoundMark>, StoreError> {
    const SQL: &str = "SELECT ls.sheet_id, ls.node_id, ls.stage, ls.explanation_requested \
         FROM leaf_scores ls JOIN sheets s ON s.id = ls.sheet_id \
         WHERE s.campaign_id = $1 AND ls.stage >= 1 AND ls.stage IN ($2, $3) \
         ORDER BY ls.sheet_id, ls.node_id, ls.stage";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, RoundMark>(SQL)
        .bind(campaign_id)
        .bind(round - 1)
        .bind(round)
        .fetch_all(pool)
        .await?),
    )
}
