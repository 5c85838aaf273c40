//! `chiso compute` and `chiso framework` as a user runs them (docs/formats.md §4): the contract
//! example, every output format, bad input, and frameworks that are not in the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/compute")
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
    let dir = std::env::temp_dir().join(format!("chiso-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compares as examples/README.md says: numbers within `tolerance`, integers and strings
/// exactly, extra fields allowed, `classification` not compared.
fn assert_matches(expected: &Value, actual: &Value, tolerance: f64, path: &str) {
    const INTEGERS: [&str; 6] = [
        "rank",
        "rank_change",
        "leaves",
        "responses",
        "answered",
        "row",
    ];
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                if key == "classification" {
                    continue;
                }
                let actual = a
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}.{key} is missing"));
                assert_matches(value, actual, tolerance, &format!("{path}.{key}"));
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
                assert_eq!(e.as_i64(), a.as_i64(), "{path}");
            } else {
                let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
                assert!((e - a).abs() <= tolerance, "{path}: expected {e}, got {a}");
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

const EXAMPLE_ARGS: [&str; 10] = [
    "compute",
    "--framework",
    "framework.csv",
    "--scores",
    "scores.csv",
    "--units",
    "units.csv",
    "--previous",
    "previous.json",
    "--format",
];

#[test]
fn the_contract_example_gives_the_expected_json() {
    let mut args = EXAMPLE_ARGS.to_vec();
    args.push("json");
    let output = chiso(&args, &fixtures());
    assert!(output.status.success(), "{}", stderr(&output));
    let actual: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    assert_matches(&expected, &actual, 0.005, "");
    // Extensions: the missing leaf, the classification, the region rank.
    let unit_79 = actual["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == "79")
        .unwrap();
    assert_eq!(unit_79["missing"], serde_json::json!(["1.3"]));
    assert_eq!(unit_79["classification"], "Trung bình");
    let unit_48 = &actual["units"][2];
    assert_eq!(unit_48["region_rank"], 2);
}

#[test]
fn the_same_units_a_year_earlier_rank_comparably_without_a_warning() {
    let mut args = EXAMPLE_ARGS.to_vec();
    args.push("json");
    let output = chiso(&args, &fixtures());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    for unit in report["units"].as_array().unwrap() {
        assert_eq!(unit["previous"]["rank_change_comparable"], true);
    }
}

/// `tests/fixtures/compute-populations`: the earlier year ranked 01, 46, 31, 48 and 44 (then
/// Quảng Bình); this run ranks 79 and 08 too, not 31, and 44 is Quảng Trị.
#[test]
fn a_previous_year_of_other_units_warns_and_flags_rank_changes() {
    let dir = fixtures().join("../compute-populations");
    let compute = |format: &str, lineage: Option<&str>| {
        let mut args = vec![
            "compute",
            "--framework",
            "../compute/framework.csv",
            "--scores",
            "../compute/scores.csv",
            "--units",
            "units.csv",
            "--previous",
            "previous.json",
            "--format",
            format,
        ];
        if let Some(lineage) = lineage {
            args.extend(["--lineage", lineage]);
        }
        let output = chiso(&args, &dir);
        assert!(output.status.success(), "{}", stderr(&output));
        output
    };
    let output = compute("json", None);
    let warnings = stderr(&output);
    assert!(
        warnings.contains(
            "warning: previous.json ranked a different set of units (5 then, 6 now): \
             2 added (no earlier result): 08, 79; 1 left out (ranked only in previous.json): 31"
        ),
        "{warnings}"
    );
    assert!(
        warnings.contains("rank_change_comparable: false"),
        "{warnings}"
    );
    assert!(
        warnings.contains("unit code 44 is Quảng Trị here but Quảng Bình in previous.json"),
        "{warnings}"
    );
    assert!(!warnings.contains("unit code 46"), "{warnings}");
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let unit = |code: &str| {
        report["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_code"] == code)
            .unwrap()
            .clone()
    };
    // The index change is still the published difference; the rank change is kept but flagged.
    let hue = unit("46");
    assert_eq!(hue["previous"]["rank"], 2);
    assert_eq!(hue["previous"]["rank_change_comparable"], false);
    assert_eq!(hue["areas"][0]["previous"]["rank_change_comparable"], false);
    assert!(unit("79").get("previous").is_none());

    let csv = stdout(&compute("csv", None));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let flag = header
        .iter()
        .position(|c| *c == "rank_change_comparable")
        .expect("a rank_change_comparable column");
    assert_eq!(header[flag - 1], "rank_change");
    let hue_row: Vec<&str> = csv
        .lines()
        .find(|l| l.contains(",46,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(hue_row[flag], "false");

    let table = stdout(&compute("table", None));
    let hue_line = table
        .lines()
        .find(|l| l.contains("Thừa Thiên Huế"))
        .unwrap();
    assert!(hue_line.trim_end().ends_with('*'), "{hue_line}");
    assert!(
        table.contains("* Năm trước xếp hạng một tập đơn vị khác"),
        "{table}"
    );

    // Through the bundled lineage, 44 continues 44 and 45: no longer a name change, and a
    // merged unit keeps the populations different.
    let warnings = stderr(&compute("json", Some("merger-2025")));
    assert!(!warnings.contains("unit code 44"), "{warnings}");
    assert!(
        warnings.contains("ranked a different set of units"),
        "{warnings}"
    );
}

#[test]
fn crlf_and_bom_inputs_give_the_same_result() {
    let dir = scratch("crlf");
    for name in ["framework.csv", "scores.csv", "units.csv", "previous.json"] {
        let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        std::fs::write(
            dir.join(name),
            format!("\u{feff}{}", text.replace('\n', "\r\n")),
        )
        .unwrap();
    }
    let mut args = EXAMPLE_ARGS.to_vec();
    args.push("json");
    let original = chiso(&args, &fixtures());
    let converted = chiso(&args, &dir);
    assert!(converted.status.success(), "{}", stderr(&converted));
    assert_eq!(stdout(&converted), stdout(&original));
}

#[test]
fn csv_table_and_xlsx_outputs_carry_the_same_ranking() {
    let mut args = EXAMPLE_ARGS.to_vec();
    args.push("csv");
    let csv = stdout(&chiso(&args, &fixtures()));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..3], ["rank", "unit_code", "unit_name"]);
    assert!(header.contains(&"area_2_index") && header.contains(&"rank_change"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&first[..3], ["1", "46", "Thừa Thiên Huế"]);

    args.pop();
    args.push("table");
    let table = stdout(&chiso(&args, &fixtures()));
    assert!(table.contains("Thừa Thiên Huế"));
    assert!(table.contains("78.43"));
    assert!(table.contains("thiếu điểm (tính 0): 1.3"));

    let dir = scratch("xlsx");
    let target = dir.join("ket-qua.xlsx");
    args.pop();
    args.extend(["xlsx", "--output", target.to_str().unwrap()]);
    let output = chiso(&args, &fixtures());
    assert!(output.status.success(), "{}", stderr(&output));
    use calamine::{Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        ["Thông tin", "Xếp hạng", "Điểm chi tiết"]
    );
    let ranking = workbook.worksheet_range("Xếp hạng").unwrap();
    assert_eq!(ranking.get_value((1, 1)).unwrap().to_string(), "46");
    assert_eq!(ranking.get_value((4, 1)).unwrap().to_string(), "01");
    assert_eq!(ranking.get_value((4, 0)).unwrap().to_string(), "4");
    let leaves = workbook.worksheet_range("Điểm chi tiết").unwrap();
    assert_eq!(leaves.get_value((0, 4)).unwrap().to_string(), "46");
}

/// Writes the example with one file replaced, runs compute into an output file, and returns
/// stderr after checking that nothing was written and the exit code is 1.
fn fails_with(name: &str, replace: &str, content: &str) -> String {
    let dir = scratch(name);
    for file in ["framework.csv", "scores.csv", "units.csv", "previous.json"] {
        std::fs::copy(fixtures().join(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join(replace), content).unwrap();
    let mut args = EXAMPLE_ARGS.to_vec();
    args.extend(["json", "--output", "out.json"]);
    let output = chiso(&args, &dir);
    assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
    assert!(stdout(&output).is_empty());
    assert!(
        !dir.join("out.json").exists(),
        "{name}: no output on bad input"
    );
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial"))
    );
    stderr(&output)
}

#[test]
fn bad_input_is_rejected_with_row_and_code_and_writes_nothing() {
    // (file, text to replace, replacement, expected message): every rule of docs/formats.md §1
    // and §3, each in a copy of the example with that one change.
    let cases = [
        (
            "framework.csv",
            "1.2,Báo cáo",
            "1.1,Báo cáo",
            "framework.csv row 4: (code 1.1) duplicate code (first at row 3)",
        ),
        (
            "framework.csv",
            "2.2.1,",
            "2.9.1,",
            "row 9: (code 2.9.1) missing parent: no row has code 2.9",
        ),
        (
            "framework.csv",
            "định kỳ,4.5,",
            "định kỳ,,",
            "row 4: (code 1.2) leaf without max_points",
        ),
        (
            "framework.csv",
            "Điểm trừ,3,",
            "Điểm trừ,-3,",
            "row 15: (code 5) negative points",
        ),
        (
            "framework.csv",
            "Cải cách thủ tục hành chính,,",
            "Cải cách thủ tục hành chính,40,",
            "row 6: (code 2) sum mismatch: max_points 40 but the children sum to 45",
        ),
        (
            "scores.csv",
            "46,1.2,4.5",
            "46,1.2,5",
            "scores.csv row 22: points 5 are outside [0, 4.5] for 1.2",
        ),
        (
            "scores.csv",
            "44,3.2,10.5",
            "45,3.2,10.5",
            "row 58: unit_code 45 is not in units.csv",
        ),
        (
            "scores.csv",
            "44,3.2,10.5",
            "44,3.9,10.5",
            "row 58: code 3.9 is not in the framework",
        ),
        (
            "units.csv",
            "08,Tuyên Quang",
            "01,Tuyên Quang",
            "units.csv row 6: unit_code 01 repeated (first at row 3)",
        ),
    ];
    for (index, (file, from, to, expected)) in cases.into_iter().enumerate() {
        let original = std::fs::read_to_string(fixtures().join(file)).unwrap();
        assert!(
            original.contains(from),
            "case {index}: {from:?} not in {file}"
        );
        let message = fails_with(
            &format!("case{index}"),
            file,
            &original.replacen(from, to, 1),
        );
        assert!(message.contains(expected), "case {index}: {message}");
    }
    let message = fails_with("json", "previous.json", "{\"units\": [");
    assert!(
        message.contains("previous.json line 1: not a chiso compute JSON output"),
        "{message}"
    );
    assert!(message.contains("nothing was computed or written"));
}

#[test]
fn bundled_lineage_compares_a_merged_province_with_its_predecessors() {
    let dir = scratch("lineage");
    std::fs::copy(fixtures().join("framework.csv"), dir.join("framework.csv")).unwrap();
    std::fs::copy(fixtures().join("scores.csv"), dir.join("scores.csv")).unwrap();
    let args = [
        "compute",
        "--framework",
        "framework.csv",
        "--scores",
        "scores.csv",
        "--previous",
    ];
    let previous = fixtures().join("previous.json");
    let mut args = args.to_vec();
    args.extend([
        previous.to_str().unwrap(),
        "--lineage",
        "merger-2025",
        "--format",
        "json",
    ]);
    let output = chiso(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let unit = |code: &str| {
        report["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_code"] == code)
            .unwrap()
            .clone()
    };
    // 79 (TP Hồ Chí Minh) was formed from 79, 74 and 77; only 79 has an earlier result here.
    let hcm = unit("79");
    assert!(hcm.get("previous").is_none());
    let estimate = &hcm["previous_estimate"];
    assert_eq!(estimate["estimate"], true);
    assert_eq!(estimate["weighting"], "mean");
    assert_eq!(estimate["predecessors"][0]["unit_code"], "79");
    assert_eq!(estimate["without_result"], serde_json::json!(["74", "77"]));
    // 46 (Huế) continues itself.
    assert_eq!(unit("46")["previous"]["rank_change"], 1);
}

#[test]
fn framework_commands_validate_show_export_and_list() {
    let dir = fixtures();
    let output = chiso(&["framework", "validate", "framework.csv"], &dir);
    assert!(output.status.success());
    assert!(
        stdout(&output)
            .contains("3 areas, 10 leaves (7 self, 1 survey, 1 bonus, 1 penalty), 100 points")
    );

    let list = stdout(&chiso(&["framework", "list"], &dir));
    assert!(list.contains("par-province-2020") && list.contains("commune-2025"));

    let show = stdout(&chiso(&["framework", "show", "par-province-2020"], &dir));
    assert!(show.contains("Mẫu minh họa – không phải bộ tiêu chí chính thức"));
    assert!(show.contains("QĐ 1149/QĐ-BNV"));

    // Export a bundled framework to CSV and XLSX, and read both back.
    let scratch = scratch("export");
    for (format, file) in [("csv", "f.csv"), ("xlsx", "f.xlsx"), ("toml", "f.toml")] {
        let target = scratch.join(file);
        let output = chiso(
            &[
                "framework",
                "export",
                "commune-2025",
                "--format",
                format,
                "--output",
                target.to_str().unwrap(),
            ],
            &dir,
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let validated = chiso(&["framework", "validate", target.to_str().unwrap()], &dir);
        assert!(
            validated.status.success(),
            "{format}: {}",
            stderr(&validated)
        );
        assert!(
            stdout(&validated).contains("40 leaves"),
            "{format}: {}",
            stdout(&validated)
        );
    }
    let csv = std::fs::read_to_string(scratch.join("f.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .starts_with("code,title,max_points,method,")
    );
    assert!(csv.contains("Mẫu minh họa"));

    let missing = chiso(&["framework", "validate", "nope.csv"], &dir);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("nope.csv: no such file, nor a bundled framework"));
}

#[test]
fn weakness_names_the_leaves_to_recover() {
    let output = chiso(
        &[
            "weakness",
            "--framework",
            "framework.csv",
            "--scores",
            "scores.csv",
            "--units",
            "units.csv",
            "--unit",
            "79",
            "--target-rank",
            "2",
            "--format",
            "json",
        ],
        &fixtures(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["rank"], 6);
    assert_eq!(report["leaves"][0]["code"], "1.3");
    assert_eq!(report["leaves"][0]["lost"], 7.5);
    assert_eq!(report["target"]["points_needed"], 20.125);
    assert_eq!(report["target"]["reachable"], true);
}

/// A framework and data that are not in the repository: a random tree of depth 4 with a bonus
/// and a penalty, scored for 40 units, checked against an independent computation in integer
/// hundredths written here from the contract's words.
#[test]
fn compute_follows_the_contract_on_unseen_frameworks() {
    let dir = scratch("unseen");
    let mut state: u64 = 0x5eed;
    let mut next = |bound: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % bound
    };
    // Leaves: (code, max in hundredths, area index or None for bonus/penalty, is penalty).
    let mut framework = String::from("code,title,max_points,method\n");
    let mut leaves: Vec<(String, i64, Option<usize>, bool)> = Vec::new();
    let areas = 4;
    for a in 1..=areas {
        framework.push_str(&format!("{a},\"Lĩnh vực {a}, mẫu\",,\n"));
        for c in 1..=(1 + next(3)) {
            framework.push_str(&format!("{a}.{c},Tiêu chí {a}.{c},,\n"));
            for s in 1..=(1 + next(3)) {
                framework.push_str(&format!("{a}.{c}.{s},Nhóm {a}.{c}.{s},,\n"));
                for l in 1..=(1 + next(2)) {
                    let max = 25 * (1 + next(20) as i64);
                    let code = format!("{a}.{c}.{s}.{l}");
                    framework.push_str(&format!(
                        "{code},Tiêu chí thành phần {code},{},\n",
                        max as f64 / 100.0
                    ));
                    leaves.push((code, max, Some(a - 1), false));
                }
            }
        }
    }
    framework.push_str("8,Điểm thưởng,3,bonus\n9,Điểm trừ,4,penalty\n");
    leaves.push(("8".into(), 300, None, false));
    leaves.push(("9".into(), 400, None, true));
    std::fs::write(dir.join("framework.csv"), &framework).unwrap();

    let units: Vec<String> = (0..40).map(|i| format!("{:03}", i * 7)).collect();
    let mut scores = String::from("unit_code,code,points\n");
    // Expected per unit: (tree, bonus, penalty, per-area points).
    let mut expected: Vec<(String, i64, Vec<i64>)> = Vec::new();
    for unit in &units {
        let mut area_points = vec![0i64; areas];
        let (mut bonus, mut penalty) = (0, 0);
        for (code, max, area, is_penalty) in &leaves {
            let points = next(*max as u64 + 1) as i64;
            if next(10) == 0 {
                continue; // a missing leaf scores 0
            }
            scores.push_str(&format!("{unit},{code},{}\n", points as f64 / 100.0));
            match (area, is_penalty) {
                (Some(a), _) => area_points[*a] += points,
                (None, true) => penalty += points,
                (None, false) => bonus += points,
            }
        }
        let tree: i64 = area_points.iter().sum();
        expected.push((unit.clone(), tree + bonus - penalty, area_points));
    }
    std::fs::write(dir.join("scores.csv"), &scores).unwrap();

    let output = chiso(
        &[
            "compute",
            "--framework",
            "framework.csv",
            "--scores",
            "scores.csv",
            "--format",
            "json",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();

    let max_tree: i64 = leaves.iter().filter(|l| l.2.is_some()).map(|l| l.1).sum();
    assert_eq!(
        report["framework"]["max_points"].as_f64().unwrap(),
        max_tree as f64 / 100.0
    );
    assert_eq!(report["framework"]["leaves"], leaves.len());
    // Rounded index in hundredths, half away from zero, clamped: the ranking key.
    let key = |points: i64, max: i64| ((points * 10_000 * 2 + max) / (2 * max)).clamp(0, 10_000);
    let mut order: Vec<&(String, i64, Vec<i64>)> = expected.iter().collect();
    order.sort_by(|a, b| {
        key(b.1, max_tree)
            .cmp(&key(a.1, max_tree))
            .then(a.0.cmp(&b.0))
    });
    let reported = report["units"].as_array().unwrap();
    assert_eq!(reported.len(), units.len());
    for (position, (unit, points, _)) in order.iter().enumerate() {
        let rank = 1 + expected
            .iter()
            .filter(|e| key(e.1, max_tree) > key(*points, max_tree))
            .count();
        let actual = &reported[position];
        assert_eq!(actual["unit_code"], unit.as_str(), "position {position}");
        assert_eq!(actual["rank"], rank, "{unit}");
        assert!((actual["points"].as_f64().unwrap() - *points as f64 / 100.0).abs() < 1e-9);
        let index = (*points as f64 / max_tree as f64 * 100.0).clamp(0.0, 100.0);
        assert!((actual["index"].as_f64().unwrap() - index).abs() < 1e-9);
    }
    // Area ranks.
    for a in 0..areas {
        let area_max: i64 = leaves.iter().filter(|l| l.2 == Some(a)).map(|l| l.1).sum();
        for (unit, _, area_points) in &expected {
            let rank = 1 + expected
                .iter()
                .filter(|e| key(e.2[a], area_max) > key(area_points[a], area_max))
                .count();
            let actual = reported
                .iter()
                .find(|u| u["unit_code"] == unit.as_str())
                .unwrap();
            assert_eq!(actual["areas"][a]["rank"], rank, "{unit} area {}", a + 1);
            assert_eq!(actual["areas"][a]["code"], (a + 1).to_string());
        }
    }
}

/// Scores of two provinces on a bundled framework: every leaf at its maximum, except the leaves
/// of `weak_area` for the second province, which get 0.
fn full_scores(framework: &str, weak_area: &str) -> String {
    let f = chiso_refdata::framework(framework).unwrap();
    let mut csv = String::from("unit_code,code,points\n");
    for unit in ["01", "46"] {
        for &leaf in f.leaves() {
            let node = f.node(leaf);
            let in_weak_area =
                node.code == weak_area || node.code.starts_with(&format!("{weak_area}."));
            let points = if unit == "46" && in_weak_area {
                "0".to_string()
            } else {
                node.max_points.to_string()
            };
            csv.push_str(&format!("{unit},{},{points}\n", node.code));
        }
    }
    csv
}

/// The 876-shaped sample compares with a 2020 result area by area, through the areas it
/// `continues` (docs/method.md §2.3, §2.11).
#[test]
fn the_2022_sample_compares_with_2020_through_continued_areas() {
    let dir = scratch("continues-2022");
    std::fs::write(
        dir.join("scores-2020.csv"),
        full_scores("par-province-2020", "3"),
    )
    .unwrap();
    std::fs::write(
        dir.join("scores-2022.csv"),
        full_scores("par-province-2022", "7"),
    )
    .unwrap();
    let earlier = chiso(
        &[
            "compute",
            "--framework",
            "par-province-2020",
            "--scores",
            "scores-2020.csv",
            "--format",
            "json",
            "--output",
            "previous-2020.json",
        ],
        &dir,
    );
    assert!(earlier.status.success(), "{}", stderr(&earlier));
    // The 2020 sample marks area 8's self-assessed leaves as impact: the appraised component
    // carries results (60.5) and impact (6) apart (docs/formats.md §8.7).
    let previous: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("previous-2020.json")).unwrap())
            .unwrap();
    let ha_noi = previous["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == "01")
        .unwrap();
    let appraised = &ha_noi["components"][0];
    assert_eq!(appraised["method"], "self");
    assert_eq!(appraised["max_points"], 66.5);
    assert_eq!(appraised["parts"][0]["part"], "results");
    assert_eq!(appraised["parts"][0]["max_points"], 60.5);
    assert_eq!(appraised["parts"][1]["part"], "impact");
    assert_eq!(appraised["parts"][1]["points"], 6.0);
    assert!(ha_noi["components"][1].get("parts").is_none());
    let output = chiso(
        &[
            "compute",
            "--framework",
            "par-province-2022",
            "--scores",
            "scores-2022.csv",
            "--previous",
            "previous-2020.json",
            "--format",
            "json",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["framework"]["id"], "par-province-2022");
    assert_eq!(json["framework"]["sample"], true);
    let unit = |code: &str| {
        json["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_code"] == code)
            .unwrap()
            .clone()
    };
    let hue = unit("46");
    let areas = hue["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 8);
    for area in areas {
        assert!(
            area.get("previous").is_some(),
            "area {} has no earlier value: {area}",
            area["code"]
        );
    }
    let area = |code: &str| areas.iter().find(|a| a["code"] == code).unwrap();
    // Area 3 was empty in 2020 and full in 2022; area 7 the other way round.
    assert_eq!(area("3")["previous"]["index"].as_f64(), Some(0.0));
    assert_eq!(area("3")["previous"]["index_change"].as_f64(), Some(100.0));
    assert_eq!(area("7")["index"].as_f64(), Some(0.0));
    assert_eq!(area("7")["previous"]["index_change"].as_f64(), Some(-100.0));
    assert_eq!(area("1")["previous"]["index_change"].as_f64(), Some(0.0));
}
