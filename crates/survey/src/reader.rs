//! Reading responses.csv (docs/formats.md §5) into counters, streaming.
//!
//! The file is read in large blocks and parsed as bytes: a record's fields are byte ranges into
//! the block (only a quoted field with a doubled quote is copied), every answer is looked up in
//! a 256-entry table, and the accepted row is added straight into its group's counters. Nothing
//! is allocated per row except what a rejection reports and the respondent ids kept for the
//! duplicate check (in one growing arena). Memory grows with the number of distinct
//! (unit, channel) groups and respondent ids, not with the number of answers; the groups are
//! capped ([`MAX_UNITS`], [`MAX_GROUPS`]: one more stops the read, naming its row), and the
//! header and each row are held to the shared reader's limits (`chiso_interchange::sheet`).
//!
//! Rules (each rejected row is reported with its row number, the header being row 1, and a
//! reason; the rest of the file is still read): a wrong number of fields; an empty `unit_code`;
//! a `weight` that is not a number from [`MIN_WEIGHT`] to [`MAX_WEIGHT`] (a blank weight is
//! 1); an answer that is not on the
//! scale; a demographic or expectations answer that is not an option, or more areas than
//! allowed; a `respondent_id` already accepted in the same unit (the first occurrence counts).
//! A line with nothing in it (or only separators) is skipped silently but still counted as a
//! row, as a spreadsheet numbers it. A quoted line break stays in its row.

use std::collections::HashSet;
use std::io::Read;

use chiso_interchange::sheet::{RowsError, SheetError, read_xlsx_rows};
use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::keys::{KeyMap, Respondents, hash_bytes, same_bytes};
use crate::questionnaire::{Questionnaire, RESERVED_COLUMNS};
pub use crate::scanner::{HeaderError, Record, Scanner, limit_of};

/// Distinct units in one file. Each costs its counters while reading and about 30 KB in a
/// report (its index, factors, items, intervals and comparisons), so 10,000 units is a report
/// of about 300 MB; a province has a few hundred, the whole country a few thousand communes.
pub const MAX_UNITS: usize = 10_000;

/// Distinct (unit, channel) pairs in one file: each has its own counters, and its own report
/// with `--by channel`.
pub const MAX_GROUPS: usize = 20_000;

/// The largest weight a response may carry. Weights scale a response's share of its unit;
/// a million times the others is already absurd, and bounded weights keep the sums of
/// weights and of their squares far from overflowing.
pub const MAX_WEIGHT: f64 = 1_000_000.0;

/// The smallest weight: below it, squares underflow to zero and the effective sample size is
/// no longer a number.
pub const MIN_WEIGHT: f64 = 0.000_001;

/// A row left out of the computation, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// 1-based, the header being row 1.
    pub row: u64,
    pub reason: String,
}

/// A problem that stops the whole read: the file cannot be read, or its header is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", row.map(|r| format!(" row {r}")).unwrap_or_default())]
pub struct ReadError {
    pub file: String,
    pub row: Option<u64>,
    pub message: String,
    /// The shared reader's refusal, when the file hit one of its limits (the web says it in
    /// Vietnamese from this rather than from `message`).
    pub cause: Option<SheetError>,
}

impl ReadError {
    fn file(file: &str, message: String) -> ReadError {
        ReadError {
            file: file.to_string(),
            row: None,
            message,
            cause: None,
        }
    }

    fn at(file: &str, row: u64, message: String) -> ReadError {
        ReadError {
            row: Some(row),
            ..ReadError::file(file, message)
        }
    }

    /// The shared reader's refusal of a file.
    pub fn sheet(file: &str, error: SheetError) -> ReadError {
        ReadError {
            file: file.to_string(),
            row: error.row(),
            message: error.message(),
            cause: Some(error),
        }
    }

