//! The campaign (đợt đánh giá) state machine: draft → open → appraisal → finalized →
//! published (docs/method.md §2.5). The server enforces it; the rules live here, without IO.

use std::fmt;

/// Where a campaign stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignState {
    /// Being set up: frameworks, units and deadlines can change; no entry yet.
    Draft,
    /// Units self-assess. Frameworks are frozen from here on.
    Open,
    /// The appraisal council scores, asks for explanations, runs its rounds.
    Appraisal,
    /// Results frozen.
    Finalized,
    /// Rankings visible to viewers.
    Published,
}

impl CampaignState {
    pub const ALL: [CampaignState; 5] = [
        CampaignState::Draft,
        CampaignState::Open,
        CampaignState::Appraisal,
        CampaignState::Finalized,
        CampaignState::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Open => "open",
            CampaignState::Appraisal => "appraisal",
            CampaignState::Finalized => "finalized",
            CampaignState::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<CampaignState> {
        CampaignState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The states this one may move to. Forward one step at a time; an open campaign may go
    /// back to draft to correct its setup (the unit sheets keep their entries, since scores
    /// refer to framework nodes, not copies).
    pub fn next_states(self) -> &'static [CampaignState] {
        match self {
            CampaignState::Draft => &[CampaignState::Open],
            CampaignState::Open => &[CampaignState::Appraisal, CampaignState::Draft],
            CampaignState::Appraisal => &[CampaignState::Finalized],
            CampaignState::Finalized => &[CampaignState::Published],
            CampaignState::Published => &[],
        }
    }

    /// Whether the setup (frameworks, units, rounds, deadlines) can still change.
    pub fn setup_editable(self) -> bool {
        self == CampaignState::Draft
    }
}

/// A stored campaign state that is not one of [`CampaignState`]'s (the store names the column
/// when it decodes one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown campaign state {0:?}")]
pub struct UnknownCampaignState(pub String);

impl TryFrom<String> for CampaignState {
    type Error = UnknownCampaignState;

    fn try_from(text: String) -> Result<CampaignState, UnknownCampaignState> {
        CampaignState::parse(&text).ok_or(UnknownCampaignState(text))
    }
}

impl fmt::Display for CampaignState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a campaign's setup (its fields, groups and units) is refused. The web says each from
/// its locale key, beside the field it names.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SetupRefusal {
    #[error("the campaign title is empty")]
    TitleEmpty,
    #[error("year {0} is out of range")]
    YearOutOfRange(i64),
    #[error("appraisal rounds must be between 1 and {MAX_APPRAISAL_ROUNDS}")]
    RoundsOutOfRange(i64),
    #[error("bands: {0}")]
    Bands(#[from] crate::classification::BandsError),
    #[error("the explanation deadline is before the self-assessment deadline")]
    ExplanationBeforeSelfAssessment,
    /// The setup changes only while the campaign is a draft.
    #[error("the campaign is {0}: its setup can only change while it is a draft")]
    NotDraft(CampaignState),
    #[error("the unit group has no name")]
    GroupUnnamed,
    #[error("the group {0} has no framework yet")]
    GroupWithoutFramework(String),
    #[error("unit {0} is already in another group of this campaign, or does not exist")]
    UnitUnavailable(i64),
    /// Someone else moved the campaign to another state between the read and the write.
    #[error("the campaign changed state meanwhile")]
    ChangedMeanwhile,
}

impl SetupRefusal {
    /// The form field the refusal concerns, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SetupRefusal::TitleEmpty => Some("title"),
            SetupRefusal::YearOutOfRange(_) => Some("year"),
            SetupRefusal::RoundsOutOfRange(_) => Some("appraisal_rounds"),
            SetupRefusal::Bands(_) => Some("bands"),
            SetupRefusal::ExplanationBeforeSelfAssessment => Some("explanation_deadline"),
            SetupRefusal::GroupUnnamed => Some("unit_group"),
            SetupRefusal::NotDraft(_)
            | SetupRefusal::GroupWithoutFramework(_)
            | SetupRefusal::UnitUnavailable(_)
            | SetupRefusal::ChangedMeanwhile => None,
        }
    }
}

/// The most appraisal rounds a campaign may have.
pub const MAX_APPRAISAL_ROUNDS: i64 = 5;

/// The fields of a campaign a user sets, as the rules check them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SetupFields<'a> {
    pub title: &'a str,
    pub year: i64,
    pub appraisal_rounds: i64,
    pub bands: &'a str,
    pub self_assessment_deadline: Option<chrono::NaiveDate>,
    pub explanation_deadline: Option<chrono::NaiveDate>,
}

