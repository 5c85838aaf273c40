//! The council and secretariat screens: the appraisers' work list (/tham-dinh) and
//! the side-by-side appraisal of a sheet, the secretariat's round control, extensions,
//! finalization and publication on a campaign, the progress dashboard with its .xlsx export,
//! the results with their ranking, chart and .xlsx export, and the campaign's audit log as CSV.
//!
//! Every handler checks who may do what before it loads anything; the workflow rules (which
//! round may open, which leaf an appraiser may score, when a campaign may be finalized or
//! published) are the domain's and the store's, asked here and shown in the user's language.
//! The unit's side (its scoresheet, evidence downloads, a leaf's history) lives in
//! `routes::assessment`; these pages link to it.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::{Permission, Role};
use chiso_domain::assessment::{self as rules, SheetStatus, Stage};
use chiso_domain::campaign::CampaignState;
use chiso_domain::{Bands, Framework, Method, NodeId, Points, Rule, ScoreSheet, compute_unit};
use chiso_store::appraisal_queries::{self, CouncilSheet, RoundMark};
use chiso_store::assessments::{
    self, ExtensionGrant, LeafScore, ProgressRow, PublishedResults, SheetRow,
};
use chiso_store::audit::AuditFilter;
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::evidence::{self, LinkedFile};
use chiso_store::{StoreError, frameworks, units};
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};
use serde::Deserialize;

use crate::auth::{Auth, Context, Principal};
use crate::describe::Describe;
use crate::error::{AppError, AppResult, urlencode};
use crate::extract::{Form, Path, Query, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tham-dinh", get(index))
        .route("/tham-dinh/{sheet}", get(sheet))
        .route("/tham-dinh/{sheet}/tieu-chi/{node}", post(appraise))
        .route("/tham-dinh/{sheet}/chap-nhan", post(accept))
        .route(
            "/tham-dinh/{sheet}/tra-lai",
            get(sheet_steps).post(return_sheet),
        )
        .route("/tham-dinh/{sheet}/chuyen-vong-sau", post(defer_sheet))
        .route("/dot-danh-gia/{id}/mo-vong", post(steps::open_round))
        .route("/dot-danh-gia/{id}/dong-vong", post(close_round))
        .route("/dot-danh-gia/{id}/gia-han", post(grant_extension))
        .route("/dot-danh-gia/{id}/chot-ket-qua", post(steps::finalize))
        .route("/dot-danh-gia/{id}/cong-bo", post(steps::publish))
        .route("/dot-danh-gia/{id}/tien-do", get(progress))
        .route("/dot-danh-gia/{id}/tien-do.xlsx", get(progress_xlsx))
        .route("/dot-danh-gia/{id}/ket-qua", get(results))
        .route("/dot-danh-gia/{id}/ket-qua.xlsx", get(results_xlsx))
        .route("/dot-danh-gia/{id}/nhat-ky.csv", get(audit_csv))
}

use crate::routes::campaigns::council::{Panel, panel};
use crate::routes::campaigns::shared::*;
use crate::routes::campaigns::steps;
mod panel_actions;
pub use panel_actions::*;
mod council;
pub use council::*;
mod sheet;
pub use sheet::*;
mod progress;
pub use progress::*;
pub(crate) mod results;
pub use results::*;
mod audit_log;
pub use audit_log::*;
mod sheet_steps;
pub use sheet_steps::*;
