//! Two servers on one PostgreSQL database, as two `chiso serve` processes behind one load
//! balancer (docs/operations.md, "Scaling out"): each has its own memory — caches, the survey
//! writer, the jobs it runs, its rate-limit fallback — and they share only the database and
//! the evidence folder. The same browser (one cookie jar) speaks to either, and what one
//! process did the other shows: the session, an evidence file, the audit log, the
//! survey counters under concurrent submissions, a background import's progress and report,
//! a PDF report's job page and file, and the public form's per-address limit (counted once
//! for both). The scheduler's notices, each written and mailed once when two processes run
//! their pass together, are tested in tests/it/notifications.rs.
//!
//! SQLite serves one process (the embedded default); this runs on PostgreSQL only, which CI
//! always has.

use crate::common::{self, TestApp, sipas_fields};
use crate::input_hygiene::{file_part, pdf, sheet_and_leaf, upload_to};
use crate::surveys::{example_wave, upload, wait_for, wave_responses};
use chiso_store::{Backend, audit, evidence};
use reqwest::multipart::Form;

const LIMIT: u32 = 5;

async fn postgres_pair() -> Option<(TestApp, TestApp)> {
    let adjust = |c: &mut chiso_web::Config| c.survey_submissions_per_minute = LIMIT;
    for a in common::apps_with(adjust).await {
        if a.backend == Backend::Postgres {
            let b = a.twin(adjust).await;
            return Some((a, b));
        }
    }
    eprintln!("scale_out: PostgreSQL is not reachable; skipped (CI fails instead)");
    None
}

#[tokio::test]
async fn two_processes_on_one_database_show_each_others_work() {
    let Some((mut a, mut b)) = postgres_pair().await else {
        return;
    };
    assert_ne!(a.addr, b.addr);

    // A session opened on A is good on B (sessions are rows of the database).
    a.login("nhaplieu").await;
    b.share_session(&a);
    let (status, home) = b.get_text("/").await;
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("dang-xuat"), "signed in on B");

    // An evidence file uploaded through A downloads through B (the shared folder).
    let (sheet, leaf) = sheet_and_leaf(&a.db, "S03", "1.1").await;
    let bytes = pdf("shared");
    let form = Form::new().part(
        "file",
        file_part("quyet-dinh.pdf", bytes.clone(), "application/pdf"),
    );
    let response = upload_to(&a, sheet, leaf, form).await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let file = evidence::files_for_sheet(&a.db, sheet).await.unwrap()[0].file_id;
    let response = b.get(&format!("/tai-lieu/{file}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);

    // A background import started on A: its page polled on B shows the progress and the
    // outcome A recorded.
    a.login("thuongtruc").await;
    b.share_session(&a);
    let (wave, _) = example_wave(&a.db, "Khảo sát hai tiến trình", 2026).await;
    let job = upload(&a, wave, true).await;
    let fragment = wait_for(&b, &job).await;
    assert!(fragment.contains("id=\"import-done\""), "{fragment}");
    assert!(fragment.contains("39"), "{fragment}");
    assert_eq!(wave_responses(&b.db, wave).await, 39);

    // A PDF report made by A is followed and downloaded on B.
    let job = crate::reports::start(&a, "/chi-so-quoc-gia/tong-quan/bao-cao", &[]).await;
    let made = crate::reports::finish(&b, &job).await;
    assert!(made.starts_with(b"%PDF"));
    // Another user does not see it on either.
    let mut stranger = b.twin(|_| {}).await;
    stranger.login("xemketqua").await;
    assert_eq!(stranger.get(&job).await.status(), 404);

    // The audit log read on B holds what was done through A, in order, none lost.
    let filter = audit::AuditFilter {
        limit: 500,
        ..Default::default()
    };
    let entries = audit::list(&b.db, &filter).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "import" && e.entity_id == Some(wave)),
        "{:?}",
        entries.iter().map(|e| e.action.clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_survey_counters_and_the_public_limit_are_the_databases() {
    let Some((a, b)) = postgres_pair().await else {
        return;
    };
    let wave = crate::survey_form::wave_on(&a.db, "sipas-2017").await;
    let slug = &wave.slugs[0];
    let path = format!("/ks/{slug}");
    let fields = sipas_fields("4");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    // From one address, alternating between the processes: the limit holds for the pair.
    let mut accepted = 0;
    let mut limited = 0;
    for i in 0..(2 * LIMIT) {
        let on = if i % 2 == 0 { &a } else { &b };
        let status = on.post_form(&path, &pairs).await.status().as_u16();
        match status {
            303 => accepted += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        (accepted, limited),
        (LIMIT, LIMIT),
        "one limit for both processes"
    );

    // Token links answered concurrently through both processes: each acknowledged answer is
    // counted once, and the counters agree with the rows.
    let tokens = chiso_store::surveys::issue_tokens(
        &a.db,
        &crate::survey_form::operator(),
        wave.id,
        wave.units[0],
        40,
    )
    .await
    .unwrap();
    let sends = tokens.iter().enumerate().map(|(i, token)| {
        let on = if i % 2 == 0 { &a } else { &b };
        let path = format!("/ks/t/{token}");
        let pairs = pairs.clone();
        async move { on.post_form(&path, &pairs).await.status().as_u16() }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|&s| s == 303), "{statuses:?}");
    let counts = chiso_store::surveys::counts(&b.db, wave.id, &[wave.units[0]], None)
        .await
        .unwrap();
    // The same browser's repeated public answers are kept but flagged as duplicates.
    assert_eq!(
        counts[0].counts.responses.n + counts[0].flagged,
        u64::from(LIMIT) + 40
    );
}
