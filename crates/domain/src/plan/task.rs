//! A plan task's state machine (docs/method.md §7.5): chưa bắt đầu → đang thực hiện → chờ xác
//! nhận hoàn thành → hoàn thành, or tạm dừng / hủy with a reason. Only the lead agency asks
//! for a task to be closed, only the secretariat accepts (or sends it back); coordinating
//! agencies contribute reports and never move the task.

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Chưa bắt đầu.
    NotStarted,
    /// Đang thực hiện.
    InProgress,
    /// The lead reported it done; the secretariat has not accepted yet (chờ xác nhận).
    AwaitingAcceptance,
    /// Hoàn thành, accepted by the secretariat.
    Done,
    /// Tạm dừng, with a reason.
    Paused,
    /// Hủy, with a reason.
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 6] = [
        TaskStatus::NotStarted,
        TaskStatus::InProgress,
        TaskStatus::AwaitingAcceptance,
        TaskStatus::Done,
        TaskStatus::Paused,
        TaskStatus::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::AwaitingAcceptance => "awaiting_acceptance",
            TaskStatus::Done => "done",
            TaskStatus::Paused => "paused",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Done or cancelled: nothing more happens to the task, and it is never overdue.
    pub fn is_closed(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Cancelled)
    }
}

/// Who acts on a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskActor {
    /// The lead agency (cơ quan chủ trì).
    Lead,
    /// A coordinating agency (cơ quan phối hợp).
    Coordinator,
    /// The Sở Nội vụ, which owns the province's plan.
    Secretariat,
}

/// What can be done to a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskAction {
    Start,
    /// The lead reports the task done and asks for it to be closed.
    Close,
    /// The secretariat accepts the closure.
    Accept,
    /// The secretariat sends a closure back, with a reason.
    Reject,
    Pause,
    Resume,
    Cancel,
}

impl TaskAction {
    pub const ALL: [TaskAction; 7] = [
        TaskAction::Start,
        TaskAction::Close,
        TaskAction::Accept,
        TaskAction::Reject,
        TaskAction::Pause,
        TaskAction::Resume,
        TaskAction::Cancel,
    ];

    /// Whether the action must be given a reason (kept with the audit row).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            TaskAction::Reject | TaskAction::Pause | TaskAction::Cancel
        )
    }
}

/// Why an action on a task is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskRefusal {
    #[error("{actor:?} may not {action:?} a task")]
    NotAllowed {
        actor: TaskActor,
        action: TaskAction,
    },
    #[error("a task that is {status:?} cannot {action:?}")]
    WrongStatus {
        status: TaskStatus,
        action: TaskAction,
    },
    #[error("{action:?} needs a reason")]
    ReasonRequired { action: TaskAction },
}

/// Who may take each action.
fn allowed(actor: TaskActor, action: TaskAction) -> bool {
    use TaskAction::*;
    match actor {
        TaskActor::Lead => matches!(action, Start | Close | Pause | Resume),
        TaskActor::Secretariat => {
            matches!(action, Start | Accept | Reject | Pause | Resume | Cancel)
        }
        TaskActor::Coordinator => false,
    }
}

/// The status an action leads to, from the status it starts from.
fn target(status: TaskStatus, action: TaskAction) -> Option<TaskStatus> {
    use TaskStatus::*;
    match (action, status) {
        (TaskAction::Start, NotStarted) => Some(InProgress),
        (TaskAction::Close, InProgress) => Some(AwaitingAcceptance),
        (TaskAction::Accept, AwaitingAcceptance) => Some(Done),
        (TaskAction::Reject, AwaitingAcceptance) => Some(InProgress),
        (TaskAction::Pause, NotStarted | InProgress) => Some(Paused),
        (TaskAction::Resume, Paused) => Some(InProgress),
        (TaskAction::Cancel, NotStarted | InProgress | AwaitingAcceptance | Paused) => {
            Some(Cancelled)
        }
        _ => None,
    }
}

/// Checks an action and gives the task's new status. The actor's right comes first (a
/// coordinator is told it may not close a task, whatever the task's status), then the status,
/// then the reason.
pub fn transition(
    status: TaskStatus,
    action: TaskAction,
    actor: TaskActor,
    reason: Option<&str>,
) -> Result<TaskStatus, TaskRefusal> {
    if !allowed(actor, action) {
        return Err(TaskRefusal::NotAllowed { actor, action });
    }
    let next = target(status, action).ok_or(TaskRefusal::WrongStatus { status, action })?;
    if action.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TaskRefusal::ReasonRequired { action });
    }
    Ok(next)
}

