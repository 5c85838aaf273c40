//! The self-assessment screens (tự đánh giá): the sheets a unit's people work on, the
//! scoresheet with autosave, evidence files (upload, link, unlink, download), the leader's
//! submit and withdraw, the answers to explanation requests, and the history of a leaf.
//!
//! Every handler checks on the server who may do what: a unit's own people (editors and
//! leaders of the unit or a unit above it) work on its sheet; the secretariat and the
//! administrator read every sheet; appraisers read sheets once submitted; viewers read them
//! once the campaign is published. The workflow rules (states, deadlines, extensions, the
//! submission check) are the store's and the domain's: this module asks them, shows their
//! answer in the user's language and never decides a transition itself.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::Role;
use chiso_domain::assessment::{
    self as rules, SheetAction, SheetStatus, Stage, SubmissionProblemKind,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::{Method, NodeId, Points, Rule, ScoreSheet, compute_unit};
use chiso_store::assessments::{self, AnswerEntry, LeafScore};
use chiso_store::evidence::{self, ACCEPTED_EXTENSIONS, LinkedFile, UploadError};
use chiso_store::units::{self, OrgUnit};
use chiso_store::{StoreError, sheet_queries, users};
use chrono::NaiveDate;

use crate::auth::{Auth, Context, Principal};
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{EvidenceForm, ReceivedFile, Upload, UploadRefusal};
use crate::extract::{Form, Path, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tu-danh-gia", get(list))
        .route("/tu-danh-gia/{sheet}", get(show))
        .route("/tu-danh-gia/{sheet}/bang-diem.xlsx", get(scoresheet_xlsx))
        .route("/tu-danh-gia/{sheet}/tieu-chi/{node}", post(save_leaf))
        // The upload's body limit is its own (`extract::multipart`): the file limit and a
        // margin, so that a refusal can name the file.
        .route(
            "/tu-danh-gia/{sheet}/tieu-chi/{node}/tai-lieu",
            post(upload),
        )
        .route("/tu-danh-gia/{sheet}/tieu-chi/{node}/lien-ket", post(link))
        .route("/tu-danh-gia/{sheet}/lien-ket/{link}/xoa", post(unlink))
        .route("/tu-danh-gia/{sheet}/tieu-chi/{node}/lich-su", get(history))
        .route("/tu-danh-gia/{sheet}/nop", post(submit))
        .route("/tu-danh-gia/{sheet}/rut", post(withdraw))
        .route(
            "/tu-danh-gia/{sheet}/nop-giai-trinh",
            post(submit_explanation),
        )
        .route("/tai-lieu/{file}", get(download))
}

mod access;
use access::*;
mod messages;
use messages::*;
mod views;
pub use views::*;
mod build;
use build::*;
mod templates;
pub use templates::*;
mod list;
pub use list::*;
mod sheet;
pub use sheet::*;
mod files;
pub use files::*;
mod history;
pub use history::*;
mod sign_off;
pub use sign_off::*;

#[cfg(test)]
mod tests;
