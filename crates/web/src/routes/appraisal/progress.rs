use super::*;
use crate::extract::PathId;

// ── Progress dashboard (/dot-danh-gia/{id}/tien-do) ─────────────────────────────────────────

/// The dashboard's filters and sort, as query parameters (the export takes the same ones).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProgressQuery {
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) group: String,
    #[serde(default)]
    pub(super) late: String,
    #[serde(default)]
    pub(super) q: String,
    #[serde(default)]
    pub(super) sort: String,
    #[serde(default)]
    pub(super) dir: String,
}

/// The sortable columns, by query value.
pub(super) const SORT_KEYS: &[&str] = &[
    "code",
    "name",
    "group",
    "status",
    "completion",
    "missing",
    "late",
    "appraisal",
    "self",
    "appraised",
    "diff",
];

impl ProgressQuery {
    pub(super) fn late_only(&self) -> bool {
        matches!(self.late.as_str(), "1" | "on" | "true")
    }

    pub(super) fn sort_key(&self) -> &str {
        SORT_KEYS
            .iter()
            .find(|k| **k == self.sort)
            .copied()
            .unwrap_or("code")
    }

    pub(super) fn descending(&self) -> bool {
        self.dir == "desc"
    }

    /// The filters as a query string (without the sort), each value encoded.
    pub(super) fn filters(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("status", &self.status),
            ("group", &self.group),
            ("q", &self.q),
        ] {
            if !value.trim().is_empty() {
                parts.push(format!("{name}={}", urlencode(value.trim())));
            }
        }
        if self.late_only() {
            parts.push("late=1".into());
        }
        parts.join("&")
    }

    /// The whole query (filters and sort), for the export link.
    pub(super) fn full(&self) -> String {
        let mut query = self.filters();
        if !self.sort.is_empty() {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!(
                "sort={}&dir={}",
                self.sort_key(),
                if self.descending() { "desc" } else { "asc" }
            ));
        }
        query
    }
}

/// A sheet's status for the dashboard: a unit without a sheet yet has entered nothing, like a
/// draft.
pub(super) fn row_status(row: &ProgressRow) -> SheetStatus {
    row.status().unwrap_or(SheetStatus::Draft)
}

pub(super) fn is_late(row: &ProgressRow) -> bool {
    row.late || row.explanation_late
}

/// Appraisal progress as a fraction, for sorting (sheets not in a round sort first).
pub(super) fn appraisal_share(row: &ProgressRow) -> f64 {
    match (row.round_reviewed, row.round_leaves) {
        (Some(done), Some(all)) if all > 0 => done as f64 / all as f64,
        _ => -1.0,
    }
}

pub(super) fn difference(row: &ProgressRow) -> i64 {
    row.appraised_total.unwrap_or(0) - row.self_total.unwrap_or(0)
}

