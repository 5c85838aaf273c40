//! Surveys in the database (issue 5): questionnaires, waves and their units, one-time tokens,
//! kiosk devices, raw responses and the pre-aggregated counters the indices are read from.
//!
//! The storage follows engineering guide §4:
//! - one row per response, the answers packed one byte per item in the questionnaire's item
//!   order (0 = blank), never one row per answer;
//! - counters (`answer_stats`, `response_stats`, `expectation_stats`) keyed by wave, unit,
//!   channel and item/value, upserted (`n = n + excluded.n`) in the same transaction as the
//!   response, so an index for any unit or group reads a few hundred counter rows, not millions
//!   of responses; [`recompute_counters`] rebuilds them from the raw rows and reports drift;
//! - bulk imports through one writer, counters summed in memory per batch of
//!   [`DEFAULT_BATCH`] responses and upserted once per batch.
//!
//! Submissions that look duplicated (same answers from the same source within the wave's
//! window, no token and no respondent id) are stored with `flagged_duplicate` and are **not**
//! counted: the counters only hold responses the index should see, and `response_stats.flagged`
//! says how many were set aside. [`set_duplicate_flag`] lets an operator count one after all
//! (or set one aside), moving its counters in the same transaction.
//!
//! Durability: [`submit`] returns the response id only after the commit. On SQLite (WAL,
//! `synchronous=NORMAL`) a committed transaction is in the WAL file and survives a `kill -9`
//! of the process (only a power loss can take the last commits); on PostgreSQL the commit is
//! flushed by the server.

use std::collections::{HashMap, HashSet};

use chiso_domain::Points;
use chiso_interchange::sheet::SheetError;
use chiso_survey::ReadError;
use chiso_survey::reader::{Fields, Scanner, column_names, limit_of, parse_weight};
use chiso_survey::{AnswerStat, Counts, Questionnaire, SurveyResult, index_from_counts};
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, SqliteConnection};

use crate::assessments::today_in_vietnam;
use crate::audit::{Actor, AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

/// Responses per transaction (skip-bad-rows imports) and per counter flush (every import).
pub const DEFAULT_BATCH: usize = 10_000;

/// Most rejected rows kept with their reason in an import report; past it only the count grows,
/// so a file of ten million bad rows does not fill the memory with messages.
pub const MAX_REPORTED_REJECTIONS: usize = 10_000;

/// Longest comment kept with a response.
pub const MAX_COMMENT: usize = 2_000;

/// Longest respondent id.
pub const MAX_RESPONDENT_ID: usize = 100;

/// Longest channel name; longer ones are cut (the channel is free text, interchange.md §5).
pub const MAX_CHANNEL: usize = 32;

// ---------------------------------------------------------------------------------------------
// Small helpers

/// SHA-256 in lowercase hex: how tokens, device keys and source addresses are stored.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Crockford's base-32 alphabet without I, L, O, U: tokens are typed from paper and read from
/// QR codes, so no letter can be mistaken for a digit.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A random code of `len` base-32 characters (5 bits each).
fn random_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..32)] as char)
        .collect()
}

/// Length of a one-time token: 26 characters = 130 random bits.
const TOKEN_LEN: usize = 26;
/// Length of a device API key: 40 characters = 200 random bits.
const DEVICE_KEY_LEN: usize = 40;
/// Length of a unit's short link: 8 characters = 40 bits, unique by constraint.
const SLUG_LEN: usize = 8;

/// The stored form of a channel: trimmed, lowercase, at most [`MAX_CHANNEL`] characters.
/// Whether a channel is already as [`normalize_channel`] makes it.
fn is_normal_channel(channel: &str) -> bool {
    channel.len() <= MAX_CHANNEL
        && channel.trim().len() == channel.len()
        && channel
            .chars()
            .flat_map(char::to_lowercase)
            .eq(channel.chars())
}

/// The text without surrounding spaces, reusing the string when there are none.
fn trimmed_owned(text: String) -> String {
    let trimmed = text.trim();
    if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_string()
    }
}

pub fn normalize_channel(channel: &str) -> String {
    channel
        .trim()
        .to_lowercase()
        .chars()
        .take(MAX_CHANNEL)
        .collect()
}

/// The pseudonymous source of a submission: the SHA-256 of the wave and the address, so the
/// same address compares equal within a wave and the address itself is never stored.
pub fn source_hash(wave_id: i64, source: &str) -> String {
    sha256_hex(&format!("chiso-source:{wave_id}:{}", source.trim()))
}

/// The recommended sample size n = N / (1 + N·e²), rounded up (domain.md §3.4): N = 1 000 →
/// 286 and N = 10 000 → 385 at e = 0.05 (the survey crate's `sample_size`).
pub fn target_sample(transactions: i64, margin_e: f64) -> i64 {
    chiso_survey::sample_size(transactions.max(0) as u64, margin_e) as i64
}

// ---------------------------------------------------------------------------------------------
// Questionnaires

/// What the store needs of a questionnaire to check and pack a response: the item codes in
/// order with the number of values each takes (answers are 1..=values, 0 = blank), the
/// demographic questions likewise, and the expectation areas a respondent picks from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuestionnaireShape {
    pub item_codes: Vec<String>,
    pub item_values: Vec<u8>,
    #[serde(default)]
    pub demographic_values: Vec<u8>,
    #[serde(default)]
    pub expectation_areas: u8,
    #[serde(default)]
    pub max_expectations: u8,
}

impl QuestionnaireShape {
    /// Position of an item by code.
    pub fn item_index(&self, code: &str) -> Option<usize> {
        self.item_codes.iter().position(|c| c == code)
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.item_codes.is_empty() || self.item_codes.len() > 255 {
            return Err(StoreError::Invalid(
                "a questionnaire has 1 to 255 items".into(),
            ));
        }
        if self.item_codes.len() != self.item_values.len() {
            return Err(StoreError::Invalid(
                "every item needs its number of values".into(),
            ));
        }
        if self.item_values.contains(&0) || self.demographic_values.contains(&0) {
            return Err(StoreError::Invalid(
                "a question has at least one value".into(),
            ));
        }
        let mut seen = HashSet::new();
        if let Some(code) = self.item_codes.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(StoreError::Invalid(format!("item {code} appears twice")));
        }
        Ok(())
    }

    /// Checks a response's packed parts, naming the first fault.
    pub fn check_response(
        &self,
        answers: &[u8],
        demographics: &[u8],
        expectations: &[u8],
    ) -> Result<(), String> {
        if answers.len() != self.item_values.len() {
            return Err(format!(
                "{} answers for {} items",
                answers.len(),
                self.item_values.len()
            ));
        }
        for (i, (&value, &values)) in answers.iter().zip(&self.item_values).enumerate() {
            if value > values {
                return Err(format!(
                    "{}: value {value} is not 1-{values}",
                    self.item_codes[i]
                ));
            }
        }
        if !demographics.is_empty() {
            if demographics.len() != self.demographic_values.len() {
                return Err(format!(
                    "{} demographic answers for {} questions",
                    demographics.len(),
                    self.demographic_values.len()
                ));
            }
            for (i, (&value, &values)) in demographics
                .iter()
                .zip(&self.demographic_values)
                .enumerate()
            {
                if value > values {
                    return Err(format!(
                        "demographic question {}: value {value} is not 1-{values}",
                        i + 1
                    ));
                }
            }
        }
        if expectations.len() > usize::from(self.max_expectations) {
            return Err(format!(
                "at most {} expectations may be chosen",
                self.max_expectations
            ));
        }
        let mut seen = HashSet::new();
        for &area in expectations {
            if area == 0 || area > self.expectation_areas {
                return Err(format!(
                    "expectation {area} is not 1-{}",
                    self.expectation_areas
                ));
            }
            if !seen.insert(area) {
                return Err(format!("expectation {area} is chosen twice"));
            }
        }
        Ok(())
    }

    /// The shape of a questionnaire of the survey crate: every item takes the scale's answers.
    pub fn of(questionnaire: &Questionnaire) -> QuestionnaireShape {
        let answers = questionnaire.scale.answers.len().min(250) as u8;
        QuestionnaireShape {
            item_codes: questionnaire.items.iter().map(|i| i.code.clone()).collect(),
            item_values: vec![answers; questionnaire.items.len()],
            demographic_values: questionnaire
                .demographics
                .iter()
                .map(|d| d.options.len().min(250) as u8)
                .collect(),
            expectation_areas: questionnaire
                .expectations
                .as_ref()
                .map_or(0, |e| e.question.options.len().min(250) as u8),
            max_expectations: questionnaire
                .expectations
                .as_ref()
                .map_or(0, |e| e.max_choices.min(250) as u8),
        }
    }

    /// Empty counters of this shape (the survey crate's [`Counts`], built without parsing the
    /// questionnaire's definition: the submission path only has the shape).
    pub fn empty_counts(&self) -> Counts {
        let per_item = usize::from(self.item_values.iter().copied().max().unwrap_or(1));
        Counts {
            responses: AnswerStat::default(),
            answers: vec![AnswerStat::default(); self.item_values.len() * per_item],
            answers_per_item: per_item,
            demographics: self
                .demographic_values
                .iter()
                .map(|&k| vec![AnswerStat::default(); usize::from(k)])
                .collect(),
            expectations: vec![AnswerStat::default(); usize::from(self.expectation_areas)],
            expectations_answered: AnswerStat::default(),
            comments: 0,
        }
    }
}

/// A questionnaire version as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct QuestionnaireRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    /// `toml` or `json`: how `definition` is written.
    pub format: String,
    pub definition: String,
    /// [`QuestionnaireShape`] as JSON.
    pub shape: String,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
}

impl QuestionnaireRow {
    pub fn shape(&self) -> Result<QuestionnaireShape, StoreError> {
        parse_shape(&self.shape)
    }

    /// The questionnaire itself, parsed from its stored definition.
    pub fn questionnaire(&self) -> Result<Questionnaire, StoreError> {
        if self.format != "toml" {
            return Err(StoreError::Invalid(format!(
                "questionnaire {} v{} is stored as {}: only TOML definitions are read",
                self.code, self.version, self.format
            )));
        }
        Questionnaire::from_toml(&format!("{}.toml", self.code), &self.definition)
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

fn parse_shape(text: &str) -> Result<QuestionnaireShape, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Invalid(format!("stored questionnaire shape: {e}")))
}

/// A questionnaire to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewQuestionnaire {
    pub code: String,
    pub title: String,
    pub format: String,
    pub definition: String,
    pub shape: QuestionnaireShape,
}

const QUESTIONNAIRE_COLUMNS: &str =
    "id, code, version, title, format, definition, shape, item_count, created_at";

