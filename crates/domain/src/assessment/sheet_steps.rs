//! The secretariat's steps on one sheet, and what becomes of a sheet submitted late
//! (docs/method.md §2.5, "Late and returned sheets"):
//!
//! - **Returning a sheet.** A submitted sheet that the council has not scored yet (waiting for
//!   a round, or in the open round with no leaf scored) goes back to its unit as a draft, with
//!   a reason. When the unit's self-assessment entry has closed, the return gives the unit a
//!   date to resubmit by (recorded as its extension); otherwise the date is optional.
//! - **Late sheets.** A sheet submitted while a round is open joins that round, unless the
//!   secretariat chose, when opening it, that late sheets wait for the next round
//!   ([`LateSheets`]). A sheet that joined late and has no leaf scored yet can also be moved
//!   to the next round on its own. The last round has no next round: neither choice exists
//!   there.

use chrono::NaiveDate;

use super::{SheetAction, SheetContext, SheetStatus, WorkflowError, authorize};
use crate::access::Role;

/// What happens to a sheet submitted while a round is open: the secretariat's choice when it
/// opens the round.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LateSheets {
    /// It joins the open round at once.
    #[default]
    Join,
    /// It waits, submitted, for the next round.
    Wait,
}

impl LateSheets {
    pub const ALL: [LateSheets; 2] = [LateSheets::Join, LateSheets::Wait];

    pub fn as_str(self) -> &'static str {
        match self {
            LateSheets::Join => "join",
            LateSheets::Wait => "wait",
        }
    }

    pub fn parse(text: &str) -> Option<LateSheets> {
        LateSheets::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// Checks the choice for round `round` of `rounds`: late sheets cannot wait after the last
    /// round.
    pub fn check(self, round: u32, rounds: u32) -> Result<(), WorkflowError> {
        if self == LateSheets::Wait && round >= rounds {
            return Err(WorkflowError::NoLaterRound { round });
        }
        Ok(())
    }
}

/// A stored choice read back; anything else is named in the error.
impl TryFrom<String> for LateSheets {
    type Error = String;

    fn try_from(text: String) -> Result<LateSheets, String> {
        LateSheets::parse(&text).ok_or_else(|| format!("unknown late-sheet choice {text:?}"))
    }
}

/// What a return asks, beside the sheet itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnFacts<'a> {
    /// Leaves the council has scored on the sheet, in any round.
    pub appraised_leaves: usize,
    pub reason: &'a str,
    /// The date the secretariat gives the unit to resubmit by.
    pub resubmit_by: Option<NaiveDate>,
    /// The self-assessment deadline and the unit's extension, if any.
    pub deadline: Option<NaiveDate>,
    pub extension: Option<NaiveDate>,
    pub today: NaiveDate,
}

/// Checks a return of the sheet to its unit; gives the status after it (draft).
pub fn check_return(
    role: Role,
    ctx: &SheetContext,
    facts: &ReturnFacts<'_>,
) -> Result<SheetStatus, WorkflowError> {
    let action = SheetAction::ReturnToUnit;
    check_step(role, action, ctx)?;
    if !matches!(
        ctx.status,
        SheetStatus::Submitted | SheetStatus::InAppraisal
    ) {
        return Err(WorkflowError::WrongStatus {
            action,
            status: ctx.status,
        });
    }
    not_scored(action, facts.appraised_leaves)?;
    if facts.reason.trim().is_empty() {
        return Err(WorkflowError::StepWithoutReason { action });
    }
    if let Some(date) = facts.resubmit_by {
        if date < facts.today {
            return Err(WorkflowError::ResubmitDateInPast {
                date,
                today: facts.today,
            });
        }
        if let Some(deadline) = facts.deadline
            && date <= deadline
        {
            return Err(WorkflowError::ExtensionBeforeDeadline { deadline });
        }
    } else if let Some(deadline) = facts.deadline {
        let last_day = facts.extension.map_or(deadline, |e| e.max(deadline));
        if facts.today > last_day {
            return Err(WorkflowError::ResubmitDateRequired { deadline });
        }
    }
    Ok(SheetStatus::Draft)
}

/// Checks moving a sheet of the open round to the next round; gives the status after it
/// (submitted, waiting for round `current_round + 1`).
pub fn check_defer(
    role: Role,
    ctx: &SheetContext,
    rounds: u32,
    appraised_leaves: usize,
    reason: &str,
) -> Result<SheetStatus, WorkflowError> {
    let action = SheetAction::DeferToNextRound;
    check_step(role, action, ctx)?;
    if ctx.status != SheetStatus::InAppraisal {
        return Err(WorkflowError::WrongStatus {
            action,
            status: ctx.status,
        });
    }
    if ctx.open_round != Some(ctx.current_round) {
        return Err(WorkflowError::RoundNotOpen {
            round: ctx.current_round,
        });
    }
    not_scored(action, appraised_leaves)?;
    if ctx.current_round >= rounds {
        return Err(WorkflowError::NoLaterRound {
            round: ctx.current_round,
        });
    }
    if reason.trim().is_empty() {
        return Err(WorkflowError::StepWithoutReason { action });
    }
    Ok(SheetStatus::Submitted)
}

fn check_step(role: Role, action: SheetAction, ctx: &SheetContext) -> Result<(), WorkflowError> {
    authorize(role, action)?;
    if !action.campaign_states().contains(&ctx.campaign) {
        return Err(WorkflowError::CampaignState {
            action,
            state: ctx.campaign,
        });
    }
    Ok(())
}

