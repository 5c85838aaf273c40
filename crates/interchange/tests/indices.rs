//! The readers of published index results (docs/formats.md §7) against the fixtures in the
//! publishers' layouts (`tests/fixtures/indices/`, written by `examples/index_workbooks.rs`)
//! and against `indices.csv` written by hand: every tolerance, every check, the round trip.

use std::path::Path;

use chiso_domain::indices::{Catalogue, Roster, hundredths};
use chiso_interchange::indices::{
    IndicesProblem, IndicesReport, ReadOptions, SkipKind, UnitReport, WarningKind, YearReport,
    indices_csv, read_indices,
};
use chiso_interchange::table::FileKind;
use chiso_interchange::{InputError, Problem};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/indices")
        .join(name);
    std::fs::read(path).expect("the fixture exists")
}

struct Context {
    catalogue: Catalogue,
    roster: Roster,
}

fn context() -> Context {
    Context {
        catalogue: chiso_refdata::index_catalogue(),
        roster: chiso_refdata::province_roster(),
    }
}

fn read(
    ctx: &Context,
    name: &str,
    bytes: &[u8],
    kind: FileKind,
    index: Option<&str>,
) -> Result<IndicesReport, InputError> {
    let options = ReadOptions {
        catalogue: &ctx.catalogue,
        roster: &ctx.roster,
        index,
        year: None,
    };
    read_indices(name, bytes, kind, options)
}

fn papi(ctx: &Context) -> IndicesReport {
    read(
        ctx,
        "papi-provinces.xlsx",
        &fixture("papi-provinces.xlsx"),
        FileKind::Xlsx,
        Some("papi"),
    )
    .expect("the PAPI workbook reads")
}

fn year(report: &IndicesReport, year: i32) -> &YearReport {
    report
        .years
        .iter()
        .find(|y| y.year == year)
        .expect("the year is read")
}

fn unit<'a>(year: &'a YearReport, code: &str) -> &'a UnitReport {
    year.units
        .iter()
        .find(|u| u.unit_code == code)
        .unwrap_or_else(|| panic!("unit {code}"))
}

fn value(unit: &UnitReport, code: &str) -> Option<f64> {
    unit.dimensions.iter().find_map(|d| {
        if d.code == code {
            return d.value;
        }
        d.sub_dimensions
            .iter()
            .find(|s| s.code == code)
            .and_then(|s| s.value)
    })
}

fn indices_problem(error: &InputError) -> &IndicesProblem {
    match error.problem.as_ref() {
        Problem::Indices(problem) => problem,
        other => panic!("not an indices problem: {other:?}"),
    }
}

/// Independent quartile groups: type-7 percentiles of the rounded totals in floating point.
fn expected_groups(totals: &[f64]) -> Vec<u8> {
    let keys: Vec<f64> = totals.iter().map(|t| hundredths(*t) as f64).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(f64::total_cmp);
    let quantile = |p: f64| {
        let h = (sorted.len() - 1) as f64 * p;
        let low = h.floor() as usize;
        let high = (low + 1).min(sorted.len() - 1);
        sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
    };
    let (q1, q2, q3) = (quantile(0.25), quantile(0.5), quantile(0.75));
    keys.iter()
        .map(|&k| match () {
            _ if k >= q3 - 1e-9 => 1,
            _ if k >= q2 - 1e-9 => 2,
            _ if k >= q1 - 1e-9 => 3,
            _ => 4,
        })
        .collect()
}

#[test]
fn the_papi_workbook_reads_every_year_sheet_with_its_structure() {
    let ctx = context();
    let report = papi(&ctx);
    assert_eq!(report.index, "papi");
    let years: Vec<(i32, &str, bool, usize)> = report
        .years
        .iter()
        .map(|y| (y.year, y.structure.as_str(), y.complete, y.units.len()))
        .collect();
    assert_eq!(
        years,
        [
            (2014, "papi-2011", true, 61),
            (2016, "papi-2011", true, 63),
            (2023, "papi-2018", true, 61)
        ]
    );
    // The sheet without a year is reported, not read.
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.sheet == "Ghi chú" && w.kind == WarningKind::SheetWithoutYear)
    );
}

