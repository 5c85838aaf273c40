//! Improvement-plan workbooks (docs/formats.md §8.16; docs/method.md §7): the plan's appendix
//! (phụ lục kế hoạch) read from the .xlsx a province writes and written in the standard
//! layout, the roll-up report of a period to the UBND, and the emulation (thi đua, khen
//! thưởng) table. Pure: bytes in, bytes out, no IO.
//!
//! - [`read_appendix`] finds the appendix's header rows by their folded names (one or two
//!   rows, merged group headers included), its solution groups and tasks, and lists every
//!   cell it cannot take ([`AppendixProblem`]) with its row and column letter.
//! - [`write_appendix`] writes an appendix that [`read_appendix`] reads back to the same
//!   groups and tasks.
//! - [`write_rollup`] and [`write_emulation`] write what the web computed; they compute
//!   nothing themselves.

mod columns;
mod emulation;
mod read;
mod rollup;
mod write;

#[cfg(test)]
mod tests_out;
#[cfg(test)]
mod tests_read;

pub use columns::AppendixColumn;
pub use emulation::{EmulationDoc, EmulationUnit, write_emulation};
pub use read::{Appendix, AppendixError, AppendixProblem, AppendixRow, ProblemKind, read_appendix};
pub use rollup::{
    Contribution, RollupDoc, RollupGroup, RollupSummary, RollupTask, RollupUnit, write_rollup,
};
pub use write::{AppendixDoc, AppendixGroup, AppendixTask, write_appendix};

use chiso_domain::plan::TaskStatus;

use crate::indices::headers::fold;

/// A status's Vietnamese title, as the appendix and the reports write it (docs/method.md §7.5).
pub fn status_title(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::NotStarted => "Chưa bắt đầu",
        TaskStatus::InProgress => "Đang thực hiện",
        TaskStatus::AwaitingAcceptance => "Chờ xác nhận hoàn thành",
        TaskStatus::Done => "Hoàn thành",
        TaskStatus::Paused => "Tạm dừng",
        TaskStatus::Cancelled => "Hủy",
    }
}

/// Reads a status as an appendix writes it, ignoring case, diacritics and punctuation: the
/// Vietnamese titles ("Đã hoàn thành", "Huỷ" and "Hủy" alike), the English words, and the
/// stored names (`in_progress`). `None` for a text that names no status.
pub fn parse_status(text: &str) -> Option<TaskStatus> {
    let status = match fold(text).as_str() {
        "chuabatdau" | "chuathuchien" | "notstarted" => TaskStatus::NotStarted,
        "dangthuchien" | "inprogress" => TaskStatus::InProgress,
        "choxacnhanhoanthanh" | "choxacnhan" | "awaitingacceptance" => {
            TaskStatus::AwaitingAcceptance
        }
        "hoanthanh" | "dahoanthanh" | "done" | "completed" => TaskStatus::Done,
        "tamdung" | "datamdung" | "paused" => TaskStatus::Paused,
        "huy" | "dahuy" | "cancelled" | "canceled" => TaskStatus::Cancelled,
        _ => return None,
    };
    Some(status)
}

/// A number as a Roman numeral (1 → `I`, 14 → `XIV`), as plans number their solution groups;
/// 0 and numbers from 4,000 as digits.
pub fn roman(number: usize) -> String {
    if number == 0 || number >= 4000 {
        return number.to_string();
    }
    const NUMERALS: [(usize, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut rest = number;
    let mut out = String::new();
    for (value, numeral) in NUMERALS {
        while rest >= value {
            out.push_str(numeral);
            rest -= value;
        }
    }
    out
}
