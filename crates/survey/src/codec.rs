//! One response, checked and packed: the single set of rules every way a response arrives in
//! goes through (a row of responses.csv or .xlsx, the public form, a kiosk's JSON, a typed-in
//! paper form), and the single set of reasons it can be refused for ([`Fault`]).
//!
//! A response is packed as it is stored and counted (docs/formats.md §5): one byte per item in
//! questionnaire order (the answer's 1-based position on the scale, 0 = blank), one byte per
//! demographic question likewise (none at all when no demographic is answered), the chosen
//! expectation areas (1-based, each once), the weight, and the comment, service code and
//! respondent id as written. [`Counts::add_packed`](crate::Counts::add_packed) counts it.
//!
//! The caller hands the cells over through [`Cells`], whatever their source; [`Codec::pack`]
//! reads them without allocating unless the response is refused.

use chiso_interchange::sheet::SheetError;
use serde::Serialize;

use crate::questionnaire::{Questionnaire, RESERVED_COLUMNS, Scale};
use crate::reader::{Fields, column_names};

/// Longest comment kept with a response, in characters.
pub const MAX_COMMENT: usize = 2_000;

/// Longest respondent id, in characters.
pub const MAX_RESPONDENT_ID: usize = 100;

/// The largest weight a response may carry. Weights scale a response's share of its unit;
/// a million times the others is already absurd, and bounded weights keep the sums of
/// weights and of their squares far from overflowing.
pub const MAX_WEIGHT: f64 = 1_000_000.0;

/// The smallest weight: below it, squares underflow to zero and the effective sample size is
/// no longer a number.
pub const MIN_WEIGHT: f64 = 0.000_001;

/// What is wrong with a weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WeightProblem {
    /// Not a number; `comma` when it has a decimal comma (weights are written with a dot).
    NotNumber {
        comma: bool,
    },
    NotPositive,
    TooLarge,
    TooSmall,
}

/// Why a response (or a row of a file) is refused. Items and questions are named by position
/// (0-based) so that a page can show "Câu 7" or the question's title, and by code for the
/// command line. The English text ([`std::fmt::Display`]) is the command line's and the
/// report files' (docs/formats.md §5).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// An item's answer is not on the scale (`expected` describes the scale: "1-5").
    #[error("{code}: value {value} is not {expected}")]
    Answer {
        item: usize,
        code: String,
        value: String,
        expected: String,
    },
    /// An item left blank where every item must be answered (the public form).
    #[error("{code}: not answered")]
    Unanswered { item: usize, code: String },
    /// No item answered where at least one must be (kiosk, paper).
    #[error("a response needs at least one answer")]
    NoAnswer,
    /// A demographic answer that is not one of the question's options.
    #[error("{code}: '{value}' is not one of {expected}")]
    Demographic {
        question: usize,
        code: String,
        title: String,
        value: String,
        expected: String,
    },
    /// An expectation area that is not one of the options.
    #[error("{code}: '{value}' is not one of {expected}")]
    Expectation {
        code: String,
        title: String,
        value: String,
        expected: String,
    },
    /// More expectation areas than the questionnaire allows.
    #[error("{code}: {chosen} areas chosen, at most {max}")]
    TooManyExpectations {
        code: String,
        title: String,
        chosen: usize,
        max: usize,
    },
    #[error("the comment is longer than {max} characters")]
    CommentTooLong { max: usize },
    #[error("respondent_id is longer than {max} characters")]
    RespondentTooLong { max: usize },
    /// A field that is not UTF-8 text (`unit_code`, `comment`, `service`, `respondent_id`,
    /// `channel`).
    #[error("{field} is not UTF-8 text")]
    NotText { field: &'static str },
    #[error("{}", weight_text(value, *problem))]
    Weight {
        value: String,
        problem: WeightProblem,
    },
    /// A kiosk named an item the questionnaire does not have.
    #[error("unknown item {code}")]
    UnknownItem { code: String },
    /// A kiosk named a demographic question the questionnaire does not have.
    #[error("unknown demographic question {code}")]
    UnknownQuestion { code: String },
    #[error("this questionnaire has no overall question")]
    NoOverall,
    #[error("this questionnaire has no expectations question")]
    NoExpectations,
    /// A paper form typed as one row of digits with another number of digits than items.
    #[error("{found} answers typed for {expected} questions")]
    DigitCount { found: usize, expected: usize },
    /// A row of a file with another number of fields than its header.
    #[error("wrong column count: {found}, expected {expected}")]
    ColumnCount { found: usize, expected: usize },
    #[error("empty unit_code")]
    EmptyUnit,
    /// The unit is not one of the wave's (an import).
    #[error("unit_code {unit} is not in this survey")]
    UnitNotInWave { unit: String },
    /// The service is not one of the unit's services in the wave (an import).
    #[error("service {service} is not one of unit {unit}'s services")]
    UnknownService { unit: String, service: String },
    /// A respondent id already accepted for the unit: at an earlier row of the file, or
    /// already stored (`first_row` = None).
    #[error("respondent_id {id} repeated in unit {unit} ({})", match first_row {
        Some(row) => format!("first at row {row}"),
        None => "already stored".to_string(),
    })]
    RepeatedRespondent {
        id: String,
        unit: String,
        first_row: Option<u64>,
    },
    /// The file stops being readable at this row: `cause` when it hit one of the shared
    /// reader's limits, `detail` in English otherwise.
    #[error("the file cannot be read from this row on: {detail}")]
    Unreadable {
        detail: String,
        cause: Option<SheetError>,
    },
}

