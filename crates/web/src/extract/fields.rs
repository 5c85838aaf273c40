//! What a field's name says about its text (its [`TextKind`]), how the field is named to the
//! person who sent it, and the refusal when its text is not accepted.

use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use chiso_domain::text::{self, TextError, TextKind};

use crate::auth::{CSRF_FIELD, Context};
use crate::i18n::{self, Lang};

/// The kind of text a field holds, by its name: the same names in forms, query strings, the
/// kiosk JSON and the columns of imported files. Prose fields are few and listed; a field not
/// listed is a short single-line text.
pub fn kind_of(field: &str) -> TextKind {
    match field {
        "explanation" | "comment" | "reason" | "description" | "guidance" | "answer" | "note"
        | "methodology" | "opening" | "closing" | "recipients" | "capacity" | "narrative"
        | "implements" | "task_title" => TextKind::Long,
        "toml" | "lines" => TextKind::Document,
        "username" => TextKind::Username,
        "name" | "title" | "title_en" | "full_name" | "email" | "file_name" | "unit_name"
        | "region" | "input_label" | "unit_group" => TextKind::Name,
        "q" | "entity_type" => TextKind::Search,
        "code" | "unit_code" | "parent_code" | "service" | "service_id" | "respondent_id"
        | "channel" | "kind" | "unit_kind" | "role" | "lang" | "sort" | "dir" | "format"
        | "status" | "version" | "year" | "unit_id" | "parent_id" | "file_id" | "wave_id"
        | "node_id" | "method" | "max_points" | "evidence_required" | "valid_from" | "valid_to"
        | CSRF_FIELD => TextKind::Code,
        _ => TextKind::Short,
    }
}

/// A field name is checked as a code: forms never need more.
const NAME_KIND: TextKind = TextKind::Code;

/// The header that carries a refusal's message (percent-encoded) to scripts: the scoresheet's
/// autosave shows it beside the field instead of swapping an error page into the row.
pub const REFUSAL_HEADER: &str = "x-input-refused";

/// Where a text comes from, for the wording of a refusal: the language, and the words of the
/// route's address, which pick the most specific label (`/don-vi/…` names `name` "Tên đơn
/// vị").
#[derive(Clone, Debug)]
pub struct Scope {
    lang: Lang,
    words: Vec<String>,
    /// Labels are the fields' own names (the kiosk API speaks JSON field names).
    raw_labels: bool,
}

