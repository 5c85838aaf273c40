//! Survey microdata out (docs/formats.md §8.12): one row per stored response, with the
//! answers as the questionnaire's codes, and the codebook that names every variable and
//! every value, so that SPSS, R or Stata can load the data with its labels.
//!
//! The columns follow `responses.csv` (docs/formats.md §5 and §8.8) where they overlap —
//! `unit_code, respondent_id, channel, weight, service`, the items, the demographics, the
//! expectations and the comment, with the same codes — so an export is read back by the
//! bulk import as it stands (the other columns are ignored with a warning). The columns only
//! an export has come after them: the response's number, the unit's and service's names, the
//! time it was submitted (Vietnam time, ISO 8601), the look-alike flag and the exclusion.
//!
//! One column list ([`Microdata`]) and three renderings of it: CSV ([`CsvOut`], through the
//! one CSV writer of `chiso_interchange`), JSON ([`JsonOut`]) and .xlsx ([`XlsxOut`], the data
//! sheet in rust_xlsxwriter's constant-memory mode, then the codebook sheet). Each takes rows
//! one at a time, so the caller streams them from the database in pages.

use std::borrow::Cow;
use std::io::Write;

use chiso_interchange::csv_out::{CsvWriter, LineEnd};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;

use crate::questionnaire::Questionnaire;

/// One stored response as the export writes it, borrowing the caller's row. Answers,
/// demographics and expectations are packed as stored (1-based positions, 0 = blank).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub response_id: i64,
    pub unit_code: &'a str,
    pub unit_name: &'a str,
    pub respondent_id: Option<&'a str>,
    pub channel: &'a str,
    pub weight: f64,
    pub service_code: Option<&'a str>,
    pub service_name: Option<&'a str>,
    pub answers: &'a [u8],
    pub demographics: &'a [u8],
    pub expectations: &'a [u8],
    pub comment: Option<&'a str>,
    /// Already in Vietnam time, ISO 8601 with its offset (`2026-12-10T14:03:05+07:00`).
    pub submitted_at: &'a str,
    pub flagged_duplicate: bool,
    /// The reason, when the response is excluded from the index.
    pub excluded: Option<&'a str>,
}

/// A cell of the export.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    Number(f64),
    Integer(i64),
    /// 1 / 0 in CSV and .xlsx, true / false in JSON.
    Flag(bool),
}

impl Cell<'_> {
    /// The cell as CSV text.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(text) => Cow::Borrowed(text),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Integer(n) => Cow::Owned(n.to_string()),
            Cell::Flag(true) => Cow::Borrowed("1"),
            Cell::Flag(false) => Cow::Borrowed("0"),
        }
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Empty => serializer.serialize_none(),
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Number(n) => serializer.serialize_f64(*n),
            Cell::Integer(n) => serializer.serialize_i64(*n),
            Cell::Flag(b) => serializer.serialize_bool(*b),
        }
    }
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    UnitCode,
    RespondentId,
    Channel,
    Weight,
    Service,
    Item(usize),
    Demographic(usize),
    Expectations,
    Comment,
    ResponseId,
    UnitName,
    ServiceName,
    SubmittedAt,
    Flagged,
    Excluded,
    ExcludedReason,
}

/// The kind of a variable, as the codebook says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Free text, or a code without value labels.
    Text,
    /// A number.
    Number,
    /// One code of the listed values.
    Code,
    /// Codes of the listed values separated by `;`.
    Codes,
}

/// One variable of the export and of its codebook.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variable {
    /// The column's name.
    pub name: String,
    /// What it holds, in Vietnamese.
    pub label: String,
    pub kind: Kind,
    /// Each value's code and label, for coded variables.
    pub values: Vec<ValueLabel>,
    #[serde(skip)]
    source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueLabel {
    pub code: String,
    pub label: String,
}

fn value(code: &str, label: &str) -> ValueLabel {
    ValueLabel {
        code: code.to_string(),
        label: label.to_string(),
    }
}

/// The columns of one questionnaire's export.
pub struct Microdata<'q> {
    questionnaire: &'q Questionnaire,
    variables: Vec<Variable>,
}

