//! PDF reports of a campaign's results (docs/method.md §10): the campaign report and the
//! results announcement (`POST /dot-danh-gia/{id}/ket-qua/bao-cao`, the announcement's form at
//! `…/ket-qua/thong-bao`), a unit's report (`POST …/ket-qua/don-vi/{unit}/bao-cao`), each made
//! in the background: the handler checks who may have it and reads its data as the results
//! pages do, then sends the browser to the job's page (`/bao-cao/{job}`), whose progress
//! fragment (`…/tien-do`) polls every second until the file (`…/tep`) is ready.

mod announcement;
mod campaign;
mod unit;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::Permission;
use chiso_report::{AreaLine, Chart, Heading, Stage};
use chiso_store::campaigns::CampaignRow;

use crate::app::reports::{self as jobs, CacheKey, Order, Progress, ReportKind};
use crate::auth::Auth;
use crate::charts::standalone::{self, ProfileRow};
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path, PathId, State};
use crate::i18n::{self, Lang};
use crate::routes::campaigns::shared::{Pairs, field};
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dot-danh-gia/{id}/ket-qua/bao-cao", post(start_campaign))
        .route(
            "/dot-danh-gia/{id}/ket-qua/thong-bao",
            get(announcement::form),
        )
        .route(
            "/dot-danh-gia/{id}/ket-qua/don-vi/{unit}/bao-cao",
            post(start_unit),
        )
        .route("/bao-cao/{job}", get(job_page))
        .route("/bao-cao/{job}/tien-do", get(job_progress))
        .route("/bao-cao/{job}/tep", get(download))
}

/// A report text with `{name}` placeholders filled, in the report's language.
pub(crate) fn text(key: &str, args: &[(&str, &str)]) -> String {
    let values: Vec<(&str, &dyn std::fmt::Display)> = args
        .iter()
        .map(|(name, value)| (*name, value as &dyn std::fmt::Display))
        .collect();
    i18n::fill(Lang::Vi, key, &values)
}

