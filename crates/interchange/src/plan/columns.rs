//! The appendix's columns and where its header is (docs/formats.md §8.16): a header is
//! recognised by its folded name ([`fold`]: no case, diacritics, punctuation or spacing),
//! never by its position, on one row or on two rows whose upper row groups columns under a
//! merged cell ("Cơ quan thực hiện" over "Chủ trì" | "Phối hợp").

use crate::indices::headers::fold;
use crate::sheet::GridSheet;

use super::read::AppendixError;

/// A column of the appendix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppendixColumn {
    /// STT: the task's number, or the group's numeral.
    Stt,
    /// Nhiệm vụ, giải pháp (required).
    Task,
    /// Tiêu chí liên quan.
    Criteria,
    /// Cơ quan chủ trì (required).
    Lead,
    /// Cơ quan phối hợp.
    Coordinators,
    /// Thời hạn (required).
    Deadline,
    /// Sản phẩm.
    Product,
    /// Tình trạng.
    Status,
    /// Ghi chú.
    Note,
}

impl AppendixColumn {
    pub const ALL: [AppendixColumn; 9] = [
        AppendixColumn::Stt,
        AppendixColumn::Task,
        AppendixColumn::Criteria,
        AppendixColumn::Lead,
        AppendixColumn::Coordinators,
        AppendixColumn::Deadline,
        AppendixColumn::Product,
        AppendixColumn::Status,
        AppendixColumn::Note,
    ];

    /// The columns an appendix must have, in the order a missing one is reported.
    pub const REQUIRED: [AppendixColumn; 3] = [
        AppendixColumn::Task,
        AppendixColumn::Lead,
        AppendixColumn::Deadline,
    ];

    /// The header chiso writes, and names when the column is missing.
    pub fn header(self) -> &'static str {
        match self {
            AppendixColumn::Stt => "STT",
            AppendixColumn::Task => "Nhiệm vụ",
            AppendixColumn::Criteria => "Tiêu chí liên quan",
            AppendixColumn::Lead => "Cơ quan chủ trì",
            AppendixColumn::Coordinators => "Cơ quan phối hợp",
            AppendixColumn::Deadline => "Thời hạn",
            AppendixColumn::Product => "Sản phẩm",
            AppendixColumn::Status => "Tình trạng",
            AppendixColumn::Note => "Ghi chú",
        }
    }

    /// Every header the column is recognised by, as written. A header matches a name when
    /// both fold alike, or when it starts with a name of six or more folded letters
    /// ("Cơ quan chủ trì thực hiện" is the lead); the longest name wins.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            AppendixColumn::Stt => &["STT", "TT", "Số TT", "Số thứ tự", "No.", "Number"],
            AppendixColumn::Task => &[
                "Nhiệm vụ",
                "Nhiệm vụ, giải pháp",
                "Tên nhiệm vụ",
                "Nội dung",
                "Giải pháp",
                "Task",
                "Tasks",
                "Tasks and solutions",
            ],
            AppendixColumn::Criteria => &[
                "Tiêu chí liên quan",
                "Chỉ số, tiêu chí liên quan",
                "Tiêu chí thành phần",
                "Tiêu chí",
                "Chỉ số liên quan",
                "Chỉ số thành phần",
                "Criteria",
                "Related criteria",
                "Indicators",
            ],
            AppendixColumn::Lead => &[
                "Cơ quan chủ trì",
                "Đơn vị chủ trì",
                "Chủ trì",
                "Lead",
                "Lead agency",
                "Lead unit",
            ],
            AppendixColumn::Coordinators => &[
                "Cơ quan phối hợp",
                "Đơn vị phối hợp",
                "Phối hợp",
                "Coordinators",
                "Coordinating agencies",
                "Coordination",
            ],
            AppendixColumn::Deadline => &[
                "Thời hạn",
                "Thời hạn hoàn thành",
                "Thời gian hoàn thành",
                "Thời gian thực hiện",
                "Deadline",
                "Due",
                "Due date",
            ],
            AppendixColumn::Product => &[
                "Sản phẩm",
                "Sản phẩm dự kiến",
                "Kết quả",
                "Kết quả dự kiến",
                "Product",
                "Expected product",
                "Output",
            ],
            AppendixColumn::Status => &["Tình trạng", "Trạng thái", "Status"],
            AppendixColumn::Note => &["Ghi chú", "Note", "Notes", "Remarks"],
        }
    }

    /// The column a header names, if any.
    pub fn recognise(header: &str) -> Option<AppendixColumn> {
        let folded = fold(header);
        if folded.is_empty() {
            return None;
        }
        let names = || {
            AppendixColumn::ALL
                .into_iter()
                .flat_map(|c| c.names().iter().map(move |n| (c, fold(n))))
        };
        if let Some((column, _)) = names().find(|(_, name)| *name == folded) {
            return Some(column);
        }
        names()
            .filter(|(_, name)| name.len() >= 6 && folded.starts_with(name.as_str()))
            .max_by_key(|(_, name)| name.len())
            .map(|(column, _)| column)
    }
}

/// Where each column is (0-based from column A).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Layout {
    at: [Option<usize>; 9],
}

impl Layout {
    pub(super) fn get(&self, column: AppendixColumn) -> Option<usize> {
        self.at[column as usize]
    }