/// Stores a questionnaire as the next version of its code, unless the latest version has the
/// same definition (then that version's id is returned and nothing is written): versions are
/// immutable, like frameworks, because stored answers are packed in their item order.
pub async fn register_questionnaire(
    db: &Db,
    actor: &Actor,
    new: &NewQuestionnaire,
) -> Result<i64, StoreError> {
    new.shape.check()?;
    if new.code.trim().is_empty() || new.title.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a questionnaire needs a code and a title".into(),
        ));
    }
    if !matches!(new.format.as_str(), "toml" | "json") {
        return Err(StoreError::Invalid(format!(
            "questionnaire format {} is not toml or json",
            new.format
        )));
    }
    let shape = serde_json::to_string(&new.shape)
        .map_err(|e| StoreError::Invalid(format!("shape: {e}")))?;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let latest: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, version, definition FROM questionnaires WHERE code = $1 ORDER BY version DESC LIMIT 1")
            .bind(new.code.trim())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((id, _, definition)) = &latest && *definition == new.definition {
            return Ok(*id);
        }
        let version = latest.map(|(_, v, _)| v + 1).unwrap_or(1);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO questionnaires (code, version, title, format, definition, shape, item_count, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(new.code.trim())
            .bind(version)
            .bind(new.title.trim())
            .bind(&new.format)
            .bind(&new.definition)
            .bind(&shape)
            .bind(new.shape.item_codes.len() as i64)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("create", "questionnaire", id)
            .change("version", None, Some(format!("{} v{version}", new.code.trim())))).await?;
        Ok(id)
    })
}

/// Stores a questionnaire of the survey crate from its TOML text (a new version when the text
/// differs from the latest stored one).
pub async fn register_toml(
    db: &Db,
    actor: &Actor,
    file: &str,
    text: &str,
) -> Result<i64, StoreError> {
    let questionnaire =
        Questionnaire::from_toml(file, text).map_err(|e| StoreError::Invalid(e.to_string()))?;
    register_questionnaire(
        db,
        actor,
        &NewQuestionnaire {
            code: questionnaire.id.clone(),
            title: questionnaire.title.clone(),
            format: "toml".into(),
            definition: text.to_string(),
            shape: QuestionnaireShape::of(&questionnaire),
        },
    )
    .await
}

/// Stores a bundled questionnaire (`sipas-2017`, `leader-2020`, `kiosk-2025`).
pub async fn register_bundled(db: &Db, actor: &Actor, id: &str) -> Result<i64, StoreError> {
    let bundled = chiso_survey::questionnaire::BUNDLED
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| StoreError::Invalid(format!("no bundled questionnaire {id}")))?;
    register_toml(db, actor, bundled.file, bundled.text).await
}

pub async fn get_questionnaire(db: &Db, id: i64) -> Result<QuestionnaireRow, StoreError> {
    let sql = format!("SELECT {QUESTIONNAIRE_COLUMNS} FROM questionnaires WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, QuestionnaireRow>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// Every questionnaire version, newest version of each code first.
pub async fn list_questionnaires(db: &Db) -> Result<Vec<QuestionnaireRow>, StoreError> {
    let sql =
        format!("SELECT {QUESTIONNAIRE_COLUMNS} FROM questionnaires ORDER BY code, version DESC");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, QuestionnaireRow>(&sql).fetch_all(pool).await?),
    )
}

/// The latest version of a code.
pub async fn latest_questionnaire(
    db: &Db,
    code: &str,
) -> Result<Option<QuestionnaireRow>, StoreError> {
    let sql = format!(
        "SELECT {QUESTIONNAIRE_COLUMNS} FROM questionnaires WHERE code = $1 ORDER BY version DESC LIMIT 1"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, QuestionnaireRow>(&sql).bind(code).fetch_optional(pool).await?),
    )
}

// ---------------------------------------------------------------------------------------------
// Waves

/// The state of a wave: a draft is set up, an open wave takes responses (within its dates), a
/// closed one takes none online (paper imports still land: forms are typed after the close).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveState {
    Draft,
    Open,
    Closed,
}

impl WaveState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaveState::Draft => "draft",
            WaveState::Open => "open",
            WaveState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<WaveState> {
        match text {
            "draft" => Some(WaveState::Draft),
            "open" => Some(WaveState::Open),
            "closed" => Some(WaveState::Closed),
            _ => None,
        }
    }
}

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
    pub state: String,
    pub margin_e: f64,
    pub duplicate_window_seconds: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WaveRow {
    pub fn state(&self) -> WaveState {
        WaveState::parse(&self.state).unwrap_or(WaveState::Draft)
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

    fn check(&self) -> Result<(), StoreError> {
        if self.title.trim().is_empty() {
            return Err(StoreError::Invalid("the wave title is empty".into()));
        }
        if !(2000..=2100).contains(&self.period_year) {
            return Err(StoreError::Invalid(format!(
                "year {} is out of range",
                self.period_year
            )));
        }
        if let Some(q) = self.period_quarter
            && !(1..=4).contains(&q)
        {
            return Err(StoreError::Invalid(format!("quarter {q} is not 1-4")));
        }
        if let (Some(opens), Some(closes)) = (self.opens_on, self.closes_on)
            && closes < opens
        {
            return Err(StoreError::Invalid(
                "the wave closes before it opens".into(),
            ));
        }
        if !(self.margin_e > 0.0 && self.margin_e < 1.0) {
            return Err(StoreError::Invalid(format!(
                "margin of error {} is not between 0 and 1",
                self.margin_e
            )));
        }
        if self.duplicate_window_seconds < 0 {
            return Err(StoreError::Invalid(
                "the duplicate window is negative".into(),
            ));
        }
        Ok(())
    }
}

const WAVE_COLUMNS: &str = "w.id, w.campaign_id, w.questionnaire_id, q.code AS questionnaire_code, \
     q.version AS questionnaire_version, w.title, w.period_year, w.period_quarter, w.opens_on, w.closes_on, \
     w.state, w.margin_e, w.duplicate_window_seconds, w.created_at, w.updated_at";

/// Creates a draft wave.
pub async fn create_wave(db: &Db, actor: &Actor, fields: &WaveFields) -> Result<i64, StoreError> {
    fields.check()?;
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
    transition_wave(
        db,
        actor,
        id,
        &[WaveState::Draft, WaveState::Closed],
        WaveState::Open,
    )
    .await
}

/// Closes an open wave, audited.
pub async fn close_wave(db: &Db, actor: &Actor, id: i64) -> Result<(), StoreError> {
    transition_wave(db, actor, id, &[WaveState::Open], WaveState::Closed).await
}

async fn transition_wave(
    db: &Db,
    actor: &Actor,
    id: i64,
    from: &[WaveState],
    to: WaveState,
) -> Result<(), StoreError> {
    let wave = get_wave(db, id).await?;
    let state = wave.state();
    if !from.contains(&state) {
        return Err(StoreError::Invalid(format!(
            "the wave is {}: it cannot become {}",
            state.as_str(),
            to.as_str()
        )));
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        if to == WaveState::Open {
            let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wave_units WHERE wave_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if units == 0 {
                return Err(StoreError::Invalid("the wave has no units".into()));
            }
        }
        let moved = sqlx::query("UPDATE waves SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(id)
            .bind(state.as_str())
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict("the wave changed state meanwhile".into()));
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
    if let Some((_, Some(n))) = units.iter().find(|(_, n)| n.is_some_and(|n| n < 0)) {
        return Err(StoreError::Invalid(format!("transactions {n} is negative")));
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
                        return Err(StoreError::Conflict("no free short link".into()));
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
            return Err(StoreError::Invalid("the unit has responses in this wave".into()));
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

// ---------------------------------------------------------------------------------------------
// Tokens and devices

/// Issues `count` one-time tokens for a unit of a wave (one per completed transaction, printed
/// as QR codes). The plaintext tokens are returned once and only their hashes are kept, so a
/// copy of the database answers nothing. One audit row per issue.
pub async fn issue_tokens(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    unit_id: i64,
    count: usize,
) -> Result<Vec<String>, StoreError> {
    issue_service_tokens(db, actor, wave_id, unit_id, None, count).await
}

/// [`issue_tokens`] for one of the unit's services: the answers of these tokens count for it.
pub async fn issue_service_tokens(
    db: &Db,
    actor: &Actor,
    wave_id: i64,
    unit_id: i64,
    service_id: Option<i64>,
    count: usize,
) -> Result<Vec<String>, StoreError> {
    if count == 0 || count > 100_000 {
        return Err(StoreError::Invalid(
            "issue between 1 and 100000 tokens at a time".into(),
        ));
    }
    let wave = get_wave(db, wave_id).await?;
    if wave.state() == WaveState::Closed {
        return Err(StoreError::Invalid("the wave is closed".into()));
    }
    let tokens: Vec<String> = (0..count).map(|_| random_code(TOKEN_LEN)).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| sha256_hex(t)).collect();
    let style = Placeholders::of(db);
    let now = Utc::now();
    in_transaction!(db, tx => {
        let member: Option<i64> = sqlx::query_scalar("SELECT unit_id FROM wave_units WHERE wave_id = $1 AND unit_id = $2")
            .bind(wave_id)
            .bind(unit_id)
            .fetch_optional(&mut *tx)
            .await?;
        if member.is_none() {
            return Err(StoreError::Invalid("the unit is not in the wave".into()));
        }
        let mut service_code = None;
        if let Some(service_id) = service_id {
            service_code = sqlx::query_scalar::<_, String>(
                "SELECT code FROM wave_services WHERE id = $1 AND wave_id = $2 AND unit_id = $3")
                .bind(service_id)
                .bind(wave_id)
                .bind(unit_id)
                .fetch_optional(&mut *tx)
                .await?;
            if service_code.is_none() {
                return Err(StoreError::Invalid("the service is not one of the unit's services in the wave".into()));
            }
        }
        for chunk in hashes.chunks(500) {
            let sql = format!(
                "INSERT INTO survey_tokens (wave_id, unit_id, issued_at, token_hash, service_id) VALUES {}",
                values_list(style, chunk.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for hash in chunk {
                query = query.bind(wave_id).bind(unit_id).bind(now).bind(hash).bind(service_id);
            }
            query.execute(&mut *tx).await?;
        }
        let issued = match &service_code {
            Some(code) => format!("{count} ({code})"),
            None => count.to_string(),
        };
        let mut entry = AuditEntry::new("issue_tokens", "wave", wave_id).unit(Some(unit_id))
            .change("tokens", None, Some(issued));
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(())
    })?;
    Ok(tokens)
}

/// How a backend numbers bound parameters in a long statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?` (SQLite): SQLite looks a numbered parameter's name up in a list, once per
    /// parameter, so a statement with thousands of `$N` spends its time binding (quadratic);
    /// anonymous `?` parameters are bound in order at no such cost.
    Anonymous,
}

impl Placeholders {
    fn of(db: &Db) -> Placeholders {
        match db {
            Db::Sqlite(_) => Placeholders::Anonymous,
            Db::Postgres(_) => Placeholders::Numbered,
        }
    }
}

/// The rows of a multi-row `VALUES` list with `per_row` parameters each, every value bound in
/// order: `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`.
fn values_list(style: Placeholders, rows: usize, per_row: usize) -> String {
    let mut out = String::with_capacity(rows * per_row * 6);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for k in 0..per_row {
            if k > 0 {
                out.push_str(", ");
            }
            match style {
                Placeholders::Anonymous => out.push('?'),
                Placeholders::Numbered => {
                    out.push('$');
                    out.push_str(&(row * per_row + k + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// What a token gives access to.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub wave_id: i64,
    pub unit_id: i64,
    pub used_at: Option<DateTime<Utc>>,
    pub response_id: Option<i64>,
    /// The service the token was issued for.
    pub service_id: Option<i64>,
}

/// Looks a plaintext token up (the public form shows the unit and whether it was answered).
pub async fn find_token(db: &Db, token: &str) -> Result<Option<TokenInfo>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, TokenInfo>(
        "SELECT id, wave_id, unit_id, used_at, response_id, service_id FROM survey_tokens WHERE token_hash = $1")
        .bind(sha256_hex(token.trim()))
        .fetch_optional(pool)
        .await?))
}

/// Issued and used tokens of a unit in a wave.
pub async fn token_counts(db: &Db, wave_id: i64, unit_id: i64) -> Result<(i64, i64), StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), COUNT(used_at) FROM survey_tokens WHERE wave_id = $1 AND unit_id = $2")
        .bind(wave_id)
        .bind(unit_id)
        .fetch_one(pool)
        .await?))
}

/// A kiosk or integration device.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct DeviceRow {
    pub id: i64,
    pub unit_id: i64,
    pub wave_id: Option<i64>,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const DEVICE_COLUMNS: &str = "id, unit_id, wave_id, name, active, created_at, last_used_at";

/// Creates a device key for a unit (and a wave, or `None` for the unit's open wave at each
/// submission). Returns the id and the plaintext key, shown once; the key's hash is stored.
pub async fn create_device(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    wave_id: Option<i64>,
    name: &str,
) -> Result<(i64, String), StoreError> {
    if name.trim().is_empty() {
        return Err(StoreError::Invalid("the device needs a name".into()));
    }
    let key = random_code(DEVICE_KEY_LEN);
    let hash = sha256_hex(&key);
    let now = Utc::now();
    let id = in_transaction!(db, tx => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO survey_devices (unit_id, wave_id, name, key_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id")
            .bind(unit_id)
            .bind(wave_id)
            .bind(name.trim())
            .bind(&hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("create", "survey_device", id).unit(Some(unit_id))
            .change("device", None, Some(name.trim().to_string()))).await?;
        Ok(id)
    })?;
    Ok((id, key))
}

/// Turns a device key off (or on again), audited.
pub async fn set_device_active(
    db: &Db,
    actor: &Actor,
    device_id: i64,
    active: bool,
) -> Result<(), StoreError> {
    in_transaction!(db, tx => {
        let old: (bool, i64) = sqlx::query_as("SELECT active, unit_id FROM survey_devices WHERE id = $1")
            .bind(device_id)
            .fetch_one(&mut *tx)
            .await?;
        if old.0 == active {
            return Ok(());
        }
        sqlx::query("UPDATE survey_devices SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("update", "survey_device", device_id).unit(Some(old.1))
            .change("active", Some(old.0.to_string()), Some(active.to_string()))).await?;
        Ok(())
    })
}

/// The active device a plaintext key belongs to.
pub async fn device_by_key(db: &Db, key: &str) -> Result<Option<DeviceRow>, StoreError> {
    let sql = format!(
        "SELECT {DEVICE_COLUMNS} FROM survey_devices WHERE key_hash = $1 AND active = TRUE"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, DeviceRow>(&sql).bind(sha256_hex(key.trim())).fetch_optional(pool).await?),
    )
}

/// The devices of a unit.
pub async fn devices(db: &Db, unit_id: i64) -> Result<Vec<DeviceRow>, StoreError> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM survey_devices WHERE unit_id = $1 ORDER BY id");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, DeviceRow>(&sql).bind(unit_id).fetch_all(pool).await?),
    )
}

