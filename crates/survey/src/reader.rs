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
use serde::Serialize;

use crate::codec::{ColumnProblem, RowCodec, shown};
use crate::counts::Counts;
use crate::keys::{KeyMap, Respondents, hash_bytes, same_bytes};
use crate::questionnaire::Questionnaire;
pub use crate::scanner::{HeaderError, Record, Scanner, limit_of};

/// Distinct units in one file. Each costs its counters while reading and about 30 KB in a
/// report (its index, factors, items, intervals and comparisons), so 10,000 units is a report
/// of about 300 MB; a province has a few hundred, the whole country a few thousand communes.
pub const MAX_UNITS: usize = 10_000;

/// Distinct (unit, channel, service) groups in one file: each has its own counters.
pub const MAX_GROUPS: usize = 20_000;

pub use crate::codec::{Fault, MAX_WEIGHT, MIN_WEIGHT, parse_weight};

/// A row left out of the computation, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// 1-based, the header being row 1.
    pub row: u64,
    pub reason: Fault,
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
    /// The header's problems, when the header row does not fit the questionnaire (boxed: a
    /// read's error stays small on the rows' path).
    pub columns: Option<Box<ColumnProblems>>,
}

/// Every problem of a header row, in column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnProblems(pub Vec<ColumnProblem>);

impl ReadError {
    fn file(file: &str, message: String) -> ReadError {
        ReadError {
            file: file.to_string(),
            row: None,
            message,
            cause: None,
            columns: None,
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
            columns: None,
        }
    }

