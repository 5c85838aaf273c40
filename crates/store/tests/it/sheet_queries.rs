//! The read models of the self-assessment screens, on SQLite and, when reachable, PostgreSQL:
//! the sheets of a unit's people with their campaign and extensions, and the files a unit has
//! already attached.

use chiso_domain::access::Role;
use chiso_domain::assessment::Stage;
use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_domain::{Framework, FrameworkMeta, NodeSpec, Points};
use chiso_store::assessments::{self as sheets, ExtensionGrant};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::evidence::{self, LocalBlobStore};
use chiso_store::sheet_queries;
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, frameworks};
use chrono::Days;

fn p(text: &str) -> Points {
    text.parse().unwrap()
}

fn framework() -> Framework {
    let spec = |row: usize, code: &str, max: Option<&str>| NodeSpec {
        row,
        code: code.into(),
        title: format!("Tiêu chí {code}"),
        max_points: max.map(p),
        evidence_required: max.is_some(),
        ..NodeSpec::default()
    };
    Framework::build(
        FrameworkMeta {
            id: "sheet-queries".into(),
            title: "Bộ tiêu chí thử".into(),
            ..FrameworkMeta::default()
        },
        vec![
            spec(2, "1", None),
            spec(3, "1.1", Some("4")),
            spec(4, "1.2", Some("6")),
        ],
    )
    .unwrap()
}

/// Two departments in an open campaign (sheets created), and a draft campaign with the same
/// units (no sheets): (campaign, draft campaign, units, framework node ids).
async fn setup(db: &Db, tag: &str) -> (i64, i64, Vec<i64>, std::collections::HashMap<String, i64>) {
    let system = Actor::system("test");
    let framework_id = frameworks::insert(db, &system, &framework(), None)
        .await
        .unwrap();
    let nodes = frameworks::load(db, framework_id).await.unwrap().node_ids;
    let unit = |code: String, kind, parent| UnitFields {
        code,
        name: format!("Đơn vị {tag}"),
        kind,
        parent_id: parent,
        region: None,
        valid_from: None,
        valid_to: None,
    };
    let province = units::create(
        db,
        &system,
        &unit(format!("T{tag}"), OrgKind::Province, None),
    )
    .await
    .unwrap();
    let mut unit_ids = Vec::new();
    for i in 0..2 {
        unit_ids.push(
            units::create(
                db,
                &system,
                &unit(format!("S{tag}{i}"), OrgKind::Department, Some(province)),
            )
            .await
            .unwrap(),
        );
    }
    let today = sheets::today_in_vietnam();
    let mut ids = Vec::new();
    for title in ["Đợt mở", "Đợt nháp"] {
        let campaign = campaigns::create(
            db,
            &system,
            &CampaignFields {
                year: 2026,
                title: title.into(),
                appraisal_rounds: 1,
                self_assessment_deadline: Some(today + Days::new(10)),
                explanation_deadline: Some(today + Days::new(30)),
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
        ids.push(campaign);
    }
    campaigns::transition(db, &system, ids[0], CampaignState::Open, None)
        .await
        .unwrap();
    sheets::ensure_sheets(db, &system, ids[0]).await.unwrap();
    (ids[0], ids[1], unit_ids, nodes)
}

#[tokio::test]
async fn a_units_sheets_come_with_their_campaign_and_extensions() {
    for test_db in backends().await {
        let db = &test_db.db;
        let (campaign, draft, units, _) = setup(db, "a").await;
        let rows = sheet_queries::unit_sheets(db, &units).await.unwrap();
        assert_eq!(rows.len(), 2, "{:?}", test_db.backend());
        assert!(
            rows.iter()
                .all(|r| r.campaign_id == campaign && r.campaign_id != draft)
        );
        assert_eq!(rows[0].unit_code, "Sa0");
        assert_eq!(rows[0].status, chiso_domain::assessment::SheetStatus::Draft);
        assert_eq!(rows[0].leaves_total, 2);
        assert_eq!(rows[0].missing_evidence, 2);
        assert_eq!(rows[0].campaign_title, "Đợt mở");
        assert_eq!(
            rows[0].campaign_state,
            chiso_domain::campaign::CampaignState::Open
        );
        assert_eq!(rows[0].self_extension, None);

        let until = sheets::today_in_vietnam() + Days::new(20);
        sheets::grant_extension(
            db,
            &Actor::user(1, "thu-ky"),
            Role::Secretariat,
            campaign,
            &ExtensionGrant {
                unit_id: units[1],
                stage: Stage::SelfAssessment,
                until,
                reason: "ốm".into(),
            },
        )
        .await
        .unwrap();
        let rows = sheet_queries::unit_sheets(db, &units[1..]).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].unit_id, units[1]);
        assert_eq!(rows[0].self_extension, Some(until));
        assert_eq!(rows[0].explanation_extension, None);
        assert!(
            sheet_queries::unit_sheets(db, &[])
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_unit_links_only_files_it_has_attached() {
    for test_db in backends().await {
        let db = &test_db.db;
        let (campaign, _, units, nodes) = setup(db, "b").await;
        let dir = std::env::temp_dir().join(format!(
            "chiso-sheet-queries-{}-{:?}",
            std::process::id(),
            test_db.backend()
        ));
        let blobs = LocalBlobStore::new(&dir);
        let editor = Actor::user(7, "nhap-lieu");
        let today = sheets::today_in_vietnam();
        let sheet_a = sheets::find_sheet(db, campaign, units[0])
            .await
            .unwrap()
            .unwrap()
            .id;
        let sheet_b = sheets::find_sheet(db, campaign, units[1])
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(
            sheet_queries::unit_files(db, units[0])
                .await
                .unwrap()
                .is_empty()
        );

        let pdf = b"%PDF-1.4\n% sheet queries\n".to_vec();
        let file = evidence::upload(db, &blobs, &editor, "kế hoạch.pdf", &pdf, 1 << 20)
            .await
            .unwrap();
        for code in ["1.1", "1.2"] {
            evidence::link(
                db,
                &editor,
                Role::UnitEditor,
                sheet_a,
                nodes[code],
                file.id,
                today,
            )
            .await
            .unwrap();
        }
        let other = evidence::upload(
            db,
            &blobs,
            &editor,
            "khác.png",
            b"\x89PNG\r\n\x1a\nxx",
            1 << 20,
        )
        .await
        .unwrap();
        evidence::link(
            db,
            &editor,
            Role::UnitEditor,
            sheet_b,
            nodes["1.1"],
            other.id,
            today,
        )
        .await
        .unwrap();

        let files = sheet_queries::unit_files(db, units[0]).await.unwrap();
        assert_eq!(files.len(), 1, "{:?}: one row per file", test_db.backend());
        assert_eq!(files[0].file_id, file.id);
        assert_eq!(files[0].file_name, "kế hoạch.pdf");
        assert_eq!(files[0].size, pdf.len() as i64);
        assert_eq!(files[0].content_type, "application/pdf");
        let files_b = sheet_queries::unit_files(db, units[1]).await.unwrap();
        assert_eq!(
            files_b.iter().map(|f| f.file_id).collect::<Vec<_>>(),
            [other.id]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
