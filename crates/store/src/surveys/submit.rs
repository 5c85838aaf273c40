//! Submissions.

use super::*;

/// One response as submitted (public form, kiosk, typed-in paper form).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// `online`, `kiosk`, `paper` or another name, stored normalised.
    pub channel: Channel,
    /// One value per item in questionnaire order, 0 = blank.
    pub answers: Vec<u8>,
    /// One value per demographic question, 0 = blank; empty when not asked.
    pub demographics: Vec<u8>,
    /// The chosen expectation areas (1-based), at most the questionnaire's maximum.
    pub expectations: Vec<u8>,
    pub comment: Option<String>,
    /// The sampling weight, > 0 (1 by default).
    pub weight: f64,
    /// The submitting address (hashed with the wave before it is stored), for duplicate flags.
    pub source: Option<String>,
    pub device_id: Option<i64>,
    /// The wave service (administrative procedure) the answer is about, if any: one of the
    /// unit's services in the wave. A one-time token issued for a service brings its own.
    pub service_id: Option<i64>,
}

impl Response {
    /// A response packed by the survey codec (its respondent id and service code are
    /// resolved by the caller: see [`Identity`] and `service_id`).
    pub fn packed(channel: Channel, packed: &Packed<'_>) -> Response {
        Response {
            channel,
            answers: packed.answers.to_vec(),
            demographics: packed.demographics.to_vec(),
            expectations: packed.expectations.to_vec(),
            comment: packed.comment.map(str::to_string),
            weight: packed.weight,
            source: None,
            device_id: None,
            service_id: None,
        }
    }

    /// A response with only answers, weight 1.
    pub fn new(channel: Channel, answers: Vec<u8>) -> Response {
        Response {
            channel,
            answers,
            demographics: Vec::new(),
            expectations: Vec::new(),
            comment: None,
            weight: 1.0,
            source: None,
            device_id: None,
            service_id: None,
        }
    }
}

/// Who answers: a one-time token, or an optional respondent id (unique per unit and wave).
/// Ids are compared in their normal form
/// ([`normalize_respondent_id`](chiso_survey::normalize_respondent_id)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity<'a> {
    Token(&'a str),
    /// An id given by a kiosk, the one-stop-shop software, paper entry or an import: a
    /// dossier number the office issued.
    Respondent(Option<&'a str>),
    /// An id typed on the anonymous public form. It lives in a namespace of its own, so a
    /// visitor who types someone else's dossier number cannot block that person's answer.
    PublicRespondent(Option<&'a str>),
}

/// An accepted response: stored and committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub response_id: i64,
    /// Stored but set aside as a likely duplicate: not counted.
    pub flagged_duplicate: bool,
}

/// Why a submission was refused. Nothing was stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the survey does not exist")]
    UnknownWave,
    #[error("the survey is not open (it is {0})")]
    WaveNotOpen(WaveState),
    #[error("the survey opens on {0}")]
    NotYetOpen(NaiveDate),
    #[error("the survey closed on {0}")]
    AlreadyClosed(NaiveDate),
    #[error("the unit is not part of this survey")]
    UnitNotInWave,
    #[error("the service is not one of the unit's services in this survey")]
    UnknownService,
    #[error("the link is not valid")]
    UnknownToken,
    #[error("this link has already been answered")]
    TokenUsed,
    #[error("this respondent has already answered for this unit")]
    DuplicateRespondent,
    /// The response does not fit the questionnaire: the survey codec's reason.
    #[error("{0}")]
    Fault(chiso_survey::Fault),
    /// The packed response does not fit the stored questionnaire's shape (a caller that did
    /// not pack through the codec).
    #[error("{0}")]
    Shape(ShapeFault),
}

impl From<WaveClosed> for Refusal {
    fn from(closed: WaveClosed) -> Refusal {
        match closed {
            WaveClosed::NotOpen(state) => Refusal::WaveNotOpen(state),
            WaveClosed::NotYetOpen(day) => Refusal::NotYetOpen(day),
            WaveClosed::AlreadyClosed(day) => Refusal::AlreadyClosed(day),
        }
    }
}

/// What a submission needs of its wave and unit, read once per (wave, unit) and batch.
#[derive(sqlx::FromRow)]
pub(super) struct WaveCheck {
    #[sqlx(try_from = "String")]
    state: WaveState,
    opens_on: Option<NaiveDate>,
    closes_on: Option<NaiveDate>,
    duplicate_window_seconds: i64,
    shape: String,
    member: Option<i64>,
}

