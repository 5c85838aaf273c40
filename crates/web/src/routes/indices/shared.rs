//! What the national indices' pages and the leadership report write alike: an index's name,
//! values as published, groups, ranks "of" the provinces, changes in words, and a province's
//! trend drawn and tabled (docs/method.md §5.7, §6.5).

use chiso_domain::change::Weighting;
use chiso_domain::indices::{Grouping, Structure, hundredths};

use crate::app::indices::standing::{Group, Province, reference};
use crate::app::indices::trend::{self, LineKind, Populations, Trend, WeightingChoice};
use crate::charts::series::{self, SeriesInput, Style};
use crate::i18n::{self, Lang};
use crate::state::AppState;

/// The index's name in the reader's language: the locale's short name, else the structure's
/// title.
pub(crate) fn index_name(lang: Lang, index: &str, structure: Option<&Structure>) -> String {
    if let Some(name) = i18n::lookup(lang, &format!("national.name.{index}")) {
        return name.to_string();
    }
    match (structure, lang) {
        (Some(s), Lang::En) => s.title_en.clone(),
        (Some(s), Lang::Vi) => s.title.clone(),
        (None, _) => index.to_string(),
    }
}

/// Decimals a value of the structure is written with: two (as ranked), four on a 0–1 scale.
pub(crate) fn decimals(structure: &Structure) -> usize {
    if structure.scale.max <= 1.0 { 4 } else { 2 }
}

/// A value as published: rounded half away from zero on its published digits.
pub(crate) fn figure(lang: Lang, value: f64, decimals: usize) -> String {
    if decimals == 2 {
        i18n::number(lang, hundredths(value) as f64 / 100.0, 2)
    } else {
        i18n::number(lang, value, decimals)
    }
}

/// A change with its sign.
pub(crate) fn signed(lang: Lang, value: f64, decimals: usize) -> String {
    let text = figure(lang, value, decimals);
    if value > 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{text}")
    } else {
        text
    }
}

/// A group's name: "Nhóm 1" (quartiles) or the band's label ("Nhóm A").
pub(crate) fn group_label(lang: Lang, group: &Group) -> String {
    match group {
        Group::Quartile(n) => i18n::fill(lang, "national.quartile", &[("n", n)]),
        Group::Band { label, .. } => i18n::fill(lang, "national.band", &[("label", label)]),
    }
}

/// The groups of a structure, best first, with how each is reached.
pub(crate) fn group_legend(lang: Lang, structure: &Structure) -> Vec<(usize, String)> {
    match &structure.grouping {
        Grouping::None => Vec::new(),
        Grouping::Quartiles => (1..=4u8)
            .map(|n| {
                (
                    usize::from(n - 1),
                    format!(
                        "{}: {}",
                        group_label(lang, &Group::Quartile(n)),
                        i18n::text(lang, &format!("national.quartile_{n}"))
                    ),
                )
            })
            .collect(),
        Grouping::Bands { bands, .. } => bands
            .iter()
            .enumerate()
            .map(|(i, band)| {
                let name = i18n::fill(lang, "national.band", &[("label", &band.label)]);
                let text = match band.min {
                    Some(min) => i18n::fill(
                        lang,
                        "national.band_from",
                        &[("name", &name), ("min", &figure(lang, min, 0))],
                    ),
                    None => name,
                };
                (i, text)
            })
            .collect(),
    }
}

/// "3/63", or "—" without a rank.
pub(crate) fn rank_of(rank: Option<u32>, of: usize) -> String {
    match rank {
        Some(rank) if of > 0 => format!("{rank}/{of}"),
        Some(rank) => rank.to_string(),
        None => "—".to_string(),
    }
}

/// Places gained or lost, in words.
pub(crate) fn places(lang: Lang, places: i64) -> String {
    let n = places.abs();
    match places.cmp(&0) {
        std::cmp::Ordering::Greater => i18n::fill(lang, "national.places_up", &[("n", &n)]),
        std::cmp::Ordering::Less => i18n::fill(lang, "national.places_down", &[("n", &n)]),
        std::cmp::Ordering::Equal => i18n::text(lang, "national.places_same").to_string(),
    }
}

