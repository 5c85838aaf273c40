//! The checklist before a campaign step (opening an appraisal round, finalizing, publishing):
//! what is still missing, which of it blocks the step, and how the secretariat resolves each
//! blocking item per unit with a recorded reason (docs/method.md §2.5, "the guard before each
//! step"). Pure: the store loads the facts, this decides.
//!
//! The rule for a sheet never submitted: it is never ranked with its draft self-points. At
//! finalize the secretariat chooses per unit between leaving it out of the ranking (noted
//! "chưa nộp") and ranking it with 0 points; either choice needs a reason. A submitted sheet
//! that no round appraised is finalized only by an explicit decision: its self-points are
//! accepted as final, or it is left out.

use std::collections::BTreeMap;

use super::SheetStatus;

/// A step of the campaign that shows a checklist first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignStep {
    OpenRound(u32),
    Finalize,
    Publish,
}

/// What the store knows about one participating unit when the checklist is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitFacts {
    pub unit_id: i64,
    /// The unit's sheet, when it has one.
    pub sheet_id: Option<i64>,
    /// The unit as people name it (code and name), for the checklist and the refusals.
    pub unit: String,
    pub status: SheetStatus,
    /// Codes of the leaves whose explanation request no later round has reviewed.
    pub pending_explanations: Vec<String>,
    /// The unit's self-assessment deadline (its extension, when granted) is today or later.
    pub self_deadline_ahead: bool,
    /// The unit's counted survey responses are below its target sample in a mapped wave.
    pub below_sample_target: bool,
    /// The outcome decided at finalize (for the publication checklist).
    pub outcome: Option<Outcome>,
}

/// What the store knows about the campaign as a whole.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CampaignFacts {
    pub units: Vec<UnitFacts>,
    /// Codes of the survey leaves of the campaign's frameworks that no wave fills.
    pub unmapped_survey_leaves: Vec<String>,
    /// Codes of mapped survey leaves not refreshed since their wave's last response.
    pub stale_survey_leaves: Vec<String>,
}

/// Why a line is on the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Concern {
    /// The unit never submitted its sheet.
    NotSubmitted,
    /// The sheet was submitted but no round appraised it.
    NotAppraised,
    /// Leaves are still requested for explanation (no later round reviewed them).
    ExplanationPending,
    /// The unit's self-assessment deadline is still ahead (round 1).
    DeadlineAhead,
    /// The unit has fewer survey responses than its target sample.
    BelowSampleTarget,
    /// Survey leaves that no wave fills (campaign-wide).
    SurveyLeavesUnmapped,
    /// Survey leaves not refreshed since their wave's last response (finalize refreshes them).
    SurveyLeavesStale,
    /// Left out of the ranking at finalize (publication checklist).
    Excluded,
    /// Ranked with 0 points at finalize (publication checklist).
    Zeroed,
}

/// How the secretariat resolves a blocking line of one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Leave the unit out of the ranking (its result shows "chưa nộp" / not appraised).
    Exclude,
    /// Rank the unit with 0 points.
    Zero,
    /// Let the step go on as things stand: the unit's self-points (not appraised) or the last
    /// round's values (explanations never reviewed) become final.
    Accept,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Exclude, Decision::Zero, Decision::Accept];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Exclude => "exclude",
            Decision::Zero => "zero",
            Decision::Accept => "accept",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// What finalize did with a sheet that was not appraised normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Not ranked (never submitted, or not appraised and left out).
    Excluded,
    /// Ranked with 0 points (never submitted).
    Zero,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Excluded => "excluded",
            Outcome::Zero => "zero",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Excluded, Outcome::Zero]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// A stored outcome read back; anything else is named in the error.
impl TryFrom<String> for Outcome {
    type Error = String;

    fn try_from(text: String) -> Result<Outcome, String> {
        Outcome::parse(&text).ok_or_else(|| format!("unknown sheet outcome {text:?}"))
    }
}

/// One line of the checklist.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub concern: Concern,
    /// The unit concerned, or `None` for a campaign-wide line.
    pub unit_id: Option<i64>,
    pub sheet_id: Option<i64>,
    /// The unit as people name it; empty for a campaign-wide line.
    pub unit: String,
    /// Leaf codes the line is about (explanations pending, survey leaves).
    pub leaves: Vec<String>,
    /// The step is refused until this line is resolved by a decision.
    pub blocking: bool,
    /// The decisions that resolve it (empty for a line that only informs).
    pub choices: &'static [Decision],
}

