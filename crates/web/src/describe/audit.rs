//! An audit row as a sentence a person reads: "Nguyễn Văn A sửa điểm tự chấm tiêu chí 2.1 của
//! Sở Tư pháp: 1,5 → 2". Actions, kinds of record, fields and stored values are looked up in
//! `locales/*/audit.toml`; an unknown one falls back to a neutral wording, never to its code.

use chiso_store::audit::AuditRecord;

use crate::i18n::{self, Lang};

/// The sentence of one row.
pub fn sentence(lang: Lang, row: &AuditRecord) -> String {
    let actor = actor(lang, row);
    let verb = i18n::lookup(lang, &format!("audit.verb.{}", row.action))
        .unwrap_or_else(|| i18n::text(lang, "audit.verb.other"));
    let object = object(lang, row);
    // A transition names the status in its verb already.
    let field_words = row
        .field
        .as_deref()
        .filter(|f| {
            !(matches!(
                row.action.as_str(),
                "transition" | "return_sheet" | "defer_sheet"
            ) && matches!(*f, "status" | "state"))
        })
        .filter(|_| row.action != "create");
    let what = match field_words.and_then(|f| field(lang, f)) {
        Some(field) => format!("{field} {object}"),
        None => object,
    };
    // A creation names what it created; its stored summary adds nothing to the sentence.
    let has_values = row.action != "create" && (row.old_value.is_some() || row.new_value.is_some());
    if !has_values {
        return i18n::fill(
            lang,
            "audit.sentence",
            &[("actor", &actor), ("verb", &verb), ("what", &what)],
        );
    }
    let field = row.field.as_deref().unwrap_or_default();
    i18n::fill(
        lang,
        "audit.sentence_change",
        &[
            ("actor", &actor),
            ("verb", &verb),
            ("what", &what),
            ("old", &value(lang, field, row.old_value.as_deref())),
            ("new", &value(lang, field, row.new_value.as_deref())),
        ],
    )
}

/// Who made the change: their full name, or "the system" for the server's own work.
pub fn actor(lang: Lang, row: &AuditRecord) -> String {
    match (&row.actor_full_name, row.actor_id) {
        (Some(name), _) => name.clone(),
        (None, Some(_)) => row.actor_name.clone(),
        (None, None) => i18n::text(lang, "audit.system").to_string(),
    }
}

/// What the row is about, by its name.
fn object(lang: Lang, row: &AuditRecord) -> String {
    let id = row.entity_id.map(|i| i.to_string()).unwrap_or_default();
    let unit = row.unit_name.clone().unwrap_or_default();
    let name = row
        .entity_title
        .clone()
        .or_else(|| row.unit_name.clone())
        .unwrap_or_else(|| id.clone());
    let code = row.node_code.clone().unwrap_or_else(|| id.clone());
    let key = match row.entity_type.as_str() {
        "leaf" if row.unit_name.is_none() => "audit.entity.leaf_no_unit".to_string(),
        kind => format!("audit.entity.{kind}"),
    };
    let template = i18n::lookup(lang, &key).map(|_| key.as_str());
    i18n::fill(
        lang,
        template.unwrap_or("audit.entity.other"),
        &[
            ("name", &name),
            ("unit", &unit),
            ("code", &code),
            ("id", &id),
        ],
    )
}

/// The changed field's words: `self.points` is "điểm tự chấm", `round2.comment` "nhận xét
/// thẩm định vòng 2", `survey_leaf[7.1]` "tiêu chí khảo sát 7.1".
fn field(lang: Lang, field: &str) -> Option<String> {
    let plain = |name: &str| i18n::lookup(lang, &format!("audit.field.{name}"));
    if let Some((stage, name)) = field.split_once('.') {
        let stage_words = if stage == "self" {
            Some(i18n::text(lang, "audit.self").to_string())
        } else if let Some(n) = stage.strip_prefix("round") {
            Some(i18n::fill(lang, "audit.appraisal_round", &[("n", &n)]))
        } else {
            plain(stage).map(str::to_string)
        };
        return Some(i18n::fill(
            lang,
            "audit.field_of",
            &[
                ("field", &plain(name).unwrap_or(name)),
                ("stage", &stage_words.unwrap_or_default()),
            ],
        ));
    }
    if let Some((name, inner)) = field.split_once('[') {
        let inner = inner.trim_end_matches(']');
        if name == "survey_leaf" {
            return Some(i18n::fill(lang, "audit.survey_leaf", &[("code", &inner)]));
        }
        let group = i18n::lookup(lang, &format!("audit.value.{inner}")).unwrap_or(inner);
        return plain(name).map(|words| format!("{words} ({group})"));
    }
    if let Some(n) = field.strip_prefix("round")
        && n.chars().all(|c| c.is_ascii_digit())
    {
        return Some(i18n::fill(lang, "audit.round", &[("n", &n)]));
    }
    // A criterion's code (a framework's rows name the criterion they add).
    if field.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Some(i18n::fill(
            lang,
            "audit.entity.framework_node",
            &[("code", &field)],
        ));
    }
    plain(field).map(str::to_string)
}

