//! Year-over-year changes (docs/method.md §2.11), matched through unit lineage so that a
//! province formed by the 2025 merger is compared with its predecessors (docs/method.md §6.5).

use std::collections::HashMap;

/// A unit's result in an earlier year, as read from an earlier `chiso compute` output.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviousUnit {
    pub code: String,
    pub name: Option<String>,
    pub index: f64,
    pub rank: u32,
    pub areas: Vec<PreviousArea>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PreviousArea {
    pub code: String,
    pub index: f64,
    pub rank: u32,
}

/// An earlier year's results, by unit code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreviousYear {
    units: HashMap<String, PreviousUnit>,
}

impl PreviousYear {
    pub fn new(units: impl IntoIterator<Item = PreviousUnit>) -> PreviousYear {
        PreviousYear {
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
        }
    }

    pub fn get(&self, code: &str) -> Option<&PreviousUnit> {
        self.units.get(code)
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The earlier units, in no particular order.
    pub fn units(&self) -> impl Iterator<Item = &PreviousUnit> {
        self.units.values()
    }
}

/// The change of one result against one earlier result.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub previous_index: f64,
    pub previous_rank: u32,
    /// index − previous index, as published: the difference of the two values rounded to two
    /// decimals (88.47 − 83.06 = 5.41), never of unrounded values (docs/method.md §2.9).
    pub index_change: f64,
    /// previous rank − rank: positive when the unit moved up (docs/formats.md §4.4).
    pub rank_change: i64,
}

impl Change {
    pub fn between(index: f64, rank: u32, previous_index: f64, previous_rank: u32) -> Change {
        Change {
            previous_index,
            previous_rank,
            index_change: published_difference(index, previous_index),
            rank_change: previous_rank as i64 - rank as i64,
        }
    }
}

/// An index as published, in hundredths (half away from zero, as the ranking rounds).
fn published_hundredths(index: f64) -> i64 {
    (index * 100.0).round() as i64
}

/// The difference of two indices as published: each rounded to two decimals first, so the
/// change printed beside them is their printed difference.
pub fn published_difference(index: f64, earlier: f64) -> f64 {
    (published_hundredths(index) - published_hundredths(earlier)) as f64 / 100.0
}

/// One predecessor of a unit, with the declared weight for a weighted baseline (e.g. its
/// population).
#[derive(Clone, Debug, PartialEq)]
pub struct Predecessor {
    pub code: String,
    pub weight: Option<f64>,
}

/// Which earlier units a unit continues: successor code → predecessors. A unit absent from the
/// lineage continues the unit with its own code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lineage {
    predecessors: HashMap<String, Vec<Predecessor>>,
}

impl Lineage {
    pub fn new() -> Lineage {
        Lineage::default()
    }

    pub fn add(&mut self, successor: &str, predecessor: Predecessor) {
        self.predecessors
            .entry(successor.to_string())
            .or_default()
            .push(predecessor);
    }

    pub fn predecessors(&self, successor: &str) -> Option<&[Predecessor]> {
        self.predecessors.get(successor).map(Vec::as_slice)
    }
}

/// An earlier result of one predecessor of a merged unit.
#[derive(Clone, Debug, PartialEq)]
pub struct PredecessorResult {
    pub code: String,
    pub name: Option<String>,
    pub index: f64,
    pub rank: u32,
    pub weight: Option<f64>,
}

/// How the combined baseline of a merged unit was formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// The plain mean of the predecessors' indices.
    Mean,
    /// The mean weighted by each predecessor's declared weight.
    Weighted,
}

/// A merged unit's earlier results: each predecessor's, and a combined baseline that is only
/// ever an estimate (docs/method.md §6.5: "always labelled as an estimate with its weighting
/// stated").
#[derive(Clone, Debug, PartialEq)]
pub struct MergedBaseline {
    pub predecessors: Vec<PredecessorResult>,
    /// Predecessors with no earlier result; the baseline leaves them out.
    pub without_result: Vec<String>,
    pub weighting: Weighting,
    pub baseline_index: Option<f64>,
    pub index_change: Option<f64>,
}

/// The year-over-year comparison of one unit.
#[derive(Clone, Debug, PartialEq)]
pub enum YearOverYear {
    /// The unit continues one earlier unit (the same code, or one renamed predecessor).
    Direct {
        previous_code: String,
        change: Change,
    },
    /// The unit was formed from several earlier units.
    Merged(MergedBaseline),
    /// No earlier result.
    None,
}