/// A change of the province's value (and rank, where comparable) in words.
pub(crate) fn change_text(lang: Lang, change: &trend::Change, decimals: usize) -> String {
    let value = change.value.map(|v| signed(lang, v, decimals));
    if change.against_estimate {
        return value
            .map(|v| i18n::fill(lang, "national.change_against_estimate", &[("change", &v)]))
            .unwrap_or_default();
    }
    let rank = match change.rank {
        Some(rank) => Some(places(lang, rank)),
        None if change.across_merger => {
            Some(i18n::text(lang, "national.rank_not_comparable").to_string())
        }
        None => None,
    };
    match (value, rank) {
        (Some(v), Some(r)) => format!("{v} ({r})"),
        (Some(v), None) => v,
        (None, Some(r)) => r,
        (None, None) => String::new(),
    }
}

/// A value, or "—" when only a rank was published.
pub(crate) fn figure_or_dash(lang: Lang, value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".to_string(), |v| figure(lang, v, decimals))
}

/// How an estimate was weighted, in words.
pub(crate) fn weighting_label(lang: Lang, used: Weighting) -> &'static str {
    match used {
        Weighting::Mean => i18n::text(lang, "national.weighting_equal"),
        Weighting::Weighted => i18n::text(lang, "national.weighting_population"),
    }
}

/// The trend of one index for the province, drawn and tabled.
pub struct TrendView {
    /// The chart, from two points on.
    pub svg: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<TrendRow>,
    pub notes: Vec<String>,
}

pub struct TrendRow {
    pub year: i32,
    pub cells: Vec<String>,
    pub change: String,
}

fn line_label(lang: Lang, province: &Province, trend: &Trend, line: &trend::Line) -> String {
    match line.kind {
        LineKind::Predecessor => {
            i18n::fill(lang, "national.line_predecessor", &[("name", &line.name)])
        }
        LineKind::Estimate => {
            let used = trend.weighting.map_or(Weighting::Mean, |w| w.used);
            i18n::fill(
                lang,
                "national.line_estimate",
                &[
                    ("name", &province.name),
                    ("weighting", &weighting_label(lang, used)),
                ],
            )
        }
        LineKind::Province => match province.predecessors.as_slice() {
            [single] if single.name != province.name && line.points.keys().any(|y| *y <= 2024) => {
                i18n::fill(
                    lang,
                    "national.line_renamed",
                    &[("name", &province.name), ("before", &single.name)],
                )
            }
            _ => province.name.clone(),
        },
    }
}

