//! The leadership page of the national indices (`GET /chi-so-quoc-gia/tong-quan`): every
//! index the configured province tracks on one screen, with its latest value, rank and group,
//! the change from the previous year, the weakest dimension, one click from its detail, and
//! each index's trend; and its PDF for a meeting (`POST /chi-so-quoc-gia/tong-quan/bao-cao`),
//! made in the background like the campaign reports.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use chiso_report::{Chart, IndexRow, IndexTrend, LeadershipReport, Stage};

use super::pages::year_path;
use super::shared::{
    TrendView, WeightingForm, WeightingQuery, change_text, configured_province, decimals,
    group_label, index_name, populations, rank_of, trend_view, weighting_form,
};
use super::targets::target_row;
use crate::app::indices::import::{catalogue, roster};
use crate::app::indices::leadership::{self, IndexLine, Overview};
use crate::app::indices::standing::{Group, reference};
use crate::app::indices::targets::{self, TargetStatus};
use crate::app::indices::trend::WeightingChoice;
use crate::app::reports::{self as jobs, CacheKey, Order, ReportKind};
use crate::auth::Auth;
use crate::error::AppResult;
use crate::extract::{Form, Query, State};
use crate::i18n::{self, Lang};
use crate::routes::campaigns::shared::{Pairs, field};
use crate::state::AppState;
use crate::views::Page;

/// The leadership page's address.
pub const PATH: &str = crate::paths::INDICES_OVERVIEW;

/// One index on the page.
pub struct LeaderRow {
    pub index: String,
    pub name: String,
    pub href: String,
    pub year: i32,
    pub value: String,
    pub estimate: bool,
    pub rank: String,
    pub rank_published: bool,
    pub group: String,
    pub class: usize,
    pub change: String,
    pub weakest: String,
    pub weakest_href: String,
    /// The target column (`app::indices::targets`): the target of the row's year, else the
    /// next one, with its document and whether it was met; empty without a target.
    pub target: String,
    /// `met`, `missed` or `none` for the badge's colour.
    pub target_state: &'static str,
}

