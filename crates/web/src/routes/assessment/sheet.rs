use super::*;
use crate::app::self_assessment::field_error::{LeafField, LeafFieldError};
use crate::app::self_assessment::{self, LeafInput, Saving};

// ── The scoresheet ──────────────────────────────────────────────────────────────────────────

#[tracing::instrument(skip_all, fields(sheet_id = %sheet))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(sheet): Path<String>,
) -> AppResult<ShowPage> {
    let loaded = load(&state, &principal, &sheet).await?;
    let view = build(&state, context.lang, &loaded).await?;
    Ok(ShowPage {
        page: sheet_page(&context, &view),
        sheet: view,
        errors: Vec::new(),
        problems_refused: false,
    })
}

pub(super) fn sheet_page(context: &Context, view: &SheetView) -> Page {
    let mut page = Page::new(context, "assessment.sheet_title");
    page.title = format!("{} — {}", page.title, view.unit_name);
    page
}

pub(super) type Pairs = Vec<(String, String)>;

pub(super) fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// A decimal typed the Vietnamese way (`1,5`) or the other (`1.5`); blank is none.
pub(super) fn decimal(text: &str) -> Result<Option<String>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let normalised = text.replace(',', ".");
    if normalised.matches('.').count() > 1
        || !normalised
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err(());
    }
    Ok(Some(normalised))
}

/// Renders one leaf after a change: the row and the totals for htmx, the whole page
/// otherwise (a browser without JavaScript).
#[allow(clippy::too_many_arguments)]
pub(super) async fn leaf_answer(
    state: &AppState,
    context: &Context,
    principal: &Principal,
    headers: &HeaderMap,
    sheet: &str,
    node_id: i64,
    status: StatusCode,
    change: impl FnOnce(&mut LeafView),
) -> AppResult<Response> {
    // Reloaded: the sheet's state and version moved with the change.
    let loaded = load(state, principal, sheet).await?;
    render_leaf(state, context, headers, &loaded, node_id, status, change).await
}

/// Redraws one leaf after an autosave with what the save read and wrote: nothing is read
/// again (docs/method.md: a campaign's framework is frozen while it runs; the sheet's row and
/// its leaf rows are the ones the save left).
pub(super) async fn redraw_after_save(
    state: &AppState,
    context: &Context,
    headers: &HeaderMap,
    saving: &Saving,
    node_id: i64,
    status: StatusCode,
    change: impl FnOnce(&mut LeafView),
) -> AppResult<Response> {
    let view = build_with(state, context.lang, &saving.context, &saving.contents).await?;
    render_view(
        context,
        headers,
        &saving.context,
        view,
        node_id,
        status,
        change,
    )
}

/// The row and the totals for htmx, the whole page otherwise.
async fn render_leaf(
    state: &AppState,
    context: &Context,
    headers: &HeaderMap,
    loaded: &Loaded,
    node_id: i64,
    status: StatusCode,
    change: impl FnOnce(&mut LeafView),
) -> AppResult<Response> {
    let view = build(state, context.lang, loaded).await?;
    render_view(context, headers, loaded, view, node_id, status, change)
}

fn render_view(
    context: &Context,
    headers: &HeaderMap,
    loaded: &Loaded,
    mut view: SheetView,
    node_id: i64,
    status: StatusCode,
    change: impl FnOnce(&mut LeafView),
) -> AppResult<Response> {
    if is_htmx(headers) {
        let mut leaf = take_leaf(&mut view, node_id).ok_or(AppError::NotFound)?;
        change(&mut leaf);
        let page = sheet_page(context, &view);
        return Ok((
            status,
            LeafResponse {
                page,
                sheet: view,
                leaf,
            },
        )
            .into_response());
    }
    if status.is_success() {
        let code = take_leaf(&mut view, node_id)
            .map(|l| l.code)
            .unwrap_or_default();
        return Ok(Redirect::to(&format!(
            "/tu-danh-gia/{}?msg=common.saved#leaf-{code}",
            loaded.id()
        ))
        .into_response());
    }
    with_leaf(&mut view, node_id, change);
    let page = sheet_page(context, &view);
    Ok((
        status,
        ShowPage {
            page,
            sheet: view,
            errors: Vec::new(),
            problems_refused: false,
        },
    )
        .into_response())
}

