//! Survey administration for staff: questionnaires, waves, units and target samples, tokens and QR codes, device keys, paper entry and bulk import, indices with intervals, charts, and filling a campaign's survey leaves.
//!
//! Reading needs `ViewSetup` (viewers read the results), every change `ManageCampaigns`. Path ids
//! are read as text and parsed after the permission check, so a refused role gets 403 whatever
//! the id. Results are computed from the store's counters (a few hundred rows per unit), never
//! from the raw responses.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use chiso_domain::access::Permission;
use chiso_interchange::csv_out::{CsvWriter, LineEnd};
use chiso_interchange::sheet::{RowsError, SheetError, read_xlsx_rows};
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::survey_services::{self, ServiceFields};
use chiso_store::surveys::{
    self, CsvRows, DeviceRow, Identity, ImportOptions, ImportReport, LeafMapRow, QuestionnaireRow,
    Refusal, Slice, WaveFields, WaveRow, WaveState, WaveUnitRow,
};
use chiso_store::{frameworks, units};
use chiso_survey::compare::{Reference, average, compare};
use chiso_survey::report::{
    AverageReport, ChannelReport, CodeValue, GroupReport, Report, ScopeReport, UnitReport,
};
use chiso_survey::{Counts, Questionnaire, SurveyResult, check_sample, index_from_counts};
use serde::Deserialize;

use crate::auth::{Auth, Principal};
use crate::charts::{BarInput, Chart, Trend};
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{ReceivedFile, ResponsesImportForm, Upload, UploadRefusal};
use crate::extract::{Form, Path, PathId, Query, State, cells};
use crate::forms::parse_date;
use crate::i18n::{self, Lang};
use crate::routes::survey_scope::SurveyScope;
use crate::state::AppState;
use crate::views::Page;

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

/// English messages of the survey store and reader, in Vietnamese: `{}` is kept as written.
/// Library messages without an entry go through the common catalogue.
const MESSAGES: &[(&str, &str)] = &[
    (
        "wrong column count: {}, expected {}",
        "số cột sai: {}, cần {}",
    ),
    ("empty unit_code", "unit_code để trống"),
    (
        "unit_code is not UTF-8 text",
        "unit_code không phải văn bản UTF-8",
    ),
    (
        "unit_code {} is not in this survey",
        "đơn vị {} không thuộc đợt khảo sát này",
    ),
    (
        "weight: '{}' is not a number (use a dot for decimals)",
        "trọng số (weight): '{}' không phải là số (dùng dấu chấm cho phần thập phân)",
    ),
    (
        "weight: '{}' is not a number",
        "trọng số (weight): '{}' không phải là số",
    ),
    (
        "weight: {} is not > 0",
        "trọng số (weight): {} không lớn hơn 0",
    ),
    (
        "weight: {} is above the largest weight allowed, 1000000",
        "trọng số (weight): {} lớn hơn mức tối đa cho phép, 1.000.000",
    ),
    (
        "weight: {} is below the smallest weight allowed, 0.000001",
        "trọng số (weight): {} nhỏ hơn mức tối thiểu cho phép, 0,000001",
    ),
    (
        "the file cannot be read from this row on: the row is longer than {}, the limit",
        "không đọc được tệp từ dòng này trở đi: dòng dài hơn {}, vượt giới hạn cho phép",
    ),
    (
        "weight {} is not a number > 0",
        "trọng số {} không phải là số lớn hơn 0",
    ),
    (
        "{}: value {} is not {}",
        "{}: giá trị {} không hợp lệ (cần {})",
    ),
    ("{}: '{}' is not one of {}", "{}: '{}' không thuộc {}"),
    (
        "{}: {} areas chosen, at most {}",
        "{}: chọn {} lĩnh vực, tối đa {}",
    ),
    (
        "respondent_id {} repeated in unit {} (first at row {})",
        "respondent_id {} bị lặp ở đơn vị {} (lần đầu ở dòng {})",
    ),
    (
        "respondent_id is longer than {} characters",
        "respondent_id dài quá {} ký tự",
    ),
    (
        "the file cannot be read from this row on: {}",
        "không đọc được tệp từ dòng này trở đi: {}",
    ),
    (
        "this respondent has already answered for this unit",
        "người trả lời này đã trả lời cho đơn vị này",
    ),
    (
        "missing column '{}' in the header row",
        "thiếu cột '{}' ở dòng tiêu đề",
    ),
    (
        "column '{}' appears twice in the header row",
        "cột '{}' xuất hiện hai lần ở dòng tiêu đề",
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
        "the campaign is {}: survey leaves are filled while it is open or in appraisal",
        "đợt đánh giá đang ở trạng thái {}: chỉ cập nhật điểm khảo sát khi đợt đang mở hoặc đang thẩm định",
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
        None => i18n::message(lang, english),
    }
}

fn refusal_text(lang: Lang, refusal: &Refusal) -> String {
    let key = match refusal {
        Refusal::UnknownWave => "surveys.refusal_unknown_wave",
        Refusal::WaveNotOpen(_) => "surveys.refusal_not_open",
        Refusal::NotYetOpen(_) => "surveys.refusal_not_yet_open",
        Refusal::AlreadyClosed(_) => "surveys.refusal_closed",
        Refusal::UnitNotInWave => "surveys.refusal_unit",
        Refusal::UnknownService => "surveys.refusal_service",
        Refusal::UnknownToken | Refusal::TokenUsed => "surveys.refusal_token",
        Refusal::DuplicateRespondent => "surveys.refusal_duplicate",
        Refusal::Invalid(m) => return message(lang, m),
    };
    t(lang, key).to_string()
}

/// A store refusal (422) shown on the page that asked, in the user's language; anything else
/// stays an error.
fn as_problem(error: chiso_store::StoreError, lang: Lang) -> AppResult<String> {
    match AppError::from(error) {
        AppError::BadRequest(m) | AppError::Conflict(m) => Ok(message(lang, &m)),
        other => Err(other),
    }
}

fn wave_state_label(lang: Lang, state: &str) -> &'static str {
    t(lang, &format!("surveys.state_{state}"))
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

// ── The list: questionnaires and waves (/khao-sat) ─────────────────────────────────────────

pub struct QuestionnaireView {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    pub items: i64,
    pub format: String,
    pub created: String,
}

