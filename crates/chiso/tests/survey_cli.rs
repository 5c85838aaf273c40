//! `chiso survey` as a user runs it (docs/formats.md §5–§6): the contract example against its
//! expected.json, each trap, every output format, strict mode, bad input, the leader survey,
//! channels, groups, sample targets and changes against a previous result.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/survey")
}

fn chiso(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("chiso runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chiso-survey-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const INDEX: [&str; 7] = [
    "survey",
    "index",
    "--questionnaire",
    "sipas-2017",
    "--responses",
    "responses.csv",
    "--format",
];

fn json(args: &[&str], dir: &Path) -> Value {
    let output = chiso(args, dir);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn index_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = INDEX.to_vec();
    args.push("json");
    args.extend_from_slice(extra);
    json(&args, dir)
}

/// Compares as examples/README.md says: numbers within `tolerance`, integers, strings and
/// null exactly, extra fields allowed; survey `units` matched by unit_code; `ci95` and the
/// wording of a rejection reason not compared.
fn assert_matches(expected: &Value, actual: &Value, tolerance: f64, path: &str) {
    const INTEGERS: [&str; 3] = ["responses", "answered", "row"];
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                if key == "ci95" || key == "reason" {
                    continue;
                }
                let actual = a
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}.{key} is missing"));
                assert_matches(value, actual, tolerance, &format!("{path}.{key}"));
            }
        }
        (Value::Array(e), Value::Array(a)) if path.ends_with(".units") => {
            assert_eq!(e.len(), a.len(), "{path}: length");
            for unit in e {
                let code = &unit["unit_code"];
                let found = a
                    .iter()
                    .find(|u| &u["unit_code"] == code)
                    .unwrap_or_else(|| panic!("{path}: unit {code} is missing"));
                assert_matches(unit, found, tolerance, &format!("{path}[{code}]"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: length");
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                assert_matches(e, a, tolerance, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let last = path.rsplit('.').next().unwrap_or("");
            if INTEGERS.contains(&last) {
                assert_eq!(e.as_u64(), a.as_u64(), "{path}");
            } else {
                let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
                assert!((e - a).abs() <= tolerance, "{path}: expected {e}, got {a}");
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

fn unit<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == code)
        .unwrap_or_else(|| panic!("unit {code}"))
}

fn item<'a>(scope: &'a Value, code: &str) -> &'a Value {
    scope["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("item {code}"))
}

#[test]
fn the_contract_example_gives_the_expected_json() {
    let actual = index_json(&fixtures(), &[]);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    assert_matches(&expected, &actual, 0.01, "");
    // Every factor and the index carry a 95 % interval around their value, within [0, 100].
    for scope in actual["units"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&actual["all"]])
    {
        let intervals = scope["factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (&f["index"], &f["ci95"]))
            .chain([(&scope["index"], &scope["ci95"])]);
        for (value, ci) in intervals {
            let (v, low, high) = (
                value.as_f64().unwrap(),
                ci[0].as_f64().unwrap(),
                ci[1].as_f64().unwrap(),
            );
            assert!((0.0..=v).contains(&low) && (v..=100.0).contains(&high));
        }
    }
}

#[test]
fn each_trap_of_the_example() {
    let report = index_json(&fixtures(), &["--by", "channel"]);
    let rows: Vec<u64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [10, 17, 25, 32, 40]);
    // Row 10 (empty unit_code) counts nowhere, not even in `all`.
    assert_eq!(report["all"]["responses"], 39);
    assert_eq!(report["units"].as_array().unwrap().len(), 3);
    // Row 14 answered only `overall`: a response of 44 all the same.
    assert_eq!(unit(&report, "44")["responses"], 14);
    // Row 17 repeats 1003: the first occurrence (row 4) counts, 8 / 12.
    let c01 = item(unit(&report, "44"), "c01");
    assert_eq!(c01["answered"], 12);
    assert!((c01["satisfied_rate"].as_f64().unwrap() - 66.67).abs() < 0.01);
    // Row 39: 1005 in unit 48 as well as in 44, both accepted.
    assert_eq!(unit(&report, "48")["responses"], 12);
    // Row 21: a quoted comma in the channel; the row is valid and its channel whole.
    let channels: Vec<&str> = report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    assert!(channels.contains(&"bưu điện, thu tại nhà"), "{channels:?}");
    let responses: u64 = report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["responses"].as_u64().unwrap())
        .sum();
    assert_eq!(responses, 39);
    // Row 40 (c05 = 6) is rejected whole: unit 48 never answers c22, F5 = mean of c19–c21.
    let u48 = unit(&report, "48");
    assert!(item(u48, "c22")["satisfied_rate"].is_null());
    assert_eq!(item(u48, "c22")["answered"], 0);
    assert!((u48["factors"][4]["index"].as_f64().unwrap() - 60.0).abs() < 1e-9);
    assert!((u48["par_points"].as_f64().unwrap() - 6.81).abs() < 0.01);
    assert_eq!(item(&report["all"], "c22")["answered"], 25);
    // Unit 46 is weighted: c01 = 10.5 / 15 = 70 %, while `answered` counts answers.
    let c01 = item(unit(&report, "46"), "c01");
    assert_eq!(c01["answered"], 12);
    assert!((c01["satisfied_rate"].as_f64().unwrap() - 70.0).abs() < 1e-9);
    // `all` c01: 25.5 / 39.
    let c01 = item(&report["all"], "c01");
    assert!((c01["satisfied_rate"].as_f64().unwrap() - 65.38).abs() < 0.01);

    // The rejected rows are on standard error too, with their row numbers.
    let output = chiso(&INDEX[..6], &fixtures());
    assert!(output.status.success());
    let err = stderr(&output);
    for row in rows {
        assert!(err.contains(&format!("responses.csv row {row}: ")), "{err}");
    }
}

#[test]
fn strict_mode_turns_a_rejection_into_an_error() {
    let dir = scratch("strict");
    let mut args = INDEX.to_vec();
    let responses = fixtures().join("responses.csv");
    let responses = responses.to_str().unwrap();
    args[5] = responses;
    args.extend_from_slice(&["json", "--strict", "--output", "out.json"]);
    let output = chiso(&args, &dir);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("responses.csv row 40: c05: value 6 is not 1-5"),
        "{err}"
    );
    assert!(err.contains("5 problem(s) found; nothing was computed or written."));
    assert!(!dir.join("out.json").exists());
    // A clean file passes in strict mode.
    let clean: String = std::fs::read_to_string(responses)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(i, _)| ![9, 16, 24, 31, 39].contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("clean.csv"), clean).unwrap();
    args[5] = "clean.csv";
    let output = chiso(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(report["all"]["responses"], 39);
    assert_eq!(report["rejected"], serde_json::json!([]));
}