/// The node of a sheet's framework, or 404.
pub(super) fn leaf_of(loaded: &Loaded, node: &str) -> AppResult<(i64, NodeId)> {
    let node_id = parse_id(node)?;
    let leaf = *loaded
        .scope
        .node_index
        .get(&node_id)
        .ok_or(AppError::NotFound)?;
    Ok((node_id, leaf))
}

/// Autosave of one leaf: the self-assessment (points or rule input, explanation) while the
/// sheet is a draft, or the answer to an explanation request while one is open. The version
/// the editor started from comes with the form: a leaf saved by someone else meanwhile is
/// refused with 409, showing the stored value and who saved it, and the typed value stays in
/// the field.
#[tracing::instrument(skip_all, fields(sheet_id = %sheet, node_id = %node))]
pub async fn save_leaf(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((sheet, node)): Path<(String, String)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let lang = context.lang;
    let loaded = load_for_change(&state, &principal, &sheet, EDIT_ROLES).await?;
    let (node_id, leaf) = leaf_of(&loaded, &node)?;
    let code = loaded.scope.code(leaf).to_string();
    let typed = Typed::of(&pairs);
    let version: Option<i64> = typed.version.parse().ok();
    let request = LeafRequest {
        state: &state,
        context: &context,
        principal: &principal,
        headers: &headers,
        sheet: &sheet,
    };

    if let Some(answer) = field(&pairs, "answer") {
        let answer = answer.to_string();
        return save_answer_leaf(request, &loaded, node_id, &code, version, answer).await;
    }

    let (points, input) = match parse_numbers(&loaded, leaf, &typed.points, &typed.input) {
        Ok(values) => values,
        Err(refused) => {
            return leaf_answer(
                &state,
                &context,
                &principal,
                &headers,
                &sheet,
                node_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                |leaf| typed.keep_refused(leaf, lang, &refused),
            )
            .await;
        }
    };
    // A field the request does not carry keeps its stored value (a form always carries them
    // all; a hand-made request that names only the points must not erase the explanation).
    let carried = |name: &str| field(&pairs, name).is_some();
    let input = LeafInput {
        node_id,
        score: (carried("points") || carried("input")).then_some((points, input)),
        explanation: carried("explanation").then(|| typed.explanation.clone()),
        expected_version: version,
    };
    let saving =
        self_assessment::save_leaf(&state, &principal, loaded, today(&state), &input).await?;
    redraw_saved(request, saving, (node_id, leaf), &code, version, &typed).await
}

/// What the editor typed into a leaf's form, put back into the fields when the save is
/// refused.
struct Typed {
    points: String,
    input: String,
    explanation: String,
    /// The version the editor started from (or overwrites, after a conflict).
    version: String,
}

impl Typed {
    fn of(pairs: &Pairs) -> Typed {
        let text = |name: &str| field(pairs, name).unwrap_or("").to_string();
        Typed {
            points: text("points"),
            input: text("input"),
            explanation: text("explanation"),
            version: field(pairs, "overwrite_version")
                .or_else(|| field(pairs, "version"))
                .unwrap_or("")
                .trim()
                .to_string(),
        }
    }

    /// The typed values back in the leaf's fields.
    fn keep(&self, leaf: &mut LeafView) {
        leaf.points_value = self.points.clone();
        leaf.input_value = self.input.clone();
        leaf.explanation_value = self.explanation.clone();
        leaf.version = self.version.clone();
        for level in &mut leaf.rule.levels {
            level.selected =
                decimal(&self.points).ok().flatten() == decimal(&level.value).ok().flatten();
        }
    }

