//! Evidence files (tài liệu kiểm chứng): checked by content, stored once per content hash
//! behind a [`BlobStore`] (a local directory now, S3 later), and linked to leaves of sheets.
//!
//! An upload is accepted only when its bytes are one of the accepted document types and agree
//! with its extension: an executable renamed to `.pdf` or a spreadsheet renamed to `.docx` is
//! refused. Files are addressed by their SHA-256, never by a name a user typed, so no upload
//! can reach a path of its choosing; the displayed name is sanitized. Linking and unlinking are
//! changes to a leaf and are audited like its points.

use std::fmt;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use chiso_domain::access::Role;
use chiso_domain::assessment::{self as rules, SheetAction, SheetStatus, Stage};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::assessments::{self, refresh_summary, stage_field, touch_sheet};
use crate::audit::{Actor, AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

/// A boxed future, so that a blob store can sit behind `Arc<dyn BlobStore>`.
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Content-addressed storage of file bytes, by lowercase SHA-256 hex.
pub trait BlobStore: Send + Sync {
    /// Stores bytes (once: storing the same content again changes nothing) and returns their
    /// SHA-256 hex.
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, String>;
    /// The bytes of a hash; `NotFound` when absent.
    fn get<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, Vec<u8>>;
    fn exists<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, bool>;
}

/// The lowercase SHA-256 hex of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Blobs in a local directory as `<dir>/ab/cd/<hash>`: two levels of fan-out keep directories
/// small. Writes go to a temporary file in `<dir>/tmp` and are renamed into place, so a crash
/// never leaves a half-written blob under its hash.
#[derive(Clone, Debug)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> LocalBlobStore {
        LocalBlobStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a hash; anything but 64 lowercase hex digits is refused, so no caller can
    /// build a path outside the directory.
    fn path(&self, sha256: &str) -> io::Result<PathBuf> {
        if !is_sha256_hex(sha256) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a SHA-256 hex digest",
            ));
        }
        Ok(self
            .root
            .join(&sha256[0..2])
            .join(&sha256[2..4])
            .join(sha256))
    }
}

impl BlobStore for LocalBlobStore {
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, String> {
        Box::pin(async move {
            let hash = sha256_hex(bytes);
            let path = self.path(&hash)?;
            if tokio::fs::try_exists(&path).await? {
                return Ok(hash);
            }
            let parent = path.parent().expect("blob paths have a parent");
            tokio::fs::create_dir_all(parent).await?;
            let tmp_dir = self.root.join("tmp");
            tokio::fs::create_dir_all(&tmp_dir).await?;
            let suffix: u64 = rand::random();
            let tmp = tmp_dir.join(format!("{hash}.{suffix:016x}.tmp"));
            // Written and synced on a blocking thread with the standard library: tokio's file
            // reports a failed background write (a full disk) only to a later flush, and a
            // `sync_all` after `write_all` alone returned success for a truncated file.
            let (owned, tmp_path, final_path) = (bytes.to_vec(), tmp.clone(), path.clone());
            let written = tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut file = std::fs::File::create(&tmp_path)?;
                file.write_all(&owned)?;
                file.sync_all()?;
                drop(file);
                std::fs::rename(&tmp_path, &final_path)
            })
            .await
            .unwrap_or_else(|joined| Err(io::Error::other(joined)));
            if written.is_err() {
                let _ = tokio::fs::remove_file(&tmp).await;
            }
            written.map(|_| hash)
        })
    }

    fn get<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, Vec<u8>> {
        Box::pin(async move { tokio::fs::read(self.path(sha256)?).await })
    }

    fn exists<'a>(&'a self, sha256: &'a str) -> BlobFuture<'a, bool> {
        Box::pin(async move { tokio::fs::try_exists(self.path(sha256)?).await })
    }
}

