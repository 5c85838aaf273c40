//! Creating and editing a unit.

use super::*;

/// The unit form as typed (every field optional, so that a wrong form is answered with its
/// errors rather than a deserialisation failure).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnitForm {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: String,
    pub region: String,
    pub valid_from: String,
    pub valid_to: String,
}

impl UnitForm {
    fn from_unit(unit: &OrgUnit) -> UnitForm {
        UnitForm {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.as_str().to_string(),
            parent_id: unit.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            region: unit.region.clone().unwrap_or_default(),
            valid_from: if unit.valid_from == open_start() {
                String::new()
            } else {
                unit.valid_from.to_string()
            },
            valid_to: unit.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    /// The fields for the store, or every problem, each naming its field. `dates` is false for
    /// the successor of a merger, whose validity starts on the merger date.
    pub(super) fn parse(&self, lang: Lang, dates: bool) -> Result<UnitFields, Vec<String>> {
        let mut errors = Vec::new();
        let required = i18n::text(lang, "units.err_required");
        if self.code.trim().is_empty() {
            errors.push(field_error(lang, "units.code", required));
        } else if self.code.trim().chars().any(char::is_whitespace) {
            errors.push(field_error(
                lang,
                "units.code",
                i18n::text(lang, "units.err_code_spaces"),
            ));
        }
        if self.name.trim().is_empty() {
            errors.push(field_error(lang, "units.name", required));
        }
        let kind = OrgKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(field_error(
                lang,
                "units.kind",
                i18n::text(lang, "units.err_kind"),
            ));
        }
        let parent_id = match self.parent_id.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(field_error(
                        lang,
                        "units.parent",
                        i18n::text(lang, "units.err_parent"),
                    ));
                    None
                }
            },
        };
        let mut date = |text: &str, key: &str| match parse_date(text) {
            Ok(date) => date,
            Err(_) => {
                errors.push(field_error(lang, key, i18n::text(lang, "units.err_date")));
                None
            }
        };
        let (valid_from, valid_to) = if dates {
            (
                date(&self.valid_from, "units.valid_from"),
                date(&self.valid_to, "units.valid_to"),
            )
        } else {
            (None, None)
        };
        if let (Some(from), Some(to)) = (valid_from, valid_to)
            && to < from
        {
            errors.push(field_error(
                lang,
                "units.valid_to",
                i18n::text(lang, "units.err_dates_order"),
            ));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(UnitFields {
                code: self.code.trim().to_string(),
                name: self.name.trim().to_string(),
                kind,
                parent_id,
                region: Some(self.region.trim().to_string()).filter(|r| !r.is_empty()),
                valid_from,
                valid_to,
            }),
            _ => Err(errors),
        }
    }
}

/// The kinds, for the form's `<select>`.
pub(super) fn kind_choices(lang: Lang, selected: &str) -> Vec<Choice> {
    OrgKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_string(),
            label: i18n::text(lang, &format!("common.kind_{}", k.as_str())).to_string(),
            selected: k.as_str() == selected,
        })
        .collect()
}

/// Units that may be a parent (nations, provinces and districts), current ones first.
pub(super) fn parent_choices(all: &[OrgUnit], selected: &str, own: Option<i64>) -> Vec<Choice> {
    let today = Utc::now().date_naive();
    let mut parents: Vec<&OrgUnit> = all
        .iter()
        .filter(|u| {
            matches!(
                u.kind,
                OrgKind::Nation | OrgKind::Province | OrgKind::District
            ) && Some(u.id) != own
        })
        .filter(|u| u.is_current_on(today) || u.id.to_string() == selected)
        .collect();
    parents.sort_by(|a, b| (kind_rank(a.kind), &a.code).cmp(&(kind_rank(b.kind), &b.code)));
    parents
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} — {}", u.code, u.name),
            selected: u.id.to_string() == selected,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "units/form.html")]
pub struct FormPage {
    page: Page,
    action: String,
    editing: Option<i64>,
    form: UnitForm,
    errors: Vec<String>,
    kinds: Vec<Choice>,
    parents: Vec<Choice>,
}

async fn form_page(
    state: &AppState,
    context: &crate::auth::Context,
    editing: Option<i64>,
    form: UnitForm,
    errors: Vec<String>,
) -> AppResult<FormPage> {
    let all = units::list(&state.db).await?;
    let lang = context.lang;
    Ok(FormPage {
        page: Page::new(
            context,
            if editing.is_some() {
                "units.edit_title"
            } else {
                "units.create_title"
            },
        ),
        action: match editing {
            Some(id) => paths::unit_edit(id),
            None => paths::UNITS.to_string(),
        },
        editing,
        kinds: kind_choices(lang, &form.kind),
        parents: parent_choices(&all, &form.parent_id, editing),
        form,
        errors,
    })
}

pub async fn create_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<FormPage> {
    principal.require(Permission::ManageUnits)?;
    let form = UnitForm {
        kind: "department".into(),
        ..UnitForm::default()
    };
    form_page(&state, &context, None, form, Vec::new()).await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<UnitForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let fields = match form.parse(lang, true) {
        Ok(fields) => fields,
        Err(errors) => {
            return Ok(unprocessable(
                form_page(&state, &context, None, form, errors).await?,
            ));
        }
    };
    match units::create(&state.db, &principal.actor(), &fields).await {
        Ok(id) => {
            Ok(Redirect::to(&paths::with_msg(&paths::unit(id), "common.created")).into_response())
        }
        Err(error) => {
            let message = store_error(lang, error)?;
            Ok(unprocessable(
                form_page(&state, &context, None, form, vec![message]).await?,
            ))
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<FormPage> {
    principal.require(Permission::ManageUnits)?;
    let id = id.get()?;
    let unit = units::get(&state.db, id).await?;
    form_page(
        &state,
        &context,
        Some(id),
        UnitForm::from_unit(&unit),
        Vec::new(),
    )
    .await
}

#[tracing::instrument(skip_all, fields(unit_id = ?id))]
pub async fn update(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(form): Form<UnitForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let id = id.get()?;
    let lang = context.lang;
    units::get(&state.db, id).await?;
    let fields = match form.parse(lang, true) {
        Ok(fields) => fields,
        Err(errors) => {
            return Ok(unprocessable(
                form_page(&state, &context, Some(id), form, errors).await?,
            ));
        }
    };
    match units::update(&state.db, &principal.actor(), id, &fields).await {
        Ok(()) => {
            Ok(Redirect::to(&paths::with_msg(&paths::unit(id), "common.saved")).into_response())
        }
        Err(error) => {
            let message = store_error(lang, error)?;
            Ok(unprocessable(
                form_page(&state, &context, Some(id), form, vec![message]).await?,
            ))
        }
    }
}
