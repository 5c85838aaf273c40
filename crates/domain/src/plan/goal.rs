//! A plan's goals as numbers (docs/method.md §7.7): "PAR INDEX: nhóm 10 tỉnh dẫn đầu",
//! "SIPAS ≥ 90 %", "PAPI nhóm 20". Each names an index and a target, a rank to reach or a
//! value to reach, and is checked against a later result: met or missed, and by how much.

use crate::org::search_form;

/// What a goal asks of an index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GoalTarget {
    /// Rank n or better ("nhóm 10 tỉnh dẫn đầu", "top 10").
    Top(u32),
    /// A value at or above ("≥ 90 %", "từ 90 % trở lên"), compared on 2 decimals.
    AtLeast(f64),
}

impl GoalTarget {
    /// The target alone, for a target whose index is named apart (the province's targets per
    /// index and year, docs/method.md §5.8): "nhóm 10 tỉnh dẫn đầu", "≥ 90 %".
    pub fn parse(text: &str) -> Result<GoalTarget, GoalError> {
        let folded = search_form(text);
        let no_target = || GoalError::NoTarget {
            text: text.trim().to_string(),
        };
        let number = first_number(&folded).ok_or_else(no_target)?;
        let at_least = ["≥", ">=", "tro len", "toi thieu", "it nhat", "dat tu"]
            .iter()
            .any(|w| folded.contains(w));
        let rank = ["nhom", "top", "dan dau", "xep hang", "thu hang"]
            .iter()
            .any(|w| folded.contains(w));
        if at_least {
            Ok(GoalTarget::AtLeast(number))
        } else if rank && number.fract() == 0.0 && number >= 1.0 {
            Ok(GoalTarget::Top(number as u32))
        } else {
            Err(no_target())
        }
    }
}

/// A goal of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    /// The index's id: `par`, `sipas`, `papi`, `pci`, `ict`, `dti`.
    pub index: String,
    pub target: GoalTarget,
}

/// Why a goal's text is not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GoalError {
    #[error("'{text}' names no index (PAR INDEX, SIPAS, PAPI, PCI, ICT, DTI)")]
    NoIndex { text: String },
    #[error("'{text}' gives no rank ('nhóm 10', 'top 10') or value ('≥ 90 %')")]
    NoTarget { text: String },
}

/// A goal checked against a result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GoalOutcome {
    /// Reached, with the margin (places, or points of value).
    Met { margin: f64 },
    /// Not reached, short by this much (places, or points of value).
    Missed { short_by: f64 },
    /// No result to check yet.
    NoResult,
}

/// Index ids by the words that name them, most specific first.
const INDICES: [(&str, &str); 9] = [
    ("par index", "par"),
    ("chi so cai cach hanh chinh", "par"),
    ("chi so cchc", "par"),
    ("sipas", "sipas"),
    ("chi so hai long", "sipas"),
    ("papi", "papi"),
    ("pci", "pci"),
    ("ict", "ict"),
    ("dti", "dti"),
];

impl Goal {
    /// Reads a goal as a plan writes it (case and diacritics ignored; decimal comma or point).
    pub fn parse(text: &str) -> Result<Goal, GoalError> {
        let folded = search_form(text);
        let index = INDICES
            .iter()
            .find(|(words, _)| folded.contains(words))
            .map(|(_, id)| id.to_string())
            .or_else(|| {
                folded
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "par")
                    .then(|| "par".to_string())
            })
            .ok_or_else(|| GoalError::NoIndex {
                text: text.trim().to_string(),
            })?;
        let target = GoalTarget::parse(text)?;
        Ok(Goal { index, target })
    }

    /// Checks the goal against a published value and rank.
    pub fn check(&self, value: Option<f64>, rank: Option<u32>) -> GoalOutcome {
        match self.target {
            GoalTarget::Top(n) => match rank {
                Some(r) if r <= n => GoalOutcome::Met {
                    margin: f64::from(n - r),
                },
                Some(r) => GoalOutcome::Missed {
                    short_by: f64::from(r - n),
                },
                None => GoalOutcome::NoResult,
            },
            GoalTarget::AtLeast(target) => match value {
                Some(v) => {
                    let gap = (v * 100.0).round() / 100.0 - target;
                    let gap = (gap * 100.0).round() / 100.0;
                    if gap >= 0.0 {
                        GoalOutcome::Met { margin: gap }
                    } else {
                        GoalOutcome::Missed { short_by: -gap }
                    }
                }
                None => GoalOutcome::NoResult,
            },
        }
    }
}

