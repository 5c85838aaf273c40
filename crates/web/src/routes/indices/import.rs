//! Importing published index results: the upload form, the preview of a held file, its
//! confirmation and its cancellation (docs/method.md §5.8). The secretariat's (and the
//! administrator's) only: `ManageIndices`, checked before anything is read.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::Permission;
use chiso_store::indices::ImportSource;

use crate::app::indices::agencies::item_label;
use crate::app::indices::import::{
    self as use_case, HeldPreview, ImportRefusal, Preview, UploadChoices, YearPreview, catalogue,
};
use crate::auth::{Auth, Context};
use crate::describe::Describe;
use crate::describe::indices::{figure, measure_words, place, skipped, warning};
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{UploadForm, UploadRefusal};
use crate::extract::{Path, State, cells};
use crate::forms::{Choice, parse_date};
use crate::i18n::{self, Lang};
use crate::routes::units::{UploadKind, upload_kind};
use crate::state::AppState;
use crate::views::Page;

/// Where the imports live.
pub const IMPORT: &str = "/chi-so-quoc-gia/nhap";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chi-so-quoc-gia/nhap", get(form).post(upload))
        .route("/chi-so-quoc-gia/nhap/{upload}", get(preview))
        .route("/chi-so-quoc-gia/nhap/{upload}/xac-nhan", post(confirm))
        .route("/chi-so-quoc-gia/nhap/{upload}/huy", post(cancel))
}

/// The upload form's text fields (the file is `file`).
pub struct IndicesImportForm;
impl UploadForm for IndicesImportForm {
    const FIELDS: &'static [&'static str] = &[
        "index",
        "year",
        "publisher",
        "document",
        "published_on",
        "url",
    ];
}

fn t(lang: Lang, key: &str) -> String {
    i18n::text(lang, &format!("indices_admin.{key}")).to_string()
}

/// An index by its name in the user's language ("Chỉ số hài lòng về sự phục vụ hành chính
/// (SIPAS)"); an index without one by the title of its newest structure.
pub fn index_name(lang: Lang, index: &str) -> String {
    let latest = catalogue()
        .structures()
        .iter()
        .filter(|s| s.index == index)
        .max_by_key(|s| s.years.from);
    super::shared::index_name(lang, index, latest)
}

/// The indices a file may be read as, each by its name, "recognise from the file" first.
pub fn index_choices(lang: Lang, selected: &str, with_auto: bool) -> Vec<Choice> {
    let mut choices = Vec::new();
    if with_auto {
        choices.push(Choice {
            value: String::new(),
            label: t(lang, "index_auto"),
            selected: selected.is_empty(),
        });
    }
    for index in catalogue().indices() {
        choices.push(Choice {
            value: index.id.to_string(),
            label: index_name(lang, index.id),
            selected: index.id == selected,
        });
    }
    choices
}

/// What the form had, sent back with its problems.
#[derive(Clone, Debug, Default)]
pub struct FormValues {
    pub index: String,
    pub year: String,
    pub publisher: String,
    pub document: String,
    pub published_on: String,
    pub url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/import.html")]
pub struct FormPage {
    page: Page,
    indices: Vec<Choice>,
    values: FormValues,
    problems: Vec<String>,
    file_name: String,
    max_megabytes: String,
}

fn form_page(
    state: &AppState,
    context: &Context,
    values: FormValues,
    problems: Vec<String>,
    file_name: String,
) -> FormPage {
    let lang = context.lang;
    let megabytes = state.config.max_upload_bytes as f64 / (1024.0 * 1024.0);
    FormPage {
        page: Page::new(context, "indices_admin.import_title"),
        indices: index_choices(lang, &values.index, true),
        values,
        problems,
        file_name,
        max_megabytes: i18n::number(lang, megabytes, 1),
    }
}

pub async fn form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<FormPage> {
    principal.require(Permission::ManageIndices)?;
    Ok(form_page(
        &state,
        &context,
        FormValues::default(),
        Vec::new(),
        String::new(),
    ))
}

/// The form's choices, or the problems of its fields.
fn choices(lang: Lang, values: &FormValues) -> Result<UploadChoices, Vec<String>> {
    let mut problems = Vec::new();
    let year = match values.year.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(year) if (1990..=2100).contains(&year) => Some(year),
            _ => {
                problems.push(t(lang, "error_year"));
                None
            }
        },
    };
    let published_on = parse_date(&values.published_on).unwrap_or_else(|_| {
        problems.push(t(lang, "error_date"));
        None
    });
    let url = values.url.trim();
    let web_address = url.starts_with("https://") || url.starts_with("http://");
    if !url.is_empty() && !web_address {
        problems.push(t(lang, "error_url"));
    }
    let optional = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(UploadChoices {
        index: optional(&values.index),
        year,
        source: ImportSource {
            publisher: optional(&values.publisher),
            document: optional(&values.document),
            published_on,
            url: optional(url),
        },
    })
}