pub struct WaveView {
    pub id: i64,
    pub title: String,
    pub questionnaire: String,
    pub campaign: String,
    pub period: String,
    pub dates: String,
    pub state: String,
    pub state_label: &'static str,
    pub responses: String,
    pub units: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/index.html")]
pub struct IndexPage {
    page: Page,
    can_manage: bool,
    questionnaires: Vec<QuestionnaireView>,
    /// The latest version of each code, for the wave form.
    latest: Vec<QuestionnaireView>,
    bundled: Vec<(&'static str, String)>,
    waves: Vec<WaveView>,
    campaigns: Vec<CampaignRow>,
    error: Option<String>,
    form: WaveForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct WaveForm {
    #[serde(default)]
    questionnaire_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    campaign_id: String,
    #[serde(default)]
    period_year: String,
    #[serde(default)]
    period_quarter: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
    #[serde(default)]
    margin_e: String,
}

fn questionnaire_view(lang: Lang, q: &QuestionnaireRow) -> QuestionnaireView {
    let _ = lang;
    QuestionnaireView {
        id: q.id,
        code: q.code.clone(),
        version: q.version,
        title: q.title.clone(),
        items: q.item_count,
        format: q.format.clone(),
        created: i18n::date_time(q.created_at),
    }
}

async fn index_page(
    state: &AppState,
    principal: &Principal,
    page: Page,
    error: Option<String>,
    form: WaveForm,
) -> AppResult<IndexPage> {
    let lang = page.lang;
    let rows = surveys::list_questionnaires(&state.db).await?;
    let questionnaires: Vec<QuestionnaireView> =
        rows.iter().map(|q| questionnaire_view(lang, q)).collect();
    let mut latest: Vec<QuestionnaireView> = Vec::new();
    for q in &rows {
        match latest.iter_mut().find(|l| l.code == q.code) {
            Some(l) if l.version >= q.version => {}
            Some(l) => *l = questionnaire_view(lang, q),
            None => latest.push(questionnaire_view(lang, q)),
        }
    }
    let campaigns = campaigns::list(&state.db).await?;
    let scope = SurveyScope::of(state, principal).await?;
    let mut waves = Vec::new();
    for w in surveys::list_waves(&state.db).await? {
        let mut wave_units = surveys::wave_units(&state.db, w.id).await?;
        if !scope.everything() {
            wave_units.retain(|u| scope.sees(u.unit_id));
            if wave_units.is_empty() {
                continue;
            }
        }
        let responses: i64 = wave_units.iter().map(|u| u.responses).sum();
        waves.push(WaveView {
            id: w.id,
            questionnaire: format!("{} v{}", w.questionnaire_code, w.questionnaire_version),
            campaign: w
                .campaign_id
                .and_then(|c| campaigns.iter().find(|x| x.id == c))
                .map(|c| c.title.clone())
                .unwrap_or_default(),
            period: period_label(&w),
            dates: format!(
                "{} → {}",
                w.opens_on.map(i18n::date).unwrap_or_else(|| "—".into()),
                w.closes_on.map(i18n::date).unwrap_or_else(|| "—".into())
            ),
            state_label: wave_state_label(lang, &w.state),
            state: w.state.clone(),
            responses: integer(lang, responses.max(0) as u64),
            units: wave_units.len(),
            title: w.title,
        });
    }
    Ok(IndexPage {
        can_manage: principal.can(Permission::ManageCampaigns),
        questionnaires,
        latest,
        bundled: chiso_survey::questionnaire::BUNDLED
            .iter()
            .map(|b| {
                (
                    b.id,
                    chiso_survey::bundled(b.id)
                        .map(|q| q.title)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        waves,
        campaigns,
        error,
        form,
        page,
    })
}

pub async fn index(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<IndexPage> {
    principal.require(Permission::ViewSetup)?;
    let page = Page::new(&context, "surveys.title");
    let form = WaveForm {
        period_year: chrono::Utc::now().date_naive().format("%Y").to_string(),
        margin_e: "0,05".into(),
        ..WaveForm::default()
    };
    index_page(&state, &principal, page, None, form).await
}

#[derive(Deserialize)]
pub struct QuestionnaireForm {
    #[serde(default)]
    bundled: String,
    #[serde(default)]
    toml: String,
    #[serde(default)]
    file_name: String,
}

/// Registers a bundled questionnaire or one pasted as TOML (a new version when it differs from
/// the latest stored one).
pub async fn register_questionnaire(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<QuestionnaireForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let actor = principal.actor();
    let outcome = if !form.bundled.trim().is_empty() {
        surveys::register_bundled(&state.db, &actor, form.bundled.trim()).await
    } else if !form.toml.trim().is_empty() {
        let name = if form.file_name.trim().is_empty() {
            "questionnaire.toml"
        } else {
            form.file_name.trim()
        };
        surveys::register_toml(&state.db, &actor, name, &form.toml).await
    } else {
        Err(chiso_store::StoreError::Invalid(
            "choose a bundled questionnaire or paste a TOML definition".into(),
        ))
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/khao-sat?msg=surveys.questionnaire_registered").into_response()),
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            let page = Page::new(&context, "surveys.title");
            let mut body = index_page(&state, &principal, page, Some(problem), WaveForm::default())
                .await?
                .into_response();
            *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(body)
        }
    }
}

fn wave_fields(lang: Lang, form: &WaveForm) -> Result<WaveFields, String> {
    let questionnaire_id: i64 = form
        .questionnaire_id
        .trim()
        .parse()
        .map_err(|_| t(lang, "surveys.error_questionnaire").to_string())?;
    let year: i64 = form
        .period_year
        .trim()
        .parse()
        .map_err(|_| t(lang, "surveys.error_year").to_string())?;
    let mut fields = WaveFields::new(questionnaire_id, form.title.trim(), year);
    if !form.campaign_id.trim().is_empty() {
        fields.campaign_id = Some(
            form.campaign_id
                .trim()
                .parse()
                .map_err(|_| t(lang, "surveys.error_campaign").to_string())?,
        );
    }
    if !form.period_quarter.trim().is_empty() {
        fields.period_quarter = Some(
            form.period_quarter
                .trim()
                .parse()
                .map_err(|_| t(lang, "surveys.error_quarter").to_string())?,
        );
    }
    fields.opens_on =
        parse_date(&form.opens_on).map_err(|_| t(lang, "surveys.error_opens").to_string())?;
    fields.closes_on =
        parse_date(&form.closes_on).map_err(|_| t(lang, "surveys.error_closes").to_string())?;
    if !form.margin_e.trim().is_empty() {
        fields.margin_e = parse_decimal(&form.margin_e)
            .ok_or_else(|| t(lang, "surveys.error_margin").to_string())?;
    }
    Ok(fields)
}

pub async fn create_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<WaveForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let lang = context.lang;
    let problem = match wave_fields(lang, &form) {
        Ok(fields) => match surveys::create_wave(&state.db, &principal.actor(), &fields).await {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/khao-sat/dot/{id}?msg=common.created")).into_response(),
                );
            }
            Err(e) => as_problem(e, lang)?,
        },
        Err(p) => p,
    };
    let page = Page::new(&context, "surveys.title");
    let mut body = index_page(&state, &principal, page, Some(problem), form)
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

// ── A wave (/khao-sat/dot/{wave}) ──────────────────────────────────────────────────────────

pub struct UnitLine {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub transactions: String,
    pub target: String,
    pub responses: String,
    pub flagged: u64,
    pub below: bool,
    pub slug: String,
}

pub struct ImportLine {
    pub file_name: String,
    pub state: String,
    pub rows: String,
    pub accepted: String,
    pub rejected: String,
    pub at: String,
    pub by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/wave.html")]
pub struct WavePage {
    page: Page,
    can_manage: bool,
    wave: WaveRow,
    state_label: &'static str,
    period: String,
    margin: String,
    campaign: Option<CampaignRow>,
    units: Vec<UnitLine>,
    total_responses: String,
    imports: Vec<ImportLine>,
    error: Option<String>,
    units_text: String,
}

async fn wave_page(
    state: &AppState,
    principal: &Principal,
    page: Page,
    wave_id: i64,
    error: Option<String>,
    units_text: String,
) -> AppResult<WavePage> {
    let lang = page.lang;
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let campaign = match wave.campaign_id {
        Some(c) => Some(campaigns::get(&state.db, c).await?),
        None => None,
    };
    let scope = SurveyScope::of(state, principal).await?;
    let mut rows = surveys::wave_units(&state.db, wave_id).await?;
    if !scope.everything() {
        rows.retain(|u| scope.sees(u.unit_id));
        if rows.is_empty() {
            return Err(AppError::Forbidden);
        }
    }
    let total: i64 = rows.iter().map(|u| u.responses).sum();
    let units = rows.iter().map(|u| unit_line(lang, u)).collect();
    let can_manage = principal.can(Permission::ManageCampaigns);
    // Who imported which file is the secretariat's record.
    let imports = if can_manage {
        surveys::imports(&state.db, wave_id).await?
    } else {
        Vec::new()
    };
    let imports = imports
        .into_iter()
        .map(|i| ImportLine {
            file_name: i.file_name,
            state: match i.state.as_str() {
                "done" | "failed" | "running" => {
                    t(lang, &format!("surveys.import_state_{}", i.state)).to_string()
                }
                _ => i.state,
            },
            rows: integer(lang, i.rows_read.max(0) as u64),
            accepted: integer(lang, i.accepted.max(0) as u64),
            rejected: integer(lang, i.rejected.max(0) as u64),
            at: i18n::date_time(i.started_at),
            by: i.by_name,
        })
        .collect();
    Ok(WavePage {
        can_manage,
        state_label: wave_state_label(lang, &wave.state),
        period: period_label(&wave),
        margin: i18n::number(lang, wave.margin_e, 2),
        campaign,
        units,
        total_responses: integer(lang, total.max(0) as u64),
        imports,
        error,
        units_text,
        wave,
        page,
    })
}

fn unit_line(lang: Lang, u: &WaveUnitRow) -> UnitLine {
    UnitLine {
        unit_id: u.unit_id,
        code: u.unit_code.clone(),
        name: u.unit_name.clone(),
        transactions: u
            .transactions
            .map(|n| integer(lang, n.max(0) as u64))
            .unwrap_or_else(|| "—".into()),
        target: u
            .target_sample
            .map(|n| integer(lang, n.max(0) as u64))
            .unwrap_or_else(|| "—".into()),
        responses: integer(lang, u.responses.max(0) as u64),
        flagged: u.flagged.max(0) as u64,
        below: u.below_target(),
        slug: u.slug.clone(),
    }
}

pub async fn show_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
) -> AppResult<WavePage> {
    principal.require(Permission::ViewSetup)?;
    let wave_id = ids.get()?;
    let page = Page::new(&context, "surveys.wave_title");
    wave_page(&state, &principal, page, wave_id, None, String::new()).await
}

async fn wave_problem(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    wave_id: i64,
    problem: String,
    units_text: String,
) -> AppResult<Response> {
    let page = Page::new(context, "surveys.wave_title");
    let mut body = wave_page(state, principal, page, wave_id, Some(problem), units_text)
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

#[derive(Deserialize)]
pub struct UnitsForm {
    #[serde(default)]
    lines: String,
}

/// Adds units (or changes their transactions N) from lines `code;N` (N may be left out, and a
/// comma, tab or space separates as well). Every line is checked before anything is stored.
pub async fn set_units(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Form(form): Form<UnitsForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let wave_id = ids.get()?;
    let lang = context.lang;
    surveys::get_wave(&state.db, wave_id).await?;
    let today = chrono::Utc::now().date_naive();
    let all = units::list(&state.db).await?;
    let mut chosen = Vec::new();
    let mut problems = Vec::new();
    for (number, line) in form.lines.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line
            .split([';', ',', '\t', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let code = parts.next().unwrap_or("");
        let n = parts.next();
        let Some(unit) = all
            .iter()
            .find(|u| u.code == code && u.is_current_on(today))
        else {
            problems.push(format!(
                "{} {}: {} {code}",
                t(lang, "surveys.line"),
                number + 1,
                t(lang, "surveys.error_unknown_unit")
            ));
            continue;
        };
        let transactions = match n {
            None => None,
            Some(text) => match text.replace(['.', '\u{a0}'], "").parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    problems.push(format!(
                        "{} {}: {} '{text}'",
                        t(lang, "surveys.line"),
                        number + 1,
                        t(lang, "surveys.error_transactions")
                    ));
                    continue;
                }
            },
        };
        chosen.push((unit.id, transactions));
    }
    if chosen.is_empty() && problems.is_empty() {
        problems.push(t(lang, "surveys.error_no_units").to_string());
    }
    if !problems.is_empty() {
        return wave_problem(
            &state,
            &principal,
            &context,
            wave_id,
            problems.join("; "),
            form.lines,
        )
        .await;
    }
    match surveys::set_units(&state.db, &principal.actor(), wave_id, &chosen).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/khao-sat/dot/{wave_id}?msg=common.saved")).into_response())
        }
        Err(e) => {
            let problem = as_problem(e, lang)?;
            wave_problem(&state, &principal, &context, wave_id, problem, form.lines).await
        }
    }
}

pub async fn remove_unit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (wave_id, unit_id) = ids.get()?;
    match surveys::remove_unit(&state.db, &principal.actor(), wave_id, unit_id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/khao-sat/dot/{wave_id}?msg=common.saved")).into_response())
        }
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            wave_problem(
                &state,
                &principal,
                &context,
                wave_id,
                problem,
                String::new(),
            )
            .await
        }
    }
}

