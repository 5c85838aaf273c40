//! Two to five units of a group side by side, area by area
//! (GET /dot-danh-gia/{id}/ket-qua/don-vi/{unit}/so-sanh?voi=…): a grouped bar chart drawn on
//! the server, the table of points and area ranks, and the totals. The comparison is the
//! application layer's ([`crate::app::results::compare`]).

use crate::app::results::compare::{self, MOST};
use crate::forms::Pairs;

use super::*;

/// A unit compared, as the page names it.
pub struct Column {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub points: String,
    pub index: String,
    pub rank: u32,
    pub classification: String,
    pub band: usize,
}

/// One unit's value in an area.
pub struct Cell {
    pub points: String,
    pub rank: u32,
    /// Bar width in % of the area's maximum (a dot, for SVG).
    pub width: String,
    /// The bar's top in the area's chart, in pixels.
    pub y: usize,
    /// The best of the units compared in this area.
    pub best: bool,
}

/// An area across the units compared.
pub struct AreaRow {
    pub code: String,
    pub title: String,
    pub max: String,
    pub cells: Vec<Cell>,
    /// The area's chart in words (its text alternative).
    pub alt: String,
}

/// A unit of the group the picker offers.
pub struct Choice {
    pub unit_id: i64,
    pub label: String,
    pub checked: bool,
    pub anchor: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "results/compare.html")]
pub struct ComparePage {
    page: Page,
    s: Standing,
    columns: Vec<Column>,
    areas: Vec<AreaRow>,
    choices: Vec<Choice>,
    /// The chart's height per area, in pixels.
    chart_height: usize,
    notices: Vec<String>,
    unit_href: String,
    action: String,
}

const BAR: usize = 11;
const GAP: usize = 3;

#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Query(pairs): Query<Pairs>,
) -> AppResult<ComparePage> {
    let (campaign_id, unit_id) = ids.get()?;
    let s = UnitStanding::load(&state, &principal, campaign_id, unit_id).await?;
    let lang = context.lang;
    let asked: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "voi")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect();
    let comparison = compare::compare(&s.evaluation, unit_id, &asked);
    let columns: Vec<Column> = comparison
        .units
        .iter()
        .map(|u| {
            let (code, name) = s.names(&u.code);
            Column {
                unit_id: u.code.parse().unwrap_or_default(),
                code: code.to_string(),
                name: name.to_string(),
                points: pts(lang, u.points.points),
                index: index_text(lang, u.index_hundredths),
                rank: u.rank,
                classification: u.classification.clone(),
                band: band_of(&s.bands, &u.classification),
            }
        })
        .collect();
    let areas = area_rows(lang, &s, &comparison, &columns);
    let mut notices = Vec::new();
    if comparison.outside_group > 0 {
        notices.push(i18n::fill(
            lang,
            "results.compare_outside_group",
            &[("n", &comparison.outside_group)],
        ));
    }
    if comparison.past_limit > 0 {
        notices.push(i18n::fill(
            lang,
            "results.compare_past_limit",
            &[("n", &comparison.past_limit), ("most", &MOST)],
        ));
    }
    let chosen: Vec<i64> = columns.iter().map(|c| c.unit_id).collect();
    let choices = s
        .evaluation
        .units
        .iter()
        .map(|u| {
            let id: i64 = u.code.parse().unwrap_or_default();
            let (code, name) = s.names(&u.code);
            Choice {
                unit_id: id,
                label: format!("{code} – {name}"),
                checked: chosen.contains(&id),
                anchor: id == unit_id,
            }
        })
        .collect();
    let mut page = Page::new(&context, "results.compare_title");
    let top = standing(lang, &s);
    page.title = format!("{} – {}", page.title, s.campaign.title);
    Ok(ComparePage {
        page,
        chart_height: columns.len() * (BAR + GAP) + GAP,
        columns,
        areas,
        choices,
        notices,
        unit_href: unit_path(campaign_id, unit_id),
        action: format!("{}/so-sanh", unit_path(campaign_id, unit_id)),
        s: top,
    })
}

fn area_rows(
    lang: Lang,
    s: &UnitStanding,
    comparison: &compare::Comparison<'_>,
    columns: &[Column],
) -> Vec<AreaRow> {
    let framework = s.framework();
    let anchor = s.outcome();
    anchor
        .areas
        .iter()
        .enumerate()
        .map(|(position, area)| {
            let node = framework.node(area.node);
            let values: Vec<&chiso_domain::evaluation::AreaOutcome> = comparison
                .units
                .iter()
                .map(|u| &u.areas[position])
                .collect();
            let best = values
                .iter()
                .map(|a| a.points)
                .max()
                .unwrap_or(Points::ZERO);
            let cells: Vec<Cell> = values
                .iter()
                .enumerate()
                .map(|(i, a)| Cell {
                    points: pts(lang, a.points),
                    rank: a.rank,
                    width: width(a.points, a.max_points),
                    y: GAP + i * (BAR + GAP),
                    best: a.points == best && values.len() > 1,
                })
                .collect();
            let alt = columns
                .iter()
                .zip(&cells)
                .map(|(c, cell)| format!("{} {}", c.name, cell.points))
                .collect::<Vec<_>>()
                .join(", ");
            AreaRow {
                code: node.code.clone(),
                title: node.title.clone(),
                max: pts(lang, area.max_points),
                alt: format!(
                    "{}. {}: {alt} / {}",
                    node.code,
                    node.title,
                    pts(lang, area.max_points)
                ),
                cells,
            }
        })
        .collect()
}