impl Fault {
    /// The field at fault, as a form names it (the item's or question's code, `comment`,
    /// `respondent_id`, `weight`, `expectations`…); `None` for a fault of the whole row.
    pub fn field(&self) -> Option<&str> {
        match self {
            Fault::Answer { code, .. }
            | Fault::Unanswered { code, .. }
            | Fault::Demographic { code, .. }
            | Fault::Expectation { code, .. }
            | Fault::TooManyExpectations { code, .. }
            | Fault::UnknownItem { code }
            | Fault::UnknownQuestion { code } => Some(code),
            Fault::NoAnswer => Some("answers"),
            Fault::CommentTooLong { .. } => Some("comment"),
            Fault::RespondentTooLong { .. } | Fault::RepeatedRespondent { .. } => {
                Some("respondent_id")
            }
            Fault::NotText { field } => Some(field),
            Fault::Weight { .. } => Some("weight"),
            Fault::NoOverall => Some("overall"),
            Fault::NoExpectations => Some("expectations"),
            Fault::EmptyUnit | Fault::UnitNotInWave { .. } => Some("unit_code"),
            Fault::UnknownService { .. } => Some("service"),
            Fault::DigitCount { .. } => Some("digits"),
            Fault::ColumnCount { .. } | Fault::Unreadable { .. } => None,
        }
    }
}

/// What is wrong with a header row of responses.csv.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ColumnProblem {
    #[error("missing column '{0}' in the header row")]
    Missing(String),
    #[error("column '{0}' appears twice in the header row")]
    Repeated(String),
}

fn weight_text(value: &str, problem: WeightProblem) -> String {
    match problem {
        WeightProblem::NotNumber { comma: true } => {
            format!("weight: '{value}' is not a number (use a dot for decimals)")
        }
        WeightProblem::NotNumber { comma: false } => format!("weight: '{value}' is not a number"),
        WeightProblem::NotPositive => format!("weight: {value} is not > 0"),
        WeightProblem::TooLarge => {
            format!("weight: {value} is above the largest weight allowed, 1000000")
        }
        WeightProblem::TooSmall => {
            format!("weight: {value} is below the smallest weight allowed, 0.000001")
        }
    }
}

/// Reports keep the English sentence (docs/formats.md §5: `{"row": 12, "reason": "…"}`).
impl Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How blank items are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blanks {
    /// Any item may be blank, all of them too (a row of a file).
    Allowed,
    /// At least one item answered (a kiosk, a paper form).
    AtLeastOne,
    /// Every item answered (the public form).
    Never,
}

