//! `kill -9` in the middle of the work an office does at once, seen from outside the `chiso`
//! binary (SQLite, and PostgreSQL when reachable): a bulk survey import of 200,000 rows in
//! progress, an editor's autosaves of one criterion's explanation and evidence uploads, and a
//! PDF report being made. The process is killed with SIGKILL, started again on the same
//! database and data folder, and then:
//! - the database is consistent (SQLite's integrity check; the survey counters agree with the
//!   rows on both backends);
//! - every acknowledged save is there: the explanation is the last acknowledged one or the
//!   one in flight, every acknowledged upload is linked;
//! - the interrupted import stored all of its rows or none, and its page says it stopped
//!   (SQLite: the restarted process marks its predecessor's jobs);
//! - no evidence file is referenced but missing from the folder;
//! - the service works: a new report is made.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chiso_domain::org::OrgKind;
use chiso_store::evidence::{self, BlobStore, LocalBlobStore};
use chiso_store::surveys::{self, WaveFields};
use chiso_store::testing::{self, TestDb};
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Backend, Db, assessments, campaigns, frameworks};
use common::{login, start_server};

const IMPORT_ROWS: usize = 200_000;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Starts the national indices' PDF report; the job's page.
async fn start_report(client: &reqwest::Client, base: &str, csrf: &str) -> String {
    let response = client
        .post(format!("{base}/chi-so-quoc-gia/tong-quan/bao-cao"))
        .form(&[("_csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "the report starts");
    location(&response)
}

/// A page's text.
async fn page(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// Units 44, 46 and 48 and an open SIPAS wave over them; the wave's id.
async fn import_wave(db: &Db) -> i64 {
    let actor = Actor::system("crash-test");
    let mut ids = Vec::new();
    for code in ["44", "46", "48"] {
        let fields = UnitFields {
            code: code.into(),
            name: format!("Tỉnh {code}"),
            kind: OrgKind::Department,
            parent_id: None,
            region: None,
            valid_from: None,
            valid_to: None,
        };
        ids.push(units::create(db, &actor, &fields).await.unwrap());
    }
    let questionnaire = surveys::register_bundled(db, &actor, "sipas-2017")
        .await
        .unwrap();
    let wave = surveys::create_wave(
        db,
        &actor,
        &WaveFields::new(questionnaire, "Nhập tệp lớn", 2026),
    )
    .await
    .unwrap();
    let pairs: Vec<(i64, Option<i64>)> = ids.iter().map(|&u| (u, None)).collect();
    surveys::set_units(db, &actor, wave, &pairs).await.unwrap();
    surveys::open_wave(db, &actor, wave).await.unwrap();
    wave
}

/// A responses file of `rows` good rows in the contract's columns (docs/formats.md §5).
fn responses_csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("unit_code,respondent_id,channel,weight");
    for item in 1..=22 {
        out.push_str(&format!(",c{item:02}"));
    }
    out.push_str(",overall\n");
    for row in 0..rows {
        let unit = ["44", "46", "48"][row % 3];
        out.push_str(&format!("{unit},r{row},online,"));
        for item in 0..22 {
            out.push_str(&format!(",{}", 1 + (row + item) % 5));
        }
        out.push_str(&format!(",{}\n", 1 + row % 5));
    }
    out.into_bytes()
}

/// The demo campaign's sheet of unit S03 (the editor's) and its criterion 1.1.
async fn sheet_and_leaf(db: &Db) -> (i64, i64) {
    let campaign = campaigns::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == chiso_domain::campaign::CampaignState::Open)
        .expect("the demo campaign is open")
        .id;
    let unit = units::find_current_by_code(db, "S03", chrono::Utc::now().date_naive())
        .await
        .unwrap()
        .unwrap()
        .id;
    let sheet = assessments::sheet_for_unit(db, &Actor::system("crash-test"), campaign, unit)
        .await
        .unwrap();
    let nodes = frameworks::load(db, sheet.framework_id)
        .await
        .unwrap()
        .node_ids;
    (sheet.id, nodes["1.1"])
}

fn version_in(html: &str) -> Option<String> {
    let start = html.find("name=\"version\" value=\"")? + "name=\"version\" value=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// What the editor had acknowledged when the process died.
#[derive(Default)]
struct Acknowledged {
    last_save: Option<usize>,
    uploads: Vec<String>,
}

async fn editor_loop(base: String, sheet: i64, leaf: i64, acked: Arc<Mutex<Acknowledged>>) {
    let client = client();
    let csrf = login(&client, &base, "nhaplieu").await;
    // From here on the server may die at any moment: a failed request ends the loop.
    let mut version = String::new();
    for turn in 0.. {
        let sent = client
            .post(format!("{base}/tu-danh-gia/{sheet}/tieu-chi/{leaf}"))
            .header("hx-request", "true")
            .header("x-csrf-token", &csrf)
            .form(&[
                ("version", version.as_str()),
                ("explanation", &format!("lượt {turn}")),
            ])
            .send()
            .await;
        let Ok(response) = sent else { return };
        if response.status() != 200 {
            return;
        }
        let Ok(body) = response.text().await else {
            return;
        };
        version = version_in(&body).expect("the saved form's version");
        acked.lock().unwrap().last_save = Some(turn);
        if turn % 4 == 0 {
            let content = format!("%PDF-1.4\n% lượt {turn}\n1 0 obj << >> endobj\n%%EOF\n");
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(content.clone().into_bytes())
                    .file_name(format!("minh-chung-{turn}.pdf"))
                    .mime_str("application/pdf")
                    .unwrap(),
            );
            let sent = client
                .post(format!(
                    "{base}/tu-danh-gia/{sheet}/tieu-chi/{leaf}/tai-lieu"
                ))
                .header("x-csrf-token", &csrf)
                .multipart(form)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() || r.status().is_redirection() => {
                    let sha = evidence::sha256_hex(content.as_bytes());
                    acked.lock().unwrap().uploads.push(sha);
                }
                _ => return,
            }
        }
    }
}

async fn crash_and_check(database: &TestDb, data_dir: &Path) {
    let backend = database.backend();
    let data = data_dir.display().to_string();
    let env = [("CHISO_DATA_DIR", data.as_str())];
    let mut server = start_server(&database.url, &env, true);
    let base = format!("http://{}", server.addr);
    let db = Db::connect(&database.url).await.unwrap();
    let wave = import_wave(&db).await;
    let (sheet, leaf) = sheet_and_leaf(&db).await;

    // The editor saves and uploads; once a few saves are through, the secretariat starts the
    // import and a report.
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let editor = tokio::spawn(editor_loop(base.clone(), sheet, leaf, acked.clone()));
    let warm = Instant::now();
    while acked.lock().unwrap().last_save.unwrap_or(0) < 3 {
        assert!(
            warm.elapsed() < Duration::from_secs(60),
            "{backend:?}: the editor saves"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let office = client();
    let csrf = login(&office, &base, "thuongtruc").await;
    let report_job = start_report(&office, &base, &csrf).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(responses_csv(IMPORT_ROWS))
            .file_name("lon.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let response = office
        .post(format!("{base}/khao-sat/dot/{wave}/nhap-tep"))
        .header("x-csrf-token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        303,
        "{backend:?}: the import starts"
    );
    let import_job = location(&response);

    // Kill once the import is under way and the editor has saved a few times.
    let started = Instant::now();
    let mut seen_progress = false;
    while started.elapsed() < Duration::from_secs(120) {
        let fragment = page(&office, &format!("{base}{import_job}/tien-do")).await;
        if fragment.contains("data-finished=\"true\"") {
            eprintln!("{backend:?}: the import finished before the kill");
            break;
        }
        if !fragment.contains("data-percent=\"0\"") {
            seen_progress = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    let _ = editor.await;
    let (last_save, uploads) = {
        let acked = acked.lock().unwrap();
        (acked.last_save, acked.uploads.clone())
    };
    let last_save = last_save.expect("the editor saved before the kill");
    eprintln!(
        "{backend:?}: killed after {:.1} s (import under way: {seen_progress}), {} saves and {} \
         uploads acknowledged",
        started.elapsed().as_secs_f64(),
        last_save + 1,
        uploads.len()
    );

    // Started again on the same database and folder.
    let server = start_server(&database.url, &env, true);
    let base = format!("http://{}", server.addr);
    if backend == Backend::Sqlite {
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(match &db {
                Db::Sqlite(pools) => &pools.read,
                Db::Postgres(_) => unreachable!(),
            })
            .await
            .unwrap();
        assert_eq!(check, "ok", "SQLite's integrity check");
    }

    // The import: all of it or nothing, and counters that agree with the rows.
    let stored: i64 = surveys::wave_units(&db, wave)
        .await
        .unwrap()
        .iter()
        .map(|u| u.responses)
        .sum();
    assert!(
        stored == 0 || stored == IMPORT_ROWS as i64,
        "{backend:?}: an interrupted import left {stored} of {IMPORT_ROWS} rows"
    );
    eprintln!("{backend:?}: after the restart the import's wave holds {stored} rows");
    let drift = surveys::recompute_counters(&db, &Actor::system("crash-test"), wave)
        .await
        .unwrap();
    assert!(drift.is_zero(), "{backend:?}: counters drifted: {drift:?}");

    // The editor's work: the last acknowledged explanation (or the one in flight), every
    // acknowledged upload linked, every linked file on disk.
    let scores = assessments::leaf_scores(&db, sheet).await.unwrap();
    let explanation = scores
        .iter()
        .find(|s| s.node_id == leaf && s.stage == 0)
        .and_then(|s| s.explanation.clone())
        .unwrap_or_default();
    assert!(
        explanation == format!("lượt {last_save}")
            || explanation == format!("lượt {}", last_save + 1),
        "{backend:?}: {explanation:?} after acknowledging turn {last_save}"
    );
    let linked = evidence::files_for_sheet(&db, sheet).await.unwrap();
    for sha in &uploads {
        assert!(
            linked.iter().any(|f| &f.sha256 == sha),
            "{backend:?}: an acknowledged upload is missing"
        );
    }
    let blobs = LocalBlobStore::new(data_dir.join("evidence"));
    for file in &linked {
        assert!(
            blobs.exists(&file.sha256).await.unwrap(),
            "{backend:?}: {} is referenced but not on disk",
            file.sha256
        );
    }

    // The pages of the jobs the killed process ran, and a new report.
    let office = client();
    let csrf = login(&office, &base, "thuongtruc").await;
    let fragment = page(&office, &format!("{base}{import_job}/tien-do")).await;
    if stored == 0 && backend == Backend::Sqlite {
        assert!(
            fragment.contains("khởi động lại") && fragment.contains("data-finished=\"true\""),
            "{fragment}"
        );
        let report_page = page(&office, &format!("{base}{report_job}/tien-do")).await;
        assert!(
            report_page.contains("data-finished=\"true\""),
            "{report_page}"
        );
    }
    let job = start_report(&office, &base, &csrf).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let response = office.get(format!("{base}{job}/tep")).send().await.unwrap();
        if response.status() == 200 {
            assert!(response.bytes().await.unwrap().starts_with(b"%PDF"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{backend:?}: the new report was not made"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(server);
    db.close().await;
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chiso-crash-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_an_import_saves_uploads_and_a_report_loses_nothing_acknowledged() {
    let sqlite = testing::empty_sqlite().await;
    crash_and_check(&sqlite, &scratch("sqlite")).await;
    if let Some(postgres) = testing::empty_postgres().await {
        crash_and_check(&postgres, &scratch("postgres")).await;
    } else {
        eprintln!("PostgreSQL not reachable: the crash test ran on SQLite only");
    }
}