const WAVE_CHECK: &str = "SELECT w.state, w.opens_on, w.closes_on, w.duplicate_window_seconds, q.shape, \
     (SELECT wu.unit_id FROM wave_units wu WHERE wu.wave_id = w.id AND wu.unit_id = $2) AS member \
     FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id WHERE w.id = $1";

/// Whether the wave takes answers for the unit today (the shape is parsed apart, once per wave
/// and batch).
fn check_open(check: &WaveCheck, today: NaiveDate) -> Result<(), Refusal> {
    wave::takes_answers(check.state, check.opens_on, check.closes_on, today)?;
    if check.member.is_none() {
        return Err(Refusal::UnitNotInWave);
    }
    Ok(())
}

fn check_fields(response: &Response) -> Result<(String, Option<String>), Refusal> {
    if !(response.weight.is_finite() && response.weight > 0.0) {
        return Err(Refusal::Fault(chiso_survey::Fault::Weight {
            value: response.weight.to_string(),
            problem: chiso_survey::codec::WeightProblem::NotPositive,
        }));
    }
    let comment = response
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        return Err(Refusal::Fault(chiso_survey::Fault::CommentTooLong {
            max: MAX_COMMENT,
        }));
    }
    Ok((normalize_channel(response.channel.as_str()), comment))
}

/// A connection that takes survey writes: the connection of an open transaction on either
/// backend (like [`AuditSink`]). The SQL is the same on both.
pub(super) trait SurveyWrites {
    /// Adds (`sign` = 1) or takes away (`sign` = -1) counters: `n = n + excluded.n`.
    async fn upsert_tally(
        &mut self,
        wave_id: i64,
        tally: &Tally,
        sign: i64,
    ) -> Result<(), StoreError>;
    /// Inserts a batch of imported rows; returns which rows went in (a respondent id already
    /// stored for the unit is skipped by the unique index).
    async fn insert_import_rows(
        &mut self,
        wave_id: i64,
        import_id: i64,
        at: DateTime<Utc>,
        rows: &[PreparedRow],
    ) -> Result<Vec<bool>, StoreError>;
}

/// An import row checked and ready to insert.
#[derive(Clone, Debug)]
pub(super) struct PreparedRow {
    pub(super) row: u64,
    pub(super) unit_id: i64,
    pub(super) unit_code: String,
    pub(super) channel: String,
    pub(super) respondent_id: Option<String>,
    pub(super) weight: f64,
    pub(super) answers: Vec<u8>,
    pub(super) demographics: Option<Vec<u8>>,
    pub(super) expectations: Option<Vec<u8>>,
    pub(super) comment: Option<String>,
    pub(super) service_id: Option<i64>,
}

/// The multi-row INSERT of imported responses, with or without respondent ids (those skip a
/// repeated respondent: ON CONFLICT DO NOTHING).
fn insert_sql(style: Placeholders, rows: usize, with_ids: bool) -> String {
    if with_ids {
        format!(
            "INSERT INTO responses (wave_id, import_id, submitted_at, unit_id, channel, weight, answers, \
             demographics, expectations, comment, service_id, respondent_id) VALUES {} ON CONFLICT DO NOTHING",
            values_list(style, rows, 12)
        )
    } else {
        format!(
            "INSERT INTO responses (wave_id, import_id, submitted_at, unit_id, channel, weight, answers, \
             demographics, expectations, comment, service_id) VALUES {}",
            values_list(style, rows, 11)
        )
    }
}

/// Rows per multi-row INSERT: 400 rows × 12 values stays far below both backends' limits on
/// bound parameters (32 766 SQLite, 65 535 PostgreSQL) and amortises the per-statement cost.
const ROWS_PER_INSERT: usize = 400;
/// Counter rows per multi-row upsert.
const COUNTERS_PER_UPSERT: usize = 400;

