//! Background jobs and shared rate limits, on both backends: a job's start, progress and
//! outcome read back by another connection; finished jobs removed after an hour; a limit's
//! hits counted across connections (two processes on one database) per minute window.

use chiso_store::jobs::{self, JobKind, JobState, NewJob};
use chiso_store::testing;
use chrono::{Duration, TimeZone, Utc};

fn job(id: &str) -> NewJob {
    NewJob {
        id: id.to_string(),
        kind: JobKind::Report,
        user_id: 7,
        subject_id: 3,
        file_name: "bao-cao.pdf".to_string(),
        detail: "campaign".to_string(),
        total: None,
    }
}

#[tokio::test]
async fn a_job_is_seen_by_every_connection_and_finished_ones_expire() {
    for database in testing::backends().await {
        let db = &database.db;
        let backend = database.backend();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 8, 2, 0, 0).unwrap();
        jobs::start(db, &job("a1"), t0).await.unwrap();
        let running = jobs::get(db, "a1").await.unwrap().unwrap();
        assert_eq!(
            (running.state, running.done, running.total, running.kind),
            (JobState::Running, 0, None, JobKind::Report),
            "{backend:?}"
        );
        assert_eq!(running.started_at, t0);
        jobs::progress(
            db,
            "a1",
            40,
            Some(100),
            Some("layout"),
            t0 + Duration::seconds(1),
        )
        .await
        .unwrap();
        let moved = jobs::get(db, "a1").await.unwrap().unwrap();
        assert_eq!(
            (moved.done, moved.total, moved.stage.as_deref()),
            (40, Some(100), Some("layout"))
        );
        let pdf = b"%PDF-1.7 made".to_vec();
        jobs::finish(
            db,
            "a1",
            JobState::Succeeded,
            "{}",
            Some(&pdf),
            t0 + Duration::seconds(2),
        )
        .await
        .unwrap();
        // A late progress call does not move a finished job back.
        jobs::progress(db, "a1", 41, None, None, t0 + Duration::seconds(3))
            .await
            .unwrap();
        let done = jobs::get(db, "a1").await.unwrap().unwrap();
        assert_eq!(
            (done.state, done.done, done.outcome.as_deref()),
            (JobState::Succeeded, 40, Some("{}"))
        );
        assert_eq!(jobs::result(db, "a1").await.unwrap(), Some(pdf));
        assert_eq!(jobs::get(db, "nope").await.unwrap(), None);
        assert_eq!(jobs::result(db, "nope").await.unwrap(), None);

        // Another job started within the hour keeps it; one started after removes it, but
        // never a running job however old.
        jobs::start(db, &job("a2"), t0 + Duration::minutes(30))
            .await
            .unwrap();
        assert!(jobs::get(db, "a1").await.unwrap().is_some());
        jobs::start(db, &job("a3"), t0 + Duration::minutes(63))
            .await
            .unwrap();
        assert!(jobs::get(db, "a1").await.unwrap().is_none(), "{backend:?}");
        assert!(
            jobs::get(db, "a2").await.unwrap().is_some(),
            "running: kept"
        );
    }
}

#[tokio::test]
async fn a_rate_limit_counts_every_connection_in_its_minute() {
    for database in testing::backends().await {
        let db = &database.db;
        let other = chiso_store::Db::connect(&database.url).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 8, 2, 0, 5).unwrap();
        let mut allowed = 0;
        for i in 0..10 {
            let on = if i % 2 == 0 { db } else { &other };
            if jobs::hit(on, "survey:10.0.0.1", 6, t0 + Duration::seconds(i))
                .await
                .unwrap()
            {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 6, "{:?}", database.backend());
        // Another address, and the next minute, start again.
        assert!(jobs::hit(db, "survey:10.0.0.2", 6, t0).await.unwrap());
        assert!(
            jobs::hit(&other, "survey:10.0.0.1", 6, t0 + Duration::seconds(60))
                .await
                .unwrap()
        );
        assert_eq!(
            jobs::purge_limits(db, t0 + Duration::minutes(5))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            jobs::purge_limits(db, t0 + Duration::minutes(12))
                .await
                .unwrap(),
            3
        );
        other.close().await;
    }
}
