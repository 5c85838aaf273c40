//! Surveys in the database: questionnaires, waves and their units, one-time tokens,
//! kiosk devices, raw responses and the pre-aggregated counters the indices are read from.
//!
//! The storage:
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
pub use chiso_domain::wave::WaveState;
use chiso_domain::wave::{self, WaveClosed, WaveTransitionError};
use chiso_interchange::sheet::SheetError;
pub use chiso_survey::Channel;
use chiso_survey::ReadError;
use chiso_survey::codec::Packed;
use chiso_survey::reader::{Scanner, limit_of};
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

mod counters;
mod devices;
mod import;
mod leaf_maps;
mod microdata;
mod questionnaires;
mod queue;
mod refusals;
mod results;
mod rows;
mod services;
mod submit;
mod tokens;
mod waves;

pub use counters::*;
pub use devices::*;
pub use import::*;
pub use leaf_maps::*;
pub use microdata::*;
pub use questionnaires::*;
pub use queue::*;
pub use refusals::*;
pub use results::*;
pub use rows::*;
pub use services::*;
pub use submit::*;
pub use tokens::*;
pub use waves::*;

/// Responses per transaction (skip-bad-rows imports) and per counter flush (every import).
pub const DEFAULT_BATCH: usize = 10_000;

/// Most rejected rows kept with their reason in an import report; past it only the count grows,
/// so a file of ten million bad rows does not fill the memory with messages.
pub const MAX_REPORTED_REJECTIONS: usize = 10_000;

/// Longest comment and respondent id: the survey codec's (docs/formats.md §5).
pub use chiso_survey::codec::{MAX_COMMENT, MAX_RESPONDENT_ID};

/// Longest channel name; longer ones are cut (the channel is free text, docs/formats.md §5).
pub use chiso_survey::channel::MAX_CHANNEL;

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

/// The recommended sample size n = N / (1 + N·e²), rounded up (docs/method.md §3.4): N = 1 000 →
/// 286 and N = 10 000 → 385 at e = 0.05 (the survey crate's `sample_size`).
pub fn target_sample(transactions: i64, margin_e: f64) -> i64 {
    chiso_survey::sample_size(transactions.max(0) as u64, margin_e) as i64
}