    /// A header row that could not be read.
    pub fn header(file: &str, error: HeaderError) -> ReadError {
        match error {
            HeaderError::Io(e) => ReadError::file(file, format!("cannot be read: {e}")),
            HeaderError::Limit(limit) => ReadError::sheet(file, limit),
            HeaderError::NotUtf8 => {
                ReadError::at(file, 1, "the header row is not UTF-8 text".to_string())
            }
        }
    }
}

/// The counters of one (unit, channel).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupCounts {
    /// Position in `Tally::units`.
    pub unit: u32,
    /// Position in `Tally::channels`.
    pub channel: u32,
    pub counts: Counts,
}

/// What a read produces: counters per (unit, channel), the rejected rows and warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Tally {
    pub questionnaire: String,
    /// Unit codes, in the order they first appear.
    pub units: Vec<String>,
    /// Channels as written (trimmed; "" when blank), in the order they first appear.
    pub channels: Vec<String>,
    pub groups: Vec<GroupCounts>,
    pub rejected: Vec<Rejection>,
    /// Data rows read (accepted and rejected; blank lines excluded).
    pub rows: u64,
    /// Things the reader ignored, e.g. a column the questionnaire does not know.
    pub warnings: Vec<String>,
}

impl Tally {
    /// An empty tally for a questionnaire.
    pub fn new(questionnaire: &Questionnaire) -> Tally {
        Tally {
            questionnaire: questionnaire.id.clone(),
            units: Vec::new(),
            channels: Vec::new(),
            groups: Vec::new(),
            rejected: Vec::new(),
            rows: 0,
            warnings: Vec::new(),
        }
    }

    /// Accepted responses.
    pub fn accepted(&self) -> u64 {
        self.groups.iter().map(|g| g.counts.responses.n).sum()
    }

    /// The counters of each unit, by unit code.
    pub fn units(&self, questionnaire: &Questionnaire) -> Vec<(String, Counts)> {
        self.sum_by(questionnaire, |g| g.unit, &self.units)
    }

    /// The counters of each channel over all units, by channel.
    pub fn channels(&self, questionnaire: &Questionnaire) -> Vec<(String, Counts)> {
        self.sum_by(questionnaire, |g| g.channel, &self.channels)
    }

    /// The counters of each (unit, channel), by unit code then channel.
    pub fn unit_channels(&self) -> Vec<(&str, &str, &Counts)> {
        let mut out: Vec<(&str, &str, &Counts)> = self
            .groups
            .iter()
            .map(|g| {
                (
                    self.units[g.unit as usize].as_str(),
                    self.channels[g.channel as usize].as_str(),
                    &g.counts,
                )
            })
            .collect();
        out.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out
    }

    /// The counters of one unit (empty when it has no accepted response).
    pub fn unit(&self, questionnaire: &Questionnaire, code: &str) -> Counts {
        self.group_of_units(questionnaire, &[code])
    }

    /// The counters of a group of units merged (any units: a district, a sector, a region).
    /// Codes with no accepted response add nothing.
    pub fn group_of_units(&self, questionnaire: &Questionnaire, codes: &[&str]) -> Counts {
        Counts::sum(
            questionnaire,
            self.groups
                .iter()
                .filter(|g| codes.contains(&self.units[g.unit as usize].as_str()))
                .map(|g| &g.counts),
        )
    }

    /// The counters of every accepted response.
    pub fn all(&self, questionnaire: &Questionnaire) -> Counts {
        Counts::sum(questionnaire, self.groups.iter().map(|g| &g.counts))
    }

