//! Bulk import.

use chiso_survey::codec::Fault;

use super::*;

/// How to import.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportOptions {
    pub file_name: String,
    /// `false` (the default): any rejected row stores nothing. `true`: good rows are stored,
    /// committed per batch, and bad rows reported.
    pub skip_bad_rows: bool,
    /// The number of data rows when known (for the progress bar).
    pub total_rows: Option<u64>,
    /// Responses per batch (counter flush, and commit when skipping bad rows).
    pub batch_size: usize,
}

impl ImportOptions {
    pub fn new(file_name: &str) -> ImportOptions {
        ImportOptions {
            file_name: file_name.to_string(),
            skip_bad_rows: false,
            total_rows: None,
            batch_size: DEFAULT_BATCH,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ImportReport {
    /// The `survey_imports` row (also written for an import that stored nothing).
    pub import_id: i64,
    /// Non-blank data rows read.
    pub rows_read: u64,
    /// Responses stored and counted.
    pub accepted: u64,
    /// Every rejected row, counted.
    pub rejected: u64,
    /// The first [`MAX_REPORTED_REJECTIONS`] rejected rows with their reasons, in row order.
    pub rejections: Vec<RowRejection>,
    /// Whether anything was stored: false when a rejection stopped an all-or-nothing import.
    pub stored: bool,
}

#[derive(Default)]
struct ImportState {
    rows_read: u64,
    accepted: u64,
    rejected: u64,
    rejections: Vec<RowRejection>,
}

impl ImportState {
    fn reject(&mut self, row: u64, reason: Fault) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REPORTED_REJECTIONS {
            self.rejections.push(RowRejection { row, reason });
        }
    }
}

/// Checks one batch in memory: the codec's rejections, units and services outside the wave,
/// and respondent ids repeated within the batch (repeats across batches and against
/// stored responses are caught by the unique index at insert time).
fn prepare_batch(
    batch: Vec<Result<ImportRow, RowRejection>>,
    units: &HashMap<String, i64>,
    services: &HashMap<(i64, String), i64>,
    state: &mut ImportState,
) -> Vec<PreparedRow> {
    let mut prepared = Vec::with_capacity(batch.len());
    let mut seen: HashMap<(i64, String), u64> = HashMap::new();
    for item in batch {
        state.rows_read += 1;
        let row = match item {
            Ok(row) => row,
            Err(rejection) => {
                state.reject(rejection.row, rejection.reason);
                continue;
            }
        };
        let unit_code = row.unit_code.trim();
        let Some(&unit_id) = units.get(unit_code) else {
            state.reject(
                row.row,
                Fault::UnitNotInWave {
                    unit: unit_code.to_string(),
                },
            );
            continue;
        };
        // Strings are moved, not copied, when they need no trimming (the usual case: an
        // import allocates per row, and a million rows make that count).
        let respondent_id = row
            .respondent_id
            .map(chiso_survey::normalize_respondent_id_owned)
            .filter(|s| !s.is_empty());
        if let Some(id) = &respondent_id {
            match seen.entry((unit_id, id.clone())) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    state.reject(
                        row.row,
                        Fault::RepeatedRespondent {
                            id: id.clone(),
                            unit: unit_code.to_string(),
                            first_row: Some(*first.get()),
                        },
                    );
                    continue;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(row.row);
                }
            }
        }
        let comment = row.comment;
        let service_id = match row.service.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => match services.get(&(unit_id, code.to_uppercase())) {
                Some(&id) => Some(id),
                None => {
                    state.reject(
                        row.row,
                        Fault::UnknownService {
                            unit: unit_code.to_string(),
                            service: code.to_string(),
                        },
                    );
                    continue;
                }
            },
        };
        let channel = if is_normal_channel(&row.channel) {
            row.channel
        } else {
            normalize_channel(&row.channel)
        };
        prepared.push(PreparedRow {
            row: row.row,
            unit_id,
            unit_code: trimmed_owned(row.unit_code),
            channel,
            respondent_id,
            weight: row.weight,
            answers: row.answers,
            demographics: (!row.demographics.is_empty()).then_some(row.demographics),
            expectations: (!row.expectations.is_empty()).then_some(row.expectations),
            comment,
            service_id,
        });
    }
    prepared
}

