//! Survey administration for staff: questionnaires, waves, units and target samples, tokens and QR codes, device keys, paper entry and bulk import, indices with intervals, charts, and filling a campaign's survey leaves.
//!
//! Reading needs `ViewSetup` (viewers read the results), every change `ManageCampaigns`. Path ids
//! are read as text and parsed after the permission check, so a refused role gets 403 whatever
//! the id. Results are computed from the store's counters (a few hundred rows per unit), never
//! from the raw responses.

use std::collections::HashMap;
use std::io::Cursor;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use chiso_domain::access::Permission;
use chiso_interchange::csv_out::{CsvWriter, LineEnd};
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::surveys::{
    self, CsvRows, DeviceRow, Identity, LeafMapRow, QuestionnaireRow, Refusal, ServiceFields,
    Slice, WaveFields, WaveRow, WaveState, WaveUnitRow,
};
use chiso_store::{frameworks, units};
use chiso_survey::compare::{Reference, compare};
use chiso_survey::report::{
    AverageReport, ChannelReport, CodeValue, GroupReport, Report, ScopeReport, UnitReport,
};
use chiso_survey::{Blanks, Codec, Questionnaire, SurveyResult, TextCells, check_sample};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::{Auth, Principal};
use crate::charts::{BarInput, Chart, Trend};
use crate::describe::Describe;
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{ReceivedFile, ResponsesImportForm, Upload, UploadRefusal};
use crate::extract::{Form, Path, Query, State, cells};
use crate::i18n::{self, Lang};
use crate::routes::survey_scope::SurveyScope;
use crate::state::AppState;
use crate::views::Page;

mod import;
mod leaves;
mod paper;
mod responses;
mod results;
mod wave_units;
mod waves;

pub use import::*;
pub use leaves::*;
pub use paper::*;
pub use responses::*;
pub use results::*;
pub use wave_units::*;
pub use waves::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/khao-sat", get(index))
        .route("/khao-sat/phieu", post(register_questionnaire))
        .route("/khao-sat/dot", post(create_wave))
        .route("/khao-sat/dot/{wave}", get(show_wave))
        .route("/khao-sat/dot/{wave}/don-vi", post(set_units))
        .route("/khao-sat/dot/{wave}/mo", post(open_wave))
        .route("/khao-sat/dot/{wave}/dong", post(close_wave))
        .route("/khao-sat/dot/{wave}/don-vi/{unit}", get(show_unit))
        .route("/khao-sat/dot/{wave}/don-vi/{unit}/xoa", post(remove_unit))
        .route("/khao-sat/dot/{wave}/don-vi/{unit}/ma", post(issue_tokens))
        .route(
            "/khao-sat/dot/{wave}/don-vi/{unit}/dich-vu",
            post(set_service),
        )
        .route(
            "/khao-sat/dot/{wave}/don-vi/{unit}/dich-vu/{service}/xoa",
            post(remove_service),
        )
        .route(
            "/khao-sat/dot/{wave}/don-vi/{unit}/thiet-bi",
            post(create_device),
        )
        .route(
            "/khao-sat/dot/{wave}/don-vi/{unit}/thiet-bi/{device}/trang-thai",
            post(set_device_active),
        )
        .route(
            "/khao-sat/dot/{wave}/phieu-giay",
            get(paper_form).post(paper_submit),
        )
        .route("/khao-sat/dot/{wave}/nhap-tep", post(start_import))
        .route("/khao-sat/nhap/{job}", get(import_page))
        .route("/khao-sat/nhap/{job}/tien-do", get(import_progress))
        .route("/khao-sat/dot/{wave}/ket-qua", get(results))
        .route("/khao-sat/dot/{wave}/ket-qua.xlsx", get(results_xlsx))
        .route("/khao-sat/dot/{wave}/phieu-tra-loi", get(responses_list))
        .route(
            "/khao-sat/dot/{wave}/phieu-tra-loi/{response}",
            get(response_detail),
        )
        .route(
            "/khao-sat/dot/{wave}/phieu-tra-loi/{response}/loai",
            post(exclude_response),
        )
        .route(
            "/khao-sat/dot/{wave}/phieu-tra-loi/{response}/khoi-phuc",
            post(restore_response),
        )
        .route("/khao-sat/dot/{wave}/du-lieu.csv", get(export_csv))
        .route("/khao-sat/dot/{wave}/du-lieu.xlsx", get(export_xlsx))
        .route("/khao-sat/dot/{wave}/du-lieu.json", get(export_json))
        .route("/khao-sat/dot/{wave}/bo-ma.csv", get(codebook_csv))
        .route("/khao-sat/dot/{wave}/bo-ma.json", get(codebook_json))
        .route("/khao-sat/chi-so-cchc/{campaign}", get(leaves_page))
        .route(
            "/khao-sat/chi-so-cchc/{campaign}/anh-xa",
            post(set_leaf_map),
        )
        .route(
            "/khao-sat/chi-so-cchc/{campaign}/anh-xa-theo-phieu",
            post(map_from_questionnaire),
        )
        .route(
            "/khao-sat/chi-so-cchc/{campaign}/anh-xa/{node}/xoa",
            post(remove_leaf_map),
        )
        .route(
            "/khao-sat/chi-so-cchc/{campaign}/cap-nhat",
            post(refresh_leaves),
        )
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────

/// The path's ids, parsed after the permission check (text that is not an id: 404).
fn ids<const N: usize>(raw: &[String]) -> AppResult<[i64; N]> {
    let mut out = [0i64; N];
    if raw.len() < N {
        return Err(AppError::NotFound);
    }
    for (slot, text) in out.iter_mut().zip(raw) {
        *slot = text.parse().map_err(|_| AppError::NotFound)?;
    }
    Ok(out)
}

