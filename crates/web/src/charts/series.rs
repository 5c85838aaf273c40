//! Several lines over years in one SVG document (a province's index across the 2025 merger:
//! each predecessor, the estimate of the merged unit dashed, the province itself), with a
//! legend, the years below, a value axis fitted to the values and, when the years span the
//! merger, a rule between 2024 and 2025. The colours and the font are written on each shape,
//! so the same document serves the page (inline) and the PDF report.

use std::fmt::Write;

use super::standalone::xml;
use crate::i18n::{self, Lang};

const WIDTH: f64 = 600.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 20.0;
const PLOT: f64 = 190.0;
const BOTTOM: f64 = 30.0;
const FONT: &str = "font-family=\"Noto Sans, sans-serif\"";
const INK: &str = "#1d2433";
const MUTED: &str = "#5b6577";

/// The colours of the lines: the province, the estimate, then the predecessors in turn.
pub const PROVINCE_COLOUR: &str = "#1a3f8a";
pub const ESTIMATE_COLOUR: &str = "#b36b00";
const OTHER_COLOURS: [&str; 4] = ["#2e8b57", "#b3261e", "#7b4fbf", "#5b6577"];

/// What a line is drawn as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// The main line: thick, its values written above its points.
    Main,
    /// An estimate: dashed.
    Estimate,
    /// Another line, the n-th of its kind (its colour).
    Other(usize),
}

/// One line: its legend and its points (year, value).
pub struct SeriesInput {
    pub label: String,
    pub style: Style,
    pub points: Vec<(i32, f64)>,
}

impl Style {
    fn colour(self) -> &'static str {
        match self {
            Style::Main => PROVINCE_COLOUR,
            Style::Estimate => ESTIMATE_COLOUR,
            Style::Other(n) => OTHER_COLOURS[n % OTHER_COLOURS.len()],
        }
    }
}

