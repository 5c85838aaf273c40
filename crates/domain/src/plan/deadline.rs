//! A task's deadline (docs/method.md §7.6): a date, a recurring rule, or "thường xuyên", and
//! what follows from it on a given day: the next due date, whether the task is on track, due
//! soon or overdue, and the reminders 7, 3 and 1 days before each due date.
//!
//! Recurring rules as plans write them: "trước ngày 20/12 hằng năm" (yearly), "hằng quý, trước
//! ngày 15 của tháng cuối quý" (quarterly, by a day of the quarter's last month), "6 tháng
//! một lần, trước ngày 15 của tháng cuối kỳ" (by a day of June and of December), "trước ngày
//! 25 hằng tháng" (monthly). A day past the month's end falls on its last day (31 → 30/6).

use chrono::{Datelike, Days, NaiveDate};

use super::task::TaskStatus;
use crate::notice;
use crate::org::search_form;

/// When a task is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// Once, on this date.
    On(NaiveDate),
    /// Every year on this day of this month.
    Yearly { day: u32, month: u32 },
    /// Every six months, on this day of June and of December.
    HalfYearly { day: u32 },
    /// Every quarter, on this day of the quarter's last month.
    Quarterly { day: u32 },
    /// Every month, on this day.
    Monthly { day: u32 },
    /// Thường xuyên: no date of its own; reported every period.
    Ongoing,
}

/// Why a deadline's text is not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("'{text}' is neither a date, a recurring rule nor 'thường xuyên'")]
    Unrecognized { text: String },
    #[error("'{text}': day {day} or month {month} does not exist")]
    NoSuchDay { text: String, day: u32, month: u32 },
}

/// Where a task stands against its deadline on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Done or cancelled.
    Closed,
    /// Thường xuyên: never overdue by a date.
    Ongoing,
    OnTrack {
        due: NaiveDate,
    },
    /// Due within [`SOON_DAYS`] days (0 = today).
    DueSoon {
        due: NaiveDate,
        days_left: i64,
    },
    /// A due date passed without what it asked for.
    Overdue {
        due: NaiveDate,
        days_late: i64,
    },
}

/// A due date this close is "due soon" (the first reminder's distance).
pub const SOON_DAYS: i64 = 7;

/// The `day` of a month, or its last day when the month is shorter.
fn day_of(year: i32, month: u32, day: u32) -> NaiveDate {
    (1..=day.clamp(1, 31))
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
        .expect("every month has a first day")
}

/// The first day of the month `months` after the month of `date`.
fn month_start(date: NaiveDate, months: u32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 + months as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .expect("a first day of a month")
}

impl Deadline {
    /// Reads a deadline as a plan writes it (case, diacritics and spacing ignored): a date
    /// (`20/12/2026`, `2026-12-20`), a recurring rule, or "thường xuyên".
    pub fn parse(text: &str) -> Result<Deadline, DeadlineError> {
        let folded = search_form(text);
        let unrecognized = || DeadlineError::Unrecognized {
            text: text.trim().to_string(),
        };
        if folded.contains("thuong xuyen") {
            return Ok(Deadline::Ongoing);
        }
        let numbers = numbers(&folded);
        let recurring = folded.contains("hang ") || folded.contains("moi ");
        let check = |day: u32, month: u32| {
            if (1..=31).contains(&day) && (1..=12).contains(&month) {
                Ok(())
            } else {
                Err(DeadlineError::NoSuchDay {
                    text: text.trim().to_string(),
                    day,
                    month,
                })
            }
        };
        let half = folded.contains("6 thang") || folded.contains("sau thang");
        if recurring || half {
            let first = *numbers.first().ok_or_else(unrecognized)?;
            let deadline = if folded.contains("quy") {
                Deadline::Quarterly { day: first }
            } else if half {
                // "6 tháng một lần, trước ngày 15…": the day follows the 6.
                let day = if folded.contains("6 thang") {
                    numbers.get(1).copied().ok_or_else(unrecognized)?
                } else {
                    first
                };
                Deadline::HalfYearly { day }
            } else if folded.contains("nam") && numbers.len() >= 2 {
                check(numbers[0], numbers[1])?;
                return Ok(Deadline::Yearly {
                    day: numbers[0],
                    month: numbers[1],
                });
            } else if folded.contains("thang") {
                Deadline::Monthly { day: first }
            } else {
                return Err(unrecognized());
            };
            if let Deadline::Quarterly { day }
            | Deadline::HalfYearly { day }
            | Deadline::Monthly { day } = deadline
            {
                check(day, 1)?;
            }
            return Ok(deadline);
        }
        let trimmed = text.trim();
        NaiveDate::parse_from_str(trimmed, "%d/%m/%Y")
            .or_else(|_| NaiveDate::parse_from_str(trimmed, "%Y-%m-%d"))
            .map(Deadline::On)
            .or_else(|_| match numbers.as_slice() {
                // "trước ngày 30/6/2027".
                [day, month, year] if *year > 1900 => {
                    NaiveDate::from_ymd_opt(*year as i32, *month, *day)
                        .map(Deadline::On)
                        .ok_or(DeadlineError::NoSuchDay {
                            text: trimmed.to_string(),
                            day: *day,
                            month: *month,
                        })
                }
                _ => Err(unrecognized()),
            })
    }

