//! The audit log: browse with filters, export as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chiso_domain::access::Permission;
use chiso_interchange::csv_out::{CsvWriter, LineEnd};
use chiso_store::Db;
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

/// The whole filtered log as CSV (UTF-8 with BOM so Excel shows Vietnamese correctly),
/// streamed: every row, however long the log.
pub async fn export(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    principal.require(Permission::ViewAudit)?;
    Ok(csv_stream(state.db.clone(), query.filter(0), "nhat-ky.csv"))
}

/// Audit rows per page of the export: the body is written a page at a time, so memory stays
/// one page whatever the size of the log.
const EXPORT_PAGE: i64 = 1_000;

const AUDIT_COLUMNS: [&str; 13] = [
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
];

/// One audit row as CSV cells, in [`AUDIT_COLUMNS`] order.
fn audit_cells(row: &AuditRecord) -> [String; 13] {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let number = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
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
    ]
}

/// The audit rows a filter selects, oldest first, as a streamed CSV download: a BOM so that
/// Excel reads the Vietnamese text as UTF-8, then the columns of the audit table, every cell
/// through the project's CSV writer (a reason typed as `=HYPERLINK(…)` arrives as text). The
/// store is read page by page after the last id sent. Shared by every audit export (the whole
/// log, a campaign's log).
pub(crate) fn csv_stream(db: Db, filter: AuditFilter, file_name: &str) -> Response {
    struct Walk {
        db: Db,
        filter: AuditFilter,
        after: Option<i64>,
        first: bool,
    }
    let start = Walk {
        db,
        filter,
        after: None,
        first: true,
    };
    let pages = futures_util::stream::unfold(Some(start), |walk| async move {
        let mut walk = walk?;
        let page =
            match audit::page_ascending(&walk.db, &walk.filter, walk.after, EXPORT_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(error = ?error, "audit export stopped");
                    return Some((Err(std::io::Error::other(error.to_string())), None));
                }
            };
        let mut out = Vec::new();
        if walk.first {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        let mut writer = CsvWriter::new(out, LineEnd::CrLf);
        let mut written = if walk.first {
            writer.row(AUDIT_COLUMNS)
        } else {
            Ok(())
        };
        for row in &page {
            written = written.and_then(|_| writer.row(audit_cells(row)));
        }
        let body = written
            .map_err(std::io::Error::other)
            .and_then(|_| writer.into_inner());
        walk.first = false;
        walk.after = page.last().map(|r| r.id);
        let next = (page.len() as i64 == EXPORT_PAGE).then_some(walk);
        Some((body.map(Bytes::from), next))
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from_stream(pages),
    )
        .into_response()
}
