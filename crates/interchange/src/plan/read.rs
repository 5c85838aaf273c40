//! Reading a plan's appendix (docs/formats.md §8.16) from the .xlsx a province wrote, through
//! the bounded reader of [`crate::sheet`].

use std::fmt;

use chiso_domain::plan::{Deadline, DeadlineError, TaskStatus};

use super::columns::{AppendixColumn, Layout, locate};
use super::parse_status;
use crate::indices::headers::fold;
use crate::sheet::{GridSheet, SheetError, column_letters, read_xlsx_grid};

/// An appendix as read: its solution groups and tasks, and every cell that could not be
/// taken. The web imports nothing while `problems` is not empty.
#[derive(Clone, Debug, PartialEq)]
pub struct Appendix {
    /// The sheet the appendix was found on.
    pub sheet: String,
    /// The solution groups' titles, without their numerals, in order.
    pub groups: Vec<String>,
    /// The tasks, in order (a row with problems too, where it has a task).
    pub rows: Vec<AppendixRow>,
    pub problems: Vec<AppendixProblem>,
}

/// One task of the appendix.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendixRow {
    /// The row's number as a spreadsheet shows it (1-based).
    pub row: u32,
    /// The STT as written ("1", "1.2"); empty when none.
    pub stt: String,
    /// The index in [`Appendix::groups`] of the group the task is under; `None` before any.
    pub group: Option<usize>,
    /// The task's text, its line breaks kept (each line trimmed, blank lines dropped).
    pub title: String,
    /// The related criteria, split on line breaks, ";" and ",".
    pub criteria: Vec<String>,
    /// The lead agency, on one line.
    pub lead: String,
    /// The coordinating agencies, split on line breaks, ";" and "," (a part that starts in
    /// lower case continues the name before it: "Các sở, ban, ngành" is one name).
    pub coordinators: Vec<String>,
    /// The deadline as written (an Excel date as `dd/mm/yyyy`).
    pub deadline_text: String,
    /// The deadline read by [`Deadline::parse`]; `None` when empty or not understood.
    pub deadline: Option<Deadline>,
    pub product: String,
    /// The status, when the appendix has the column and the cell names one.
    pub status: Option<TaskStatus>,
    pub note: String,
}

/// A cell of the appendix that could not be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendixProblem {
    /// The row's number as a spreadsheet shows it (1-based).
    pub row: u32,
    /// The column's letters (`F`).
    pub column: String,
    pub kind: ProblemKind,
}

/// What is wrong with a cell.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProblemKind {
    /// A row with a lead or a deadline but no task.
    #[error("no task")]
    MissingTask,
    #[error("no lead agency")]
    MissingLead,
    #[error("no deadline")]
    MissingDeadline,
    /// A deadline that is neither a date, a recurring rule nor "thường xuyên".
    #[error(transparent)]
    Deadline(DeadlineError),
    /// A status that names none of docs/method.md §7.5 (the text as written).
    #[error("'{0}' is not a task status")]
    Status(String),
}

impl fmt::Display for AppendixProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, column {}: {}", self.row, self.column, self.kind)
    }
}

/// Why an appendix cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppendixError {
    /// Not a readable workbook, or beyond the reader's limits.
    #[error(transparent)]
    Sheet(#[from] SheetError),
    /// No row near the top of any sheet names the appendix's columns.
    #[error("no header row names the appendix's columns")]
    NoHeader,
    /// A header row was found without a required column.
    #[error("the appendix has no column '{}'", column.header())]
    MissingColumn { column: AppendixColumn },
}

/// Reads an appendix: the header on the first sheet that has one (docs/formats.md §8.16),
/// then its groups and tasks until the footer (signatures, "Nơi nhận").
pub fn read_appendix(bytes: &[u8]) -> Result<Appendix, AppendixError> {
    let sheets = read_xlsx_grid(bytes)?;
    let found = locate(&sheets)?;
    Ok(read_rows(
        &sheets[found.sheet],
        &found.layout,
        found.data_from,
    ))
}

/// The columns of one row, cleaned.
struct Cells<'a> {
    layout: &'a Layout,
    cells: &'a [String],
}

impl Cells<'_> {
    fn get(&self, column: AppendixColumn) -> String {
        self.layout
            .get(column)
            .and_then(|i| self.cells.get(i))
            .map_or(String::new(), |text| clean(text))
    }

    fn letter(&self, column: AppendixColumn) -> String {
        column_letters(self.layout.get(column).unwrap_or(0) as u32)
    }
}

