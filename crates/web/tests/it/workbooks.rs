//! The workbooks the app serves, on both backends (docs/formats.md §12): every .xlsx opens in
//! LibreOffice (converted to PDF headless in one process; under `CI` a missing LibreOffice
//! fails), points print with a decimal comma in a Vietnamese locale because they are numbers
//! with a format, and a unit's detailed scoresheet lists every leaf with its rounds, final
//! points and the council's comment, for exactly the people who may read the sheet.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use chiso_domain::Points;
use chiso_store::assessments::{self as sheets};
use chiso_store::{Db, campaigns};

use crate::appraisal::{demo_campaign, sheet_of, unit_id};
use crate::common::{self, TestApp};
use crate::results_pages::published_with;

const COMMENT: &str = "Kế hoạch CCHC ban hành chậm, chưa đủ tài liệu kiểm chứng";

async fn download(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Every sheet of a workbook as text cells (numbers as Rust prints them).
fn sheets_of(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an .xlsx");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::String(s) => s.clone(),
                            Data::Float(f) => f.to_string(),
                            Data::Empty => String::new(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

/// The published campaigns of two years over S03 (the demo editor's Sở Tư pháp) and S06,
/// the later one with the council's 0 and comment on leaf 1.1 of S03.
async fn two_campaigns(db: &Db) -> (i64, [i64; 2]) {
    let units = [unit_id(db, "S03").await, unit_id(db, "S06").await];
    published_with(db, 2001, &units, 1.0, None).await;
    let later = published_with(
        db,
        2002,
        &units,
        0.5,
        Some(("1.1", Some(Points::ZERO), COMMENT)),
    )
    .await;
    (later, units)
}

/// The private LibreOffice profile and output directory of one run.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "chiso-workbooks-{name}-{}-{}",
        std::process::id(),
        chiso_web::auth::new_token()[..8].to_lowercase()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// LibreOffice's command, or `None` (with a notice) when it is not installed outside CI.
fn libreoffice() -> Option<&'static str> {
    let found = ["libreoffice", "soffice"].into_iter().find(|program| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "LibreOffice is required under CI (apt-get install libreoffice-calc-nogui)"
        );
        eprintln!("notice: LibreOffice is not installed; the .xlsx → PDF check is skipped");
    }
    found
}

/// Converts every file to PDF in one LibreOffice process with a Vietnamese locale and a
/// private profile; asserts it succeeded and that each PDF is there and not empty.
fn convert(program: &str, files: &[PathBuf], dir: &Path) -> PathBuf {
    let out = dir.join("pdf");
    let profile = dir.join("profile");
    let status = Command::new(program)
        .env("LANG", "vi_VN.UTF-8")
        .env("LC_ALL", "vi_VN.UTF-8")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&out)
        .args(files)
        .output()
        .expect("LibreOffice runs");
    assert!(
        status.status.success(),
        "LibreOffice failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    for file in files {
        let pdf = out.join(file.with_extension("pdf").file_name().unwrap());
        let size = std::fs::metadata(&pdf)
            .unwrap_or_else(|_| panic!("{} converted to {}", file.display(), pdf.display()))
            .len();
        assert!(size > 1000, "{} is {size} bytes", pdf.display());
    }
    out
}