/// An accepted document type, recognised by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    Pdf,
    /// An OLE2 compound file: a legacy Word (.doc) or Excel (.xls) document.
    Ole2,
    Docx,
    Xlsx,
    Odt,
    Ods,
    Jpeg,
    Png,
}

impl EvidenceKind {
    /// What the content is, in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "a PDF document",
            EvidenceKind::Ole2 => "a legacy Word or Excel document (DOC/XLS)",
            EvidenceKind::Docx => "a Word document (DOCX)",
            EvidenceKind::Xlsx => "an Excel workbook (XLSX)",
            EvidenceKind::Odt => "an OpenDocument text (ODT)",
            EvidenceKind::Ods => "an OpenDocument spreadsheet (ODS)",
            EvidenceKind::Jpeg => "a JPEG image",
            EvidenceKind::Png => "a PNG image",
        }
    }

    /// The kind a file extension promises, for the accepted extensions.
    pub fn for_extension(extension: &str) -> Option<EvidenceKind> {
        Some(match extension {
            "pdf" => EvidenceKind::Pdf,
            "doc" | "xls" => EvidenceKind::Ole2,
            "docx" => EvidenceKind::Docx,
            "xlsx" => EvidenceKind::Xlsx,
            "odt" => EvidenceKind::Odt,
            "ods" => EvidenceKind::Ods,
            "jpg" | "jpeg" => EvidenceKind::Jpeg,
            "png" => EvidenceKind::Png,
            _ => return None,
        })
    }

    /// The MIME type to serve the file with.
    pub fn content_type(self, extension: &str) -> &'static str {
        match self {
            EvidenceKind::Pdf => "application/pdf",
            EvidenceKind::Ole2 if extension == "xls" => "application/vnd.ms-excel",
            EvidenceKind::Ole2 => "application/msword",
            EvidenceKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            EvidenceKind::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            EvidenceKind::Odt => "application/vnd.oasis.opendocument.text",
            EvidenceKind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            EvidenceKind::Jpeg => "image/jpeg",
            EvidenceKind::Png => "image/png",
        }
    }
}

/// The extensions accepted, for messages and the web's `accept` attribute.
pub const ACCEPTED_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "jpg", "jpeg", "png",
];

/// Why an upload is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("the file {name} is empty")]
    Empty { name: String },
    #[error("the file {name} is {}, over the limit of {}", megabytes(*.size), megabytes(*.limit))]
    TooLarge {
        name: String,
        size: usize,
        limit: usize,
    },
    #[error("the file {name} is an executable program, not a document")]
    Executable { name: String },
    #[error(
        "files ending in .{extension} are not accepted: use PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, JPG or PNG"
    )]
    UnsupportedExtension { extension: String },
    #[error("the file {name} is not a PDF, Word, Excel, OpenDocument, JPEG or PNG document")]
    UnknownContent { name: String },
    #[error("the file {name} is named .{extension} but its content is {}", .actual.describe())]
    Mismatch {
        name: String,
        extension: String,
        actual: EvidenceKind,
    },
    /// The file store could not keep the file (a full disk, a folder the server may not write):
    /// nothing was stored or linked.
    #[error("the file {name} could not be stored: {}", .problem.describe())]
    NotStored {
        name: String,
        problem: StorageProblem,
    },
}

/// Why the file store could not keep a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageProblem {
    /// No space left (or a quota reached).
    Full,
    /// The evidence folder cannot be written (permissions, a read-only file system, a file
    /// where a folder should be).
    Unwritable,
    /// Another input/output error.
    Failed,
}

impl StorageProblem {
    /// From the error's kind, never its text.
    pub fn of(error: &io::Error) -> StorageProblem {
        match error.kind() {
            io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::FileTooLarge => StorageProblem::Full,
            io::ErrorKind::PermissionDenied
            | io::ErrorKind::ReadOnlyFilesystem
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::AlreadyExists => StorageProblem::Unwritable,
            _ => StorageProblem::Failed,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            StorageProblem::Full => "the disk is full",
            StorageProblem::Unwritable => "the evidence folder cannot be written",
            StorageProblem::Failed => "the file store failed",
        }
    }
}

