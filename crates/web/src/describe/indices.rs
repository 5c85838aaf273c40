//! The national indices' files, warnings and refusals in the user's language, from
//! `indices_admin.toml` (the readers' English is for the command line): why a file of results
//! is not read (`IndicesProblem`), each warning of a read file with its sheet, row and column
//! (`WarningKind`), the rows read as no unit's result (`SkipKind`), and the refusals of the
//! import, target and agency use cases.

use chiso_domain::indices::Breakdown;
use chiso_domain::plan::GoalError;
use chiso_interchange::indices::{IndicesProblem, SkipKind, Skipped, Warning, WarningKind};

use super::Describe;
use crate::app::indices::agencies::AgencyRefusal;
use crate::app::indices::agencies::{is_numbered, item_label};
use crate::app::indices::import::{FileText, ImportRefusal, catalogue, roster};
use crate::app::indices::targets::TargetRefusal;
use crate::i18n::{self, Lang};

type Args<'a> = [(&'a str, &'a dyn std::fmt::Display)];

fn key(name: &str) -> String {
    format!("indices_admin.{name}")
}

fn text(lang: Lang, name: &str) -> String {
    i18n::text(lang, &key(name)).to_string()
}

fn fill(lang: Lang, name: &str, args: &Args<'_>) -> String {
    i18n::fill(lang, &key(name), args)
}

/// A published figure: up to 4 decimals, the language's decimal mark.
pub fn figure(lang: Lang, value: f64) -> String {
    i18n::points(lang, value)
}

/// A unit as a reader knows it: "Thừa Thiên Huế (46)", or the code alone when it is no
/// province of either list (a ministry's code, a mistyped one).
pub fn unit_words(code: &str) -> String {
    let roster = roster();
    roster
        .historical_63
        .iter()
        .chain(&roster.new_34)
        .find(|p| p.code == code)
        .map_or_else(|| code.to_string(), |p| format!("{} ({code})", p.name))
}

/// Why a file of index results cannot be read.
pub fn indices_problem(lang: Lang, problem: &IndicesProblem) -> String {
    match problem {
        IndicesProblem::NoLayout => text(lang, "problem_no_layout"),
        IndicesProblem::NoUnit { year } => fill(lang, "problem_no_unit", &[("year", year)]),
        IndicesProblem::NotANumber { column, text: cell } => fill(
            lang,
            "problem_not_a_number",
            &[("column", column), ("text", cell)],
        ),
        IndicesProblem::BadYear { text: cell } => fill(lang, "problem_bad_year", &[("text", cell)]),
        IndicesProblem::BadRank { text: cell } => fill(lang, "problem_bad_rank", &[("text", cell)]),
        IndicesProblem::IndexNeeded { found } if found.is_empty() => {
            text(lang, "problem_index_needed")
        }
        IndicesProblem::IndexNeeded { found } => fill(
            lang,
            "problem_several_indices",
            &[("found", &found.join(", "))],
        ),
        IndicesProblem::UnknownIndex { index, .. } => {
            fill(lang, "problem_unknown_index", &[("index", index)])
        }
        IndicesProblem::IndexAbsent { index } => {
            fill(lang, "problem_index_absent", &[("index", index)])
        }
    }
}

/// Where a warning is: "Trang 2016_PAPI, dòng 12, cột F".
pub fn place(lang: Lang, warning: &Warning) -> String {
    let mut parts = vec![fill(lang, "at_sheet", &[("sheet", &warning.sheet)])];
    if let Some(row) = warning.row {
        parts.push(fill(lang, "at_row", &[("row", &row)]));
    }
    if let Some(column) = &warning.column {
        parts.push(fill(lang, "at_column", &[("column", column)]));
    }
    parts.join(", ")
}