/// The channels the server itself takes, with their labels (an import may name others).
const CHANNELS: [(&str, &str); 3] = [
    ("online", "Trực tuyến"),
    ("kiosk", "Máy tại bộ phận một cửa"),
    ("paper", "Phiếu giấy"),
];

const NO_YES: [(&str, &str); 2] = [("0", "Không"), ("1", "Có")];

/// The columns before the questions, as in responses.csv (docs/formats.md §5.1 and §8.8).
const LEADING: [(&str, &str, Kind, Source); 5] = [
    ("unit_code", "Mã đơn vị", Kind::Text, Source::UnitCode),
    (
        "respondent_id",
        "Mã người trả lời (số hồ sơ), nếu có",
        Kind::Text,
        Source::RespondentId,
    ),
    ("channel", "Kênh trả lời", Kind::Code, Source::Channel),
    ("weight", "Trọng số", Kind::Number, Source::Weight),
    (
        "service",
        "Mã dịch vụ (thủ tục hành chính), nếu có",
        Kind::Text,
        Source::Service,
    ),
];

/// The export's own columns, after the questions.
const TRAILING: [(&str, &str, Kind, Source); 7] = [
    (
        "response_id",
        "Số phiếu (trong cơ sở dữ liệu)",
        Kind::Number,
        Source::ResponseId,
    ),
    ("unit_name", "Tên đơn vị", Kind::Text, Source::UnitName),
    (
        "service_name",
        "Tên dịch vụ",
        Kind::Text,
        Source::ServiceName,
    ),
    (
        "submitted_at",
        "Thời điểm gửi phiếu (giờ Việt Nam, ISO 8601)",
        Kind::Text,
        Source::SubmittedAt,
    ),
    (
        "flagged_duplicate",
        "Nghi trùng (cùng câu trả lời, cùng nguồn, trong khoảng thời gian ngắn): không tính vào chỉ số",
        Kind::Code,
        Source::Flagged,
    ),
    (
        "excluded",
        "Bị loại khỏi chỉ số",
        Kind::Code,
        Source::Excluded,
    ),
    (
        "excluded_reason",
        "Lý do loại",
        Kind::Text,
        Source::ExcludedReason,
    ),
];

/// A column of [`LEADING`] or [`TRAILING`], with its value labels.
fn fixed(name: &str, label: &str, kind: Kind, source: Source) -> Variable {
    let pairs: &[(&str, &str)] = match source {
        Source::Channel => &CHANNELS,
        Source::Flagged | Source::Excluded => &NO_YES,
        _ => &[],
    };
    Variable {
        name: name.to_string(),
        label: label.to_string(),
        kind,
        values: pairs.iter().map(|(c, l)| value(c, l)).collect(),
        source,
    }
}

/// The questionnaire's columns: items, demographics, expectations and comment, in that order.
fn question_variables(q: &Questionnaire) -> Vec<Variable> {
    let mut variables = Vec::new();
    let choices = |options: &[crate::questionnaire::Choice]| {
        options
            .iter()
            .map(|o| value(&o.code, &o.label))
            .collect::<Vec<_>>()
    };
    for (k, item) in q.items.iter().enumerate() {
        let factor = item
            .factor
            .map(|f| format!(" [{}]", q.factors[f].code))
            .unwrap_or_default();
        variables.push(Variable {
            name: item.code.clone(),
            label: format!("{}{factor}", item.title),
            kind: Kind::Code,
            values: q
                .scale
                .answers
                .iter()
                .enumerate()
                .map(|(p, a)| value(&a.code, item.answer_label(&q.scale, p)))
                .collect(),
            source: Source::Item(k),
        });
    }
    for (k, question) in q.demographics.iter().enumerate() {
        variables.push(Variable {
            name: question.code.clone(),
            label: question.title.clone(),
            kind: Kind::Code,
            values: choices(&question.options),
            source: Source::Demographic(k),
        });
    }
    if let Some(expectations) = &q.expectations {
        variables.push(Variable {
            name: expectations.question.code.clone(),
            label: format!(
                "{} (tối đa {} lựa chọn, cách nhau bởi dấu ;)",
                expectations.question.title, expectations.max_choices
            ),
            kind: Kind::Codes,
            values: choices(&expectations.question.options),
            source: Source::Expectations,
        });
    }
    if let Some(comment) = &q.comment {
        variables.push(Variable {
            name: comment.code.clone(),
            label: comment.title.clone(),
            kind: Kind::Text,
            values: Vec::new(),
            source: Source::Comment,
        });
    }
    variables
}

