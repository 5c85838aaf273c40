//! A unit's results page across two real campaigns, on both backends (docs/method.md §7.2):
//! the leaves that fell since the earlier published campaign, with their earlier points, and
//! the council's comment beside a leaf where points were lost, for a reader of the sheet.

use crate::appraisal::{demo_campaign, fill, unit_id};
use crate::common;

use chiso_domain::access::Role;
use chiso_domain::assessment::{Decision, Decisions};
use chiso_domain::campaign::CampaignState;
use chiso_store::assessments::{self as sheets, AppraisalEntry};
use chiso_store::{Actor, Db, campaigns};
use chrono::Days;

/// A one-round campaign of `year` ranking `units` with the demo departments' framework,
/// filled at `fraction` of every leaf, appraised as self-assessed (with a comment on `leaf`
/// when given), finalized and published.
pub(crate) async fn published(
    db: &Db,
    year: i64,
    units: &[i64],
    fraction: f64,
    comment: Option<(&str, &str)>,
) -> i64 {
    let campaign = finalized(db, year, units, fraction, comment).await;
    sheets::publish(
        db,
        &Actor::user(9100, "thuongtruc-test"),
        Role::Secretariat,
        campaign,
        None,
    )
    .await
    .unwrap();
    campaign
}

/// The campaign of [`published`], finalized but not yet published.
pub(crate) async fn finalized(
    db: &Db,
    year: i64,
    units: &[i64],
    fraction: f64,
    comment: Option<(&str, &str)>,
) -> i64 {
    let system = Actor::system("test");
    let secretariat = Actor::user(9100, "thuongtruc-test");
    let demo = demo_campaign(db).await;
    let framework = campaigns::frameworks(db, demo)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.unit_group == "department")
        .expect("the demo ranks departments")
        .framework_id;
    let today = sheets::today_in_vietnam();
    let campaign = campaigns::create(
        db,
        &system,
        &campaigns::CampaignFields {
            year,
            title: format!("Chỉ số CCHC các sở năm {year}"),
            appraisal_rounds: 1,
            self_assessment_deadline: Some(today + Days::new(14)),
            explanation_deadline: Some(today + Days::new(40)),
            round_deadlines: vec![None],
            bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
        },
    )
    .await
    .unwrap();
    campaigns::set_framework(db, &system, campaign, "department", Some(framework))
        .await
        .unwrap();
    campaigns::set_units(db, &system, campaign, "department", units)
        .await
        .unwrap();
    campaigns::transition(db, &system, campaign, CampaignState::Open, None)
        .await
        .unwrap();
    sheets::ensure_sheets(db, &system, campaign).await.unwrap();
    let mut sheet_ids = Vec::new();
    for &unit in units {
        let sheet = sheets::sheet_for_unit(db, &system, campaign, unit)
            .await
            .unwrap()
            .id;
        fill(db, sheet, fraction, None, true).await;
        sheet_ids.push(sheet);
    }
    sheets::open_round(db, &secretariat, Role::Secretariat, campaign, 1, None)
        .await
        .unwrap();
    if let Some((code, text)) = comment {
        let scope = sheets::scope(db, sheet_ids[0]).await.unwrap();
        sheets::save_appraisal(
            db,
            &Actor::user(9101, "thamdinh-test"),
            Role::Appraiser,
            None,
            sheet_ids[0],
            &AppraisalEntry {
                node_id: scope.stored.node_ids[code],
                comment: Some(text.into()),
                ..AppraisalEntry::default()
            },
        )
        .await
        .unwrap();
    }
    sheets::close_round(db, &secretariat, Role::Secretariat, campaign, 1, None)
        .await
        .unwrap();
    let decisions = Decisions {
        survey_waiver: Some("Đợt thử không khảo sát".into()),
        ..Decisions::default()
    };
    let mut decisions = decisions;
    for &unit in units {
        decisions
            .units
            .insert(unit, (Decision::Accept, "Chấp nhận".into()));
    }
    sheets::finalize(
        db,
        &secretariat,
        Role::Secretariat,
        campaign,
        sheets::today_in_vietnam(),
        "Chốt",
        &decisions,
    )
    .await
    .unwrap();
    campaign
}

#[tokio::test]
async fn a_units_page_shows_the_leaves_that_fell_and_the_councils_comments() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let db = &db;
        let units = [unit_id(db, "S06").await, unit_id(db, "S07").await];
        let earlier = published(db, 2001, &units, 1.0, None).await;
        let later = published(
            db,
            2002,
            &units,
            0.5,
            Some(("1.1", "Kế hoạch CCHC ban hành chậm so với quy định")),
        )
        .await;

        app.login("thuongtruc").await;
        let path = format!("/dot-danh-gia/{later}/ket-qua/don-vi/{}", units[0]);
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        let fallen = &body[body.find("id=\"fallen\"").expect("the fallen leaves")..];
        assert!(
            fallen.contains("Chỉ số CCHC các sở năm 2001"),
            "{backend:?}: the campaign compared"
        );
        assert!(fallen.contains("id=\"fallen-table\""), "{backend:?}");
        // Every leaf filled at half its maximum after full marks fell, 1.1 among them.
        assert!(fallen.contains("data-leaf=\"1.1\""), "{backend:?}");
        // The council's comment beside the leaf where points were lost.
        let losses = &body[body.find("id=\"loss-table\"").expect("the losses")..];
        assert!(
            losses.contains("Kế hoạch CCHC ban hành chậm so với quy định"),
            "{backend:?}"
        );
        // The trend over both campaigns as a line, with its text alternative.
        let chart = &body[body.find("id=\"trend-chart\"").expect("the trend chart")..];
        assert_eq!(
            chart[..chart.find("</svg>").unwrap()]
                .matches("<circle")
                .count(),
            2,
            "{backend:?}"
        );
        assert!(
            chart.contains("aria-label=\"Chỉ số qua các đợt đánh giá: 2001: "),
            "{backend:?}"
        );
        // The earlier campaign has nothing earlier: no section.
        let (status, body) = app
            .get_text(&format!(
                "/dot-danh-gia/{earlier}/ket-qua/don-vi/{}",
                units[0]
            ))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(!body.contains("id=\"fallen\""), "{backend:?}");
    }
}