/// Whether the actor may file a progress report on a task in this status: the lead and the
/// coordinators, until the task is closed.
pub fn may_report(status: TaskStatus, actor: TaskActor) -> bool {
    !status.is_closed() && matches!(actor, TaskActor::Lead | TaskActor::Coordinator)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTORS: [TaskActor; 3] = [
        TaskActor::Lead,
        TaskActor::Coordinator,
        TaskActor::Secretariat,
    ];

    #[test]
    fn the_whole_table_of_transitions() {
        use TaskAction::*;
        use TaskStatus::*;
        // Every (status, action, actor) that succeeds, with its result; everything else fails.
        let allowed: Vec<(TaskStatus, TaskAction, TaskActor, TaskStatus)> = vec![
            (NotStarted, Start, TaskActor::Lead, InProgress),
            (NotStarted, Start, TaskActor::Secretariat, InProgress),
            (InProgress, Close, TaskActor::Lead, AwaitingAcceptance),
            (AwaitingAcceptance, Accept, TaskActor::Secretariat, Done),
            (
                AwaitingAcceptance,
                Reject,
                TaskActor::Secretariat,
                InProgress,
            ),
            (NotStarted, Pause, TaskActor::Lead, Paused),
            (NotStarted, Pause, TaskActor::Secretariat, Paused),
            (InProgress, Pause, TaskActor::Lead, Paused),
            (InProgress, Pause, TaskActor::Secretariat, Paused),
            (Paused, Resume, TaskActor::Lead, InProgress),
            (Paused, Resume, TaskActor::Secretariat, InProgress),
            (NotStarted, Cancel, TaskActor::Secretariat, Cancelled),
            (InProgress, Cancel, TaskActor::Secretariat, Cancelled),
            (
                AwaitingAcceptance,
                Cancel,
                TaskActor::Secretariat,
                Cancelled,
            ),
            (Paused, Cancel, TaskActor::Secretariat, Cancelled),
        ];
        let mut successes = 0;
        for status in TaskStatus::ALL {
            for action in TaskAction::ALL {
                for actor in ACTORS {
                    let got = transition(status, action, actor, Some("lý do"));
                    let expected = allowed
                        .iter()
                        .find(|(s, a, who, _)| *s == status && *a == action && *who == actor)
                        .map(|(.., to)| *to);
                    match expected {
                        Some(to) => {
                            assert_eq!(got, Ok(to), "{status:?} {action:?} {actor:?}");
                            successes += 1;
                        }
                        None => assert!(got.is_err(), "{status:?} {action:?} {actor:?}: {got:?}"),
                    }
                }
            }
        }
        assert_eq!(successes, allowed.len());
    }

    #[test]
    fn coordinators_never_move_a_task_and_only_the_lead_closes_it() {
        for action in TaskAction::ALL {
            assert_eq!(
                transition(
                    TaskStatus::InProgress,
                    action,
                    TaskActor::Coordinator,
                    Some("x")
                ),
                Err(TaskRefusal::NotAllowed {
                    actor: TaskActor::Coordinator,
                    action
                })
            );
        }
        assert!(matches!(
            transition(
                TaskStatus::InProgress,
                TaskAction::Close,
                TaskActor::Secretariat,
                None
            ),
            Err(TaskRefusal::NotAllowed { .. })
        ));
        assert!(matches!(
            transition(
                TaskStatus::AwaitingAcceptance,
                TaskAction::Accept,
                TaskActor::Lead,
                None
            ),
            Err(TaskRefusal::NotAllowed { .. })
        ));
    }

    #[test]
    fn pausing_rejecting_and_cancelling_need_a_reason() {
        for (status, action, actor) in [
            (TaskStatus::InProgress, TaskAction::Pause, TaskActor::Lead),
            (
                TaskStatus::AwaitingAcceptance,
                TaskAction::Reject,
                TaskActor::Secretariat,
            ),
            (
                TaskStatus::InProgress,
                TaskAction::Cancel,
                TaskActor::Secretariat,
            ),
        ] {
            for reason in [None, Some(""), Some("   ")] {
                assert_eq!(
                    transition(status, action, actor, reason),
                    Err(TaskRefusal::ReasonRequired { action })
                );
            }
            assert!(transition(status, action, actor, Some("Chờ kinh phí")).is_ok());
        }
        // Starting needs none.
        assert!(
            transition(
                TaskStatus::NotStarted,
                TaskAction::Start,
                TaskActor::Lead,
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn closed_tasks_take_no_reports_and_statuses_round_trip() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(status));
            assert_eq!(may_report(status, TaskActor::Lead), !status.is_closed());
            assert_eq!(
                may_report(status, TaskActor::Coordinator),
                !status.is_closed()
            );
            assert!(!may_report(status, TaskActor::Secretariat));
        }
        assert_eq!(TaskStatus::parse("Done"), None);
    }
}