/// The text of a PDF, through pdftotext when it is installed.
fn pdf_text(pdf: &Path) -> Option<String> {
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn every_workbook_opens_in_libreoffice_with_decimal_commas() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let (campaign, units) = two_campaigns(&db).await;
        let sheet = sheets::find_sheet(&db, campaign, units[0])
            .await
            .unwrap()
            .unwrap()
            .id;
        let (wave, wave_units) = crate::survey_microdata::open_wave(&db, "Khảo sát 2026").await;
        crate::survey_microdata::fill(&db, wave, wave_units).await;
        let framework = campaigns::frameworks(&db, campaign).await.unwrap()[0].framework_id;
        let plan = chiso_store::plans::list_plans(&db).await.unwrap()[0].id;
        let period = chiso_store::plans::periods(&db, plan).await.unwrap()[0]
            .period
            .as_code();

        app.login("thuongtruc").await;
        let paths = [
            ("ket-qua", format!("/dot-danh-gia/{campaign}/ket-qua.xlsx")),
            ("bang-diem", format!("/tu-danh-gia/{sheet}/bang-diem.xlsx")),
            ("tien-do", format!("/dot-danh-gia/{campaign}/tien-do.xlsx")),
            ("khao-sat", format!("/khao-sat/dot/{wave}/ket-qua.xlsx")),
            ("du-lieu", format!("/khao-sat/dot/{wave}/du-lieu.xlsx")),
            ("nhat-ky", "/nhat-ky.xlsx".to_string()),
            ("bo-tieu-chi", format!("/bo-tieu-chi/{framework}/xlsx")),
            ("don-vi", "/don-vi/xuat.xlsx".to_string()),
            ("mau-don-vi", "/don-vi/mau.xlsx".to_string()),
            ("mau-bo-tieu-chi", "/bo-tieu-chi/mau.xlsx".to_string()),
            ("mau-phieu", format!("/khao-sat/dot/{wave}/mau.xlsx")),
            ("phu-luc", format!("/ke-hoach/{plan}/phu-luc.xlsx")),
            (
                "tong-hop",
                format!("/ke-hoach/{plan}/ky-bao-cao/{period}/tong-hop.xlsx"),
            ),
            ("thi-dua", format!("/ke-hoach/{plan}/thi-dua.xlsx")),
        ];
        let dir = scratch(&format!("{backend:?}").to_lowercase());
        let mut files = Vec::new();
        let mut books = Vec::new();
        for (name, path) in &paths {
            let (status, bytes) = download(&app, path).await;
            assert_eq!(status, 200, "{backend:?}: {path}");
            let file = dir.join(format!("{name}.xlsx"));
            std::fs::write(&file, &bytes).unwrap();
            files.push(file);
            books.push((*name, sheets_of(&bytes)));
        }

        // The survey results name the units, not only their codes.
        let (_, survey) = books.iter().find(|(n, _)| *n == "khao-sat").unwrap();
        let (_, units_sheet) = survey.iter().find(|(n, _)| n == "Đơn vị").unwrap();
        assert!(
            units_sheet
                .iter()
                .any(|r| r.len() > 1 && r[0] == "S03" && r[1] == "Sở Tư pháp"),
            "{backend:?}: {units_sheet:?}"
        );
        let (_, items) = survey.iter().find(|(n, _)| n == "Tiêu chí").unwrap();
        assert!(
            items.iter().any(|r| r.iter().any(|c| c == "Sở Tư pháp")),
            "{backend:?}: the items' columns are headed by unit names"
        );

        // The index of S03 as the results table holds it: a number, not a text.
        let results = assessments_index(&db, campaign, units[0]).await;
        let (_, ranking) = &books[0].1[0];
        let s03 = ranking.iter().find(|r| r[1] == "S03").unwrap();
        assert!(
            s03.contains(&(results as f64 / 100.0).to_string()),
            "{backend:?}: {s03:?}"
        );

        let Some(program) = libreoffice() else {
            continue;
        };
        let out = convert(program, &files, &dir);
        // In a Vietnamese locale the same number prints with a decimal comma.
        if let Some(text) = pdf_text(&out.join("ket-qua.pdf")) {
            let comma = format!("{},{:02}", results / 100, results % 100);
            let dot = format!("{}.{:02}", results / 100, results % 100);
            assert!(text.contains(&comma), "{backend:?}: {comma} in {text}");
            assert!(!text.contains(&dot), "{backend:?}: {dot} in {text}");
            assert!(text.contains("Sở Tư pháp"), "{backend:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A unit's published index in hundredths (the ranking key).
async fn assessments_index(db: &Db, campaign: i64, unit: i64) -> i64 {
    sheets::published_results(db, campaign)
        .await
        .unwrap()
        .unwrap()
        .groups
        .iter()
        .flat_map(|g| &g.units)
        .find(|u| u.unit_id == unit)
        .unwrap()
        .index_hundredths
}

#[tokio::test]
async fn a_units_scoresheet_lists_every_leaf_for_exactly_its_readers() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let (campaign, units) = two_campaigns(&db).await;
        let sheet_of_unit = |unit: i64| {
            let db = db.clone();
            async move {
                sheets::find_sheet(&db, campaign, unit)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let (own, other) = (sheet_of_unit(units[0]).await, sheet_of_unit(units[1]).await);
        let path = |sheet: i64| format!("/tu-danh-gia/{sheet}/bang-diem.xlsx");

        // The unit's editor reads their own unit's sheet, not another's; the links are there.
        app.login("nhaplieu").await;
        let (status, bytes) = download(&app, &path(own)).await;
        assert_eq!(status, 200, "{backend:?}");
        assert_eq!(download(&app, &path(other)).await.0, 403, "{backend:?}");
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{own}")).await;
        assert!(
            page.contains(&format!("href=\"{}\"", path(own))),
            "{backend:?}: the sheet page links its workbook"
        );
        let (_, page) = app
            .get_text(&format!(
                "/dot-danh-gia/{campaign}/ket-qua/don-vi/{}",
                units[0]
            ))
            .await;
        assert!(
            page.contains(&format!("href=\"{}\"", path(own))),
            "{backend:?}: the unit's results page links it"
        );
        // After publication viewers and appraisers read every sheet.
        for reader in ["xemketqua", "thamdinh", "thuongtruc"] {
            app.login(reader).await;
            assert_eq!(
                download(&app, &path(other)).await.0,
                200,
                "{backend:?}: {reader}"
            );
        }
        assert_eq!(download(&app, &path(999_999)).await.0, 404, "{backend:?}");

        let book = sheets_of(&bytes);
        let (name, rows) = &book[0];
        assert_eq!(name, "Bảng điểm");
        assert!(rows[0][0].starts_with("ỦY BAN NHÂN DÂN"), "{backend:?}");
        assert!(
            rows.iter().any(|r| r[0].contains("Sở Tư pháp")),
            "{backend:?}: the unit named in the title block"
        );
        let head = rows.iter().position(|r| r[0] == "Mã").expect("the header");
        assert_eq!(
            rows[head][2..],
            [
                "Điểm tối đa",
                "Điểm tự đánh giá",
                "Điểm thẩm định vòng 1",
                "Điểm cuối cùng",
                "Nhận xét của Hội đồng thẩm định"
            ],
            "{backend:?}"
        );
        let scope = sheets::scope(&db, own).await.unwrap();
        let framework = scope.framework();
        let row_of = |code: &str| {
            rows.iter()
                .find(|r| r[0] == code)
                .unwrap_or_else(|| panic!("{backend:?}: row {code}"))
        };
        // Every node of the framework, in its order.
        let codes: Vec<&str> = rows[head + 1..]
            .iter()
            .filter(|r| !r[0].is_empty())
            .map(|r| r[0].as_str())
            .collect();
        let mut expected = Vec::new();
        fn walk<'a>(f: &'a chiso_domain::Framework, n: usize, out: &mut Vec<&'a str>) {
            out.push(&f.node(n).code);
            for &c in &f.node(n).children {
                walk(f, c, out);
            }
        }
        let roots: Vec<usize> = (0..framework.nodes().len())
            .filter(|&n| framework.node(n).parent.is_none())
            .collect();
        for &root in roots
            .iter()
            .filter(|r| !framework.outside_tree().contains(r))
        {
            walk(framework, root, &mut expected);
        }
        for &root in roots
            .iter()
            .filter(|r| framework.outside_tree().contains(r))
        {
            walk(framework, root, &mut expected);
        }
        assert_eq!(codes, expected, "{backend:?}");
        // Leaf 1.1: self-assessed, set to 0 by the council with its comment, final 0.
        let leaf = row_of("1.1");
        let number = |cell: &str| cell.parse::<f64>().unwrap_or(0.0);
        assert!(number(&leaf[3]) > 0.0, "{backend:?}: {leaf:?}");
        assert_eq!(leaf[4], "0", "{backend:?}: {leaf:?}");
        assert_eq!(leaf[5], "0", "{backend:?}: {leaf:?}");
        assert_eq!(leaf[6], COMMENT, "{backend:?}");
        // Area 1 sums its leaves in each column: the council's 0 is the whole difference.
        let area = row_of("1");
        let leaves_of_area: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| {
                framework
                    .find(&r[0])
                    .is_some_and(|n| framework.node(n).is_leaf() && r[0].starts_with("1."))
            })
            .collect();
        let sum = |col: usize| leaves_of_area.iter().map(|r| number(&r[col])).sum::<f64>();
        assert!((number(&area[3]) - sum(3)).abs() < 1e-9, "{backend:?}");
        assert!((number(&area[5]) - sum(5)).abs() < 1e-9, "{backend:?}");
        assert!(
            (number(&area[3]) - number(&area[5]) - number(&leaf[3])).abs() < 1e-9,
            "{backend:?}"
        );
        // The total of the areas is the published tree points.
        let published = sheets::published_results(&db, campaign)
            .await
            .unwrap()
            .unwrap();
        let unit = published
            .groups
            .iter()
            .flat_map(|g| &g.units)
            .find(|u| u.unit_id == units[0])
            .unwrap();
        let total = rows
            .iter()
            .find(|r| r[1] == "Tổng điểm các lĩnh vực")
            .expect("the total row");
        assert_eq!(number(&total[5]), unit.tree_points.to_f64(), "{backend:?}");
    }
}

#[tokio::test]
async fn a_draft_scoresheet_is_its_units_alone() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let demo = demo_campaign(&db).await;
        let own = sheet_of(&db, demo, "S03").await;
        let other = sheet_of(&db, demo, "S05").await;
        let path = |sheet: i64| format!("/tu-danh-gia/{sheet}/bang-diem.xlsx");
        app.login("nhaplieu").await;
        let (status, bytes) = download(&app, &path(own)).await;
        assert_eq!(status, 200, "{backend:?}");
        assert_eq!(download(&app, &path(other)).await.0, 403, "{backend:?}");
        // Drafts are the unit's business: the appraiser and the viewer are refused.
        for reader in ["thamdinh", "xemketqua"] {
            app.login(reader).await;
            assert_eq!(
                download(&app, &path(own)).await.0,
                403,
                "{backend:?}: {reader}"
            );
        }
        app.login("thuongtruc").await;
        assert_eq!(download(&app, &path(own)).await.0, 200, "{backend:?}");
        // No round yet: no round column, and a note that final points come later.
        let book = sheets_of(&bytes);
        let rows = &book[0].1;
        let head = rows.iter().position(|r| r[0] == "Mã").unwrap();
        assert_eq!(rows[head][4], "Điểm cuối cùng", "{backend:?}");
        assert!(
            rows.iter()
                .any(|r| r[1] == "Điểm cuối cùng có sau khi Sở Nội vụ chốt kết quả."),
            "{backend:?}"
        );
    }
}

