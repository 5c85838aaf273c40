use super::*;

// ── Messages ────────────────────────────────────────────────────────────────────────────────

/// `2026-12-20` → `20/12/2026` inside a library message (deadlines are printed as ISO dates).
pub(super) fn day_first_dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = bytes.get(i..i + 10);
        let is_date = candidate.is_some_and(|c| {
            c.iter().enumerate().all(|(k, b)| match k {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
        }) && !bytes.get(i + 10).is_some_and(u8::is_ascii_digit)
            && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if is_date {
            out.push_str(&format!(
                "{}/{}/{}",
                &text[i + 8..i + 10],
                &text[i + 5..i + 7],
                &text[i..i + 4]
            ));
            i += 10;
        } else {
            let c = text[i..].chars().next().expect("within the text");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A store message in the user's language, with day-first dates.
pub(super) fn message(lang: Lang, english: &str) -> String {
    i18n::message(lang, &day_first_dates(english))
}

pub(super) fn t(lang: Lang, key: &str) -> String {
    i18n::text(lang, key).to_string()
}

pub(super) fn size_text(lang: Lang, bytes: usize) -> String {
    if bytes < 1024 * 1024 {
        format!(
            "{} KB",
            i18n::number(lang, (bytes as f64 / 1024.0).ceil(), 0)
        )
    } else {
        format!(
            "{} MB",
            i18n::number(lang, bytes as f64 / (1024.0 * 1024.0), 1)
        )
    }
}

/// Why an upload was refused, naming the file.
pub(super) fn upload_message(lang: Lang, name: &str, error: &UploadError) -> String {
    let kind = |kind: evidence::EvidenceKind| t(lang, &format!("assessment.kind_{kind:?}"));
    let text = match error {
        UploadError::Empty { .. } => t(lang, "assessment.upload_empty"),
        UploadError::TooLarge { size, limit, .. } => t(lang, "assessment.upload_too_large")
            .replace("{size}", &size_text(lang, *size))
            .replace("{limit}", &size_text(lang, *limit)),
        UploadError::Executable { .. } => t(lang, "assessment.upload_executable"),
        UploadError::UnsupportedExtension { extension } => {
            t(lang, "assessment.upload_extension").replace("{ext}", extension)
        }
        UploadError::UnknownContent { .. } => t(lang, "assessment.upload_unknown"),
        UploadError::Mismatch {
            extension, actual, ..
        } => t(lang, "assessment.upload_mismatch")
            .replace("{ext}", extension)
            .replace("{kind}", &kind(*actual)),
    };
    t(lang, "assessment.upload_file")
        .replace("{name}", name)
        .replace("{problem}", &text)
}