    /// The typed values back, with the refused field said beside it.
    fn keep_refused(&self, leaf: &mut LeafView, lang: Lang, refused: &LeafFieldError) {
        self.keep(leaf);
        leaf.error = Some(refused.describe(lang));
        leaf.error_field = refused.field.name();
    }
}

/// Redraws the leaf after its autosave: saved, a value the rules refuse (beside its field), or
/// another refusal (a conflict with someone else's save shows what is stored now).
async fn redraw_saved(
    request: LeafRequest<'_>,
    mut saving: Saving,
    (node_id, leaf): (i64, NodeId),
    code: &str,
    version: Option<i64>,
    typed: &Typed,
) -> AppResult<Response> {
    let LeafRequest {
        state,
        context,
        headers,
        ..
    } = request;
    let lang = context.lang;
    match std::mem::replace(&mut saving.outcome, Ok(())) {
        Ok(()) => {
            redraw_after_save(
                state,
                context,
                headers,
                &saving,
                node_id,
                StatusCode::OK,
                |leaf| leaf.saved_now = true,
            )
            .await
        }
        Err(StoreError::Rule(rule))
            if let Some(refused) =
                LeafFieldError::of_rule(saving.context.scope.framework(), leaf, &rule) =>
        {
            redraw_after_save(
                state,
                context,
                headers,
                &saving,
                node_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                |leaf| typed.keep_refused(leaf, lang, &refused),
            )
            .await
        }
        Err(e) => {
            let (status, error, conflict) = refusal(
                state,
                lang,
                &saving.context,
                node_id,
                code,
                version,
                e,
                false,
            )
            .await?;
            redraw_after_save(state, context, headers, &saving, node_id, status, |leaf| {
                typed.keep(leaf);
                leaf.error = error;
                leaf.conflict = conflict;
            })
            .await
        }
    }
}

pub(super) type Refusal = (StatusCode, Option<String>, Option<ConflictView>);

/// A refused save, explained: a conflict with someone else's save shows what is stored now
/// and who saved it; anything else is the store's reason in the user's language.
#[allow(clippy::too_many_arguments)]
pub(super) async fn refusal(
    state: &AppState,
    lang: Lang,
    loaded: &Loaded,
    node_id: i64,
    code: &str,
    version: Option<i64>,
    error: StoreError,
    answer: bool,
) -> AppResult<Refusal> {
    match error {
        StoreError::Meanwhile(changed) => {
            let stage = if answer {
                assessments::get_sheet(&state.db, loaded.id())
                    .await?
                    .current_round
            } else {
                0
            };
            let current = assessments::leaf_scores(&state.db, loaded.id())
                .await?
                .into_iter()
                .find(|r| r.node_id == node_id && r.stage == stage);
            match current {
                Some(row) if Some(row.version) != version => {
                    let by = match row.updated_by {
                        Some(id) => users::get(&state.db, id)
                            .await
                            .map(|u| u.full_name)
                            .unwrap_or_else(|_| row.updated_by_name.clone()),
                        None => row.updated_by_name.clone(),
                    };
                    let stored = if answer {
                        row.answer.clone().unwrap_or_default()
                    } else {
                        let points = row
                            .points()
                            .map(|p| pts(lang, p))
                            .unwrap_or_else(|| t(lang, "assessment.no_points"));
                        match &row.explanation {
                            Some(e) => format!(
                                "{} {points}; {} «{e}»",
                                t(lang, "assessment.points"),
                                t(lang, "assessment.explanation")
                            ),
                            None => format!("{} {points}", t(lang, "assessment.points")),
                        }
                    };
                    Ok((
                        StatusCode::CONFLICT,
                        Some(t(lang, "assessment.conflict").replace("{code}", code)),
                        Some(ConflictView {
                            by,
                            at: i18n::date_time(row.updated_at),
                            stored,
                            version: row.version,
                        }),
                    ))
                }
                _ => Ok((StatusCode::CONFLICT, Some(changed.describe(lang)), None)),
            }
        }
        StoreError::NotFound => Err(AppError::NotFound),
        other => match crate::describe::store_refusal_with_status(lang, &other) {
            Some((status, text)) => Ok((status, Some(text), None)),
            None => Err(other.into()),
        },
    }
}