/// Compares a unit's index and rank with the earlier year, through the lineage when given.
pub fn year_over_year(
    code: &str,
    index: f64,
    rank: u32,
    previous: &PreviousYear,
    lineage: Option<&Lineage>,
) -> YearOverYear {
    let predecessors = lineage.and_then(|l| l.predecessors(code));
    let direct = |previous_code: &str| match previous.get(previous_code) {
        Some(p) => YearOverYear::Direct {
            previous_code: previous_code.to_string(),
            change: Change::between(index, rank, p.index, p.rank),
        },
        None => YearOverYear::None,
    };
    let predecessors = match predecessors {
        None => return direct(code),
        Some([single]) => return direct(&single.code),
        Some(list) => list,
    };
    let mut found = Vec::new();
    let mut without_result = Vec::new();
    for predecessor in predecessors {
        match previous.get(&predecessor.code) {
            Some(p) => found.push(PredecessorResult {
                code: p.code.clone(),
                name: p.name.clone(),
                index: p.index,
                rank: p.rank,
                weight: predecessor.weight,
            }),
            None => without_result.push(predecessor.code.clone()),
        }
    }
    let parts: Vec<(f64, Option<f64>)> = found.iter().map(|p| (p.index, p.weight)).collect();
    let Some((baseline, weighting)) = combined_baseline(&parts) else {
        return YearOverYear::None;
    };
    YearOverYear::Merged(MergedBaseline {
        predecessors: found,
        without_result,
        weighting,
        index_change: Some(published_difference(index, baseline)),
        baseline_index: Some(baseline),
    })
}

/// The combined value of a merged unit's predecessors that have a value, `(value, weight)`
/// each: their mean weighted by the declared weights when every one of them has a weight
/// above 0, otherwise their plain mean (docs/method.md §6.5). Always an estimate: the merged
/// unit did not exist. `None` when no predecessor has a value.
pub fn combined_baseline(parts: &[(f64, Option<f64>)]) -> Option<(f64, Weighting)> {
    if parts.is_empty() {
        return None;
    }
    let weighted = parts.iter().all(|(_, w)| w.is_some_and(|w| w > 0.0));
    if weighted {
        let total: f64 = parts.iter().filter_map(|(_, w)| *w).sum();
        let sum: f64 = parts.iter().map(|(v, w)| v * w.unwrap_or(0.0)).sum();
        Some((sum / total, Weighting::Weighted))
    } else {
        let sum: f64 = parts.iter().map(|(v, _)| v).sum();
        Some((sum / parts.len() as f64, Weighting::Mean))
    }
}

/// The earlier units a unit continues: its predecessors in the lineage when it has any there,
/// otherwise the unit with its own code; only those the earlier year ranked.
fn continued<'a>(
    code: &'a str,
    previous: &PreviousYear,
    lineage: Option<&'a Lineage>,
) -> Vec<&'a str> {
    let codes: Vec<&str> = match lineage.and_then(|l| l.predecessors(code)) {
        Some(predecessors) => predecessors.iter().map(|p| p.code.as_str()).collect(),
        None => vec![code],
    };
    codes
        .into_iter()
        .filter(|c| previous.get(c).is_some())
        .collect()
}

/// How the units ranked this year differ from those ranked the earlier year, matched through
/// the lineage when given (docs/method.md §2.11). Each list is sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Populations {
    /// Units ranked then.
    pub previous_count: usize,
    /// Units ranked now.
    pub current_count: usize,
    /// Units ranked now that continue no unit ranked then (this year's codes).
    pub added: Vec<String>,
    /// Units ranked then that no unit ranked now continues (the earlier codes).
    pub left_out: Vec<String>,
    /// Units ranked now that continue several units ranked then (merged).
    pub merged: Vec<String>,
    /// Units ranked then that several units ranked now continue (split).
    pub split: Vec<String>,
}

impl Populations {
    /// Whether the two years ranked different populations: then a rank change compares
    /// positions in two different rankings (63 provinces against 34) and is not comparable.
    /// The populations are the same when every unit ranked now continues exactly one unit
    /// ranked then and every unit ranked then is continued by exactly one now.
    pub fn differ(&self) -> bool {
        !(self.added.is_empty()
            && self.left_out.is_empty()
            && self.merged.is_empty()
            && self.split.is_empty())
    }

    /// Whether a rank change between the two years is comparable (the populations are the
    /// same).
    pub fn ranks_comparable(&self) -> bool {
        !self.differ()
    }
}

