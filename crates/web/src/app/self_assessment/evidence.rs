//! The unit's evidence on a leaf (tài liệu kiểm chứng, docs/method.md §2.5): upload a document
//! and attach it, attach a document the unit already uploaded, remove one from a leaf.
//!
//! Context: the sheet ([`SheetContext`], loaded once by the handler with the user's role in the
//! unit). Rules, asked once by the store: the file is a document by its content and within the
//! size limit; the role may change the sheet's evidence in its status and before the deadline
//! or the unit's extension; an answer's evidence only on a leaf flagged for explanation.
//! Rows written: the file (once per content), the link under the name the unit gave it, and
//! the audit rows.

use chiso_store::StoreError;
use chiso_store::{evidence, sheet_queries};
use chrono::NaiveDate;

use crate::app::sheet_context::SheetContext;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn role(context: &SheetContext) -> AppResult<chiso_domain::access::Role> {
    context.role.ok_or(AppError::Forbidden)
}

/// Stores an uploaded document (checked by its content; the same bytes are stored once) and
/// attaches it to a leaf under the uploader's name: the same bytes uploaded by another unit
/// keep that unit's name on its own links only.
#[allow(clippy::too_many_arguments)]
pub async fn attach_upload(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    node_id: i64,
    raw_name: &str,
    bytes: &[u8],
    limit: usize,
    today: NaiveDate,
) -> AppResult<Result<(), StoreError>> {
    let role = role(context)?;
    let actor = principal.actor();
    let name = evidence::sanitize_file_name(raw_name);
    let file = match evidence::upload(
        &state.db,
        state.blobs.as_ref(),
        &actor,
        raw_name,
        bytes,
        limit,
    )
    .await
    {
        Ok(file) => file,
        Err(error) => return Ok(Err(error)),
    };
    Ok(evidence::link_named(
        &state.db,
        &actor,
        role,
        context.id(),
        node_id,
        file.id,
        &name,
        today,
    )
    .await
    .map(|_| ()))
}

/// Attaches a document the unit itself uploaded to another leaf (stored once). A file of
/// another unit is refused (Forbidden): an id typed by hand could name someone else's document.
pub async fn attach_own(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    node_id: i64,
    file_id: i64,
    today: NaiveDate,
) -> AppResult<Result<(), StoreError>> {
    let role = role(context)?;
    let own = sheet_queries::unit_files(&state.db, context.scope.sheet.unit_id).await?;
    if !own.iter().any(|f| f.file_id == file_id) {
        return Err(AppError::Forbidden);
    }
    Ok(evidence::link(
        &state.db,
        &principal.actor(),
        role,
        context.id(),
        node_id,
        file_id,
        today,
    )
    .await
    .map(|_| ()))
}

/// Removes a document from a leaf of this sheet (the file stays stored: other links and the
/// log refer to it). NotFound when the link is not this sheet's. Returns the leaf's node id,
/// to redraw it, with the outcome.
pub async fn remove(
    state: &AppState,
    principal: &Principal,
    context: &SheetContext,
    link_id: i64,
    today: NaiveDate,
) -> AppResult<(i64, Result<(), StoreError>)> {
    let role = role(context)?;
    let files = evidence::files_for_sheet(&state.db, context.id()).await?;
    let linked = files
        .iter()
        .find(|f| f.link_id == link_id)
        .ok_or(AppError::NotFound)?;
    let outcome = evidence::unlink(&state.db, &principal.actor(), role, link_id, today).await;
    Ok((linked.node_id, outcome))
}