/// The units export holds the current units in the import's columns: imported into an empty
/// database of the same backend it gives the same units (codes, names, regions, kinds,
/// parents, dates), and imported back into the app over HTTP it changes nothing.
#[tokio::test]
async fn units_export_then_import_round_trips() {
    use chiso_web::app::units::export::ordered;
    use reqwest::multipart::{Form, Part};
    for mut app in common::apps().await {
        let backend = app.backend;
        let today = sheets::today_in_vietnam();
        let before = ordered(&chiso_store::units::list(&app.db).await.unwrap(), today);
        assert!(before.len() > 40, "{backend:?}: the demo's units");
        app.login("nhaplieu").await;
        assert_eq!(
            download(&app, "/don-vi/xuat.xlsx").await.0,
            403,
            "{backend:?}"
        );
        app.login("thuongtruc").await;
        let (status, bytes) = download(&app, "/don-vi/xuat.xlsx").await;
        assert_eq!(status, 200, "{backend:?}");
        let table = chiso_interchange::table::read_xlsx("don-vi.xlsx", &bytes).unwrap();
        let cells: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|r| {
                chiso_web::app::units::export::COLUMNS
                    .iter()
                    .map(|c| r.get(table.column(c)).to_string())
                    .collect()
            })
            .collect();
        let expected: Vec<Vec<String>> = before.iter().map(|r| r.to_vec()).collect();
        assert_eq!(cells, expected, "{backend:?}: the file is the units");

        // Into an empty database of the same backend: the same units.
        let fresh = match backend {
            chiso_store::Backend::Sqlite => chiso_store::testing::empty_sqlite().await,
            chiso_store::Backend::Postgres => chiso_store::testing::empty_postgres()
                .await
                .expect("PostgreSQL answered for the app"),
        };
        fresh.db.migrate().await.unwrap();
        chiso_web::app::units::import::import(
            &fresh.db,
            &chiso_store::Actor::system("test"),
            &table,
            today,
        )
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e:?}"));
        let imported = ordered(&chiso_store::units::list(&fresh.db).await.unwrap(), today);
        assert_eq!(imported, before, "{backend:?}");

        // Back into the app through the import page: nothing changes.
        let form = Form::new().part(
            "file",
            Part::bytes(bytes.clone())
                .file_name("don-vi.xlsx")
                .mime_str(chiso_web::downloads::XLSX)
                .unwrap(),
        );
        let response = app.post_multipart("/don-vi/nhap", form).await;
        assert_eq!(response.status().as_u16(), 200, "{backend:?}");
        let after = ordered(&chiso_store::units::list(&app.db).await.unwrap(), today);
        assert_eq!(after, before, "{backend:?}");
    }
}