#[test]
fn two_header_rows_name_the_columns_in_either_language() {
    let ctx = context();
    let report = papi(&ctx);
    let hue = unit(year(&report, 2016), "46");
    assert_eq!(hue.unit_name, "Thừa Thiên Huế");
    assert!((hue.total.unwrap() - 35.338).abs() < 1e-9);
    assert_eq!(value(hue, "1"), Some(5.1026));
    assert_eq!(value(hue, "1.1"), Some(1.1329));
    assert_eq!(
        hue.dimensions[0].title,
        "Tham gia của người dân ở cấp cơ sở"
    );
    assert_eq!(hue.dimensions.len(), 6);
    // Dimension 2's English header is in capitals and its Vietnamese one has no marks.
    assert_eq!(hue.dimensions[1].sub_dimensions.len(), 3);
    assert_eq!(value(hue, "2"), Some(5.4321));
    // 2023: dimension 2's sub-dimensions have Vietnamese headers only.
    let hanoi = unit(year(&report, 2023), "01");
    assert_eq!(hanoi.dimensions.len(), 8);
    assert_eq!(hanoi.dimensions[1].sub_dimensions.len(), 4);
    // No column of any year's structure is missing.
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| matches!(w.kind, WarningKind::MissingColumn { .. }))
    );
}

#[test]
fn columns_are_found_by_name_not_position() {
    let ctx = context();
    let report = papi(&ctx);
    // 2023 writes dimension 8's block before dimension 7's.
    for u in &year(&report, 2023).units {
        let seven = u.dimensions.iter().find(|d| d.code == "7").unwrap();
        let eight = u.dimensions.iter().find(|d| d.code == "8").unwrap();
        assert_eq!(seven.sub_dimensions.len(), 3);
        assert_eq!(eight.sub_dimensions.len(), 2);
        let sum: f64 = eight.sub_dimensions.iter().filter_map(|s| s.value).sum();
        assert!((eight.value.unwrap() - sum).abs() < 1e-9, "{}", u.unit_code);
        // Dimensions come in the structure's order.
        let codes: Vec<&str> = u.dimensions.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    }
}

#[test]
fn summary_empty_and_note_rows_are_skipped_with_their_reason() {
    let ctx = context();
    let report = papi(&ctx);
    let skipped: Vec<(usize, SkipKind, Option<&str>)> = year(&report, 2016)
        .skipped
        .iter()
        .map(|s| (s.row, s.kind, s.unit_code.as_deref()))
        .collect();
    assert_eq!(
        skipped,
        [
            (67, SkipKind::Empty, None),
            (68, SkipKind::Summary, Some("999")),
            (69, SkipKind::Summary, Some("999")),
            (70, SkipKind::Summary, Some("999")),
            (71, SkipKind::Empty, None),
            (72, SkipKind::Note, None),
        ]
    );
    assert_eq!(year(&report, 2016).skipped[1].sheet, "2016_PAPI");
    assert_eq!(
        year(&report, 2016).skipped[1].reason,
        "summary row (id 999), not a unit"
    );
}

#[test]
fn a_total_header_naming_the_wrong_year_is_read_with_a_warning() {
    let ctx = context();
    let report = papi(&ctx);
    let warning = report
        .warnings
        .iter()
        .find(|w| matches!(w.kind, WarningKind::TotalHeaderYear { .. }))
        .expect("the mislabelled total warns");
    assert_eq!(
        (
            warning.sheet.as_str(),
            warning.row,
            warning.column.as_deref()
        ),
        ("2014", Some(2), Some("AF"))
    );
    assert_eq!(
        warning.kind,
        WarningKind::TotalHeaderYear {
            header_year: 2013,
            year: 2014
        }
    );
    assert!(
        year(&report, 2014)
            .units
            .iter()
            .all(|u| u.total.is_some() && !u.total_derived)
    );
}

