//! Autosave of one self-assessed leaf. Statements, the session included: the session (1),
//! the sheet's head (1), its contents (1), then BEGIN, the sheet's figures, the leaf, the
//! audit rows, COMMIT: eight (the framework comes from the cache). The redraw of the row and
//! the totals uses what was read and written, nothing more.

use chiso_domain::Points;
use chiso_domain::access::Role;
use chiso_domain::assessment::{self as rules, SheetAction, Stage};
use chiso_store::assessments::{
    self, Planned, SAVE_ATTEMPTS, SelfEntry, SelfWritten, SheetContents,
};
use chiso_store::{Actor, StoreError};
use chrono::NaiveDate;

use crate::app::sheet_context::SheetContext;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// One leaf's fields as the request carried them: `None` is a field the request did not
/// carry, which keeps its stored value (a form always carries them all; a hand-made request
/// that names only the points must not erase the explanation).
#[derive(Clone, Debug, Default)]
pub struct LeafInput {
    pub node_id: i64,
    /// The points or the rule's input (carried together: one of them decides the points).
    pub score: Option<(Option<Points>, Option<f64>)>,
    pub explanation: Option<String>,
    /// The version of the leaf the editor started from; `None` when it had no row yet.
    pub expected_version: Option<i64>,
}

/// The sheet after a save (or a refused one), ready to be redrawn: the context and the rows
/// as they stand, and the outcome.
pub struct Saving {
    pub context: SheetContext,
    pub contents: SheetContents,
    pub outcome: Result<(), StoreError>,
}

/// Saves one leaf of the self-assessment. The rules of who and when (the sheet is a draft,
/// the user edits for its unit, the deadline or the unit's extension allows) are asked once
/// with the context; the leaf's value rules and the version check decide the write; the write
/// itself is conditional, so a sheet that moved between the read and the write is read again
/// and decided again.
pub async fn save_leaf(
    state: &AppState,
    principal: &Principal,
    mut context: SheetContext,
    today: NaiveDate,
    input: &LeafInput,
) -> AppResult<Saving> {
    let actor: Actor = principal.actor();
    let mut contents = assessments::sheet_contents(&state.db, context.id()).await?;
    for _ in 0..SAVE_ATTEMPTS {
        let role = context.role.ok_or(AppError::Forbidden)?;
        let outcome = attempt(state, &actor, role, &context, &contents, today, input).await;
        match outcome {
            Ok(Some(SelfWritten::SheetMoved)) => {
                context = SheetContext::load(state, principal, context.id()).await?;
                contents = assessments::sheet_contents(&state.db, context.id()).await?;
            }
            Ok(Some(SelfWritten::Saved(row, summary))) => {
                // The sheet's row as the write left it, without reading it again.
                context.scope.sheet.saved_with(&summary, row.updated_at);
                contents.put(*row);
                return Ok(Saving {
                    context,
                    contents,
                    outcome: Ok(()),
                });
            }
            Ok(None) => {
                return Ok(Saving {
                    context,
                    contents,
                    outcome: Ok(()),
                });
            }
            Err(error) => {
                return Ok(Saving {
                    context,
                    contents,
                    outcome: Err(error),
                });
            }
        }
    }
    let outcome = Err(kept_changing(&context, input.node_id));
    Ok(Saving {
        context,
        contents,
        outcome,
    })
}

/// The refusal of a save that found the sheet moved on every attempt.
fn kept_changing(context: &SheetContext, node_id: i64) -> StoreError {
    match context.scope.leaf(node_id) {
        Ok(leaf) => rules::ChangedMeanwhile::SheetKeptChanging {
            code: context.scope.code(leaf).to_string(),
        }
        .into(),
        Err(refused) => refused,
    }
}

/// One decision and write; `None` when nothing differs from the stored row.
async fn attempt(
    state: &AppState,
    actor: &Actor,
    role: Role,
    context: &SheetContext,
    contents: &SheetContents,
    today: NaiveDate,
    input: &LeafInput,
) -> Result<Option<SelfWritten>, StoreError> {
    rules::check_action(role, SheetAction::EditSelfAssessment, &context.context())
        .map_err(StoreError::Rule)?;
    rules::may_enter(
        Stage::SelfAssessment,
        today,
        context.scope.campaign.self_assessment_deadline,
        context.extension(Stage::SelfAssessment),
    )
    .map_err(StoreError::Rule)?;
    let stored = contents
        .rows
        .iter()
        .find(|r| r.node_id == input.node_id && r.stage == 0);
    // A share is typed in per cent; the rule keeps what it stores (docs/method.md §2.6).
    let rule = context
        .scope
        .leaf(input.node_id)
        .ok()
        .and_then(|leaf| context.scope.framework().node(leaf).rule.as_ref());
    let (points, rule_input) = match input.score {
        Some((points, entered)) => (
            points,
            entered.map(|v| rule.map_or(v, |r| r.input_from_entered(v))),
        ),
        None => (
            stored.and_then(|r| r.points()),
            stored.and_then(|r| r.input_value()),
        ),
    };
    let explanation = match &input.explanation {
        Some(text) => Some(text.clone()),
        None => stored.and_then(|r| r.explanation.clone()),
    };
    let entry = SelfEntry {
        node_id: input.node_id,
        points,
        input: rule_input,
        explanation,
        expected_version: input.expected_version,
    };
    match assessments::plan_self_assessment(&context.scope, contents, &entry)? {
        Planned::Unchanged(_) => Ok(None),
        Planned::Write(write) => assessments::write_self_assessment(&state.db, actor, &write)
            .await
            .map(Some),
    }
}