/// The rows the filters keep, in the order asked (ties by unit code).
pub(super) fn filter_and_sort(
    mut rows: Vec<ProgressRow>,
    query: &ProgressQuery,
) -> Vec<ProgressRow> {
    let text = fold(query.q.trim());
    rows.retain(|row| {
        (query.status.is_empty() || SheetStatus::parse(&query.status) == Some(row_status(row)))
            && (query.group.is_empty() || row.unit_group == query.group)
            && (!query.late_only() || is_late(row))
            && (text.is_empty()
                || fold(&row.unit_code).contains(&text)
                || fold(&row.unit_name).contains(&text))
    });
    let status_rank = |row: &ProgressRow| {
        SheetStatus::ALL
            .iter()
            .position(|s| *s == row_status(row))
            .unwrap_or(0)
    };
    let key = query.sort_key();
    rows.sort_by(|a, b| {
        let order = match key {
            "code" => a.unit_code.cmp(&b.unit_code),
            "name" => fold(&a.unit_name).cmp(&fold(&b.unit_name)),
            "group" => a.unit_group.cmp(&b.unit_group),
            "status" => status_rank(a).cmp(&status_rank(b)),
            "completion" => a.completion_percent().total_cmp(&b.completion_percent()),
            "missing" => a.missing_evidence.cmp(&b.missing_evidence),
            "late" => is_late(a).cmp(&is_late(b)),
            "appraisal" => appraisal_share(a).total_cmp(&appraisal_share(b)),
            "self" => a.self_total.cmp(&b.self_total),
            "appraised" => a.appraised_total.cmp(&b.appraised_total),
            "diff" => difference(a).cmp(&difference(b)),
            _ => Ordering::Equal,
        };
        let order = if query.descending() {
            order.reverse()
        } else {
            order
        };
        order.then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    rows
}

/// A line of the dashboard, formatted.
pub struct ProgressLine {
    pub code: String,
    pub name: String,
    pub group: String,
    pub status: &'static str,
    pub status_label: &'static str,
    /// The council's sheet page, once the sheet left the draft stage.
    pub sheet_href: Option<String>,
    pub completion: String,
    pub filled: String,
    pub missing: i64,
    pub unexplained: i64,
    pub late: bool,
    pub late_text: String,
    pub appraisal: String,
    pub flagged: String,
    pub self_total: String,
    pub appraised_total: String,
    pub difference: String,
    pub diff_class: &'static str,
    /// The secretariat's step page (return, next round), for a submitted sheet the council
    /// has not started on.
    pub steps_href: Option<String>,
}

/// A sortable column header.
pub struct SortHeader {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    /// `asc` / `desc` on the column sorted by, empty elsewhere.
    pub sorted: &'static str,
    pub numeric: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/progress.html")]
pub struct ProgressPage {
    pub(super) page: Page,
    pub(super) campaign: CampaignRow,
    pub(super) state_label: &'static str,
    pub(super) headers: Vec<SortHeader>,
    pub(super) lines: Vec<ProgressLine>,
    pub(super) total: usize,
    pub(super) shown: usize,
    pub(super) late_count: usize,
    pub(super) submitted_count: usize,
    pub(super) statuses: Vec<(&'static str, &'static str)>,
    pub(super) groups: Vec<(String, String)>,
    pub(super) query: ProgressQuery,
    pub(super) late_only: bool,
    pub(super) export_href: String,
    pub(super) reset_href: String,
}

/// The secretariat and the administrator follow progress; viewers (province leadership) may
/// read it too.
pub(super) fn may_see_progress(principal: &Principal) -> bool {
    is_staff(principal) || principal.has_role(Role::Viewer)
}

pub(super) fn progress_line(lang: Lang, row: &ProgressRow, link_sheets: bool) -> ProgressLine {
    let status = row_status(row);
    let mut late = Vec::new();
    if row.late {
        late.push(i18n::text(lang, "appraisal.late_submission").to_string());
    }
    if row.explanation_late {
        late.push(i18n::text(lang, "appraisal.late_explanation").to_string());
    }
    for (until, key) in [
        (row.self_extension, "appraisal.extended_self"),
        (row.explanation_extension, "appraisal.extended_explanation"),
    ] {
        if let Some(until) = until {
            late.push(tr(lang, key, &[("date", &i18n::date(until))]));
        }
    }
    let (difference, diff_class) = if status == SheetStatus::Draft || row.sheet_id.is_none() {
        ("—".to_string(), "same")
    } else {
        signed(lang, Points::from_ten_thousandths(difference(row)))
    };
    ProgressLine {
        code: row.unit_code.clone(),
        name: row.unit_name.clone(),
        group: group_label(lang, &row.unit_group),
        status: status.as_str(),
        status_label: if row.sheet_id.is_none() {
            i18n::text(lang, "appraisal.status_none")
        } else {
            status_label(lang, status)
        },
        sheet_href: row
            .sheet_id
            .filter(|_| link_sheets && status != SheetStatus::Draft)
            .map(|id| format!("/tham-dinh/{id}")),
        completion: format!("{} %", i18n::number(lang, row.completion_percent(), 0)),
        filled: format!(
            "{}/{}",
            row.leaves_filled.unwrap_or(0),
            row.leaves_total.unwrap_or(0)
        ),
        missing: row.missing_evidence.unwrap_or(0),
        unexplained: row.unexplained.unwrap_or(0),
        late: is_late(row),
        late_text: late.join("; "),
        appraisal: match (row.current_round, row.round_leaves, row.round_reviewed) {
            (Some(round), Some(all), Some(done)) if round > 0 => tr(
                lang,
                "appraisal.round_progress",
                &[
                    ("round", &round.to_string()),
                    ("done", &done.to_string()),
                    ("all", &all.to_string()),
                ],
            ),
            _ => "—".into(),
        },
        flagged: match (row.flagged, row.answered) {
            (Some(flagged), Some(answered)) if flagged > 0 => format!("{answered}/{flagged}"),
            _ => "—".into(),
        },
        self_total: stored_pts(lang, row.self_total.filter(|_| row.sheet_id.is_some())),
        appraised_total: stored_pts(lang, row.appraised_total.filter(|_| row.sheet_id.is_some())),
        difference,
        diff_class,
        steps_href: None,
    }
}

/// The step page of a row's sheet for the secretariat: a sheet waiting for a round, or in the
/// open round with none of its leaves reviewed yet (the page says what is possible).
fn steps_href(row: &ProgressRow) -> Option<String> {
    let status = row_status(row);
    let untouched = status == SheetStatus::Submitted
        || (status == SheetStatus::InAppraisal && row.round_reviewed.unwrap_or(0) == 0);
    row.sheet_id
        .filter(|_| untouched)
        .map(|id| format!("/tham-dinh/{id}/tra-lai"))
}

pub(super) async fn progress_rows(
    state: &AppState,
    principal: &Principal,
    id: i64,
    query: &ProgressQuery,
) -> AppResult<(CampaignRow, Vec<ProgressRow>, Vec<ProgressRow>)> {
    if !may_see_progress(principal) {
        return Err(AppError::Forbidden);
    }
    let campaign = campaigns::get(&state.db, id).await?;
    // One query for the whole table (engineering guide §7: no N+1).
    let all = assessments::progress(&state.db, id, state.clock.today()).await?;
    let shown = filter_and_sort(all.clone(), query);
    Ok((campaign, all, shown))
}

/// The progress dashboard: per unit status, completion, missing evidence, lateness, appraisal
/// progress and the totals self-assessed against appraised; filtered and sorted on the server.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn progress(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Query(query): Query<ProgressQuery>,
) -> AppResult<ProgressPage> {
    if !may_see_progress(&principal) {
        return Err(AppError::Forbidden);
    }
    let id = id.get()?;
    let (campaign, all, shown) = progress_rows(&state, &principal, id, &query).await?;
    let lang = context.lang;
    let link_sheets = is_staff(&principal) || principal.has_role(Role::Appraiser);
    let may_take_steps = principal.can(Permission::ManageCampaigns)
        && matches!(
            campaign.state(),
            CampaignState::Open | CampaignState::Appraisal
        );
    let filters = query.filters();
    let headers = [
        ("code", "appraisal.col_unit", false),
        ("group", "appraisal.col_group", false),
        ("status", "appraisal.col_status", false),
        ("completion", "appraisal.col_completion", true),
        ("missing", "appraisal.col_missing", true),
        ("late", "appraisal.col_late", false),
        ("appraisal", "appraisal.col_appraisal", true),
        ("self", "appraisal.col_self", true),
        ("appraised", "appraisal.col_appraised", true),
        ("diff", "appraisal.col_diff", true),
    ]
    .into_iter()
    .map(|(key, label, numeric)| {
        let current = query.sort_key() == key && !query.sort.is_empty()
            || (query.sort.is_empty() && key == "code");
        let next = if current && !query.descending() {
            "desc"
        } else {
            "asc"
        };
        let sep = if filters.is_empty() { "" } else { "&" };
        SortHeader {
            key,
            label: i18n::text(lang, label),
            href: format!("?{filters}{sep}sort={key}&dir={next}"),
            sorted: match (current, query.descending()) {
                (false, _) => "",
                (true, false) => "asc",
                (true, true) => "desc",
            },
            numeric,
        }
    })
    .collect();
    let mut groups: Vec<(String, String)> = Vec::new();
    for row in &all {
        if !groups.iter().any(|(g, _)| *g == row.unit_group) {
            groups.push((row.unit_group.clone(), group_label(lang, &row.unit_group)));
        }
    }
    let statuses = SheetStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_label(lang, *s)))
        .collect();
    let full = query.full();
    let mut page = Page::new(&context, "appraisal.progress_title");
    page.title = format!("{} – {}", page.title, campaign.title);
    Ok(ProgressPage {
        page,
        state_label: state_label(lang, campaign.state()),
        headers,
        lines: shown
            .iter()
            .map(|r| {
                let mut line = progress_line(lang, r, link_sheets);
                if may_take_steps {
                    line.steps_href = steps_href(r);
                }
                line
            })
            .collect(),
        total: all.len(),
        shown: shown.len(),
        late_count: all.iter().filter(|r| is_late(r)).count(),
        submitted_count: all
            .iter()
            .filter(|r| r.sheet_id.is_some() && row_status(r) != SheetStatus::Draft)
            .count(),
        statuses,
        groups,
        late_only: query.late_only(),
        export_href: format!(
            "/dot-danh-gia/{id}/tien-do.xlsx{}{full}",
            if full.is_empty() { "" } else { "?" }
        ),
        reset_href: format!("/dot-danh-gia/{id}/tien-do"),
        query,
        campaign,
    })
}