fn t(lang: Lang, key: &str) -> &'static str {
    i18n::text(lang, key)
}

/// A percentage or index with two decimals in the page's language, "—" when there is none.
fn pct(lang: Lang, value: Option<f64>) -> String {
    value
        .map(|v| i18n::number(lang, v, 2))
        .unwrap_or_else(|| "—".into())
}

/// A signed change in percentage points.
fn change(lang: Lang, value: Option<f64>) -> String {
    match value {
        Some(v) if v > 0.0 => format!("+{}", i18n::number(lang, v, 2)),
        Some(v) => i18n::number(lang, v, 2),
        None => "—".into(),
    }
}

fn ci_text(lang: Lang, ci: Option<[f64; 2]>) -> String {
    ci.map(|[l, h]| {
        format!(
            "{} – {}",
            i18n::number(lang, l, 2),
            i18n::number(lang, h, 2)
        )
    })
    .unwrap_or_else(|| "—".into())
}

fn integer(lang: Lang, n: u64) -> String {
    i18n::number(lang, n as f64, 0)
}

/// A store error as the problem shown on the page that asked, in the user's language: a
/// typed refusal says itself, a write that lost a race asks for a reload; anything else stays
/// an error (its own page).
fn as_problem(error: chiso_store::StoreError, lang: Lang) -> AppResult<String> {
    Ok(FormError::of_store(error, lang, "", &[])?.message)
}

/// A refused entry on a page: the message, and the form field it concerns when that form
/// shows the field (the message goes beside it), else none (the message goes at the top).
#[derive(Clone, Debug, Default)]
pub struct FormError {
    pub message: String,
    /// The form (several forms of a page may share a field's name: `name`).
    pub form: &'static str,
    pub field: Option<String>,
}

impl FormError {
    /// A message for the top of the page.
    pub fn page(message: String) -> FormError {
        FormError {
            message,
            form: "",
            field: None,
        }
    }

    /// A message beside a field of a form.
    pub fn at(form: &'static str, field: &str, message: String) -> FormError {
        FormError {
            message,
            form,
            field: Some(field.to_string()),
        }
    }

    /// A refusal, beside its field when `form` shows it (`fields`).
    pub fn refused(
        lang: Lang,
        form: &'static str,
        fields: &[&str],
        refusal: &dyn Describe,
    ) -> FormError {
        FormError {
            message: refusal.describe(lang),
            form,
            field: refusal
                .field()
                .filter(|f| fields.contains(f))
                .map(str::to_string),
        }
    }

    /// A store error on `form`: a typed refusal beside its field, a lost race at the top;
    /// anything else stays an error.
    pub fn of_store(
        error: chiso_store::StoreError,
        lang: Lang,
        form: &'static str,
        fields: &[&str],
    ) -> AppResult<FormError> {
        match AppError::from(error) {
            AppError::Refused(refusal) => Ok(FormError::refused(lang, form, fields, &*refusal)),
            AppError::Conflict(constraint) => {
                tracing::info!(%constraint, "survey write conflict");
                Ok(FormError::page(
                    t(lang, "common.error_conflict").to_string(),
                ))
            }
            other => Err(other),
        }
    }
}

/// The error of a page, for its template: beside a field or at the top.
#[derive(Clone, Debug, Default)]
pub struct PageError(pub Option<FormError>);

impl PageError {
    /// The message beside `field` of `form`.
    pub fn beside(&self, form: &str, field: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.form == form && e.field.as_deref() == Some(field))
            .map(|e| e.message.as_str())
    }

    /// The message at the top of the page: one that names no field.
    pub fn top(&self) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.field.is_none())
            .map(|e| e.message.as_str())
    }
}

fn wave_state_label(lang: Lang, state: WaveState) -> &'static str {
    crate::describe::survey::wave_state(lang, state)
}

fn period_label(wave: &WaveRow) -> String {
    match wave.period_quarter {
        Some(q) => format!("Q{q}/{}", wave.period_year),
        None => wave.period_year.to_string(),
    }
}

/// A QR code of `text` as inline SVG (without the XML prologue).
fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(160, 160)
                .quiet_zone(true)
                .build();
            match svg.find("<svg") {
                Some(at) => svg[at..].to_string(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}

/// A decimal typed with a comma or a dot.
fn parse_decimal(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse().ok()
}

fn parse_date(text: &str) -> Result<Option<NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_goes_beside_its_field_when_the_form_shows_it() {
        use chiso_store::surveys::WaveFieldRefusal;
        let refused = WaveFieldRefusal::TitleEmpty;
        let error = PageError(Some(FormError::refused(
            Lang::Vi,
            "wave",
            &["title"],
            &refused,
        )));
        assert_eq!(
            error.beside("wave", "title"),
            Some("Tên đợt khảo sát: hãy nhập tên.")
        );
        assert_eq!(error.beside("service", "title"), None);
        assert_eq!(error.top(), None);
        // A field the form does not show: the message goes at the top.
        let error = PageError(Some(FormError::refused(Lang::Vi, "wave", &[], &refused)));
        assert_eq!(error.beside("wave", "title"), None);
        assert_eq!(error.top(), Some("Tên đợt khảo sát: hãy nhập tên."));
    }

    #[test]
    fn ids_are_parsed_after_the_check() {
        assert_eq!(ids::<2>(&["4".into(), "5".into()]).unwrap(), [4, 5]);
        assert!(ids::<1>(&["{wave}".into()]).is_err());
    }
}
