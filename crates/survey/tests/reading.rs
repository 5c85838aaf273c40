//! Reading responses (docs/formats.md §5): the contract example and its traps, every rejection
//! rule, header problems, BOM and CRLF, .xlsx, demographic and expectations columns, the leader
//! survey's A–E answers, and the leader survey's mapping onto the bundled framework.

use std::path::PathBuf;

use chiso_survey::report::{ReportOptions, build_report};
use chiso_survey::{Tally, bundled, index_from_counts, read_csv, read_xlsx};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/survey")
        .join(name)
}

fn sipas(text: &str) -> Tally {
    let q = bundled("sipas-2017").unwrap();
    read_csv(&q, "responses.csv", text.as_bytes()).unwrap()
}

fn header() -> String {
    let q = bundled("sipas-2017").unwrap();
    let codes: Vec<&str> = q.items.iter().map(|i| i.code.as_str()).collect();
    format!("unit_code,respondent_id,channel,weight,{}", codes.join(","))
}

/// A row with every item answered `value` unless overridden.
fn row(unit: &str, id: &str, weight: &str, value: &str) -> String {
    format!(
        "{unit},{id},online,{weight}{}",
        format!(",{value}").repeat(23)
    )
}

#[test]
fn the_contract_example_matches_expected_json() {
    let q = bundled("sipas-2017").unwrap();
    let file = std::fs::File::open(fixture("responses.csv")).unwrap();
    let tally = read_csv(&q, "responses.csv", file).unwrap();
    let report = build_report(&q, &tally, &ReportOptions::default());
    let actual: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    for (e, a) in expected["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let code = e["unit_code"].as_str().unwrap();
            let a = actual["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["unit_code"] == code)
                .unwrap();
            (e, a)
        })
        .chain([(&expected["all"], &actual["all"])])
    {
        assert_eq!(e["responses"], a["responses"]);
        for key in ["index", "par_points", "overall_satisfied_rate"] {
            assert!((e[key].as_f64().unwrap() - a[key].as_f64().unwrap()).abs() < 0.01);
        }
        for (ef, af) in e["factors"]
            .as_array()
            .unwrap()
            .iter()
            .zip(a["factors"].as_array().unwrap())
        {
            assert_eq!(ef["code"], af["code"]);
            assert!((ef["index"].as_f64().unwrap() - af["index"].as_f64().unwrap()).abs() < 0.01);
        }
        let (ei, ai) = (
            e["items"].as_array().unwrap(),
            a["items"].as_array().unwrap(),
        );
        assert_eq!(ei.len(), ai.len());
        for (x, y) in ei.iter().zip(ai) {
            assert_eq!(x["code"], y["code"]);
            assert_eq!(x["answered"], y["answered"]);
            match x["satisfied_rate"].as_f64() {
                Some(v) => assert!((v - y["satisfied_rate"].as_f64().unwrap()).abs() < 0.01),
                None => assert!(y["satisfied_rate"].is_null()),
            }
        }
    }
    let rows: Vec<u64> = tally.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rows, [10, 17, 25, 32, 40]);
    assert_eq!(tally.rows, 44);
    assert_eq!(tally.accepted(), 39);
}

