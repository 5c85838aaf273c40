//! A wave's single responses over HTTP on both backends: the list and a response's page, its
//! exclusion from the index (with a reason, audited, counters moved at once) and restoring
//! it, "n excluded" on the results page, the microdata downloads (CSV, .xlsx with its
//! codebook sheet, JSON, the codebook), an export imported back into a fresh wave with the
//! same counters, and a unit's staff reading only their own unit's responses.

use crate::common;

use chiso_store::audit::{self, AuditFilter};
use chiso_store::surveys::{self, Identity, Response, WaveFields};
use chiso_store::{Actor, Db, units};
use chiso_survey::{Channel, bundled};
use common::{TestApp, apps, location};

fn actor() -> Actor {
    Actor::system("test")
}

async fn unit_id(db: &Db, code: &str) -> i64 {
    units::find_current_by_code(db, code, chiso_store::assessments::today_in_vietnam())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo unit {code}"))
        .id
}

/// An open SIPAS wave over S03 (the unit editor's Sở Tư pháp) and S05.
pub(crate) async fn open_wave(db: &Db, title: &str) -> (i64, [i64; 2]) {
    let questionnaire = surveys::register_bundled(db, &actor(), "sipas-2017")
        .await
        .unwrap();
    let units = [unit_id(db, "S03").await, unit_id(db, "S05").await];
    let wave = surveys::create_wave(db, &actor(), &WaveFields::new(questionnaire, title, 2026))
        .await
        .unwrap();
    surveys::set_units(
        db,
        &actor(),
        wave,
        &[(units[0], Some(500)), (units[1], None)],
    )
    .await
    .unwrap();
    surveys::open_wave(db, &actor(), wave).await.unwrap();
    (wave, units)
}

/// Four responses for S03 and three for S05, with weights, demographics and expectations.
pub(crate) async fn fill(db: &Db, wave: i64, units: [i64; 2]) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..7u8 {
        let mut r = Response::new(
            if i % 2 == 0 {
                Channel::Paper
            } else {
                Channel::Kiosk
            },
            (0..23).map(|k| 1 + (i + k) % 5).collect(),
        );
        r.weight = if i % 3 == 0 { 2.0 } else { 1.0 };
        // Sex, age, occupation, education, then the perception questions (trips…).
        r.demographics = vec![1 + i % 2, 1, 0, 2, 2, 1, 0, 1, 0];
        r.expectations = vec![1 + i % 3];
        let unit = if i < 4 { units[0] } else { units[1] };
        let id = surveys::submit(db, wave, unit, &r, Identity::Respondent(None))
            .await
            .unwrap()
            .unwrap()
            .response_id;
        ids.push(id);
    }
    ids
}

async fn counted(db: &Db, wave: i64, units: [i64; 2]) -> Vec<chiso_survey::Counts> {
    surveys::counts(db, wave, &units, None)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.counts)
        .collect()
}