/// The trend's chart (with its text alternative), its table by year and its notes; `None`
/// without a point.
pub(crate) fn trend_view(
    lang: Lang,
    index_name: &str,
    province: &Province,
    trend: &Trend,
    decimals: usize,
) -> Option<TrendView> {
    if trend.years.is_empty() {
        return None;
    }
    let mut others = 0;
    let labels: Vec<String> = trend
        .lines
        .iter()
        .map(|l| line_label(lang, province, trend, l))
        .collect();
    let inputs: Vec<SeriesInput> = trend
        .lines
        .iter()
        .zip(&labels)
        .map(|(line, label)| SeriesInput {
            label: label.clone(),
            style: match line.kind {
                LineKind::Province => Style::Main,
                LineKind::Estimate => Style::Estimate,
                LineKind::Predecessor => {
                    others += 1;
                    Style::Other(others - 1)
                }
            },
            points: line
                .points
                .iter()
                .filter_map(|(y, p)| p.value.map(|v| (*y, v)))
                .collect(),
        })
        .collect();
    let described: Vec<String> = trend
        .lines
        .iter()
        .zip(&labels)
        .map(|(line, label)| {
            let points: Vec<String> = line
                .points
                .iter()
                .map(|(y, p)| format!("{y} {}", figure_or_dash(lang, p.value, decimals)))
                .collect();
            format!("{label}: {}", points.join("; "))
        })
        .collect();
    let alt = format!(
        "{}. {}.",
        i18n::fill(
            lang,
            "national.trend_alt",
            &[("index", &index_name), ("province", &province.name)]
        ),
        described.join(". ")
    );
    // A line needs two points: with fewer the table says it all.
    let plotted: usize = inputs.iter().map(|i| i.points.len()).sum();
    let svg = (plotted >= 2).then(|| {
        series::lines(
            lang,
            &inputs,
            decimals,
            i18n::text(lang, "national.merger_rule"),
            &alt,
        )
    });
    let rows = trend
        .years
        .iter()
        .map(|year| TrendRow {
            year: *year,
            cells: trend
                .lines
                .iter()
                .map(|line| match line.points.get(year) {
                    Some(p) if line.kind == LineKind::Estimate => {
                        let mut text = i18n::fill(
                            lang,
                            "national.estimate_cell",
                            &[("value", &figure_or_dash(lang, p.value, decimals))],
                        );
                        if !p.left_out.is_empty() {
                            text.push_str(&i18n::fill(
                                lang,
                                "national.left_out",
                                &[("names", &p.left_out.join(", "))],
                            ));
                        }
                        text
                    }
                    Some(p) => format!(
                        "{} ({})",
                        figure_or_dash(lang, p.value, decimals),
                        rank_of(p.rank, p.of)
                    ),
                    None => "—".to_string(),
                })
                .collect(),
            change: trend
                .changes
                .get(year)
                .map(|c| change_text(lang, c, decimals))
                .unwrap_or_default(),
        })
        .collect();
    let mut notes = Vec::new();
    if let Some(weighting) = trend.weighting {
        notes.push(i18n::fill(
            lang,
            "national.estimate_note",
            &[
                ("name", &province.name),
                ("weighting", &weighting_label(lang, weighting.used)),
            ],
        ));
        if weighting.populations_missing {
            notes.push(i18n::text(lang, "national.populations_missing").to_string());
        }
    }
    if trend.years.first().is_some_and(|y| *y <= 2024)
        && trend.years.last().is_some_and(|y| *y >= 2025)
    {
        notes.push(i18n::text(lang, "national.ranks_note").to_string());
    }
    let mut headers = vec![i18n::text(lang, "national.col_year").to_string()];
    headers.extend(labels);
    Some(TrendView {
        svg,
        headers,
        rows,
        notes,
    })
}

/// The weighting asked in the address (`?trong_so=dan-so`), else the configured one.
#[derive(serde::Deserialize, Default)]
pub struct WeightingQuery {
    #[serde(default)]
    trong_so: String,
}

impl WeightingQuery {
    pub(crate) fn choice(&self, state: &AppState) -> WeightingChoice {
        WeightingChoice::parse(&self.trong_so).unwrap_or(state.config.index_weighting)
    }
}

/// The configured province, when it names one.
pub(crate) fn configured_province(state: &AppState) -> Option<Province> {
    state
        .config
        .province_code
        .as_deref()
        .and_then(|code| Province::resolve(reference(), code))
}

/// The configured populations, when a file is set (read and checked at start).
pub(crate) fn populations(state: &AppState) -> Option<std::sync::Arc<Populations>> {
    let path = state.config.population_file.as_deref()?;
    trend::Populations::load(path, reference())
        .map_err(|error| tracing::warn!(%error, "population file"))
        .ok()
}

/// The weighting selector of a merged province's trend.
pub struct WeightingForm {
    pub action: String,
    pub options: Vec<(&'static str, &'static str, bool)>,
}

pub(crate) fn weighting_form(
    lang: Lang,
    action: String,
    current: WeightingChoice,
) -> WeightingForm {
    WeightingForm {
        action,
        options: [WeightingChoice::Equal, WeightingChoice::Population]
            .into_iter()
            .map(|c| {
                let key = match c {
                    WeightingChoice::Equal => "national.weighting_equal_option",
                    WeightingChoice::Population => "national.weighting_population_option",
                };
                (c.as_str(), i18n::text(lang, key), c == current)
            })
            .collect(),
    }
}
