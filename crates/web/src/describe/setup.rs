//! The setup areas' refusals (units, accounts, frameworks) in the user's language, each with
//! the form field it concerns.

use chiso_domain::org::OrgKind;
use chiso_store::SetupRefusal;

use super::Describe;
use crate::i18n::{self, Lang};

/// A unit kind's title ("Sở, ban, ngành"), never its code.
pub fn kind_title(lang: Lang, kind: OrgKind) -> &'static str {
    i18n::text(lang, &format!("common.kind_{}", kind.as_str()))
}

impl Describe for SetupRefusal {
    fn describe(&self, lang: Lang) -> String {
        let text = |key: &str| i18n::text(lang, key).to_string();
        match self {
            SetupRefusal::UnitCodeEmpty => text("units.refused_code_empty"),
            SetupRefusal::UnitNameEmpty => text("units.refused_name_empty"),
            SetupRefusal::ValidityOrder => text("units.refused_validity_order"),
            SetupRefusal::OwnParent => text("units.refused_own_parent"),
            SetupRefusal::ParentMissing { .. } => text("units.refused_parent_missing"),
            SetupRefusal::ParentKind {
                kind,
                parent_kind,
                parent_name,
            } => i18n::fill(
                lang,
                "units.refused_parent_kind",
                &[
                    ("kind", &kind_title(lang, *kind)),
                    ("parent", parent_name),
                    ("parent_kind", &kind_title(lang, *parent_kind)),
                ],
            ),
            SetupRefusal::NothingToMerge => text("units.refused_nothing_to_merge"),
            SetupRefusal::AlreadyEnded { code, name } => i18n::fill(
                lang,
                "units.refused_already_ended",
                &[("code", code), ("name", name)],
            ),
            SetupRefusal::MergeDate => text("units.refused_merge_date"),
            SetupRefusal::ImportRow { row, refusal } => i18n::fill(
                lang,
                "units.refused_import_row",
                &[("row", row), ("problem", &refusal.describe(lang))],
            ),
            SetupRefusal::ImportParent { code } => {
                i18n::fill(lang, "units.refused_import_parent", &[("code", code)])
            }
            SetupRefusal::UsernameInvalid => text("users.refused_username"),
            SetupRefusal::UsernameTaken { username } => i18n::fill(
                lang,
                "users.refused_username_taken",
                &[("username", username)],
            ),
            SetupRefusal::FullNameEmpty => text("users.refused_full_name"),
            SetupRefusal::RoleNeedsUnit { role } => i18n::fill(
                lang,
                "users.refused_role_needs_unit",
                &[(
                    "role",
                    &i18n::text(lang, &format!("common.role_{}", role.as_str())),
                )],
            ),
            SetupRefusal::FrameworkCodeEmpty => text("frameworks.refused_code_empty"),
            SetupRefusal::FrameworkFrozen => text("frameworks.error_frozen"),
            // Data changed outside chiso: the detail goes to the log, the user gets the
            // general message.
            SetupRefusal::StoredFramework { id, detail } => {
                tracing::error!(framework_id = id, %detail, "stored framework does not build");
                text("common.error_internal")
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            SetupRefusal::UnitCodeEmpty | SetupRefusal::FrameworkCodeEmpty => Some("code"),
            SetupRefusal::UnitNameEmpty => Some("name"),
            SetupRefusal::ValidityOrder => Some("valid_to"),
            SetupRefusal::OwnParent
            | SetupRefusal::ParentMissing { .. }
            | SetupRefusal::ParentKind { .. } => Some("parent_id"),
            SetupRefusal::ImportParent { .. } => Some("parent_code"),
            SetupRefusal::ImportRow { refusal, .. } => refusal.field(),
            SetupRefusal::UsernameInvalid | SetupRefusal::UsernameTaken { .. } => Some("username"),
            SetupRefusal::FullNameEmpty => Some("full_name"),
            SetupRefusal::RoleNeedsUnit { .. } => Some("unit_id"),
            SetupRefusal::NothingToMerge
            | SetupRefusal::AlreadyEnded { .. }
            | SetupRefusal::MergeDate
            | SetupRefusal::FrameworkFrozen
            | SetupRefusal::StoredFramework { .. } => None,
        }
    }

    fn status(&self) -> axum::http::StatusCode {
        match self {
            SetupRefusal::StoredFramework { .. } => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            _ => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// A row of a units import, worded with its column's label first ("Cột kind: …").
impl Describe for crate::app::units::import::RowProblem {
    fn describe(&self, lang: Lang) -> String {
        use crate::app::units::import::{DateColumn, RowProblem};
        use crate::forms::{field_error, tr};
        let text = |key: &str| i18n::text(lang, key);
        match self {
            RowProblem::File(problem) => problem.describe(lang),
            RowProblem::NameRequired => {
                field_error(lang, "units.col_name", text("units.err_required_new"))
            }
            RowProblem::KindRequired => {
                field_error(lang, "units.col_kind", text("units.err_required_new"))
            }
            RowProblem::KindValue { value } => field_error(
                lang,
                "units.col_kind",
                &tr(lang, "units.err_kind_value", &[("value", value)]),
            ),
            RowProblem::OwnParent => {
                field_error(lang, "units.col_parent", text("units.err_own_parent"))
            }
            RowProblem::ParentCode { code } => field_error(
                lang,
                "units.col_parent",
                &tr(lang, "units.err_parent_code", &[("code", code)]),
            ),
            RowProblem::ParentKind { kind, parent_kind } => field_error(
                lang,
                "units.col_parent",
                &tr(
                    lang,
                    "units.err_parent_kind",
                    &[
                        ("kind", kind_title(lang, *kind)),
                        ("parent", kind_title(lang, *parent_kind)),
                    ],
                ),
            ),
            RowProblem::DateValue { column, value } => field_error(
                lang,
                match column {
                    DateColumn::ValidFrom => "units.col_valid_from",
                    DateColumn::ValidTo => "units.col_valid_to",
                },
                &tr(lang, "units.err_date_value", &[("value", value)]),
            ),
            RowProblem::DatesOrder => {
                field_error(lang, "units.col_valid_to", text("units.err_dates_order"))
            }
        }
    }

    fn field(&self) -> Option<&str> {
        use crate::app::units::import::{DateColumn, RowProblem};
        match self {
            RowProblem::File(problem) => problem.field(),
            RowProblem::NameRequired => Some("unit_name"),
            RowProblem::KindRequired | RowProblem::KindValue { .. } => Some("kind"),
            RowProblem::OwnParent
            | RowProblem::ParentCode { .. }
            | RowProblem::ParentKind { .. } => Some("parent_code"),
            RowProblem::DateValue {
                column: DateColumn::ValidFrom,
                ..
            } => Some("valid_from"),
            RowProblem::DateValue { .. } | RowProblem::DatesOrder => Some("valid_to"),
        }
    }
}
