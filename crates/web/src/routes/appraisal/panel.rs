use super::*;

// ── The council panel on a campaign (round control, extensions, finalize, publish) ──────────

/// One appraisal round of a campaign as the panel shows it.
pub struct RoundLine {
    pub no: i64,
    /// `not_opened`, `open` or `closed`.
    pub phase: &'static str,
    pub phase_label: &'static str,
    /// When and by whom it opened / closed.
    pub detail: String,
    pub can_open: bool,
    pub can_close: bool,
}

/// An extension as the panel lists it.
pub struct ExtensionLine {
    pub unit: String,
    pub stage: &'static str,
    pub until: String,
    pub reason: String,
    pub granted: String,
}

/// The secretariat's controls of the assessment stage of one campaign.
pub struct Controls {
    pub rounds: Vec<RoundLine>,
    pub can_finalize: bool,
    pub can_publish: bool,
    pub can_extend: bool,
    /// The participating units, for the extension form.
    pub units: Vec<CampaignUnit>,
    pub extensions: Vec<ExtensionLine>,
    /// Why nothing can be done now, when that is the case.
    pub waiting: Option<&'static str>,
}

/// A link of the panel.
pub struct PanelLink {
    pub href: String,
    pub label: &'static str,
    pub id: &'static str,
}

/// What the campaign page and the council's list show of the assessment stage: links to the
/// screens the user may open and, for the secretariat, the controls.
pub struct Panel {
    pub campaign_id: i64,
    pub links: Vec<PanelLink>,
    pub controls: Option<Controls>,
    /// Where the control forms come back to: `campaign` or `council`.
    pub back: &'static str,
    /// Prefixed to element ids: empty on the campaign page (`open-round-1`, `finalize`), the
    /// campaign's on the council's list, which shows several campaigns (`c7-open-round-1`).
    pub prefix: String,
}

/// The panel of a campaign for a user, or `None` while the campaign is a draft.
pub async fn panel(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    campaign: &CampaignRow,
    back: &'static str,
) -> AppResult<Option<Panel>> {
    let current = campaign.state();
    if current == CampaignState::Draft {
        return Ok(None);
    }
    let staff = is_staff(principal);
    let id = campaign.id;
    let mut links = Vec::new();
    if back != "council" && (staff || principal.has_role(Role::Appraiser)) {
        links.push(PanelLink {
            href: "/tham-dinh".into(),
            label: i18n::text(lang, "appraisal.link_council"),
            id: "link-council",
        });
    }
    if staff || principal.has_role(Role::Viewer) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/tien-do"),
            label: i18n::text(lang, "appraisal.link_progress"),
            id: "link-progress",
        });
    }
    if current == CampaignState::Published || (staff && current == CampaignState::Finalized) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/ket-qua"),
            label: i18n::text(
                lang,
                if current == CampaignState::Published {
                    "appraisal.link_results"
                } else {
                    "appraisal.link_preview"
                },
            ),
            id: "link-results",
        });
    }
    if principal.can(Permission::ViewAudit) {
        links.push(PanelLink {
            href: format!("/dot-danh-gia/{id}/nhat-ky.csv"),
            label: i18n::text(lang, "appraisal.link_audit"),
            id: "link-audit",
        });
    }
    let controls = if staff {
        Some(controls(state, lang, campaign).await?)
    } else {
        None
    };
    if links.is_empty() && controls.is_none() {
        return Ok(None);
    }
    Ok(Some(Panel {
        campaign_id: id,
        links,
        controls,
        back,
        prefix: if back == "council" {
            format!("c{id}-")
        } else {
            String::new()
        },
    }))
}

pub(super) async fn controls(
    state: &AppState,
    lang: Lang,
    campaign: &CampaignRow,
) -> AppResult<Controls> {
    let db = &state.db;
    let states = assessments::round_states(db, campaign.id).await?;
    let phases = assessments::phases(&states, campaign.appraisal_rounds);
    let current = campaign.state();
    let role = Role::Secretariat;
    let count = campaign.appraisal_rounds.max(0) as u32;
    let rounds = (1..=count)
        .map(|round| {
            let phase = phases
                .get(round as usize - 1)
                .copied()
                .unwrap_or(rules::RoundPhase::NotOpened);
            let stored = states.iter().find(|s| s.round_no == i64::from(round));
            let detail = match stored {
                Some(s) => match (&s.closed_at, &s.closed_by_name) {
                    (Some(at), Some(by)) => tr(
                        lang,
                        "appraisal.round_closed_detail",
                        &[
                            ("opened", &i18n::date_time(s.opened_at)),
                            ("at", &i18n::date_time(*at)),
                            ("by", by),
                        ],
                    ),
                    _ => tr(
                        lang,
                        "appraisal.round_open_detail",
                        &[
                            ("at", &i18n::date_time(s.opened_at)),
                            ("by", &s.opened_by_name),
                        ],
                    ),
                },
                None => String::new(),
            };
            RoundLine {
                no: i64::from(round),
                phase: phase.as_str(),
                phase_label: i18n::text(lang, &format!("appraisal.phase_{}", phase.as_str())),
                detail,
                can_open: rules::check_open_round(role, current, &phases, count, round).is_ok(),
                can_close: rules::check_close_round(role, current, &phases, round).is_ok(),
            }
        })
        .collect::<Vec<_>>();
    let can_finalize = rules::check_finalize(role, current, &phases).is_ok();
    let can_publish = rules::check_campaign_action(role, SheetAction::Publish, current).is_ok();
    let can_extend =
        rules::check_campaign_action(role, SheetAction::GrantExtension, current).is_ok();
    let units = campaigns::units(db, campaign.id).await?;
    let names: HashMap<i64, String> = units
        .iter()
        .map(|u| (u.unit_id, format!("{} {}", u.unit_code, u.unit_name)))
        .collect();
    let extensions = assessments::extensions(db, campaign.id)
        .await?
        .into_iter()
        .map(|e| ExtensionLine {
            unit: names
                .get(&e.unit_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", e.unit_id)),
            stage: i18n::text(lang, &format!("appraisal.stage_{}", e.stage)),
            until: i18n::date(e.valid_until),
            reason: e.reason,
            granted: format!("{} · {}", e.granted_by_name, i18n::date_time(e.granted_at)),
        })
        .collect();
    let any_action =
        can_finalize || can_publish || rounds.iter().any(|r| r.can_open || r.can_close);
    let waiting = (!any_action).then_some(match current {
        CampaignState::Published => "appraisal.waiting_published",
        _ => "appraisal.waiting_nothing",
    });
    Ok(Controls {
        rounds,
        can_finalize,
        can_publish,
        can_extend,
        units,
        extensions,
        waiting,
    })
}

/// Where a control form came from, so the answer comes back there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Back {
    Campaign,
    Council,
}

