use super::*;

// ── History ─────────────────────────────────────────────────────────────────────────────────

/// The audit rows of one leaf (who, when, stage, old → new, reason), for those who may read
/// the sheet; htmx loads the table into the leaf row.
#[tracing::instrument(skip_all, fields(sheet_id = %sheet, node_id = %node))]
pub async fn history(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((sheet, node)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let lang = context.lang;
    let loaded = load(&state, &principal, &sheet).await?;
    let (node_id, leaf) = leaf_of(&loaded, &node)?;
    let records = assessments::leaf_history(&state.db, loaded.id(), node_id).await?;
    let node = loaded.scope.framework().node(leaf);
    let rows = records
        .into_iter()
        // A unit reads the appraisal of a round only once the round is closed; the audit of
        // an open round is the council's until then.
        .filter(|r| {
            loaded.role.is_none()
                || r.field
                    .as_deref()
                    .and_then(assessments::parse_stage_field)
                    .is_none_or(|(stage, field)| {
                        stage == 0
                            || field == "answer"
                            || field == "evidence"
                            || stage < loaded.scope.sheet.current_round
                            || !matches!(loaded.status(), SheetStatus::InAppraisal)
                    })
        })
        .map(|r| {
            let (stage, field) = r
                .field
                .as_deref()
                .and_then(assessments::parse_stage_field)
                .map(|(stage, field)| (stage, field.to_string()))
                .unwrap_or((0, r.field.clone().unwrap_or_default()));
            let stage_label = if stage == 0 {
                t(lang, "assessment.stage_self")
            } else {
                t(lang, "assessment.stage_round").replace("{n}", &stage.to_string())
            };
            let field_label = match field.as_str() {
                "points"
                | "input"
                | "explanation"
                | "comment"
                | "answer"
                | "evidence"
                | "explanation_requested"
                | "reviewed" => t(lang, &format!("assessment.field_{field}")),
                other => other.to_string(),
            };
            let value = |v: Option<String>| match v.as_deref() {
                None => "—".to_string(),
                Some("true") => t(lang, "common.yes"),
                Some("false") => t(lang, "common.no"),
                Some(text) if field == "points" => text
                    .parse::<f64>()
                    .map(|n| i18n::points(lang, n))
                    .unwrap_or_else(|_| text.to_string()),
                Some(text) => text.to_string(),
            };
            HistoryRow {
                at: i18n::date_time(r.at),
                actor: r.actor_name.clone(),
                stage: stage_label,
                field: field_label,
                old: value(r.old_value.clone()),
                new: value(r.new_value.clone()),
                reason: r.reason.clone().unwrap_or_default(),
            }
        })
        .collect();
    let mut page = Page::new(&context, "assessment.history_title");
    page.title = format!("{} {}", page.title, node.code);
    if is_htmx(&headers) {
        return Ok(HistoryFragment { page, rows }.into_response());
    }
    Ok(HistoryPage {
        page,
        sheet_id: loaded.id(),
        code: node.code.clone(),
        title: node.title.clone(),
        rows,
    }
    .into_response())
}
