//! `chiso backup` and `chiso restore` (README, "Backup and restore"): an SQLite installation —
//! its database, copied while it serves (`VACUUM INTO`), and its evidence files — in one zip
//! archive with a manifest (`manifest.json`: every table's row count, every file's size and
//! SHA-256); restored into an empty place, every checksum checked before anything is written
//! and every table counted after. PostgreSQL is backed up with `pg_dump` (documented).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chiso_store::Db;
use chiso_store::evidence::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::server::{load_config, runtime};

/// The archive's format version.
const FORMAT: u32 = 1;
const DATABASE: &str = "chiso.db";
const EVIDENCE: &str = "evidence";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    pub chiso_version: String,
    pub database: Entry,
    /// Every table with its row count.
    pub tables: Vec<(String, i64)>,
    pub files: Vec<Entry>,
}

fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

/// The database file an `sqlite://` URL names.
fn sqlite_path(url: &str) -> Result<PathBuf, CliError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "backup and restore take an SQLite database (sqlite://path); for PostgreSQL use \
                 pg_dump and pg_restore (README, \"Backup and restore\"), not {}",
                chiso_web::redact(url)
            ))
        })?;
    Ok(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

/// Every file under `root`, as paths relative to it with `/`, sorted.
fn files_under(root: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).map_err(failed)? {
            let path = entry.map_err(failed)?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                out.push(path.strip_prefix(root).map_err(failed)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn archive_name(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{EVIDENCE}/{}", parts.join("/"))
}

/// Writes the backup archive of the configured SQLite database and evidence directory.
pub fn backup(args: &crate::cli::ServerArgs, output: &Path) -> Result<Manifest, CliError> {
    let config = load_config(args)?;
    sqlite_path(&config.database_url)?;
    if output.exists() {
        return Err(CliError::Usage(format!(
            "{} exists: choose a new file",
            output.display()
        )));
    }
    let work = output.with_extension("partial");
    let snapshot = work.with_extension("db.partial");
    let _ = std::fs::remove_file(&snapshot);
    let tables = runtime()?.block_on(async {
        let db = Db::connect(&config.database_url).await.map_err(failed)?;
        db.snapshot_sqlite(&snapshot).await.map_err(failed)?;
        db.close().await;
        let copy = Db::connect(&format!("sqlite://{}", snapshot.display()))
            .await
            .map_err(failed)?;
        let tables = copy.sqlite_table_counts().await.map_err(failed)?;
        copy.close().await;
        Ok::<_, CliError>(tables)
    })?;
    let evidence = config.data_dir.join(EVIDENCE);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&work).map_err(failed)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let bytes = std::fs::read(&snapshot).map_err(failed)?;
    let database = Entry {
        path: DATABASE.into(),
        size: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
    };
    zip.start_file(DATABASE, options).map_err(failed)?;
    zip.write_all(&bytes).map_err(failed)?;
    drop(bytes);
    let _ = std::fs::remove_file(&snapshot);
    let mut files = Vec::new();
    for relative in files_under(&evidence)? {
        let bytes = std::fs::read(evidence.join(&relative)).map_err(failed)?;
        let name = archive_name(&relative);
        zip.start_file(name.as_str(), options).map_err(failed)?;
        zip.write_all(&bytes).map_err(failed)?;
        files.push(Entry {
            path: name,
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now().to_rfc3339(),
        chiso_version: env!("CARGO_PKG_VERSION").into(),
        database,
        tables,
        files,
    };
    zip.start_file("manifest.json", options).map_err(failed)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(failed)?)
        .map_err(failed)?;
    zip.finish().map_err(failed)?.sync_all().map_err(failed)?;
    std::fs::rename(&work, output).map_err(failed)?;
    Ok(manifest)
}

/// One entry of the archive, checked against the manifest.
fn checked(
    archive: &mut zip::ZipArchive<std::fs::File>,
    entry: &Entry,
) -> Result<Vec<u8>, CliError> {
    let mut file = archive
        .by_name(&entry.path)
        .map_err(|_| CliError::Failed(format!("the archive lacks {}", entry.path)))?;
    if file.size() != entry.size {
        return Err(CliError::Failed(format!(
            "{}: size differs from the manifest",
            entry.path
        )));
    }
    let mut bytes = Vec::with_capacity(entry.size as usize);
    file.read_to_end(&mut bytes).map_err(failed)?;
    if sha256_hex(&bytes) != entry.sha256 {
        return Err(CliError::Failed(format!(
            "{}: checksum differs from the manifest",
            entry.path
        )));
    }
    Ok(bytes)
}

/// Restores an archive into the configured (new) SQLite database and (empty) evidence
/// directory: every entry is checked before anything is written, every table counted after.
pub fn restore(args: &crate::cli::ServerArgs, input: &Path) -> Result<Manifest, CliError> {
    let config = load_config(args)?;
    let target = sqlite_path(&config.database_url)?;
    if target.exists() {
        return Err(CliError::Usage(format!(
            "{} exists: restore into a new database file",
            target.display()
        )));
    }
    let evidence = config.data_dir.join(EVIDENCE);
    if !files_under(&evidence)?.is_empty() {
        return Err(CliError::Usage(format!(
            "{} holds files: restore into an empty data directory",
            evidence.display()
        )));
    }
    let mut archive = zip::ZipArchive::new(std::fs::File::open(input).map_err(failed)?)
        .map_err(|e| CliError::Failed(format!("{}: not a chiso backup ({e})", input.display())))?;
    let manifest: Manifest = {
        let mut file = archive
            .by_name("manifest.json")
            .map_err(|_| CliError::Failed(format!("{}: no manifest.json", input.display())))?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(failed)?;
        serde_json::from_str(&text).map_err(failed)?
    };
    if manifest.format != FORMAT {
        return Err(CliError::Failed(format!(
            "backup format {} is not {FORMAT}",
            manifest.format
        )));
    }
    // Every entry read and checked first: a damaged archive writes nothing.
    let database = checked(&mut archive, &manifest.database)?;
    let mut files = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        let relative = entry
            .path
            .strip_prefix(&format!("{EVIDENCE}/"))
            .filter(|p| {
                !p.split('/')
                    .any(|part| part.is_empty() || part == ".." || part == ".")
            })
            .ok_or_else(|| CliError::Failed(format!("{}: not an evidence path", entry.path)))?;
        files.push((relative.to_string(), checked(&mut archive, entry)?));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let partial = target.with_extension("restoring");
    std::fs::write(&partial, &database).map_err(failed)?;
    for (relative, bytes) in &files {
        let path = evidence.join(relative);
        std::fs::create_dir_all(path.parent().unwrap_or(&evidence)).map_err(failed)?;
        std::fs::write(&path, bytes).map_err(failed)?;
    }
    std::fs::rename(&partial, &target).map_err(failed)?;
    let counts = runtime()?.block_on(async {
        let db = Db::connect(&config.database_url).await.map_err(failed)?;
        let counts = db.sqlite_table_counts().await.map_err(failed)?;
        db.close().await;
        Ok::<_, CliError>(counts)
    })?;
    if counts != manifest.tables {
        return Err(CliError::Failed(
            "the restored tables differ from the manifest's counts".into(),
        ));
    }
    Ok(manifest)
}