/// The first number of a folded text, with a decimal comma or point ("90,5" → 90.5).
fn first_number(text: &str) -> Option<f64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || ((c == ',' || c == '.')
                    && rest[i + 1..].starts_with(|n: char| n.is_ascii_digit())))
        })
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].replace(',', ".").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_read_as_plans_write_them() {
        for (text, index, target) in [
            (
                "PAR INDEX: nhóm 10 tỉnh dẫn đầu",
                "par",
                GoalTarget::Top(10),
            ),
            (
                "Chỉ số CCHC thuộc nhóm 10 tỉnh dẫn đầu",
                "par",
                GoalTarget::Top(10),
            ),
            ("PAPI nhóm 20", "papi", GoalTarget::Top(20)),
            ("PAR: top 5", "par", GoalTarget::Top(5)),
            ("SIPAS ≥ 90 %", "sipas", GoalTarget::AtLeast(90.0)),
            (
                "Chỉ số hài lòng đạt từ 87,5% trở lên",
                "sipas",
                GoalTarget::AtLeast(87.5),
            ),
            ("PCI >= 70", "pci", GoalTarget::AtLeast(70.0)),
        ] {
            assert_eq!(
                Goal::parse(text),
                Ok(Goal {
                    index: index.into(),
                    target
                }),
                "{text}"
            );
        }
        assert!(matches!(
            Goal::parse("nhóm 10 tỉnh dẫn đầu"),
            Err(GoalError::NoIndex { .. })
        ));
        assert!(matches!(
            Goal::parse("SIPAS tăng"),
            Err(GoalError::NoTarget { .. })
        ));
        assert!(matches!(
            Goal::parse("PAPI nhóm 2,5"),
            Err(GoalError::NoTarget { .. })
        ));
    }

    #[test]
    fn a_target_is_read_without_its_index() {
        assert_eq!(
            GoalTarget::parse("nhóm 10 tỉnh dẫn đầu"),
            Ok(GoalTarget::Top(10))
        );
        assert_eq!(GoalTarget::parse("≥ 90 %"), Ok(GoalTarget::AtLeast(90.0)));
        assert_eq!(
            GoalTarget::parse("đạt từ 87,5 % trở lên"),
            Ok(GoalTarget::AtLeast(87.5))
        );
        assert!(matches!(
            GoalTarget::parse("tăng bậc"),
            Err(GoalError::NoTarget { .. })
        ));
    }

    #[test]
    fn goals_are_met_or_missed_by_places_or_points() {
        let top10 = Goal::parse("PAR INDEX: nhóm 10 tỉnh dẫn đầu").unwrap();
        // Thừa Thiên Huế 2020: 3rd → met with 7 places to spare; Quảng Bình 50th → 40 short.
        assert_eq!(
            top10.check(Some(88.47), Some(3)),
            GoalOutcome::Met { margin: 7.0 }
        );
        assert_eq!(
            top10.check(Some(88.47), Some(10)),
            GoalOutcome::Met { margin: 0.0 }
        );
        assert_eq!(
            top10.check(Some(82.33), Some(50)),
            GoalOutcome::Missed { short_by: 40.0 }
        );
        assert_eq!(top10.check(Some(82.33), None), GoalOutcome::NoResult);
        let sipas = Goal::parse("SIPAS ≥ 90 %").unwrap();
        // Quảng Bình's SIPAS 2020, 78.88 %: 11.12 short; exactly 90 on 2 decimals is met.
        assert_eq!(
            sipas.check(Some(78.88), Some(60)),
            GoalOutcome::Missed { short_by: 11.12 }
        );
        assert_eq!(
            sipas.check(Some(89.996), None),
            GoalOutcome::Met { margin: 0.0 }
        );
        assert_eq!(sipas.check(None, Some(1)), GoalOutcome::NoResult);
    }
}
