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
    published_with(
        db,
        year,
        units,
        fraction,
        comment.map(|(c, t)| (c, None, t)),
    )
    .await
}

/// Publishes a finalized campaign as the secretariat.
async fn publish(db: &Db, campaign: i64) -> i64 {
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
    finalized_with(
        db,
        year,
        units,
        fraction,
        comment.map(|(c, t)| (c, None, t)),
    )
    .await
}

/// [`published`] with the council's points on the leaf it comments (`None` keeps the unit's).
pub(crate) async fn published_with(
    db: &Db,
    year: i64,
    units: &[i64],
    fraction: f64,
    appraisal: Option<(&str, Option<chiso_domain::Points>, &str)>,
) -> i64 {
    let campaign = finalized_with(db, year, units, fraction, appraisal).await;
    publish(db, campaign).await
}

/// [`finalized`] with the council's points on the leaf it comments.
async fn finalized_with(
    db: &Db,
    year: i64,
    units: &[i64],
    fraction: f64,
    appraisal: Option<(&str, Option<chiso_domain::Points>, &str)>,
) -> i64 {
    let demo = demo_campaign(db).await;
    let framework = campaigns::frameworks(db, demo)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.unit_group == "department")
        .expect("the demo ranks departments")
        .framework_id;
    finalized_group(
        db,
        year,
        ("department", framework),
        units,
        fraction,
        appraisal,
    )
    .await
}