async fn transition(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    ids: PathId,
    open: bool,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let wave_id = ids.get()?;
    let actor = principal.actor();
    let outcome = if open {
        surveys::open_wave(&state.db, &actor, wave_id).await
    } else {
        surveys::close_wave(&state.db, &actor, wave_id).await
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}?msg=surveys.{}",
            if open { "opened" } else { "closed" }
        ))
        .into_response()),
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            wave_problem(state, principal, context, wave_id, problem, String::new()).await
        }
    }
}

pub async fn open_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
) -> AppResult<Response> {
    transition(&state, &principal, &context, ids, true).await
}

pub async fn close_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
) -> AppResult<Response> {
    transition(&state, &principal, &context, ids, false).await
}

// ── A unit of a wave: short link, tokens, devices ──────────────────────────────────────────

/// A service of the unit: its link and QR code, N and target, and its figures.
pub struct ServiceView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub transactions: String,
    /// The declared N as typed in the form (blank when none).
    pub transactions_raw: String,
    pub target: String,
    pub responses: String,
    pub below: bool,
    pub index: String,
    pub ci: String,
    pub link: String,
    pub qr: String,
}

pub struct DeviceView {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub wave: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/unit.html")]
pub struct UnitPage {
    page: Page,
    can_manage: bool,
    wave: WaveRow,
    unit: UnitLine,
    short_link: String,
    short_qr: String,
    issued: String,
    used: String,
    services: Vec<ServiceView>,
    devices: Vec<DeviceView>,
    error: Option<String>,
}

async fn wave_unit(
    state: &AppState,
    wave_id: i64,
    unit_id: i64,
) -> AppResult<(WaveRow, WaveUnitRow)> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let unit = surveys::wave_units(&state.db, wave_id)
        .await?
        .into_iter()
        .find(|u| u.unit_id == unit_id)
        .ok_or(AppError::NotFound)?;
    Ok((wave, unit))
}

async fn unit_page(
    state: &AppState,
    principal: &Principal,
    page: Page,
    wave_id: i64,
    unit_id: i64,
    error: Option<String>,
) -> AppResult<UnitPage> {
    let lang = page.lang;
    let (wave, unit) = wave_unit(state, wave_id, unit_id).await?;
    let short_link = format!("{}/ks/{}", state.config.public_base(), unit.slug);
    let (issued, used) = surveys::token_counts(&state.db, wave_id, unit_id).await?;
    let mut services = Vec::new();
    for service in survey_services::services(&state.db, wave_id, Some(unit_id)).await? {
        let result =
            surveys::result_of_slice(&state.db, wave_id, &[unit_id], &Slice::service(service.id))
                .await?;
        let link = format!("{short_link}?dv={}", service.code);
        services.push(ServiceView {
            id: service.id,
            transactions: service
                .transactions
                .map(|n| integer(lang, n.max(0) as u64))
                .unwrap_or_else(|| "—".into()),
            transactions_raw: service
                .transactions
                .map(|n| n.to_string())
                .unwrap_or_default(),
            target: service
                .target_sample
                .map(|n| integer(lang, n.max(0) as u64))
                .unwrap_or_else(|| "—".into()),
            responses: integer(lang, service.responses.max(0) as u64),
            below: service.below_target(),
            index: pct(lang, result.index),
            ci: ci_text(lang, result.ci95),
            qr: qr_svg(&link),
            link,
            code: service.code,
            name: service.name,
        });
    }
    let devices = surveys::devices(&state.db, unit_id)
        .await?
        .into_iter()
        .map(|d: DeviceRow| DeviceView {
            id: d.id,
            name: d.name,
            active: d.active,
            wave: d
                .wave_id
                .map(|w| format!("#{w}"))
                .unwrap_or_else(|| t(lang, "surveys.device_any_wave").to_string()),
            created: i18n::date_time(d.created_at),
            last_used: d
                .last_used_at
                .map(i18n::date_time)
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    Ok(UnitPage {
        can_manage: principal.can(Permission::ManageCampaigns),
        short_qr: qr_svg(&short_link),
        short_link,
        issued: integer(lang, issued.max(0) as u64),
        used: integer(lang, used.max(0) as u64),
        services,
        devices,
        unit: unit_line(lang, &unit),
        wave,
        error,
        page,
    })
}

pub async fn show_unit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<UnitPage> {
    principal.require(Permission::ViewSetup)?;
    let (wave_id, unit_id) = ids.get()?;
    SurveyScope::of(&state, &principal)
        .await?
        .require(unit_id)?;
    let page = Page::new(&context, "surveys.unit_title");
    unit_page(&state, &principal, page, wave_id, unit_id, None).await
}

/// The unit's page again with a refused entry's problem named, as 422.
async fn unit_refusal(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    wave_id: i64,
    unit_id: i64,
    problem: String,
) -> AppResult<Response> {
    let page = Page::new(context, "surveys.unit_title");
    let mut body = unit_page(state, principal, page, wave_id, unit_id, Some(problem))
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

/// Most tokens issued at once: a printed batch, not a database fill.
const MAX_TOKENS: usize = 2_000;

#[derive(Deserialize)]
pub struct TokensForm {
    #[serde(default)]
    count: String,
    /// A service of the unit (its id), or blank for the unit as a whole.
    #[serde(default)]
    service_id: String,
    /// `print` (QR page) or `csv`.
    #[serde(default)]
    format: String,
}

pub struct TokenCard {
    pub link: String,
    pub qr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/tokens.html")]
pub struct TokensPage {
    page: Page,
    wave: WaveRow,
    unit: UnitLine,
    cards: Vec<TokenCard>,
    csv_data_uri: String,
}

fn tokens_csv(unit_code: &str, links: &[(String, String)]) -> AppResult<Vec<u8>> {
    let mut writer = CsvWriter::new("\u{feff}".as_bytes().to_vec(), LineEnd::CrLf);
    writer
        .row(["unit_code", "token", "link"])
        .map_err(anyhow::Error::from)?;
    for (token, link) in links {
        writer
            .row([unit_code, token, link])
            .map_err(anyhow::Error::from)?;
    }
    Ok(writer.into_inner().map_err(anyhow::Error::from)?)
}

/// Issues one-time tokens: shown once (only their hashes are stored) as a printable page of QR
/// codes with the link under each, or as a CSV of the links.
pub async fn issue_tokens(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Form(form): Form<TokensForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (wave_id, unit_id) = ids.get()?;
    let lang = context.lang;
    let (wave, unit) = wave_unit(&state, wave_id, unit_id).await?;
    let count = match form.count.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_TOKENS).contains(&n) => n,
        _ => {
            let problem = format!(
                "{} (1–{})",
                t(lang, "surveys.error_token_count"),
                integer(lang, MAX_TOKENS as u64)
            );
            return unit_refusal(&state, &principal, &context, wave_id, unit_id, problem).await;
        }
    };
    let service_id = match form.service_id.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    let tokens = surveys::issue_service_tokens(
        &state.db,
        &principal.actor(),
        wave_id,
        unit_id,
        service_id,
        count,
    )
    .await?;
    let base = state.config.public_base();
    let links: Vec<(String, String)> = tokens
        .into_iter()
        .map(|token| {
            let link = format!("{base}/ks/t/{token}");
            (token, link)
        })
        .collect();
    let csv = tokens_csv(&unit.unit_code, &links)?;
    if form.format == "csv" {
        let name = format!("ma-khao-sat-dot-{wave_id}-{}.csv", unit.unit_code);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            csv,
        )
            .into_response());
    }
    let page = TokensPage {
        page: Page::new(&context, "surveys.tokens_title"),
        csv_data_uri: format!(
            "data:text/csv;charset=utf-8;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&csv)
        ),
        cards: links
            .into_iter()
            .map(|(_, link)| TokenCard {
                qr: qr_svg(&link),
                link,
            })
            .collect(),
        unit: unit_line(lang, &unit),
        wave,
    };
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("a header value"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct DeviceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    this_wave: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/device.html")]
pub struct DeviceKeyPage {
    page: Page,
    wave: WaveRow,
    unit: UnitLine,
    name: String,
    key: String,
}

/// Creates a kiosk's device key, shown once.
#[derive(Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    transactions: String,
}

/// Adds a service to the unit (or changes the name and N of the one with that code); a
/// refused entry comes back on the unit's page with the problem named (422).
pub async fn set_service(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Form(form): Form<ServiceForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (wave_id, unit_id) = ids.get()?;
    let lang = context.lang;
    wave_unit(&state, wave_id, unit_id).await?;
    let refused =
        |problem: String| unit_refusal(&state, &principal, &context, wave_id, unit_id, problem);
    let transactions = match form.transactions.trim().replace(['.', ' '], "") {
        text if text.is_empty() => None,
        text => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return refused(format!(
                    "{} {}",
                    t(lang, "surveys.error_transactions"),
                    form.transactions.trim()
                ))
                .await;
            }
        },
    };
    let fields = ServiceFields {
        code: form.code,
        name: form.name,
        transactions,
    };
    match survey_services::set_service(&state.db, &principal.actor(), wave_id, unit_id, &fields)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/don-vi/{unit_id}?msg=surveys.service_saved#services"
        ))
        .into_response()),
        Err(error) => refused(as_problem(error, lang)?).await,
    }
}

