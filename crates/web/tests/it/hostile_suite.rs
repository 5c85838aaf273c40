//! The hostile-input suite over HTTP, on both backends: every import (units, framework, survey
//! responses) against every hostile file (a two-cell dense-range workbook, a zip bomb, a
//! 150,000-column header as CSV and as .xlsx), each refused with a 4xx in Vietnamese while
//! `/healthz` keeps answering; absurd survey weights refused by row; and formula cells
//! neutralised in the CSV exports that carry text people typed.

use crate::common;

use std::time::{Duration, Instant};

use chiso_interchange::hostile;
use chiso_store::surveys::{self, WaveFields};
use chiso_store::{Actor, campaigns, units};
use common::{TestApp, location};
use reqwest::multipart::{Form, Part};

const UNITS_HEADER: [&str; 4] = ["unit_code", "unit_name", "kind", "parent_code"];
const FRAMEWORK_HEADER: [&str; 3] = ["code", "title", "max_points"];

fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_string())
}

/// One import route and the form fields it needs beside the file.
struct Import {
    what: &'static str,
    path: String,
    fields: Vec<(&'static str, &'static str)>,
    header: Vec<String>,
}

impl Import {
    fn form(&self, name: &str, bytes: Vec<u8>) -> Form {
        let mut form = Form::new();
        for (key, value) in &self.fields {
            form = form.text(*key, *value);
        }
        form.part("file", file(name, bytes))
    }
}

/// An open SIPAS wave over two demo departments.
async fn open_wave(app: &TestApp) -> i64 {
    let actor = Actor::system("test");
    let questionnaire = surveys::register_bundled(&app.db, &actor, "sipas-2017")
        .await
        .unwrap();
    let wave = surveys::create_wave(
        &app.db,
        &actor,
        &WaveFields::new(questionnaire, "Khảo sát thử tệp xấu", 2026),
    )
    .await
    .unwrap();
    let all = units::list(&app.db).await.unwrap();
    let pairs: Vec<(i64, Option<i64>)> = all.iter().take(2).map(|u| (u.id, None)).collect();
    surveys::set_units(&app.db, &actor, wave, &pairs)
        .await
        .unwrap();
    surveys::open_wave(&app.db, &actor, wave).await.unwrap();
    wave
}

fn responses_header() -> Vec<String> {
    let q = chiso_survey::bundled("sipas-2017").unwrap();
    let items: Vec<&str> = q.items.iter().map(|i| i.code.as_str()).collect();
    hostile::responses_header(&items)
}

/// Sends an upload while probing `/healthz`; the upload's status and body, and the slowest
/// health answer seen meanwhile.
async fn upload_while_probing(app: &TestApp, path: &str, form: Form) -> (u16, String, Duration) {
    let upload = app.post_multipart(path, form);
    let probe = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let started = Instant::now();
            let (status, _) = app.get_text("/healthz").await;
            assert_eq!(status, 200, "/healthz answers during an upload");
            slowest = slowest.max(started.elapsed());
        }
        slowest
    };
    let (response, slowest) = tokio::join!(upload, probe);
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default(), slowest)
}

