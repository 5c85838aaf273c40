//! Single responses of a wave: read in pages for the export and the staff's browsing (a
//! slice by units, services, channels, time and status), and excluded from the index or
//! restored, with the counters moved in the same transaction by the one counting code
//! ([`Tally`], the survey crate's `Counts::add_packed`) and an audit row with the reason.
//!
//! An excluded response is kept (`excluded_at`, `excluded_reason`, `excluded_by`) and counts
//! nowhere: neither in the counters nor in `flagged`; [`recompute_counters`] leaves it out as
//! well. Excluding a response flagged as a look-alike takes it out of `flagged`; restoring it
//! puts it back where its flag says.

use super::submit::{RAW_COLUMNS, RawResponse, SurveyWrites};
use super::*;

/// Which of a wave's responses: every filter left empty selects everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseFilter {
    /// `None`: every unit; `Some(empty)`: none (a reader whose scope holds no unit).
    pub units: Option<Vec<i64>>,
    /// Wave services by id; `0` selects the responses that name no service.
    pub services: Vec<i64>,
    /// Channels in stored form.
    pub channels: Vec<String>,
    /// Submitted at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Submitted before this instant.
    pub until: Option<DateTime<Utc>>,
    pub status: ResponseStatus,
}

/// Which responses by how they count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResponseStatus {
    #[default]
    All,
    /// Those the index counts: neither flagged as a look-alike nor excluded.
    Counted,
    /// Flagged as look-alikes (and not excluded).
    Flagged,
    Excluded,
}

impl ResponseStatus {
    pub const ALL: [ResponseStatus; 4] = [
        ResponseStatus::All,
        ResponseStatus::Counted,
        ResponseStatus::Flagged,
        ResponseStatus::Excluded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseStatus::All => "all",
            ResponseStatus::Counted => "counted",
            ResponseStatus::Flagged => "flagged",
            ResponseStatus::Excluded => "excluded",
        }
    }

    pub fn parse(text: &str) -> Option<ResponseStatus> {
        ResponseStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One stored response with the names the export and the pages show.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ResponseRecord {
    pub id: i64,
    pub wave_id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub service_id: Option<i64>,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub channel: String,
    pub respondent_id: Option<String>,
    pub weight: f64,
    pub answers: Vec<u8>,
    pub demographics: Option<Vec<u8>>,
    pub expectations: Option<Vec<u8>>,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub flagged_duplicate: bool,
    pub excluded_at: Option<DateTime<Utc>>,
    pub excluded_reason: Option<String>,
    pub excluded_by: Option<String>,
}

impl ResponseRecord {
    pub fn is_excluded(&self) -> bool {
        self.excluded_at.is_some()
    }

    /// Whether the index counts it.
    pub fn is_counted(&self) -> bool {
        !self.flagged_duplicate && !self.is_excluded()
    }
}

const RECORD_COLUMNS: &str = "r.id, r.wave_id, r.unit_id, u.code AS unit_code, u.name AS unit_name, r.service_id, \
     s.code AS service_code, s.name AS service_name, r.channel, r.respondent_id, r.weight, r.answers, r.demographics, \
     r.expectations, r.comment, r.submitted_at, r.flagged_duplicate, r.excluded_at, r.excluded_reason, r.excluded_by \
     FROM responses r JOIN org_units u ON u.id = r.unit_id LEFT JOIN wave_services s ON s.id = r.service_id";

/// A value bound to the filter's SQL.
enum Param<'a> {
    Id(i64),
    Text(&'a str),
    At(DateTime<Utc>),
}

/// The `WHERE` of a filter (after `r.wave_id = $1`), numbering its parameters from `next`.
fn where_sql<'a>(filter: &'a ResponseFilter, next: &mut usize) -> (String, Vec<Param<'a>>) {
    let mut sql = String::new();
    let mut params = Vec::new();
    let mut list = |sql: &mut String, column: &str, values: Vec<Param<'a>>| {
        if values.is_empty() {
            sql.push_str(&format!(" AND {column} IN (NULL)"));
            return;
        }
        let marks: Vec<String> = (0..values.len())
            .map(|i| format!("${}", *next + i))
            .collect();
        *next += values.len();
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
        params.extend(values);
    };
    if let Some(units) = &filter.units {
        list(
            &mut sql,
            "r.unit_id",
            units.iter().map(|&u| Param::Id(u)).collect(),
        );
    }
    if !filter.services.is_empty() {
        list(
            &mut sql,
            "COALESCE(r.service_id, 0)",
            filter.services.iter().map(|&s| Param::Id(s)).collect(),
        );
    }
    if !filter.channels.is_empty() {
        list(
            &mut sql,
            "r.channel",
            filter.channels.iter().map(|c| Param::Text(c)).collect(),
        );
    }
    for (bound, op) in [(filter.from, ">="), (filter.until, "<")] {
        if let Some(at) = bound {
            sql.push_str(&format!(" AND r.submitted_at {op} ${}", *next));
            *next += 1;
            params.push(Param::At(at));
        }
    }
    sql.push_str(match filter.status {
        ResponseStatus::All => "",
        ResponseStatus::Counted => " AND NOT r.flagged_duplicate AND r.excluded_at IS NULL",
        ResponseStatus::Flagged => " AND r.flagged_duplicate AND r.excluded_at IS NULL",
        ResponseStatus::Excluded => " AND r.excluded_at IS NOT NULL",
    });
    (sql, params)
}

macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                Param::Id(v) => query.bind(*v),
                Param::Text(v) => query.bind(*v),
                Param::At(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// At most `limit` responses of the slice with an id above `after`, in id order: the pages
/// an export streams (each page is one indexed range read, memory bounded by the page).
pub async fn responses_after(
    db: &Db,
    wave_id: i64,
    filter: &ResponseFilter,
    after: i64,
    limit: i64,
) -> Result<Vec<ResponseRecord>, StoreError> {
    let mut next = 3;
    let (filters, params) = where_sql(filter, &mut next);
    let sql = format!(
        "SELECT {RECORD_COLUMNS} WHERE r.wave_id = $1 AND r.id > $2{filters} ORDER BY r.id LIMIT ${next}"
    );
    Ok(with_db_read!(db, pool => {
        let query = sqlx::query_as::<_, ResponseRecord>(&sql).bind(wave_id).bind(after);
        bind_all!(query, &params).bind(limit).fetch_all(pool).await?
    }))
}

/// One page of the slice for the browsing screen, newest first.
pub async fn responses_page(
    db: &Db,
    wave_id: i64,
    filter: &ResponseFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<ResponseRecord>, StoreError> {
    let mut next = 2;
    let (filters, params) = where_sql(filter, &mut next);
    let sql = format!(
        "SELECT {RECORD_COLUMNS} WHERE r.wave_id = $1{filters} ORDER BY r.id DESC LIMIT ${} OFFSET ${}",
        next,
        next + 1
    );
    Ok(with_db_read!(db, pool => {
        let query = sqlx::query_as::<_, ResponseRecord>(&sql).bind(wave_id);
        bind_all!(query, &params).bind(limit).bind(offset).fetch_all(pool).await?
    }))
}

/// How many responses the slice holds.
pub async fn count_responses(
    db: &Db,
    wave_id: i64,
    filter: &ResponseFilter,
) -> Result<i64, StoreError> {
    let mut next = 2;
    let (filters, params) = where_sql(filter, &mut next);
    let sql = format!("SELECT COUNT(*) FROM responses r WHERE r.wave_id = $1{filters}");
    Ok(with_db_read!(db, pool => {
        let query = sqlx::query_scalar::<_, i64>(&sql).bind(wave_id);
        bind_all!(query, &params).fetch_one(pool).await?
    }))
}

/// A response of the wave by id (`NotFound` for another wave's).
pub async fn response_record(
    db: &Db,
    wave_id: i64,
    response_id: i64,
) -> Result<ResponseRecord, StoreError> {
    let sql = format!("SELECT {RECORD_COLUMNS} WHERE r.wave_id = $1 AND r.id = $2");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, ResponseRecord>(&sql)
        .bind(wave_id)
        .bind(response_id)
        .fetch_one(pool)
        .await?),
    )
}

/// The excluded responses of a wave per unit (units with none are left out).
pub async fn excluded_counts(db: &Db, wave_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT unit_id, COUNT(*) FROM responses WHERE wave_id = $1 AND excluded_at IS NOT NULL \
         GROUP BY unit_id ORDER BY unit_id")
        .bind(wave_id)
        .fetch_all(pool)
        .await?))
}