    /// A header row that does not fit the questionnaire.
    pub fn columns(
        file: &str,
        questionnaire: &Questionnaire,
        header: &[String],
        problems: Vec<ColumnProblem>,
    ) -> ReadError {
        let found: Vec<&str> = header.iter().map(|h| h.trim()).collect();
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        ReadError {
            columns: Some(Box::new(ColumnProblems(problems))),
            ..ReadError::file(
                file,
                format!(
                    "{} (questionnaire {}; found: {})",
                    listed.join("; "),
                    questionnaire.id,
                    found.join(", ")
                ),
            )
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

/// The counters of one (unit, channel, service).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupCounts {
    /// Position in `Tally::units`.
    pub unit: u32,
    /// Position in `Tally::channels`.
    pub channel: u32,
    /// Position in `Tally::services`.
    pub service: u32,
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
    /// Service codes as written (trimmed; "" when blank or without a `service` column), in
    /// the order they first appear.
    pub services: Vec<String>,
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
            services: Vec::new(),
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

    /// The counters of each service over all units, by service code ("" for the responses
    /// that name none).
    pub fn services(&self, questionnaire: &Questionnaire) -> Vec<(String, Counts)> {
        self.sum_by(questionnaire, |g| g.service, &self.services)
    }

    /// The counters of each (unit, channel), by unit code then channel.
    pub fn unit_channels(&self, questionnaire: &Questionnaire) -> Vec<(&str, &str, Counts)> {
        self.unit_pairs(questionnaire, |g| &self.channels[g.channel as usize])
    }

    /// The counters of each (unit, service), by unit code then service.
    pub fn unit_services(&self, questionnaire: &Questionnaire) -> Vec<(&str, &str, Counts)> {
        self.unit_pairs(questionnaire, |g| &self.services[g.service as usize])
    }

    fn unit_pairs<'t>(
        &'t self,
        questionnaire: &Questionnaire,
        key: impl Fn(&GroupCounts) -> &'t String,
    ) -> Vec<(&'t str, &'t str, Counts)> {
        let mut out: Vec<(&str, &str, Counts)> = Vec::new();
        let mut at: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        for g in &self.groups {
            let pair = (self.units[g.unit as usize].as_str(), key(g).as_str());
            match at.get(&pair) {
                Some(&i) => out[i].2.merge(&g.counts),
                None => {
                    at.insert(pair, out.len());
                    let mut counts = Counts::new(questionnaire);
                    counts.merge(&g.counts);
                    out.push((pair.0, pair.1, counts));
                }
            }
        }
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
        let service_map: Vec<u32> = other
            .services
            .iter()
            .map(|c| position_or_push(&mut self.services, c))
            .collect();
        for g in other.groups {
            let (unit, channel, service) = (
                unit_map[g.unit as usize],
                channel_map[g.channel as usize],
                service_map[g.service as usize],
            );
            match self
                .groups
                .iter_mut()
                .find(|h| h.unit == unit && h.channel == channel && h.service == service)
            {
                Some(h) => h.counts.merge(&g.counts),
                None => self.groups.push(GroupCounts {
                    unit,
                    channel,
                    service,
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

/// The header's column names as the readers match them (trimmed, lower case, without a
/// byte-order mark), and a problem for each name given twice. Shared by every reader of
/// responses; a set keeps the check linear, however wide the header.
pub fn column_names(header: &[String]) -> (Vec<String>, Vec<ColumnProblem>) {
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
            problems.push(ColumnProblem::Repeated(n.clone()));
        }
    }
    (names, problems)
}

/// Where the accepted rows go: units, channels and services by first appearance, the counters
/// of each (unit, channel, service), and the respondent ids already accepted per unit.
struct Groups<'q> {
    questionnaire: &'q Questionnaire,
    /// The file, for the errors that stop the read.
    name: String,
    units: Vec<String>,
    unit_index: KeyMap,
    last_unit: Option<u32>,
    channels: Vec<String>,
    channel_index: KeyMap,
    services: Vec<String>,
    service_index: KeyMap,
    /// The position of the blank service in `services`, once a row has one.
    blank_service: Option<u32>,
    /// Per unit: (channel, service, group) triples.
    unit_groups: Vec<Vec<(u32, u32, u32)>>,
    groups: Vec<GroupCounts>,
    respondents: Respondents,
    rejected: Vec<Rejection>,
    rows: u64,
}

/// Turns rows into counters: each row is checked and packed by the survey codec
/// ([`crate::codec::RowCodec`], the same rules as the server's import) and counted with
/// [`Counts::add_packed`]. Used by the CSV and .xlsx readers, and usable on its own by a
/// caller that receives rows another way.
pub struct Aggregator<'q> {
    codec: RowCodec<'q>,
    groups: Groups<'q>,
    warnings: Vec<String>,
}

impl<'q> Aggregator<'q> {
    /// Checks the header row: `unit_code`, `respondent_id` and every item of the questionnaire
    /// must be there; `channel`, `weight`, `service`, demographic, expectations and comment
    /// columns are optional; another column is ignored with a warning.
    pub fn new(
        questionnaire: &'q Questionnaire,
        name: &str,
        header: &[String],
    ) -> Result<Aggregator<'q>, ReadError> {
        let (codec, warnings) = RowCodec::new(questionnaire, header)
            .map_err(|problems| ReadError::columns(name, questionnaire, header, problems))?;
        Ok(Aggregator {
            codec,
            groups: Groups {
                questionnaire,
                name: name.to_string(),
                units: Vec::new(),
                unit_index: KeyMap::default(),
                last_unit: None,
                channels: Vec::new(),
                channel_index: KeyMap::default(),
                services: Vec::new(),
                service_index: KeyMap::default(),
                blank_service: None,
                unit_groups: Vec::new(),
                groups: Vec::new(),
                respondents: Respondents::default(),
                rejected: Vec::new(),
                rows: 0,
            },
            warnings,
        })
    }

    /// Makes room for about `rows` respondent ids, so the duplicate check does not grow.
    pub fn reserve(&mut self, rows: usize) {
        self.groups.respondents.reserve(rows + rows / 8);
    }

    /// Adds one data row (`row` is its number, the header being 1).
    pub fn push(&mut self, row: u64, fields: &impl Fields) -> Result<(), ReadError> {
        if RowCodec::is_blank(fields) {
            return Ok(());
        }
        let groups = &mut self.groups;
        groups.rows += 1;
        // The duplicate check's table probe is likely a cache miss on a large file: start the
        // load now, from the raw cells, and use it after the codec has read the row. Ids are
        // compared in their normal form (`respondent::normalize_respondent_id`); an id in
        // ASCII without lower-case letters already is, and needs no copy. Hashing the unit
        // code with the id keeps ids per unit.
        let columns = &self.codec.columns;
        let mut respondent_hash = None;
        if fields.len() == columns.width {
            let raw = crate::codec::trim(fields.get(columns.respondent));
            if !raw.is_empty() && raw.is_ascii() && !raw.iter().any(u8::is_ascii_lowercase) {
                let unit = crate::codec::trim(fields.get(columns.unit));
                let hash = hash_bytes(hash_bytes(0, unit), raw);
                groups.respondents.touch(hash);
                respondent_hash = Some(hash);
            }
        }
        let parsed = match self.codec.read(fields) {
            Ok(parsed) => parsed,
            Err(reason) => {
                groups.rejected.push(Rejection { row, reason });
                return Ok(());
            }
        };
        let raw_respondent = parsed.packed.respondent_id.unwrap_or("");
        let unit = parsed.unit.as_bytes();
        let normalized;
        // A hash taken above is of the same trimmed id, found already in its normal form.
        let (respondent, respondent_hash) = match respondent_hash {
            Some(hash) => (raw_respondent.as_bytes(), hash),
            None => {
                let respondent = if raw_respondent.is_ascii()
                    && !raw_respondent.bytes().any(|b| b.is_ascii_lowercase())
                {
                    raw_respondent.as_bytes()
                } else {
                    normalized = crate::respondent::normalize_respondent_id(raw_respondent);
                    normalized.as_bytes()
                };
                (respondent, hash_bytes(hash_bytes(0, unit), respondent))
            }
        };
        let unit_index = groups.unit_of(row, unit)?;
        groups.last_unit = Some(unit_index);
        if !respondent.is_empty()
            && let Some(first) =
                groups
                    .respondents
                    .check_insert(respondent_hash, unit_index, respondent, row)
        {
            let reason = Fault::RepeatedRespondent {
                id: shown(raw_respondent.as_bytes()),
                unit: groups.units[unit_index as usize].clone(),
                first_row: Some(first),
            };
            groups.rejected.push(Rejection { row, reason });
            return Ok(());
        }
        let service = parsed.packed.service.unwrap_or("").as_bytes();
        let group = groups.group_of(row, unit_index, parsed.channel.as_bytes(), service)?;
        groups.groups[group].counts.add_packed(&parsed.packed);
        Ok(())
    }

    /// The counters, rejections and warnings of every row pushed.
    pub fn finish(self) -> Tally {
        let groups = self.groups;
        Tally {
            questionnaire: groups.questionnaire.id.clone(),
            units: groups.units,
            channels: groups.channels,
            services: groups.services,
            groups: groups.groups,
            rejected: groups.rejected,
            rows: groups.rows,
            warnings: self.warnings,
        }
    }
}

fn key_of(names: &mut Vec<String>, index: &mut KeyMap, key: &[u8]) -> u32 {
    match index.get(key) {
        Some(k) => k,
        None => {
            names.push(String::from_utf8_lossy(key).into_owned());
            index.insert(key)
        }
    }
}

impl Groups<'_> {
    /// The unit's index, added when new. A unit beyond [`MAX_UNITS`] stops the read.
    fn unit_of(&mut self, row: u64, unit: &[u8]) -> Result<u32, ReadError> {
        if let Some(u) = self.last_unit
            && same_bytes(self.units[u as usize].as_bytes(), unit)
        {
            return Ok(u);
        }
        if let Some(u) = self.unit_index.get(unit) {
            return Ok(u);
        }
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
        self.units.push(String::from_utf8_lossy(unit).into_owned());
        self.unit_groups.push(Vec::new());
        Ok(u)
    }

    /// The position of the (unit, channel, service) counters, added when new. A group beyond
    /// [`MAX_GROUPS`] stops the read.
    fn group_of(
        &mut self,
        row: u64,
        unit: u32,
        channel: &[u8],
        service: &[u8],
    ) -> Result<usize, ReadError> {
        let channel_index = key_of(&mut self.channels, &mut self.channel_index, channel);
        // Most rows name no service (or the file has no such column): no lookup for them.
        let service_index = if service.is_empty() {
            match self.blank_service {
                Some(s) => s,
                None => {
                    let s = key_of(&mut self.services, &mut self.service_index, service);
                    self.blank_service = Some(s);
                    s
                }
            }
        } else {
            key_of(&mut self.services, &mut self.service_index, service)
        };
        let slots = &mut self.unit_groups[unit as usize];
        if let Some(&(_, _, g)) = slots
            .iter()
            .find(|(c, s, _)| *c == channel_index && *s == service_index)
        {
            return Ok(g as usize);
        }
        let g = self.groups.len();
        if g >= MAX_GROUPS {
            return Err(ReadError::at(
                &self.name,
                row,
                format!(
                    "unit {}, channel {}{} are one more than the limit of {} distinct \
                     (unit, channel, service) groups in a file",
                    self.units[unit as usize],
                    shown(channel),
                    if service.is_empty() {
                        String::new()
                    } else {
                        format!(" and service {}", shown(service))
                    },
                    chiso_interchange::sheet::group_digits(MAX_GROUPS as u64)
                ),
            ));
        }
        slots.push((channel_index, service_index, g as u32));
        self.groups.push(GroupCounts {
            unit,
            channel: channel_index,
            service: service_index,
            counts: Counts::new(self.questionnaire),
        });
        Ok(g)
    }
}
