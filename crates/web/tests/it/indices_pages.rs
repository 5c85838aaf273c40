//! The national indices' pages on both backends (docs/method.md §5.4–§5.7, §6.5): an index's
//! year against hand-computed ranks, ties, quartile groups, regional ranks, averages and gaps,
//! with two provinces without results; a partial year of the bundled figures; a merged
//! province's trend with its estimate by equal weights and by population; the leadership page
//! and its PDF.

use chiso_interchange::indices::{ReadOptions, read_indices};
use chiso_interchange::table::FileKind;
use chiso_store::Actor;
use chiso_store::indices::{self, ImportSource};

use crate::common::{self, TestApp, location};
use crate::reports::{finish, pdf_text, start};
use crate::vietnamese_pages::findings;

/// Imports an `indices.csv` text for one index, as the secretariat would.
pub(crate) async fn import(app: &TestApp, index: &str, csv: &str) {
    let catalogue = chiso_refdata::index_catalogue();
    let roster = chiso_refdata::province_roster();
    let options = ReadOptions {
        catalogue: &catalogue,
        roster: &roster,
        index: Some(index),
        year: None,
    };
    let report = read_indices("indices.csv", csv.as_bytes(), FileKind::Csv, options).unwrap();
    indices::import(
        &app.db,
        &Actor::system("test"),
        "indices.csv",
        &ImportSource::default(),
        &report,
    )
    .await
    .unwrap();
}

/// The totals of PAPI 2023 in the fixture: twelve set by hand (the top eleven, with a tie at 8
/// and one at 10 made by rounding 45.004 and 44.995 to 45.00, then Huế 12th), the 49 other
/// provinces 30.00 + 0.20·k in the order of the list, Quảng Ninh (22) and Bình Dương (74)
/// listed without a result.
const EXPLICIT: [(&str, &str); 12] = [
    ("01", "50.00"),
    ("31", "49.00"),
    ("48", "48.50"),
    ("79", "48.00"),
    ("92", "47.00"),
    ("56", "46.50"),
    ("20", "46.00"),
    ("36", "45.50"),
    ("37", "45.50"),
    ("62", "45.004"),
    ("68", "44.995"),
    ("46", "44.20"),
];
const MISSING: [&str; 2] = ["22", "74"];

/// Huế is last on dimension 1 (5.00 of 10 against 5.50) and sub-dimension 1.1, first on
/// dimension 2.
pub(crate) fn papi_2023() -> String {
    let mut rows = vec!["index,year,unit_code,unit_name,measure,value".to_string()];
    let mut k = 0;
    for province in chiso_refdata::provinces_63() {
        let code = province.code.as_str();
        let name = province.name.clone().unwrap_or_default();
        let row = |measure: &str, value: &str| format!("papi,2023,{code},{name},{measure},{value}");
        if MISSING.contains(&code) {
            rows.push(row("total", ""));
            continue;
        }
        let total = match EXPLICIT.iter().find(|(c, _)| *c == code) {
            Some((_, value)) => value.to_string(),
            None => {
                k += 1;
                format!("{:.2}", 30.0 + 0.2 * f64::from(k - 1))
            }
        };
        let hue = code == "46";
        rows.push(row("total", &total));
        rows.push(row("1", if hue { "5.00" } else { "5.50" }));
        rows.push(row("1.1", if hue { "1.20" } else { "1.50" }));
        rows.push(row("2", if hue { "6.00" } else { "5.00" }));
    }
    assert_eq!(k, 49);
    rows.join("\n")
}

/// The `<tr>` of a unit in the ranking.
fn row<'a>(html: &'a str, code: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"tinh-{code}\""))
        .unwrap_or_else(|| panic!("no row for {code}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

/// The text of the element with this id.
fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let open = html[start..].find('>').unwrap() + start + 1;
    let end = html[open..].find('<').unwrap() + open;
    &html[open..end]
}

fn cell<'a>(row: &'a str, class: &str) -> &'a str {
    by_id_class(row, class)
}

