//! Notifications: what they tell, and when a deadline reminder is due (docs/method.md §2.5:
//! every stage has a deadline; units are reminded 7, 3 and 1 days before it).

use chrono::NaiveDate;

/// What a notification tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// An appraisal round opened (to the appraisers and the units in it).
    RoundOpened,
    /// The council asked a unit to explain leaves.
    ExplanationRequested,
    /// A deadline of the unit is near.
    DeadlineSoon,
    /// The secretariat granted the unit an extension.
    ExtensionGranted,
    /// A submitted sheet came back to the unit.
    SheetReturned,
    /// A campaign's results were published.
    ResultsPublished,
    /// A plan task's due date is near (7, 3, 1 days).
    TaskDueSoon,
    /// A plan task became overdue.
    TaskOverdue,
    /// A reporting period of a plan opened.
    PeriodOpened,
    /// A plan task was assigned to the unit (as lead or coordinator).
    TaskAssigned,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 10] = [
        NoticeKind::RoundOpened,
        NoticeKind::ExplanationRequested,
        NoticeKind::DeadlineSoon,
        NoticeKind::ExtensionGranted,
        NoticeKind::SheetReturned,
        NoticeKind::ResultsPublished,
        NoticeKind::TaskDueSoon,
        NoticeKind::TaskOverdue,
        NoticeKind::PeriodOpened,
        NoticeKind::TaskAssigned,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::RoundOpened => "round_opened",
            NoticeKind::ExplanationRequested => "explanation_requested",
            NoticeKind::DeadlineSoon => "deadline_soon",
            NoticeKind::ExtensionGranted => "extension_granted",
            NoticeKind::SheetReturned => "sheet_returned",
            NoticeKind::ResultsPublished => "results_published",
            NoticeKind::TaskDueSoon => "task_due_soon",
            NoticeKind::TaskOverdue => "task_overdue",
            NoticeKind::PeriodOpened => "period_opened",
            NoticeKind::TaskAssigned => "task_assigned",
        }
    }

    pub fn parse(text: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The days before a deadline on which a reminder goes out.
pub const REMINDER_DAYS: [i64; 3] = [7, 3, 1];

/// The reminder due on `today` for a deadline: the number of days left when it is one of
/// [`REMINDER_DAYS`], else none (including on and after the deadline).
pub fn reminder_due(deadline: NaiveDate, today: NaiveDate) -> Option<i64> {
    let left = (deadline - today).num_days();
    REMINDER_DAYS.contains(&left).then_some(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn reminders_fall_seven_three_and_one_days_before() {
        let deadline = day(20);
        let due: Vec<(u32, i64)> = (1..=21)
            .filter_map(|d| reminder_due(deadline, day(d)).map(|left| (d, left)))
            .collect();
        assert_eq!(due, [(13, 7), (17, 3), (19, 1)]);
        // Across a month's end.
        let new_year = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();
        assert_eq!(reminder_due(new_year, day(26)), Some(7));
        assert_eq!(reminder_due(new_year, day(30)), Some(3));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::parse("other"), None);
    }
}