fn read_rows(sheet: &GridSheet, layout: &Layout, from: usize) -> Appendix {
    let mut appendix = Appendix {
        sheet: sheet.name.clone(),
        groups: Vec::new(),
        rows: Vec::new(),
        problems: Vec::new(),
    };
    for (number, cells) in sheet.rows.iter().skip(from) {
        let row = u32::try_from(*number).unwrap_or(u32::MAX);
        let cells = Cells { layout, cells };
        let (task, lead, deadline) = (
            cells.get(AppendixColumn::Task),
            cells.get(AppendixColumn::Lead),
            cells.get(AppendixColumn::Deadline),
        );
        if lead.is_empty() && deadline.is_empty() && is_footer(cells.cells) {
            break;
        }
        if let Some(title) = group_title(&cells) {
            appendix.groups.push(title);
            continue;
        }
        if task.is_empty() {
            if !lead.is_empty() || !deadline.is_empty() {
                appendix.problems.push(AppendixProblem {
                    row,
                    column: cells.letter(AppendixColumn::Task),
                    kind: ProblemKind::MissingTask,
                });
            }
            continue;
        }
        let group = appendix.groups.len().checked_sub(1);
        let (task, problems) = task_row(row, group, &cells);
        appendix.rows.push(task);
        appendix.problems.extend(problems);
    }
    appendix
}

/// A task row and the problems of its cells.
fn task_row(
    row: u32,
    group: Option<usize>,
    cells: &Cells<'_>,
) -> (AppendixRow, Vec<AppendixProblem>) {
    let mut problems = Vec::new();
    let mut problem = |column: AppendixColumn, kind: ProblemKind| {
        problems.push(AppendixProblem {
            row,
            column: cells.letter(column),
            kind,
        })
    };
    let lead = one_line(&cells.get(AppendixColumn::Lead));
    if lead.is_empty() {
        problem(AppendixColumn::Lead, ProblemKind::MissingLead);
    }
    let written = cells.get(AppendixColumn::Deadline);
    let deadline_text = serial_date(&written).unwrap_or(written);
    let deadline = if deadline_text.is_empty() {
        problem(AppendixColumn::Deadline, ProblemKind::MissingDeadline);
        None
    } else {
        Deadline::parse(&deadline_text)
            .map_err(|e| problem(AppendixColumn::Deadline, ProblemKind::Deadline(e)))
            .ok()
    };
    let status_text = cells.get(AppendixColumn::Status);
    let status = match parse_status(&status_text) {
        None if !status_text.is_empty() => {
            problem(AppendixColumn::Status, ProblemKind::Status(status_text));
            None
        }
        found => found,
    };
    let task = AppendixRow {
        row,
        stt: one_line(&cells.get(AppendixColumn::Stt)),
        group,
        title: cells.get(AppendixColumn::Task),
        criteria: split_list(&cells.get(AppendixColumn::Criteria), false),
        lead,
        coordinators: split_list(&cells.get(AppendixColumn::Coordinators), true),
        deadline_text,
        deadline,
        product: cells.get(AppendixColumn::Product),
        status,
        note: cells.get(AppendixColumn::Note),
    };
    (task, problems)
}

/// The title of a row that starts a solution group: its STT is a Roman numeral or a capital
/// letter, or only its task is filled, or only its STT is, holding a numeral and a title (a
/// group row merged over the whole table). The title loses its leading numeral.
fn group_title(cells: &Cells<'_>) -> Option<String> {
    let stt = one_line(&cells.get(AppendixColumn::Stt));
    let task = cells.get(AppendixColumn::Task);
    let others_empty = AppendixColumn::ALL
        .into_iter()
        .filter(|c| !matches!(c, AppendixColumn::Stt | AppendixColumn::Task))
        .all(|c| cells.get(c).is_empty());
    let numbered = is_group_numeral(&stt);
    let title = if numbered || (stt.is_empty() && others_empty) {
        strip_numeral(&task)
    } else if task.is_empty() && others_empty && strip_numeral(&stt) != stt {
        strip_numeral(&stt)
    } else {
        return None;
    };
    (!title.is_empty()).then_some(title)
}

