//! Times the reports on campaigns generated in memory (README "Benchmarks", docs/method.md
//! §10): the demo's size (20 departments and 30 communes), the 34 provinces and 3,300
//! communes, each with 8 areas and 40 leaves lost per unit, with and without the appendix.
//!
//! ```sh
//! cargo run --release -p chiso-report --example scale            # every size
//! cargo run --release -p chiso-report --example scale -- 3300    # one group of 3,300 units
//! ```

use std::time::Instant;

use chiso_report::*;

const AREAS: usize = 8;

/// A deterministic value in [0, 1) from a seed.
fn noise(seed: usize) -> f64 {
    let x = (seed as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 33) % 10_000) as f64 / 10_000.0
}

fn number(value: f64) -> String {
    format!("{value:.2}").replace('.', ",")
}

/// A bar chart as the server draws it: one 40-pixel row per bar.
fn bars(values: &[(String, f64)]) -> Chart {
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 600 {h}\" width=\"600\" height=\"{h}\">",
        h = values.len() * 40 + 4
    );
    for (i, (label, value)) in values.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-family=\"Noto Sans\" font-size=\"13\">{label}</text>\
             <rect x=\"0\" y=\"{}\" width=\"600\" height=\"12\" fill=\"#eef1f6\"/>\
             <rect x=\"0\" y=\"{}\" width=\"{:.1}\" height=\"12\" fill=\"#2e8b57\"/>",
            i * 40 + 15,
            i * 40 + 21,
            i * 40 + 21,
            value * 6.0
        ));
    }
    svg.push_str("</svg>");
    Chart {
        caption: "Biểu đồ".into(),
        svg,
    }
}

fn group(label: &str, units: usize, appendix: &mut Vec<UnitSheet>) -> RankedGroup {
    let indices: Vec<f64> = (0..units).map(|u| 50.0 + 50.0 * noise(u)).collect();
    let mut order: Vec<usize> = (0..units).collect();
    order.sort_by(|a, b| indices[*b].total_cmp(&indices[*a]));
    let name = |u: usize| format!("{label} số {:04} «Hòa Bình – Quảng Điền»", u + 1);
    let rows: Vec<RankRow> = order
        .iter()
        .enumerate()
        .map(|(i, &u)| RankRow {
            stt: (i + 1).to_string(),
            unit: name(u),
            areas: (0..AREAS)
                .map(|a| number(12.5 * noise(u * 31 + a)))
                .collect(),
            points: number(indices[u]),
            index: number(indices[u]),
            rank: (i + 1).to_string(),
            classification: if indices[u] >= 80.0 { "Tốt" } else { "Khá" }.into(),
            change: "+1,25 (tăng 2 bậc)".into(),
        })
        .collect();
    for (i, &u) in order.iter().enumerate() {
        appendix.push(UnitSheet {
            unit: name(u),
            group: label.into(),
            framework: "Bộ tiêu chí 2026".into(),
            points: number(indices[u]),
            max: "100".into(),
            index: number(indices[u]),
            rank: (i + 1).to_string(),
            of: units.to_string(),
            classification: rows[i].classification.clone(),
            areas: (0..AREAS)
                .map(|a| AreaLine {
                    code: (a + 1).to_string(),
                    title: format!("Lĩnh vực cải cách thứ {}", a + 1),
                    points: number(12.5 * noise(u * 31 + a)),
                    max: "12,5".into(),
                    average: "9,1".into(),
                    best: "12,5".into(),
                    rank: ((u + a) % units + 1).to_string(),
                })
                .collect(),
            profile: Some(bars(
                &(0..AREAS)
                    .map(|a| (format!("Lĩnh vực {}", a + 1), 100.0 * noise(u * 31 + a)))
                    .collect::<Vec<_>>(),
            )),
            losses: (0..10)
                .map(|l| LossLine {
                    code: format!("{}.{}", l % AREAS + 1, l / AREAS + 1),
                    title: "Tiêu chí thành phần về thủ tục hành chính".into(),
                    points: "0,5".into(),
                    max: "1".into(),
                    lost: "0,5".into(),
                    best: "1".into(),
                    median: "0,75".into(),
                })
                .collect(),
            ..UnitSheet::default()
        });
    }
    RankedGroup {
        label: label.into(),
        framework: "Bộ tiêu chí 2026".into(),
        max: "100".into(),
        units: units.to_string(),
        average_index: "75,00".into(),
        distribution: vec![
            Count {
                label: "Tốt".into(),
                count: "1".into(),
            },
            Count {
                label: "Khá".into(),
                count: "1".into(),
            },
        ],
        areas: (0..AREAS)
            .map(|a| AreaHead {
                code: (a + 1).to_string(),
                title: format!("Lĩnh vực cải cách thứ {}", a + 1),
                max: "12,5".into(),
            })
            .collect(),
        charts: if units <= 40 {
            vec![bars(
                &order
                    .iter()
                    .map(|&u| (name(u), indices[u]))
                    .collect::<Vec<_>>(),
            )]
        } else {
            Vec::new()
        },
        rows,
        excluded: Vec::new(),
        weakest_areas: Vec::new(),
        weakest_leaves: Vec::new(),
    }
}

