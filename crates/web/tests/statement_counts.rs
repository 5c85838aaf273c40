//! The SQL statements of the hot paths, counted on both backends: autosaving one leaf of a
//! scoresheet (the transaction and its audit rows included), and the reads of a kiosk
//! submission before it is queued for the group commit. Each count is printed (run with
//! `--nocapture`) and held under its ceiling.

mod common;

use std::collections::HashMap;

use chiso_store::surveys::{self, WaveFields};
use chiso_store::{Actor, assessments, campaigns, frameworks, units};
use common::statements::{measure, reads};
use common::{TestApp, apps};

/// The most statements one autosave may run (measured before the application layer: 33 on
/// SQLite, 34 on PostgreSQL; now 22 and 23: the store write uses the scope the request
/// loaded, the redraw reads only the sheet's row again and the unit's extensions once; the
/// target is 8).
const AUTOSAVE_CEILING: usize = 23;
/// The most reads a kiosk submission may make before it is queued (measured before the
/// rework: 2 for a device bound to its wave; for a province device naming a unit one level
/// below and a service, 6 = key, wave id, wave, unit by code, one read per level of the parent
/// walk (up to 16), service. Now: the key, the wave, and the unit with its service in one read).
const KIOSK_READS_CEILING: usize = 3;

async fn sheet_and_nodes(app: &TestApp, unit_code: &str) -> (i64, HashMap<String, i64>) {
    let campaign = campaigns::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == chiso_domain::campaign::CampaignState::Open)
        .unwrap()
        .id;
    let unit = units::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == unit_code)
        .unwrap()
        .id;
    let sheet = assessments::sheet_for_unit(&app.db, &Actor::system("test"), campaign, unit)
        .await
        .unwrap();
    let nodes = frameworks::load(&app.db, sheet.framework_id)
        .await
        .unwrap()
        .node_ids;
    (sheet.id, nodes)
}

#[tokio::test]
async fn hot_paths_run_few_statements() {
    for mut app in apps().await {
        let backend = app.backend;
        // Autosave: the unit editor of the demo's Sở Tư pháp saves one leaf, twice (the second
        // time with the version the first returned).
        app.login("nhaplieu").await;
        let justice = units::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.name == "Sở Tư pháp")
            .unwrap()
            .code;
        let (sheet, nodes) = sheet_and_nodes(&app, &justice).await;
        let path = format!("/tu-danh-gia/{sheet}/tieu-chi/{}", nodes["1.3"]);
        let save = |points: &'static str, version: String| {
            app.request(reqwest::Method::POST, &path)
                .header("hx-request", "true")
                .header("x-csrf-token", app.csrf())
                .form(&[("version", version), ("points", points.to_string())])
                .send()
        };
        let _ = save("0,5", String::new()).await.unwrap();
        let version = assessments::leaf_scores(&app.db, sheet)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.node_id == nodes["1.3"] && s.stage == 0)
            .map(|s| s.version.to_string())
            .unwrap();
        let (statements, response) = measure(save("1", version)).await;
        assert_eq!(response.unwrap().status().as_u16(), 200, "{backend:?}");
        println!(
            "{backend:?}: autosave of one leaf: {} statements: {statements:?}",
            statements.len()
        );
        assert!(
            statements.len() <= AUTOSAVE_CEILING,
            "{backend:?}: {} statements",
            statements.len()
        );

        // A kiosk submission: the reads before the group commit takes it.
        let actor = Actor::system("test");
        let questionnaire = surveys::register_bundled(&app.db, &actor, "kiosk-2025")
            .await
            .unwrap();
        let wave = surveys::create_wave(
            &app.db,
            &actor,
            &WaveFields::new(questionnaire, "Quầy", 2026),
        )
        .await
        .unwrap();
        let unit = units::list(&app.db).await.unwrap()[0].id;
        surveys::set_units(&app.db, &actor, wave, &[(unit, None)])
            .await
            .unwrap();
        surveys::open_wave(&app.db, &actor, wave).await.unwrap();
        let (_, key) = surveys::create_device(&app.db, &actor, unit, Some(wave), "Quầy 1")
            .await
            .unwrap();
        let submit = || {
            app.request(reqwest::Method::POST, "/api/v1/responses")
                .header("authorization", format!("Bearer {key}"))
                .json(&serde_json::json!({"answers": {"q1": 5}}))
                .send()
        };
        let _ = submit().await.unwrap();
        let (statements, response) = measure(submit()).await;
        assert_eq!(response.unwrap().status().as_u16(), 201, "{backend:?}");
        check_kiosk_reads(backend, "device of a wave", &statements);

        // A province-wide device (no wave of its own) naming a unit below it and its service:
        // the unit tree is walked in the same read as the service lookup.
        let all = units::list(&app.db).await.unwrap();
        let child = all
            .iter()
            .find(|u| u.parent_id.is_some_and(|p| all.iter().any(|a| a.id == p)))
            .unwrap();
        let parent = child.parent_id.unwrap();
        let wave = surveys::create_wave(
            &app.db,
            &actor,
            &WaveFields::new(questionnaire, "Một cửa", 2026),
        )
        .await
        .unwrap();
        surveys::set_units(&app.db, &actor, wave, &[(parent, None), (child.id, None)])
            .await
            .unwrap();
        surveys::set_service(
            &app.db,
            &actor,
            wave,
            child.id,
            &surveys::ServiceFields {
                code: "HT".into(),
                name: "Hộ tịch".into(),
                transactions: None,
            },
        )
        .await
        .unwrap();
        surveys::open_wave(&app.db, &actor, wave).await.unwrap();
        let (_, key) = surveys::create_device(&app.db, &actor, parent, None, "Một cửa tỉnh")
            .await
            .unwrap();
        let submit = || {
            app.request(reqwest::Method::POST, "/api/v1/responses")
                .header("authorization", format!("Bearer {key}"))
                .json(&serde_json::json!({
                    "unit_code": child.code, "service": "ht", "answers": {"q1": 4}
                }))
                .send()
        };
        let _ = submit().await.unwrap();
        let (statements, response) = measure(submit()).await;
        let response = response.unwrap();
        assert_eq!(response.status().as_u16(), 201, "{backend:?}");
        check_kiosk_reads(backend, "unit below and service", &statements);
        let stored: i64 = chiso_store::with_db!(&app.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM responses WHERE wave_id = $1 AND unit_id = $2 AND service_id IS NOT NULL")
            .bind(wave)
            .bind(child.id)
            .fetch_one(pool)
            .await
            .unwrap());
        assert_eq!(stored, 2, "{backend:?}");
    }
}

/// The reads a kiosk submission makes before the group-commit writer takes it (the writer's
/// transaction starts with BEGIN, or on SQLite with its wave check).
fn check_kiosk_reads(backend: chiso_store::Backend, what: &str, statements: &[String]) {
    let before_queue: Vec<String> = statements
        .iter()
        .take_while(|s| {
            let upper = s.to_ascii_uppercase();
            !upper.starts_with("BEGIN") && !s.starts_with("SELECT w.state, w.opens_on")
        })
        .cloned()
        .collect();
    println!(
        "{backend:?}: kiosk submission ({what}): {} reads before the queue, {} statements in all: {statements:?}",
        reads(&before_queue),
        statements.len()
    );
    assert!(
        reads(&before_queue) <= KIOSK_READS_CEILING,
        "{backend:?} ({what}): {} reads",
        reads(&before_queue)
    );
}
