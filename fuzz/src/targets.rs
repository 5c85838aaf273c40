//! The targets: one per parser of a file or a request body that chiso reads. Each calls the
//! parser's byte-level entry point (the one a path-taking reader calls after reading the
//! file) and panics when a property it checks does not hold.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Read;
use std::sync::OnceLock;

use chiso_domain::indices::{Catalogue, Roster};
use chiso_domain::{Framework, FrameworkMeta, NodeSpec, Rule};
use chiso_interchange::framework_io::{
    format_rule, framework_from_table, framework_from_toml, framework_to_csv, framework_to_toml,
    parse_rule,
};
use chiso_interchange::indices::{ReadOptions, read_indices};
use chiso_interchange::plan::{
    Appendix, AppendixDoc, AppendixGroup, AppendixTask, read_appendix, write_appendix,
};
use chiso_interchange::sheet::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, RowsError, read_xlsx_grid, read_xlsx_rows, xlsx_to_csv,
};
use chiso_interchange::table::{FileKind, Table, read_csv, read_xlsx};
use chiso_interchange::units_io::{
    max_scored_units, read_lineage, read_previous, read_scores, read_units,
};
use chiso_survey::codec::{MAX_WEIGHT, MIN_WEIGHT, parse_weight};
use chiso_survey::{Blanks, Codec, Questionnaire, TextCells, questionnaire};
use serde::Deserialize;

use crate::parts;
use crate::{Input, Target};

macro_rules! targets {
    ($($name:ident: $input:ident),* $(,)?) => {
        /// Every target, in the order of the README's table.
        pub const ALL: &[Target] = &[$(Target {
            name: stringify!($name),
            input: Input::$input,
            run: $name,
        }),*];
    };
}

targets! {
    table_csv: Text,
    table_xlsx: Workbook,
    sheet_rows: Workbook,
    sheet_grid: Workbook,
    framework_csv: Text,
    framework_toml: Text,
    rule: Text,
    units_csv: Text,
    scores_csv: Text,
    lineage_csv: Text,
    previous_json: Text,
    indices: Workbook,
    plan_appendix: Workbook,
    survey_csv: Text,
    survey_xlsx: Workbook,
    questionnaire_toml: Text,
    weight: Text,
    survey_text_cells: Text,
}

// Reference data, loaded once and outside any measured run (see `warm_up`).

struct Reference {
    /// The compute fixture's framework and a bundled one with input rules.
    frameworks: Vec<Framework>,
    known_units: HashSet<String>,
    questionnaires: Vec<Questionnaire>,
    catalogue: Catalogue,
    roster: Roster,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let fixture = |text: &str| read_csv("fixture.csv", text.as_bytes()).expect("a fixture");
        let compute = framework_from_table(
            &fixture(include_str!("../../tests/fixtures/compute/framework.csv")),
            FrameworkMeta::default(),
        )
        .expect("the compute fixture's framework");
        let units = read_units(&fixture(include_str!(
            "../../tests/fixtures/compute/units.csv"
        )))
        .expect("the compute fixture's units");
        Reference {
            frameworks: vec![
                compute,
                chiso_refdata::framework("commune-2025").expect("a bundled framework"),
            ],
            known_units: units.into_iter().map(|u| u.code).collect(),
            questionnaires: questionnaire::BUNDLED
                .iter()
                .map(|b| chiso_survey::bundled(b.id).expect("a bundled questionnaire"))
                .collect(),
            catalogue: chiso_refdata::index_catalogue(),
            roster: chiso_refdata::province_roster(),
        }
    })
}

/// Loads the reference data, so that the first measured run does not count it.
pub fn warm_up() {
    reference();
}

fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

// Tables.