/// The wave a device submits to: its own, or else the most recently opened wave that covers
/// its unit and is open today.
pub async fn device_wave(db: &Db, device: &DeviceRow) -> Result<Option<i64>, StoreError> {
    if device.wave_id.is_some() {
        return Ok(device.wave_id);
    }
    let today = today_in_vietnam();
    Ok(with_db_read!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT w.id FROM waves w JOIN wave_units wu ON wu.wave_id = w.id \
         WHERE wu.unit_id = $1 AND w.state = 'open' AND (w.opens_on IS NULL OR w.opens_on <= $2) \
         AND (w.closes_on IS NULL OR w.closes_on >= $2) ORDER BY w.id DESC LIMIT 1")
        .bind(device.unit_id)
        .bind(today)
        .fetch_optional(pool)
        .await?))
}

// ---------------------------------------------------------------------------------------------
// Submissions

/// One response as submitted (public form, kiosk, typed-in paper form).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// Free text (`online`, `kiosk`, `paper`…), stored normalised.
    pub channel: String,
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
    /// A response with only answers, weight 1.
    pub fn new(channel: &str, answers: Vec<u8>) -> Response {
        Response {
            channel: channel.to_string(),
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
    WaveNotOpen(String),
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
    #[error("{0}")]
    Invalid(String),
}

type WaveCheck = (
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    i64,
    String,
    Option<i64>,
);

const WAVE_CHECK: &str = "SELECT w.state, w.opens_on, w.closes_on, w.duplicate_window_seconds, q.shape, \
     (SELECT wu.unit_id FROM wave_units wu WHERE wu.wave_id = w.id AND wu.unit_id = $2) \
     FROM waves w JOIN questionnaires q ON q.id = w.questionnaire_id WHERE w.id = $1";

/// Whether the wave takes answers for the unit today (the shape is parsed apart, once per wave
/// and batch).
fn check_open(check: &WaveCheck, today: NaiveDate) -> Result<(), Refusal> {
    let (state, opens_on, closes_on, _, _, member) = check;
    if state != "open" {
        return Err(Refusal::WaveNotOpen(state.clone()));
    }
    if let Some(opens) = opens_on
        && today < *opens
    {
        return Err(Refusal::NotYetOpen(*opens));
    }
    if let Some(closes) = closes_on
        && today > *closes
    {
        return Err(Refusal::AlreadyClosed(*closes));
    }
    if member.is_none() {
        return Err(Refusal::UnitNotInWave);
    }
    Ok(())
}

fn check_fields(response: &Response) -> Result<(String, Option<String>), Refusal> {
    if !(response.weight.is_finite() && response.weight > 0.0) {
        return Err(Refusal::Invalid(format!(
            "weight {} is not a number > 0",
            response.weight
        )));
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
        return Err(Refusal::Invalid(format!(
            "the comment is longer than {MAX_COMMENT} characters"
        )));
    }
    Ok((normalize_channel(&response.channel), comment))
}

/// A connection that takes survey writes: the connection of an open transaction on either
/// backend (like [`AuditSink`]). The SQL is the same on both.
trait SurveyWrites {
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
struct PreparedRow {
    row: u64,
    unit_id: i64,
    unit_code: String,
    channel: String,
    respondent_id: Option<String>,
    weight: f64,
    answers: Vec<u8>,
    demographics: Option<Vec<u8>>,
    expectations: Option<Vec<u8>>,
    comment: Option<String>,
    service_id: Option<i64>,
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
                for (table, key, cells) in [
                    ("answer_stats", "item, value", &rows.answers),
                    ("demographic_stats", "question, value", &rows.demographics),
                ] {
                    for chunk in cells.chunks(COUNTERS_PER_UPSERT) {
                        let sql = format!(
                            "INSERT INTO {table} (wave_id, unit_id, channel, service_id, {key}, n, weight_sum, weight_sq_sum) \
                             VALUES {} ON CONFLICT (wave_id, unit_id, channel, service_id, {key}) DO UPDATE SET \
                             n = {table}.n + excluded.n, weight_sum = {table}.weight_sum + excluded.weight_sum, \
                             weight_sq_sum = {table}.weight_sq_sum + excluded.weight_sq_sum",
                            values_list($style, chunk.len(), 9)
                        );
                        let mut query = sqlx::query(&sql);
                        for cell in chunk {
                            query = query
                                .bind(wave_id)
                                .bind(cell.unit_id)
                                .bind(cell.channel)
                                .bind(cell.service_id)
                                .bind(cell.question)
                                .bind(cell.value)
                                .bind(sign * cell.stat.n as i64)
                                .bind(f * cell.stat.weight_sum)
                                .bind(f * cell.stat.weight_sq_sum);
                        }
                        query.execute(&mut *self).await?;
                    }
                }
                for chunk in rows.expectations.chunks(COUNTERS_PER_UPSERT) {
                    let sql = format!(
                        "INSERT INTO expectation_stats (wave_id, unit_id, channel, service_id, area, n, weight_sum, weight_sq_sum) \
                         VALUES {} ON CONFLICT (wave_id, unit_id, channel, service_id, area) DO UPDATE SET \
                         n = expectation_stats.n + excluded.n, \
                         weight_sum = expectation_stats.weight_sum + excluded.weight_sum, \
                         weight_sq_sum = expectation_stats.weight_sq_sum + excluded.weight_sq_sum",
                        values_list($style, chunk.len(), 8)
                    );
                    let mut query = sqlx::query(&sql);
                    for cell in chunk {
                        query = query
                            .bind(wave_id)
                            .bind(cell.unit_id)
                            .bind(cell.channel)
                            .bind(cell.service_id)
                            .bind(cell.value)
                            .bind(sign * cell.stat.n as i64)
                            .bind(f * cell.stat.weight_sum)
                            .bind(f * cell.stat.weight_sq_sum);
                    }
                    query.execute(&mut *self).await?;
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
/// it can wait in the [`SubmitQueue`](crate::survey_intake::SubmitQueue) for its batch.
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
                return Err(Refusal::Invalid(format!(
                    "the respondent id is longer than {MAX_RESPONDENT_ID} characters"
                )));
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
/// [`SubmitQueue`](crate::survey_intake::SubmitQueue), which commits them in groups.
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
                    std::collections::hash_map::Entry::Vacant(entry) => match parse_shape(&check.4) {
                        Ok(shape) => {
                            let tally = Tally::new(&shape);
                            entry.insert((shape, tally))
                        }
                        Err(e) => break 'one Err(Refusal::Invalid(e.to_string())),
                    },
                };
                if let Err(fault) = shape.check_response(&submission.answers, &submission.demographics, &submission.expectations) {
                    break 'one Err(Refusal::Invalid(fault));
                }
                let window = check.3;
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
                    comment: submission.comment.is_some(),
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
        // Out of one side of the counters, into the other.
        let mut before = Tally::new(&shape);
        before.add(row.unit_id, &row.channel, row.service_id, &row.packed(), row.flagged_duplicate);
        let mut after = Tally::new(&shape);
        after.add(row.unit_id, &row.channel, row.service_id, &row.packed(), flagged);
        tx.upsert_tally(row.wave_id, &before, -1).await?;
        tx.upsert_tally(row.wave_id, &after, 1).await?;
        tx.record(actor, &AuditEntry::new("update", "survey_response", response_id).unit(Some(row.unit_id))
            .change("flagged_duplicate", Some(row.flagged_duplicate.to_string()), Some(flagged.to_string()))
            .reason(reason)).await?;
        Ok(())
    })
}