/// What heads a report: the configured authority, the campaign, today in Vietnam and whether
/// the results are published (`published_at`) or a preview.
pub(crate) fn heading(
    state: &AppState,
    campaign: &CampaignRow,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Heading {
    Heading {
        authority: state.config.authority_name.clone(),
        campaign: campaign.title.clone(),
        year: campaign.year.to_string(),
        date: i18n::date(state.clock.today()),
        status: match published_at {
            Some(at) => text("reports.status_published", &[("at", &i18n::date_time(at))]),
            None => text("reports.status_preview", &[]),
        },
        preview: published_at.is_none(),
    }
}

/// A unit page's area line as the report prints it.
pub(crate) fn area_line(a: crate::routes::results::unit::AreaLine) -> AreaLine {
    AreaLine {
        code: a.code,
        title: a.title,
        points: a.points,
        max: a.max,
        average: a.average,
        best: a.best,
        rank: a.rank.to_string(),
    }
}

/// The unit page's area profile (the unit, the group's average, the best) as an SVG document.
pub(crate) fn profile_chart(lines: &[crate::routes::results::unit::AreaLine]) -> Chart {
    let labels: Vec<String> = lines
        .iter()
        .map(|a| format!("{}. {}", a.code, a.title))
        .collect();
    let rows: Vec<ProfileRow<'_>> = lines
        .iter()
        .zip(&labels)
        .map(|(a, label)| ProfileRow {
            label,
            widths: [&a.widths[0], &a.widths[1], &a.widths[2]],
        })
        .collect();
    let caption = text("reports.chart_profile", &[]);
    let legend = [
        i18n::text(Lang::Vi, "results.legend_unit"),
        i18n::text(Lang::Vi, "results.legend_average"),
        i18n::text(Lang::Vi, "results.legend_best"),
    ];
    Chart {
        svg: standalone::profile(&rows, legend, &caption),
        caption,
    }
}

/// Starts the campaign report (`kind=campaign`, with `appendix` ticked for one page per
/// unit) or the announcement (`kind=announcement`, with its form's fields).
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn start_campaign(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    if field(&pairs, "kind") == "announcement" {
        return announcement::start(&state, &principal, &context, id, &pairs).await;
    }
    let id = id.get()?;
    let appendix = !field(&pairs, "appendix").is_empty();
    let (campaign, report) = campaign::load(&state, &principal, id, appendix).await?;
    let options = if appendix { "appendix" } else { "" };
    let job = jobs::start(
        &state,
        &principal,
        Order {
            campaign_id: id,
            kind: ReportKind::Campaign,
            file_name: format!("bao-cao-ket-qua-dot-{id}.pdf"),
            cache: Some(CacheKey {
                kind: ReportKind::Campaign,
                campaign_id: id,
                unit_id: None,
                stamp: jobs::stamp(&campaign, options),
            }),
            make: move |progress: &mut dyn FnMut(Stage)| {
                chiso_report::campaign_report(&report, progress)
            },
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/bao-cao/{job}")).into_response())
}

/// Starts a unit's report, for those who may read its results page.
#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn start_unit(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    ids: PathId<(i64, i64)>,
    Form(_pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (campaign_id, unit_id) = ids.get()?;
    let (campaign, code, report) = unit::load(&state, &principal, campaign_id, unit_id).await?;
    let job = jobs::start(
        &state,
        &principal,
        Order {
            campaign_id,
            kind: ReportKind::Unit,
            file_name: format!("bao-cao-{}-dot-{campaign_id}.pdf", file_part(&code)),
            cache: Some(CacheKey {
                kind: ReportKind::Unit,
                campaign_id,
                unit_id: Some(unit_id),
                stamp: jobs::stamp(&campaign, ""),
            }),
            make: move |progress: &mut dyn FnMut(Stage)| {
                chiso_report::unit_report(&report, progress)
            },
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/bao-cao/{job}")).into_response())
}

/// A code as part of a file name: letters, digits and dashes.
fn file_part(code: &str) -> String {
    code.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The progress of a report job: its bar, its step, and once made the download link (or why
/// it failed).
#[derive(Template, WebTemplate)]
#[template(path = "reports/progress.html")]
pub struct ProgressView {
    page: Page,
    job_id: String,
    percent: u8,
    step: &'static str,
    finished: bool,
    failed: bool,
    back_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/job.html")]
pub struct JobPage {
    page: Page,
    title: &'static str,
    back_href: String,
    progress: ProgressView,
}

/// The job as its owner sees it; NotFound for anyone else and for an unknown job.
async fn progress_view(
    state: &AppState,
    principal: &crate::auth::Principal,
    context: &crate::auth::Context,
    job_id: &str,
) -> AppResult<(ProgressView, ReportKind)> {
    let lang = context.lang;
    let job = jobs::view(state, principal, job_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (percent, step) = match job.progress {
        Progress::Made => (100, "reports.done"),
        Progress::Failed => (100, "reports.failed"),
        Progress::Queued => (5, "reports.queued"),
        Progress::Making(Stage::Data) => (15, "reports.stage_data"),
        Progress::Making(Stage::Typeset) => (50, "reports.stage_typeset"),
        Progress::Making(Stage::Export) => (85, "reports.stage_export"),
    };
    let back_href = match job.kind {
        ReportKind::NationalIndices => crate::routes::indices::leadership::PATH.to_string(),
        ReportKind::Plan => crate::paths::plan(job.campaign_id),
        _ => format!("/dot-danh-gia/{}/ket-qua", job.campaign_id),
    };
    Ok((
        ProgressView {
            page: Page::new(context, "reports.job_title"),
            job_id: job_id.to_string(),
            percent,
            step: i18n::text(lang, step),
            finished: matches!(job.progress, Progress::Made | Progress::Failed),
            failed: job.progress == Progress::Failed,
            back_href,
        },
        job.kind,
    ))
}

pub async fn job_page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<JobPage> {
    let (progress, kind) = progress_view(&state, &principal, &context, &job_id).await?;
    let title = i18n::text(
        context.lang,
        match kind {
            ReportKind::Campaign => "reports.campaign_report",
            ReportKind::Unit => "reports.unit_report",
            ReportKind::Announcement => "reports.announcement",
            ReportKind::NationalIndices => "national.report_title",
            ReportKind::Plan => "plans.pdf_title",
        },
    );
    let mut page = Page::new(&context, "reports.job_title");
    page.title = format!("{} – {title}", page.title);
    Ok(JobPage {
        page,
        title,
        back_href: progress.back_href.clone(),
        progress,
    })
}

/// The fragment the job page polls every second (htmx).
pub async fn job_progress(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<ProgressView> {
    Ok(progress_view(&state, &principal, &context, &job_id)
        .await?
        .0)
}

/// The finished PDF, for the user who asked for it.
pub async fn download(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Path(job_id): Path<String>,
) -> AppResult<Response> {
    let (pdf, name) = jobs::made(&state, &principal, &job_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::downloads::download("application/pdf", name, pdf))
}

/// Whether the principal may issue announcements (the secretariat and the administrator).
pub(crate) fn may_announce(principal: &crate::auth::Principal) -> bool {
    principal.can(Permission::ManageCampaigns)
}
