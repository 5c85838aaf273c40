//! The time every rule reads, injectable: deadlines, opening dates, lockouts and reminders
//! depend on today's date in Vietnam, and tests set it instead of waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Vietnam's time zone (UTC+7, no daylight saving): dates of deadlines are Vietnamese dates.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The system clock, or a clock a test sets and moves.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Microseconds since the epoch when fixed.
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's time.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock stopped at `at`, moved only by [`Clock::set`] and [`Clock::advance`].
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            fixed: Some(Arc::new(AtomicI64::new(at.timestamp_micros()))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            None => Utc::now(),
            Some(micros) => DateTime::from_timestamp_micros(micros.load(Ordering::SeqCst))
                .expect("a fixed clock holds a valid time"),
        }
    }

    /// Today's date in Vietnam.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&vietnam()).date_naive()
    }

    /// Sets a fixed clock (a system clock ignores it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(micros) = &self.fixed {
            micros.store(at.timestamp_micros(), Ordering::SeqCst);
        }
    }

    /// Moves a fixed clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_reads_dates_in_vietnam() {
        let at = DateTime::parse_from_rfc3339("2026-12-31T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::fixed(at);
        assert_eq!(clock.now(), at);
        // 17:30 UTC is 00:30 the next day in Hà Nội.
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        clock.advance(chrono::Duration::hours(-1));
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        let shared = clock.clone();
        shared.advance(chrono::Duration::days(3));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 1, 3).unwrap());
    }
}
