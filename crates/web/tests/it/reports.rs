//! PDF reports over HTTP on both backends (docs/method.md §10): each report is started, made
//! in the background while its page polls the progress, downloaded, and read back with
//! `pdftotext` (poppler-utils) to check that Vietnamese survives; who may not read the results
//! gets no report; the announcement is audited.

use std::time::Duration;

use crate::appraisal::unit_id;
use crate::common::{self, TestApp, location};
use crate::results_pages::{finalized, published};

const AUTHORITY: &str = "Ủy ban nhân dân tỉnh Thừa Thiên Huế";

async fn apps() -> Vec<TestApp> {
    common::apps_with(|c| c.authority_name = AUTHORITY.into()).await
}

/// Posts a report form and returns the job's page it sends the browser to.
pub(crate) async fn start(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
    let response = app.post_form(path, fields).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{path}: {:?}",
        response.text().await
    );
    let job = location(&response);
    assert!(job.starts_with("/bao-cao/"), "{job}");
    job
}

/// Polls the job's progress as its page does until it is finished, then downloads the PDF.
pub(crate) async fn finish(app: &TestApp, job: &str) -> Vec<u8> {
    let (status, page) = app.get_text(job).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("report-progress"), "{page}");
    let mut done = false;
    for _ in 0..600 {
        let (status, fragment) = app.get_text(&format!("{job}/tien-do")).await;
        assert_eq!(status, 200, "{fragment}");
        if fragment.contains("data-finished=\"true\"") {
            assert!(fragment.contains("report-download"), "{fragment}");
            done = true;
            break;
        }
        assert!(fragment.contains("hx-trigger=\"every 1s\""), "{fragment}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "{job} did not finish in a minute");
    let response = app.get(&format!("{job}/tep")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    response.bytes().await.unwrap().to_vec()
}

/// The PDF's text as `pdftotext` reads it; `None` (with a notice) when it is not installed
/// outside CI.
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let tool = std::path::Path::new("/usr/bin/pdftotext");
    if !tool.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftotext (poppler-utils) is needed under CI"
        );
        eprintln!("pdftotext not installed: the PDF text checks are skipped");
        return None;
    }
    let file = std::env::temp_dir().join(format!(
        "chiso-report-{}-{}.pdf",
        std::process::id(),
        chiso_web::auth::new_token()[..8].to_lowercase()
    ));
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

fn assert_reads(pdf: &[u8], parts: &[&str]) {
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(pdf) else { return };
    for part in parts {
        assert!(text.contains(part), "«{part}» missing from:\n{text}");
    }
}

async fn name_of(app: &TestApp, unit: i64) -> String {
    chiso_store::units::get(&app.db, unit).await.unwrap().name
}

