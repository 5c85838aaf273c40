//! The audit log: a sentence per change, filters (who, unit, campaign, kind of change,
//! dates), and the filtered log as CSV or .xlsx with Vietnamese headers and Vietnam time.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chiso_domain::access::Permission;
use chiso_interchange::csv_out::{CsvWriter, LineEnd};
use chiso_store::Db;
use chiso_store::audit::{self, AuditFilter, AuditRecord, AuditSearch};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::app::clock::vietnam;
use crate::auth::Auth;
use crate::describe::audit as words;
use crate::error::AppResult;
use crate::extract::{Query, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    entity_type: Option<String>,
    entity_id: Option<i64>,
    campaign_id: Option<i64>,
    before: Option<i64>,
    /// Who made the change.
    actor: Option<String>,
    /// The unit it concerns.
    unit: Option<String>,
    /// The kind of change.
    action: Option<String>,
    /// From this Vietnam date, inclusive (`YYYY-MM-DD`, as a date field sends it).
    from: Option<String>,
    /// Until this Vietnam date, inclusive.
    until: Option<String>,
}

/// The start of a Vietnam date, as an instant.
fn vietnam_midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(vietnam())
        .single()
        .expect("Vietnam has no daylight saving")
        .with_timezone(&Utc)
}

fn id_of(text: &Option<String>) -> Option<i64> {
    text.as_deref().and_then(|t| t.trim().parse().ok())
}

fn date_of(text: &Option<String>) -> Option<NaiveDate> {
    text.as_deref()
        .and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok())
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

    fn search(&self, limit: i64) -> AuditSearch {
        AuditSearch {
            filter: self.filter(limit),
            actor_id: id_of(&self.actor),
            unit_id: id_of(&self.unit),
            action: self.action.clone().filter(|a| !a.trim().is_empty()),
            from: date_of(&self.from).map(vietnam_midnight),
            until: date_of(&self.until)
                .and_then(|d| d.succ_opt())
                .map(vietnam_midnight),
        }
    }

    /// The filters as query parameters, without paging.
    fn suffix(&self) -> String {
        let mut parts = Vec::new();
        let mut text = |name: &str, value: &Option<String>| {
            if let Some(v) = value.as_deref().filter(|s| !s.trim().is_empty()) {
                parts.push(format!("{name}={}", crate::error::urlencode(v)));
            }
        };
        text("entity_type", &self.entity_type);
        text("actor", &self.actor);
        text("unit", &self.unit);
        text("action", &self.action);
        text("from", &self.from);
        text("until", &self.until);
        if let Some(id) = self.entity_id {
            parts.push(format!("entity_id={id}"));
        }
        if let Some(id) = self.campaign_id {
            parts.push(format!("campaign_id={id}"));
        }
        parts.iter().map(|p| format!("&{p}")).collect()
    }
}

/// One choice of a filter's list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One row of the log as the page shows it.
pub struct Line {
    pub at: String,
    pub sentence: String,
    pub reason: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    page: Page,
    lines: Vec<Line>,
    next_before: Option<i64>,
    filter_suffix: String,
    export_query: String,
    actors: Vec<Choice>,
    units: Vec<Choice>,
    campaigns: Vec<Choice>,
    actions: Vec<Choice>,
    from: String,
    until: String,
}

const PAGE_SIZE: i64 = 100;

/// The kinds of change a person can filter by (the verbs of `locales/*/audit.toml`).
const ACTIONS: &[&str] = &[
    "create",
    "update",
    "transition",
    "appraise",
    "explain",
    "link_evidence",
    "unlink_evidence",
    "grant",
    "revoke",
    "lock",
    "reset_password",
    "change_password",
    "upload",
    "delete",
    "merge",
    "import",
    "open_round",
    "close_round",
    "finalize",
    "publish",
    "grant_extension",
    "refresh_survey_leaves",
    "recompute_counters",
    "issue_tokens",
    "exclude_response",
    "restore_response",
    "export_responses",
    "issue_announcement",
];

