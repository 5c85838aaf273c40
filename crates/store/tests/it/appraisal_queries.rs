//! The council's read models (appraisal_queries) on SQLite and, when reachable, PostgreSQL:
//! the sheets of a campaign with their units (drafts left out) and the marks of a round.

use chiso_domain::access::Role;
use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_domain::{Framework, FrameworkMeta, NodeSpec, Points};
use chiso_store::appraisal_queries::{self, RoundMark};
use chiso_store::assessments::{self as sheets, AppraisalEntry, SelfEntry};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, frameworks};
use chrono::Days;

fn p(text: &str) -> Points {
    text.parse().unwrap()
}

/// Two areas of two leaves each; the tree is worth 10.
fn framework() -> Framework {
    let spec = |row: usize, code: &str, max: Option<&str>| NodeSpec {
        row,
        code: code.into(),
        title: format!("Tiêu chí {code}"),
        max_points: max.map(p),
        ..NodeSpec::default()
    };
    Framework::build(
        FrameworkMeta {
            id: "council-queries".into(),
            title: "Bộ tiêu chí thử hội đồng".into(),
            ..FrameworkMeta::default()
        },
        vec![
            spec(2, "1", None),
            spec(3, "1.1", Some("3")),
            spec(4, "1.2", Some("2")),
            spec(5, "2", None),
            spec(6, "2.1", Some("4")),
            spec(7, "2.2", Some("1")),
        ],
    )
    .unwrap()
}

struct Fixture {
    campaign: i64,
    sheets: Vec<i64>,
    nodes: std::collections::HashMap<String, i64>,
}