/// The cells of one response, whatever their source. Every cell is the text as written
/// (surrounding spaces are trimmed by the codec); a cell that is absent is empty.
pub trait Cells<'a> {
    /// The answer of item `item` (position in the questionnaire).
    fn answer(&self, item: usize) -> &'a [u8];
    /// The answer of demographic question `question`.
    fn demographic(&self, question: usize) -> &'a [u8];
    /// Whether the source holds demographic answers at all (a file without such columns does
    /// not: every one is blank).
    fn has_demographics(&self) -> bool {
        true
    }
    /// Calls `each` with every expectation area chosen (an option code).
    fn expectations(&self, each: &mut dyn FnMut(&[u8]));
    fn comment(&self) -> &'a [u8] {
        b""
    }
    fn service(&self) -> &'a [u8] {
        b""
    }
    fn respondent(&self) -> &'a [u8] {
        b""
    }
    /// The weight cell; `None` when the source has no weight (weight 1).
    fn weight(&self) -> Option<&'a [u8]> {
        None
    }
}

/// A packed response, borrowing the codec's buffers and the source's text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Packed<'a> {
    pub weight: f64,
    /// One byte per item: 1-based position on the scale, 0 = blank.
    pub answers: &'a [u8],
    /// One byte per demographic question (0 = blank), or empty when none is answered.
    pub demographics: &'a [u8],
    /// The chosen areas, 1-based, each once, in the order given.
    pub expectations: &'a [u8],
    /// Trimmed, `None` when blank. Only its presence is counted.
    pub comment: Option<&'a str>,
    /// The service code as written (trimmed), `None` when blank.
    pub service: Option<&'a str>,
    /// The respondent id as written (trimmed; compared after
    /// [`normalize_respondent_id`](crate::normalize_respondent_id)), `None` when blank.
    pub respondent_id: Option<&'a str>,
}

/// The checker and packer of one questionnaire's responses, with reusable buffers.
pub struct Codec<'q> {
    questionnaire: &'q Questionnaire,
    blanks: Blanks,
    /// The stored answer (position + 1) of each one-byte answer code; 0 where none.
    by_byte: [u8; 256],
    /// One byte per item, overwritten by each response.
    answers: Vec<u8>,
    /// One byte per demographic question, overwritten by each response.
    demographics: Vec<u8>,
    expectations: Vec<u8>,
}

/// Trims spaces and tabs.
#[inline]
pub fn trim(bytes: &[u8]) -> &[u8] {
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

/// A cell as a refusal shows it: at most 40 characters.
pub fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.into_owned()
    }
}

