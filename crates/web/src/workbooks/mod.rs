//! The report workbooks the web serves, in the layouts provincial decisions publish
//! (docs/formats.md §12): the results table ([`results`]) and a unit's detailed scoresheet
//! ([`scoresheet`]). Their look (title block, header rows, number formats, print setup) is
//! [`chiso_interchange::workbook`]'s, shared with every other workbook chiso writes. Texts are
//! the `workbook.*` locale keys, in Vietnamese whatever the interface language: these are the
//! tables a province files.

use chiso_domain::Points;
use chrono::NaiveDate;

pub use chiso_interchange::workbook::{
    Column, Styles, finish, header, merged, sheet_name, title_block,
};

use crate::i18n::{self, Lang};

pub mod results;
pub mod scoresheet;

/// A workbook text by its key (`workbook.…` or any other), in Vietnamese.
pub(crate) fn t(key: &str) -> &'static str {
    i18n::text(Lang::Vi, key)
}

/// A workbook text with its placeholders filled in, in Vietnamese.
pub(crate) fn tf(key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    i18n::fill(Lang::Vi, key, values)
}

/// Points as they are written in a header ("66,5"), Vietnamese style.
pub(crate) fn points_text(points: Points) -> String {
    i18n::points(Lang::Vi, points.to_f64())
}

/// "Xuất ngày 07/12/2026".
pub(crate) fn exported_line(today: NaiveDate) -> String {
    tf("workbook.exported_line", &[("date", &i18n::date(today))])
}

/// What a workbook's writer could not do (rust_xlsxwriter refused a cell or a name).
pub(crate) fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> crate::error::AppError {
    crate::error::AppError::Internal(anyhow::anyhow!("cannot build the workbook: {error}"))
}