/// One index's trend.
pub struct TrendSection {
    pub index: String,
    pub name: String,
    pub href: String,
    pub view: TrendView,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/leadership.html")]
pub struct LeadershipPage {
    page: Page,
    province: Option<String>,
    rows: Vec<LeaderRow>,
    trends: Vec<TrendSection>,
    weighting: Option<WeightingForm>,
    weighting_value: &'static str,
}

fn weakest_text(lang: Lang, line: &IndexLine) -> String {
    let Some(w) = &line.weakest else {
        return String::new();
    };
    let title = match lang {
        Lang::Vi => &w.item.title,
        Lang::En => &w.item.title_en,
    };
    match (w.rank, w.share) {
        (Some(rank), _) => i18n::fill(
            lang,
            "national.weakest_by_rank",
            &[("title", title), ("rank", &rank), ("of", &w.of)],
        ),
        (None, Some(share)) => i18n::fill(
            lang,
            "national.weakest_by_share",
            &[("title", title), ("share", &i18n::number(lang, share, 1))],
        ),
        (None, None) => title.clone(),
    }
}

/// The target shown beside an index's latest year: that year's, else the nearest later one,
/// else the latest earlier one (docs/method.md §5.8), as "target (document): outcome".
fn target_of(
    lang: Lang,
    statuses: &[TargetStatus],
    index: &str,
    year: i32,
) -> (String, &'static str) {
    let year = i64::from(year);
    let of_index = statuses.iter().filter(|s| s.target.index_id == index);
    let Some(status) = of_index.min_by_key(|s| {
        let distance = s.target.year - year;
        (distance < 0, distance.abs())
    }) else {
        return (String::new(), "none");
    };
    let row = target_row(lang, status);
    let mut text = row.target.clone();
    if row.year != year {
        text = i18n::fill(
            lang,
            "national.target_of_year",
            &[("year", &row.year), ("target", &text)],
        );
    }
    if !row.document.is_empty() {
        text = format!("{text} ({})", row.document);
    }
    (format!("{text}: {}", row.outcome), row.state)
}

fn row(lang: Lang, line: &IndexLine, statuses: &[TargetStatus]) -> LeaderRow {
    let (target, target_state) = target_of(lang, statuses, &line.index, line.year);
    let decimals = decimals(&line.structure);
    let value = super::shared::figure_or_dash(lang, line.value, decimals);
    LeaderRow {
        index: line.index.clone(),
        name: index_name(lang, &line.index, Some(&line.structure)),
        href: year_path(&line.index, line.year),
        year: line.year,
        value: if line.estimate {
            i18n::fill(lang, "national.estimate_cell", &[("value", &value)])
        } else {
            value
        },
        estimate: line.estimate,
        rank: rank_of(line.rank, line.of),
        rank_published: line.rank_published,
        group: line
            .group
            .as_ref()
            .map(|g| group_label(lang, g))
            .unwrap_or_default(),
        class: line.group.as_ref().map_or(0, Group::class),
        change: line
            .change
            .as_ref()
            .map(|c| change_text(lang, c, decimals))
            .unwrap_or_default(),
        weakest: weakest_text(lang, line),
        weakest_href: format!("{}#weakest", year_path(&line.index, line.year)),
        target,
        target_state,
    }
}

fn trends(lang: Lang, overview: &Overview) -> Vec<TrendSection> {
    overview
        .lines
        .iter()
        .filter_map(|line| {
            let name = index_name(lang, &line.index, Some(&line.structure));
            let view = trend_view(
                lang,
                &name,
                &overview.province,
                &line.trend,
                decimals(&line.structure),
            )?;
            Some(TrendSection {
                index: line.index.clone(),
                href: year_path(&line.index, line.year),
                name,
                view,
            })
        })
        .collect()
}

/// The rows of the leadership page for the home page of those it is for (the province's
/// position on every index it tracks at a glance, docs/method.md §5.8): none without a
/// configured province.
pub(crate) async fn home_rows(state: &AppState, lang: Lang) -> AppResult<Vec<LeaderRow>> {
    let Some(overview) = load(state, state.config.index_weighting).await? else {
        return Ok(Vec::new());
    };
    let statuses = target_statuses(state).await?;
    Ok(overview
        .lines
        .iter()
        .map(|l| row(lang, l, &statuses))
        .collect())
}

/// The province's targets with their outcomes.
async fn target_statuses(state: &AppState) -> AppResult<Vec<TargetStatus>> {
    Ok(
        targets::evaluate_targets(&state.db, catalogue(), roster(), state.config.province())
            .await?,
    )
}

async fn load(state: &AppState, weighting: WeightingChoice) -> AppResult<Option<Overview>> {
    let Some(province) = configured_province(state) else {
        return Ok(None);
    };
    let populations = populations(state);
    let overview = leadership::overview(
        &state.db,
        reference(),
        &province,
        weighting,
        populations.as_deref(),
    )
    .await?;
    Ok(Some(overview))
}

#[tracing::instrument(skip_all)]
pub async fn page(
    State(state): State<AppState>,
    Auth(_principal, context): Auth,
    Query(query): Query<WeightingQuery>,
) -> AppResult<LeadershipPage> {
    let lang = context.lang;
    let weighting = query.choice(&state);
    let overview = load(&state, weighting).await?;
    let statuses = target_statuses(&state).await?;
    let mut page = Page::new(&context, "national.leadership_title");
    if let Some(o) = &overview {
        page.title = format!("{} – {}", page.title, o.province.name);
    }
    Ok(LeadershipPage {
        page,
        province: overview.as_ref().map(|o| o.province.name.clone()),
        rows: overview
            .iter()
            .flat_map(|o| o.lines.iter().map(|l| row(lang, l, &statuses)))
            .collect(),
        trends: overview
            .as_ref()
            .map(|o| trends(lang, o))
            .unwrap_or_default(),
        weighting: overview
            .as_ref()
            .filter(|o| o.province.merged())
            .map(|_| weighting_form(lang, PATH.to_string(), weighting)),
        weighting_value: weighting.as_str(),
    })
}

/// The report's data: the page's table and trends, in Vietnamese as the documents a province
/// files.
fn report(state: &AppState, overview: &Overview, statuses: &[TargetStatus]) -> LeadershipReport {
    let lang = Lang::Vi;
    let rows = overview
        .lines
        .iter()
        .map(|l| row(lang, l, statuses))
        .collect::<Vec<_>>();
    LeadershipReport {
        authority: state.config.authority_name.clone(),
        province: overview.province.name.clone(),
        date: i18n::date(state.clock.today()),
        rows: rows
            .into_iter()
            .map(|r| IndexRow {
                index: r.name,
                year: r.year.to_string(),
                value: r.value,
                rank: r.rank,
                group: r.group,
                change: r.change,
                weakest: r.weakest,
                target: r.target,
            })
            .collect(),
        notes: vec![i18n::text(lang, "national.report_note").to_string()],
        trends: trends(lang, overview)
            .into_iter()
            .map(|t| IndexTrend {
                chart: t.view.svg.map(|svg| Chart {
                    caption: i18n::fill(
                        lang,
                        "national.report_chart",
                        &[("index", &t.name), ("province", &overview.province.name)],
                    ),
                    svg,
                }),
                index: t.name,
                headers: t.view.headers,
                rows: t
                    .view
                    .rows
                    .into_iter()
                    .map(|r| {
                        let mut cells = vec![r.year.to_string()];
                        cells.extend(r.cells);
                        cells.push(r.change);
                        cells
                    })
                    .collect(),
                notes: t.view.notes,
            })
            .collect(),
    }
}

/// Starts the PDF of the leadership page (with the weighting asked) and sends the browser to
/// the job's page.
#[tracing::instrument(skip_all)]
pub async fn start_report(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let weighting =
        WeightingChoice::parse(field(&pairs, "trong_so")).unwrap_or(state.config.index_weighting);
    let Some(overview) = load(&state, weighting).await? else {
        return Ok(Redirect::to(PATH).into_response());
    };
    let statuses = target_statuses(&state).await?;
    let data = report(&state, &overview, &statuses);
    let job = jobs::start(
        &state,
        &principal,
        Order {
            campaign_id: 0,
            kind: ReportKind::NationalIndices,
            file_name: format!("chi-so-quoc-gia-{}.pdf", overview.province.code),
            cache: Some(CacheKey {
                kind: ReportKind::NationalIndices,
                campaign_id: 0,
                unit_id: None,
                stamp: format!(
                    "{}:{}:{}",
                    overview.province.code, overview.stamp, data.date
                ),
            }),
            make: move |progress: &mut dyn FnMut(Stage)| {
                chiso_report::leadership_report(&data, progress)
            },
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/bao-cao/{job}")).into_response())
}
