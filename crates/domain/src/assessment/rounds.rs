//! Appraisal rounds and the campaign-level steps around them: which round may open or close,
//! when a campaign may be finalized, and the status each sheet moves to
//! (docs/method.md §2.5).

use super::*;

/// Where one appraisal round of a campaign stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundPhase {
    NotOpened,
    Open,
    Closed,
}

impl RoundPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundPhase::NotOpened => "not_opened",
            RoundPhase::Open => "open",
            RoundPhase::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<RoundPhase> {
        [RoundPhase::NotOpened, RoundPhase::Open, RoundPhase::Closed]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// A stored round state (`open`, `closed`) read back; anything else is named in the error.
impl TryFrom<String> for RoundPhase {
    type Error = String;

    fn try_from(text: String) -> Result<RoundPhase, String> {
        RoundPhase::parse(&text).ok_or_else(|| format!("unknown round state {text:?}"))
    }
}

/// The phase of round `round` (1-based) in `phases` (index 0 is round 1).
fn phase(phases: &[RoundPhase], round: u32) -> RoundPhase {
    phases
        .get(round as usize - 1)
        .copied()
        .unwrap_or(RoundPhase::NotOpened)
}

/// Checks that round `round` may open: rounds come from the campaign (1..=`rounds`), open one at
/// a time, in order, each once.
pub fn check_open_round(
    role: Role,
    campaign: CampaignState,
    phases: &[RoundPhase],
    rounds: u32,
    round: u32,
) -> Result<(), WorkflowError> {
    let action = SheetAction::OpenRound;
    authorize(role, action)?;
    if !action.campaign_states().contains(&campaign) {
        return Err(WorkflowError::CampaignState {
            action,
            state: campaign,
        });
    }
    if round == 0 || round > rounds {
        return Err(WorkflowError::NoSuchRound { round, rounds });
    }
    if let Some(open) = (1..=rounds).find(|&r| phase(phases, r) == RoundPhase::Open) {
        return Err(WorkflowError::RoundStillOpen { open });
    }
    if phase(phases, round) != RoundPhase::NotOpened {
        return Err(WorkflowError::RoundAlreadyOpened { round });
    }
    if round > 1 && phase(phases, round - 1) != RoundPhase::Closed {
        return Err(WorkflowError::RoundOutOfOrder {
            round,
            previous: round - 1,
        });
    }
    if campaign == CampaignState::Open && round != 1 {
        return Err(WorkflowError::CampaignState {
            action,
            state: campaign,
        });
    }
    Ok(())
}

/// Checks that round `round` may close: it is the open one.
pub fn check_close_round(
    role: Role,
    campaign: CampaignState,
    phases: &[RoundPhase],
    round: u32,
) -> Result<(), WorkflowError> {
    let action = SheetAction::CloseRound;
    authorize(role, action)?;
    if !action.campaign_states().contains(&campaign) {
        return Err(WorkflowError::CampaignState {
            action,
            state: campaign,
        });
    }
    if round == 0 || phase(phases, round) != RoundPhase::Open {
        return Err(WorkflowError::RoundNotOpen { round });
    }
    Ok(())
}

/// Checks that the campaign may be finalized: it is in appraisal and no round is open.
pub fn check_finalize(
    role: Role,
    campaign: CampaignState,
    phases: &[RoundPhase],
) -> Result<(), WorkflowError> {
    let action = SheetAction::Finalize;
    authorize(role, action)?;
    if !action.campaign_states().contains(&campaign) {
        return Err(WorkflowError::CampaignState {
            action,
            state: campaign,
        });
    }
    if let Some(open) = phases.iter().position(|p| *p == RoundPhase::Open) {
        return Err(WorkflowError::RoundStillOpen {
            open: open as u32 + 1,
        });
    }
    Ok(())
}

/// Checks a campaign-level action that has no round or sheet condition (granting an
/// extension, publishing).
pub fn check_campaign_action(
    role: Role,
    action: SheetAction,
    campaign: CampaignState,
) -> Result<(), WorkflowError> {
    authorize(role, action)?;
    if !action.campaign_states().contains(&campaign) {
        return Err(WorkflowError::CampaignState {
            action,
            state: campaign,
        });
    }
    Ok(())
}

/// The status a sheet moves to when round `round` opens, or `None` when the round leaves it
/// alone. Round 1 takes the submitted sheets; a later round takes the sheets with explanation
/// requests (answered or not: the deadline is the deadline) and sheets submitted late with an
/// extension. Appraised sheets keep their last round (docs/method.md §2.5 stage 5).
pub fn status_after_round_opens(status: SheetStatus, round: u32) -> Option<SheetStatus> {
    use SheetStatus::*;
    match status {
        Submitted => Some(InAppraisal),
        ExplanationRequested | ExplanationSubmitted if round > 1 => Some(InAppraisal),
        _ => None,
    }
}

/// The status a sheet in the closing round moves to: explanation requested when any of its
/// leaves was flagged in the round, appraised otherwise. `None` for sheets not in the round.
pub fn status_after_round_closes(
    status: SheetStatus,
    sheet_round: u32,
    round: u32,
    flagged: bool,
) -> Option<SheetStatus> {
    if status != SheetStatus::InAppraisal || sheet_round != round {
        return None;
    }
    Some(if flagged {
        SheetStatus::ExplanationRequested
    } else {
        SheetStatus::Appraised
    })
}

/// The status of every sheet after finalization. A sheet still in draft is finalized as it
/// stands (its missing leaves count 0 and are reported missing by the engine), so a campaign can
/// close even when a unit never submitted.
pub fn status_after_finalize(_status: SheetStatus) -> SheetStatus {
    SheetStatus::Finalized
}
