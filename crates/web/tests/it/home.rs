//! The home page per role on both backends (what to do next), and draft campaigns kept to the
//! secretariat everywhere: lists, the home page and the campaign page (404 for others).

use crate::common;

use chiso_store::Actor;
use chiso_store::campaigns::{self, CampaignFields};

#[tokio::test]
async fn each_role_lands_on_what_to_do_next() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let open = campaigns::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.state == chiso_domain::campaign::CampaignState::Open)
            .expect("the demo campaign is open")
            .id;

        // A unit editor: the unit's scoresheet, its status and the days left.
        app.login("nhaplieu").await;
        let (status, body) = app.get_text("/").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains("id=\"home-unit\""), "{backend:?}");
        assert!(body.contains("href=\"/tu-danh-gia"), "{backend:?}");
        assert!(body.contains("ngày (hạn"), "{backend:?}: the days left");
        assert!(!body.contains("id=\"home-secretariat\""), "{backend:?}");
        // An open survey wave of the unit: its QR code and link to print, with the count.
        let justice = chiso_store::units::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.name == "Sở Tư pháp")
            .unwrap()
            .id;
        let operator = Actor::system("test");
        let questionnaire =
            chiso_store::surveys::register_bundled(&app.db, &operator, "sipas-2017")
                .await
                .unwrap();
        let wave = chiso_store::surveys::create_wave(
            &app.db,
            &operator,
            &chiso_store::surveys::WaveFields::new(questionnaire, "Khảo sát SIPAS quý IV", 2026),
        )
        .await
        .unwrap();
        chiso_store::surveys::set_units(&app.db, &operator, wave, &[(justice, Some(120))])
            .await
            .unwrap();
        chiso_store::surveys::open_wave(&app.db, &operator, wave)
            .await
            .unwrap();
        let (_, body) = app.get_text("/").await;
        let surveys = &body[body
            .find("id=\"home-surveys\"")
            .expect("the unit's surveys")..];
        assert!(
            surveys.contains(&format!(
                "href=\"/khao-sat/dot/{wave}/don-vi/{justice}#short-link\""
            )),
            "{backend:?}"
        );
        assert!(surveys.contains("Khảo sát SIPAS quý IV"), "{backend:?}");
        assert!(
            surveys.contains("<td class=\"num\">0 / "),
            "{backend:?}: none of the sample yet"
        );
        let (status, unit_page) = app
            .get_text(&format!("/khao-sat/dot/{wave}/don-vi/{justice}"))
            .await;
        assert_eq!(status, 200, "{backend:?}: the unit's people open it");
        assert!(unit_page.contains("id=\"short-link\""), "{backend:?}");

        // The secretariat: the campaign's next step through its checklist, with the counts.
        app.login("thuongtruc").await;
        let (_, body) = app.get_text("/").await;
        assert!(body.contains("id=\"home-secretariat\""), "{backend:?}");
        assert!(
            body.contains(&format!(
                "href=\"/dot-danh-gia/{open}/kiem-tra?buoc=mo-vong&#38;vong=1\""
            )),
            "{backend:?}"
        );
        // Opening round 1 after its checklist: the appraiser's page then lists the round.
        let (status, body) = app
            .get_text(&format!(
                "/dot-danh-gia/{open}/kiem-tra?buoc=mo-vong&vong=1"
            ))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains("id=\"deadlines-ahead\""), "{backend:?}");
        let refused = app
            .post_form(&format!("/dot-danh-gia/{open}/mo-vong"), &[("round", "1")])
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}: a reason is required");
        let opened = app
            .post_form(
                &format!("/dot-danh-gia/{open}/mo-vong"),
                &[("round", "1"), ("reason", "Theo kế hoạch")],
            )
            .await;
        assert_eq!(opened.status(), 303, "{backend:?}");
        app.login("thamdinh").await;
        let (_, body) = app.get_text("/").await;
        assert!(body.contains("id=\"home-appraiser\""), "{backend:?}");

        // A draft campaign: the secretariat's own.
        let draft = campaigns::create(
            &app.db,
            &Actor::system("test"),
            &CampaignFields {
                year: 2027,
                title: "Đợt nháp 2027".into(),
                appraisal_rounds: 1,
                self_assessment_deadline: None,
                explanation_deadline: None,
                round_deadlines: vec![None],
                bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
            },
        )
        .await
        .unwrap();
        for who in ["xemketqua", "nhaplieu", "thamdinh"] {
            app.login(who).await;
            let (_, home) = app.get_text("/").await;
            assert!(!home.contains("Đợt nháp 2027"), "{backend:?}: {who}");
            let (_, list) = app.get_text("/dot-danh-gia").await;
            assert!(!list.contains("Đợt nháp 2027"), "{backend:?}: {who}");
            let (status, _) = app.get_text(&format!("/dot-danh-gia/{draft}")).await;
            assert_eq!(status, 404, "{backend:?}: {who}");
        }
        app.login("thuongtruc").await;
        let (_, list) = app.get_text("/dot-danh-gia").await;
        assert!(list.contains("Đợt nháp 2027"), "{backend:?}");
        let (status, _) = app.get_text(&format!("/dot-danh-gia/{draft}")).await;
        assert_eq!(status, 200, "{backend:?}");
    }
}
