//! Multipart uploads, read with bounds: one helper for every upload route (evidence files,
//! the units, framework and survey-response imports).
//!
//! A route's body may be at most its file limit (`max_upload_bytes`) plus what its declared
//! text fields can hold plus a little framing; past that the body stops being read. The file is
//! kept up to the limit and counted beyond it (so a refusal can name the file and its size),
//! each text field is read up to its kind's limit and checked like any form field, and a field
//! the form does not declare is refused before it is read: a junk field cannot make the server
//! read gigabytes.

use std::convert::Infallible;
use std::marker::PhantomData;

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chiso_domain::text::TextError;

use super::fields::{InputRejection, Scope, kind_of};
use crate::auth::CSRF_FIELD;
use crate::i18n::{self, Lang};
use crate::state::AppState;

/// A multipart form: its one file field is `file`; these are its text fields (the CSRF token is
/// always accepted).
pub trait UploadForm: 'static {
    const FIELDS: &'static [&'static str];
}

/// An evidence file for a leaf.
pub struct EvidenceForm;
impl UploadForm for EvidenceForm {
    const FIELDS: &'static [&'static str] = &[];
}

/// A units file to import.
pub struct UnitsImportForm;
impl UploadForm for UnitsImportForm {
    const FIELDS: &'static [&'static str] = &[];
}

/// A framework file with the new framework's details.
pub struct FrameworkImportForm;
impl UploadForm for FrameworkImportForm {
    const FIELDS: &'static [&'static str] = &[
        "code",
        "title",
        "title_en",
        "year",
        "methodology",
        "unit_kind",
        "previous_id",
    ];
}

/// A corrected framework file replacing a version's tree.
pub struct FrameworkReplaceForm;
impl UploadForm for FrameworkReplaceForm {
    const FIELDS: &'static [&'static str] = &[];
}

/// A survey responses file to import into a wave.
pub struct ResponsesImportForm;
impl UploadForm for ResponsesImportForm {
    const FIELDS: &'static [&'static str] = &["skip_bad_rows"];
}

/// A progress report on a plan task, with one evidence file (optional).
pub struct PlanReportForm;
impl UploadForm for PlanReportForm {
    const FIELDS: &'static [&'static str] = &["period", "percent", "narrative"];
}

/// A plan's appendix table (.xlsx) to create a plan from.
pub struct PlanAppendixForm;
impl UploadForm for PlanAppendixForm {
    const FIELDS: &'static [&'static str] = &[
        "title",
        "year",
        "doc_number",
        "doc_date",
        "issuer",
        "parent",
    ];
}

/// Room for the multipart framing: boundaries and part headers.
const FRAMING: usize = 16 * 1024;

/// The largest body an upload route reads: the file, what the form's text fields may hold
/// (4 bytes per character at most), and the framing.
pub fn body_limit<F: UploadForm>(file_limit: usize) -> usize {
    let fields: usize = F::FIELDS
        .iter()
        .chain([&CSRF_FIELD])
        .map(|name| kind_of(name).max_chars() * 4)
        .sum();
    file_limit.saturating_add(fields).saturating_add(FRAMING)
}

/// A multipart body, not read yet: handlers check who may upload before a byte is read. A body
/// that is not multipart reads as an empty form (the page then says no file was chosen).
pub struct Upload<F> {
    multipart: Option<Multipart>,
    scope: Scope,
    file_limit: usize,
    /// The request's `Content-Length`, to tell how large a refused body was.
    declared: Option<usize>,
    form: PhantomData<fn() -> F>,
}

impl<F: UploadForm> FromRequest<AppState> for Upload<F> {
    type Rejection = Infallible;

    async fn from_request(mut req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let scope = Scope::of(req.extensions());
        let file_limit = state.config.max_upload_bytes;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        DefaultBodyLimit::max(body_limit::<F>(file_limit)).apply(&mut req);
        let multipart = Multipart::from_request(req, state).await.ok();
        Ok(Upload {
            multipart,
            scope,
            file_limit,
            declared,
            form: PhantomData,
        })
    }
}

/// The uploaded file: its name as sent, its bytes up to the limit, and its whole size.
pub struct ReceivedFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub size: usize,
}

/// A read form: its text fields (checked) and its file, if one was chosen.
#[derive(Default)]
pub struct Received {
    pub fields: Vec<(String, String)>,
    pub file: Option<ReceivedFile>,
}

impl Received {
    /// A text field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(key, _)| key == name)
    }
}

/// Why an upload was refused.
#[derive(Debug)]
pub enum UploadRefusal {
    /// The body went past the route's limit; `file_name` when the file was being read, `size`
    /// what the request declared or what was read.
    TooLarge {
        lang: Lang,
        file_name: Option<String>,
        size: usize,
    },
    /// An undeclared field, a text field refused by its kind, a malformed body.
    Invalid(InputRejection),
}