/// Reads the upload, holds it and sends the browser to its preview; a file that cannot be
/// read comes back to the form with the problem named and nothing held.
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    upload: crate::extract::multipart::Upload<IndicesImportForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let lang = context.lang;
    let limit = upload.file_limit();
    let megabytes = i18n::number(lang, limit as f64 / (1024.0 * 1024.0), 1);
    let refuse = |values: FormValues, problem: String, file_name: String, status: StatusCode| {
        let page = form_page(&state, &context, values, vec![problem], file_name);
        Ok((status, page).into_response())
    };
    let received = match upload.read().await {
        Ok(received) => received,
        Err(UploadRefusal::TooLarge { file_name, .. }) => {
            let problem = i18n::fill(
                lang,
                "indices_admin.error_too_large",
                &[("max", &megabytes)],
            );
            return refuse(
                FormValues::default(),
                problem,
                file_name.unwrap_or_default(),
                StatusCode::PAYLOAD_TOO_LARGE,
            );
        }
        Err(UploadRefusal::Invalid(refusal)) => {
            let status = refusal.status();
            let message = refusal.message().to_string();
            return refuse(FormValues::default(), message, String::new(), status);
        }
    };
    let values = FormValues {
        index: received.get("index"),
        year: received.get("year"),
        publisher: received.get("publisher"),
        document: received.get("document"),
        published_on: received.get("published_on"),
        url: received.get("url"),
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(file) = received.file.filter(|f| !f.bytes.is_empty()) else {
        return refuse(
            values,
            t(lang, "error_no_file"),
            String::new(),
            unprocessable,
        );
    };
    let name = file
        .name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(&file.name)
        .to_string();
    if file.size > limit {
        let problem = i18n::fill(
            lang,
            "indices_admin.error_too_large",
            &[("max", &megabytes)],
        );
        return refuse(values, problem, name, StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Some(kind) = upload_kind(&name, &file.bytes) else {
        return refuse(values, t(lang, "error_file_type"), name, unprocessable);
    };
    if kind == UploadKind::Csv
        && let Some(problem) = cells::control_in_file(lang, &name, &file.bytes)
    {
        return refuse(values, problem, name, unprocessable);
    }
    let choices = match choices(lang, &values) {
        Ok(choices) => choices,
        Err(problems) => {
            let page = form_page(&state, &context, values, problems, name);
            return Ok((unprocessable, page).into_response());
        }
    };
    let now = state.clock.now();
    match use_case::hold(
        &state.db,
        principal.user.id,
        now,
        &name,
        file.bytes,
        choices,
    )
    .await?
    {
        Ok(id) => Ok(Redirect::to(&format!("{IMPORT}/{id}")).into_response()),
        Err(refusal) => {
            let status = refusal.status();
            refuse(values, refusal.describe(lang), name, status)
        }
    }
}

/// A value changed by the import, as the preview shows it.
pub struct ChangeView {
    unit: String,
    measure: String,
    old: String,
    new: String,
}

/// The stored year an import replaces.
pub struct ReplaceView {
    import_id: i64,
    file_name: String,
    imported_at: String,
    changed: usize,
    added: usize,
    removed: usize,
    examples: Vec<ChangeView>,
}

pub struct YearView {
    year: i32,
    structure: String,
    complete: bool,
    units: usize,
    without_result: Vec<String>,
    missing: Vec<String>,
    skipped: Vec<String>,
    replaces: Option<ReplaceView>,
}

pub struct WarningView {
    place: String,
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/preview.html")]
pub struct PreviewPage {
    page: Page,
    id: String,
    file_name: String,
    index_title: String,
    source: Vec<(String, String)>,
    years: Vec<YearView>,
    warnings: Vec<WarningView>,
    /// Another import changed the years in force meanwhile: read the preview again.
    changed_meanwhile: bool,
}

fn figure_or_dash(lang: Lang, value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| figure(lang, v))
}

fn year_view(lang: Lang, year: &YearPreview) -> YearView {
    let structure = if lang == Lang::En {
        year.structure_title_en.clone()
    } else {
        year.structure_title.clone()
    };
    YearView {
        year: year.year,
        structure,
        complete: year.complete,
        units: year.units,
        without_result: year
            .without_result
            .iter()
            .map(|p| format!("{} ({})", p.name, p.code))
            .collect(),
        missing: year
            .missing
            .iter()
            .map(|p| format!("{} ({})", p.name, p.code))
            .collect(),
        skipped: year
            .skipped
            .iter()
            .map(|s| {
                let rows = match s.last_row {
                    Some(last) => format!("{}–{last}", s.row),
                    None => s.row.to_string(),
                };
                i18n::fill(
                    lang,
                    "indices_admin.skipped_row",
                    &[
                        ("sheet", &s.sheet),
                        ("rows", &rows),
                        ("reason", &skipped(lang, s)),
                    ],
                )
            })
            .collect(),
        replaces: year.replaces.as_ref().map(|r| ReplaceView {
            import_id: r.version.import_id,
            file_name: r.version.file_name.clone(),
            imported_at: i18n::date_time(r.version.imported_at),
            changed: r.changed,
            added: r.added,
            removed: r.removed,
            examples: r
                .examples
                .iter()
                .map(|c| ChangeView {
                    unit: format!("{} ({})", c.unit_name, c.unit_code),
                    measure: match &c.measure_title {
                        Some(title) => item_label(&c.measure, title),
                        None => measure_words(lang, &c.measure),
                    },
                    old: figure_or_dash(lang, c.old),
                    new: figure_or_dash(lang, c.new),
                })
                .collect(),
        }),
    }
}

/// The form's source, as label and value pairs (only those given).
fn source_lines(lang: Lang, source: &ImportSource) -> Vec<(String, String)> {
    [
        ("source_publisher", source.publisher.clone()),
        ("source_document", source.document.clone()),
        ("source_date", source.published_on.map(i18n::date)),
        ("source_url", source.url.clone()),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|v| (t(lang, key), v)))
    .collect()
}

fn preview_page(context: &Context, held: &HeldPreview, changed_meanwhile: bool) -> PreviewPage {
    let lang = context.lang;
    let preview: &Preview = &held.preview;
    PreviewPage {
        page: Page::new(context, "indices_admin.preview_title"),
        id: held.upload.id.clone(),
        file_name: held.upload.file_name.clone(),
        index_title: index_name(lang, &preview.index_id),
        source: source_lines(lang, &held.upload.source),
        years: preview.years.iter().map(|y| year_view(lang, y)).collect(),
        warnings: preview
            .warnings
            .iter()
            .map(|w| WarningView {
                place: place(lang, w),
                message: warning(lang, &w.kind),
            })
            .collect(),
        changed_meanwhile,
    }
}

/// A refusal met after the upload: a held file that is gone (confirmed, cancelled, expired, or
/// another user's) is not found; a file that no longer reads (the bundled structures changed
/// meanwhile) comes back to the form with the problem named.
fn after_upload(
    state: &AppState,
    context: &Context,
    refusal: ImportRefusal,
) -> AppResult<Response> {
    if matches!(refusal, ImportRefusal::Gone) {
        return Err(AppError::NotFound);
    }
    let page = form_page(
        state,
        context,
        FormValues::default(),
        vec![refusal.describe(context.lang)],
        String::new(),
    );
    Ok((refusal.status(), page).into_response())
}

/// What importing a held file would store, year by year, with every warning.
pub async fn preview(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let now = state.clock.now();
    match use_case::preview(&state.db, principal.user.id, &id, now).await? {
        Ok(held) => Ok(preview_page(&context, &held, false).into_response()),
        Err(refusal) => after_upload(&state, &context, refusal),
    }
}

/// Stores a held file, all or nothing, and shows the imports with the new versions.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    let now = state.clock.now();
    let user = principal.user.id;
    match use_case::confirm(&state.db, &principal.actor(), user, &id, now).await? {
        Ok((index, outcome)) => Ok(Redirect::to(&format!(
            "{}?msg=indices_admin.imported#import-{}-{index}",
            super::history::IMPORTS,
            outcome.import_id
        ))
        .into_response()),
        Err(ImportRefusal::ChangedMeanwhile) => {
            match use_case::preview(&state.db, user, &id, now).await? {
                Ok(held) => {
                    Ok((StatusCode::CONFLICT, preview_page(&context, &held, true)).into_response())
                }
                Err(refusal) => after_upload(&state, &context, refusal),
            }
        }
        Err(refusal) => after_upload(&state, &context, refusal),
    }
}

/// Forgets a held file and goes back to the form.
pub async fn cancel(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    principal.require(Permission::ManageIndices)?;
    if !use_case::cancel(&state.db, principal.user.id, &id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&format!("{IMPORT}?msg=indices_admin.cancelled")).into_response())
}