fn by_id_class<'a>(html: &'a str, class: &str) -> &'a str {
    let start = html
        .find(&format!("class=\"{class}\""))
        .unwrap_or_else(|| panic!("no .{class} in {html}"));
    let open = html[start..].find('>').unwrap() + start + 1;
    let end = html[open..].find('<').unwrap() + open;
    &html[open..end]
}

#[tokio::test]
async fn an_index_year_ranks_groups_and_places_the_province() {
    for mut app in common::apps().await {
        import(&app, "papi", &papi_2023()).await;
        app.login("xemketqua").await;
        let path = "/chi-so-quoc-gia/papi/2023";
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200, "{:?}: {html}", app.backend);
        assert!(!html.contains("partial-note"), "the year is complete");
        // Ranks: competition ranking on two decimals, ties shared, the missing left out.
        for (code, rank) in [
            ("01", "1"),
            ("48", "3"),
            ("36", "8"),
            ("37", "8"),
            ("62", "10"),
            ("68", "10"),
            ("46", "12"),
            ("02", "61"),
        ] {
            assert_eq!(cell(row(&html, code), "num rank"), rank, "{code}");
        }
        assert_eq!(cell(row(&html, "68"), "num value"), "45,00");
        assert_eq!(cell(row(&html, "62"), "num value"), "45,00");
        for code in MISSING {
            let missing = row(&html, code);
            assert_eq!(cell(missing, "num rank"), "—");
            assert_eq!(cell(missing, "num value"), "không có số liệu");
            assert!(!missing.contains("group"), "{missing}");
        }
        assert!(
            by_id(&html, "no-data").contains("Quảng Ninh, Bình Dương"),
            "{html}"
        );
        // Quartiles of 61 totals by interpolation at (n − 1)·p: 33.00, 36.00, 39.00; 16, 15,
        // 15 and 15 provinces; 39.00 is at the cut-off and in group 1, 38.80 in group 2.
        for (class, label, count) in [
            (0, "Nhóm 1", 16),
            (1, "Nhóm 2", 15),
            (2, "Nhóm 3", 15),
            (3, "Nhóm 4", 15),
        ] {
            let marker = format!("class=\"band band-{class} group\">{label}<");
            assert_eq!(html.matches(&marker).count(), count, "{label}");
        }
        let at_cut = html
            .split("<tr id=\"tinh-")
            .skip(1)
            .find(|r| r.contains(">39,00<"))
            .unwrap();
        assert!(at_cut.contains(">Nhóm 1<"), "{at_cut}");
        let below = html
            .split("<tr id=\"tinh-")
            .skip(1)
            .find(|r| r.contains(">38,80<"))
            .unwrap();
        assert!(below.contains(">Nhóm 2<"), "{below}");
        // Huế's region (Bắc Trung Bộ và Duyên hải miền Trung, 14 provinces): Đà Nẵng 48.50
        // and Khánh Hòa 46.50 before it.
        assert_eq!(cell(row(&html, "46"), "num regional"), "3/14");
        assert_eq!(cell(row(&html, "48"), "num regional"), "1/14");
        // The averages: (560.20 + 1 705.20) / 61 = 37.1377… → 37,14.
        let national = &html[html.find("id=\"national-average\"").unwrap()..];
        let national = &national[..national.find("</tr>").unwrap()];
        assert!(national.contains(">37,14<"), "{national}");
        assert!(html.contains("Bình quân Bắc Trung Bộ và Duyên hải miền Trung"));
        // The province's position and gaps.
        assert_eq!(by_id(&html, "position-rank"), "12/61");
        assert_eq!(by_id(&html, "position-value"), "44,20");
        assert_eq!(by_id(&html, "position-group"), "Nhóm 1");
        assert_eq!(
            by_id(&html, "gap-top10"),
            "Cần thêm 0,80 điểm để bằng ngưỡng nhóm 10 tỉnh dẫn đầu (Kon Tum, 45,00)."
        );
        assert_eq!(
            by_id(&html, "gap-region"),
            "Kém Đà Nẵng, tỉnh dẫn đầu vùng (48,50), 4,30 điểm."
        );
        // Weakest: dimension 1, last of 61, half its maximum; then sub-dimension 1.1.
        let weakest = &html[html.find("id=\"weakest-dimensions\"").unwrap()..];
        let body = &weakest[weakest.find("<tbody>").unwrap()..];
        let first = &body[..body.find("</tr>").unwrap()];
        assert!(
            first.contains("Tham gia của người dân ở cấp cơ sở")
                && first.contains("50,0 %")
                && first.contains("61/61"),
            "{first}"
        );
        let subs = &html[html.find("id=\"weakest-subs\"").unwrap()..];
        assert!(subs.contains("Tri thức công dân — Tham gia của người dân ở cấp cơ sở"));
        // The tile map by group, each square linking to its row.
        assert!(html.contains("class=\"tile-map\"") && html.contains("href=\"#tinh-46\""));
        assert_eq!(findings(path, &html), Vec::<String>::new());
        // The list and the address of the latest year.
        let (_, list) = app.get_text("/chi-so-quoc-gia").await;
        assert!(
            list.contains("href=\"/chi-so-quoc-gia/papi/2023\""),
            "{list}"
        );
        assert_eq!(findings("/chi-so-quoc-gia", &list), Vec::<String>::new());
        let latest = app.get("/chi-so-quoc-gia/papi").await;
        assert_eq!(location(&latest), "/chi-so-quoc-gia/papi/2023");
        for missing in [
            "/chi-so-quoc-gia/khong-co/2023",
            "/chi-so-quoc-gia/papi/1990",
        ] {
            assert_eq!(app.get(missing).await.status().as_u16(), 404, "{missing}");
        }
    }
}

