//! The audit log a person can read, on both backends: a sentence per change with names
//! instead of codes, filters by person, unit, campaign, kind of change and Vietnam dates, and
//! CSV and .xlsx exports with Vietnamese headers and Vietnam time to the second.

use crate::common;

use calamine::{Data, Reader, Xlsx};
use chiso_domain::org::OrgKind;
use chiso_store::Actor;
use chiso_store::units::{self, UnitFields};

fn time_to_the_second(text: &str) -> bool {
    // dd/mm/yyyy hh:mm:ss
    let bytes = text.as_bytes();
    text.len() == 19
        && bytes[2] == b'/'
        && bytes[5] == b'/'
        && bytes[10] == b' '
        && bytes[13] == b':'
        && bytes[16] == b':'
}

#[tokio::test]
async fn the_log_reads_as_sentences_filters_and_exports_in_vietnamese() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let admin = chiso_store::users::find_by_username(&app.db, "admin")
            .await
            .unwrap()
            .unwrap();
        let actor = Actor::user(admin.id, "admin");
        let unit = units::create(
            &app.db,
            &actor,
            &UnitFields {
                code: "SNV-TEST".into(),
                name: "Sở Thử nghiệm".into(),
                kind: OrgKind::Department,
                parent_id: None,
                region: None,
                valid_from: None,
                valid_to: None,
            },
        )
        .await
        .unwrap();
        app.login("admin").await;

        // A sentence with the person's name and the unit's name.
        let (status, page) = app.get_text(&format!("/nhat-ky?actor={}", admin.id)).await;
        assert_eq!(status, 200, "{backend:?}");
        let sentence = format!("{} tạo đơn vị Sở Thử nghiệm", admin.full_name);
        assert!(page.contains(&sentence), "{backend:?}: {page}");
        assert!(!page.contains("org_unit") && !page.contains(">create<"));
        // Filters: the unit, the kind of change, the dates.
        let (_, page) = app.get_text(&format!("/nhat-ky?unit={unit}")).await;
        assert!(page.contains(&sentence), "{backend:?}");
        assert!(
            !page.contains("Hệ thống tạo"),
            "{backend:?}: only this unit"
        );
        let (_, page) = app
            .get_text(&format!("/nhat-ky?unit={unit}&action=update"))
            .await;
        assert!(!page.contains(&sentence), "{backend:?}: not an update");
        let today = chrono::Utc::now()
            .with_timezone(&chiso_web::app::clock::vietnam())
            .date_naive();
        let (_, page) = app
            .get_text(&format!("/nhat-ky?unit={unit}&from={today}&until={today}"))
            .await;
        assert!(page.contains(&sentence), "{backend:?}: today in Vietnam");
        let tomorrow = today.succ_opt().unwrap();
        let (_, page) = app
            .get_text(&format!("/nhat-ky?unit={unit}&from={tomorrow}"))
            .await;
        assert!(
            !page.contains(&sentence),
            "{backend:?}: nothing from tomorrow"
        );
        // The unit's page tells its history in sentences too.
        let (_, page) = app.get_text(&format!("/don-vi/{unit}")).await;
        assert!(page.contains(&sentence), "{backend:?}");

        // CSV: Vietnamese headers, Vietnam time to the second, the sentence.
        let csv = app.get_text(&format!("/nhat-ky.csv?unit={unit}")).await.1;
        let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
        let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(headers[1], "Thời điểm (giờ Việt Nam)");
        assert_eq!(headers[3], "Nội dung thay đổi");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "{backend:?}");
        assert!(time_to_the_second(&rows[0][1]), "{}", &rows[0][1]);
        assert_eq!(&rows[0][3], sentence.as_str());
        assert_eq!(&rows[0][8], "Sở Thử nghiệm");

        // .xlsx: the same, readable by a spreadsheet.
        let response = app.get(&format!("/nhat-ky.xlsx?unit={unit}")).await;
        assert_eq!(response.status().as_u16(), 200);
        let bytes = response.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("Nhật ký thay đổi").unwrap();
        let cell = |r: usize, c: usize| match sheet.get((r, c)) {
            Some(Data::String(s)) => s.clone(),
            other => format!("{other:?}"),
        };
        // The title block names the authority above the table; the headers follow it.
        assert_eq!(cell(0, 0), "ỦY BAN NHÂN DÂN TỈNH");
        let head = (0..sheet.height())
            .find(|&r| cell(r, 3) == "Nội dung thay đổi")
            .expect("the header row");
        assert!(head > 0, "{backend:?}");
        assert_eq!(cell(head + 1, 3), sentence);
        assert!(time_to_the_second(&cell(head + 1, 1)));
        assert_eq!(
            sheet.get((head + 1, 0)),
            Some(&Data::Float(rows[0][0].parse().unwrap()))
        );

        // Not for unit staff.
        app.logout().await;
        app.login("nhaplieu").await;
        assert_eq!(app.get("/nhat-ky.xlsx").await.status().as_u16(), 403);
    }
}