impl IntoResponse for UploadRefusal {
    fn into_response(self) -> Response {
        match self {
            UploadRefusal::TooLarge { lang, .. } => crate::error::error_page(
                lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                i18n::text(lang, "common.error_too_large").to_string(),
            ),
            UploadRefusal::Invalid(refusal) => refusal.into_response(),
        }
    }
}

/// For handlers that answer a refused upload with the error page.
impl From<UploadRefusal> for crate::error::AppError {
    fn from(refusal: UploadRefusal) -> Self {
        match refusal {
            UploadRefusal::TooLarge { .. } => crate::error::AppError::TooLarge,
            UploadRefusal::Invalid(refusal) => crate::error::AppError::Input(refusal),
        }
    }
}

/// Reads a field's chunks, keeping at most `keep` bytes and counting the rest; with
/// `stop_past`, reading stops as soon as the field is over `keep`.
async fn read_bounded(
    field: &mut Field<'_>,
    keep: usize,
    stop_past: bool,
) -> Result<(Vec<u8>, usize), (MultipartError, usize)> {
    let mut bytes = Vec::new();
    let mut size = 0usize;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                size = size.saturating_add(chunk.len());
                if size <= keep {
                    bytes.extend_from_slice(&chunk);
                } else if stop_past {
                    break;
                }
            }
            Ok(None) => return Ok((bytes, size)),
            Err(error) => return Err((error, size)),
        }
    }
    Ok((bytes, size))
}

impl<F: UploadForm> Upload<F> {
    /// The largest file accepted (`max_upload_bytes`).
    pub fn file_limit(&self) -> usize {
        self.file_limit
    }

    fn failed(
        &self,
        error: MultipartError,
        file_name: Option<String>,
        seen: usize,
    ) -> UploadRefusal {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadRefusal::TooLarge {
                lang: self.scope.lang(),
                file_name,
                size: self.declared.unwrap_or(0).max(seen),
            }
        } else {
            UploadRefusal::Invalid(self.scope.malformed(StatusCode::BAD_REQUEST))
        }
    }

    /// Reads the whole form, refusing it at the first field that is not accepted.
    pub async fn read(mut self) -> Result<Received, UploadRefusal> {
        let mut received = Received::default();
        let Some(mut multipart) = self.multipart.take() else {
            return Ok(received);
        };
        let scope = self.scope.clone();
        let invalid = UploadRefusal::Invalid;
        loop {
            let mut field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(received),
                Err(error) => return Err(self.failed(error, None, 0)),
            };
            let name = field.name().unwrap_or_default().to_string();
            scope.check_name(&name).map_err(invalid)?;
            if name == "file" && received.file.is_none() {
                let file_name = field.file_name().unwrap_or_default().to_string();
                scope
                    .check_field("file_name", &file_name)
                    .map_err(invalid)?;
                let (bytes, size) = read_bounded(&mut field, self.file_limit, false)
                    .await
                    .map_err(|(e, seen)| self.failed(e, Some(file_name.clone()), seen))?;
                if !file_name.is_empty() || size > 0 {
                    received.file = Some(ReceivedFile {
                        name: file_name,
                        bytes,
                        size,
                    });
                }
            } else if name == CSRF_FIELD || F::FIELDS.contains(&name.as_str()) {
                let value = self.read_text(&mut field, &name).await?;
                received.fields.push((name, value));
            } else {
                let message = i18n::text(scope.lang(), "input.unknown_field")
                    .replace("{field}", &scope.label(&name));
                return Err(invalid(scope.rejection(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &name,
                    message,
                )));
            }
        }
    }

    /// A text field, read no further than its kind allows and checked like a form field.
    async fn read_text(&self, field: &mut Field<'_>, name: &str) -> Result<String, UploadRefusal> {
        let kind = kind_of(name);
        let keep = kind.max_chars() * 4;
        let (bytes, size) = read_bounded(field, keep, true)
            .await
            .map_err(|(e, seen)| self.failed(e, None, seen))?;
        let scope = &self.scope;
        if size > keep {
            let error = TextError::TooLong {
                max: kind.max_chars(),
            };
            let message = scope.describe(&scope.label(name), error, "input.too_long");
            return Err(UploadRefusal::Invalid(scope.rejection(
                StatusCode::UNPROCESSABLE_ENTITY,
                name,
                message,
            )));
        }
        let value = String::from_utf8(bytes)
            .map_err(|_| UploadRefusal::Invalid(scope.malformed(StatusCode::BAD_REQUEST)))?;
        scope
            .check_field(name, &value)
            .map_err(UploadRefusal::Invalid)?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_limit_is_the_file_and_the_declared_fields() {
        let limit = 20 * 1024 * 1024;
        // The file, the CSRF token (100 characters) and the framing: 16.4 KiB over the file.
        assert_eq!(body_limit::<EvidenceForm>(limit), limit + 400 + FRAMING);
        // The framework form's methodology may hold 20,000 characters.
        assert!(body_limit::<FrameworkImportForm>(limit) > limit + 80_000);
        assert!(body_limit::<FrameworkImportForm>(limit) < limit + 128 * 1024);
    }
}
