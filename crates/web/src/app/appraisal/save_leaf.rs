//! An appraiser saves one leaf of the open round: points (or the rule's input), a comment and
//! an explanation request, from the version they saw.
//!
//! Context: the sheet ([`SheetContext`]: one query, the frozen framework from the cache).
//! Rules, asked once by the store against the rows it reads in the same call: the appraiser
//! may appraise now, the leaf is in their areas and open in this round, the points fit the
//! leaf. Rows written: the leaf's row of the round, the sheet's figures and the audit rows, in
//! one transaction conditional on the leaf's version.

use chiso_domain::Points;
use chiso_domain::access::Role;
use chiso_domain::assessment::SheetStatus;
use chiso_store::StoreError;
use chiso_store::assessments::{self, AppraisalEntry, LeafScore};

use crate::app::sheet_context::SheetContext;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::routes::campaigns::shared::appraiser_areas;
use crate::state::AppState;

/// What the appraiser sent for one leaf, parsed.
#[derive(Clone, Debug, Default)]
pub struct AppraisalInput {
    pub node_id: i64,
    pub points: Option<Points>,
    /// The rule's input as typed (a share in per cent; docs/method.md §2.6).
    pub entered: Option<f64>,
    pub comment: String,
    pub explanation_requested: bool,
    /// The leaf's version the appraiser started from; `None` when it had no row.
    pub expected_version: Option<i64>,
}

/// The outcome, with what the page needs to show it again.
pub struct Appraised {
    pub context: SheetContext,
    /// The saved row, or the refusal (a rule, or a conflict with someone else's save).
    pub outcome: Result<LeafScore, StoreError>,
    /// After a conflict: the version stored now, so that saving again overwrites on purpose.
    pub current_version: Option<i64>,
}

/// Loads the sheet for an appraiser: never a draft (it is the unit's until submitted), and a
/// leaf of its framework (NotFound otherwise).
pub async fn load(
    state: &AppState,
    principal: &Principal,
    sheet_id: i64,
    node_id: i64,
) -> AppResult<SheetContext> {
    if !principal.has_role(Role::Appraiser) {
        return Err(AppError::Forbidden);
    }
    let context = SheetContext::load(state, principal, sheet_id).await?;
    if context.status() == SheetStatus::Draft {
        return Err(AppError::Forbidden);
    }
    context
        .scope
        .leaf(node_id)
        .map_err(|_| AppError::NotFound)?;
    Ok(context)
}

pub async fn save_leaf(
    state: &AppState,
    principal: &Principal,
    context: SheetContext,
    input: &AppraisalInput,
) -> AppResult<Appraised> {
    let leaf = context
        .scope
        .leaf(input.node_id)
        .map_err(|_| AppError::NotFound)?;
    // A share is typed in per cent; the rule keeps what it stores (docs/method.md §2.6).
    let rule = context.scope.framework().node(leaf).rule.as_ref();
    let entry = AppraisalEntry {
        node_id: input.node_id,
        points: input.points,
        input: input
            .entered
            .map(|v| rule.map_or(v, |r| r.input_from_entered(v))),
        comment: Some(input.comment.clone()),
        explanation_requested: input.explanation_requested,
        expected_version: input.expected_version,
    };
    let areas = appraiser_areas(principal);
    let outcome = assessments::save_appraisal_in(
        &state.db,
        &principal.actor(),
        Role::Appraiser,
        areas.as_deref(),
        &context.scope,
        &entry,
    )
    .await;
    let current_version = match &outcome {
        Err(StoreError::Meanwhile(_)) => assessments::leaf_scores(&state.db, context.id())
            .await?
            .into_iter()
            .find(|r| r.node_id == input.node_id && r.stage == context.scope.sheet.current_round)
            .map(|r| r.version),
        _ => None,
    };
    Ok(Appraised {
        context,
        outcome,
        current_version,
    })
}
