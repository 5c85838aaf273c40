//! The national indices' write side over HTTP on both backends (docs/method.md §5.8): a file
//! uploaded, previewed with its warnings in Vietnamese, confirmed (stored and audited) or
//! refused with the problem named and nothing stored; a corrected file replacing a year whose
//! old values stay readable; targets met, missed or waiting for results against hand-computed
//! values; agencies assigned and audited; and the unit roles refused.

use crate::common::{self, TestApp, location};

use chiso_store::audit::{self, AuditFilter};
use chiso_store::{Db, indices, units};
use reqwest::multipart::{Form, Part};

const PAPI: &str = "papi-provinces.xlsx";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/indices")
        .join(name);
    std::fs::read(path).unwrap()
}

fn upload(name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> Form {
    let mime = if name.ends_with(".xlsx") {
        XLSX
    } else {
        "text/csv"
    };
    let mut form = Form::new();
    for (key, value) in fields {
        form = form.text(key.to_string(), value.to_string());
    }
    form.part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(mime)
            .unwrap(),
    )
}

/// Uploads a file and returns its preview's address.
async fn hold(app: &TestApp, name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> String {
    let response = app
        .post_multipart("/chi-so-quoc-gia/nhap", upload(name, bytes, fields))
        .await;
    let status = response.status().as_u16();
    let to = location(&response);
    assert_eq!(status, 303, "{}", response.text().await.unwrap());
    assert!(to.starts_with("/chi-so-quoc-gia/nhap/"), "{to}");
    to
}

async fn count(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pools) => sqlx::query_scalar(sql)
            .fetch_one(&pools.read)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

fn total_of(year: &indices::StoredYear, code: &str) -> Option<f64> {
    year.values
        .iter()
        .find(|v| v.unit_code == code && v.measure == "total")
        .and_then(|v| v.value)
}

/// The long `indices.csv` of a stored year, Thừa Thiên Huế's total changed to `hue_total`.
fn corrected_csv(year: &indices::StoredYear, hue_total: &str) -> Vec<u8> {
    let mut csv = String::from("index,year,unit_code,unit_name,measure,value\n");
    for v in &year.values {
        let value = match (v.unit_code.as_str(), v.measure.as_str()) {
            ("46", "total") => hue_total.to_string(),
            _ => v.value.map(|x| x.to_string()).unwrap_or_default(),
        };
        csv.push_str(&format!(
            "papi,{},{},{},{},{value}\n",
            year.version.year, v.unit_code, v.unit_name, v.measure
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_file_is_previewed_then_stored_with_its_audit_and_a_corrected_file_replaces_a_year() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let (status, form) = app.get_text("/chi-so-quoc-gia/nhap").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(form.contains("name=\"publisher\""), "{backend:?}");
        let imports_before = count(&app.db, "SELECT COUNT(*) FROM index_imports").await;

        let fields = [
            ("index", "papi"),
            ("publisher", "UNDP, CECODES, RTA"),
            ("document", "Báo cáo PAPI"),
            ("published_on", "05/04/2017"),
            ("url", "https://papi.org.vn"),
        ];
        let preview = hold(&app, PAPI, fixture(PAPI), &fields).await;
        // Held, not stored.
        assert!(
            indices::year_history(&app.db, "papi", 2016)
                .await
                .unwrap()
                .is_empty()
        );
        let (status, page) = app.get_text(&preview).await;
        assert_eq!(status, 200, "{backend:?}: {page}");
        for expected in [
            // The structure recognised, per year.
            "Năm 2016",
            "(PAPI) 2011–2017",
            // The units read and those without results (2023: Quảng Ninh, Bình Dương).
            "Quảng Ninh (22)",
            "Bình Dương (74)",
            // Warnings in Vietnamese with their sheet, row and column.
            "Hà Nội (01): nội dung 3 là",
            "nhưng các nội dung thành phần cộng lại được",
            "Trang 2016_PAPI, dòng",
            "Tên cột tổng điểm ghi năm 2013 trên trang tính của năm 2014",
            "là tổng điểm có trọng số",
            // 2023 is stored already (the bundled figures): it will be replaced.
            "Năm này đã có số liệu và sẽ được thay thế",
            "Năm này chưa có số liệu: sẽ được thêm mới.",
            "UNDP, CECODES, RTA",
            "05/04/2017",
        ] {
            assert!(
                page.contains(expected),
                "{backend:?}: «{expected}» in {page}"
            );
        }
        for english in [
            " but its ",
            "not read",
            "the total",
            "is outside",
            "listed twice",
        ] {
            assert!(!page.contains(english), "{backend:?}: «{english}»");
        }
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM index_imports").await,
            imports_before
        );

        // Confirm: every year at once, with the source and audit rows of the user.
        let response = app.post_form(&format!("{preview}/xac-nhan"), &[]).await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert!(location(&response).starts_with("/chi-so-quoc-gia/nhap-lieu"));
        let y2016 = indices::current_year(&app.db, "papi", 2016)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(y2016.version.actor_name, "thuongtruc");
        assert_eq!(
            y2016.version.publisher.as_deref(),
            Some("UNDP, CECODES, RTA")
        );
        assert_eq!(
            y2016.version.published_on,
            chrono::NaiveDate::from_ymd_opt(2017, 4, 5)
        );
        assert!((total_of(&y2016, "46").unwrap() - 35.338).abs() < 1e-9);
        let imported = audit::list(
            &app.db,
            &AuditFilter {
                entity_type: Some("index_year".into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let mine: Vec<_> = imported
            .iter()
            .filter(|a| a.actor_name == "thuongtruc")
            .collect();
        assert_eq!(mine.len(), 3, "{backend:?}");
        assert_eq!(mine.iter().filter(|a| a.action == "replace").count(), 1);
        // A confirmation sent twice imports once: the held file is gone.
        let again = app.post_form(&format!("{preview}/xac-nhan"), &[]).await;
        assert_eq!(again.status().as_u16(), 404, "{backend:?}");
        assert_eq!(
            indices::year_history(&app.db, "papi", 2016)
                .await
                .unwrap()
                .len(),
            1
        );

        // A corrected file of 2016: the preview names what changes, old → new.
        let corrected = corrected_csv(&y2016, "35.5");
        let preview = hold(&app, "papi-2016-sua.csv", corrected, &[]).await;
        let (status, page) = app.get_text(&preview).await;
        assert_eq!(status, 200, "{backend:?}: {page}");
        assert!(page.contains("sẽ được thay thế"), "{backend:?}");
        assert!(
            page.contains("Giá trị thay đổi: <strong class=\"num\">1</strong>"),
            "{backend:?}: {page}"
        );
        assert!(page.contains("Thừa Thiên Huế (46)"), "{backend:?}");
        assert!(
            page.contains("35,338") && page.contains("35,5"),
            "{backend:?}"
        );
        let response = app.post_form(&format!("{preview}/xac-nhan"), &[]).await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let history = indices::year_history(&app.db, "papi", 2016).await.unwrap();
        assert_eq!(history.len(), 2, "{backend:?}");
        assert!(history[0].current && !history[1].current);
        let now = indices::current_year(&app.db, "papi", 2016)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(total_of(&now, "46"), Some(35.5));
        // The history lists both versions, the old one replaced and still readable.
        let (status, list) = app.get_text("/chi-so-quoc-gia/nhap-lieu").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(list.contains("đã thay thế") && list.contains("papi-2016-sua.csv"));
        assert!(list.contains("UNDP, CECODES, RTA; Báo cáo PAPI; 05/04/2017"));
        let (status, old) = app
            .get_text(&format!(
                "/chi-so-quoc-gia/nhap-lieu/{}",
                history[1].year_id
            ))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            old.contains("replaced-badge") && old.contains("35,338"),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_file_is_named_and_nothing_is_held_or_stored() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let imports = count(&app.db, "SELECT COUNT(*) FROM index_imports").await;
        let cases: [(&str, Vec<u8>, Vec<(&str, &str)>, &str); 6] = [
            (
                "la.csv",
                b"a,b\n1,2\n".to_vec(),
                vec![("index", "papi")],
                "Không nhận ra cách trình bày của tệp",
            ),
            (
                "la.csv",
                b"a,b\n1,2\n".to_vec(),
                vec![],
                "Không tự nhận ra được chỉ số của tệp: hãy chọn chỉ số.",
            ),
            (
                "ghi-chu.txt",
                b"index,year\n".to_vec(),
                vec![],
                "Tệp phải là CSV hoặc Excel (.xlsx).",
            ),
            (
                "papi.csv",
                b"index,year,unit_code,measure,value\npapi,2016,46,total,cao\n".to_vec(),
                vec![],
                "«cao» không phải là số",
            ),
            (
                PAPI,
                fixture(PAPI),
                vec![("index", "khong-co")],
                "Chưa có cấu trúc của chỉ số «khong-co»",
            ),
            (
                PAPI,
                fixture(PAPI),
                vec![("published_on", "hôm qua")],
                "Ngày công bố chưa đúng",
            ),
        ];
        for (name, bytes, fields, expected) in cases {
            let response = app
                .post_multipart("/chi-so-quoc-gia/nhap", upload(name, bytes, &fields))
                .await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_eq!(status, 422, "{backend:?} {name}: {body}");
            assert!(body.contains(expected), "{backend:?} {name}: {body}");
            assert!(
                body.contains("không có số liệu nào được lưu"),
                "{backend:?}"
            );
        }
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM index_uploads").await,
            0
        );
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM index_imports").await,
            imports
        );
    }
}

#[tokio::test]
async fn unit_roles_are_refused_and_a_held_file_is_its_uploaders() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let preview = hold(&app, PAPI, fixture(PAPI), &[("index", "papi")]).await;
        for user in ["nhaplieu", "lanhdao", "xemketqua"] {
            app.login(user).await;
            assert_eq!(
                app.get("/chi-so-quoc-gia/nhap").await.status().as_u16(),
                403
            );
            let response = app
                .post_multipart("/chi-so-quoc-gia/nhap", upload(PAPI, fixture(PAPI), &[]))
                .await;
            assert_eq!(response.status().as_u16(), 403, "{backend:?} {user}");
            let confirm = app.post_form(&format!("{preview}/xac-nhan"), &[]).await;
            assert_eq!(confirm.status().as_u16(), 403, "{backend:?} {user}");
            let target = app
                .post_form(
                    "/chi-so-quoc-gia/muc-tieu",
                    &[("index", "par"), ("year", "2025"), ("target", "nhóm 10")],
                )
                .await;
            assert_eq!(target.status().as_u16(), 403, "{backend:?} {user}");
        }
        // The administrator may import, but not another user's held file.
        app.login("admin").await;
        assert_eq!(app.get_text(&preview).await.0, 404, "{backend:?}");
        let confirm = app.post_form(&format!("{preview}/xac-nhan"), &[]).await;
        assert_eq!(confirm.status().as_u16(), 404, "{backend:?}");
        assert!(
            indices::year_history(&app.db, "papi", 2016)
                .await
                .unwrap()
                .is_empty()
        );
        // Its uploader cancels it.
        app.login("thuongtruc").await;
        let cancel = app.post_form(&format!("{preview}/huy"), &[]).await;
        assert_eq!(cancel.status().as_u16(), 303, "{backend:?}");
        assert_eq!(
            count(&app.db, "SELECT COUNT(*) FROM index_uploads").await,
            0
        );
    }
}

#[tokio::test]
async fn targets_are_met_missed_or_waiting_for_results() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        // Thừa Thiên Huế (the demo province) in the bundled figures: PAR INDEX 2021 4th of 63
        // (89.32); SIPAS 2021 88.60 %, 17th; no PAPI for 2025.
        for (index, year, target, document) in [
            ("par", "2021", "nhóm 10 tỉnh dẫn đầu", "QĐ 3248/QĐ-UBND"),
            ("sipas", "2021", "SIPAS ≥ 90 %", ""),
            ("papi", "2025", "nhóm 20", "KH 1871/KH-UBND"),
            ("par", "2021", "top 3", ""),
        ] {
            let response = app
                .post_form(
                    "/chi-so-quoc-gia/muc-tieu",
                    &[
                        ("index", index),
                        ("year", year),
                        ("target", target),
                        ("document", document),
                    ],
                )
                .await;
            assert_eq!(response.status().as_u16(), 303, "{backend:?} {target}");
        }
        let statuses = chiso_web::app::indices::targets::evaluate_targets(
            &app.db,
            chiso_web::app::indices::import::catalogue(),
            chiso_web::app::indices::import::roster(),
            Some("46"),
        )
        .await
        .unwrap();
        use chiso_web::app::indices::targets::TargetOutcome;
        let outcomes: Vec<(&str, TargetOutcome)> = statuses
            .iter()
            .map(|s| (s.target.target.as_str(), s.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("nhóm 20", TargetOutcome::NoData),
                ("nhóm 10 tỉnh dẫn đầu", TargetOutcome::Met { by: 6.0 }),
                ("top 3", TargetOutcome::Missed { by: 1.0 }),
                ("SIPAS ≥ 90 %", TargetOutcome::Missed { by: 1.4 }),
            ],
            "{backend:?}: by index, year, then the order set"
        );
        assert_eq!(statuses[1].rank, Some(4));
        assert_eq!(statuses[1].ranked, Some(63));
        assert_eq!(statuses[1].value, Some(89.32));
        assert_eq!(statuses[0].unit_code.as_deref(), Some("46"));
        let (status, page) = app.get_text("/chi-so-quoc-gia/muc-tieu").await;
        assert_eq!(status, 200, "{backend:?}");
        for expected in [
            "Thừa Thiên Huế (46)",
            "Đạt, hơn mục tiêu 6 bậc",
            "Chưa đạt, còn thiếu 1 bậc",
            "Chưa đạt, còn thiếu 1,40 điểm",
            "Chưa có số liệu",
            "hạng 4/63",
            "89,32",
            "QĐ 3248/QĐ-UBND",
        ] {
            assert!(
                page.contains(expected),
                "{backend:?}: «{expected}» in {page}"
            );
        }
        // A target that names no rank or value, or another index, is refused and not stored.
        for (index, target, expected) in [
            ("par", "tăng hạng", "chưa nêu thứ hạng"),
            ("sipas", "PAPI nhóm 20", "ghi tên một chỉ số khác"),
        ] {
            let response = app
                .post_form(
                    "/chi-so-quoc-gia/muc-tieu",
                    &[("index", index), ("year", "2025"), ("target", target)],
                )
                .await;
            assert_eq!(response.status().as_u16(), 422, "{backend:?}");
            assert!(
                response.text().await.unwrap().contains(expected),
                "{backend:?}"
            );
        }
        // Changing and deleting, audited; a viewer reads the list but cannot change it.
        let id = statuses[2].target.id;
        let response = app
            .post_form(
                &format!("/chi-so-quoc-gia/muc-tieu/{id}/sua"),
                &[
                    ("index", "par"),
                    ("year", "2021"),
                    ("target", "top 5"),
                    ("document", ""),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let response = app
            .post_form(&format!("/chi-so-quoc-gia/muc-tieu/{id}/xoa"), &[])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let rows = audit::list(
            &app.db,
            &AuditFilter {
                entity_type: Some("index_target".into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            ["create", "create", "create", "create", "update", "delete"],
            "{backend:?}"
        );
        let update = rows.iter().find(|r| r.action == "update").unwrap();
        assert!(
            update
                .new_value
                .as_deref()
                .unwrap()
                .ends_with("2021: top 5"),
            "{:?}",
            update.new_value
        );
        app.login("xemketqua").await;
        let (status, page) = app.get_text("/chi-so-quoc-gia/muc-tieu").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(!page.contains("target-form"), "{backend:?}");
    }
}

#[tokio::test]
async fn agencies_are_assigned_per_item_and_audited() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let noi_vu = units::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.name == "Sở Nội vụ")
            .unwrap()
            .id;
        let (status, page) = app
            .get_text("/chi-so-quoc-gia/co-quan-phu-trach/papi")
            .await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            page.contains("Tham gia của người dân ở cấp cơ sở"),
            "{backend:?}"
        );
        assert!(
            page.contains("Quản trị điện tử"),
            "{backend:?}: the 2018 structure first"
        );
        let item = "/chi-so-quoc-gia/co-quan-phu-trach/papi/papi-2018/1";
        let (status, form) = app.get_text(item).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(form.contains("Các xã, phường, đặc khu"), "{backend:?}");
        let unit = format!("unit:{noi_vu}");
        let response = app
            .post_form(
                item,
                &[("agency", unit.as_str()), ("agency", "kind:commune")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let assigned = chiso_web::app::indices::agencies::of_index(&app.db, "papi")
            .await
            .unwrap();
        let names: Vec<String> = assigned
            .of_item("papi-2018", "1")
            .iter()
            .map(|a| format!("{a:?}"))
            .collect();
        assert_eq!(names.len(), 2, "{backend:?}: {names:?}");
        assert!(names[0].contains("Sở Nội vụ") && names[1].contains("Commune"));
        let (_, page) = app
            .get_text("/chi-so-quoc-gia/co-quan-phu-trach/papi")
            .await;
        assert!(
            page.contains("Sở Nội vụ; Các xã, phường, đặc khu"),
            "{backend:?}"
        );
        // Saving the same again changes nothing; a unit that does not exist is refused.
        app.post_form(
            item,
            &[("agency", unit.as_str()), ("agency", "kind:commune")],
        )
        .await;
        let refused = app.post_form(item, &[("agency", "unit:999999")]).await;
        assert_eq!(refused.status().as_u16(), 422, "{backend:?}");
        let rows = audit::list(
            &app.db,
            &AuditFilter {
                entity_type: Some("index_agency".into()),
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "{backend:?}");
        assert!(
            rows[0]
                .new_value
                .as_deref()
                .unwrap()
                .contains("Sở Nội vụ; @commune")
        );
        // The audit page says the group by its name.
        let (_, log) = app.get_text("/nhat-ky").await;
        assert!(log.contains("các xã, phường, đặc khu"), "{backend:?}");
        // An item the structure does not have.
        let missing = app
            .post_form("/chi-so-quoc-gia/co-quan-phu-trach/papi/papi-2018/99", &[])
            .await;
        assert_eq!(missing.status().as_u16(), 404, "{backend:?}");
    }
}