/// The checklist of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Checklist {
    pub step: CampaignStep,
    pub items: Vec<Item>,
    /// Units whose self-assessment deadline is still ahead (round 1 only).
    pub deadlines_ahead: usize,
}

/// The secretariat's decisions sent with a step: per unit a decision and its reason, and the
/// reason for going on without the unmapped survey leaves (they stay at 0 points).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decisions {
    pub units: BTreeMap<i64, (Decision, String)>,
    pub survey_waiver: Option<String>,
    /// One decision, with its reason, for every unit never submitted that has no decision of
    /// its own (a province has dozens of units: each still gets its own audit row).
    pub not_submitted_all: Option<(Decision, String)>,
}

/// A step refused by its checklist; the web words it in the user's language.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistRefusal {
    /// The step's own reason is missing.
    #[error("a reason is required for this step")]
    ReasonRequired,
    /// Blocking lines without a decision: the units (as named) and the unmapped survey leaves.
    #[error("unresolved: units {units:?}, survey leaves {survey_leaves:?}")]
    Unresolved {
        units: Vec<String>,
        survey_leaves: Vec<String>,
    },
    /// A decision that does not resolve the unit's line (0 points for a submitted sheet…).
    #[error("{unit}: decision {decision:?} does not resolve {concern:?}")]
    ChoiceNotAllowed {
        unit: String,
        concern: Concern,
        decision: Decision,
    },
    /// A decision without its reason.
    #[error("{unit}: a decision needs a reason")]
    DecisionWithoutReason { unit: String },
}

const NEVER_SUBMITTED: &[Decision] = &[Decision::Exclude, Decision::Zero];
const UNAPPRAISED: &[Decision] = &[Decision::Accept, Decision::Exclude];
const PENDING: &[Decision] = &[Decision::Accept];

fn line(unit: &UnitFacts, concern: Concern, blocking: bool, choices: &'static [Decision]) -> Item {
    Item {
        concern,
        unit_id: Some(unit.unit_id),
        sheet_id: unit.sheet_id,
        unit: unit.unit.clone(),
        leaves: if concern == Concern::ExplanationPending {
            unit.pending_explanations.clone()
        } else {
            Vec::new()
        },
        blocking,
        choices,
    }
}

/// The checklist of `step` from the campaign's facts.
///
/// - Opening round 1: units not submitted and units whose deadline is still ahead are listed
///   (they join the round when they submit); nothing blocks.
/// - Opening a later round: units not submitted are listed; nothing blocks.
/// - Finalize: a unit never submitted, a sheet no round appraised and explanations never
///   reviewed block until decided; unmapped survey leaves block until waived; stale survey
///   leaves and units below their sample target are listed (finalize refreshes the leaves).
/// - Publish: the units left out or zeroed at finalize and those below their sample target are
///   listed; nothing blocks (finalize decided).
pub fn checklist(step: CampaignStep, facts: &CampaignFacts) -> Checklist {
    use SheetStatus::*;
    let mut items = Vec::new();
    let finalize = step == CampaignStep::Finalize;
    for unit in &facts.units {
        match (step, unit.status) {
            (CampaignStep::OpenRound(_), Draft) => {
                items.push(line(unit, Concern::NotSubmitted, false, &[]));
            }
            (CampaignStep::Finalize, Draft) => {
                items.push(line(unit, Concern::NotSubmitted, true, NEVER_SUBMITTED));
            }
            (CampaignStep::Finalize, Submitted | InAppraisal) => {
                items.push(line(unit, Concern::NotAppraised, true, UNAPPRAISED));
            }
            (CampaignStep::Finalize, ExplanationRequested | ExplanationSubmitted) => {
                items.push(line(unit, Concern::ExplanationPending, true, PENDING));
            }
            (CampaignStep::Publish, _) => match unit.outcome {
                Some(Outcome::Excluded) => items.push(line(unit, Concern::Excluded, false, &[])),
                Some(Outcome::Zero) => items.push(line(unit, Concern::Zeroed, false, &[])),
                None => {}
            },
            _ => {}
        }
        if step == CampaignStep::OpenRound(1) && unit.self_deadline_ahead {
            items.push(line(unit, Concern::DeadlineAhead, false, &[]));
        }
        if unit.below_sample_target && step != CampaignStep::OpenRound(1) {
            items.push(line(unit, Concern::BelowSampleTarget, false, &[]));
        }
    }
    if finalize && !facts.unmapped_survey_leaves.is_empty() {
        items.push(Item {
            concern: Concern::SurveyLeavesUnmapped,
            unit_id: None,
            sheet_id: None,
            unit: String::new(),
            leaves: facts.unmapped_survey_leaves.clone(),
            blocking: true,
            choices: PENDING,
        });
    }
    if finalize && !facts.stale_survey_leaves.is_empty() {
        items.push(Item {
            concern: Concern::SurveyLeavesStale,
            unit_id: None,
            sheet_id: None,
            unit: String::new(),
            leaves: facts.stale_survey_leaves.clone(),
            blocking: false,
            choices: &[],
        });
    }
    items.sort_by_key(|i| (!i.blocking, i.concern));
    let deadlines_ahead = if step == CampaignStep::OpenRound(1) {
        facts.units.iter().filter(|u| u.self_deadline_ahead).count()
    } else {
        0
    };
    Checklist {
        step,
        items,
        deadlines_ahead,
    }
}