fn not_scored(action: SheetAction, leaves: usize) -> Result<(), WorkflowError> {
    if leaves > 0 {
        return Err(WorkflowError::AlreadyAppraised { action, leaves });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::CampaignState;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn ctx(status: SheetStatus, current_round: u32, open_round: Option<u32>) -> SheetContext {
        SheetContext {
            campaign: CampaignState::Appraisal,
            status,
            current_round,
            open_round,
        }
    }

    fn facts(today: u32) -> ReturnFacts<'static> {
        ReturnFacts {
            appraised_leaves: 0,
            reason: "thiếu tài liệu kiểm chứng",
            resubmit_by: None,
            deadline: Some(day(10)),
            extension: None,
            today: day(today),
        }
    }

    #[test]
    fn a_sheet_the_council_has_not_scored_goes_back_as_a_draft() {
        let secretariat = Role::Secretariat;
        for status in [SheetStatus::Submitted, SheetStatus::InAppraisal] {
            assert_eq!(
                check_return(secretariat, &ctx(status, 1, Some(1)), &facts(5)),
                Ok(SheetStatus::Draft)
            );
        }
        for status in [
            SheetStatus::Draft,
            SheetStatus::Appraised,
            SheetStatus::ExplanationRequested,
            SheetStatus::ExplanationSubmitted,
        ] {
            assert!(matches!(
                check_return(secretariat, &ctx(status, 1, None), &facts(5)),
                Err(WorkflowError::WrongStatus { .. })
            ));
        }
        let scored = ReturnFacts {
            appraised_leaves: 3,
            ..facts(5)
        };
        assert_eq!(
            check_return(
                secretariat,
                &ctx(SheetStatus::InAppraisal, 1, Some(1)),
                &scored
            ),
            Err(WorkflowError::AlreadyAppraised {
                action: SheetAction::ReturnToUnit,
                leaves: 3
            })
        );
        assert_eq!(
            check_return(
                Role::Appraiser,
                &ctx(SheetStatus::Submitted, 0, None),
                &facts(5)
            ),
            Err(WorkflowError::RoleNotAllowed {
                role: Role::Appraiser,
                action: SheetAction::ReturnToUnit
            })
        );
        let silent = ReturnFacts {
            reason: "  ",
            ..facts(5)
        };
        assert_eq!(
            check_return(secretariat, &ctx(SheetStatus::Submitted, 0, None), &silent),
            Err(WorkflowError::StepWithoutReason {
                action: SheetAction::ReturnToUnit
            })
        );
    }

    #[test]
    fn after_the_deadline_a_return_gives_a_date_to_resubmit_by() {
        let submitted = ctx(SheetStatus::Submitted, 0, None);
        let role = Role::Secretariat;
        // The deadline day itself is still open; the day after needs a date.
        assert!(check_return(role, &submitted, &facts(10)).is_ok());
        assert_eq!(
            check_return(role, &submitted, &facts(11)),
            Err(WorkflowError::ResubmitDateRequired { deadline: day(10) })
        );
        // An extension still running keeps entry open.
        let extended = ReturnFacts {
            extension: Some(day(15)),
            ..facts(12)
        };
        assert!(check_return(role, &submitted, &extended).is_ok());
        let dated = ReturnFacts {
            resubmit_by: Some(day(20)),
            ..facts(12)
        };
        assert!(check_return(role, &submitted, &dated).is_ok());
        let past = ReturnFacts {
            resubmit_by: Some(day(11)),
            ..facts(12)
        };
        assert_eq!(
            check_return(role, &submitted, &past),
            Err(WorkflowError::ResubmitDateInPast {
                date: day(11),
                today: day(12)
            })
        );
        // A date is an extension: it ends after the deadline.
        let early = ReturnFacts {
            resubmit_by: Some(day(8)),
            ..facts(5)
        };
        assert_eq!(
            check_return(role, &submitted, &early),
            Err(WorkflowError::ExtensionBeforeDeadline { deadline: day(10) })
        );
    }

    #[test]
    fn a_late_sheet_moves_to_the_next_round_unless_this_is_the_last() {
        let role = Role::Secretariat;
        let reason = "hội đồng đã phân công xong vòng 1";
        assert_eq!(
            check_defer(
                role,
                &ctx(SheetStatus::InAppraisal, 1, Some(1)),
                2,
                0,
                reason
            ),
            Ok(SheetStatus::Submitted)
        );
        assert_eq!(
            check_defer(
                role,
                &ctx(SheetStatus::InAppraisal, 2, Some(2)),
                2,
                0,
                reason
            ),
            Err(WorkflowError::NoLaterRound { round: 2 })
        );
        assert_eq!(
            check_defer(
                role,
                &ctx(SheetStatus::InAppraisal, 1, Some(1)),
                2,
                1,
                reason
            ),
            Err(WorkflowError::AlreadyAppraised {
                action: SheetAction::DeferToNextRound,
                leaves: 1
            })
        );
        assert!(matches!(
            check_defer(role, &ctx(SheetStatus::Submitted, 0, Some(1)), 2, 0, reason),
            Err(WorkflowError::WrongStatus { .. })
        ));
        assert_eq!(
            check_defer(role, &ctx(SheetStatus::InAppraisal, 1, Some(1)), 2, 0, ""),
            Err(WorkflowError::StepWithoutReason {
                action: SheetAction::DeferToNextRound
            })
        );
        assert_eq!(
            LateSheets::Wait.check(2, 2),
            Err(WorkflowError::NoLaterRound { round: 2 })
        );
        assert_eq!(LateSheets::Wait.check(1, 2), Ok(()));
        assert_eq!(LateSheets::Join.check(2, 2), Ok(()));
        for choice in LateSheets::ALL {
            assert_eq!(LateSheets::parse(choice.as_str()), Some(choice));
        }
    }
}
