//! The audit log: browse with filters, export as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chiso_domain::access::Permission;
use chiso_store::audit::{self, AuditFilter, AuditRecord};
use serde::Deserialize;

use crate::auth::Auth;
use crate::error::AppResult;
use crate::extract::{Query, State};
use crate::state::AppState;
use crate::views::Page;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    entity_type: Option<String>,
    entity_id: Option<i64>,
    campaign_id: Option<i64>,
    before: Option<i64>,
}

impl AuditQuery {
    fn filter(&self, limit: i64) -> AuditFilter {
        AuditFilter {
            entity_type: self.entity_type.clone().filter(|s| !s.is_empty()),
            entity_id: self.entity_id,
            campaign_id: self.campaign_id,
            before_id: self.before,
            limit,
        }
    }

    /// The filters as query parameters, without paging.
    fn suffix(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = self.entity_type.as_deref().filter(|s| !s.is_empty()) {
            parts.push(format!("entity_type={}", crate::error::urlencode(t)));
        }
        if let Some(id) = self.entity_id {
            parts.push(format!("entity_id={id}"));
        }
        if let Some(id) = self.campaign_id {
            parts.push(format!("campaign_id={id}"));
        }
        parts.iter().map(|p| format!("&{p}")).collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    page: Page,
    rows: Vec<AuditRecord>,
    next_before: Option<i64>,
    filter_suffix: String,
    export_query: String,
}

const PAGE_SIZE: i64 = 100;

pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Query(query): Query<AuditQuery>,
) -> AppResult<AuditPage> {
    principal.require(Permission::ViewAudit)?;
    let rows = audit::list(&state.db, &query.filter(PAGE_SIZE)).await?;
    let next_before = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let suffix = query.suffix();
    Ok(AuditPage {
        page: Page::new(&context, "common.audit_title"),
        rows,
        next_before,
        export_query: if suffix.is_empty() {
            String::new()
        } else {
            format!("?{}", &suffix[1..])
        },
        filter_suffix: suffix,
    })
}

/// The whole filtered log as CSV (UTF-8 with BOM so Excel shows Vietnamese correctly).
pub async fn export(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    principal.require(Permission::ViewAudit)?;
    let rows = audit::list(&state.db, &query.filter(10_000)).await?;
    Ok(csv_download(csv_body(rows.iter().rev())?, "nhat-ky.csv"))
}

/// Audit rows as CSV, in the order given, with the columns of the audit table, behind a BOM so
/// that Excel reads the Vietnamese text as UTF-8. Shared by every audit export (the whole log,
/// a campaign's log).
pub(crate) fn csv_body<'a>(rows: impl Iterator<Item = &'a AuditRecord>) -> AppResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "id",
            "at",
            "actor_id",
            "actor_name",
            "action",
            "entity_type",
            "entity_id",
            "field",
            "old_value",
            "new_value",
            "reason",
            "campaign_id",
            "unit_id",
        ])
        .map_err(anyhow::Error::from)?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let number = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    for row in rows {
        writer
            .write_record([
                row.id.to_string(),
                row.at.to_rfc3339(),
                number(row.actor_id),
                row.actor_name.clone(),
                row.action.clone(),
                row.entity_type.clone(),
                number(row.entity_id),
                text(&row.field),
                text(&row.old_value),
                text(&row.new_value),
                text(&row.reason),
                number(row.campaign_id),
                number(row.unit_id),
            ])
            .map_err(anyhow::Error::from)?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(body)
}

/// A CSV body as a download named `file_name` (ASCII).
pub(crate) fn csv_download(body: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