/// `table::read_csv`, and its round trip: the table written by the project's CSV writer
/// reads back to the same cells.
fn table_csv(data: &[u8]) {
    let Ok(table) = read_csv("table.csv", data) else {
        return;
    };
    check_table(&table);
    let mut writer = chiso_interchange::csv_out::CsvWriter::new(
        Vec::new(),
        chiso_interchange::csv_out::LineEnd::CrLf,
    );
    writer.row(&table.headers).expect("a CSV in memory");
    for row in &table.rows {
        writer.row(row.cells()).expect("a CSV in memory");
    }
    let written = writer.into_inner().expect("a CSV in memory");
    let back = read_csv("table.csv", written.as_slice()).expect("a written table reads back");
    assert_eq!(back.headers, table.headers, "the header after a round trip");
    assert_eq!(cells(&back), cells(&table), "the rows after a round trip");
}

/// What every reader of a table promises: the limits, rows in order after the header.
fn check_table(table: &Table) {
    assert!(table.headers.len() <= MAX_COLUMNS);
    let mut last = 1;
    for row in &table.rows {
        assert!(row.number > last, "row numbers increase after the header");
        last = row.number;
        assert!(row.len() <= MAX_COLUMNS);
        assert!(row.cells().all(|c| c.chars().count() <= MAX_CELL_CHARS));
    }
    let cells: usize = table.rows.iter().map(|r| r.len()).sum();
    assert!(cells as u64 <= MAX_CELLS);
}

/// `table::read_xlsx` and `sheet::xlsx_to_csv`: both read the first sheet through the bounded
/// reader, so both succeed or both fail, and the CSV reads back to the table's rows.
fn table_xlsx(data: &[u8]) {
    let bytes = parts::workbook(data);
    let table = read_xlsx("table.xlsx", &bytes);
    if let Ok(table) = &table {
        check_table(table);
    }
    let csv = xlsx_to_csv(&bytes);
    assert_eq!(
        table.is_ok(),
        csv.is_ok(),
        "read_xlsx and xlsx_to_csv disagree: {:?} / {:?}",
        table.as_ref().err(),
        csv.as_ref().err()
    );
    // The CSV holds the same table (when it is within the CSV reader's row limits).
    if let (Ok(table), Ok(csv)) = (&table, &csv)
        && let Ok(from_csv) = read_csv("table.csv", csv.as_slice())
    {
        assert_eq!(from_csv.headers, table.headers, "the header through CSV");
        assert_eq!(cells(&from_csv), cells(table), "the rows through CSV");
    }
}

fn cells(table: &Table) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .map(|r| r.cells().map(str::to_string).collect())
        .collect()
}

/// `sheet::read_xlsx_rows`: the header first, then rows in ascending order, each as wide as
/// the header at least and within the limits; a row callback's error comes back as it is.
fn sheet_rows(data: &[u8]) {
    let bytes = parts::workbook(data);
    let mut seen: Vec<(u64, usize)> = Vec::new();
    let mut width = 0;
    let result = read_xlsx_rows(&bytes, |number, cells| {
        if let Some((last, _)) = seen.last() {
            assert!(number > *last, "row {number} after row {last}");
            assert!(cells.len() >= width, "a row narrower than the header");
        } else {
            width = cells.len();
            assert!(
                cells.last().is_none_or(|c| !c.trim().is_empty()),
                "the header ends in a blank cell"
            );
        }
        assert!(cells.len() <= MAX_COLUMNS);
        assert!(cells.iter().all(|c| c.chars().count() <= MAX_CELL_CHARS));
        seen.push((number, cells.len()));
        Ok::<(), &str>(())
    });
    if result.is_ok() {
        assert!(!seen.is_empty(), "a sheet read without a header row");
    }
    // The same file, stopped by the callback at its second row.
    let mut calls = 0;
    let stopped = read_xlsx_rows(&bytes, |_, _| {
        calls += 1;
        if calls == 2 { Err("stop") } else { Ok(()) }
    });
    if seen.len() >= 2 {
        assert_eq!(stopped, Err(RowsError::Row("stop")));
    }
}

