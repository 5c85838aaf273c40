//! Helpers of the council's pages (appraisal, progress, results) and the council panel.

use std::collections::{BTreeSet, HashMap};

use chiso_domain::access::{Permission, Role};
use chiso_domain::assessment::SheetStatus;
use chiso_domain::campaign::CampaignState;
use chiso_domain::{Framework, Method, NodeId, Points};
use chiso_store::{StoreError, frameworks};
use chrono::NaiveDate;
use rust_xlsxwriter::XlsxError;

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};

// ── Shared helpers ──────────────────────────────────────────────────────────────────────────

/// Form fields as pairs (a checkbox is present or absent, so a struct would need defaults for
/// everything anyway).
pub(crate) type Pairs = Vec<(String, String)>;

pub(crate) fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .unwrap_or("")
}

/// A text of this feature with `{name}` placeholders filled in.
pub(crate) fn tr(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = i18n::text(lang, key).to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// "Field: problem", so that every message names the field at fault.
pub(crate) fn field_error(lang: Lang, field_key: &str, problem_key: &str) -> String {
    format!(
        "{}: {}",
        i18n::text(lang, field_key),
        i18n::text(lang, problem_key)
    )
}

/// The secretariat and the administrator run the calendar (ManageCampaigns).
pub(crate) fn is_staff(principal: &Principal) -> bool {
    principal.can(Permission::ManageCampaigns)
}

/// The areas an appraiser scores: the union of their appraiser roles' areas; a role without
/// areas covers every area (`None`), as the users screen says ("để trống: mọi lĩnh vực").
pub(crate) fn appraiser_areas(principal: &Principal) -> Option<Vec<String>> {
    let mut areas = BTreeSet::new();
    for assignment in &principal.roles {
        if assignment.role != Role::Appraiser {
            continue;
        }
        let own = assignment.areas();
        if own.is_empty() {
            return None;
        }
        areas.extend(own.into_iter().map(|a| a.trim().to_string()));
    }
    Some(areas.into_iter().collect())
}

/// The campaign-level refusal of a store rule, in the user's language; other errors stay
/// errors.
pub(crate) fn refusal(lang: Lang, error: StoreError) -> AppResult<String> {
    crate::describe::store_refusal(lang, &error).ok_or_else(|| AppError::from(error))
}

pub(crate) fn pts(lang: Lang, points: Points) -> String {
    i18n::points(lang, points.to_f64())
}

pub(crate) fn stored_pts(lang: Lang, ten_thousandths: Option<i64>) -> String {
    ten_thousandths
        .map(|p| pts(lang, Points::from_ten_thousandths(p)))
        .unwrap_or_else(|| "—".into())
}

pub(crate) fn status_label(lang: Lang, status: SheetStatus) -> &'static str {
    i18n::text(lang, &format!("appraisal.status_{}", status.as_str()))
}

pub(crate) fn state_label(lang: Lang, state: CampaignState) -> &'static str {
    i18n::text(lang, &format!("common.state_{}", state.as_str()))
}

/// A group's name as people read it: the kind of unit when the group is named after one.
pub(crate) fn group_label(lang: Lang, group: &str) -> String {
    match chiso_domain::org::OrgKind::parse(group) {
        Some(kind) => i18n::text(lang, &format!("common.kind_{}", kind.as_str())).to_string(),
        None => group.to_string(),
    }
}

/// A date from a date input (`2026-12-30`) or typed the Vietnamese way (`30/12/2026`).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text.trim(), "%d/%m/%Y"))
        .ok()
}

/// A decimal typed the Vietnamese way (`1,5`) or with a dot.
pub(crate) fn decimal_text(text: &str) -> String {
    text.trim().replace(',', ".")
}

/// Lowercase without Vietnamese marks, đ → d: "Sở Tư pháp" is found by "so tu phap".
pub(crate) fn fold(text: &str) -> String {
    const GROUPS: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    text.to_lowercase()
        .chars()
        .map(|c| {
            GROUPS
                .iter()
                .find(|(letters, _)| letters.contains(c))
                .map(|(_, plain)| *plain)
                .unwrap_or(c)
        })
        .collect()
}

/// Framework node id (database) → node of the tree.
pub(crate) fn node_map(stored: &frameworks::StoredFramework) -> HashMap<i64, NodeId> {
    stored
        .node_ids
        .iter()
        .filter_map(|(code, &id)| stored.framework.find(code).map(|node| (id, node)))
        .collect()
}

/// Whether the leaf is one the council scores: every leaf but the survey-derived ones.
pub(crate) fn appraisable(framework: &Framework, leaf: NodeId) -> bool {
    framework.node(leaf).method != Method::Survey
}

pub(crate) use crate::downloads::{XLSX, download};

pub(crate) fn xlsx_error(error: XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("cannot build the workbook: {error}"))
}