#[test]
fn the_traps_of_the_example() {
    let q = bundled("sipas-2017").unwrap();
    let file = std::fs::File::open(fixture("responses.csv")).unwrap();
    let tally = read_csv(&q, "responses.csv", file).unwrap();
    let unit = |code: &str| index_from_counts(&q, &tally.unit(&q, code));
    // Row 14 (only `overall`) counts as a response of 44; row 17 (1003 again) does not.
    assert_eq!(unit("44").responses, 14);
    // The first occurrence of 1003 (row 4, c01 = 3) counts: 8 / 12, not 9 / 13.
    let c01 = unit("44").item("c01").unwrap().clone();
    assert_eq!(c01.answered, 12);
    assert!((c01.satisfied_rate.unwrap() - 66.666_666_666_666_67).abs() < 1e-9);
    // Row 39: respondent 1005 in unit 48 as well as 44: both accepted.
    assert_eq!(unit("48").responses, 12);
    // Row 21: the quoted comma is one field, and the channel keeps it.
    assert!(
        tally
            .channels
            .contains(&"bưu điện, thu tại nhà".to_string())
    );
    // Unit 46 weighted: c01 = 10.5 / 15.
    assert!((unit("46").item("c01").unwrap().satisfied_rate.unwrap() - 70.0).abs() < 1e-9);
    // Row 40 rejected whole: 48's c22 is unanswered, null, and F5 is the mean of c19–c21.
    let u48 = unit("48");
    let c22 = u48.item("c22").unwrap();
    assert_eq!((c22.answered, c22.satisfied_rate), (0, None));
    assert!((u48.factors[4].index.unwrap() - 60.0).abs() < 1e-9);
    assert!((u48.par_points.unwrap() - 6.80955).abs() < 1e-4);
    // Row 10 (empty unit_code) counts nowhere, not even in `all`; c22 has 25 answers in all.
    let all = index_from_counts(&q, &tally.all(&q));
    assert_eq!(all.responses, 39);
    assert_eq!(all.item("c22").unwrap().answered, 25);
    assert_eq!(all.item("c01").unwrap().answered, 36);
    assert!((all.item("c01").unwrap().satisfied_rate.unwrap() - 25.5 / 39.0 * 100.0).abs() < 1e-9);
    // Unit 44, F4 = (84.615 + 75 + 53.846) / 3.
    assert!((unit("44").factors[3].index.unwrap() - 71.153_846).abs() < 1e-5);
    // A group of units is the merge of their counters.
    let group = index_from_counts(&q, &tally.group_of_units(&q, &["44", "46", "48"]));
    assert_eq!(group.index, all.index);
}

#[test]
fn every_rejection_rule_names_its_row() {
    let mut text = header();
    text.push('\n');
    let rows = [
        row("44", "1", "", "4"),                       // 2 ok
        row("44", "2", "", "7"),                       // 3 value 7
        row("44", "3", "", "x"),                       // 4 value x
        row("", "4", "", "4"),                         // 5 empty unit
        row("44", "5", "0", "4"),                      // 6 weight 0
        row("44", "6", "-1", "4"),                     // 7 weight < 0
        row("44", "7", "abc", "4"),                    // 8 weight not a number
        row("44", "8", "\"1,5\"", "4"),                // 9 decimal comma
        "44,9,online".to_string(),                     // 10 short row
        format!("{},extra", row("44", "10", "", "4")), // 11 long row
        row("44", "1", "", "5"),                       // 12 repeated id
        row("46", "1", "", "5"),                       // 13 same id, other unit
        row("44", "2", "", "5"),                       // 14 id of a rejected row: accepted
        row("44", "11", "NaN", "4"),                   // 15 weight NaN
        row("44", "12", "1e400", "4"),                 // 16 weight infinite
    ];
    for r in rows {
        text.push_str(&r);
        text.push('\n');
    }
    let tally = sipas(&text);
    let reasons: Vec<(u64, String)> = tally
        .rejected
        .iter()
        .map(|r| (r.row, r.reason.to_string()))
        .collect();
    let got: Vec<(u64, &str)> = reasons.iter().map(|(r, s)| (*r, s.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "c01: value 7 is not 1-5"),
            (4, "c01: value x is not 1-5"),
            (5, "empty unit_code"),
            (6, "weight: 0 is not > 0"),
            (7, "weight: -1 is not > 0"),
            (8, "weight: 'abc' is not a number"),
            (9, "weight: '1,5' is not a number (use a dot for decimals)"),
            (10, "wrong column count: 3, expected 27"),
            (11, "wrong column count: 28, expected 27"),
            (12, "respondent_id 1 repeated in unit 44 (first at row 2)"),
            (15, "weight: NaN is not > 0"),
            (16, "weight: 1e400 is not > 0"),
        ]
    );
    assert_eq!(tally.accepted(), 3);
}

