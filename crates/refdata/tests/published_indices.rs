//! The bundled index structures and the published figures as the first import reads them
//! (docs/method.md §5.7, §8; docs/formats.md §8.15).

use chiso_domain::indices::{Grouping, TotalRule, UnitScope};
use chiso_interchange::indices::{IndicesReport, SkipKind, UnitReport};
use chiso_refdata::published::published_reports;

#[test]
fn the_structures_the_issue_lists_are_bundled() {
    let catalogue = chiso_refdata::index_catalogue();
    let at = |index: &str, year: i32| catalogue.for_year(index, year).map(|s| s.id.as_str());
    assert_eq!(at("par", 2021), Some("par-province-1149"));
    assert_eq!(at("par", 2022), Some("par-province-876"));
    assert_eq!(at("papi", 2017), Some("papi-2011"));
    assert_eq!(at("papi", 2018), Some("papi-2018"));
    assert_eq!(at("sipas", 2021), Some("sipas-2017"));
    assert_eq!(at("sipas", 2022), Some("sipas-2022"));
    let papi_2011 = catalogue.get("papi-2011").unwrap();
    assert_eq!(papi_2011.dimensions.len(), 6);
    let subs: usize = papi_2011
        .dimensions
        .iter()
        .map(|d| d.sub_dimensions.len())
        .sum();
    assert_eq!(subs, 22);
    assert_eq!((papi_2011.scale.min, papi_2011.scale.max), (6.0, 60.0));
    assert_eq!(papi_2011.grouping, Grouping::Quartiles);
    let papi_2018 = catalogue.get("papi-2018").unwrap();
    assert_eq!(papi_2018.dimensions.len(), 8);
    assert_eq!((papi_2018.scale.min, papi_2018.scale.max), (8.0, 80.0));
    let service = catalogue.get("service-766").unwrap();
    let maxima: Vec<f64> = service.dimensions.iter().filter_map(|d| d.max).collect();
    assert_eq!(maxima, [18.0, 20.0, 22.0, 22.0, 18.0]);
    assert_eq!(maxima.iter().sum::<f64>(), service.scale.max);
    let pci = catalogue.get("pci").unwrap();
    assert_eq!((pci.dimensions.len(), pci.total), (10, TotalRule::Given));
    assert_eq!(
        catalogue.get("par-ministry").unwrap().units,
        UnitScope::Ministry
    );
    // The 1149 components add up to the 100 points [B1].
    let par = catalogue.get("par-province-1149").unwrap();
    let components: f64 = par.components.iter().filter_map(|c| c.max).sum();
    assert_eq!(components, 100.0);
    // Every maximum that is not the publisher's is marked.
    for structure in catalogue.structures() {
        for item in structure.items() {
            assert!(
                !item.title.is_empty() && !item.title_en.is_empty(),
                "{}",
                item.code
            );
        }
    }
    assert!(par.dimensions.iter().all(|d| d.unverified));
}

fn report<'a>(reports: &'a [IndicesReport], index: &str) -> &'a IndicesReport {
    reports.iter().find(|r| r.index == index).unwrap()
}

fn unit<'a>(report: &'a IndicesReport, year: i32, code: &str) -> &'a UnitReport {
    report
        .years
        .iter()
        .find(|y| y.year == year)
        .and_then(|y| y.units.iter().find(|u| u.unit_code == code))
        .unwrap_or_else(|| panic!("{} {year} {code}", report.index))
}

#[test]
fn the_published_figures_are_the_first_import() {
    let reports = published_reports(
        &chiso_refdata::index_catalogue(),
        &chiso_refdata::province_roster(),
    );
    let par = report(&reports, "par");
    let hue = unit(par, 2020, "46");
    assert_eq!(
        (hue.total, hue.rank, hue.rank_published),
        (Some(88.47), Some(3), true)
    );
    let surveys = hue.components.iter().find(|c| c.code == "surveys").unwrap();
    assert_eq!(surveys.value, Some(28.68));
    let sub: Vec<(&str, Option<f64>)> = surveys
        .sub_dimensions
        .iter()
        .map(|s| (s.code.as_str(), s.value))
        .collect();
    assert_eq!(sub, [("sipas", Some(8.57)), ("leaders", Some(20.11))]);
    // SIPAS points become the PAR component where the components file lacks them.
    let ha_tinh = unit(par, 2021, "42");
    assert_eq!(ha_tinh.components[0].sub_dimensions[0].value, Some(9.12));
    // A rank published alone.
    assert_eq!(unit(par, 2022, "01").total, None);
    assert_eq!(unit(par, 2022, "01").rank, Some(3));
    // Derived figures keep their key, marked.
    assert_eq!(
        unit(par, 2019, "46").source.as_deref(),
        Some("B1 (derived)")
    );
    // Partial years: no rank is computed among the quoted provinces.
    assert_eq!(unit(par, 2020, "42").rank, Some(16));
    assert!(par.years.iter().all(|y| !y.complete));
    let ministries = report(&reports, "par-ministry");
    assert_eq!(unit(ministries, 2023, "BTP").total, Some(89.95));
    let y2023 = ministries.years.iter().find(|y| y.year == 2023).unwrap();
    assert_eq!(y2023.summaries[0].value, 84.38);

    let papi = report(&reports, "papi");
    let y2023 = papi.years.iter().find(|y| y.year == 2023).unwrap();
    let missing: Vec<&str> = y2023
        .skipped
        .iter()
        .filter(|s| s.kind == SkipKind::NoResult)
        .filter_map(|s| s.unit_code.as_deref())
        .collect();
    assert_eq!(missing, ["22", "74"]);
    assert_eq!(unit(papi, 2023, "46").rank, Some(1));
    assert_eq!(unit(papi, 2020, "22").total, Some(48.881));
    let y2019 = papi.years.iter().find(|y| y.year == 2019).unwrap();
    assert!(y2019.units.is_empty());
    assert_eq!(y2019.summaries[0].value, 43.61);

    let sipas = report(&reports, "sipas");
    let y2023 = sipas.years.iter().find(|y| y.year == 2023).unwrap();
    let national: Vec<(&str, f64)> = y2023
        .summaries
        .iter()
        .map(|s| (s.measure.as_str(), s.value))
        .collect();
    assert_eq!(
        national,
        [
            ("total", 82.66),
            ("1", 83.0),
            ("2", 83.02),
            ("3", 83.12),
            ("4", 83.03),
            ("5", 82.27)
        ]
    );
    assert_eq!(unit(sipas, 2023, "06").rank, Some(63));
    // No sum fails among the published figures.
    for r in &reports {
        assert!(
            !r.warnings.iter().any(|w| w.message.contains("add up")),
            "{:?}",
            r.warnings
        );
    }
}