fn megabytes(bytes: usize) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.0} KB", (bytes as f64 / 1024.0).ceil())
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// An upload that passed the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedUpload {
    pub kind: EvidenceKind,
    pub content_type: &'static str,
    /// The sanitized name to show.
    pub file_name: String,
}

/// Characters that hide or reorder text (right-to-left overrides turn `gpj.exe` into
/// `exe.jpg` on screen), stripped from displayed names.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The name to show for an uploaded file: the last path component only (no directories, no
/// `..`), without control or invisible characters and the characters Windows refuses in names,
/// at most 150 characters with the extension kept. Vietnamese letters are kept as they are.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut cleaned: String = base
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !is_invisible(c)
                && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
        })
        .collect();
    while cleaned.contains("..") {
        cleaned = cleaned.replace("..", ".");
    }
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    let cleaned = if cleaned.is_empty() || cleaned == "." {
        "tai-lieu".to_string()
    } else {
        cleaned
    };
    const MAX: usize = 150;
    if cleaned.chars().count() <= MAX {
        return cleaned;
    }
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem.to_string(), format!(".{ext}")),
        _ => (cleaned.clone(), String::new()),
    };
    let keep = MAX - extension.chars().count();
    format!(
        "{}{extension}",
        stem.chars().take(keep).collect::<String>().trim_end()
    )
}

fn extension_of(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_lowercase())
        .unwrap_or_default()
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// The entry names of a ZIP archive, from its central directory; `None` when it is not a
/// readable archive.
fn zip_entry_names(bytes: &[u8]) -> Option<Vec<String>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let earliest = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (earliest..=bytes.len().checked_sub(22)?)
        .rev()
        .find(|&at| &bytes[at..at + 4] == EOCD)?;
    let entries = u16_at(bytes, eocd + 10)?;
    let mut at = u32_at(bytes, eocd + 16)?;
    let mut names = Vec::with_capacity(entries);
    for _ in 0..entries {
        if bytes.get(at..at + 4)? != b"PK\x01\x02" {
            return None;
        }
        let name_len = u16_at(bytes, at + 28)?;
        let extra_len = u16_at(bytes, at + 30)?;
        let comment_len = u16_at(bytes, at + 32)?;
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

/// The `mimetype` of an OpenDocument: by the ODF rules its first entry, stored uncompressed.
fn odf_mimetype(bytes: &[u8]) -> Option<&[u8]> {
    let name_len = u16_at(bytes, 26)?;
    let extra_len = u16_at(bytes, 28)?;
    if bytes.get(30..30 + name_len)? != b"mimetype" || u16_at(bytes, 8)? != 0 {
        return None;
    }
    let size = u32_at(bytes, 18)?;
    let start = 30 + name_len + extra_len;
    bytes.get(start..start + size)
}

/// What the bytes are, among the accepted kinds; `Err(true)` for an executable program,
/// `Err(false)` for anything else unknown.
fn sniff(bytes: &[u8]) -> Result<EvidenceKind, bool> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"MZ")
        || starts(b"\x7fELF")
        || starts(&[0xFE, 0xED, 0xFA, 0xCE])
        || starts(&[0xFE, 0xED, 0xFA, 0xCF])
        || starts(&[0xCE, 0xFA, 0xED, 0xFE])
        || starts(&[0xCF, 0xFA, 0xED, 0xFE])
        || starts(&[0xCA, 0xFE, 0xBA, 0xBE])
        || starts(b"#!")
    {
        return Err(true);
    }
    if starts(b"%PDF-") {
        return Ok(EvidenceKind::Pdf);
    }
    if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(EvidenceKind::Ole2);
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(EvidenceKind::Jpeg);
    }
    if starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Ok(EvidenceKind::Png);
    }
    if starts(b"PK\x03\x04") {
        match odf_mimetype(bytes) {
            Some(b"application/vnd.oasis.opendocument.text") => return Ok(EvidenceKind::Odt),
            Some(b"application/vnd.oasis.opendocument.spreadsheet") => {
                return Ok(EvidenceKind::Ods);
            }
            _ => {}
        }
        let names = zip_entry_names(bytes).ok_or(false)?;
        if names.iter().any(|n| n == "[Content_Types].xml") {
            if names.iter().any(|n| n.starts_with("word/")) {
                return Ok(EvidenceKind::Docx);
            }
            if names.iter().any(|n| n.starts_with("xl/")) {
                return Ok(EvidenceKind::Xlsx);
            }
        }
    }
    Err(false)
}