#[test]
fn provinces_without_results_are_left_out_of_ranks_and_cut_offs() {
    let ctx = context();
    let report = papi(&ctx);
    for (y, missing) in [(2014, ["12", "62"]), (2023, ["22", "74"])] {
        let year = year(&report, y);
        for code in missing {
            assert!(
                year.units.iter().all(|u| u.unit_code != code),
                "{y}: {code} is ranked"
            );
            assert!(
                year.skipped
                    .iter()
                    .any(|s| s.kind == SkipKind::NoResult && s.unit_code.as_deref() == Some(code)),
                "{y}: {code} is not listed as without a result"
            );
        }
        // Ranks run over the 61 provinces with a result; the groups are the percentile
        // groups of their totals alone.
        assert_eq!(year.units.iter().filter_map(|u| u.rank).max(), Some(61));
        let totals: Vec<f64> = year.units.iter().map(|u| u.total.unwrap()).collect();
        let groups: Vec<u8> = year.units.iter().map(|u| u.group.unwrap()).collect();
        assert_eq!(groups, expected_groups(&totals), "{y}");
    }
    let groups: Vec<u8> = year(&report, 2023)
        .units
        .iter()
        .map(|u| u.group.unwrap())
        .collect();
    let count = |g: u8| groups.iter().filter(|x| **x == g).count();
    assert_eq!([count(1), count(2), count(3), count(4)], [16, 15, 15, 15]);
}

#[test]
fn ranks_follow_the_totals_with_ties_shared() {
    let ctx = context();
    let report = papi(&ctx);
    let y = year(&report, 2016);
    for pair in y.units.windows(2) {
        assert!(hundredths(pair[0].total.unwrap()) >= hundredths(pair[1].total.unwrap()));
    }
    for u in &y.units {
        let better = y
            .units
            .iter()
            .filter(|o| hundredths(o.total.unwrap()) > hundredths(u.total.unwrap()))
            .count();
        assert_eq!(u.rank, Some(better as u32 + 1));
    }
    // Cà Mau repeats Bạc Liêu's values: one rank, the next skipped.
    let (bac_lieu, ca_mau) = (unit(y, "95"), unit(y, "96"));
    assert_eq!(bac_lieu.rank, ca_mau.rank);
    let rank = bac_lieu.rank.unwrap();
    assert!(y.units.iter().all(|u| u.rank != Some(rank + 1)));
    // Groups of 63 distinct totals fall 16 / 16 / 15 / 16 (one tie changes nothing here).
    let groups: Vec<u8> = y.units.iter().map(|u| u.group.unwrap()).collect();
    assert_eq!(
        groups,
        expected_groups(&y.units.iter().map(|u| u.total.unwrap()).collect::<Vec<_>>())
    );
}

#[test]
fn a_sub_dimension_that_does_not_add_up_warns_at_its_cell() {
    let ctx = context();
    let report = papi(&ctx);
    let sums: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| {
            matches!(
                w.kind,
                WarningKind::DimensionSum { .. } | WarningKind::TotalSum { .. }
            )
        })
        .collect();
    assert_eq!(sums.len(), 1, "{sums:?}");
    let warning = sums[0];
    assert_eq!(
        (
            warning.sheet.as_str(),
            warning.row,
            warning.column.as_deref()
        ),
        ("2016_PAPI", Some(4), Some("M"))
    );
    match &warning.kind {
        WarningKind::DimensionSum {
            unit_code,
            code,
            value,
            sum,
        } => {
            assert_eq!((unit_code.as_str(), code.as_str()), ("01", "3"));
            assert!((value - sum - 0.05).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        warning
            .to_string()
            .starts_with("2016_PAPI row 4 column M: unit 01: dimension 3 is")
    );
}

#[test]
fn numbers_with_15_digits_stored_as_text_are_read() {
    let ctx = context();
    let report = papi(&ctx);
    let hcm = unit(year(&report, 2016), "79");
    let text_value = value(hcm, "1.2").unwrap();
    // Written as text with 14 decimals: a number, not an error; the dimension still adds up.
    let dimension = value(hcm, "1").unwrap();
    let sum: f64 = ["1.1", "1.2", "1.3", "1.4"]
        .iter()
        .map(|c| value(hcm, c).unwrap())
        .sum();
    assert!((dimension - sum).abs() < 1e-9);
    assert!(text_value > 0.0);
}

#[test]
fn a_weighted_total_is_not_read_as_the_total() {
    let ctx = context();
    let report = papi(&ctx);
    assert!(report.warnings.iter().any(|w| w.sheet == "2023"
        && matches!(&w.kind, WarningKind::WeightedTotal { header } if header == "PAPI 2023 (weighted)")));
    for u in &year(&report, 2023).units {
        let sum: f64 = u.dimensions.iter().filter_map(|d| d.value).sum();
        assert!((u.total.unwrap() - sum).abs() < 1e-9);
    }
}

#[test]
fn read_export_read_gives_the_same_years() {
    let ctx = context();
    let report = papi(&ctx);
    let csv = indices_csv(&report);
    assert!(csv.starts_with("index,year,unit_code,unit_name,measure,value,rank\n"));
    let again = read(&ctx, "indices.csv", csv.as_bytes(), FileKind::Csv, None).unwrap();
    assert_eq!(again.index, "papi");
    assert_eq!(again.years.len(), report.years.len());
    for (a, b) in report.years.iter().zip(&again.years) {
        assert_eq!(
            (a.year, &a.structure, a.complete),
            (b.year, &b.structure, b.complete)
        );
        assert_eq!(a.units, b.units, "{}", a.year);
        let no_result = |y: &YearReport| -> Vec<Option<String>> {
            y.skipped
                .iter()
                .filter(|s| s.kind == SkipKind::NoResult)
                .map(|s| s.unit_code.clone())
                .collect()
        };
        assert_eq!(no_result(a), no_result(b));
    }
    // The same file as .xlsx reads the same.
    let table = chiso_interchange::table::read_csv("indices.csv", csv.as_bytes()).unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in table.headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.cells().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, cell).unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let from_xlsx = read(&ctx, "indices.xlsx", &bytes, FileKind::Xlsx, Some("papi")).unwrap();
    assert_eq!(
        from_xlsx.years.iter().map(|y| &y.units).collect::<Vec<_>>(),
        again.years.iter().map(|y| &y.units).collect::<Vec<_>>()
    );
    // And the export of the export is the export.
    assert_eq!(indices_csv(&again), csv);
}