/// The request a leaf is redrawn for.
#[derive(Clone, Copy)]
pub(super) struct LeafRequest<'a> {
    pub(super) state: &'a AppState,
    pub(super) context: &'a Context,
    pub(super) principal: &'a Principal,
    pub(super) headers: &'a HeaderMap,
    pub(super) sheet: &'a str,
}

/// The unit's answer to an explanation request on one leaf (an autosave of the answer box).
async fn save_answer_leaf(
    request: LeafRequest<'_>,
    loaded: &Loaded,
    node_id: i64,
    code: &str,
    version: Option<i64>,
    answer: String,
) -> AppResult<Response> {
    let LeafRequest {
        state,
        context,
        principal,
        headers,
        sheet,
    } = request;
    let lang = context.lang;
    let typed = answer.clone();
    let result = match version {
        Some(version) => {
            crate::app::self_assessment::sign_off::answer(
                state,
                principal,
                loaded,
                today(state),
                &AnswerEntry {
                    node_id,
                    answer: Some(answer),
                    expected_version: version,
                },
            )
            .await?
        }
        None => Err(StoreError::Rule(rules::WorkflowError::NotFlagged {
            code: code.to_string(),
        })),
    };
    let (status, error, conflict) = match result {
        Ok(_) => (StatusCode::OK, None, None),
        Err(e) => refusal(state, lang, loaded, node_id, code, version, e, true).await?,
    };
    let saved = status.is_success();
    leaf_answer(
        state,
        context,
        principal,
        headers,
        sheet,
        node_id,
        status,
        move |leaf| {
            leaf.saved_now = saved;
            if let Some(answer) = leaf.answer.as_mut()
                && !saved
            {
                answer.value = typed;
            }
            leaf.error = error;
            leaf.conflict = conflict;
        },
    )
    .await
}

/// The points and the rule input as typed (`1,5` or `1.5`; blank is none), or the first field
/// that does not read as a number, typed with the leaf and a value it takes.
fn parse_numbers(
    loaded: &Loaded,
    leaf: NodeId,
    points_text: &str,
    input_text: &str,
) -> Result<(Option<Points>, Option<f64>), LeafFieldError> {
    let framework = loaded.scope.framework();
    let refused = |field, text: &str| LeafFieldError::not_a_number(framework, leaf, field, text);
    let points = match decimal(points_text) {
        Ok(None) => None,
        Ok(Some(text)) => Some(
            text.parse::<Points>()
                .map_err(|_| refused(LeafField::Points, points_text))?,
        ),
        Err(()) => return Err(refused(LeafField::Points, points_text)),
    };
    let input = match decimal(input_text) {
        Ok(None) => None,
        Ok(Some(text)) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => return Err(refused(LeafField::Input, input_text)),
        },
        Err(()) => return Err(refused(LeafField::Input, input_text)),
    };
    Ok((points, input))
}

/// The unit's detailed scoresheet as .xlsx (docs/formats.md §12.2), for exactly the people
/// who may read the sheet, showing what its page shows them.
#[tracing::instrument(skip_all, fields(sheet = %sheet))]
pub async fn scoresheet_xlsx(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Path(sheet): Path<String>,
) -> AppResult<Response> {
    let scoresheet =
        crate::app::scoresheet::Scoresheet::load(&state, &principal, parse_id(&sheet)?).await?;
    let body = crate::workbooks::scoresheet::write(
        &scoresheet,
        &state.config.authority_name,
        state.clock.today(),
    )
    .map_err(crate::workbooks::xlsx_error)?;
    Ok(crate::downloads::download(
        crate::downloads::XLSX,
        crate::workbooks::scoresheet::file_name(&scoresheet),
        body,
    ))
}