/// Exact powers of ten, up to the largest that [`plain_decimal`] divides by.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A number written as plain digits with at most one decimal point and at most 15 digits
/// ("2", "0.75"), as `str::parse::<f64>` reads it; `None` for anything else. The digits and the
/// power of ten are then both exact doubles, and one division of exact doubles is correctly
/// rounded: the nearest double to the number written, which is what `parse` returns too.
#[inline]
fn plain_decimal(text: &[u8]) -> Option<f64> {
    let mut digits: u64 = 0;
    let mut count = 0;
    let mut point = None;
    for &byte in text {
        match byte {
            b'0'..=b'9' => {
                digits = digits * 10 + u64::from(byte - b'0');
                count += 1;
                if count > 15 {
                    return None;
                }
            }
            b'.' if point.is_none() => point = Some(count),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    Some(digits as f64 / POWERS_OF_TEN[count - point.unwrap_or(count)])
}

/// A `weight` cell: blank is 1; otherwise a number between [`MIN_WEIGHT`] and [`MAX_WEIGHT`].
pub fn parse_weight(text: &[u8]) -> Result<f64, Fault> {
    match text {
        b"" | b"1" | b"1.0" => return Ok(1.0),
        _ => {}
    }
    let fault = |problem| Fault::Weight {
        value: shown(text),
        problem,
    };
    let parsed = plain_decimal(text).or_else(|| utf8(text).and_then(|s| s.parse::<f64>().ok()));
    let Some(weight) = parsed else {
        return Err(fault(WeightProblem::NotNumber {
            comma: text.contains(&b','),
        }));
    };
    if !weight.is_finite() || weight <= 0.0 {
        Err(fault(WeightProblem::NotPositive))
    } else if weight > MAX_WEIGHT {
        Err(fault(WeightProblem::TooLarge))
    } else if weight < MIN_WEIGHT {
        Err(fault(WeightProblem::TooSmall))
    } else {
        Ok(weight)
    }
}

/// The bytes as text, `None` when they are not UTF-8. Most cells (codes, ids, digits) are
/// short and ASCII: for them the check is one inline pass rather than a call.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII bytes are UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// A text cell, trimmed: `None` when blank, and when not UTF-8 (the fault is added).
#[inline(always)]
fn text<'a>(bytes: &'a [u8], field: &'static str, faults: &mut Vec<Fault>) -> Option<&'a str> {
    let bytes = trim(bytes);
    if bytes.is_empty() {
        return None;
    }
    let text = utf8(bytes);
    if text.is_none() {
        not_text(field, faults);
    }
    text
}

#[cold]
fn not_text(field: &'static str, faults: &mut Vec<Fault>) {
    faults.push(Fault::NotText { field });
}

impl<'q> Codec<'q> {
    pub fn new(questionnaire: &'q Questionnaire, blanks: Blanks) -> Codec<'q> {
        let mut by_byte = [0u8; 256];
        for (position, answer) in questionnaire.scale.answers.iter().enumerate() {
            if let [byte] = answer.code.as_bytes() {
                by_byte[byte.to_ascii_lowercase() as usize] = position as u8 + 1;
                by_byte[byte.to_ascii_uppercase() as usize] = position as u8 + 1;
            }
        }
        Codec {
            questionnaire,
            blanks,
            by_byte,
            answers: vec![0; questionnaire.items.len()],
            demographics: vec![0; questionnaire.demographics.len()],
            expectations: Vec::new(),
        }
    }

    pub fn questionnaire(&self) -> &'q Questionnaire {
        self.questionnaire
    }

    /// The stored answer of an item's cell: 0 for a blank, `None` when not on the scale.
    #[inline]
    fn answer(by_byte: &[u8; 256], scale: &Scale, cell: &[u8]) -> Option<u8> {
        // Most cells are one byte or empty: no trimming for them.
        match cell {
            [] => return Some(0),
            [byte] if by_byte[*byte as usize] != 0 => return Some(by_byte[*byte as usize]),
            _ => {}
        }
        let cell = trim(cell);
        match cell {
            [] => Some(0),
            [byte] if by_byte[*byte as usize] != 0 => Some(by_byte[*byte as usize]),
            _ => utf8(cell).and_then(|s| scale.find(s)).map(|p| p as u8 + 1),
        }
    }

    /// Checks and packs one response: every fault found, in the order of the fields (a page
    /// shows them all; a file's row reports the first).
    pub fn pack<'s, 'a: 's>(
        &'s mut self,
        cells: &impl Cells<'a>,
    ) -> Result<Packed<'s>, Vec<Fault>> {
        let mut faults = Vec::new();
        let weight = match cells.weight() {
            None => 1.0,
            Some(cell) => parse_weight(trim(cell)).unwrap_or_else(|fault| {
                faults.push(fault);
                1.0
            }),
        };
        self.pack_answers(cells, &mut faults);
        let any_demographic = self.pack_demographics(cells, &mut faults);
        self.pack_expectations(cells, &mut faults);
        let comment = text(cells.comment(), "comment", &mut faults);
        let service = text(cells.service(), "service", &mut faults);
        let respondent_id = text(cells.respondent(), "respondent_id", &mut faults);
        if comment.is_some_and(|c| c.len() > MAX_COMMENT && c.chars().count() > MAX_COMMENT) {
            faults.push(Fault::CommentTooLong { max: MAX_COMMENT });
        }
        if respondent_id
            .is_some_and(|r| r.len() > MAX_RESPONDENT_ID && r.chars().count() > MAX_RESPONDENT_ID)
        {
            faults.push(Fault::RespondentTooLong {
                max: MAX_RESPONDENT_ID,
            });
        }
        if !faults.is_empty() {
            return Err(faults);
        }
        Ok(Packed {
            weight,
            answers: &self.answers,
            demographics: if any_demographic {
                &self.demographics
            } else {
                &[]
            },
            expectations: &self.expectations,
            comment,
            service,
            respondent_id,
        })
    }

    /// The items' answers, into `answers` (one byte per item, overwritten in place).
    #[inline]
    fn pack_answers<'a>(&mut self, cells: &impl Cells<'a>, faults: &mut Vec<Fault>) {
        let q = self.questionnaire;
        let blank_is_fault = self.blanks == Blanks::Never;
        for (k, slot) in self.answers.iter_mut().enumerate() {
            let cell = cells.answer(k);
            *slot = match Codec::answer(&self.by_byte, &q.scale, cell) {
                Some(0) if blank_is_fault => {
                    faults.push(Fault::Unanswered {
                        item: k,
                        code: q.items[k].code.clone(),
                    });
                    0
                }
                Some(value) => value,
                None => {
                    faults.push(Fault::Answer {
                        item: k,
                        code: q.items[k].code.clone(),
                        value: shown(trim(cell)),
                        expected: q.scale.describe(),
                    });
                    0
                }
            };
        }
        if self.blanks == Blanks::AtLeastOne
            && faults.is_empty()
            && self.answers.iter().all(|&a| a == 0)
        {
            faults.push(Fault::NoAnswer);
        }
    }

    /// The demographic answers, into `demographics` (one byte per question, overwritten in
    /// place); whether any is answered.
    #[inline]
    fn pack_demographics<'a>(&mut self, cells: &impl Cells<'a>, faults: &mut Vec<Fault>) -> bool {
        if !cells.has_demographics() {
            return false;
        }
        let q = self.questionnaire;
        let mut any = false;
        for (d, slot) in self.demographics.iter_mut().enumerate() {
            let cell = trim(cells.demographic(d));
            if cell.is_empty() {
                *slot = 0;
                continue;
            }
            let question = &q.demographics[d];
            *slot = match utf8(cell).and_then(|s| question.find(s)) {
                Some(p) => {
                    any = true;
                    p as u8 + 1
                }
                None => {
                    faults.push(Fault::Demographic {
                        question: d,
                        code: question.code.clone(),
                        title: question.title.clone(),
                        value: shown(cell),
                        expected: question.describe(),
                    });
                    0
                }
            };
        }
        any
    }

    /// The expectation areas chosen, into `expectations`.
    #[inline]
    fn pack_expectations<'a>(&mut self, cells: &impl Cells<'a>, faults: &mut Vec<Fault>) {
        self.expectations.clear();
        let Some(declared) = &self.questionnaire.expectations else {
            return;
        };
        let expectations = &mut self.expectations;
        cells.expectations(&mut |part| {
            let part = trim(part);
            if part.is_empty() {
                return;
            }
            match utf8(part).and_then(|s| declared.question.find(s)) {
                Some(p) if !expectations.contains(&(p as u8 + 1)) => expectations.push(p as u8 + 1),
                Some(_) => {}
                None => faults.push(Fault::Expectation {
                    code: declared.question.code.clone(),
                    title: declared.question.title.clone(),
                    value: shown(part),
                    expected: declared.question.describe(),
                }),
            }
        });
        if self.expectations.len() > declared.max_choices {
            faults.push(Fault::TooManyExpectations {
                code: declared.question.code.clone(),
                title: declared.question.title.clone(),
                chosen: self.expectations.len(),
                max: declared.max_choices,
            });
        }
    }
}

