//! Importing `units.csv` or its .xlsx form.

use super::*;
use crate::app::units::import::{self, ImportRefusal};
use chiso_interchange::table::Table;

/// One problem of an imported file: the row (the header is row 1) and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportProblem {
    pub row: Option<usize>,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/import.html")]
pub struct ImportPage {
    page: Page,
    problems: Vec<ImportProblem>,
    summary: Option<ImportSummary>,
    file_name: String,
    max_megabytes: String,
    /// Every unit kind's code, as the `kind` column takes it (from `OrgKind::ALL`).
    kinds: Vec<&'static str>,
}

fn import_page(
    state: &AppState,
    context: &crate::auth::Context,
    problems: Vec<ImportProblem>,
    summary: Option<ImportSummary>,
    file_name: String,
) -> ImportPage {
    let megabytes = state.config.max_upload_bytes as f64 / (1024.0 * 1024.0);
    ImportPage {
        kinds: chiso_domain::org::OrgKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
        page: Page::new(context, "units.import_title"),
        problems,
        summary,
        file_name,
        max_megabytes: i18n::number(context.lang, megabytes, 1),
    }
}

pub async fn import_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ImportPage> {
    principal.require(Permission::ManageUnits)?;
    Ok(import_page(
        &state,
        &context,
        Vec::new(),
        None,
        String::new(),
    ))
}

/// Which kind of spreadsheet an upload is: by its name, and for .xlsx by its content too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UploadKind {
    Csv,
    Xlsx,
}

pub(crate) fn upload_kind(file_name: &str, bytes: &[u8]) -> Option<UploadKind> {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") {
        // An .xlsx is a zip archive.
        bytes.starts_with(b"PK\x03\x04").then_some(UploadKind::Xlsx)
    } else if lower.ends_with(".csv") {
        (!bytes.starts_with(b"PK\x03\x04")).then_some(UploadKind::Csv)
    } else {
        None
    }
}

/// Imports `units.csv` or its .xlsx form: every bad row is reported with its number and
/// reason, and nothing is written while there is one; otherwise a summary of what changed.
#[tracing::instrument(skip_all)]
pub async fn import(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    upload: Upload<UnitsImportForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let respond = |refused: Refused| {
        let page = import_page(&state, &context, refused.problems, None, refused.file_name);
        (refused.status, page).into_response()
    };
    let (display, kind, bytes) = match received_file(lang, upload).await {
        Ok(file) => file,
        Err(refused) => return Ok(respond(refused)),
    };
    let table = match read_table(lang, kind, display.clone(), bytes).await? {
        Ok(table) => table,
        Err(problems) => {
            return Ok(respond(Refused {
                problems,
                file_name: display,
                status: StatusCode::UNPROCESSABLE_ENTITY,
            }));
        }
    };
    let today = state.clock.today();
    match import::import(&state.db, &principal.actor(), &table, today).await {
        Ok(summary) => {
            let page = import_page(&state, &context, Vec::new(), Some(summary), display);
            Ok(page.into_response())
        }
        Err(refusal) => {
            let (problems, status) = refusal_problems(lang, refusal)?;
            Ok(respond(Refused {
                problems,
                file_name: display,
                status,
            }))
        }
    }
}

/// An upload refused before its rows are checked: what is wrong, the file's name as the page
/// shows it, and the status.
struct Refused {
    problems: Vec<ImportProblem>,
    file_name: String,
    status: StatusCode,
}

/// A problem of the whole file, said from a locale key.
fn file_problem(lang: Lang, key: &str, args: &[(&str, &str)]) -> Vec<ImportProblem> {
    vec![ImportProblem {
        row: None,
        message: tr(lang, key, args),
    }]
}