/// Checks an upload: not empty, within `max_bytes`, an accepted extension, content of the
/// kind the extension promises.
pub fn check_upload(
    name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<CheckedUpload, UploadError> {
    let file_name = sanitize_file_name(name);
    if bytes.is_empty() {
        return Err(UploadError::Empty { name: file_name });
    }
    if bytes.len() > max_bytes {
        return Err(UploadError::TooLarge {
            name: file_name,
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    let extension = extension_of(&file_name);
    let sniffed = sniff(bytes);
    if sniffed == Err(true) {
        return Err(UploadError::Executable { name: file_name });
    }
    let Some(promised) = EvidenceKind::for_extension(&extension) else {
        return Err(UploadError::UnsupportedExtension { extension });
    };
    let actual = sniffed.map_err(|_| UploadError::UnknownContent {
        name: file_name.clone(),
    })?;
    if actual != promised {
        return Err(UploadError::Mismatch {
            name: file_name,
            extension,
            actual,
        });
    }
    Ok(CheckedUpload {
        kind: actual,
        content_type: actual.content_type(&extension),
        file_name,
    })
}

/// A stored evidence file.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct EvidenceFile {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    /// The sanitized name of the first upload of this content. Only for that uploader's eyes:
    /// a link carries the name its own uploader gave.
    pub original_name: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A file linked to a leaf of a sheet.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LinkedFile {
    pub link_id: i64,
    pub sheet_id: i64,
    pub node_id: i64,
    /// 0 = self-assessment evidence, k = extra evidence answering round k.
    pub stage: i64,
    pub file_id: i64,
    pub file_name: String,
    pub linked_by_name: String,
    pub linked_at: DateTime<Utc>,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
}

/// A sheet a file is linked to: what the web needs to decide who may download the file, and
/// the name the sheet's unit gave it (the name to download it under: another unit that
/// uploaded the same bytes may have named it differently).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct SheetRef {
    pub sheet_id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub file_name: String,
}

const FILE_COLUMNS: &str =
    "id, sha256, size, content_type, original_name, uploaded_by, uploaded_by_name, uploaded_at";
const LINKED_COLUMNS: &str = "l.id AS link_id, l.sheet_id, l.node_id, l.stage, l.file_id, l.file_name, l.linked_by_name, \
     l.linked_at, f.sha256, f.size, f.content_type";

fn io_error(error: io::Error) -> StoreError {
    StoreError::Db(sqlx::Error::Io(error))
}

/// Checks and stores an upload: the bytes go to the blob store once per content, the file row
/// is created once per hash (an upload of known content returns the existing file). Refusals
/// are [`StoreError::Upload`].
pub async fn upload(
    db: &Db,
    blobs: &dyn BlobStore,
    actor: &Actor,
    name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<EvidenceFile, StoreError> {
    let checked = check_upload(name, bytes, max_bytes)?;
    // The bytes first: a file that cannot be kept is refused before any row refers to it.
    let hash = blobs.put(bytes).await.map_err(|error| {
        tracing::error!(%error, name, "the evidence store could not keep a file");
        UploadError::NotStored {
            name: name.to_string(),
            problem: StorageProblem::of(&error),
        }
    })?;
    let insert = format!(
        "INSERT INTO evidence_files (sha256, size, content_type, original_name, uploaded_by, uploaded_by_name, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING RETURNING {FILE_COLUMNS}"
    );
    let select = format!("SELECT {FILE_COLUMNS} FROM evidence_files WHERE sha256 = $1");
    in_transaction!(db, tx => {
        let created = sqlx::query_as::<_, EvidenceFile>(&insert)
            .bind(&hash)
            .bind(bytes.len() as i64)
            .bind(checked.content_type)
            .bind(&checked.file_name)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(Utc::now())
            .fetch_optional(&mut *tx)
            .await?;
        match created {
            Some(file) => {
                tx.record(actor, &AuditEntry::new("upload", "evidence_file", file.id).change(
                    "file",
                    None,
                    Some(format!("{} ({} bytes, {}, sha256 {hash})", file.original_name, file.size, file.content_type)),
                )).await?;
                Ok(file)
            }
            None => Ok(sqlx::query_as::<_, EvidenceFile>(&select).bind(&hash).fetch_one(&mut *tx).await?),
        }
    })
}

/// A stored file by id.
pub async fn get_file(db: &Db, id: i64) -> Result<EvidenceFile, StoreError> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM evidence_files WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, EvidenceFile>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// A file's row and bytes (the caller has checked the reader may see a sheet linking it).
pub async fn read_file(
    db: &Db,
    blobs: &dyn BlobStore,
    id: i64,
) -> Result<(EvidenceFile, Vec<u8>), StoreError> {
    let file = get_file(db, id).await?;
    let bytes = blobs.get(&file.sha256).await.map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound,
        _ => io_error(e),
    })?;
    Ok((file, bytes))
}

/// Every file linked to a sheet, by leaf and stage.
pub async fn files_for_sheet(db: &Db, sheet_id: i64) -> Result<Vec<LinkedFile>, StoreError> {
    let sql = format!(
        "SELECT {LINKED_COLUMNS} FROM evidence_links l JOIN evidence_files f ON f.id = l.file_id \
         WHERE l.sheet_id = $1 ORDER BY l.node_id, l.stage, l.id"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, LinkedFile>(&sql).bind(sheet_id).fetch_all(pool).await?),
    )
}

/// The sheets a file is linked to (a file uploaded but never linked has none).
pub async fn sheets_linking(db: &Db, file_id: i64) -> Result<Vec<SheetRef>, StoreError> {
    const SQL: &str = "SELECT s.id AS sheet_id, s.campaign_id, s.unit_id, MIN(l.file_name) AS file_name \
         FROM evidence_links l JOIN sheets s ON s.id = l.sheet_id WHERE l.file_id = $1 \
         GROUP BY s.id, s.campaign_id, s.unit_id ORDER BY s.id";
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, SheetRef>(SQL).bind(file_id).fetch_all(pool).await?),
    )
}