#[test]
fn moha_par_table_with_names_and_the_year_in_its_title() {
    let ctx = context();
    let report = read(
        &ctx,
        "par-2023-moha.xlsx",
        &fixture("par-2023-moha.xlsx"),
        FileKind::Xlsx,
        Some("par"),
    )
    .unwrap();
    let y = year(&report, 2023);
    assert_eq!(y.structure, "par-province-876");
    assert!(y.complete);
    assert_eq!(y.units.len(), 63);
    // Found by name, "Thành phố Hồ Chí Minh" included.
    assert!(y.units.iter().any(|u| u.unit_code == "79"));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::NoCodeColumn)
    );
    // The published rank agrees with the computed one: no warning; every rank is published.
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| matches!(w.kind, WarningKind::RankDiffers { .. }))
    );
    assert!(y.units.iter().all(|u| u.rank_published));
    // "Lĩnh vực 1: … CCHC" names area 1; the components are read.
    let first = &y.units[0];
    assert_eq!(first.dimensions.len(), 8);
    assert_eq!(first.components.len(), 2);
    // Bands A ≥ 90, B ≥ 80, C below (the A/B/C groups, unverified).
    for u in &y.units {
        let expected = match hundredths(u.total.unwrap()) {
            h if h >= 9000 => 1,
            h if h >= 8000 => 2,
            _ => 3,
        };
        assert_eq!(u.group, Some(expected), "{}", u.unit_code);
    }
    assert_eq!(y.skipped.len(), 1);
    assert_eq!(y.skipped[0].kind, SkipKind::Summary);
}

const LONG: &str = "\
index,year,unit_code,unit_name,measure,value,rank,source
papi,2020,22,Quảng Ninh,total,48.881,1,S24
papi,2020,87,Đồng Tháp,total,46.961,,S24
papi,2020,01,Hà Nội,total,41.629,,S24
papi,2020,,Toàn quốc,total,43.61,,S24
pci,2020,01,Hà Nội,total,65.4,,
";

