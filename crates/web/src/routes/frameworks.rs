//! The frameworks screens (/bo-tieu-chi): the list of versions, one version's tree, import of
//! `framework.csv`/`.xlsx`, replacing a draft version's tree, exports and new versions.
//!
//! Reading needs `ViewSetup`, every change `ManageFrameworks`; both are checked here, in each
//! handler. Files are read with the interchange crate, the same code the CLI uses, so a file
//! the CLI accepts is accepted here with the same row-by-row errors.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::{Framework, FrameworkMeta, Method, UnitKind};
use chiso_interchange::framework_io::{
    format_rule, framework_from_table, framework_to_csv, framework_to_xlsx,
};
use chiso_interchange::table::{read_csv, read_xlsx};
use chiso_interchange::{InputError, InputErrors};
use chiso_store::frameworks::{self, FrameworkRow};
use serde::Deserialize;

use crate::auth::{Auth, Context};
use crate::describe::{self, Describe};
use crate::error::{AppError, AppResult};
use crate::extract::multipart as upload;
use crate::extract::{Form, PathId, State, cells};
use crate::forms::field_error_key as field_error;
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;
use crate::views::Page;
use chiso_domain::access::Permission;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bo-tieu-chi", get(list))
        .route("/bo-tieu-chi/nhap", get(import_form).post(import))
        .route("/bo-tieu-chi/{id}", get(show))
        .route("/bo-tieu-chi/{id}/csv", get(export_csv))
        .route("/bo-tieu-chi/{id}/xlsx", get(export_xlsx))
        .route(
            "/bo-tieu-chi/{id}/thay-the",
            get(replace_form).post(replace),
        )
        .route("/bo-tieu-chi/{id}/phien-ban-moi", post(new_version))
}

// ── List ────────────────────────────────────────────────────────────────────────────────────

#[derive(Template, WebTemplate)]
#[template(path = "frameworks/list.html")]
pub struct ListPage {
    page: Page,
    rows: Vec<FrameworkRow>,
    can_manage: bool,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    principal.require(Permission::ViewSetup)?;
    Ok(ListPage {
        page: Page::new(&context, "frameworks.list_title"),
        rows: frameworks::list(&state.db).await?,
        can_manage: principal.can(Permission::ManageFrameworks),
    })
}

// ── One version's tree ──────────────────────────────────────────────────────────────────────

/// One node as the tree view shows it, in depth-first order. `closing` is the number of open
/// inner nodes the template closes after a leaf, so the nested `<details>` need no recursion
/// in the template.
pub struct TreeRow {
    code: String,
    title: String,
    max: String,
    method: Method,
    /// Whether to show the method: on leaves, and where it differs from the parent's.
    show_method: bool,
    guidance: Option<String>,
    evidence_required: bool,
    rule: Option<String>,
    continues: String,
    is_leaf: bool,
    depth: usize,
    closing: usize,
}

/// An area (or the bonus/penalty item) with its total.
pub struct AreaTotal {
    code: String,
    title: String,
    max: String,
    method: Method,
}

#[derive(Template, WebTemplate)]
#[template(path = "frameworks/show.html")]
pub struct ShowPage {
    page: Page,
    row: FrameworkRow,
    previous: Option<FrameworkRow>,
    next_versions: Vec<FrameworkRow>,
    display_title: String,
    total: String,
    leaf_count: usize,
    areas: Vec<AreaTotal>,
    outside: Vec<AreaTotal>,
    rows: Vec<TreeRow>,
    can_manage: bool,
    /// Problems with the "new version" form.
    version_errors: Vec<String>,
    version_year: String,
}

impl ShowPage {
    fn method_label(&self, method: &Method) -> &'static str {
        self.page
            .t(&format!("frameworks.method_{}", method.as_str()))
    }
}

fn node_title(lang: Lang, title: &str, title_en: &Option<String>) -> String {
    match (lang, title_en) {
        (Lang::En, Some(english)) if !english.trim().is_empty() => english.clone(),
        _ => title.to_string(),
    }
}

