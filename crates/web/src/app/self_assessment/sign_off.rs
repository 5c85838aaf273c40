//! The unit's sign-offs and answers on its sheet (docs/method.md §2.5): the leader submits the
//! sheet or withdraws it, answers a leaf flagged for explanation (editor or leader) and submits
//! the answers.
//!
//! Context: the sheet ([`SheetContext`], loaded once by the handler with the user's role in the
//! unit and the unit's extensions; the frozen framework from the cache). Rules, asked once by
//! the store against what it reads in the same call: the role may take the action in the
//! sheet's status, the deadline or the unit's extension still allows it, and for a submission
//! the leaves are complete. Rows written: the sheet's status (or the leaf's answer), its figures
//! and the audit rows, in one transaction conditional on the version the user reviewed.

use chiso_domain::assessment::Stage;
use chiso_store::StoreError;
use chiso_store::assessments::{self, AnswerEntry, LeafScore, SheetRow};
use chrono::NaiveDate;

use crate::app::sheet_context::SheetContext;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The user's role in the sheet's unit, which the context was loaded for.
fn role(context: &SheetContext) -> AppResult<chiso_domain::access::Role> {
    context.role.ok_or(AppError::Forbidden)
}

/// The leader submits the sheet as reviewed at `expected_version`.
pub async fn submit(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    expected_version: i64,
    today: NaiveDate,
) -> AppResult<Result<SheetRow, StoreError>> {
    Ok(assessments::submit_in(
        &state.db,
        &principal.actor(),
        role(context)?,
        &context.scope,
        context.extension(Stage::SelfAssessment),
        expected_version,
        today,
    )
    .await)
}

/// The leader takes a submitted sheet back to draft, with an optional reason.
pub async fn withdraw(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    today: NaiveDate,
    reason: Option<&str>,
) -> AppResult<Result<SheetRow, StoreError>> {
    Ok(assessments::withdraw_in(
        &state.db,
        &principal.actor(),
        role(context)?,
        &context.scope,
        context.extension(Stage::SelfAssessment),
        today,
        reason,
    )
    .await)
}

/// The answer to the explanation requested on a leaf, from the version the user saw.
pub async fn answer(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    today: NaiveDate,
    entry: &AnswerEntry,
) -> AppResult<Result<LeafScore, StoreError>> {
    Ok(assessments::save_answer_in(
        &state.db,
        &principal.actor(),
        role(context)?,
        &context.scope,
        context.extension(Stage::Explanation),
        today,
        entry,
    )
    .await)
}

/// The leader submits the answers reviewed at `expected_version`.
pub async fn submit_explanation(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    expected_version: i64,
    today: NaiveDate,
) -> AppResult<Result<SheetRow, StoreError>> {
    Ok(assessments::submit_explanation_in(
        &state.db,
        &principal.actor(),
        role(context)?,
        &context.scope,
        context.extension(Stage::Explanation),
        expected_version,
        today,
    )
    .await)
}
