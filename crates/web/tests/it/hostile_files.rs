//! Hostile files over HTTP, on both backends: a dense-range workbook and a zip bomb uploaded
//! to the units import are refused with a Vietnamese message naming the limit while the
//! server keeps answering, and the audit export streams every row of a log longer than one
//! page, formulas neutralised. (The broad hostile-upload suite lives beside the other HTTP
//! tests; this file covers the shared reader and the audit export.)

use crate::common;

use std::time::{Duration, Instant};

use chiso_interchange::hostile;
use chiso_store::audit::{self, AuditEntry};
use chiso_store::{Actor, Db, StoreError};
use reqwest::multipart::{Form, Part};

fn xlsx_upload(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .unwrap(),
    )
}

const UNITS_HEADER: [&str; 4] = ["unit_code", "unit_name", "kind", "parent_code"];

/// `/healthz`, timed.
async fn health(app: &common::TestApp) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = app.get_text("/healthz").await;
    (status, started.elapsed())
}

#[tokio::test]
async fn hostile_workbooks_are_refused_in_vietnamese_and_the_server_keeps_answering() {
    let dense = hostile::dense_range_xlsx(&UNITS_HEADER);
    let bomb = hostile::xlsx_bomb(300 << 20, &UNITS_HEADER, "x");
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;

        let response = app
            .post_multipart("/don-vi/nhap", xlsx_upload("don-vi.xlsx", dense.clone()))
            .await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 422, "{backend:?}: {body}");
        assert!(
            body.contains("Tệp có hơn 1.000 cột, vượt giới hạn cho phép."),
            "{backend:?}: {body}"
        );
        assert!(body.contains("1048576"), "{backend:?}: the row is named");
        assert!(!body.contains("the limit"), "{backend:?}: no English");
        assert_eq!(health(&app).await.0, 200, "{backend:?}");

        // The bomb takes seconds to refuse (its parts are unpacked up to the limit): it is
        // parsed off the async workers, so /healthz answers meanwhile.
        let upload = app.post_multipart("/don-vi/nhap", xlsx_upload("bom.xlsx", bomb.clone()));
        let probe = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut slowest = Duration::ZERO;
            for _ in 0..5 {
                let (status, took) = health(&app).await;
                assert_eq!(status, 200, "{backend:?}");
                slowest = slowest.max(took);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            slowest
        };
        let (response, slowest) = tokio::join!(upload, probe);
        assert!(
            slowest < Duration::from_secs(2),
            "{backend:?}: /healthz took {slowest:?} during the upload"
        );
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 422, "{backend:?}: {body}");
        assert!(
            body.contains("Nội dung tệp .xlsx khi giải nén lớn hơn 256 MiB"),
            "{backend:?}: {body}"
        );
        assert!(!body.contains("unpacks"), "{backend:?}: no English");
    }
}

/// Writes `count` audit rows in one transaction.
async fn add_audit_rows(db: &Db, count: usize, reason: &str) -> Result<(), StoreError> {
    let entries: Vec<AuditEntry> = (0..count)
        .map(|i| AuditEntry::new("update", "bulk_test", i as i64).reason(Some(reason)))
        .collect();
    let actor = Actor::system("test");
    chiso_store::in_transaction!(db, tx => {
        audit::record_all(&mut *tx, &actor, &entries).await
    })
}

#[tokio::test]
async fn the_audit_export_streams_the_whole_log_with_formulas_neutralised() {
    let formula = hostile::FORMULAS[0];
    for mut app in common::apps().await {
        let backend = app.backend;
        add_audit_rows(&app.db, 10_050, formula).await.unwrap();
        app.login("admin").await;
        let response = app.get("/nhat-ky.csv?entity_type=bulk_test").await;
        assert_eq!(response.status().as_u16(), 200, "{backend:?}");
        let body = response.bytes().await.unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let reason = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "Lý do")
            .unwrap();
        let mut ids = Vec::new();
        for record in reader.records() {
            let record = record.unwrap();
            assert_eq!(&record[reason], format!("'{formula}"), "{backend:?}");
            ids.push(record[0].parse::<i64>().unwrap());
        }
        assert_eq!(
            ids.len(),
            10_050,
            "{backend:?}: every row, not the newest 10,000"
        );
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{backend:?}: oldest first"
        );

        // Unfiltered, the export holds the demo's rows too: more than a page of the store.
        let response = app.get("/nhat-ky.csv").await;
        let body = response.text().await.unwrap();
        let rows = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .count();
        assert!(rows > 10_050, "{backend:?}: {rows} rows");
    }
}
