//! The evidence store failing under an upload, on both backends: a full disk (a 64 KiB tmpfs
//! mounted on the evidence folder, when the tests run as root: always under CI) and an evidence
//! folder that cannot be written (a file where the folder should be). Each upload is refused
//! with the reason in Vietnamese, no file row or link refers to anything, no temporary file is
//! left behind, and once the folder is right again the same upload is stored.

use std::path::Path;
use std::process::Command;

use crate::common::{TestApp, apps};
use crate::input_hygiene::{file_part, pdf, sheet_and_leaf, upload_to};
use chiso_store::evidence;
use reqwest::multipart::Form;

async fn upload(app: &TestApp, sheet: i64, leaf: i64, bytes: Vec<u8>) -> (u16, String) {
    let form = Form::new().part("file", file_part("bao-cao.pdf", bytes, "application/pdf"));
    let response = upload_to(app, sheet, leaf, form).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

fn files_under(dir: &Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// A PDF of about `size` bytes.
fn big_pdf(size: usize) -> Vec<u8> {
    let mut bytes = pdf("lon");
    bytes.resize(size, b' ');
    bytes
}

#[tokio::test]
async fn an_unwritable_evidence_folder_refuses_the_upload_and_refers_to_nothing() {
    for mut app in apps().await {
        let backend = app.backend;
        let (sheet, leaf) = sheet_and_leaf(&app.db, "S03", "1.1").await;
        app.login("nhaplieu").await;
        let folder = app.data_dir.join("evidence");
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&app.data_dir).unwrap();
        std::fs::write(&folder, b"not a folder").unwrap();
        let (status, body) = upload(&app, sheet, leaf, pdf("unwritable")).await;
        assert_eq!(status, 503, "{backend:?}: {body}");
        assert!(
            body.contains("thư mục lưu tài liệu của máy chủ không ghi được"),
            "{body}"
        );
        assert!(
            evidence::files_for_sheet(&app.db, sheet)
                .await
                .unwrap()
                .is_empty()
        );
        std::fs::remove_file(&folder).unwrap();
        let (status, _) = upload(&app, sheet, leaf, pdf("unwritable")).await;
        assert!(
            status < 400,
            "{backend:?}: stored once the folder is right: {status}"
        );
        assert_eq!(
            evidence::files_for_sheet(&app.db, sheet)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn a_full_disk_refuses_the_upload_and_leaves_no_partial_file() {
    let root = std::env::var("USER").as_deref() == Ok("root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
    if !root {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        eprintln!("not root: the full-disk test (a tmpfs mount) is skipped");
        return;
    }
    for mut app in apps().await {
        let backend = app.backend;
        let (sheet, leaf) = sheet_and_leaf(&app.db, "S03", "1.1").await;
        app.login("nhaplieu").await;
        let folder = app.data_dir.join("evidence");
        std::fs::create_dir_all(&folder).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&folder)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert!(std::env::var_os("CI").is_none(), "CI can mount a tmpfs");
            eprintln!("mount refused: the full-disk test is skipped");
            return;
        }
        let (status, body) = upload(&app, sheet, leaf, big_pdf(200 * 1024)).await;
        let leftovers = files_under(&folder);
        let _ = Command::new("umount").arg(&folder).status();
        assert_eq!(status, 507, "{backend:?}: {body}");
        assert!(body.contains("máy chủ đã hết chỗ lưu trữ"), "{body}");
        assert_eq!(leftovers, 0, "{backend:?}: no partial file left");
        assert!(
            evidence::files_for_sheet(&app.db, sheet)
                .await
                .unwrap()
                .is_empty()
        );
        // With room again, the same file is stored.
        let (status, _) = upload(&app, sheet, leaf, big_pdf(200 * 1024)).await;
        assert!(status < 400, "{backend:?}: {status}");
        assert_eq!(
            evidence::files_for_sheet(&app.db, sheet)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}