/// Where each field of a response sits in a file's rows (docs/formats.md §5): `unit_code`,
/// `respondent_id` and every item are required; `channel`, `weight`, `service`, the
/// demographic, expectations and comment columns are optional; another column is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    pub width: usize,
    pub unit: usize,
    pub respondent: usize,
    pub channel: Option<usize>,
    pub weight: Option<usize>,
    pub service: Option<usize>,
    pub items: Vec<usize>,
    pub demographics: Vec<Option<usize>>,
    pub expectations: Option<usize>,
    pub comment: Option<usize>,
}

impl Columns {
    /// Reads a header row. `Err` names every missing or repeated column; the warnings name
    /// the columns that will be ignored.
    pub fn new(
        questionnaire: &Questionnaire,
        header: &[String],
    ) -> Result<(Columns, Vec<String>), Vec<ColumnProblem>> {
        let (names, mut problems) = column_names(header);
        let find = |code: &str| names.iter().position(|n| n == &code.to_ascii_lowercase());
        let require = |code: &str, problems: &mut Vec<ColumnProblem>| {
            find(code).unwrap_or_else(|| {
                problems.push(ColumnProblem::Missing(code.to_string()));
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
            return Err(problems);
        }
        let columns = Columns {
            width: names.len(),
            unit,
            respondent,
            channel: find("channel"),
            weight: find("weight"),
            service: find("service"),
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
        let mut warnings = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let known = RESERVED_COLUMNS.contains(&n.as_str())
                || columns.items.contains(&i)
                || columns.demographics.contains(&Some(i))
                || columns.expectations == Some(i)
                || columns.comment == Some(i);
            if !known {
                warnings.push(format!(
                    "column '{}' is not a question of {}: ignored",
                    header[i].trim(),
                    questionnaire.id
                ));
            }
        }
        Ok((columns, warnings))
    }
}

/// A file's row seen as a response's cells.
pub struct RowCells<'a, F: Fields> {
    pub columns: &'a Columns,
    pub fields: &'a F,
}

impl<'a, F: Fields> RowCells<'a, F> {
    fn at(&self, column: Option<usize>) -> &'a [u8] {
        column.map_or(b"", |c| self.fields.get(c))
    }
}

