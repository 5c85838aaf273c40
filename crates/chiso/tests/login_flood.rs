//! A flood of anonymous logins against the `chiso` binary, seen from outside: each password
//! check is Argon2id at about 19 MiB, so the server may only run a few at once. 200
//! simultaneous logins must leave the process's peak resident memory (VmHWM, from `/proc`)
//! under 300 MiB, answer each with a refusal (401, or 503 when the checks are busy), and keep
//! `/healthz` answering meanwhile. On SQLite and, when reachable, PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use chiso_store::testing;
use common::start_server;
use futures_util::future::join_all;

const LOGINS: usize = 200;
const PEAK_LIMIT_MIB: u64 = 300;

async fn flood(database_url: &str, backend: &str) {
    // The per-address limit would refuse most attempts before any hash: lift it, so that
    // every one of them reaches the password check.
    let server = start_server(
        database_url,
        &[("CHISO_IP_FAILURES_PER_15_MINUTES", "1000000")],
        false,
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    // The pre-login token: one browser's cookie and form field, shared by every attempt.
    let first = client.get(server.url("/dang-nhap")).send().await.unwrap();
    let cookie = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("chiso_csrf="))
        .expect("the login page sets the token cookie");
    let token = cookie.trim_start_matches("chiso_csrf=").to_string();
    let (before, _) = server.memory_mib();

    let started = Instant::now();
    let attempts = (0..LOGINS).map(|i| {
        let request = client
            .post(server.url("/dang-nhap"))
            .header("cookie", cookie.clone())
            .form(&[
                ("_csrf", token.as_str()),
                ("username", &format!("khong-co-{i}")),
                ("password", "mot-mat-khau-bat-ky"),
            ]);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let health = async {
        // While the flood runs, the service still answers.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = client.get(server.url("/healthz")).send().await.unwrap();
        (response.status().as_u16(), started.elapsed())
    };
    let (statuses, (health_status, health_at)) = tokio::join!(join_all(attempts), health);
    let (after, peak) = server.memory_mib();
    let refused: Vec<u16> = statuses.iter().map(|s| *s.as_ref().unwrap()).collect();
    let busy = refused.iter().filter(|&&s| s == 503).count();
    eprintln!(
        "{backend}: {LOGINS} logins in {:.1} s, {busy} answered busy; RSS {before} MiB before, \
         {after} MiB after, peak {peak} MiB; /healthz {health_status} after {:.2} s",
        started.elapsed().as_secs_f64(),
        health_at.as_secs_f64()
    );
    assert!(
        refused.iter().all(|&s| s == 401 || s == 503),
        "{backend}: {refused:?}"
    );
    assert!(busy < LOGINS, "{backend}: some checks ran");
    assert_eq!(health_status, 200, "{backend}");
    assert!(
        peak < PEAK_LIMIT_MIB,
        "{backend}: peak RSS {peak} MiB is over {PEAK_LIMIT_MIB} MiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_simultaneous_logins_stay_within_memory() {
    let sqlite = testing::empty_sqlite().await;
    flood(&sqlite.url, "SQLite").await;
    if let Some(postgres) = testing::empty_postgres().await {
        flood(&postgres.url, "PostgreSQL").await;
    }
}