    fn sum_by(
        &self,
        questionnaire: &Questionnaire,
        key: impl Fn(&GroupCounts) -> u32,
        names: &[String],
    ) -> Vec<(String, Counts)> {
        let mut sums: Vec<Option<Counts>> = vec![None; names.len()];
        for g in &self.groups {
            sums[key(g) as usize]
                .get_or_insert_with(|| Counts::new(questionnaire))
                .merge(&g.counts);
        }
        let mut out: Vec<(String, Counts)> = names
            .iter()
            .cloned()
            .zip(sums)
            .filter_map(|(name, c)| Some((name, c?)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Adds the tally of another part of the same file (a chunk read separately). Rejections
    /// are kept as they are, so the caller numbers each chunk's rows as in the whole file.
    /// Duplicate respondent ids across parts are not detected here: the parts must not share
    /// respondents (the database's unique key guarantees it for stored responses).
    pub fn merge(&mut self, other: Tally) {
        let unit_map: Vec<u32> = other
            .units
            .iter()
            .map(|u| position_or_push(&mut self.units, u))
            .collect();
        let channel_map: Vec<u32> = other
            .channels
            .iter()
            .map(|c| position_or_push(&mut self.channels, c))
            .collect();
        for g in other.groups {
            let (unit, channel) = (unit_map[g.unit as usize], channel_map[g.channel as usize]);
            match self
                .groups
                .iter_mut()
                .find(|h| h.unit == unit && h.channel == channel)
            {
                Some(h) => h.counts.merge(&g.counts),
                None => self.groups.push(GroupCounts {
                    unit,
                    channel,
                    counts: g.counts,
                }),
            }
        }
        self.rejected.extend(other.rejected);
        self.rejected.sort_by_key(|r| r.row);
        self.rows += other.rows;
        for w in other.warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }
}

fn position_or_push(list: &mut Vec<String>, value: &str) -> u32 {
    match list.iter().position(|v| v == value) {
        Some(p) => p as u32,
        None => {
            list.push(value.to_string());
            (list.len() - 1) as u32
        }
    }
}

/// Reads responses.csv from any reader (a file, a network body, a byte slice).
pub fn read_csv<R: Read>(
    questionnaire: &Questionnaire,
    name: &str,
    reader: R,
) -> Result<Tally, ReadError> {
    read_csv_sized(questionnaire, name, reader, None)
}

/// [`read_csv`] knowing the input's size in bytes, which lets the reader size its
/// duplicate-check table once instead of growing it.
pub fn read_csv_sized<R: Read>(
    questionnaire: &Questionnaire,
    name: &str,
    reader: R,
    total_bytes: Option<u64>,
) -> Result<Tally, ReadError> {
    let mut scanner = Scanner::new(reader);
    let header = scanner
        .header()
        .map_err(|e| ReadError::header(name, e))?
        .ok_or_else(|| ReadError::file(name, "is empty: no header row".to_string()))?;
    let mut aggregator = Aggregator::new(questionnaire, name, &header)?;
    let mut row = 1u64;
    loop {
        let record = scanner.next_record().map_err(|e| match limit_of(&e) {
            Some(limit) => ReadError::sheet(name, limit),
            None => ReadError::file(name, format!("cannot be read: {e}")),
        })?;
        let Some(record) = record else { break };
        row += 1;
        if row == 2
            && let Some(total) = total_bytes
        {
            // Rows are about as long as the first one. The estimate is capped so that an odd
            // first row cannot make the table huge (4 M rows: a 64 MB table); a larger file
            // grows the table by doubling as it goes.
            let estimate = total / record.len_bytes().max(16) as u64;
            aggregator.reserve(estimate.min(1 << 22) as usize);
        }
        aggregator.push(row, &record)?;
    }
    Ok(aggregator.finish())
}

/// Reads the first sheet of an .xlsx workbook with the same header row as responses.csv,
/// row by row through the bounded reader (`chiso_interchange::sheet`): constant memory.
pub fn read_xlsx(
    questionnaire: &Questionnaire,
    name: &str,
    bytes: &[u8],
) -> Result<Tally, ReadError> {
    let mut aggregator: Option<Aggregator<'_>> = None;
    read_xlsx_rows(bytes, |number, cells| match &mut aggregator {
        None => {
            aggregator = Some(Aggregator::new(questionnaire, name, cells)?);
            Ok(())
        }
        Some(aggregator) => aggregator.push(number, &Cells(cells)),
    })
    .map_err(|e| match e {
        RowsError::Sheet(e) => ReadError::sheet(name, e),
        RowsError::Row(e) => e,
    })?;
    Ok(aggregator
        .expect("the reader hands out a header row or fails")
        .finish())
}

/// A row's fields, whatever the file format.
pub trait Fields {
    fn len(&self) -> usize;
    fn get(&self, index: usize) -> &[u8];
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Cells<'a>(&'a [String]);

impl Fields for Cells<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, index: usize) -> &[u8] {
        self.0[index].as_bytes()
    }
}

#[inline]
fn trim(bytes: &[u8]) -> &[u8] {
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

/// The header's column names as the readers match them (trimmed, lower case, without a
/// byte-order mark), and a problem for each name given twice. Shared by every reader of
/// responses; a set keeps the check linear, however wide the header.
pub fn column_names(header: &[String]) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_ascii_lowercase()
        })
        .collect();
    let mut seen = HashSet::with_capacity(names.len());
    let mut reported = HashSet::new();
    let mut problems = Vec::new();
    for n in &names {
        if !n.is_empty() && !seen.insert(n.as_str()) && reported.insert(n.as_str()) {
            problems.push(format!("column '{n}' appears twice in the header row"));
        }
    }
    (names, problems)
}