impl<'q> Microdata<'q> {
    pub fn new(questionnaire: &'q Questionnaire) -> Microdata<'q> {
        let mut variables: Vec<Variable> = LEADING
            .iter()
            .map(|&(name, label, kind, source)| fixed(name, label, kind, source))
            .collect();
        variables.extend(question_variables(questionnaire));
        for &(name, label, kind, source) in &TRAILING {
            // A questionnaire may use one of these names for a question: the export's own
            // column then takes a `_` in front, so no header names a column twice.
            let mut name = name.to_string();
            while variables.iter().any(|v| v.name.eq_ignore_ascii_case(&name)) {
                name.insert(0, '_');
            }
            variables.push(fixed(&name, label, kind, source));
        }
        Microdata {
            questionnaire,
            variables,
        }
    }

    pub fn questionnaire(&self) -> &'q Questionnaire {
        self.questionnaire
    }

    /// Every variable in column order.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// The header row.
    pub fn header(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(|v| v.name.as_str())
    }

    /// The cells of one response, in column order. An answer outside the questionnaire's
    /// scale (which the store never holds) is written as blank.
    pub fn cells<'a>(&'a self, record: &Record<'a>) -> impl Iterator<Item = Cell<'a>> + 'a {
        let q = self.questionnaire;
        let record = *record;
        self.variables.iter().map(move |v| {
            let text = |t: Option<&'a str>| match t {
                Some(t) if !t.is_empty() => Cell::Text(Cow::Borrowed(t)),
                _ => Cell::Empty,
            };
            match v.source {
                Source::UnitCode => text(Some(record.unit_code)),
                Source::RespondentId => text(record.respondent_id),
                Source::Channel => text(Some(record.channel)),
                Source::Weight => Cell::Number(record.weight),
                Source::Service => text(record.service_code),
                Source::Item(k) => {
                    let at = record.answers.get(k).copied().unwrap_or(0) as usize;
                    text(
                        at.checked_sub(1)
                            .and_then(|p| q.scale.answers.get(p))
                            .map(|a| a.code.as_str()),
                    )
                }
                Source::Demographic(k) => {
                    let at = record.demographics.get(k).copied().unwrap_or(0) as usize;
                    text(
                        at.checked_sub(1)
                            .and_then(|p| q.demographics[k].options.get(p))
                            .map(|o| o.code.as_str()),
                    )
                }
                Source::Expectations => {
                    let options = q
                        .expectations
                        .as_ref()
                        .map_or(&[][..], |e| &e.question.options[..]);
                    let codes: Vec<&str> = record
                        .expectations
                        .iter()
                        .filter_map(|&a| (a as usize).checked_sub(1).and_then(|p| options.get(p)))
                        .map(|o| o.code.as_str())
                        .collect();
                    if codes.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(Cow::Owned(codes.join(";")))
                    }
                }
                Source::Comment => text(record.comment),
                Source::ResponseId => Cell::Integer(record.response_id),
                Source::UnitName => text(Some(record.unit_name)),
                Source::ServiceName => text(record.service_name),
                Source::SubmittedAt => text(Some(record.submitted_at)),
                Source::Flagged => Cell::Flag(record.flagged_duplicate),
                Source::Excluded => Cell::Flag(record.excluded.is_some()),
                Source::ExcludedReason => text(record.excluded),
            }
        })
    }

    /// The codebook's rows: one per value of a coded variable, one for any other variable
    /// (`variable, label, type, value, value_label`).
    pub fn codebook_rows(&self) -> Vec<[String; 5]> {
        let mut rows = Vec::new();
        for v in &self.variables {
            let kind = match v.kind {
                Kind::Text => "text",
                Kind::Number => "number",
                Kind::Code => "code",
                Kind::Codes => "codes",
            };
            if v.values.is_empty() {
                rows.push([
                    v.name.clone(),
                    v.label.clone(),
                    kind.to_string(),
                    String::new(),
                    String::new(),
                ]);
            }
            for value in &v.values {
                rows.push([
                    v.name.clone(),
                    v.label.clone(),
                    kind.to_string(),
                    value.code.clone(),
                    value.label.clone(),
                ]);
            }
        }
        rows
    }

    /// The codebook as `codebook.csv`: a header and [`Microdata::codebook_rows`].
    pub fn codebook_csv(&self) -> Vec<u8> {
        let mut out = CsvWriter::new(Vec::new(), LineEnd::CrLf);
        out.row(CODEBOOK_HEADER).expect("writing to memory");
        for row in self.codebook_rows() {
            out.row(row).expect("writing to memory");
        }
        out.into_inner().expect("writing to memory")
    }

    /// The codebook as JSON: the questionnaire, then every variable with its values.
    pub fn codebook_json(&self) -> serde_json::Value {
        let q = self.questionnaire;
        serde_json::json!({
            "questionnaire": q.id,
            "version": q.version,
            "title": q.title,
            "variables": self.variables,
        })
    }
}