/// A step of 1, 2, 2.5 or 5 times a power of ten, near a quarter of the range.
fn nice_step(range: f64) -> f64 {
    let raw = (range / 4.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// The value axis: from a multiple of the step at or below the lowest value to one at or above
/// the highest, at least one step apart.
fn axis(values: &[f64]) -> (f64, f64, f64) {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // One value (or equal values): a range of a tenth of it, at least 1, around it.
    let range = if high - low > 1e-9 {
        high - low
    } else {
        (high.abs() / 10.0).max(1.0)
    };
    let step = nice_step(range);
    let mut bottom = (low / step).floor() * step;
    let mut top = (high / step).ceil() * step;
    if top - bottom < step {
        bottom -= step;
        top += step;
    }
    (bottom, top, step)
}

/// Legend entries laid out in rows: (x, row) of each.
fn legend_layout(labels: &[&str]) -> (Vec<(f64, usize)>, usize) {
    let mut placed = Vec::new();
    let (mut x, mut row) = (0.0, 0);
    for label in labels {
        let width = 30.0 + label.chars().count() as f64 * 6.6;
        if x > 0.0 && x + width > WIDTH {
            x = 0.0;
            row += 1;
        }
        placed.push((x, row));
        x += width + 12.0;
    }
    (placed, if labels.is_empty() { 0 } else { row + 1 })
}

/// The chart as an SVG document (`alt` is its text alternative). `divider` names the rule
/// drawn between 2024 and 2025 when the years span both.
pub fn lines(
    lang: Lang,
    series: &[SeriesInput],
    decimals: usize,
    divider: &str,
    alt: &str,
) -> String {
    let mut years: Vec<i32> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    years.sort_unstable();
    years.dedup();
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .collect();
    let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    let (legend, legend_rows) = legend_layout(&labels);
    let top = 12.0 + legend_rows as f64 * 20.0;
    let height = top + PLOT + BOTTOM;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"{}\" class=\"series-chart\">",
        xml(alt)
    );
    for ((x, row), s) in legend.iter().zip(series) {
        let y = 10.0 + *row as f64 * 20.0;
        let dash = if s.style == Style::Estimate {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<line x1=\"{x}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"3\"{dash}/>\
             <text x=\"{}\" y=\"{}\" {FONT} font-size=\"13\" fill=\"{INK}\">{}</text>",
            x + 24.0,
            s.style.colour(),
            x + 30.0,
            y + 4.0,
            xml(&s.label)
        );
    }
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        out.push_str("</svg>");
        return out;
    };
    let (bottom, upper, step) = axis(&values);
    let y_of = |v: f64| top + PLOT * (1.0 - (v - bottom) / (upper - bottom));
    let span = f64::from(last - first).max(1.0);
    let x_of = |year: f64| {
        if first == last {
            (LEFT + WIDTH - RIGHT) / 2.0
        } else {
            LEFT + 12.0 + (WIDTH - LEFT - RIGHT - 24.0) * (year - f64::from(first)) / span
        }
    };
    let mut tick = bottom;
    while tick <= upper + step / 2.0 {
        let y = y_of(tick);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e7ee\"/>\
             <text x=\"{}\" y=\"{:.1}\" {FONT} font-size=\"12\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            i18n::number(lang, tick, if step < 1.0 { decimals.max(1) } else { 0 })
        );
        tick += step;
    }
    if first <= 2024 && last >= 2025 {
        let x = x_of(2024.5);
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"{MUTED}\" stroke-dasharray=\"2 3\"/>\
             <text x=\"{:.1}\" y=\"{}\" {FONT} font-size=\"12\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>",
            top + PLOT,
            x - 4.0,
            top + 12.0,
            xml(divider)
        );
    }
    for year in &years {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" {FONT} font-size=\"12\" text-anchor=\"middle\" fill=\"{MUTED}\">{year}</text>",
            x_of(f64::from(*year)),
            height - 10.0
        );
    }
    for s in series {
        let colour = s.style.colour();
        let mut points: Vec<(i32, f64)> = s.points.clone();
        points.sort_by_key(|p| p.0);
        let path: Vec<String> = points
            .iter()
            .map(|(year, v)| format!("{:.1},{:.1}", x_of(f64::from(*year)), y_of(*v)))
            .collect();
        let (width, dash) = match s.style {
            Style::Main => ("3", ""),
            Style::Estimate => ("2.5", " stroke-dasharray=\"6 4\""),
            Style::Other(_) => ("2", ""),
        };
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\"{dash}/>",
            path.join(" ")
        );
        for (year, v) in &points {
            let (x, y) = (x_of(f64::from(*year)), y_of(*v));
            let value = i18n::number(lang, *v, decimals);
            let _ = write!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{colour}\"><title>{}, {year}: {value}</title></circle>",
                xml(&s.label)
            );
            if s.style == Style::Main {
                let _ = write!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{:.1}\" {FONT} font-size=\"12\" text-anchor=\"middle\" fill=\"{colour}\">{value}</text>",
                    y - 9.0
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_axis_fits_the_values_on_round_steps() {
        assert_eq!(axis(&[83.06, 88.47, 89.32]), (82.0, 90.0, 2.0));
        let (bottom, top, step) = axis(&[46.04]);
        assert!(
            bottom < 46.04 && top > 46.04 && step >= 1.0,
            "{bottom} {top} {step}"
        );
        assert_eq!(nice_step(10.0), 2.5);
    }

    #[test]
    fn lines_legend_years_and_the_merger_rule() {
        let svg = lines(
            Lang::Vi,
            &[
                SeriesInput {
                    label: "Quảng Bình".into(),
                    style: Style::Other(0),
                    points: vec![(2023, 82.33), (2024, 84.0)],
                },
                SeriesInput {
                    label: "Ước tính <bình quân>".into(),
                    style: Style::Estimate,
                    points: vec![(2023, 83.0), (2024, 84.5)],
                },
                SeriesInput {
                    label: "Quảng Trị".into(),
                    style: Style::Main,
                    points: vec![(2025, 86.1)],
                },
            ],
            2,
            "Từ 1/7/2025: 34 tỉnh",
            "Xu hướng",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Ước tính &lt;bình quân&gt;"), "{svg}");
        assert!(svg.contains("stroke-dasharray=\"6 4\""));
        assert!(svg.contains("Từ 1/7/2025: 34 tỉnh"));
        assert!(
            svg.contains(">86,10<"),
            "the main line's value is written: {svg}"
        );
        assert_eq!(svg.matches("<polyline").count(), 3);
        for year in ["2023", "2024", "2025"] {
            assert!(svg.contains(&format!(">{year}<")), "{year}");
        }
    }
}
