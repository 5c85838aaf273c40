//! The assessment workflow of a unit's sheet (phiếu) in a campaign (docs/method.md §2.5):
//! self-assessment → submit → appraisal rounds → explanation → finalize, who may do what at
//! each step, deadlines with extensions, the submission check, and the final points that feed
//! the scoring engine. Pure rules without IO: the store asks these questions before every
//! write and the web asks them to decide what to show.

use std::collections::BTreeMap;
use std::fmt;

use crate::access::Role;
use crate::campaign::CampaignState;
use crate::compute::{ScoreError, ScoreSheet, check_leaf_points, compute_unit, points_from_input};
use crate::evaluation::UnitInput;
use crate::framework::{Framework, Method, NodeId};
use crate::points::Points;

mod rounds;
pub use rounds::*;
mod checklist;
pub use checklist::*;
mod meanwhile;
pub use meanwhile::*;
mod sheet_steps;
pub use sheet_steps::*;

/// Where a unit's sheet stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetStatus {
    /// Being filled by the unit.
    Draft,
    /// Locked by the unit leader, waiting for appraisal round 1 (or the next round, when the
    /// sheet came in late with an extension).
    Submitted,
    /// In the appraisal round that is open (the sheet's current round).
    InAppraisal,
    /// Its current round closed without an explanation request: nothing more is asked of the
    /// unit; later rounds leave it alone (docs/method.md §2.5: "others keep round 1").
    Appraised,
    /// Its current round closed with flagged leaves: the unit answers them.
    ExplanationRequested,
    /// The unit leader submitted the answers: the next round reviews them.
    ExplanationSubmitted,
    /// Results frozen.
    Finalized,
}

impl SheetStatus {
    pub const ALL: [SheetStatus; 7] = [
        SheetStatus::Draft,
        SheetStatus::Submitted,
        SheetStatus::InAppraisal,
        SheetStatus::Appraised,
        SheetStatus::ExplanationRequested,
        SheetStatus::ExplanationSubmitted,
        SheetStatus::Finalized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SheetStatus::Draft => "draft",
            SheetStatus::Submitted => "submitted",
            SheetStatus::InAppraisal => "in_appraisal",
            SheetStatus::Appraised => "appraised",
            SheetStatus::ExplanationRequested => "explanation_requested",
            SheetStatus::ExplanationSubmitted => "explanation_submitted",
            SheetStatus::Finalized => "finalized",
        }
    }

    pub fn parse(text: &str) -> Option<SheetStatus> {
        SheetStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Readable English for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SheetStatus::Draft => "a draft",
            SheetStatus::Submitted => "submitted",
            SheetStatus::InAppraisal => "in appraisal",
            SheetStatus::Appraised => "appraised",
            SheetStatus::ExplanationRequested => "waiting for the unit's explanation",
            SheetStatus::ExplanationSubmitted => "explained, waiting for the next round",
            SheetStatus::Finalized => "finalized",
        }
    }
}

/// A stored sheet status that is not one of [`SheetStatus`]'s (the store names the column when
/// it decodes one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown sheet status {0:?}")]
pub struct UnknownSheetStatus(pub String);

impl TryFrom<String> for SheetStatus {
    type Error = UnknownSheetStatus;

    fn try_from(text: String) -> Result<SheetStatus, UnknownSheetStatus> {
        SheetStatus::parse(&text).ok_or(UnknownSheetStatus(text))
    }
}

impl fmt::Display for SheetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage with a deadline that a unit works against, and for which the secretariat may grant
/// an extension (gia hạn).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Filling and submitting the sheet: the campaign's self-assessment deadline.
    SelfAssessment,
    /// Answering explanation requests: the campaign's explanation deadline.
    Explanation,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::SelfAssessment, Stage::Explanation];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SelfAssessment => "self_assessment",
            Stage::Explanation => "explanation",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn describe(self) -> &'static str {
        match self {
            Stage::SelfAssessment => "self-assessment",
            Stage::Explanation => "explanation",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone wants to do to a sheet (or, for the round and campaign actions, to every sheet
/// of a campaign).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SheetAction {
    /// Enter points, rule inputs, explanations and evidence of the self-assessment.
    EditSelfAssessment,
    Submit,
    Withdraw,
    /// Set appraised points, a comment, an explanation request on a leaf.
    Appraise,
    /// Answer an explanation request (text and extra evidence).
    EditExplanation,
    SubmitExplanation,
    OpenRound,
    CloseRound,
    GrantExtension,
    Finalize,
    Publish,
    /// The secretariat sends a submitted sheet back to its unit to complete (docs/method.md
    /// §2.5, returned sheets).
    ReturnToUnit,
    /// The secretariat moves a sheet that joined the open round late to the next round.
    DeferToNextRound,
}

impl SheetAction {
    pub const ALL: [SheetAction; 13] = [
        SheetAction::EditSelfAssessment,
        SheetAction::Submit,
        SheetAction::Withdraw,
        SheetAction::Appraise,
        SheetAction::EditExplanation,
        SheetAction::SubmitExplanation,
        SheetAction::OpenRound,
        SheetAction::CloseRound,
        SheetAction::GrantExtension,
        SheetAction::Finalize,
        SheetAction::Publish,
        SheetAction::ReturnToUnit,
        SheetAction::DeferToNextRound,
    ];

    /// The actions that act on one sheet (the others act on the whole campaign).
    pub const PER_SHEET: [SheetAction; 6] = [
        SheetAction::EditSelfAssessment,
        SheetAction::Submit,
        SheetAction::Withdraw,
        SheetAction::Appraise,
        SheetAction::EditExplanation,
        SheetAction::SubmitExplanation,
    ];

    /// Readable English for messages ("cannot {describe}").
    pub fn describe(self) -> &'static str {
        match self {
            SheetAction::EditSelfAssessment => "edit the self-assessment",
            SheetAction::Submit => "submit the sheet",
            SheetAction::Withdraw => "withdraw the sheet",
            SheetAction::Appraise => "appraise the sheet",
            SheetAction::EditExplanation => "edit the explanation",
            SheetAction::SubmitExplanation => "submit the explanation",
            SheetAction::OpenRound => "open an appraisal round",
            SheetAction::CloseRound => "close an appraisal round",
            SheetAction::GrantExtension => "grant an extension",
            SheetAction::Finalize => "finalize the campaign",
            SheetAction::Publish => "publish the results",
            SheetAction::ReturnToUnit => "return the sheet to its unit",
            SheetAction::DeferToNextRound => "move the sheet to the next round",
        }
    }

    /// The roles that may take the action (for the units or areas in their scope, which the
    /// caller resolves). Editors fill the sheet, the leader signs it off (docs/method.md §2.5
    /// stage 2: "unit head"), appraisers score, the secretariat runs the calendar; the admin
    /// can stand in for the secretariat.
    pub fn roles(self) -> &'static [Role] {
        match self {
            SheetAction::EditSelfAssessment | SheetAction::EditExplanation => {
                &[Role::UnitEditor, Role::UnitLeader]
            }
            SheetAction::Submit | SheetAction::Withdraw | SheetAction::SubmitExplanation => {
                &[Role::UnitLeader]
            }
            SheetAction::Appraise => &[Role::Appraiser],
            SheetAction::OpenRound
            | SheetAction::CloseRound
            | SheetAction::GrantExtension
            | SheetAction::Finalize
            | SheetAction::Publish
            | SheetAction::ReturnToUnit
            | SheetAction::DeferToNextRound => &[Role::Secretariat, Role::Admin],
        }
    }

    /// The deadline the action works against, if any.
    pub fn stage(self) -> Option<Stage> {
        match self {
            SheetAction::EditSelfAssessment | SheetAction::Submit | SheetAction::Withdraw => {
                Some(Stage::SelfAssessment)
            }
            SheetAction::EditExplanation | SheetAction::SubmitExplanation => {
                Some(Stage::Explanation)
            }
            _ => None,
        }
    }

    /// The campaign states in which the action is possible.
    pub fn campaign_states(self) -> &'static [CampaignState] {
        match self {
            // A unit with an extension may still submit once the council has started: its
            // sheet joins the next round.
            SheetAction::EditSelfAssessment
            | SheetAction::Submit
            | SheetAction::Withdraw
            | SheetAction::GrantExtension
            | SheetAction::ReturnToUnit => &[CampaignState::Open, CampaignState::Appraisal],
            // Opening round 1 is what starts the appraisal.
            SheetAction::OpenRound => &[CampaignState::Open, CampaignState::Appraisal],
            SheetAction::Appraise
            | SheetAction::EditExplanation
            | SheetAction::SubmitExplanation
            | SheetAction::CloseRound
            | SheetAction::DeferToNextRound
            | SheetAction::Finalize => &[CampaignState::Appraisal],
            SheetAction::Publish => &[CampaignState::Finalized],
        }
    }
}