macro_rules! impl_survey_writes {
    ($connection:ty, $style:expr) => {
        impl SurveyWrites for $connection {
            async fn upsert_tally(
                &mut self,
                wave_id: i64,
                tally: &Tally,
                sign: i64,
            ) -> Result<(), StoreError> {
                let rows = tally.rows();
                let f = sign as f64;
                for chunk in rows.groups.chunks(COUNTERS_PER_UPSERT) {
                    let sql = format!(
                        "INSERT INTO response_stats (wave_id, unit_id, channel, service_id, n, weight_sum, weight_sq_sum, flagged, \
                         expectations_n, expectations_weight_sum, expectations_weight_sq_sum, comments) VALUES {} \
                         ON CONFLICT (wave_id, unit_id, channel, service_id) DO UPDATE SET \
                         n = response_stats.n + excluded.n, \
                         weight_sum = response_stats.weight_sum + excluded.weight_sum, \
                         weight_sq_sum = response_stats.weight_sq_sum + excluded.weight_sq_sum, \
                         flagged = response_stats.flagged + excluded.flagged, \
                         expectations_n = response_stats.expectations_n + excluded.expectations_n, \
                         expectations_weight_sum = response_stats.expectations_weight_sum + excluded.expectations_weight_sum, \
                         expectations_weight_sq_sum = response_stats.expectations_weight_sq_sum + excluded.expectations_weight_sq_sum, \
                         comments = response_stats.comments + excluded.comments",
                        values_list($style, chunk.len(), 12)
                    );
                    let mut query = sqlx::query(&sql);
                    for g in chunk {
                        let c = &g.counts;
                        query = query
                            .bind(wave_id)
                            .bind(g.unit_id)
                            .bind(&g.channel)
                            .bind(g.service_id)
                            .bind(sign * c.responses.n as i64)
                            .bind(f * c.responses.weight_sum)
                            .bind(f * c.responses.weight_sq_sum)
                            .bind(sign * g.flagged)
                            .bind(sign * c.expectations_answered.n as i64)
                            .bind(f * c.expectations_answered.weight_sum)
                            .bind(f * c.expectations_answered.weight_sq_sum)
                            .bind(sign * c.comments as i64);
                    }
                    query.execute(&mut *self).await?;
                }
                // The cells of the three counter tables, in one loop: an answer and a
                // demographic cell are keyed by question and value, an expectation cell by
                // its area alone.
                for (table, key, cells) in [
                    ("answer_stats", "item, value", &rows.answers),
                    ("demographic_stats", "question, value", &rows.demographics),
                    ("expectation_stats", "area", &rows.expectations),
                ] {
                    let with_question = key.contains(',');
                    for chunk in cells.chunks(COUNTERS_PER_UPSERT) {
                        let sql = format!(
                            "INSERT INTO {table} (wave_id, unit_id, channel, service_id, {key}, n, weight_sum, weight_sq_sum) \
                             VALUES {} ON CONFLICT (wave_id, unit_id, channel, service_id, {key}) DO UPDATE SET \
                             n = {table}.n + excluded.n, weight_sum = {table}.weight_sum + excluded.weight_sum, \
                             weight_sq_sum = {table}.weight_sq_sum + excluded.weight_sq_sum",
                            values_list($style, chunk.len(), if with_question { 9 } else { 8 })
                        );
                        let mut query = sqlx::query(&sql);
                        for cell in chunk {
                            query = query
                                .bind(wave_id)
                                .bind(cell.unit_id)
                                .bind(cell.channel)
                                .bind(cell.service_id);
                            if with_question {
                                query = query.bind(cell.question);
                            }
                            query = query
                                .bind(cell.value)
                                .bind(sign * cell.stat.n as i64)
                                .bind(f * cell.stat.weight_sum)
                                .bind(f * cell.stat.weight_sq_sum);
                        }
                        query.execute(&mut *self).await?;
                    }
                }
                Ok(())
            }

            async fn insert_import_rows(
                &mut self,
                wave_id: i64,
                import_id: i64,
                at: DateTime<Utc>,
                rows: &[PreparedRow],
            ) -> Result<Vec<bool>, StoreError> {
                let mut inserted = vec![true; rows.len()];
                // Rows without a respondent id cannot clash: plain inserts. Rows with one go
                // through ON CONFLICT DO NOTHING, and the ones that come back went in.
                let (with_id, without_id): (Vec<usize>, Vec<usize>) =
                    (0..rows.len()).partition(|&i| rows[i].respondent_id.is_some());
                // The statement of a full chunk is built once per batch.
                let full = insert_sql($style, ROWS_PER_INSERT, false);
                for chunk in without_id.chunks(ROWS_PER_INSERT) {
                    let last;
                    let sql = if chunk.len() == ROWS_PER_INSERT {
                        &full
                    } else {
                        last = insert_sql($style, chunk.len(), false);
                        &last
                    };
                    let mut query = sqlx::query(sql);
                    for &i in chunk {
                        let row = &rows[i];
                        query = query
                            .bind(wave_id)
                            .bind(import_id)
                            .bind(at)
                            .bind(row.unit_id)
                            .bind(&row.channel)
                            .bind(row.weight)
                            .bind(&row.answers)
                            .bind(&row.demographics)
                            .bind(&row.expectations)
                            .bind(&row.comment)
                            .bind(row.service_id);
                    }
                    query.execute(&mut *self).await?;
                }
                let full_with_ids = insert_sql($style, ROWS_PER_INSERT, true);
                for chunk in with_id.chunks(ROWS_PER_INSERT) {
                    // No RETURNING on the hot path (rows coming back one by one cost more than
                    // the insert): when fewer rows went in than were sent, the ones that did
                    // are read back by id, above the largest id before the insert.
                    let before: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM responses")
                        .fetch_one(&mut *self)
                        .await?;
                    let last;
                    let sql = if chunk.len() == ROWS_PER_INSERT {
                        &full_with_ids
                    } else {
                        last = insert_sql($style, chunk.len(), true);
                        &last
                    };
                    let mut query = sqlx::query(sql);
                    for &i in chunk {
                        let row = &rows[i];
                        query = query
                            .bind(wave_id)
                            .bind(import_id)
                            .bind(at)
                            .bind(row.unit_id)
                            .bind(&row.channel)
                            .bind(row.weight)
                            .bind(&row.answers)
                            .bind(&row.demographics)
                            .bind(&row.expectations)
                            .bind(&row.comment)
                            .bind(row.service_id)
                            .bind(&row.respondent_id);
                    }
                    let went = query.execute(&mut *self).await?.rows_affected();
                    if went as usize == chunk.len() {
                        continue;
                    }
                    let went_in: HashSet<(i64, String)> = sqlx::query_as::<_, (i64, String)>(
                        "SELECT unit_id, respondent_id FROM responses WHERE id > $1 AND import_id = $2")
                        .bind(before.unwrap_or(0))
                        .bind(import_id)
                        .fetch_all(&mut *self)
                        .await?
                        .into_iter()
                        .collect();
                    for &i in chunk {
                        let row = &rows[i];
                        let key = (row.unit_id, row.respondent_id.clone().unwrap_or_default());
                        inserted[i] = went_in.contains(&key);
                    }
                }
                Ok(inserted)
            }
        }
    };
}