thread_local! {
    /// When set, [`finalized_group`] maps this leaf of the framework to the wave's index before
    /// the sheets are filled, and refreshes the survey leaves before finalizing.
    static SURVEY_MAP: std::cell::RefCell<Option<(&'static str, i64)>> = const { std::cell::RefCell::new(None) };
}

/// [`finalized`] for any group of units and framework.
async fn finalized_group(
    db: &Db,
    year: i64,
    (group, framework): (&str, i64),
    units: &[i64],
    fraction: f64,
    appraisal: Option<(&str, Option<chiso_domain::Points>, &str)>,
) -> i64 {
    let system = Actor::system("test");
    let secretariat = Actor::user(9100, "thuongtruc-test");
    let today = sheets::today_in_vietnam();
    let campaign = campaigns::create(
        db,
        &system,
        &campaigns::CampaignFields {
            year,
            title: format!("Chỉ số CCHC năm {year} ({group})"),
            appraisal_rounds: 1,
            self_assessment_deadline: Some(today + Days::new(14)),
            explanation_deadline: Some(today + Days::new(40)),
            round_deadlines: vec![None],
            bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
        },
    )
    .await
    .unwrap();
    campaigns::set_framework(db, &system, campaign, group, Some(framework))
        .await
        .unwrap();
    campaigns::set_units(db, &system, campaign, group, units)
        .await
        .unwrap();
    campaigns::transition(db, &system, campaign, CampaignState::Open, None)
        .await
        .unwrap();
    if let Some((leaf, wave)) = SURVEY_MAP.with(|m| *m.borrow()) {
        let node = chiso_store::frameworks::load(db, framework)
            .await
            .unwrap()
            .node_ids[leaf];
        chiso_store::surveys::set_leaf_map(db, &system, campaign, node, wave, "index")
            .await
            .unwrap();
    }
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
    if let Some((code, points, text)) = appraisal {
        let scope = sheets::scope(db, sheet_ids[0]).await.unwrap();
        sheets::save_appraisal(
            db,
            &Actor::user(9101, "thamdinh-test"),
            Role::Appraiser,
            None,
            sheet_ids[0],
            &AppraisalEntry {
                node_id: scope.stored.node_ids[code],
                points,
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
    if SURVEY_MAP.with(|m| m.borrow().is_some()) {
        chiso_store::surveys::refresh_survey_leaves(db, &system, campaign)
            .await
            .unwrap();
    }
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
            fallen.contains("Chỉ số CCHC năm 2001 (department)"),
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

/// Provinces placed on the tile map of their year, coloured by classification, each square a
/// link to the province's page; the provinces not ranked are grey, "không có số liệu". The
/// public page shows the same map with public links. docs/method.md §6.7.
#[tokio::test]
async fn a_group_of_provinces_is_drawn_on_the_tile_map_of_its_year() {
    use chiso_domain::org::OrgKind;
    use chiso_store::{frameworks, units};
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let db = &db;
        let system = Actor::system("test");
        let mut provinces = Vec::new();
        for (code, name) in [
            ("46", "Thừa Thiên Huế"),
            ("44", "Quảng Bình"),
            ("01", "Hà Nội"),
        ] {
            let fields = units::UnitFields {
                code: code.into(),
                name: name.into(),
                kind: OrgKind::Province,
                parent_id: None,
                region: None,
                valid_from: None,
                valid_to: None,
            };
            provinces.push(units::create(db, &system, &fields).await.unwrap());
        }
        let framework = frameworks::list(db)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.unit_kind == "province")
            .expect("the demo holds the provincial framework")
            .id;
        let before = publish(
            db,
            finalized_group(db, 2024, ("province", framework), &provinces, 0.9, None).await,
        )
        .await;
        let after = publish(
            db,
            finalized_group(db, 2025, ("province", framework), &provinces, 0.9, None).await,
        )
        .await;

        app.login("thuongtruc").await;
        let (status, body) = app
            .get_text(&format!("/dot-danh-gia/{before}/ket-qua"))
            .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        let map = &body[body.find("class=\"tile-map\"").expect("a tile map")..];
        let map = &map[..map.find("</svg>").unwrap()];
        assert_eq!(
            map.matches("<rect").count(),
            63,
            "{backend:?}: 63 provinces in 2024"
        );
        assert!(map.contains(">TT Huế<"), "{backend:?}");
        assert!(
            map.contains(&format!(
                "href=\"/dot-danh-gia/{before}/ket-qua/don-vi/{}\"",
                provinces[0]
            )),
            "{backend:?}"
        );
        assert!(map.contains("Quảng Trị: không có số liệu"), "{backend:?}");
        assert!(
            body.contains("63 tỉnh, thành phố trước ngày 01/7/2025"),
            "{backend:?}"
        );
        // The provincial framework marks area 8's self-assessed leaves as impact: the council's
        // points come as results and impact apart, each with its maximum and its ranks
        // (docs/method.md §2.3).
        for header in [
            "Kết quả thực hiện CCHC (thẩm định) <span class=\"hint\">/60,5</span>",
            "Tác động đến phát triển KT-XH (thẩm định) <span class=\"hint\">/6</span>",
        ] {
            assert!(body.contains(header), "{backend:?}: {header}");
        }
        assert!(!body.contains(">Điểm thẩm định <"), "{backend:?}");
        // The distribution by classification is drawn as one stacked bar with its text.
        let chart = &body[body
            .find("class=\"stacked\"")
            .expect("a distribution chart")..];
        assert!(
            chart[..chart.find("</svg>").unwrap()].contains("3 đơn vị (100,0 %)"),
            "{backend:?}: {}",
            &chart[..300.min(chart.len())]
        );
        let (status, body) = app
            .get_text(&format!("/dot-danh-gia/{after}/ket-qua"))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        let map = &body[body.find("class=\"tile-map\"").expect("a tile map")..];
        let map = &map[..map.find("</svg>").unwrap()];
        assert_eq!(
            map.matches("<rect").count(),
            34,
            "{backend:?}: 34 provinces from 2025"
        );
        // Departments are no provinces: no map on their results.
        let demo_departments = published(db, 2003, &[unit_id(db, "S06").await], 1.0, None).await;
        let (_, body) = app
            .get_text(&format!("/dot-danh-gia/{demo_departments}/ket-qua"))
            .await;
        assert!(!body.contains("tile-map"), "{backend:?}");
        assert!(
            body.contains("Điểm thẩm định") && !body.contains("Tác động đến phát triển KT-XH"),
            "{backend:?}: a framework without impact nodes keeps one appraised component"
        );

        app.logout().await;
        let (status, body) = app.get_text(&format!("/cong-khai/{before}")).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            body.contains(&format!(
                "href=\"/cong-khai/{before}/don-vi/{}\"",
                provinces[0]
            )),
            "{backend:?}: the public map links to public pages"
        );
        assert!(
            !body.contains("/dot-danh-gia/"),
            "{backend:?}: no staff links in public"
        );
    }
}

/// An open SIPAS wave over `units`, each with 40 responses, three in four satisfied (a
/// different mix per unit), so every factor has an interval.
async fn sipas_wave(db: &Db, units: &[i64]) -> chiso_store::surveys::WaveRow {
    use chiso_store::surveys::{self, Channel, Identity, Response};
    let system = Actor::system("test");
    let questionnaire = surveys::register_bundled(db, &system, "sipas-2017")
        .await
        .unwrap();
    let items = surveys::get_questionnaire(db, questionnaire)
        .await
        .unwrap()
        .questionnaire()
        .unwrap()
        .items
        .len();
    let fields = surveys::WaveFields::new(questionnaire, "Khảo sát SIPAS thử", 2004);
    let wave = surveys::create_wave(db, &system, &fields).await.unwrap();
    let declared: Vec<(i64, Option<i64>)> = units.iter().map(|&u| (u, None)).collect();
    surveys::set_units(db, &system, wave, &declared)
        .await
        .unwrap();
    surveys::open_wave(db, &system, wave).await.unwrap();
    for (n, &unit) in units.iter().enumerate() {
        for i in 0..40 {
            let answers: Vec<u8> = (0..items)
                .map(|item| [5, 4, 4, 2][(i + item + n) % 4])
                .collect();
            surveys::submit(
                db,
                wave,
                unit,
                &Response::new(Channel::Paper, answers),
                Identity::Respondent(None),
            )
            .await
            .unwrap()
            .unwrap();
        }
    }
    surveys::get_wave(db, wave).await.unwrap()
}

/// The survey figures behind a unit's results and the leadership dashboard: the SIPAS wave that
/// scores the campaign's SIPAS leaf, with the index and each factor's 95 % interval, for the
/// unit (its page) and for the group (the dashboard); a unit's editor sees another unit's
/// figures only once the wave's results are published. docs/method.md §3.6, §3.8.
#[tokio::test(flavor = "current_thread")]
async fn a_units_page_and_the_dashboard_show_the_survey_behind_the_results() {
    use chiso_store::surveys;
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let db = &db;
        let units = [unit_id(db, "S03").await, unit_id(db, "S06").await];
        let wave = sipas_wave(db, &units).await;
        SURVEY_MAP.with(|m| *m.borrow_mut() = Some(("8.1", wave.id)));
        let campaign = published(db, 2004, &units, 0.9, None).await;
        SURVEY_MAP.with(|m| *m.borrow_mut() = None);
        let expected = |result: &chiso_survey::SurveyResult| {
            format!("{:.2}", result.index.expect("responses")).replace('.', ",")
        };
        let own = surveys::result(db, wave.id, &units[1..], None)
            .await
            .unwrap();
        let group = surveys::result(db, wave.id, &units, None).await.unwrap();
        assert!(own.responses > 0 && own.factors.iter().all(|f| f.ci95.is_some()));

        app.login("thuongtruc").await;
        let path = format!("/dot-danh-gia/{campaign}/ket-qua/don-vi/{}", units[1]);
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        let section = &body[body.find("id=\"surveys\"").expect("the survey section")..];
        assert!(section.contains(&wave.title), "{backend:?}");
        assert!(
            section.contains(&format!("class=\"big survey-index\">{}<", expected(&own))),
            "{backend:?}: the unit's own index"
        );
        assert!(section.contains("Khoảng tin cậy 95 %"), "{backend:?}");
        // Five factors, each a bar with its interval whisker.
        let chart = &section[..section.find("</svg>").unwrap()];
        assert_eq!(
            chart.matches("class=\"whisker\"><title>").count(),
            5,
            "{backend:?}"
        );
        app.logout().await;

        app.login("xemketqua").await;
        let (status, body) = app
            .get_text(&format!("/dot-danh-gia/{campaign}/tong-quan"))
            .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert!(
            body.contains(&format!("class=\"big survey-index\">{}<", expected(&group))),
            "{backend:?}: the group's index on the dashboard"
        );
        app.logout().await;

        // The justice department's editor: its own figures, not another unit's while the
        // wave's results are not published.
        app.login("nhaplieu").await;
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            !body.contains("id=\"surveys\""),
            "{backend:?}: another unit's survey"
        );
        let (status, body) = app
            .get_text(&format!(
                "/dot-danh-gia/{campaign}/ket-qua/don-vi/{}",
                units[0]
            ))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            body.contains("id=\"surveys\""),
            "{backend:?}: its own survey"
        );
    }
}