#[tokio::test]
async fn every_import_refuses_every_hostile_file_in_vietnamese_and_keeps_serving() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let wave = open_wave(&app).await;
        app.login("thuongtruc").await;
        let imports = [
            Import {
                what: "units",
                path: "/don-vi/nhap".into(),
                fields: vec![],
                header: UNITS_HEADER.map(String::from).to_vec(),
            },
            Import {
                what: "framework",
                path: "/bo-tieu-chi/nhap".into(),
                fields: vec![
                    ("code", "tep-xau"),
                    ("title", "Bộ tiêu chí thử"),
                    ("year", "2026"),
                    ("unit_kind", "department"),
                ],
                header: FRAMEWORK_HEADER.map(String::from).to_vec(),
            },
            Import {
                what: "survey responses",
                path: format!("/khao-sat/dot/{wave}/nhap-tep"),
                fields: vec![],
                header: responses_header(),
            },
            Import {
                what: "national index results",
                path: "/chi-so-quoc-gia/nhap".into(),
                fields: vec![("index", "papi")],
                header: ["index", "year", "unit_code", "measure", "value"]
                    .map(String::from)
                    .to_vec(),
            },
        ];
        for import in &imports {
            let header: Vec<&str> = import.header.iter().map(String::as_str).collect();
            let files = [
                ("dense range", "a.xlsx", hostile::dense_range_xlsx(&header)),
                (
                    "bomb",
                    "b.xlsx",
                    hostile::xlsx_bomb(300 << 20, &header, "x"),
                ),
                (
                    "150k columns (CSV)",
                    "c.csv",
                    hostile::wide_header_csv(&header, 150_000),
                ),
                (
                    "150k columns (xlsx)",
                    "d.xlsx",
                    hostile::wide_header_xlsx(&header, 150_000),
                ),
            ];
            for (kind, name, bytes) in files {
                let (status, body, slowest) =
                    upload_while_probing(&app, &import.path, import.form(name, bytes)).await;
                let what = format!("{backend:?} {} ← {kind}", import.what);
                assert!((400..500).contains(&status), "{what}: {status}");
                assert!(
                    body.contains("giới hạn") || body.contains("vượt") || body.contains("quá"),
                    "{what}: the refusal names the limit in Vietnamese: {body}"
                );
                for english in ["limit", "columns", "unpacks", "cells", "bytes"] {
                    assert!(!body.contains(english), "{what}: English «{english}»");
                }
                assert!(
                    slowest < Duration::from_secs(2),
                    "{what}: /healthz took {slowest:?}"
                );
            }
        }
        // Nothing of it was stored.
        assert!(
            chiso_store::frameworks::list(&app.db)
                .await
                .unwrap()
                .iter()
                .all(|f| f.code != "tep-xau"),
            "{backend:?}"
        );
        assert_eq!(surveys::imports(&app.db, wave).await.unwrap().len(), 0);
        assert!(
            chiso_store::indices::year_history(&app.db, "papi", 2016)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn absurd_survey_weights_are_refused_by_row() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let wave = open_wave(&app).await;
        let unit = surveys::wave_units(&app.db, wave).await.unwrap()[0]
            .unit_code
            .clone();
        app.login("thuongtruc").await;
        let header = responses_header();
        let items = header.len() - 4;
        let mut rows = vec![header];
        for (i, weight) in ["1e308", "1e308", "NaN", "inf", "1"].iter().enumerate() {
            let mut row = vec![
                unit.clone(),
                format!("R{i}"),
                "paper".into(),
                (*weight).into(),
            ];
            row.extend(std::iter::repeat_n("5".to_string(), items));
            rows.push(row);
        }
        let form = Form::new().part("file", file("w.csv", hostile::csv_of(&rows)));
        let response = app
            .post_multipart(&format!("/khao-sat/dot/{wave}/nhap-tep"), form)
            .await;
        let job = location(&response);
        assert!(job.starts_with("/khao-sat/nhap/"), "{backend:?}: {job}");
        let mut page = String::new();
        for _ in 0..100 {
            page = app.get_text(&job).await.1;
            if page.contains("data-finished=\"true\"") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for row in 2..=5 {
            assert!(
                page.contains(&format!("data-row=\"{row}\"")),
                "{backend:?}: row {row}: {page}"
            );
        }
        assert!(
            !page.contains("data-row=\"6\""),
            "{backend:?}: the weight 1 is fine"
        );
        assert!(
            page.contains("lớn hơn mức tối đa cho phép, 1.000.000"),
            "{backend:?}"
        );
        // All or nothing: the good row is not counted either.
        let counted: u64 = surveys::counts(&app.db, wave, &[], None)
            .await
            .unwrap()
            .iter()
            .map(|c| c.counts.responses.n)
            .sum();
        assert_eq!(counted, 0, "{backend:?}");
    }
}

#[tokio::test]
async fn csv_exports_neutralise_formulas_people_typed() {
    let formula = hostile::FORMULAS[0];
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        // A framework whose title cells are formulas, exported as CSV.
        let csv = format!(
            "code,title,max_points\n1,\"{}\",10\n1.1,@SUM(1+1),10\n",
            formula.replace('"', "\"\"")
        );
        let form = Form::new()
            .text("code", "cong-thuc")
            .text("title", "Bộ tiêu chí công thức")
            .text("year", "2026")
            .text("unit_kind", "department")
            .part("file", file("f.csv", csv.into_bytes()));
        let response = app.post_multipart("/bo-tieu-chi/nhap", form).await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let id = chiso_store::frameworks::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.code == "cong-thuc")
            .unwrap()
            .id;
        let text = app.get_text(&format!("/bo-tieu-chi/{id}/csv")).await.1;
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let titles: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[1].to_string())
            .collect();
        assert_eq!(
            titles,
            [format!("'{formula}"), "'@SUM(1+1)".to_string()],
            "{backend:?}"
        );

        // An extension reason in the campaign's audit export.
        let campaign = campaigns::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.state == chiso_domain::campaign::CampaignState::Open)
            .unwrap()
            .id;
        let unit = units::list(&app.db).await.unwrap()[1].id.to_string();
        let response = app
            .post_form(
                &format!("/dot-danh-gia/{campaign}/gia-han"),
                &[
                    ("unit_id", unit.as_str()),
                    ("stage", "self_assessment"),
                    ("until", "2099-01-01"),
                    ("reason", formula),
                ],
            )
            .await;
        assert!(response.status().is_redirection(), "{backend:?}");
        let text = app
            .get_text(&format!("/dot-danh-gia/{campaign}/nhat-ky.csv"))
            .await
            .1;
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let cells: Vec<String> = reader
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert!(
            cells.contains(&format!("'{formula}")),
            "{backend:?}: {cells:?}"
        );
        assert!(!cells.iter().any(|c| c.starts_with('=')), "{backend:?}");
    }
}