/// Compares the units ranked now (`current`, their codes) with those ranked the earlier year,
/// through the lineage when given.
pub fn compare_populations<'a>(
    current: impl IntoIterator<Item = &'a str>,
    previous: &PreviousYear,
    lineage: Option<&Lineage>,
) -> Populations {
    let mut populations = Populations {
        previous_count: previous.len(),
        ..Populations::default()
    };
    // Earlier code → how many units ranked now continue it.
    let mut continuers: HashMap<&str, usize> = HashMap::new();
    for code in current {
        populations.current_count += 1;
        let earlier = continued(code, previous, lineage);
        match earlier.len() {
            0 => populations.added.push(code.to_string()),
            1 => {}
            _ => populations.merged.push(code.to_string()),
        }
        for e in earlier {
            *continuers.entry(e).or_default() += 1;
        }
    }
    for unit in previous.units() {
        match continuers.get(unit.code.as_str()) {
            None => populations.left_out.push(unit.code.clone()),
            Some(&n) if n > 1 => populations.split.push(unit.code.clone()),
            Some(_) => {}
        }
    }
    for list in [
        &mut populations.added,
        &mut populations.left_out,
        &mut populations.merged,
        &mut populations.split,
    ] {
        list.sort();
    }
    populations
}

/// A unit code whose name differs from the name the earlier year gave the same code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameChange {
    pub code: String,
    pub previous_name: String,
    pub name: String,
}

/// A name compared leniently: case, and spaces around and between words, do not count.
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The units ranked now (code and name) whose code the earlier year gave a unit of another
/// name: across the 2025 merger seven codes were reused (15, 24, 44, 52, 80, 82, 91), so a
/// code alone pairs different provinces (docs/method.md §6.4). A unit the lineage lists is
/// matched through it, not by its code, and is never a name change. Sorted by code.
pub fn name_changes<'a>(
    current: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    previous: &PreviousYear,
    lineage: Option<&Lineage>,
) -> Vec<NameChange> {
    let mut changes: Vec<NameChange> = current
        .into_iter()
        .filter(|(code, _)| lineage.and_then(|l| l.predecessors(code)).is_none())
        .filter_map(|(code, name)| {
            let name = name?;
            let previous_name = previous.get(code)?.name.as_deref()?;
            (name_key(name) != name_key(previous_name)).then(|| NameChange {
                code: code.to_string(),
                previous_name: previous_name.to_string(),
                name: name.to_string(),
            })
        })
        .collect();
    changes.sort_by(|a, b| a.code.cmp(&b.code));
    changes
}