impl Checklist {
    /// The lines that block the step until decided.
    pub fn blocking(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.blocking)
    }

    /// Checks the step's reason and the decisions against the blocking lines; returns the
    /// decision of each blocking unit (its line's concern, the decision, its reason), in unit
    /// order, for the store to apply and audit.
    pub fn resolve(
        &self,
        reason: &str,
        decisions: &Decisions,
    ) -> Result<Vec<(i64, Concern, Decision, String)>, ChecklistRefusal> {
        if reason.trim().is_empty() {
            return Err(ChecklistRefusal::ReasonRequired);
        }
        let mut units = Vec::new();
        let mut survey_leaves = Vec::new();
        let mut resolved = Vec::new();
        for item in self.blocking() {
            match item.unit_id {
                None => {
                    if decisions
                        .survey_waiver
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                    {
                        survey_leaves.extend(item.leaves.iter().cloned());
                    }
                }
                Some(unit_id) => match decisions.units.get(&unit_id).or(match item.concern {
                    Concern::NotSubmitted => decisions.not_submitted_all.as_ref(),
                    _ => None,
                }) {
                    None => units.push(item.unit.clone()),
                    Some((decision, why)) => {
                        if !item.choices.contains(decision) {
                            return Err(ChecklistRefusal::ChoiceNotAllowed {
                                unit: item.unit.clone(),
                                concern: item.concern,
                                decision: *decision,
                            });
                        }
                        if why.trim().is_empty() {
                            return Err(ChecklistRefusal::DecisionWithoutReason {
                                unit: item.unit.clone(),
                            });
                        }
                        resolved.push((unit_id, item.concern, *decision, why.trim().to_string()));
                    }
                },
            }
        }
        if !units.is_empty() || !survey_leaves.is_empty() {
            return Err(ChecklistRefusal::Unresolved {
                units,
                survey_leaves,
            });
        }
        Ok(resolved)
    }
}