/// The leading run of a text that may be a numeral, and the rest.
fn numeral_split(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// A Roman numeral (`I`, `XIV`), a capital letter (`A`) or digits.
fn is_numeral(token: &str) -> bool {
    let roman = !token.is_empty() && token.chars().all(|c| "IVXLC".contains(c));
    let letter = token.len() == 1 && token.chars().all(|c| c.is_ascii_uppercase());
    roman || letter
}

/// An STT that numbers a group: a Roman numeral or a capital letter, with or without a
/// trailing "." or ")".
fn is_group_numeral(stt: &str) -> bool {
    is_numeral(stt.trim_end_matches(['.', ')', ':']).trim())
}

/// A title without its leading numeral ("I. NHÓM…" → "NHÓM…", "1) Nhóm…" → "Nhóm…"): a
/// numeral or digits followed by ".", ")", ":" or a dash.
fn strip_numeral(text: &str) -> String {
    let (token, rest) = numeral_split(text);
    let numeral =
        is_numeral(token) || (!token.is_empty() && token.chars().all(|c| c.is_ascii_digit()));
    if numeral && rest.starts_with(['.', ')', ':', '-', '–']) {
        rest.trim_start_matches(['.', ')', ':', '-', '–'])
            .trim()
            .to_string()
    } else {
        text.to_string()
    }
}

/// Whether a row opens the footer under the table: "Nơi nhận", a signature block.
fn is_footer(cells: &[String]) -> bool {
    const STARTS: &[&str] = &[
        "noinhan",
        "tmuybannhandan",
        "tmubnd",
        "ktchutich",
        "ktgiamdoc",
        "nguoilapbieu",
        "kyten",
        "kyghiro",
    ];
    const WHOLE: &[&str] = &[
        "chutich",
        "phochutich",
        "giamdoc",
        "phogiamdoc",
        "thutruongdonvi",
    ];
    cells.iter().map(|c| fold(c)).any(|folded| {
        STARTS.iter().any(|s| folded.starts_with(s)) || WHOLE.contains(&folded.as_str())
    })
}

/// A cell's text: line breaks kept (Alt+Enter, any of `\r\n`, `\r`, `\n`), each line trimmed,
/// blank lines dropped.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A text on one line, its lines joined by a space.
fn one_line(text: &str) -> String {
    text.split('\n').collect::<Vec<_>>().join(" ")
}

/// Names split on line breaks, ";" and ",", each without a leading bullet ("-", "+", "•") or
/// a trailing "."; with `join_lower`, a part starting in lower case continues the name before
/// it ("Các sở, ban, ngành", "UBND các huyện, thị xã, thành phố").
fn split_list(text: &str, join_lower: bool) -> Vec<String> {
    let mut names = Vec::new();
    for part in text.split(['\n', ';']) {
        let mut current: Option<String> = None;
        for piece in part.split(',') {
            let piece = piece
                .trim()
                .trim_start_matches(['-', '+', '•', '–', '*'])
                .trim_end_matches('.')
                .trim();
            if piece.is_empty() {
                continue;
            }
            let continues = join_lower && piece.chars().next().is_some_and(char::is_lowercase);
            match current.as_mut() {
                Some(name) if continues => {
                    name.push_str(", ");
                    name.push_str(piece);
                }
                _ => {
                    names.extend(current.take());
                    current = Some(piece.to_string());
                }
            }
        }
        names.extend(current);
    }
    names
}

/// A deadline typed as an Excel date, which the sheet holds as a serial number (46568 is
/// 30/06/2027), written back as `dd/mm/yyyy`. Only serials of 1954–2173 are dates.
pub(super) fn serial_date(text: &str) -> Option<String> {
    let value: f64 = text.trim().parse().ok()?;
    if !(20_000.0..=100_000.0).contains(&value) {
        return None;
    }
    // Days since 1970-01-01; Excel's serial 25569 is that day.
    let z = value.floor() as i64 - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{day:02}/{month:02}/{year}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_cells_split_strip_and_convert() {
        assert_eq!(serial_date("46568").as_deref(), Some("30/06/2027"));
        assert_eq!(serial_date("45292").as_deref(), Some("01/01/2024"));
        assert_eq!(serial_date("2027"), None);
        assert_eq!(serial_date("30/6/2027"), None);
        assert_eq!(
            split_list(
                "- Sở Tài chính;\nCác sở, ban, ngành\nUBND các huyện, thị xã.",
                true
            ),
            [
                "Sở Tài chính",
                "Các sở, ban, ngành",
                "UBND các huyện, thị xã"
            ]
        );
        assert_eq!(
            split_list("Sở Tư pháp, Sở Nội vụ", true),
            ["Sở Tư pháp", "Sở Nội vụ"]
        );
        assert_eq!(
            split_list("1.1, 1.2; PAPI 2", false),
            ["1.1", "1.2", "PAPI 2"]
        );
        assert_eq!(clean("  a \r\n\r\n b\rc "), "a\nb\nc");
        assert_eq!(strip_numeral("I. NHÓM GIẢI PHÁP"), "NHÓM GIẢI PHÁP");
        assert_eq!(strip_numeral("B) Nhóm"), "Nhóm");
        assert_eq!(strip_numeral("2. Nhóm"), "Nhóm");
        assert_eq!(strip_numeral("Ban hành quy chế"), "Ban hành quy chế");
        assert_eq!(strip_numeral("CCHC. x"), "CCHC. x");
        assert!(is_group_numeral("IV") && is_group_numeral("B.") && !is_group_numeral("1"));
        assert!(!is_group_numeral("") && !is_group_numeral("a"));
    }
}
