//! The secretariat's steps on one sheet (docs/method.md §2.5, "Late and returned sheets"):
//! a page that shows where the sheet stands and which step is possible, then returning it to
//! its unit or moving it to the next round. Each handler extracts, calls
//! `app::campaign`, renders; a refusal comes back on the page with what was typed.

use super::*;
use crate::app::campaign::{self as use_case, SheetStepsView};
use crate::extract::PathId;
use crate::routes::campaigns::steps::secretary;
use chiso_store::assessments::SheetReturn;

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/sheet_steps.html")]
pub struct SheetStepsPage {
    page: Page,
    view: SheetStepsView,
    status_label: &'static str,
    /// Why the sheet cannot be returned, when it cannot.
    no_return: Option<String>,
    date_required: bool,
    /// The round the sheet would wait for, or why it cannot.
    next_round: Option<u32>,
    no_defer: Option<String>,
    entry_until: String,
    reason: String,
    resubmit_by: String,
    error: Option<String>,
}

async fn steps_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    sheet_id: i64,
    pairs: &Pairs,
    error: Option<String>,
) -> AppResult<SheetStepsPage> {
    let lang = context.lang;
    let who = secretary(principal);
    let view = use_case::sheet_steps(&state.db, &state.clock, &who, sheet_id).await?;
    let (no_return, date_required) = match &view.can_return {
        Ok(required) => (None, *required),
        Err(error) => (Some(error.describe(lang)), false),
    };
    let (next_round, no_defer) = match &view.can_defer {
        Ok(round) => (Some(*round), None),
        Err(error) => (None, Some(error.describe(lang))),
    };
    let last_day = match (view.deadline, view.extension) {
        (Some(deadline), extension) => Some(extension.map_or(deadline, |e| e.max(deadline))),
        (None, _) => None,
    };
    let mut page = Page::new(context, "appraisal.steps_title");
    page.title = format!("{} – {}", page.title, view.unit.name);
    Ok(SheetStepsPage {
        page,
        status_label: status_label(lang, view.sheet.status()),
        no_return,
        date_required,
        next_round,
        no_defer,
        entry_until: last_day.map(i18n::date).unwrap_or_default(),
        reason: field(pairs, "reason").to_string(),
        resubmit_by: field(pairs, "resubmit_by").to_string(),
        error,
        view,
    })
}

/// GET `/tham-dinh/{sheet}/tra-lai`: the sheet's steps for the secretariat.
#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn sheet_steps(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
) -> AppResult<SheetStepsPage> {
    principal.require(Permission::ManageCampaigns)?;
    let sheet_id = sheet.get()?;
    steps_page(&state, &principal, &context, sheet_id, &Pairs::new(), None).await
}

/// The page again with the refusal and what was typed (422), or the progress page after the
/// step.
async fn answer(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    (sheet_id, pairs): (i64, &Pairs),
    outcome: Result<SheetRow, StoreError>,
    done: &str,
) -> AppResult<Response> {
    match outcome {
        Ok(sheet) => Ok(Redirect::to(&format!(
            "/dot-danh-gia/{}/tien-do?msg={done}",
            sheet.campaign_id
        ))
        .into_response()),
        Err(error) => {
            let message = refusal(context.lang, error)?;
            let page =
                steps_page(state, principal, context, sheet_id, pairs, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// POST `/tham-dinh/{sheet}/tra-lai`: the secretariat returns the sheet to its unit.
#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn return_sheet(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let sheet_id = sheet.get()?;
    let lang = context.lang;
    let Ok(resubmit_by) = crate::forms::parse_date(field(&pairs, "resubmit_by")) else {
        let message = field_error(lang, "appraisal.resubmit_by", "appraisal.error_date");
        let page = steps_page(
            &state,
            &principal,
            &context,
            sheet_id,
            &pairs,
            Some(message),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let request = SheetReturn {
        reason: field(&pairs, "reason").to_string(),
        resubmit_by,
    };
    let who = secretary(&principal);
    let outcome = use_case::return_to_unit(&state.db, &state.clock, &who, sheet_id, &request).await;
    let asked = (sheet_id, &pairs);
    answer(
        &state,
        &principal,
        &context,
        asked,
        outcome,
        "appraisal.sheet_returned",
    )
    .await
}

/// POST `/tham-dinh/{sheet}/chuyen-vong-sau`: the secretariat moves the sheet to the next round.
#[tracing::instrument(skip_all, fields(sheet_id = ?sheet))]
pub async fn defer_sheet(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    sheet: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let sheet_id = sheet.get()?;
    let who = secretary(&principal);
    let reason = field(&pairs, "reason");
    let outcome = use_case::defer_to_next_round(&state.db, &who, sheet_id, reason).await;
    let asked = (sheet_id, &pairs);
    answer(
        &state,
        &principal,
        &context,
        asked,
        outcome,
        "appraisal.sheet_deferred",
    )
    .await
}
