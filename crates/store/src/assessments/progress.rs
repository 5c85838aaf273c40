use super::*;

/// The history of one leaf of a sheet, oldest first: every score, comment, explanation,
/// answer and evidence change at every stage (fields as written by [`stage_field`]).
pub async fn leaf_history(
    db: &Db,
    sheet_id: i64,
    node_id: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let sheet = get_sheet(db, sheet_id).await?;
    let search = crate::audit::AuditSearch {
        filter: crate::audit::AuditFilter {
            entity_type: Some("leaf".into()),
            entity_id: Some(node_id),
            campaign_id: Some(sheet.campaign_id),
            ..Default::default()
        },
        unit_id: Some(sheet.unit_id),
        ..Default::default()
    };
    crate::audit::search_ascending(db, &search, None, 10_000).await
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
    /// The sheet's status as stored; decoded into [`ProgressRow::status`] by [`progress`].
    #[sqlx(rename = "status")]
    #[serde(skip)]
    stored_status: Option<String>,
    /// `None` while the unit has no sheet yet. Filled by [`progress`].
    #[sqlx(skip)]
    pub status: Option<SheetStatus>,
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
        self.status
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
        row.status = match row.stored_status.take() {
            None => None,
            Some(text) => Some(SheetStatus::try_from(text).map_err(|error| {
                StoreError::Db(sqlx::Error::ColumnDecode {
                    index: format!("status of sheet #{}", row.sheet_id.unwrap_or_default()),
                    source: Box::new(error),
                })
            })?),
        };
        let status = row.status.unwrap_or(SheetStatus::Draft);
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