/// `sheet::read_xlsx_grid`: rows ascending in each sheet, within the limits.
fn sheet_grid(data: &[u8]) {
    let bytes = parts::workbook(data);
    let Ok(sheets) = read_xlsx_grid(&bytes) else {
        return;
    };
    let mut cells = 0u64;
    for sheet in &sheets {
        let mut last = 0;
        for (number, row) in &sheet.rows {
            assert!(*number > last, "rows out of order in a grid");
            last = *number;
            assert!(row.len() <= MAX_COLUMNS);
            cells += row.len() as u64;
        }
    }
    assert!(cells <= MAX_CELLS);
}

// Frameworks.

/// A framework that read must write and read back to the same nodes, as CSV and as TOML:
/// the same up to the spaces around a text (the CSV reader trims every cell, a TOML string is
/// kept as written), compared as printed (a threshold of NaN is never equal to itself).
fn round_trip(framework: &Framework) {
    let specs = comparable(framework.to_specs());
    let csv = framework_to_csv(framework);
    let table = read_csv("framework.csv", csv.as_bytes()).expect("an exported framework.csv");
    let from_csv = framework_from_table(&table, framework.meta.clone())
        .unwrap_or_else(|e| panic!("an exported framework.csv reads back: {e}\n{csv}"));
    assert_eq!(
        comparable(from_csv.to_specs()),
        specs,
        "the framework after CSV"
    );
    let toml = framework_to_toml(framework);
    let from_toml = framework_from_toml("framework.toml", &toml)
        .unwrap_or_else(|e| panic!("an exported framework TOML reads back: {e}\n{toml}"));
    assert_eq!(
        comparable(from_toml.to_specs()),
        specs,
        "the framework after TOML"
    );
}

/// Nodes as printed, every text trimmed and a blank optional text none.
fn comparable(specs: Vec<NodeSpec>) -> Vec<String> {
    let trim = |text: &mut String| *text = text.trim().to_string();
    let optional = |text: &mut Option<String>| {
        *text = text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    specs
        .into_iter()
        .map(|mut spec| {
            trim(&mut spec.title);
            optional(&mut spec.title_en);
            optional(&mut spec.guidance);
            match &mut spec.rule {
                Some(
                    Rule::Threshold {
                        input, input_label, ..
                    }
                    | Rule::Proportional { input, input_label },
                ) => {
                    trim(input);
                    optional(input_label);
                }
                Some(Rule::Survey { source }) => trim(source),
                Some(Rule::Levels { .. }) | None => {}
            }
            format!("{spec:?}")
        })
        .collect()
}

/// `framework.csv` (`framework_io::framework_from_table`, what `read_framework` calls on the
/// table of a .csv or .xlsx), then the round trip.
fn framework_csv(data: &[u8]) {
    let Ok(table) = read_csv("framework.csv", data) else {
        return;
    };
    if let Ok(framework) = framework_from_table(&table, FrameworkMeta::default()) {
        round_trip(&framework);
    }
}

/// The framework TOML (`framework_io::framework_from_toml`), then the round trip.
fn framework_toml(data: &[u8]) {
    if let Ok(framework) = framework_from_toml("framework.toml", &text(data)) {
        round_trip(&framework);
    }
}

/// `framework_io::parse_rule`: a rule that parses, written by `format_rule`, parses back to
/// the same rule. The first line is the rule, the rest its input label.
fn rule(data: &[u8]) {
    let text = text(data);
    let (rule_text, label) = match text.split_once('\n') {
        Some((rule, label)) => (rule, Some(label.to_string())),
        None => (text.as_ref(), None),
    };
    if let Ok(rule) = parse_rule(rule_text, label.clone()) {
        let written = format_rule(&rule);
        let back = parse_rule(&written, label)
            .unwrap_or_else(|e| panic!("'{written}' (from '{rule_text}') does not parse: {e}"));
        // Compared as written: a threshold of NaN is never equal to itself.
        assert_eq!(
            format_rule(&back),
            written,
            "'{rule_text}' changes in a round trip"
        );
    }
}

// Units, scores, lineage, earlier results.

/// `units.csv` (`units_io::read_units`): codes are unique and never blank.
fn units_csv(data: &[u8]) {
    let Ok(table) = read_csv("units.csv", data) else {
        return;
    };
    if let Ok(units) = read_units(&table) {
        let codes: HashSet<&str> = units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes.len(), units.len(), "repeated unit codes");
        assert!(!codes.contains(""), "a blank unit code");
    }
}