impl fmt::Display for SheetAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A leaf that blocks a submission, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionProblem {
    pub code: String,
    pub kind: SubmissionProblemKind,
}

/// The two reasons a leaf blocks a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionProblemKind {
    /// A self-assessed leaf without points: it would silently count 0.
    MissingPoints,
    /// Evidence is required, none is attached and there is no explanation (docs/method.md §2.5
    /// stage 1: "without full evidence, an explanation is mandatory").
    MissingEvidenceExplanation,
}

impl fmt::Display for SubmissionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SubmissionProblemKind::MissingPoints => write!(f, "{}: no points entered", self.code),
            SubmissionProblemKind::MissingEvidenceExplanation => write!(
                f,
                "{}: evidence is required: attach a document or write an explanation",
                self.code
            ),
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why the workflow refuses something. `Display` is English naming the leaf or state at fault
/// (the command line, the log); the web says each variant from its locale keys.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WorkflowError {
    #[error("the role {role} may not {action}")]
    RoleNotAllowed { role: Role, action: SheetAction },
    #[error("cannot {action}: the sheet is {}", status.describe())]
    WrongStatus {
        action: SheetAction,
        status: SheetStatus,
    },
    #[error(
        "cannot withdraw the sheet: appraisal has started (the sheet is {}); a sheet can be withdrawn only while it waits for appraisal",
        status.describe()
    )]
    AppraisalStarted { status: SheetStatus },
    #[error("cannot {action}: the campaign is {state}")]
    CampaignState {
        action: SheetAction,
        state: CampaignState,
    },
    #[error("the {} deadline ({deadline}) has passed and the unit has no extension", stage.describe())]
    DeadlinePassed {
        stage: Stage,
        deadline: chrono::NaiveDate,
    },
    #[error("the {} deadline ({deadline}) has passed and the extension ended on {until}", stage.describe())]
    ExtensionEnded {
        stage: Stage,
        deadline: chrono::NaiveDate,
        until: chrono::NaiveDate,
    },
    #[error("appraisal round {round} is not open")]
    RoundNotOpen { round: u32 },
    #[error("appraisal round {open} is still open: close it first")]
    RoundStillOpen { open: u32 },
    #[error("the campaign has {rounds} appraisal round(s): there is no round {round}")]
    NoSuchRound { round: u32, rounds: u32 },
    #[error("round {round} has already been opened")]
    RoundAlreadyOpened { round: u32 },
    #[error("round {round} cannot open before round {previous} is closed")]
    RoundOutOfOrder { round: u32, previous: u32 },
    #[error("{code} is not a leaf: points go on its sub-criteria")]
    NotALeaf { code: String },
    #[error("{code} is filled from the survey: it is read-only here")]
    SurveyLeaf { code: String },
    #[error("{code} is outside the areas you appraise")]
    OutsideAreas { code: String },
    #[error(
        "{code} was not flagged for explanation in round {previous}: round {round} only re-scores flagged leaves"
    )]
    NotFlaggedForRound {
        code: String,
        round: u32,
        previous: u32,
    },
    #[error("{code}: round {round} is the last round: no later round would review an explanation")]
    ExplanationInLastRound { code: String, round: u32 },
    #[error("{code}: no explanation was requested for this leaf")]
    NotFlagged { code: String },
    #[error("{code}: points {points} do not match the {computed} the rule gives for the input")]
    PointsDisagree {
        code: String,
        points: Points,
        computed: Points,
    },
    #[error("{0}")]
    Score(#[from] ScoreError),
    #[error("the sheet cannot be submitted: {}", join(.0))]
    Incomplete(Vec<SubmissionProblem>),
    #[error("the explanation cannot be submitted: no answer yet for {}", .0.join(", "))]
    Unanswered(Vec<String>),
    /// Sheets are created when the campaign opens (docs/method.md §2.5).
    #[error("the campaign is a draft: sheets are created when it opens")]
    CampaignDraft,
    /// An extension is recorded with why it was granted.
    #[error("an extension needs a reason")]
    ExtensionWithoutReason,
    #[error("the extension must end after the deadline ({deadline})")]
    ExtensionBeforeDeadline { deadline: chrono::NaiveDate },
    #[error("unit {unit_id} does not take part in this campaign")]
    UnitNotInCampaign { unit_id: i64 },
    #[error("the {text} is longer than {limit} characters")]
    TooLong { text: LongText, limit: usize },
    /// A node id (of the database) that is not in the sheet's framework.
    #[error("node {node_id} is not part of this sheet's framework")]
    NodeNotInFramework { node_id: i64 },
    #[error("{file_name} is already attached to leaf {code}")]
    EvidenceAttached { file_name: String, code: String },
    /// Evidence linked at an earlier stage stays with what was reviewed then.
    #[error("{file_name} on leaf {code} belongs to an earlier stage and can no longer be removed")]
    EvidenceFromEarlierStage { file_name: String, code: String },
    /// Returning a sheet or moving it to the next round is recorded with why.
    #[error("cannot {action} without a reason")]
    StepWithoutReason { action: SheetAction },
    /// The council already scored leaves of the sheet: it can neither go back to the unit nor
    /// wait for another round.
    #[error("cannot {action}: the council has already scored {leaves} of its leaves")]
    AlreadyAppraised { action: SheetAction, leaves: usize },
    /// A returned sheet whose self-assessment entry has closed needs a date to resubmit by.
    #[error(
        "the self-assessment deadline ({deadline}) has passed: give the unit a date to resubmit by"
    )]
    ResubmitDateRequired { deadline: chrono::NaiveDate },
    /// The date to resubmit by is before today.
    #[error("the date to resubmit by ({date}) is before today ({today})")]
    ResubmitDateInPast {
        date: chrono::NaiveDate,
        today: chrono::NaiveDate,
    },
    /// Round `round` is the campaign's last: no later round would appraise the sheet.
    #[error("round {round} is the last appraisal round: no later round would appraise the sheet")]
    NoLaterRound { round: u32 },
}