#[test]
fn indices_csv_reads_ranks_summaries_and_partial_years() {
    let ctx = context();
    let report = read(
        &ctx,
        "indices.csv",
        LONG.as_bytes(),
        FileKind::Csv,
        Some("papi"),
    )
    .unwrap();
    let y = year(&report, 2020);
    assert!(!y.complete);
    // A partial year keeps the published rank only: no rank among three quoted provinces.
    let ranks: Vec<(&str, Option<u32>)> = y
        .units
        .iter()
        .map(|u| (u.unit_code.as_str(), u.rank))
        .collect();
    assert_eq!(ranks, [("22", Some(1)), ("01", None), ("87", None)]);
    assert!(y.units.iter().all(|u| u.group.is_none()));
    assert_eq!(y.summaries.len(), 1);
    assert_eq!(y.summaries[0].value, 43.61);
    assert_eq!(y.units[0].source.as_deref(), Some("S24"));
    assert!(
        report.warnings.iter().any(
            |w| matches!(&w.kind, WarningKind::OtherIndex { index, rows: 1 } if index == "pci")
        )
    );
    assert!(report.warnings.iter().any(|w| matches!(
        w.kind,
        WarningKind::PartialYear {
            year: 2020,
            listed: 3,
            expected: Some(63)
        }
    )));
    // Several indices and no --index: the file says which.
    let error = read(&ctx, "indices.csv", LONG.as_bytes(), FileKind::Csv, None).unwrap_err();
    assert_eq!(
        indices_problem(&error),
        &IndicesProblem::IndexNeeded {
            found: vec!["papi".into(), "pci".into()]
        }
    );
}

/// A complete year of 63 provinces in the long format, every value from `total(code)`.
fn full_year(index: &str, year: i32, total: impl Fn(usize) -> Option<f64>) -> String {
    let mut csv = String::from("index,year,unit_code,unit_name,measure,value,rank\n");
    for (i, p) in chiso_refdata::provinces_63().iter().enumerate() {
        let value = total(i).map(|v| v.to_string()).unwrap_or_default();
        csv.push_str(&format!(
            "{index},{year},{},{},total,{value},\n",
            p.code,
            p.name.as_deref().unwrap_or("")
        ));
    }
    csv
}

/// Found by fuzzing (fuzz/corpus/indices/regression-unit-again-without-result.csv): a table
/// read by its headers that lists a province a second time without a result (its name written
/// without spaces) reported the province both with its result and as "no result for 46 this
/// year", and the export wrote both rows, so that its indices.csv did not read back to itself.
#[test]
fn a_unit_listed_again_without_a_result_is_a_repeat() {
    let ctx = context();
    let text = "2022l\npapi,,name=\n22,46,Thừa Thiên Huế\n,4,ThừaThiênHuế";
    let report = read(
        &ctx,
        "indices.csv",
        text.as_bytes(),
        FileKind::Csv,
        Some("papi"),
    )
    .unwrap();
    let year = &report.years[0];
    let units: Vec<&str> = year.units.iter().map(|u| u.unit_code.as_str()).collect();
    assert_eq!(units, ["46"]);
    let skipped: Vec<(SkipKind, Option<&str>)> = year
        .skipped
        .iter()
        .map(|s| (s.kind, s.unit_code.as_deref()))
        .collect();
    assert_eq!(skipped, [(SkipKind::Repeated, Some("46"))]);
    let csv = indices_csv(&report);
    let again = read(
        &ctx,
        "indices.csv",
        csv.as_bytes(),
        FileKind::Csv,
        Some("papi"),
    )
    .unwrap();
    assert_eq!(indices_csv(&again), csv);
}

/// Found by fuzzing (fuzz/corpus/indices/regression-derived-total-published-rank.parts): a
/// publisher's table whose total cell is empty but whose rank is given: the total is the sum
/// of the fields, the rank is published, and the export dropped the rank with the total, so
/// that the file read back had no rank.
#[test]
fn a_published_rank_beside_a_derived_total_is_exported() {
    let ctx = context();
    let header = [
        "STT",
        "Tỉnh, thành phố",
        "Lĩnh vực 1: Công tác chỉ đạo, điều hành CCHC",
        "Lĩnh vực 2: Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật tại tỉnh",
        "Lĩnh vực 3: Cải cách thủ tục hành chính",
        "Lĩnh vực 4: Cải cách tổ chức bộ máy hành chính nhà nước",
        "Lĩnh vực 5: Cải cách chế độ công vụ",
        "Lĩnh vực 6: Cải cách tài chính công",
        "Lĩnh vực 7: Xây dựng và phát triển Chính phủ điện tử, Chính phủ số",
        "Lĩnh vực 8: Tác động của cải cách hành chính",
        "Chỉ số CCHC 2023",
        "Xếp hạng",
    ];
    let text = format!(
        "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2023\n\"{}\"\n\
         45,An Giang,7.73,6.27,11.21,8.9,9.96,9.19,10.92,19.26,,45\n",
        header.join("\",\"")
    );
    let report = read(&ctx, "par.csv", text.as_bytes(), FileKind::Csv, Some("par")).unwrap();
    let unit = &year(&report, 2023).units[0];
    assert!(unit.total_derived);
    assert_eq!((unit.rank, unit.rank_published), (Some(45), true));
    let csv = indices_csv(&report);
    assert!(csv.contains("par,2023,89,An Giang,total,,45\n"), "{csv}");
    let again = read(&ctx, "indices.csv", csv.as_bytes(), FileKind::Csv, None).unwrap();
    let unit = &year(&again, 2023).units[0];
    assert_eq!((unit.rank, unit.rank_published), (Some(45), true));
    assert_eq!(indices_csv(&again), csv);
}