fn choices(items: Vec<(i64, String)>, selected: Option<i64>) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label,
            selected: Some(id) == selected,
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Query(query): Query<AuditQuery>,
) -> AppResult<AuditPage> {
    principal.require(Permission::ViewAudit)?;
    let lang = context.lang;
    let rows = audit::search(&state.db, &query.search(PAGE_SIZE)).await?;
    let next_before = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let lines = rows
        .iter()
        .map(|row| Line {
            at: i18n::date_time_seconds(row.at),
            sentence: words::sentence(lang, row),
            reason: row.reason.clone(),
        })
        .collect();
    let users = chiso_store::users::list(&state.db).await?;
    let units = chiso_store::units::list(&state.db).await?;
    let campaigns = chiso_store::campaigns::list(&state.db).await?;
    let action = query.action.clone().unwrap_or_default();
    let suffix = query.suffix();
    Ok(AuditPage {
        page: Page::new(&context, "common.audit_title"),
        lines,
        next_before,
        export_query: if suffix.is_empty() {
            String::new()
        } else {
            format!("?{}", &suffix[1..])
        },
        filter_suffix: suffix,
        actors: choices(
            users.into_iter().map(|u| (u.id, u.full_name)).collect(),
            id_of(&query.actor),
        ),
        units: choices(
            units.into_iter().map(|u| (u.id, u.name)).collect(),
            id_of(&query.unit),
        ),
        campaigns: choices(
            campaigns.into_iter().map(|c| (c.id, c.title)).collect(),
            query.campaign_id,
        ),
        actions: ACTIONS
            .iter()
            .map(|a| Choice {
                value: a.to_string(),
                label: capitalised(i18n::text(lang, &format!("audit.verb.{a}"))),
                selected: *a == action,
            })
            .collect(),
        from: date_of(&query.from)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        until: date_of(&query.until)
            .map(|d| d.to_string())
            .unwrap_or_default(),
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The whole filtered log as CSV (UTF-8 with BOM so Excel shows Vietnamese correctly),
/// streamed: every row, however long the log.
pub async fn export(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    principal.require(Permission::ViewAudit)?;
    Ok(search_csv_stream(
        state.db.clone(),
        query.search(0),
        context.lang,
        "nhat-ky.csv",
    ))
}

/// The filtered log as an .xlsx workbook (the newest [`XLSX_ROWS`] rows; the CSV has all).
pub async fn export_xlsx(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    principal.require(Permission::ViewAudit)?;
    let lang = context.lang;
    let search = query.search(0);
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = audit::search_ascending(&state.db, &search, after, EXPORT_PAGE).await?;
        after = page.last().map(|r| r.id);
        let full = page.len() as i64 == EXPORT_PAGE;
        rows.extend(page);
        if rows.len() > XLSX_ROWS {
            rows.drain(..rows.len() - XLSX_ROWS);
        }
        if !full {
            break;
        }
    }
    let bytes = workbook(
        lang,
        &rows,
        &state.config.authority_name,
        state.clock.today(),
    )
    .map_err(|e| anyhow::anyhow!("audit workbook: {e}"))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"nhat-ky.xlsx\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The most rows an .xlsx export holds (the newest); the CSV export has every row.
const XLSX_ROWS: usize = 100_000;

/// The audit extract (docs/formats.md §12.4): a title block (authority, title, how many
/// records, the export date), the table in the reader's language, frozen and printable.
fn workbook(
    lang: Lang,
    rows: &[AuditRecord],
    authority: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use crate::workbooks::{Column, Styles, finish, header, title_block};
    let styles = Styles::new();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(i18n::text(lang, "common.audit_title"))?;
    let columns: Vec<Column> = headers(lang)
        .iter()
        .zip([10.0, 20.0, 24.0, 70.0, 16.0, 16.0, 30.0, 24.0, 28.0])
        .map(|(title, width)| Column::new(*title, width))
        .collect();
    let count = crate::i18n::number(lang, rows.len() as f64, 0);
    let first = title_block(
        sheet,
        &styles,
        authority,
        i18n::text(lang, "workbook.audit_title"),
        &[
            i18n::fill(lang, "workbook.audit_rows_line", &[("count", &count)]),
            i18n::fill(
                lang,
                "workbook.exported_line",
                &[("date", &i18n::date(today))],
            ),
        ],
        columns.len() as u16,
    )?;
    let data = header(sheet, &styles, first, &columns)?;
    for (index, row) in rows.iter().enumerate() {
        let r = data + index as u32;
        sheet.write_number_with_format(r, 0, row.id as f64, &styles.integer)?;
        let cells = cells(lang, row);
        let wrapped: Vec<(&str, f64)> = cells
            .iter()
            .zip(&columns)
            .map(|(cell, column)| (cell.as_str(), column.width))
            .collect();
        chiso_interchange::workbook::fit_row(sheet, r, &wrapped)?;
        for (col, cell) in cells.iter().enumerate().skip(1) {
            sheet.write_string_with_format(r, col as u16, cell, &styles.text)?;
        }
    }
    finish(sheet, first, data, 0)?;
    book.save_to_buffer()
}

/// Audit rows per page of the export: the body is written a page at a time, so memory stays
/// one page whatever the size of the log.
const EXPORT_PAGE: i64 = 1_000;

/// The export's column headers, in the user's language.
fn headers(lang: Lang) -> [&'static str; 9] {
    [
        "audit.col_id",
        "audit.col_at",
        "audit.col_actor",
        "audit.col_sentence",
        "audit.col_old",
        "audit.col_new",
        "audit.col_reason",
        "audit.col_campaign",
        "audit.col_unit",
    ]
    .map(|key| i18n::text(lang, key))
}

/// One audit row as export cells, in [`headers`] order.
fn cells(lang: Lang, row: &AuditRecord) -> [String; 9] {
    let field = row.field.as_deref().unwrap_or_default();
    let value = |v: &Option<String>| match v {
        Some(_) => words::value(lang, field, v.as_deref()),
        None => String::new(),
    };
    [
        row.id.to_string(),
        i18n::date_time_seconds(row.at),
        words::actor(lang, row),
        words::sentence(lang, row),
        value(&row.old_value),
        value(&row.new_value),
        row.reason.clone().unwrap_or_default(),
        row.campaign_title.clone().unwrap_or_default(),
        row.unit_name.clone().unwrap_or_default(),
    ]
}

/// The audit rows a filter selects, oldest first, as a streamed CSV download in Vietnamese
/// (a campaign's log; see [`search_csv_stream`]).
pub(crate) fn csv_stream(db: Db, filter: AuditFilter, file_name: &str) -> Response {
    let search = AuditSearch {
        filter,
        ..AuditSearch::default()
    };
    search_csv_stream(db, search, Lang::Vi, file_name)
}

/// The audit rows a search selects, oldest first, as a streamed CSV download: a BOM so that
/// Excel reads the Vietnamese text as UTF-8, then the headers and a sentence per change in the
/// user's language, Vietnam time to the second, every cell through the project's CSV writer
/// (a reason typed as `=HYPERLINK(…)` arrives as text). The store is read page by page after
/// the last id sent. Shared by every audit export (the whole log, a campaign's log).
pub(crate) fn search_csv_stream(
    db: Db,
    search: AuditSearch,
    lang: Lang,
    file_name: &str,
) -> Response {
    struct Walk {
        db: Db,
        search: AuditSearch,
        after: Option<i64>,
        first: bool,
        lang: Lang,
    }
    let start = Walk {
        db,
        search,
        after: None,
        first: true,
        lang,
    };
    let pages = futures_util::stream::unfold(Some(start), |walk| async move {
        let mut walk = walk?;
        let page =
            match audit::search_ascending(&walk.db, &walk.search, walk.after, EXPORT_PAGE).await {
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
            writer.row(headers(walk.lang))
        } else {
            Ok(())
        };
        for row in &page {
            written = written.and_then(|_| writer.row(cells(walk.lang, row)));
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