/// The tree in depth-first order, children in source order.
fn tree_rows(framework: &Framework, lang: Lang) -> Vec<TreeRow> {
    fn walk(framework: &Framework, id: usize, lang: Lang, out: &mut Vec<TreeRow>) {
        let node = framework.node(id);
        let parent_method = node.parent.map(|p| framework.node(p).method);
        out.push(TreeRow {
            code: node.code.clone(),
            title: node_title(lang, &node.title, &node.title_en),
            max: i18n::points(lang, node.max_points.to_f64()),
            method: node.method,
            show_method: node.is_leaf()
                || parent_method.is_none_or(|m| m != node.method)
                    && node.method != Method::SelfAssessed,
            guidance: node.guidance.clone(),
            evidence_required: node.evidence_required,
            rule: node.rule.as_ref().map(format_rule),
            continues: node.continues.join("; "),
            is_leaf: node.is_leaf(),
            depth: node.depth,
            closing: 0,
        });
        for &child in &node.children {
            walk(framework, child, lang, out);
        }
    }
    let mut rows = Vec::new();
    for (id, node) in framework.nodes().iter().enumerate() {
        if node.parent.is_none() {
            walk(framework, id, lang, &mut rows);
        }
    }
    for i in 0..rows.len() {
        if rows[i].is_leaf {
            let next_depth = rows.get(i + 1).map_or(1, |r| r.depth);
            rows[i].closing = rows[i].depth.saturating_sub(next_depth);
        }
    }
    rows
}

fn area_totals(framework: &Framework, ids: &[usize], lang: Lang) -> Vec<AreaTotal> {
    ids.iter()
        .map(|&id| {
            let node = framework.node(id);
            AreaTotal {
                code: node.code.clone(),
                title: node_title(lang, &node.title, &node.title_en),
                max: i18n::points(lang, node.max_points.to_f64()),
                method: node.method,
            }
        })
        .collect()
}

async fn show_page(
    state: &AppState,
    context: &Context,
    can_manage: bool,
    id: i64,
    version_errors: Vec<String>,
    version_year: String,
) -> AppResult<ShowPage> {
    let stored = frameworks::load(&state.db, id).await?;
    let lang = context.lang;
    let framework = &stored.framework;
    let previous = match stored.row.previous_id {
        Some(previous) => Some(frameworks::get_row(&state.db, previous).await?),
        None => None,
    };
    let next_versions = frameworks::list(&state.db)
        .await?
        .into_iter()
        .filter(|r| r.previous_id == Some(id))
        .collect();
    let mut page = Page::new(context, "frameworks.show_title");
    let display_title = match (lang, &stored.row.title_en) {
        (Lang::En, Some(english)) if !english.trim().is_empty() => english.clone(),
        _ => framework.display_title(),
    };
    // The tab names the framework by its title; its code stays in the facts, as code.
    page.title = display_title.clone();
    Ok(ShowPage {
        page,
        previous,
        next_versions,
        display_title,
        total: i18n::points(lang, framework.max_points().to_f64()),
        leaf_count: framework.leaves().len(),
        areas: area_totals(framework, framework.areas(), lang),
        outside: area_totals(framework, framework.outside_tree(), lang),
        rows: tree_rows(framework, lang),
        can_manage,
        version_errors,
        version_year,
        row: stored.row,
    })
}

#[tracing::instrument(skip_all, fields(framework_id = ?id))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ShowPage> {
    principal.require(Permission::ViewSetup)?;
    let id = id.get()?;
    let can_manage = principal.can(Permission::ManageFrameworks);
    show_page(&state, &context, can_manage, id, Vec::new(), String::new()).await
}

// ── Exports ─────────────────────────────────────────────────────────────────────────────────

/// A file name made of the code and version, safe in a header whatever the code holds.
fn file_stem(row: &FrameworkRow) -> String {
    let code: String = row
        .code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{code}-v{}", row.version)
}

use crate::downloads::download;

/// `framework.csv` as the CLI writes it (a sample carries its label on every row), with a BOM
/// so that Excel shows Vietnamese correctly; the reader ignores the BOM.
#[tracing::instrument(skip_all, fields(framework_id = ?id))]
pub async fn export_csv(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ViewSetup)?;
    let id = id.get()?;
    let stored = frameworks::load(&state.db, id).await?;
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(framework_to_csv(&stored.framework).into_bytes());
    Ok(download(
        "text/csv; charset=utf-8",
        format!("{}.csv", file_stem(&stored.row)),
        body,
    ))
}

