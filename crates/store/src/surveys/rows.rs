//! Reading responses.csv rows for an import.

use super::*;

/// One parsed row of `responses.csv` (docs/formats.md §5): row numbers count the header as
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
    /// extension of docs/formats.md §5).
    pub service: Option<String>,
}

/// A row left out, with its number and reason (docs/formats.md §5: `{"row": 12, "reason": …}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowRejection {
    pub row: u64,
    pub reason: String,
}

/// Turns the fields of a responses.csv / .xlsx row into an [`ImportRow`] with the rules and
/// reasons of the survey crate's reader (docs/formats.md §5). The survey crate's reader sums
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
