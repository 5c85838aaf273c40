//! File downloads: the response with its type and name, and the blank import templates
//! (`chiso_interchange::template`) with their guide in the user's language.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chiso_interchange::template::{TemplateColumn, TemplateGuide, template_workbook};

use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to save (`Content-Disposition: attachment`) under `file_name`.
pub fn download(content_type: &'static str, file_name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A column of a template, its meaning read from the locale key.
pub fn column(lang: Lang, name: &str, required: bool, meaning_key: &str) -> TemplateColumn {
    column_text(name, required, i18n::text(lang, meaning_key).to_string())
}

/// A column of a template with its meaning already in words.
pub fn column_text(name: &str, required: bool, meaning: String) -> TemplateColumn {
    TemplateColumn {
        name: name.to_string(),
        required,
        meaning,
    }
}

/// The .xlsx template as a download: the columns, example rows, and the guide sheet.
pub fn template(
    lang: Lang,
    file_name: &str,
    columns: &[TemplateColumn],
    examples: &[Vec<String>],
) -> AppResult<Response> {
    let t = |key: &str| i18n::text(lang, key).to_string();
    let guide = TemplateGuide {
        data_sheet: t("common.template_data_sheet"),
        guide_sheet: t("common.template_guide_sheet"),
        headers: [
            t("common.template_column"),
            t("common.template_required"),
            t("common.template_meaning"),
        ],
        yes: t("common.yes"),
        no: t("common.no"),
        intro: t("common.template_intro"),
    };
    let bytes = template_workbook(columns, examples, &guide)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template {file_name}: {e}")))?;
    Ok(download(XLSX, file_name.to_string(), bytes))
}