#[tokio::test]
async fn a_partial_year_keeps_published_ranks_and_computes_nothing_else() {
    for mut app in common::apps().await {
        app.login("nhaplieu").await;
        let path = "/chi-so-quoc-gia/par/2023";
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"partial-note\""), "{html}");
        let hue = row(&html, "46");
        assert!(
            hue.contains("class=\"current\""),
            "the province's row stands out"
        );
        assert_eq!(cell(hue, "num value"), "88,38");
        assert!(hue.contains(">17<"), "{hue}");
        assert_eq!(by_id(&html, "position-rank"), "17/63");
        assert!(!html.contains("id=\"gap-top10\"") && !html.contains("national-average"));
        assert!(!html.contains("class=\"tile-map\""));
        // SIPAS 2023 quotes Huế's rank without its value.
        let (_, sipas) = app.get_text("/chi-so-quoc-gia/sipas/2023").await;
        let hue = row(&sipas, "46");
        assert_eq!(cell(hue, "num value"), "—");
        assert!(hue.contains(">32<"), "{hue}");
        assert_eq!(findings(path, &html), Vec::<String>::new());
    }
}

/// Quảng Trị (44 from 1/7/2025) is formed from Quảng Trị (45) and Quảng Bình (44).
const MERGER: &str = "index,year,unit_code,unit_name,measure,value,rank
par,2023,45,Quảng Trị,total,84.00,30
par,2023,44,Quảng Bình,total,80.00,55
par,2024,45,Quảng Trị,total,85.00,28
par,2024,44,Quảng Bình,total,81.00,50
par,2025,44,Quảng Trị,total,86.10,12
";

