//! The start page: what the user should do next, by role (`app::home`): a unit's sheets with
//! their deadlines and requests, an appraiser's open rounds, the secretariat's next step of
//! each campaign with its checklist, and the published results.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chiso_domain::assessment::CampaignStep;
use chiso_store::campaigns::CampaignRow;

use crate::app::home;
use crate::auth::Auth;
use crate::error::AppResult;
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

/// A unit's sheet line.
pub struct UnitLine {
    campaign_id: i64,
    campaign: String,
    unit: String,
    href: String,
    status: &'static str,
    /// "còn N ngày" / "quá hạn N ngày", with the date; empty when nothing is owed.
    deadline: String,
    late: bool,
    extension: String,
    /// "N/M tiêu chí đã giải trình" when explanations are requested.
    explanations: String,
}

/// An appraiser's open round line.
pub struct AppraiserLine {
    campaign: String,
    round: u32,
    waiting: usize,
    in_round: usize,
}

/// The secretariat's line per campaign.
pub struct SecretariatLine {
    campaign_id: i64,
    campaign: String,
    state: String,
    step_label: String,
    step_href: String,
    not_submitted: usize,
    late: usize,
    below_target: usize,
    blocking: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    page: Page,
    /// (role, unit name)
    roles: Vec<(String, Option<String>)>,
    unit_lines: Vec<UnitLine>,
    appraiser_lines: Vec<AppraiserLine>,
    secretariat_lines: Vec<SecretariatLine>,
    survey_lines: Vec<SurveyLine>,
    published: Vec<CampaignRow>,
    campaigns: Vec<CampaignRow>,
    /// The leadership page of the national indices, for viewers and the secretariat.
    national_indices: bool,
    /// The province's position on each national index, for the same readers.
    national_rows: Vec<crate::routes::indices::leadership::LeaderRow>,
}

/// An open survey wave of the user's unit: where to print its QR code, and how far it is.
pub struct SurveyLine {
    pub href: String,
    pub wave: String,
    pub unit: String,
    pub closes: String,
    pub progress: String,
}

fn deadline_text(lang: Lang, task: &home::UnitTask) -> (String, bool) {
    match (task.days_left, task.deadline) {
        (Some(days), Some(date)) if days >= 0 => (
            i18n::fill(
                lang,
                "common.home_days_left",
                &[("n", &days), ("date", &i18n::date(date))],
            ),
            false,
        ),
        (Some(days), Some(date)) => (
            i18n::fill(
                lang,
                "common.home_days_late",
                &[("n", &(-days)), ("date", &i18n::date(date))],
            ),
            true,
        ),
        _ => (String::new(), false),
    }
}

/// A unit's sheet line: its status, the days left, an extension, explanations asked.
fn unit_line(lang: Lang, task: &home::UnitTask) -> UnitLine {
    let (deadline, late) = deadline_text(lang, task);
    UnitLine {
        campaign_id: task.campaign.id,
        campaign: task.campaign.title.clone(),
        unit: task.unit_name.clone(),
        href: task
            .sheet_id
            .map(|id| format!("/tu-danh-gia/{id}"))
            .unwrap_or_else(|| "/tu-danh-gia".into()),
        status: i18n::text(lang, &format!("assessment.status_{}", task.status.as_str())),
        deadline,
        late,
        extension: task
            .extended_until
            .map(|d| i18n::fill(lang, "common.home_extension", &[("date", &i18n::date(d))]))
            .unwrap_or_default(),
        explanations: if task.flagged > 0 {
            i18n::fill(
                lang,
                "common.home_explanations",
                &[("answered", &task.answered), ("flagged", &task.flagged)],
            )
        } else {
            String::new()
        },
    }
}

pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<HomePage> {
    let lang = context.lang;
    let all_units = chiso_store::units::list(&state.db).await?;
    let roles = principal
        .roles
        .iter()
        .map(|r| {
            let unit = r
                .unit_id
                .and_then(|id| all_units.iter().find(|u| u.id == id))
                .map(|u| u.name.clone());
            (r.role.as_str().to_string(), unit)
        })
        .collect();
    let home = home::load(&state.db, &state.clock, &principal).await?;
    let national_indices = principal.has_role(chiso_domain::access::Role::Viewer)
        || principal.can(chiso_domain::access::Permission::ManageCampaigns);
    let national_rows = if national_indices {
        crate::routes::indices::leadership::home_rows(&state, lang).await?
    } else {
        Vec::new()
    };
    let unit_lines = home.unit_tasks.iter().map(|t| unit_line(lang, t)).collect();
    let appraiser_lines = home
        .appraiser_tasks
        .iter()
        .map(|t| AppraiserLine {
            campaign: t.campaign.title.clone(),
            round: t.round,
            waiting: t.waiting,
            in_round: t.in_round,
        })
        .collect();
    let secretariat_lines = home
        .secretariat_tasks
        .iter()
        .map(|t| {
            let id = t.campaign.id;
            let (step_label, step_href) = match t.step {
                Some(CampaignStep::OpenRound(r)) => (
                    i18n::fill(lang, "checklist.title_open_round", &[("round", &r)]),
                    format!("/dot-danh-gia/{id}/kiem-tra?buoc=mo-vong&vong={r}"),
                ),
                Some(CampaignStep::Finalize) => (
                    i18n::text(lang, "checklist.title_finalize").to_string(),
                    format!("/dot-danh-gia/{id}/kiem-tra?buoc=chot-ket-qua"),
                ),
                Some(CampaignStep::Publish) => (
                    i18n::text(lang, "checklist.title_publish").to_string(),
                    format!("/dot-danh-gia/{id}/kiem-tra?buoc=cong-bo"),
                ),
                None => (
                    i18n::text(lang, "common.home_open_campaign").to_string(),
                    format!("/dot-danh-gia/{id}"),
                ),
            };
            SecretariatLine {
                campaign_id: id,
                campaign: t.campaign.title.clone(),
                state: i18n::text(
                    lang,
                    &format!("common.state_{}", t.campaign.state().as_str()),
                )
                .to_string(),
                step_label,
                step_href,
                not_submitted: t.not_submitted,
                late: t.late,
                below_target: t.below_target,
                blocking: t.blocking,
            }
        })
        .collect();
    Ok(HomePage {
        page: Page::new(&context, "common.nav_home"),
        roles,
        unit_lines,
        appraiser_lines,
        secretariat_lines,
        survey_lines: home
            .survey_tasks
            .iter()
            .map(|t| SurveyLine {
                href: format!(
                    "/khao-sat/dot/{}/don-vi/{}#short-link",
                    t.wave_id, t.unit_id
                ),
                wave: t.wave_title.clone(),
                unit: t.unit_name.clone(),
                closes: t.closes_on.map(i18n::date).unwrap_or_default(),
                progress: match t.target {
                    Some(target) => format!(
                        "{} / {}",
                        i18n::number(lang, t.responses as f64, 0),
                        i18n::number(lang, target as f64, 0)
                    ),
                    None => i18n::number(lang, t.responses as f64, 0),
                },
            })
            .collect(),
        published: home.published,
        campaigns: home.campaigns,
        national_indices,
        national_rows,
    })
}
