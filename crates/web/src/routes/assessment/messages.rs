use super::*;

// ── Messages ────────────────────────────────────────────────────────────────────────────────

pub(super) use crate::describe::assessment::file_size as size_text;

pub(super) fn t(lang: Lang, key: &str) -> String {
    i18n::text(lang, key).to_string()
}

/// Why an upload was refused, naming the file.
pub(super) fn upload_message(lang: Lang, name: &str, error: &UploadError) -> String {
    crate::describe::assessment::upload_refusal(lang, Some(name), error)
}
