//! Importing `units.csv` or its .xlsx form.

use super::*;

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
pub(super) enum UploadKind {
    Csv,
    Xlsx,
}

pub(super) fn upload_kind(file_name: &str, bytes: &[u8]) -> Option<UploadKind> {
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
    let limit = upload.file_limit();
    let file_problem = |key: &str, args: &[(&str, &str)]| {
        vec![ImportProblem {
            row: None,
            message: tr(lang, key, args),
        }]
    };
    let megabytes = i18n::number(lang, limit as f64 / (1024.0 * 1024.0), 1);
    let respond = |problems: Vec<ImportProblem>, name: String, status: StatusCode| {
        (status, import_page(&state, &context, problems, None, name)).into_response()
    };
    let too_large = |name: String| {
        let problem = file_problem("units.err_too_large", &[("max", &megabytes)]);
        respond(problem, name, StatusCode::PAYLOAD_TOO_LARGE)
    };
    let file = match upload.read().await {
        Ok(received) => received.file,
        Err(UploadRefusal::TooLarge { file_name, .. }) => {
            return Ok(too_large(file_name.unwrap_or_default()));
        }
        Err(UploadRefusal::Invalid(refusal)) => {
            let problem = ImportProblem {
                row: None,
                message: refusal.message().to_string(),
            };
            return Ok(respond(vec![problem], String::new(), refusal.status()));
        }
    };
    if let Some(file) = file.as_ref().filter(|f| f.size > limit) {
        return Ok(too_large(file.name.clone()));
    }
    let Some((name, bytes)) = file
        .map(|f| (f.name, f.bytes))
        .filter(|(_, b)| !b.is_empty())
    else {
        return Ok(respond(
            file_problem("units.err_no_file", &[]),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let Some(kind) = upload_kind(&name, &bytes) else {
        return Ok(respond(
            file_problem("units.err_file_type", &[]),
            name,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let display = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
    // Parsing is CPU work of up to seconds on a large file: off the async workers. The cells
    // are typed text too: a name or code is refused as it would be in the form.
    let file_name = display.clone();
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
    let table = match table {
        Ok(table) => table,
        Err(problems) => return Ok(respond(problems, display, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let existing = units::list(&state.db).await?;
    let rows = match import_rows(lang, &table, &existing, Utc::now().date_naive()) {
        Ok(rows) => rows,
        Err(problems) => {
            return Ok(respond(problems, display, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    match units::import(&state.db, &principal.actor(), &rows).await {
        Ok(summary) => {
            Ok(import_page(&state, &context, Vec::new(), Some(summary), display).into_response())
        }
        // The rows were checked above; a refusal here means the data changed meanwhile.
        Err(StoreError::Setup(refusal)) => {
            let (row, refusal) = match refusal {
                SetupRefusal::ImportRow { row, refusal } => (Some(row), *refusal),
                other => (None, other),
            };
            let problem = ImportProblem {
                row,
                message: refusal.describe(lang),
            };
            Ok(respond(
                vec![problem],
                display,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(StoreError::Conflict(_)) => Ok(respond(
            file_problem("units.err_code_taken", &[]),
            display,
            StatusCode::CONFLICT,
        )),
        Err(error) => Err(error.into()),
    }
}

/// Checks every row of a units table against the database and the rows before it, and
/// turns the table into the store's import rows. Columns: `unit_code`, `unit_name`, `region`
/// (interchange.md §2), and the extensions `kind`, `parent_code`, `valid_from`, `valid_to`.
/// A file without a `kind` column lists provinces, as the contract's `units.csv` does; a blank
/// name, kind, region or parent keeps what an existing unit has.
pub(super) fn import_rows(
    lang: Lang,
    table: &Table,
    existing: &[OrgUnit],
    today: NaiveDate,
) -> Result<Vec<ImportedUnit>, Vec<ImportProblem>> {
    let mut problems: Vec<ImportProblem> = Vec::new();
    let mut reported: HashSet<usize> = HashSet::new();
    if let Err(errors) = read_units(table) {
        for error in errors.0 {
            if let Some(row) = error.row {
                reported.insert(row);
            } else {
                // A missing column: nothing else can be read.
                return Err(vec![ImportProblem {
                    row: None,
                    message: error.problem.describe(lang),
                }]);
            }
            problems.push(ImportProblem {
                row: error.row,
                message: error.problem.describe(lang),
            });
        }
    }
    if table.rows.is_empty() {
        return Err(vec![ImportProblem {
            row: None,
            message: i18n::text(lang, "units.err_empty_file").to_string(),
        }]);
    }
    let column = |name: &str| table.column(name);
    let code_column = column("unit_code");
    let name_column = column("unit_name");
    let region_column = column("region");
    let kind_column = column("kind");
    let parent_column = column("parent_code");
    let from_column = column("valid_from");
    let to_column = column("valid_to");

    let current: HashMap<&str, &OrgUnit> = existing
        .iter()
        .filter(|u| u.is_current_on(today))
        .map(|u| (u.code.as_str(), u))
        .collect();
    // Codes of earlier rows and their kinds: a parent may be a unit of the same file.
    let mut in_file: HashMap<String, OrgKind> = HashMap::new();
    let mut rows = Vec::new();
    for row in &table.rows {
        if reported.contains(&row.number) {
            continue;
        }
        let mut row_problems = Vec::new();
        let mut problem = |field_key: &str, message: String| {
            row_problems.push(field_error(lang, field_key, &message));
        };
        let code = row.get(code_column).to_string();
        let old = current.get(code.as_str()).copied();
        let name = match (row.get(name_column), old) {
            ("", Some(old)) => old.name.clone(),
            ("", None) => {
                problem(
                    "units.col_name",
                    i18n::text(lang, "units.err_required_new").to_string(),
                );
                String::new()
            }
            (name, _) => name.to_string(),
        };
        let kind = match (kind_column, row.get(kind_column), old) {
            (None, _, Some(old)) | (Some(_), "", Some(old)) => Some(old.kind),
            (None, _, None) => Some(OrgKind::Province),
            (Some(_), "", None) => {
                problem(
                    "units.col_kind",
                    i18n::text(lang, "units.err_required_new").to_string(),
                );
                None
            }
            (Some(_), text, _) => {
                let kind = OrgKind::parse(text);
                if kind.is_none() {
                    problem(
                        "units.col_kind",
                        tr(lang, "units.err_kind_value", &[("value", text)]),
                    );
                }
                kind
            }
        };
        let parent_code = Some(row.get(parent_column).to_string()).filter(|p| !p.is_empty());
        if let Some(parent) = &parent_code {
            let parent_kind = in_file
                .get(parent)
                .copied()
                .or_else(|| current.get(parent.as_str()).map(|u| u.kind));
            if *parent == code {
                problem(
                    "units.col_parent",
                    i18n::text(lang, "units.err_own_parent").to_string(),
                );
            } else {
                match (parent_kind, kind) {
                    (None, _) => problem(
                        "units.col_parent",
                        tr(lang, "units.err_parent_code", &[("code", parent)]),
                    ),
                    (Some(parent_kind), Some(kind))
                        if !kind.allowed_parents().contains(&parent_kind) =>
                    {
                        problem(
                            "units.col_parent",
                            tr(
                                lang,
                                "units.err_parent_kind",
                                &[
                                    ("kind", i18n::text(lang, &format!("common.kind_{kind}"))),
                                    (
                                        "parent",
                                        i18n::text(lang, &format!("common.kind_{parent_kind}")),
                                    ),
                                ],
                            ),
                        )
                    }
                    _ => {}
                }
            }
        }
        let mut date = |column: Option<usize>, key: &str| match parse_date(row.get(column)) {
            Ok(date) => date,
            Err(_) => {
                row_problems.push(field_error(
                    lang,
                    key,
                    &tr(lang, "units.err_date_value", &[("value", row.get(column))]),
                ));
                None
            }
        };
        let valid_from = date(from_column, "units.col_valid_from");
        let valid_to = date(to_column, "units.col_valid_to");
        if let (Some(from), Some(to)) = (valid_from, valid_to)
            && to < from
        {
            row_problems.push(field_error(
                lang,
                "units.col_valid_to",
                i18n::text(lang, "units.err_dates_order"),
            ));
        }
        if !row_problems.is_empty() {
            problems.extend(row_problems.into_iter().map(|message| ImportProblem {
                row: Some(row.number),
                message,
            }));
            continue;
        }
        let Some(kind) = kind else { continue };
        in_file.insert(code.clone(), kind);
        let region = match (row.get(region_column), old) {
            ("", Some(old)) => old.region.clone(),
            ("", None) => None,
            (region, _) => Some(region.to_string()),
        };
        rows.push(ImportedUnit {
            row: row.number,
            fields: UnitFields {
                code,
                name,
                kind,
                // Without a parent code an existing unit keeps its parent.
                parent_id: old.and_then(|u| u.parent_id),
                region,
                valid_from,
                valid_to,
            },
            parent_code,
        });
    }
    problems.sort_by_key(|p| p.row);
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}