/// Removes a service that no response or token names yet.
pub async fn remove_service(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64, i64)>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (wave_id, unit_id, service_id) = ids.get()?;
    let service = survey_services::get_service(&state.db, service_id).await?;
    if service.wave_id != wave_id || service.unit_id != unit_id {
        return Err(AppError::NotFound);
    }
    match survey_services::remove_service(&state.db, &principal.actor(), service_id).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/don-vi/{unit_id}?msg=surveys.service_removed#services"
        ))
        .into_response()),
        Err(error) => {
            let problem = as_problem(error, context.lang)?;
            unit_refusal(&state, &principal, &context, wave_id, unit_id, problem).await
        }
    }
}

pub async fn create_device(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Form(form): Form<DeviceForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (wave_id, unit_id) = ids.get()?;
    let lang = context.lang;
    let (wave, unit) = wave_unit(&state, wave_id, unit_id).await?;
    let name = form.name.trim().to_string();
    if name.is_empty() {
        let problem = t(lang, "surveys.error_device_name").to_string();
        return unit_refusal(&state, &principal, &context, wave_id, unit_id, problem).await;
    }
    let bound = form.this_wave.is_some().then_some(wave_id);
    let (_, key) =
        surveys::create_device(&state.db, &principal.actor(), unit_id, bound, &name).await?;
    let mut response = DeviceKeyPage {
        page: Page::new(&context, "surveys.device_title"),
        unit: unit_line(lang, &unit),
        wave,
        name,
        key,
    }
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("a header value"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_device_active(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    ids: PathId<(i64, i64, i64)>,
    Form(form): Form<ActiveForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (wave_id, unit_id, device_id) = ids.get()?;
    // The device must belong to the unit in the path.
    if !surveys::devices(&state.db, unit_id)
        .await?
        .iter()
        .any(|d| d.id == device_id)
    {
        return Err(AppError::NotFound);
    }
    let active = form.active == "1";
    surveys::set_device_active(&state.db, &principal.actor(), device_id, active).await?;
    Ok(Redirect::to(&format!(
        "/khao-sat/dot/{wave_id}/don-vi/{unit_id}?msg=surveys.device_{}",
        if active { "activated" } else { "deactivated" }
    ))
    .into_response())
}

// ── Paper entry (/khao-sat/dot/{wave}/phieu-giay) ──────────────────────────────────────────

pub struct ChoiceView {
    pub value: usize,
    pub label: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub name: String,
    pub code: String,
    pub title: String,
    pub choices: Vec<ChoiceView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/paper.html")]
pub struct PaperPage {
    page: Page,
    wave: WaveRow,
    units: Vec<(i64, String, bool)>,
    items: Vec<QuestionView>,
    demographics: Vec<QuestionView>,
    expectations: Option<(String, usize, Vec<ChoiceView>)>,
    comment: Option<String>,
    comment_value: String,
    respondent_id: String,
    /// The service code typed, and the wave's service codes with their unit and name.
    service: String,
    service_options: Vec<(String, String)>,
    error: Option<String>,
}

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn paper_page(
    state: &AppState,
    context: &crate::auth::Context,
    wave_id: i64,
    fields: &Fields,
    error: Option<String>,
) -> AppResult<PaperPage> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let questionnaire = surveys::get_questionnaire(&state.db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    let chosen_unit = field(fields, "unit_id").unwrap_or("");
    let wave_units = surveys::wave_units(&state.db, wave_id).await?;
    let mut service_options: Vec<(String, String)> = Vec::new();
    for s in survey_services::services(&state.db, wave_id, None).await? {
        let unit = wave_units
            .iter()
            .find(|u| u.unit_id == s.unit_id)
            .map(|u| u.unit_code.as_str())
            .unwrap_or_default();
        if !service_options.iter().any(|(code, _)| *code == s.code) {
            service_options.push((s.code.clone(), format!("{unit} · {}", s.name)));
        }
    }
    let units = wave_units
        .into_iter()
        .map(|u| {
            let selected = u.unit_id.to_string() == chosen_unit;
            (
                u.unit_id,
                format!("{} — {}", u.unit_code, u.unit_name),
                selected,
            )
        })
        .collect();
    let items = questionnaire
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let name = format!("a{i}");
            let current = field(fields, &name).unwrap_or("");
            QuestionView {
                code: item.code.clone(),
                title: item.title.clone(),
                choices: questionnaire
                    .scale
                    .answers
                    .iter()
                    .enumerate()
                    .map(|(v, a)| ChoiceView {
                        value: v + 1,
                        label: format!("{} {}", a.code, a.label),
                        checked: current == (v + 1).to_string(),
                    })
                    .collect(),
                name,
            }
        })
        .collect();
    let demographics = questionnaire
        .demographics
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let name = format!("d{i}");
            let current = field(fields, &name).unwrap_or("");
            QuestionView {
                code: q.code.clone(),
                title: q.title.clone(),
                choices: q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(v, o)| ChoiceView {
                        value: v + 1,
                        label: o.label.clone(),
                        checked: current == (v + 1).to_string(),
                    })
                    .collect(),
                name,
            }
        })
        .collect();
    let expectations = questionnaire.expectations.as_ref().map(|e| {
        (
            e.question.title.clone(),
            e.max_choices,
            e.question
                .options
                .iter()
                .enumerate()
                .map(|(v, o)| ChoiceView {
                    value: v + 1,
                    label: o.label.clone(),
                    checked: fields
                        .iter()
                        .any(|(k, x)| k == "e" && *x == (v + 1).to_string()),
                })
                .collect(),
        )
    });
    Ok(PaperPage {
        page: Page::new(context, "surveys.paper_title"),
        units,
        items,
        demographics,
        expectations,
        comment: questionnaire.comment.as_ref().map(|c| c.title.clone()),
        comment_value: field(fields, "comment").unwrap_or("").to_string(),
        respondent_id: field(fields, "respondent_id").unwrap_or("").to_string(),
        service: field(fields, "service").unwrap_or("").to_string(),
        service_options,
        error,
        wave,
    })
}

pub async fn paper_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Query(query): Query<Fields>,
) -> AppResult<PaperPage> {
    principal.require(Permission::ManageCampaigns)?;
    let wave_id = ids.get()?;
    // After a save the unit stays chosen for the next form of the pile.
    let fields: Fields = query.into_iter().filter(|(k, _)| k == "unit_id").collect();
    paper_page(&state, &context, wave_id, &fields, None).await
}

/// Stores one typed paper form (channel `paper`) through the same checks as the public form.
pub async fn paper_submit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let wave_id = ids.get()?;
    let lang = context.lang;
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let questionnaire = surveys::get_questionnaire(&state.db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    let refuse = |problem: String| async {
        let mut body = paper_page(&state, &context, wave_id, &fields, Some(problem))
            .await?
            .into_response();
        *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        AppResult::Ok(body)
    };
    let Some(unit_id) = field(&fields, "unit_id").and_then(|u| u.parse::<i64>().ok()) else {
        return refuse(t(lang, "surveys.error_paper_unit").to_string()).await;
    };
    let scale = questionnaire.scale.answers.len();
    let value_of = |name: &str, values: usize| -> Result<u8, ()> {
        match field(&fields, name).map(str::trim).unwrap_or("") {
            "" => Ok(0),
            text => match text.parse::<usize>() {
                Ok(v) if (1..=values).contains(&v) => Ok(v as u8),
                _ => Err(()),
            },
        }
    };
    let mut answers = Vec::with_capacity(questionnaire.items.len());
    for (i, item) in questionnaire.items.iter().enumerate() {
        match value_of(&format!("a{i}"), scale) {
            Ok(v) => answers.push(v),
            Err(()) => {
                return refuse(format!(
                    "{}: {}",
                    item.code,
                    t(lang, "surveys.error_answer")
                ))
                .await;
            }
        }
    }
    if answers.iter().all(|&a| a == 0) {
        return refuse(t(lang, "surveys.error_paper_blank").to_string()).await;
    }
    let mut response = surveys::Response::new("paper", answers);
    for (i, q) in questionnaire.demographics.iter().enumerate() {
        match value_of(&format!("d{i}"), q.options.len()) {
            Ok(v) => response.demographics.push(v),
            Err(()) => {
                return refuse(format!("{}: {}", q.code, t(lang, "surveys.error_answer"))).await;
            }
        }
    }
    if response.demographics.iter().all(|&d| d == 0) {
        response.demographics.clear();
    }
    if let Some(e) = &questionnaire.expectations {
        let mut chosen: Vec<u8> = fields
            .iter()
            .filter(|(k, _)| k == "e")
            .filter_map(|(_, v)| v.parse::<usize>().ok())
            .filter(|v| (1..=e.question.options.len()).contains(v))
            .map(|v| v as u8)
            .collect();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.len() > e.max_choices {
            return refuse(format!(
                "{}: {} {}",
                e.question.code,
                t(lang, "surveys.error_too_many_areas"),
                e.max_choices
            ))
            .await;
        }
        response.expectations = chosen;
    }
    response.comment = field(&fields, "comment")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let respondent = field(&fields, "respondent_id")
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(code) = field(&fields, "service")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match survey_services::find_service(&state.db, wave_id, unit_id, code).await? {
            Some(service) => response.service_id = Some(service.id),
            None => {
                return refuse(format!(
                    "{} ({code})",
                    refusal_text(lang, &Refusal::UnknownService)
                ))
                .await;
            }
        }
    }
    match state
        .submissions
        .submit(
            wave_id,
            unit_id,
            &response,
            Identity::Respondent(respondent),
        )
        .await?
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/phieu-giay?msg=surveys.paper_saved&unit_id={unit_id}"
        ))
        .into_response()),
        Err(refusal) => refuse(refusal_text(lang, &refusal)).await,
    }
}