#[test]
fn bom_crlf_blank_lines_and_spaces_are_accepted() {
    let lf = format!(
        "{}\n{}\n{}\n",
        header(),
        row("44", "1", "1.5", "4"),
        row("44", "2", "", "2")
    );
    let crlf = format!(
        "\u{feff}{}\r\n{}\r\n\r\n,,,\r\n{}",
        header().replace("unit_code", " Unit_Code "),
        row("44", "1", " 1.5 ", " 4"),
        row(" 44 ", "2", "", "2 ")
    );
    let (a, b) = (sipas(&lf), sipas(&crlf));
    assert!(b.rejected.is_empty(), "{:?}", b.rejected);
    let q = bundled("sipas-2017").unwrap();
    assert_eq!(
        index_from_counts(&q, &a.all(&q)),
        index_from_counts(&q, &b.all(&q))
    );
    assert_eq!(b.units, ["44"]);
    // Blank lines are skipped but counted, as a spreadsheet numbers rows.
    let late = format!("{}\r\n\r\n{}\r\n", header(), row("44", "1", "", "9"));
    assert_eq!(sipas(&late).rejected[0].row, 3);
}

#[test]
fn header_problems_stop_the_read() {
    let q = bundled("sipas-2017").unwrap();
    let missing = header().replace(",c05", "");
    let error = read_csv(&q, "r.csv", missing.as_bytes()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("r.csv: missing column 'c05' in the header row")
    );
    let twice = format!("{},c01", header());
    let error = read_csv(&q, "r.csv", twice.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("column 'c01' appears twice"));
    let error = read_csv(&q, "r.csv", &b""[..]).unwrap_err();
    assert_eq!(error.to_string(), "r.csv: is empty: no header row");
    // No weight or channel column: weights are 1; an unknown column is ignored with a warning.
    let text = "unit_code,respondent_id,note,".to_string()
        + &q.items
            .iter()
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>()
            .join(",")
        + "\n01,a,hello"
        + &",5".repeat(23)
        + "\n";
    let tally = read_csv(&q, "r.csv", text.as_bytes()).unwrap();
    assert_eq!(tally.accepted(), 1);
    assert_eq!(
        tally.warnings,
        ["column 'note' is not a question of sipas-2017: ignored"]
    );
}

#[test]
fn demographics_expectations_and_comments() {
    let q = bundled("sipas-2017").unwrap();
    let text = format!(
        "{},sex,expectations\n{},nam,thai-do;thoi-gian\n{},NU,thai-do\n{},,\n{},x,\n{},,thai-do;phi;thu-tuc;gop-y\n{},,bad\n",
        header(),
        row("01", "1", "", "4"),
        row("01", "2", "", "4"),
        row("01", "3", "", "4"),
        row("01", "4", "", "4"),
        row("01", "5", "", "4"),
        row("01", "6", "", "4"),
    );
    let tally = read_csv(&q, "r.csv", text.as_bytes()).unwrap();
    let reasons: Vec<(u64, String)> = tally
        .rejected
        .iter()
        .map(|r| (r.row, r.reason.to_string()))
        .collect();
    assert_eq!(reasons[0].0, 5);
    assert!(reasons[0].1.starts_with("sex: 'x' is not one of nam, nu"));
    assert_eq!(
        reasons[1],
        (6, "expectations: 4 areas chosen, at most 3".to_string())
    );
    assert!(
        reasons[2]
            .1
            .starts_with("expectations: 'bad' is not one of")
    );
    let result = index_from_counts(&q, &tally.all(&q));
    // Two of the two respondents who answered chose staff attitude: 100 %; time: 50 %.
    assert_eq!(result.expectations[0].code, "thai-do");
    assert!((result.expectations[0].share - 100.0).abs() < 1e-9);
    assert_eq!(result.expectations[1].code, "thoi-gian");
    assert!((result.expectations[1].share - 50.0).abs() < 1e-9);
    let sex = &result.demographics[0];
    assert_eq!((sex.options[0].count, sex.options[1].count), (1, 1));
}