/// `scores.csv` (`units_io::read_scores`) against the compute fixture's framework and a
/// bundled one with input rules, without and with the fixture's known units.
fn scores_csv(data: &[u8]) {
    let Ok(table) = read_csv("scores.csv", data) else {
        return;
    };
    let reference = reference();
    for framework in &reference.frameworks {
        for known in [None, Some(&reference.known_units)] {
            if let Ok(scores) = read_scores(&table, framework, known) {
                assert!(scores.units.len() <= max_scored_units(framework));
                if let Some(known) = known {
                    assert!(scores.units.iter().all(|u| known.contains(&u.code)));
                }
            }
        }
    }
}

/// A lineage table (`units_io::read_lineage`).
fn lineage_csv(data: &[u8]) {
    if let Ok(table) = read_csv("lineage.csv", data) {
        let _ = read_lineage(&table);
    }
}

/// `previous.json` (`units_io::read_previous`).
fn previous_json(data: &[u8]) {
    let _ = read_previous("previous.json", &text(data));
}

// National indices and plans.

/// Published index results (`indices::read_indices`): `indices.csv` or a publisher's
/// workbook (a zip, or parts' text when the input starts with `==` or `<`), read without
/// `--index` and with each index the fixtures use.
fn indices(data: &[u8]) {
    let reference = reference();
    let workbook = parts::is_zip(data) || data.starts_with(b"==") || data.starts_with(b"<");
    let (bytes, kind, name) = if workbook {
        (parts::workbook(data), FileKind::Xlsx, "indices.xlsx")
    } else {
        (Cow::Borrowed(data), FileKind::Csv, "indices.csv")
    };
    for index in [None, Some("papi"), Some("par"), Some("sipas")] {
        let options = ReadOptions {
            catalogue: &reference.catalogue,
            roster: &reference.roster,
            index,
            year: None,
        };
        if let Ok(report) = read_indices(name, &bytes, kind, options) {
            let _ = chiso_interchange::indices::indices_table(&report);
            // indices.csv read back gives the same report, so its export is the same file.
            let csv = chiso_interchange::indices::indices_csv(&report);
            let again = ReadOptions {
                index: Some(&report.index),
                ..options
            };
            let back = read_indices("indices.csv", csv.as_bytes(), FileKind::Csv, again)
                .unwrap_or_else(|e| panic!("an exported indices.csv reads back: {e}\n{csv}"));
            assert_eq!(
                chiso_interchange::indices::indices_csv(&back),
                csv,
                "indices.csv changes when read back"
            );
        }
    }
}