/// The stage a sheet takes evidence at now, after the role, state and deadline checks: the
/// self-assessment while a draft, the answer to the current round while an explanation is
/// requested (then only on flagged leaves).
async fn evidence_stage(
    db: &Db,
    scope: &assessments::SheetScope,
    role: Role,
    node_id: i64,
    today: NaiveDate,
) -> Result<(i64, SheetStatus), StoreError> {
    let invalid = StoreError::Rule;
    let leaf = scope.leaf(node_id)?;
    let campaign = &scope.campaign;
    let status = scope.sheet.status();
    let context = rules::SheetContext {
        campaign: campaign.state(),
        status,
        current_round: scope.sheet.current_round as u32,
        open_round: None,
    };
    if status == SheetStatus::ExplanationRequested {
        rules::check_action(role, SheetAction::EditExplanation, &context).map_err(invalid)?;
        let extension =
            assessments::extension_for(db, campaign.id, scope.sheet.unit_id, Stage::Explanation)
                .await?;
        rules::may_enter(
            Stage::Explanation,
            today,
            campaign.explanation_deadline,
            extension.map(|e| e.valid_until),
        )
        .map_err(invalid)?;
        let records = assessments::sheet_records(db, scope).await?;
        let flagged = records
            .get(leaf)
            .rounds
            .get(&(scope.sheet.current_round as u32))
            .is_some_and(|r| r.explanation_requested);
        rules::check_answer(scope.framework(), leaf, flagged).map_err(invalid)?;
        Ok((scope.sheet.current_round, status))
    } else {
        rules::check_action(role, SheetAction::EditSelfAssessment, &context).map_err(invalid)?;
        let extension =
            assessments::extension_for(db, campaign.id, scope.sheet.unit_id, Stage::SelfAssessment)
                .await?;
        rules::may_enter(
            Stage::SelfAssessment,
            today,
            campaign.self_assessment_deadline,
            extension.map(|e| e.valid_until),
        )
        .map_err(invalid)?;
        rules::check_self_assessable(scope.framework(), leaf).map_err(invalid)?;
        Ok((0, status))
    }
}

