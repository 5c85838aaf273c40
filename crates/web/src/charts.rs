//! Charts drawn on the server as inline SVG (no script, nothing to load): horizontal bars with
//! optional 95 % interval whiskers (the council's ranking, survey factors and unit rankings) and
//! a trend line over periods. Lengths along the value axis are in % of the chart's width, so the
//! bars follow the page's width while the text keeps its size on a phone.

pub mod series;
pub mod standalone;

use crate::i18n::{self, Lang};

/// Height of one bar's row: a line of text above a 12-pixel bar.
pub const ROW: u32 = 40;

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: String,
    /// The bar's width in % of the chart, with a dot for SVG.
    pub width: String,
    pub y_text: u32,
    pub y_bar: u32,
    /// A colour class (for the council: the unit's class among the bands, 0 = best).
    pub band: usize,
    /// The 95 % interval as (low %, high %, text), drawn as a whisker over the bar.
    pub ci: Option<(String, String, String)>,
    /// The whisker's vertical middle.
    pub y_mid: u32,
}

/// A horizontal bar chart.
pub struct Chart {
    pub height: u32,
    pub bars: Vec<Bar>,
}

/// What a bar shows: its label, its value on a 0–100 scale, its colour class and an optional
/// 95 % interval.
pub struct BarInput {
    pub label: String,
    pub value: f64,
    pub band: usize,
    pub ci: Option<[f64; 2]>,
}

impl Chart {
    /// Bars of values on a 0–100 scale (clamped), in the order given, values written with
    /// `decimals` in the page's language.
    pub fn horizontal(lang: Lang, bars: Vec<BarInput>, decimals: usize) -> Chart {
        let bars: Vec<Bar> = bars
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let value = b.value.clamp(0.0, 100.0);
                let y_bar = i as u32 * ROW + 21;
                Bar {
                    value: i18n::number(lang, b.value, decimals),
                    width: format!("{value:.2}"),
                    y_text: i as u32 * ROW + 15,
                    y_bar,
                    y_mid: y_bar + 6,
                    band: b.band,
                    ci: b.ci.map(|[low, high]| {
                        (
                            format!("{:.2}", low.clamp(0.0, 100.0)),
                            format!("{:.2}", high.clamp(0.0, 100.0)),
                            format!(
                                "{} – {}",
                                i18n::number(lang, low, decimals),
                                i18n::number(lang, high, decimals)
                            ),
                        )
                    }),
                    label: b.label,
                }
            })
            .collect();
        Chart {
            height: bars.len() as u32 * ROW + 4,
            bars,
        }
    }
}

/// One class of a [`Distribution`]: its share of the bar and its legend entry.
pub struct Segment {
    pub label: String,
    pub count: usize,
    /// The share written in the page's language ("12,5").
    pub share: String,
    /// Where the segment starts and how wide it is, in % of the bar, with a dot for SVG.
    pub x: String,
    pub width: String,
    /// The class's position among the bands (0 = best): its colour.
    pub band: usize,
}

/// The units of a group by classification as one stacked bar (best class on the left) with a
/// legend of counts and shares: the same picture on the results page, the dashboard, the
/// public page (template `charts/distribution.html`) and the PDF
/// ([`standalone::distribution`]).
pub struct Distribution {
    pub segments: Vec<Segment>,
    pub total: usize,
    /// The text alternative: every class with its count and share.
    pub alt: String,
}

