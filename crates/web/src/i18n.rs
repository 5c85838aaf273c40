//! Vietnamese first, English available: interface texts by key (locales/*.toml), Vietnamese
//! number and date conventions ([`format`]: 88,47; 1.234,5; 30/12/2020) and the file reader's
//! refusals ([`files`]). Refusals are typed and say themselves from these keys
//! (`crate::describe`): no English message is ever parsed back into Vietnamese.

use std::collections::HashMap;
use std::sync::OnceLock;

mod files;
mod format;

pub use files::{sheet_error, sheet_error_with_row};
pub use format::{date, date_time, date_time_seconds, number, points};

/// The interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Every locale file of a language, by feature; a key is `file.key`.
const VI_FILES: &[(&str, &str)] = &[
    ("common", include_str!("../locales/vi/common.toml")),
    ("audit", include_str!("../locales/vi/audit.toml")),
    (
        "notifications",
        include_str!("../locales/vi/notifications.toml"),
    ),
    ("units", include_str!("../locales/vi/units.toml")),
    ("frameworks", include_str!("../locales/vi/frameworks.toml")),
    ("campaigns", include_str!("../locales/vi/campaigns.toml")),
    ("checklist", include_str!("../locales/vi/checklist.toml")),
    ("users", include_str!("../locales/vi/users.toml")),
    ("assessment", include_str!("../locales/vi/assessment.toml")),
    ("appraisal", include_str!("../locales/vi/appraisal.toml")),
    ("results", include_str!("../locales/vi/results.toml")),
    ("public", include_str!("../locales/vi/public.toml")),
    ("surveys", include_str!("../locales/vi/surveys.toml")),
    (
        "survey_form",
        include_str!("../locales/vi/survey_form.toml"),
    ),
    ("input", include_str!("../locales/vi/input.toml")),
    ("files", include_str!("../locales/vi/files.toml")),
    ("plans", include_str!("../locales/vi/plans.toml")),
    ("workbook", include_str!("../locales/vi/workbook.toml")),
    ("reports", include_str!("../locales/vi/reports.toml")),
    (
        "indices_admin",
        include_str!("../locales/vi/indices_admin.toml"),
    ),
    ("national", include_str!("../locales/vi/national.toml")),
];
const EN_FILES: &[(&str, &str)] = &[
    ("common", include_str!("../locales/en/common.toml")),
    ("audit", include_str!("../locales/en/audit.toml")),
    (
        "notifications",
        include_str!("../locales/en/notifications.toml"),
    ),
    ("units", include_str!("../locales/en/units.toml")),
    ("frameworks", include_str!("../locales/en/frameworks.toml")),
    ("campaigns", include_str!("../locales/en/campaigns.toml")),
    ("checklist", include_str!("../locales/en/checklist.toml")),
    ("users", include_str!("../locales/en/users.toml")),
    ("assessment", include_str!("../locales/en/assessment.toml")),
    ("appraisal", include_str!("../locales/en/appraisal.toml")),
    ("results", include_str!("../locales/en/results.toml")),
    ("public", include_str!("../locales/en/public.toml")),
    ("surveys", include_str!("../locales/en/surveys.toml")),
    (
        "survey_form",
        include_str!("../locales/en/survey_form.toml"),
    ),
    ("input", include_str!("../locales/en/input.toml")),
    ("files", include_str!("../locales/en/files.toml")),
    ("plans", include_str!("../locales/en/plans.toml")),
    ("workbook", include_str!("../locales/en/workbook.toml")),
    ("reports", include_str!("../locales/en/reports.toml")),
    (
        "indices_admin",
        include_str!("../locales/en/indices_admin.toml"),
    ),
    ("national", include_str!("../locales/en/national.toml")),
];

type Texts = HashMap<String, String>;

fn load(files: &[(&str, &str)]) -> Texts {
    let mut texts = HashMap::new();
    for (prefix, source) in files {
        let table: toml::Table =
            toml::from_str(source).unwrap_or_else(|e| panic!("locale {prefix}: {e}"));
        flatten(&mut texts, prefix, table);
    }
    texts
}

/// A file's texts under dotted keys: `[verb] create = …` in `audit.toml` is `audit.verb.create`.
fn flatten(texts: &mut Texts, prefix: &str, table: toml::Table) {
    for (key, value) in table {
        match value {
            toml::Value::String(text) => {
                texts.insert(format!("{prefix}.{key}"), text);
            }
            toml::Value::Table(inner) => flatten(texts, &format!("{prefix}.{key}"), inner),
            _ => {}
        }
    }
}

fn texts(lang: Lang) -> &'static Texts {
    static VI: OnceLock<Texts> = OnceLock::new();
    static EN: OnceLock<Texts> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| load(VI_FILES)),
        Lang::En => EN.get_or_init(|| load(EN_FILES)),
    }
}

/// The text for a key; a missing key shows as itself (and a test keeps both files complete).
pub fn text(lang: Lang, key: &str) -> &'static str {
    match texts(lang).get(key) {
        Some(text) => text.as_str(),
        None => texts(Lang::Vi)
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| Box::leak(key.to_string().into_boxed_str())),
    }
}

/// The text for a key with its `{name}` placeholders filled in.
pub fn fill(lang: Lang, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut text = text(lang, key).to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

/// The text for a key, or `None` when neither language has it (for optional texts such as a
/// field's label).
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    texts(lang)
        .get(key)
        .or_else(|| texts(Lang::Vi).get(key))
        .map(String::as_str)
}

/// Keys of a language, for the completeness test.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut keys: Vec<&str> = texts(lang).keys().map(String::as_str).collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(keys(Lang::Vi), keys(Lang::En));
        assert!(!keys(Lang::Vi).is_empty());
        assert_eq!(text(Lang::Vi, "common.app_name"), "chiso");
    }
}
