//! The blank .xlsx templates of the imports (units, framework, a wave's responses), on both
//! backends: each holds the columns its import reads, a guide sheet in Vietnamese, and goes
//! back through its import unchanged.

use chiso_interchange::table::read_xlsx;
use chiso_store::surveys::{self, WaveFields};
use chiso_store::{Actor, frameworks, units};

use crate::common::{self, apps, location};

async fn xlsx(app: &common::TestApp, path: &str) -> Vec<u8> {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{:?} {path}", app.backend);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.contains("spreadsheetml"), "{kind}");
    response.bytes().await.unwrap().to_vec()
}

fn part(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .unwrap()
}

#[tokio::test]
async fn each_template_goes_back_through_its_import() {
    for mut app in apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;

        // Units: the columns of docs/formats.md §2, the guide in Vietnamese.
        let bytes = xlsx(&app, "/don-vi/mau.xlsx").await;
        let table = read_xlsx("mau-don-vi.xlsx", &bytes).unwrap();
        assert_eq!(
            table.headers,
            [
                "unit_code",
                "unit_name",
                "kind",
                "parent_code",
                "region",
                "valid_from",
                "valid_to"
            ]
        );
        let guide = calamine_text(&bytes);
        assert!(
            guide.contains("Hướng dẫn") && guide.contains("Sở, ban, ngành"),
            "{guide}"
        );
        let before = units::list(&app.db).await.unwrap().len();
        let form = reqwest::multipart::Form::new().part("file", part("mau-don-vi.xlsx", bytes));
        let response = app.post_multipart("/don-vi/nhap", form).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(
            units::list(&app.db).await.unwrap().len(),
            before + 2,
            "{backend:?}"
        );

        // A framework: imported as it is.
        let bytes = xlsx(&app, "/bo-tieu-chi/mau.xlsx").await;
        let form = reqwest::multipart::Form::new()
            .text("code", "mau-2027")
            .text("title", "Bộ tiêu chí thử từ tệp mẫu")
            .text("unit_kind", "department")
            .part("file", part("mau-bo-tieu-chi.xlsx", bytes));
        let response = app.post_multipart("/bo-tieu-chi/nhap", form).await;
        let status = response.status().as_u16();
        let target = location(&response);
        assert_eq!(
            status,
            303,
            "{backend:?}: {}",
            response.text().await.unwrap()
        );
        assert!(target.contains("/bo-tieu-chi/"), "{target}");
        let stored = frameworks::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.code == "mau-2027")
            .expect("imported");
        let loaded = frameworks::load(&app.db, stored.id).await.unwrap();
        assert_eq!(loaded.framework.leaves().len(), 3, "{backend:?}");

        // A wave's responses: its questionnaire's columns, the questions by number and title.
        let actor = Actor::system("test");
        let questionnaire = surveys::register_bundled(&app.db, &actor, "sipas-2017")
            .await
            .unwrap();
        let wave = surveys::create_wave(
            &app.db,
            &actor,
            &WaveFields::new(questionnaire, "SIPAS mẫu", 2026),
        )
        .await
        .unwrap();
        let unit = units::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.code == "S21")
            .unwrap();
        surveys::set_units(&app.db, &actor, wave, &[(unit.id, Some(100))])
            .await
            .unwrap();
        surveys::open_wave(&app.db, &actor, wave).await.unwrap();
        let bytes = xlsx(&app, &format!("/khao-sat/dot/{wave}/mau.xlsx")).await;
        let table = read_xlsx("mau.xlsx", &bytes).unwrap();
        assert_eq!(
            &table.headers[..5],
            ["unit_code", "respondent_id", "channel", "weight", "service"]
        );
        assert!(
            table.headers.iter().any(|h| h == "c22"),
            "{:?}",
            table.headers
        );
        let guide = calamine_text(&bytes);
        assert!(
            guide.contains("Câu 1: Nơi ngồi chờ có đủ chỗ ngồi"),
            "{guide}"
        );
        let form = reqwest::multipart::Form::new().part("file", part("mau.xlsx", bytes));
        let response = app
            .post_multipart(&format!("/khao-sat/dot/{wave}/nhap-tep"), form)
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        crate::surveys::wait_for(&app, &location(&response)).await;
        assert_eq!(
            crate::surveys::wave_responses(&app.db, wave).await,
            1,
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn templates_are_for_the_staff_only() {
    for mut app in apps().await {
        app.login("nhaplieu").await;
        for path in ["/don-vi/mau.xlsx", "/bo-tieu-chi/mau.xlsx"] {
            assert_eq!(app.get(path).await.status().as_u16(), 403, "{path}");
        }
    }
}

/// Every cell of every sheet, as text.
fn calamine_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut text = String::new();
    for name in book.sheet_names() {
        text.push_str(&name);
        text.push('\n');
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                text.push_str(&cell.to_string());
                text.push('\t');
            }
            text.push('\n');
        }
    }
    text
}