#[tracing::instrument(skip_all, fields(framework_id = ?id))]
pub async fn export_xlsx(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ViewSetup)?;
    let id = id.get()?;
    let stored = frameworks::load(&state.db, id).await?;
    let body = framework_to_xlsx(&stored.framework)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot build the workbook: {e}")))?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{}.xlsx", file_stem(&stored.row)),
        body,
    ))
}

// ── Reading an uploaded file ────────────────────────────────────────────────────────────────

/// One problem of an upload, as the page lists it: the row (header = row 1), the code of the
/// row when known, and the message in the user's language.
pub struct FileProblem {
    row: Option<usize>,
    code: Option<String>,
    message: String,
}

/// The interchange crate's typed problems in the user's language, each with its row and the
/// code of its framework row.
fn file_problems(lang: Lang, errors: &InputErrors) -> Vec<FileProblem> {
    errors
        .0
        .iter()
        .map(|error: &InputError| FileProblem {
            row: error.row,
            code: describe::interchange::framework_code(&error.problem).map(str::to_string),
            message: error.problem.describe(lang),
        })
        .collect()
}

/// An uploaded file: its name and bytes.
struct Upload {
    name: String,
    bytes: Vec<u8>,
}

/// Reads a framework from an upload, by extension (`.xlsx` is the first sheet, anything else
/// CSV), off the async workers: parsing a large file is CPU work of up to seconds. Its cells
/// are typed text too: a title or code is refused as it would be in a form.
async fn read_framework(
    lang: Lang,
    upload: &Upload,
    meta: FrameworkMeta,
) -> AppResult<Result<Framework, Vec<FileProblem>>> {
    let name = upload.name.clone();
    let bytes = upload.bytes.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let lower = name.to_ascii_lowercase();
        let table = if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
            read_xlsx(&name, &bytes)
        } else {
            read_csv(&name, bytes.as_slice())
        };
        let table = table.map_err(|error| file_problems(lang, &error.into()))?;
        let problems: Vec<FileProblem> = cells::check_table(lang, &table)
            .into_iter()
            .map(|p| FileProblem {
                row: Some(p.row),
                code: None,
                message: p.message,
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        framework_from_table(&table, meta).map_err(|e| file_problems(lang, &e))
    })
    .await
    .map_err(anyhow::Error::from)?;
    Ok(parsed)
}

/// The fields of a multipart form: text fields and at most one file (field `file`).
#[derive(Default)]
struct MultipartForm {
    fields: Vec<(String, String)>,
    file: Option<Upload>,
}

impl MultipartForm {
    fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    }
}

/// Reads the form, after the handler checked the permission. A body that is not multipart
/// reads as an empty form (the page then says that no file was chosen); a body too large, a
/// field the form does not have or a text refused by its kind is answered as such.
async fn read_multipart<F: upload::UploadForm>(
    form: upload::Upload<F>,
) -> AppResult<MultipartForm> {
    let limit = form.file_limit();
    let received = form.read().await?;
    let file = match received.file {
        Some(file) if file.size > limit => return Err(AppError::TooLarge),
        Some(file) => Some(Upload {
            name: match file.name.is_empty() {
                true => "framework.csv".into(),
                false => file.name,
            },
            bytes: file.bytes,
        }),
        None => None,
    };
    Ok(MultipartForm {
        fields: received.fields,
        file,
    })
}

fn check_extension(lang: Lang, upload: &Option<Upload>, errors: &mut Vec<String>) {
    match upload {
        None => errors.push(i18n::text(lang, "frameworks.error_no_file").to_string()),
        Some(upload) => {
            let lower = upload.name.to_ascii_lowercase();
            if ![".csv", ".txt", ".xlsx", ".xlsm"]
                .iter()
                .any(|ext| lower.ends_with(ext))
            {
                errors.push(i18n::text(lang, "frameworks.error_file_kind").to_string());
            }
        }
    }
}

// ── Import ──────────────────────────────────────────────────────────────────────────────────

/// The metadata fields of the import form, as typed.
#[derive(Default)]
pub struct ImportFields {
    code: String,
    title: String,
    title_en: String,
    year: String,
    methodology: String,
    unit_kind: String,
    previous_id: String,
}

