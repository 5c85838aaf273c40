//! Late and returned sheets over HTTP, on both backends (docs/method.md §2.5): the round's
//! checklist asks what becomes of sheets submitted while it is open, the progress dashboard
//! links a submitted sheet to the secretariat's step page, a return needs its reason and
//! reaches the unit as a notice, a late sheet moves to the next round, and only the
//! secretariat takes these steps.

use crate::appraisal::{demo_campaign, fill, sheet_of};
use crate::common;

use chiso_domain::access::Role;
use chiso_domain::assessment::{LateSheets, SheetStatus};
use chiso_store::assessments as sheets;
use chiso_store::{Actor, users};

/// The sheet of the demo editor's own unit (Sở Tư pháp) in the demo campaign.
async fn editors_sheet(db: &chiso_store::Db, campaign: i64) -> i64 {
    let editor = users::find_by_username(db, "nhaplieu")
        .await
        .unwrap()
        .unwrap();
    let unit = users::roles(db, editor.id)
        .await
        .unwrap()
        .into_iter()
        .find_map(|r| r.unit_id)
        .expect("the demo editor belongs to a unit");
    sheets::sheet_for_unit(db, &Actor::system("test"), campaign, unit)
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn the_secretariat_returns_a_sheet_and_moves_a_late_one_to_the_next_round() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let db = &db;
        let campaign = demo_campaign(db).await;
        let own = editors_sheet(db, campaign).await;
        let other = sheet_of(db, campaign, "S05").await;
        // The demo may have submitted the editor's sheet already.
        if sheets::get_sheet(db, own).await.unwrap().status() == SheetStatus::Draft {
            fill(db, own, 0.8, None, true).await;
        }
        if sheets::get_sheet(db, other).await.unwrap().status() == SheetStatus::Draft {
            fill(db, other, 0.6, None, true).await;
        }

        // The progress dashboard links the submitted sheet to its steps.
        app.login("thuongtruc").await;
        let steps = format!("/tham-dinh/{own}/tra-lai");
        let (status, body) = app
            .get_text(&format!("/dot-danh-gia/{campaign}/tien-do"))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains(&format!("href=\"{steps}\"")), "{backend:?}");
        let (status, body) = app.get_text(&steps).await;
        assert_eq!(status, 200, "{backend:?}");
        for expected in [
            "Trả lại đơn vị để hoàn thiện",
            "id=\"return-form\"",
            "Đã nộp",
        ] {
            assert!(body.contains(expected), "{backend:?}: {expected}");
        }
        // Not in a round yet: it cannot move to the next one, and the page says why.
        assert!(!body.contains("id=\"defer-form\""), "{backend:?}");
        assert!(body.contains("id=\"no-defer\""), "{backend:?}");

        // A return needs its reason, said in Vietnamese beside the form.
        let response = app.post_form(&steps, &[("reason", " ")]).await;
        assert_eq!(response.status(), 422, "{backend:?}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("cần ghi lý do để trả lại Bảng tự chấm điểm cho đơn vị"),
            "{backend:?}"
        );
        let response = app
            .post_form(
                &steps,
                &[("reason", "Thiếu tài liệu kiểm chứng tiêu chí 1.2")],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        assert_eq!(
            common::location(&response),
            format!("/dot-danh-gia/{campaign}/tien-do?msg=appraisal.sheet_returned")
        );
        assert_eq!(
            sheets::get_sheet(db, own).await.unwrap().status(),
            SheetStatus::Draft
        );

        // The unit is told why; it may not take the secretariat's steps.
        app.login("nhaplieu").await;
        let (status, body) = app.get_text("/thong-bao").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            body.contains(
                "được trả lại để hoàn thiện. Lý do: Thiếu tài liệu kiểm chứng tiêu chí 1.2"
            ),
            "{backend:?}"
        );
        assert_eq!(app.get(&steps).await.status(), 403, "{backend:?}");
        let response = app.post_form(&steps, &[("reason", "Tự trả lại")]).await;
        assert_eq!(response.status(), 403, "{backend:?}");

        // Round 1 of 2: the checklist asks what late sheets do; the secretariat lets them wait.
        app.login("thuongtruc").await;
        let (status, body) = app
            .get_text(&format!(
                "/dot-danh-gia/{campaign}/kiem-tra?buoc=mo-vong&vong=1"
            ))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains("id=\"late-sheets\""), "{backend:?}");
        assert!(body.contains("Chờ vòng thẩm định sau"), "{backend:?}");
        let response = app
            .post_form(
                &format!("/dot-danh-gia/{campaign}/mo-vong"),
                &[
                    ("round", "1"),
                    ("reason", "Bắt đầu thẩm định"),
                    ("late_sheets", "wait"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let states = sheets::round_states(db, campaign).await.unwrap();
        assert_eq!(states[0].late_sheets, LateSheets::Wait, "{backend:?}");
        // The unit resubmits while round 1 is open: its sheet waits for round 2.
        let version = sheets::get_sheet(db, own).await.unwrap().version;
        let waiting = sheets::submit(
            db,
            &Actor::user(9002, "lanhdao-test"),
            Role::UnitLeader,
            own,
            version,
            sheets::today_in_vietnam(),
        )
        .await
        .unwrap();
        assert_eq!(waiting.status(), SheetStatus::Submitted, "{backend:?}");

        // The other sheet entered round 1 and nothing of it is scored: it moves to round 2.
        let other_steps = format!("/tham-dinh/{other}/tra-lai");
        let (_, body) = app.get_text(&other_steps).await;
        assert!(body.contains("id=\"defer-form\""), "{backend:?}");
        let response = app
            .post_form(
                &format!("/tham-dinh/{other}/chuyen-vong-sau"),
                &[("reason", "Hội đồng đã phân công xong vòng 1")],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let moved = sheets::get_sheet(db, other).await.unwrap();
        assert_eq!(moved.status(), SheetStatus::Submitted, "{backend:?}");

        // The audit log reads the decisions as sentences, with their reasons.
        let (status, body) = app.get_text("/nhat-ky").await;
        assert_eq!(status, 200, "{backend:?}");
        for expected in [
            "trả lại cho đơn vị Bảng tự chấm điểm của",
            "chuyển sang vòng thẩm định sau Bảng tự chấm điểm của",
            "Hội đồng đã phân công xong vòng 1",
            "chờ vòng thẩm định sau",
        ] {
            assert!(body.contains(expected), "{backend:?}: {expected}");
        }
    }
}
