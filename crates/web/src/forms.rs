//! Helpers that the routes' forms share: fields read from pairs, a field's error worded with
//! its label, dates typed either way, the options of a `<select>`, and the 422 answer of a form
//! sent back with its errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use crate::i18n::{self, Lang};

/// Form fields as pairs, for forms whose fields a struct cannot name in advance (repeated or
/// numbered fields, checkboxes that are present or absent).
pub type Pairs = Vec<(String, String)>;

/// The first value of a field, trimmed; `""` when the form does not have it.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .unwrap_or("")
}

/// "Label: problem", so that every message names the field at fault (`label_key` is the
/// field's label in the locale files).
pub fn field_error(lang: Lang, label_key: &str, message: &str) -> String {
    format!("{}: {message}", i18n::text(lang, label_key))
}

/// [`field_error`] with the problem's text from the locale files.
pub fn field_error_key(lang: Lang, label_key: &str, problem_key: &str) -> String {
    field_error(lang, label_key, i18n::text(lang, problem_key))
}

/// A text of the locale files with its `{name}` placeholders filled in.
pub fn tr(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = i18n::text(lang, key).to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// A text that is neither blank nor a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotADate;

/// A date from a date input (`2026-12-30`) or typed the Vietnamese way (`30/12/2026`); blank is
/// no date, anything else [`NotADate`].
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, NotADate> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| NotADate)
}

/// One option of a `<select>`.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A form page sent back with its errors: 422.
pub fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_typed_either_way() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 30);
        assert_eq!(parse_date("2026-12-30"), Ok(day));
        assert_eq!(parse_date(" 30/12/2026 "), Ok(day));
        assert_eq!(parse_date(""), Ok(None));
        assert_eq!(parse_date("30.12.2026"), Err(NotADate));
    }

    #[test]
    fn fields_are_the_first_value_trimmed() {
        let pairs: Pairs = vec![("a".into(), " x ".into()), ("a".into(), "y".into())];
        assert_eq!(field(&pairs, "a"), "x");
        assert_eq!(field(&pairs, "b"), "");
    }
}