/// A stored response as the counters see it.
#[derive(Clone, Debug, sqlx::FromRow)]
struct RawResponse {
    id: i64,
    wave_id: i64,
    unit_id: i64,
    channel: String,
    /// 0 when the response names no service.
    service_id: i64,
    weight: f64,
    answers: Vec<u8>,
    demographics: Option<Vec<u8>>,
    expectations: Option<Vec<u8>>,
    has_comment: i64,
    flagged_duplicate: bool,
}

const RAW_COLUMNS: &str = "id, wave_id, unit_id, channel, CAST(COALESCE(service_id, 0) AS BIGINT) AS service_id, weight, answers, demographics, expectations, \
     CAST(CASE WHEN comment IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_comment, flagged_duplicate";

impl RawResponse {
    fn packed(&self) -> Packed<'_> {
        Packed {
            weight: self.weight,
            answers: &self.answers,
            demographics: self.demographics.as_deref().unwrap_or(&[]),
            expectations: self.expectations.as_deref().unwrap_or(&[]),
            comment: self.has_comment != 0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Counters in memory

/// The parts of one response the counters take.
struct Packed<'a> {
    weight: f64,
    answers: &'a [u8],
    demographics: &'a [u8],
    expectations: &'a [u8],
    comment: bool,
}

/// Counters summed in memory per (unit, channel, service), in the survey crate's [`Counts`]
/// shape plus the number of flagged responses. One hash lookup per response, dense arrays
/// inside.
struct Tally {
    empty: Counts,
    /// Per unit, its channels and services (a handful: a linear search beats hashing a
    /// string).
    groups: HashMap<i64, Vec<TallyGroup>>,
}

struct TallyGroup {
    channel: String,
    /// The wave service answered about; 0 for none.
    service_id: i64,
    counts: Counts,
    flagged: i64,
}

/// The counter rows of a tally, ready to upsert.
struct TallyRows<'a> {
    groups: Vec<GroupRow<'a>>,
    answers: Vec<CellRow<'a>>,
    demographics: Vec<CellRow<'a>>,
    expectations: Vec<CellRow<'a>>,
}

struct GroupRow<'a> {
    unit_id: i64,
    channel: &'a str,
    service_id: i64,
    counts: &'a Counts,
    flagged: i64,
}

struct CellRow<'a> {
    unit_id: i64,
    channel: &'a str,
    service_id: i64,
    /// Item or question position (0-based); unused for expectations.
    question: i64,
    /// 1-based answer, option or area.
    value: i64,
    stat: AnswerStat,
}

impl Tally {
    fn new(shape: &QuestionnaireShape) -> Tally {
        Tally {
            empty: shape.empty_counts(),
            groups: HashMap::new(),
        }
    }

    fn group(&mut self, unit_id: i64, channel: &str, service_id: i64) -> &mut TallyGroup {
        let channels = self.groups.entry(unit_id).or_default();
        let at = match channels
            .iter()
            .position(|g| g.service_id == service_id && g.channel == channel)
        {
            Some(at) => at,
            None => {
                channels.push(TallyGroup {
                    channel: channel.to_string(),
                    service_id,
                    counts: self.empty.clone(),
                    flagged: 0,
                });
                channels.len() - 1
            }
        };
        &mut channels[at]
    }

    fn add(
        &mut self,
        unit_id: i64,
        channel: &str,
        service_id: i64,
        response: &Packed<'_>,
        flagged: bool,
    ) {
        let group = self.group(unit_id, channel, service_id);
        if flagged {
            group.flagged += 1;
            return;
        }
        add_response(&mut group.counts, response);
    }

    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The counter rows; empty cells are left out.
    fn rows(&self) -> TallyRows<'_> {
        let mut rows = TallyRows {
            groups: Vec::new(),
            answers: Vec::new(),
            demographics: Vec::new(),
            expectations: Vec::new(),
        };
        let mut units: Vec<&i64> = self.groups.keys().collect();
        units.sort();
        for &unit_id in units {
            for group in &self.groups[&unit_id] {
                let counts = &group.counts;
                let channel = group.channel.as_str();
                let service_id = group.service_id;
                rows.groups.push(GroupRow {
                    unit_id,
                    channel,
                    service_id,
                    counts,
                    flagged: group.flagged,
                });
                let per_item = counts.answers_per_item.max(1);
                for (index, stat) in counts.answers.iter().enumerate() {
                    if !stat.is_empty() {
                        rows.answers.push(CellRow {
                            unit_id,
                            channel,
                            service_id,
                            question: (index / per_item) as i64,
                            value: (index % per_item) as i64 + 1,
                            stat: *stat,
                        });
                    }
                }
                for (question, options) in counts.demographics.iter().enumerate() {
                    for (option, stat) in options.iter().enumerate() {
                        if !stat.is_empty() {
                            rows.demographics.push(CellRow {
                                unit_id,
                                channel,
                                service_id,
                                question: question as i64,
                                value: option as i64 + 1,
                                stat: *stat,
                            });
                        }
                    }
                }
                for (area, stat) in counts.expectations.iter().enumerate() {
                    if !stat.is_empty() {
                        rows.expectations.push(CellRow {
                            unit_id,
                            channel,
                            service_id,
                            question: 0,
                            value: area as i64 + 1,
                            stat: *stat,
                        });
                    }
                }
            }
        }
        rows
    }
}

/// Adds one counted response to counters, exactly as the survey crate's reader does: the
/// response, each non-blank answer, demographic option and expectation area, the respondents
/// who chose an area, and a comment.
fn add_response(counts: &mut Counts, response: &Packed<'_>) {
    let weight = response.weight;
    counts.responses.add(weight);
    let per_item = counts.answers_per_item;
    for (item, &value) in response.answers.iter().enumerate() {
        if value != 0 {
            counts.answers[item * per_item + usize::from(value) - 1].add(weight);
        }
    }
    for (question, &value) in response.demographics.iter().enumerate() {
        if value != 0
            && let Some(stat) = counts
                .demographics
                .get_mut(question)
                .and_then(|options| options.get_mut(usize::from(value) - 1))
        {
            stat.add(weight);
        }
    }
    if !response.expectations.is_empty() {
        counts.expectations_answered.add(weight);
        for &area in response.expectations {
            if let Some(stat) = counts
                .expectations
                .get_mut(usize::from(area).wrapping_sub(1))
            {
                stat.add(weight);
            }
        }
    }
    if response.comment {
        counts.comments += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Reading responses.csv rows for an import

/// One parsed row of `responses.csv` (interchange.md §5): row numbers count the header as
/// row 1. Answers, demographics and expectations are packed as stored (1-based positions,
/// 0 = blank).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRow {
    pub row: u64,
    pub unit_code: String,
    pub respondent_id: Option<String>,
    pub channel: String,
    pub weight: f64,
    pub answers: Vec<u8>,
    /// Empty when the file has no demographic column.
    pub demographics: Vec<u8>,
    pub expectations: Vec<u8>,
    pub comment: Option<String>,
    /// The code of one of the unit's services in the wave (the optional `service` column, an
    /// extension of interchange.md §5).
    pub service: Option<String>,
}

/// A row left out, with its number and reason (interchange.md §5: `{"row": 12, "reason": …}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowRejection {
    pub row: u64,
    pub reason: String,
}

/// Turns the fields of a responses.csv / .xlsx row into an [`ImportRow`] with the rules and
/// reasons of the survey crate's reader (interchange.md §5). The survey crate's reader sums
/// rows straight into counters and gives no rows, which an import needs to store; this is the
/// row-level twin, over the same [`Fields`] and [`Scanner`]. Duplicate respondent ids are
/// checked by the import (per batch in memory, then by the database's unique index), so
/// memory does not grow with the file.
pub struct RowParser<'q> {
    questionnaire: &'q Questionnaire,
    width: usize,
    unit: usize,
    respondent: usize,
    channel: Option<usize>,
    weight: Option<usize>,
    items: Vec<usize>,
    demographics: Vec<Option<usize>>,
    expectations: Option<usize>,
    comment: Option<usize>,
    service: Option<usize>,
    scale_text: String,
    /// The stored answer (position + 1) of each one-byte answer code; 0 where none. Most
    /// cells hold one byte, so this saves a search of the scale per answer.
    by_byte: [u8; 256],
    /// Columns the questionnaire does not know, ignored.
    pub warnings: Vec<String>,
}

fn trim_bytes(bytes: &[u8]) -> &[u8] {
    let mut start = 0;
    let mut end = bytes.len();
    while start < end && matches!(bytes[start], b' ' | b'\t') {
        start += 1;
    }
    while end > start && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    &bytes[start..end]
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.into_owned()
    }
}

