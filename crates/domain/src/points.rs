//! Points as exact fixed-point numbers.
//!
//! Points are kept as integer ten-thousandths (docs/method.md §1.4: "integer ten-thousandths
//! in both databases"), so sums of leaves are exact and a total such as
//! 56.78 + 3.01 + 8.57 + 20.11 is exactly 88.47, never 88.46999999. Four decimals hold the
//! 0.25-step rubrics and survey-derived points (85.713 % × 10 / 100 = 8.5713).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of stored units in one point.
pub const SCALE: i64 = 10_000;

/// A number of points, exact to 0.0001.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(i64);

/// Why a text is not a number of points.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PointsParseError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' is too large")]
    TooLarge(String),
}

impl Points {
    pub const ZERO: Points = Points(0);

    /// Points from ten-thousandths, the stored representation.
    pub const fn from_ten_thousandths(value: i64) -> Points {
        Points(value)
    }

    /// Whole points, e.g. `Points::whole(100)`.
    pub const fn whole(value: i64) -> Points {
        Points(value * SCALE)
    }

    pub const fn ten_thousandths(self) -> i64 {
        self.0
    }

    /// Converts a float, rounding half away from zero to 0.0001. Used for rule outputs
    /// (max × ratio, survey index × max / 100) which are not exact decimals.
    pub fn from_f64_rounded(value: f64) -> Option<Points> {
        if !value.is_finite() {
            return None;
        }
        let scaled = (value * SCALE as f64).round();
        if scaled.abs() > 9.0e15 {
            return None;
        }
        Some(Points(scaled as i64))
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn min(self, other: Points) -> Points {
        Points(self.0.min(other.0))
    }

    pub fn max(self, other: Points) -> Points {
        Points(self.0.max(other.0))
    }

    /// `self / total × 100` as a float, the unrounded index of the PAR method
    /// (docs/method.md §2.8). `None` when `total` is zero.
    pub fn percent_of(self, total: Points) -> Option<f64> {
        if total.0 == 0 {
            return None;
        }
        Some(self.0 as f64 * 100.0 / total.0 as f64)
    }

    /// `self / total × 100` rounded half away from zero to 2 decimals, as hundredths of a
    /// percent, computed exactly in integers. Ranking uses this (docs/formats.md §4.3: "ranking is
    /// by index rounded to 2 decimals"), so 78.431 and 78.434 tie at 78.43 whatever the
    /// float representation of either.
    pub fn percent_hundredths_of(self, total: Points) -> Option<i64> {
        if total.0 == 0 {
            return None;
        }
        let numerator = self.0 as i128 * 10_000;
        let denominator = total.0 as i128;
        Some(div_round_half_away(numerator, denominator) as i64)
    }
}

/// Integer division rounding half away from zero.
pub(crate) fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let (n, d) = if denominator < 0 {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    }
}

impl std::str::FromStr for Points {
    type Err = PointsParseError;

    /// Parses a plain decimal ("12", "-0.5", "16.181", "8,57" is not accepted: CSV decimals use
    /// a dot, docs/formats.md §0). Digits beyond the fourth decimal are rounded half away from
    /// zero, the precision points are stored with. An exponent form ("1e2") is accepted as
    /// spreadsheets sometimes write it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let not_a_number = || PointsParseError::NotANumber(text.to_string());
        if trimmed.is_empty() {
            return Err(not_a_number());
        }
        if trimmed.contains(['e', 'E']) {
            let value: f64 = trimmed.parse().map_err(|_| not_a_number())?;
            return Points::from_f64_rounded(value)
                .ok_or_else(|| PointsParseError::TooLarge(text.to_string()));
        }
        let (negative, digits) = match trimmed.as_bytes()[0] {
            b'-' => (true, &trimmed[1..]),
            b'+' => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if (whole.is_empty() && fraction.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(not_a_number());
        }
        if whole.len() > 14 {
            return Err(PointsParseError::TooLarge(text.to_string()));
        }
        let whole_value: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| not_a_number())?
        };
        let mut value = whole_value * SCALE as i128;
        let mut place = SCALE as i128 / 10;
        for (position, digit) in fraction.bytes().enumerate() {
            let digit = (digit - b'0') as i128;
            if position < 4 {
                value += digit * place;
                place /= 10;
            } else {
                if position == 4 && digit >= 5 {
                    value += 1;
                }
                break;
            }
        }
        let value = if negative { -value } else { value };
        Ok(Points(value as i64))
    }
}

