//! Reading responses.csv rows for an import: each row is checked and packed by the survey
//! crate's codec ([`RowCodec`]), with the rules and reasons of `chiso survey index`
//! (docs/formats.md §5), and kept as an owned [`ImportRow`] to store.

use chiso_survey::codec::{Fault, Row, RowCodec};

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
    /// Empty when no demographic is answered.
    pub demographics: Vec<u8>,
    pub expectations: Vec<u8>,
    pub comment: Option<String>,
    /// The code of one of the unit's services in the wave (the optional `service` column).
    pub service: Option<String>,
}

impl ImportRow {
    /// The owned copy of a row the codec accepted.
    pub fn new(row: u64, parsed: &Row<'_>) -> ImportRow {
        let packed = &parsed.packed;
        ImportRow {
            row,
            unit_code: parsed.unit.to_string(),
            respondent_id: packed.respondent_id.map(str::to_string),
            channel: parsed.channel.to_string(),
            weight: packed.weight,
            answers: packed.answers.to_vec(),
            demographics: packed.demographics.to_vec(),
            expectations: packed.expectations.to_vec(),
            comment: packed.comment.map(str::to_string),
            service: packed.service.map(str::to_string),
        }
    }
}

/// A row left out, with its number and reason (docs/formats.md §5: `{"row": 12, "reason": …}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowRejection {
    pub row: u64,
    pub reason: Fault,
}

/// The data rows of a responses.csv, streamed: one [`ImportRow`] or [`RowRejection`] per
/// non-blank row. A read error ends the rows with a rejection naming it (an all-or-nothing
/// import then stores nothing). Duplicate respondent ids are checked by the import (per batch
/// in memory, then by the database's unique index), so memory does not grow with the file.
pub struct CsvRows<'q, R> {
    scanner: Scanner<R>,
    codec: RowCodec<'q>,
    warnings: Vec<String>,
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
        let (codec, warnings) = RowCodec::new(questionnaire, &header)
            .map_err(|problems| ReadError::columns("", questionnaire, &header, problems))?;
        Ok(CsvRows {
            scanner,
            codec,
            warnings,
            row: 1,
            done: false,
        })
    }

    /// Columns that were ignored.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
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
                    let cause = limit_of(&e);
                    let detail = match &cause {
                        Some(limit) => limit.message(),
                        None => e.to_string(),
                    };
                    return Some(Err(RowRejection {
                        row: self.row + 1,
                        reason: Fault::Unreadable { detail, cause },
                    }));
                }
                Ok(Some(record)) => {
                    self.row += 1;
                    if RowCodec::is_blank(&record) {
                        continue;
                    }
                    let row = self.row;
                    return Some(
                        self.codec
                            .read(&record)
                            .map(|parsed| ImportRow::new(row, &parsed))
                            .map_err(|reason| RowRejection { row, reason }),
                    );
                }
            }
        }
    }
}