impl Distribution {
    /// From (label, count, band position) in the bands' order.
    pub fn new(lang: Lang, classes: &[(String, usize, usize)]) -> Distribution {
        let total: usize = classes.iter().map(|c| c.1).sum();
        let mut start = 0.0;
        let segments: Vec<Segment> = classes
            .iter()
            .map(|(label, count, band)| {
                let width = if total == 0 {
                    0.0
                } else {
                    *count as f64 * 100.0 / total as f64
                };
                let segment = Segment {
                    label: label.clone(),
                    count: *count,
                    share: i18n::number(lang, width, 1),
                    x: format!("{start:.2}"),
                    width: format!("{width:.2}"),
                    band: *band,
                };
                start += width;
                segment
            })
            .collect();
        let parts: Vec<String> = segments
            .iter()
            .map(|s| {
                i18n::fill(
                    lang,
                    "results.distribution_item",
                    &[
                        ("label", &s.label),
                        ("count", &s.count),
                        ("share", &s.share),
                    ],
                )
            })
            .collect();
        let alt = format!(
            "{}: {}",
            i18n::text(lang, "results.distribution"),
            parts.join("; ")
        );
        Distribution {
            segments,
            total,
            alt,
        }
    }

    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// One point of a trend line.
pub struct TrendPoint {
    pub x: String,
    pub y: String,
    pub label: String,
    pub value: String,
}

/// A line over periods on a 0–100 scale, drawn in a fixed 600 × 220 box that the browser scales
/// as a whole (text included), so it reads the same on a phone.
pub struct Trend {
    /// The `points` attribute of the polyline.
    pub polyline: String,
    pub points: Vec<TrendPoint>,
    /// Gridlines at 0, 25, 50, 75 and 100: (y, label).
    pub grid: Vec<(String, String)>,
}

/// Chart box of [`Trend`].
pub const TREND_WIDTH: f64 = 600.0;
pub const TREND_HEIGHT: f64 = 220.0;
const TREND_LEFT: f64 = 40.0;
const TREND_TOP: f64 = 16.0;
const TREND_BOTTOM: f64 = 36.0;

impl Trend {
    /// A line through `(label, value)` in order; points without a value are left out.
    pub fn new(lang: Lang, values: &[(String, Option<f64>)], decimals: usize) -> Trend {
        let plot_height = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM;
        let y_of = |v: f64| TREND_TOP + plot_height * (1.0 - v.clamp(0.0, 100.0) / 100.0);
        let step = if values.len() > 1 {
            (TREND_WIDTH - TREND_LEFT - 30.0) / (values.len() - 1) as f64
        } else {
            0.0
        };
        let points: Vec<TrendPoint> = values
            .iter()
            .enumerate()
            .filter_map(|(i, (label, value))| {
                let value = (*value)?;
                let x = if values.len() > 1 {
                    TREND_LEFT + 10.0 + step * i as f64
                } else {
                    (TREND_WIDTH + TREND_LEFT) / 2.0
                };
                Some(TrendPoint {
                    x: format!("{x:.1}"),
                    y: format!("{:.1}", y_of(value)),
                    label: label.clone(),
                    value: i18n::number(lang, value, decimals),
                })
            })
            .collect();
        Trend {
            polyline: points
                .iter()
                .map(|p| format!("{},{}", p.x, p.y))
                .collect::<Vec<_>>()
                .join(" "),
            points,
            grid: [0.0, 25.0, 50.0, 75.0, 100.0]
                .iter()
                .map(|v| (format!("{:.1}", y_of(*v)), format!("{v}")))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_laid_out_in_rows_with_clamped_widths_and_whiskers() {
        let chart = Chart::horizontal(
            Lang::Vi,
            vec![
                BarInput {
                    label: "A".into(),
                    value: 88.474,
                    band: 0,
                    ci: Some([80.0, 96.5]),
                },
                BarInput {
                    label: "B".into(),
                    value: 120.0,
                    band: 1,
                    ci: None,
                },
            ],
            2,
        );
        assert_eq!(chart.height, 2 * ROW + 4);
        assert_eq!(chart.bars[0].value, "88,47");
        assert_eq!(chart.bars[0].ci.as_ref().unwrap().0, "80.00");
        assert_eq!(chart.bars[1].width, "100.00");
        assert_eq!(chart.bars[1].y_bar, ROW + 21);
    }

    #[test]
    fn a_distribution_stacks_the_classes_in_order_with_shares_that_add_up() {
        let classes = [
            ("Xuất sắc".to_string(), 1, 0),
            ("Tốt".to_string(), 0, 1),
            ("Khá".to_string(), 3, 2),
            ("Trung bình".to_string(), 4, 3),
        ];
        let chart = Distribution::new(Lang::Vi, &classes);
        assert_eq!(chart.total, 8);
        let widths: Vec<&str> = chart.segments.iter().map(|s| s.width.as_str()).collect();
        assert_eq!(widths, ["12.50", "0.00", "37.50", "50.00"]);
        let starts: Vec<&str> = chart.segments.iter().map(|s| s.x.as_str()).collect();
        assert_eq!(starts, ["0.00", "12.50", "12.50", "50.00"]);
        assert_eq!(chart.segments[0].share, "12,5");
        assert!(
            chart.alt.contains("Khá: 3 đơn vị (37,5 %)"),
            "{}",
            chart.alt
        );
        assert!(Distribution::new(Lang::Vi, &[("Tốt".into(), 0, 0)]).is_empty());
    }

    #[test]
    fn a_trend_skips_missing_values() {
        let trend = Trend::new(
            Lang::Vi,
            &[
                ("2024".into(), Some(50.0)),
                ("2025".into(), None),
                ("2026".into(), Some(100.0)),
            ],
            1,
        );
        assert_eq!(trend.points.len(), 2);
        assert_eq!(trend.points[1].y, format!("{TREND_TOP:.1}"));
        assert!(trend.polyline.contains(' '));
    }
}