/// An open campaign of three departments (codes created in that order), their
/// sheets made.
async fn setup(db: &Db) -> Fixture {
    let system = Actor::system("test");
    let framework_id = frameworks::insert(db, &system, &framework(), None)
        .await
        .unwrap();
    let nodes = frameworks::load(db, framework_id).await.unwrap().node_ids;
    let unit = |code: &str, kind, parent| UnitFields {
        code: code.into(),
        name: format!("Đơn vị {code}"),
        kind,
        parent_id: parent,
        region: None,
        valid_from: None,
        valid_to: None,
    };
    let province = units::create(db, &system, &unit("QT", OrgKind::Province, None))
        .await
        .unwrap();
    let mut unit_ids = Vec::new();
    for code in ["Q-2", "Q-0", "Q-1"] {
        unit_ids.push(
            units::create(
                db,
                &system,
                &unit(code, OrgKind::Department, Some(province)),
            )
            .await
            .unwrap(),
        );
    }
    let today = sheets::today_in_vietnam();
    let campaign = campaigns::create(
        db,
        &system,
        &CampaignFields {
            year: 2026,
            title: "Đợt thử hội đồng".into(),
            appraisal_rounds: 2,
            self_assessment_deadline: Some(today + Days::new(10)),
            explanation_deadline: Some(today + Days::new(30)),
            round_deadlines: vec![None, None],
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
    campaigns::transition(db, &system, campaign, CampaignState::Open, None)
        .await
        .unwrap();
    sheets::ensure_sheets(db, &system, campaign).await.unwrap();
    let mut sheet_ids = Vec::new();
    for &unit_id in &unit_ids {
        sheet_ids.push(
            sheets::sheet_for_unit(db, &system, campaign, unit_id)
                .await
                .unwrap()
                .id,
        );
    }
    Fixture {
        campaign,
        sheets: sheet_ids,
        nodes,
    }
}

async fn fill_and_submit(db: &Db, f: &Fixture, sheet: i64) {
    let editor = Actor::user(1, "Biên tập");
    for (code, points) in [("1.1", "3"), ("1.2", "1"), ("2.1", "4"), ("2.2", "1")] {
        sheets::save_self_assessment(
            db,
            &editor,
            Role::UnitEditor,
            sheet,
            sheets::today_in_vietnam(),
            &SelfEntry {
                node_id: f.nodes[code],
                points: Some(p(points)),
                ..SelfEntry::default()
            },
        )
        .await
        .unwrap();
    }
    let version = sheets::get_sheet(db, sheet).await.unwrap().version;
    sheets::submit(
        db,
        &Actor::user(2, "Lãnh đạo"),
        Role::UnitLeader,
        sheet,
        version,
        sheets::today_in_vietnam(),
    )
    .await
    .unwrap();
}

async fn appraise(db: &Db, f: &Fixture, sheet: i64, code: &str, points: &str, request: bool) {
    let round = sheets::get_sheet(db, sheet).await.unwrap().current_round;
    let version = sheets::leaf_scores(db, sheet)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.node_id == f.nodes[code] && r.stage == round)
        .map(|r| r.version);
    sheets::save_appraisal(
        db,
        &Actor::user(3, "Thẩm định"),
        Role::Appraiser,
        None,
        sheet,
        &AppraisalEntry {
            node_id: f.nodes[code],
            points: Some(p(points)),
            comment: Some("Nhận xét".into()),
            explanation_requested: request,
            expected_version: version,
            ..AppraisalEntry::default()
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn council_sheets_leave_out_drafts_and_name_their_units() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let f = setup(db).await;
        assert!(
            appraisal_queries::council_sheets(db, f.campaign)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: drafts are never listed"
        );
        fill_and_submit(db, &f, f.sheets[0]).await;
        fill_and_submit(db, &f, f.sheets[1]).await;
        let listed = appraisal_queries::council_sheets(db, f.campaign)
            .await
            .unwrap();
        // By unit code: Q-0 (the second unit) before Q-2 (the first).
        let codes: Vec<&str> = listed.iter().map(|s| s.unit_code.as_str()).collect();
        assert_eq!(codes, ["Q-0", "Q-2"], "{backend:?}");
        let first = &listed[1];
        assert_eq!(first.sheet_id, f.sheets[0], "{backend:?}");
        assert_eq!(first.unit_name, "Đơn vị Q-2", "{backend:?}");
        assert_eq!(first.unit_group, "department", "{backend:?}");
        assert_eq!(
            first.status,
            chiso_domain::assessment::SheetStatus::Submitted,
            "{backend:?}"
        );
        assert_eq!(first.current_round, 0, "{backend:?}");
        assert!(first.submitted_at.is_some(), "{backend:?}");
        assert_eq!(first.self_total, p("9").ten_thousandths(), "{backend:?}");
        // Another campaign's sheets never appear.
        assert!(
            appraisal_queries::council_sheets(db, f.campaign + 1000)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn round_marks_hold_this_round_and_the_flags_of_the_one_before() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let f = setup(db).await;
        let secretariat = Actor::user(4, "Thư ký");
        fill_and_submit(db, &f, f.sheets[0]).await;
        fill_and_submit(db, &f, f.sheets[1]).await;
        sheets::open_round(db, &secretariat, Role::Secretariat, f.campaign, 1, None)
            .await
            .unwrap();
        assert!(
            appraisal_queries::round_marks(db, f.campaign, 1)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: nothing reviewed yet"
        );
        appraise(db, &f, f.sheets[0], "1.1", "2", true).await;
        appraise(db, &f, f.sheets[0], "2.1", "3", false).await;
        appraise(db, &f, f.sheets[1], "1.2", "0", false).await;
        let marks = appraisal_queries::round_marks(db, f.campaign, 1)
            .await
            .unwrap();
        let mark = |sheet: i64, code: &str, stage: i64, requested: bool| RoundMark {
            sheet_id: sheet,
            node_id: f.nodes[code],
            stage,
            explanation_requested: requested,
        };
        let mut expected = vec![
            mark(f.sheets[0], "1.1", 1, true),
            mark(f.sheets[0], "2.1", 1, false),
            mark(f.sheets[1], "1.2", 1, false),
        ];
        expected.sort_by_key(|m| (m.sheet_id, m.node_id, m.stage));
        assert_eq!(marks, expected, "{backend:?}");

        // Round 2 sees its own marks and round 1's; the self-assessment (stage 0) never.
        sheets::close_round(db, &secretariat, Role::Secretariat, f.campaign, 1, None)
            .await
            .unwrap();
        sheets::open_round(db, &secretariat, Role::Secretariat, f.campaign, 2, None)
            .await
            .unwrap();
        appraise(db, &f, f.sheets[0], "1.1", "2.5", false).await;
        let marks = appraisal_queries::round_marks(db, f.campaign, 2)
            .await
            .unwrap();
        assert_eq!(marks.len(), 4, "{backend:?}: {marks:?}");
        assert!(
            marks.contains(&mark(f.sheets[0], "1.1", 2, false)),
            "{backend:?}"
        );
        assert!(marks.iter().all(|m| m.stage >= 1), "{backend:?}");
        let later = appraisal_queries::round_marks(db, f.campaign, 3)
            .await
            .unwrap();
        assert_eq!(
            later,
            vec![mark(f.sheets[0], "1.1", 2, false)],
            "{backend:?}"
        );
    }
}
