//! `chiso indices` as a user runs it (docs/formats.md §7): the PAPI workbook in its
//! publisher's layout to JSON (the contract's shape), to indices.csv and back, to a table;
//! errors exit 1 with nothing on standard output; the bundled structures and figures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/indices")
}

fn chiso(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("chiso runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chiso-indices-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_json(args: &[&str], dir: &Path) -> (Value, String) {
    let output = chiso(args, dir);
    assert!(output.status.success(), "{}", text(&output.stderr));
    (
        serde_json::from_slice(&output.stdout).unwrap(),
        text(&output.stderr),
    )
}

fn year(report: &Value, year: i64) -> &Value {
    report["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == year)
        .unwrap()
}

#[test]
fn the_papi_workbook_prints_the_contracts_json() {
    let (report, stderr) = read_json(
        &[
            "indices",
            "read",
            "--index",
            "papi",
            "papi-provinces.xlsx",
            "--format",
            "json",
        ],
        &fixtures(),
    );
    assert_eq!(report["index"], "papi");
    let years: Vec<i64> = report["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2014, 2016, 2023]);
    let y2016 = year(&report, 2016);
    assert_eq!(y2016["structure"], "papi-2011");
    let units = y2016["units"].as_array().unwrap();
    assert_eq!(units.len(), 63);
    // Sorted by rank, then unit_code.
    let order: Vec<(u64, String)> = units
        .iter()
        .map(|u| {
            (
                u["rank"].as_u64().unwrap(),
                u["unit_code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let hue = units.iter().find(|u| u["unit_code"] == "46").unwrap();
    assert_eq!(hue["unit_name"], "Thừa Thiên Huế");
    assert!((hue["total"].as_f64().unwrap() - 35.338).abs() < 1e-9);
    assert!(hue["rank"].as_u64().is_some());
    assert!((1..=4).contains(&hue["group"].as_u64().unwrap()));
    let first = &hue["dimensions"][0];
    assert_eq!(first["code"], "1");
    assert_eq!(first["title"], "Tham gia của người dân ở cấp cơ sở");
    assert_eq!(first["value"], 5.1026);
    assert!(first["rank"].as_u64().is_some());
    assert_eq!(
        first["sub_dimensions"][0],
        serde_json::json!({"code": "1.1", "title": "Tri thức công dân", "value": 1.1329})
    );
    let summary = &y2016["skipped"][1];
    assert_eq!(summary["sheet"], "2016_PAPI");
    assert_eq!(summary["row"], 68);
    assert_eq!(summary["reason"], "summary row (id 999), not a unit");
    // Warnings name sheet, row and column on standard error (and in the JSON).
    assert!(
        stderr.contains("warning: 2016_PAPI row 4 column M: unit 01: dimension 3 is"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: 2014 row 2 column AF: the total's header names 2013"),
        "{stderr}"
    );
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "dimension_sum")
    );
}

#[test]
fn csv_output_reads_back_to_the_same_units() {
    let dir = scratch("csv");
    let workbook = fixtures().join("papi-provinces.xlsx");
    let workbook = workbook.to_str().unwrap();
    let output = chiso(
        &[
            "indices", "read", "--index", "papi", workbook, "--format", "csv", "--output",
            "papi.csv",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let (first, _) = read_json(
        &[
            "indices", "read", "--index", "papi", workbook, "--format", "json",
        ],
        &dir,
    );
    let (again, _) = read_json(&["indices", "read", "papi.csv", "--format", "json"], &dir);
    for y in [2014, 2016, 2023] {
        assert_eq!(year(&first, y)["units"], year(&again, y)["units"], "{y}");
    }
    let table = chiso(&["indices", "read", "papi.csv"], &dir);
    assert!(table.status.success());
    let table = text(&table.stdout);
    assert!(table.contains("papi 2016 (papi-2011)"), "{table}");
    assert!(table.contains("Thừa Thiên Huế"));
    assert!(table.contains("no result for 22 this year"));
}

#[test]
fn errors_exit_1_with_nothing_on_standard_output() {
    let dir = scratch("errors");
    std::fs::write(
        dir.join("bad.csv"),
        "index,year,unit_code,unit_name,measure,value,rank\npapi,2016,01,Hà Nội,total,cao,\n",
    )
    .unwrap();
    std::fs::write(dir.join("nothing.csv"), "a,b\n1,2\n").unwrap();
    for (args, expected) in [
        (
            vec!["indices", "read", "bad.csv", "--format", "json"],
            "bad.csv row 2: column value: 'cao' is not a number",
        ),
        (
            vec!["indices", "read", "--index", "papi", "nothing.csv"],
            "no recognisable layout",
        ),
        (
            vec!["indices", "read", "--index", "papi", "missing.xlsx"],
            "missing.xlsx",
        ),
    ] {
        let output = chiso(&args, &dir);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            text(&output.stderr).contains(expected),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn the_bundled_structures_and_figures_are_listed() {
    let dir = scratch("list");
    let list = text(&chiso(&["indices", "list"], &dir).stdout);
    for id in [
        "papi-2011",
        "papi-2018",
        "par-province-1149",
        "par-province-876",
        "par-ministry",
        "sipas-2017",
        "pci",
        "dti",
        "service-766",
    ] {
        assert!(list.contains(id), "{id}: {list}");
    }
    let published = chiso(&["indices", "published"], &dir);
    assert!(published.status.success());
    let csv = text(&published.stdout);
    assert!(csv.starts_with("index,year,unit_code,unit_name,measure,value,rank,source\n"));
    assert!(csv.contains("par,2020,46,Thừa Thiên Huế,total,88.47,3,B1\n"));
    std::fs::write(dir.join("published.csv"), &csv).unwrap();
    let (par, _) = read_json(
        &[
            "indices",
            "read",
            "--index",
            "par",
            "published.csv",
            "--format",
            "json",
        ],
        &dir,
    );
    let hue = year(&par, 2020)["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == "46")
        .unwrap()
        .clone();
    assert_eq!(hue["rank"], 3);
    assert_eq!(hue["rank_published"], true);
    assert_eq!(hue["components"][1]["sub_dimensions"][0]["value"], 8.57);
}

/// `chiso indices import` on SQLite and, when reachable, PostgreSQL: the bundled figures first,
/// then the file; a corrected file replaces its year; a bad file stores nothing.
#[tokio::test]
async fn import_stores_the_file_all_or_nothing_on_both_backends() {
    let dir = scratch("import");
    let workbook = fixtures().join("papi-provinces.xlsx");
    let workbook = workbook.to_str().unwrap().to_string();
    for test_db in chiso_store::testing::backends().await {
        let url = test_db.url.clone();
        let run = |args: Vec<String>| {
            let dir = dir.clone();
            let mut all = args;
            all.extend(["--database-url".to_string(), url.clone()]);
            std::thread::spawn(move || {
                let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                chiso(&refs, &dir)
            })
            .join()
            .unwrap()
        };
        let args = |extra: &[&str]| extra.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let first = run(args(&[
            "indices",
            "import",
            "--index",
            "papi",
            &workbook,
            "--publisher",
            "UNDP",
            "--document",
            "Báo cáo PAPI",
            "--date",
            "2017-04-05",
        ]));
        assert!(first.status.success(), "{}", text(&first.stderr));
        let out = text(&first.stdout);
        assert!(out.contains("papi 2016: 63 units\n"), "{out}");
        // The bundled 2023 figures (a partial year) were the first import: the file replaces them.
        assert!(
            out.contains("papi 2023: 61 units, replacing import #"),
            "{out}"
        );
        let y2016 = chiso_store::indices::current_year(&test_db.db, "papi", 2016)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(y2016.version.publisher.as_deref(), Some("UNDP"));
        assert!(
            chiso_store::indices::current_year(&test_db.db, "par", 2020)
                .await
                .unwrap()
                .is_some()
        );

        // A corrected 2016 as indices.csv replaces the year; the earlier one stays in history.
        let csv = text(
            &chiso(
                &[
                    "indices", "read", "--index", "papi", &workbook, "--format", "csv",
                ],
                &dir,
            )
            .stdout,
        );
        let corrected: String = csv
            .lines()
            .filter(|l| l.starts_with("index,") || l.starts_with("papi,2016,"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.join("papi-2016.csv"), corrected).unwrap();
        let second = run(args(&["indices", "import", "papi-2016.csv"]));
        assert!(second.status.success(), "{}", text(&second.stderr));
        assert!(text(&second.stdout).contains("papi 2016: 63 units, replacing import #"));
        let history = chiso_store::indices::year_history(&test_db.db, "papi", 2016)
            .await
            .unwrap();
        assert_eq!(history.len(), 2);

        // A file that does not read stores nothing and prints nothing on standard output.
        std::fs::write(
            dir.join("bad.csv"),
            "index,year,unit_code,unit_name,measure,value,rank\npapi,2016,01,Hà Nội,total,cao,\n",
        )
        .unwrap();
        let bad = run(args(&["indices", "import", "bad.csv"]));
        assert_eq!(bad.status.code(), Some(1));
        assert!(bad.stdout.is_empty());
        let history = chiso_store::indices::year_history(&test_db.db, "papi", 2016)
            .await
            .unwrap();
        assert_eq!(history.len(), 2);
    }
}