impl<'a, F: Fields> Cells<'a> for RowCells<'a, F> {
    #[inline]
    fn answer(&self, item: usize) -> &'a [u8] {
        self.fields.get(self.columns.items[item])
    }
    fn demographic(&self, question: usize) -> &'a [u8] {
        self.at(self.columns.demographics[question])
    }
    fn has_demographics(&self) -> bool {
        self.columns.demographics.iter().any(Option::is_some)
    }
    fn expectations(&self, each: &mut dyn FnMut(&[u8])) {
        if let Some(column) = self.columns.expectations {
            for part in self.fields.get(column).split(|&b| b == b';') {
                each(part);
            }
        }
    }
    fn comment(&self) -> &'a [u8] {
        self.at(self.columns.comment)
    }
    fn service(&self) -> &'a [u8] {
        self.at(self.columns.service)
    }
    fn respondent(&self) -> &'a [u8] {
        self.fields.get(self.columns.respondent)
    }
    fn weight(&self) -> Option<&'a [u8]> {
        self.columns.weight.map(|c| self.fields.get(c))
    }
}

/// One row of a file, checked and packed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row<'a> {
    /// Trimmed, never empty.
    pub unit: &'a str,
    /// Trimmed, as written ("" when blank or absent).
    pub channel: &'a str,
    pub packed: Packed<'a>,
}

/// The rows of one file: its [`Columns`] and a [`Codec`]. The command line's reader and the
/// server's import read rows through this, so their rules are the same.
pub struct RowCodec<'q> {
    pub columns: Columns,
    codec: Codec<'q>,
    /// Channels outside ASCII ("bưu điện") already found to be UTF-8: a file has a handful,
    /// each checked once rather than on every row.
    checked_channels: Vec<Box<[u8]>>,
}

impl<'q> RowCodec<'q> {
    /// Reads the header row; see [`Columns::new`].
    pub fn new(
        questionnaire: &'q Questionnaire,
        header: &[String],
    ) -> Result<(RowCodec<'q>, Vec<String>), Vec<ColumnProblem>> {
        let (columns, warnings) = Columns::new(questionnaire, header)?;
        Ok((
            RowCodec {
                columns,
                codec: Codec::new(questionnaire, Blanks::Allowed),
                checked_channels: Vec::new(),
            },
            warnings,
        ))
    }

