use super::*;

// ── Templates ───────────────────────────────────────────────────────────────────────────────

#[derive(Template, WebTemplate)]
#[template(path = "assessment/show.html")]
pub struct ShowPage {
    pub(super) page: Page,
    pub(super) sheet: SheetView,
    /// Submission or explanation problems after a refused submit, or another refusal.
    pub(super) errors: Vec<String>,
    pub(super) problems_refused: bool,
}

/// The answer to an htmx save: the leaf row, and the totals out of band.
#[derive(Template, WebTemplate)]
#[template(path = "assessment/leaf_response.html")]
pub struct LeafResponse {
    pub(super) page: Page,
    pub(super) sheet: SheetView,
    pub(super) leaf: LeafView,
}

/// One sheet on the list page.
pub struct ListRow {
    pub(super) sheet_id: i64,
    pub(super) campaign_title: String,
    pub(super) unit_code: String,
    pub(super) unit_name: String,
    pub(super) status: SheetStatus,
    pub(super) status_label: String,
    /// The deadline the unit works against now: self-assessment, or explanation.
    pub(super) deadline_label: String,
    pub(super) deadline: String,
    pub(super) filled: i64,
    pub(super) total: i64,
    pub(super) percent: i64,
    pub(super) missing_evidence: i64,
    pub(super) self_total: String,
    /// What is asked of the unit now.
    pub(super) asked: String,
    /// Whether the ask is urgent (late, or an explanation is due).
    pub(super) urgent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/list.html")]
pub struct ListPage {
    pub(super) page: Page,
    pub(super) rows: Vec<ListRow>,
}

/// One audit row of a leaf.
pub struct HistoryRow {
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) stage: String,
    pub(super) field: String,
    pub(super) old: String,
    pub(super) new: String,
    pub(super) reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/history.html")]
pub struct HistoryPage {
    pub(super) page: Page,
    pub(super) sheet_id: i64,
    pub(super) code: String,
    pub(super) title: String,
    pub(super) rows: Vec<HistoryRow>,
}

/// The history table alone: htmx loads it into the leaf row.
#[derive(Template, WebTemplate)]
#[template(path = "assessment/history_table.html")]
pub struct HistoryFragment {
    pub(super) page: Page,
    pub(super) rows: Vec<HistoryRow>,
}