/// The name a sheet's unit gave a file on its latest link to any of the unit's sheets.
async fn unit_file_name(
    db: &Db,
    sheet_id: i64,
    file_id: i64,
) -> Result<Option<String>, StoreError> {
    const SQL: &str = "SELECT l.file_name FROM evidence_links l JOIN sheets s ON s.id = l.sheet_id \
         WHERE l.file_id = $1 AND s.unit_id = (SELECT unit_id FROM sheets WHERE id = $2) \
         ORDER BY l.linked_at DESC, l.id DESC LIMIT 1";
    Ok(
        with_db_read!(db, pool => sqlx::query_scalar::<_, String>(SQL)
        .bind(file_id)
        .bind(sheet_id)
        .fetch_optional(pool)
        .await?),
    )
}

/// Links a stored file to a leaf of a sheet under the name the sheet's unit already gave it
/// (see [`link_named`]); a file the unit never linked keeps the name of its first upload.
pub async fn link(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    node_id: i64,
    file_id: i64,
    today: NaiveDate,
) -> Result<i64, StoreError> {
    let name = match unit_file_name(db, sheet_id, file_id).await? {
        Some(name) => name,
        None => get_file(db, file_id).await?.original_name,
    };
    link_named(db, actor, role, sheet_id, node_id, file_id, &name, today).await
}

/// Links a stored file to a leaf of a sheet: as self-assessment evidence while the sheet is a
/// draft, as extra evidence of the answer while an explanation is requested. The link, the
/// sheet and the audit row show `file_name` (sanitized), the name the uploader gave: content
/// is stored once, but another unit's name for the same bytes is not this unit's to see.
/// Audited on the leaf; returns the link id.
#[allow(clippy::too_many_arguments)]
pub async fn link_named(
    db: &Db,
    actor: &Actor,
    role: Role,
    sheet_id: i64,
    node_id: i64,
    file_id: i64,
    file_name: &str,
    today: NaiveDate,
) -> Result<i64, StoreError> {
    let scope = assessments::scope(db, sheet_id).await?;
    let (stage, status) = evidence_stage(db, &scope, role, node_id, today).await?;
    // The file must exist; its first uploader's name is not used.
    get_file(db, file_id).await?;
    let file_name = sanitize_file_name(file_name);
    let leaf = scope.leaf(node_id)?;
    let code = scope.code(leaf).to_string();
    let round = (stage > 0).then_some(stage);
    in_transaction!(db, tx => {
        touch_sheet!(tx, sheet_id, status, round, rules::UnsavedChange::Evidence { code: code.clone() });
        let link_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO evidence_links (sheet_id, node_id, stage, file_id, file_name, linked_by, linked_by_name, linked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sheet_id, node_id, stage, file_id) DO NOTHING RETURNING id")
            .bind(sheet_id)
            .bind(node_id)
            .bind(stage)
            .bind(file_id)
            .bind(&file_name)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(Utc::now())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(link_id) = link_id else {
            return Err(rules::WorkflowError::EvidenceAttached { file_name: file_name.clone(), code: code.clone() }.into());
        };
        tx.record(actor, &scope.entry("link_evidence", node_id)
            .change(&stage_field(stage, "evidence"), None, Some(format!("{file_name} (#{file_id})")))).await?;
        refresh_summary!(tx, sheet_id, scope.framework(), &scope.node_index, scope.sheet.current_round as u32);
        Ok(link_id)
    })
}

