use chiso_domain::assessment::SheetStatus;

// ── View models ─────────────────────────────────────────────────────────────────────────────

/// One option of a fixed-levels select.
pub struct LevelOption {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// How a leaf is scored, for the form.
pub struct RuleView {
    /// `manual` (points typed), `levels` (a select), `input` (a rule input, points computed),
    /// `survey` (read-only here).
    pub(super) kind: &'static str,
    pub(super) levels: Vec<LevelOption>,
    pub(super) input_label: String,
    /// The input is a share, typed in per cent with a % sign beside it (docs/method.md §2.6).
    pub(super) percent: bool,
    /// The rule in words: the threshold steps, or "max × ratio".
    pub(super) description: String,
}

/// An evidence file on a leaf.
pub struct FileView {
    pub(super) link_id: i64,
    pub(super) file_id: i64,
    pub(super) name: String,
    pub(super) size: String,
    pub(super) linked_by: String,
    pub(super) linked_at: String,
    pub(super) removable: bool,
}

/// What an appraisal round said about a leaf, once the round is closed.
pub struct RoundView {
    pub(super) round: i64,
    /// The round whose explanation request is open: its comment and answer are shown in the
    /// answer box instead.
    pub(super) current: bool,
    pub(super) points: Option<String>,
    pub(super) comment: Option<String>,
    pub(super) explanation_requested: bool,
    pub(super) answer: Option<String>,
    pub(super) files: Vec<FileView>,
}

/// The unit's answer to an explanation request of the current round.
pub struct AnswerView {
    pub(super) round: i64,
    pub(super) version: i64,
    pub(super) comment: Option<String>,
    pub(super) value: String,
    pub(super) editable: bool,
    pub(super) files: Vec<FileView>,
}

/// A save refused because someone else saved the leaf first.
pub struct ConflictView {
    pub(super) by: String,
    pub(super) at: String,
    /// The stored values, in words.
    pub(super) stored: String,
    /// The version now stored, for "keep mine".
    pub(super) version: i64,
}

/// One leaf of the scoresheet.
pub struct LeafView {
    pub(super) node_id: i64,
    pub(super) code: String,
    pub(super) title: String,
    pub(super) max: String,
    pub(super) method: &'static str,
    pub(super) method_label: String,
    pub(super) evidence_required: bool,
    pub(super) guidance: Option<String>,
    pub(super) rule: RuleView,
    /// The stage-0 row's version; empty when the leaf has no row yet.
    pub(super) version: String,
    pub(super) points_value: String,
    pub(super) input_value: String,
    pub(super) explanation_value: String,
    /// The stored points, formatted.
    pub(super) points_display: Option<String>,
    pub(super) saved_by: Option<String>,
    pub(super) saved_at: Option<String>,
    pub(super) files: Vec<FileView>,
    /// `filled`, `empty`, `blocked` (evidence without explanation), `survey`, `optional`.
    pub(super) state: &'static str,
    pub(super) state_label: String,
    pub(super) rounds: Vec<RoundView>,
    pub(super) answer: Option<AnswerView>,
    pub(super) final_points: Option<String>,
    /// The self-assessment fields can change now.
    pub(super) editable: bool,
    /// Evidence can be attached now (self-assessment, or extra evidence of an answer).
    pub(super) evidence_editable: bool,
    /// The unit's files that can be linked here (not already linked at this stage).
    pub(super) linkable: Vec<(i64, String)>,
    pub(super) error: Option<String>,
    /// The field the error concerns (`points`, `input`), shown beside it; empty when the
    /// error concerns the leaf as a whole.
    pub(super) error_field: &'static str,
    pub(super) conflict: Option<ConflictView>,
    pub(super) saved_now: bool,
}

/// A criterion heading inside an area.
pub struct HeadingView {
    pub(super) code: String,
    pub(super) title: String,
    pub(super) max: String,
    pub(super) depth: usize,
}

/// A heading or a leaf, in tree order.
pub struct EntryView {
    pub(super) heading: Option<HeadingView>,
    pub(super) leaf: Option<LeafView>,
}

/// An area (or a bonus / penalty item) with its running total.
pub struct SectionView {
    pub(super) code: String,
    pub(super) title: String,
    pub(super) points: String,
    pub(super) max: String,
    /// `area`, `bonus`, `penalty`.
    pub(super) kind: &'static str,
    pub(super) entries: Vec<EntryView>,
}

/// A leaf that blocks the submission.
pub struct ProblemView {
    pub(super) code: String,
    pub(super) text: String,
}

/// The totals, progress and the leader's actions (swapped out of band after each save).
/// A unit's published result as its scoresheet shows it.
pub struct PublishedView {
    /// The final total, or empty when the unit is not ranked.
    pub(super) points: String,
    pub(super) index: String,
    pub(super) rank: String,
    pub(super) of: usize,
    pub(super) classification: String,
    /// "chưa nộp…" when finalize left the unit out or gave it 0 points.
    pub(super) note: &'static str,
}

pub struct SummaryView {
    /// After publication: the unit's published result (rank, classification…).
    pub(super) result: Option<PublishedView>,
    pub(super) filled: i64,
    pub(super) total: i64,
    /// Whole percent, for the bar's width.
    pub(super) percent: i64,
    pub(super) missing_evidence: i64,
    pub(super) unexplained: i64,
    pub(super) self_total: String,
    pub(super) tree_total: String,
    pub(super) max_total: String,
    pub(super) appraised_total: Option<String>,
    pub(super) areas: Vec<(String, String, String, String)>,
    pub(super) problems: Vec<ProblemView>,
    pub(super) flagged: i64,
    pub(super) answered: i64,
    pub(super) version: i64,
    pub(super) can_submit: bool,
    pub(super) can_withdraw: bool,
    pub(super) can_submit_explanation: bool,
    pub(super) is_leader: bool,
}

/// Everything the scoresheet shows.
pub struct SheetView {
    pub(super) id: i64,
    pub(super) status: SheetStatus,
    pub(super) status_label: String,
    pub(super) campaign_id: i64,
    pub(super) campaign_title: String,
    pub(super) unit_name: String,
    pub(super) unit_code: String,
    pub(super) framework_title: String,
    pub(super) sample: bool,
    pub(super) deadline: String,
    pub(super) explanation_deadline: Option<String>,
    pub(super) submitted: Option<String>,
    pub(super) current_round: i64,
    /// Why the sheet cannot be edited now, for the unit's people.
    pub(super) locked_reason: Option<String>,
    pub(super) read_only_visitor: bool,
    pub(super) sections: Vec<SectionView>,
    pub(super) summary: SummaryView,
    pub(super) max_upload: String,
    pub(super) accept: String,
}