/// The free texts of a leaf, each with a length limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongText {
    /// The unit's explanation of its self-assessment.
    Explanation,
    /// The unit's answer to an explanation request.
    Answer,
    /// The appraiser's comment.
    Comment,
}

impl fmt::Display for LongText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LongText::Explanation => "explanation",
            LongText::Answer => "answer",
            LongText::Comment => "comment",
        })
    }
}

/// Whether a role may take an action at all (scope aside).
pub fn role_may(role: Role, action: SheetAction) -> bool {
    action.roles().contains(&role)
}

/// Refuses an action the role may not take.
pub fn authorize(role: Role, action: SheetAction) -> Result<(), WorkflowError> {
    if role_may(role, action) {
        Ok(())
    } else {
        Err(WorkflowError::RoleNotAllowed { role, action })
    }
}

/// What the per-sheet rules need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SheetContext {
    pub campaign: CampaignState,
    pub status: SheetStatus,
    /// The round the sheet is in or was last in (0 before appraisal).
    pub current_round: u32,
    /// The campaign's open round, if any.
    pub open_round: Option<u32>,
}

/// Checks a per-sheet action and gives the status after it. Round, extension, finalize and
/// publish actions act on the campaign: see [`check_open_round`], [`check_close_round`],
/// [`check_finalize`] and [`status_after_round_opens`] / [`status_after_round_closes`].
pub fn check_action(
    role: Role,
    action: SheetAction,
    ctx: &SheetContext,
) -> Result<SheetStatus, WorkflowError> {
    authorize(role, action)?;
    if !action.campaign_states().contains(&ctx.campaign) {
        return Err(WorkflowError::CampaignState {
            action,
            state: ctx.campaign,
        });
    }
    let wrong = || WorkflowError::WrongStatus {
        action,
        status: ctx.status,
    };
    use SheetStatus::*;
    match action {
        SheetAction::EditSelfAssessment => (ctx.status == Draft).then_some(Draft).ok_or_else(wrong),
        SheetAction::Submit => (ctx.status == Draft).then_some(Submitted).ok_or_else(wrong),
        SheetAction::Withdraw => match ctx.status {
            Submitted => Ok(Draft),
            InAppraisal | Appraised | ExplanationRequested | ExplanationSubmitted => {
                Err(WorkflowError::AppraisalStarted { status: ctx.status })
            }
            Draft | Finalized => Err(wrong()),
        },
        SheetAction::Appraise => {
            if ctx.status != InAppraisal {
                return Err(wrong());
            }
            match ctx.open_round {
                Some(open) if open == ctx.current_round => Ok(InAppraisal),
                _ => Err(WorkflowError::RoundNotOpen {
                    round: ctx.current_round,
                }),
            }
        }
        SheetAction::EditExplanation => (ctx.status == ExplanationRequested)
            .then_some(ExplanationRequested)
            .ok_or_else(wrong),
        SheetAction::SubmitExplanation => (ctx.status == ExplanationRequested)
            .then_some(ExplanationSubmitted)
            .ok_or_else(wrong),
        _ => Err(wrong()),
    }
}

/// Entry is closed after the stage's deadline unless the unit has an extension for that stage
/// with a later date (docs/method.md §2.5: "after it, entry closes unless the owner grants that unit
/// an extension"). The deadline day itself is still open. Dates are calendar days in Vietnam
/// time.
pub fn may_enter(
    stage: Stage,
    today: chrono::NaiveDate,
    deadline: Option<chrono::NaiveDate>,
    extension: Option<chrono::NaiveDate>,
) -> Result<(), WorkflowError> {
    let Some(deadline) = deadline else {
        return Ok(());
    };
    if today <= deadline {
        return Ok(());
    }
    match extension {
        Some(until) if until > deadline => {
            if today <= until {
                Ok(())
            } else {
                Err(WorkflowError::ExtensionEnded {
                    stage,
                    deadline,
                    until,
                })
            }
        }
        _ => Err(WorkflowError::DeadlinePassed { stage, deadline }),
    }
}

/// Whether the unit fills this leaf: a leaf that is not survey-derived (1149/QĐ-BNV: survey
/// leaves are not self-assessed).
pub fn check_self_assessable(framework: &Framework, leaf: NodeId) -> Result<(), WorkflowError> {
    let node = framework.node(leaf);
    if !node.is_leaf() {
        return Err(WorkflowError::NotALeaf {
            code: node.code.clone(),
        });
    }
    if node.method == Method::Survey {
        return Err(WorkflowError::SurveyLeaf {
            code: node.code.clone(),
        });
    }
    Ok(())
}