/// The codebook's columns.
pub const CODEBOOK_HEADER: [&str; 5] = ["variable", "label", "type", "value", "value_label"];

/// CSV out: the header, then one row per [`CsvOut::push`]; rows end in CRLF (a download).
pub struct CsvOut<'m, 'q, W: Write> {
    microdata: &'m Microdata<'q>,
    writer: CsvWriter<W>,
}

impl<'m, 'q, W: Write> CsvOut<'m, 'q, W> {
    pub fn new(microdata: &'m Microdata<'q>, writer: W) -> std::io::Result<CsvOut<'m, 'q, W>> {
        let mut writer = CsvWriter::new(writer, LineEnd::CrLf);
        writer
            .row(microdata.header())
            .map_err(std::io::Error::from)?;
        Ok(CsvOut { microdata, writer })
    }

    pub fn push(&mut self, record: &Record<'_>) -> std::io::Result<()> {
        let cells: Vec<Cell<'_>> = self.microdata.cells(record).collect();
        self.writer
            .row(cells.iter().map(Cell::text))
            .map_err(std::io::Error::from)
    }

    /// The writer, flushed.
    pub fn finish(self) -> std::io::Result<W> {
        self.writer.into_inner()
    }
}

impl<W: Write> CsvOut<'_, '_, W> {
    /// Passes the rows written so far to the writer (a streamed body then takes them from
    /// its [`SharedBuffer`]).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// A buffer that a writer fills and its owner empties, page by page: how a streamed body
/// takes what [`CsvOut`] or [`JsonOut`] wrote so far.
#[derive(Clone, Debug, Default)]
pub struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written since the last call.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON out: `{"questionnaire": …, "version": …, "columns": […], "responses": [{…}, …]}`, one
/// object per response keyed by the column names, written as the rows come.
pub struct JsonOut<'m, 'q, W: Write> {
    microdata: &'m Microdata<'q>,
    writer: W,
    rows: u64,
}

impl<'m, 'q, W: Write> JsonOut<'m, 'q, W> {
    pub fn new(microdata: &'m Microdata<'q>, mut writer: W) -> std::io::Result<JsonOut<'m, 'q, W>> {
        let q = microdata.questionnaire;
        let columns: Vec<&str> = microdata.header().collect();
        write!(
            writer,
            "{{\"questionnaire\":{},\"version\":{},\"columns\":{},\"responses\":[",
            serde_json::to_string(&q.id)?,
            q.version,
            serde_json::to_string(&columns)?
        )?;
        Ok(JsonOut {
            microdata,
            writer,
            rows: 0,
        })
    }