    /// A channel cell as text; `None` when it is not UTF-8.
    #[inline]
    fn channel<'f>(&mut self, cell: &'f [u8]) -> Option<&'f str> {
        if cell.is_ascii()
            || self
                .checked_channels
                .iter()
                .any(|c| c.len() == cell.len() && **c == *cell)
        {
            // SAFETY: ASCII bytes are UTF-8, and so are the bytes of a channel already checked.
            return Some(unsafe { std::str::from_utf8_unchecked(cell) });
        }
        let text = std::str::from_utf8(cell).ok()?;
        if self.checked_channels.len() < 16 {
            self.checked_channels.push(cell.into());
        }
        Some(text)
    }

    /// Whether a row holds nothing (skipped silently, as a spreadsheet's empty line).
    #[inline]
    pub fn is_blank(fields: &impl Fields) -> bool {
        (0..fields.len()).all(|i| trim(fields.get(i)).is_empty())
    }

    /// Checks and packs one non-blank row; a refused row gives its first fault.
    pub fn read<'s, F: Fields>(&'s mut self, fields: &'s F) -> Result<Row<'s>, Fault> {
        let count = fields.len();
        if count != self.columns.width {
            return Err(Fault::ColumnCount {
                found: count,
                expected: self.columns.width,
            });
        }
        let unit = trim(fields.get(self.columns.unit));
        if unit.is_empty() {
            return Err(Fault::EmptyUnit);
        }
        let Some(unit) = utf8(unit) else {
            return Err(Fault::NotText { field: "unit_code" });
        };
        let channel = match self.columns.channel {
            Some(column) => match self.channel(trim(fields.get(column))) {
                Some(channel) => channel,
                None => return Err(Fault::NotText { field: "channel" }),
            },
            None => "",
        };
        let cells = RowCells {
            columns: &self.columns,
            fields,
        };
        let packed = self
            .codec
            .pack(&cells)
            .map_err(|mut faults| faults.swap_remove(0))?;
        Ok(Row {
            unit,
            channel,
            packed,
        })
    }
}

/// A response given as separate text values (a form, a kiosk's JSON), for [`Codec::pack`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextCells {
    /// One per item ("" = blank).
    pub answers: Vec<String>,
    /// One per demographic question ("" = blank).
    pub demographics: Vec<String>,
    pub expectations: Vec<String>,
    pub comment: String,
    pub service: String,
    pub respondent: String,
}

impl TextCells {
    /// Blank cells shaped for a questionnaire.
    pub fn new(questionnaire: &Questionnaire) -> TextCells {
        TextCells {
            answers: vec![String::new(); questionnaire.items.len()],
            demographics: vec![String::new(); questionnaire.demographics.len()],
            ..TextCells::default()
        }
    }
}

impl TextCells {
    /// The answers of a paper form typed as one row of characters, one per item in order
    /// (docs/formats.md §8.8): `0`, a space or `-` is a blank, any other character is the
    /// answer's code ("5", "A"). Spaces around the row are kept as blanks only inside it.
    pub fn set_digits(&mut self, typed: &str) -> Result<(), Fault> {
        let typed = typed.trim_end_matches(['\r', '\n']);
        let found = typed.chars().count();
        if found != self.answers.len() {
            return Err(Fault::DigitCount {
                found,
                expected: self.answers.len(),
            });
        }
        for (cell, c) in self.answers.iter_mut().zip(typed.chars()) {
            *cell = match c {
                '0' | ' ' | '-' => String::new(),
                other => other.to_string(),
            };
        }
        Ok(())
    }
}