/// Vietnamese headers of the progress export, whatever the interface language.
pub(super) const PROGRESS_HEADERS: [&str; 20] = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Nhóm",
    "Trạng thái",
    "Hoàn thành (%)",
    "Tiêu chí đã chấm",
    "Tổng tiêu chí",
    "Thiếu tài liệu kiểm chứng",
    "Chưa giải trình",
    "Trễ hạn",
    "Ghi chú hạn",
    "Vòng thẩm định",
    "Tiêu chí đã thẩm định",
    "Tiêu chí cần thẩm định",
    "Yêu cầu giải trình",
    "Đã giải trình",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Chênh lệch",
    "Nộp lúc",
];

/// The widths of the progress export's columns, in [`PROGRESS_HEADERS`] order.
const PROGRESS_WIDTHS: [f64; 20] = [
    9.0, 30.0, 14.0, 14.0, 11.0, 10.0, 10.0, 11.0, 11.0, 8.0, 26.0, 9.0, 11.0, 11.0, 11.0, 11.0,
    11.0, 11.0, 11.0, 16.0,
];

/// The progress table under its title block (docs/formats.md §12.3).
pub(super) fn write_progress(
    sheet: &mut Worksheet,
    rows: &[ProgressRow],
    authority: &str,
    campaign: &CampaignRow,
    today: chrono::NaiveDate,
) -> Result<(), XlsxError> {
    use crate::workbooks::{Column, Styles, exported_line, finish, header, t, title_block};
    let styles = Styles::new();
    let columns: Vec<Column> = PROGRESS_HEADERS
        .iter()
        .zip(PROGRESS_WIDTHS)
        .map(|(title, width)| Column::new(*title, width))
        .collect();
    let first = title_block(
        sheet,
        &styles,
        authority,
        t("workbook.progress_title"),
        &[campaign.title.clone(), exported_line(today)],
        columns.len() as u16,
    )?;
    let data = header(sheet, &styles, first, &columns)?;
    let vi = Lang::Vi;
    for (r, row) in rows.iter().enumerate() {
        let r = data + r as u32;
        let line = progress_line(vi, row, false);
        let count = |v: Option<i64>| v.unwrap_or(0) as f64;
        let integers = [
            (5, row.leaves_filled),
            (6, row.leaves_total),
            (7, row.missing_evidence),
            (8, row.unexplained),
            (11, row.current_round),
            (12, row.round_reviewed),
            (13, row.round_leaves),
            (14, row.flagged),
            (15, row.answered),
        ];
        sheet.write_string_with_format(r, 0, &row.unit_code, &styles.code)?;
        sheet.write_string_with_format(r, 1, &row.unit_name, &styles.text)?;
        sheet.write_string_with_format(r, 2, &line.group, &styles.text)?;
        sheet.write_string_with_format(r, 3, line.status_label, &styles.text)?;
        sheet.write_number_with_format(r, 4, row.completion_percent(), &styles.decimal)?;
        for (c, value) in integers {
            sheet.write_number_with_format(r, c, count(value), &styles.integer)?;
        }
        sheet.write_string_with_format(
            r,
            9,
            t(if line.late { "common.yes" } else { "common.no" }),
            &styles.text,
        )?;
        sheet.write_string_with_format(r, 10, &line.late_text, &styles.text)?;
        chiso_interchange::workbook::fit_row(
            sheet,
            r,
            &[
                (&row.unit_name, PROGRESS_WIDTHS[1]),
                (&line.late_text, PROGRESS_WIDTHS[10]),
            ],
        )?;
        let points = if row.sheet_id.is_some() {
            [
                Some(row.self_total_points().to_f64()),
                Some(row.appraised_total_points().to_f64()),
                Some(Points::from_ten_thousandths(difference(row)).to_f64()),
            ]
        } else {
            [None; 3]
        };
        for (k, value) in points.into_iter().enumerate() {
            chiso_interchange::workbook::decimal_or_blank(sheet, &styles, r, 16 + k as u16, value)?;
        }
        let submitted = row.submitted_at.map(i18n::date_time).unwrap_or_default();
        sheet.write_string_with_format(r, 19, submitted, &styles.text)?;
    }
    if !rows.is_empty() {
        sheet.autofilter(
            first,
            0,
            data + rows.len() as u32 - 1,
            PROGRESS_HEADERS.len() as u16 - 1,
        )?;
    }
    finish(sheet, first, data, 2)
}

/// The dashboard's table as .xlsx, with the same filters and order, Vietnamese headers.
#[tracing::instrument(skip_all, fields(campaign_id = ?id))]
pub async fn progress_xlsx(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
    Query(query): Query<ProgressQuery>,
) -> AppResult<Response> {
    if !may_see_progress(&principal) {
        return Err(AppError::Forbidden);
    }
    let id = id.get()?;
    let (campaign, _, shown) = progress_rows(&state, &principal, id, &query).await?;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Tiến độ").map_err(xlsx_error)?;
    write_progress(
        sheet,
        &shown,
        &state.config.authority_name,
        &campaign,
        state.clock.today(),
    )
    .map_err(xlsx_error)?;
    let body = workbook.save_to_buffer().map_err(xlsx_error)?;
    Ok(download(XLSX, format!("tien-do-dot-{id}.xlsx"), body))
}
