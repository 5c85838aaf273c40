//! What every page template receives: the language, the user, the CSRF token, the navigation.

use chiso_domain::access::{Permission, Role};
use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::Context;
use crate::i18n::{self, Lang};
use crate::paths;

/// One entry of the navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The frame of every page.
#[derive(Clone, Debug)]
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub user_name: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// A message key shown once (after a redirect: `?msg=common.saved`).
    pub flash: Option<&'static str>,
}

impl Page {
    /// A page titled by a text key, with the navigation the user may use.
    pub fn new(context: &Context, title_key: &str) -> Page {
        let lang = context.lang;
        let current = context.path.split('?').next().unwrap_or("/");
        let mut nav = Vec::new();
        if let Some(principal) = &context.principal {
            let mut push = |href: &'static str, key: &str, allowed: bool| {
                if allowed {
                    let active = if href == "/" {
                        current == "/"
                    } else {
                        current.starts_with(href)
                    };
                    nav.push(NavItem {
                        href,
                        label: i18n::text(lang, key),
                        active,
                    });
                }
            };
            push(paths::HOME, "common.nav_home", true);
            // The work of the assessment stage: the unit's own sheet, the council's appraisal.
            push(
                paths::SELF_ASSESSMENT,
                "common.nav_self_assessment",
                principal.has_role(Role::UnitEditor) || principal.has_role(Role::UnitLeader),
            );
            push(
                paths::APPRAISAL,
                "common.nav_appraisal",
                principal.has_role(Role::Appraiser) || principal.can(Permission::ManageCampaigns),
            );
            push(
                paths::UNITS,
                "common.nav_units",
                principal.can(Permission::ViewSetup),
            );
            push(
                paths::FRAMEWORKS,
                "common.nav_frameworks",
                principal.can(Permission::ViewSetup),
            );
            push(
                paths::CAMPAIGNS,
                "common.nav_campaigns",
                principal.can(Permission::ViewSetup),
            );
            push(
                paths::SURVEYS,
                "common.nav_surveys",
                principal.can(Permission::ViewSetup),
            );
            // The improvement plans: the province's is read by everyone signed in.
            push(paths::PLANS, "plans.nav", true);
            push(
                paths::MY_TASKS,
                "plans.nav_my_tasks",
                principal.has_role(Role::UnitEditor) || principal.has_role(Role::UnitLeader),
            );
            // The national indices are published figures: every signed-in role reads them.
            push(paths::INDICES_OVERVIEW, "national.nav", true);
            push(
                "/chi-so-quoc-gia/nhap-lieu",
                "indices_admin.nav",
                principal.can(Permission::ManageIndices),
            );
            push(
                paths::USERS,
                "common.nav_users",
                principal.can(Permission::ManageUsers),
            );
            push(
                paths::AUDIT,
                "common.nav_audit",
                principal.can(Permission::ViewAudit),
            );
        }
        let flash = context
            .path
            .split_once("msg=")
            .map(|(_, rest)| rest.split('&').next().unwrap_or(""))
            .and_then(|key| FLASH_KEYS.iter().find(|k| **k == key).copied());
        Page {
            lang,
            title: i18n::text(lang, title_key).to_string(),
            user_name: context.principal.as_ref().map(|p| p.user.full_name.clone()),
            csrf: context.csrf_token.clone(),
            nav,
            flash,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::text(self.lang, key)
    }

    pub fn num(&self, value: &f64, decimals: &usize) -> String {
        i18n::number(self.lang, *value, *decimals)
    }

    pub fn pts(&self, value: &f64) -> String {
        i18n::points(self.lang, *value)
    }

    pub fn date(&self, value: &NaiveDate) -> String {
        i18n::date(*value)
    }

    pub fn opt_date(&self, value: &Option<NaiveDate>) -> String {
        value.map(i18n::date).unwrap_or_else(|| "—".into())
    }

    pub fn date_time(&self, value: &DateTime<Utc>) -> String {
        i18n::date_time(*value)
    }

    pub fn role_label(&self, role: &str) -> &'static str {
        match Role::parse(role) {
            Some(role) => self.t(&format!("common.role_{}", role.as_str())),
            None => "—",
        }
    }

    pub fn state_label(&self, state: &chiso_domain::campaign::CampaignState) -> &'static str {
        self.t(&format!("common.state_{}", state.as_str()))
    }

    pub fn kind_label(&self, kind: &str) -> &'static str {
        self.t(&format!("common.kind_{kind}"))
    }
}

/// Messages a redirect may ask to show; anything else in `msg=` is ignored.
const FLASH_KEYS: &[&str] = &[
    "common.saved",
    "plans.merged",
    "plans.task_deleted",
    "plans.report_filed",
    "plans.period_opened",
    "plans.imported",
    "common.created",
    "surveys.service_saved",
    "surveys.service_removed",
    "common.password_changed",
    "units.imported",
    "units.merged",
    "frameworks.imported",
    "frameworks.version_created",
    "frameworks.replaced",
    "campaigns.transitioned",
    "users.password_reset",
    "users.role_added",
    "users.role_removed",
    "users.deactivated",
    "users.activated",
    "appraisal.round_opened",
    "appraisal.round_closed",
    "appraisal.extension_granted",
    "appraisal.sheet_returned",
    "appraisal.sheet_deferred",
    "appraisal.finalized",
    "appraisal.published",
    "appraisal.leaf_saved",
    "assessment.submitted",
    "assessment.withdrawn",
    "assessment.explanation_submitted",
    "surveys.questionnaire_registered",
    "surveys.opened",
    "surveys.closed",
    "surveys.device_activated",
    "surveys.device_deactivated",
    "surveys.paper_saved",
    "surveys.refreshed",
    "surveys.response_excluded",
    "surveys.response_restored",
    "indices_admin.imported",
    "indices_admin.cancelled",
    "indices_admin.target_saved",
    "indices_admin.target_deleted",
    "indices_admin.agencies_saved",
];