/// A `weight` field: blank is 1; otherwise a number between [`MIN_WEIGHT`] and
/// [`MAX_WEIGHT`]. The reason names the value and the limit.
pub fn parse_weight(text: &[u8]) -> Result<f64, String> {
    match text {
        b"" | b"1" | b"1.0" => return Ok(1.0),
        _ => {}
    }
    let Some(weight) = std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    else {
        let hint = if text.contains(&b',') {
            " (use a dot for decimals)"
        } else {
            ""
        };
        return Err(format!("weight: '{}' is not a number{hint}", shown(text)));
    };
    if !weight.is_finite() || weight <= 0.0 {
        Err(format!("weight: {} is not > 0", shown(text)))
    } else if weight > MAX_WEIGHT {
        Err(format!(
            "weight: {} is above the largest weight allowed, 1000000",
            shown(text)
        ))
    } else if weight < MIN_WEIGHT {
        Err(format!(
            "weight: {} is below the smallest weight allowed, 0.000001",
            shown(text)
        ))
    } else {
        Ok(weight)
    }
}

/// Where each questionnaire field sits in the file.
struct Layout {
    width: usize,
    unit: usize,
    respondent: usize,
    channel: Option<usize>,
    weight: Option<usize>,
    items: Vec<usize>,
    demographics: Vec<Option<usize>>,
    expectations: Option<usize>,
    comment: Option<usize>,
}

impl Layout {
    fn new(
        questionnaire: &Questionnaire,
        name: &str,
        header: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<Layout, ReadError> {
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
            let found: Vec<&str> = header.iter().map(|h| h.trim()).collect();
            return Err(ReadError::file(
                name,
                format!(
                    "{} (questionnaire {}; found: {})",
                    problems.join("; "),
                    questionnaire.id,
                    found.join(", ")
                ),
            ));
        }
        let layout = Layout {
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
        };
        for (i, n) in names.iter().enumerate() {
            let known = RESERVED_COLUMNS.contains(&n.as_str())
                || layout.items.contains(&i)
                || layout.demographics.contains(&Some(i))
                || layout.expectations == Some(i)
                || layout.comment == Some(i);
            if !known {
                warnings.push(format!(
                    "column '{}' is not a question of {}: ignored",
                    header[i].trim(),
                    questionnaire.id
                ));
            }
        }
        Ok(layout)
    }
}

const BLANK: u8 = 254;
const INVALID: u8 = 255;

