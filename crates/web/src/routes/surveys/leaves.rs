//! Survey leaves of a campaign (/khao-sat/chi-so-cchc/{campaign}).

use super::*;

pub struct LeafOption {
    pub node_id: i64,
    pub label: String,
}

/// The figures one questionnaire offers a survey leaf, by their titles: the index, each
/// factor, each question ("Câu 7: …"). The stored value (`index`, `factor:F1`, `item:c07`,
/// docs/formats.md) is the option's value only.
pub struct SourceGroup {
    pub title: String,
    pub options: Vec<(String, String)>,
}

/// The words of a source read from a questionnaire: "Chỉ số hài lòng chung", "Yếu tố: …",
/// "Câu 7: …"; an unknown code keeps the neutral wording with the code.
fn source_title(lang: Lang, questionnaire: Option<&Questionnaire>, source: &str) -> String {
    let Ok(parsed) = surveys::LeafSource::parse(source) else {
        return source.to_string();
    };
    match parsed {
        surveys::LeafSource::Index => t(lang, "surveys.source_index").to_string(),
        surveys::LeafSource::Factor(code) => {
            let title = questionnaire
                .and_then(|q| q.factor(&code).map(|at| q.factors[at].title.clone()))
                .unwrap_or(code);
            i18n::fill(lang, "surveys.source_factor", &[("title", &title)])
        }
        surveys::LeafSource::Item(code) => {
            let (number, title) = questionnaire
                .and_then(|q| {
                    let at = q.items.iter().position(|i| i.code == code)?;
                    Some(((at + 1).to_string(), q.items[at].title.clone()))
                })
                .unwrap_or((code, String::new()));
            i18n::fill(
                lang,
                "surveys.source_item",
                &[("number", &number), ("title", &title)],
            )
        }
    }
}