/// What a warning says, without its place.
pub fn warning(lang: Lang, kind: &WarningKind) -> String {
    let n = |v: &f64| figure(lang, *v);
    match kind {
        WarningKind::DimensionSum {
            unit_code,
            code,
            value,
            sum,
        } => fill(
            lang,
            "warning_dimension_sum",
            &[
                ("unit", &unit_words(unit_code)),
                ("item", &measure_words(lang, code)),
                ("value", &n(value)),
                ("sum", &n(sum)),
            ],
        ),
        WarningKind::TotalSum {
            unit_code,
            value,
            sum,
            breakdown,
        } => {
            let name = match breakdown {
                Breakdown::Dimensions => "warning_total_sum_dimensions",
                Breakdown::Components => "warning_total_sum_components",
            };
            fill(
                lang,
                name,
                &[
                    ("unit", &unit_words(unit_code)),
                    ("value", &n(value)),
                    ("sum", &n(sum)),
                ],
            )
        }
        WarningKind::NotAProvince { unit_code, year } => fill(
            lang,
            "warning_not_a_province",
            &[("code", unit_code), ("year", year)],
        ),
        WarningKind::Repeated {
            unit_code,
            first_row,
            measure,
        } => match measure {
            None => fill(
                lang,
                "warning_repeated",
                &[("unit", &unit_words(unit_code)), ("first_row", first_row)],
            ),
            Some(measure) => fill(
                lang,
                "warning_repeated_measure",
                &[
                    ("unit", &unit_words(unit_code)),
                    ("measure", &measure_words(lang, measure)),
                    ("first_row", first_row),
                ],
            ),
        },
        WarningKind::RankDiffers {
            unit_code,
            published,
            computed,
        } => fill(
            lang,
            "warning_rank_differs",
            &[
                ("unit", &unit_words(unit_code)),
                ("published", published),
                ("computed", computed),
            ],
        ),
        WarningKind::OutOfScale {
            unit_code,
            measure,
            value,
            min,
            max,
        } => fill(
            lang,
            "warning_out_of_scale",
            &[
                ("unit", &unit_words(unit_code)),
                ("measure", &measure_words(lang, measure)),
                ("value", &n(value)),
                ("min", &n(min)),
                ("max", &n(max)),
            ],
        ),
        other => column_warning(lang, other),
    }
}

/// The warnings about the file's columns, sheets and rows rather than a unit's figures.
fn column_warning(lang: Lang, kind: &WarningKind) -> String {
    match kind {
        WarningKind::UnknownColumn { header } => {
            fill(lang, "warning_unknown_column", &[("header", header)])
        }
        WarningKind::ColumnTwice { code, first_column } => fill(
            lang,
            "warning_column_twice",
            &[
                ("item", &measure_words(lang, code)),
                ("first_column", first_column),
            ],
        ),
        WarningKind::HeaderConflict { read_as, other } => fill(
            lang,
            "warning_header_conflict",
            &[
                ("read_as", &measure_words(lang, read_as)),
                ("other", &measure_words(lang, other)),
            ],
        ),
        WarningKind::MissingColumn { code, title } => fill(
            lang,
            "warning_missing_column",
            &[("item", &item_label(code, title))],
        ),
        WarningKind::TotalHeaderYear { header_year, year } => fill(
            lang,
            "warning_total_header_year",
            &[("header_year", header_year), ("year", year)],
        ),
        WarningKind::WeightedTotal { header } => {
            fill(lang, "warning_weighted_total", &[("header", header)])
        }
        WarningKind::SheetWithoutYear => text(lang, "warning_sheet_without_year"),
        WarningKind::NoStructure { year } => fill(lang, "warning_no_structure", &[("year", year)]),
        WarningKind::SheetWithoutLayout { year } => {
            fill(lang, "warning_sheet_without_layout", &[("year", year)])
        }
        WarningKind::UnknownMeasure { measure } => {
            fill(lang, "warning_unknown_measure", &[("measure", measure)])
        }
        WarningKind::OtherIndex { index, rows } => fill(
            lang,
            "warning_other_index",
            &[("index", index), ("rows", rows)],
        ),
        WarningKind::PartialYear {
            year,
            listed,
            expected: Some(expected),
        } => fill(
            lang,
            "warning_partial_year_of",
            &[("year", year), ("listed", listed), ("expected", expected)],
        ),
        WarningKind::PartialYear { year, listed, .. } => fill(
            lang,
            "warning_partial_year",
            &[("year", year), ("listed", listed)],
        ),
        WarningKind::CodePadded { written, read_as } => fill(
            lang,
            "warning_code_padded",
            &[("written", written), ("read_as", read_as)],
        ),
        WarningKind::NoCodeColumn => text(lang, "warning_no_code_column"),
        WarningKind::NamedUnit { name, unit_code } => fill(
            lang,
            "warning_named_unit",
            &[("name", name), ("unit", &unit_words(unit_code))],
        ),
        WarningKind::UnknownUnit { name } => fill(lang, "warning_unknown_unit", &[("name", name)]),
        // The unit's figures are said by `warning`.
        _ => text(lang, "warning_other"),
    }
}