#[test]
fn indices_csv_checks_codes_repeats_and_numbers() {
    let ctx = context();
    // Hand-computed: values 40, 39, … so the ranks are the order; a province with an empty
    // value has no result; ties on 2 decimals share a rank.
    let mut csv = full_year("papi", 2016, |i| match i {
        0 => Some(50.004),
        1 => Some(49.996),
        5 => None,
        i => Some(40.0 - i as f64 / 10.0),
    });
    csv.push_str("papi,2016,99,Không có,total,30,\n");
    csv.push_str("papi,2016,01,Hà Nội,total,12,\n");
    csv.push_str("papi,2016,01,Hà Nội,9.9,1,\n");
    let report = read(&ctx, "indices.csv", csv.as_bytes(), FileKind::Csv, None).unwrap();
    let y = year(&report, 2016);
    assert!(y.complete);
    assert_eq!(y.units.len(), 63);
    let hanoi = unit(y, "01");
    let ha_giang = unit(y, "02");
    assert_eq!((hanoi.rank, ha_giang.rank), (Some(1), Some(1)));
    assert_eq!(y.units[2].rank, Some(3));
    assert!(
        y.skipped
            .iter()
            .any(|s| s.kind == SkipKind::NoResult && s.row == 7)
    );
    let kinds: Vec<&WarningKind> = report.warnings.iter().map(|w| &w.kind).collect();
    assert!(kinds.contains(&&WarningKind::NotAProvince {
        unit_code: "99".into(),
        year: 2016
    }));
    assert!(kinds.iter().any(|k| matches!(k, WarningKind::Repeated { unit_code, first_row: 2, measure: Some(m) } if unit_code == "01" && m == "total")));
    assert!(kinds.contains(&&WarningKind::UnknownMeasure {
        measure: "9.9".into()
    }));
    let repeated = report
        .warnings
        .iter()
        .find(|w| matches!(w.kind, WarningKind::Repeated { .. }))
        .unwrap();
    assert_eq!(
        (repeated.row, repeated.column.as_deref()),
        (Some(66), Some("measure"))
    );

    // A value that is not a number stops the read, naming its row and column.
    let bad = "index,year,unit_code,unit_name,measure,value,rank\npapi,2016,01,Hà Nội,total,cao,\n";
    let error = read(&ctx, "bad.csv", bad.as_bytes(), FileKind::Csv, None).unwrap_err();
    assert_eq!(error.row, Some(2));
    assert_eq!(
        indices_problem(&error),
        &IndicesProblem::NotANumber {
            column: "value".into(),
            text: "cao".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "bad.csv row 2: column value: 'cao' is not a number"
    );
    // A year whose units all lack a result has no unit.
    let empty = full_year("papi", 2016, |_| None);
    let error = read(&ctx, "empty.csv", empty.as_bytes(), FileKind::Csv, None).unwrap_err();
    assert_eq!(
        indices_problem(&error),
        &IndicesProblem::NoUnit { year: 2016 }
    );
    // A one-digit code is read with its zero.
    let padded =
        "index,year,unit_code,unit_name,measure,value,rank\npapi,2016,1,Hà Nội,total,40,\n";
    let report = read(&ctx, "p.csv", padded.as_bytes(), FileKind::Csv, None).unwrap();
    assert_eq!(report.years[0].units[0].unit_code, "01");
}

#[test]
fn an_index_without_a_bundled_structure_is_read_from_its_measures() {
    let ctx = context();
    let csv = "index,year,unit_code,unit_name,measure,value,rank\n\
               xyz,2021,01,Hà Nội,total,7,\nxyz,2021,01,Hà Nội,a,3,\nxyz,2021,01,Hà Nội,a.1,3,\n";
    let report = read(&ctx, "x.csv", csv.as_bytes(), FileKind::Csv, None).unwrap();
    let hanoi = &report.years[0].units[0];
    assert_eq!(hanoi.dimensions[0].code, "a");
    assert_eq!(hanoi.dimensions[0].sub_dimensions[0].code, "a.1");
}

#[test]
fn what_is_no_layout_and_what_is_not_a_number_fail() {
    let ctx = context();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("2016").unwrap();
    sheet.write_string(0, 0, "Danh sách").unwrap();
    sheet.write_string(1, 0, "Hà Nội").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let error = read(&ctx, "x.xlsx", &bytes, FileKind::Xlsx, Some("papi")).unwrap_err();
    assert_eq!(indices_problem(&error), &IndicesProblem::NoLayout);
    let error = read(&ctx, "x.xlsx", &bytes, FileKind::Xlsx, None).unwrap_err();
    assert!(matches!(
        indices_problem(&error),
        IndicesProblem::IndexNeeded { .. }
    ));
    let error = read(&ctx, "x.xlsx", &bytes, FileKind::Xlsx, Some("nope")).unwrap_err();
    assert!(matches!(
        indices_problem(&error),
        IndicesProblem::UnknownIndex { .. }
    ));

    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("PAPI 2016").unwrap();
    for (c, h) in [
        "ID",
        "Province",
        "Civic Knowledge",
        "Poverty Lists",
        "Total",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 1.0).unwrap();
    sheet.write_string(1, 1, "Ha Noi").unwrap();
    sheet.write_string(1, 2, "cao").unwrap();
    sheet.write_number(1, 4, 33.0).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let error = read(&ctx, "x.xlsx", &bytes, FileKind::Xlsx, Some("papi")).unwrap_err();
    assert_eq!(error.file, "PAPI 2016");
    assert_eq!(error.row, Some(2));
    assert_eq!(
        indices_problem(&error),
        &IndicesProblem::NotANumber {
            column: "C".into(),
            text: "cao".into()
        }
    );
}

#[test]
fn every_bundled_structure_names_its_items_unambiguously() {
    for structure in chiso_refdata::structures() {
        let keys = chiso_interchange::indices::headers::HeaderKeys::new(&structure);
        assert!(
            keys.ambiguous().is_empty(),
            "{}: {:?}",
            structure.id,
            keys.ambiguous()
        );
    }
}

#[test]
fn moha_sipas_table_with_factor_columns_by_name() {
    let ctx = context();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("SIPAS 2021").unwrap();
    let header = [
        "Mã tỉnh",
        "Tỉnh/thành phố",
        "Chỉ số SIPAS",
        "Yếu tố 1: Tiếp cận dịch vụ",
        "THỦ TỤC HÀNH CHÍNH",
        "Cong chuc",
        "Kết quả",
        "Góp ý, phản ánh, kiến nghị",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let provinces = chiso_refdata::provinces_63();
    for (i, p) in provinces.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &p.code).unwrap();
        sheet
            .write_string(row, 1, p.name.as_deref().unwrap())
            .unwrap();
        let base = 80.0 + i as f64 / 5.0;
        sheet.write_number(row, 2, base).unwrap();
        for f in 0..5 {
            sheet
                .write_number(row, 3 + f, base + f as f64 / 10.0)
                .unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let report = read(&ctx, "sipas.xlsx", &bytes, FileKind::Xlsx, Some("sipas")).unwrap();
    let y = year(&report, 2021);
    assert_eq!(
        (y.structure.as_str(), y.complete, y.units.len()),
        ("sipas-2017", true, 63)
    );
    // The headline is published on its own: no sum is checked, no warning.
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let last = &y.units[0];
    assert_eq!(last.unit_code, provinces[62].code);
    assert_eq!(last.rank, Some(1));
    assert_eq!(last.group, None);
    let factors: Vec<(&str, Option<f64>)> = last
        .dimensions
        .iter()
        .map(|d| (d.code.as_str(), d.value))
        .collect();
    let base = 80.0 + 62.0 / 5.0;
    assert_eq!(
        factors,
        [
            ("1", Some(base)),
            ("2", Some(base + 0.1)),
            ("3", Some(base + 0.2)),
            ("4", Some(base + 0.3)),
            ("5", Some(base + 0.4))
        ]
    );
}
