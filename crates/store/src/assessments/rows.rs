use super::*;

/// Today's date in Vietnam (UTC+7, no daylight saving): deadlines are Vietnamese calendar days,
/// so a deadline of 15/12 ends at midnight in Hà Nội, not in Greenwich.
pub fn today_in_vietnam() -> NaiveDate {
    (Utc::now() + Duration::hours(7)).date_naive()
}

/// A unit's sheet in a campaign, with its progress figures.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct SheetRow {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub framework_id: i64,
    #[sqlx(try_from = "String")]
    pub status: SheetStatus,
    pub current_round: i64,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<String>,
    pub leaves_total: i64,
    pub leaves_filled: i64,
    pub missing_evidence: i64,
    pub unexplained: i64,
    /// Ten-thousandths, like every stored number of points.
    pub self_total: i64,
    pub appraised_total: i64,
    pub round_leaves: i64,
    pub round_reviewed: i64,
    pub flagged: i64,
    pub answered: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SheetRow {
    /// The row as a write left it: its version moved by one and its figures set.
    pub fn saved_with(&mut self, summary: &SheetSummary, at: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = at;
        self.leaves_total = i64::from(summary.leaves_total);
        self.leaves_filled = i64::from(summary.leaves_filled);
        self.missing_evidence = i64::from(summary.missing_evidence);
        self.unexplained = i64::from(summary.unexplained);
        self.self_total = summary.self_total.ten_thousandths();
        self.appraised_total = summary.appraised_total.ten_thousandths();
        self.round_leaves = i64::from(summary.round_leaves);
        self.round_reviewed = i64::from(summary.round_reviewed);
        self.flagged = i64::from(summary.flagged);
        self.answered = i64::from(summary.answered);
    }

    pub fn status(&self) -> SheetStatus {
        self.status
    }

    pub fn self_total_points(&self) -> Points {
        Points::from_ten_thousandths(self.self_total)
    }

    pub fn appraised_total_points(&self) -> Points {
        Points::from_ten_thousandths(self.appraised_total)
    }
}

/// One leaf at one stage of a sheet.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LeafScore {
    pub id: i64,
    pub sheet_id: i64,
    pub node_id: i64,
    /// 0 = self-assessment, k = appraisal round k.
    pub stage: i64,
    pub points: Option<i64>,
    /// The rule's input as JSON (`{"on_time_share": 85.0}`).
    pub input: Option<String>,
    pub explanation: Option<String>,
    pub comment: Option<String>,
    pub explanation_requested: bool,
    pub answer: Option<String>,
    pub updated_by: Option<i64>,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl LeafScore {
    pub fn points(&self) -> Option<Points> {
        self.points.map(Points::from_ten_thousandths)
    }

    /// The rule input's value, when the points were computed from one.
    pub fn input_value(&self) -> Option<f64> {
        let json: serde_json::Value = serde_json::from_str(self.input.as_deref()?).ok()?;
        json.as_object()?.values().next()?.as_f64()
    }
}

/// An extension (gia hạn) granted to a unit for a stage.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Extension {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub stage: String,
    pub valid_until: NaiveDate,
    pub reason: String,
    pub granted_by: Option<i64>,
    pub granted_by_name: String,
    pub granted_at: DateTime<Utc>,
}

/// Where an appraisal round of a campaign stands.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct RoundState {
    pub campaign_id: i64,
    pub round_no: i64,
    /// Decoded at the store boundary: a round is open or closed once it exists.
    #[sqlx(try_from = "String")]
    pub state: RoundPhase,
    pub opened_at: DateTime<Utc>,
    pub opened_by_name: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by_name: Option<String>,
    /// What becomes of sheets submitted while the round is open.
    #[sqlx(try_from = "String")]
    pub late_sheets: LateSheets,
}

/// The self-assessment of one leaf, as an editor saves it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelfEntry {
    pub node_id: i64,
    /// Points entered by hand; with `input` too, both must agree.
    pub points: Option<Points>,
    /// The input of the leaf's rule (threshold, proportional): the points are computed.
    pub input: Option<f64>,
    pub explanation: Option<String>,
    /// The version of the leaf the editor started from; `None` when the leaf had no row yet.
    pub expected_version: Option<i64>,
}

/// An appraiser's entry on one leaf in the open round.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppraisalEntry {
    pub node_id: i64,
    /// `None` keeps the earlier value (the unit's, or the previous round's).
    pub points: Option<Points>,
    pub input: Option<f64>,
    pub comment: Option<String>,
    pub explanation_requested: bool,
    pub expected_version: Option<i64>,
}

/// The unit's answer to an explanation request on one leaf.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerEntry {
    pub node_id: i64,
    pub answer: Option<String>,
    /// The version of the round's leaf row (the appraiser created it with the request).
    pub expected_version: i64,
}

pub(super) const SHEET_COLUMNS: &str = "id, campaign_id, unit_id, framework_id, status, current_round, submitted_at, submitted_by, \
     leaves_total, leaves_filled, missing_evidence, unexplained, self_total, appraised_total, round_leaves, \
     round_reviewed, flagged, answered, version, created_at, updated_at";
pub(crate) const LEAF_COLUMNS: &str = "id, sheet_id, node_id, stage, points, input, explanation, comment, explanation_requested, \
     answer, updated_by, updated_by_name, updated_at, version";

/// Longest text accepted in an explanation, comment or answer.
pub(super) const MAX_TEXT: usize = 20_000;

/// The audit field of a leaf change: `self.points`, `round2.comment`.
pub fn stage_field(stage: i64, field: &str) -> String {
    if stage == 0 {
        format!("self.{field}")
    } else {
        format!("round{stage}.{field}")
    }
}

/// Splits an audit field written by [`stage_field`] into the stage and the field.
pub fn parse_stage_field(text: &str) -> Option<(i64, &str)> {
    let (stage, field) = text.split_once('.')?;
    if stage == "self" {
        return Some((0, field));
    }
    Some((stage.strip_prefix("round")?.parse().ok()?, field))
}

pub(super) fn text(
    value: &Option<String>,
    what: rules::LongText,
) -> Result<Option<String>, StoreError> {
    let value = value
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if let Some(t) = &value
        && t.chars().count() > MAX_TEXT
    {
        return Err(rules::WorkflowError::TooLong {
            text: what,
            limit: MAX_TEXT,
        }
        .into());
    }
    Ok(value)
}

pub(crate) fn invalid(error: rules::WorkflowError) -> StoreError {
    StoreError::Rule(error)
}
