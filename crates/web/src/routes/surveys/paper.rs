//! Paper entry (/khao-sat/dot/{wave}/phieu-giay).

use super::*;

pub struct ChoiceView {
    /// The answer's or option's code, as the codec reads it.
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub name: String,
    /// "Câu N": the item's number on the paper form.
    pub number: usize,
    pub title: String,
    pub choices: Vec<ChoiceView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/paper.html")]
pub struct PaperPage {
    page: Page,
    wave: WaveRow,
    units: Vec<(i64, String, bool)>,
    items: Vec<QuestionView>,
    demographics: Vec<QuestionView>,
    expectations: Option<(String, usize, Vec<ChoiceView>)>,
    comment: Option<String>,
    comment_value: String,
    respondent_id: String,
    /// The service code typed, and the wave's service codes with their unit and name.
    service: String,
    service_options: Vec<(String, String)>,
    /// The row of digits typed (keyboard entry), kept when the form is refused.
    digits: String,
    digits_hint: String,
    error: Option<String>,
}

type Fields = Vec<(String, String)>;

pub(super) fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(super) async fn paper_page(
    state: &AppState,
    context: &crate::auth::Context,
    wave_id: i64,
    fields: &Fields,
    error: Option<String>,
) -> AppResult<PaperPage> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let questionnaire = surveys::get_questionnaire(&state.db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    let chosen_unit = field(fields, "unit_id").unwrap_or("");
    let wave_units = surveys::wave_units(&state.db, wave_id).await?;
    let services = surveys::services(&state.db, wave_id, None).await?;
    let service_options = service_options(&wave_units, services);
    let units = wave_units
        .into_iter()
        .map(|u| {
            let selected = u.unit_id.to_string() == chosen_unit;
            (
                u.unit_id,
                format!("{} — {}", u.unit_code, u.unit_name),
                selected,
            )
        })
        .collect();
    Ok(PaperPage {
        page: Page::new(context, "surveys.paper_title"),
        units,
        items: item_questions(&questionnaire, fields),
        demographics: demographic_questions(&questionnaire, fields),
        expectations: expectation_choices(&questionnaire, fields),
        comment: questionnaire.comment.as_ref().map(|c| c.title.clone()),
        comment_value: field(fields, "comment").unwrap_or("").to_string(),
        respondent_id: field(fields, "respondent_id").unwrap_or("").to_string(),
        service: field(fields, "service").unwrap_or("").to_string(),
        service_options,
        digits: field(fields, "digits").unwrap_or("").to_string(),
        digits_hint: i18n::fill(
            context.lang,
            "surveys.paper_digits_hint",
            &[("count", &questionnaire.items.len())],
        ),
        error,
        wave,
    })
}

/// The wave's service codes, each once, with the first unit that offers it and its name.
fn service_options(
    wave_units: &[WaveUnitRow],
    services: Vec<surveys::ServiceRow>,
) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = Vec::new();
    for s in services {
        let unit = wave_units
            .iter()
            .find(|u| u.unit_id == s.unit_id)
            .map(|u| u.unit_code.as_str())
            .unwrap_or_default();
        if !options.iter().any(|(code, _)| *code == s.code) {
            options.push((s.code.clone(), format!("{unit} · {}", s.name)));
        }
    }
    options
}

/// The questionnaire's items (`a0`, `a1`…), each with the scale's answers, the typed one
/// checked.
fn item_questions(questionnaire: &Questionnaire, fields: &Fields) -> Vec<QuestionView> {
    questionnaire
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let name = format!("a{i}");
            let current = field(fields, &name).unwrap_or("");
            QuestionView {
                number: i + 1,
                title: item.title.clone(),
                choices: questionnaire
                    .scale
                    .answers
                    .iter()
                    .enumerate()
                    .map(|(position, a)| ChoiceView {
                        value: a.code.clone(),
                        label: format!(
                            "{} {}",
                            a.code,
                            item.answer_label(&questionnaire.scale, position)
                        ),
                        checked: current.trim().eq_ignore_ascii_case(&a.code),
                    })
                    .collect(),
                name,
            }
        })
        .collect()
}

