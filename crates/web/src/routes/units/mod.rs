//! The units screens (`/don-vi`): the hierarchy as a tree with search, a unit's page (details,
//! parent, children, lineage, audit history), create and edit, merge with lineage, and the
//! import of `units.csv`/.xlsx. Reading needs `ViewSetup`, every write `ManageUnits`; both are
//! checked on the server in each handler, before anything is loaded.

//!
//! One file per screen: [`list`] (the tree, search and a unit's page), [`form`] (create and
//! edit), [`merge`] and [`import`]; what they share is here.

mod form;
mod import;
mod list;
mod merge;

pub use form::*;
pub use import::*;
pub use list::*;
pub use merge::*;

use std::collections::{HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chiso_domain::access::Permission;
use chiso_domain::org::OrgKind;
use chiso_interchange::table::{read_csv, read_xlsx};
use chiso_store::audit::{self, AuditFilter, AuditRecord};
use chiso_store::units::{self, ImportSummary, MergeTarget, OrgUnit, UnitFields};
use chiso_store::{SetupRefusal, StoreError};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::auth::Auth;
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{UnitsImportForm, Upload, UploadRefusal};
use crate::extract::{Form, PathId, Query, State, cells};
use crate::forms::{Choice, field_error, parse_date, tr, unprocessable};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/don-vi", get(list).post(create))
        .route("/don-vi/moi", get(create_form))
        .route("/don-vi/hop-nhat", get(merge_form).post(merge))
        .route("/don-vi/nhap", get(import_form).post(import))
        .route("/don-vi/xuat.xlsx", get(export_xlsx))
        .route("/don-vi/{id}", get(show))
        .route("/don-vi/{id}/sua", get(edit_form).post(update))
}

/// The entity type the store writes in the audit log for units.
const AUDIT_ENTITY: &str = "org_unit";

/// The store's default start of validity, meaning "since before records began".
fn open_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date")
}

/// Tree order: the hierarchy's levels first, then codes.
fn kind_rank(kind: OrgKind) -> usize {
    match kind {
        OrgKind::Nation => 0,
        OrgKind::Province => 1,
        OrgKind::Department => 2,
        OrgKind::District => 3,
        OrgKind::Commune => 4,
        OrgKind::Ministry => 5,
    }
}

/// A store refusal as a form error: each refusal names its field itself.
fn store_error(lang: Lang, error: StoreError) -> Result<String, AppError> {
    match error {
        StoreError::Setup(refusal) => Ok(refusal.describe(lang)),
        StoreError::Conflict(_) => Ok(field_error(
            lang,
            "units.code",
            i18n::text(lang, "units.err_code_taken"),
        )),
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::import::{UploadKind, upload_kind};
    use super::list::tree;
    use super::*;
    use crate::app::units::import::{ImportRefusal, RowProblem, check};

    fn unit(id: i64, code: &str, kind: &str, parent: Option<i64>) -> OrgUnit {
        OrgUnit {
            id,
            code: code.into(),
            name: format!("Đơn vị {code}"),
            kind: OrgKind::parse(kind).unwrap(),
            parent_id: parent,
            region: None,
            valid_from: open_start(),
            valid_to: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_tree_puts_children_under_parents_and_ministries_apart() {
        let units = vec![
            unit(1, "VN", "nation", None),
            unit(2, "46", "province", Some(1)),
            unit(3, "X01", "commune", Some(2)),
            unit(4, "S01", "department", Some(2)),
            unit(5, "BNV", "ministry", Some(1)),
        ];
        let today = Utc::now().date_naive();
        let (local, ministries) = tree(&units, today);
        let codes: Vec<(&str, usize)> = local.iter().map(|r| (r.code.as_str(), r.depth)).collect();
        assert_eq!(codes, [("VN", 0), ("46", 1), ("S01", 2), ("X01", 2)]);
        assert_eq!(ministries.len(), 1);
        assert_eq!(ministries[0].code, "BNV");
    }

    #[test]
    fn import_reports_every_bad_row() {
        let existing = vec![unit(1, "99", "province", None)];
        let text = "\u{feff}unit_code,unit_name,kind,parent_code,valid_from\n\
                    S01,Sở A,department,99,\n\
                    S02,,department,99,\n\
                    S03,Sở C,bogus,99,\n\
                    S04,Sở D,department,ZZ,\n\
                    S05,Sở E,department,99,31/02/2020\n\
                    S01,Sở A lặp,department,99,\n\
                    X01,Xã F,commune,S01,\n";
        let table = read_csv("units.csv", text.as_bytes()).unwrap();
        let today = Utc::now().date_naive();
        let Err(ImportRefusal::Rows(problems)) = check(&table, &existing, today) else {
            panic!("every bad row is reported");
        };
        let rows: Vec<usize> = problems.iter().map(|(row, _)| *row).collect();
        assert_eq!(rows, [3, 4, 5, 6, 7, 8], "{problems:#?}");
        assert_eq!(problems[0].1, RowProblem::NameRequired);
        let said: Vec<String> = problems.iter().map(|(_, p)| p.describe(Lang::Vi)).collect();
        assert!(said[0].starts_with("Cột unit_name"), "{said:?}");
        assert!(said[4].contains("trùng"), "{said:?}");
        assert_eq!(problems[1].1.field(), Some("kind"));

        let good = "unit_code,unit_name,region\n98,Tỉnh B,Tây Nguyên\n99,,\n";
        let table = read_csv("units.csv", good.as_bytes()).unwrap();
        let Ok(rows) = check(&table, &existing, today) else {
            panic!("a good file is accepted");
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields.kind, OrgKind::Province);
        assert_eq!(rows[1].fields.name, "Đơn vị 99");
    }

    #[test]
    fn a_missing_column_is_named_in_vietnamese() {
        let table = read_csv("units.csv", "code,name\nA,B\n".as_bytes()).unwrap();
        let Err(ImportRefusal::File(problem)) = check(&table, &[], Utc::now().date_naive()) else {
            panic!("the missing column is named");
        };
        assert_eq!(
            problem.describe(Lang::Vi),
            "Thiếu cột 'unit_code' ở dòng tiêu đề (tệp có các cột: code, name)."
        );
    }

    #[test]
    fn uploads_must_be_csv_or_xlsx() {
        assert_eq!(upload_kind("a.CSV", b"x"), Some(UploadKind::Csv));
        assert_eq!(
            upload_kind("a.xlsx", b"PK\x03\x04..."),
            Some(UploadKind::Xlsx)
        );
        assert_eq!(upload_kind("a.xlsx", b"unit_code"), None);
        assert_eq!(upload_kind("a.pdf", b"%PDF"), None);
    }
}