/// What finalize does with a sheet: its outcome (left out, or 0 points), or `None` when its
/// final points are computed as usual (the last round's value, else the unit's own).
pub fn outcome_of(decision: Option<Decision>) -> Option<Outcome> {
    match decision {
        Some(Decision::Exclude) => Some(Outcome::Excluded),
        Some(Decision::Zero) => Some(Outcome::Zero),
        Some(Decision::Accept) | None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, status: SheetStatus) -> UnitFacts {
        UnitFacts {
            unit_id: id,
            sheet_id: Some(id * 10),
            unit: format!("S{id:02}"),
            status,
            pending_explanations: Vec::new(),
            self_deadline_ahead: false,
            below_sample_target: false,
            outcome: None,
        }
    }

    fn facts() -> CampaignFacts {
        let mut pending = unit(3, SheetStatus::ExplanationSubmitted);
        pending.pending_explanations = vec!["1.2".into()];
        let mut low = unit(4, SheetStatus::Appraised);
        low.below_sample_target = true;
        CampaignFacts {
            units: vec![
                unit(1, SheetStatus::Draft),
                unit(2, SheetStatus::Submitted),
                pending,
                low,
            ],
            unmapped_survey_leaves: vec!["2.2".into()],
            stale_survey_leaves: vec!["2.3".into()],
        }
    }

    #[test]
    fn finalize_is_blocked_by_missing_work_until_each_unit_is_decided() {
        let list = checklist(CampaignStep::Finalize, &facts());
        let blocking: Vec<(Concern, Option<i64>)> =
            list.blocking().map(|i| (i.concern, i.unit_id)).collect();
        assert_eq!(
            blocking,
            vec![
                (Concern::NotSubmitted, Some(1)),
                (Concern::NotAppraised, Some(2)),
                (Concern::ExplanationPending, Some(3)),
                (Concern::SurveyLeavesUnmapped, None),
            ]
        );
        assert!(
            list.items
                .iter()
                .any(|i| i.concern == Concern::BelowSampleTarget && !i.blocking)
        );
        assert!(
            list.items
                .iter()
                .any(|i| i.concern == Concern::SurveyLeavesStale && !i.blocking)
        );
        let refused = list.resolve("Chốt theo kế hoạch", &Decisions::default());
        assert_eq!(
            refused,
            Err(ChecklistRefusal::Unresolved {
                units: vec!["S01".into(), "S02".into(), "S03".into()],
                survey_leaves: vec!["2.2".into()],
            })
        );
        let mut decisions = Decisions::default();
        decisions
            .units
            .insert(1, (Decision::Zero, "Không nộp".into()));
        decisions
            .units
            .insert(2, (Decision::Accept, "Hội đồng đồng ý".into()));
        decisions
            .units
            .insert(3, (Decision::Accept, "Hết hạn giải trình".into()));
        decisions.survey_waiver = Some("Không tổ chức khảo sát".into());
        let resolved = list.resolve("Chốt theo kế hoạch", &decisions).unwrap();
        assert_eq!(resolved.len(), 3);
        assert_eq!(
            resolved[0],
            (1, Concern::NotSubmitted, Decision::Zero, "Không nộp".into())
        );
    }

    #[test]
    fn a_never_submitted_sheet_is_never_accepted_as_it_stands() {
        let list = checklist(CampaignStep::Finalize, &facts());
        let mut decisions = Decisions::default();
        decisions.units.insert(1, (Decision::Accept, "x".into()));
        assert_eq!(
            list.resolve("r", &decisions),
            Err(ChecklistRefusal::ChoiceNotAllowed {
                unit: "S01".into(),
                concern: Concern::NotSubmitted,
                decision: Decision::Accept,
            })
        );
        decisions.units.insert(1, (Decision::Exclude, "  ".into()));
        assert_eq!(
            list.resolve("r", &decisions),
            Err(ChecklistRefusal::DecisionWithoutReason { unit: "S01".into() })
        );
        assert_eq!(
            list.resolve(" ", &decisions),
            Err(ChecklistRefusal::ReasonRequired)
        );
        // One decision for every unit never submitted; a unit's own decision comes first.
        let mut all = Decisions {
            not_submitted_all: Some((Decision::Exclude, "Không nộp".into())),
            survey_waiver: Some("Không khảo sát".into()),
            ..Decisions::default()
        };
        all.units.insert(2, (Decision::Accept, "Chấp nhận".into()));
        all.units.insert(3, (Decision::Accept, "Hết hạn".into()));
        let resolved = list.resolve("r", &all).unwrap();
        assert_eq!(
            resolved[0],
            (
                1,
                Concern::NotSubmitted,
                Decision::Exclude,
                "Không nộp".into()
            )
        );
        all.units.remove(&2);
        assert!(matches!(
            list.resolve("r", &all),
            Err(ChecklistRefusal::Unresolved { units, .. }) if units == vec!["S02".to_string()]
        ));
        assert_eq!(outcome_of(Some(Decision::Exclude)), Some(Outcome::Excluded));
        assert_eq!(outcome_of(Some(Decision::Accept)), None);
    }

    #[test]
    fn round_one_lists_deadlines_ahead_and_blocks_nothing() {
        let mut facts = facts();
        facts.units[0].self_deadline_ahead = true;
        facts.units[1].self_deadline_ahead = true;
        let list = checklist(CampaignStep::OpenRound(1), &facts);
        assert_eq!(list.deadlines_ahead, 2);
        assert_eq!(list.blocking().count(), 0);
        assert!(
            list.items
                .iter()
                .any(|i| i.concern == Concern::NotSubmitted)
        );
        assert!(list.resolve("Mở vòng 1", &Decisions::default()).is_ok());
        let later = checklist(CampaignStep::OpenRound(2), &facts);
        assert_eq!(later.deadlines_ahead, 0);
    }

    #[test]
    fn publication_lists_what_finalize_decided() {
        let mut facts = facts();
        facts.units[0].outcome = Some(Outcome::Excluded);
        facts.units[1].outcome = Some(Outcome::Zero);
        let list = checklist(CampaignStep::Publish, &facts);
        let concerns: Vec<Concern> = list.items.iter().map(|i| i.concern).collect();
        assert_eq!(
            concerns,
            vec![
                Concern::BelowSampleTarget,
                Concern::Excluded,
                Concern::Zeroed
            ]
        );
        assert_eq!(list.blocking().count(), 0);
    }
}