/// A measure in words: "tổng điểm" for the total, "nội dung 1.2" for a numbered item, else
/// the item's title in the bundled structures ("Điểm thẩm định"), never a key of the format.
pub fn measure_words(lang: Lang, measure: &str) -> String {
    if measure == "total" {
        return text(lang, "measure_total");
    }
    if is_numbered(measure) {
        return fill(lang, "measure_item", &[("code", &measure)]);
    }
    catalogue()
        .structures()
        .iter()
        .flat_map(|s| s.items())
        .flat_map(|d| std::iter::once(d).chain(&d.sub_dimensions))
        .find(|d| d.code == measure)
        .map_or_else(
            || measure.to_string(),
            |d| {
                if lang == Lang::En {
                    d.title_en.clone()
                } else {
                    d.title.clone()
                }
            },
        )
}

/// Why a row holds no unit's result.
pub fn skipped(lang: Lang, row: &Skipped) -> String {
    let who = row
        .unit_code
        .as_deref()
        .map(unit_words)
        .or_else(|| row.unit_name.clone())
        .unwrap_or_default();
    match row.kind {
        SkipKind::Summary if who.is_empty() => text(lang, "skip_summary"),
        SkipKind::Summary => fill(lang, "skip_summary_named", &[("name", &who)]),
        SkipKind::Empty => text(lang, "skip_empty"),
        SkipKind::NoResult => fill(lang, "skip_no_result", &[("unit", &who)]),
        SkipKind::Repeated => fill(lang, "skip_repeated", &[("unit", &who)]),
        SkipKind::Note => text(lang, "skip_note"),
    }
}

impl Describe for ImportRefusal {
    fn describe(&self, lang: Lang) -> String {
        match self {
            ImportRefusal::Unreadable { row, problem } => {
                let message = problem.describe(lang);
                match row {
                    Some(row) => fill(
                        lang,
                        "refused_at_row",
                        &[("row", row), ("message", &message)],
                    ),
                    None => message,
                }
            }
            ImportRefusal::UnknownIndex { index } => {
                fill(lang, "problem_unknown_index", &[("index", index)])
            }
            ImportRefusal::BadText { what, unit } => {
                let what = match what {
                    FileText::UnitCode => text(lang, "text_unit_code"),
                    FileText::UnitName => text(lang, "text_unit_name"),
                    FileText::Source => text(lang, "text_source"),
                };
                fill(lang, "refused_bad_text", &[("what", &what), ("unit", unit)])
            }
            ImportRefusal::NoYear => text(lang, "refused_no_year"),
            ImportRefusal::Gone => text(lang, "refused_gone"),
            ImportRefusal::ChangedMeanwhile => text(lang, "refused_changed_meanwhile"),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ImportRefusal::UnknownIndex { .. } => Some("index"),
            _ => Some("file"),
        }
    }

    fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            ImportRefusal::Gone => StatusCode::NOT_FOUND,
            ImportRefusal::ChangedMeanwhile => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl Describe for TargetRefusal {
    fn describe(&self, lang: Lang) -> String {
        match self {
            TargetRefusal::UnknownIndex { index } => {
                fill(lang, "problem_unknown_index", &[("index", index)])
            }
            TargetRefusal::Year { text: typed } => {
                fill(lang, "target_bad_year", &[("text", typed)])
            }
            TargetRefusal::Goal(GoalError::NoTarget { text: typed })
            | TargetRefusal::Goal(GoalError::NoIndex { text: typed }) => {
                fill(lang, "target_no_target", &[("text", typed)])
            }
            TargetRefusal::OtherIndex { named } => {
                fill(lang, "target_other_index", &[("named", named)])
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            TargetRefusal::UnknownIndex { .. } => Some("index"),
            TargetRefusal::Year { .. } => Some("year"),
            _ => Some("target"),
        }
    }
}

impl Describe for AgencyRefusal {
    fn describe(&self, lang: Lang) -> String {
        match self {
            AgencyRefusal::UnknownItem => text(lang, "agency_unknown_item"),
            AgencyRefusal::UnknownUnit { .. } => text(lang, "agency_unknown_unit"),
        }
    }

    fn status(&self) -> axum::http::StatusCode {
        match self {
            AgencyRefusal::UnknownItem => axum::http::StatusCode::NOT_FOUND,
            AgencyRefusal::UnknownUnit { .. } => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every warning kind is said in Vietnamese from its keys, with its values filled in and
    /// no English of the reader left.
    #[test]
    fn every_warning_is_worded_in_both_languages() {
        let kinds = [
            WarningKind::DimensionSum {
                unit_code: "01".into(),
                code: "3".into(),
                value: 5.1,
                sum: 5.05,
            },
            WarningKind::TotalSum {
                unit_code: "46".into(),
                value: 35.3,
                sum: 35.0,
                breakdown: Breakdown::Dimensions,
            },
            WarningKind::TotalSum {
                unit_code: "46".into(),
                value: 88.0,
                sum: 87.0,
                breakdown: Breakdown::Components,
            },
            WarningKind::NotAProvince {
                unit_code: "99".into(),
                year: 2016,
            },
            WarningKind::Repeated {
                unit_code: "46".into(),
                first_row: 5,
                measure: None,
            },
            WarningKind::Repeated {
                unit_code: "46".into(),
                first_row: 5,
                measure: Some("total".into()),
            },
            WarningKind::RankDiffers {
                unit_code: "46".into(),
                published: 3,
                computed: 4,
            },
            WarningKind::OutOfScale {
                unit_code: "46".into(),
                measure: "1".into(),
                value: 12.0,
                min: 1.0,
                max: 10.0,
            },
            WarningKind::UnknownColumn {
                header: "Ghi chú".into(),
            },
            WarningKind::ColumnTwice {
                code: "1".into(),
                first_column: "D".into(),
            },
            WarningKind::HeaderConflict {
                read_as: "1".into(),
                other: "2".into(),
            },
            WarningKind::MissingColumn {
                code: "8".into(),
                title: "Quản trị điện tử".into(),
            },
            WarningKind::TotalHeaderYear {
                header_year: 2013,
                year: 2014,
            },
            WarningKind::WeightedTotal {
                header: "Weighted".into(),
            },
            WarningKind::SheetWithoutYear,
            WarningKind::NoStructure { year: 2005 },
            WarningKind::SheetWithoutLayout { year: 2016 },
            WarningKind::UnknownMeasure {
                measure: "9".into(),
            },
            WarningKind::OtherIndex {
                index: "pci".into(),
                rows: 3,
            },
            WarningKind::PartialYear {
                year: 2020,
                listed: 5,
                expected: Some(63),
            },
            WarningKind::PartialYear {
                year: 2020,
                listed: 5,
                expected: None,
            },
            WarningKind::CodePadded {
                written: "1".into(),
                read_as: "01".into(),
            },
            WarningKind::NoCodeColumn,
            WarningKind::NamedUnit {
                name: "TT Huế".into(),
                unit_code: "46".into(),
            },
            WarningKind::UnknownUnit {
                name: "Tỉnh X".into(),
            },
        ];
        for kind in &kinds {
            for lang in [Lang::Vi, Lang::En] {
                let said = warning(lang, kind);
                assert!(!said.is_empty() && !said.contains('{'), "{kind:?}: {said}");
                assert!(!said.starts_with("indices_admin."), "{kind:?}: {said}");
            }
            let vi = warning(Lang::Vi, kind);
            for english in [" the ", " is ", " not ", " row ", "column", "unit "] {
                assert!(!vi.contains(english), "{kind:?}: {vi}");
            }
        }
        assert_eq!(
            warning(Lang::Vi, &kinds[0]),
            "Hà Nội (01): nội dung 3 là 5,1 nhưng các nội dung thành phần cộng lại được 5,05."
        );
    }

    #[test]
    fn problems_and_skipped_rows_are_worded_from_keys() {
        let problems = [
            IndicesProblem::NoLayout,
            IndicesProblem::NoUnit { year: 2016 },
            IndicesProblem::NotANumber {
                column: "value".into(),
                text: "cao".into(),
            },
            IndicesProblem::BadYear { text: "x".into() },
            IndicesProblem::BadRank { text: "0".into() },
            IndicesProblem::IndexNeeded { found: vec![] },
            IndicesProblem::IndexNeeded {
                found: vec!["papi".into(), "pci".into()],
            },
            IndicesProblem::UnknownIndex {
                index: "abc".into(),
                known: vec![],
            },
            IndicesProblem::IndexAbsent {
                index: "papi".into(),
            },
        ];
        for problem in &problems {
            let said = indices_problem(Lang::Vi, problem);
            assert!(
                !said.contains('{') && !said.starts_with("indices_admin."),
                "{said}"
            );
        }
        for kind in [
            SkipKind::Summary,
            SkipKind::Empty,
            SkipKind::NoResult,
            SkipKind::Repeated,
            SkipKind::Note,
        ] {
            let row = Skipped::new("2023", 70, kind).unit(Some("22".into()), None);
            let said = skipped(Lang::Vi, &row);
            assert!(!said.contains('{') && !said.contains("summary"), "{said}");
        }
    }
}