impl ImportFields {
    /// The framework's description as typed, and the version it follows when one is chosen;
    /// each problem, naming its field, goes to `errors`.
    fn meta(
        &self,
        lang: Lang,
        all: &[FrameworkRow],
        errors: &mut Vec<String>,
    ) -> (FrameworkMeta, Option<FrameworkRow>) {
        if self.code.is_empty() {
            errors.push(field_error(
                lang,
                "frameworks.code",
                "frameworks.error_required",
            ));
        } else if !self
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            errors.push(field_error(
                lang,
                "frameworks.code",
                "frameworks.error_code_chars",
            ));
        }
        if self.title.is_empty() {
            errors.push(field_error(
                lang,
                "frameworks.title",
                "frameworks.error_required",
            ));
        }
        let year = match self.year.as_str() {
            "" => None,
            text => match text.parse::<i32>() {
                Ok(year) if (2000..=2100).contains(&year) => Some(year),
                _ => {
                    errors.push(field_error(
                        lang,
                        "frameworks.year",
                        "frameworks.error_year",
                    ));
                    None
                }
            },
        };
        let unit_kind = UnitKind::parse(&self.unit_kind).unwrap_or_else(|| {
            errors.push(field_error(
                lang,
                "frameworks.unit_kind",
                "frameworks.error_unit_kind",
            ));
            UnitKind::default()
        });
        let previous = match self.previous_id.as_str() {
            "" => None,
            text => match text
                .parse::<i64>()
                .ok()
                .and_then(|id| all.iter().find(|r| r.id == id))
            {
                Some(row) => Some(row.clone()),
                None => {
                    errors.push(field_error(
                        lang,
                        "frameworks.previous",
                        "frameworks.error_previous",
                    ));
                    None
                }
            },
        };
        let meta = FrameworkMeta {
            id: self.code.clone(),
            title: self.title.clone(),
            title_en: (!self.title_en.is_empty()).then(|| self.title_en.clone()),
            year,
            methodology: (!self.methodology.is_empty()).then(|| self.methodology.clone()),
            unit_kind,
            sample: false,
            previous: previous.as_ref().map(|p| p.code.clone()),
        };
        (meta, previous)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "frameworks/import.html")]
pub struct ImportPage {
    page: Page,
    fields: ImportFields,
    frameworks: Vec<FrameworkRow>,
    unit_kinds: Vec<&'static str>,
    /// Problems with the form's fields, each naming its field.
    errors: Vec<String>,
    /// Problems with the file, by row.
    problems: Vec<FileProblem>,
}

fn unit_kinds() -> Vec<&'static str> {
    UnitKind::ALL.iter().map(|k| k.as_str()).collect()
}

#[tracing::instrument(skip_all)]
pub async fn import_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ImportPage> {
    principal.require(Permission::ManageFrameworks)?;
    Ok(ImportPage {
        page: Page::new(&context, "frameworks.import_title"),
        fields: ImportFields {
            unit_kind: "province".into(),
            ..ImportFields::default()
        },
        frameworks: frameworks::list(&state.db).await?,
        unit_kinds: unit_kinds(),
        errors: Vec::new(),
        problems: Vec::new(),
    })
}

