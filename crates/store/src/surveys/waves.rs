//! Waves.

use super::*;

/// A wave as stored, with its questionnaire's code and version.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct WaveRow {
    pub id: i64,
    pub campaign_id: Option<i64>,
    pub questionnaire_id: i64,
    pub questionnaire_code: String,
    pub questionnaire_version: i64,
    pub title: String,
    pub period_year: i64,
    pub period_quarter: Option<i64>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    pub state: WaveState,
    pub margin_e: f64,
    pub duplicate_window_seconds: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WaveRow {
    pub fn state(&self) -> WaveState {
        self.state
    }

    /// Whether the wave takes answers on `today` (the rule is [`wave::takes_answers`]).
    pub fn takes_answers(&self, today: NaiveDate) -> Result<(), WaveClosed> {
        wave::takes_answers(self.state, self.opens_on, self.closes_on, today)
    }
}

/// The fields of a wave an operator sets.
#[derive(Clone, Debug, PartialEq)]
pub struct WaveFields {
    pub campaign_id: Option<i64>,
    pub questionnaire_id: i64,
    pub title: String,
    pub period_year: i64,
    pub period_quarter: Option<i64>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    /// e of n = N / (1 + N·e²); 0.05 in the pilot method.
    pub margin_e: f64,
    /// 0 turns duplicate flagging off.
    pub duplicate_window_seconds: i64,
}

impl WaveFields {
    /// A wave with the pilot method's e = 0.05 and a 10-minute duplicate window.
    pub fn new(questionnaire_id: i64, title: &str, period_year: i64) -> WaveFields {
        WaveFields {
            campaign_id: None,
            questionnaire_id,
            title: title.to_string(),
            period_year,
            period_quarter: None,
            opens_on: None,
            closes_on: None,
            margin_e: 0.05,
            duplicate_window_seconds: 600,
        }
    }

    fn check(&self) -> Result<(), WaveFieldRefusal> {
        if self.title.trim().is_empty() {
            return Err(WaveFieldRefusal::TitleEmpty);
        }
        if !WAVE_YEARS.contains(&self.period_year) {
            return Err(WaveFieldRefusal::YearOutOfRange {
                year: self.period_year,
            });
        }
        if let Some(quarter) = self.period_quarter
            && !(1..=4).contains(&quarter)
        {
            return Err(WaveFieldRefusal::QuarterOutOfRange { quarter });
        }
        if let (Some(opens), Some(closes)) = (self.opens_on, self.closes_on)
            && closes < opens
        {
            return Err(WaveFieldRefusal::ClosesBeforeOpens { opens, closes });
        }
        if !(self.margin_e > 0.0 && self.margin_e < 1.0) {
            return Err(WaveFieldRefusal::MarginOutOfRange {
                margin: self.margin_e,
            });
        }
        if self.duplicate_window_seconds < 0 {
            return Err(WaveFieldRefusal::DuplicateWindowNegative {
                seconds: self.duplicate_window_seconds,
            });
        }
        Ok(())
    }
}

pub(super) const WAVE_COLUMNS: &str = "w.id, w.campaign_id, w.questionnaire_id, q.code AS questionnaire_code, \
     q.version AS questionnaire_version, w.title, w.period_year, w.period_quarter, w.opens_on, w.closes_on, \
     w.state, w.margin_e, w.duplicate_window_seconds, w.created_at, w.updated_at";

/// Creates a draft wave.
pub async fn create_wave(db: &Db, actor: &Actor, fields: &WaveFields) -> Result<i64, StoreError> {
    fields.check().map_err(SurveyRefusal::from)?;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO waves (campaign_id, questionnaire_id, title, period_year, period_quarter, opens_on, closes_on, \
             state, margin_e, duplicate_window_seconds, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $10, $10) RETURNING id")
            .bind(fields.campaign_id)
            .bind(fields.questionnaire_id)
            .bind(fields.title.trim())
            .bind(fields.period_year)
            .bind(fields.period_quarter)
            .bind(fields.opens_on)
            .bind(fields.closes_on)
            .bind(fields.margin_e)
            .bind(fields.duplicate_window_seconds)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let mut entry = AuditEntry::new("create", "wave", id)
            .change("wave", None, Some(format!("{} ({})", fields.title.trim(), fields.period_year)));
        entry.campaign_id = fields.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(id)
    })
}

