//! The server's charts as standalone SVG documents, for the PDF reports (docs/method.md §10):
//! the same layout as the page's inline charts (rows of [`ROW`] pixels, widths in % of the
//! chart, the band colours of the stylesheet), drawn in a fixed box with the colours written
//! on each shape, since a document has no stylesheet. Texts are escaped for XML.

use std::fmt::Write;

use super::{Chart, Distribution};

/// The width every standalone chart is drawn at (it is scaled to the page as a whole).
pub const WIDTH: f64 = 600.0;
const FONT: &str = "font-family=\"Noto Sans\" font-size=\"13\"";
const INK: &str = "#1d2433";
const TRACK: &str = "#eef1f6";

/// The fill of a bar of band `band` (0 = best), as in `static/app.css`.
pub fn band_colour(band: usize) -> &'static str {
    match band {
        0 => "#2e8b57",
        1 => "#3b6fd8",
        2 => "#d99100",
        _ => "#b3261e",
    }
}

/// Text made safe inside an SVG element or attribute.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn open(out: &mut String, height: f64, alt: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        xml(alt)
    );
}

/// x of a width given in % of the chart ("88.47").
fn at(percent: &str) -> f64 {
    percent.parse::<f64>().unwrap_or(0.0) / 100.0 * WIDTH
}

/// The horizontal bar chart of [`Chart`] (the ranking, survey factors) as a document.
pub fn bars(chart: &Chart, alt: &str) -> String {
    let mut out = String::new();
    open(&mut out, f64::from(chart.height), alt);
    for b in &chart.bars {
        let fill = band_colour(b.band);
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" {FONT} fill=\"{INK}\">{}</text>\
             <text x=\"{WIDTH}\" y=\"{}\" {FONT} font-weight=\"bold\" text-anchor=\"end\" fill=\"{INK}\">{}</text>\
             <rect x=\"0\" y=\"{}\" width=\"{WIDTH}\" height=\"12\" rx=\"2\" fill=\"{TRACK}\"/>\
             <rect x=\"0\" y=\"{}\" width=\"{:.1}\" height=\"12\" rx=\"2\" fill=\"{fill}\"/>",
            b.y_text,
            xml(&b.label),
            b.y_text,
            xml(&b.value),
            b.y_bar,
            b.y_bar,
            at(&b.width),
        );
        if let Some((low, high, _)) = &b.ci {
            let (low, high) = (at(low), at(high));
            let _ = write!(
                out,
                "<g stroke=\"{INK}\" stroke-width=\"1.5\"><line x1=\"{low:.1}\" x2=\"{high:.1}\" y1=\"{m}\" y2=\"{m}\"/>\
                 <line x1=\"{low:.1}\" x2=\"{low:.1}\" y1=\"{y}\" y2=\"{y2}\"/><line x1=\"{high:.1}\" x2=\"{high:.1}\" y1=\"{y}\" y2=\"{y2}\"/></g>",
                m = b.y_mid,
                y = b.y_bar,
                y2 = b.y_bar + 12,
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The stacked bar of classes as on the results page ([`Distribution`]), with its legend
/// written below in rows (a document has no wrapping).
pub fn distribution(chart: &Distribution) -> String {
    let per_row = 3;
    let rows = chart.segments.len().div_ceil(per_row).max(1);
    let mut out = String::new();
    open(&mut out, 34.0 + 20.0 * rows as f64, &chart.alt);
    let _ = write!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"22\" rx=\"3\" fill=\"{TRACK}\"/>"
    );
    for s in chart.segments.iter().filter(|s| s.count > 0) {
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"0\" width=\"{:.1}\" height=\"22\" fill=\"{}\"/>",
            at(&s.x),
            at(&s.width),
            band_colour(s.band)
        );
    }
    for (i, s) in chart.segments.iter().enumerate() {
        let (x, y) = (
            (i % per_row) as f64 * WIDTH / per_row as f64,
            34.0 + 20.0 * (i / per_row) as f64,
        );
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{y}\" {FONT} fill=\"{INK}\">{}</text>",
            y - 11.0,
            band_colour(s.band),
            x + 18.0,
            xml(&format!("{}: {} ({} %)", s.label, s.count, s.share)),
        );
    }
    out.push_str("</svg>");
    out
}

/// One area of a unit's profile: its label and the widths (% of the area's maximum) of the
/// unit, the group's average and the best unit.
pub struct ProfileRow<'a> {
    pub label: &'a str,
    pub widths: [&'a str; 3],
}

