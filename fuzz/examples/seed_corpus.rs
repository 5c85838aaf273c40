//! Writes the seed inputs of every target into `fuzz/corpus/TARGET/seed-*`: the repository's
//! fixtures and bundled data, files written by chiso's own writers, small hostile files
//! (`chiso_interchange::hostile`), and each workbook also as its parts' text
//! (`chiso_fuzz::parts`). Run it again after a fixture changes:
//!
//! `cargo run -p chiso-fuzz --example seed_corpus`
//!
//! The inputs the fuzzer found are kept beside the seeds under their hashes.

use std::path::{Path, PathBuf};

use chiso_domain::plan::TaskStatus;
use chiso_fuzz::parts;
use chiso_interchange::framework_io::{framework_to_csv, framework_to_xlsx};
use chiso_interchange::hostile;
use chiso_interchange::plan::{AppendixDoc, AppendixGroup, AppendixTask, write_appendix};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn file(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Seeds {
    corpus: PathBuf,
    written: usize,
    bytes: usize,
}

impl Seeds {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.corpus.join(target);
        std::fs::create_dir_all(&dir).expect("the corpus folder");
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("a seed");
        self.written += 1;
        self.bytes += bytes.len();
    }

    /// A workbook as it is and as its parts' text.
    fn workbook(&mut self, target: &str, name: &str, xlsx: &[u8]) {
        self.put(target, &format!("{name}.xlsx"), xlsx);
        let text = parts::to_text(xlsx).expect("a workbook of ours unzips");
        self.put(target, &format!("{name}.parts"), &text);
    }
}