/// The points of an entry: given by hand, computed by the leaf's rule from an input, or both
/// (then they must agree). Checked against the leaf's max and rule; never clamped. `Ok(None)`
/// when neither is given (clearing the leaf).
pub fn resolve_points(
    framework: &Framework,
    leaf: NodeId,
    points: Option<Points>,
    input: Option<f64>,
) -> Result<Option<Points>, WorkflowError> {
    let code = || framework.node(leaf).code.clone();
    match (points, input) {
        (None, None) => Ok(None),
        (Some(points), None) => {
            check_leaf_points(framework, leaf, points)?;
            Ok(Some(points))
        }
        (given, Some(input)) => {
            let computed = points_from_input(framework, leaf, input)?;
            match given {
                Some(points) if points != computed => Err(WorkflowError::PointsDisagree {
                    code: code(),
                    points,
                    computed,
                }),
                _ => Ok(Some(computed)),
            }
        }
    }
}

/// The code of the top-level node above a leaf: its area, or the bonus / penalty item.
pub fn top_code(framework: &Framework, mut id: NodeId) -> &str {
    while let Some(parent) = framework.node(id).parent {
        id = parent;
    }
    &framework.node(id).code
}

/// Whether a leaf lies in an appraiser's areas (`None` = every area). Bonus and penalty items
/// count as areas of their own code.
pub fn in_areas(framework: &Framework, leaf: NodeId, areas: Option<&[String]>) -> bool {
    match areas {
        None => true,
        Some(areas) => {
            let top = top_code(framework, leaf);
            areas.iter().any(|a| a.trim() == top)
        }
    }
}

/// Checks an appraisal of one leaf in round `round` of `rounds`: a leaf the unit assessed, in
/// the appraiser's areas; after round 1 only leaves flagged in the previous round
/// (`flagged_before`); no explanation request in the last round, since nothing would review it.
pub fn check_appraisal(
    framework: &Framework,
    leaf: NodeId,
    areas: Option<&[String]>,
    round: u32,
    rounds: u32,
    flagged_before: bool,
    request_explanation: bool,
) -> Result<(), WorkflowError> {
    check_self_assessable(framework, leaf)?;
    let code = framework.node(leaf).code.clone();
    if !in_areas(framework, leaf, areas) {
        return Err(WorkflowError::OutsideAreas { code });
    }
    if round > 1 && !flagged_before {
        return Err(WorkflowError::NotFlaggedForRound {
            code,
            round,
            previous: round - 1,
        });
    }
    if request_explanation && round >= rounds {
        return Err(WorkflowError::ExplanationInLastRound { code, round });
    }
    Ok(())
}

/// Checks an explanation answer: only leaves flagged in the sheet's round are answered.
pub fn check_answer(
    framework: &Framework,
    leaf: NodeId,
    flagged: bool,
) -> Result<(), WorkflowError> {
    if !flagged {
        return Err(WorkflowError::NotFlagged {
            code: framework.node(leaf).code.clone(),
        });
    }
    Ok(())
}

/// What a sheet holds for one leaf at one appraisal round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundRecord {
    /// Appraised points; `None` when the appraiser only commented (the earlier value stands).
    pub points: Option<Points>,
    pub explanation_requested: bool,
    /// The unit answered the request (text or extra evidence).
    pub answered: bool,
}

/// What a sheet holds for one leaf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeafRecord {
    pub self_points: Option<Points>,
    /// A non-empty explanation is written.
    pub explanation: bool,
    /// Evidence files linked at the self-assessment stage.
    pub evidence: usize,
    /// By round number; a round appears once an appraiser saved anything on the leaf.
    pub rounds: BTreeMap<u32, RoundRecord>,
}

/// A leaf's final points (docs/method.md §2.6, §2.6): the value of the last round that set
/// one, else the self-assessed value. Round 2 re-scores flagged leaves; the others keep
/// round 1, or the unit's own value where no appraiser changed it.
pub fn final_points(record: &LeafRecord) -> Option<Points> {
    record
        .rounds
        .values()
        .rev()
        .find_map(|r| r.points)
        .or(record.self_points)
}

/// Everything a sheet holds, per leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRecords {
    /// Indexed by node id.
    records: Vec<LeafRecord>,
}

impl SheetRecords {
    pub fn new(framework: &Framework) -> SheetRecords {
        SheetRecords {
            records: vec![LeafRecord::default(); framework.nodes().len()],
        }
    }

    pub fn get(&self, leaf: NodeId) -> &LeafRecord {
        &self.records[leaf]
    }

    pub fn get_mut(&mut self, leaf: NodeId) -> &mut LeafRecord {
        &mut self.records[leaf]
    }

    /// The round the sheet entered appraisal in: the first round any appraiser saved on it,
    /// else `current_round`. A sheet submitted late joins the round open at the time, and that
    /// round reviews every leaf of it, as round 1 does for the others.
    pub fn entry_round(&self, current_round: u32) -> u32 {
        self.records
            .iter()
            .filter_map(|r| r.rounds.keys().next().copied())
            .min()
            .unwrap_or(current_round)
            .min(current_round.max(1))
    }
}

/// Whether a leaf needs points before the sheet is submitted: self-assessed tree leaves. Bonus
/// and penalty items are claimed only where they apply (blank = none), survey leaves are not
/// the unit's.
fn requires_points(framework: &Framework, leaf: NodeId) -> bool {
    framework.node(leaf).method == Method::SelfAssessed
}

/// Every leaf that blocks a submission, in tree order: self-assessed leaves without points,
/// and leaves requiring evidence that have none and no explanation.
pub fn submission_problems(
    framework: &Framework,
    records: &SheetRecords,
) -> Vec<SubmissionProblem> {
    let mut problems = Vec::new();
    for &leaf in framework.leaves() {
        let node = framework.node(leaf);
        if node.method == Method::Survey {
            continue;
        }
        let record = records.get(leaf);
        if requires_points(framework, leaf) && record.self_points.is_none() {
            problems.push(SubmissionProblem {
                code: node.code.clone(),
                kind: SubmissionProblemKind::MissingPoints,
            });
        }
        if node.evidence_required && record.evidence == 0 && !record.explanation {
            problems.push(SubmissionProblem {
                code: node.code.clone(),
                kind: SubmissionProblemKind::MissingEvidenceExplanation,
            });
        }
    }
    problems
}

/// Refuses a submission with every offending leaf.
pub fn check_submission(
    framework: &Framework,
    records: &SheetRecords,
) -> Result<(), WorkflowError> {
    let problems = submission_problems(framework, records);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Incomplete(problems))
    }
}