/// Imports a framework file as a new framework (or the next version of its code). Every
/// problem of the fields and of every row is shown together; nothing is stored while there is
/// one.
#[tracing::instrument(skip_all)]
pub async fn import(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    upload: upload::Upload<upload::FrameworkImportForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageFrameworks)?;
    let lang = context.lang;
    let form = read_multipart(upload).await?;
    let fields = ImportFields {
        code: form.get("code"),
        title: form.get("title"),
        title_en: form.get("title_en"),
        year: form.get("year"),
        methodology: form.get("methodology"),
        unit_kind: form.get("unit_kind"),
        previous_id: form.get("previous_id"),
    };
    let all = frameworks::list(&state.db).await?;
    let mut errors = Vec::new();
    let (meta, previous) = fields.meta(lang, &all, &mut errors);
    check_extension(lang, &form.file, &mut errors);
    let mut problems = Vec::new();
    let mut framework = None;
    if let Some(upload) = form.file.as_ref().filter(|_| errors.is_empty()) {
        match read_framework(lang, upload, meta).await? {
            Ok(built) => framework = Some(built),
            Err(file_problems) => problems = file_problems,
        }
    }
    let Some(framework) = framework.filter(|_| errors.is_empty()) else {
        let page = ImportPage {
            page: Page::new(&context, "frameworks.import_title"),
            fields,
            frameworks: all,
            unit_kinds: unit_kinds(),
            errors,
            problems,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let id = frameworks::insert(
        &state.db,
        &principal.actor(),
        &framework,
        previous.map(|p| p.id),
    )
    .await?;
    Ok(Redirect::to(&paths::with_msg(
        &paths::framework(id),
        "frameworks.imported",
    ))
    .into_response())
}

// ── Replace the tree of a version not yet frozen ────────────────────────────────────────────

#[derive(Template, WebTemplate)]
#[template(path = "frameworks/replace.html")]
pub struct ReplacePage {
    page: Page,
    row: FrameworkRow,
    errors: Vec<String>,
    problems: Vec<FileProblem>,
}

#[tracing::instrument(skip_all, fields(framework_id = ?id))]
pub async fn replace_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ReplacePage> {
    principal.require(Permission::ManageFrameworks)?;
    let id = id.get()?;
    Ok(ReplacePage {
        page: Page::new(&context, "frameworks.replace_title"),
        row: frameworks::get_row(&state.db, id).await?,
        errors: Vec::new(),
        problems: Vec::new(),
    })
}

/// Replaces the tree of a version from a corrected file, with the same checks as an import.
/// A frozen version (a campaign that uses it has opened) is refused: its units' scores refer to
/// it as it was.
#[tracing::instrument(skip_all, fields(framework_id = ?id))]
pub async fn replace(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    upload: upload::Upload<upload::FrameworkReplaceForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageFrameworks)?;
    let id = id.get()?;
    let lang = context.lang;
    let stored = frameworks::load(&state.db, id).await?;
    let refuse = |errors: Vec<String>, problems: Vec<FileProblem>| {
        let page = ReplacePage {
            page: Page::new(&context, "frameworks.replace_title"),
            row: stored.row.clone(),
            errors,
            problems,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    if stored.row.frozen {
        return Ok(refuse(
            vec![i18n::text(lang, "frameworks.error_frozen").to_string()],
            Vec::new(),
        ));
    }
    let form = read_multipart(upload).await?;
    let mut errors = Vec::new();
    check_extension(lang, &form.file, &mut errors);
    let Some(upload) = form.file.as_ref().filter(|_| errors.is_empty()) else {
        return Ok(refuse(errors, Vec::new()));
    };
    let corrected = match read_framework(lang, upload, stored.framework.meta.clone()).await? {
        Ok(corrected) => corrected,
        Err(problems) => return Ok(refuse(Vec::new(), problems)),
    };
    match frameworks::replace_tree(&state.db, &principal.actor(), id, &corrected).await {
        Ok(()) => {}
        // Frozen meanwhile, or another rule of the store: shown on the form, not as a crash.
        Err(chiso_store::StoreError::Setup(refusal)) => {
            use crate::describe::Describe;
            return Ok(refuse(vec![refusal.describe(lang)], Vec::new()));
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Redirect::to(&paths::with_msg(
        &paths::framework(id),
        "frameworks.replaced",
    ))
    .into_response())
}

// ── New version ─────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
pub struct NewVersionForm {
    #[serde(default)]
    year: String,
}

/// A new version of a framework: the same tree, each node continuing its predecessor.
#[tracing::instrument(skip_all, fields(framework_id = ?id))]
pub async fn new_version(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(form): Form<NewVersionForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageFrameworks)?;
    let id = id.get()?;
    let year_text = form.year.trim().to_string();
    let year = match year_text.as_str() {
        "" => Ok(None),
        text => match text.parse::<i32>() {
            Ok(year) if (2000..=2100).contains(&year) => Ok(Some(year)),
            _ => Err(field_error(
                context.lang,
                "frameworks.year",
                "frameworks.error_year",
            )),
        },
    };
    let year = match year {
        Ok(year) => year,
        Err(message) => {
            let page = show_page(&state, &context, true, id, vec![message], year_text).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let new_id = frameworks::new_version(&state.db, &principal.actor(), id, year).await?;
    let target = paths::with_msg(&paths::framework(new_id), "frameworks.version_created");
    Ok(Redirect::to(&target).into_response())
}