async fn download(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn staff_browse_exclude_restore_and_download_single_responses() {
    let q = bundled("sipas-2017").unwrap();
    for mut app in apps().await {
        let db = app.db.clone();
        let (wave, units) = open_wave(&db, "Khảo sát quý 4").await;
        let ids = fill(&db, wave, units).await;
        let before = counted(&db, wave, units).await;
        app.login("thuongtruc").await;

        // The results page: none excluded, the download panel.
        let (status, html) = app.get_text(&format!("/khao-sat/dot/{wave}/ket-qua")).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"excluded-count\">0"), "{html}");
        assert!(html.contains(&format!("formaction=\"/khao-sat/dot/{wave}/du-lieu.xlsx\"")));

        // The list and one response with its questions and answers in Vietnamese.
        let (status, html) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(html.matches("data-response=").count(), 7);
        let (status, html) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}", ids[0]))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains(&q.items[0].title), "the question's text");
        assert!(
            html.contains(&q.scale.answers[0].label),
            "the answer's label"
        );
        assert!(html.contains("Phiếu giấy"), "the channel's title");

        // Excluding needs a reason.
        let path = format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}/loai", ids[0]);
        let response = app.post_form(&path, &[("reason", " ")]).await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Hãy ghi lý do loại phiếu.")
        );
        assert_eq!(counted(&db, wave, units).await, before);
        let response = app
            .post_form(&path, &[("reason", "Phiếu do cán bộ điền thử")])
            .await;
        assert_eq!(response.status().as_u16(), 303);
        assert!(location(&response).contains("msg=surveys.response_excluded"));
        let after = counted(&db, wave, units).await;
        assert_eq!(after[0].responses.n, before[0].responses.n - 1);
        assert_eq!(after[1], before[1]);
        let drift = surveys::recompute_counters(&db, &actor(), wave)
            .await
            .unwrap();
        assert!(drift.is_zero(), "{drift:?}");
        let (_, html) = app.get_text(&format!("/khao-sat/dot/{wave}/ket-qua")).await;
        assert!(html.contains("id=\"excluded-count\">1"), "n excluded");
        let (_, html) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}", ids[0]))
            .await;
        assert!(html.contains("Phiếu do cán bộ điền thử"));
        assert!(html.contains("/khoi-phuc"), "the restore form");
        let rows = audit::list(
            &db,
            &AuditFilter {
                entity_type: Some("survey_response".into()),
                entity_id: Some(ids[0]),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows[0].action, "exclude_response");
        assert_eq!(rows[0].reason.as_deref(), Some("Phiếu do cán bộ điền thử"));

        // The downloads: every response, flags and exclusions included.
        let (status, kind, csv) =
            download(&app, &format!("/khao-sat/dot/{wave}/du-lieu.csv")).await;
        assert_eq!(status, 200);
        assert!(kind.starts_with("text/csv"), "{kind}");
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text.lines().count(), 1 + 7);
        assert!(text.starts_with("unit_code,respondent_id,channel,weight,service,c01,"));
        assert!(text.contains(",0,1,Phiếu do cán bộ điền thử\r\n"), "{text}");
        let (_, _, counted_csv) = download(
            &app,
            &format!("/khao-sat/dot/{wave}/du-lieu.csv?trang_thai=counted&kenh=paper&kenh=kiosk"),
        )
        .await;
        assert_eq!(String::from_utf8_lossy(&counted_csv).lines().count(), 1 + 6);
        let (status, kind, json) = download(
            &app,
            &format!("/khao-sat/dot/{wave}/du-lieu.json?don_vi={}", units[1]),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(kind, "application/json");
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(json["responses"].as_array().unwrap().len(), 3);
        assert_eq!(json["responses"][0]["unit_code"], "S05");
        let (status, _, xlsx) = download(&app, &format!("/khao-sat/dot/{wave}/du-lieu.xlsx")).await;
        assert_eq!(status, 200);
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        assert_eq!(book.sheet_names(), ["Phiếu trả lời", "Bộ mã"]);
        let data = book.worksheet_range("Phiếu trả lời").unwrap();
        assert_eq!(data.height(), 1 + 7);
        let codebook = book.worksheet_range("Bộ mã").unwrap();
        assert!(
            codebook
                .rows()
                .any(|r| r[0] == "c01" && r[4] == q.scale.answers[4].label.as_str())
        );
        let (status, _, codebook) =
            download(&app, &format!("/khao-sat/dot/{wave}/bo-ma.csv")).await;
        assert_eq!(status, 200);
        assert!(
            String::from_utf8(codebook)
                .unwrap()
                .starts_with("variable,label,type,value,value_label")
        );
        let exports = audit::list(
            &db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "export_responses")
        .count();
        assert_eq!(exports, 4, "each download is audited");

        // The counted responses, imported into a fresh wave: the same counters.
        let (fresh, _) = open_wave(&db, "Khảo sát nhập lại").await;
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(
                download(
                    &app,
                    &format!("/khao-sat/dot/{wave}/du-lieu.csv?trang_thai=counted"),
                )
                .await
                .2,
            )
            .file_name("du-lieu.csv")
            .mime_str("text/csv")
            .unwrap(),
        );
        let response = app
            .post_multipart(&format!("/khao-sat/dot/{fresh}/nhap-tep"), form)
            .await;
        assert_eq!(response.status().as_u16(), 303);
        crate::surveys::wait_for(&app, &location(&response)).await;
        assert_eq!(
            counted(&db, fresh, units).await,
            counted(&db, wave, units).await
        );

        // Restored: the counters are what they were.
        let response = app
            .post_form(
                &format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}/khoi-phuc", ids[0]),
                &[("reason", "")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(counted(&db, wave, units).await, before);
        assert!(
            surveys::recompute_counters(&db, &actor(), wave)
                .await
                .unwrap()
                .is_zero()
        );
    }
}