/// The unit's area profile as on its page: per area three bars (the unit, the average, the
/// best), with a legend (`legend`: the three names).
pub fn profile(rows: &[ProfileRow<'_>], legend: [&str; 3], alt: &str) -> String {
    const COLOURS: [&str; 3] = ["#3b6fd8", "#9aa5b8", "#2e8b57"];
    let row_height = 62.0;
    let mut out = String::new();
    open(&mut out, 24.0 + row_height * rows.len() as f64, alt);
    for (i, (name, colour)) in legend.iter().zip(COLOURS).enumerate() {
        let x = i as f64 * 160.0;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"15\" {FONT} fill=\"{INK}\">{}</text>",
            x + 18.0,
            xml(name)
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let top = 24.0 + row_height * i as f64;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" {FONT} fill=\"{INK}\">{}</text>",
            top + 14.0,
            xml(row.label)
        );
        for (k, (width, colour)) in row.widths.iter().zip(COLOURS).enumerate() {
            let _ = write!(
                out,
                "<rect x=\"0\" y=\"{}\" width=\"{:.1}\" height=\"11\" rx=\"2\" fill=\"{colour}\"/>",
                top + 20.0 + 14.0 * k as f64,
                at(width)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A point of a line over campaigns, already placed in a `WIDTH` × `height` box.
pub struct LinePoint<'a> {
    pub x: &'a str,
    pub y: &'a str,
    pub label: &'a str,
    pub value: &'a str,
    pub current: bool,
}

/// The unit's trend as on its page: the 0 and 100 lines, the line through the campaigns, each
/// point with its value above and its year below.
pub fn trend(points: &[LinePoint<'_>], height: f64, alt: &str) -> String {
    let mut out = String::new();
    open(&mut out, height, alt);
    let bottom = height - 30.0;
    let small = "font-family=\"Noto Sans\" font-size=\"11\"";
    let _ = write!(
        out,
        "<line x1=\"30\" y1=\"{bottom}\" x2=\"570\" y2=\"{bottom}\" stroke=\"#9aa5b8\"/>\
         <line x1=\"30\" y1=\"30\" x2=\"570\" y2=\"30\" stroke=\"#e3e7ee\" stroke-dasharray=\"4 3\"/>\
         <text x=\"4\" y=\"{}\" {small} fill=\"#556\">0</text><text x=\"4\" y=\"34\" {small} fill=\"#556\">100</text>",
        bottom + 4.0
    );
    let line: Vec<String> = points.iter().map(|p| format!("{},{}", p.x, p.y)).collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#3b6fd8\" stroke-width=\"2\"/>",
        line.join(" ")
    );
    for p in points {
        let dot = if p.current { "#d99100" } else { "#3b6fd8" };
        let y: f64 = p.y.parse().unwrap_or(0.0);
        let _ = write!(
            out,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"4\" fill=\"{dot}\"/>\
             <text x=\"{x}\" y=\"{}\" {small} text-anchor=\"middle\" fill=\"#556\">{}</text>\
             <text x=\"{x}\" y=\"{}\" {small} text-anchor=\"middle\" fill=\"#1a3f8a\">{}</text>",
            height - 10.0,
            xml(p.label),
            y - 8.0,
            xml(p.value),
            x = p.x,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{BarInput, ROW};
    use crate::i18n::Lang;

    #[test]
    fn a_bar_chart_document_escapes_names_and_keeps_the_pages_geometry() {
        let chart = Chart::horizontal(
            Lang::Vi,
            vec![BarInput {
                label: "1. Sở <A> & \"B\"".into(),
                value: 50.0,
                band: 2,
                ci: Some([40.0, 60.0]),
            }],
            2,
        );
        let svg = bars(&chart, "Xếp hạng");
        assert!(svg.contains("1. Sở &lt;A&gt; &amp; &quot;B&quot;"));
        assert!(svg.contains("width=\"300.0\""), "50 % of {WIDTH}: {svg}");
        assert!(svg.contains(band_colour(2)));
        assert!(svg.contains(&format!("height=\"{}\"", ROW + 4)));
        assert!(svg.contains("x1=\"240.0\" x2=\"360.0\""), "{svg}");
    }

    #[test]
    fn a_profile_has_three_bars_per_area() {
        let svg = profile(
            &[ProfileRow {
                label: "1. Chỉ đạo",
                widths: ["50.0", "25.0", "100.0"],
            }],
            ["Đơn vị", "Bình quân", "Cao nhất"],
            "Hồ sơ",
        );
        assert_eq!(svg.matches("height=\"11\"").count(), 3);
        assert!(svg.contains("width=\"600.0\""));
    }
}
