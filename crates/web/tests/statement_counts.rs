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

/// The most statements one autosave may run, BEGIN and COMMIT included (measured before the
/// application layer: 33 on SQLite, 34 on PostgreSQL; then 22 and 23 logged; now 8 on both:
/// the session with its user and roles in one read, the sheet's head (sheet, campaign, unit,
/// extensions, the user's roles on the unit) in one, its leaf rows and the unit's evidence
/// links in one, the framework from the frozen-framework cache, then BEGIN, the sheet's
/// figures on condition of its version, the leaf on condition of its version, the audit rows
/// in one insert, COMMIT; the redraw reads nothing again).
const AUTOSAVE_CEILING: usize = 8;
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
        let counted = with_transaction_control(&statements);
        println!(
            "{backend:?}: autosave of one leaf: {} statements with BEGIN and COMMIT: {statements:?}",
            counted
        );
        assert!(
            statements
                .iter()
                .any(|s| s.starts_with("UPDATE leaf_scores")),
            "{backend:?}: the leaf was written: {statements:?}"
        );
        assert!(
            counted <= AUTOSAVE_CEILING,
            "{backend:?}: {counted} statements"
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

/// The statements of a list with the transaction's BEGIN and COMMIT counted even where sqlx
/// does not report them (it reports neither on SQLite, and no BEGIN on PostgreSQL): a list
/// that writes ran one transaction.
fn with_transaction_control(statements: &[String]) -> usize {
    let writes = statements.iter().any(|s| {
        let upper = s.to_ascii_uppercase();
        upper.starts_with("UPDATE") || upper.starts_with("INSERT") || upper.starts_with("DELETE")
    });
    let has = |word: &str| {
        statements
            .iter()
            .any(|s| s.to_ascii_uppercase().starts_with(word))
    };
    let missing = usize::from(writes && !has("BEGIN")) + usize::from(writes && !has("COMMIT"));
    statements.len() + missing
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