#[test]
fn bom_and_crlf_give_the_same_result() {
    let dir = scratch("crlf");
    let text = std::fs::read_to_string(fixtures().join("responses.csv")).unwrap();
    std::fs::write(
        dir.join("responses.csv"),
        format!("\u{feff}{}", text.replace('\n', "\r\n")),
    )
    .unwrap();
    let mut args = INDEX.to_vec();
    args.push("json");
    let original = chiso(&args, &fixtures());
    let converted = chiso(&args, &dir);
    assert!(converted.status.success(), "{}", stderr(&converted));
    assert_eq!(stdout(&converted), stdout(&original));
}

fn bad_input(name: &str, text: &str, args: &[&str]) -> Output {
    let dir = scratch(name);
    std::fs::write(dir.join("responses.csv"), text).unwrap();
    let mut all = INDEX.to_vec();
    all.push("json");
    all.extend_from_slice(args);
    chiso(&all, &dir)
}

fn header() -> String {
    let codes: Vec<String> = (1..=22)
        .map(|i| format!("c{i:02}"))
        .chain(["overall".to_string()])
        .collect();
    format!(
        "unit_code,respondent_id,channel,weight,{}\n",
        codes.join(",")
    )
}

#[test]
fn each_rejection_rule_through_the_command() {
    let answers = |v: &str| format!(",{v}").repeat(23);
    let text = format!(
        "{}01,a,online,{}\n01,b,online,{}\n,c,online,{}\n01,d,online,0{}\n01,e,online,x{}\n01,f,online\n01,a,paper,{}\n",
        header(),
        answers("5"),
        answers("7"),
        answers("5"),
        answers("5"),
        answers("5"),
        answers("4"),
    );
    let output = bad_input("rules", &text, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let rejected: Vec<(u64, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (3, "c01: value 7 is not 1-5"),
        (4, "empty unit_code"),
        (5, "weight: 0 is not > 0"),
        (6, "weight: 'x' is not a number"),
        (7, "wrong column count: 3, expected 27"),
        (8, "respondent_id a repeated in unit 01 (first at row 2)"),
    ];
    assert_eq!(rejected, expected.map(|(r, s)| (r, s.to_string())).to_vec());
    assert_eq!(report["all"]["responses"], 1);
    assert_eq!(report["units"][0]["index"], 100.0);
}

#[test]
fn a_wrong_questionnaire_or_a_missing_column_is_an_error() {
    let dir = scratch("wrong-id");
    std::fs::write(dir.join("responses.csv"), header()).unwrap();
    let output = chiso(
        &[
            "survey",
            "index",
            "--questionnaire",
            "sipas-2099",
            "--responses",
            "responses.csv",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("sipas-2099: no such file, nor a bundled questionnaire (sipas-2017, leader-2020, kiosk-2025)"),
        "{err}"
    );

    let output = bad_input("missing", &header().replace(",c05", ""), &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("responses.csv: missing column 'c05' in the header row"),
        "{err}"
    );
    assert!(stdout(&output).is_empty());

    let output = bad_input("no-file", "", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("responses.csv: is empty: no header row"));

    // A questionnaire file with problems names them.
    let dir = scratch("bad-toml");
    std::fs::write(
        dir.join("q.toml"),
        "id = \"x\"\ntitle = \"x\"\nversion = 1\n[scale]\nanswers = []\n",
    )
    .unwrap();
    std::fs::write(dir.join("responses.csv"), header()).unwrap();
    let output = chiso(
        &[
            "survey",
            "index",
            "--questionnaire",
            "q.toml",
            "--responses",
            "responses.csv",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("q.toml: there is no item"), "{err}");
}

#[test]
fn csv_table_and_xlsx_outputs() {
    let mut args = INDEX.to_vec();
    args.push("csv");
    let output = chiso(&args, &fixtures());
    assert!(output.status.success());
    let csv = stdout(&output);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("scope,code,responses,weight,index,ci95_low,ci95_high,par_points")
    );
    assert_eq!(lines.len(), 5);
    assert!(lines[1].starts_with("unit,44,14,14,69.412"));
    assert!(lines[4].starts_with("all,all,39,"));

    args.pop();
    args.push("table");
    let table = stdout(&chiso(&args, &fixtures()));
    assert!(table.contains("Số phiếu"));
    assert!(table.contains("69,41"), "{table}");
    assert!(table.contains("Toàn bộ"));
    assert!(table.contains("dòng 40: c05: value 6 is not 1-5"));

    let dir = scratch("xlsx");
    let mut args = INDEX.to_vec();
    let responses = fixtures().join("responses.csv");
    args[5] = responses.to_str().unwrap();
    args.extend_from_slice(&["xlsx", "--by", "channel", "--output", "ket-qua.xlsx"]);
    let output = chiso(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!dir.join(".ket-qua.xlsx.partial").exists());
    use calamine::{Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(dir.join("ket-qua.xlsx")).unwrap();
    let sheets = workbook.sheet_names();
    for name in [
        "Thông tin",
        "Đơn vị",
        "Tiêu chí",
        "Số trả lời",
        "Kênh",
        "Đơn vị theo kênh",
        "Dòng bị loại",
    ] {
        assert!(sheets.contains(&name.to_string()), "{sheets:?}");
    }
    let units = workbook.worksheet_range("Đơn vị").unwrap();
    // Two header rows (the factors sit under "Chỉ số theo yếu tố (%)"), then the units.
    assert_eq!(
        units.get_value((2, 0)),
        Some(&calamine::Data::String("44".into()))
    );
    // Code, name (empty: the command knows no names), responses, then the index.
    let index = match units.get_value((2, 3)) {
        Some(calamine::Data::Float(v)) => *v,
        other => panic!("index cell: {other:?}"),
    };
    assert!((index - 69.412).abs() < 0.001);
    // xlsx on a terminal-less stdout is allowed; json to a file is written whole.
    let output = chiso(
        &[
            "survey",
            "index",
            "--questionnaire",
            "sipas-2017",
            "--responses",
            args[5],
            "--format",
            "json",
            "--output",
            "out.json",
        ],
        &dir,
    );
    assert!(output.status.success());
    assert!(stdout(&output).is_empty());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(report["questionnaire"], "sipas-2017");
}

#[test]
fn groups_targets_and_previous_results() {
    let dir = scratch("targets");
    std::fs::write(
        dir.join("units.csv"),
        "unit_code,transactions\n44,1000\n46,10\n48,12\n",
    )
    .unwrap();
    let previous = index_json(&fixtures(), &[]);
    std::fs::write(dir.join("previous.json"), previous.to_string()).unwrap();
    let responses = fixtures().join("responses.csv");
    let mut args = INDEX.to_vec();
    args[5] = responses.to_str().unwrap();
    args.extend_from_slice(&[
        "json",
        "--group",
        "Nhóm A=44,46",
        "--transactions",
        "units.csv",
        "--previous",
        "previous.json",
    ]);
    let output = chiso(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    // 44 has 14 responses for N = 1000 → target 286: below; 46: N = 10 → 10, 13 ≥ 10.
    let sample = &unit(&report, "44")["sample"];
    assert_eq!(sample["target"], 286);
    assert_eq!(sample["below_target"], true);
    assert_eq!(unit(&report, "46")["sample"]["below_target"], false);
    assert!(stderr(&output).contains("unit 44: 14 responses, below the target sample 286"));
    // The group merges the counters of 44 and 46: 27 responses.
    assert_eq!(report["groups"][0]["name"], "Nhóm A");
    assert_eq!(report["groups"][0]["responses"], 27);
    // Against itself, every change is 0; against the average, the average's own values.
    let u44 = unit(&report, "44");
    assert_eq!(u44["previous"]["index_change"], 0.0);
    let mean = report["average"]["index"].as_f64().unwrap();
    let own = u44["index"].as_f64().unwrap();
    assert!((u44["vs_average"]["index_change"].as_f64().unwrap() - (own - mean)).abs() < 1e-9);
    let indices: Vec<f64> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["index"].as_f64().unwrap())
        .collect();
    assert!((mean - indices.iter().sum::<f64>() / 3.0).abs() < 1e-9);
}

#[test]
fn the_leader_survey_gives_points_per_leaf() {
    let dir = scratch("leaders");
    let output = chiso(&["survey", "show", "leader-2020"], &dir);
    assert!(output.status.success());
    let shown = stdout(&output);
    assert!(shown.contains("[0,50 điểm → 5.2.3]"), "{shown}");
    // ld16 asks how often, with its own answer labels; the 2020 survey asked districts.
    assert!(
        shown.contains("A Không có / B Hiếm khi / C Thỉnh thoảng / D Thường xuyên"),
        "{shown}"
    );
    assert!(shown.contains("Cấp huyện"), "{shown}");
    assert!(!shown.contains("Cấp xã"), "{shown}");
    let codes: Vec<String> = (1..=25).map(|i| format!("ld{i:02}")).collect();
    let mut text = format!(
        "unit_code,respondent_id,channel,weight,{}\n",
        codes.join(",")
    );
    // ld13 is the 0.5-point leaf 5.2.3: 6 A, 3 B, 1 C, 2 E → 80 % → 0.40 points.
    for (i, answer) in ["A", "A", "A", "A", "A", "A", "B", "B", "B", "C", "E", "E"]
        .iter()
        .enumerate()
    {
        let mut cells = vec![""; 25];
        cells[12] = answer;
        text.push_str(&format!("46,{i},paper,,{}\n", cells.join(",")));
    }
    std::fs::write(dir.join("leaders.csv"), text).unwrap();
    let report = json(
        &[
            "survey",
            "index",
            "--questionnaire",
            "leader-2020",
            "--responses",
            "leaders.csv",
            "--format",
            "json",
        ],
        &dir,
    );
    let u = unit(&report, "46");
    let ld13 = item(u, "ld13");
    assert_eq!(ld13["answered"], 10);
    assert_eq!(ld13["excluded"], 2);
    assert!((ld13["points"].as_f64().unwrap() - 0.40).abs() < 1e-9);
    let leaf = u["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["leaf"] == "5.2.3")
        .unwrap();
    assert!((leaf["points"].as_f64().unwrap() - 0.40).abs() < 1e-9);
    assert!((u["par_points"].as_f64().unwrap() - 0.40).abs() < 1e-9);
}

#[test]
fn list_sample_size_and_generate() {
    let dir = scratch("generate");
    let list = stdout(&chiso(&["survey", "list"], &dir));
    for id in ["sipas-2017", "leader-2020", "kiosk-2025"] {
        assert!(list.contains(id));
    }
    assert_eq!(
        stdout(&chiso(
            &["survey", "sample-size", "--transactions", "1000"],
            &dir
        )),
        "286\n"
    );
    assert_eq!(
        stdout(&chiso(
            &[
                "survey",
                "sample-size",
                "--transactions",
                "10000",
                "--error",
                "0.05"
            ],
            &dir
        )),
        "385\n"
    );
    let output = chiso(
        &[
            "survey",
            "sample-size",
            "--transactions",
            "10",
            "--error",
            "2",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(2));

    let generate = |name: &str| {
        let output = chiso(
            &[
                "survey", "generate", "--rows", "2000", "--units", "5", "--seed", "7", "--output",
                name,
            ],
            &dir,
        );
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read(dir.join(name)).unwrap()
    };
    let (a, b) = (generate("a.csv"), generate("b.csv"));
    assert_eq!(a, b, "the same seed writes the same file");
    let report = json(
        &[
            "survey",
            "index",
            "--questionnaire",
            "sipas-2017",
            "--responses",
            "a.csv",
            "--format",
            "json",
            "--strict",
        ],
        &dir,
    );
    assert_eq!(report["all"]["responses"], 2000);
    assert_eq!(report["units"].as_array().unwrap().len(), 5);
}

/// `--by service` (docs/formats.md §8.10): the `service` column is read like the server's
/// import reads it, and each service gets its own result over all units and per unit.
#[test]
fn by_service_reports_each_service_of_the_service_column() {
    let dir = fixtures();
    let report = json(
        &[
            "survey",
            "index",
            "--questionnaire",
            "sipas-2017",
            "--responses",
            "responses-services.csv",
            "--format",
            "json",
            "--by",
            "service",
        ],
        &dir,
    );
    // Row 7 answers 9: rejected as the server's import would, naming the item.
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["row"], 7);
    assert_eq!(rejected[0]["reason"], "c01: value 9 is not 1-5");
    assert!(report.get("warnings").is_none(), "{report}");
    let services: Vec<(&str, u64, Option<f64>)> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["responses"].as_u64().unwrap(),
                s["index"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            ("", 1, Some(100.0)),
            ("DD", 2, Some(0.0)),
            ("HT", 2, Some(100.0))
        ]
    );
    let pairs: Vec<(&str, &str, u64)> = report["unit_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["unit_code"].as_str().unwrap(),
                s["service"].as_str().unwrap(),
                s["responses"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("01", "", 1),
            ("01", "DD", 1),
            ("01", "HT", 2),
            ("02", "DD", 1)
        ]
    );
    // Without --by service the report has no per-service results; the table names them.
    let plain = index_json(&dir, &[]);
    assert!(plain.get("services").is_none());
    let output = chiso(
        &[
            "survey",
            "index",
            "--questionnaire",
            "sipas-2017",
            "--responses",
            "responses-services.csv",
            "--by",
            "service",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("Dịch vụ") && table.contains("HT"), "{table}");
}
