//! A notification in the reader's language, from its kind and the values stored with it.

use chiso_domain::notice::NoticeKind;
use chiso_store::notifications::Notice;

use crate::i18n::{self, Lang};

/// The sentence a notice shows, in `lang`.
pub fn sentence(lang: Lang, notice: &Notice) -> String {
    let arg = |name: &str| -> String {
        match notice.args.get(name) {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    let stage = match arg("stage").as_str() {
        "explanation" => i18n::text(lang, "notifications.stage_explanation"),
        _ => i18n::text(lang, "notifications.stage_self_assessment"),
    };
    let deadline = chrono::NaiveDate::parse_from_str(&arg("deadline"), "%Y-%m-%d")
        .map(i18n::date)
        .unwrap_or_default();
    let key = match notice.kind {
        NoticeKind::RoundOpened => "notifications.round_opened",
        NoticeKind::ExplanationRequested => "notifications.explanation_requested",
        NoticeKind::DeadlineSoon => "notifications.deadline_soon",
        NoticeKind::ExtensionGranted => "notifications.extension_granted",
        NoticeKind::SheetReturned => "notifications.sheet_returned",
        NoticeKind::ResultsPublished => "notifications.results_published",
        NoticeKind::TaskDueSoon => "notifications.task_due_soon",
        NoticeKind::TaskOverdue => "notifications.task_overdue",
        NoticeKind::PeriodOpened => "notifications.period_opened",
        NoticeKind::TaskAssigned => "notifications.task_assigned",
    };
    let period = super::plan::period_title(lang, &arg("period"));
    let sentence = i18n::fill(
        lang,
        key,
        &[
            ("campaign", &arg("campaign")),
            ("unit", &arg("unit")),
            ("round", &arg("round")),
            ("days", &arg("days")),
            ("stage", &stage),
            ("deadline", &deadline),
            ("reason", &arg("reason")),
            ("task", &arg("task")),
            ("plan", &arg("plan")),
            ("period", &period),
        ],
    );
    // A returned sheet names the date to resubmit by when the secretariat gave one.
    if notice.kind == NoticeKind::SheetReturned && !deadline.is_empty() {
        let by = i18n::fill(
            lang,
            "notifications.sheet_returned_by",
            &[("deadline", &deadline)],
        );
        return format!("{sentence} {by}");
    }
    sentence
}