impl fmt::Display for Points {
    /// Shortest exact decimal with a dot: 12, 4.5, 16.181, -1.5.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let absolute = self.0.unsigned_abs();
        let whole = absolute / SCALE as u64;
        let fraction = absolute % SCALE as u64;
        if fraction == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{fraction:04}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, other: Points) -> Points {
        Points(self.0 + other.0)
    }
}

impl AddAssign for Points {
    fn add_assign(&mut self, other: Points) {
        self.0 += other.0;
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, other: Points) -> Points {
        Points(self.0 - other.0)
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|p| p.0).sum())
    }
}

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_f64())
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Points::from_f64_rounded(value)
            .ok_or_else(|| serde::de::Error::custom(format!("{value} is not a number of points")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(text: &str) -> Points {
        text.parse().unwrap()
    }

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(p("12"), Points::whole(12));
        assert_eq!(p("4.5").ten_thousandths(), 45_000);
        assert_eq!(p("16.181").ten_thousandths(), 161_810);
        assert_eq!(p("-1.5").ten_thousandths(), -15_000);
        assert_eq!(p(".5").ten_thousandths(), 5_000);
        assert_eq!(p(" 7 ").ten_thousandths(), 70_000);
        assert_eq!(p("1e1"), Points::whole(10));
    }

    #[test]
    fn rounds_beyond_four_decimals_half_away_from_zero() {
        assert_eq!(p("6.80954545").ten_thousandths(), 68_095);
        assert_eq!(p("6.80955").ten_thousandths(), 68_096);
        assert_eq!(p("-0.00005").ten_thousandths(), -1);
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for bad in [
            "", "abc", "1,5", "1.2.3", "--1", "-", ".", "1 2", "NaN", "inf",
        ] {
            assert!(bad.parse::<Points>().is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn displays_the_shortest_exact_decimal() {
        assert_eq!(p("12.000").to_string(), "12");
        assert_eq!(p("16.181").to_string(), "16.181");
        assert_eq!(p("-0.25").to_string(), "-0.25");
    }

    #[test]
    fn sums_are_exact() {
        let total: Points = ["56.78", "3.01", "8.57", "20.11"]
            .iter()
            .map(|t| p(t))
            .sum();
        assert_eq!(total, p("88.47"));
    }

    #[test]
    fn percent_hundredths_rounds_exactly() {
        assert_eq!(
            p("78.431").percent_hundredths_of(Points::whole(100)),
            Some(7843)
        );
        assert_eq!(
            p("78.435").percent_hundredths_of(Points::whole(100)),
            Some(7844)
        );
        assert_eq!(p("37").percent_hundredths_of(p("45")), Some(8222));
        assert_eq!(p("1").percent_hundredths_of(Points::ZERO), None);
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(value in -10_000_000_000i64..10_000_000_000) {
            let points = Points::from_ten_thousandths(value);
            prop_assert_eq!(points.to_string().parse::<Points>().unwrap(), points);
        }

        #[test]
        fn rounded_percent_agrees_with_float_percent(points in 0i64..2_000_000, total in 1i64..2_000_000) {
            let hundredths = Points(points).percent_hundredths_of(Points(total)).unwrap();
            let float = Points(points).percent_of(Points(total)).unwrap();
            prop_assert!((hundredths as f64 / 100.0 - float).abs() <= 0.005 + 1e-9);
        }
    }
}