impl_survey_writes!(SqliteConnection, Placeholders::Anonymous);
impl_survey_writes!(PgConnection, Placeholders::Numbered);

/// A submission checked for what needs no database (weight, comment, identity) and owned, so
/// it can wait in the [`SubmitQueue`](crate::surveys::SubmitQueue) for its batch.
#[derive(Clone, Debug)]
pub(crate) struct PreparedSubmission {
    wave_id: i64,
    unit_id: i64,
    channel: String,
    comment: Option<String>,
    token_hash: Option<String>,
    respondent: Option<String>,
    /// `staff` or `public`: the namespace of `respondent`.
    respondent_scope: &'static str,
    /// The source address hashed with the wave.
    source: Option<String>,
    weight: f64,
    answers: Vec<u8>,
    demographics: Vec<u8>,
    expectations: Vec<u8>,
    device_id: Option<i64>,
    service_id: Option<i64>,
}

/// The checks of a submission that need no database; a refusal here stores nothing.
pub(crate) fn prepare_submission(
    wave_id: i64,
    unit_id: i64,
    response: &Response,
    identity: Identity<'_>,
) -> Result<PreparedSubmission, Refusal> {
    let (channel, comment) = check_fields(response)?;
    let (token_hash, respondent, respondent_scope) = match identity {
        Identity::Token(token) => (Some(sha256_hex(token.trim())), None, "staff"),
        Identity::Respondent(id) | Identity::PublicRespondent(id) => {
            let id = id
                .map(chiso_survey::normalize_respondent_id)
                .filter(|s| !s.is_empty());
            if id
                .as_ref()
                .is_some_and(|s| s.chars().count() > MAX_RESPONDENT_ID)
            {
                return Err(Refusal::Fault(chiso_survey::Fault::RespondentTooLong {
                    max: MAX_RESPONDENT_ID,
                }));
            }
            let scope = match identity {
                Identity::PublicRespondent(_) => "public",
                _ => "staff",
            };
            (None, id, scope)
        }
    };
    Ok(PreparedSubmission {
        wave_id,
        unit_id,
        channel,
        comment,
        token_hash,
        respondent,
        respondent_scope,
        source: response.source.as_deref().map(|s| source_hash(wave_id, s)),
        weight: response.weight,
        answers: response.answers.clone(),
        demographics: response.demographics.clone(),
        expectations: response.expectations.clone(),
        device_id: response.device_id,
        service_id: response.service_id,
    })
}

