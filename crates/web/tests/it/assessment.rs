//! The self-assessment screens over HTTP, on SQLite and, when reachable, PostgreSQL, with the
//! demo data (the demo campaign is open; nhaplieu and lanhdao are the editor and leader of S03
//! Sở Tư pháp): filling leaves with autosave, evidence upload and linking, submit, lock and
//! withdraw, the submission check, two editors saving the same leaf, upload refusals, who may
//! see what, and the history of a leaf.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use chiso_domain::access::Role;
use chiso_domain::{Method, Rule};
use chiso_store::assessments::{self, SelfEntry};
use chiso_store::evidence;
use chiso_store::{Actor, campaigns, frameworks, units};
use common::{TestApp, apps, apps_with, csrf_in, location};

/// The demo campaign's sheet of a unit, with the framework's node ids by code.
struct Demo {
    sheet: i64,
    campaign: i64,
    nodes: HashMap<String, i64>,
}

impl Demo {
    fn node(&self, code: &str) -> i64 {
        self.nodes[code]
    }
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    units::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == code)
        .unwrap()
        .id
}

/// The demo campaign's sheet of a unit (created when missing, as a visit would).
async fn demo_sheet(app: &TestApp, unit_code: &str) -> Demo {
    let campaign = campaigns::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == chiso_domain::campaign::CampaignState::Open)
        .expect("the demo campaign is open")
        .id;
    let unit = unit_id(app, unit_code).await;
    let sheet = assessments::sheet_for_unit(&app.db, &Actor::system("test"), campaign, unit)
        .await
        .unwrap();
    let nodes = frameworks::load(&app.db, sheet.framework_id)
        .await
        .unwrap()
        .node_ids;
    Demo {
        sheet: sheet.id,
        campaign,
        nodes,
    }
}

/// An htmx autosave of one leaf: status and body.
async fn save(app: &TestApp, demo: &Demo, code: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/tu-danh-gia/{}/tieu-chi/{}", demo.sheet, demo.node(code)),
        )
        .header("hx-request", "true")
        .header("x-csrf-token", app.csrf())
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The stage-0 row of a leaf: (points as text, version).
async fn stored(app: &TestApp, demo: &Demo, code: &str) -> Option<(Option<String>, i64)> {
    assessments::leaf_scores(&app.db, demo.sheet)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.node_id == demo.node(code) && r.stage == 0)
        .map(|r| (r.points().map(|p| p.to_string()), r.version))
}

async fn version_of(app: &TestApp, demo: &Demo, code: &str) -> String {
    stored(app, demo, code)
        .await
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% chiso test {tag}\n1 0 obj << >> endobj\n%%EOF\n").into_bytes()
}

async fn upload(
    app: &TestApp,
    demo: &Demo,
    code: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    app.post_multipart(
        &format!(
            "/tu-danh-gia/{}/tieu-chi/{}/tai-lieu",
            demo.sheet,
            demo.node(code)
        ),
        form,
    )
    .await
}

/// Every blob file under the app's evidence folder (temporary files aside).
fn blobs(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tmp") {
                    walk(&path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir.join("evidence"), &mut out);
    out
}

/// Fills every self-assessed leaf that has no points yet, through the store, so that only
/// the leaves a test is about are left to the HTTP requests: rule inputs where the leaf has an
/// input rule, the max elsewhere, with an explanation (evidence is then not required).
async fn fill_rest(app: &TestApp, demo: &Demo, skip: &[&str]) {
    let sheet = assessments::get_sheet(&app.db, demo.sheet).await.unwrap();
    let stored = frameworks::load(&app.db, sheet.framework_id).await.unwrap();
    let rows = assessments::leaf_scores(&app.db, demo.sheet).await.unwrap();
    let editor = Actor::user(0, "test");
    for &leaf in stored.framework.leaves() {
        let node = stored.framework.node(leaf);
        if node.method == Method::Survey || skip.contains(&node.code.as_str()) {
            continue;
        }
        let node_id = stored.node_ids[&node.code];
        let row = rows.iter().find(|r| r.node_id == node_id && r.stage == 0);
        let evidence = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap()
            .iter()
            .any(|f| f.node_id == node_id);
        let complete = row.is_some_and(|r| {
            r.points.is_some() && (r.explanation.is_some() || evidence || !node.evidence_required)
        });
        if complete {
            continue;
        }
        let (points, input) = match (row.and_then(|r| r.points()), &node.rule) {
            (Some(points), _) => (Some(points), row.and_then(|r| r.input_value())),
            (None, Some(Rule::Threshold { .. })) => (None, Some(100.0)),
            (None, Some(Rule::Proportional { .. })) => (None, Some(1.0)),
            (None, _) if node.method == Method::Penalty => (Some(chiso_domain::Points::ZERO), None),
            (None, _) => (Some(node.max_points), None),
        };
        let version = row.map(|r| r.version);
        assessments::save_self_assessment(
            &app.db,
            &editor,
            Role::UnitEditor,
            demo.sheet,
            assessments::today_in_vietnam(),
            &SelfEntry {
                node_id,
                points,
                input,
                explanation: Some("Đã thực hiện đầy đủ".into()),
                expected_version: version,
            },
        )
        .await
        .unwrap();
    }
}

/// A second browser session of the same app.
struct Session {
    client: reqwest::Client,
    csrf: String,
    base: String,
}

