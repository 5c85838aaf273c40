//! The council panel's controls (closing a round, extensions): each answers back on the page
//! the form came from, the campaign's or the council's list. Opening a round, finalizing and
//! publishing go through their checklist (routes::campaigns::steps).

use super::*;
use crate::extract::PathId;
use crate::routes::campaigns::refused_page;

/// Where a control form came from, so the answer comes back there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Back {
    Campaign,
    Council,
}

impl Back {
    pub(crate) fn of(pairs: &Pairs) -> Back {
        if field(pairs, "back") == "council" {
            Back::Council
        } else {
            Back::Campaign
        }
    }

    pub(crate) fn done(self, campaign_id: i64, message_key: &str) -> Response {
        let target = match self {
            Back::Council => format!("/tham-dinh?msg={message_key}#c{campaign_id}-council"),
            Back::Campaign => format!("/dot-danh-gia/{campaign_id}?msg={message_key}#council"),
        };
        Redirect::to(&target).into_response()
    }
}

/// The page the form came from again, with the reason it was refused (422).
pub(crate) async fn refused(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    campaign_id: i64,
    back: Back,
    message: String,
) -> AppResult<Response> {
    match back {
        Back::Council => {
            let page = index_page(state, principal, context, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Back::Campaign => refused_page(state, principal, context, campaign_id, message).await,
    }
}

/// The round number of a round form, or the message naming the field.
pub(crate) fn round_field(lang: Lang, pairs: &Pairs) -> Result<u32, String> {
    field(pairs, "round")
        .parse::<u32>()
        .ok()
        .filter(|r| *r >= 1)
        .ok_or_else(|| field_error(lang, "appraisal.round", "appraisal.error_round"))
}

/// The secretariat closes the open round: sheets with flagged leaves go to the unit for an
/// explanation, the others are appraised.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn close_round(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let round = match round_field(lang, &pairs) {
        Ok(round) => round,
        Err(message) => return refused(&state, &principal, &context, id, back, message).await,
    };
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let who = crate::routes::campaigns::steps::secretary(&principal);
    let result = crate::app::campaign::close_round(&state, &who, id, round, reason).await;
    match result {
        Ok(()) => Ok(back.done(id, "appraisal.round_closed")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat grants a unit an extension for a stage, with a date and a reason.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn grant_extension(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let mut errors = Vec::new();
    let unit_id = field(&pairs, "unit_id").parse::<i64>().ok();
    if unit_id.is_none() {
        errors.push(field_error(lang, "appraisal.unit", "appraisal.error_unit"));
    }
    let stage = Stage::parse(field(&pairs, "stage"));
    if stage.is_none() {
        errors.push(field_error(
            lang,
            "appraisal.stage",
            "appraisal.error_stage",
        ));
    }
    let until = parse_date(field(&pairs, "until"));
    if until.is_none() {
        errors.push(field_error(lang, "appraisal.until", "appraisal.error_date"));
    }
    let reason = field(&pairs, "reason");
    if reason.is_empty() {
        errors.push(field_error(
            lang,
            "appraisal.reason",
            "appraisal.error_required",
        ));
    }
    let (Some(unit_id), Some(stage), Some(until), true) =
        (unit_id, stage, until, errors.is_empty())
    else {
        return refused(&state, &principal, &context, id, back, errors.join("; ")).await;
    };
    let grant = ExtensionGrant {
        unit_id,
        stage,
        until,
        reason: reason.to_string(),
    };
    let who = crate::routes::campaigns::steps::secretary(&principal);
    let result = crate::app::campaign::grant_extension(&state, &who, id, &grant).await;
    match result {
        Ok(()) => Ok(back.done(id, "appraisal.extension_granted")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}
