//! Survey administration for staff: questionnaires, waves, units and target samples, tokens and QR codes, device keys, paper entry and bulk import, indices with intervals, charts, and filling a campaign's survey leaves.
//!
//! Reading needs `ViewSetup` (viewers read the results), every change `ManageCampaigns`. Path ids
//! are read as text and parsed after the permission check, so a refused role gets 403 whatever
//! the id. Results are computed from the store's counters (a few hundred rows per unit), never
//! from the raw responses.

use std::collections::HashMap;
use std::io::Cursor;
use std::time::Instant;

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
    self, CsvRows, DeviceRow, Identity, ImportOptions, LeafMapRow, QuestionnaireRow, Refusal,
    ServiceFields, Slice, WaveFields, WaveRow, WaveState, WaveUnitRow,
};
use chiso_store::{frameworks, units};
use chiso_survey::compare::{Reference, average, compare};
use chiso_survey::report::{
    AverageReport, ChannelReport, CodeValue, GroupReport, Report, ScopeReport, UnitReport,
};
use chiso_survey::{
    Blanks, Codec, Counts, Questionnaire, SurveyResult, TextCells, check_sample, index_from_counts,
};
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
mod results;
mod wave_units;
mod waves;

pub use import::*;
pub use leaves::*;
pub use paper::*;
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

/// English messages of the survey store's wave and leaf-map checks, in Vietnamese: `{}` is
/// kept as written. The refusals of a response or a row of a file are typed
/// ([`chiso_survey::Fault`], rendered by `describe::survey`). Library messages without an
/// entry go through the common catalogue.
const MESSAGES: &[(&str, &str)] = &[
    (
        "this respondent has already answered for this unit",
        "người trả lời này đã trả lời cho đơn vị này",
    ),
    (
        "the wave is a draft: open it before importing",
        "đợt khảo sát còn là bản nháp: hãy mở đợt trước khi nhập",
    ),
    ("the wave title is empty", "tên đợt khảo sát để trống"),
    (
        "year {} is out of range",
        "năm {} nằm ngoài khoảng cho phép",
    ),
    ("quarter {} is not 1-4", "quý {} không thuộc 1–4"),
    ("the wave closes before it opens", "ngày đóng trước ngày mở"),
    (
        "margin of error {} is not between 0 and 1",
        "sai số {} không nằm giữa 0 và 1",
    ),
    (
        "survey source '{}' is not index, factor:<code> or item:<code>",
        "nguồn '{}' không phải index, factor:<mã> hoặc item:<mã>",
    ),
    ("questionnaire {} has no {}", "phiếu {} không có {}"),
];

/// Matches `text` against a template with `{}` holes (each hole takes the shortest text that
/// lets the rest match, the last one takes the rest).
fn match_holes<'a>(template: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = template.split("{}").collect();
    let mut rest = text.strip_prefix(parts[0])?;
    let mut holes = Vec::new();
    for (i, literal) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            if literal.is_empty() {
                holes.push(rest);
                rest = "";
            } else {
                let cut = rest.len().checked_sub(literal.len())?;
                if !rest.ends_with(literal) {
                    return None;
                }
                holes.push(&rest[..cut]);
                rest = "";
            }
        } else {
            let at = rest.find(literal)?;
            holes.push(&rest[..at]);
            rest = &rest[at + literal.len()..];
        }
    }
    rest.is_empty().then_some(holes)
}

/// An English library message in the user's language.
pub(crate) fn message(lang: Lang, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    let best = MESSAGES
        .iter()
        .filter_map(|(source, target)| {
            let holes = match_holes(source, english)?;
            Some((source.replace("{}", "").len(), target, holes))
        })
        .max_by_key(|(length, _, _)| *length);
    match best {
        Some((_, target, holes)) => {
            let mut out = String::new();
            let mut holes = holes.into_iter();
            let mut pieces = target.split("{}").peekable();
            while let Some(piece) = pieces.next() {
                out.push_str(piece);
                if pieces.peek().is_some() {
                    out.push_str(holes.next().unwrap_or(""));
                }
            }
            out
        }
        None => english.to_string(),
    }
}

fn refusal_text(lang: Lang, refusal: &Refusal) -> String {
    refusal.describe(lang)
}

/// A store refusal (422) shown on the page that asked, in the user's language; anything else
/// stays an error.
fn as_problem(error: chiso_store::StoreError, lang: Lang) -> AppResult<String> {
    match AppError::from(error) {
        AppError::BadRequest(m) | AppError::Conflict(m) => Ok(message(lang, &m)),
        AppError::Refused(refusal) => Ok(refusal.describe(lang)),
        other => Err(other),
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
    fn wave_messages_are_translated_with_their_values() {
        assert_eq!(
            message(Lang::Vi, "quarter 7 is not 1-4"),
            "quý 7 không thuộc 1–4"
        );
        assert_eq!(
            message(Lang::En, "quarter 7 is not 1-4"),
            "quarter 7 is not 1-4"
        );
    }

    #[test]
    fn ids_are_parsed_after_the_check() {
        assert_eq!(ids::<2>(&["4".into(), "5".into()]).unwrap(), [4, 5]);
        assert!(ids::<1>(&["{wave}".into()]).is_err());
    }
}