/// An improvement plan's appendix (`plan::read_appendix`): every task row lies after the
/// header, in order, and every problem names a row.
fn plan_appendix(data: &[u8]) {
    let bytes = parts::workbook(data);
    let Ok(appendix) = read_appendix(&bytes) else {
        return;
    };
    let mut last = 0;
    for row in &appendix.rows {
        assert!(row.row > last, "appendix rows out of order");
        last = row.row;
        assert!(row.group.is_none_or(|g| g < appendix.groups.len()));
    }
    assert!(appendix.problems.iter().all(|p| p.row > 0));
    // An appendix read whole, written in the standard layout, reads back to the same groups
    // and tasks (what `write_appendix` promises).
    if appendix.problems.is_empty() && appendix.rows.iter().all(|r| r.group.is_some()) {
        let doc = AppendixDoc {
            groups: appendix
                .groups
                .iter()
                .enumerate()
                .map(|(g, title)| AppendixGroup {
                    title: title.clone(),
                    tasks: appendix
                        .rows
                        .iter()
                        .filter(|r| r.group == Some(g))
                        .map(|r| AppendixTask {
                            title: r.title.clone(),
                            criteria: r.criteria.clone(),
                            lead: r.lead.clone(),
                            coordinators: r.coordinators.clone(),
                            deadline: r.deadline_text.clone(),
                            product: r.product.clone(),
                            status: r.status,
                        })
                        .collect(),
                })
                .collect(),
            ..AppendixDoc::default()
        };
        let written = write_appendix(&doc).expect("an .xlsx in memory");
        let back = read_appendix(&written).expect("a written appendix reads back");
        assert_eq!(
            back.groups, appendix.groups,
            "the groups after a round trip"
        );
        let tasks = |a: &Appendix| -> Vec<_> {
            a.rows
                .iter()
                .map(|r| {
                    (
                        r.group,
                        r.title.clone(),
                        r.criteria.clone(),
                        r.lead.clone(),
                        r.coordinators.clone(),
                        r.deadline_text.clone(),
                        r.product.clone(),
                        r.status,
                    )
                })
                .collect()
        };
        assert_eq!(
            tasks(&back),
            tasks(&appendix),
            "the tasks after a round trip"
        );
        assert!(
            back.problems.is_empty(),
            "problems after a round trip: {:?}",
            back.problems
        );
    }
}

// Surveys.

/// A reader that hands out its bytes in short pieces of changing length, as a network body
/// does.
struct Trickle<'a> {
    data: &'a [u8],
    reads: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        const PIECES: [usize; 5] = [1, 17, 256, 4_096, 1 << 16];
        let piece = PIECES[self.reads % PIECES.len()];
        self.reads += 1;
        let n = piece.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// `responses.csv` (`chiso_survey::read_csv`, `read_csv_sized`) for each bundled
/// questionnaire: from a slice, with the size known, and in short reads, all three alike.
fn survey_csv(data: &[u8]) {
    for questionnaire in &reference().questionnaires {
        let name = "responses.csv";
        let whole = chiso_survey::read_csv(questionnaire, name, data);
        let sized =
            chiso_survey::read_csv_sized(questionnaire, name, data, Some(data.len() as u64));
        assert_eq!(sized, whole, "read_csv_sized differs from read_csv");
        let pieces = chiso_survey::read_csv(questionnaire, name, Trickle { data, reads: 0 });
        assert_eq!(pieces, whole, "short reads change what read_csv reads");
        if let Ok(tally) = &whole {
            check_tally(tally);
        }
    }
}

fn check_tally(tally: &chiso_survey::Tally) {
    assert!(tally.accepted() + tally.rejected.len() as u64 <= tally.rows);
    assert!(tally.rejected.windows(2).all(|w| w[0].row < w[1].row));
}

/// `responses.xlsx` (`chiso_survey::read_xlsx`) for each bundled questionnaire.
fn survey_xlsx(data: &[u8]) {
    let bytes = parts::workbook(data);
    for questionnaire in &reference().questionnaires {
        if let Ok(tally) = chiso_survey::read_xlsx(questionnaire, "responses.xlsx", &bytes) {
            check_tally(&tally);
        }
    }
}

/// A questionnaire's TOML (`Questionnaire::from_toml`); one that reads must give a codec
/// that packs a blank response and a full one without a panic.
fn questionnaire_toml(data: &[u8]) {
    let Ok(questionnaire) = Questionnaire::from_toml("questionnaire.toml", &text(data)) else {
        return;
    };
    let mut cells = TextCells::new(&questionnaire);
    for blanks in [Blanks::Allowed, Blanks::AtLeastOne, Blanks::Never] {
        let mut codec = Codec::new(&questionnaire, blanks);
        let _ = codec.pack(&&cells);
    }
    for answer in &mut cells.answers {
        *answer = questionnaire
            .scale
            .answers
            .last()
            .map(|a| a.code.clone())
            .unwrap_or_default();
    }
    let mut codec = Codec::new(&questionnaire, Blanks::Never);
    if let Ok(packed) = codec.pack(&&cells) {
        assert_eq!(packed.answers.len(), questionnaire.items.len());
    }
}

