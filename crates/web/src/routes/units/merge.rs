//! Merging units into a successor, with lineage.

use super::*;

/// The merge form as typed: repeated `predecessor` fields, hence a list of pairs.
#[derive(Clone, Debug, Default)]
pub struct MergeForm {
    pub predecessors: Vec<String>,
    /// "existing" or "new".
    pub target: String,
    pub successor_id: String,
    pub successor: UnitForm,
    pub effective_date: String,
    pub note: String,
}

impl MergeForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> MergeForm {
        let mut form = MergeForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "predecessor" => form.predecessors.push(value),
                "target" => form.target = value,
                "successor_id" => form.successor_id = value,
                "code" => form.successor.code = value,
                "name" => form.successor.name = value,
                "kind" => form.successor.kind = value,
                "parent_id" => form.successor.parent_id = value,
                "region" => form.successor.region = value,
                "effective_date" => form.effective_date = value,
                "note" => form.note = value,
                _ => {}
            }
        }
        form
    }

    fn is_new(&self) -> bool {
        self.target == "new"
    }
}

/// A current unit offered in the merge form.
#[derive(Clone, Debug)]
pub struct MergeChoice {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub checked: bool,
    pub successor: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/merge.html")]
pub struct MergePage {
    page: Page,
    form: MergeForm,
    errors: Vec<String>,
    units: Vec<MergeChoice>,
    kinds: Vec<Choice>,
    parents: Vec<Choice>,
}

async fn merge_page(
    state: &AppState,
    context: &crate::auth::Context,
    form: MergeForm,
    errors: Vec<String>,
) -> AppResult<MergePage> {
    let all = units::list(&state.db).await?;
    let today = Utc::now().date_naive();
    let mut current: Vec<&OrgUnit> = all.iter().filter(|u| u.is_current_on(today)).collect();
    current.sort_by(|a, b| (kind_rank(a.kind), &a.code).cmp(&(kind_rank(b.kind), &b.code)));
    let units = current
        .into_iter()
        .map(|u| MergeChoice {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.as_str().to_string(),
            checked: form.predecessors.contains(&u.id.to_string()),
            successor: form.successor_id == u.id.to_string(),
        })
        .collect();
    Ok(MergePage {
        page: Page::new(context, "units.merge_title"),
        kinds: kind_choices(context.lang, &form.successor.kind),
        parents: parent_choices(&all, &form.successor.parent_id, None),
        units,
        form,
        errors,
    })
}

pub async fn merge_form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<MergePage> {
    principal.require(Permission::ManageUnits)?;
    let form = MergeForm {
        target: "existing".into(),
        successor: UnitForm {
            kind: "province".into(),
            ..UnitForm::default()
        },
        ..MergeForm::default()
    };
    merge_page(&state, &context, form, Vec::new()).await
}

/// Merges the chosen units into an existing or a new unit, effective on a date; the store
/// ends the predecessors the day before and records the lineage with its audit rows.
#[tracing::instrument(skip_all)]
pub async fn merge(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let form = MergeForm::from_pairs(pairs);
    let (predecessors, target, effective) = match form.parse(lang) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return Ok(unprocessable(
                merge_page(&state, &context, form, errors).await?,
            ));
        }
    };
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    let message = match units::merge(
        &state.db,
        &principal.actor(),
        &predecessors,
        target,
        effective,
        note,
    )
    .await
    {
        Ok(successor) => {
            return Ok(
                Redirect::to(&paths::with_msg(&paths::unit(successor), "units.merged"))
                    .into_response(),
            );
        }
        Err(StoreError::NotFound) => field_error(
            lang,
            "units.predecessors",
            i18n::text(lang, "units.err_parent"),
        ),
        Err(error) => store_error(lang, error)?,
    };
    Ok(unprocessable(
        merge_page(&state, &context, form, vec![message]).await?,
    ))
}

impl MergeForm {
    /// The predecessors (without the successor, each once), the successor and the effective
    /// date; or every problem of the form, each naming its field.
    fn parse(&self, lang: Lang) -> Result<(Vec<i64>, MergeTarget, NaiveDate), Vec<String>> {
        let mut errors = Vec::new();
        let mut predecessors = Vec::new();
        for text in &self.predecessors {
            match text.parse::<i64>() {
                Ok(id) if !predecessors.contains(&id) => predecessors.push(id),
                Ok(_) => {}
                Err(_) => errors.push(field_error(
                    lang,
                    "units.predecessors",
                    i18n::text(lang, "units.err_parent"),
                )),
            }
        }
        let effective = match parse_date(&self.effective_date) {
            Ok(Some(date)) => Some(date),
            Ok(None) => {
                errors.push(field_error(
                    lang,
                    "units.effective_date",
                    i18n::text(lang, "units.err_required"),
                ));
                None
            }
            Err(_) => {
                errors.push(field_error(
                    lang,
                    "units.effective_date",
                    i18n::text(lang, "units.err_date"),
                ));
                None
            }
        };
        let target = self.target(lang, &mut errors);
        if let Some(MergeTarget::Existing(id)) = &target {
            // The successor continues; it is not merged into itself.
            predecessors.retain(|p| p != id);
        }
        if predecessors.is_empty() {
            errors.push(field_error(
                lang,
                "units.predecessors",
                i18n::text(lang, "units.err_no_predecessors"),
            ));
        }
        match (target, effective) {
            (Some(target), Some(effective)) if errors.is_empty() => {
                Ok((predecessors, target, effective))
            }
            _ => Err(errors),
        }
    }

    /// The successor: a new unit as typed, or an existing one by its id.
    fn target(&self, lang: Lang, errors: &mut Vec<String>) -> Option<MergeTarget> {
        if self.is_new() {
            match self.successor.parse(lang, false) {
                Ok(fields) => Some(MergeTarget::New(fields)),
                Err(problems) => {
                    let prefix = i18n::text(lang, "units.successor_new");
                    errors.extend(problems.into_iter().map(|p| format!("{prefix} — {p}")));
                    None
                }
            }
        } else {
            match self.successor_id.trim().parse::<i64>() {
                Ok(id) => Some(MergeTarget::Existing(id)),
                Err(_) => {
                    errors.push(field_error(
                        lang,
                        "units.successor",
                        i18n::text(lang, "units.err_required"),
                    ));
                    None
                }
            }
        }
    }
}