/// Excludes a response of the wave from the index (`reason` required) or restores it
/// (`reason` = `None`; an optional note goes to the audit row). The counters lose (or regain)
/// exactly what counting added for it, in the same transaction as the change and its audit
/// row. Excluding an excluded response, or restoring a counted one, changes nothing.
pub async fn set_excluded(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    response_id: i64,
    exclude: bool,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if exclude && reason.is_none() {
        return Err(SurveyRefusal::ExclusionReasonEmpty.into());
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let row: Option<RawResponse> = sqlx::query_as(&format!(
            "SELECT {RAW_COLUMNS} FROM responses WHERE id = $1 AND wave_id = $2"))
            .bind(response_id)
            .bind(wave_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(StoreError::NotFound) };
        let (was, campaign_id): (Option<String>, Option<i64>) = sqlx::query_as(
            "SELECT r.excluded_reason, w.campaign_id FROM responses r JOIN waves w ON w.id = r.wave_id WHERE r.id = $1")
            .bind(response_id)
            .fetch_one(&mut *tx)
            .await?;
        if was.is_some() == exclude {
            return Ok(());
        }
        let shape: String = sqlx::query_scalar(
            "SELECT q.shape FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id WHERE w.id = $1")
            .bind(wave_id)
            .fetch_one(&mut *tx)
            .await?;
        let shape = parse_shape(&shape)?;
        if exclude {
            sqlx::query("UPDATE responses SET excluded_at = $1, excluded_reason = $2, excluded_by = $3 WHERE id = $4")
                .bind(now)
                .bind(reason)
                .bind(&actor.name)
                .bind(response_id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE responses SET excluded_at = NULL, excluded_reason = NULL, excluded_by = NULL WHERE id = $1")
                .bind(response_id)
                .execute(&mut *tx)
                .await?;
        }
        // What counting added for it (its answers, or one `flagged`), taken away or put back.
        let mut tally = Tally::new(&shape);
        tally.add(row.unit_id, &row.channel, row.service_id, &row.packed(), row.flagged_duplicate);
        tx.upsert_tally(wave_id, &tally, if exclude { -1 } else { 1 }).await?;
        let (action, note) = if exclude { ("exclude_response", reason) } else { ("restore_response", reason.or(was.as_deref())) };
        let mut entry = AuditEntry::new(action, "survey_response", response_id)
            .unit(Some(row.unit_id))
            .reason(note);
        entry.campaign_id = campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })
}

/// Records who exported which responses of a wave (`what`: the format and the slice, in
/// words the audit log shows as they are).
pub async fn record_export(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    what: &str,
) -> Result<(), StoreError> {
    let wave = get_wave(db, wave_id).await?;
    in_transaction!(db, tx => {
        let mut entry = AuditEntry::new("export_responses", "wave", wave_id)
            .change("responses", None, Some(what.to_string()));
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })
}

/// Vietnam's offset from UTC (no daylight saving).
const VIETNAM: i32 = 7 * 3600;

impl ResponseRecord {
    /// When it was submitted, in Vietnam time, ISO 8601 with the offset
    /// (`2026-12-10T14:03:05+07:00`): the export's `submitted_at`.
    pub fn submitted_in_vietnam(&self) -> String {
        let offset = chrono::FixedOffset::east_opt(VIETNAM).expect("a valid offset");
        self.submitted_at
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }

    /// The row as the export writes it (`submitted_at` from [`Self::submitted_in_vietnam`]).
    pub fn record<'a>(&'a self, submitted_at: &'a str) -> chiso_survey::microdata::Record<'a> {
        chiso_survey::microdata::Record {
            response_id: self.id,
            unit_code: &self.unit_code,
            unit_name: &self.unit_name,
            respondent_id: self.respondent_id.as_deref(),
            channel: &self.channel,
            weight: self.weight,
            service_code: self.service_code.as_deref(),
            service_name: self.service_name.as_deref(),
            answers: &self.answers,
            demographics: self.demographics.as_deref().unwrap_or(&[]),
            expectations: self.expectations.as_deref().unwrap_or(&[]),
            comment: self.comment.as_deref(),
            submitted_at,
            flagged_duplicate: self.flagged_duplicate,
            excluded: self.excluded_reason.as_deref(),
        }
    }
}