/// A link as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
struct LinkRow {
    sheet_id: i64,
    node_id: i64,
    stage: i64,
    file_id: i64,
    file_name: String,
}

/// Removes a link, under the same conditions as adding it at its stage. The file stays
/// stored (other links and the audit log refer to it).
pub async fn unlink(
    db: &Db,
    actor: &Actor,
    role: Role,
    link_id: i64,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let row = with_db_read!(db, pool => sqlx::query_as::<_, LinkRow>(
        "SELECT sheet_id, node_id, stage, file_id, file_name FROM evidence_links WHERE id = $1")
        .bind(link_id)
        .fetch_one(pool)
        .await?);
    let scope = assessments::scope(db, row.sheet_id).await?;
    let (stage, status) = evidence_stage(db, &scope, role, row.node_id, today).await?;
    let leaf = scope.leaf(row.node_id)?;
    let code = scope.code(leaf).to_string();
    if stage != row.stage {
        return Err(rules::WorkflowError::EvidenceFromEarlierStage {
            file_name: row.file_name,
            code,
        }
        .into());
    }
    let round = (stage > 0).then_some(stage);
    in_transaction!(db, tx => {
        touch_sheet!(tx, row.sheet_id, status, round, rules::UnsavedChange::EvidenceRemoval { code: code.clone() });
        let deleted = sqlx::query("DELETE FROM evidence_links WHERE id = $1")
            .bind(link_id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() != 1 {
            return Err(rules::ChangedMeanwhile::EvidenceRemoved { file_name: row.file_name.clone(), code: code.clone() }.into());
        }
        tx.record(actor, &scope.entry("unlink_evidence", row.node_id)
            .change(&stage_field(stage, "evidence"), Some(format!("{} (#{})", row.file_name, row.file_id)), None)).await?;
        refresh_summary!(tx, row.sheet_id, scope.framework(), &scope.node_index, scope.sheet.current_round as u32);
        Ok(())
    })
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_directories_and_controls_but_keep_vietnamese() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_file_name("C:\\Users\\x\\Báo cáo CCHC quý 4.pdf"),
            "Báo cáo CCHC quý 4.pdf"
        );
        assert_eq!(sanitize_file_name(".."), "tai-lieu");
        assert_eq!(
            sanitize_file_name("a\u{0}b\nc\u{202E}fdp.exe"),
            "abcfdp.exe"
        );
        assert_eq!(sanitize_file_name("kế hoạch..pdf"), "kế hoạch.pdf");
        assert_eq!(sanitize_file_name(".hidden.pdf"), "hidden.pdf");
        let long = format!("{}.docx", "Đ".repeat(300));
        let short = sanitize_file_name(&long);
        assert_eq!(short.chars().count(), 150);
        assert!(short.ends_with(".docx"));
    }

    #[test]
    fn content_decides_the_kind() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(EvidenceKind::Pdf));
        assert_eq!(sniff(b"MZ\x90\x00"), Err(true));
        assert_eq!(sniff(b"\x7fELF\x02"), Err(true));
        assert_eq!(sniff(b"hello"), Err(false));
        assert_eq!(sniff(b"PK\x03\x04garbage"), Err(false));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(is_sha256_hex(&sha256_hex(b"x")));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