impl<'q> RowParser<'q> {
    /// Reads the header row: `unit_code`, `respondent_id` and every item are required; the
    /// reason names every missing column.
    pub fn new(
        questionnaire: &'q Questionnaire,
        header: &[String],
    ) -> Result<RowParser<'q>, String> {
        let (names, mut problems) = column_names(header);
        let find = |code: &str| names.iter().position(|n| n == &code.to_ascii_lowercase());
        let require = |code: &str, problems: &mut Vec<String>| {
            find(code).unwrap_or_else(|| {
                problems.push(format!("missing column '{code}' in the header row"));
                0
            })
        };
        let unit = require("unit_code", &mut problems);
        let respondent = require("respondent_id", &mut problems);
        let items: Vec<usize> = questionnaire
            .items
            .iter()
            .map(|i| require(&i.code, &mut problems))
            .collect();
        if !problems.is_empty() {
            return Err(format!(
                "{} (questionnaire {})",
                problems.join("; "),
                questionnaire.id
            ));
        }
        let mut parser = RowParser {
            questionnaire,
            width: names.len(),
            unit,
            respondent,
            channel: find("channel"),
            weight: find("weight"),
            items,
            demographics: questionnaire
                .demographics
                .iter()
                .map(|d| find(&d.code))
                .collect(),
            expectations: questionnaire
                .expectations
                .as_ref()
                .and_then(|e| find(&e.question.code)),
            comment: questionnaire.comment.as_ref().and_then(|c| find(&c.code)),
            service: find("service"),
            scale_text: questionnaire.scale.describe(),
            by_byte: [0; 256],
            warnings: Vec::new(),
        };
        for (position, answer) in questionnaire.scale.answers.iter().enumerate() {
            if let [byte] = answer.code.as_bytes() {
                parser.by_byte[byte.to_ascii_lowercase() as usize] = position as u8 + 1;
                parser.by_byte[byte.to_ascii_uppercase() as usize] = position as u8 + 1;
            }
        }
        for (i, n) in names.iter().enumerate() {
            let known = chiso_survey::questionnaire::RESERVED_COLUMNS.contains(&n.as_str())
                || parser.items.contains(&i)
                || parser.demographics.contains(&Some(i))
                || parser.expectations == Some(i)
                || parser.comment == Some(i);
            if !known {
                parser.warnings.push(format!(
                    "column '{}' is not a question of {}: ignored",
                    header[i].trim(),
                    questionnaire.id
                ));
            }
        }
        Ok(parser)
    }

    /// Whether a row holds nothing (skipped silently, as a spreadsheet's empty line).
    pub fn is_blank(fields: &impl Fields) -> bool {
        (0..fields.len()).all(|i| trim_bytes(fields.get(i)).is_empty())
    }

    /// Parses one data row (`row` is its number, the header being 1).
    pub fn parse(&self, row: u64, fields: &impl Fields) -> Result<ImportRow, RowRejection> {
        let reject = |reason: String| Err(RowRejection { row, reason });
        let count = fields.len();
        if count != self.width {
            return reject(format!(
                "wrong column count: {count}, expected {}",
                self.width
            ));
        }
        let unit = trim_bytes(fields.get(self.unit));
        if unit.is_empty() {
            return reject("empty unit_code".to_string());
        }
        let weight = match self.weight {
            None => 1.0,
            Some(column) => match parse_weight(trim_bytes(fields.get(column))) {
                Ok(weight) => weight,
                Err(reason) => return reject(reason),
            },
        };
        let scale = &self.questionnaire.scale;
        let mut answers = Vec::with_capacity(self.items.len());
        for (k, &column) in self.items.iter().enumerate() {
            let field = trim_bytes(fields.get(column));
            if field.is_empty() {
                answers.push(0);
                continue;
            }
            if let [byte] = field
                && self.by_byte[*byte as usize] != 0
            {
                answers.push(self.by_byte[*byte as usize]);
                continue;
            }
            match std::str::from_utf8(field).ok().and_then(|s| scale.find(s)) {
                Some(position) => answers.push(position as u8 + 1),
                None => {
                    return reject(format!(
                        "{}: value {} is not {}",
                        self.questionnaire.items[k].code,
                        shown(field),
                        self.scale_text
                    ));
                }
            }
        }
        let mut demographics = Vec::new();
        if self.demographics.iter().any(Option::is_some) {
            for (d, column) in self.demographics.iter().enumerate() {
                let Some(column) = column else {
                    demographics.push(0);
                    continue;
                };
                let text = trim_bytes(fields.get(*column));
                if text.is_empty() {
                    demographics.push(0);
                    continue;
                }
                let question = &self.questionnaire.demographics[d];
                match std::str::from_utf8(text)
                    .ok()
                    .and_then(|s| question.find(s))
                {
                    Some(p) => demographics.push(p as u8 + 1),
                    None => {
                        return reject(format!(
                            "{}: '{}' is not one of {}",
                            question.code,
                            shown(text),
                            question.describe()
                        ));
                    }
                }
            }
        }
        let mut expectations: Vec<u8> = Vec::new();
        if let (Some(column), Some(declared)) =
            (self.expectations, &self.questionnaire.expectations)
        {
            for part in fields.get(column).split(|&b| b == b';') {
                let part = trim_bytes(part);
                if part.is_empty() {
                    continue;
                }
                match std::str::from_utf8(part)
                    .ok()
                    .and_then(|s| declared.question.find(s))
                {
                    Some(p) if !expectations.contains(&(p as u8 + 1)) => {
                        expectations.push(p as u8 + 1)
                    }
                    Some(_) => {}
                    None => {
                        return reject(format!(
                            "{}: '{}' is not one of {}",
                            declared.question.code,
                            shown(part),
                            declared.question.describe()
                        ));
                    }
                }
            }
            if expectations.len() > declared.max_choices {
                return reject(format!(
                    "{}: {} areas chosen, at most {}",
                    declared.question.code,
                    expectations.len(),
                    declared.max_choices
                ));
            }
        }
        let Ok(unit_code) = std::str::from_utf8(unit) else {
            return reject("unit_code is not UTF-8 text".to_string());
        };
        let text = |column: Option<usize>| -> Option<String> {
            let field = trim_bytes(fields.get(column?));
            (!field.is_empty()).then(|| String::from_utf8_lossy(field).into_owned())
        };
        Ok(ImportRow {
            row,
            unit_code: unit_code.to_string(),
            respondent_id: text(Some(self.respondent)),
            channel: text(self.channel).unwrap_or_default(),
            weight,
            answers,
            demographics,
            expectations,
            comment: text(self.comment),
            service: text(self.service),
        })
    }
}

/// A row given as text cells (an .xlsx sheet's row, a form's fields), for [`RowParser`].
pub struct StringFields<'a>(pub &'a [String]);

impl Fields for StringFields<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, index: usize) -> &[u8] {
        self.0[index].as_bytes()
    }
}

/// The data rows of a responses.csv, streamed: one [`ImportRow`] or [`RowRejection`] per
/// non-blank row. A read error ends the rows with a rejection naming it (an all-or-nothing
/// import then stores nothing).
pub struct CsvRows<'q, R> {
    scanner: Scanner<R>,
    parser: RowParser<'q>,
    row: u64,
    done: bool,
}