impl Scope {
    /// The scope of a request: its language (set by the session layer) and its route.
    pub fn of(extensions: &Extensions) -> Scope {
        let lang = extensions
            .get::<Context>()
            .map(|c| c.lang)
            .unwrap_or_default();
        let words = extensions
            .get::<axum::extract::MatchedPath>()
            .map(|path| {
                path.as_str()
                    .split('/')
                    .filter(|w| !w.is_empty() && !w.starts_with('{'))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Scope {
            lang,
            words,
            raw_labels: false,
        }
    }

    /// A scope with a language alone (imported files' cells, named by their columns).
    pub fn for_lang(lang: Lang) -> Scope {
        Scope {
            lang,
            words: Vec::new(),
            raw_labels: false,
        }
    }

    /// The device API's scope: English, like its other refusals, naming fields by their JSON
    /// path.
    pub fn api() -> Scope {
        Scope {
            lang: Lang::En,
            words: Vec::new(),
            raw_labels: true,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// How the field is named to the person: the label of the most specific word of the route
    /// that has one, else the general label, else the name itself.
    pub fn label(&self, field: &str) -> String {
        if self.raw_labels {
            return field.to_string();
        }
        self.words
            .iter()
            .rev()
            .find_map(|word| i18n::lookup(self.lang, &format!("input.label.{word}.{field}")))
            .or_else(|| i18n::lookup(self.lang, &format!("input.label.{field}")))
            .map(str::to_string)
            .unwrap_or_else(|| field.to_string())
    }

    /// Checks a field's name and its value (of the kind its name implies).
    pub fn check_field(&self, field: &str, value: &str) -> Result<(), InputRejection> {
        self.check_name(field)?;
        // Where to go after login is never stored or shown: `safe_next` parses it and falls
        // back to `/` for anything but a path of this site, control characters included, so
        // a mangled link still logs the user in.
        if field == "next" {
            return Ok(());
        }
        self.check(field, kind_of(field), value)
    }

    /// Checks a field's name alone.
    pub fn check_name(&self, field: &str) -> Result<(), InputRejection> {
        text::check(NAME_KIND, field).map_err(|_| {
            self.rejection(
                StatusCode::UNPROCESSABLE_ENTITY,
                field,
                i18n::text(self.lang, "input.bad_field_name").to_string(),
            )
        })
    }

    /// Checks a value of a given kind, naming `field` in the refusal.
    pub fn check(&self, field: &str, kind: TextKind, value: &str) -> Result<(), InputRejection> {
        text::check(kind, value).map_err(|error| {
            let message = self.describe(&self.label(field), error, "input.too_long");
            self.rejection(StatusCode::UNPROCESSABLE_ENTITY, field, message)
        })
    }

    /// Checks every pair of a urlencoded body or query string.
    pub fn check_urlencoded(&self, bytes: &[u8]) -> Result<(), InputRejection> {
        for (name, value) in form_urlencoded::parse(bytes) {
            self.check_field(&name, &value)?;
        }
        Ok(())
    }

    /// Checks a segment of the address: any control character or an over-long segment is a
    /// bad request, named as the address.
    pub fn check_path(&self, value: &str) -> Result<(), InputRejection> {
        text::check(TextKind::Code, value).map_err(|error| {
            let message = self.describe(&self.label("path"), error, "input.too_long");
            self.rejection(StatusCode::BAD_REQUEST, "path", message)
        })
    }

    /// The message of a text error, with the field's label (`too_long_key` chooses the field or
    /// the column wording; the control-character key follows it).
    pub fn describe(&self, label: &str, error: TextError, too_long_key: &str) -> String {
        match error {
            TextError::TooLong { max } => i18n::text(self.lang, too_long_key)
                .replace("{field}", label)
                .replace("{max}", &i18n::number(self.lang, max as f64, 0)),
            TextError::Control { .. } => {
                let key = too_long_key.replace("too_long", "control");
                i18n::text(self.lang, &key).replace("{field}", label)
            }
        }
    }

    /// A refusal with a message already worded.
    pub fn rejection(&self, status: StatusCode, field: &str, message: String) -> InputRejection {
        InputRejection {
            lang: self.lang,
            status,
            field: field.to_string(),
            message,
        }
    }

    /// A body that cannot be decoded into the handler's form.
    pub fn malformed(&self, status: StatusCode) -> InputRejection {
        self.rejection(
            status,
            "",
            i18n::text(self.lang, "input.malformed").to_string(),
        )
    }
}

/// A request refused for its text: the status, the field as the request named it, and the
/// message in the person's language.
#[derive(Clone, Debug)]
pub struct InputRejection {
    lang: Lang,
    status: StatusCode,
    field: String,
    message: String,
}

impl InputRejection {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for InputRejection {
    fn into_response(self) -> Response {
        let header = HeaderValue::from_str(&crate::error::urlencode(&self.message)).ok();
        let mut response = crate::error::error_page(self.lang, self.status, self.message);
        if let Some(value) = header {
            response
                .headers_mut()
                .insert(HeaderName::from_static(REFUSAL_HEADER), value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_fields_are_multi_line_and_the_rest_is_short() {
        for field in ["explanation", "comment", "reason", "answer", "guidance"] {
            assert!(kind_of(field).multi_line(), "{field}");
        }
        for field in [
            "name",
            "title",
            "username",
            "respondent_id",
            "q",
            "c01",
            "next",
        ] {
            assert!(!kind_of(field).multi_line(), "{field}");
        }
        assert_eq!(kind_of("anything_else"), TextKind::Short);
        assert_eq!(kind_of("name").max_chars(), 300);
    }

    #[test]
    fn labels_prefer_the_words_of_the_route() {
        let scope = Scope {
            lang: Lang::Vi,
            words: vec!["don-vi".into(), "moi".into()],
            raw_labels: false,
        };
        assert_eq!(scope.label("name"), "Tên đơn vị");
        assert_eq!(scope.label("full_name"), "Họ tên");
        assert_eq!(scope.label("c01"), "c01");
        let device = Scope {
            words: vec!["khao-sat".into(), "don-vi".into(), "thiet-bi".into()],
            ..scope.clone()
        };
        assert_eq!(device.label("name"), "Tên thiết bị");
        let refused = scope.check_field("name", &"x".repeat(301)).unwrap_err();
        assert_eq!(refused.message(), "Trường «Tên đơn vị» dài quá 300 ký tự.");
        let refused = scope.check_field("explanation", "a\0b").unwrap_err();
        assert_eq!(
            refused.message(),
            "Trường «Giải trình» chứa ký tự điều khiển không hợp lệ."
        );
        assert!(
            scope
                .check_field("explanation", "dòng 1\r\ndòng 2\t")
                .is_ok()
        );
        assert!(scope.check_field("name", "dòng 1\ndòng 2").is_err());
        assert_eq!(
            scope.check_field("a\0", "x").unwrap_err().message(),
            "Biểu mẫu có một tên trường không hợp lệ."
        );
        let api = Scope::api();
        assert_eq!(
            api.check("answers.c01", TextKind::Short, "\u{1b}")
                .unwrap_err()
                .message(),
            "The field «answers.c01» contains an invalid control character."
        );
    }
}