fn source_group(lang: Lang, questionnaire: &Questionnaire) -> SourceGroup {
    let mut options = vec![(
        "index".to_string(),
        source_title(lang, Some(questionnaire), "index"),
    )];
    for factor in &questionnaire.factors {
        let value = format!("factor:{}", factor.code);
        options.push((
            value.clone(),
            source_title(lang, Some(questionnaire), &value),
        ));
    }
    for item in &questionnaire.items {
        let value = format!("item:{}", item.code);
        options.push((
            value.clone(),
            source_title(lang, Some(questionnaire), &value),
        ));
    }
    SourceGroup {
        title: questionnaire.title.clone(),
        options,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/leaves.html")]
pub struct LeavesPage {
    page: Page,
    can_manage: bool,
    campaign: CampaignRow,
    /// Each mapping with its wave's title and its source in words.
    maps: Vec<(LeafMapRow, String, String)>,
    leaves: Vec<LeafOption>,
    waves: Vec<WaveRow>,
    sources: Vec<SourceGroup>,
    error: Option<String>,
    refreshed: Option<(String, String)>,
    /// Why the mapping can no longer change (the campaign is finalized or published).
    read_only: Option<&'static str>,
}

pub(super) async fn leaves_view(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    campaign_id: i64,
    error: Option<String>,
) -> AppResult<LeavesPage> {
    let lang = context.lang;
    let campaign = campaigns::get(&state.db, campaign_id).await?;
    let waves = surveys::list_waves(&state.db).await?;
    // The questionnaires of the waves, parsed once per process (`QuestionnaireCache`).
    let mut questionnaires: HashMap<i64, std::sync::Arc<Questionnaire>> = HashMap::new();
    let mut sources = Vec::new();
    for wave in &waves {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            questionnaires.entry(wave.questionnaire_id)
        {
            let parsed = state.questionnaires.of_wave(&state.db, wave).await?;
            sources.push(source_group(lang, &parsed));
            slot.insert(parsed);
        }
    }
    let maps = surveys::leaf_maps(&state.db, campaign_id)
        .await?
        .into_iter()
        .map(|m| {
            let wave = waves.iter().find(|w| w.id == m.wave_id);
            let title = wave
                .map(|w| format!("{} ({})", w.title, period_label(w)))
                .unwrap_or_default();
            let questionnaire = wave.and_then(|w| questionnaires.get(&w.questionnaire_id));
            let source = source_title(lang, questionnaire.map(|q| &**q), &m.source);
            (m, title, source)
        })
        .collect();
    let mut leaves = Vec::new();
    for group in campaigns::frameworks(&state.db, campaign_id).await? {
        let stored = frameworks::load(&state.db, group.framework_id).await?;
        for &leaf in stored.framework.leaves() {
            let node = stored.framework.node(leaf);
            if node.method == chiso_domain::Method::Survey
                && let Some(&id) = stored.node_ids.get(&node.code)
            {
                leaves.push(LeafOption {
                    node_id: id,
                    label: format!(
                        "{} — {} {} — {} ({} {})",
                        crate::routes::campaigns::shared::group_label(lang, &group.unit_group),
                        t(lang, "surveys.criterion"),
                        node.code,
                        node.title,
                        i18n::points(lang, node.max_points.to_f64()),
                        t(lang, "surveys.points")
                    ),
                });
            }
        }
    }
    let refreshed = context.path.split_once("units=").and_then(|(_, rest)| {
        let units = rest.split('&').next()?.to_string();
        let changed = context
            .path
            .split_once("changed=")?
            .1
            .split('&')
            .next()?
            .to_string();
        Some((units, changed))
    });
    Ok(LeavesPage {
        page: Page::new(context, "surveys.leaves_title"),
        // Finalize froze the survey leaves with the rest of the points (docs/method.md §2.5).
        read_only: matches!(
            campaign.state(),
            chiso_domain::campaign::CampaignState::Finalized
                | chiso_domain::campaign::CampaignState::Published
        )
        .then(|| t(lang, "surveys.leaves_read_only")),
        can_manage: principal.can(Permission::ManageCampaigns)
            && !matches!(
                campaign.state(),
                chiso_domain::campaign::CampaignState::Finalized
                    | chiso_domain::campaign::CampaignState::Published
            ),
        campaign,
        maps,
        leaves,
        waves,
        sources,
        error,
        refreshed,
    })
}

pub async fn leaves_page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<LeavesPage> {
    principal.require(Permission::ViewSetup)?;
    let [campaign_id] = ids::<1>(&raw)?;
    leaves_view(&state, &principal, &context, campaign_id, None).await
}

pub(super) async fn leaves_outcome(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    campaign_id: i64,
    outcome: Result<String, chiso_store::StoreError>,
) -> AppResult<Response> {
    match outcome {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            leaves_problem(state, principal, context, campaign_id, problem).await
        }
    }
}

/// The leaves page again with the problem named, as 422.
async fn leaves_problem(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    campaign_id: i64,
    problem: String,
) -> AppResult<Response> {
    let mut body = leaves_view(state, principal, context, campaign_id, Some(problem))
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

#[derive(Deserialize)]
pub struct LeafMapForm {
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    wave_id: String,
    #[serde(default)]
    source: String,
}

pub async fn set_leaf_map(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<LeafMapForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [campaign_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    let (Ok(node_id), Ok(wave_id)) = (form.node_id.parse::<i64>(), form.wave_id.parse::<i64>())
    else {
        let problem = t(lang, "surveys.error_leaf_map").to_string();
        return leaves_problem(&state, &principal, &context, campaign_id, problem).await;
    };
    let source = if form.source.trim().is_empty() {
        "index"
    } else {
        form.source.trim()
    };
    let outcome = surveys::set_leaf_map(
        &state.db,
        &principal.actor(),
        campaign_id,
        node_id,
        wave_id,
        source,
    )
    .await
    .map(|()| format!("/khao-sat/chi-so-cchc/{campaign_id}?msg=common.saved"));
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

#[derive(Deserialize)]
pub struct WaveChoice {
    #[serde(default)]
    wave_id: String,
}

pub async fn map_from_questionnaire(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<WaveChoice>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [campaign_id] = ids::<1>(&raw)?;
    let Ok(wave_id) = form.wave_id.parse::<i64>() else {
        let problem = t(context.lang, "surveys.error_leaf_map").to_string();
        return leaves_problem(&state, &principal, &context, campaign_id, problem).await;
    };
    let outcome =
        surveys::map_leaves_from_questionnaire(&state.db, &principal.actor(), campaign_id, wave_id)
            .await
            .map(|_| format!("/khao-sat/chi-so-cchc/{campaign_id}?msg=common.saved"));
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

pub async fn remove_leaf_map(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [campaign_id, node_id] = ids::<2>(&raw)?;
    let outcome = surveys::remove_leaf_map(&state.db, &principal.actor(), campaign_id, node_id)
        .await
        .map(|()| format!("/khao-sat/chi-so-cchc/{campaign_id}?msg=common.saved"));
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}

/// "Cập nhật điểm khảo sát": fills the campaign's survey leaves from the mapped waves (audited
/// by the store), refused without any mapping or once the campaign is past appraisal.
pub async fn refresh_leaves(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [campaign_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    campaigns::get(&state.db, campaign_id).await?;
    if surveys::leaf_maps(&state.db, campaign_id).await?.is_empty() {
        let problem = t(lang, "surveys.error_no_mapping").to_string();
        return leaves_problem(&state, &principal, &context, campaign_id, problem).await;
    }
    let outcome = surveys::refresh_survey_leaves(&state.db, &principal.actor(), campaign_id)
        .await
        .map(|report| {
            format!(
                "/khao-sat/chi-so-cchc/{campaign_id}?msg=surveys.refreshed&units={}&changed={}",
                report.units, report.leaves_changed
            )
        });
    leaves_outcome(&state, &principal, &context, campaign_id, outcome).await
}