    /// Puts a column at `index` unless an earlier header already named it (the first wins).
    fn set(&mut self, column: AppendixColumn, index: usize) {
        self.at[column as usize].get_or_insert(index);
    }

    fn recognised(&self) -> usize {
        self.at.iter().flatten().count()
    }

    fn missing(&self) -> Option<AppendixColumn> {
        AppendixColumn::REQUIRED
            .into_iter()
            .find(|c| self.get(*c).is_none())
    }

    /// One header row.
    fn single(cells: &[String]) -> Layout {
        let mut layout = Layout::default();
        for (index, cell) in cells.iter().enumerate() {
            if let Some(column) = AppendixColumn::recognise(cell) {
                layout.set(column, index);
            }
        }
        layout
    }

    /// Two header rows. A cell of the upper row merged over several columns holds its text in
    /// the first of them only: an empty upper cell over a lower one continues the upper cell
    /// to its left when that one has a lower cell too. Each column is named by its lower
    /// cell, else by the upper and lower cells together, else by the upper cell alone.
    fn pair(top: &[String], bottom: &[String]) -> Layout {
        let width = top.len().max(bottom.len());
        let cell = |row: &[String], index: usize| -> String {
            row.get(index)
                .map_or(String::new(), |c| c.trim().to_string())
        };
        let mut layout = Layout::default();
        let mut upper = String::new();
        for index in 0..width {
            let (above, below) = (cell(top, index), cell(bottom, index));
            let continues = above.is_empty()
                && !below.is_empty()
                && index > 0
                && !cell(bottom, index - 1).is_empty();
            if !continues {
                upper = above;
            }
            let column = AppendixColumn::recognise(&below)
                .or_else(|| {
                    (!below.is_empty())
                        .then(|| AppendixColumn::recognise(&format!("{upper} {below}")))
                        .flatten()
                })
                .or_else(|| AppendixColumn::recognise(&upper));
            if let Some(column) = column {
                layout.set(column, index);
            }
        }
        layout
    }
}

/// The rows looked through for a header, from the first row holding something.
pub(super) const HEADER_SEARCH_ROWS: usize = 20;

/// The appendix's header found: its sheet, its columns and the index (in the sheet's rows)
/// of the first row below it.
pub(super) struct Found {
    pub sheet: usize,
    pub layout: Layout,
    pub data_from: usize,
}

/// Finds the header in the first sheet that has one with the required columns. Without one,
/// the header row that recognises the most columns (two at least) names the first required
/// column it lacks; with none such, there is no header.
pub(super) fn locate(sheets: &[GridSheet]) -> Result<Found, AppendixError> {
    let mut best: Option<Layout> = None;
    for (sheet_index, sheet) in sheets.iter().enumerate() {
        let rows = &sheet.rows;
        for r in 0..rows.len().min(HEADER_SEARCH_ROWS) {
            let single = Layout::single(&rows[r].1);
            let next = rows.get(r + 1).filter(|(n, _)| *n == rows[r].0 + 1);
            let pair = next
                .filter(|_| single.recognised() >= 2)
                .map(|(_, cells)| (Layout::pair(&rows[r].1, cells), cells));
            let chosen = match (&single.missing(), &pair) {
                (None, Some((both, below))) if is_subheader(below, &single) => Some((*both, r + 2)),
                (None, _) => Some((single, r + 1)),
                (Some(_), Some((both, _))) if both.missing().is_none() => Some((*both, r + 2)),
                _ => None,
            };
            if let Some((layout, data_from)) = chosen {
                let data_from = skip_numbering(rows, data_from);
                return Ok(Found {
                    sheet: sheet_index,
                    layout,
                    data_from,
                });
            }
            for candidate in std::iter::once(single).chain(pair.map(|(both, _)| both)) {
                if candidate.recognised() >= 2
                    && best.is_none_or(|b| candidate.recognised() > b.recognised())
                {
                    best = Some(candidate);
                }
            }
        }
    }
    match best.and_then(|b| b.missing()) {
        Some(column) => Err(AppendixError::MissingColumn { column }),
        None => Err(AppendixError::NoHeader),
    }
}

/// Whether the row under a complete header row continues it: no task, and every cell a
/// header name ("Kết quả thực hiện" over "Sản phẩm" | "Tình trạng").
fn is_subheader(cells: &[String], above: &Layout) -> bool {
    let task = above.get(AppendixColumn::Task);
    let filled: Vec<(usize, &String)> = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.trim().is_empty())
        .collect();
    !filled.is_empty()
        && filled
            .iter()
            .all(|(index, cell)| Some(*index) != task && AppendixColumn::recognise(cell).is_some())
}

/// Skips the row of column numbers under a header ("(1)", "(2)" … or 1, 2 …).
fn skip_numbering(rows: &[(u64, Vec<String>)], from: usize) -> usize {
    let Some((number, cells)) = rows.get(from) else {
        return from;
    };
    let adjacent = from > 0 && *number == rows[from - 1].0 + 1;
    let numbers: Vec<&str> = cells
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    let numbering = numbers.len() >= 2
        && numbers.iter().all(|c| {
            let inner = c.trim_start_matches('(').trim_end_matches(')');
            !inner.is_empty() && inner.chars().all(|ch| ch.is_ascii_digit())
        });
    if adjacent && numbering {
        from + 1
    } else {
        from
    }
}