#[tokio::test]
async fn a_merged_provinces_trend_shows_its_predecessors_and_a_labelled_estimate() {
    let populations = std::env::temp_dir().join(format!(
        "chiso-populations-{}-{}.csv",
        std::process::id(),
        chiso_web::auth::new_token()[..8].to_lowercase()
    ));
    std::fs::write(&populations, "unit_code,population\n45,600000\n44,900000\n").unwrap();
    let apps = common::apps_with(|c| {
        c.province_code = Some("44".into());
        c.population_file = Some(populations.clone());
    })
    .await;
    for mut app in apps {
        import(&app, "par", MERGER).await;
        app.login("xemketqua").await;
        let path = "/chi-so-quoc-gia/par/2025";
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200, "{html}");
        for header in [
            ">Quảng Trị (đến 2024)<",
            ">Quảng Bình (đến 2024)<",
            ">Quảng Trị – ước tính (bình quân đều)<",
        ] {
            assert!(html.contains(header), "{header}");
        }
        // Equal weights: 2024 (85 + 81) / 2 = 83.00; 2025 86.10 − 83.00.
        let trend = &html[html.find("class=\"trend-table\"").unwrap()..];
        let y2024 = &trend[trend.find("data-year=\"2024\"").unwrap()..];
        let y2024 = &y2024[..y2024.find("</tr>").unwrap()];
        assert!(y2024.contains(">83,00 (ước tính)<"), "{y2024}");
        assert!(y2024.contains(">85,00 (28/63)<"), "{y2024}");
        let y2025 = &trend[trend.find("data-year=\"2025\"").unwrap()..];
        let y2025 = &y2025[..y2025.find("</tr>").unwrap()];
        assert!(y2025.contains(">86,10 (12/34)<"), "{y2025}");
        assert!(y2025.contains("+3,10 so với số ước tính"), "{y2025}");
        assert!(html.contains("không so sánh với nhau"), "the ranks note");
        assert!(html.contains("id=\"weighting-form\""));
        assert!(
            html.contains("stroke-dasharray=\"6 4\""),
            "the estimate is dashed"
        );
        // By population (600 000 and 900 000): 0.4·85 + 0.6·81 = 82.60; 86.10 − 82.60.
        let (_, weighted) = app.get_text(&format!("{path}?trong_so=dan-so")).await;
        assert!(weighted.contains(">Quảng Trị – ước tính (bình quân theo dân số)<"));
        assert!(weighted.contains(">82,60 (ước tính)<"), "{weighted}");
        assert!(weighted.contains("+3,50 so với số ước tính"));
        assert!(!weighted.contains("Chưa có số liệu dân số"));
        // The leadership page: the latest figure, its rank of 34, the change against the
        // estimate without a rank change.
        let (_, overview) = app.get_text("/chi-so-quoc-gia/tong-quan").await;
        let par = &overview[overview.find("data-index=\"par\"").unwrap()..];
        let par = &par[..par.find("</tr>").unwrap()];
        assert!(par.contains(">86,10<") && par.contains(">12/34<"), "{par}");
        assert!(par.contains("+3,10 so với số ước tính"), "{par}");
        assert!(
            !par.contains("bậc"),
            "no rank change across the merger: {par}"
        );
        assert_eq!(findings(path, &html), Vec::<String>::new());
    }
    std::fs::remove_file(&populations).ok();
}

