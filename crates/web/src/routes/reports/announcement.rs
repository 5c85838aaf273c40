//! The results announcement (docs/method.md §10.3): its form, filled with what the campaign
//! and the configuration say (the authority, the place in its name, today, the summary and
//! the usual paragraphs), and the document made from the published ranking. Only the
//! secretariat and the administrator issue one, only once the results are published; each
//! one issued is written to the audit log with its number and signer.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::campaign::CampaignState;
use chiso_report::{AnnouncedGroup, AnnouncedRow, Announcement, Stage};
use chiso_store::assessments::PublishedResults;
use chiso_store::campaigns::{self, CampaignRow};
use chrono::{Datelike, NaiveDate};

use super::campaign::results_for;
use super::{may_announce, text};
use crate::app::reports::{self as jobs, Order, ReportKind};
use crate::auth::{Auth, Context, Principal};
use crate::error::{AppError, AppResult};
use crate::extract::{PathId, State};
use crate::i18n::{self, Lang};
use crate::routes::campaigns::shared::{Pairs, field, group_label, parse_date};
use crate::state::AppState;
use crate::views::Page;

const LANG: Lang = Lang::Vi;

/// The form's fields, as typed (or as proposed).
pub struct Fields {
    pub superior: String,
    pub number: String,
    pub place: String,
    pub date: String,
    pub summary: String,
    pub opening: String,
    pub closing: String,
    pub recipients: String,
    pub capacity: String,
    pub signer_title: String,
    pub signer_name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/announcement.html")]
pub struct FormPage {
    page: Page,
    campaign_id: i64,
    campaign_title: String,
    f: Fields,
    /// What is wrong with the form, each naming its field.
    problems: Vec<String>,
}

/// The place name inside the authority's name: "Ủy ban nhân dân tỉnh Thừa Thiên Huế" gives
/// "Thừa Thiên Huế"; empty when the name has none.
pub(crate) fn place_of(authority: &str) -> String {
    let lower = authority.to_lowercase();
    for prefix in [
        "ủy ban nhân dân tỉnh",
        "uỷ ban nhân dân tỉnh",
        "ủy ban nhân dân thành phố",
        "uỷ ban nhân dân thành phố",
        "ubnd tỉnh",
        "ubnd thành phố",
    ] {
        if lower.starts_with(prefix) {
            let cut = authority
                .char_indices()
                .nth(prefix.chars().count())
                .map_or(authority.len(), |(i, _)| i);
            return authority[cut..].trim().to_string();
        }
    }
    String::new()
}

fn proposed(state: &AppState, campaign: &CampaignRow) -> Fields {
    let authority = &state.config.authority_name;
    let year = campaign.year.to_string();
    let args = [
        ("year", year.as_str()),
        ("authority", authority.as_str()),
        ("campaign", campaign.title.as_str()),
    ];
    Fields {
        superior: String::new(),
        number: String::new(),
        place: place_of(authority),
        date: state.clock.today().format("%Y-%m-%d").to_string(),
        summary: text("reports.default_summary", &args),
        opening: text("reports.default_opening", &args),
        closing: text("reports.default_closing", &args),
        recipients: text("reports.default_recipients", &args),
        capacity: text("reports.default_capacity", &args),
        signer_title: text("reports.default_signer_title", &args),
        signer_name: String::new(),
    }
}

/// The campaign, for a user who may issue its announcement: Forbidden for others, NotFound
/// before its results are published.
async fn campaign_of(
    state: &AppState,
    principal: &Principal,
    id: PathId,
) -> AppResult<(CampaignRow, PublishedResults)> {
    // The id first: an address naming no campaign is not found for everyone, as on every
    // results page.
    let id = id.get()?;
    if !may_announce(principal) {
        return Err(AppError::Forbidden);
    }
    let (campaign, results, published) = results_for(state, principal, id).await?;
    if !published || campaign.state() != CampaignState::Published {
        return Err(AppError::NotFound);
    }
    Ok((campaign, results))
}

/// The announcement's form, with the proposed values.
pub async fn form(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<FormPage> {
    let (campaign, _) = campaign_of(&state, &principal, id).await?;
    Ok(FormPage {
        page: Page::new(&context, "reports.announcement_title"),
        campaign_id: campaign.id,
        f: proposed(&state, &campaign),
        campaign_title: campaign.title,
        problems: Vec::new(),
    })
}

/// Lines of a text area, trimmed, without empty ones and without a list's leading "- ".
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().trim_start_matches("- ").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Checks the form and starts the document, or shows the form again with its problems.
pub(super) async fn start(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    id: PathId,
    pairs: &Pairs,
) -> AppResult<Response> {
    let (campaign, results) = campaign_of(state, principal, id).await?;
    let lang = context.lang;
    let f = Fields {
        superior: field(pairs, "superior").to_string(),
        number: field(pairs, "number").to_string(),
        place: field(pairs, "place").to_string(),
        date: field(pairs, "date").to_string(),
        summary: field(pairs, "summary").to_string(),
        opening: field(pairs, "opening").to_string(),
        closing: field(pairs, "closing").to_string(),
        recipients: field(pairs, "recipients").to_string(),
        capacity: field(pairs, "capacity").to_string(),
        signer_title: field(pairs, "signer_title").to_string(),
        signer_name: field(pairs, "signer_name").to_string(),
    };
    let mut problems = Vec::new();
    for (name, value) in [
        ("number", &f.number),
        ("place", &f.place),
        ("summary", &f.summary),
        ("signer_title", &f.signer_title),
        ("signer_name", &f.signer_name),
    ] {
        if value.is_empty() {
            problems.push(i18n::fill(
                lang,
                "reports.missing",
                &[("field", &i18n::text(lang, &format!("reports.field_{name}")))],
            ));
        }
    }
    let date = parse_date(&f.date);
    if date.is_none() {
        problems.push(i18n::fill(
            lang,
            "reports.bad_date",
            &[("field", &i18n::text(lang, "reports.field_date"))],
        ));
    }
    let Some(date) = date.filter(|_| problems.is_empty()) else {
        let page = FormPage {
            page: Page::new(context, "reports.announcement_title"),
            campaign_id: campaign.id,
            campaign_title: campaign.title.clone(),
            f,
            problems,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let document = document(&f, date, &state.config.authority_name, &results);
    campaigns::record_announcement(
        &state.db,
        &principal.actor(),
        campaign.id,
        &format!("{} · {} {}", f.number, f.signer_title, f.signer_name),
    )
    .await?;
    let job = jobs::start(
        state,
        principal,
        Order {
            campaign_id: campaign.id,
            kind: ReportKind::Announcement,
            file_name: format!("thong-bao-ket-qua-dot-{}.pdf", campaign.id),
            cache: None,
            make: move |progress: &mut dyn FnMut(Stage)| {
                chiso_report::announcement(&document, progress)
            },
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/bao-cao/{job}")).into_response())
}

/// The document: the form's texts around the published ranking of every group.
fn document(
    f: &Fields,
    date: NaiveDate,
    authority: &str,
    results: &PublishedResults,
) -> Announcement {
    Announcement {
        superior: (!f.superior.is_empty()).then(|| f.superior.clone()),
        authority: authority.to_string(),
        number: f.number.clone(),
        place: f.place.clone(),
        day: format!("{:02}", date.day()),
        month: format!("{:02}", date.month()),
        year: date.year().to_string(),
        summary: f.summary.clone(),
        opening: lines(&f.opening),
        groups: results
            .groups
            .iter()
            .filter(|g| !g.units.is_empty())
            .map(|g| AnnouncedGroup {
                label: group_label(LANG, &g.unit_group),
                rows: g
                    .units
                    .iter()
                    .enumerate()
                    .map(|(i, u)| AnnouncedRow {
                        stt: (i + 1).to_string(),
                        unit: u.unit_name.clone(),
                        index: crate::routes::results::index_text(LANG, u.index_hundredths),
                        rank: u.rank.to_string(),
                        classification: u.classification.clone(),
                    })
                    .collect(),
            })
            .collect(),
        closing: lines(&f.closing),
        recipients: lines(&f.recipients),
        capacity: lines(&f.capacity),
        signer_title: f.signer_title.clone(),
        signer_name: f.signer_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_is_read_from_the_authoritys_name() {
        assert_eq!(
            place_of("Ủy ban nhân dân tỉnh Thừa Thiên Huế"),
            "Thừa Thiên Huế"
        );
        assert_eq!(place_of("ỦY BAN NHÂN DÂN THÀNH PHỐ Hà Nội"), "Hà Nội");
        assert_eq!(place_of("Ủy ban nhân dân tỉnh"), "");
        assert_eq!(place_of("Sở Nội vụ"), "");
    }

    #[test]
    fn list_lines_lose_their_dashes_and_blanks() {
        assert_eq!(
            lines("- Như trên;\n\n  - Lưu: VT.\n"),
            ["Như trên;", "Lưu: VT."]
        );
    }
}