    pub fn push(&mut self, record: &Record<'_>) -> std::io::Result<()> {
        if self.rows > 0 {
            self.writer.write_all(b",")?;
        }
        self.writer.write_all(b"\n{")?;
        for (i, (variable, cell)) in self
            .microdata
            .variables
            .iter()
            .zip(self.microdata.cells(record))
            .enumerate()
        {
            if i > 0 {
                self.writer.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.writer, &variable.name)?;
            self.writer.write_all(b":")?;
            serde_json::to_writer(&mut self.writer, &cell)?;
        }
        self.writer.write_all(b"}")?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.writer.write_all(b"\n]}\n")?;
        Ok(self.writer)
    }
}

/// .xlsx out: the sheet "Phiếu trả lời" in constant-memory mode (each row goes to a temporary
/// file as soon as the next begins, so memory stays flat whatever the number of rows), then
/// the sheet "Bộ mã" (the codebook) and the workbook's zip, written to any `Write`.
pub struct XlsxOut<'m, 'q> {
    microdata: &'m Microdata<'q>,
    workbook: Workbook,
    row: u32,
}

/// The data sheet's and the codebook sheet's names.
pub const DATA_SHEET: &str = "Phiếu trả lời";
pub const CODEBOOK_SHEET: &str = "Bộ mã";

impl<'m, 'q> XlsxOut<'m, 'q> {
    pub fn new(microdata: &'m Microdata<'q>) -> Result<XlsxOut<'m, 'q>, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(DATA_SHEET)?;
        sheet.set_freeze_panes(1, 0)?;
        for (c, variable) in microdata.variables.iter().enumerate() {
            let width = match variable.source {
                Source::Item(_) | Source::Demographic(_) | Source::Weight => 8.0,
                Source::UnitName | Source::Comment | Source::ExcludedReason => 30.0,
                Source::SubmittedAt => 26.0,
                _ => 14.0,
            };
            sheet.set_column_width(c as u16, width)?;
            sheet.write_string_with_format(0, c as u16, &variable.name, &bold)?;
        }
        Ok(XlsxOut {
            microdata,
            workbook,
            row: 0,
        })
    }

