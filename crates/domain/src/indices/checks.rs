//! The checks applied to imported results (docs/method.md §5.3, docs/formats.md §7.4): a
//! dimension against the sum of its sub-dimensions and a total against the sum of its
//! dimensions (or components), each with a tolerance of 0.01; the provinces of a year (63
//! until 2024, 34 from 2025: docs/method.md §6.4); and the total computed where none is given.

use std::collections::BTreeMap;

use super::structure::{Dimension, Structure, TotalRule, UnitScope};
use crate::org::search_form;

/// Published values may differ from the sum of their parts by rounding up to this much.
pub const SUM_TOLERANCE: f64 = 0.01;

/// Which breakdown of the total a check added up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Breakdown {
    Dimensions,
    Components,
}

/// A sum that does not hold.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SumFinding {
    /// A dimension (or component) differs from the sum of its sub-dimensions.
    Dimension { code: String, value: f64, sum: f64 },
    /// The total differs from the sum of the dimensions (or components).
    Total {
        value: f64,
        sum: f64,
        breakdown: Breakdown,
    },
}

fn differs(a: f64, b: f64) -> bool {
    // The tolerance is inclusive; the small margin keeps 0.01 written in binary inside it.
    (a - b).abs() > SUM_TOLERANCE + 1e-9
}

/// The sum of the items' values, when every item has one.
fn sum_of(items: &[Dimension], values: &BTreeMap<String, f64>) -> Option<f64> {
    items
        .iter()
        .map(|d| values.get(&d.code).copied())
        .sum::<Option<f64>>()
}

/// The sums that do not hold for one unit. A sum is checked only when the value and every
/// part are present; a total only when the structure says it is a sum.
pub fn sum_findings(
    structure: &Structure,
    total: Option<f64>,
    values: &BTreeMap<String, f64>,
) -> Vec<SumFinding> {
    let mut findings = Vec::new();
    for item in structure.dimensions.iter().chain(&structure.components) {
        if item.sub_dimensions.is_empty() {
            continue;
        }
        if let (Some(&value), Some(sum)) =
            (values.get(&item.code), sum_of(&item.sub_dimensions, values))
            && differs(value, sum)
        {
            findings.push(SumFinding::Dimension {
                code: item.code.clone(),
                value,
                sum,
            });
        }
    }
    if structure.total == TotalRule::Sum
        && let Some(value) = total
    {
        for (items, breakdown) in [
            (&structure.dimensions, Breakdown::Dimensions),
            (&structure.components, Breakdown::Components),
        ] {
            if items.is_empty() {
                continue;
            }
            if let Some(sum) = sum_of(items, values)
                && differs(value, sum)
            {
                findings.push(SumFinding::Total {
                    value,
                    sum,
                    breakdown,
                });
            }
        }
    }
    findings
}

/// The total where the source gives none: the sum of the dimensions, when the structure's
/// total is a sum and every dimension has a value (docs/formats.md §7.3).
pub fn derived_total(structure: &Structure, values: &BTreeMap<String, f64>) -> Option<f64> {
    if structure.total != TotalRule::Sum || structure.dimensions.is_empty() {
        return None;
    }
    sum_of(&structure.dimensions, values)
}

/// Which list of provinces a year's results describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvinceList {
    /// The 63 provinces until 30/6/2025.
    Historical63,
    /// The 34 provinces from 1/7/2025.
    New34,
}

impl ProvinceList {
    /// The provinces a year's results are about: those at the end of the year, so results of
    /// 2025 (published in 2026) are of the 34 (docs/method.md §5.7).
    pub fn of_year(year: i32) -> ProvinceList {
        if year <= 2024 {
            ProvinceList::Historical63
        } else {
            ProvinceList::New34
        }
    }
}

/// A province of a list, by code and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterUnit {
    pub code: String,
    pub name: String,
}

/// The provinces before and after the 2025 merger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    pub historical_63: Vec<RosterUnit>,
    pub new_34: Vec<RosterUnit>,
}

impl Roster {
    pub fn list(&self, list: ProvinceList) -> &[RosterUnit] {
        match list {
            ProvinceList::Historical63 => &self.historical_63,
            ProvinceList::New34 => &self.new_34,
        }
    }

    /// The provinces of a year.
    pub fn for_year(&self, year: i32) -> &[RosterUnit] {
        self.list(ProvinceList::of_year(year))
    }

    /// Whether `code` is a province of the year.
    pub fn is_province(&self, year: i32, code: &str) -> bool {
        self.for_year(year).iter().any(|u| u.code == code)
    }

