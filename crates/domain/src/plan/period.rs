//! Reporting periods of a plan (docs/method.md §7.6): quarters, the first half and the whole
//! year. Units report per period; the secretariat opens a period with its due date and rolls
//! the reports up for the UBND.

use chrono::{Datelike, NaiveDate};

/// The kind of a reporting period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    /// Quý 1–4.
    Quarter(u8),
    /// 6 tháng đầu năm.
    FirstHalf,
    /// Cả năm.
    Year,
}

/// One reporting period of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub kind: PeriodKind,
}

impl Period {
    /// `2026-Q4`, `2026-H1`, `2026`.
    pub fn as_code(&self) -> String {
        match self.kind {
            PeriodKind::Quarter(q) => format!("{}-Q{q}", self.year),
            PeriodKind::FirstHalf => format!("{}-H1", self.year),
            PeriodKind::Year => self.year.to_string(),
        }
    }

    /// Reads [`Period::as_code`] back.
    pub fn parse(code: &str) -> Option<Period> {
        let (year, rest) = match code.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (code, None),
        };
        let year: i32 = year.parse().ok().filter(|y| (1900..=9999).contains(y))?;
        let kind = match rest {
            None => PeriodKind::Year,
            Some("H1") => PeriodKind::FirstHalf,
            Some(q) => {
                let q: u8 = q.strip_prefix('Q')?.parse().ok()?;
                (1..=4).contains(&q).then_some(PeriodKind::Quarter(q))?
            }
        };
        Some(Period { year, kind })
    }

    /// The first day of the period.
    pub fn start(&self) -> NaiveDate {
        let month = match self.kind {
            PeriodKind::Quarter(q) => u32::from(q) * 3 - 2,
            PeriodKind::FirstHalf | PeriodKind::Year => 1,
        };
        NaiveDate::from_ymd_opt(self.year, month, 1).expect("a period starts on a real day")
    }

    /// The last day of the period.
    pub fn end(&self) -> NaiveDate {
        let month = match self.kind {
            PeriodKind::Quarter(q) => u32::from(q) * 3,
            PeriodKind::FirstHalf => 6,
            PeriodKind::Year => 12,
        };
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, month + 1, 1)
        };
        next.and_then(|d| d.pred_opt())
            .expect("a period ends on a real day")
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start() <= day && day <= self.end()
    }

    /// The quarter holding a day.
    pub fn quarter_of(day: NaiveDate) -> Period {
        Period {
            year: day.year(),
            kind: PeriodKind::Quarter((day.month0() / 3 + 1) as u8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_cover_their_days_and_codes_round_trip() {
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!((q4.start(), q4.end()), (d(2026, 10, 1), d(2026, 12, 31)));
        let q1 = Period::parse("2028-Q1").unwrap();
        assert_eq!(q1.end(), d(2028, 3, 31));
        let h1 = Period::parse("2026-H1").unwrap();
        assert_eq!((h1.start(), h1.end()), (d(2026, 1, 1), d(2026, 6, 30)));
        let year = Period::parse("2026").unwrap();
        assert!(year.contains(d(2026, 12, 31)) && !year.contains(d(2027, 1, 1)));
        for code in [
            "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026-H1", "2026",
        ] {
            assert_eq!(Period::parse(code).unwrap().as_code(), code);
        }
        for bad in ["2026-Q5", "2026-Q0", "2026-H2", "26", "abc", "2026-"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        // Every day of a year is in exactly one quarter, the quarter_of it.
        let mut day = d(2028, 1, 1);
        while day.year() == 2028 {
            let quarters: Vec<u8> = (1..=4)
                .filter(|q| {
                    Period {
                        year: 2028,
                        kind: PeriodKind::Quarter(*q),
                    }
                    .contains(day)
                })
                .collect();
            assert_eq!(quarters.len(), 1);
            assert_eq!(
                Period::quarter_of(day).kind,
                PeriodKind::Quarter(quarters[0])
            );
            day = day.succ_opt().unwrap();
        }
    }
}