    pub fn push(&mut self, record: &Record<'_>) -> Result<(), XlsxError> {
        self.row += 1;
        let row = self.row;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (c, cell) in self.microdata.cells(record).enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => {
                    sheet.write_string(row, c, text.as_ref())?;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, c, n)?;
                }
                Cell::Integer(n) => {
                    sheet.write_number(row, c, n as f64)?;
                }
                Cell::Flag(b) => {
                    sheet.write_number(row, c, u8::from(b))?;
                }
            }
        }
        Ok(())
    }

    /// Adds the codebook sheet and writes the workbook.
    pub fn finish<W: Write + Send>(mut self, writer: W) -> Result<(), XlsxError> {
        let bold = Format::new().set_bold();
        let rows = self.microdata.codebook_rows();
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(CODEBOOK_SHEET)?;
        sheet.set_freeze_panes(1, 0)?;
        let heads = ["Biến", "Nội dung", "Kiểu", "Giá trị", "Nhãn giá trị"];
        for (c, head) in heads.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *head, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, text) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, text)?;
            }
        }
        for (c, width) in [14.0, 60.0, 8.0, 10.0, 40.0].into_iter().enumerate() {
            sheet.set_column_width(c as u16, width)?;
        }
        self.workbook.save_to_writer(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled;

    fn record<'a>(answers: &'a [u8], demographics: &'a [u8], expectations: &'a [u8]) -> Record<'a> {
        Record {
            response_id: 12,
            unit_code: "01",
            unit_name: "Sở Tư pháp",
            respondent_id: Some("HS-1"),
            channel: "paper",
            weight: 1.5,
            service_code: None,
            service_name: None,
            answers,
            demographics,
            expectations,
            comment: Some("=cảm ơn"),
            submitted_at: "2026-12-10T14:03:05+07:00",
            flagged_duplicate: false,
            excluded: Some("phiếu thử"),
        }
    }

    #[test]
    fn columns_follow_responses_csv_then_the_exports_own() {
        let q = bundled("sipas-2017").unwrap();
        let m = Microdata::new(&q);
        let header: Vec<&str> = m.header().collect();
        assert_eq!(
            &header[..6],
            [
                "unit_code",
                "respondent_id",
                "channel",
                "weight",
                "service",
                "c01"
            ]
        );
        assert!(header.contains(&"overall"));
        assert_eq!(
            &header[header.len() - 7..],
            [
                "response_id",
                "unit_name",
                "service_name",
                "submitted_at",
                "flagged_duplicate",
                "excluded",
                "excluded_reason"
            ]
        );
    }

    #[test]
    fn answers_are_written_as_their_codes_and_blanks_as_nothing() {
        let q = bundled("leader-2020").unwrap();
        let m = Microdata::new(&q);
        let mut answers = vec![0u8; q.items.len()];
        answers[0] = 1;
        answers[1] = 5;
        let r = record(&answers, &[], &[]);
        let cells: Vec<Cell<'_>> = m.cells(&r).collect();
        let at = |name: &str| m.header().position(|h| h == name).unwrap();
        assert_eq!(cells[at(&q.items[0].code)], Cell::Text("A".into()));
        assert_eq!(cells[at(&q.items[1].code)], Cell::Text("E".into()));
        assert_eq!(cells[at(&q.items[2].code)], Cell::Empty);
        assert_eq!(cells[at("weight")], Cell::Number(1.5));
        assert_eq!(cells[at("excluded")], Cell::Flag(true));
        assert_eq!(cells[at("excluded_reason")], Cell::Text("phiếu thử".into()));
    }

    #[test]
    fn the_csv_neutralises_formulas_and_the_json_is_valid() {
        let q = bundled("sipas-2017").unwrap();
        let m = Microdata::new(&q);
        let answers = vec![4u8; q.items.len()];
        let demographics = vec![1u8; q.demographics.len()];
        let mut r = record(&answers, &demographics, &[1, 2]);
        r.unit_name = "=cảm ơn";
        let mut csv = CsvOut::new(&m, Vec::new()).unwrap();
        csv.push(&r).unwrap();
        let text = String::from_utf8(csv.finish().unwrap()).unwrap();
        assert!(text.contains(",'=cảm ơn,"), "{text}");
        let mut json = JsonOut::new(&m, Vec::new()).unwrap();
        json.push(&r).unwrap();
        json.push(&r).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json.finish().unwrap()).unwrap();
        assert_eq!(value["responses"].as_array().unwrap().len(), 2);
        assert_eq!(value["responses"][0]["c01"], "4");
        assert_eq!(value["responses"][0]["excluded"], true);
        assert_eq!(value["responses"][0]["service"], serde_json::Value::Null);
        let expectations = &q.expectations.as_ref().unwrap().question;
        assert_eq!(
            value["responses"][0][&expectations.code],
            format!(
                "{};{}",
                expectations.options[0].code, expectations.options[1].code
            )
        );
    }

    #[test]
    fn the_codebook_labels_every_value_in_vietnamese() {
        let q = bundled("sipas-2017").unwrap();
        let m = Microdata::new(&q);
        let rows = m.codebook_rows();
        let c01: Vec<&[String; 5]> = rows.iter().filter(|r| r[0] == "c01").collect();
        assert_eq!(c01.len(), q.scale.answers.len());
        assert_eq!(c01[0][3], q.scale.answers[0].code);
        assert_eq!(c01[0][4], q.scale.answers[0].label);
        assert!(
            rows.iter()
                .any(|r| r[0] == "excluded" && r[3] == "1" && r[4] == "Có")
        );
        let json = m.codebook_json();
        assert_eq!(json["variables"][0]["name"], "unit_code");
        // The xlsx writes its two sheets.
        let answers = vec![4u8; q.items.len()];
        let r = record(&answers, &[], &[]);
        let mut xlsx = XlsxOut::new(&m).unwrap();
        xlsx.push(&r).unwrap();
        let mut bytes = Vec::new();
        xlsx.finish(&mut bytes).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