// ── Bulk import with progress ──────────────────────────────────────────────────────────────

/// An import running (or finished) in the background, polled by its page.
struct Job {
    wave_id: i64,
    user_id: i64,
    file_name: String,
    done: u64,
    total: Option<u64>,
    outcome: Option<Result<ImportReport, String>>,
    started: Instant,
}

/// Finished jobs are kept this long for their result page.
const JOB_TTL: Duration = Duration::from_secs(3600);

fn jobs() -> &'static Mutex<HashMap<String, Job>> {
    static JOBS: OnceLock<Mutex<HashMap<String, Job>>> = OnceLock::new();
    JOBS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn with_job<T>(id: &str, f: impl FnOnce(&mut Job) -> T) -> Option<T> {
    let mut jobs = jobs().lock().unwrap_or_else(|p| p.into_inner());
    jobs.get_mut(id).map(f)
}

/// The first sheet of an .xlsx as CSV text, so that one row reader serves both formats. The
/// shared bounded reader streams the rows. A row the sheet leaves blank becomes an empty line,
/// so that rows keep their numbers (counted from the header); cells go through the project's
/// CSV writer, whose `'` before a formula the row reader takes off again: every cell arrives
/// as typed.
fn xlsx_to_csv(bytes: &[u8]) -> Result<Vec<u8>, SheetError> {
    let mut writer = CsvWriter::new(Vec::new(), LineEnd::Lf);
    let mut first: Option<u64> = None;
    let mut last = 0u64;
    let failed = |e: csv::Error| SheetError::Unreadable {
        detail: e.to_string(),
    };
    read_xlsx_rows(bytes, |number, cells| {
        let first = *first.get_or_insert(number);
        for _ in last + 1..number.max(first) {
            writer.row([""]).map_err(failed)?;
        }
        last = number;
        writer.row(cells).map_err(failed)
    })
    .map_err(|e| match e {
        RowsError::Sheet(e) | RowsError::Row(e) => e,
    })?;
    writer.into_inner().map_err(|e| SheetError::Unreadable {
        detail: e.to_string(),
    })
}

/// An upload made ready for the import job, off the async workers (parsing is CPU work of up
/// to seconds on a large file): an .xlsx turned into CSV, the header checked against the
/// questionnaire, the data lines counted for the progress bar. A problem comes back in the
/// user's language, naming the file.
async fn prepare_import(
    lang: Lang,
    name: String,
    is_xlsx: bool,
    bytes: Vec<u8>,
    questionnaire: Questionnaire,
) -> AppResult<Result<(Questionnaire, Vec<u8>, u64), String>> {
    let prepared = tokio::task::spawn_blocking(move || {
        let csv_bytes = if is_xlsx {
            xlsx_to_csv(&bytes)
                .map_err(|e| format!("{name}: {}", i18n::sheet_error_with_row(lang, &e)))?
        } else {
            bytes
        };
        if let Some(refusal) = cells::control_in_file(lang, &name, &csv_bytes) {
            return Err(refusal);
        }
        if let Err(e) = CsvRows::new(&questionnaire, Cursor::new(&csv_bytes[..])) {
            let text = match &e.cause {
                Some(cause) => i18n::sheet_error_with_row(lang, cause),
                None => message(lang, &e.message),
            };
            return Err(format!("{name}: {text}"));
        }
        // Data rows, for the progress bar: lines after the header (blank ones are not rows, so
        // the bar may end a little early; it is set to 100 % when the import ends).
        let lines = csv_bytes
            .split(|&b| b == b'\n')
            .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
            .count();
        Ok((questionnaire, csv_bytes, lines.saturating_sub(1) as u64))
    })
    .await
    .map_err(anyhow::Error::from)?;
    Ok(prepared)
}

/// Starts an import of responses.csv / .xlsx in the background and sends the browser to its
/// progress page. The header is checked first, so a wrong file is answered at once.
pub async fn start_import(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    upload: Upload<ResponsesImportForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let wave_id = ids.get()?;
    let lang = context.lang;
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let limit = upload.file_limit();
    let problem = |key: &str| t(lang, key).to_string();
    let refused = match upload.read().await {
        Ok(received) => match (received.has("skip_bad_rows"), received.file) {
            (_, Some(file)) if file.size > limit => Err(problem("surveys.error_too_large")),
            (skip, Some(file)) if !file.bytes.is_empty() => Ok((skip, file)),
            _ => Err(problem("surveys.error_no_file")),
        },
        Err(UploadRefusal::TooLarge { .. }) => Err(problem("surveys.error_too_large")),
        Err(UploadRefusal::Invalid(refusal)) => Err(refusal.message().to_string()),
    };
    let (skip_bad_rows, ReceivedFile { name, bytes, .. }) = match refused {
        Ok(accepted) => accepted,
        Err(message) => {
            return wave_problem(
                &state,
                &principal,
                &context,
                wave_id,
                message,
                String::new(),
            )
            .await;
        }
    };
    let lower = name.to_lowercase();
    let is_xlsx = lower.ends_with(".xlsx");
    if !is_xlsx && !lower.ends_with(".csv") {
        return wave_problem(
            &state,
            &principal,
            &context,
            wave_id,
            problem("surveys.error_file_kind"),
            String::new(),
        )
        .await;
    }
    if wave.state() == WaveState::Draft {
        return wave_problem(
            &state,
            &principal,
            &context,
            wave_id,
            problem("surveys.error_import_draft"),
            String::new(),
        )
        .await;
    }
    let questionnaire = surveys::get_questionnaire(&state.db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    let (questionnaire, csv_bytes, total) =
        match prepare_import(lang, name.clone(), is_xlsx, bytes, questionnaire).await? {
            Ok(prepared) => prepared,
            Err(problem) => {
                return wave_problem(
                    &state,
                    &principal,
                    &context,
                    wave_id,
                    problem,
                    String::new(),
                )
                .await;
            }
        };
    let job_id = crate::auth::new_token()[..24].to_lowercase();
    {
        let mut all = jobs().lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|_, j| j.outcome.is_none() || j.started.elapsed() < JOB_TTL);
        all.insert(
            job_id.clone(),
            Job {
                wave_id,
                user_id: principal.user.id,
                file_name: name.clone(),
                done: 0,
                total: Some(total),
                outcome: None,
                started: Instant::now(),
            },
        );
    }
    let db = state.db.clone();
    let actor = principal.actor();
    let id = job_id.clone();
    tokio::spawn(async move {
        let mut options = ImportOptions::new(&name);
        options.skip_bad_rows = skip_bad_rows;
        options.total_rows = Some(total);
        let progress_id = id.clone();
        let mut progress = move |done: u64, total: Option<u64>| {
            with_job(&progress_id, |job| {
                job.done = done;
                if total.is_some() {
                    job.total = total;
                }
            });
        };
        let outcome = match CsvRows::new(&questionnaire, Cursor::new(csv_bytes)) {
            Ok(rows) => {
                surveys::import_responses(&db, &actor, wave_id, rows, &options, &mut progress)
                    .await
                    .map_err(|e| match AppError::from(e) {
                        AppError::BadRequest(m) | AppError::Conflict(m) => m,
                        other => {
                            tracing::error!(error = ?other, "survey import failed");
                            "the import failed".to_string()
                        }
                    })
            }
            Err(e) => Err(e.message),
        };
        with_job(&id, |job| job.outcome = Some(outcome));
    });
    Ok(Redirect::to(&format!("/khao-sat/nhap/{job_id}")).into_response())
}