#[tokio::test]
async fn a_units_staff_read_only_their_units_responses_and_exclude_none() {
    for mut app in apps().await {
        let db = app.db.clone();
        let (wave, units) = open_wave(&db, "Khảo sát quý 4").await;
        let ids = fill(&db, wave, units).await;
        app.login("nhaplieu").await;
        let (status, html) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(html.matches("data-response=").count(), 4, "S03's own");
        // Another unit's response, even asked for by name, is not theirs.
        let (status, _) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}", ids[6]))
            .await;
        assert_eq!(status, 403);
        let (status, html) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}", ids[0]))
            .await;
        assert_eq!(status, 200);
        assert!(
            !html.contains("/loai\""),
            "no exclude form for a unit's staff"
        );
        let (_, _, csv) = download(
            &app,
            &format!("/khao-sat/dot/{wave}/du-lieu.csv?don_vi={}", units[1]),
        )
        .await;
        assert_eq!(
            String::from_utf8(csv).unwrap().lines().count(),
            1,
            "S05 asked: nothing"
        );
        let (_, _, csv) = download(&app, &format!("/khao-sat/dot/{wave}/du-lieu.csv")).await;
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text.lines().count(), 1 + 4);
        assert!(text.lines().skip(1).all(|l| l.starts_with("S03,")));
        let response = app
            .post_form(
                &format!("/khao-sat/dot/{wave}/phieu-tra-loi/{}/loai", ids[0]),
                &[("reason", "không phải việc của đơn vị")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 403);
        // A viewer reads the results, not single responses.
        app.login("xemketqua").await;
        let (status, _) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-tra-loi"))
            .await;
        assert_eq!(status, 403);
        let (status, html) = app.get_text(&format!("/khao-sat/dot/{wave}/ket-qua")).await;
        assert_eq!(status, 200);
        assert!(
            !html.contains("du-lieu.csv"),
            "no download panel for a viewer"
        );
    }
}

/// The results page is computed once per state of the counters: a submission, an exclusion
/// and a submission through another process on the same database each show on the next read.
#[tokio::test]
async fn the_results_page_follows_every_change_of_the_counters() {
    for mut app in apps().await {
        let backend = app.backend;
        let (wave, units) = open_wave(&app.db, "Khảo sát bộ nhớ đệm").await;
        let ids = fill(&app.db, wave, units).await;
        app.login("thuongtruc").await;
        let count = |body: &str| {
            let row = &body[body.find("<tr data-unit=\"S03\"").expect("the S03 row")..];
            let row = &row[..row.find("</tr>").unwrap()];
            row.to_string()
        };
        let path = format!("/khao-sat/dot/{wave}/ket-qua");
        let (_, first) = app.get_text(&path).await;
        let (_, again) = app.get_text(&path).await;
        assert_eq!(count(&first), count(&again), "{backend:?}: nothing changed");
        assert!(
            count(&first).contains("<td class=\"num\">4 "),
            "{backend:?}: four responses {}",
            count(&first)
        );

        // A submission through a second connection (another process's).
        let other = Db::connect(app.database_url()).await.unwrap();
        let r = Response::new(Channel::Paper, (0..23).map(|_| 5).collect());
        surveys::submit(&other, wave, units[0], &r, Identity::Respondent(None))
            .await
            .unwrap()
            .unwrap();
        let (_, after_submit) = app.get_text(&path).await;
        assert!(
            count(&after_submit).contains("<td class=\"num\">5 "),
            "{backend:?}: {}",
            count(&after_submit)
        );

        // An exclusion.
        surveys::set_excluded(&app.db, &actor(), wave, ids[0], true, Some("Phiếu thử"))
            .await
            .unwrap();
        let (_, after_exclusion) = app.get_text(&path).await;
        assert!(
            count(&after_exclusion).contains("<td class=\"num\">4 "),
            "{backend:?}: {}",
            count(&after_exclusion)
        );
        assert_ne!(
            count(&after_exclusion),
            count(&first),
            "{backend:?}: the index moved"
        );
        other.close().await;
    }
}
