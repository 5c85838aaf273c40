//! The public form's view: the questionnaire as the page shows it, and the answers read back from the posted form.

use super::*;

// Public form: views

pub(super) struct OptionView {
    value: String,
    label: String,
    checked: bool,
}

pub(super) struct ItemView {
    code: String,
    /// The item's number on the form ("Câu 7"), as refusals name it.
    number: usize,
    title: String,
    options: Vec<OptionView>,
    error: bool,
}

pub(super) struct GroupView {
    title: String,
    items: Vec<ItemView>,
}

pub(super) struct ChoiceView {
    code: String,
    title: String,
    options: Vec<OptionView>,
}

/// The optional questions with options, in sections: those about the visit (perceptions),
/// then those about the respondent.
pub(super) struct ChoiceSection {
    id: &'static str,
    title_key: &'static str,
    questions: Vec<ChoiceView>,
}

pub(super) struct ExpectationsView {
    title: String,
    max: usize,
    options: Vec<OptionView>,
    error: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_form/form.html")]
pub struct FormPage {
    page: Page,
    questionnaire_title: String,
    unit_name: String,
    service_name: Option<String>,
    action: String,
    /// The form without token asks for an optional respondent id.
    with_respondent: bool,
    respondent_id: String,
    /// The sentence above the items, when the questionnaire has one.
    lead_in: Option<String>,
    groups: Vec<GroupView>,
    /// Questions about the visit (number of trips, extra papers…, outside the index), then
    /// about the respondent; a section without questions is left out.
    choice_sections: Vec<ChoiceSection>,
    expectations: Option<ExpectationsView>,
    comment_title: Option<String>,
    comment: String,
    errors: Vec<String>,
}

/// A page with a title and one message: thanks, an answered link, a closed survey.
#[derive(Template, WebTemplate)]
#[template(path = "survey_form/notice.html")]
pub struct NoticePage {
    page: Page,
    message: String,
    ok: bool,
}

pub(super) fn notice(
    context: &Context,
    status: StatusCode,
    title_key: &str,
    message: String,
) -> Response {
    let page = Page::new(context, title_key);
    (
        status,
        NoticePage {
            page,
            message,
            ok: status.is_success(),
        },
    )
        .into_response()
}

/// The submitted form's values by field name (checkboxes repeat their name).
pub(super) type Fields = Vec<(String, String)>;

pub(super) fn values<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

pub(super) fn first<'a>(fields: &'a Fields, name: &str) -> &'a str {
    values(fields, name).first().copied().unwrap_or("")
}

