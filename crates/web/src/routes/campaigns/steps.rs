//! The checklist before each campaign step (opening an appraisal round, finalizing,
//! publishing) and the three confirmations: each handler extracts, calls `app::campaign`,
//! renders. A refusal by the checklist comes back on the checklist page with what the user
//! typed; a refusal by the lifecycle (a round still open…) comes back where the form came from.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chiso_domain::access::{Permission, Role};
use chiso_domain::assessment::{CampaignStep, Concern, Decision, Decisions, Item, LateSheets};
use chiso_store::StoreError;
use chiso_store::campaigns::CampaignRow;

use crate::app::campaign::{self as use_case, Secretary};
use crate::auth::{Auth, Context, Principal};
use crate::describe::Describe;
use crate::describe::campaign::{concern_key, decision_key};
use crate::error::AppResult;
use crate::extract::{Form, PathId, Query, State};
use crate::forms::{Pairs, field};
use crate::i18n::{self, Lang};
use crate::routes::appraisal::{Back, refused, round_field};
use crate::state::AppState;
use crate::views::Page;

/// A choice of a decision select.
pub struct ChoiceView {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// One checklist line as the page shows it.
pub struct LineView {
    /// The unit's id, 0 for a campaign-wide line.
    unit_id: i64,
    unit: String,
    concern: &'static str,
    leaves: String,
    link: Option<String>,
    choices: Vec<ChoiceView>,
    decision_reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/checklist.html")]
pub struct ChecklistPage {
    page: Page,
    campaign: CampaignRow,
    heading: String,
    confirm: String,
    /// Where the confirmation posts.
    action: String,
    round: u32,
    back: &'static str,
    blocking: Vec<LineView>,
    warnings: Vec<LineView>,
    deadlines_ahead: String,
    /// The unmapped survey leaves, when they block finalize.
    survey_unmapped: Option<String>,
    show_rule: bool,
    reason: String,
    survey_waiver: String,
    /// The decision for every unit never submitted, as typed: (value, reason).
    all_choice: String,
    all_reason: String,
    /// Opening a round that is not the last: what becomes of sheets submitted while it is
    /// open, with the choice as sent (`join` by default).
    late_choice: Option<&'static str>,
    error: Option<String>,
}

/// The step a checklist query names: `buoc=mo-vong&vong=1`, `buoc=chot-ket-qua`,
/// `buoc=cong-bo`.
fn step_of(pairs: &Pairs) -> Option<CampaignStep> {
    match field(pairs, "buoc") {
        "mo-vong" => field(pairs, "vong")
            .parse::<u32>()
            .ok()
            .filter(|r| *r >= 1)
            .map(CampaignStep::OpenRound),
        "chot-ket-qua" => Some(CampaignStep::Finalize),
        "cong-bo" => Some(CampaignStep::Publish),
        _ => None,
    }
}

/// The choice for sheets submitted while the round is open, as the form sent it.
fn late_sheets_of(pairs: &Pairs) -> LateSheets {
    LateSheets::parse(field(pairs, "late_sheets")).unwrap_or_default()
}

pub(crate) fn secretary(principal: &Principal) -> Secretary {
    Secretary {
        actor: principal.actor(),
        role: if principal.has_role(Role::Secretariat) {
            Role::Secretariat
        } else {
            Role::Admin
        },
    }
}

/// The secretariat's decisions as the form sent them: `decision_<unit>` and
/// `decision_reason_<unit>` per unit, `survey_waiver` for the unmapped survey leaves.
pub(crate) fn decisions_of(pairs: &Pairs) -> Decisions {
    let mut decisions = Decisions::default();
    for (key, value) in pairs {
        let Some(unit) = key.strip_prefix("decision_") else {
            continue;
        };
        if unit == "all" {
            if let Some(decision) = Decision::parse(value) {
                let reason = field(pairs, "decision_reason_all").to_string();
                decisions.not_submitted_all = Some((decision, reason));
            }
            continue;
        }
        let (Ok(unit_id), Some(decision)) = (unit.parse::<i64>(), Decision::parse(value)) else {
            continue;
        };
        let reason = field(pairs, &format!("decision_reason_{unit_id}")).to_string();
        decisions.units.insert(unit_id, (decision, reason));
    }
    let waiver = field(pairs, "survey_waiver");
    if !waiver.trim().is_empty() {
        decisions.survey_waiver = Some(waiver.to_string());
    }
    decisions
}

fn line_view(lang: Lang, campaign_id: i64, item: &Item, pairs: &Pairs) -> LineView {
    let unit_id = item.unit_id.unwrap_or(0);
    let chosen = field(pairs, &format!("decision_{unit_id}"));
    let link = match (item.concern, item.sheet_id) {
        (Concern::SurveyLeavesUnmapped | Concern::SurveyLeavesStale, _) => {
            Some(format!("/khao-sat/chi-so-cchc/{campaign_id}"))
        }
        (Concern::NotSubmitted | Concern::DeadlineAhead, Some(sheet)) => {
            Some(format!("/tu-danh-gia/{sheet}"))
        }
        (_, Some(sheet)) => Some(format!("/tham-dinh/{sheet}")),
        (_, None) => None,
    };
    LineView {
        unit_id,
        unit: item.unit.clone(),
        concern: i18n::text(lang, concern_key(item.concern)),
        leaves: item.leaves.join(", "),
        link,
        choices: if item.unit_id.is_some() {
            item.choices
                .iter()
                .map(|d| ChoiceView {
                    value: d.as_str(),
                    label: i18n::text(lang, decision_key(*d)),
                    selected: chosen == d.as_str(),
                })
                .collect()
        } else {
            Vec::new()
        },
        decision_reason: field(pairs, &format!("decision_reason_{unit_id}")).to_string(),
    }
}

/// The checklist page of `step`, with what the user typed (after a refusal) and its reason.
pub(crate) async fn checklist_page(
    state: &AppState,
    context: &Context,
    campaign_id: i64,
    step: CampaignStep,
    back: Back,
    pairs: &Pairs,
    error: Option<String>,
) -> AppResult<ChecklistPage> {
    let lang = context.lang;
    let view = use_case::checklist(&state.db, &state.clock, campaign_id, step).await?;
    let (heading, confirm, action, round) = match step {
        CampaignStep::OpenRound(round) => (
            i18n::fill(lang, "checklist.title_open_round", &[("round", &round)]),
            i18n::fill(lang, "checklist.confirm_open_round", &[("round", &round)]),
            format!("/dot-danh-gia/{campaign_id}/mo-vong"),
            round,
        ),
        CampaignStep::Finalize => (
            i18n::text(lang, "checklist.title_finalize").to_string(),
            i18n::text(lang, "checklist.confirm_finalize").to_string(),
            format!("/dot-danh-gia/{campaign_id}/chot-ket-qua"),
            0,
        ),
        CampaignStep::Publish => (
            i18n::text(lang, "checklist.title_publish").to_string(),
            i18n::text(lang, "checklist.confirm_publish").to_string(),
            format!("/dot-danh-gia/{campaign_id}/cong-bo"),
            0,
        ),
    };
    let list = &view.checklist;
    let survey_unmapped = list
        .blocking()
        .find(|i| i.concern == Concern::SurveyLeavesUnmapped)
        .map(|i| i.leaves.join(", "));
    let blocking = list
        .blocking()
        .filter(|i| i.unit_id.is_some())
        .map(|i| line_view(lang, campaign_id, i, pairs))
        .collect();
    let warnings = list
        .items
        .iter()
        .filter(|i| !i.blocking)
        .map(|i| line_view(lang, campaign_id, i, pairs))
        .collect();
    let mut page = Page::new(context, "checklist.title_finalize");
    page.title = heading.clone();
    Ok(ChecklistPage {
        page,
        heading,
        confirm,
        action,
        round,
        back: match back {
            Back::Council => "council",
            Back::Campaign => "campaign",
        },
        deadlines_ahead: if list.deadlines_ahead > 0 {
            i18n::fill(
                lang,
                "checklist.deadlines_ahead",
                &[("n", &list.deadlines_ahead)],
            )
        } else {
            String::new()
        },
        show_rule: list.blocking().any(|i| i.concern == Concern::NotSubmitted),
        survey_unmapped,
        blocking,
        warnings,
        reason: field(pairs, "reason").to_string(),
        survey_waiver: field(pairs, "survey_waiver").to_string(),
        all_choice: field(pairs, "decision_all").to_string(),
        all_reason: field(pairs, "decision_reason_all").to_string(),
        late_choice: match step {
            CampaignStep::OpenRound(round)
                if round < view.campaign.appraisal_rounds.max(0) as u32 =>
            {
                Some(late_sheets_of(pairs).as_str())
            }
            _ => None,
        },
        error,
        campaign: view.campaign,
    })
}

/// GET the checklist of a step: `/dot-danh-gia/{id}/kiem-tra?buoc=…`.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Query(pairs): Query<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    let Some(step) = step_of(&pairs) else {
        return Err(crate::error::AppError::NotFound);
    };
    let back = Back::of(&pairs);
    let page = checklist_page(&state, &context, id, step, back, &Pairs::new(), None).await?;
    Ok(page.into_response())
}