/// A stored value in words: states and roles by their titles, numbers with the language's
/// decimal mark, dates day first.
pub fn value(lang: Lang, field: &str, value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return i18n::text(lang, "audit.empty_value").to_string();
    };
    if let Some(title) = i18n::lookup(lang, &format!("audit.value.{value}")) {
        return title.to_string();
    }
    // An index item's agencies name a group of units as `@kind` (docs/method.md §5.8).
    if field == "agencies" {
        return chiso_domain::org::OrgKind::ALL
            .iter()
            .fold(value.to_string(), |text, kind| {
                let token = format!("@{}", kind.as_str());
                match i18n::lookup(lang, &format!("audit.value.group_{}", kind.as_str())) {
                    Some(words) => text.replace(&token, words),
                    None => text,
                }
            });
    }
    if field == "responses"
        && let Some(summary) = chiso_store::surveys::ImportSummary::from_value(value)
    {
        let count = |n: u64| i18n::number(lang, n as f64, 0);
        return i18n::fill(
            lang,
            if summary.stored {
                "audit.import_summary"
            } else {
                "audit.import_summary_refused"
            },
            &[
                ("file", &summary.file),
                ("read", &count(summary.read)),
                ("accepted", &count(summary.accepted)),
                ("rejected", &count(summary.rejected)),
            ],
        );
    }
    // A role with its scope: `unit_editor@12 areas ["1"]`.
    if field == "role"
        && let Some((role, scope)) = value.split_once('@')
    {
        let role = i18n::lookup(lang, &format!("audit.value.{role}")).unwrap_or(role);
        let unit_id = scope.split_whitespace().next().unwrap_or_default();
        let unit = if unit_id == "*" {
            i18n::text(lang, "audit.whole_province").to_string()
        } else {
            i18n::fill(lang, "audit.unit_number", &[("id", &unit_id)])
        };
        return i18n::fill(
            lang,
            "audit.unit_scope",
            &[("role", &role), ("unit", &unit)],
        );
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return i18n::date(date);
    }
    let numeric = value
        .strip_prefix('-')
        .unwrap_or(value)
        .split_once('.')
        .is_some_and(|(whole, fraction)| {
            !whole.is_empty()
                && whole.chars().all(|c| c.is_ascii_digit())
                && fraction.chars().all(|c| c.is_ascii_digit())
        });
    if numeric && lang == Lang::Vi {
        return value.replace('.', ",");
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(action: &str, entity: &str, field: Option<&str>, old: &str, new: &str) -> AuditRecord {
        AuditRecord {
            id: 1,
            at: chrono::Utc::now(),
            actor_id: Some(3),
            actor_name: "nhaplieu".into(),
            action: action.into(),
            entity_type: entity.into(),
            entity_id: Some(40),
            field: field.map(str::to_string),
            old_value: (!old.is_empty()).then(|| old.to_string()),
            new_value: (!new.is_empty()).then(|| new.to_string()),
            reason: None,
            campaign_id: Some(1),
            unit_id: Some(5),
            actor_full_name: Some("Nguyễn Văn A".into()),
            unit_name: Some("Sở Tư pháp".into()),
            campaign_title: Some("Đợt 2026".into()),
            node_code: Some("2.1".into()),
            entity_title: None,
        }
    }

    #[test]
    fn a_self_assessed_score_reads_as_a_sentence() {
        let r = row("update", "leaf", Some("self.points"), "1.5", "2");
        assert_eq!(
            sentence(Lang::Vi, &r),
            "Nguyễn Văn A sửa điểm tự chấm tiêu chí 2.1 của Sở Tư pháp: 1,5 → 2"
        );
        assert_eq!(
            sentence(Lang::En, &r),
            "Nguyễn Văn A changed the self-assessed points of criterion 2.1 of Sở Tư pháp: 1.5 → 2"
        );
    }

    #[test]
    fn states_roles_and_dates_are_titles_not_codes() {
        let r = row("transition", "sheet", Some("status"), "draft", "submitted");
        assert_eq!(
            sentence(Lang::Vi, &r),
            "Nguyễn Văn A chuyển trạng thái Bảng tự chấm điểm của Sở Tư pháp: Nháp → Đã nộp"
        );
        assert_eq!(
            value(Lang::Vi, "role", Some("unit_editor@12 areas [\"1\"]")),
            "Cán bộ nhập liệu (đơn vị số 12)"
        );
        assert_eq!(value(Lang::Vi, "until", Some("2026-12-20")), "20/12/2026");
        assert_eq!(value(Lang::Vi, "title", None), "(trống)");
        let mut system = row("create", "org_unit", None, "", "");
        system.actor_id = None;
        system.actor_full_name = None;
        system.actor_name = "system:demo".into();
        assert_eq!(
            sentence(Lang::Vi, &system),
            "Hệ thống tạo đơn vị Sở Tư pháp"
        );
    }

    #[test]
    fn an_import_summary_reads_in_the_language_of_the_page() {
        let summary = chiso_store::surveys::ImportSummary {
            file: "phieu.csv".into(),
            read: 6590,
            accepted: 6587,
            rejected: 3,
            stored: true,
        }
        .to_value();
        let text = sentence(
            Lang::Vi,
            &row("import", "wave", Some("responses"), "", &summary),
        );
        assert!(
            text.contains("phieu.csv: đọc 6.590 dòng, nhận 6.587, loại 3"),
            "{text}"
        );
        let text = sentence(
            Lang::En,
            &row("import", "wave", Some("responses"), "", &summary),
        );
        assert!(
            text.contains("6,590 rows read, 6,587 accepted, 3 rejected"),
            "{text}"
        );
    }

    #[test]
    fn unknown_actions_and_fields_fall_back_to_words() {
        let r = row("frobnicate", "gizmo", Some("sprocket"), "", "");
        let text = sentence(Lang::Vi, &r);
        assert_eq!(text, "Nguyễn Văn A thay đổi bản ghi số 40");
    }
}
