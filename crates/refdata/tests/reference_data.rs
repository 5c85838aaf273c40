//! The bundled reference data is complete and consistent (docs/method.md §2.3–§2.4, §6.1–§6.2, §6.5, §8).

use std::collections::{HashMap, HashSet};

use chiso_domain::framework::SAMPLE_LABEL;
use chiso_domain::{Framework, Method, Points, Rule};

fn p(text: &str) -> Points {
    text.parse().unwrap()
}

/// Sum of leaf maxima matching a filter.
fn leaf_sum(f: &Framework, keep: impl Fn(&Framework, usize) -> bool) -> Points {
    f.leaves()
        .iter()
        .filter(|&&leaf| keep(f, leaf))
        .map(|&leaf| f.node(leaf).max_points)
        .sum()
}

fn area_code(f: &Framework, leaf: usize) -> String {
    f.area_of(leaf)
        .map(|a| f.node(a).code.clone())
        .unwrap_or_default()
}

fn survey_source(f: &Framework, leaf: usize) -> Option<&str> {
    match &f.node(leaf).rule {
        Some(Rule::Survey { source }) => Some(source),
        _ => None,
    }
}

#[test]
fn every_bundled_framework_is_valid_and_labelled_a_sample() {
    for bundled in chiso_refdata::FRAMEWORKS {
        let f = chiso_refdata::framework(bundled.id).unwrap();
        assert_eq!(f.meta.id, bundled.id);
        assert!(f.meta.sample, "{} must be marked as a sample", bundled.id);
        assert!(f.display_title().contains(SAMPLE_LABEL));
        assert_eq!(f.max_points(), Points::whole(100), "{}", bundled.id);
        for &leaf in f.leaves() {
            if f.node(leaf).method == Method::Survey {
                assert!(
                    survey_source(&f, leaf).is_some(),
                    "survey leaf {} needs a survey rule",
                    f.node(leaf).code
                );
            }
        }
    }
    assert!(chiso_refdata::framework("no-such-framework").is_none());
}

/// QĐ 1149/QĐ-BNV as the seeds state it: 8 areas, 100 points; 66.5 appraised = 60.5 results
/// + 6 impact; 33.5 surveys = 10 SIPAS + 23.5 leaders (docs/method.md §2.3).
#[test]
fn provincial_2020_sample_respects_the_1149_totals() {
    let f = chiso_refdata::framework("par-province-2020").unwrap();
    assert_eq!(f.areas().len(), 8);
    assert_eq!(f.meta.methodology.as_deref(), Some("QĐ 1149/QĐ-BNV"));
    let self_results = leaf_sum(&f, |f, l| {
        f.node(l).method == Method::SelfAssessed && area_code(f, l) != "8"
    });
    let self_impact = leaf_sum(&f, |f, l| {
        f.node(l).method == Method::SelfAssessed && area_code(f, l) == "8"
    });
    let sipas = leaf_sum(&f, |f, l| survey_source(f, l) == Some("sipas"));
    let leaders = leaf_sum(&f, |f, l| survey_source(f, l) == Some("leaders"));
    assert_eq!(self_results, p("60.5"));
    assert_eq!(self_impact, p("6"));
    assert_eq!(sipas, p("10"));
    assert_eq!(leaders, p("23.5"));
    assert!(f.outside_tree().is_empty());
}

