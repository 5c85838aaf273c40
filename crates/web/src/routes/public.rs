//! The public results pages (no login): `/cong-khai` lists the published campaigns,
//! `/cong-khai/{id}` a campaign's rankings with their charts, `/cong-khai/{id}/don-vi/{unit}`
//! a unit's standing, areas and trend. They show only what a publication holds (docs/method.md
//! §2.9) and carry no session, token or account; pages are rendered once per publication
//! ([`crate::app::public`]).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chiso_domain::Bands;
use chiso_store::assessments::{self, PublishedResults};

use crate::app::public;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::extract::PathId;
use crate::i18n::{self, Lang};
use crate::routes::campaigns::shared::{group_label, pts};
use crate::routes::results::{band_of, distribution};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cong-khai", get(index))
        .route("/cong-khai/logo", get(logo))
        .route("/cong-khai/{id}", get(results))
        .route("/cong-khai/{id}/don-vi/{unit}", get(unit))
}

/// What every public page carries: its language, title and the authority's branding.
struct Frame {
    lang: Lang,
    title: String,
    authority: String,
    has_logo: bool,
}

fn frame(state: &AppState, lang: Lang, title: String) -> Frame {
    Frame {
        lang,
        title,
        authority: state.config.authority_name.clone(),
        has_logo: state.logo.is_some(),
    }
}

macro_rules! public_page {
    ($name:ident, $path:literal { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name {
            lang: Lang,
            title: String,
            authority: String,
            has_logo: bool,
            $($field: $ty),*
        }

        impl $name {
            fn t(&self, key: &str) -> &'static str {
                i18n::text(self.lang, key)
            }
        }
    };
}

public_page!(IndexPage, "public/index.html" {
    campaigns: Vec<(i64, String, String)>,
});

/// A group's ranking as the public sees it.
struct PublicGroup {
    key: String,
    label: String,
    sample: bool,
    areas: Vec<(String, String)>,
    rows: Vec<PublicRow>,
    chart: crate::charts::Chart,
    map: Option<crate::tile_map::TileMap>,
    distribution: crate::charts::Distribution,
}

struct PublicRow {
    unit_id: i64,
    code: String,
    name: String,
    rank: u32,
    index: String,
    classification: String,
    band: usize,
    areas: Vec<String>,
}

public_page!(ResultsPage, "public/results.html" {
    campaign_id: i64,
    campaign_title: String,
    published_on: String,
    groups: Vec<PublicGroup>,
});

struct PublicArea {
    code: String,
    title: String,
    points: String,
    max: String,
    average: String,
    best: String,
    rank: u32,
    widths: [String; 3],
}

public_page!(UnitPage, "public/unit.html" {
    campaign_id: i64,
    campaign_title: String,
    unit_id: i64,
    unit_name: String,
    group: String,
    index: String,
    rank: u32,
    of: usize,
    classification: String,
    band: usize,
    areas: Vec<PublicArea>,
    trend: Vec<(i64, i64, String, String, String)>,
});

/// Serves a page from the cache, or renders and keeps it.
/// Whether the browser takes gzip (`Accept-Encoding`).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// The page for `key` at the publication `version`, rendered once; gzip-compressed once too,
/// and sent compressed to a browser that takes it.
async fn cached<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    key: String,
    version: &str,
    render: F,
) -> AppResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<String>>,
{
    let page = match state.public.get(&key, version) {
        Some(page) => page,
        None => state.public.put(key, version.to_string(), render().await?),
    };
    let cache = (header::CACHE_CONTROL, "public, max-age=60");
    let vary = (header::VARY, "accept-encoding");
    if takes_gzip(headers) {
        return Ok((
            [
                cache,
                vary,
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            page.gzip.as_ref().clone(),
        )
            .into_response());
    }
    Ok(([cache, vary], Html(page.html.as_str().to_string())).into_response())
}

fn rendered(template: impl Template) -> AppResult<String> {
    template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))
}

fn index_text(lang: Lang, hundredths: i64) -> String {
    i18n::number(lang, hundredths as f64 / 100.0, 2)
}

async fn index(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    headers: HeaderMap,
) -> AppResult<Response> {
    let lang = context.lang;
    let (campaigns, version) = public::published(&state.db).await?;
    let key = format!("{}:/cong-khai", lang.code());
    cached(&state, &headers, key, &version, || async {
        let mut listed = Vec::new();
        for c in &campaigns {
            let on = assessments::published_results(&state.db, c.id)
                .await?
                .map(|r| i18n::date(r.published_at.date_naive()))
                .unwrap_or_default();
            listed.push((c.id, c.title.clone(), on));
        }
        let f = frame(
            &state,
            lang,
            i18n::text(lang, "public.index_title").to_string(),
        );
        rendered(IndexPage {
            lang: f.lang,
            title: f.title,
            authority: f.authority,
            has_logo: f.has_logo,
            campaigns: listed,
        })
    })
    .await
}

