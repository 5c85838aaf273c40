//! The list of questionnaires and waves (/khao-sat) and a wave (/khao-sat/dot/{wave}): creating, opening, closing, its units.

use super::*;

pub struct QuestionnaireView {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    pub items: i64,
    pub format: String,
    pub created: String,
}

pub struct WaveView {
    pub id: i64,
    pub title: String,
    pub questionnaire: String,
    pub campaign: String,
    pub period: String,
    pub dates: String,
    pub state: String,
    pub state_label: &'static str,
    pub responses: String,
    pub units: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/index.html")]
pub struct IndexPage {
    page: Page,
    can_manage: bool,
    questionnaires: Vec<QuestionnaireView>,
    /// The latest version of each code, for the wave form.
    latest: Vec<QuestionnaireView>,
    bundled: Vec<(&'static str, String)>,
    waves: Vec<WaveView>,
    campaigns: Vec<CampaignRow>,
    error: PageError,
    form: WaveForm,
}

/// The fields of the wave form, as it names them.
const WAVE_FIELDS: &[&str] = &[
    "questionnaire_id",
    "title",
    "campaign_id",
    "period_year",
    "period_quarter",
    "opens_on",
    "closes_on",
    "margin_e",
];

/// The fields of the questionnaire forms.
const QUESTIONNAIRE_FIELDS: &[&str] = &["bundled", "toml"];

#[derive(Deserialize, Default, Clone)]
pub struct WaveForm {
    #[serde(default)]
    questionnaire_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    campaign_id: String,
    #[serde(default)]
    period_year: String,
    #[serde(default)]
    period_quarter: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
    #[serde(default)]
    margin_e: String,
}

pub(super) fn questionnaire_view(lang: Lang, q: &QuestionnaireRow) -> QuestionnaireView {
    let _ = lang;
    QuestionnaireView {
        id: q.id,
        code: q.code.clone(),
        version: q.version,
        title: q.title.clone(),
        items: q.item_count,
        format: q.format.clone(),
        created: i18n::date_time(q.created_at),
    }
}

pub(super) async fn index_page(
    state: &AppState,
    principal: &Principal,
    page: Page,
    error: Option<FormError>,
    form: WaveForm,
) -> AppResult<IndexPage> {
    let lang = page.lang;
    let rows = surveys::list_questionnaires(&state.db).await?;
    let questionnaires: Vec<QuestionnaireView> =
        rows.iter().map(|q| questionnaire_view(lang, q)).collect();
    let mut latest: Vec<QuestionnaireView> = Vec::new();
    for q in &rows {
        match latest.iter_mut().find(|l| l.code == q.code) {
            Some(l) if l.version >= q.version => {}
            Some(l) => *l = questionnaire_view(lang, q),
            None => latest.push(questionnaire_view(lang, q)),
        }
    }
    let campaigns = campaigns::list(&state.db).await?;
    let scope = SurveyScope::of(state, principal).await?;
    let mut waves = Vec::new();
    for w in surveys::list_waves(&state.db).await? {
        let mut wave_units = surveys::wave_units(&state.db, w.id).await?;
        if !scope.everything() {
            wave_units.retain(|u| scope.sees(u.unit_id));
            if wave_units.is_empty() {
                continue;
            }
        }
        let responses: i64 = wave_units.iter().map(|u| u.responses).sum();
        waves.push(WaveView {
            id: w.id,
            questionnaire: format!("{} v{}", w.questionnaire_code, w.questionnaire_version),
            campaign: w
                .campaign_id
                .and_then(|c| campaigns.iter().find(|x| x.id == c))
                .map(|c| c.title.clone())
                .unwrap_or_default(),
            period: period_label(&w),
            dates: format!(
                "{} → {}",
                w.opens_on.map(i18n::date).unwrap_or_else(|| "—".into()),
                w.closes_on.map(i18n::date).unwrap_or_else(|| "—".into())
            ),
            state_label: wave_state_label(lang, w.state),
            state: w.state.to_string(),
            responses: integer(lang, responses.max(0) as u64),
            units: wave_units.len(),
            title: w.title,
        });
    }
    Ok(IndexPage {
        can_manage: principal.can(Permission::ManageCampaigns),
        questionnaires,
        latest,
        bundled: chiso_survey::questionnaire::BUNDLED
            .iter()
            .map(|b| {
                (
                    b.id,
                    chiso_survey::bundled(b.id)
                        .map(|q| q.title)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        waves,
        campaigns,
        error: PageError(error),
        form,
        page,
    })
}

pub async fn index(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<IndexPage> {
    principal.require(Permission::ViewSetup)?;
    let page = Page::new(&context, "surveys.title");
    let form = WaveForm {
        period_year: chrono::Utc::now().date_naive().format("%Y").to_string(),
        margin_e: "0,05".into(),
        ..WaveForm::default()
    };
    index_page(&state, &principal, page, None, form).await
}

#[derive(Deserialize)]
pub struct QuestionnaireForm {
    #[serde(default)]
    bundled: String,
    #[serde(default)]
    toml: String,
    #[serde(default)]
    file_name: String,
}

/// Registers a bundled questionnaire or one pasted as TOML (a new version when it differs from
/// the latest stored one).
pub async fn register_questionnaire(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<QuestionnaireForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let actor = principal.actor();
    let lang = context.lang;
    let outcome = if !form.bundled.trim().is_empty() {
        Some(surveys::register_bundled(&state.db, &actor, form.bundled.trim()).await)
    } else if !form.toml.trim().is_empty() {
        let name = if form.file_name.trim().is_empty() {
            "questionnaire.toml"
        } else {
            form.file_name.trim()
        };
        Some(surveys::register_toml(&state.db, &actor, name, &form.toml).await)
    } else {
        None
    };
    let problem = match outcome {
        Some(Ok(_)) => {
            return Ok(
                Redirect::to("/khao-sat?msg=surveys.questionnaire_registered").into_response(),
            );
        }
        Some(Err(e)) => FormError::of_store(e, lang, "questionnaire", QUESTIONNAIRE_FIELDS)?,
        None => FormError::at(
            "questionnaire",
            "toml",
            t(lang, "surveys.refused.nothing_to_register").to_string(),
        ),
    };
    let page = Page::new(&context, "surveys.title");
    let mut body = index_page(&state, &principal, page, Some(problem), WaveForm::default())
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

/// The wave form's entries as a wave's fields; a value that does not read names its field.
pub(super) fn wave_fields(lang: Lang, form: &WaveForm) -> Result<WaveFields, FormError> {
    let refused = |field: &str, key: &str| FormError::at("wave", field, t(lang, key).to_string());
    let questionnaire_id: i64 = form
        .questionnaire_id
        .trim()
        .parse()
        .map_err(|_| refused("questionnaire_id", "surveys.error_questionnaire"))?;
    let year: i64 = form
        .period_year
        .trim()
        .parse()
        .map_err(|_| refused("period_year", "surveys.error_year"))?;
    let mut fields = WaveFields::new(questionnaire_id, form.title.trim(), year);
    if !form.campaign_id.trim().is_empty() {
        fields.campaign_id = Some(
            form.campaign_id
                .trim()
                .parse()
                .map_err(|_| refused("campaign_id", "surveys.error_campaign"))?,
        );
    }
    if !form.period_quarter.trim().is_empty() {
        fields.period_quarter = Some(
            form.period_quarter
                .trim()
                .parse()
                .map_err(|_| refused("period_quarter", "surveys.error_quarter"))?,
        );
    }
    fields.opens_on =
        parse_date(&form.opens_on).map_err(|_| refused("opens_on", "surveys.error_opens"))?;
    fields.closes_on =
        parse_date(&form.closes_on).map_err(|_| refused("closes_on", "surveys.error_closes"))?;
    if !form.margin_e.trim().is_empty() {
        fields.margin_e = parse_decimal(&form.margin_e)
            .ok_or_else(|| refused("margin_e", "surveys.error_margin"))?;
    }
    Ok(fields)
}

pub async fn create_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<WaveForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let lang = context.lang;
    let problem = match wave_fields(lang, &form) {
        Ok(fields) => match surveys::create_wave(&state.db, &principal.actor(), &fields).await {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/khao-sat/dot/{id}?msg=common.created")).into_response(),
                );
            }
            Err(e) => FormError::of_store(e, lang, "wave", WAVE_FIELDS)?,
        },
        Err(problem) => problem,
    };
    let page = Page::new(&context, "surveys.title");
    let mut body = index_page(&state, &principal, page, Some(problem), form)
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

// ── A wave (/khao-sat/dot/{wave}) ──────────────────────────────────────────────────────────

pub struct UnitLine {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub transactions: String,
    pub target: String,
    pub responses: String,
    pub flagged: u64,
    pub below: bool,
    pub slug: String,
}

pub struct ImportLine {
    pub file_name: String,
    pub state: String,
    pub rows: String,
    pub accepted: String,
    pub rejected: String,
    pub at: String,
    pub by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/wave.html")]
pub struct WavePage {
    page: Page,
    can_manage: bool,
    wave: WaveRow,
    state_label: &'static str,
    period: String,
    margin: String,
    campaign: Option<CampaignRow>,
    units: Vec<UnitLine>,
    total_responses: String,
    imports: Vec<ImportLine>,
    error: Option<String>,
    units_text: String,
}

pub(super) async fn wave_page(
    state: &AppState,
    principal: &Principal,
    page: Page,
    wave_id: i64,
    error: Option<String>,
    units_text: String,
) -> AppResult<WavePage> {
    let lang = page.lang;
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let campaign = match wave.campaign_id {
        Some(c) => Some(campaigns::get(&state.db, c).await?),
        None => None,
    };
    let scope = SurveyScope::of(state, principal).await?;
    let mut rows = surveys::wave_units(&state.db, wave_id).await?;
    if !scope.everything() {
        rows.retain(|u| scope.sees(u.unit_id));
        if rows.is_empty() {
            return Err(AppError::Forbidden);
        }
    }
    let total: i64 = rows.iter().map(|u| u.responses).sum();
    let units = rows.iter().map(|u| unit_line(lang, u)).collect();
    let can_manage = principal.can(Permission::ManageCampaigns);
    // Who imported which file is the secretariat's record.
    let imports = if can_manage {
        surveys::imports(&state.db, wave_id).await?
    } else {
        Vec::new()
    };
    let imports = imports
        .into_iter()
        .map(|i| ImportLine {
            file_name: i.file_name,
            state: t(lang, &format!("surveys.import_state_{}", i.state.as_str())).to_string(),
            rows: integer(lang, i.rows_read.max(0) as u64),
            accepted: integer(lang, i.accepted.max(0) as u64),
            rejected: integer(lang, i.rejected.max(0) as u64),
            at: i18n::date_time(i.started_at),
            by: i.by_name,
        })
        .collect();
    Ok(WavePage {
        can_manage,
        state_label: wave_state_label(lang, wave.state),
        period: period_label(&wave),
        margin: i18n::number(lang, wave.margin_e, 2),
        campaign,
        units,
        total_responses: integer(lang, total.max(0) as u64),
        imports,
        error,
        units_text,
        wave,
        page,
    })
}

pub(super) fn unit_line(lang: Lang, u: &WaveUnitRow) -> UnitLine {
    UnitLine {
        unit_id: u.unit_id,
        code: u.unit_code.clone(),
        name: u.unit_name.clone(),
        transactions: u
            .transactions
            .map(|n| integer(lang, n.max(0) as u64))
            .unwrap_or_else(|| "—".into()),
        target: u
            .target_sample
            .map(|n| integer(lang, n.max(0) as u64))
            .unwrap_or_else(|| "—".into()),
        responses: integer(lang, u.responses.max(0) as u64),
        flagged: u.flagged.max(0) as u64,
        below: u.below_target(),
        slug: u.slug.clone(),
    }
}

pub async fn show_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<WavePage> {
    principal.require(Permission::ViewSetup)?;
    let [wave_id] = ids::<1>(&raw)?;
    let page = Page::new(&context, "surveys.wave_title");
    wave_page(&state, &principal, page, wave_id, None, String::new()).await
}

pub(super) async fn wave_problem(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    wave_id: i64,
    problem: String,
    units_text: String,
) -> AppResult<Response> {
    let page = Page::new(context, "surveys.wave_title");
    let mut body = wave_page(state, principal, page, wave_id, Some(problem), units_text)
        .await?
        .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

#[derive(Deserialize)]
pub struct UnitsForm {
    #[serde(default)]
    lines: String,
}

/// Adds units (or changes their transactions N) from lines `code;N` (N may be left out, and a
/// comma, tab or space separates as well). Every line is checked before anything is stored.
pub async fn set_units(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<UnitsForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    surveys::get_wave(&state.db, wave_id).await?;
    let today = chrono::Utc::now().date_naive();
    let all = units::list(&state.db).await?;
    let mut chosen = Vec::new();
    let mut problems = Vec::new();
    for (number, line) in form.lines.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line
            .split([';', ',', '\t', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let code = parts.next().unwrap_or("");
        let n = parts.next();
        let Some(unit) = all
            .iter()
            .find(|u| u.code == code && u.is_current_on(today))
        else {
            problems.push(format!(
                "{} {}: {} {code}",
                t(lang, "surveys.line"),
                number + 1,
                t(lang, "surveys.error_unknown_unit")
            ));
            continue;
        };
        let transactions = match n {
            None => None,
            Some(text) => match text.replace(['.', '\u{a0}'], "").parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    problems.push(format!(
                        "{} {}: {} '{text}'",
                        t(lang, "surveys.line"),
                        number + 1,
                        t(lang, "surveys.error_transactions")
                    ));
                    continue;
                }
            },
        };
        chosen.push((unit.id, transactions));
    }
    if chosen.is_empty() && problems.is_empty() {
        problems.push(t(lang, "surveys.error_no_units").to_string());
    }
    if !problems.is_empty() {
        return wave_problem(
            &state,
            &principal,
            &context,
            wave_id,
            problems.join("; "),
            form.lines,
        )
        .await;
    }
    match surveys::set_units(&state.db, &principal.actor(), wave_id, &chosen).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/khao-sat/dot/{wave_id}?msg=common.saved")).into_response())
        }
        Err(e) => {
            let problem = as_problem(e, lang)?;
            wave_problem(&state, &principal, &context, wave_id, problem, form.lines).await
        }
    }
}

pub async fn remove_unit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id, unit_id] = ids::<2>(&raw)?;
    match surveys::remove_unit(&state.db, &principal.actor(), wave_id, unit_id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/khao-sat/dot/{wave_id}?msg=common.saved")).into_response())
        }
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            wave_problem(
                &state,
                &principal,
                &context,
                wave_id,
                problem,
                String::new(),
            )
            .await
        }
    }
}

pub(super) async fn transition(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    raw: &[String],
    open: bool,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id] = ids::<1>(raw)?;
    let actor = principal.actor();
    let outcome = if open {
        surveys::open_wave(&state.db, &actor, wave_id).await
    } else {
        surveys::close_wave(&state.db, &actor, wave_id).await
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}?msg=surveys.{}",
            if open { "opened" } else { "closed" }
        ))
        .into_response()),
        Err(e) => {
            let problem = as_problem(e, context.lang)?;
            wave_problem(state, principal, context, wave_id, problem, String::new()).await
        }
    }
}

pub async fn open_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    transition(&state, &principal, &context, &raw, true).await
}

pub async fn close_wave(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    transition(&state, &principal, &context, &raw, false).await
}