/// The uploaded file: its name without the client's folders, its kind and its bytes; or why
/// it is refused (too large, none, not a .csv or .xlsx, a malformed form).
async fn received_file(
    lang: Lang,
    upload: Upload<UnitsImportForm>,
) -> Result<(String, UploadKind, Vec<u8>), Refused> {
    let limit = upload.file_limit();
    let megabytes = i18n::number(lang, limit as f64 / (1024.0 * 1024.0), 1);
    let too_large = |name: String| Refused {
        problems: file_problem(lang, "units.err_too_large", &[("max", &megabytes)]),
        file_name: name,
        status: StatusCode::PAYLOAD_TOO_LARGE,
    };
    let file = match upload.read().await {
        Ok(received) => received.file,
        Err(UploadRefusal::TooLarge { file_name, .. }) => {
            return Err(too_large(file_name.unwrap_or_default()));
        }
        Err(UploadRefusal::Invalid(refusal)) => {
            let problem = ImportProblem {
                row: None,
                message: refusal.message().to_string(),
            };
            return Err(Refused {
                problems: vec![problem],
                file_name: String::new(),
                status: refusal.status(),
            });
        }
    };
    if let Some(file) = file.as_ref().filter(|f| f.size > limit) {
        return Err(too_large(file.name.clone()));
    }
    let Some((name, bytes)) = file
        .map(|f| (f.name, f.bytes))
        .filter(|(_, b)| !b.is_empty())
    else {
        return Err(Refused {
            problems: file_problem(lang, "units.err_no_file", &[]),
            file_name: String::new(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        });
    };
    let Some(kind) = upload_kind(&name, &bytes) else {
        return Err(Refused {
            problems: file_problem(lang, "units.err_file_type", &[]),
            file_name: name,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        });
    };
    let display = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
    Ok((display, kind, bytes))
}

/// The file as a table, its cells checked as typed text (a name or code is refused as it
/// would be in the form); or the problems, by row.
async fn read_table(
    lang: Lang,
    kind: UploadKind,
    file_name: String,
    bytes: Vec<u8>,
) -> AppResult<Result<Table, Vec<ImportProblem>>> {
    // Parsing is CPU work of up to seconds on a large file: off the async workers.
    let table = tokio::task::spawn_blocking(move || {
        let table = match kind {
            UploadKind::Csv => read_csv(&file_name, bytes.as_slice()),
            UploadKind::Xlsx => read_xlsx(&file_name, &bytes),
        };
        let table = table.map_err(|error| {
            vec![ImportProblem {
                row: error.row,
                message: error.problem.describe(lang),
            }]
        })?;
        let problems: Vec<_> = cells::check_table(lang, &table)
            .into_iter()
            .map(|p| ImportProblem {
                row: Some(p.row),
                message: p.message,
            })
            .collect();
        problems.is_empty().then_some(table).ok_or(problems)
    })
    .await
    .map_err(anyhow::Error::from)?;
    Ok(table)
}

/// Why the import wrote nothing, as the page's problems and status.
fn refusal_problems(
    lang: Lang,
    refusal: ImportRefusal,
) -> AppResult<(Vec<ImportProblem>, StatusCode)> {
    Ok(match refusal {
        ImportRefusal::File(problem) => (
            vec![ImportProblem {
                row: None,
                message: problem.describe(lang),
            }],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ImportRefusal::Empty => (
            file_problem(lang, "units.err_empty_file", &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ImportRefusal::Rows(rows) => (
            rows.into_iter()
                .map(|(row, problem)| ImportProblem {
                    row: Some(row),
                    message: problem.describe(lang),
                })
                .collect(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // The rows were checked; a refusal here means the data changed meanwhile.
        ImportRefusal::Store(StoreError::Setup(refusal)) => {
            let (row, refusal) = match refusal {
                SetupRefusal::ImportRow { row, refusal } => (Some(row), *refusal),
                other => (None, other),
            };
            let problem = ImportProblem {
                row,
                message: refusal.describe(lang),
            };
            (vec![problem], StatusCode::UNPROCESSABLE_ENTITY)
        }
        ImportRefusal::Store(StoreError::Conflict(_)) => (
            file_problem(lang, "units.err_code_taken", &[]),
            StatusCode::CONFLICT,
        ),
        ImportRefusal::Store(error) => return Err(error.into()),
    })
}

/// The current units as .xlsx in `units.csv`'s columns (docs/formats.md §12.6): the file goes
/// back through the import unchanged. For those who may import units.
pub async fn export_xlsx(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let rows = crate::app::units::export::rows(&state.db, state.clock.today()).await?;
    let body = units_workbook(&rows).map_err(crate::workbooks::xlsx_error)?;
    Ok(crate::downloads::download(
        crate::downloads::XLSX,
        "don-vi.xlsx".to_string(),
        body,
    ))
}

/// The units sheet: the import's column names as the header, every cell text (a code such as
/// `01` keeps its zero), frozen and printable.
fn units_workbook(rows: &[[String; 7]]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use crate::app::units::export::COLUMNS;
    use crate::workbooks::{Column, Styles, finish, header};
    let styles = Styles::new();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("units")?;
    let widths = [10.0, 36.0, 12.0, 12.0, 12.0, 12.0, 12.0];
    let columns: Vec<Column> = COLUMNS
        .iter()
        .zip(widths)
        .map(|(name, width)| Column::new(*name, width))
        .collect();
    let data = header(sheet, &styles, 0, &columns)?;
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string_with_format(data + r as u32, c as u16, cell, &styles.code)?;
        }
    }
    finish(sheet, 0, data, 1)?;
    book.save_to_buffer()
}