/// A published campaign's snapshot, or not found (drafts and unpublished campaigns do not
/// exist here).
async fn published_results(
    state: &AppState,
    id: i64,
    published: &[chiso_store::campaigns::CampaignRow],
) -> AppResult<PublishedResults> {
    if !published.iter().any(|c| c.id == id) {
        return Err(AppError::NotFound);
    }
    assessments::published_results(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn results(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    id: PathId,
    headers: HeaderMap,
) -> AppResult<Response> {
    let id = id.get()?;
    let lang = context.lang;
    let (campaigns, version) = public::published(&state.db).await?;
    if !campaigns.iter().any(|c| c.id == id) {
        return Err(AppError::NotFound);
    }
    let key = format!("{}:/cong-khai/{id}", lang.code());
    // The snapshot is read only when the page is not cached for this publication.
    cached(&state, &headers, key, &version, || async {
        let r = published_results(&state, id, &campaigns).await?;
        let bands = Bands::parse(&r.bands).unwrap_or_default();
        let groups = r
            .groups
            .iter()
            .filter(|g| !g.units.is_empty())
            .map(|g| PublicGroup {
                key: crate::routes::appraisal::slug(&g.unit_group),
                label: group_label(lang, &g.unit_group),
                sample: g.sample,
                areas: g.units[0]
                    .areas
                    .iter()
                    .map(|a| (a.code.clone(), a.title.clone()))
                    .collect(),
                rows: g
                    .units
                    .iter()
                    .map(|u| PublicRow {
                        unit_id: u.unit_id,
                        code: u.unit_code.clone(),
                        name: u.unit_name.clone(),
                        rank: u.rank,
                        index: index_text(lang, u.index_hundredths),
                        classification: u.classification.clone(),
                        band: band_of(&bands, &u.classification),
                        areas: u.areas.iter().map(|a| pts(lang, a.points)).collect(),
                    })
                    .collect(),
                chart: crate::charts::Chart::horizontal(
                    lang,
                    g.units
                        .iter()
                        .map(|u| crate::charts::BarInput {
                            label: format!("{}. {}", u.rank, u.unit_name),
                            value: (u.index_hundredths as f64 / 100.0).clamp(0.0, 100.0),
                            band: band_of(&bands, &u.classification),
                            ci: None,
                        })
                        .collect(),
                    2,
                ),
                map: crate::routes::appraisal::province_map(
                    lang,
                    &r,
                    &Some(bands.clone()),
                    g,
                    |unit| format!("/cong-khai/{id}/don-vi/{unit}"),
                ),
                distribution: distribution(lang, &bands, g),
            })
            .collect();
        let f = frame(&state, lang, r.title.clone());
        rendered(ResultsPage {
            lang: f.lang,
            title: f.title,
            authority: f.authority,
            has_logo: f.has_logo,
            campaign_id: id,
            campaign_title: r.title.clone(),
            published_on: i18n::date(r.published_at.date_naive()),
            groups,
        })
    })
    .await
}

async fn unit(
    State(state): State<AppState>,
    Ctx(context): Ctx,
    ids: PathId<(i64, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (id, unit_id) = ids.get()?;
    let lang = context.lang;
    let (campaigns, version) = public::published(&state.db).await?;
    if !campaigns.iter().any(|c| c.id == id) {
        return Err(AppError::NotFound);
    }
    let key = format!("{}:/cong-khai/{id}/don-vi/{unit_id}", lang.code());
    // The snapshot is read only when the page is not cached for this publication.
    cached(&state, &headers, key, &version, || async {
        let r = published_results(&state, id, &campaigns).await?;
        let (group, unit) = r
            .groups
            .iter()
            .find_map(|g| {
                g.units
                    .iter()
                    .find(|u| u.unit_id == unit_id)
                    .map(|u| (g, u))
            })
            .ok_or(AppError::NotFound)?;
        let bands = Bands::parse(&r.bands).unwrap_or_default();
        let areas = unit
            .areas
            .iter()
            .enumerate()
            .map(|(i, area)| {
                let all: Vec<i64> = group
                    .units
                    .iter()
                    .filter_map(|u| u.areas.get(i))
                    .map(|a| a.points.ten_thousandths())
                    .collect();
                let best = chiso_domain::Points::from_ten_thousandths(
                    all.iter().copied().max().unwrap_or(0),
                );
                let average = chiso_domain::Points::from_ten_thousandths(
                    all.iter().sum::<i64>() / all.len().max(1) as i64,
                );
                let width = |p: chiso_domain::Points| {
                    let share = p.to_f64() / area.max_points.to_f64().max(f64::MIN_POSITIVE);
                    format!("{:.1}", (share * 100.0).clamp(0.0, 100.0))
                };
                PublicArea {
                    code: area.code.clone(),
                    title: area.title.clone(),
                    points: pts(lang, area.points),
                    max: pts(lang, area.max_points),
                    average: pts(lang, average),
                    best: pts(lang, best),
                    rank: area.rank,
                    widths: [width(area.points), width(average), width(best)],
                }
            })
            .collect();
        let mut trend = Vec::new();
        for c in &campaigns {
            let Some(results) = assessments::published_results(&state.db, c.id).await? else {
                continue;
            };
            for g in &results.groups {
                if let Some(u) = g.units.iter().find(|u| u.unit_id == unit_id) {
                    trend.push((
                        c.id,
                        c.year,
                        c.title.clone(),
                        index_text(lang, u.index_hundredths),
                        format!("{}/{}", u.rank, g.units.len()),
                    ));
                }
            }
        }
        trend.sort_by_key(|t| (t.1, t.0));
        let f = frame(&state, lang, unit.unit_name.clone());
        rendered(UnitPage {
            lang: f.lang,
            title: f.title,
            authority: f.authority,
            has_logo: f.has_logo,
            campaign_id: id,
            campaign_title: r.title.clone(),
            unit_id,
            unit_name: unit.unit_name.clone(),
            group: group_label(lang, &group.unit_group),
            index: index_text(lang, unit.index_hundredths),
            rank: unit.rank,
            of: group.units.len(),
            classification: unit.classification.clone(),
            band: band_of(&bands, &unit.classification),
            areas,
            trend,
        })
    })
    .await
}

async fn logo(State(state): State<AppState>) -> Response {
    match &state.logo {
        Some(logo) => (
            [
                (header::CONTENT_TYPE, logo.content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            logo.bytes.as_ref().clone(),
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}
