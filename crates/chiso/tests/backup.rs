//! `chiso backup` and `chiso restore` (README, "Backup and restore"): a demo installation with
//! an evidence file is backed up while open, restored into a fresh directory, and every table
//! (every row, every column) and every file compared; a damaged archive restores nothing, and
//! an existing database is never overwritten.

use std::path::{Path, PathBuf};
use std::process::Command;

use chiso_store::{Actor, Db};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chiso-backup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chiso(dir: &Path, data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .current_dir(dir)
        .env("CHISO_DATA_DIR", data)
        .output()
        .expect("chiso runs")
}

/// Every table's rows as text (`quote` of every column, in rowid order).
async fn dump(url: &str) -> Vec<(String, Vec<String>)> {
    let db = Db::connect(url).await.unwrap();
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pools.read)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&pools.read)
                .await
                .unwrap();
        let expression = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let order = if table.starts_with('_') || columns.is_empty() {
            "1"
        } else {
            "rowid"
        };
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {expression} FROM \"{table}\" ORDER BY {order}"
        ))
        .fetch_all(&pools.read)
        .await
        .unwrap_or_default();
        out.push((table, rows));
    }
    db.close().await;
    out
}

fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                out.push((
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_backup_restores_every_table_and_file() {
    let dir = scratch("round-trip");
    let source_data = dir.join("source-data");
    let source_url = format!("sqlite://{}", dir.join("source.db").display());
    // A demo installation with an evidence file.
    let app = chiso_web::build(chiso_web::config::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: source_url.clone(),
        demo_data: true,
        demo_sheets: false,
        data_dir: source_data.clone(),
        ..chiso_web::config::Config::default()
    })
    .await
    .unwrap();
    let blobs = chiso_store::evidence::LocalBlobStore::new(source_data.join("evidence"));
    chiso_store::evidence::upload(
        &app.db,
        &blobs,
        &Actor::system("test"),
        "bien-ban.pdf",
        b"%PDF-1.4\n%%EOF\n",
        1 << 20,
    )
    .await
    .unwrap();
    let before = dump(&source_url).await;
    assert!(
        before.iter().filter(|(_, rows)| !rows.is_empty()).count() > 20,
        "the demo fills many tables"
    );

    let archive = dir.join("chiso-backup.zip");
    let out = chiso(
        &dir,
        &source_data,
        &[
            "backup",
            "--output",
            archive.to_str().unwrap(),
            "--database-url",
            &source_url,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 evidence file"));

    let target_data = dir.join("target-data");
    let target_url = format!("sqlite://{}", dir.join("restored/chiso.db").display());
    let out = chiso(
        &dir,
        &target_data,
        &[
            "restore",
            "--input",
            archive.to_str().unwrap(),
            "--database-url",
            &target_url,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        dump(&target_url).await,
        before,
        "every table, row and column"
    );
    assert_eq!(
        files(&target_data.join("evidence")),
        files(&source_data.join("evidence"))
    );
    assert_eq!(files(&target_data.join("evidence")).len(), 1);

    // Never over an existing database.
    let out = chiso(
        &dir,
        &dir.join("other-data"),
        &[
            "restore",
            "--input",
            archive.to_str().unwrap(),
            "--database-url",
            &target_url,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A damaged archive: nothing is written.
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0xff;
    let damaged = dir.join("damaged.zip");
    std::fs::write(&damaged, bytes).unwrap();
    let fresh = dir.join("fresh/chiso.db");
    let out = chiso(
        &dir,
        &dir.join("fresh-data"),
        &[
            "restore",
            "--input",
            damaged.to_str().unwrap(),
            "--database-url",
            &format!("sqlite://{}", fresh.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!fresh.exists(), "no database from a damaged archive");
    assert!(files(&dir.join("fresh-data")).is_empty(), "no file either");

    // PostgreSQL is pg_dump's.
    let out = chiso(
        &dir,
        &source_data,
        &[
            "backup",
            "--output",
            dir.join("pg.zip").to_str().unwrap(),
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/postgres",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    let _ = std::fs::remove_dir_all(&dir);
}