pub async fn get_wave(db: &Db, id: i64) -> Result<WaveRow, StoreError> {
    let sql = format!(
        "SELECT {WAVE_COLUMNS} FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id WHERE w.id = $1"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, WaveRow>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// Every wave, newest period first.
pub async fn list_waves(db: &Db) -> Result<Vec<WaveRow>, StoreError> {
    let sql = format!(
        "SELECT {WAVE_COLUMNS} FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id \
         ORDER BY w.period_year DESC, w.period_quarter DESC, w.id DESC"
    );
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, WaveRow>(&sql).fetch_all(pool).await?))
}

/// Opens a draft or closed wave (it needs at least one unit), audited.
pub async fn open_wave(db: &Db, actor: &Actor, id: i64) -> Result<(), StoreError> {
    transition_wave(db, actor, id, WaveState::Open).await
}

/// Closes an open wave, audited.
pub async fn close_wave(db: &Db, actor: &Actor, id: i64) -> Result<(), StoreError> {
    transition_wave(db, actor, id, WaveState::Closed).await
}

async fn transition_wave(db: &Db, actor: &Actor, id: i64, to: WaveState) -> Result<(), StoreError> {
    let wave = get_wave(db, id).await?;
    let state = wave.state;
    if !state.next_states().contains(&to) {
        return Err(WaveTransitionError::NotAllowed { from: state, to }.into());
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wave_units WHERE wave_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        wave::check_transition(state, to, units as usize)?;
        let moved = sqlx::query("UPDATE waves SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(id)
            .bind(state.as_str())
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(SurveyRefusal::WaveChangedMeanwhile.into());
        }
        let mut entry = AuditEntry::new("transition", "wave", id)
            .change("state", Some(state.as_str().to_string()), Some(to.as_str().to_string()));
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Units of a wave

/// A unit of a wave with its declared transactions, target sample, short link and the counted
/// responses so far (from the counters).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct WaveUnitRow {
    pub wave_id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub transactions: Option<i64>,
    pub target_sample: Option<i64>,
    pub slug: String,
    pub responses: i64,
    pub flagged: i64,
}

impl WaveUnitRow {
    /// Whether the counted responses are below the target sample (a warning on the results).
    pub fn below_target(&self) -> bool {
        self.target_sample.is_some_and(|n| self.responses < n)
    }
}

/// Adds units to a wave or changes their declared transactions N (target n recomputed from
/// the wave's e), one audit row per change. Units already there keep their short link.
pub async fn set_units(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    units: &[(i64, Option<i64>)],
) -> Result<(), StoreError> {
    let wave = get_wave(db, wave_id).await?;
    if let Some(&(_, Some(transactions))) = units.iter().find(|(_, n)| n.is_some_and(|n| n < 0)) {
        return Err(SurveyRefusal::TransactionsNegative { transactions }.into());
    }
    in_transaction!(db, tx => {
        for &(unit_id, transactions) in units {
            let target = transactions.map(|n| target_sample(n, wave.margin_e));
            let old: Option<(Option<i64>,)> = sqlx::query_as(
                "SELECT transactions FROM wave_units WHERE wave_id = $1 AND unit_id = $2")
                .bind(wave_id)
                .bind(unit_id)
                .fetch_optional(&mut *tx)
                .await?;
            let mut entry = AuditEntry::new("update", "wave", wave_id).unit(Some(unit_id));
            entry.campaign_id = wave.campaign_id;
            match old {
                Some((before,)) if before == transactions => continue,
                Some((before,)) => {
                    sqlx::query("UPDATE wave_units SET transactions = $1, target_sample = $2 WHERE wave_id = $3 AND unit_id = $4")
                        .bind(transactions)
                        .bind(target)
                        .bind(wave_id)
                        .bind(unit_id)
                        .execute(&mut *tx)
                        .await?;
                    tx.record(actor, &entry.change("transactions",
                        before.map(|n| n.to_string()), transactions.map(|n| n.to_string()))).await?;
                }
                None => {
                    // A clashing random slug is retried: 40 bits make it rare, never fatal.
                    let mut added = false;
                    for _ in 0..5 {
                        let slug = random_code(SLUG_LEN);
                        let taken: Option<i64> = sqlx::query_scalar("SELECT wave_id FROM wave_units WHERE slug = $1")
                            .bind(&slug)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if taken.is_some() {
                            continue;
                        }
                        sqlx::query("INSERT INTO wave_units (wave_id, unit_id, transactions, target_sample, slug) VALUES ($1, $2, $3, $4, $5)")
                            .bind(wave_id)
                            .bind(unit_id)
                            .bind(transactions)
                            .bind(target)
                            .bind(&slug)
                            .execute(&mut *tx)
                            .await?;
                        added = true;
                        break;
                    }
                    if !added {
                        return Err(SurveyRefusal::NoFreeShortLink.into());
                    }
                    tx.record(actor, &entry.change("unit", None,
                        Some(transactions.map(|n| format!("N = {n}")).unwrap_or_default()))).await?;
                }
            }
        }
        Ok(())
    })
}

/// Removes a unit from a wave; refused once it has responses.
pub async fn remove_unit(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    unit_id: i64,
) -> Result<(), StoreError> {
    let wave = get_wave(db, wave_id).await?;
    in_transaction!(db, tx => {
        let has: Option<i64> = sqlx::query_scalar("SELECT id FROM responses WHERE wave_id = $1 AND unit_id = $2 LIMIT 1")
            .bind(wave_id)
            .bind(unit_id)
            .fetch_optional(&mut *tx)
            .await?;
        if has.is_some() {
            return Err(SurveyRefusal::UnitHasResponses.into());
        }
        sqlx::query("DELETE FROM survey_tokens WHERE wave_id = $1 AND unit_id = $2")
            .bind(wave_id)
            .bind(unit_id)
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query("DELETE FROM wave_units WHERE wave_id = $1 AND unit_id = $2")
            .bind(wave_id)
            .bind(unit_id)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut entry = AuditEntry::new("update", "wave", wave_id).unit(Some(unit_id))
            .change("unit", Some(unit_id.to_string()), None);
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })
}

/// The units of a wave in code order.
pub async fn wave_units(db: &Db, wave_id: i64) -> Result<Vec<WaveUnitRow>, StoreError> {
    const SQL: &str = "SELECT wu.wave_id, wu.unit_id, u.code AS unit_code, u.name AS unit_name, wu.transactions, \
         wu.target_sample, wu.slug, \
         CAST(COALESCE((SELECT SUM(rs.n) FROM response_stats rs WHERE rs.wave_id = wu.wave_id AND rs.unit_id = wu.unit_id), 0) AS BIGINT) AS responses, \
         CAST(COALESCE((SELECT SUM(rs.flagged) FROM response_stats rs WHERE rs.wave_id = wu.wave_id AND rs.unit_id = wu.unit_id), 0) AS BIGINT) AS flagged \
         FROM wave_units wu JOIN org_units u ON u.id = wu.unit_id WHERE wu.wave_id = $1 ORDER BY u.code, u.id";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, WaveUnitRow>(SQL).bind(wave_id).fetch_all(pool).await?),
    )
}

/// The wave and unit of a short link.
pub async fn find_slug(db: &Db, slug: &str) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT wave_id, unit_id FROM wave_units WHERE slug = $1")
        .bind(slug.trim().to_lowercase())
        .fetch_optional(pool)
        .await?))
}