/// The leaves flagged for explanation in a round, in tree order.
pub fn flagged_leaves(framework: &Framework, records: &SheetRecords, round: u32) -> Vec<NodeId> {
    framework
        .leaves()
        .iter()
        .copied()
        .filter(|&leaf| {
            records
                .get(leaf)
                .rounds
                .get(&round)
                .is_some_and(|r| r.explanation_requested)
        })
        .collect()
}

/// Refuses submitting the explanation while a flagged leaf has no answer, naming every one.
pub fn check_explanations(
    framework: &Framework,
    records: &SheetRecords,
    round: u32,
) -> Result<(), WorkflowError> {
    let missing: Vec<String> = flagged_leaves(framework, records, round)
        .into_iter()
        .filter(|&leaf| !records.get(leaf).rounds[&round].answered)
        .map(|leaf| framework.node(leaf).code.clone())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Unanswered(missing))
    }
}

/// Progress figures of a sheet, kept beside it for the dashboards (engineering guide §7:
/// "totals kept in summary rows updated with the scores").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SheetSummary {
    /// Self-assessed tree leaves (the ones that need points).
    pub leaves_total: u32,
    pub leaves_filled: u32,
    /// Leaves requiring evidence with none attached.
    pub missing_evidence: u32,
    /// Of those, the ones without an explanation either: they block the submission.
    pub unexplained: u32,
    /// Tree + bonus − penalty of the self-assessed points.
    pub self_total: Points,
    /// The same with final points (the last round's where one exists).
    pub appraised_total: Points,
    /// Leaves the current round reviews, and how many have been reviewed.
    pub round_leaves: u32,
    pub round_reviewed: u32,
    /// Leaves flagged in the current round, and how many the unit answered.
    pub flagged: u32,
    pub answered: u32,
}

fn total_of(framework: &Framework, values: impl Iterator<Item = (NodeId, Points)>) -> Points {
    let mut sheet = ScoreSheet::new(framework);
    for (leaf, points) in values {
        // Stored values were checked when saved; a value the framework refuses counts 0
        // rather than failing a progress figure.
        let _ = sheet.set(framework, leaf, points);
    }
    compute_unit(framework, &sheet).points
}

/// The progress figures of a sheet in round `current_round` (0 before appraisal).
pub fn summarize(
    framework: &Framework,
    records: &SheetRecords,
    current_round: u32,
) -> SheetSummary {
    let mut summary = SheetSummary::default();
    let entry = records.entry_round(current_round);
    for &leaf in framework.leaves() {
        let node = framework.node(leaf);
        if node.method == Method::Survey {
            continue;
        }
        let record = records.get(leaf);
        if requires_points(framework, leaf) {
            summary.leaves_total += 1;
            if record.self_points.is_some() {
                summary.leaves_filled += 1;
            }
        }
        if node.evidence_required && record.evidence == 0 {
            summary.missing_evidence += 1;
            if !record.explanation {
                summary.unexplained += 1;
            }
        }
        if current_round >= 1 {
            let in_round = current_round == entry
                || record
                    .rounds
                    .get(&(current_round - 1))
                    .is_some_and(|r| r.explanation_requested);
            if in_round {
                summary.round_leaves += 1;
                if record.rounds.contains_key(&current_round) {
                    summary.round_reviewed += 1;
                }
            }
            if let Some(round) = record.rounds.get(&current_round)
                && round.explanation_requested
            {
                summary.flagged += 1;
                if round.answered {
                    summary.answered += 1;
                }
            }
        }
    }
    let leaves = framework.leaves();
    summary.self_total = total_of(
        framework,
        leaves
            .iter()
            .filter_map(|&l| records.get(l).self_points.map(|p| (l, p))),
    );
    summary.appraised_total = total_of(
        framework,
        leaves
            .iter()
            .filter_map(|&l| final_points(records.get(l)).map(|p| (l, p))),
    );
    summary
}

/// The scoring engine's input for one unit from its final points (docs/method.md §2.7): each leaf
/// with a final value is checked against the framework like any other entry.
pub fn unit_input(
    framework: &Framework,
    code: &str,
    group: Option<String>,
    final_values: impl IntoIterator<Item = (NodeId, Points)>,
) -> Result<UnitInput, ScoreError> {
    let mut sheet = ScoreSheet::new(framework);
    for (leaf, points) in final_values {
        sheet.set(framework, leaf, points)?;
    }
    Ok(UnitInput {
        code: code.to_string(),
        group,
        sheet,
    })
}

