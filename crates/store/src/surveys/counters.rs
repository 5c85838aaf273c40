//! Counters in memory.

use super::*;

/// Counters summed in memory per (unit, channel, service), in the survey crate's [`Counts`]
/// shape plus the number of flagged responses. One hash lookup per response, dense arrays
/// inside.
pub(super) struct Tally {
    pub(super) empty: Counts,
    /// Per unit, its channels and services (a handful: a linear search beats hashing a
    /// string).
    pub(super) groups: HashMap<i64, Vec<TallyGroup>>,
}

pub(super) struct TallyGroup {
    pub(super) channel: String,
    /// The wave service answered about; 0 for none.
    pub(super) service_id: i64,
    pub(super) counts: Counts,
    pub(super) flagged: i64,
}

/// The counter rows of a tally, ready to upsert.
pub(super) struct TallyRows<'a> {
    pub(super) groups: Vec<GroupRow<'a>>,
    pub(super) answers: Vec<CellRow<'a>>,
    pub(super) demographics: Vec<CellRow<'a>>,
    pub(super) expectations: Vec<CellRow<'a>>,
}

pub(super) struct GroupRow<'a> {
    pub(super) unit_id: i64,
    pub(super) channel: &'a str,
    pub(super) service_id: i64,
    pub(super) counts: &'a Counts,
    pub(super) flagged: i64,
}

pub(super) struct CellRow<'a> {
    pub(super) unit_id: i64,
    pub(super) channel: &'a str,
    pub(super) service_id: i64,
    /// Item or question position (0-based); unused for expectations.
    pub(super) question: i64,
    /// 1-based answer, option or area.
    pub(super) value: i64,
    pub(super) stat: AnswerStat,
}

impl Tally {
    pub(super) fn new(shape: &QuestionnaireShape) -> Tally {
        Tally {
            empty: shape.empty_counts(),
            groups: HashMap::new(),
        }
    }

    pub(super) fn group(
        &mut self,
        unit_id: i64,
        channel: &str,
        service_id: i64,
    ) -> &mut TallyGroup {
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

    pub(super) fn add(
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
        group.counts.add_packed(response);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The counter rows; empty cells are left out.
    pub(super) fn rows(&self) -> TallyRows<'_> {
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

/// Rebuilds a wave's counters from its raw responses (excluded ones left out, as the counters
/// leave them out: `surveys::set_excluded`) and reports the drift between what was
/// stored and what the rows say (a scheduled job; zero drift is the expected outcome). Writers
/// wait meanwhile: SQLite has one writer, and on PostgreSQL the counter tables are locked, so
/// no response commits between the read and the rewrite. One audit row records the drift.
pub async fn recompute_counters(db: &Db, actor: &Actor, wave_id: i64) -> Result<Drift, StoreError> {
    let wave = get_wave(db, wave_id).await?;
    let shape = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .shape()?;
    let select = format!(
        "SELECT {RAW_COLUMNS} FROM responses WHERE wave_id = $1 AND id > $2 AND excluded_at IS NULL ORDER BY id LIMIT $3"
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
        for (table, key) in [("answer_stats", "item, value"), ("demographic_stats", "question, value"),
                             ("expectation_stats", "CAST(0 AS BIGINT), area")] {
            let cells: Vec<StoredCell> = sqlx::query_as(&format!(
                "SELECT unit_id, channel, CAST(service_id AS BIGINT), {key}, n, weight_sum, weight_sq_sum FROM {table} WHERE wave_id = $1"))
                .bind(wave_id)
                .fetch_all(&mut *tx)
                .await?;
            for row in cells {
                set_stored_cell(&mut stored, table, row);
            }
        }
        compare_tallies(&mut drift, &stored, &fresh, &shape.empty_counts());
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

/// A stored counter cell read back: unit, channel, service, question (0 for an expectation),
/// value (the area of an expectation), n, Σw, Σw².
type StoredCell = (i64, String, i64, i64, i64, i64, f64, f64);

/// Puts a cell read from `table` into the stored tally.
fn set_stored_cell(stored: &mut Tally, table: &str, row: StoredCell) {
    let (unit_id, channel, service_id, question, value, n, w, w2) = row;
    let counts = &mut stored.group(unit_id, &channel, service_id).counts;
    let per_item = counts.answers_per_item as i64;
    let cell = match table {
        "answer_stats" if value >= 1 && value <= per_item => counts
            .answers
            .get_mut((question * per_item + value - 1) as usize),
        "demographic_stats" => counts
            .demographics
            .get_mut(question as usize)
            .and_then(|o| o.get_mut((value - 1) as usize)),
        "expectation_stats" => counts.expectations.get_mut((value - 1) as usize),
        _ => None,
    };
    if let Some(cell) = cell {
        *cell = stat(n, w, w2);
    }
}

/// Adds to `drift` every difference between the stored counters and the fresh ones, a group
/// missing on one side counting as `empty`.
fn compare_tallies(drift: &mut Drift, stored: &Tally, fresh: &Tally, empty: &Counts) {
    let mut seen: HashSet<(i64, String, i64)> = HashSet::new();
    for (unit_id, groups) in &fresh.groups {
        for group in groups {
            seen.insert((*unit_id, group.channel.clone(), group.service_id));
            let old = stored.groups.get(unit_id).and_then(|gs| {
                gs.iter()
                    .find(|g| g.channel == group.channel && g.service_id == group.service_id)
            });
            compare_counts(drift, old.map_or(empty, |g| &g.counts), &group.counts);
            let old_flagged = old.map_or(0, |g| g.flagged);
            if old_flagged != group.flagged {
                drift.cells_differing += 1;
                drift.n_difference += old_flagged.abs_diff(group.flagged);
            }
        }
    }
    for (unit_id, groups) in &stored.groups {
        for group in groups
            .iter()
            .filter(|g| !seen.contains(&(*unit_id, g.channel.clone(), g.service_id)))
        {
            compare_counts(drift, &group.counts, empty);
            if group.flagged != 0 {
                drift.cells_differing += 1;
                drift.n_difference += group.flagged.unsigned_abs();
            }
        }
    }
}