    /// The stored form: `2026-12-20`, `yearly:20/12`, `half:15`, `quarterly:15`, `monthly:25`,
    /// `ongoing`.
    pub fn as_code(&self) -> String {
        match self {
            Deadline::On(date) => date.format("%Y-%m-%d").to_string(),
            Deadline::Yearly { day, month } => format!("yearly:{day}/{month}"),
            Deadline::HalfYearly { day } => format!("half:{day}"),
            Deadline::Quarterly { day } => format!("quarterly:{day}"),
            Deadline::Monthly { day } => format!("monthly:{day}"),
            Deadline::Ongoing => "ongoing".to_string(),
        }
    }

    /// Reads [`Deadline::as_code`] back.
    pub fn from_code(code: &str) -> Option<Deadline> {
        let number = |t: &str| t.parse::<u32>().ok().filter(|d| (1..=31).contains(d));
        match code.split_once(':') {
            None if code == "ongoing" => Some(Deadline::Ongoing),
            None => NaiveDate::parse_from_str(code, "%Y-%m-%d")
                .ok()
                .map(Deadline::On),
            Some(("yearly", rest)) => {
                let (day, month) = rest.split_once('/')?;
                let month = month.parse().ok().filter(|m| (1..=12).contains(m))?;
                Some(Deadline::Yearly {
                    day: number(day)?,
                    month,
                })
            }
            Some(("half", day)) => Some(Deadline::HalfYearly { day: number(day)? }),
            Some(("quarterly", day)) => Some(Deadline::Quarterly { day: number(day)? }),
            Some(("monthly", day)) => Some(Deadline::Monthly { day: number(day)? }),
            _ => None,
        }
    }

    /// The due date in the month starting `month`, if the rule has one there.
    fn due_in_month(&self, month: NaiveDate) -> Option<NaiveDate> {
        let (year, m) = (month.year(), month.month());
        match *self {
            Deadline::On(date) => (date.year() == year && date.month() == m).then_some(date),
            Deadline::Yearly { day, month } => (m == month).then(|| day_of(year, m, day)),
            Deadline::HalfYearly { day } => (m % 6 == 0).then(|| day_of(year, m, day)),
            Deadline::Quarterly { day } => (m % 3 == 0).then(|| day_of(year, m, day)),
            Deadline::Monthly { day } => Some(day_of(year, m, day)),
            Deadline::Ongoing => None,
        }
    }

    /// The first due date on or after `day`; `None` for "thường xuyên" and for a date passed.
    pub fn next_due(&self, day: NaiveDate) -> Option<NaiveDate> {
        if let Deadline::On(date) = *self {
            return (date >= day).then_some(date);
        }
        (0..=12)
            .filter_map(|k| self.due_in_month(month_start(day, k)))
            .find(|due| *due >= day)
    }

    /// The last due date strictly before `day`, not before `since`.
    pub fn last_due_before(&self, day: NaiveDate, since: NaiveDate) -> Option<NaiveDate> {
        if let Deadline::On(date) = *self {
            return (date < day && date >= since).then_some(date);
        }
        let back = |k: u32| {
            let index = day.year() * 12 + day.month0() as i32 - k as i32;
            NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        };
        (0..=12)
            .filter_map(|k| back(k).and_then(|m| self.due_in_month(m)))
            .find(|due| *due < day)
            .filter(|due| *due >= since)
    }

    /// Where a task with this deadline stands on `today`. `since` is the day the task was
    /// assigned (no due date before it counts), `reports` the days its lead filed reports.
    /// A one-off deadline is overdue once passed while the task is open. A recurring one is
    /// overdue when no report came after the due date before the last one passed (a late
    /// report clears it).
    pub fn timing(
        &self,
        status: TaskStatus,
        since: NaiveDate,
        reports: &[NaiveDate],
        today: NaiveDate,
    ) -> Timing {
        if status.is_closed() {
            return Timing::Closed;
        }
        let ahead = |due: NaiveDate| {
            let days_left = (due - today).num_days();
            if days_left <= SOON_DAYS {
                Timing::DueSoon { due, days_left }
            } else {
                Timing::OnTrack { due }
            }
        };
        let overdue = |due: NaiveDate| Timing::Overdue {
            due,
            days_late: (today - due).num_days(),
        };
        match *self {
            Deadline::Ongoing => Timing::Ongoing,
            Deadline::On(due) if due < today => overdue(due),
            Deadline::On(due) => ahead(due),
            _ => {
                if let Some(last) = self.last_due_before(today, since) {
                    let window_start = self
                        .last_due_before(last, since)
                        .unwrap_or_else(|| since.pred_opt().unwrap_or(since));
                    if !reports.iter().any(|r| *r > window_start) {
                        return overdue(last);
                    }
                }
                match self.next_due(today) {
                    Some(due) => ahead(due),
                    None => Timing::Ongoing,
                }
            }
        }
    }

