//! Notifications over HTTP on both backends: deadline reminders written by the scheduler on
//! Vietnam's dates (moved with the injectable clock), once each even with two processes on one
//! database, the bell and the list in Vietnamese, opening and marking read, and the e-mail
//! copies through a local SMTP sink.

use crate::common;

use chiso_store::notifications;
use chiso_web::app::Clock;
use chiso_web::mail::Mailer;
use chiso_web::scheduler::Scheduler;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::smtp::SmtpSink;

/// The UTC instant at which Vietnam's clock reads `date` `hh:mm:ss`.
fn vietnam(date: NaiveDate, h: u32, m: u32, s: u32) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(h, m, s).unwrap()) - Duration::hours(7)
}

#[tokio::test]
async fn reminders_follow_vietnam_dates_are_written_once_and_reach_the_bell_and_the_mail() {
    let sink = SmtpSink::start().await;
    let clock = Clock::fixed(Utc::now());
    let smtp = sink.url();
    let apps = {
        let clock = clock.clone();
        common::apps_with(move |config| {
            config.clock = clock.clone();
            config.smtp_url = Some(smtp.clone());
        })
        .await
    };
    for mut app in apps {
        let backend = app.backend;
        let mails_before = sink.messages().len();
        clock.set(Utc::now());
        let owed = notifications::open_deadlines(&app.db).await.unwrap();
        assert!(!owed.is_empty(), "the demo campaign owes self-assessments");
        let deadline = owed[0].deadline;
        let on_time = owed.iter().filter(|d| d.deadline == deadline).count() as u64;

        // The demo editor gets e-mail.
        let editor = chiso_store::users::find_by_username(&app.db, "nhaplieu")
            .await
            .unwrap()
            .unwrap();
        chiso_store::users::update_profile(
            &app.db,
            &chiso_store::Actor::system("test"),
            editor.id,
            &editor.full_name,
            Some("nhap.lieu@example.gov.vn"),
        )
        .await
        .unwrap();
        let mailer = Mailer::new(
            &sink.url(),
            "Chỉ số CCHC <no-reply@example.gov.vn>",
            &app.base,
        )
        .unwrap();
        let first = Scheduler {
            db: app.db.clone(),
            clock: clock.clone(),
            mailer: Some(mailer.clone()),
        };
        // A second process on the same database, with its own connections.
        let second = Scheduler {
            db: chiso_store::Db::connect(app.database_url()).await.unwrap(),
            clock: clock.clone(),
            mailer: Some(mailer),
        };

        // 23:59:59 in Vietnam, eight days before: nothing is due (in UTC it is already 16:59
        // of that day, and a UTC date would be wrong after 17:00).
        clock.set(vietnam(deadline - Duration::days(8), 23, 59, 59));
        let (a, b) = tokio::join!(first.pass(), second.pass());
        assert_eq!(a.reminders + b.reminders, 0, "{backend:?}");
        // One second later it is seven days before in Vietnam.
        clock.advance(Duration::seconds(1));
        let (a, b) = tokio::join!(first.pass(), second.pass());
        assert_eq!(a.reminders + b.reminders, on_time, "{backend:?}");
        let (a, b) = tokio::join!(first.pass(), second.pass());
        assert_eq!(a.reminders + b.reminders, 0, "written once on {backend:?}");
        // The editor's reminder was mailed once, by one of the two.
        let mails_at_seven = sink
            .messages()
            .iter()
            .filter(|m| m.to == ["nhap.lieu@example.gov.vn"])
            .count();
        assert!(mails_at_seven >= 1, "{backend:?}");
        // Six and five days before: nothing; three days before: the next reminder.
        for days in [6, 5, 4] {
            clock.set(vietnam(deadline - Duration::days(days), 9, 0, 0));
            assert_eq!(
                first.pass().await.reminders,
                0,
                "{days} days on {backend:?}"
            );
        }
        clock.set(vietnam(deadline - Duration::days(3), 0, 0, 1));
        assert_eq!(first.pass().await.reminders, on_time, "{backend:?}");
        clock.set(vietnam(deadline, 8, 0, 0));
        assert_eq!(first.pass().await.reminders, 0, "on the day: {backend:?}");

        // The editor sees two unread reminders in Vietnamese.
        app.login("nhaplieu").await;
        let (status, bell) = app.get_text("/thong-bao/chuong").await;
        assert_eq!(status, 200);
        assert!(bell.contains(">2<"), "{bell}");
        let (_, page) = app.get_text("/thong-bao").await;
        assert!(page.contains("còn 7 ngày đến hạn tự đánh giá"), "{page}");
        assert!(page.contains("còn 3 ngày đến hạn tự đánh giá"), "{page}");
        assert!(!page.contains("self_assessment") && !page.contains("deadline_soon"));
        let (_, home) = app.get_text("/").await;
        assert!(home.contains("hx-get=\"/thong-bao/chuong\""));

        // Opening one marks it read and leads to the sheet.
        let mine = notifications::recent(&app.db, editor.id, 10).await.unwrap();
        let response = app.get(&format!("/thong-bao/{}", mine[0].id)).await;
        assert_eq!(response.status(), 303);
        assert!(common::location(&response).starts_with("/tu-danh-gia"));
        assert_eq!(
            notifications::unread_count(&app.db, editor.id)
                .await
                .unwrap(),
            1
        );
        let response = app.post_form("/thong-bao/da-doc", &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(
            notifications::unread_count(&app.db, editor.id)
                .await
                .unwrap(),
            0
        );
        let (_, bell) = app.get_text("/thong-bao/chuong").await;
        assert!(!bell.contains("class=\"count\""), "{bell}");

        // Another user cannot open the editor's notice.
        app.logout().await;
        app.login("xemketqua").await;
        let response = app.get(&format!("/thong-bao/{}", mine[0].id)).await;
        assert_eq!(response.status(), 404);
        let (_, page) = app.get_text("/thong-bao").await;
        assert!(page.contains("Chưa có thông báo nào."), "{page}");
        // Two reminders, two e-mails: none lost, none twice.
        assert_eq!(sink.messages().len() - mails_before, 2, "{backend:?}");
    }
    // Every mail went to a known address, and none twice.
    let messages = sink.messages();
    assert!(!messages.is_empty());
    assert!(
        messages
            .iter()
            .all(|m| m.to == ["nhap.lieu@example.gov.vn"])
    );
    assert!(messages.iter().all(|m| m.data.contains("Subject:")));
}

#[tokio::test]
async fn events_tell_the_people_concerned_once() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let campaign = chiso_store::campaigns::list(&app.db).await.unwrap()[0].id;
        let user = |name: &'static str| {
            let db = app.db.clone();
            async move {
                chiso_store::users::find_by_username(&db, name)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let (editor, appraiser, viewer) = (
            user("nhaplieu").await,
            user("thamdinh").await,
            user("xemketqua").await,
        );

        // The secretariat opens round 1: the appraiser and the units' people are told.
        app.login("thuongtruc").await;
        let response = app
            .post_form(
                &format!("/dot-danh-gia/{campaign}/mo-vong"),
                &[("round", "1"), ("reason", "Theo kế hoạch")],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        for (who, id) in [("editor", editor), ("appraiser", appraiser)] {
            let notices = notifications::recent(&app.db, id, 10).await.unwrap();
            assert_eq!(notices.len(), 1, "{who} on {backend:?}");
            assert_eq!(
                notices[0].kind,
                chiso_domain::notice::NoticeKind::RoundOpened
            );
        }
        assert!(
            notifications::recent(&app.db, viewer, 10)
                .await
                .unwrap()
                .is_empty()
        );
        app.logout().await;
        app.login("nhaplieu").await;
        let (_, page) = app.get_text("/thong-bao").await;
        assert!(
            page.contains("đã mở vòng thẩm định 1"),
            "{backend:?}: {page}"
        );

        // An extension and a publication, told once however often they are reported.
        let clock = Clock::system();
        let unit = chiso_store::users::roles(&app.db, editor).await.unwrap()[0]
            .unit_id
            .unwrap();
        let until = NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
        for _ in 0..2 {
            chiso_web::app::notifications::extension_granted(
                &app.db,
                &clock,
                campaign,
                unit,
                chiso_domain::assessment::Stage::SelfAssessment,
                until,
            )
            .await
            .unwrap();
            chiso_web::app::notifications::results_published(&app.db, &clock, campaign)
                .await
                .unwrap();
        }
        let kinds: Vec<_> = notifications::recent(&app.db, editor, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.kind)
            .collect();
        assert_eq!(kinds.len(), 3, "{backend:?}: {kinds:?}");
        assert_eq!(
            notifications::recent(&app.db, viewer, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        let (_, page) = app.get_text("/thong-bao").await;
        assert!(
            page.contains("được gia hạn tự đánh giá đến ngày 01/01/2099"),
            "{page}"
        );
        assert!(page.contains("đã công bố kết quả"), "{page}");
    }
}
