use super::*;
use crate::extract::PathId;

// ── The campaign's audit log (/dot-danh-gia/{id}/nhat-ky.csv) ───────────────────────────────

/// Every audit row of the campaign, oldest first, as CSV (the columns of /nhat-ky.csv).
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn audit_csv(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ViewAudit)?;
    let id = id.get()?;
    campaigns::get(&state.db, id).await?;
    let filter = AuditFilter {
        campaign_id: Some(id),
        ..AuditFilter::default()
    };
    Ok(crate::routes::audit::csv_stream(
        state.db.clone(),
        filter,
        &format!("nhat-ky-dot-{id}.csv"),
    ))
}