/// The questionnaire's demographic questions (`d0`, `d1`…), the typed option checked.
fn demographic_questions(questionnaire: &Questionnaire, fields: &Fields) -> Vec<QuestionView> {
    questionnaire
        .demographics
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let name = format!("d{i}");
            let current = field(fields, &name).unwrap_or("");
            QuestionView {
                number: i + 1,
                title: q.title.clone(),
                choices: q
                    .options
                    .iter()
                    .map(|o| ChoiceView {
                        value: o.code.clone(),
                        label: o.label.clone(),
                        checked: current.trim().eq_ignore_ascii_case(&o.code),
                    })
                    .collect(),
                name,
            }
        })
        .collect()
}

/// The expectations question, when the questionnaire has one: its title, how many options
/// may be ticked, and the options (`e`, repeated) with the ticked ones checked.
fn expectation_choices(
    questionnaire: &Questionnaire,
    fields: &Fields,
) -> Option<(String, usize, Vec<ChoiceView>)> {
    questionnaire.expectations.as_ref().map(|e| {
        (
            e.question.title.clone(),
            e.max_choices,
            e.question
                .options
                .iter()
                .map(|o| ChoiceView {
                    value: o.code.clone(),
                    label: o.label.clone(),
                    checked: fields
                        .iter()
                        .any(|(k, x)| k == "e" && x.trim().eq_ignore_ascii_case(&o.code)),
                })
                .collect(),
        )
    })
}

pub async fn paper_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Fields>,
) -> AppResult<PaperPage> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id] = ids::<1>(&raw)?;
    // After a save the unit stays chosen for the next form of the pile.
    let fields: Fields = query.into_iter().filter(|(k, _)| k == "unit_id").collect();
    paper_page(&state, &context, wave_id, &fields, None).await
}

/// Stores one typed paper form (channel `paper`) through the same checks as the public form.
pub async fn paper_submit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let questionnaire = surveys::get_questionnaire(&state.db, wave.questionnaire_id)
        .await?
        .questionnaire()?;
    let refuse = |problem: String| async {
        let mut body = paper_page(&state, &context, wave_id, &fields, Some(problem))
            .await?
            .into_response();
        *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        AppResult::Ok(body)
    };
    let Some(unit_id) = field(&fields, "unit_id").and_then(|u| u.parse::<i64>().ok()) else {
        return refuse(t(lang, "surveys.error_paper_unit").to_string()).await;
    };
    // The form's cells, checked and packed by the survey codec (at least one answer).
    // Typed as one row of digits (keyboard entry), or chosen question by question.
    let mut cells = TextCells::new(&questionnaire);
    match field(&fields, "digits").filter(|d| !d.trim().is_empty()) {
        Some(digits) => {
            if let Err(fault) = cells.set_digits(digits) {
                return refuse(fault.describe(lang)).await;
            }
        }
        None => {
            for k in 0..questionnaire.items.len() {
                cells.answers[k] = field(&fields, &format!("a{k}")).unwrap_or("").to_string();
            }
        }
    }
    for d in 0..questionnaire.demographics.len() {
        cells.demographics[d] = field(&fields, &format!("d{d}")).unwrap_or("").to_string();
    }
    cells.expectations = fields
        .iter()
        .filter(|(k, _)| k == "e")
        .map(|(_, v)| v.clone())
        .collect();
    cells.comment = field(&fields, "comment").unwrap_or("").to_string();
    cells.respondent = field(&fields, "respondent_id").unwrap_or("").to_string();
    let mut codec = Codec::new(&questionnaire, Blanks::AtLeastOne);
    let mut response = match codec.pack(&&cells) {
        Ok(packed) => surveys::Response::packed(surveys::Channel::Paper, &packed),
        Err(faults) => {
            let text: Vec<String> = faults.iter().map(|f| f.describe(lang)).collect();
            return refuse(text.join(" ")).await;
        }
    };
    let respondent = field(&fields, "respondent_id")
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(code) = field(&fields, "service")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match surveys::find_service(&state.db, wave_id, unit_id, code).await? {
            Some(service) => response.service_id = Some(service.id),
            None => {
                return refuse(format!(
                    "{} ({code})",
                    Refusal::UnknownService.describe(lang)
                ))
                .await;
            }
        }
    }
    match state
        .submissions
        .submit(
            wave_id,
            unit_id,
            &response,
            Identity::Respondent(respondent),
        )
        .await?
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/phieu-giay?msg=surveys.paper_saved&unit_id={unit_id}"
        ))
        .into_response()),
        Err(refusal) => refuse(refusal.describe(lang)).await,
    }
}