#[tokio::test]
async fn every_report_is_made_in_the_background_and_reads_in_vietnamese() {
    for mut app in apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let units = [unit_id(&db, "S06").await, unit_id(&db, "S07").await];
        let (first, second) = (name_of(&app, units[0]).await, name_of(&app, units[1]).await);
        let campaign = published(&db, 2001, &units, 0.8, None).await;
        let common = [
            AUTHORITY,
            "Thừa Thiên Huế",
            "Chỉ số cải cách hành chính",
            "Ủy ban nhân dân",
        ];

        app.login("thuongtruc").await;
        let (status, results) = app
            .get_text(&format!("/dot-danh-gia/{campaign}/ket-qua"))
            .await;
        assert_eq!(status, 200);
        assert!(results.contains("campaign-report-form") && results.contains("announcement-link"));

        let path = format!("/dot-danh-gia/{campaign}/ket-qua/bao-cao");
        let job = start(&app, &path, &[("kind", "campaign"), ("appendix", "1")]).await;
        let pdf = finish(&app, &job).await;
        assert_reads(
            &pdf,
            &[&common[..], &[first.as_str(), second.as_str(), "Phụ lục"]].concat(),
        );
        // Asked again for the same publication, the report is the one already made.
        let again = start(&app, &path, &[("kind", "campaign"), ("appendix", "1")]).await;
        let (_, fragment) = app.get_text(&format!("{again}/tien-do")).await;
        assert!(
            fragment.contains("data-finished=\"true\""),
            "{backend:?}: {fragment}"
        );
        assert_eq!(finish(&app, &again).await, pdf);

        let unit_path = format!("/dot-danh-gia/{campaign}/ket-qua/don-vi/{}", units[0]);
        let (_, page) = app.get_text(&unit_path).await;
        assert!(page.contains("unit-report-form"));
        let job = start(&app, &format!("{unit_path}/bao-cao"), &[]).await;
        assert_reads(
            &finish(&app, &job).await,
            &[&common[..], &[first.as_str()]].concat(),
        );

        let (status, form) = app
            .get_text(&format!("/dot-danh-gia/{campaign}/ket-qua/thong-bao"))
            .await;
        assert_eq!(status, 200, "{form}");
        assert!(
            form.contains("value=\"Thừa Thiên Huế\""),
            "the place comes from the authority"
        );
        let fields = [
            ("kind", "announcement"),
            ("number", "125/TB-UBND"),
            ("place", "Thừa Thiên Huế"),
            ("date", "2026-12-07"),
            ("summary", "Kết quả Chỉ số cải cách hành chính năm 2001"),
            (
                "opening",
                "Ủy ban nhân dân tỉnh Thừa Thiên Huế thông báo kết quả như sau:",
            ),
            ("closing", "Đề nghị các cơ quan khắc phục hạn chế."),
            ("recipients", "- Như trên;\n- Lưu: VT."),
            ("capacity", "TM. Ủy ban nhân dân\nKT. Chủ tịch"),
            ("signer_title", "Phó Chủ tịch"),
            ("signer_name", "Nguyễn Văn A"),
        ];
        let job = start(&app, &path, &fields).await;
        assert_reads(
            &finish(&app, &job).await,
            &[
                &common[..],
                &[
                    first.as_str(),
                    "Số: 125/TB-UBND",
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                    "Độc lập - Tự do - Hạnh phúc",
                    "Thừa Thiên Huế, ngày 07 tháng 12 năm 2026",
                    "Nơi nhận:",
                    "Nguyễn Văn A",
                ],
            ]
            .concat(),
        );
        let (_, log) = app
            .get_text(&format!(
                "/nhat-ky?campaign_id={campaign}&action=issue_announcement"
            ))
            .await;
        assert!(
            log.contains("125/TB-UBND"),
            "{backend:?}: the announcement is audited"
        );

        // Another user never sees someone else's job.
        app.login("xemketqua").await;
        assert_eq!(app.get(&job).await.status().as_u16(), 404);
        assert_eq!(app.get(&format!("{job}/tep")).await.status().as_u16(), 404);
        // A viewer has the reports of published results, not the announcement.
        let mine = start(&app, &path, &[("kind", "campaign")]).await;
        assert_reads(&finish(&app, &mine).await, &common);
        assert_eq!(app.post_form(&path, &fields).await.status().as_u16(), 403);
        assert_eq!(
            app.get(&format!("/dot-danh-gia/{campaign}/ket-qua/thong-bao"))
                .await
                .status()
                .as_u16(),
            403
        );
    }
}

#[tokio::test]
async fn no_report_for_who_may_not_read_the_results() {
    for mut app in apps().await {
        let db = app.db.clone();
        let units = [unit_id(&db, "S06").await, unit_id(&db, "S07").await];
        let campaign = finalized(&db, 2001, &units, 0.8, None).await;
        let path = format!("/dot-danh-gia/{campaign}/ket-qua/bao-cao");
        let unit_path = format!(
            "/dot-danh-gia/{campaign}/ket-qua/don-vi/{}/bao-cao",
            units[0]
        );
        for user in ["xemketqua", "nhaplieu", "lanhdao", "thamdinh"] {
            app.login(user).await;
            assert_eq!(
                app.post_form(&path, &[("kind", "campaign")])
                    .await
                    .status()
                    .as_u16(),
                403,
                "{user}: results not published"
            );
            assert_eq!(
                app.post_form(&unit_path, &[]).await.status().as_u16(),
                403,
                "{user}"
            );
        }
        // Before publication the secretariat has the preview, marked so, but no announcement.
        app.login("thuongtruc").await;
        let job = start(&app, &path, &[("kind", "campaign")]).await;
        assert_reads(&finish(&app, &job).await, &["chưa công bố"]);
        assert_eq!(
            app.get(&format!("/dot-danh-gia/{campaign}/ket-qua/thong-bao"))
                .await
                .status()
                .as_u16(),
            404
        );
        // Once published, a missing number is refused naming the field, and nothing is made.
        chiso_store::assessments::publish(
            &db,
            &chiso_store::Actor::user(9100, "thuongtruc-test"),
            chiso_domain::access::Role::Secretariat,
            campaign,
            None,
        )
        .await
        .unwrap();
        let response = app
            .post_form(
                &path,
                &[
                    ("kind", "announcement"),
                    ("number", ""),
                    ("date", "07/12/2026"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Số, ký hiệu") && body.contains("chưa nhập"),
            "{body}"
        );
    }
}
