//! Read models for the web screens that the workflow module does not provide: the
//! sheets a unit's people work on (one query for the list page), and the evidence files a unit
//! has already uploaded (to link one file to several leaves without uploading it again).

use chiso_domain::assessment::SheetStatus;
use chiso_domain::campaign::CampaignState;
use chrono::{DateTime, NaiveDate, Utc};

use crate::db::Db;
use crate::error::StoreError;
use crate::with_db_read;

/// A sheet of one of the user's units, with what the list page shows beside it: the campaign,
/// the unit and the unit's extensions.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct UnitSheetRow {
    pub sheet_id: i64,
    #[sqlx(try_from = "String")]
    pub status: SheetStatus,
    pub current_round: i64,
    pub submitted_at: Option<DateTime<Utc>>,
    pub leaves_total: i64,
    pub leaves_filled: i64,
    pub missing_evidence: i64,
    pub unexplained: i64,
    /// Ten-thousandths.
    pub self_total: i64,
    pub flagged: i64,
    pub answered: i64,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub campaign_year: i64,
    #[sqlx(try_from = "String")]
    pub campaign_state: CampaignState,
    pub self_assessment_deadline: Option<NaiveDate>,
    pub explanation_deadline: Option<NaiveDate>,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// The last day of the unit's extension for each stage, if it has one.
    pub self_extension: Option<NaiveDate>,
    pub explanation_extension: Option<NaiveDate>,
}

/// The sheets of a set of units in campaigns that are not drafts (a draft campaign has no
/// sheets), newest campaign first, then by unit code: one query whatever the number of units.
pub async fn unit_sheets(db: &Db, unit_ids: &[i64]) -> Result<Vec<UnitSheetRow>, StoreError> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=unit_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT s.id AS sheet_id, s.status, s.current_round, s.submitted_at, s.leaves_total, s.leaves_filled, \
         s.missing_evidence, s.unexplained, s.self_total, s.flagged, s.answered, \
         c.id AS campaign_id, c.title AS campaign_title, c.year AS campaign_year, c.state AS campaign_state, \
         c.self_assessment_deadline, c.explanation_deadline, \
         u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, \
         es.valid_until AS self_extension, ee.valid_until AS explanation_extension \
         FROM sheets s \
         JOIN campaigns c ON c.id = s.campaign_id \
         JOIN org_units u ON u.id = s.unit_id \
         LEFT JOIN extensions es ON es.campaign_id = s.campaign_id AND es.unit_id = s.unit_id AND es.stage = 'self_assessment' \
         LEFT JOIN extensions ee ON ee.campaign_id = s.campaign_id AND ee.unit_id = s.unit_id AND ee.stage = 'explanation' \
         WHERE s.unit_id IN ({}) AND c.state <> 'draft' \
         ORDER BY c.year DESC, c.id DESC, u.code",
        placeholders.join(", ")
    );
    Ok(with_db_read!(db, pool => {
        let mut query = sqlx::query_as::<_, UnitSheetRow>(&sql);
        for id in unit_ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await?
    }))
}

/// An evidence file a unit has already attached somewhere, as the unit named it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct UnitFile {
    pub file_id: i64,
    /// The name of its latest link (a unit may have renamed nothing: it is the upload's name).
    pub file_name: String,
    pub size: i64,
    pub content_type: String,
    pub last_linked_at: DateTime<Utc>,
}

/// The files linked to any sheet of a unit, each once, most recently linked first. Only these
/// may be linked again by the unit: a file id typed by hand that the unit never attached is
/// not the unit's to link (it could belong to another unit).
pub async fn unit_files(db: &Db, unit_id: i64) -> Result<Vec<UnitFile>, StoreError> {
    const SQL: &str = "SELECT f.id AS file_id, \
         (SELECT l2.file_name FROM evidence_links l2 JOIN sheets s2 ON s2.id = l2.sheet_id \
          WHERE l2.file_id = f.id AND s2.unit_id = $1 ORDER BY l2.linked_at DESC, l2.id DESC LIMIT 1) AS file_name, \
         f.size, f.content_type, MAX(l.linked_at) AS last_linked_at \
         FROM evidence_files f \
         JOIN evidence_links l ON l.file_id = f.id \
         JOIN sheets s ON s.id = l.sheet_id \
         WHERE s.unit_id = $1 \
         GROUP BY f.id, f.size, f.content_type \
         ORDER BY MAX(l.linked_at) DESC, f.id DESC";
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, UnitFile>(SQL)
        .bind(unit_id)
        .fetch_all(pool)
        .await?))
}