impl<'q, R: std::io::Read> CsvRows<'q, R> {
    /// Reads and checks the header row.
    /// The error's `file` is empty: the caller names the file.
    pub fn new(questionnaire: &'q Questionnaire, reader: R) -> Result<CsvRows<'q, R>, ReadError> {
        let mut scanner = Scanner::new(reader);
        let header = scanner
            .header()
            .map_err(|e| ReadError::header("", e))?
            .ok_or_else(|| ReadError::sheet("", SheetError::Empty))?;
        let parser = RowParser::new(questionnaire, &header).map_err(|message| ReadError {
            file: String::new(),
            row: None,
            message,
            cause: None,
        })?;
        Ok(CsvRows {
            scanner,
            parser,
            row: 1,
            done: false,
        })
    }

    /// Columns that were ignored.
    pub fn warnings(&self) -> &[String] {
        &self.parser.warnings
    }
}

impl<R: std::io::Read> Iterator for CsvRows<'_, R> {
    type Item = Result<ImportRow, RowRejection>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            match self.scanner.next_record() {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    let problem = match limit_of(&e) {
                        Some(limit) => limit.message(),
                        None => e.to_string(),
                    };
                    return Some(Err(RowRejection {
                        row: self.row + 1,
                        reason: format!("the file cannot be read from this row on: {problem}"),
                    }));
                }
                Ok(Some(record)) => {
                    self.row += 1;
                    if RowParser::is_blank(&record) {
                        continue;
                    }
                    return Some(self.parser.parse(self.row, &record));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk import

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

struct ImportState {
    rows_read: u64,
    accepted: u64,
    rejected: u64,
    rejections: Vec<RowRejection>,
}

impl ImportState {
    fn reject(&mut self, row: u64, reason: String) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REPORTED_REJECTIONS {
            self.rejections.push(RowRejection { row, reason });
        }
    }
}

/// Checks one batch in memory: reader rejections, units outside the wave, answers that do not
/// fit, and respondent ids repeated within the batch (repeats across batches and against
/// stored responses are caught by the unique index at insert time).
fn prepare_batch(
    batch: Vec<Result<ImportRow, RowRejection>>,
    units: &HashMap<String, i64>,
    services: &HashMap<(i64, String), i64>,
    shape: &QuestionnaireShape,
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
                format!("unit_code {unit_code} is not in this survey"),
            );
            continue;
        };
        if let Err(fault) = shape.check_response(&row.answers, &row.demographics, &row.expectations)
        {
            state.reject(row.row, fault);
            continue;
        }
        if !(row.weight.is_finite() && row.weight > 0.0) {
            state.reject(row.row, format!("weight: {} is not > 0", row.weight));
            continue;
        }
        // Strings are moved, not copied, when they need no trimming (the usual case: an
        // import allocates per row, and a million rows make that count).
        let respondent_id = row
            .respondent_id
            .map(chiso_survey::normalize_respondent_id_owned)
            .filter(|s| !s.is_empty());
        if let Some(id) = &respondent_id {
            if id.chars().count() > MAX_RESPONDENT_ID {
                state.reject(
                    row.row,
                    format!("respondent_id is longer than {MAX_RESPONDENT_ID} characters"),
                );
                continue;
            }
            match seen.entry((unit_id, id.clone())) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    state.reject(
                        row.row,
                        format!(
                            "respondent_id {id} repeated in unit {unit_code} (first at row {})",
                            first.get()
                        ),
                    );
                    continue;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(row.row);
                }
            }
        }
        let comment = row
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.chars().take(MAX_COMMENT).collect::<String>());
        let service_id = match row.service.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => match services.get(&(unit_id, code.to_uppercase())) {
                Some(&id) => Some(id),
                None => {
                    state.reject(
                        row.row,
                        format!("service {code} is not one of unit {unit_code}'s services"),
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
        return Err(StoreError::Invalid(
            "the wave is a draft: open it before importing".into(),
        ));
    }
    let shape = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .shape()?;
    let units: HashMap<String, i64> = wave_units(db, wave_id)
        .await?
        .into_iter()
        .map(|u| (u.unit_code, u.unit_id))
        .collect();
    let services: HashMap<(i64, String), i64> = crate::survey_services::services(db, wave_id, None)
        .await?
        .into_iter()
        .map(|s| ((s.unit_id, s.code), s.id))
        .collect();
    let batch_size = options.batch_size.clamp(1, 1_000_000);
    let mut rows = rows.into_iter();
    let mut state = ImportState {
        rows_read: 0,
        accepted: 0,
        rejected: 0,
        rejections: Vec::new(),
    };
    let started = Utc::now();
    let import_id: i64 = in_transaction!(db, tx => {
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
    })?;

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
            let mut prepared = prepare_batch(first, &units, &services, &shape, &mut state);
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
                // An all-or-nothing import that has failed goes on writing (to be rolled back):
                // the unique index is what finds a respondent repeated across batches, and the
                // report names every bad row at once.
                for (row, went_in) in prepared.iter().zip(written?) {
                    if went_in {
                        let packed = Packed {
                            weight: row.weight,
                            answers: &row.answers,
                            demographics: row.demographics.as_deref().unwrap_or(&[]),
                            expectations: row.expectations.as_deref().unwrap_or(&[]),
                            comment: row.comment.is_some(),
                        };
                        tally.add(
                            row.unit_id,
                            &row.channel,
                            row.service_id.unwrap_or(0),
                            &packed,
                            false,
                        );
                        state.accepted += 1;
                    } else {
                        state.reject(
                            row.row,
                            format!(
                                "respondent_id {} repeated in unit {} (already stored)",
                                row.respondent_id.as_deref().unwrap_or_default(),
                                row.unit_code
                            ),
                        );
                    }
                }
                if options.skip_bad_rows {
                    if !tally.is_empty() {
                        tx.upsert_tally(wave_id, &tally, 1).await?;
                        tally = Tally::new(&shape);
                    }
                    tx.commit().await?;
                    tx = $begin.await?;
                }
                progress(state.rows_read, options.total_rows);
                if next.is_empty() {
                    break;
                }
                exhausted = next.len() < batch_size;
                prepared = prepare_batch(next, &units, &services, &shape, &mut state);
            }
            if options.skip_bad_rows || state.rejected == 0 {
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
    // Rejections are reported in row order whatever the batch they were found in.
    state.rejections.sort_by_key(|r| r.row);
    let stored = outcome.is_ok() && (options.skip_bad_rows || state.rejected == 0);
    if !stored && !options.skip_bad_rows {
        state.accepted = 0;
    }
    let finished = Utc::now();
    let final_state = if stored { "done" } else { "failed" };
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
        let mut entry = AuditEntry::new("import", "wave", wave_id).change(
            "responses",
            None,
            Some(format!("{}: {} rows read, {} accepted, {} rejected{}", options.file_name, state.rows_read,
                state.accepted, state.rejected, if stored { "" } else { ", nothing stored" })),
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

// ---------------------------------------------------------------------------------------------
// Reading the counters

/// The counters of one unit: the survey crate's [`Counts`] (what [`index_from_counts`] takes)
/// and the responses set aside as likely duplicates.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitCounts {
    pub unit_id: i64,
    pub counts: Counts,
    pub flagged: u64,
}

fn in_list(first: usize, count: usize) -> String {
    (0..count)
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stat(n: i64, weight_sum: f64, weight_sq_sum: f64) -> AnswerStat {
    AnswerStat {
        n: n.max(0) as u64,
        weight_sum,
        weight_sq_sum,
    }
}

/// Which responses a figure counts: every channel or one, every service or one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice<'a> {
    pub channel: Option<&'a str>,
    pub service_id: Option<i64>,
}

impl<'a> Slice<'a> {
    pub fn channel(channel: Option<&'a str>) -> Slice<'a> {
        Slice {
            channel,
            service_id: None,
        }
    }

    pub fn service(service_id: i64) -> Slice<'a> {
        Slice {
            channel: None,
            service_id: Some(service_id),
        }
    }
}

/// The counters of `units` in a wave (every unit of the wave with counters when `units` is
/// empty), over every channel or one, read from the counter tables only: a few hundred rows per
/// unit whatever the number of responses, so an index for a unit or a group is milliseconds
/// after ten million responses. Units without counters come back with empty counters, in the
/// order asked.
pub async fn counts(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    channel: Option<&str>,
) -> Result<Vec<UnitCounts>, StoreError> {
    counts_of_slice(db, wave_id, units, &Slice::channel(channel)).await
}

/// [`counts`] of one slice: a channel, a service or both.
pub async fn counts_of_slice(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    slice: &Slice<'_>,
) -> Result<Vec<UnitCounts>, StoreError> {
    let wave = get_wave(db, wave_id).await?;
    let shape = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .shape()?;
    counts_of_shape(db, wave_id, &shape, units, slice).await
}

async fn counts_of_shape(
    db: &Db,
    wave_id: i64,
    shape: &QuestionnaireShape,
    units: &[i64],
    slice: &Slice<'_>,
) -> Result<Vec<UnitCounts>, StoreError> {
    // '' selects every channel (a blank channel alone is not something the screens ask for);
    // service -1 every service (0 is "none named").
    let channel = slice.channel.map(normalize_channel).unwrap_or_default();
    let service = slice.service_id.unwrap_or(-1);
    let filter = if units.is_empty() {
        String::new()
    } else {
        format!(" AND unit_id IN ({})", in_list(4, units.len()))
    };
    let groups_sql = format!(
        "SELECT unit_id, CAST(SUM(n) AS BIGINT), SUM(weight_sum), SUM(weight_sq_sum), CAST(SUM(flagged) AS BIGINT), \
         CAST(SUM(expectations_n) AS BIGINT), SUM(expectations_weight_sum), SUM(expectations_weight_sq_sum), \
         CAST(SUM(comments) AS BIGINT) FROM response_stats WHERE wave_id = $1 AND ($2 = '' OR channel = $2) \
         AND ($3 < 0 OR service_id = $3){filter} \
         GROUP BY unit_id"
    );
    let cells_sql = |table: &str, key: &str| {
        format!(
            "SELECT unit_id, {key}, CAST(SUM(n) AS BIGINT), SUM(weight_sum), SUM(weight_sq_sum) FROM {table} \
             WHERE wave_id = $1 AND ($2 = '' OR channel = $2) AND ($3 < 0 OR service_id = $3){filter} \
             GROUP BY unit_id, {key}"
        )
    };
    type GroupSums = (i64, i64, f64, f64, i64, i64, f64, f64, i64);
    type CellSums = (i64, i64, i64, i64, f64, f64);
    type AreaSums = (i64, i64, i64, f64, f64);
    macro_rules! fetch {
        ($ty:ty, $sql:expr) => {{
            let sql = $sql;
            with_db_read!(db, pool => {
                let mut query = sqlx::query_as::<_, $ty>(&sql).bind(wave_id).bind(&channel).bind(service);
                for unit in units {
                    query = query.bind(*unit);
                }
                query.fetch_all(pool).await?
            })
        }};
    }
    let groups: Vec<GroupSums> = fetch!(GroupSums, groups_sql);
    let answers: Vec<CellSums> = fetch!(CellSums, cells_sql("answer_stats", "item, value"));
    let demographics: Vec<CellSums> =
        fetch!(CellSums, cells_sql("demographic_stats", "question, value"));
    let expectations: Vec<AreaSums> = fetch!(AreaSums, cells_sql("expectation_stats", "area"));

    let mut order: Vec<i64> = units.to_vec();
    if order.is_empty() {
        order = groups.iter().map(|g| g.0).collect();
        order.sort();
    }
    let mut by_unit: HashMap<i64, UnitCounts> = order
        .iter()
        .map(|&unit_id| {
            (
                unit_id,
                UnitCounts {
                    unit_id,
                    counts: shape.empty_counts(),
                    flagged: 0,
                },
            )
        })
        .collect();
    for (unit_id, n, w, w2, flagged, en, ew, ew2, comments) in groups {
        if let Some(unit) = by_unit.get_mut(&unit_id) {
            unit.counts.responses = stat(n, w, w2);
            unit.flagged = flagged.max(0) as u64;
            unit.counts.expectations_answered = stat(en, ew, ew2);
            unit.counts.comments = comments.max(0) as u64;
        }
    }
    for (unit_id, item, value, n, w, w2) in answers {
        if let Some(unit) = by_unit.get_mut(&unit_id) {
            let per_item = unit.counts.answers_per_item as i64;
            if value >= 1 && value <= per_item {
                let index = (item * per_item + value - 1) as usize;
                if let Some(cell) = unit.counts.answers.get_mut(index) {
                    *cell = stat(n, w, w2);
                }
            }
        }
    }
    for (unit_id, question, value, n, w, w2) in demographics {
        if let Some(cell) = by_unit.get_mut(&unit_id).and_then(|u| {
            u.counts
                .demographics
                .get_mut(question as usize)?
                .get_mut((value - 1) as usize)
        }) {
            *cell = stat(n, w, w2);
        }
    }
    for (unit_id, area, n, w, w2) in expectations {
        if let Some(cell) = by_unit
            .get_mut(&unit_id)
            .and_then(|u| u.counts.expectations.get_mut((area - 1) as usize))
        {
            *cell = stat(n, w, w2);
        }
    }
    Ok(order
        .iter()
        .filter_map(|unit_id| by_unit.remove(unit_id))
        .collect())
}

/// The result of one unit, or of a group of units pooled (their counters summed), computed by
/// the survey crate from the counters only.
pub async fn result(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    channel: Option<&str>,
) -> Result<SurveyResult, StoreError> {
    result_of_slice(db, wave_id, units, &Slice::channel(channel)).await
}

/// [`result`] of one slice: a channel, a service or both.
pub async fn result_of_slice(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    slice: &Slice<'_>,
) -> Result<SurveyResult, StoreError> {
    let wave = get_wave(db, wave_id).await?;
    let row = get_questionnaire(db, wave.questionnaire_id).await?;
    let questionnaire = row.questionnaire()?;
    let shape = row.shape()?;
    let parts = counts_of_shape(db, wave_id, &shape, units, slice).await?;
    let mut total = shape.empty_counts();
    for part in &parts {
        total.merge(&part.counts);
    }
    Ok(index_from_counts(&questionnaire, &total))
}

/// The channels that have counters in a wave.
pub async fn channels(db: &Db, wave_id: i64) -> Result<Vec<String>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT channel FROM response_stats WHERE wave_id = $1 ORDER BY channel")
        .bind(wave_id)
        .fetch_all(pool)
        .await?))
}

// ---------------------------------------------------------------------------------------------
// Recomputing the counters

/// What a recomputation found: counter cells whose stored value differed from the raw rows.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Drift {
    /// Responses read (counted and flagged).
    pub responses: u64,
    /// Counter cells (responses, flagged, comments, each answer, option and area, per unit and
    /// channel) whose count or weights differed.
    pub cells_differing: u64,
    /// Σ |stored n − recomputed n| over those cells.
    pub n_difference: u64,
}

impl Drift {
    pub fn is_zero(&self) -> bool {
        self.cells_differing == 0
    }
}

/// Responses read per page while recomputing: bounded memory whatever the wave's size.
const RECOMPUTE_PAGE: i64 = 50_000;