pub struct RejectionLine {
    pub row: u64,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/import.html")]
pub struct ImportPage {
    page: Page,
    job_id: String,
    wave_id: i64,
    file_name: String,
    progress: ProgressView,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/progress.html")]
pub struct ProgressView {
    page: Page,
    job_id: String,
    wave_id: i64,
    percent: u64,
    done_text: String,
    finished: bool,
    failure: Option<String>,
    stored: bool,
    skip: bool,
    accepted: String,
    rejected: String,
    rows_read: String,
    rejections: Vec<RejectionLine>,
    more_rejections: String,
}

fn progress_view(page: Page, job_id: &str, job: &Job) -> ProgressView {
    let lang = page.lang;
    let total = job.total.unwrap_or(0);
    let mut percent = (job.done * 100).checked_div(total).unwrap_or(0).min(99);
    let mut view = ProgressView {
        job_id: job_id.to_string(),
        wave_id: job.wave_id,
        percent,
        done_text: format!("{} / {}", integer(lang, job.done), integer(lang, total)),
        finished: false,
        failure: None,
        stored: false,
        skip: false,
        accepted: String::new(),
        rejected: String::new(),
        rows_read: String::new(),
        rejections: Vec::new(),
        more_rejections: String::new(),
        page,
    };
    match &job.outcome {
        None => {}
        Some(Err(m)) => {
            view.finished = true;
            view.failure = Some(message(lang, m));
        }
        Some(Ok(report)) => {
            percent = 100;
            view.percent = percent;
            view.finished = true;
            view.stored = report.stored;
            view.skip = report.stored && report.rejected > 0;
            view.accepted = integer(lang, report.accepted);
            view.rejected = integer(lang, report.rejected);
            view.rows_read = integer(lang, report.rows_read);
            view.done_text = format!(
                "{} / {}",
                integer(lang, report.rows_read),
                integer(lang, report.rows_read)
            );
            view.rejections = report
                .rejections
                .iter()
                .map(|r| RejectionLine {
                    row: r.row,
                    reason: message(lang, &r.reason),
                })
                .collect();
            let more = report
                .rejected
                .saturating_sub(report.rejections.len() as u64);
            if more > 0 {
                view.more_rejections = integer(lang, more);
            }
        }
    }
    view
}

fn job_view(
    principal: &Principal,
    context: &crate::auth::Context,
    job_id: &str,
) -> AppResult<(ProgressView, String)> {
    let page = Page::new(context, "surveys.import_title");
    with_job(job_id, |job| {
        if job.user_id != principal.user.id && !principal.can(Permission::ManageUsers) {
            return Err(AppError::NotFound);
        }
        Ok((progress_view(page, job_id, job), job.file_name.clone()))
    })
    .ok_or(AppError::NotFound)?
}

pub async fn import_page(
    Auth(principal, context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<ImportPage> {
    principal.require(Permission::ManageCampaigns)?;
    let (progress, file_name) = job_view(&principal, &context, &job_id)?;
    Ok(ImportPage {
        page: Page::new(&context, "surveys.import_title"),
        wave_id: progress.wave_id,
        job_id,
        file_name,
        progress,
    })
}

/// The progress fragment the import page polls every second (htmx), the result once done.
pub async fn import_progress(
    Auth(principal, context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<ProgressView> {
    principal.require(Permission::ManageCampaigns)?;
    Ok(job_view(&principal, &context, &job_id)?.0)
}

// ── Results (/khao-sat/dot/{wave}/ket-qua) ─────────────────────────────────────────────────

pub struct FactorCell {
    pub code: String,
    pub title: String,
    pub index: String,
    pub ci: String,
}

pub struct ItemCell {
    pub code: String,
    pub title: String,
    pub answered: String,
    pub rate: String,
    pub se: String,
    pub points: String,
}

/// One result (a unit, a group, a channel, all) as the page shows it.
pub struct ResultView {
    pub key: String,
    pub label: String,
    pub unit_id: Option<i64>,
    pub responses: String,
    pub target: String,
    pub below: bool,
    pub flagged: u64,
    pub index: String,
    pub ci: String,
    pub par_points: String,
    pub overall: String,
    pub factors: Vec<FactorCell>,
    pub previous: String,
    pub vs_average: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/results.html")]
pub struct ResultsPage {
    page: Page,
    wave: WaveRow,
    questionnaire_title: String,
    factor_heads: Vec<(String, String)>,
    units: Vec<ResultView>,
    all: ResultView,
    average: String,
    groups: Vec<ResultView>,
    channels: Vec<ResultView>,
    services: Vec<ResultView>,
    selected: ResultView,
    items: Vec<ItemCell>,
    /// Whether any item is worth points (the leader survey), for the points column.
    item_points: bool,
    expectations: Vec<(String, String, String)>,
    factor_chart: Chart,
    ranking_chart: Chart,
    trend: Trend,
    previous_wave: Option<(i64, String)>,
    channel: String,
    channel_options: Vec<String>,
    unit_choices: Vec<(i64, String, bool)>,
    ticked_query: String,
    chart_width: f64,
    chart_height: f64,
}

/// The query of the results page: a channel, a unit to detail, a ticked set of units.
fn results_query(pairs: &[(String, String)]) -> (Option<String>, Option<i64>, Vec<i64>) {
    let channel = pairs
        .iter()
        .find(|(k, v)| k == "kenh" && !v.is_empty())
        .map(|(_, v)| v.clone());
    let unit = pairs
        .iter()
        .find(|(k, _)| k == "don_vi")
        .and_then(|(_, v)| v.parse().ok());
    let ticked = pairs
        .iter()
        .filter(|(k, _)| k == "chon")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    (channel, unit, ticked)
}

/// Everything the results page and its export compute, from the counters.
struct Computed {
    wave: WaveRow,
    questionnaire: Questionnaire,
    units: Vec<(WaveUnitRow, String, SurveyResult)>,
    all: SurveyResult,
    groups: Vec<(String, Vec<String>, SurveyResult)>,
    channels: Vec<(String, SurveyResult)>,
    /// Every service of the wave's units, with its unit's code (in the chosen channel).
    services: Vec<(survey_services::ServiceRow, String, SurveyResult)>,
    previous: Option<(WaveRow, HashMap<i64, SurveyResult>, SurveyResult)>,
    mean: Reference,
    trend: Vec<(String, Option<f64>)>,
}

fn merged(questionnaire: &Questionnaire, empty: &Counts, parts: &[&Counts]) -> SurveyResult {
    let mut total = empty.clone();
    for part in parts {
        total.merge(part);
    }
    index_from_counts(questionnaire, &total)
}

/// [`compute`] with what the principal may not see left out: before the wave's results are
/// published, a unit editor sees their own units' rows and services (and the aggregates),
/// and can tick only those into a group.
async fn compute_visible(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    wave_id: i64,
    channel: Option<&str>,
    mut ticked: Vec<i64>,
) -> AppResult<Computed> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let scope = SurveyScope::of(state, principal)
        .await?
        .for_results(state, &wave)
        .await?;
    ticked.retain(|id| scope.sees(*id));
    let mut computed = compute(state, lang, wave_id, channel, &ticked).await?;
    computed.units.retain(|(u, _, _)| scope.sees(u.unit_id));
    computed.services.retain(|(s, _, _)| scope.sees(s.unit_id));
    Ok(computed)
}

async fn compute(
    state: &AppState,
    lang: Lang,
    wave_id: i64,
    channel: Option<&str>,
    ticked: &[i64],
) -> AppResult<Computed> {
    let db = &state.db;
    let wave = surveys::get_wave(db, wave_id).await?;
    let row = surveys::get_questionnaire(db, wave.questionnaire_id).await?;
    let questionnaire = row.questionnaire()?;
    let shape = row.shape()?;
    let empty = shape.empty_counts();
    let wave_units = surveys::wave_units(db, wave_id).await?;
    let unit_ids: Vec<i64> = wave_units.iter().map(|u| u.unit_id).collect();
    let counts = if unit_ids.is_empty() {
        Vec::new()
    } else {
        surveys::counts(db, wave_id, &unit_ids, channel).await?
    };
    let by_unit: HashMap<i64, &Counts> = counts.iter().map(|c| (c.unit_id, &c.counts)).collect();
    let all_units = units::list(db).await?;
    let kind_of = |id: i64| {
        all_units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.kind.as_str().to_string())
            .unwrap_or_default()
    };
    let units: Vec<(WaveUnitRow, String, SurveyResult)> = wave_units
        .into_iter()
        .map(|u| {
            let result = match by_unit.get(&u.unit_id) {
                Some(c) => index_from_counts(&questionnaire, c),
                None => index_from_counts(&questionnaire, &empty),
            };
            let kind = kind_of(u.unit_id);
            (u, kind, result)
        })
        .collect();
    let all_parts: Vec<&Counts> = counts.iter().map(|c| &c.counts).collect();
    let all = merged(&questionnaire, &empty, &all_parts);
    // Groups: each kind of unit present (departments, communes…), then the ticked set.
    let mut groups = Vec::new();
    let mut kinds: Vec<String> = units.iter().map(|(_, k, _)| k.clone()).collect();
    kinds.sort();
    kinds.dedup();
    if kinds.len() > 1 {
        for kind in kinds {
            let members: Vec<&(WaveUnitRow, String, SurveyResult)> =
                units.iter().filter(|(_, k, _)| *k == kind).collect();
            let parts: Vec<&Counts> = members
                .iter()
                .filter_map(|(u, _, _)| by_unit.get(&u.unit_id).copied())
                .collect();
            groups.push((
                t(lang, &format!("common.kind_{kind}")).to_string(),
                members
                    .iter()
                    .map(|(u, _, _)| u.unit_code.clone())
                    .collect(),
                merged(&questionnaire, &empty, &parts),
            ));
        }
    }
    if !ticked.is_empty() {
        let members: Vec<&(WaveUnitRow, String, SurveyResult)> = units
            .iter()
            .filter(|(u, _, _)| ticked.contains(&u.unit_id))
            .collect();
        let parts: Vec<&Counts> = members
            .iter()
            .filter_map(|(u, _, _)| by_unit.get(&u.unit_id).copied())
            .collect();
        groups.push((
            t(lang, "surveys.ticked_group").to_string(),
            members
                .iter()
                .map(|(u, _, _)| u.unit_code.clone())
                .collect(),
            merged(&questionnaire, &empty, &parts),
        ));
    }
    let mut channels = Vec::new();
    if channel.is_none() {
        let names = surveys::channels(db, wave_id).await?;
        if names.len() > 1 {
            for name in names {
                channels.push((
                    name.clone(),
                    surveys::result(db, wave_id, &[], Some(&name)).await?,
                ));
            }
        }
    }
    let mut services = Vec::new();
    for service in survey_services::services(db, wave_id, None).await? {
        let Some(unit_code) = units
            .iter()
            .find(|(u, _, _)| u.unit_id == service.unit_id)
            .map(|(u, _, _)| u.unit_code.clone())
        else {
            continue;
        };
        let slice = Slice {
            channel,
            service_id: Some(service.id),
        };
        let result = surveys::result_of_slice(db, wave_id, &[service.unit_id], &slice).await?;
        services.push((service, unit_code, result));
    }
    // The previous wave of the same questionnaire (an earlier period), and the trend over all.
    let mut same: Vec<WaveRow> = surveys::list_waves(db)
        .await?
        .into_iter()
        .filter(|w| w.questionnaire_code == wave.questionnaire_code)
        .collect();
    let period = |w: &WaveRow| (w.period_year, w.period_quarter.unwrap_or(0), w.id);
    same.sort_by_key(period);
    let previous_row = same
        .iter()
        .rfind(|w| period(w) < period(&wave) && w.id != wave.id)
        .cloned();
    let previous = match previous_row {
        Some(prev) => {
            let prev_q = surveys::get_questionnaire(db, prev.questionnaire_id)
                .await?
                .questionnaire()?;
            let prev_counts = surveys::counts(db, prev.id, &unit_ids, channel).await?;
            let map: HashMap<i64, SurveyResult> = prev_counts
                .iter()
                .filter(|c| c.counts.responses.n > 0)
                .map(|c| (c.unit_id, index_from_counts(&prev_q, &c.counts)))
                .collect();
            let prev_all = surveys::result(db, prev.id, &[], channel).await?;
            Some((prev, map, prev_all))
        }
        None => None,
    };
    let mut trend = Vec::new();
    for w in &same {
        let value = if w.id == wave.id {
            all.index
        } else {
            surveys::result(db, w.id, &[], channel).await?.index
        };
        trend.push((format!("{} ({})", period_label(w), w.title), value));
    }
    let mean = average(
        units
            .iter()
            .filter(|(_, _, r)| r.responses > 0)
            .map(|(_, _, r)| r),
    );
    Ok(Computed {
        wave,
        questionnaire,
        units,
        all,
        groups,
        channels,
        services,
        previous,
        mean,
        trend,
    })
}

fn result_view(
    lang: Lang,
    key: String,
    label: String,
    result: &SurveyResult,
    previous: Option<&SurveyResult>,
    mean: Option<&Reference>,
) -> ResultView {
    ResultView {
        key,
        label,
        unit_id: None,
        responses: integer(lang, result.responses),
        target: "—".into(),
        below: false,
        flagged: 0,
        index: pct(lang, result.index),
        ci: ci_text(lang, result.ci95),
        par_points: pct(lang, result.par_points),
        overall: pct(lang, result.overall_satisfied_rate),
        factors: result
            .factors
            .iter()
            .map(|f| FactorCell {
                code: f.code.clone(),
                title: String::new(),
                index: pct(lang, f.index),
                ci: ci_text(lang, f.ci95),
            })
            .collect(),
        previous: previous
            .map(|p| change(lang, compare(result, &Reference::of(p), false).index_change))
            .unwrap_or_else(|| "—".into()),
        vs_average: mean
            .map(|m| change(lang, compare(result, m, false).index_change))
            .unwrap_or_else(|| "—".into()),
    }
}

pub async fn results(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<ResultsPage> {
    principal.require(Permission::ViewSetup)?;
    let wave_id = ids.get()?;
    let lang = context.lang;
    let (channel, detail, ticked) = results_query(&query);
    let c = compute_visible(
        &state,
        &principal,
        lang,
        wave_id,
        channel.as_deref(),
        ticked.clone(),
    )
    .await?;
    let prev_units = c.previous.as_ref().map(|p| &p.1);
    let units: Vec<ResultView> = c
        .units
        .iter()
        .map(|(u, _, r)| {
            let mut view = result_view(
                lang,
                u.unit_code.clone(),
                format!("{} — {}", u.unit_code, u.unit_name),
                r,
                prev_units.and_then(|m| m.get(&u.unit_id)),
                (r.responses > 0).then_some(&c.mean),
            );
            view.unit_id = Some(u.unit_id);
            view.target = u
                .target_sample
                .map(|n| integer(lang, n.max(0) as u64))
                .unwrap_or_else(|| "—".into());
            view.below = u.target_sample.is_some_and(|n| (r.responses as i64) < n);
            view.flagged = u.flagged.max(0) as u64;
            view
        })
        .collect();
    let all = result_view(
        lang,
        "all".into(),
        t(lang, "surveys.all_units").to_string(),
        &c.all,
        c.previous.as_ref().map(|p| &p.2),
        None,
    );
    let groups = c
        .groups
        .iter()
        .map(|(name, _, r)| result_view(lang, name.clone(), name.clone(), r, None, Some(&c.mean)))
        .collect();
    let channels = c
        .channels
        .iter()
        .map(|(name, r)| result_view(lang, name.clone(), name.clone(), r, None, None))
        .collect();
    let services = c
        .services
        .iter()
        .map(|(service, unit_code, r)| {
            result_view(
                lang,
                format!("{unit_code}/{}", service.code),
                format!("{unit_code} · {} — {}", service.code, service.name),
                r,
                None,
                None,
            )
        })
        .collect();
    // The detailed result: one unit when asked, else every unit.
    let (selected_result, selected_label) =
        match detail.and_then(|d| c.units.iter().find(|(u, _, _)| u.unit_id == d)) {
            Some((u, _, r)) => (r, format!("{} — {}", u.unit_code, u.unit_name)),
            None => (&c.all, t(lang, "surveys.all_units").to_string()),
        };
    let mut selected = result_view(
        lang,
        "selected".into(),
        selected_label,
        selected_result,
        None,
        None,
    );
    for (cell, factor) in selected.factors.iter_mut().zip(&c.questionnaire.factors) {
        cell.title = factor.title.clone();
    }
    let title_of = |code: &str| {
        c.questionnaire
            .item(code)
            .map(|i| c.questionnaire.items[i].title.clone())
            .unwrap_or_default()
    };
    let items = selected_result
        .items
        .iter()
        .chain(&selected_result.other_items)
        .map(|i| ItemCell {
            title: title_of(&i.code),
            code: i.code.clone(),
            answered: integer(lang, i.answered),
            rate: pct(lang, i.satisfied_rate),
            se: pct(lang, i.se),
            points: pct(lang, i.points),
        })
        .collect();
    // A questionnaire without the question (or a file without its columns) has no shares to rank.
    let expectations = selected_result
        .expectations
        .iter()
        .filter(|_| selected_result.expectations.iter().any(|e| e.count > 0))
        .map(|e| {
            (
                e.label.clone(),
                integer(lang, e.count),
                pct(lang, Some(e.share)),
            )
        })
        .collect();
    let factor_chart = Chart::horizontal(
        lang,
        selected_result
            .factors
            .iter()
            .zip(&c.questionnaire.factors)
            .filter_map(|(f, q)| {
                Some(BarInput {
                    label: format!("{} {}", f.code, q.title),
                    value: f.index?,
                    band: 0,
                    ci: f.ci95,
                })
            })
            .collect(),
        2,
    );
    let mut ranked: Vec<&(WaveUnitRow, String, SurveyResult)> = c
        .units
        .iter()
        .filter(|(_, _, r)| r.index.is_some())
        .collect();
    ranked.sort_by(|a, b| {
        b.2.index
            .partial_cmp(&a.2.index)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let ranking_chart = Chart::horizontal(
        lang,
        ranked
            .iter()
            .enumerate()
            .map(|(i, (u, _, r))| BarInput {
                label: format!("{}. {} — {}", i + 1, u.unit_code, u.unit_name),
                value: r.index.unwrap_or(0.0),
                band: if u.target_sample.is_some_and(|n| (r.responses as i64) < n) {
                    2
                } else {
                    0
                },
                ci: r.ci95,
            })
            .collect(),
        2,
    );
    let channel_options = surveys::channels(&state.db, wave_id).await?;
    let unit_choices = c
        .units
        .iter()
        .map(|(u, _, _)| {
            (
                u.unit_id,
                format!("{} — {}", u.unit_code, u.unit_name),
                ticked.contains(&u.unit_id),
            )
        })
        .collect();
    let mut ticked_query = String::new();
    if let Some(ch) = &channel {
        ticked_query.push_str(&format!("kenh={}&", crate::error::urlencode(ch)));
    }
    for id in &ticked {
        ticked_query.push_str(&format!("chon={id}&"));
    }
    Ok(ResultsPage {
        page: Page::new(&context, "surveys.results_title"),
        questionnaire_title: format!(
            "{} v{} — {}",
            c.questionnaire.id, c.questionnaire.version, c.questionnaire.title
        ),
        factor_heads: c
            .questionnaire
            .factors
            .iter()
            .map(|f| (f.code.clone(), f.title.clone()))
            .collect(),
        average: pct(lang, c.mean.index),
        trend: Trend::new(lang, &c.trend, 2),
        previous_wave: c
            .previous
            .as_ref()
            .map(|(w, _, _)| (w.id, format!("{} ({})", w.title, period_label(w)))),
        channel: channel.unwrap_or_default(),
        channel_options,
        unit_choices,
        ticked_query,
        chart_width: crate::charts::TREND_WIDTH,
        chart_height: crate::charts::TREND_HEIGHT,
        wave: c.wave,
        units,
        all,
        groups,
        channels,
        services,
        selected,
        item_points: selected_result
            .items
            .iter()
            .chain(&selected_result.other_items)
            .any(|i| i.points.is_some()),
        items,
        expectations,
        factor_chart,
        ranking_chart,
    })
}

/// The results as .xlsx, through the survey engine's report writer (the workbook of
/// `chiso survey index`).
pub async fn results_xlsx(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    principal.require(Permission::ViewSetup)?;
    let wave_id = ids.get()?;
    let lang = context.lang;
    let (channel, _, ticked) = results_query(&query);
    let c = compute_visible(
        &state,
        &principal,
        lang,
        wave_id,
        channel.as_deref(),
        ticked,
    )
    .await?;
    let prev_units = c.previous.as_ref().map(|p| &p.1);
    let accepted: u64 = c.all.responses;
    let report = Report {
        questionnaire: c.questionnaire.id.clone(),
        questionnaire_title: c.questionnaire.title.clone(),
        questionnaire_version: c.questionnaire.version,
        ci_method: chiso_survey::report::CI_METHOD,
        rows: accepted,
        accepted,
        units: c
            .units
            .iter()
            .map(|(u, _, r)| UnitReport {
                unit_code: u.unit_code.clone(),
                sample: u
                    .transactions
                    .map(|n| check_sample(n.max(0) as u64, c.wave.margin_e, r.responses)),
                previous: prev_units
                    .and_then(|m| m.get(&u.unit_id))
                    .map(|p| compare(r, &Reference::of(p), true)),
                vs_average: compare(r, &c.mean, false),
                result: r.clone(),
            })
            .collect(),
        all: ScopeReport {
            previous: c
                .previous
                .as_ref()
                .map(|p| compare(&c.all, &Reference::of(&p.2), true)),
            result: c.all.clone(),
        },
        average: AverageReport {
            units: c.units.iter().filter(|(_, _, r)| r.responses > 0).count(),
            index: c.mean.index,
            factors: c
                .mean
                .factors
                .iter()
                .map(|(code, index)| CodeValue {
                    code: code.clone(),
                    index: *index,
                })
                .collect(),
        },
        channels: c
            .channels
            .iter()
            .map(|(channel, r)| ChannelReport {
                channel: channel.clone(),
                result: r.clone(),
            })
            .collect(),
        unit_channels: Vec::new(),
        // Groups, then each service as a group of its one unit, named after the service.
        groups: c
            .groups
            .iter()
            .map(|(name, codes, r)| GroupReport {
                name: name.clone(),
                units: codes.clone(),
                result: r.clone(),
            })
            .chain(
                c.services
                    .iter()
                    .map(|(service, unit_code, r)| GroupReport {
                        name: format!(
                            "{}: {unit_code} · {} — {}",
                            t(lang, "surveys.by_service"),
                            service.code,
                            service.name
                        ),
                        units: vec![unit_code.clone()],
                        result: r.clone(),
                    }),
            )
            .collect(),
        rejected: Vec::new(),
        warnings: Vec::new(),
    };
    let body = report
        .to_xlsx(&c.questionnaire)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"khao-sat-dot-{wave_id}.xlsx\""),
            ),
        ],
        body,
    )
        .into_response())
}

// ── Survey leaves of a campaign (/khao-sat/chi-so-cchc/{campaign}) ─────────────────────────

pub struct LeafOption {
    pub node_id: i64,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/leaves.html")]
pub struct LeavesPage {
    page: Page,
    can_manage: bool,
    campaign: CampaignRow,
    maps: Vec<(LeafMapRow, String)>,
    leaves: Vec<LeafOption>,
    waves: Vec<WaveRow>,
    error: Option<String>,
    refreshed: Option<(String, String)>,
}

async fn leaves_view(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    campaign_id: i64,
    error: Option<String>,
) -> AppResult<LeavesPage> {
    let lang = context.lang;
    let campaign = campaigns::get(&state.db, campaign_id).await?;
    let waves = surveys::list_waves(&state.db).await?;
    let maps = surveys::leaf_maps(&state.db, campaign_id)
        .await?
        .into_iter()
        .map(|m| {
            let wave = waves
                .iter()
                .find(|w| w.id == m.wave_id)
                .map(|w| format!("{} ({})", w.title, period_label(w)))
                .unwrap_or_default();
            (m, wave)
        })
        .collect();
    let mut leaves = Vec::new();
    for group in campaigns::frameworks(&state.db, campaign_id).await? {
        let stored = frameworks::load(&state.db, group.framework_id).await?;
        for &leaf in stored.framework.leaves() {
            let node = stored.framework.node(leaf);
            if node.method == chiso_domain::Method::Survey
                && let Some(&id) = stored.node_ids.get(&node.code)
            {
                leaves.push(LeafOption {
                    node_id: id,
                    label: format!(
                        "{} {} — {} ({} {})",
                        group.framework_code,
                        node.code,
                        node.title,
                        i18n::points(lang, node.max_points.to_f64()),
                        t(lang, "surveys.points")
                    ),
                });
            }
        }
    }
    let refreshed = context.path.split_once("units=").and_then(|(_, rest)| {
        let units = rest.split('&').next()?.to_string();
        let changed = context
            .path
            .split_once("changed=")?
            .1
            .split('&')
            .next()?
            .to_string();
        Some((units, changed))
    });
    Ok(LeavesPage {
        page: Page::new(context, "surveys.leaves_title"),
        can_manage: principal.can(Permission::ManageCampaigns),
        campaign,
        maps,
        leaves,
        waves,
        error,
        refreshed,
    })
}

pub async fn leaves_page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
) -> AppResult<LeavesPage> {
    principal.require(Permission::ViewSetup)?;
    let campaign_id = ids.get()?;
    leaves_view(&state, &principal, &context, campaign_id, None).await
}

async fn leaves_outcome(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    campaign_id: i64,
    outcome: Result<String, chiso_store::StoreError>,
) -> AppResult<Response> {
    match outcome {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            let mut body = leaves_view(state, principal, context, campaign_id, Some(problem))
                .await?
                .into_response();
            *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(body)
        }
    }
}

#[derive(Deserialize)]
pub struct LeafMapForm {
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    wave_id: String,
    #[serde(default)]
    source: String,
}

pub async fn set_leaf_map(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Form(form): Form<LeafMapForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let campaign_id = ids.get()?;
    let lang = context.lang;
    let (Ok(node_id), Ok(wave_id)) = (form.node_id.parse::<i64>(), form.wave_id.parse::<i64>())
    else {
        let problem = t(lang, "surveys.error_leaf_map").to_string();
        let mut body = leaves_view(&state, &principal, &context, campaign_id, Some(problem))
            .await?
            .into_response();
        *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(body);
    };
    let source = if form.source.trim().is_empty() {
        "index"
    } else {
        form.source.trim()
    };
    let outcome = surveys::set_leaf_map(
        &state.db,
        &principal.actor(),
        campaign_id,
        node_id,
        wave_id,
        source,
    )
    .await
    .map(|()| format!("/khao-sat/chi-so-cchc/{campaign_id}?msg=common.saved"));
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

#[derive(Deserialize)]
pub struct WaveChoice {
    #[serde(default)]
    wave_id: String,
}

pub async fn map_from_questionnaire(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
    Form(form): Form<WaveChoice>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let campaign_id = ids.get()?;
    let outcome = match form.wave_id.parse::<i64>() {
        Ok(wave_id) => surveys::map_leaves_from_questionnaire(
            &state.db,
            &principal.actor(),
            campaign_id,
            wave_id,
        )
        .await
        .map(|_| format!("/khao-sat/chi-so-cchc/{campaign_id}?msg=common.saved")),
        Err(_) => Err(chiso_store::StoreError::Invalid(
            t(context.lang, "surveys.error_leaf_map").to_string(),
        )),
    };
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

pub async fn remove_leaf_map(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let (campaign_id, node_id) = ids.get()?;
    let outcome = surveys::remove_leaf_map(&state.db, &principal.actor(), campaign_id, node_id)
        .await
        .map(|()| format!("/khao-sat/chi-so-cchc/{campaign_id}?msg=common.saved"));
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

/// "Cập nhật điểm khảo sát": fills the campaign's survey leaves from the mapped waves (audited
/// by the store), refused without any mapping or once the campaign is past appraisal.
pub async fn refresh_leaves(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let campaign_id = ids.get()?;
    let lang = context.lang;
    campaigns::get(&state.db, campaign_id).await?;
    let outcome = if surveys::leaf_maps(&state.db, campaign_id).await?.is_empty() {
        Err(chiso_store::StoreError::Invalid(
            t(lang, "surveys.error_no_mapping").to_string(),
        ))
    } else {
        surveys::refresh_survey_leaves(&state.db, &principal.actor(), campaign_id)
            .await
            .map(|report| {
                format!(
                    "/khao-sat/chi-so-cchc/{campaign_id}?msg=surveys.refreshed&units={}&changed={}",
                    report.units, report.leaves_changed
                )
            })
    };
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_messages_are_translated_with_their_values() {
        assert_eq!(
            message(
                Lang::Vi,
                "respondent_id 7 repeated in unit 44 (first at row 3)"
            ),
            "respondent_id 7 bị lặp ở đơn vị 44 (lần đầu ở dòng 3)"
        );
        assert_eq!(
            message(Lang::Vi, "c05: value 9 is not 1-5 or blank"),
            "c05: giá trị 9 không hợp lệ (cần 1-5 or blank)"
        );
        assert_eq!(message(Lang::Vi, "empty unit_code"), "unit_code để trống");
        assert_eq!(message(Lang::En, "empty unit_code"), "empty unit_code");
    }
}