fn campaign(groups: &[(&str, usize)]) -> CampaignReport {
    let mut appendix = Vec::new();
    let groups = groups
        .iter()
        .map(|(label, units)| group(label, *units, &mut appendix))
        .collect();
    CampaignReport {
        heading: Heading {
            authority: "Ủy ban nhân dân tỉnh Thừa Thiên Huế".into(),
            campaign: "Chỉ số CCHC năm 2026".into(),
            year: "2026".into(),
            date: "07/12/2026".into(),
            status: "Đã công bố".into(),
            preview: false,
        },
        compared_with: None,
        bands: vec!["Tốt: từ 80".into(), "Khá".into()],
        classes: vec!["Tốt".into(), "Khá".into()],
        groups,
        surveys: Vec::new(),
        appendix,
        appendix_note: None,
    }
}

/// With `CHISO_REPORT_OUT=DIR`, each PDF is also written there to be looked at.
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("CHISO_REPORT_OUT") {
        let file = std::path::Path::new(&dir).join(format!("{name}.pdf"));
        std::fs::write(&file, pdf).expect("the PDF is written");
    }
}

fn time(what: &str, report: &CampaignReport) {
    let started = Instant::now();
    let pdf = campaign_report(report, &mut |_| {}).expect("the report is made");
    keep(
        &what
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>(),
        &pdf,
    );
    println!(
        "{what}: {:.2} s, {} KiB",
        started.elapsed().as_secs_f64(),
        pdf.len() / 1024
    );
}

fn main() {
    let only: Option<usize> = std::env::args().nth(1).and_then(|a| a.parse().ok());
    let sizes: Vec<(&str, Vec<(&str, usize)>)> = match only {
        Some(n) => vec![("custom", vec![("Đơn vị", n)])],
        None => vec![
            (
                "demo (20 departments + 30 communes)",
                vec![("Sở, ban, ngành", 20), ("Xã, phường", 30)],
            ),
            ("34 provinces", vec![("Tỉnh, thành phố", 34)]),
            ("3,300 communes", vec![("Xã, phường", 3300)]),
        ],
    };
    for (label, groups) in sizes {
        let mut report = campaign(&groups);
        time(&format!("{label}, with the appendix"), &report);
        report.appendix.clear();
        time(&format!("{label}, without the appendix"), &report);
    }
    let unit = UnitReport {
        heading: campaign(&[]).heading,
        sheet: {
            let mut sheets = Vec::new();
            group("Sở", 20, &mut sheets);
            sheets.remove(0)
        },
    };
    let started = Instant::now();
    let pdf = unit_report(&unit, &mut |_| {}).expect("the unit report is made");
    println!("one unit: {:.2} s", started.elapsed().as_secs_f64());
    keep("unit", &pdf);
}