/// The items grouped by factor (the items in no factor last, under their own title), each
/// worded as the questionnaire asks it, with the submitted answer checked.
fn item_groups(
    lang: Lang,
    questionnaire: &Questionnaire,
    fields: &Fields,
    faulty: &[String],
) -> Vec<GroupView> {
    let item_view = |index: usize| {
        let item = &questionnaire.items[index];
        let chosen = first(fields, &item.code);
        // Vietnamese asks each item as the questionnaire words it ("Mức độ hài lòng về …");
        // English shows the item's own title.
        let title = match (lang, &item.title_en) {
            (Lang::En, Some(english)) => english.clone(),
            _ => questionnaire.item_question(&item.title),
        };
        ItemView {
            code: item.code.clone(),
            number: index + 1,
            title,
            options: questionnaire
                .scale
                .answers
                .iter()
                .enumerate()
                .map(|(position, answer)| OptionView {
                    value: answer.code.clone(),
                    label: item
                        .answer_label(&questionnaire.scale, position)
                        .to_string(),
                    checked: chosen.eq_ignore_ascii_case(&answer.code),
                })
                .collect(),
            error: faulty.contains(&item.code),
        }
    };
    let mut groups: Vec<GroupView> = questionnaire
        .factors
        .iter()
        .map(|factor| GroupView {
            title: pick(lang, &factor.title, &factor.title_en),
            items: factor.items.iter().map(|&i| item_view(i)).collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect();
    let loose: Vec<ItemView> = (0..questionnaire.items.len())
        .filter(|&i| questionnaire.items[i].factor.is_none())
        .map(item_view)
        .collect();
    if !loose.is_empty() {
        groups.push(GroupView {
            title: i18n::text(lang, "survey_form.overall_group").to_string(),
            items: loose,
        });
    }
    groups
}

/// Builds the form, with the submitted values checked again and the faulty questions marked.
pub(super) fn form_page(
    context: &Context,
    questionnaire: &Questionnaire,
    target: &Target,
    fields: &Fields,
    faulty: &[String],
    errors: Vec<String>,
) -> FormPage {
    let lang = context.lang;
    let groups = item_groups(lang, questionnaire, fields, faulty);
    let choice = |options: &[chiso_survey::questionnaire::Choice], chosen: &[&str]| {
        options
            .iter()
            .map(|o| OptionView {
                value: o.code.clone(),
                label: o.label.clone(),
                checked: chosen.iter().any(|c| c.eq_ignore_ascii_case(&o.code)),
            })
            .collect::<Vec<_>>()
    };
    let choice_view = |d: &chiso_survey::questionnaire::ChoiceQuestion| ChoiceView {
        code: d.code.clone(),
        title: d.title.clone(),
        options: choice(&d.options, &[first(fields, &d.code)]),
    };
    let questions = &questionnaire.demographics;
    let choice_sections = [
        (true, "perceptions", "survey_form.about_visit"),
        (false, "about-you", "survey_form.about_you"),
    ]
    .into_iter()
    .map(|(perception, id, title_key)| ChoiceSection {
        id,
        title_key,
        questions: questions
            .iter()
            .filter(|d| d.perception == perception)
            .map(choice_view)
            .collect(),
    })
    .filter(|section| !section.questions.is_empty())
    .collect();
    let expectations = questionnaire.expectations.as_ref().map(|e| {
        let chosen = values(fields, &e.question.code);
        ExpectationsView {
            title: e.question.title.clone(),
            max: e.max_choices,
            options: choice(&e.question.options, &chosen),
            error: faulty.contains(&e.question.code),
        }
    });
    FormPage {
        page: Page::new(context, "survey_form.title"),
        questionnaire_title: pick(lang, &questionnaire.title, &questionnaire.title_en),
        unit_name: target.unit_name.clone(),
        service_name: target.service.as_ref().map(|(_, name)| name.clone()),
        action: target.action.clone(),
        // The form without token asks for an optional respondent id.
        with_respondent: target.token.is_none(),
        respondent_id: first(fields, "respondent_id").to_string(),
        lead_in: questionnaire.lead_in.clone(),
        groups,
        choice_sections,
        expectations,
        comment_title: questionnaire.comment.as_ref().map(|c| c.title.clone()),
        comment: first(fields, "comment").to_string(),
        errors,
    }
}

/// Reads the form into a submission through the survey codec (every item answered); on
/// faults, the fields at fault and messages naming them ("Câu 7: …").
pub(super) fn parse_form(
    lang: Lang,
    questionnaire: &Questionnaire,
    fields: &Fields,
) -> Result<surveys::Response, (Vec<String>, Vec<String>)> {
    let mut cells = TextCells::new(questionnaire);
    for (k, item) in questionnaire.items.iter().enumerate() {
        cells.answers[k] = first(fields, &item.code).to_string();
    }
    for (d, question) in questionnaire.demographics.iter().enumerate() {
        cells.demographics[d] = first(fields, &question.code).to_string();
    }
    if let Some(question) = &questionnaire.expectations {
        cells.expectations = values(fields, &question.question.code)
            .into_iter()
            .map(str::to_string)
            .collect();
    }
    cells.comment = first(fields, "comment").to_string();
    let mut codec = Codec::new(questionnaire, Blanks::Never);
    match codec.pack(&&cells) {
        Ok(packed) => Ok(surveys::Response::packed(surveys::Channel::Online, &packed)),
        Err(faults) => Err(fault_messages(lang, &faults)),
    }
}

/// The fields at fault and a message for each fault.
pub(super) fn fault_messages(lang: Lang, faults: &[Fault]) -> (Vec<String>, Vec<String>) {
    let mut faulty = Vec::new();
    let mut errors = Vec::new();
    for fault in faults {
        if let Some(field) = fault.field()
            && !faulty.iter().any(|f| f == field)
        {
            faulty.push(field.to_string());
        }
        errors.push(fault.describe(lang));
    }
    (faulty, errors)
}

/// A store refusal as a page with its status.
pub(super) fn refusal_page(context: &Context, refusal: &Refusal) -> Response {
    let lang = context.lang;
    let (status, title, message) = match refusal {
        Refusal::UnknownWave | Refusal::UnknownToken => (
            StatusCode::NOT_FOUND,
            "survey_form.not_found_title",
            i18n::text(lang, "survey_form.not_found").to_string(),
        ),
        Refusal::UnitNotInWave => (
            StatusCode::NOT_FOUND,
            "survey_form.not_found_title",
            i18n::text(lang, "survey_form.unit_not_in_wave").to_string(),
        ),
        Refusal::UnknownService => (
            StatusCode::NOT_FOUND,
            "survey_form.not_found_title",
            i18n::text(lang, "survey_form.unknown_service").to_string(),
        ),
        Refusal::TokenUsed => (
            StatusCode::CONFLICT,
            "survey_form.used_title",
            i18n::text(lang, "survey_form.used").to_string(),
        ),
        Refusal::DuplicateRespondent => (
            StatusCode::CONFLICT,
            "survey_form.duplicate_title",
            i18n::text(lang, "survey_form.duplicate").to_string(),
        ),
        Refusal::WaveNotOpen(_) | Refusal::AlreadyClosed(_) => (
            StatusCode::GONE,
            "survey_form.closed_title",
            i18n::text(lang, "survey_form.closed").to_string(),
        ),
        Refusal::NotYetOpen(date) => (
            StatusCode::FORBIDDEN,
            "survey_form.closed_title",
            i18n::text(lang, "survey_form.not_yet_open").replace("{date}", &i18n::date(*date)),
        ),
        Refusal::Fault(_) | Refusal::Shape(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "survey_form.error_title",
            refusal.describe(lang),
        ),
    };
    notice(context, status, title, message)
}

/// What a link leads to: the wave, the unit, the service asked about if any and, for a token
/// link, the token.
pub(super) struct Target {
    wave: WaveRow,
    unit_id: i64,
    unit_name: String,
    /// The service's id and name.
    service: Option<(i64, String)>,
    token: Option<String>,
    action: String,
}

/// `?dv=CODE` on a unit's short link: the form about one of its services (a QR code per
/// service at the counter).
#[derive(Debug, Default, Deserialize)]
pub struct ServiceQuery {
    #[serde(default)]
    pub dv: Option<String>,
}

pub(super) async fn slug_target(
    state: &AppState,
    slug: &str,
    service_code: Option<&str>,
) -> AppResult<Result<Target, Refusal>> {
    let Some((wave_id, unit_id)) = surveys::find_slug(&state.db, slug).await? else {
        return Ok(Err(Refusal::UnknownWave));
    };
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let unit = chiso_store::units::get(&state.db, unit_id).await?;
    let mut action = format!("/ks/{}", slug.trim().to_lowercase());
    let mut service = None;
    if let Some(code) = service_code.map(str::trim).filter(|c| !c.is_empty()) {
        let Some(found) = surveys::find_service(&state.db, wave_id, unit_id, code).await? else {
            return Ok(Err(Refusal::UnknownService));
        };
        action = format!("{action}?dv={}", found.code);
        service = Some((found.id, found.name));
    }
    Ok(Ok(Target {
        wave,
        unit_id,
        unit_name: unit.name,
        service,
        token: None,
        action,
    }))
}

pub(super) async fn token_target(
    state: &AppState,
    token: &str,
) -> AppResult<Result<Target, Refusal>> {
    let Some(info) = surveys::find_token(&state.db, token).await? else {
        return Ok(Err(Refusal::UnknownToken));
    };
    if info.used_at.is_some() {
        return Ok(Err(Refusal::TokenUsed));
    }
    let wave = surveys::get_wave(&state.db, info.wave_id).await?;
    let unit = chiso_store::units::get(&state.db, info.unit_id).await?;
    let service = match info.service_id {
        Some(id) => {
            let found = surveys::get_service(&state.db, id).await?;
            Some((found.id, found.name))
        }
        None => None,
    };
    Ok(Ok(Target {
        wave,
        unit_id: info.unit_id,
        unit_name: unit.name,
        service,
        token: Some(token.trim().to_string()),
        action: format!("/ks/t/{}", token.trim()),
    }))
}

pub(super) async fn show_form(
    state: &AppState,
    context: &Context,
    target: Result<Target, Refusal>,
) -> AppResult<Response> {
    let target = match target {
        Ok(target) => target,
        Err(refusal) => return Ok(refusal_page(context, &refusal)),
    };
    if let Some(refusal) = wave_closed(state, &target.wave) {
        return Ok(refusal_page(context, &refusal));
    }
    let questionnaire = questionnaire_of(state, &target.wave).await?;
    Ok(form_page(
        context,
        &questionnaire,
        &target,
        &Vec::new(),
        &[],
        Vec::new(),
    )
    .into_response())
}

pub(super) async fn take_form(
    state: &AppState,
    context: &Context,
    ip: std::net::IpAddr,
    target: Result<Target, Refusal>,
    fields: Fields,
) -> AppResult<Response> {
    let lang = context.lang;
    let target = match target {
        Ok(target) => target,
        Err(refusal) => return Ok(refusal_page(context, &refusal)),
    };
    if let Some(refusal) = wave_closed(state, &target.wave) {
        return Ok(refusal_page(context, &refusal));
    }
    if target.token.is_none() && !intake::public_submission_allowed(state, ip).await {
        return Ok(notice(
            context,
            StatusCode::TOO_MANY_REQUESTS,
            "survey_form.rate_title",
            i18n::text(lang, "survey_form.rate_limited").to_string(),
        ));
    }
    let questionnaire = questionnaire_of(state, &target.wave).await?;
    let rerender = |faulty: &[String], errors: Vec<String>| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(context, &questionnaire, &target, &fields, faulty, errors),
        )
            .into_response()
    };
    let mut response = match parse_form(lang, &questionnaire, &fields) {
        Ok(response) => response,
        Err((faulty, errors)) => return Ok(rerender(&faulty, errors)),
    };
    response.source = Some(ip.to_string());
    response.service_id = target.service.as_ref().map(|(id, _)| *id);
    let respondent = first(&fields, "respondent_id").trim().to_string();
    if respondent.chars().count() > surveys::MAX_RESPONDENT_ID {
        let (faulty, errors) = fault_messages(
            lang,
            &[Fault::RespondentTooLong {
                max: surveys::MAX_RESPONDENT_ID,
            }],
        );
        return Ok(rerender(&faulty, errors));
    }
    let identity = match &target.token {
        Some(token) => Identity::Token(token),
        None => Identity::PublicRespondent((!respondent.is_empty()).then_some(respondent.as_str())),
    };
    match intake::submit(state, &target.wave, target.unit_id, &response, identity).await? {
        Ok(_) => Ok(Redirect::to("/ks/cam-on").into_response()),
        Err(Refusal::DuplicateRespondent) => Ok((
            StatusCode::CONFLICT,
            form_page(
                context,
                &questionnaire,
                &target,
                &fields,
                &["respondent_id".to_string()],
                vec![i18n::text(lang, "survey_form.duplicate").to_string()],
            ),
        )
            .into_response()),
        Err(Refusal::Fault(fault)) => {
            let (faulty, errors) = fault_messages(lang, std::slice::from_ref(&fault));
            Ok(rerender(&faulty, errors))
        }
        Err(Refusal::Shape(fault)) => Ok(rerender(
            &[fault.field().to_string()],
            vec![fault.describe(lang)],
        )),
        Err(refusal) => Ok(refusal_page(context, &refusal)),
    }
}

// ---------------------------------------------------------------------------------------------