fn weights_differ(a: f64, b: f64) -> bool {
    (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn compare_stat(drift: &mut Drift, stored: &AnswerStat, fresh: &AnswerStat) {
    if stored.n != fresh.n
        || weights_differ(stored.weight_sum, fresh.weight_sum)
        || weights_differ(stored.weight_sq_sum, fresh.weight_sq_sum)
    {
        drift.cells_differing += 1;
        drift.n_difference += stored.n.abs_diff(fresh.n);
    }
}

fn compare_counts(drift: &mut Drift, stored: &Counts, fresh: &Counts) {
    compare_stat(drift, &stored.responses, &fresh.responses);
    compare_stat(
        drift,
        &stored.expectations_answered,
        &fresh.expectations_answered,
    );
    if stored.comments != fresh.comments {
        drift.cells_differing += 1;
        drift.n_difference += stored.comments.abs_diff(fresh.comments);
    }
    for (a, b) in stored.answers.iter().zip(&fresh.answers) {
        compare_stat(drift, a, b);
    }
    for (a, b) in stored.demographics.iter().zip(&fresh.demographics) {
        for (x, y) in a.iter().zip(b) {
            compare_stat(drift, x, y);
        }
    }
    for (a, b) in stored.expectations.iter().zip(&fresh.expectations) {
        compare_stat(drift, a, b);
    }
}

/// Rebuilds a wave's counters from its raw responses and reports the drift between what was
/// stored and what the rows say (a scheduled job; zero drift is the expected outcome). Writers
/// wait meanwhile: SQLite has one writer, and on PostgreSQL the counter tables are locked, so
/// no response commits between the read and the rewrite. One audit row records the drift.
pub async fn recompute_counters(db: &Db, actor: &Actor, wave_id: i64) -> Result<Drift, StoreError> {
    let wave = get_wave(db, wave_id).await?;
    let shape = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .shape()?;
    let select = format!(
        "SELECT {RAW_COLUMNS} FROM responses WHERE wave_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    );
    in_transaction!(db, tx => {
        if db.backend() == crate::Backend::Postgres {
            sqlx::query("LOCK TABLE response_stats, answer_stats, demographic_stats, expectation_stats IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let mut fresh = Tally::new(&shape);
        let mut drift = Drift::default();
        let mut after = 0i64;
        loop {
            let page: Vec<RawResponse> = sqlx::query_as(&select)
                .bind(wave_id)
                .bind(after)
                .bind(RECOMPUTE_PAGE)
                .fetch_all(&mut *tx)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                drift.responses += 1;
                fresh.add(row.unit_id, &row.channel, row.service_id, &row.packed(), row.flagged_duplicate);
            }
        }
        // What is stored now, per unit and channel, read inside the transaction.
        let mut stored = Tally::new(&shape);
        type GroupRow = (i64, String, i64, i64, f64, f64, i64, i64, f64, f64, i64);
        let groups: Vec<GroupRow> = sqlx::query_as(
            "SELECT unit_id, channel, CAST(service_id AS BIGINT), n, weight_sum, weight_sq_sum, flagged, expectations_n, expectations_weight_sum, \
             expectations_weight_sq_sum, comments FROM response_stats WHERE wave_id = $1")
            .bind(wave_id)
            .fetch_all(&mut *tx)
            .await?;
        for (unit_id, channel, service_id, n, w, w2, flagged, en, ew, ew2, comments) in groups {
            let group = stored.group(unit_id, &channel, service_id);
            group.counts.responses = stat(n, w, w2);
            group.counts.expectations_answered = stat(en, ew, ew2);
            group.counts.comments = comments.max(0) as u64;
            group.flagged = flagged;
        }
        type CellRow = (i64, String, i64, i64, i64, i64, f64, f64);
        for (table, key) in [("answer_stats", "item, value"), ("demographic_stats", "question, value"),
                             ("expectation_stats", "CAST(0 AS BIGINT), area")] {
            let cells: Vec<CellRow> = sqlx::query_as(&format!(
                "SELECT unit_id, channel, CAST(service_id AS BIGINT), {key}, n, weight_sum, weight_sq_sum FROM {table} WHERE wave_id = $1"))
                .bind(wave_id)
                .fetch_all(&mut *tx)
                .await?;
            for (unit_id, channel, service_id, question, value, n, w, w2) in cells {
                let counts = &mut stored.group(unit_id, &channel, service_id).counts;
                let per_item = counts.answers_per_item as i64;
                let cell = match table {
                    "answer_stats" if value >= 1 && value <= per_item =>
                        counts.answers.get_mut((question * per_item + value - 1) as usize),
                    "demographic_stats" => counts.demographics.get_mut(question as usize)
                        .and_then(|o| o.get_mut((value - 1) as usize)),
                    "expectation_stats" => counts.expectations.get_mut((value - 1) as usize),
                    _ => None,
                };
                if let Some(cell) = cell {
                    *cell = stat(n, w, w2);
                }
            }
        }
        let empty = shape.empty_counts();
        let mut seen: HashSet<(i64, String, i64)> = HashSet::new();
        for (unit_id, groups) in &fresh.groups {
            for group in groups {
                seen.insert((*unit_id, group.channel.clone(), group.service_id));
                let old = stored.groups.get(unit_id)
                    .and_then(|gs| gs.iter().find(|g| g.channel == group.channel && g.service_id == group.service_id));
                compare_counts(&mut drift, old.map_or(&empty, |g| &g.counts), &group.counts);
                let old_flagged = old.map_or(0, |g| g.flagged);
                if old_flagged != group.flagged {
                    drift.cells_differing += 1;
                    drift.n_difference += old_flagged.abs_diff(group.flagged);
                }
            }
        }
        for (unit_id, groups) in &stored.groups {
            for group in groups.iter().filter(|g| !seen.contains(&(*unit_id, g.channel.clone(), g.service_id))) {
                compare_counts(&mut drift, &group.counts, &empty);
                if group.flagged != 0 {
                    drift.cells_differing += 1;
                    drift.n_difference += group.flagged.unsigned_abs();
                }
            }
        }
        for table in ["response_stats", "answer_stats", "demographic_stats", "expectation_stats"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE wave_id = $1"))
                .bind(wave_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.upsert_tally(wave_id, &fresh, 1).await?;
        let mut entry = AuditEntry::new("recompute_counters", "wave", wave_id).change(
            "drift",
            None,
            Some(format!("{} responses, {} counter cells differed, n off by {}",
                drift.responses, drift.cells_differing, drift.n_difference)),
        );
        entry.campaign_id = wave.campaign_id;
        tx.record(actor, &entry).await?;
        Ok(drift)
    })
}

// ---------------------------------------------------------------------------------------------
// Single responses and imports

/// A stored response.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct StoredResponse {
    pub id: i64,
    pub wave_id: i64,
    pub unit_id: i64,
    pub channel: String,
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

/// An import as recorded.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub wave_id: i64,
    pub file_name: String,
    pub state: String,
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

// ---------------------------------------------------------------------------------------------
// Merging into the PAR INDEX

/// Which survey figure fills a leaf: points = the figure (%) × the leaf's max / 100. The SIPAS
/// leaf takes the questionnaire's `index` (× 10 / 100 for a 10-point leaf); a leader-survey
/// criterion takes its `item:<code>` (the item's mean share, so the leaf gets the item's
/// points); `factor:<code>` takes a factor's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafSource {
    Index,
    Factor(String),
    Item(String),
}

impl LeafSource {
    pub fn parse(text: &str) -> Result<LeafSource, StoreError> {
        let text = text.trim();
        if text == "index" {
            return Ok(LeafSource::Index);
        }
        match text.split_once(':') {
            Some(("factor", code)) if !code.trim().is_empty() => {
                Ok(LeafSource::Factor(code.trim().to_string()))
            }
            Some(("item", code)) if !code.trim().is_empty() => {
                Ok(LeafSource::Item(code.trim().to_string()))
            }
            _ => Err(StoreError::Invalid(format!(
                "survey source '{text}' is not index, factor:<code> or item:<code>"
            ))),
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            LeafSource::Index => "index".to_string(),
            LeafSource::Factor(code) => format!("factor:{code}"),
            LeafSource::Item(code) => format!("item:{code}"),
        }
    }

    /// Whether the questionnaire has the factor or item.
    fn check(&self, questionnaire: &Questionnaire) -> Result<(), StoreError> {
        let known = match self {
            LeafSource::Index => true,
            LeafSource::Factor(code) => questionnaire.factor(code).is_some(),
            LeafSource::Item(code) => questionnaire.item(code).is_some(),
        };
        if known {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!(
                "questionnaire {} has no {}",
                questionnaire.id,
                self.as_string()
            )))
        }
    }

    /// The figure (%) this source reads from a result; `None` when nothing feeds it.
    pub fn value(&self, result: &SurveyResult) -> Option<f64> {
        match self {
            LeafSource::Index => result.index,
            LeafSource::Factor(code) => result
                .factors
                .iter()
                .find(|f| &f.code == code)
                .and_then(|f| f.index),
            LeafSource::Item(code) => result
                .items
                .iter()
                .find(|i| &i.code == code)
                .and_then(|i| i.satisfied_rate),
        }
    }
}

/// A stored mapping of a campaign's survey leaf to a wave's figure.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LeafMapRow {
    pub id: i64,
    pub campaign_id: i64,
    pub node_id: i64,
    pub node_code: String,
    pub framework_id: i64,
    /// Ten-thousandths.
    pub max_points: Option<i64>,
    pub wave_id: i64,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// The campaign's survey-leaf mappings, by framework then leaf code.
pub async fn leaf_maps(db: &Db, campaign_id: i64) -> Result<Vec<LeafMapRow>, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, LeafMapRow>(
        "SELECT m.id, m.campaign_id, m.node_id, n.code AS node_code, n.framework_id, n.max_points, m.wave_id, \
         m.source, m.created_at FROM survey_leaf_maps m JOIN framework_nodes n ON n.id = m.node_id \
         WHERE m.campaign_id = $1 ORDER BY n.framework_id, n.position")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?))
}

/// A mapping checked and ready to store.
struct CheckedMap {
    node_id: i64,
    code: String,
    source: LeafSource,
}

/// Checks that the campaign may still change its mappings, that `wave_id` exists, and returns
/// its questionnaire.
async fn mapping_scope(
    db: &Db,
    campaign_id: i64,
    wave_id: i64,
) -> Result<(crate::campaigns::CampaignRow, Questionnaire), StoreError> {
    let campaign = crate::campaigns::get(db, campaign_id).await?;
    if matches!(
        campaign.state(),
        chiso_domain::campaign::CampaignState::Finalized
            | chiso_domain::campaign::CampaignState::Published
    ) {
        return Err(StoreError::Invalid(format!(
            "the campaign is {}: its survey leaves are final",
            campaign.state
        )));
    }
    let wave = get_wave(db, wave_id).await?;
    let questionnaire = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    Ok((campaign, questionnaire))
}

/// The survey leaves of the campaign's frameworks: (node id, code) per framework leaf whose
/// method is `survey`.
async fn campaign_survey_leaves(
    db: &Db,
    campaign_id: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut leaves = Vec::new();
    for group in crate::campaigns::frameworks(db, campaign_id).await? {
        let stored = crate::frameworks::load(db, group.framework_id).await?;
        for &leaf in stored.framework.leaves() {
            let node = stored.framework.node(leaf);
            if node.method == chiso_domain::Method::Survey
                && let Some(&id) = stored.node_ids.get(&node.code)
            {
                leaves.push((id, node.code.clone()));
            }
        }
    }
    Ok(leaves)
}

async fn store_maps(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    wave_id: i64,
    maps: &[CheckedMap],
) -> Result<(), StoreError> {
    let old: HashMap<i64, (i64, String)> = leaf_maps(db, campaign_id)
        .await?
        .into_iter()
        .map(|m| (m.node_id, (m.wave_id, m.source)))
        .collect();
    let now = Utc::now();
    in_transaction!(db, tx => {
        for map in maps {
            let source = map.source.as_string();
            let before = old.get(&map.node_id);
            if before == Some(&(wave_id, source.clone())) {
                continue;
            }
            sqlx::query(
                "INSERT INTO survey_leaf_maps (campaign_id, node_id, wave_id, source, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (campaign_id, node_id) DO UPDATE SET wave_id = excluded.wave_id, source = excluded.source")
                .bind(campaign_id)
                .bind(map.node_id)
                .bind(wave_id)
                .bind(&source)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.record(actor, &AuditEntry::new("update", "campaign", campaign_id)
                .change(&format!("survey_leaf[{}]", map.code),
                    before.map(|(w, s)| format!("wave {w}: {s}")),
                    Some(format!("wave {wave_id}: {source}")))
                .campaign(campaign_id)).await?;
        }
        Ok(())
    })
}