/// The change of one area against the same area, or the areas it continues, a year earlier.
pub fn area_change(
    area_codes: &[&str],
    index: Option<f64>,
    rank: u32,
    previous: &PreviousUnit,
) -> Option<Change> {
    let index = index?;
    let earlier = area_codes
        .iter()
        .find_map(|code| previous.areas.iter().find(|a| a.code == *code))?;
    Some(Change::between(index, rank, earlier.index, earlier.rank))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, index: f64, rank: u32) -> PreviousUnit {
        PreviousUnit {
            code: code.into(),
            name: None,
            index,
            rank,
            areas: vec![PreviousArea {
                code: "1".into(),
                index: 90.0,
                rank: 4,
            }],
        }
    }

    #[test]
    fn thua_thien_hue_2020_change() {
        // B1: 88.47 in 2020, 3rd, +5.41 points and +10 places over 2019 (83.06, 13th).
        let previous = PreviousYear::new([unit("46", 83.06, 13)]);
        let YearOverYear::Direct { change, .. } = year_over_year("46", 88.47, 3, &previous, None)
        else {
            panic!("expected a direct comparison")
        };
        assert!((change.index_change - 5.41).abs() < 1e-9);
        assert_eq!(change.rank_change, 10);
        // Unrounded indices that print as 88.47 and 83.06 still differ by 5.41 (their
        // unrounded difference, 5.402, would print 5.40).
        let previous = PreviousYear::new([unit("46", 83.064, 13)]);
        let YearOverYear::Direct { change, .. } = year_over_year("46", 88.466, 3, &previous, None)
        else {
            panic!("expected a direct comparison")
        };
        assert_eq!(change.index_change, 5.41);
        assert_eq!(
            year_over_year("99", 50.0, 1, &previous, None),
            YearOverYear::None
        );
    }

    #[test]
    fn merged_units_get_a_labelled_baseline() {
        // Quảng Trị (44) from Quảng Trị 45 and Quảng Bình 44 (docs/method.md §6.5).
        let previous = PreviousYear::new([unit("45", 80.0, 40), unit("44", 84.0, 20)]);
        let mut lineage = Lineage::new();
        lineage.add(
            "44",
            Predecessor {
                code: "45".into(),
                weight: None,
            },
        );
        lineage.add(
            "44",
            Predecessor {
                code: "44".into(),
                weight: None,
            },
        );
        let YearOverYear::Merged(merged) = year_over_year("44", 85.0, 5, &previous, Some(&lineage))
        else {
            panic!("expected a merged baseline")
        };
        assert_eq!(merged.weighting, Weighting::Mean);
        assert_eq!(merged.baseline_index, Some(82.0));
        assert_eq!(merged.index_change, Some(3.0));
        assert_eq!(merged.predecessors.len(), 2);

        let mut weighted = Lineage::new();
        weighted.add(
            "44",
            Predecessor {
                code: "45".into(),
                weight: Some(1.0),
            },
        );
        weighted.add(
            "44",
            Predecessor {
                code: "44".into(),
                weight: Some(3.0),
            },
        );
        weighted.add(
            "44",
            Predecessor {
                code: "77".into(),
                weight: Some(3.0),
            },
        );
        let YearOverYear::Merged(merged) =
            year_over_year("44", 85.0, 5, &previous, Some(&weighted))
        else {
            panic!("expected a merged baseline")
        };
        assert_eq!(merged.weighting, Weighting::Weighted);
        assert_eq!(merged.baseline_index, Some(83.0));
        assert_eq!(merged.without_result, ["77"]);
    }

    #[test]
    fn a_single_predecessor_is_a_direct_comparison() {
        let previous = PreviousYear::new([unit("10", 70.0, 50)]);
        let mut lineage = Lineage::new();
        lineage.add(
            "15",
            Predecessor {
                code: "10".into(),
                weight: None,
            },
        );
        let result = year_over_year("15", 75.0, 40, &previous, Some(&lineage));
        assert!(
            matches!(result, YearOverYear::Direct { ref previous_code, .. } if previous_code == "10")
        );
    }

    #[test]
    fn areas_compare_through_their_continued_codes() {
        let earlier = unit("46", 83.06, 13);
        let change = area_change(&["9", "1"], Some(95.0), 2, &earlier).unwrap();
        assert_eq!(change.index_change, 5.0);
        assert_eq!(change.rank_change, 2);
        assert!(area_change(&["2"], Some(95.0), 2, &earlier).is_none());
    }

    fn named(code: &str, name: &str) -> PreviousUnit {
        PreviousUnit {
            name: Some(name.into()),
            ..unit(code, 80.0, 1)
        }
    }

    #[test]
    fn the_same_units_rank_comparably() {
        let previous = PreviousYear::new([unit("01", 90.0, 1), unit("46", 83.06, 2)]);
        let populations = compare_populations(["46", "01"], &previous, None);
        assert!(!populations.differ());
        assert!(populations.ranks_comparable());
        assert_eq!(
            (populations.previous_count, populations.current_count),
            (2, 2)
        );
    }

    #[test]
    fn added_and_left_out_units_make_populations_differ() {
        let previous = PreviousYear::new([unit("01", 90.0, 1), unit("31", 85.0, 2)]);
        let populations = compare_populations(["01", "79", "08"], &previous, None);
        assert!(populations.differ());
        assert_eq!(populations.added, ["08", "79"]);
        assert_eq!(populations.left_out, ["31"]);
        assert!(populations.merged.is_empty() && populations.split.is_empty());
    }

    #[test]
    fn a_merger_makes_populations_differ_even_when_every_unit_is_continued() {
        // 44 (Quảng Trị) is formed from 44 (Quảng Bình) and 45 (Quảng Trị): three units then,
        // two now.
        let previous = PreviousYear::new([
            unit("01", 90.0, 1),
            unit("44", 84.0, 2),
            unit("45", 80.0, 3),
        ]);
        let mut lineage = Lineage::new();
        for code in ["44", "45"] {
            lineage.add(
                "44",
                Predecessor {
                    code: code.into(),
                    weight: None,
                },
            );
        }
        let populations = compare_populations(["01", "44"], &previous, Some(&lineage));
        assert!(populations.differ());
        assert_eq!(populations.merged, ["44"]);
        assert!(populations.added.is_empty() && populations.left_out.is_empty());
        // A unit renamed through the lineage (one predecessor) keeps the population the same.
        let mut renamed = Lineage::new();
        renamed.add(
            "15",
            Predecessor {
                code: "10".into(),
                weight: None,
            },
        );
        let previous = PreviousYear::new([unit("01", 90.0, 1), unit("10", 70.0, 2)]);
        assert!(!compare_populations(["01", "15"], &previous, Some(&renamed)).differ());
        // Two units continuing one earlier unit: a split.
        let mut split = Lineage::new();
        for successor in ["01", "02"] {
            split.add(
                successor,
                Predecessor {
                    code: "01".into(),
                    weight: None,
                },
            );
        }
        let previous = PreviousYear::new([unit("01", 90.0, 1)]);
        assert_eq!(
            compare_populations(["01", "02"], &previous, Some(&split)).split,
            ["01"]
        );
    }

    #[test]
    fn a_reused_code_naming_another_province_is_a_name_change() {
        let previous = PreviousYear::new([
            named("24", "Bắc Giang"),
            named("46", "Thừa Thiên Huế"),
            named("01", "Hà Nội"),
        ]);
        let current = [
            ("24", Some("Bắc Ninh")),
            ("46", Some("  thừa thiên  HUẾ ")),
            ("01", None),
        ];
        assert_eq!(
            name_changes(current, &previous, None),
            [NameChange {
                code: "24".into(),
                previous_name: "Bắc Giang".into(),
                name: "Bắc Ninh".into(),
            }]
        );
        // Matched through the lineage (24 continues 24 and 27), code 24 is not a name change.
        let mut lineage = Lineage::new();
        for code in ["24", "27"] {
            lineage.add(
                "24",
                Predecessor {
                    code: code.into(),
                    weight: None,
                },
            );
        }
        assert!(name_changes(current, &previous, Some(&lineage)).is_empty());
    }

    #[test]
    fn a_combined_baseline_by_hand() {
        // Equal weights: (80 + 84) / 2.
        assert_eq!(
            combined_baseline(&[(80.0, None), (84.0, None)]),
            Some((82.0, Weighting::Mean))
        );
        // Populations 1 and 3: (80 + 3 × 84) / 4 = 83.
        assert_eq!(
            combined_baseline(&[(80.0, Some(1.0)), (84.0, Some(3.0))]),
            Some((83.0, Weighting::Weighted))
        );
        // One predecessor without a weight: the plain mean, said so.
        assert_eq!(
            combined_baseline(&[(80.0, Some(1.0)), (84.0, None)]),
            Some((82.0, Weighting::Mean))
        );
        assert_eq!(combined_baseline(&[]), None);
    }

    proptest::proptest! {
        /// A combined baseline lies between its lowest and highest part, whatever the weights;
        /// equal weights give the plain mean; scaling every weight changes nothing.
        #[test]
        fn a_combined_baseline_lies_between_its_parts(
            parts in proptest::collection::vec((0.0f64..100.0, 0.1f64..1e7), 1..5),
            scale in 0.5f64..1000.0,
        ) {
            let weighted: Vec<(f64, Option<f64>)> = parts.iter().map(|(v, w)| (*v, Some(*w))).collect();
            let (value, weighting) = combined_baseline(&weighted).unwrap();
            proptest::prop_assert_eq!(weighting, Weighting::Weighted);
            let low = parts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
            let high = parts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
            proptest::prop_assert!(value >= low - 1e-9 && value <= high + 1e-9);
            let scaled: Vec<(f64, Option<f64>)> = parts.iter().map(|(v, w)| (*v, Some(w * scale))).collect();
            proptest::prop_assert!((combined_baseline(&scaled).unwrap().0 - value).abs() < 1e-9);
            let equal: Vec<(f64, Option<f64>)> = parts.iter().map(|(v, _)| (*v, Some(2.0))).collect();
            let plain: Vec<(f64, Option<f64>)> = parts.iter().map(|(v, _)| (*v, None)).collect();
            let (mean, kind) = combined_baseline(&plain).unwrap();
            proptest::prop_assert_eq!(kind, Weighting::Mean);
            proptest::prop_assert!((combined_baseline(&equal).unwrap().0 - mean).abs() < 1e-9);
        }

        /// The printed change is the difference of the two printed indices, whatever the
        /// digits beyond the second decimal.
        #[test]
        fn the_change_is_the_difference_of_the_printed_indices(
            a in 0i64..=10_000, b in 0i64..=10_000, da in -0.0049f64..0.0049, db in -0.0049f64..0.0049
        ) {
            let index = a as f64 / 100.0 + da;
            let earlier = b as f64 / 100.0 + db;
            let printed = |v: f64| format!("{:.2}", (v * 100.0).round() / 100.0);
            let change = published_difference(index, earlier);
            let expected: f64 = printed(index).parse::<f64>().unwrap() - printed(earlier).parse::<f64>().unwrap();
            proptest::prop_assert_eq!(format!("{change:.2}"), format!("{expected:.2}"));
            proptest::prop_assert_eq!(change, (a - b) as f64 / 100.0);
        }
    }
}