    /// The province of the year whose name, in Vietnamese or written without its marks
    /// ("Thua Thien Hue", "Ho Chi Minh City"), is `name`.
    pub fn by_name(&self, year: i32, name: &str) -> Option<&RosterUnit> {
        let wanted = name_key(name);
        if wanted.is_empty() {
            return None;
        }
        self.for_year(year)
            .iter()
            .find(|u| name_key(&u.name) == wanted)
    }
}

/// A province name reduced to its letters: marks, case, spaces and punctuation dropped, and
/// the words that name its kind ("tỉnh", "thành phố", "TP", "city", "province") left out.
pub fn name_key(name: &str) -> String {
    let words: Vec<String> = search_form(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut start = 0;
    while let Some(word) = words.get(start) {
        match word.as_str() {
            "tinh" | "tp" | "province" | "city" => start += 1,
            "thanh" if words.get(start + 1).is_some_and(|w| w == "pho") => start += 2,
            _ => break,
        }
    }
    let mut end = words.len();
    while end > start && matches!(words[end - 1].as_str(), "city" | "province") {
        end -= 1;
    }
    words[start..end].concat()
}

/// Whether a year lists every unit the index ranks, so that ranks and groups can be
/// computed: for provinces, every province of the year appears (with or without a result);
/// for ministries, no list is bundled, so a year is complete from `MINISTRIES_COMPLETE` units.
pub fn is_complete(
    structure: &Structure,
    year: i32,
    listed_codes: &[&str],
    roster: &Roster,
) -> bool {
    match structure.units {
        UnitScope::Province => {
            let provinces = roster.for_year(year);
            !provinces.is_empty()
                && provinces
                    .iter()
                    .all(|p| listed_codes.contains(&p.code.as_str()))
        }
        UnitScope::Ministry => listed_codes.len() >= MINISTRIES_COMPLETE,
    }
}

/// MoHA ranks 17–19 ministries a year; a file listing fewer than this many quotes a few.
pub const MINISTRIES_COMPLETE: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indices::structure::tests::structure;

    fn values(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(c, v)| (c.to_string(), *v)).collect()
    }

    #[test]
    fn sums_within_a_hundredth_pass_and_beyond_warn() {
        let s = structure("papi", 2018, None);
        // 1 = 1.1 + 1.2 within 0.01; 2 = 2.1 off by 0.02; total = 1 + 2 within 0.01.
        let v = values(&[
            ("1", 3.01),
            ("1.1", 1.0),
            ("1.2", 2.0),
            ("2", 2.0),
            ("2.1", 1.98),
        ]);
        assert_eq!(
            sum_findings(&s, Some(5.0), &v),
            [SumFinding::Dimension {
                code: "2".into(),
                value: 2.0,
                sum: 1.98
            }]
        );
        let off = sum_findings(&s, Some(5.03), &v);
        assert!(matches!(
            off.last(),
            Some(SumFinding::Total {
                breakdown: Breakdown::Dimensions,
                ..
            })
        ));
        // A missing part skips the check.
        let partial = values(&[("1", 9.0), ("1.1", 1.0)]);
        assert!(sum_findings(&s, Some(100.0), &partial).is_empty());
        // A given total is never checked.
        let mut given = s.clone();
        given.total = TotalRule::Given;
        assert_eq!(sum_findings(&given, Some(50.0), &v).len(), 1);
        assert_eq!(derived_total(&given, &v), None);
        assert_eq!(derived_total(&s, &v), Some(5.01));
    }

    fn roster() -> Roster {
        let unit = |code: &str, name: &str| RosterUnit {
            code: code.into(),
            name: name.into(),
        };
        Roster {
            historical_63: vec![
                unit("46", "Thừa Thiên Huế"),
                unit("79", "TP Hồ Chí Minh"),
                unit("77", "Bà Rịa–Vũng Tàu"),
            ],
            new_34: vec![unit("46", "Huế"), unit("79", "TP Hồ Chí Minh")],
        }
    }

    #[test]
    fn a_year_has_its_own_provinces() {
        let r = roster();
        assert!(r.is_province(2024, "77"));
        assert!(!r.is_province(2025, "77"));
        assert_eq!(r.by_name(2016, "Thua Thien-Hue").unwrap().code, "46");
        assert_eq!(r.by_name(2016, "Ho Chi Minh City").unwrap().code, "79");
        assert_eq!(r.by_name(2016, "Bà Rịa - Vũng Tàu").unwrap().code, "77");
        assert_eq!(r.by_name(2016, "Tỉnh Thừa Thiên Huế").unwrap().code, "46");
        assert!(r.by_name(2016, "Cao nhất").is_none());
        let s = structure("papi", 2018, None);
        assert!(is_complete(&s, 2026, &["46", "79"], &r));
        assert!(!is_complete(&s, 2020, &["46", "79"], &r));
    }
}