fn main() {
    let mut seeds = Seeds {
        corpus: Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        written: 0,
        bytes: 0,
    };
    let s = &mut seeds;

    // CSV tables.
    let tables = [
        "tests/fixtures/compute/framework.csv",
        "tests/fixtures/compute/scores.csv",
        "tests/fixtures/compute/units.csv",
        "tests/fixtures/survey/responses-services.csv",
        "data/units/lineage-2025.csv",
        "data/published/par-index.csv",
    ];
    for path in tables {
        s.put("table_csv", &path.replace('/', "_"), &file(path));
    }
    let tricky = [
        ("bom-crlf", "\u{feff}a,b\r\n1,2\r\n\r\n3,4\r\n"),
        ("quoted", "a,b\n\"x, y\",\"line\nbreak\"\n\"\"\"\",'=1+1\n"),
        ("ragged", "a,b,c\n1\n1,2,3,4\n,\n"),
        (
            "formula",
            "code,title\n'=HYPERLINK(\"x\"),'-2+3\n'@SUM(1),-1.5\n",
        ),
    ];
    for (name, text) in tricky {
        s.put("table_csv", name, text.as_bytes());
    }

    // Workbooks: the publishers' fixtures, chiso's own writers, hostile files.
    let framework = chiso_interchange::framework_io::framework_from_table(
        &chiso_interchange::table::read_csv(
            "framework.csv",
            file("tests/fixtures/compute/framework.csv").as_slice(),
        )
        .expect("the fixture"),
        chiso_domain::FrameworkMeta::default(),
    )
    .expect("the fixture's framework");
    let framework_xlsx = framework_to_xlsx(&framework).expect("an .xlsx in memory");
    let responses = hostile::xlsx_of(
        &std::str::from_utf8(&file("tests/fixtures/survey/responses.csv"))
            .expect("UTF-8")
            .lines()
            .take(8)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect::<Vec<_>>(),
    );
    let units = ["unit_code", "unit_name", "kind", "parent_code"];
    let hostile_books = [
        ("dense-range", hostile::dense_range_xlsx(&units)),
        ("bomb", hostile::xlsx_bomb(2 << 20, &units, "x")),
        (
            "shared-strings-count",
            hostile::shared_strings_count_xlsx(u64::MAX),
        ),
        (
            "reversed-rows",
            hostile::raw_sheet_xlsx(
                r#"<row r="2"><c r="A2" t="inlineStr"><is><t>b</t></is></c></row><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>"#,
            ),
        ),
        (
            "far-cell",
            hostile::raw_sheet_xlsx(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="ALL1"><v>1</v></c></row><row r="2"><c r="ZZZ2"><v>2</v></c></row>"#,
            ),
        ),
    ];
    for target in ["table_xlsx", "sheet_rows", "sheet_grid"] {
        s.put(
            target,
            "par-2023-moha.xlsx",
            &file("tests/fixtures/indices/par-2023-moha.xlsx"),
        );
        s.workbook(target, "framework", &framework_xlsx);
        s.workbook(target, "responses", &responses);
        for (name, bytes) in &hostile_books {
            match *name {
                "bomb" if target == "sheet_rows" => s.put(target, "bomb.xlsx", bytes),
                "bomb" => {}
                _ => s.workbook(target, name, bytes),
            }
        }
    }

    // Frameworks.
    s.put(
        "framework_csv",
        "fixture.csv",
        &file("tests/fixtures/compute/framework.csv"),
    );
    // The bundled frameworks are large (20 to 53 KB): the smallest one and the one with the
    // most rules.
    for bundled in chiso_refdata::FRAMEWORKS {
        if !["commune-2025", "par-province-2022"].contains(&bundled.id) {
            continue;
        }
        let framework = chiso_refdata::framework(bundled.id).expect("a bundled framework");
        if bundled.id == "commune-2025" {
            let csv = framework_to_csv(&framework);
            s.put(
                "framework_csv",
                &format!("{}.csv", bundled.id),
                csv.as_bytes(),
            );
        }
        s.put("framework_toml", bundled.file, bundled.text.as_bytes());
    }
    let mut rules: Vec<String> = chiso_refdata::FRAMEWORKS
        .iter()
        .flat_map(|b| b.text.lines())
        .filter_map(|l| l.trim().strip_prefix("rule = "))
        .map(|r| r.trim_matches('"').replace("\\\"", "\""))
        .collect();
    rules.sort();
    rules.dedup();
    rules.extend(
        [
            "levels: 0; 0.5; 1",
            "threshold(on_time_share): 100 => 1; 80 => 0.5; else => 0\nTỷ lệ đúng hạn (%)",
            "proportional(online_share)",
            "survey(sipas)",
            "Threshold ( x ) : 1e3 => 2 ; ELSE => 0.25",
            "levels:",
        ]
        .map(str::to_string),
    );
    for (i, rule) in rules.iter().enumerate() {
        s.put("rule", &format!("{i:03}"), rule.as_bytes());
    }

    // Units, scores, lineage, earlier results.
    for path in [
        "tests/fixtures/compute/units.csv",
        "data/units/provinces-34.csv",
        "data/units/tiles-34.csv",
    ] {
        s.put("units_csv", &path.replace('/', "_"), &file(path));
    }
    s.put(
        "scores_csv",
        "fixture.csv",
        &file("tests/fixtures/compute/scores.csv"),
    );
    s.put(
        "scores_csv",
        "many-units.csv",
        &hostile::many_units_scores_csv("1.1", "6", 40),
    );
    let commune = chiso_refdata::framework("commune-2025").expect("a bundled framework");
    let mut rows = String::from("unit_code,unit_name,code,points,input\n");
    for (u, unit) in ["79", "01"].iter().enumerate() {
        for &leaf in commune.leaves() {
            let node = commune.node(leaf);
            let has_input = matches!(
                node.rule,
                Some(
                    chiso_domain::Rule::Threshold { .. } | chiso_domain::Rule::Proportional { .. }
                )
            );
            let (points, input) = if has_input { ("", "87.5") } else { ("1", "") };
            rows.push_str(&format!(
                "{unit},Đơn vị {u},{},{points},{input}\n",
                node.code
            ));
        }
    }
    s.put("scores_csv", "commune-inputs.csv", rows.as_bytes());
    s.put(
        "lineage_csv",
        "lineage-2025.csv",
        &file("data/units/lineage-2025.csv"),
    );
    s.put(
        "lineage_csv",
        "weights.csv",
        b"successor_code,predecessor_code,weight\n01,01,1.5\n01,02,\n02,03,0\n",
    );
    s.put(
        "previous_json",
        "compute.json",
        &file("tests/fixtures/compute/previous.json"),
    );
    s.put(
        "previous_json",
        "populations.json",
        &file("tests/fixtures/compute-populations/previous.json"),
    );

    // National indices.
    for name in ["par-2023-moha", "papi-provinces"] {
        let path = format!("tests/fixtures/indices/{name}.xlsx");
        s.put("indices", &format!("{name}.xlsx"), &file(&path));
    }
    s.put(
        "indices",
        "par-2023-moha.parts",
        &parts::to_text(&file("tests/fixtures/indices/par-2023-moha.xlsx")).expect("a zip"),
    );
    for name in [
        "papi",
        "par-index",
        "par-components",
        "sipas",
        "sipas-factors",
        "internal-indices",
    ] {
        let path = format!("data/published/{name}.csv");
        s.put("indices", &format!("{name}.csv"), &file(&path));
    }
    s.put(
        "indices",
        "long.csv",
        b"index,year,unit_code,measure,value,rank\npapi,2023,01,total,42.5,3\npapi,2023,79,total,40.1,\npapi,2023,79,1,5.1026,\n",
    );

    // Plans.
    let task = |title: &str, deadline: &str, status| AppendixTask {
        title: title.to_string(),
        criteria: vec!["PAPI 3".to_string(), "1.1".to_string()],
        lead: "Sở Nội vụ".to_string(),
        coordinators: vec!["Sở Tài chính".to_string(), "Các sở, ban, ngành".to_string()],
        deadline: deadline.to_string(),
        product: "Báo cáo".to_string(),
        status,
    };
    let plan = AppendixDoc {
        authority: "UBND tỉnh Quảng Bình".to_string(),
        title: "PHỤ LỤC: NHIỆM VỤ, GIẢI PHÁP".to_string(),
        document: "(Kèm theo Kế hoạch số 1886/KH-UBND ngày 10/09/2021)".to_string(),
        groups: vec![
            AppendixGroup {
                title: "Nhóm giải pháp nâng cao chỉ số PAPI".to_string(),
                tasks: vec![
                    task(
                        "Công khai\nthông tin",
                        "Trước ngày 20/12 hằng năm",
                        Some(TaskStatus::InProgress),
                    ),
                    task("Đối thoại", "Thường xuyên", None),
                ],
            },
            AppendixGroup {
                title: "Nhóm giải pháp SIPAS".to_string(),
                tasks: vec![task("Khảo sát", "30/6/2027", Some(TaskStatus::Done))],
            },
        ],
    };
    s.workbook(
        "plan_appendix",
        "appendix",
        &write_appendix(&plan).expect("an .xlsx in memory"),
    );
    let empty = AppendixDoc {
        groups: vec![AppendixGroup::default()],
        ..AppendixDoc::default()
    };
    s.workbook(
        "plan_appendix",
        "empty",
        &write_appendix(&empty).expect("an .xlsx in memory"),
    );

    // Surveys.
    for name in ["responses.csv", "responses-services.csv"] {
        s.put(
            "survey_csv",
            name,
            &file(&format!("tests/fixtures/survey/{name}")),
        );
    }
    s.put("survey_csv", "kiosk.csv", b"unit_code,respondent_id,channel,weight,q1,comment,service\n01,A1,kiosk,,5,T\xe1\xbb\x91t,DV1\n01,a1,online,2.5,4,,\n02,,,1,6,,\n");
    s.put(
        "survey_csv",
        "many-units.csv",
        &hostile::many_units_responses_csv(&["q1"], 30),
    );
    s.workbook("survey_xlsx", "responses", &responses);
    s.workbook(
        "survey_xlsx",
        "kiosk",
        &hostile::xlsx_of(&[
            ["unit_code", "respondent_id", "q1", "comment"]
                .map(str::to_string)
                .to_vec(),
            ["01", "A1", "5", "x"].map(str::to_string).to_vec(),
            ["01", "A1", "4", ""].map(str::to_string).to_vec(),
        ]),
    );
    for bundled in chiso_survey::questionnaire::BUNDLED {
        s.put("questionnaire_toml", bundled.file, bundled.text.as_bytes());
    }
    for (i, weight) in [
        "1", "1.0", "", "2.5", "0.000001", "1000000", "1e3", "1,5", " 3 ", "-1", "0",
    ]
    .iter()
    .chain(hostile::HOSTILE_WEIGHTS)
    .enumerate()
    {
        s.put("weight", &format!("{i:02}"), weight.as_bytes());
    }
    let bodies = [
        r#"{"answers":{"q1":5}}"#,
        r#"{"unit_code":"01","service":"DV1","respondent_id":"A-1","channel":"kiosk","answers":{"q1":"4"},"comment":"Tốt"}"#,
        r#"{"overall":5,"answers":{"q1":null}}"#,
        r#"{"answers":{"c01":5,"c02":"4","c03":3},"demographics":{"sex":"nu"},"expectations":["thu-tuc","phi"]}"#,
        r#"{"answers":{"c01":5},"expectations":["phi","phi","thu-tuc","thoi-gian"]}"#,
        r#"{"answers":{"q1":[5]},"expectations":[]}"#,
        r#"{"answers":{}}"#,
    ];
    for (i, body) in bodies.iter().enumerate() {
        s.put("survey_text_cells", &format!("{i}.json"), body.as_bytes());
    }

    println!("{} seeds, {} bytes", seeds.written, seeds.bytes);
}
