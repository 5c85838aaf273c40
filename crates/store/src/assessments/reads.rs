use super::*;

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
    const SQL: &str = "SELECT campaign_id, round_no, state, opened_at, opened_by_name, closed_at, closed_by_name, late_sheets \
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
                .map(|s| s.state)
                .unwrap_or(RoundPhase::NotOpened)
        })
        .collect()
}

/// The open round of a campaign, if any.
pub async fn open_round_of(db: &Db, campaign_id: i64) -> Result<Option<u32>, StoreError> {
    Ok(round_states(db, campaign_id)
        .await?
        .iter()
        .find(|s| s.state == RoundPhase::Open)
        .map(|s| s.round_no as u32))
}

pub(super) const EXTENSION_COLUMNS: &str =
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
/// Every extension of one unit in a campaign (self-assessment and explanation), in one read.
pub async fn unit_extensions(
    db: &Db,
    campaign_id: i64,
    unit_id: i64,
) -> Result<Vec<Extension>, StoreError> {
    let sql = format!(
        "SELECT {EXTENSION_COLUMNS} FROM extensions WHERE campaign_id = $1 AND unit_id = $2"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, Extension>(&sql)
        .bind(campaign_id)
        .bind(unit_id)
        .fetch_all(pool)
        .await?),
    )
}

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