/// The final value of every leaf of a sheet that has one.
pub fn final_values(framework: &Framework, records: &SheetRecords) -> Vec<(NodeId, Points)> {
    framework
        .leaves()
        .iter()
        .filter_map(|&leaf| final_points(records.get(leaf)).map(|p| (leaf, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::tests::example;
    use crate::framework::{FrameworkMeta, NodeSpec};
    use crate::rule::{Rule, ThresholdStep};
    use crate::testing::arb_framework;
    use proptest::prelude::*;

    fn p(text: &str) -> Points {
        text.parse().unwrap()
    }

    fn ctx(campaign: CampaignState, status: SheetStatus) -> SheetContext {
        SheetContext {
            campaign,
            status,
            current_round: 1,
            open_round: Some(1),
        }
    }

    /// The only (role, status) → status moves per sheet action, in a campaign state where the
    /// action is possible.
    fn expected(action: SheetAction, status: SheetStatus) -> Option<SheetStatus> {
        use SheetStatus::*;
        match (action, status) {
            (SheetAction::EditSelfAssessment, Draft) => Some(Draft),
            (SheetAction::Submit, Draft) => Some(Submitted),
            (SheetAction::Withdraw, Submitted) => Some(Draft),
            (SheetAction::Appraise, InAppraisal) => Some(InAppraisal),
            (SheetAction::EditExplanation, ExplanationRequested) => Some(ExplanationRequested),
            (SheetAction::SubmitExplanation, ExplanationRequested) => Some(ExplanationSubmitted),
            _ => None,
        }
    }

    #[test]
    fn every_allowed_and_forbidden_sheet_transition() {
        for action in SheetAction::PER_SHEET {
            let campaign = action.campaign_states()[action.campaign_states().len() - 1];
            for role in Role::ALL {
                for status in SheetStatus::ALL {
                    let result = check_action(role, action, &ctx(campaign, status));
                    if !action.roles().contains(&role) {
                        assert_eq!(
                            result,
                            Err(WorkflowError::RoleNotAllowed { role, action }),
                            "{role} {action}"
                        );
                        continue;
                    }
                    match expected(action, status) {
                        Some(after) => assert_eq!(result, Ok(after), "{role} {action} {status}"),
                        None => {
                            let error = result.unwrap_err();
                            assert!(
                                matches!(
                                    error,
                                    WorkflowError::WrongStatus { .. }
                                        | WorkflowError::AppraisalStarted { .. }
                                ),
                                "{role} {action} {status}: {error}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn actions_need_the_right_campaign_state() {
        for action in SheetAction::PER_SHEET {
            let role = action.roles()[0];
            for state in CampaignState::ALL {
                let status = SheetStatus::ALL
                    .into_iter()
                    .find(|s| expected(action, *s).is_some())
                    .unwrap();
                let result = check_action(role, action, &ctx(state, status));
                if action.campaign_states().contains(&state) {
                    assert!(result.is_ok(), "{action} in {state}");
                } else {
                    assert_eq!(
                        result,
                        Err(WorkflowError::CampaignState { action, state }),
                        "{action} in {state}"
                    );
                }
            }
        }
        let error = check_action(
            Role::UnitEditor,
            SheetAction::EditSelfAssessment,
            &ctx(CampaignState::Finalized, SheetStatus::Draft),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot edit the self-assessment: the campaign is finalized"
        );
    }

    #[test]
    fn withdrawal_ends_when_appraisal_starts() {
        let error = check_action(
            Role::UnitLeader,
            SheetAction::Withdraw,
            &ctx(CampaignState::Appraisal, SheetStatus::InAppraisal),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot withdraw the sheet: appraisal has started (the sheet is in appraisal); a sheet can be withdrawn only while it waits for appraisal"
        );
        let error = check_action(
            Role::UnitEditor,
            SheetAction::Withdraw,
            &ctx(CampaignState::Open, SheetStatus::Submitted),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the role unit_editor may not withdraw the sheet"
        );
        let error = check_action(
            Role::UnitEditor,
            SheetAction::EditSelfAssessment,
            &ctx(CampaignState::Open, SheetStatus::Submitted),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot edit the self-assessment: the sheet is submitted"
        );
    }

    #[test]
    fn appraisal_needs_the_sheets_round_open() {
        let mut context = ctx(CampaignState::Appraisal, SheetStatus::InAppraisal);
        assert!(check_action(Role::Appraiser, SheetAction::Appraise, &context).is_ok());
        context.open_round = None;
        assert_eq!(
            check_action(Role::Appraiser, SheetAction::Appraise, &context),
            Err(WorkflowError::RoundNotOpen { round: 1 })
        );
        context.open_round = Some(2);
        assert!(check_action(Role::Appraiser, SheetAction::Appraise, &context).is_err());
    }

    #[test]
    fn rounds_open_in_order_one_at_a_time() {
        use RoundPhase::*;
        let s = Role::Secretariat;
        let a = CampaignState::Appraisal;
        assert_eq!(check_open_round(s, CampaignState::Open, &[], 2, 1), Ok(()));
        assert_eq!(
            check_open_round(s, a, &[NotOpened, NotOpened], 2, 1),
            Ok(())
        );
        assert_eq!(
            check_open_round(s, a, &[Open, NotOpened], 2, 2),
            Err(WorkflowError::RoundStillOpen { open: 1 })
        );
        assert_eq!(
            check_open_round(s, a, &[NotOpened], 2, 2),
            Err(WorkflowError::RoundOutOfOrder {
                round: 2,
                previous: 1
            })
        );
        assert_eq!(check_open_round(s, a, &[Closed], 2, 2), Ok(()));
        assert_eq!(
            check_open_round(s, a, &[Closed, Closed], 2, 2),
            Err(WorkflowError::RoundAlreadyOpened { round: 2 })
        );
        assert_eq!(
            check_open_round(s, a, &[Closed, Closed], 2, 3)
                .unwrap_err()
                .to_string(),
            "the campaign has 2 appraisal round(s): there is no round 3"
        );
        assert!(matches!(
            check_open_round(Role::Appraiser, a, &[], 2, 1),
            Err(WorkflowError::RoleNotAllowed { .. })
        ));
        assert!(matches!(
            check_open_round(s, CampaignState::Draft, &[], 2, 1),
            Err(WorkflowError::CampaignState { .. })
        ));
        assert_eq!(check_close_round(s, a, &[Closed, Open], 2), Ok(()));
        assert_eq!(
            check_close_round(s, a, &[Closed, Open], 1),
            Err(WorkflowError::RoundNotOpen { round: 1 })
        );
        assert_eq!(
            check_finalize(s, a, &[Closed, Open]),
            Err(WorkflowError::RoundStillOpen { open: 2 })
        );
        assert_eq!(check_finalize(Role::Admin, a, &[Closed, Closed]), Ok(()));
        assert!(check_finalize(s, CampaignState::Open, &[]).is_err());
        assert!(check_campaign_action(s, SheetAction::Publish, CampaignState::Finalized).is_ok());
        assert!(check_campaign_action(s, SheetAction::Publish, CampaignState::Appraisal).is_err());
        assert!(check_campaign_action(Role::UnitLeader, SheetAction::GrantExtension, a).is_err());
    }

    #[test]
    fn round_effects_on_every_status() {
        use SheetStatus::*;
        for status in SheetStatus::ALL {
            let round1 = status_after_round_opens(status, 1);
            let round2 = status_after_round_opens(status, 2);
            match status {
                Submitted => {
                    assert_eq!(round1, Some(InAppraisal));
                    assert_eq!(round2, Some(InAppraisal));
                }
                ExplanationRequested | ExplanationSubmitted => {
                    assert_eq!(round1, None);
                    assert_eq!(round2, Some(InAppraisal));
                }
                _ => {
                    assert_eq!(round1, None, "{status}");
                    assert_eq!(round2, None, "{status}");
                }
            }
            let closed = status_after_round_closes(status, 1, 1, true);
            if status == InAppraisal {
                assert_eq!(closed, Some(ExplanationRequested));
                assert_eq!(
                    status_after_round_closes(status, 1, 1, false),
                    Some(Appraised)
                );
                assert_eq!(status_after_round_closes(status, 1, 2, true), None);
            } else {
                assert_eq!(closed, None);
            }
            assert_eq!(status_after_finalize(status), Finalized);
            assert_eq!(SheetStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn deadlines_and_extensions() {
        let stage = Stage::SelfAssessment;
        let d = |day: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        assert_eq!(may_enter(stage, d(10), Some(d(15)), None), Ok(()));
        assert_eq!(may_enter(stage, d(15), Some(d(15)), None), Ok(()));
        assert_eq!(may_enter(stage, d(16), None, None), Ok(()));
        assert_eq!(
            may_enter(stage, d(16), Some(d(15)), None)
                .unwrap_err()
                .to_string(),
            "the self-assessment deadline (2026-12-15) has passed and the unit has no extension"
        );
        assert_eq!(may_enter(stage, d(16), Some(d(15)), Some(d(20))), Ok(()));
        assert_eq!(may_enter(stage, d(20), Some(d(15)), Some(d(20))), Ok(()));
        assert_eq!(
            may_enter(Stage::Explanation, d(21), Some(d(15)), Some(d(20)))
                .unwrap_err()
                .to_string(),
            "the explanation deadline (2026-12-15) has passed and the extension ended on 2026-12-20"
        );
        // An "extension" that is not later than the deadline extends nothing.
        assert!(matches!(
            may_enter(stage, d(16), Some(d(15)), Some(d(12))),
            Err(WorkflowError::DeadlinePassed { .. })
        ));
    }

    fn framework_with_rules() -> Framework {
        let spec = |row: usize, code: &str, max: Option<&str>| NodeSpec {
            row,
            code: code.into(),
            title: format!("Node {code}"),
            max_points: max.map(p),
            ..NodeSpec::default()
        };
        let mut specs = vec![
            spec(2, "1", None),
            spec(3, "1.1", Some("3")),
            spec(4, "1.2", Some("1")),
            spec(5, "1.3", Some("2")),
            spec(6, "2", None),
            spec(7, "2.1", Some("10")),
            spec(8, "9", Some("2")),
            spec(9, "10", Some("3")),
        ];
        specs[1].evidence_required = true;
        specs[1].rule = Some(Rule::Threshold {
            input: "share".into(),
            input_label: None,
            steps: vec![
                ThresholdStep {
                    min: 100.0,
                    points: p("3"),
                },
                ThresholdStep {
                    min: 80.0,
                    points: p("1"),
                },
            ],
            otherwise: Points::ZERO,
        });
        specs[2].rule = Some(Rule::Levels {
            levels: vec![p("0"), p("0.5"), p("1")],
        });
        specs[3].evidence_required = true;
        specs[5].method = Some(Method::Survey);
        specs[6].method = Some(Method::Bonus);
        specs[7].method = Some(Method::Penalty);
        Framework::build(FrameworkMeta::default(), specs).unwrap()
    }

    #[test]
    fn points_come_from_hand_or_rule_and_are_checked() {
        let f = framework_with_rules();
        let leaf = |c| f.find(c).unwrap();
        assert_eq!(
            resolve_points(&f, leaf("1.1"), None, Some(85.0)),
            Ok(Some(p("1")))
        );
        assert_eq!(
            resolve_points(&f, leaf("1.1"), Some(p("1")), Some(85.0)),
            Ok(Some(p("1")))
        );
        assert_eq!(
            resolve_points(&f, leaf("1.1"), Some(p("3")), Some(85.0))
                .unwrap_err()
                .to_string(),
            "1.1: points 3 do not match the 1 the rule gives for the input"
        );
        assert_eq!(
            resolve_points(&f, leaf("1.2"), Some(p("0.7")), None)
                .unwrap_err()
                .to_string(),
            "1.2: points 0.7 are not one of the levels 0 / 0.5 / 1"
        );
        assert_eq!(
            resolve_points(&f, leaf("1.3"), Some(p("2.5")), None)
                .unwrap_err()
                .to_string(),
            "points 2.5 are outside [0, 2] for 1.3"
        );
        assert_eq!(resolve_points(&f, leaf("1.3"), None, None), Ok(None));
        // Bonus and penalty stay within their caps.
        assert!(resolve_points(&f, leaf("9"), Some(p("2.5")), None).is_err());
        assert!(resolve_points(&f, leaf("10"), Some(p("3")), None).is_ok());
        assert_eq!(
            check_self_assessable(&f, leaf("2.1"))
                .unwrap_err()
                .to_string(),
            "2.1 is filled from the survey: it is read-only here"
        );
        assert_eq!(
            check_self_assessable(&f, leaf("1"))
                .unwrap_err()
                .to_string(),
            "1 is not a leaf: points go on its sub-criteria"
        );
    }

    #[test]
    fn appraisal_is_limited_to_areas_flags_and_rounds() {
        let f = framework_with_rules();
        let leaf = |c| f.find(c).unwrap();
        let areas = vec!["1".to_string()];
        assert!(check_appraisal(&f, leaf("1.2"), Some(&areas), 1, 2, false, true).is_ok());
        assert!(check_appraisal(&f, leaf("9"), None, 1, 2, false, false).is_ok());
        assert_eq!(
            check_appraisal(&f, leaf("9"), Some(&areas), 1, 2, false, false)
                .unwrap_err()
                .to_string(),
            "9 is outside the areas you appraise"
        );
        assert_eq!(
            check_appraisal(&f, leaf("1.2"), Some(&areas), 2, 2, false, false)
                .unwrap_err()
                .to_string(),
            "1.2 was not flagged for explanation in round 1: round 2 only re-scores flagged leaves"
        );
        assert!(check_appraisal(&f, leaf("1.2"), Some(&areas), 2, 2, true, false).is_ok());
        assert_eq!(
            check_appraisal(&f, leaf("1.2"), Some(&areas), 2, 2, true, true)
                .unwrap_err()
                .to_string(),
            "1.2: round 2 is the last round: no later round would review an explanation"
        );
        assert!(check_appraisal(&f, leaf("2.1"), None, 1, 2, false, false).is_err());
        assert_eq!(
            check_answer(&f, leaf("1.3"), false)
                .unwrap_err()
                .to_string(),
            "1.3: no explanation was requested for this leaf"
        );
    }

    #[test]
    fn the_submission_check_names_every_offending_leaf() {
        let f = framework_with_rules();
        let leaf = |c| f.find(c).unwrap();
        let mut records = SheetRecords::new(&f);
        let error = check_submission(&f, &records).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the sheet cannot be submitted: 1.1: no points entered; \
             1.1: evidence is required: attach a document or write an explanation; \
             1.2: no points entered; 1.3: no points entered; \
             1.3: evidence is required: attach a document or write an explanation"
        );
        records.get_mut(leaf("1.1")).self_points = Some(p("3"));
        records.get_mut(leaf("1.1")).evidence = 1;
        records.get_mut(leaf("1.2")).self_points = Some(p("0.5"));
        records.get_mut(leaf("1.3")).self_points = Some(p("2"));
        assert_eq!(
            submission_problems(&f, &records),
            [SubmissionProblem {
                code: "1.3".into(),
                kind: SubmissionProblemKind::MissingEvidenceExplanation
            }]
        );
        records.get_mut(leaf("1.3")).explanation = true;
        assert_eq!(check_submission(&f, &records), Ok(()));
        let summary = summarize(&f, &records, 0);
        assert_eq!(summary.leaves_total, 3);
        assert_eq!(summary.leaves_filled, 3);
        assert_eq!(summary.missing_evidence, 1);
        assert_eq!(summary.unexplained, 0);
        assert_eq!(summary.self_total, p("5.5"));
    }

    #[test]
    fn final_points_take_the_last_round_that_set_one() {
        let mut record = LeafRecord {
            self_points: Some(p("3")),
            ..LeafRecord::default()
        };
        assert_eq!(final_points(&record), Some(p("3")));
        record.rounds.insert(
            1,
            RoundRecord {
                points: Some(p("2")),
                explanation_requested: true,
                answered: true,
            },
        );
        assert_eq!(final_points(&record), Some(p("2")));
        // Round 2 only commented: round 1 stands.
        record.rounds.insert(2, RoundRecord::default());
        assert_eq!(final_points(&record), Some(p("2")));
        record.rounds.insert(
            2,
            RoundRecord {
                points: Some(p("2.5")),
                ..RoundRecord::default()
            },
        );
        assert_eq!(final_points(&record), Some(p("2.5")));
        assert_eq!(final_points(&LeafRecord::default()), None);
    }

    #[test]
    fn rounds_explanations_and_engine_input() {
        let f = example();
        let leaf = |c| f.find(c).unwrap();
        let mut records = SheetRecords::new(&f);
        for (code, points) in [("1.1", "8"), ("1.2", "4"), ("2.1", "10"), ("4", "1")] {
            records.get_mut(leaf(code)).self_points = Some(p(points));
        }
        records.get_mut(leaf("1.2")).rounds.insert(
            1,
            RoundRecord {
                points: Some(p("3")),
                explanation_requested: true,
                answered: false,
            },
        );
        records
            .get_mut(leaf("2.1"))
            .rounds
            .insert(1, RoundRecord::default());
        assert_eq!(flagged_leaves(&f, &records, 1), [leaf("1.2")]);
        assert_eq!(
            check_explanations(&f, &records, 1).unwrap_err().to_string(),
            "the explanation cannot be submitted: no answer yet for 1.2"
        );
        let summary = summarize(&f, &records, 1);
        assert_eq!(summary.round_reviewed, 2);
        assert_eq!(summary.flagged, 1);
        assert_eq!(summary.answered, 0);
        assert_eq!(summary.self_total, p("23"));
        assert_eq!(summary.appraised_total, p("22"));
        records
            .get_mut(leaf("1.2"))
            .rounds
            .get_mut(&1)
            .unwrap()
            .answered = true;
        assert_eq!(check_explanations(&f, &records, 1), Ok(()));
        let summary = summarize(&f, &records, 2);
        assert_eq!((summary.round_leaves, summary.round_reviewed), (1, 0));

        let input = unit_input(&f, "79", None, final_values(&f, &records)).unwrap();
        let points = compute_unit(&f, &input.sheet);
        assert_eq!(points.points, p("22"));
        assert_eq!(points.bonus, p("1"));
        assert!(unit_input(&f, "79", None, [(leaf("1.2"), p("9"))]).is_err());
    }

    fn arb_records(framework: &Framework) -> impl Strategy<Value = SheetRecords> + use<> {
        let framework = framework.clone();
        let leaf = (
            prop::option::of(0..=10_000i64),
            any::<bool>(),
            0usize..2,
            prop::collection::vec(
                (
                    1u32..4,
                    prop::option::of(0..=10_000i64),
                    any::<bool>(),
                    any::<bool>(),
                ),
                0..3,
            ),
        );
        prop::collection::vec(leaf, framework.leaves().len()).prop_map(move |leaves| {
            let mut records = SheetRecords::new(&framework);
            for (&id, (own, explanation, evidence, rounds)) in framework.leaves().iter().zip(leaves)
            {
                let node = framework.node(id);
                let scale = |fraction: i64| {
                    let values = node
                        .rule
                        .as_ref()
                        .and_then(Rule::allowed_points)
                        .unwrap_or_default();
                    if values.is_empty() {
                        Points::from_ten_thousandths(
                            node.max_points.ten_thousandths() * fraction / 10_000,
                        )
                    } else {
                        values[fraction as usize % values.len()]
                    }
                };
                let record = records.get_mut(id);
                record.self_points = own.map(scale);
                record.explanation = explanation;
                record.evidence = evidence;
                for (round, points, requested, answered) in rounds {
                    record.rounds.insert(
                        round,
                        RoundRecord {
                            points: points.map(scale),
                            explanation_requested: requested,
                            answered,
                        },
                    );
                }
            }
            records
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]

        /// The appraised total is the engine's total of the final points; a final value is a
        /// stored value of the leaf (the latest round's, else the unit's own); the submission
        /// check flags exactly the leaves that break a rule.
        #[test]
        fn summaries_agree_with_the_engine(
            (framework, records) in arb_framework().prop_flat_map(|f| { let r = arb_records(&f); (Just(f), r) })
        ) {
            let summary = summarize(&framework, &records, 1);
            let input = unit_input(&framework, "u", None, final_values(&framework, &records)).unwrap();
            prop_assert_eq!(summary.appraised_total, compute_unit(&framework, &input.sheet).points);
            let problems = submission_problems(&framework, &records);
            for &leaf in framework.leaves() {
                let node = framework.node(leaf);
                let record = records.get(leaf);
                let last_round = record.rounds.values().rev().find_map(|r| r.points);
                prop_assert_eq!(final_points(record), last_round.or(record.self_points));
                let missing = node.method == Method::SelfAssessed && record.self_points.is_none();
                let unexplained = node.method != Method::Survey
                    && node.evidence_required && record.evidence == 0 && !record.explanation;
                prop_assert_eq!(
                    problems.iter().any(|pr| pr.code == node.code && pr.kind == SubmissionProblemKind::MissingPoints),
                    missing
                );
                prop_assert_eq!(
                    problems.iter().any(|pr| pr.code == node.code && pr.kind == SubmissionProblemKind::MissingEvidenceExplanation),
                    unexplained
                );
            }
            prop_assert_eq!(problems.is_empty(), check_submission(&framework, &records).is_ok());
            prop_assert!(summary.leaves_filled <= summary.leaves_total);
            prop_assert!(summary.unexplained <= summary.missing_evidence);
        }
    }
}