/// Checks a campaign's fields: a title, a year 2000–2100, 1 to [`MAX_APPRAISAL_ROUNDS`]
/// rounds, valid classification bands (docs/method.md), and an explanation deadline no earlier
/// than the self-assessment one.
pub fn check_setup_fields(fields: &SetupFields<'_>) -> Result<(), SetupRefusal> {
    if fields.title.trim().is_empty() {
        return Err(SetupRefusal::TitleEmpty);
    }
    if !(2000..=2100).contains(&fields.year) {
        return Err(SetupRefusal::YearOutOfRange(fields.year));
    }
    if !(1..=MAX_APPRAISAL_ROUNDS).contains(&fields.appraisal_rounds) {
        return Err(SetupRefusal::RoundsOutOfRange(fields.appraisal_rounds));
    }
    crate::Bands::parse(fields.bands)?;
    if let (Some(self_deadline), Some(explanation)) =
        (fields.self_assessment_deadline, fields.explanation_deadline)
        && explanation < self_deadline
    {
        return Err(SetupRefusal::ExplanationBeforeSelfAssessment);
    }
    Ok(())
}

/// What the rules need to know about a campaign to allow a transition.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignSetup {
    pub state: CampaignState,
    pub frameworks: usize,
    pub units: usize,
    /// Participating units without a framework for their group.
    pub units_without_framework: usize,
    pub has_self_assessment_deadline: bool,
}

/// Why a transition is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a campaign cannot go from {from} to {to}")]
    NotAllowed {
        from: CampaignState,
        to: CampaignState,
    },
    #[error("the campaign has no framework")]
    NoFramework,
    #[error("the campaign has no participating unit")]
    NoUnits,
    #[error("{0} participating unit(s) have no framework for their group")]
    UnitsWithoutFramework(usize),
    #[error("the self-assessment deadline is not set")]
    NoDeadline,
}

/// Checks a transition. Opening needs a complete setup: frameworks, units each covered by a
/// framework, and a self-assessment deadline (docs/method.md §2.5 stage 0: "no entry before").
pub fn check_transition(setup: &CampaignSetup, to: CampaignState) -> Result<(), TransitionError> {
    if !setup.state.next_states().contains(&to) {
        return Err(TransitionError::NotAllowed {
            from: setup.state,
            to,
        });
    }
    if to == CampaignState::Open {
        if setup.frameworks == 0 {
            return Err(TransitionError::NoFramework);
        }
        if setup.units == 0 {
            return Err(TransitionError::NoUnits);
        }
        if setup.units_without_framework > 0 {
            return Err(TransitionError::UnitsWithoutFramework(
                setup.units_without_framework,
            ));
        }
        if !setup.has_self_assessment_deadline {
            return Err(TransitionError::NoDeadline);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(state: CampaignState) -> CampaignSetup {
        CampaignSetup {
            state,
            frameworks: 2,
            units: 50,
            units_without_framework: 0,
            has_self_assessment_deadline: true,
        }
    }

    #[test]
    fn every_allowed_and_forbidden_transition() {
        use CampaignState::*;
        let allowed = [
            (Draft, Open),
            (Open, Appraisal),
            (Open, Draft),
            (Appraisal, Finalized),
            (Finalized, Published),
        ];
        for from in CampaignState::ALL {
            for to in CampaignState::ALL {
                let result = check_transition(&ready(from), to);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(()), "{from} → {to}");
                } else {
                    assert_eq!(
                        result,
                        Err(TransitionError::NotAllowed { from, to }),
                        "{from} → {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn opening_needs_a_complete_setup() {
        let mut setup = ready(CampaignState::Draft);
        setup.frameworks = 0;
        assert_eq!(
            check_transition(&setup, CampaignState::Open),
            Err(TransitionError::NoFramework)
        );
        let mut setup = ready(CampaignState::Draft);
        setup.units = 0;
        assert_eq!(
            check_transition(&setup, CampaignState::Open),
            Err(TransitionError::NoUnits)
        );
        let mut setup = ready(CampaignState::Draft);
        setup.units_without_framework = 3;
        assert_eq!(
            check_transition(&setup, CampaignState::Open),
            Err(TransitionError::UnitsWithoutFramework(3))
        );
        let mut setup = ready(CampaignState::Draft);
        setup.has_self_assessment_deadline = false;
        assert_eq!(
            check_transition(&setup, CampaignState::Open),
            Err(TransitionError::NoDeadline)
        );
        assert!(CampaignState::Draft.setup_editable());
        assert!(!CampaignState::Open.setup_editable());
        assert_eq!(
            CampaignState::parse("appraisal"),
            Some(CampaignState::Appraisal)
        );
        assert_eq!(CampaignState::parse("closed"), None);
    }
}
