//! Notifications on SQLite and, when reachable, PostgreSQL: a notice is written once per user
//! and key however many writers compute it, read and unread are counted per user, and each
//! e-mail copy is claimed by one sender only.

use chiso_domain::access::Role;
use chiso_domain::assessment::Stage;
use chiso_domain::campaign::CampaignState;
use chiso_domain::notice::NoticeKind;
use chiso_domain::org::OrgKind;
use chiso_domain::{Framework, FrameworkMeta, NodeSpec, Points};
use chiso_store::assessments::{self as sheets, ExtensionGrant};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::frameworks;
use chiso_store::notifications::{self, NewNotice};
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, Db};
use chrono::{Duration, NaiveDate, Utc};

async fn user(db: &Db, name: &str, email: Option<&str>) -> i64 {
    users::create(
        db,
        &Actor::system("test"),
        &NewUser {
            username: name.into(),
            full_name: format!("Người dùng {name}"),
            email: email.map(str::to_string),
            password_hash: "x".into(),
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

fn notice(user_id: i64, key: &str) -> NewNotice {
    NewNotice {
        user_id,
        kind: NoticeKind::DeadlineSoon,
        key: key.into(),
        args: serde_json::json!({ "days": 7, "campaign": "Đợt 2026" }),
        link: Some("/dot-danh-gia/1".into()),
    }
}

#[tokio::test]
async fn a_notice_is_written_once_per_user_and_key_even_by_concurrent_writers() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let a = user(db, "a", None).await;
        let b = user(db, "b", None).await;
        let now = Utc::now();
        let batch = vec![notice(a, "deadline:1:7"), notice(b, "deadline:1:7")];
        // Four writers compute the same reminders at the same moment.
        let (w1, w2, w3, w4) = tokio::join!(
            notifications::notify(db, &batch, now),
            notifications::notify(db, &batch, now),
            notifications::notify(db, &batch, now),
            notifications::notify(db, &batch, now),
        );
        let written = w1.unwrap() + w2.unwrap() + w3.unwrap() + w4.unwrap();
        assert_eq!(written, 2, "{backend:?}");
        // Again later: nothing new; another key is new.
        let again = notifications::notify(db, &batch, now + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(again, 0, "{backend:?}");
        notifications::notify(db, &[notice(a, "deadline:1:3")], now)
            .await
            .unwrap();
        assert_eq!(notifications::unread_count(db, a).await.unwrap(), 2);
        assert_eq!(notifications::unread_count(db, b).await.unwrap(), 1);

        let recent = notifications::recent(db, a, 10).await.unwrap();
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[0].kind, NoticeKind::DeadlineSoon);
        assert_eq!(recent[0].args["campaign"], "Đợt 2026");
        assert_eq!(recent[0].link.as_deref(), Some("/dot-danh-gia/1"));

        // Reading one, then all; the other user's notices are untouched.
        notifications::mark_read(db, a, Some(recent[1].id), now)
            .await
            .unwrap();
        assert_eq!(notifications::unread_count(db, a).await.unwrap(), 1);
        notifications::mark_read(db, a, Some(recent[0].id + 1000), now)
            .await
            .unwrap();
        assert_eq!(notifications::unread_count(db, a).await.unwrap(), 1);
        notifications::mark_read(db, a, None, now).await.unwrap();
        assert_eq!(notifications::unread_count(db, a).await.unwrap(), 0);
        assert_eq!(notifications::unread_count(db, b).await.unwrap(), 1);
        // A user cannot mark another's notice read.
        let b_notice = notifications::recent(db, b, 1).await.unwrap()[0].id;
        notifications::mark_read(db, a, Some(b_notice), now)
            .await
            .unwrap();
        assert_eq!(notifications::unread_count(db, b).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn each_email_is_claimed_by_one_sender_and_retried_after_a_failure() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let with_mail = user(db, "co-thu", Some("co.thu@example.gov.vn")).await;
        let without = user(db, "khong-thu", None).await;
        let now = Utc::now();
        let batch: Vec<NewNotice> = (0..6)
            .map(|i| notice(with_mail, &format!("k{i}")))
            .chain([notice(without, "k0")])
            .collect();
        notifications::notify(db, &batch, now).await.unwrap();

        let (one, two) = tokio::join!(
            notifications::claim_emails(db, now, 100),
            notifications::claim_emails(db, now, 100),
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        assert_eq!(one.len() + two.len(), 6, "{backend:?}");
        let mut ids: Vec<i64> = one.iter().chain(&two).map(|c| c.notice.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6, "no notice claimed twice on {backend:?}");
        assert!(
            one.iter()
                .chain(&two)
                .all(|c| c.email == "co.thu@example.gov.vn")
        );
        // Nothing left to claim; a failure gives one back.
        assert!(
            notifications::claim_emails(db, now, 100)
                .await
                .unwrap()
                .is_empty()
        );
        notifications::email_failed(db, ids[0]).await.unwrap();
        let retry = notifications::claim_emails(db, now, 100).await.unwrap();
        assert_eq!(retry.len(), 1);
        assert_eq!(retry[0].notice.id, ids[0]);
        // After five failures it is given up.
        for _ in 0..5 {
            notifications::email_failed(db, ids[0]).await.unwrap();
        }
        assert!(
            notifications::claim_emails(db, now, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

fn framework() -> Framework {
    let spec = |row: usize, code: &str, max: Option<&str>| NodeSpec {
        row,
        code: code.into(),
        title: format!("Tiêu chí {code}"),
        max_points: max.map(|m| m.parse::<Points>().unwrap()),
        ..NodeSpec::default()
    };
    Framework::build(
        FrameworkMeta {
            id: "notices".into(),
            title: "Bộ tiêu chí thử".into(),
            ..FrameworkMeta::default()
        },
        vec![spec(2, "1", None), spec(3, "1.1", Some("4"))],
    )
    .unwrap()
}

#[tokio::test]
async fn open_deadlines_name_the_editors_and_leaders_of_units_that_owe_them() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let system = Actor::system("test");
        let mut unit_ids = Vec::new();
        for (code, name) in [("STP", "Sở Tư pháp"), ("SYT", "Sở Y tế")] {
            unit_ids.push(
                units::create(
                    db,
                    &system,
                    &UnitFields {
                        code: code.into(),
                        name: name.into(),
                        kind: OrgKind::Department,
                        parent_id: None,
                        region: None,
                        valid_from: None,
                        valid_to: None,
                    },
                )
                .await
                .unwrap(),
            );
        }
        let editor = user(db, "bien-tap", None).await;
        let leader = user(db, "lanh-dao", None).await;
        let viewer = user(db, "xem", None).await;
        users::add_role(
            db,
            &system,
            editor,
            Role::UnitEditor,
            Some(unit_ids[0]),
            &[],
        )
        .await
        .unwrap();
        users::add_role(
            db,
            &system,
            leader,
            Role::UnitLeader,
            Some(unit_ids[0]),
            &[],
        )
        .await
        .unwrap();
        users::add_role(db, &system, viewer, Role::Viewer, None, &[])
            .await
            .unwrap();
        assert!(notifications::open_deadlines(db).await.unwrap().is_empty());

        let framework_id = frameworks::insert(db, &system, &framework(), None)
            .await
            .unwrap();
        let deadline = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        let campaign = campaigns::create(
            db,
            &system,
            &CampaignFields {
                year: 2026,
                title: "Đợt 2026".into(),
                appraisal_rounds: 1,
                self_assessment_deadline: Some(deadline),
                explanation_deadline: None,
                round_deadlines: vec![None],
                bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
            },
        )
        .await
        .unwrap();
        campaigns::set_framework(db, &system, campaign, "department", Some(framework_id))
            .await
            .unwrap();
        campaigns::set_units(db, &system, campaign, "department", &unit_ids)
            .await
            .unwrap();
        // A draft campaign owes nothing yet.
        assert!(notifications::open_deadlines(db).await.unwrap().is_empty());
        campaigns::transition(db, &system, campaign, CampaignState::Open, None)
            .await
            .unwrap();
        // Owed from the opening, before the unit has opened its sheet.
        let owed = notifications::open_deadlines(db).await.unwrap();
        assert_eq!(owed.len(), 2, "{backend:?}");
        assert!(owed.iter().all(|d| d.sheet_id.is_none()));
        sheets::ensure_sheets(db, &system, campaign).await.unwrap();

        let owed = notifications::open_deadlines(db).await.unwrap();
        let people: Vec<(i64, i64, NaiveDate)> = owed
            .iter()
            .map(|d| (d.user_id, d.unit_id, d.deadline))
            .collect();
        assert_eq!(
            people,
            [
                (editor, unit_ids[0], deadline),
                (leader, unit_ids[0], deadline)
            ],
            "{backend:?}"
        );
        assert!(owed.iter().all(|d| d.sheet_id.is_some()));
        assert!(owed.iter().all(|d| d.stage == Stage::SelfAssessment
            && d.unit_name == "Sở Tư pháp"
            && d.campaign_title == "Đợt 2026"));

        // An extension moves the unit's deadline.
        let later = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        sheets::grant_extension(
            db,
            &Actor::user(1, "thu-ky"),
            Role::Secretariat,
            campaign,
            &ExtensionGrant {
                unit_id: unit_ids[0],
                stage: Stage::SelfAssessment,
                until: later,
                reason: "Sáp nhập đơn vị".into(),
            },
        )
        .await
        .unwrap();
        let owed = notifications::open_deadlines(db).await.unwrap();
        assert!(owed.iter().all(|d| d.deadline == later), "{backend:?}");
    }
}