#[test]
fn xlsx_responses_read_like_csv() {
    let q = bundled("sipas-2017").unwrap();
    let csv_text = std::fs::read_to_string(fixture("responses.csv")).unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    for (r, record) in reader.records().enumerate() {
        for (c, cell) in record.unwrap().iter().enumerate() {
            // Numbers as numbers, as Excel stores typed answers; codes as text.
            match cell.parse::<f64>() {
                Ok(v) if c >= 3 => sheet.write_number(r as u32, c as u16, v).map(|_| ()),
                _ if cell.is_empty() => Ok(()),
                _ => sheet.write_string(r as u32, c as u16, cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let from_xlsx = read_xlsx(&q, "responses.xlsx", &bytes).unwrap();
    let from_csv = read_csv(&q, "responses.csv", csv_text.as_bytes()).unwrap();
    // Row 32 is short in the CSV (rejected there); in a sheet a missing last cell is just
    // empty, so the row is accepted and unit 46 has one response more.
    for (code, counts) in from_csv.units(&q).into_iter().filter(|(c, _)| c != "46") {
        assert_eq!(
            index_from_counts(&q, &counts),
            index_from_counts(&q, &from_xlsx.unit(&q, &code)),
            "unit {code}"
        );
    }
    assert_eq!(from_xlsx.unit(&q, "46").responses.n, 14);
    let rows: Vec<u64> = from_xlsx.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rows, [10, 17, 25, 40]);
    assert!(read_xlsx(&q, "x.xlsx", b"not a zip").is_err());
}

#[test]
fn leader_survey_answers_a_to_e() {
    let q = bundled("leader-2020").unwrap();
    let codes: Vec<&str> = q.items.iter().map(|i| i.code.as_str()).collect();
    let half = q
        .items
        .iter()
        .position(|i| i.max_points == Some(0.5))
        .unwrap();
    let mut text = format!(
        "unit_code,respondent_id,channel,weight,{}\n",
        codes.join(",")
    );
    // docs/method.md §4: 6 A, 3 B, 1 C, 2 E on the 0.5-point item → 80 % → 0.40 points.
    let answers = ["A", "A", "A", "A", "A", "A", "B", "B", "b", "C", "E", "e"];
    for (i, answer) in answers.iter().enumerate() {
        let mut cells = vec![""; codes.len()];
        cells[half] = answer;
        text.push_str(&format!("46,{i},paper,,{}\n", cells.join(",")));
    }
    text.push_str(&format!(
        "46,99,paper,,{}\n",
        vec!["F"; codes.len()].join(",")
    ));
    let tally = read_csv(&q, "leaders.csv", text.as_bytes()).unwrap();
    assert_eq!(tally.rejected.len(), 1);
    assert!(
        tally.rejected[0]
            .reason
            .to_string()
            .ends_with("value F is not A, B, C, D, E")
    );
    let result = index_from_counts(&q, &tally.unit(&q, "46"));
    let item = result.item(codes[half]).unwrap();
    assert_eq!((item.answered, item.excluded), (10, 2));
    assert!((item.points.unwrap() - 0.40).abs() < 1e-9);
    assert!((result.par_points.unwrap() - 0.40).abs() < 1e-9);
}

#[test]
fn leader_items_map_onto_the_frameworks_leader_leaves() {
    let framework = chiso_refdata::framework("par-province-2020").unwrap();
    let leaves: Vec<(String, f64, Option<String>)> = framework
        .leaves()
        .iter()
        .map(|&id| framework.node(id))
        .filter(|n| n.method == chiso_domain::framework::Method::Survey)
        .map(|n| {
            (
                n.code.clone(),
                n.max_points.to_f64(),
                n.rule
                    .as_ref()
                    .and_then(|r| r.input_name())
                    .map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        bundled("leader-2020").unwrap().check_leaves(&leaves),
        Vec::<String>::new()
    );
    assert_eq!(
        bundled("sipas-2017").unwrap().check_leaves(&leaves),
        Vec::<String>::new()
    );
    // A mapping that misses a leaf or changes a maximum is caught.
    let mut wrong = leaves.clone();
    wrong.push(("9.9".to_string(), 1.0, Some("leaders".to_string())));
    let problems = bundled("leader-2020").unwrap().check_leaves(&wrong);
    assert_eq!(problems, ["survey leaf 9.9 is fed by no item"]);
}

mod limits {
    use super::*;
    use chiso_interchange::hostile;
    use chiso_interchange::sheet::{MAX_COLUMNS, MAX_HEADER_BYTES, SheetError};
    use chiso_survey::reader::{MAX_GROUPS, MAX_UNITS};

    fn sipas_error(bytes: &[u8]) -> chiso_survey::ReadError {
        let q = bundled("sipas-2017").unwrap();
        read_csv(&q, "responses.csv", bytes).unwrap_err()
    }

    #[test]
    fn a_150k_column_header_is_refused_well_under_a_second() {
        let started = std::time::Instant::now();
        let header: Vec<String> = header().split(',').map(String::from).collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let error = sipas_error(&hostile::wide_header_csv(&header, 150_000));
        assert_eq!(
            error.cause,
            Some(SheetError::HeaderTooLong {
                limit: MAX_HEADER_BYTES
            })
        );
        assert!(
            started.elapsed().as_millis() < 1000,
            "{:?}",
            started.elapsed()
        );
        // Within the bytes but beyond the columns.
        let columns = vec!["x"; MAX_COLUMNS + 1].join(",");
        assert_eq!(
            sipas_error(format!("{}\n", columns).as_bytes()).cause,
            Some(SheetError::TooManyColumns {
                row: 1,
                limit: MAX_COLUMNS
            })
        );
    }

    #[test]
    fn columns_given_twice_are_found_in_linear_time_and_named_once() {
        let many = vec!["dup"; MAX_COLUMNS - 30].join(",");
        let text = format!("{},{many}\n", header());
        let started = std::time::Instant::now();
        let error = sipas_error(text.as_bytes());
        assert!(started.elapsed().as_millis() < 1000);
        assert_eq!(
            error.message.matches("column 'dup' appears twice").count(),
            1,
            "{}",
            error.message
        );
    }

    #[test]
    fn distinct_units_and_unit_channel_pairs_are_capped_naming_the_row() {
        let items = bundled("sipas-2017").unwrap();
        let codes: Vec<&str> = items.items.iter().map(|i| i.code.as_str()).collect();
        let bytes = hostile::many_units_responses_csv(&codes, MAX_UNITS + 5);
        let error = sipas_error(&bytes);
        assert_eq!(error.row, Some(MAX_UNITS as u64 + 2));
        assert!(
            error.message.contains("limit of 10,000 distinct units"),
            "{}",
            error.message
        );
        let mut text = header();
        for c in 0..=MAX_GROUPS {
            text.push('\n');
            text.push_str(&row("01", &format!("r{c}"), "1", "5").replacen(
                "online",
                &format!("k{c}"),
                1,
            ));
        }
        let error = sipas_error(text.as_bytes());
        assert_eq!(error.row, Some(MAX_GROUPS as u64 + 2));
        assert!(
            error
                .message
                .contains("limit of 20,000 distinct (unit, channel, service) groups"),
            "{}",
            error.message
        );
    }

    #[test]
    fn weights_out_of_range_are_rejected_and_sums_stay_finite() {
        let text = [
            header(),
            row("01", "1", "1e308", "5"),
            row("01", "2", "1e308", "5"),
            row("01", "3", "1e-9", "5"),
            row("01", "4", "1000000", "5"),
            row("01", "5", "0.000001", "4"),
        ]
        .join("\n");
        let tally = sipas(&text);
        let owned: Vec<(u64, String)> = tally
            .rejected
            .iter()
            .map(|r| (r.row, r.reason.to_string()))
            .collect();
        let reasons: Vec<(u64, &str)> = owned.iter().map(|(r, s)| (*r, s.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (
                    2,
                    "weight: 1e308 is above the largest weight allowed, 1000000"
                ),
                (
                    3,
                    "weight: 1e308 is above the largest weight allowed, 1000000"
                ),
                (
                    4,
                    "weight: 1e-9 is below the smallest weight allowed, 0.000001"
                ),
            ]
        );
        let q = bundled("sipas-2017").unwrap();
        let result = index_from_counts(&q, &tally.unit(&q, "01"));
        assert!(
            result.index.is_some_and(f64::is_finite),
            "{:?}",
            result.index
        );
    }

    #[test]
    fn the_dense_range_workbook_is_read_in_constant_memory_and_refused() {
        let header: Vec<String> = header().split(',').map(String::from).collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let q = bundled("sipas-2017").unwrap();
        let error = read_xlsx(&q, "d.xlsx", &hostile::dense_range_xlsx(&header)).unwrap_err();
        assert_eq!(error.row, Some(1_048_576));
        assert_eq!(
            error.cause,
            Some(SheetError::TooManyColumns {
                row: 1_048_576,
                limit: MAX_COLUMNS
            })
        );
    }
}

/// One dossier number typed three ways is one respondent, as the server counts it.
#[test]
fn respondent_ids_compare_in_their_normal_form() {
    let mut text = header();
    for id in [
        "HS-2026-000123",
        "hs-2026-000123",
        "ＨＳ－２０２６－０００１２３",
        "HS-2026-000124",
    ] {
        text.push('\n');
        text.push_str(&row("44", id, "", "5"));
    }
    text.push('\n');
    let tally = sipas(&text);
    let rows: Vec<u64> = tally.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rows, [3, 4], "{:?}", tally.rejected);
    assert_eq!(tally.accepted(), 2);
}

/// A cell that is not UTF-8 text is refused by its field, however often a valid one like it
/// came before (channels outside ASCII are checked once each, docs/formats.md §5), and weights
/// written as plain decimals count exactly.
#[test]
fn cells_that_are_not_text_are_refused_by_field() {
    let channel = "bưu điện".as_bytes();
    // The same length as the channel, one byte changed to one that is never UTF-8.
    let mut broken = channel.to_vec();
    *broken.last_mut().unwrap() = 0xff;
    let answers = ",4".repeat(23);
    let mut text = header().into_bytes();
    let mut line = |unit: &[u8], id: &[u8], channel: &[u8], weight: &str| {
        text.push(b'\n');
        for (i, part) in [unit, id, channel, weight.as_bytes()].iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            text.extend_from_slice(part);
        }
        text.extend_from_slice(answers.as_bytes());
    };
    line(b"44", b"1", channel, ""); // 2 ok
    line(b"44", b"2", channel, "0.75"); // 3 ok, the channel already checked
    line(b"44", b"3", &broken, ""); // 4 channel not text
    line(b"44", b"4", &broken, ""); // 5 again
    line(b"4\xff", b"5", b"online", ""); // 6 unit not text
    line(b"44", b"R\xff", b"online", ""); // 7 respondent not text
    line(b"44", b"8", b"online", "1.5"); // 8 ok
    let q = bundled("sipas-2017").unwrap();
    let tally = read_csv(&q, "r.csv", &text[..]).unwrap();
    let reasons: Vec<(u64, String)> = tally
        .rejected
        .iter()
        .map(|r| (r.row, r.reason.to_string()))
        .collect();
    assert_eq!(
        reasons,
        [
            (4, "channel is not UTF-8 text".to_string()),
            (5, "channel is not UTF-8 text".to_string()),
            (6, "unit_code is not UTF-8 text".to_string()),
            (7, "respondent_id is not UTF-8 text".to_string()),
        ]
    );
    assert_eq!(tally.channels, ["bưu điện", "online"]);
    let all = tally.all(&q);
    assert_eq!(all.responses.n, 3);
    assert_eq!(all.responses.weight_sum, 1.0 + 0.75 + 1.5);
    assert_eq!(all.responses.weight_sq_sum, 1.0 + 0.5625 + 2.25);
}