impl Session {
    async fn login(app: &TestApp, username: &str) -> Session {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client
            .get(app.url("/dang-nhap"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = csrf_in(&page).unwrap();
        let response = client
            .post(app.url("/dang-nhap"))
            .form(&[
                ("_csrf", token.as_str()),
                ("username", username),
                ("password", chiso_web::demo::PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "second login");
        let page = client
            .get(app.url("/doi-mat-khau"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        Session {
            client,
            csrf: csrf_in(&page).unwrap(),
            base: app.base.clone(),
        }
    }

    async fn save(&self, demo: &Demo, code: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .client
            .post(format!(
                "{}/tu-danh-gia/{}/tieu-chi/{}",
                self.base,
                demo.sheet,
                demo.node(code)
            ))
            .header("hx-request", "true")
            .header("x-csrf-token", &self.csrf)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

#[tokio::test]
async fn the_editor_fills_attaches_and_the_leader_submits_then_withdraws() {
    for mut app in apps().await {
        let b = app.backend;
        app.login("nhaplieu").await;
        // The list creates the unit's sheet and says what is asked of it.
        let (status, body) = app.get_text("/tu-danh-gia").await;
        assert_eq!(status, 200, "{b:?}");
        assert!(body.contains("Sở Tư pháp"), "{b:?}: {body}");
        let demo = demo_sheet(&app, "S03").await;
        assert!(
            body.contains(&format!("/tu-danh-gia/{}", demo.sheet)),
            "{b:?}"
        );
        assert!(body.contains("tiêu chí chưa chấm điểm"), "{b:?}");

        // The scoresheet: the tree, a rule input, a levels select, a survey leaf read-only.
        let (status, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert_eq!(status, 200, "{b:?}");
        assert!(page.contains("id=\"leaf-1.1\""), "{b:?}");
        assert!(page.contains("name=\"input\""), "{b:?}");
        assert!(page.contains("<select name=\"points\""), "{b:?}");
        assert!(page.contains("lấy từ kết quả khảo sát"), "{b:?}");
        assert!(page.contains("hx-trigger=\"change, keyup changed delay:800ms\""));
        assert!(page.contains("/static/sheet.js"), "{b:?}");

        // Points typed the Vietnamese way, with an explanation: the row and the totals come
        // back (out of band).
        let (status, row) = save(
            &app,
            &demo,
            "1.2",
            &[
                ("version", ""),
                ("points", "1,5"),
                ("explanation", "Đủ báo cáo quý"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{b:?}: {row}");
        assert!(row.starts_with("<article class=\"leaf"), "{b:?}: {row}");
        assert!(
            row.contains("id=\"sheet-summary\" hx-swap-oob=\"true\""),
            "{b:?}"
        );
        assert!(row.contains("id=\"self-total\">1,50<"), "{b:?}: {row}");
        assert_eq!(
            stored(&app, &demo, "1.2").await.unwrap().0.as_deref(),
            Some("1.5")
        );
        // A threshold rule's input: the points are computed (95 % → 2 of 3).
        let (status, row) = save(
            &app,
            &demo,
            "1.1",
            &[("version", ""), ("input", "95"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 200, "{b:?}: {row}");
        assert!(row.contains("class=\"computed-points\">2<"), "{b:?}: {row}");
        assert!(row.contains("id=\"self-total\">3,50<"), "{b:?}");
        // A fixed-levels leaf refuses a value that is not a level, naming the leaf.
        let (status, row) = save(&app, &demo, "4.3", &[("version", ""), ("points", "1,5")]).await;
        assert_eq!(status, 422, "{b:?}: {row}");
        assert!(row.contains("4.3"), "{b:?}");
        assert!(row.contains("không thuộc các mức"), "{b:?}: {row}");
        // Without htmx (no JavaScript) a save redirects back to the leaf.
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/tieu-chi/{}", demo.sheet, demo.node("4.3")),
                &[("version", ""), ("points", "2"), ("explanation", "")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        assert!(location(&response).ends_with("#leaf-4.3"), "{b:?}");
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("id=\"self-total\">5,50<"), "{b:?}");

        // One PDF uploaded to 1.1 and linked to 1.3: one blob, one file row, two links.
        let response = upload(&app, &demo, "1.1", "Kế hoạch CCHC 2026.pdf", pdf("plan")).await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        let files = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap();
        assert_eq!(files.len(), 1, "{b:?}");
        let file_id = files[0].file_id;
        let response = app
            .post_form(
                &format!(
                    "/tu-danh-gia/{}/tieu-chi/{}/lien-ket",
                    demo.sheet,
                    demo.node("1.3")
                ),
                &[("file_id", &file_id.to_string())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        let files = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap();
        assert_eq!(files.len(), 2, "{b:?}");
        assert!(files.iter().all(|f| f.file_id == file_id), "{b:?}");
        assert_eq!(blobs(&app).len(), 1, "{b:?}: stored once");
        // Linking the same file twice to one leaf is refused with the reason.
        let response = app
            .request(
                reqwest::Method::POST,
                &format!(
                    "/tu-danh-gia/{}/tieu-chi/{}/lien-ket",
                    demo.sheet,
                    demo.node("1.3")
                ),
            )
            .header("hx-request", "true")
            .header("x-csrf-token", app.csrf())
            .form(&[("file_id", file_id.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422, "{b:?}");
        let row = response.text().await.unwrap();
        assert!(
            row.contains("tài liệu «Kế hoạch CCHC 2026.pdf» đã được gắn vào tiêu chí 1.3"),
            "{b:?}: {row}"
        );
        crate::refusals::assert_vietnamese("evidence linked twice", &row);
        // The download names the file in UTF-8 and forbids sniffing.
        let response = app.get(&format!("/tai-lieu/{file_id}")).await;
        assert_eq!(response.status().as_u16(), 200, "{b:?}");
        let disposition = response.headers()["content-disposition"].to_str().unwrap();
        assert!(
            disposition.contains("filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch"),
            "{b:?}: {disposition}"
        );
        assert!(disposition.contains("filename=\"Ke hoach CCHC 2026.pdf\""));
        // A PDF opens in the browser instead of downloading.
        assert!(disposition.starts_with("inline;"), "{b:?}: {disposition}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            pdf("plan").as_slice()
        );

        // The editor cannot submit.
        let response = app
            .post_form(&format!("/tu-danh-gia/{}/nop", demo.sheet), &[])
            .await;
        assert_eq!(response.status().as_u16(), 403, "{b:?}");

        // The leader submits once everything is filled; the sheet is locked.
        fill_rest(&app, &demo, &[]).await;
        app.login("lanhdao").await;
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("id=\"submit-sheet\""), "{b:?}");
        let version = assessments::get_sheet(&app.db, demo.sheet)
            .await
            .unwrap()
            .version;
        // Reviewed at an older version: refused, naming both versions; nothing changes.
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/nop", demo.sheet),
                &[("version", &(version - 1).to_string())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 409, "{b:?}");
        let page = response.text().await.unwrap();
        let said = format!(
            "Bảng tự chấm điểm đã thay đổi sau khi bạn xem lại (phiên bản hiện tại {version}, \
             bạn xem phiên bản {}): hãy xem lại trước khi nộp Bảng tự chấm điểm",
            version - 1
        );
        assert!(page.contains(&said), "{b:?}: {said}");
        crate::refusals::assert_vietnamese("a stale submission", &page);
        let version = version.to_string();
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/nop", demo.sheet),
                &[("version", &version)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        assert!(location(&response).contains("msg=assessment.submitted"));
        let sheet = assessments::get_sheet(&app.db, demo.sheet).await.unwrap();
        assert_eq!(
            sheet.status,
            chiso_domain::assessment::SheetStatus::Submitted,
            "{b:?}"
        );
        let (_, page) = app
            .get_text(&format!(
                "/tu-danh-gia/{}?msg=assessment.submitted",
                demo.sheet
            ))
            .await;
        assert!(page.contains("Đã nộp Bảng tự chấm điểm"), "{b:?}");
        assert!(page.contains("id=\"withdraw-sheet\""), "{b:?}");
        assert!(page.contains("id=\"locked-reason\""), "{b:?}");
        assert!(!page.contains("class=\"autosave self-form\""), "{b:?}");

        // Editing a locked sheet is refused with the reason; nothing changes.
        app.login("nhaplieu").await;
        let before = stored(&app, &demo, "1.2").await.unwrap();
        let (status, row) = save(
            &app,
            &demo,
            "1.2",
            &[("version", &before.1.to_string()), ("points", "0,75")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");
        assert!(
            row.contains("không thể sửa Bảng tự chấm điểm"),
            "{b:?}: {row}"
        );
        assert!(row.contains("đã nộp"), "{b:?}: {row}");
        assert_eq!(stored(&app, &demo, "1.2").await.unwrap(), before, "{b:?}");
        let response = upload(&app, &demo, "1.2", "muon.pdf", pdf("late")).await;
        assert_eq!(response.status().as_u16(), 422, "{b:?}");

        // Withdrawn before appraisal starts: a draft again, editable.
        app.login("lanhdao").await;
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/rut", demo.sheet),
                &[("reason", "Bổ sung tài liệu")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        assert_eq!(
            assessments::get_sheet(&app.db, demo.sheet)
                .await
                .unwrap()
                .status,
            chiso_domain::assessment::SheetStatus::Draft
        );
        let (status, _) = save(
            &app,
            &demo,
            "1.2",
            &[("version", &before.1.to_string()), ("points", "0,75")],
        )
        .await;
        assert_eq!(status, 200, "{b:?}: the leader may edit too");
        // Once appraisal has started, withdrawing is refused with the reason.
        let version = assessments::get_sheet(&app.db, demo.sheet)
            .await
            .unwrap()
            .version;
        // Reviewed at an older version: refused, naming both versions; nothing changes.
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/nop", demo.sheet),
                &[("version", &(version - 1).to_string())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 409, "{b:?}");
        let page = response.text().await.unwrap();
        let said = format!(
            "Bảng tự chấm điểm đã thay đổi sau khi bạn xem lại (phiên bản hiện tại {version}, \
             bạn xem phiên bản {}): hãy xem lại trước khi nộp Bảng tự chấm điểm",
            version - 1
        );
        assert!(page.contains(&said), "{b:?}: {said}");
        crate::refusals::assert_vietnamese("a stale submission", &page);
        let version = version.to_string();
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/nop", demo.sheet),
                &[("version", &version)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        assessments::open_round(
            &app.db,
            &Actor::system("test"),
            Role::Secretariat,
            demo.campaign,
            1,
            None,
        )
        .await
        .unwrap();
        let response = app
            .post_form(&format!("/tu-danh-gia/{}/rut", demo.sheet), &[])
            .await;
        assert_eq!(response.status().as_u16(), 422, "{b:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("thẩm định đã bắt đầu"), "{b:?}: {body}");
    }
}

#[tokio::test]
async fn a_leaf_that_needs_evidence_blocks_the_submission_by_name() {
    for mut app in apps().await {
        let b = app.backend;
        let demo = demo_sheet(&app, "S03").await;
        fill_rest(&app, &demo, &["1.2"]).await;
        app.login("nhaplieu").await;
        // Points but neither a document nor an explanation.
        let (status, _) = save(
            &app,
            &demo,
            "1.2",
            &[("version", ""), ("points", "1,5"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 200, "{b:?}");
        app.login("lanhdao").await;
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("id=\"submission-problems\""), "{b:?}");
        assert!(page.contains("<a href=\"#leaf-1.2\">1.2</a>"), "{b:?}");
        let version = assessments::get_sheet(&app.db, demo.sheet)
            .await
            .unwrap()
            .version
            .to_string();
        let response = app
            .post_form(
                &format!("/tu-danh-gia/{}/nop", demo.sheet),
                &[("version", &version)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422, "{b:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("Chưa nộp được Bảng tự chấm điểm"), "{b:?}");
        assert!(body.contains("<a href=\"#leaf-1.2\">1.2</a>"), "{b:?}");
        assert!(body.contains("yêu cầu tài liệu kiểm chứng"), "{b:?}");
        assert_eq!(
            assessments::get_sheet(&app.db, demo.sheet)
                .await
                .unwrap()
                .status,
            chiso_domain::assessment::SheetStatus::Draft
        );
        // An explanation unblocks it.
        app.login("nhaplieu").await;
        let version = version_of(&app, &demo, "1.2").await;
        let (status, _) = save(
            &app,
            &demo,
            "1.2",
            &[
                ("version", &version),
                ("points", "1,5"),
                ("explanation", "Báo cáo gửi qua hệ thống điện tử"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{b:?}");
        assert!(
            assessments::submission_problems(&app.db, demo.sheet)
                .await
                .unwrap()
                .is_empty(),
            "{b:?}"
        );
    }
}

#[tokio::test]
async fn two_editors_saving_one_leaf_see_the_conflict_and_lose_nothing() {
    for mut app in apps().await {
        let b = app.backend;
        let demo = demo_sheet(&app, "S03").await;
        app.login("nhaplieu").await;
        let (status, _) = save(&app, &demo, "1.3", &[("version", ""), ("points", "1")]).await;
        assert_eq!(status, 200, "{b:?}");
        let version = version_of(&app, &demo, "1.3").await;
        let other = Session::login(&app, "lanhdao").await;

        // Both opened the leaf at the same version; the first save wins.
        let (status, _) = save(
            &app,
            &demo,
            "1.3",
            &[("version", &version), ("points", "2"), ("explanation", "A")],
        )
        .await;
        assert_eq!(status, 200, "{b:?}");
        let (status, row) = other
            .save(
                &demo,
                "1.3",
                &[
                    ("version", &version),
                    ("points", "2,5"),
                    ("explanation", "B"),
                ],
            )
            .await;
        assert_eq!(status, 409, "{b:?}: {row}");
        assert!(
            row.contains("vừa được người khác lưu trước bạn"),
            "{b:?}: {row}"
        );
        assert!(row.contains("Trần Văn Nhập Liệu"), "{b:?}: who saved it");
        assert!(row.contains("Điểm 2; Giải trình «A»"), "{b:?}: {row}");
        // The second editor's typed value is kept in the field.
        assert!(row.contains("value=\"2,5\""), "{b:?}: {row}");
        assert!(row.contains(">B</textarea>"), "{b:?}");
        assert!(row.contains("name=\"overwrite_version\""), "{b:?}");
        assert_eq!(
            stored(&app, &demo, "1.3").await.unwrap().0.as_deref(),
            Some("2"),
            "{b:?}"
        );

        // Re-saved from the version now stored, the second value goes in.
        let current = version_of(&app, &demo, "1.3").await;
        let (status, row) = other
            .save(
                &demo,
                "1.3",
                &[
                    ("version", &version),
                    ("overwrite_version", &current),
                    ("points", "2,5"),
                    ("explanation", "B"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{b:?}: {row}");
        assert_eq!(
            stored(&app, &demo, "1.3").await.unwrap().0.as_deref(),
            Some("2.5"),
            "{b:?}"
        );
    }
}

#[tokio::test]
async fn uploads_are_checked_by_size_content_and_name() {
    for mut app in apps_with(|config| config.max_upload_bytes = 64 * 1024).await {
        let b = app.backend;
        let demo = demo_sheet(&app, "S03").await;
        app.login("nhaplieu").await;

        // Too large: refused, naming the file.
        let mut big = pdf("big");
        big.resize(100 * 1024, b'x');
        let response = upload(&app, &demo, "1.1", "bao-cao-lon.pdf", big).await;
        let status = response.status().as_u16();
        assert!(status == 413 || status == 422, "{b:?}: {status}");
        let body = response.text().await.unwrap();
        assert!(body.contains("bao-cao-lon.pdf"), "{b:?}: {body}");
        assert!(body.contains("vượt giới hạn"), "{b:?}");

        // Executables renamed to .pdf: refused by content.
        for (name, bytes) in [
            ("hop-dong.pdf", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()),
            ("bang-tinh.pdf", b"\x7fELF\x02\x01\x01\x00".to_vec()),
        ] {
            let response = upload(&app, &demo, "1.1", name, bytes).await;
            assert_eq!(response.status().as_u16(), 422, "{b:?}: {name}");
            let body = response.text().await.unwrap();
            assert!(body.contains(name), "{b:?}: {body}");
            assert!(body.contains("chương trình thực thi"), "{b:?}");
            crate::refusals::assert_vietnamese("an executable upload", &body);
        }
        // A PNG named .pdf: the mismatch is named.
        let response = upload(
            &app,
            &demo,
            "1.1",
            "anh.pdf",
            b"\x89PNG\r\n\x1a\n....".to_vec(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 422, "{b:?}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("nội dung là ảnh PNG"),
            "{b:?}"
        );
        assert!(
            evidence::files_for_sheet(&app.db, demo.sheet)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(blobs(&app).is_empty(), "{b:?}: nothing refused is stored");

        // A path-traversal name: stored under its last component, bytes under the hash.
        let response = upload(&app, &demo, "1.1", "../../etc/passwd.pdf", pdf("passwd")).await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        let files = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap();
        assert_eq!(files.len(), 1, "{b:?}");
        assert_eq!(files[0].file_name, "passwd.pdf", "{b:?}");
        let stored_blobs = blobs(&app);
        assert_eq!(stored_blobs.len(), 1, "{b:?}");
        let blob_name = stored_blobs[0].file_name().unwrap().to_str().unwrap();
        assert_eq!(blob_name, evidence::sha256_hex(&pdf("passwd")), "{b:?}");
        assert!(stored_blobs[0].starts_with(app.data_dir.join("evidence")));
        assert!(!app.data_dir.join("etc").exists(), "{b:?}");
        assert!(
            !app.data_dir
                .parent()
                .unwrap()
                .join("etc/passwd.pdf")
                .exists()
        );

        // The same content again, under another name, on another leaf: stored once.
        let response = upload(&app, &demo, "1.3", "ban-sao.pdf", pdf("passwd")).await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        let files = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap();
        assert_eq!(files.len(), 2, "{b:?}");
        assert_eq!(files[0].file_id, files[1].file_id, "{b:?}: one file row");
        assert_eq!(blobs(&app).len(), 1, "{b:?}: one blob");

        // No file chosen.
        let response = app
            .post_multipart(
                &format!(
                    "/tu-danh-gia/{}/tieu-chi/{}/tai-lieu",
                    demo.sheet,
                    demo.node("1.1")
                ),
                reqwest::multipart::Form::new().text("_csrf", app.csrf().to_string()),
            )
            .await;
        assert_eq!(response.status().as_u16(), 422, "{b:?}");
        assert!(response.text().await.unwrap().contains("Chưa chọn tệp"));
    }
}

#[tokio::test]
async fn a_unit_sees_only_its_own_sheets_and_files() {
    for mut app in apps().await {
        let b = app.backend;
        let own = demo_sheet(&app, "S03").await;
        let other = demo_sheet(&app, "S05").await;
        // A file on each sheet.
        let system = Actor::user(0, "test");
        let today = assessments::today_in_vietnam();
        let blobs = evidence::LocalBlobStore::new(app.data_dir.join("evidence"));
        let mut files = Vec::new();
        for (demo, tag) in [(&own, "own"), (&other, "other")] {
            let file =
                evidence::upload(&app.db, &blobs, &system, "tai-lieu.pdf", &pdf(tag), 1 << 20)
                    .await
                    .unwrap();
            evidence::link(
                &app.db,
                &system,
                Role::UnitEditor,
                demo.sheet,
                demo.node("1.1"),
                file.id,
                today,
            )
            .await
            .unwrap();
            files.push(file.id);
        }

        // Anonymous visitors go to the login page.
        for path in [
            "/tu-danh-gia".to_string(),
            format!("/tu-danh-gia/{}", own.sheet),
            format!("/tai-lieu/{}", files[0]),
            format!(
                "/tu-danh-gia/{}/tieu-chi/{}/lich-su",
                own.sheet,
                own.node("1.1")
            ),
        ] {
            let response = app.get(&path).await;
            assert_eq!(response.status().as_u16(), 303, "{b:?}: {path}");
            assert!(location(&response).starts_with("/dang-nhap"), "{b:?}");
        }

        // The unit's editor: its own sheet and file, never the other unit's.
        app.login("nhaplieu").await;
        assert_eq!(
            app.get_text(&format!("/tu-danh-gia/{}", own.sheet)).await.0,
            200
        );
        assert_eq!(
            app.get(&format!("/tai-lieu/{}", files[0]))
                .await
                .status()
                .as_u16(),
            200
        );
        assert_eq!(
            app.get_text(&format!("/tu-danh-gia/{}", other.sheet))
                .await
                .0,
            403,
            "{b:?}"
        );
        assert_eq!(
            app.get(&format!("/tai-lieu/{}", files[1]))
                .await
                .status()
                .as_u16(),
            404,
            "{b:?}"
        );
        let (status, _) = save(&app, &other, "1.2", &[("version", ""), ("points", "1")]).await;
        assert_eq!(status, 403, "{b:?}");
        let response = upload(&app, &other, "1.2", "x.pdf", pdf("x")).await;
        assert_eq!(response.status().as_u16(), 403, "{b:?}");
        assert_eq!(
            app.get_text(&format!(
                "/tu-danh-gia/{}/tieu-chi/{}/lich-su",
                other.sheet,
                other.node("1.1")
            ))
            .await
            .0,
            403
        );
        // Linking the other unit's file by its id is refused.
        let response = app
            .post_form(
                &format!(
                    "/tu-danh-gia/{}/tieu-chi/{}/lien-ket",
                    own.sheet,
                    own.node("1.2")
                ),
                &[("file_id", &files[1].to_string())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 403, "{b:?}");
        assert!(app.get_text("/tu-danh-gia").await.1.contains("Sở Tư pháp"));
        assert!(
            !app.get_text("/tu-danh-gia")
                .await
                .1
                .contains("Sở Công Thương")
        );

        // The appraiser: not a draft.
        app.login("thamdinh").await;
        assert_eq!(
            app.get_text(&format!("/tu-danh-gia/{}", own.sheet)).await.0,
            403
        );
        assert_eq!(
            app.get(&format!("/tai-lieu/{}", files[0]))
                .await
                .status()
                .as_u16(),
            404
        );
        assert_eq!(app.get_text("/tu-danh-gia").await.0, 403, "{b:?}");
        // The viewer: not before publication.
        app.login("xemketqua").await;
        assert_eq!(
            app.get_text(&format!("/tu-danh-gia/{}", own.sheet)).await.0,
            403
        );
        // The secretariat reads every sheet, read-only, and changes none.
        app.login("thuongtruc").await;
        let (status, page) = app.get_text(&format!("/tu-danh-gia/{}", other.sheet)).await;
        assert_eq!(status, 200, "{b:?}");
        assert!(!page.contains("class=\"autosave self-form\""), "{b:?}");
        let (status, _) = save(&app, &other, "1.2", &[("version", ""), ("points", "1")]).await;
        assert_eq!(status, 403, "{b:?}");

        // Submitted, the sheet and its files open to the appraiser.
        fill_rest(&app, &own, &[]).await;
        let version = assessments::get_sheet(&app.db, own.sheet)
            .await
            .unwrap()
            .version;
        assessments::submit(
            &app.db,
            &Actor::user(0, "test"),
            Role::UnitLeader,
            own.sheet,
            version,
            today,
        )
        .await
        .unwrap();
        app.login("thamdinh").await;
        let (status, page) = app.get_text(&format!("/tu-danh-gia/{}", own.sheet)).await;
        assert_eq!(status, 200, "{b:?}");
        assert!(!page.contains("class=\"autosave self-form\""), "{b:?}");
        assert_eq!(
            app.get(&format!("/tai-lieu/{}", files[0]))
                .await
                .status()
                .as_u16(),
            200
        );
        assert_eq!(
            app.get(&format!("/tai-lieu/{}", files[1]))
                .await
                .status()
                .as_u16(),
            404
        );
        // An unknown sheet or file is 404 for those who could read one.
        assert_eq!(app.get_text("/tu-danh-gia/999999").await.0, 404);
        assert_eq!(app.get("/tai-lieu/999999").await.status().as_u16(), 404);
    }
}

#[tokio::test]
async fn the_history_of_a_leaf_shows_old_and_new_values() {
    for mut app in apps().await {
        let b = app.backend;
        let demo = demo_sheet(&app, "S03").await;
        app.login("nhaplieu").await;
        let (status, _) = save(&app, &demo, "1.3", &[("version", ""), ("points", "1")]).await;
        assert_eq!(status, 200, "{b:?}");
        let version = version_of(&app, &demo, "1.3").await;
        let (status, _) = save(
            &app,
            &demo,
            "1.3",
            &[
                ("version", &version),
                ("points", "2,5"),
                ("explanation", "Đã kiểm tra 40% phòng"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{b:?}");
        let path = format!(
            "/tu-danh-gia/{}/tieu-chi/{}/lich-su",
            demo.sheet,
            demo.node("1.3")
        );
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 200, "{b:?}");
        assert!(page.contains("<html"), "{b:?}: a full page without htmx");
        assert!(
            page.contains("<span class=\"old\">1</span> → <span class=\"new\">2,5</span>"),
            "{b:?}: {page}"
        );
        assert!(page.contains("<span class=\"old\">—</span> → <span class=\"new\">1</span>"));
        assert!(page.contains("Đã kiểm tra 40% phòng"), "{b:?}");
        assert!(page.contains("Tự đánh giá"), "{b:?}");
        assert!(page.contains("nhaplieu"), "{b:?}");
        // htmx loads the table alone into the leaf row.
        let response = app
            .request(reqwest::Method::GET, &path)
            .header("hx-request", "true")
            .send()
            .await
            .unwrap();
        let fragment = response.text().await.unwrap();
        assert!(!fragment.contains("<html"), "{b:?}");
        assert!(fragment.contains("class=\"history-table\""), "{b:?}");
        // The secretariat may read it too; another unit's people may not (tested above).
        app.login("thuongtruc").await;
        assert_eq!(app.get_text(&path).await.0, 200, "{b:?}");
    }
}

#[tokio::test]
async fn the_unit_answers_an_explanation_request_and_the_leader_submits_it() {
    for mut app in apps().await {
        let b = app.backend;
        let demo = demo_sheet(&app, "S03").await;
        fill_rest(&app, &demo, &[]).await;
        let today = assessments::today_in_vietnam();
        let system = Actor::user(0, "test");
        let version = assessments::get_sheet(&app.db, demo.sheet)
            .await
            .unwrap()
            .version;
        assessments::submit(
            &app.db,
            &system,
            Role::UnitLeader,
            demo.sheet,
            version,
            today,
        )
        .await
        .unwrap();
        assessments::open_round(&app.db, &system, Role::Secretariat, demo.campaign, 1, None)
            .await
            .unwrap();
        assessments::save_appraisal(
            &app.db,
            &Actor::user(0, "thamdinh"),
            Role::Appraiser,
            None,
            demo.sheet,
            &assessments::AppraisalEntry {
                node_id: demo.node("1.2"),
                points: Some("0.75".parse().unwrap()),
                comment: Some("Thiếu báo cáo quý 3".into()),
                explanation_requested: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();

        // While the round is open, the council's work is not the unit's to read.
        app.login("nhaplieu").await;
        let (status, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert_eq!(status, 200, "{b:?}");
        assert!(!page.contains("Thiếu báo cáo quý 3"), "{b:?}");
        assert!(page.contains("Đang thẩm định"), "{b:?}");

        assessments::close_round(&app.db, &system, Role::Secretariat, demo.campaign, 1, None)
            .await
            .unwrap();
        let (_, list) = app.get_text("/tu-danh-gia").await;
        assert!(
            list.contains("Cần giải trình 1 tiêu chí trước"),
            "{b:?}: {list}"
        );
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("Hội đồng yêu cầu giải trình"), "{b:?}");
        assert!(page.contains("Thiếu báo cáo quý 3"), "{b:?}");
        assert!(page.contains("class=\"leaf state-filled flagged"), "{b:?}");
        assert!(page.contains("name=\"answer\""), "{b:?}");
        assert!(page.contains("class=\"appraised-points\">0,75<"), "{b:?}");
        assert!(page.contains("id=\"appraised-total\""), "{b:?}");
        // The self-assessment itself is closed now.
        let v = version_of(&app, &demo, "1.3").await;
        let (status, _) = save(&app, &demo, "1.3", &[("version", &v), ("points", "1")]).await;
        assert_eq!(status, 422, "{b:?}");

        // The leader cannot submit before every request is answered.
        app.login("lanhdao").await;
        let response = app
            .post_form(&format!("/tu-danh-gia/{}/nop-giai-trinh", demo.sheet), &[])
            .await;
        assert_eq!(response.status().as_u16(), 422, "{b:?}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("chưa trả lời các tiêu chí 1.2"),
            "{b:?}: {body}"
        );

        // The answer autosaves on the round's row; extra evidence goes with it.
        app.login("nhaplieu").await;
        let round_version = assessments::leaf_scores(&app.db, demo.sheet)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.node_id == demo.node("1.2") && r.stage == 1)
            .unwrap()
            .version
            .to_string();
        let (status, row) = save(
            &app,
            &demo,
            "1.2",
            &[
                ("version", &round_version),
                ("answer", "Báo cáo quý 3 gửi ngày 05/10, kèm văn bản"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{b:?}: {row}");
        assert!(row.contains("Báo cáo quý 3 gửi ngày 05/10"), "{b:?}");
        let response = upload(&app, &demo, "1.2", "bao-cao-quy-3.pdf", pdf("q3")).await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        let files = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap();
        assert!(
            files
                .iter()
                .any(|f| f.node_id == demo.node("1.2") && f.stage == 1),
            "{b:?}: extra evidence at round 1"
        );
        // Leaves that were not flagged take no answer.
        let (status, row) = save(
            &app,
            &demo,
            "1.3",
            &[("version", "1"), ("answer", "không được hỏi")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");

        app.login("lanhdao").await;
        let response = app
            .post_form(&format!("/tu-danh-gia/{}/nop-giai-trinh", demo.sheet), &[])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        assert_eq!(
            assessments::get_sheet(&app.db, demo.sheet)
                .await
                .unwrap()
                .status,
            chiso_domain::assessment::SheetStatus::ExplanationSubmitted,
            "{b:?}"
        );
        let (_, page) = app
            .get_text(&format!(
                "/tu-danh-gia/{}?msg=assessment.explanation_submitted",
                demo.sheet
            ))
            .await;
        assert!(page.contains("Đã nộp giải trình"), "{b:?}");
        assert!(!page.contains("id=\"submit-explanations\""), "{b:?}");
    }
}

#[tokio::test]
async fn after_the_deadline_the_sheet_is_read_only_until_an_extension() {
    for mut app in apps().await {
        let b = app.backend;
        let system = Actor::system("test");
        let today = assessments::today_in_vietnam();
        let s03 = unit_id(&app, "S03").await;
        let framework = frameworks::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.code == "department-2025")
            .unwrap()
            .id;
        let campaign = campaigns::create(
            &app.db,
            &system,
            &campaigns::CampaignFields {
                year: 2025,
                title: "Đợt đã quá hạn".into(),
                appraisal_rounds: 1,
                self_assessment_deadline: Some(today - chrono::Days::new(3)),
                explanation_deadline: Some(today + chrono::Days::new(30)),
                round_deadlines: vec![None],
                bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
            },
        )
        .await
        .unwrap();
        campaigns::set_framework(&app.db, &system, campaign, "department", Some(framework))
            .await
            .unwrap();
        campaigns::set_units(&app.db, &system, campaign, "department", &[s03])
            .await
            .unwrap();
        campaigns::transition(
            &app.db,
            &system,
            campaign,
            chiso_domain::campaign::CampaignState::Open,
            None,
        )
        .await
        .unwrap();
        app.login("nhaplieu").await;
        let (_, list) = app.get_text("/tu-danh-gia").await;
        assert!(list.contains("Đợt đã quá hạn"), "{b:?}");
        assert!(list.contains("Đã quá hạn tự đánh giá"), "{b:?}: {list}");
        let sheet = assessments::find_sheet(&app.db, campaign, s03)
            .await
            .unwrap()
            .expect("the visit created the sheet");
        let demo = Demo {
            sheet: sheet.id,
            campaign,
            nodes: frameworks::load(&app.db, framework).await.unwrap().node_ids,
        };
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("id=\"locked-reason\""), "{b:?}");
        assert!(page.contains("đã quá hạn tự đánh giá"), "{b:?}");
        assert!(!page.contains("class=\"autosave self-form\""), "{b:?}");
        let (status, row) = save(&app, &demo, "1.2", &[("version", ""), ("points", "1")]).await;
        assert_eq!(status, 422, "{b:?}");
        assert!(row.contains("chưa được gia hạn"), "{b:?}: {row}");
        assert!(stored(&app, &demo, "1.2").await.is_none(), "{b:?}");

        // The secretariat's extension opens it again.
        assessments::grant_extension(
            &app.db,
            &system,
            Role::Secretariat,
            campaign,
            &assessments::ExtensionGrant {
                unit_id: s03,
                stage: chiso_domain::assessment::Stage::SelfAssessment,
                until: today + chrono::Days::new(2),
                reason: "Đơn vị có văn bản xin gia hạn".into(),
            },
        )
        .await
        .unwrap();
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("được gia hạn đến"), "{b:?}");
        assert!(page.contains("class=\"autosave self-form\""), "{b:?}");
        let (status, _) = save(&app, &demo, "1.2", &[("version", ""), ("points", "1")]).await;
        assert_eq!(status, 200, "{b:?}");
    }
}

#[tokio::test]
async fn evidence_comes_off_a_leaf_and_results_open_to_viewers_after_publication() {
    for mut app in apps().await {
        let b = app.backend;
        let demo = demo_sheet(&app, "S03").await;
        app.login("nhaplieu").await;
        let response = upload(&app, &demo, "1.2", "bien-ban.pdf", pdf("minutes")).await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");
        let link = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap()[0]
            .clone();
        let response = app
            .request(
                reqwest::Method::POST,
                &format!("/tu-danh-gia/{}/lien-ket/{}/xoa", demo.sheet, link.link_id),
            )
            .header("hx-request", "true")
            .header("x-csrf-token", app.csrf())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{b:?}");
        let row = response.text().await.unwrap();
        assert!(row.contains("id=\"leaf-1.2\""), "{b:?}");
        assert!(!row.contains("bien-ban.pdf</a>"), "{b:?}");
        assert!(
            evidence::files_for_sheet(&app.db, demo.sheet)
                .await
                .unwrap()
                .is_empty()
        );
        // Unlinked everywhere, the file is nobody's to download: it answers as unknown (the log
        // keeps its name).
        assert_eq!(
            app.get(&format!("/tai-lieu/{}", link.file_id))
                .await
                .status()
                .as_u16(),
            404
        );
        let response = upload(&app, &demo, "1.2", "bien-ban.pdf", pdf("minutes")).await;
        assert_eq!(response.status().as_u16(), 303, "{b:?}");

        // Submitted, appraised, finalized, published.
        fill_rest(&app, &demo, &[]).await;
        let system = Actor::user(0, "test");
        let version = assessments::get_sheet(&app.db, demo.sheet)
            .await
            .unwrap()
            .version;
        let today = assessments::today_in_vietnam();
        assessments::submit(
            &app.db,
            &system,
            Role::UnitLeader,
            demo.sheet,
            version,
            today,
        )
        .await
        .unwrap();
        assessments::open_round(&app.db, &system, Role::Secretariat, demo.campaign, 1, None)
            .await
            .unwrap();
        assessments::close_round(&app.db, &system, Role::Secretariat, demo.campaign, 1, None)
            .await
            .unwrap();
        chiso_store::testing::finalize_deciding_all(
            &app.db,
            &system,
            Role::Secretariat,
            demo.campaign,
            today,
            "Chốt",
        )
        .await
        .unwrap();
        // Finalized: the unit reads its final points and changes nothing.
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert!(page.contains("class=\"final-points\""), "{b:?}");
        assert!(page.contains("Kết quả đã chốt"), "{b:?}");
        let v = version_of(&app, &demo, "1.2").await;
        let (status, row) = save(&app, &demo, "1.2", &[("version", &v), ("points", "0")]).await;
        assert_eq!(status, 422, "{b:?}");
        assert!(
            row.contains("không thể sửa Bảng tự chấm điểm"),
            "{b:?}: {row}"
        );
        app.login("xemketqua").await;
        assert_eq!(
            app.get_text(&format!("/tu-danh-gia/{}", demo.sheet))
                .await
                .0,
            403,
            "{b:?}: not before publication"
        );
        assessments::publish(&app.db, &system, Role::Secretariat, demo.campaign, None)
            .await
            .unwrap();
        let (status, page) = app.get_text(&format!("/tu-danh-gia/{}", demo.sheet)).await;
        assert_eq!(status, 200, "{b:?}");
        assert!(page.contains("bien-ban.pdf"), "{b:?}");
        let file = evidence::files_for_sheet(&app.db, demo.sheet)
            .await
            .unwrap()[0]
            .file_id;
        assert_eq!(
            app.get(&format!("/tai-lieu/{file}"))
                .await
                .status()
                .as_u16(),
            200,
            "{b:?}"
        );
    }
}

/// The deadline rule reads the application's clock: moved past the demo campaign's
/// self-assessment deadline (three weeks ahead), the same autosave is refused in Vietnamese
/// with the date day first; moved back, it is accepted again. No waiting, no calendar.
#[tokio::test]
async fn the_self_assessment_deadline_moves_with_the_clock() {
    let clock = chiso_web::app::Clock::fixed(chrono::Utc::now());
    for mut app in apps_with(|config| config.clock = clock.clone()).await {
        let b = app.backend;
        let start = chrono::Utc::now();
        clock.set(start);
        app.login("nhaplieu").await;
        let demo = demo_sheet(&app, "S03").await;
        let (status, _) = save(&app, &demo, "1.3", &[("version", ""), ("points", "0,5")]).await;
        assert_eq!(status, 200, "{b:?}");

        clock.advance(chrono::Duration::days(30));
        let version = version_of(&app, &demo, "1.3").await;
        let (status, row) = save(
            &app,
            &demo,
            "1.3",
            &[("version", &version), ("points", "1")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}");
        assert!(row.contains("đã quá hạn tự đánh giá"), "{b:?}: {row}");
        assert!(row.contains("chưa được gia hạn"), "{b:?}: {row}");
        for english in ["deadline", "has passed", "extension", "self-assessment"] {
            assert!(!row.contains(english), "{b:?}: {english} in {row}");
        }
        assert_eq!(
            stored(&app, &demo, "1.3").await.unwrap().0.as_deref(),
            Some("0.5"),
            "{b:?}"
        );

        clock.set(start);
        let (status, _) = save(
            &app,
            &demo,
            "1.3",
            &[("version", &version), ("points", "1")],
        )
        .await;
        assert_eq!(status, 200, "{b:?}");
    }
}

#[tokio::test]
async fn a_refused_value_is_named_beside_its_field_with_a_valid_example() {
    for mut app in apps().await {
        let b = app.backend;
        app.login("nhaplieu").await;
        let demo = demo_sheet(&app, "S03").await;
        // A proportional leaf's share is typed in per cent, with the % sign beside the field,
        // and stored as the rule's ratio: 92 % of 3 points.
        let (status, row) = save(
            &app,
            &demo,
            "7.1",
            &[("version", ""), ("input", "92"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 200, "{b:?}: {row}");
        assert!(
            row.contains("value=\"92\"><span class=\"unit\">%</span>"),
            "{b:?}: {row}"
        );
        assert!(
            row.contains("class=\"computed-points\">2,76<"),
            "{b:?}: {row}"
        );
        let saved = assessments::leaf_scores(&app.db, demo.sheet)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.node_id == demo.node("7.1") && r.stage == 0)
            .unwrap();
        assert_eq!(saved.input_value(), Some(0.92), "{b:?}");
        // Out of range: refused beside the input, by the input's label (never the rule's
        // internal name), in per cent with commas, with a value the field takes.
        let version = saved.version.to_string();
        let (status, row) = save(
            &app,
            &demo,
            "7.1",
            &[("version", &version), ("input", "150"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");
        let input_error = format!("id=\"f{}-input-error\"", demo.node("7.1"));
        assert!(row.contains(&input_error), "{b:?}: {row}");
        assert!(row.contains("aria-invalid=\"true\""), "{b:?}: {row}");
        assert!(
            row.contains("Tỷ lệ văn bản điện tử có ký số"),
            "{b:?}: {row}"
        );
        assert!(
            row.contains("150% nằm ngoài khoảng 0% – 100%"),
            "{b:?}: {row}"
        );
        assert!(row.contains("Ví dụ hợp lệ: 85%"), "{b:?}: {row}");
        assert!(!row.contains("electronic_docs_ratio"), "{b:?}: {row}");
        // The typed value stays in the field and the stored one is unchanged.
        assert!(row.contains("value=\"150\""), "{b:?}: {row}");
        assert_eq!(
            stored(&app, &demo, "7.1").await.map(|(points, _)| points),
            Some(Some("2.76".to_string())),
            "{b:?}"
        );
        // Points that are not a number: beside the points, with the leaf's own example.
        let (status, row) = save(
            &app,
            &demo,
            "1.3",
            &[("version", ""), ("points", "hai"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");
        let points_error = format!("id=\"f{}-points-error\"", demo.node("1.3"));
        assert!(row.contains(&points_error), "{b:?}: {row}");
        assert!(row.contains("«hai» không phải là số"), "{b:?}: {row}");
        // A negative ratio on another proportional leaf: named by that leaf's own label.
        let (status, row) = save(
            &app,
            &demo,
            "3.3.3",
            &[("version", ""), ("input", "-1"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");
        assert!(
            row.contains("Tỷ lệ hồ sơ, kết quả TTHC được số hóa"),
            "{b:?}: {row}"
        );
        // A threshold leaf's negative figure: its example is one of its own steps.
        let (status, row) = save(
            &app,
            &demo,
            "1.1",
            &[("version", ""), ("input", "-5"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");
        assert!(row.contains("-5% là số âm"), "{b:?}: {row}");
        assert!(row.contains("Ví dụ hợp lệ: 100%"), "{b:?}: {row}");
        // Under the English switch the same refusal speaks English with decimal points.
        app.post_form("/ngon-ngu", &[("lang", "en")]).await;
        let (status, row) = save(
            &app,
            &demo,
            "7.2.1",
            &[("version", ""), ("input", "100,5"), ("explanation", "")],
        )
        .await;
        assert_eq!(status, 422, "{b:?}: {row}");
        assert!(row.contains("100.5% is outside 0% – 100%"), "{b:?}: {row}");
        assert!(row.contains("A valid value: 85%"), "{b:?}: {row}");
    }
}