/// The step a confirmation asked for, as the form sent it.
struct Asked<'a> {
    campaign_id: i64,
    step: CampaignStep,
    back: Back,
    pairs: &'a Pairs,
}

/// What a step's refusal becomes: the checklist page again (a checklist refusal, with what the
/// user typed), or the page the form came from (any other rule of the workflow).
async fn answer_refusal(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    asked: Asked<'_>,
    error: StoreError,
) -> AppResult<Response> {
    let Asked {
        campaign_id,
        step,
        back,
        pairs,
    } = asked;
    if let StoreError::Checklist(refusal) = &error {
        let message = refusal.describe(context.lang);
        let page = checklist_page(
            state,
            context,
            campaign_id,
            step,
            back,
            pairs,
            Some(message),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let message = crate::routes::campaigns::shared::refusal(context.lang, error)?;
    refused(state, principal, context, campaign_id, back, message).await
}

/// The secretariat opens appraisal round k after its checklist (round 1 moves an open
/// campaign to appraisal).
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn open_round(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    chiso_store::campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let round = match round_field(context.lang, &pairs) {
        Ok(round) => round,
        Err(message) => return refused(&state, &principal, &context, id, back, message).await,
    };
    let who = secretary(&principal);
    let reason = field(&pairs, "reason");
    let late = late_sheets_of(&pairs);
    match use_case::open_round(&state.db, &state.clock, &who, (id, round), late, reason).await {
        Ok(_) => Ok(back.done(id, "appraisal.round_opened")),
        Err(error) => {
            let asked = Asked {
                campaign_id: id,
                step: CampaignStep::OpenRound(round),
                back,
                pairs: &pairs,
            };
            answer_refusal(&state, &principal, &context, asked, error).await
        }
    }
}

/// The secretariat finalizes the campaign with a decision for every blocking line of its
/// checklist.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn finalize(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    chiso_store::campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let who = secretary(&principal);
    let reason = field(&pairs, "reason");
    let decisions = decisions_of(&pairs);
    match use_case::finalize(&state.db, &state.clock, &who, id, reason, &decisions).await {
        Ok(()) => Ok(back.done(id, "appraisal.finalized")),
        Err(error) => {
            let asked = Asked {
                campaign_id: id,
                step: CampaignStep::Finalize,
                back,
                pairs: &pairs,
            };
            answer_refusal(&state, &principal, &context, asked, error).await
        }
    }
}

/// The secretariat publishes a finalized campaign after its checklist: the ranking is computed
/// and frozen, and every signed-in role may read it.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn publish(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let id = id.get()?;
    chiso_store::campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let who = secretary(&principal);
    let reason = field(&pairs, "reason");
    match use_case::publish(&state.db, &state.clock, &who, id, reason).await {
        Ok(_) => Ok(back.done(id, "appraisal.published")),
        Err(error) => {
            let asked = Asked {
                campaign_id: id,
                step: CampaignStep::Publish,
                back,
                pairs: &pairs,
            };
            answer_refusal(&state, &principal, &context, asked, error).await
        }
    }
}
