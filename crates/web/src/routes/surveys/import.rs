//! Bulk import of responses with progress.

use super::*;

use crate::app::jobs::Snapshot;
use crate::app::survey::ImportOutcome;
use chiso_store::jobs::JobKind;

/// An upload made ready for the import job, off the async workers (parsing is CPU work of up
/// to seconds on a large file): an .xlsx turned into CSV, the header checked against the
/// questionnaire, the data lines counted for the progress bar. A problem comes back in the
/// user's language, naming the file.
pub(super) async fn prepare_import(
    lang: Lang,
    name: String,
    is_xlsx: bool,
    bytes: Vec<u8>,
    questionnaire: Questionnaire,
) -> AppResult<Result<(Questionnaire, Vec<u8>, u64), String>> {
    let prepared = tokio::task::spawn_blocking(move || {
        let csv_bytes = if is_xlsx {
            chiso_interchange::sheet::xlsx_to_csv(&bytes)
                .map_err(|e| format!("{name}: {}", i18n::sheet_error_with_row(lang, &e)))?
        } else {
            bytes
        };
        if let Some(refusal) = cells::control_in_file(lang, &name, &csv_bytes) {
            return Err(refusal);
        }
        if let Err(e) = CsvRows::new(&questionnaire, Cursor::new(&csv_bytes[..])) {
            return Err(format!("{name}: {}", e.describe(lang)));
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
    Path(raw): Path<Vec<String>>,
    upload: Upload<ResponsesImportForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id] = ids::<1>(&raw)?;
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
    let job_id = crate::app::survey::import::start(
        &state,
        &principal,
        wave_id,
        crate::app::survey::import::PreparedFile {
            file_name: name,
            questionnaire,
            csv: csv_bytes,
            total_rows: total,
            skip_bad_rows,
        },
    )
    .await?;
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

pub(super) fn progress_view(page: Page, job_id: &str, snapshot: &Snapshot) -> ProgressView {
    let lang = page.lang;
    let job = &snapshot.job;
    let total = job.total.unwrap_or(0);
    let percent = (job.done * 100).checked_div(total).unwrap_or(0).min(99);
    let mut view = ProgressView {
        job_id: job_id.to_string(),
        wave_id: job.subject_id,
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
    if snapshot.abandoned {
        view.finished = true;
        view.failure = Some(i18n::text(lang, "surveys.refused.import_interrupted").to_string());
        return view;
    }
    let outcome = job
        .outcome
        .as_deref()
        .and_then(|text| serde_json::from_str::<ImportOutcome>(text).ok());
    match outcome {
        None if snapshot.finished() => {
            view.finished = true;
            view.failure = Some(i18n::text(lang, "surveys.refused.import_failed").to_string());
        }
        None => {}
        Some(ImportOutcome::Refused { reason }) => {
            view.finished = true;
            view.failure = Some(reason.describe(lang));
        }
        Some(ImportOutcome::Report {
            rows_read,
            accepted,
            rejected,
            stored,
            rejections,
        }) => {
            view.percent = 100;
            view.finished = true;
            view.stored = stored;
            view.skip = stored && rejected > 0;
            view.accepted = integer(lang, accepted);
            view.rejected = integer(lang, rejected);
            view.rows_read = integer(lang, rows_read);
            view.done_text = format!(
                "{} / {}",
                integer(lang, rows_read),
                integer(lang, rows_read)
            );
            let more = rejected.saturating_sub(rejections.len() as u64);
            view.rejections = rejections
                .into_iter()
                .map(|(row, reason)| RejectionLine {
                    row,
                    reason: reason.describe(lang),
                })
                .collect();
            if more > 0 {
                view.more_rejections = integer(lang, more);
            }
        }
    }
    view
}

pub(super) async fn job_view(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    job_id: &str,
) -> AppResult<(ProgressView, String)> {
    let page = Page::new(context, "surveys.import_title");
    let snapshot = crate::app::jobs::load(state, principal, JobKind::SurveyImport, job_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        progress_view(page, job_id, &snapshot),
        snapshot.job.file_name.clone(),
    ))
}

pub async fn import_page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<ImportPage> {
    principal.require(Permission::ManageCampaigns)?;
    let (progress, file_name) = job_view(&state, &principal, &context, &job_id).await?;
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
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<ProgressView> {
    principal.require(Permission::ManageCampaigns)?;
    Ok(job_view(&state, &principal, &context, &job_id).await?.0)
}