/// Maps one survey leaf of the campaign (a framework node id) to a wave's figure, audited.
/// Refused once the campaign is finalized, for a node that is not a survey leaf of the
/// campaign's frameworks, or a source the wave's questionnaire lacks.
pub async fn set_leaf_map(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    node_id: i64,
    wave_id: i64,
    source: &str,
) -> Result<(), StoreError> {
    let (_, questionnaire) = mapping_scope(db, campaign_id, wave_id).await?;
    let source = LeafSource::parse(source)?;
    source.check(&questionnaire)?;
    let leaves = campaign_survey_leaves(db, campaign_id).await?;
    let Some((_, code)) = leaves.iter().find(|(id, _)| *id == node_id) else {
        return Err(StoreError::Invalid(
            "the node is not a survey leaf of the campaign's frameworks".into(),
        ));
    };
    store_maps(
        db,
        actor,
        campaign_id,
        wave_id,
        &[CheckedMap {
            node_id,
            code: code.clone(),
            source,
        }],
    )
    .await
}

/// Maps the campaign's survey leaves as the wave's questionnaire declares (its `[par]`
/// section: the index feeds one leaf, or each item feeds its own leaf), in every framework of
/// the campaign that has those leaves. Returns how many leaves are mapped; a declared leaf that
/// no framework of the campaign has as a survey leaf is an error naming it, and nothing is
/// stored.
pub async fn map_leaves_from_questionnaire(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    wave_id: i64,
) -> Result<usize, StoreError> {
    let (_, questionnaire) = mapping_scope(db, campaign_id, wave_id).await?;
    let Some(par) = &questionnaire.par else {
        return Err(StoreError::Invalid(format!(
            "questionnaire {} declares no PAR mapping",
            questionnaire.id
        )));
    };
    let wanted: Vec<(String, LeafSource)> = match &par.method {
        chiso_survey::questionnaire::ParMethod::Index { leaf } => leaf
            .iter()
            .map(|l| (l.clone(), LeafSource::Index))
            .collect(),
        chiso_survey::questionnaire::ParMethod::ItemPoints => questionnaire
            .items
            .iter()
            .filter_map(|i| Some((i.leaf.clone()?, LeafSource::Item(i.code.clone()))))
            .collect(),
    };
    let leaves = campaign_survey_leaves(db, campaign_id).await?;
    let mut maps = Vec::new();
    let mut missing = Vec::new();
    for (code, source) in wanted {
        let mut found = false;
        for (node_id, leaf_code) in &leaves {
            if *leaf_code == code {
                found = true;
                maps.push(CheckedMap {
                    node_id: *node_id,
                    code: code.clone(),
                    source: source.clone(),
                });
            }
        }
        if !found {
            missing.push(code);
        }
    }
    if !missing.is_empty() {
        return Err(StoreError::Invalid(format!(
            "no survey leaf {} in the campaign's frameworks",
            missing.join(", ")
        )));
    }
    store_maps(db, actor, campaign_id, wave_id, &maps).await?;
    Ok(maps.len())
}

/// Removes a leaf's mapping, audited.
pub async fn remove_leaf_map(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    node_id: i64,
) -> Result<(), StoreError> {
    let old = leaf_maps(db, campaign_id)
        .await?
        .into_iter()
        .find(|m| m.node_id == node_id)
        .ok_or(StoreError::NotFound)?;
    in_transaction!(db, tx => {
        sqlx::query("DELETE FROM survey_leaf_maps WHERE campaign_id = $1 AND node_id = $2")
            .bind(campaign_id)
            .bind(node_id)
            .execute(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("update", "campaign", campaign_id)
            .change(&format!("survey_leaf[{}]", old.node_code),
                Some(format!("wave {}: {}", old.wave_id, old.source)), None)
            .campaign(campaign_id)).await?;
        Ok(())
    })
}

/// The points a survey leaf gets for a unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SurveyLeafPoints {
    pub node_id: i64,
    pub leaf_code: String,
    pub wave_id: i64,
    pub source: String,
    pub max_points: Points,
    /// The figure (%) read from the wave's result for the unit; `None` without answers.
    pub value: Option<f64>,
    /// value × max / 100, rounded to 0.0001 (like the `survey` rule).
    pub points: Option<Points>,
    /// Counted responses of the unit in the wave.
    pub responses: u64,
}

/// The points of each mapped survey leaf of the unit's framework in the campaign, computed from
/// the counters of the unit in each mapped wave (a few milliseconds, no scan of responses).
pub async fn survey_leaf_points(
    db: &Db,
    campaign_id: i64,
    unit_id: i64,
) -> Result<Vec<SurveyLeafPoints>, StoreError> {
    let framework_id: Option<i64> = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT cf.framework_id FROM campaign_units cu JOIN campaign_frameworks cf ON cf.id = cu.campaign_framework_id \
         WHERE cu.campaign_id = $1 AND cu.unit_id = $2")
        .bind(campaign_id)
        .bind(unit_id)
        .fetch_optional(pool)
        .await?);
    let Some(framework_id) = framework_id else {
        return Err(StoreError::NotFound);
    };
    let mut results: HashMap<i64, SurveyResult> = HashMap::new();
    let mut out = Vec::new();
    for map in leaf_maps(db, campaign_id).await? {
        if map.framework_id != framework_id {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = results.entry(map.wave_id) {
            slot.insert(result(db, map.wave_id, &[unit_id], None).await?);
        }
        let result = &results[&map.wave_id];
        let source = LeafSource::parse(&map.source)?;
        let max_points = Points::from_ten_thousandths(map.max_points.unwrap_or(0));
        let value = source.value(result);
        let points = value.and_then(|v| {
            Points::from_f64_rounded(v.clamp(0.0, 100.0) * max_points.to_f64() / 100.0)
                .map(|p| p.min(max_points))
        });
        out.push(SurveyLeafPoints {
            node_id: map.node_id,
            leaf_code: map.node_code,
            wave_id: map.wave_id,
            source: map.source,
            max_points,
            value,
            points,
            responses: result.responses,
        });
    }
    Ok(out)
}

/// What a refresh of the survey leaves changed.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RefreshReport {
    /// Sheets looked at.
    pub units: usize,
    /// Leaf values written (changed).
    pub leaves_changed: usize,
}

/// Fills the campaign's survey leaves from the mapped waves: for every sheet of the campaign,
/// each mapped leaf's points (and the figure, as the leaf's input) are written as the leaf's
/// value (stage 0, where the assessment store keeps a leaf's own value; survey leaves are
/// read-only to units and appraisers, so this is the only writer). One transaction: an audit
/// row per changed leaf (`self.points`, with the wave and source as the reason, so the leaf's
/// history shows it) and one row for the refresh. Allowed while the campaign is open or in
/// appraisal; finalized results are not rewritten. The assessment store has no setter for
/// survey leaves, so this writes its `leaf_scores` table under its rules (version + 1 on the
/// leaf and the sheet).
pub async fn refresh_survey_leaves(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
) -> Result<RefreshReport, StoreError> {
    use chiso_domain::campaign::CampaignState;
    let campaign = crate::campaigns::get(db, campaign_id).await?;
    if !matches!(
        campaign.state(),
        CampaignState::Open | CampaignState::Appraisal
    ) {
        return Err(StoreError::Invalid(format!(
            "the campaign is {}: survey leaves are filled while it is open or in appraisal",
            campaign.state
        )));
    }
    let sheets = crate::assessments::list_sheets(db, campaign_id).await?;
    // Input names come from the leaves' survey rules (`{"sipas": 85.7}`), as a unit's input would.
    let mut input_names: HashMap<i64, String> = HashMap::new();
    for group in crate::campaigns::frameworks(db, campaign_id).await? {
        let stored = crate::frameworks::load(db, group.framework_id).await?;
        for (code, &id) in &stored.node_ids {
            if let Some(node) = stored.framework.find(code) {
                let name = stored
                    .framework
                    .node(node)
                    .rule
                    .as_ref()
                    .and_then(|r| r.input_name())
                    .unwrap_or("survey");
                input_names.insert(id, name.to_string());
            }
        }
    }
    let mut planned: Vec<(i64, i64, Vec<SurveyLeafPoints>)> = Vec::new();
    for sheet in &sheets {
        match survey_leaf_points(db, campaign_id, sheet.unit_id).await {
            Ok(points) => planned.push((sheet.id, sheet.unit_id, points)),
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    let now = Utc::now();
    in_transaction!(db, tx => {
        let mut report = RefreshReport { units: planned.len(), leaves_changed: 0 };
        for (sheet_id, unit_id, leaves) in &planned {
            let mut changed = false;
            for leaf in leaves {
                let points = leaf.points.map(Points::ten_thousandths);
                let input = leaf.value.map(|v| {
                    let name = input_names.get(&leaf.node_id).map(String::as_str).unwrap_or("survey");
                    serde_json::json!({ name: v }).to_string()
                });
                let old: Option<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
                    "SELECT id, points, input FROM leaf_scores WHERE sheet_id = $1 AND node_id = $2 AND stage = 0")
                    .bind(sheet_id)
                    .bind(leaf.node_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let before = old.as_ref().and_then(|o| o.1);
                if old.is_none() && points.is_none() {
                    continue;
                }
                if old.as_ref().is_some_and(|o| o.1 == points && o.2 == input) {
                    continue;
                }
                match &old {
                    Some((id, _, _)) => {
                        sqlx::query("UPDATE leaf_scores SET points = $1, input = $2, updated_by = $3, updated_by_name = $4, \
                                     updated_at = $5, version = version + 1 WHERE id = $6")
                            .bind(points)
                            .bind(&input)
                            .bind(actor.id)
                            .bind(&actor.name)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    None => {
                        sqlx::query("INSERT INTO leaf_scores (sheet_id, node_id, stage, points, input, explanation_requested, \
                                     updated_by, updated_by_name, updated_at, version) VALUES ($1, $2, 0, $3, $4, FALSE, $5, $6, $7, 1)")
                            .bind(sheet_id)
                            .bind(leaf.node_id)
                            .bind(points)
                            .bind(&input)
                            .bind(actor.id)
                            .bind(&actor.name)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let text = |p: Option<i64>| p.map(|p| Points::from_ten_thousandths(p).to_string());
                tx.record(actor, &AuditEntry::new("update", "leaf", leaf.node_id)
                    .change("self.points", text(before), text(points))
                    .reason(Some(&format!("survey wave {}: {} ({} responses)", leaf.wave_id, leaf.source, leaf.responses)))
                    .campaign(campaign_id)
                    .unit(Some(*unit_id))).await?;
                report.leaves_changed += 1;
                changed = true;
            }
            if changed {
                sqlx::query("UPDATE sheets SET version = version + 1, updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(sheet_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.record(actor, &AuditEntry::new("refresh_survey_leaves", "campaign", campaign_id)
            .change("survey_leaves", None,
                Some(format!("{} leaves changed for {} units", report.leaves_changed, report.units)))
            .campaign(campaign_id)).await?;
        Ok(report)
    })
}