/// Turns rows into counters. Used by the CSV and .xlsx readers, and usable on its own by a
/// caller that receives rows another way.
pub struct Aggregator<'q> {
    questionnaire: &'q Questionnaire,
    /// The file, for the errors that stop the read.
    name: String,
    layout: Layout,
    /// Answer position by the single byte of its code; INVALID elsewhere.
    answer_by_byte: [u8; 256],
    scale_text: String,
    units: Vec<String>,
    unit_index: KeyMap,
    last_unit: Option<u32>,
    channels: Vec<String>,
    channel_index: KeyMap,
    /// Per unit: (channel, group) pairs.
    unit_groups: Vec<Vec<(u32, u32)>>,
    groups: Vec<GroupCounts>,
    respondents: Respondents,
    row_answers: Vec<u8>,
    row_demographics: Vec<u8>,
    row_expectations: Vec<u8>,
    rejected: Vec<Rejection>,
    rows: u64,
    warnings: Vec<String>,
}

impl<'q> Aggregator<'q> {
    /// Checks the header row: `unit_code`, `respondent_id` and every item of the questionnaire
    /// must be there; `channel`, `weight`, demographic, expectations and comment columns are
    /// optional; another column is ignored with a warning.
    pub fn new(
        questionnaire: &'q Questionnaire,
        name: &str,
        header: &[String],
    ) -> Result<Aggregator<'q>, ReadError> {
        let mut warnings = Vec::new();
        let layout = Layout::new(questionnaire, name, header, &mut warnings)?;
        let mut answer_by_byte = [INVALID; 256];
        for (position, answer) in questionnaire.scale.answers.iter().enumerate() {
            if let [byte] = answer.code.as_bytes() {
                answer_by_byte[byte.to_ascii_lowercase() as usize] = position as u8;
                answer_by_byte[byte.to_ascii_uppercase() as usize] = position as u8;
            }
        }
        Ok(Aggregator {
            questionnaire,
            name: name.to_string(),
            answer_by_byte,
            scale_text: questionnaire.scale.describe(),
            units: Vec::new(),
            unit_index: KeyMap::default(),
            last_unit: None,
            channels: Vec::new(),
            channel_index: KeyMap::default(),
            unit_groups: Vec::new(),
            groups: Vec::new(),
            respondents: Respondents::default(),
            row_answers: vec![BLANK; layout.items.len()],
            row_demographics: vec![BLANK; layout.demographics.len()],
            row_expectations: Vec::new(),
            rejected: Vec::new(),
            rows: 0,
            warnings,
            layout,
        })
    }

    /// Makes room for about `rows` respondent ids, so the duplicate check does not grow.
    pub fn reserve(&mut self, rows: usize) {
        self.respondents.reserve(rows + rows / 8);
    }

    fn reject(&mut self, row: u64, reason: String) {
        self.rejected.push(Rejection { row, reason });
    }

    #[inline]
    fn answer(&self, field: &[u8]) -> u8 {
        match field {
            [] => BLANK,
            [byte] => self.answer_by_byte[*byte as usize],
            _ => {
                let field = trim(field);
                match field {
                    [] => BLANK,
                    [byte] => self.answer_by_byte[*byte as usize],
                    _ => std::str::from_utf8(field)
                        .ok()
                        .and_then(|s| self.questionnaire.scale.find(s))
                        .map_or(INVALID, |p| p as u8),
                }
            }
        }
    }

    /// Adds one data row (`row` is its number, the header being 1).
    pub fn push(&mut self, row: u64, fields: &impl Fields) -> Result<(), ReadError> {
        let count = fields.len();
        if (0..count).all(|i| trim(fields.get(i)).is_empty()) {
            return Ok(());
        }
        self.rows += 1;
        if count != self.layout.width {
            self.reject(
                row,
                format!(
                    "wrong column count: {count}, expected {}",
                    self.layout.width
                ),
            );
            return Ok(());
        }
        let unit = trim(fields.get(self.layout.unit));
        if unit.is_empty() {
            self.reject(row, "empty unit_code".to_string());
            return Ok(());
        }
        // The duplicate check's table probe is likely a cache miss on a large file: start the
        // load now, and use it after the answers are parsed. Hashing the unit code with the id
        // keeps ids per unit.
        // Ids are compared in their normal form (`respondent::normalize_respondent_id`); an id
        // in ASCII without lower-case letters already is, and needs no copy.
        let raw_respondent = trim(fields.get(self.layout.respondent));
        let normalized;
        let respondent =
            if raw_respondent.is_ascii() && !raw_respondent.iter().any(u8::is_ascii_lowercase) {
                raw_respondent
            } else {
                normalized = crate::respondent::normalize_respondent_id(&String::from_utf8_lossy(
                    raw_respondent,
                ));
                normalized.as_bytes()
            };
        let respondent_hash = hash_bytes(hash_bytes(0, unit), respondent);
        self.respondents.touch(respondent_hash);
        let weight = match self.layout.weight {
            None => 1.0,
            Some(column) => match parse_weight(trim(fields.get(column))) {
                Ok(weight) => weight,
                Err(reason) => {
                    self.reject(row, reason);
                    return Ok(());
                }
            },
        };
        for k in 0..self.layout.items.len() {
            let field = fields.get(self.layout.items[k]);
            let answer = self.answer(field);
            if answer == INVALID {
                let reason = format!(
                    "{}: value {} is not {}",
                    self.questionnaire.items[k].code,
                    shown(trim(field)),
                    self.scale_text
                );
                self.reject(row, reason);
                return Ok(());
            }
            self.row_answers[k] = answer;
        }
        for d in 0..self.layout.demographics.len() {
            let Some(column) = self.layout.demographics[d] else {
                continue;
            };
            let text = trim(fields.get(column));
            let question = &self.questionnaire.demographics[d];
            self.row_demographics[d] = if text.is_empty() {
                BLANK
            } else {
                match std::str::from_utf8(text)
                    .ok()
                    .and_then(|s| question.find(s))
                {
                    Some(p) => p as u8,
                    None => {
                        let reason = format!(
                            "{}: '{}' is not one of {}",
                            question.code,
                            shown(text),
                            question.describe()
                        );
                        self.reject(row, reason);
                        return Ok(());
                    }
                }
            };
        }
        self.row_expectations.clear();
        if let (Some(column), Some(expectations)) =
            (self.layout.expectations, &self.questionnaire.expectations)
        {
            let text = fields.get(column);
            for part in text.split(|&b| b == b';') {
                let part = trim(part);
                if part.is_empty() {
                    continue;
                }
                match std::str::from_utf8(part)
                    .ok()
                    .and_then(|s| expectations.question.find(s))
                {
                    Some(p) if !self.row_expectations.contains(&(p as u8)) => {
                        self.row_expectations.push(p as u8)
                    }
                    Some(_) => {}
                    None => {
                        let reason = format!(
                            "{}: '{}' is not one of {}",
                            expectations.question.code,
                            shown(part),
                            expectations.question.describe()
                        );
                        self.reject(row, reason);
                        return Ok(());
                    }
                }
            }
            if self.row_expectations.len() > expectations.max_choices {
                let reason = format!(
                    "{}: {} areas chosen, at most {}",
                    expectations.question.code,
                    self.row_expectations.len(),
                    expectations.max_choices
                );
                self.reject(row, reason);
                return Ok(());
            }
        }

        // Valid so far: find the unit, then check the respondent against the unit's earlier
        // accepted rows (a rejected row never claims its id).
        let Some(unit_index) = self.unit_of(row, unit)? else {
            return Ok(());
        };
        self.last_unit = Some(unit_index);
        if !respondent.is_empty()
            && let Some(first) =
                self.respondents
                    .check_insert(respondent_hash, unit_index, respondent, row)
        {
            let reason = format!(
                "respondent_id {} repeated in unit {} (first at row {first})",
                shown(raw_respondent),
                self.units[unit_index as usize]
            );
            self.reject(row, reason);
            return Ok(());
        }
        let channel = match self.layout.channel {
            Some(column) => trim(fields.get(column)),
            None => b"",
        };
        let group = self.group_of(row, unit_index, channel)?;

        let counts = &mut self.groups[group].counts;
        counts.responses.add(weight);
        let per_item = counts.answers_per_item;
        for (k, &answer) in self.row_answers.iter().enumerate() {
            if answer != BLANK {
                counts.answers[k * per_item + answer as usize].add(weight);
            }
        }
        for (d, &option) in self.row_demographics.iter().enumerate() {
            if option != BLANK && self.layout.demographics[d].is_some() {
                counts.demographics[d][option as usize].add(weight);
            }
        }
        if !self.row_expectations.is_empty() {
            counts.expectations_answered.add(weight);
            for &option in &self.row_expectations {
                counts.expectations[option as usize].add(weight);
            }
        }
        if let Some(column) = self.layout.comment
            && !trim(fields.get(column)).is_empty()
        {
            counts.comments += 1;
        }
        Ok(())
    }

    /// The unit's index, added when new; `None` when the row is rejected for its code. A unit
    /// beyond [`MAX_UNITS`] stops the read.
    fn unit_of(&mut self, row: u64, unit: &[u8]) -> Result<Option<u32>, ReadError> {
        if let Some(u) = self.last_unit
            && same_bytes(self.units[u as usize].as_bytes(), unit)
        {
            return Ok(Some(u));
        }
        if let Some(u) = self.unit_index.get(unit) {
            return Ok(Some(u));
        }
        let Ok(code) = std::str::from_utf8(unit) else {
            self.reject(row, "unit_code is not UTF-8 text".to_string());
            return Ok(None);
        };
        if self.units.len() >= MAX_UNITS {
            return Err(ReadError::at(
                &self.name,
                row,
                format!(
                    "unit {} is one unit more than the limit of {} distinct units in a file",
                    shown(unit),
                    chiso_interchange::sheet::group_digits(MAX_UNITS as u64)
                ),
            ));
        }
        let u = self.unit_index.insert(unit);
        self.units.push(code.to_string());
        self.unit_groups.push(Vec::new());
        Ok(Some(u))
    }

    /// The position of the (unit, channel) counters, added when new. A pair beyond
    /// [`MAX_GROUPS`] stops the read.
    fn group_of(&mut self, row: u64, unit: u32, channel: &[u8]) -> Result<usize, ReadError> {
        let channel_index = match self.channel_index.get(channel) {
            Some(c) => c,
            None => {
                self.channels
                    .push(String::from_utf8_lossy(channel).into_owned());
                self.channel_index.insert(channel)
            }
        };
        let slots = &mut self.unit_groups[unit as usize];
        if let Some(&(_, g)) = slots.iter().find(|(c, _)| *c == channel_index) {
            return Ok(g as usize);
        }
        let g = self.groups.len();
        if g >= MAX_GROUPS {
            return Err(ReadError::at(
                &self.name,
                row,
                format!(
                    "unit {} and channel {} are one more than the limit of {} distinct \
                     (unit, channel) pairs in a file",
                    self.units[unit as usize],
                    shown(channel),
                    chiso_interchange::sheet::group_digits(MAX_GROUPS as u64)
                ),
            ));
        }
        slots.push((channel_index, g as u32));
        self.groups.push(GroupCounts {
            unit,
            channel: channel_index,
            counts: Counts::new(self.questionnaire),
        });
        Ok(g)
    }

    /// The counters, rejections and warnings of every row pushed.
    pub fn finish(self) -> Tally {
        Tally {
            questionnaire: self.questionnaire.id.clone(),
            units: self.units,
            channels: self.channels,
            groups: self.groups,
            rejected: self.rejected,
            rows: self.rows,
            warnings: self.warnings,
        }
    }
}