/// QĐ 876/QĐ-BNV's published shape, counted on the tree (docs/method.md §2.3): 8 areas, 37
/// criteria, 88 sub-criteria, 100 points of which 32 come from the surveys; every code its
/// nodes `continue` is a node of the same level in the 2020 sample, and every area continues.
#[test]
fn provincial_2022_sample_has_the_876_shape_and_continues_2020() {
    let f = chiso_refdata::framework("par-province-2022").unwrap();
    assert_eq!(f.meta.methodology.as_deref(), Some("QĐ 876/QĐ-BNV"));
    assert_eq!(f.meta.year, Some(2022));
    assert_eq!(f.meta.previous.as_deref(), Some("par-province-2020"));
    let level = |code: &str| code.split('.').count();
    let count = |depth: usize| f.nodes().iter().filter(|n| level(&n.code) == depth).count();
    assert_eq!(f.areas().len(), 8);
    assert_eq!(count(1), 8, "areas");
    assert_eq!(count(2), 37, "criteria");
    assert_eq!(count(3), 88, "sub-criteria");
    assert_eq!(count(4), 0);
    assert!(f.outside_tree().is_empty());
    assert_eq!(f.max_points(), Points::whole(100));
    let surveys = leaf_sum(&f, |f, l| f.node(l).method == Method::Survey);
    let appraised = leaf_sum(&f, |f, l| f.node(l).method == Method::SelfAssessed);
    assert_eq!(surveys, p("32"));
    assert_eq!(appraised, p("68"));
    assert_eq!(
        leaf_sum(&f, |f, l| survey_source(f, l) == Some("sipas"))
            + leaf_sum(&f, |f, l| survey_source(f, l) == Some("leaders")),
        p("32")
    );

    let earlier = chiso_refdata::framework("par-province-2020").unwrap();
    let mut links = 0;
    for node in f.nodes() {
        for code in &node.continues {
            let target = earlier.find(code).unwrap_or_else(|| {
                panic!(
                    "{} continues {code}, which is not in par-province-2020",
                    node.code
                )
            });
            assert_eq!(
                level(&earlier.node(target).code),
                level(&node.code),
                "{} continues {code} at another level",
                node.code
            );
            links += 1;
        }
    }
    assert!(links >= 8);
    for &area in f.areas() {
        let node = f.node(area);
        assert!(
            !node.continues.is_empty(),
            "area {} continues no area of 2020",
            node.code
        );
    }
    // Every 2020 area has a successor.
    for &area in earlier.areas() {
        let code = &earlier.node(area).code;
        assert!(
            f.areas()
                .iter()
                .any(|&a| f.node(a).continues.contains(code)),
            "2020 area {code} is continued by no area"
        );
    }
}

#[test]
fn internal_samples_have_bonus_and_penalty_outside_the_tree() {
    for id in ["department-2025", "commune-2025"] {
        let f = chiso_refdata::framework(id).unwrap();
        let methods: HashSet<Method> = f.outside_tree().iter().map(|&n| f.node(n).method).collect();
        assert_eq!(
            methods,
            HashSet::from([Method::Bonus, Method::Penalty]),
            "{id}"
        );
        assert_eq!(
            leaf_sum(&f, |f, l| survey_source(f, l) == Some("sipas")),
            p("10"),
            "{id}"
        );
    }
}

#[test]
fn the_63_provinces_have_codes_and_six_regions() {
    let provinces = chiso_refdata::provinces_63();
    assert_eq!(provinces.len(), 63);
    let regions: HashMap<&str, usize> = provinces.iter().fold(HashMap::new(), |mut counts, p| {
        *counts.entry(p.region.as_deref().unwrap()).or_default() += 1;
        counts
    });
    assert_eq!(regions.len(), 6);
    assert_eq!(regions["Đồng bằng sông Hồng"], 11);
    assert_eq!(regions["Đồng bằng sông Cửu Long"], 13);
    let hue = provinces.iter().find(|p| p.code == "46").unwrap();
    assert_eq!(hue.name.as_deref(), Some("Thừa Thiên Huế"));
    assert!(provinces.iter().all(|p| p.code.len() == 2));
}

/// Resolution 202/2025/QH15: 63 → 34, every old province in exactly one new one
/// (docs/method.md §6.2, §6.4), including the seven codes reused under another name.
#[test]
fn the_2025_lineage_maps_63_provinces_onto_34() {
    let old: HashSet<String> = chiso_refdata::provinces_63()
        .into_iter()
        .map(|p| p.code)
        .collect();
    let new = chiso_refdata::provinces_34();
    assert_eq!(new.len(), 34);
    let lineage = chiso_refdata::lineage_2025();
    let mut covered = Vec::new();
    for province in &new {
        let predecessors = lineage
            .predecessors(&province.code)
            .unwrap_or_else(|| panic!("{} has no lineage", province.code));
        covered.extend(predecessors.iter().map(|p| p.code.clone()));
    }
    covered.sort();
    let mut expected: Vec<String> = old.into_iter().collect();
    expected.sort();
    assert_eq!(covered, expected);
    let codes = |successor: &str| -> Vec<String> {
        lineage
            .predecessors(successor)
            .unwrap()
            .iter()
            .map(|p| p.code.clone())
            .collect()
    };
    assert_eq!(codes("44"), ["45", "44"]);
    assert_eq!(codes("46"), ["46"]);
    assert_eq!(codes("79").len(), 3);
    let new_44 = new.iter().find(|p| p.code == "44").unwrap();
    assert_eq!(new_44.name.as_deref(), Some("Quảng Trị"));
}