/// A `weight` cell (`codec::parse_weight`): within the limits, and the number the text says
/// (blank is 1).
fn weight(data: &[u8]) {
    let Ok(weight) = parse_weight(data) else {
        return;
    };
    if data.is_empty() {
        assert_eq!(weight, 1.0, "a blank weight is 1");
        return;
    }
    assert!(
        (MIN_WEIGHT..=MAX_WEIGHT).contains(&weight),
        "weight {weight} out of range"
    );
    let parsed: f64 = std::str::from_utf8(data)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "weight {weight} from {:?}, which is not a number",
                text(data)
            )
        });
    assert!(
        (parsed - weight).abs() <= parsed.abs() * 1e-12,
        "{:?} read as {weight}, not {parsed}",
        text(data)
    );
}

/// The body of the kiosk API (`POST /api/v1/responses`), with the fields of chiso-web's
/// `ApiResponse` (crates/web/src/routes/survey_form/kiosk.rs), checked as its
/// `api_response` does: the answers by item code, the overall item, the demographics by
/// question code, the expectations and the comment put into [`TextCells`] and packed by the
/// survey codec with at least one answer. The web's own deserialisation and refusals are not
/// built here (chiso-web is not a dependency of this crate).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // The unit, service, respondent and channel are the web's to resolve.
struct KioskBody {
    unit_code: Option<String>,
    service: Option<String>,
    respondent_id: Option<String>,
    channel: Option<String>,
    #[serde(default)]
    answers: serde_json::Map<String, serde_json::Value>,
    overall: Option<serde_json::Value>,
    comment: Option<String>,
    #[serde(default)]
    demographics: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    expectations: Vec<String>,
}

fn cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

/// A kiosk's JSON body as the survey codec sees it, for each bundled questionnaire.
fn survey_text_cells(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<KioskBody>(data) else {
        return;
    };
    'questionnaires: for questionnaire in &reference().questionnaires {
        let mut cells = TextCells::new(questionnaire);
        for (code, value) in &body.answers {
            let Some(index) = questionnaire.items.iter().position(|i| &i.code == code) else {
                continue 'questionnaires;
            };
            cells.answers[index] = cell(value);
        }
        if let Some(overall) = &body.overall {
            let Some(index) = questionnaire.overall else {
                continue 'questionnaires;
            };
            cells.answers[index] = cell(overall);
        }
        for (code, value) in &body.demographics {
            let Some(index) = questionnaire
                .demographics
                .iter()
                .position(|d| &d.code == code)
            else {
                continue 'questionnaires;
            };
            cells.demographics[index] = cell(value);
        }
        if !body.expectations.is_empty() && questionnaire.expectations.is_none() {
            continue;
        }
        cells.expectations = body.expectations.clone();
        cells.comment = body.comment.clone().unwrap_or_default();
        let mut codec = Codec::new(questionnaire, Blanks::AtLeastOne);
        match codec.pack(&&cells) {
            Ok(packed) => {
                let scale = questionnaire.scale.answers.len();
                assert_eq!(packed.answers.len(), questionnaire.items.len());
                assert!(packed.answers.iter().any(|&a| a != 0), "no answer accepted");
                assert!(packed.answers.iter().all(|&a| usize::from(a) <= scale));
                let mut chosen = packed.expectations.to_vec();
                chosen.sort_unstable();
                chosen.dedup();
                assert_eq!(chosen.len(), packed.expectations.len(), "an area twice");
            }
            Err(faults) => assert!(!faults.is_empty(), "a refusal without a fault"),
        }
    }
}