    /// The reminder due on `today` for an open task: (due date, days left) 7, 3 or 1 days
    /// before the next due date.
    pub fn reminder(&self, status: TaskStatus, today: NaiveDate) -> Option<(NaiveDate, i64)> {
        if status.is_closed() {
            return None;
        }
        let due = self.next_due(today.checked_add_days(Days::new(1))?)?;
        notice::reminder_due(due, today).map(|left| (due, left))
    }
}

/// The numbers in a text, in order ("ngày 20/12" → [20, 12]).
fn numbers(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty() && t.len() <= 4)
        .filter_map(|t| t.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn plans_deadlines_are_read_as_written() {
        for (text, expected) in [
            (
                "Trước ngày 20/12 hằng năm",
                Deadline::Yearly { day: 20, month: 12 },
            ),
            (
                "trước ngày 20/12 hàng năm",
                Deadline::Yearly { day: 20, month: 12 },
            ),
            (
                "Hằng quý, trước ngày 15 của tháng cuối quý",
                Deadline::Quarterly { day: 15 },
            ),
            (
                "6 tháng một lần, trước ngày 15 của tháng cuối kỳ",
                Deadline::HalfYearly { day: 15 },
            ),
            ("Trước ngày 25 hằng tháng", Deadline::Monthly { day: 25 }),
            ("Thường xuyên", Deadline::Ongoing),
            ("30/06/2027", Deadline::On(d(2027, 6, 30))),
            ("2027-06-30", Deadline::On(d(2027, 6, 30))),
            ("Trước ngày 30/6/2027", Deadline::On(d(2027, 6, 30))),
        ] {
            assert_eq!(Deadline::parse(text), Ok(expected), "{text}");
            assert_eq!(Deadline::from_code(&expected.as_code()), Some(expected));
        }
        assert!(matches!(
            Deadline::parse("sớm nhất có thể"),
            Err(DeadlineError::Unrecognized { .. })
        ));
        assert!(matches!(
            Deadline::parse("trước ngày 20/13 hằng năm"),
            Err(DeadlineError::NoSuchDay { month: 13, .. })
        ));
        assert!(Deadline::parse("31/02/2027").is_err());
    }

    #[test]
    fn recurring_due_dates_fall_in_their_months_and_past_the_end_on_the_last_day() {
        let quarterly = Deadline::Quarterly { day: 31 };
        assert_eq!(quarterly.next_due(d(2026, 4, 1)), Some(d(2026, 6, 30)));
        assert_eq!(quarterly.next_due(d(2026, 7, 1)), Some(d(2026, 9, 30)));
        assert_eq!(quarterly.next_due(d(2026, 12, 31)), Some(d(2026, 12, 31)));
        let yearly = Deadline::Yearly { day: 20, month: 12 };
        assert_eq!(yearly.next_due(d(2026, 12, 21)), Some(d(2027, 12, 20)));
        assert_eq!(
            yearly.last_due_before(d(2026, 12, 21), d(2020, 1, 1)),
            Some(d(2026, 12, 20))
        );
        assert_eq!(
            Deadline::Monthly { day: 30 }.next_due(d(2027, 2, 1)),
            Some(d(2027, 2, 28))
        );
        assert_eq!(
            Deadline::Monthly { day: 30 }.next_due(d(2028, 2, 1)),
            Some(d(2028, 2, 29))
        );
        assert_eq!(
            Deadline::HalfYearly { day: 15 }.next_due(d(2026, 6, 16)),
            Some(d(2026, 12, 15))
        );
        assert_eq!(Deadline::On(d(2026, 1, 1)).next_due(d(2026, 1, 2)), None);
        assert_eq!(Deadline::Ongoing.next_due(d(2026, 1, 2)), None);
    }

    #[test]
    fn overdue_starts_the_day_after_a_date_and_a_late_report_clears_a_recurring_one() {
        let since = d(2026, 1, 5);
        let open = TaskStatus::InProgress;
        let once = Deadline::On(d(2026, 12, 20));
        assert_eq!(
            once.timing(open, since, &[], d(2026, 12, 20)),
            Timing::DueSoon {
                due: d(2026, 12, 20),
                days_left: 0
            }
        );
        assert_eq!(
            once.timing(open, since, &[], d(2026, 12, 21)),
            Timing::Overdue {
                due: d(2026, 12, 20),
                days_late: 1
            }
        );
        assert_eq!(
            once.timing(open, since, &[], d(2026, 12, 12)),
            Timing::OnTrack {
                due: d(2026, 12, 20)
            }
        );
        assert_eq!(
            once.timing(open, since, &[], d(2026, 12, 13)),
            Timing::DueSoon {
                due: d(2026, 12, 20),
                days_left: 7
            }
        );
        assert_eq!(
            once.timing(TaskStatus::Done, since, &[], d(2027, 1, 1)),
            Timing::Closed
        );

        let quarterly = Deadline::Quarterly { day: 15 };
        // Q1's report due 15/3: none filed → overdue from 16/3.
        assert_eq!(
            quarterly.timing(open, since, &[], d(2026, 3, 16)),
            Timing::Overdue {
                due: d(2026, 3, 15),
                days_late: 1
            }
        );
        // Filed on 10/3 → on track for 15/6.
        assert_eq!(
            quarterly.timing(open, since, &[d(2026, 3, 10)], d(2026, 3, 16)),
            Timing::OnTrack {
                due: d(2026, 6, 15)
            }
        );
        // Filed late on 20/3 → cleared; a report before the window does not count for Q2.
        assert_eq!(
            quarterly.timing(open, since, &[d(2026, 3, 20)], d(2026, 3, 21)),
            Timing::OnTrack {
                due: d(2026, 6, 15)
            }
        );
        assert_eq!(
            quarterly.timing(open, since, &[d(2026, 3, 10)], d(2026, 6, 16)),
            Timing::Overdue {
                due: d(2026, 6, 15),
                days_late: 1
            }
        );
        // A task assigned after a due date is not late for it.
        assert_eq!(
            quarterly.timing(open, d(2026, 3, 20), &[], d(2026, 3, 21)),
            Timing::OnTrack {
                due: d(2026, 6, 15)
            }
        );
        assert_eq!(
            Deadline::Ongoing.timing(open, since, &[], d(2027, 1, 1)),
            Timing::Ongoing
        );
    }

    #[test]
    fn reminders_go_out_seven_three_and_one_days_before_each_due_date() {
        let yearly = Deadline::Yearly { day: 20, month: 12 };
        let open = TaskStatus::NotStarted;
        let sent: Vec<(u32, i64)> = (1..=31)
            .filter_map(|day| {
                yearly
                    .reminder(open, d(2026, 12, day))
                    .map(|(_, left)| (day, left))
            })
            .collect();
        assert_eq!(sent, [(13, 7), (17, 3), (19, 1)]);
        assert_eq!(
            yearly.reminder(TaskStatus::Cancelled, d(2026, 12, 13)),
            None
        );
        assert_eq!(Deadline::Ongoing.reminder(open, d(2026, 12, 13)), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn recurring() -> impl Strategy<Value = Deadline> {
            prop_oneof![
                (1u32..=31, 1u32..=12).prop_map(|(day, month)| Deadline::Yearly { day, month }),
                (1u32..=31).prop_map(|day| Deadline::HalfYearly { day }),
                (1u32..=31).prop_map(|day| Deadline::Quarterly { day }),
                (1u32..=31).prop_map(|day| Deadline::Monthly { day }),
            ]
        }

        fn a_day() -> impl Strategy<Value = NaiveDate> {
            (0u64..3000).prop_map(|n| d(2024, 1, 1).checked_add_days(Days::new(n)).unwrap())
        }

        proptest! {
            /// The next due date is the first due date on or after the day, within a year; the
            /// last due date before a day is the one whose next is itself; codes round-trip.
            #[test]
            fn next_and_last_due_dates_agree(deadline in recurring(), day in a_day()) {
                let next = deadline.next_due(day).expect("a recurring rule is due within a year");
                prop_assert!(next >= day && (next - day).num_days() <= 366);
                let mut between = day;
                while between < next {
                    prop_assert_ne!(deadline.next_due(between), Some(between));
                    between = between.succ_opt().unwrap();
                }
                prop_assert_eq!(deadline.next_due(next), Some(next));
                let since = d(2000, 1, 1);
                let last = deadline.last_due_before(day, since).expect("one in the last year");
                prop_assert!(last < day);
                prop_assert_eq!(deadline.next_due(last), Some(last));
                prop_assert!(deadline.next_due(last.succ_opt().unwrap()).unwrap() >= day);
                prop_assert_eq!(Deadline::from_code(&deadline.as_code()), Some(deadline));
            }
        }
    }
}