#[tokio::test]
async fn the_leadership_page_says_where_the_province_stands_and_prints() {
    for mut app in common::apps_with(|c| c.authority_name = "UBND tỉnh Thừa Thiên Huế".into()).await
    {
        app.login("xemketqua").await;
        let (_, home) = app.get_text("/").await;
        assert!(
            home.contains("id=\"home-national-link\""),
            "viewers are sent there"
        );
        assert!(home.contains("href=\"/chi-so-quoc-gia/tong-quan\""));
        // A target of the PAR INDEX's latest year, and one of PAPI two years on.
        for (index, year, target) in [
            ("par", 2023, "nhóm 10 tỉnh dẫn đầu"),
            ("papi", 2025, "nhóm 20"),
        ] {
            let fields = chiso_store::index_targets::TargetFields {
                index_id: index.into(),
                year,
                target: target.into(),
                document: "QĐ 3248/QĐ-UBND".into(),
            };
            chiso_store::index_targets::add_target(
                &app.db,
                &Actor::system("test"),
                &fields,
                target,
            )
            .await
            .unwrap();
        }
        let path = "/chi-so-quoc-gia/tong-quan";
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(by_id(&html, "province-name"), "Huế");
        let line = |index: &str| {
            let at = html
                .find(&format!("data-index=\"{index}\""))
                .unwrap_or_else(|| panic!("no {index}"));
            html[at..at + html[at..].find("</tr>").unwrap()].to_string()
        };
        // PAR INDEX 2023: 88.38, 17th; 2022: 86.56, 19th.
        let par = line("par");
        assert!(par.contains("href=\"/chi-so-quoc-gia/par/2023\""), "{par}");
        assert!(par.contains(">88,38<") && par.contains(">17/63<"), "{par}");
        assert!(par.contains(">+1,82 (tăng 2 bậc)<"), "{par}");
        // The targets' column: 17th against a top-10 target is 7 places short.
        assert!(
            par.contains("outcome-missed")
                && par
                    .contains("nhóm 10 tỉnh dẫn đầu (QĐ 3248/QĐ-UBND): Chưa đạt, còn thiếu 7 bậc"),
            "{par}"
        );
        // SIPAS 2023: a rank without its value, 8 places up from 2022.
        let sipas = line("sipas");
        assert!(
            sipas.contains(">32/63<") && sipas.contains(">tăng 8 bậc<"),
            "{sipas}"
        );
        // PAPI 2023 first as in 2021.
        let papi = line("papi");
        assert!(
            papi.contains(">46,04<") && papi.contains(">1/63<"),
            "{papi}"
        );
        assert!(papi.contains("giữ nguyên thứ hạng"), "{papi}");
        assert!(
            papi.contains("Năm 2025: nhóm 20 (QĐ 3248/QĐ-UBND): Chưa có số liệu"),
            "a later year's target, not yet measured: {papi}"
        );
        assert!(sipas.contains("Chưa đặt"), "no SIPAS target: {sipas}");
        // The home page gives the same position at a glance, with the targets.
        let (_, home) = app.get_text("/").await;
        let position = &home[home
            .find("id=\"home-national-position\"")
            .expect("the province's position on the home page")..];
        let position = &position[..position.find("</table>").unwrap()];
        assert!(
            position.contains(">88,38<") && position.contains(">17/63<"),
            "{position}"
        );
        assert!(position.contains("còn thiếu 7 bậc"), "{position}");
        assert!(html.contains("id=\"trend-par\""), "each index's trend");
        assert_eq!(findings(path, &html), Vec::<String>::new());
        // The report for a meeting.
        let job = start(&app, "/chi-so-quoc-gia/tong-quan/bao-cao", &[]).await;
        let pdf = finish(&app, &job).await;
        assert!(pdf.starts_with(b"%PDF"));
        if let Some(text) = pdf_text(&pdf) {
            for expected in [
                "UBND tỉnh Thừa Thiên Huế",
                "CÁC CHỈ SỐ QUỐC GIA CỦA HUẾ",
                "Chỉ số cải cách hành chính cấp tỉnh (PAR INDEX)",
                "88,38",
                "+1,82 (tăng 2 bậc)",
                "Nội dung yếu nhất",
            ] {
                assert!(text.contains(expected), "{expected} in\n{text}");
            }
        }
    }
}

/// A province code that names no province, or a population file that does not hold, stops
/// the start with the setting named (before the database is touched).
#[tokio::test]
async fn a_wrong_province_or_population_file_stops_the_start() {
    let config = || chiso_web::Config {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: "sqlite://never-created-by-this-test.db".into(),
        ..chiso_web::Config::default()
    };
    let error = chiso_web::build(chiso_web::Config {
        province_code: Some("99".into()),
        ..config()
    })
    .await
    .err()
    .unwrap();
    assert!(format!("{error:#}").contains("province: '99'"), "{error:#}");
    let file =
        std::env::temp_dir().join(format!("chiso-bad-populations-{}.csv", std::process::id()));
    std::fs::write(&file, "unit_code,population\n46,nhiều\n").unwrap();
    let error = chiso_web::build(chiso_web::Config {
        population_file: Some(file.clone()),
        ..config()
    })
    .await
    .err()
    .unwrap();
    assert!(format!("{error:#}").contains("row 2"), "{error:#}");
    std::fs::remove_file(&file).ok();
    assert!(!std::path::Path::new("never-created-by-this-test.db").exists());
}