impl Back {
    pub(super) fn of(pairs: &Pairs) -> Back {
        if field(pairs, "back") == "council" {
            Back::Council
        } else {
            Back::Campaign
        }
    }

    pub(super) fn done(self, campaign_id: i64, message_key: &str) -> Response {
        let target = match self {
            Back::Council => format!("/tham-dinh?msg={message_key}#c{campaign_id}-council"),
            Back::Campaign => format!("/dot-danh-gia/{campaign_id}?msg={message_key}#council"),
        };
        Redirect::to(&target).into_response()
    }
}

/// The page the form came from again, with the reason it was refused (422).
pub(super) async fn refused(
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
        Back::Campaign => {
            crate::routes::campaigns::refused_page(state, principal, context, campaign_id, message)
                .await
        }
    }
}

/// The round number of a round form, or the message naming the field.
pub(super) fn round_field(lang: Lang, pairs: &Pairs) -> Result<u32, String> {
    field(pairs, "round")
        .parse::<u32>()
        .ok()
        .filter(|r| *r >= 1)
        .ok_or_else(|| field_error(lang, "appraisal.round", "appraisal.error_round"))
}

/// The secretariat opens appraisal round k (round 1 moves an open campaign to appraisal).
#[tracing::instrument(skip_all, fields(campaign_id = id))]
pub async fn open_round(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let round = match round_field(lang, &pairs) {
        Ok(round) => round,
        Err(message) => return refused(&state, &principal, &context, id, back, message).await,
    };
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::open_round(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        round,
        reason,
    )
    .await;
    match result {
        Ok(_) => Ok(back.done(id, "appraisal.round_opened")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat closes the open round: sheets with flagged leaves go to the unit for an
/// explanation, the others are appraised.
#[tracing::instrument(skip_all, fields(campaign_id = id))]
pub async fn close_round(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    campaigns::get(&state.db, id).await?;
    let lang = context.lang;
    let back = Back::of(&pairs);
    let round = match round_field(lang, &pairs) {
        Ok(round) => round,
        Err(message) => return refused(&state, &principal, &context, id, back, message).await,
    };
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::close_round(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        round,
        reason,
    )
    .await;
    match result {
        Ok(()) => Ok(back.done(id, "appraisal.round_closed")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat grants a unit an extension for a stage, with a date and a reason.
#[tracing::instrument(skip_all, fields(campaign_id = id))]
pub async fn grant_extension(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
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
    let result = assessments::grant_extension(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        &grant,
    )
    .await;
    match result {
        Ok(_) => Ok(back.done(id, "appraisal.extension_granted")),
        Err(error) => {
            let message = refusal(lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat finalizes the campaign: final points are frozen (the last round's value,
/// else the unit's own).
#[tracing::instrument(skip_all, fields(campaign_id = id))]
pub async fn finalize(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::finalize(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        reason,
    )
    .await;
    match result {
        Ok(()) => Ok(back.done(id, "appraisal.finalized")),
        Err(error) => {
            let message = refusal(context.lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}

/// The secretariat publishes a finalized campaign: the ranking is computed and frozen, and
/// every signed-in role may read it.
#[tracing::instrument(skip_all, fields(campaign_id = id))]
pub async fn publish(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    campaigns::get(&state.db, id).await?;
    let back = Back::of(&pairs);
    let reason = Some(field(&pairs, "reason")).filter(|r| !r.is_empty());
    let result = assessments::publish(
        &state.db,
        &principal.actor(),
        council_role(&principal),
        id,
        reason,
    )
    .await;
    match result {
        Ok(_) => Ok(back.done(id, "appraisal.published")),
        Err(error) => {
            let message = refusal(context.lang, error)?;
            refused(&state, &principal, &context, id, back, message).await
        }
    }
}