impl<'a> Cells<'a> for &'a TextCells {
    fn answer(&self, item: usize) -> &'a [u8] {
        self.answers.get(item).map_or(b"", |a| a.as_bytes())
    }
    fn demographic(&self, question: usize) -> &'a [u8] {
        self.demographics
            .get(question)
            .map_or(b"", |a| a.as_bytes())
    }
    fn expectations(&self, each: &mut dyn FnMut(&[u8])) {
        for e in &self.expectations {
            each(e.as_bytes());
        }
    }
    fn comment(&self) -> &'a [u8] {
        self.comment.as_bytes()
    }
    fn service(&self) -> &'a [u8] {
        self.service.as_bytes()
    }
    fn respondent(&self) -> &'a [u8] {
        self.respondent.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled;

    fn cells(q: &Questionnaire, answers: &[&str]) -> TextCells {
        let mut cells = TextCells::new(q);
        for (cell, a) in cells.answers.iter_mut().zip(answers) {
            *cell = a.to_string();
        }
        cells
    }

    #[test]
    fn blanks_follow_the_way_the_response_came() {
        let q = bundled("sipas-2017").unwrap();
        let blank = TextCells::new(&q);
        assert!(Codec::new(&q, Blanks::Allowed).pack(&&blank).is_ok());
        assert_eq!(
            Codec::new(&q, Blanks::AtLeastOne)
                .pack(&&blank)
                .unwrap_err(),
            [Fault::NoAnswer]
        );
        let one = cells(&q, &["", "4"]);
        let mut codec = Codec::new(&q, Blanks::AtLeastOne);
        let packed = codec.pack(&&one).unwrap();
        assert_eq!(&packed.answers[..3], [0, 4, 0]);
        assert!(packed.demographics.is_empty() && packed.comment.is_none());
        // Every item answered on the public form: each blank is named by position.
        let faults = Codec::new(&q, Blanks::Never).pack(&&one).unwrap_err();
        assert_eq!(faults.len(), q.items.len() - 1);
        assert!(matches!(&faults[0], Fault::Unanswered { item: 0, code } if code == "c01"));
    }

    #[test]
    fn every_fault_is_found_in_field_order() {
        let q = bundled("sipas-2017").unwrap();
        let mut bad = cells(&q, &["9", " 5 ", "x"]);
        bad.demographics[0] = "khac".into();
        bad.expectations = vec!["nope".into()];
        bad.comment = "a".repeat(MAX_COMMENT + 1);
        let faults = Codec::new(&q, Blanks::Allowed).pack(&&bad).unwrap_err();
        let fields: Vec<Option<&str>> = faults.iter().map(Fault::field).collect();
        assert_eq!(
            fields,
            [
                Some("c01"),
                Some("c03"),
                Some("sex"),
                Some("expectations"),
                Some("comment")
            ]
        );
        assert_eq!(faults[0].to_string(), "c01: value 9 is not 1-5");
    }

    #[test]
    fn a_typed_row_of_digits_is_one_answer_per_item() {
        let q = bundled("sipas-2017").unwrap();
        let mut typed = TextCells::new(&q);
        assert_eq!(
            typed.set_digits("55"),
            Err(Fault::DigitCount {
                found: 2,
                expected: 23
            })
        );
        typed.set_digits("5 -0444444444444444444A").unwrap();
        let faults = Codec::new(&q, Blanks::AtLeastOne)
            .pack(&&typed)
            .unwrap_err();
        assert!(matches!(&faults[..], [Fault::Answer { item: 22, .. }]));
        typed.set_digits("5 -04444444444444444443").unwrap();
        let mut codec = Codec::new(&q, Blanks::AtLeastOne);
        let packed = codec.pack(&&typed).unwrap();
        assert_eq!(&packed.answers[..5], [5, 0, 0, 0, 4]);
        assert_eq!(packed.answers[22], 3);
    }

    /// The short way of reading plain decimals gives the very double `str::parse` gives.
    #[test]
    fn plain_decimals_are_read_as_parse_reads_them() {
        let mut rng = crate::generate::Rng::new(7);
        let mut texts: Vec<String> = [
            "0",
            "1.",
            ".5",
            "0.1",
            "0.3",
            "2.675",
            "1.005",
            "0.000001",
            "1000000",
            "999999999999999",
            "9007199254740993",
            "0.1000000000000001",
            "123456789.012345",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        for _ in 0..200_000 {
            let digits = 1 + rng.below(15) as usize;
            let mut text: String = (0..digits)
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect();
            let point = rng.below(digits as u64 + 2) as usize;
            if point <= digits {
                text.insert(point, '.');
            }
            texts.push(text);
        }
        for text in &texts {
            let expected = text.parse::<f64>().ok();
            let fast = plain_decimal(text.as_bytes());
            if text.len() - usize::from(text.contains('.')) <= 15 {
                assert_eq!(fast.map(f64::to_bits), expected.map(f64::to_bits), "{text}");
            } else {
                assert_eq!(fast, None, "{text}");
            }
        }
        for text in ["", ".", "1..2", "1e3", "+1", "-1", "1,5", "٣", " 1"] {
            assert_eq!(plain_decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn weights_are_read_with_their_limits() {
        assert_eq!(parse_weight(b""), Ok(1.0));
        assert_eq!(parse_weight(b"2.5"), Ok(2.5));
        for (text, problem) in [
            (&b"1,5"[..], WeightProblem::NotNumber { comma: true }),
            (b"abc", WeightProblem::NotNumber { comma: false }),
            (b"0", WeightProblem::NotPositive),
            (b"1e308", WeightProblem::TooLarge),
            (b"1e-9", WeightProblem::TooSmall),
        ] {
            assert!(
                matches!(parse_weight(text), Err(Fault::Weight { problem: p, .. }) if p == problem)
            );
        }
    }
}
