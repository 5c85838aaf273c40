use super::*;
use crate::app::self_assessment::sign_off as app_sign_off;

// ── Submit, withdraw, explanations ──────────────────────────────────────────────────────────

/// Renders the sheet page with refusal messages (a submission that failed its checks).
pub(super) async fn refused_page(
    state: &AppState,
    context: &Context,
    principal: &Principal,
    sheet: &str,
    status: StatusCode,
    errors: Vec<String>,
    problems_refused: bool,
) -> AppResult<Response> {
    let loaded = load(state, principal, sheet).await?;
    let view = build(state, context.lang, &loaded).await?;
    let page = sheet_page(context, &view);
    Ok((
        status,
        ShowPage {
            page,
            sheet: view,
            errors,
            problems_refused,
        },
    )
        .into_response())
}

/// The answer to a leader's sign-off (submit, withdraw, explanations): back to the sheet with
/// the message `done_key`, or the sheet again with the store's refusal and its status.
pub(super) async fn sign_off_outcome<T>(
    state: &AppState,
    context: &Context,
    principal: &Principal,
    sheet: &str,
    sheet_id: i64,
    done_key: &str,
    result: Result<T, StoreError>,
) -> AppResult<Response> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/tu-danh-gia/{sheet_id}?msg={done_key}")).into_response())
        }
        Err(e) => {
            let (status, text) = store_refusal(context.lang, e)?;
            refused_page(state, context, principal, sheet, status, vec![text], false).await
        }
    }
}

pub(super) fn store_refusal(lang: Lang, error: StoreError) -> AppResult<(StatusCode, String)> {
    crate::describe::store_refusal_with_status(lang, &error).ok_or_else(|| error.into())
}

/// The leader submits the sheet as reviewed (the version of the page they read): refused
/// with every offending leaf when the submission check fails.
#[tracing::instrument(skip_all, fields(sheet_id = %sheet))]
pub async fn submit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(sheet): Path<String>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let lang = context.lang;
    let loaded = load_for_change(&state, &principal, &sheet, SIGN_ROLES).await?;
    let version = field(&pairs, "version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(loaded.scope.sheet.version);
    // The submission check first, so that each offending leaf is listed as a link.
    let problems = assessments::submission_problems(&state.db, loaded.id()).await?;
    if !problems.is_empty() && loaded.status() == SheetStatus::Draft {
        return refused_page(
            &state,
            &context,
            &principal,
            &sheet,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![t(lang, "assessment.submit_refused")],
            true,
        )
        .await;
    }
    let result = app_sign_off::submit(&state, &principal, &loaded, version, today(&state)).await?;
    sign_off_outcome(
        &state,
        &context,
        &principal,
        &sheet,
        loaded.id(),
        "assessment.submitted",
        result,
    )
    .await
}

/// The leader withdraws the submitted sheet back to draft, while appraisal has not started.
#[tracing::instrument(skip_all, fields(sheet_id = %sheet))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(sheet): Path<String>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let loaded = load_for_change(&state, &principal, &sheet, SIGN_ROLES).await?;
    let reason = field(&pairs, "reason")
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let result = app_sign_off::withdraw(&state, &principal, &loaded, today(&state), reason).await?;
    sign_off_outcome(
        &state,
        &context,
        &principal,
        &sheet,
        loaded.id(),
        "assessment.withdrawn",
        result,
    )
    .await
}

/// The leader submits the answers to the explanation requests; refused while a flagged leaf
/// has no answer, naming each.
#[tracing::instrument(skip_all, fields(sheet_id = %sheet))]
pub async fn submit_explanation(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(sheet): Path<String>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let loaded = load_for_change(&state, &principal, &sheet, SIGN_ROLES).await?;
    let version = field(&pairs, "version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(loaded.scope.sheet.version);
    let result =
        app_sign_off::submit_explanation(&state, &principal, &loaded, version, today(&state))
            .await?;
    sign_off_outcome(
        &state,
        &context,
        &principal,
        &sheet,
        loaded.id(),
        "assessment.explanation_submitted",
        result,
    )
    .await
}