/// Takes up to `size` rows, yielding every 256 so that a write awaited beside it (see
/// [`import_responses`]) moves on meanwhile.
async fn collect_batch<I: Iterator>(rows: &mut I, size: usize) -> Vec<I::Item> {
    let mut batch = Vec::with_capacity(size.min(1 << 16));
    while batch.len() < size {
        match rows.next() {
            Some(row) => batch.push(row),
            None => break,
        }
        if batch.len().is_multiple_of(256) {
            tokio::task::yield_now().await;
        }
    }
    batch
}

/// Imports parsed responses into a wave (open or closed: paper forms are typed after the
/// close) through one writer. Rows are pulled in batches of `options.batch_size`; each batch
/// is checked in memory, inserted with multi-row statements, and its counters are summed in
/// memory and upserted once.
///
/// By default the import is all or nothing: the whole file is one transaction and any rejected
/// row rolls it back (the file is still read and written to the end, so every bad row is
/// reported, repeated respondents included). On SQLite the writer is held meanwhile (≈ 10 s per million rows, see the
/// README), so other writes wait. With `skip_bad_rows`, each batch commits on its own and bad
/// rows are reported and left out. Either way one `survey_imports` row and one audit row record
/// the import with its counts.
///
/// `progress(done, total)` is called after every batch. Memory stays bounded by the batch: the
/// rows are pulled from `rows` as they are needed.
pub async fn import_responses<I>(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    rows: I,
    options: &ImportOptions,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<ImportReport, StoreError>
where
    I: IntoIterator<Item = Result<ImportRow, RowRejection>>,
    I::IntoIter: Send,
{
    let wave = get_wave(db, wave_id).await?;
    if wave.state() == WaveState::Draft {
        return Err(SurveyRefusal::ImportIntoDraft.into());
    }
    let shape = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .shape()?;
    let batch_size = options.batch_size.clamp(1, 1_000_000);
    let mut rows = rows.into_iter();
    let mut run = ImportRun {
        units: wave_unit_ids(db, wave_id).await?,
        services: wave_service_ids(db, wave_id).await?,
        state: ImportState::default(),
    };
    let started = Utc::now();
    let import_id = start_import(db, actor, wave_id, options, started).await?;

    // One body for both backends; only how a transaction starts differs.
    macro_rules! import_loop {
        ($begin:expr) => {{
            let mut tx = $begin.await?;
            // Counters are summed in memory and upserted once per transaction: per batch when
            // each batch commits, once for the file when the file is one transaction. Their
            // size is bounded by units × channels × answers, not by rows.
            let mut tally = Tally::new(&shape);
            let first = collect_batch(&mut rows, batch_size).await;
            let mut exhausted = first.len() < batch_size;
            let mut prepared = run.prepare(first);
            loop {
                // The next batch is read and parsed while this one is written: the database
                // works on its own thread, so the two overlap on two cores.
                let (written, next) = tokio::join!(
                    async {
                        if prepared.is_empty() {
                            Ok(Vec::new())
                        } else {
                            tx.insert_import_rows(wave_id, import_id, started, &prepared)
                                .await
                        }
                    },
                    async {
                        if exhausted {
                            Vec::new()
                        } else {
                            collect_batch(&mut rows, batch_size).await
                        }
                    }
                );
                run.count(&prepared, written?, &mut tally);
                if options.skip_bad_rows {
                    if !tally.is_empty() {
                        tx.upsert_tally(wave_id, &tally, 1).await?;
                        tally = Tally::new(&shape);
                    }
                    tx.commit().await?;
                    tx = $begin.await?;
                }
                progress(run.state.rows_read, options.total_rows);
                if next.is_empty() {
                    break;
                }
                exhausted = next.len() < batch_size;
                prepared = run.prepare(next);
            }
            if options.skip_bad_rows || run.state.rejected == 0 {
                if !tally.is_empty() {
                    tx.upsert_tally(wave_id, &tally, 1).await?;
                }
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
        }};
    }
    let outcome: Result<(), StoreError> = async {
        match db {
            Db::Sqlite(pools) => import_loop!(pools.write.begin_with("BEGIN IMMEDIATE")),
            Db::Postgres(pool) => import_loop!(pool.begin()),
        }
        Ok(())
    }
    .await;
    finish_import(db, actor, &wave, import_id, options, run.state, outcome).await
}

/// The wave's units: code → id.
async fn wave_unit_ids(db: &Db, wave_id: i64) -> Result<HashMap<String, i64>, StoreError> {
    Ok(wave_units(db, wave_id)
        .await?
        .into_iter()
        .map(|u| (u.unit_code, u.unit_id))
        .collect())
}

/// The wave's services: (unit id, code) → id.
async fn wave_service_ids(
    db: &Db,
    wave_id: i64,
) -> Result<HashMap<(i64, String), i64>, StoreError> {
    Ok(crate::surveys::services(db, wave_id, None)
        .await?
        .into_iter()
        .map(|s| ((s.unit_id, s.code), s.id))
        .collect())
}

/// The `survey_imports` row of an import starting, committed before any response is written.
async fn start_import(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    options: &ImportOptions,
    started: DateTime<Utc>,
) -> Result<i64, StoreError> {
    in_transaction!(db, tx => {
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO survey_imports (wave_id, file_name, state, skip_bad_rows, started_at, by_name) \
             VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id")
            .bind(wave_id)
            .bind(&options.file_name)
            .bind(options.skip_bad_rows)
            .bind(started)
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await?)
    })
}

/// The end of an import: its `survey_imports` row with the counts and its audit row, in one
/// transaction, whether the rows were stored (`outcome`) or not; then the outcome's error, or
/// the report.
async fn finish_import(
    db: &Db,
    actor: &Actor,
    wave: &WaveRow,
    import_id: i64,
    options: &ImportOptions,
    mut state: ImportState,
    outcome: Result<(), StoreError>,
) -> Result<ImportReport, StoreError> {
    // Rejections are reported in row order whatever the batch they were found in.
    state.rejections.sort_by_key(|r| r.row);
    let stored = outcome.is_ok() && (options.skip_bad_rows || state.rejected == 0);
    if !stored && !options.skip_bad_rows {
        state.accepted = 0;
    }
    let finished = Utc::now();
    let final_state = if stored {
        ImportJobState::Done
    } else {
        ImportJobState::Failed
    }
    .as_str();
    in_transaction!(db, tx => {
        sqlx::query("UPDATE survey_imports SET state = $1, rows_read = $2, accepted = $3, rejected = $4, finished_at = $5 \
                     WHERE id = $6")
            .bind(final_state)
            .bind(state.rows_read as i64)
            .bind(state.accepted as i64)
            .bind(state.rejected as i64)
            .bind(finished)
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        let mut entry = AuditEntry::new("import", "wave", wave.id).change(
            "responses",
            None,
            // Kept as data, not as a sentence: the audit page words it in the reader's
            // language (`ImportSummary`).
            Some(ImportSummary {
                file: options.file_name.clone(),
                read: state.rows_read,
                accepted: state.accepted,
                rejected: state.rejected,
                stored,
            }.to_value()),
        );
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })?;
    outcome?;
    Ok(ImportReport {
        import_id,
        rows_read: state.rows_read,
        accepted: state.accepted,
        rejected: state.rejected,
        rejections: state.rejections,
        stored,
    })
}

/// An import under way: the wave's units and services, and what has been read so far.
struct ImportRun {
    units: HashMap<String, i64>,
    services: HashMap<(i64, String), i64>,
    state: ImportState,
}

impl ImportRun {
    fn prepare(&mut self, batch: Vec<Result<ImportRow, RowRejection>>) -> Vec<PreparedRow> {
        prepare_batch(batch, &self.units, &self.services, &mut self.state)
    }

    /// Counts the rows of a batch that went in, and rejects those the unique index turned
    /// away as repeated respondents. An all-or-nothing import that has failed goes on writing
    /// (to be rolled back): the unique index is what finds a respondent repeated across
    /// batches, and the report names every bad row at once.
    fn count(&mut self, prepared: &[PreparedRow], written: Vec<bool>, tally: &mut Tally) {
        for (row, went_in) in prepared.iter().zip(written) {
            if went_in {
                let packed = Packed {
                    weight: row.weight,
                    answers: &row.answers,
                    demographics: row.demographics.as_deref().unwrap_or(&[]),
                    expectations: row.expectations.as_deref().unwrap_or(&[]),
                    comment: row.comment.as_deref(),
                    service: None,
                    respondent_id: None,
                };
                tally.add(
                    row.unit_id,
                    &row.channel,
                    row.service_id.unwrap_or(0),
                    &packed,
                    false,
                );
                self.state.accepted += 1;
            } else {
                self.state.reject(
                    row.row,
                    Fault::RepeatedRespondent {
                        id: row.respondent_id.clone().unwrap_or_default(),
                        unit: row.unit_code.clone(),
                        first_row: None,
                    },
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Single responses and imports

/// A stored response.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct StoredResponse {
    pub id: i64,
    pub wave_id: i64,
    pub unit_id: i64,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub respondent_id: Option<String>,
    pub token_id: Option<i64>,
    pub device_id: Option<i64>,
    pub import_id: Option<i64>,
    pub weight: f64,
    pub answers: Vec<u8>,
    pub demographics: Option<Vec<u8>>,
    pub expectations: Option<Vec<u8>>,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub flagged_duplicate: bool,
}

/// A response by id.
pub async fn get_response(db: &Db, id: i64) -> Result<StoredResponse, StoreError> {
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, StoredResponse>(
        "SELECT id, wave_id, unit_id, channel, respondent_id, token_id, device_id, import_id, weight, answers, \
         demographics, expectations, comment, submitted_at, flagged_duplicate FROM responses WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?),
    )
}

/// Where a bulk import of a file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportJobState {
    /// Reading and storing its rows.
    Running,
    /// Finished: its accepted rows are stored.
    Done,
    /// Finished without storing anything (a refused row without "skip bad rows", or an error).
    Failed,
}

impl ImportJobState {
    pub const ALL: [ImportJobState; 3] = [
        ImportJobState::Running,
        ImportJobState::Done,
        ImportJobState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportJobState::Running => "running",
            ImportJobState::Done => "done",
            ImportJobState::Failed => "failed",
        }
    }
}

/// A stored import state that is not one of [`ImportJobState`]'s.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown import state {0:?}")]
pub struct UnknownImportJobState(pub String);

impl TryFrom<String> for ImportJobState {
    type Error = UnknownImportJobState;

    fn try_from(text: String) -> Result<ImportJobState, UnknownImportJobState> {
        ImportJobState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or(UnknownImportJobState(text))
    }
}

/// An import as recorded.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub wave_id: i64,
    pub file_name: String,
    #[sqlx(try_from = "String")]
    pub state: ImportJobState,
    pub skip_bad_rows: bool,
    pub rows_read: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub by_name: String,
}

/// The imports of a wave, newest first.
pub async fn imports(db: &Db, wave_id: i64) -> Result<Vec<ImportRecord>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, ImportRecord>(
        "SELECT id, wave_id, file_name, state, skip_bad_rows, rows_read, accepted, rejected, started_at, finished_at, \
         by_name FROM survey_imports WHERE wave_id = $1 ORDER BY id DESC")
        .bind(wave_id)
        .fetch_all(pool)
        .await?))
}

/// What an import's audit row records as its new value: the file and its counts, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportSummary {
    pub file: String,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// False when the import was refused as a whole and nothing was kept.
    pub stored: bool,
}

impl ImportSummary {
    pub fn to_value(&self) -> String {
        serde_json::to_string(self).expect("a summary serializes")
    }

    /// The summary of an audit value, if it is one.
    pub fn from_value(value: &str) -> Option<ImportSummary> {
        serde_json::from_str(value).ok()
    }
}