/// Submits one response: checks that the wave is open today and covers the unit, that the
/// answers fit the questionnaire, that a token is unused (a conditional `UPDATE … WHERE
/// used_at IS NULL`, so a token is answered exactly once whatever races) or that a respondent
/// id is new for the unit and wave; then stores the response and upserts its counters in one
/// transaction. The id comes back only after the commit.
///
/// A response without token or respondent id that has the same answers as one from the same
/// source within the wave's duplicate window is stored but flagged and not counted.
///
/// The outer error is the database's; the inner one a refusal, after which nothing was stored.
/// Many concurrent submitters should go through a
/// [`SubmitQueue`](crate::surveys::SubmitQueue), which commits them in groups.
pub async fn submit(
    db: &Db,
    wave_id: i64,
    unit_id: i64,
    response: &Response,
    identity: Identity<'_>,
) -> Result<Result<Accepted, Refusal>, StoreError> {
    let prepared = match prepare_submission(wave_id, unit_id, response, identity) {
        Ok(prepared) => prepared,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut outcomes = store_submissions(db, std::slice::from_ref(&prepared)).await?;
    Ok(outcomes.pop().expect("one outcome per submission"))
}

/// Stores a group of submissions in one transaction (group commit): each is checked and
/// written in turn exactly as if it were alone, so a later one sees the earlier ones (a token
/// spent, a respondent id taken, a look-alike answer); their counters are summed in memory
/// and upserted once, and the device's last use written once. One outcome per submission, in
/// order; a refusal stores nothing of its submission and leaves the others alone. A database
/// error rolls back the whole group.
///
/// Over 100 lines: one transaction whose steps per submission (wave check, shape, service,
/// token spent, look-alike, insert, token link, tally) must be read in order, each one's
/// refusal breaking out of that submission alone; the body is shared by both backends through
/// `in_transaction!`, and it is the public form's hot path (no allocation per step beyond
/// the queries').
pub(crate) async fn store_submissions(
    db: &Db,
    batch: &[PreparedSubmission],
) -> Result<Vec<Result<Accepted, Refusal>>, StoreError> {
    let today = today_in_vietnam();
    let now = Utc::now();
    in_transaction!(db, tx => {
        let mut outcomes = Vec::with_capacity(batch.len());
        // Per batch: the wave checks by (wave, unit), the shape and tally by wave.
        let mut checks: HashMap<(i64, i64), Option<WaveCheck>> = HashMap::new();
        let mut tallies: HashMap<i64, (QuestionnaireShape, Tally)> = HashMap::new();
        let mut devices: Vec<i64> = Vec::new();
        // Services by id: their (wave, unit), (0, 0) for none.
        let mut services: HashMap<i64, (i64, i64)> = HashMap::new();
        for submission in batch {
            let (wave_id, unit_id) = (submission.wave_id, submission.unit_id);
            let outcome: Result<Accepted, Refusal> = 'one: {
                // Read once per (wave, unit) and batch, then borrowed: the row holds the
                // questionnaire's shape text, not worth copying per submission.
                let check = match checks.entry((wave_id, unit_id)) {
                    std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        let check: Option<WaveCheck> = sqlx::query_as(WAVE_CHECK)
                            .bind(wave_id)
                            .bind(unit_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        slot.insert(check)
                    }
                };
                let Some(check) = &*check else { break 'one Err(Refusal::UnknownWave) };
                if let Err(refusal) = check_open(check, today) {
                    break 'one Err(refusal);
                }
                let (shape, _) = match tallies.entry(wave_id) {
                    std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                    std::collections::hash_map::Entry::Vacant(entry) => match parse_shape(&check.shape) {
                        Ok(shape) => {
                            let tally = Tally::new(&shape);
                            entry.insert((shape, tally))
                        }
                        // A stored shape that does not read is the data's fault, not the
                        // submission's: the whole group fails (and is retried alone).
                        Err(corrupt) => return Err(corrupt),
                    },
                };
                if let Err(fault) = shape.check_response(&submission.answers, &submission.demographics, &submission.expectations) {
                    break 'one Err(Refusal::Shape(fault));
                }
                let window = check.duplicate_window_seconds;
                let mut service_id = submission.service_id;
                if let Some(service) = service_id {
                    let known = match services.get(&service) {
                        Some(&owner) => owner == (wave_id, unit_id),
                        None => {
                            let owner: Option<(i64, i64)> = sqlx::query_as(
                                "SELECT wave_id, unit_id FROM wave_services WHERE id = $1")
                                .bind(service)
                                .fetch_optional(&mut *tx)
                                .await?;
                            let owner = owner.unwrap_or((0, 0));
                            services.insert(service, owner);
                            owner == (wave_id, unit_id)
                        }
                    };
                    if !known {
                        break 'one Err(Refusal::UnknownService);
                    }
                }
                let mut token_id = None;
                if let Some(hash) = &submission.token_hash {
                    // The conditional update is the single point where a token is spent. A
                    // token issued for a service answers about that service.
                    let spent: Option<(i64, Option<i64>)> = sqlx::query_as(
                        "UPDATE survey_tokens SET used_at = $1 WHERE token_hash = $2 AND wave_id = $3 AND unit_id = $4 \
                         AND used_at IS NULL RETURNING id, service_id")
                        .bind(now)
                        .bind(hash)
                        .bind(wave_id)
                        .bind(unit_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match spent {
                        Some((id, token_service)) => {
                            token_id = Some(id);
                            service_id = token_service.or(service_id);
                        }
                        None => {
                            let found: Option<(i64, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
                                "SELECT wave_id, unit_id, used_at FROM survey_tokens WHERE token_hash = $1")
                                .bind(hash)
                                .fetch_optional(&mut *tx)
                                .await?;
                            break 'one Err(match found {
                                Some((w, u, Some(_))) if w == wave_id && u == unit_id => Refusal::TokenUsed,
                                _ => Refusal::UnknownToken,
                            });
                        }
                    }
                }
                // A kiosk is one device that many people answer on, one after the other:
                // identical answers from it are different people, never a resend.
                let mut flagged = false;
                if token_id.is_none() && submission.respondent.is_none() && window > 0
                    && submission.device_id.is_none()
                    && let Some(source) = &submission.source
                {
                    let since = now - chrono::Duration::seconds(window);
                    let same: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM responses WHERE wave_id = $1 AND source_hash = $2 AND submitted_at >= $3 \
                         AND unit_id = $4 AND answers = $5 LIMIT 1")
                        .bind(wave_id)
                        .bind(source)
                        .bind(since)
                        .bind(unit_id)
                        .bind(&submission.answers)
                        .fetch_optional(&mut *tx)
                        .await?;
                    flagged = same.is_some();
                }
                let demographics = (!submission.demographics.is_empty()).then_some(&submission.demographics);
                let expectations = (!submission.expectations.is_empty()).then_some(&submission.expectations);
                // A respondent id already used for the unit in the wave meets its unique
                // index: nothing goes in and nothing was written before (a token and a
                // respondent id never come together).
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO responses (wave_id, unit_id, channel, respondent_id, token_id, device_id, weight, answers, \
                     demographics, expectations, comment, source_hash, submitted_at, flagged_duplicate, service_id, respondent_scope) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING RETURNING id")
                    .bind(wave_id)
                    .bind(unit_id)
                    .bind(&submission.channel)
                    .bind(&submission.respondent)
                    .bind(token_id)
                    .bind(submission.device_id)
                    .bind(submission.weight)
                    .bind(&submission.answers)
                    .bind(demographics)
                    .bind(expectations)
                    .bind(&submission.comment)
                    .bind(&submission.source)
                    .bind(now)
                    .bind(flagged)
                    .bind(service_id)
                    .bind(submission.respondent_scope)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(id) = id else { break 'one Err(Refusal::DuplicateRespondent) };
                if let Some(token_id) = token_id {
                    sqlx::query("UPDATE survey_tokens SET response_id = $1 WHERE id = $2")
                        .bind(id)
                        .bind(token_id)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(device_id) = submission.device_id
                    && !devices.contains(&device_id)
                {
                    devices.push(device_id);
                }
                let (_, tally) = tallies.get_mut(&wave_id).expect("the wave's tally was made above");
                tally.add(unit_id, &submission.channel, service_id.unwrap_or(0), &Packed {
                    weight: submission.weight,
                    answers: &submission.answers,
                    demographics: &submission.demographics,
                    expectations: &submission.expectations,
                    comment: submission.comment.as_deref(),
                    service: None,
                    respondent_id: None,
                }, flagged);
                Ok(Accepted { response_id: id, flagged_duplicate: flagged })
            };
            outcomes.push(outcome);
        }
        for device_id in devices {
            sqlx::query("UPDATE survey_devices SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(device_id)
                .execute(&mut *tx)
                .await?;
        }
        let mut waves: Vec<_> = tallies.iter().filter(|(_, (_, t))| !t.is_empty()).map(|(&w, _)| w).collect();
        waves.sort_unstable();
        for wave_id in waves {
            tx.upsert_tally(wave_id, &tallies[&wave_id].1, 1).await?;
        }
        Ok(outcomes)
    })
}

/// Counts a flagged response after all (`flagged = false`) or sets a counted one aside
/// (`true`), moving its counters in the same transaction, audited with the reason.
pub async fn set_duplicate_flag(
    db: &Db,
    actor: &Actor,
    response_id: i64,
    flagged: bool,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    in_transaction!(db, tx => {
        let row: RawResponse = sqlx::query_as(&format!(
            "SELECT {RAW_COLUMNS} FROM responses WHERE id = $1"))
            .bind(response_id)
            .fetch_one(&mut *tx)
            .await?;
        if row.flagged_duplicate == flagged {
            return Ok(());
        }
        let shape: String = sqlx::query_scalar(
            "SELECT q.shape FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id WHERE w.id = $1")
            .bind(row.wave_id)
            .fetch_one(&mut *tx)
            .await?;
        let shape = parse_shape(&shape)?;
        sqlx::query("UPDATE responses SET flagged_duplicate = $1 WHERE id = $2")
            .bind(flagged)
            .bind(response_id)
            .execute(&mut *tx)
            .await?;
        // Out of one side of the counters, into the other; an excluded response is in neither.
        let excluded: bool = sqlx::query_scalar("SELECT excluded_at IS NOT NULL FROM responses WHERE id = $1")
            .bind(response_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut before = Tally::new(&shape);
        before.add(row.unit_id, &row.channel, row.service_id, &row.packed(), row.flagged_duplicate);
        let mut after = Tally::new(&shape);
        after.add(row.unit_id, &row.channel, row.service_id, &row.packed(), flagged);
        if !excluded {
            tx.upsert_tally(row.wave_id, &before, -1).await?;
            tx.upsert_tally(row.wave_id, &after, 1).await?;
        }
        tx.record(actor, &AuditEntry::new("update", "survey_response", response_id).unit(Some(row.unit_id))
            .change("flagged_duplicate", Some(row.flagged_duplicate.to_string()), Some(flagged.to_string()))
            .reason(reason)).await?;
        Ok(())
    })
}

/// A stored response as the counters see it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(super) struct RawResponse {
    pub(super) id: i64,
    pub(super) wave_id: i64,
    pub(super) unit_id: i64,
    pub(super) channel: String,
    /// 0 when the response names no service.
    pub(super) service_id: i64,
    pub(super) weight: f64,
    pub(super) answers: Vec<u8>,
    pub(super) demographics: Option<Vec<u8>>,
    pub(super) expectations: Option<Vec<u8>>,
    pub(super) has_comment: i64,
    pub(super) flagged_duplicate: bool,
}

pub(super) const RAW_COLUMNS: &str = "id, wave_id, unit_id, channel, CAST(COALESCE(service_id, 0) AS BIGINT) AS service_id, weight, answers, demographics, expectations, \
     CAST(CASE WHEN comment IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_comment, flagged_duplicate";

impl RawResponse {
    /// The response as the counters take it: the comment's text is not read back, only
    /// whether there is one (an empty text stands for it).
    pub(super) fn packed(&self) -> Packed<'_> {
        Packed {
            weight: self.weight,
            answers: &self.answers,
            demographics: self.demographics.as_deref().unwrap_or(&[]),
            expectations: self.expectations.as_deref().unwrap_or(&[]),
            comment: (self.has_comment != 0).then_some(""),
            service: None,
            respondent_id: None,
        }
    }
}
