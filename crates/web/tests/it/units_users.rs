//! The units and users screens over HTTP, on both backends: the secretariat manages units
//! (create, edit, import, merge with lineage), the administrator manages accounts, and
//! everyone else is refused on the server.

use crate::common;

use chiso_store::audit::{self, AuditFilter, AuditRecord};
use chiso_store::units::{self, OrgUnit};
use chiso_store::users;
use chiso_store::{Backend, Db};
use chrono::NaiveDate;
use common::{TestApp, location};
use reqwest::multipart::{Form, Part};

async fn all_units(db: &Db) -> Vec<OrgUnit> {
    units::list(db).await.unwrap()
}

/// The current unit with this code (the demo data has one of each).
async fn unit_by_code(db: &Db, code: &str) -> OrgUnit {
    all_units(db)
        .await
        .into_iter()
        .filter(|u| u.code == code)
        .max_by_key(|u| u.valid_from)
        .unwrap_or_else(|| panic!("unit {code}"))
}

async fn audit_rows(db: &Db, entity_type: &str, entity_id: i64) -> Vec<AuditRecord> {
    audit::list(
        db,
        &AuditFilter {
            entity_type: Some(entity_type.into()),
            entity_id: Some(entity_id),
            limit: 1000,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
}

fn csv_upload(name: &str, text: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(text.as_bytes().to_vec())
            .file_name(name.to_string())
            .mime_str("text/csv")
            .unwrap(),
    )
}

async fn status_and_text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn the_secretariat_creates_edits_imports_and_merges_units() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let province = unit_by_code(&app.db, "99").await;
        let province_id = province.id.to_string();

        // The tree and the search (diacritics ignored).
        let (status, body) = app.get_text("/don-vi").await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert!(body.contains("Tỉnh Mẫu"), "{backend:?}");
        assert!(body.contains("Sở Tư pháp"), "{backend:?}");
        assert!(body.contains("table-wrap"), "{backend:?}");
        let (status, body) = app.get_text("/don-vi?q=tu+phap").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains("Sở Tư pháp"), "{backend:?}");
        assert!(!body.contains("Sở Y tế"), "{backend:?}");

        // Create, with errors first: each names its field, in Vietnamese.
        let response = app
            .post_form(
                "/don-vi",
                &[
                    ("code", "S21"),
                    ("name", ""),
                    ("kind", "bogus"),
                    ("valid_from", "2026-01-01"),
                    ("valid_to", "2025-01-01"),
                ],
            )
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Tên đơn vị: không được để trống"),
            "{backend:?}: {body}"
        );
        assert!(body.contains("Loại đơn vị: hãy chọn"), "{backend:?}");
        assert!(
            body.contains("Hiệu lực đến ngày: ngày hết hiệu lực phải sau"),
            "{backend:?}"
        );
        let department = unit_by_code(&app.db, "S01").await;
        let response = app
            .post_form(
                "/don-vi",
                &[
                    ("code", "X77"),
                    ("name", "Xã Sai Cấp"),
                    ("kind", "commune"),
                    ("parent_id", &department.id.to_string()),
                ],
            )
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains(
                "Đơn vị cấp trên: đơn vị loại “Xã, phường, đặc khu” không thể trực thuộc"
            ),
            "{backend:?}: {body}"
        );
        // The store's typed refusal names kinds by their titles, never their codes.
        assert!(
            body.contains("(loại “Sở, ban, ngành”)"),
            "{backend:?}: {body}"
        );
        assert!(!body.contains("(department)") && !body.contains("a commune"));

        let before = all_units(&app.db).await.len();
        let response = app
            .post_form(
                "/don-vi",
                &[
                    ("code", "S21"),
                    ("name", "Sở Thử nghiệm"),
                    ("kind", "department"),
                    ("parent_id", &province_id),
                    ("region", "Bắc Trung Bộ"),
                    ("valid_from", "01/01/2026"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let created = unit_by_code(&app.db, "S21").await;
        assert_eq!(
            location(&response),
            format!("/don-vi/{}?msg=common.created", created.id)
        );
        assert_eq!(created.parent_id, Some(province.id), "{backend:?}");
        assert_eq!(created.valid_from, date(2026, 1, 1), "{backend:?}");
        assert_eq!(all_units(&app.db).await.len(), before + 1, "{backend:?}");

        // Edit: the validity ends; the unit shows as ended.
        let response = app
            .post_form(
                &format!("/don-vi/{}/sua", created.id),
                &[
                    ("code", "S21"),
                    ("name", "Sở Thử nghiệm (đổi tên)"),
                    ("kind", "department"),
                    ("parent_id", &province_id),
                    ("valid_from", "2026-01-01"),
                    ("valid_to", "2026-03-31"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let edited = units::get(&app.db, created.id).await.unwrap();
        assert_eq!(edited.name, "Sở Thử nghiệm (đổi tên)", "{backend:?}");
        assert_eq!(edited.valid_to, Some(date(2026, 3, 31)), "{backend:?}");
        assert_eq!(
            edited.region, None,
            "{backend:?}: a cleared field is cleared"
        );
        let (status, body) = app.get_text(&format!("/don-vi/{}", created.id)).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains("Đã hết hiệu lực"), "{backend:?}");
        assert!(body.contains("31/03/2026"), "{backend:?}");
        // The audit history link (askama writes `&` as `&#38;`).
        assert!(
            body.contains("/nhat-ky?entity_type=org_unit&")
                && body.contains(&format!("entity_id={}\"", created.id)),
            "{backend:?}: the audit link"
        );
        let rows = audit_rows(&app.db, "org_unit", created.id).await;
        assert!(rows.iter().any(|r| r.action == "create"), "{backend:?}");
        assert!(
            rows.iter()
                .any(|r| r.action == "update" && r.field.as_deref() == Some("name")),
            "{backend:?}"
        );
        assert!(
            rows.iter().all(|r| r.actor_name == "thuongtruc"),
            "{backend:?}"
        );
        let (status, _) = app.get_text(&format!("/don-vi/{}/sua", created.id)).await;
        assert_eq!(status, 200, "{backend:?}");

        // A good units.csv with a BOM and CRLF: two new units, one renamed.
        let before = all_units(&app.db).await.len();
        let good = "\u{feff}unit_code,unit_name,kind,parent_code,region\r\n\
                    S30,Sở Mới Nhập,department,99,\r\n\
                    X40,Xã Mới Nhập,commune,99,\r\n\
                    S03,Sở Tư pháp tỉnh Mẫu,,,\r\n";
        let response = app
            .post_multipart("/don-vi/nhap", csv_upload("units.csv", good))
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert!(body.contains("Đã nhập danh sách đơn vị"), "{backend:?}");
        assert_eq!(all_units(&app.db).await.len(), before + 2, "{backend:?}");
        let renamed = unit_by_code(&app.db, "S03").await;
        assert_eq!(renamed.name, "Sở Tư pháp tỉnh Mẫu", "{backend:?}");
        assert_eq!(renamed.parent_id, Some(province.id), "{backend:?}: kept");
        let imported = unit_by_code(&app.db, "X40").await;
        assert_eq!(
            imported.kind,
            chiso_domain::org::OrgKind::Commune,
            "{backend:?}"
        );
        assert!(
            audit_rows(&app.db, "org_unit", imported.id)
                .await
                .iter()
                .any(|r| r.action == "import"),
            "{backend:?}"
        );

        // A bad one: every wrong row named, nothing imported.
        let before = all_units(&app.db).await.len();
        let bad = "unit_code,unit_name,kind,parent_code,valid_from\n\
                   S31,Sở Đúng,department,99,\n\
                   S32,,department,99,\n\
                   S33,Sở Sai Loại,bogus,99,\n\
                   S34,Sở Sai Cha,department,ZZ,\n\
                   S35,Sở Sai Ngày,department,99,31/02/2026\n\
                   S31,Sở Trùng,department,99,\n";
        let response = app
            .post_multipart("/don-vi/nhap", csv_upload("units.csv", bad))
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}: {body}");
        for row in 3..=7 {
            assert!(
                body.contains(&format!("Dòng {row}<")),
                "{backend:?}: row {row} is reported: {body}"
            );
        }
        assert!(!body.contains("Dòng 2<"), "{backend:?}: row 2 is fine");
        assert!(body.contains("Cột unit_name: bắt buộc"), "{backend:?}");
        assert!(body.contains("bogus"), "{backend:?}");
        assert!(body.contains("ZZ"), "{backend:?}");
        assert!(body.contains("bị trùng"), "{backend:?}");
        assert_eq!(
            all_units(&app.db).await.len(),
            before,
            "{backend:?}: nothing imported"
        );
        assert!(
            !all_units(&app.db).await.iter().any(|u| u.code == "S31"),
            "{backend:?}"
        );

        // Only CSV or .xlsx.
        let response = app
            .post_multipart("/don-vi/nhap", csv_upload("units.pdf", "%PDF-1.4"))
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(body.contains("Chỉ nhận tệp .csv"), "{backend:?}");
        let response = app
            .post_multipart("/don-vi/nhap", csv_upload("units.xlsx", "unit_code\n01\n"))
            .await;
        assert_eq!(response.status().as_u16(), 422, "{backend:?}");

        // An .xlsx is read (its first sheet); this one is a framework, not a list of units.
        let framework = chiso_refdata::framework("commune-2025").unwrap();
        let xlsx = chiso_interchange::framework_io::framework_to_xlsx(&framework).unwrap();
        let upload = Form::new().part(
            "file",
            Part::bytes(xlsx)
                .file_name("don-vi.xlsx")
                .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .unwrap(),
        );
        let response = app.post_multipart("/don-vi/nhap", upload).await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Thiếu cột") && body.contains("unit_code"),
            "{backend:?}: {body}"
        );
        assert_eq!(all_units(&app.db).await.len(), before, "{backend:?}");

        // Merge two communes into a new one.
        let x01 = unit_by_code(&app.db, "X01").await;
        let x02 = unit_by_code(&app.db, "X02").await;
        let response = app
            .post_form("/don-vi/hop-nhat", &[("effective_date", "2025-07-01")])
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(body.contains("Đơn vị tiền thân"), "{backend:?}");
        let (status, _) = app.get_text("/don-vi/hop-nhat").await;
        assert_eq!(status, 200, "{backend:?}");
        let response = app
            .post_form(
                "/don-vi/hop-nhat",
                &[
                    ("predecessor", &x01.id.to_string()),
                    ("predecessor", &x02.id.to_string()),
                    ("target", "new"),
                    ("code", "X90"),
                    ("name", "Phường Hợp Nhất"),
                    ("kind", "commune"),
                    ("parent_id", &province_id),
                    ("effective_date", "2025-07-01"),
                    ("note", "Nghị quyết thử nghiệm"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let merged = unit_by_code(&app.db, "X90").await;
        assert_eq!(
            location(&response),
            format!("/don-vi/{}?msg=units.merged", merged.id)
        );
        assert_eq!(merged.valid_from, date(2025, 7, 1), "{backend:?}");
        for old in [&x01, &x02] {
            let ended = units::get(&app.db, old.id).await.unwrap();
            assert_eq!(ended.valid_to, Some(date(2025, 6, 30)), "{backend:?}");
        }
        let (status, body) = app.get_text(&location(&response)).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            body.contains("Đã hợp nhất đơn vị"),
            "{backend:?}: the flash"
        );
        assert!(body.contains(&x01.name), "{backend:?}: predecessor shown");
        assert!(body.contains(&x02.name), "{backend:?}: predecessor shown");
        assert!(body.contains("01/07/2025"), "{backend:?}");
        let (_, body) = app.get_text(&format!("/don-vi/{}", x01.id)).await;
        assert!(
            body.contains("Phường Hợp Nhất"),
            "{backend:?}: successor shown"
        );
        assert!(body.contains("Đã hết hiệu lực"), "{backend:?}");
        let merges = audit_rows(&app.db, "org_unit", merged.id).await;
        assert_eq!(
            merges.iter().filter(|r| r.action == "merge").count(),
            2,
            "{backend:?}"
        );

        // Merge into an existing unit that continues.
        let x03 = unit_by_code(&app.db, "X03").await;
        let x04 = unit_by_code(&app.db, "X04").await;
        let response = app
            .post_form(
                "/don-vi/hop-nhat",
                &[
                    ("predecessor", &x03.id.to_string()),
                    ("predecessor", &x04.id.to_string()),
                    ("target", "existing"),
                    ("successor_id", &x04.id.to_string()),
                    ("effective_date", "01/07/2025"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert_eq!(
            units::get(&app.db, x04.id).await.unwrap().valid_to,
            None,
            "{backend:?}: the successor continues"
        );
        let edges = units::lineage(&app.db).await.unwrap();
        assert!(
            edges
                .iter()
                .any(|e| e.predecessor_id == x03.id && e.successor_id == x04.id),
            "{backend:?}"
        );
        assert!(
            !edges.iter().any(|e| e.predecessor_id == e.successor_id),
            "{backend:?}: no unit is its own predecessor"
        );

        // Historical units are told apart, and can be hidden.
        let (_, body) = app.get_text("/don-vi").await;
        assert!(body.contains("unit-historical"), "{backend:?}");
        let (_, body) = app.get_text("/don-vi?current=1").await;
        assert!(!body.contains(&x01.name), "{backend:?}: ended units hidden");
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused() {
    for mut app in common::apps_with(|config| config.max_upload_bytes = 4096).await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let before = all_units(&app.db).await.len();
        let mut text = String::from("unit_code,unit_name,kind,parent_code\n");
        for i in 0..400 {
            text.push_str(&format!("S{:03},Sở số {i},department,99\n", 100 + i));
        }
        let response = app
            .post_multipart("/don-vi/nhap", csv_upload("units.csv", &text))
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 413, "{backend:?}: {body}");
        assert!(body.contains("vượt quá dung lượng"), "{backend:?}");
        assert_eq!(all_units(&app.db).await.len(), before, "{backend:?}");
    }
}

/// Every route that changes units, each answered 403 for a user without `ManageUnits`.
async fn unit_writes_are_refused(app: &TestApp, who: &str) {
    let backend = app.backend;
    let unit = unit_by_code(&app.db, "S03").await;
    let province = unit_by_code(&app.db, "99").await;
    let id = unit.id.to_string();
    for path in [
        "/don-vi/moi".to_string(),
        format!("/don-vi/{id}/sua"),
        "/don-vi/hop-nhat".to_string(),
        "/don-vi/nhap".to_string(),
    ] {
        let (status, _) = app.get_text(&path).await;
        assert_eq!(status, 403, "{backend:?}: {who} GET {path}");
    }
    let fields = [
        ("code", "S55"),
        ("name", "Không được tạo"),
        ("kind", "department"),
    ];
    for path in ["/don-vi".to_string(), format!("/don-vi/{id}/sua")] {
        let status = app.post_form(&path, &fields).await.status().as_u16();
        assert_eq!(status, 403, "{backend:?}: {who} POST {path}");
    }
    let status = app
        .post_form(
            "/don-vi/hop-nhat",
            &[
                ("predecessor", &id),
                ("target", "existing"),
                ("successor_id", &province.id.to_string()),
                ("effective_date", "2025-07-01"),
            ],
        )
        .await
        .status()
        .as_u16();
    assert_eq!(status, 403, "{backend:?}: {who} POST /don-vi/hop-nhat");
    let status = app
        .post_multipart(
            "/don-vi/nhap",
            csv_upload("units.csv", "unit_code,unit_name\n55,Tỉnh Không Được\n"),
        )
        .await
        .status()
        .as_u16();
    assert_eq!(status, 403, "{backend:?}: {who} POST /don-vi/nhap");
}

#[tokio::test]
async fn only_unit_managers_change_units_and_only_users_see_them() {
    for mut app in common::apps().await {
        let backend = app.backend;
        let before = all_units(&app.db).await;
        let unit = unit_by_code(&app.db, "S03").await;
        for who in ["xemketqua", "nhaplieu"] {
            app.login(who).await;
            // Reading is allowed...
            let (status, _) = app.get_text("/don-vi").await;
            assert_eq!(status, 200, "{backend:?}: {who} reads the tree");
            let (status, body) = app.get_text(&format!("/don-vi/{}", unit.id)).await;
            assert_eq!(status, 200, "{backend:?}: {who} reads a unit");
            assert!(
                !body.contains("/sua\""),
                "{backend:?}: no edit link for {who}"
            );
            assert!(
                !body.contains("/nhat-ky?"),
                "{backend:?}: no audit history for {who}"
            );
            // ...writing is not.
            unit_writes_are_refused(&app, who).await;
        }
        assert_eq!(
            all_units(&app.db).await,
            before,
            "{backend:?}: nothing changed"
        );

        // Anonymous: to the login page, whatever the method.
        app.logout().await;
        for path in ["/don-vi", "/don-vi/moi", "/don-vi/nhap"] {
            let response = app.get(path).await;
            assert_eq!(response.status().as_u16(), 303, "{backend:?}: GET {path}");
            assert!(
                location(&response).starts_with("/dang-nhap"),
                "{backend:?}: GET {path}"
            );
        }
        let response = app
            .post_form("/don-vi", &[("code", "S56"), ("name", "X")])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert!(location(&response).starts_with("/dang-nhap"), "{backend:?}");
        assert_eq!(all_units(&app.db).await, before, "{backend:?}");
    }
}

/// The temporary password shown once on the page.
fn temporary_password(body: &str) -> String {
    let start = body
        .find("class=\"secret\"><code>")
        .expect("the page shows a temporary password")
        + "class=\"secret\"><code>".len();
    let end = body[start..].find('<').unwrap();
    body[start..start + end].to_string()
}

#[tokio::test]
async fn the_admin_manages_accounts_roles_and_passwords() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("admin").await;
        let (status, body) = app.get_text("/nguoi-dung").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.contains("thuongtruc"), "{backend:?}");
        assert!(body.contains("Sở Tư pháp"), "{backend:?}: units of roles");
        let (status, _) = app.get_text("/nguoi-dung/moi").await;
        assert_eq!(status, 200, "{backend:?}");

        // Wrong forms name their fields.
        let response = app
            .post_form(
                "/nguoi-dung",
                &[
                    ("username", "Có Dấu"),
                    ("full_name", ""),
                    ("email", "not-an-email"),
                    ("password", "short"),
                ],
            )
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Tên đăng nhập: chỉ gồm"),
            "{backend:?}: {body}"
        );
        assert!(
            body.contains("Họ và tên: không được để trống"),
            "{backend:?}"
        );
        assert!(body.contains("Thư điện tử: địa chỉ"), "{backend:?}");
        assert!(
            body.contains("Mật khẩu ban đầu: cần ít nhất 10"),
            "{backend:?}"
        );
        let response = app
            .post_form(
                "/nguoi-dung",
                &[("username", "nhaplieu"), ("full_name", "Trùng Tên")],
            )
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Tên đăng nhập: tên đăng nhập nhaplieu đã có người dùng"),
            "{backend:?}: {body}"
        );

        // Create with a generated password, shown once.
        let response = app
            .post_form(
                "/nguoi-dung",
                &[
                    ("username", "CanBo.Moi"),
                    ("full_name", "Nguyễn Văn Mới"),
                    ("email", "moi@example.vn"),
                    ("password", ""),
                ],
            )
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        let first_password = temporary_password(&body);
        assert!(first_password.len() >= 10, "{backend:?}");
        let user = users::find_by_username(&app.db, "canbo.moi")
            .await
            .unwrap()
            .expect("created");
        assert!(user.must_change_password, "{backend:?}");
        assert_eq!(user.email.as_deref(), Some("moi@example.vn"));
        let (_, body) = app.get_text(&format!("/nguoi-dung/{}", user.id)).await;
        assert!(
            !body.contains(&first_password),
            "{backend:?}: the password is shown only once"
        );

        // Roles: a unit role needs a unit; areas only for appraisers.
        let roles_path = format!("/nguoi-dung/{}/vai-tro", user.id);
        let response = app
            .post_form(&roles_path, &[("role", "unit_editor"), ("unit_id", "")])
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Đơn vị: bắt buộc chọn đơn vị"),
            "{backend:?}: {body}"
        );
        let response = app
            .post_form(&roles_path, &[("role", "viewer"), ("areas", "1,2")])
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Lĩnh vực thẩm định: chỉ áp dụng"),
            "{backend:?}"
        );
        let s03 = unit_by_code(&app.db, "S03").await;
        let response = app
            .post_form(
                &roles_path,
                &[("role", "unit_editor"), ("unit_id", &s03.id.to_string())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert_eq!(
            location(&response),
            format!("/nguoi-dung/{}?msg=users.role_added", user.id)
        );
        let response = app
            .post_form(
                &roles_path,
                &[("role", "appraiser"), ("unit_id", ""), ("areas", "1, 2;3")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let roles = users::roles(&app.db, user.id).await.unwrap();
        assert_eq!(roles.len(), 2, "{backend:?}");
        assert_eq!(roles[0].role, chiso_domain::access::Role::UnitEditor);
        assert_eq!(roles[0].unit_id, Some(s03.id));
        assert_eq!(roles[1].areas(), ["1", "2", "3"], "{backend:?}");
        let response = app
            .post_form(
                &format!("/nguoi-dung/{}/vai-tro/{}/xoa", user.id, roles[1].id),
                &[],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert_eq!(users::roles(&app.db, user.id).await.unwrap().len(), 1);
        let (_, body) = app.get_text("/nguoi-dung").await;
        assert!(body.contains("canbo.moi"), "{backend:?}");

        // The new user logs in and must change the password first.
        app.login_with("canbo.moi", &first_password).await;
        let response = app.get("/don-vi").await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert_eq!(location(&response), "/doi-mat-khau");
        let response = app
            .post_form(
                "/doi-mat-khau",
                &[
                    ("current", &first_password),
                    ("new_password", "mat-khau-rieng-2026"),
                    ("confirm", "mat-khau-rieng-2026"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let (status, _) = app.get_text("/don-vi").await;
        assert_eq!(status, 200, "{backend:?}: a unit editor reads units");
        let (status, _) = app.get_text("/nguoi-dung").await;
        assert_eq!(status, 403, "{backend:?}");

        // Deactivated: the login is refused.
        app.login("admin").await;
        let admin = users::find_by_username(&app.db, "admin")
            .await
            .unwrap()
            .unwrap();
        let response = app
            .post_form(&format!("/nguoi-dung/{}/vo-hieu-hoa", user.id), &[])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert!(!users::get(&app.db, user.id).await.unwrap().active);
        let response = app.try_login("canbo.moi", "mat-khau-rieng-2026").await;
        // Refused as any failed login is, so that nobody learns the account exists.
        assert_eq!(response.status().as_u16(), 401, "{backend:?}: inactive");

        // The admin cannot deactivate themself.
        let response = app
            .post_form(&format!("/nguoi-dung/{}/vo-hieu-hoa", admin.id), &[])
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(body.contains("không thể vô hiệu hóa tài khoản của chính mình"));
        assert!(users::get(&app.db, admin.id).await.unwrap().active);

        // Reactivate and reset the password: the old one no longer works.
        app.login("admin").await;
        let response = app
            .post_form(&format!("/nguoi-dung/{}/kich-hoat", user.id), &[])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let response = app
            .post_form(&format!("/nguoi-dung/{}/dat-lai-mat-khau", user.id), &[])
            .await;
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{backend:?}: the password page is not cached"
        );
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 200, "{backend:?}");
        let reset_password = temporary_password(&body);
        assert!(
            users::get(&app.db, user.id)
                .await
                .unwrap()
                .must_change_password,
            "{backend:?}"
        );
        let response = app.try_login("canbo.moi", "mat-khau-rieng-2026").await;
        assert_eq!(response.status().as_u16(), 401, "{backend:?}");
        app.login_with("canbo.moi", &reset_password).await;
        assert_eq!(
            location(&app.get("/").await),
            "/doi-mat-khau",
            "{backend:?}"
        );

        // Every change is in the audit log, by the admin.
        let rows = audit_rows(&app.db, "user", user.id).await;
        for action in ["create", "grant", "revoke", "update", "reset_password"] {
            assert!(
                rows.iter()
                    .any(|r| r.action == action && r.actor_name == "admin"),
                "{backend:?}: audit row {action}: {rows:#?}"
            );
        }
        assert!(
            rows.iter()
                .any(|r| r.field.as_deref() == Some("active")
                    && r.new_value.as_deref() == Some("false")),
            "{backend:?}"
        );
        assert!(
            rows.iter().all(|r| !r
                .new_value
                .as_deref()
                .is_some_and(|v| v.contains(&reset_password))),
            "{backend:?}: no password in the audit log"
        );
    }
}

#[tokio::test]
async fn only_the_admin_reaches_the_users_screens() {
    for mut app in common::apps().await {
        let backend: Backend = app.backend;
        let target = users::find_by_username(&app.db, "xemketqua")
            .await
            .unwrap()
            .unwrap();
        let role = users::roles(&app.db, target.id).await.unwrap()[0].id;
        let before = users::list(&app.db).await.unwrap();
        let roles_before = users::all_roles(&app.db).await.unwrap();
        for who in ["thuongtruc", "xemketqua"] {
            app.login(who).await;
            let id = target.id;
            for path in [
                "/nguoi-dung".to_string(),
                "/nguoi-dung/moi".to_string(),
                format!("/nguoi-dung/{id}"),
            ] {
                let (status, _) = app.get_text(&path).await;
                assert_eq!(status, 403, "{backend:?}: {who} GET {path}");
            }
            let posts: [(String, Vec<(&str, &str)>); 8] = [
                (
                    "/nguoi-dung".into(),
                    vec![("username", "xam.nhap"), ("full_name", "Xâm Nhập")],
                ),
                (
                    format!("/nguoi-dung/{id}/ho-so"),
                    vec![("full_name", "Đổi Tên")],
                ),
                (format!("/nguoi-dung/{id}/vai-tro"), vec![("role", "admin")]),
                (format!("/nguoi-dung/{id}/vai-tro/{role}/xoa"), vec![]),
                (format!("/nguoi-dung/{id}/vo-hieu-hoa"), vec![]),
                (format!("/nguoi-dung/{id}/kich-hoat"), vec![]),
                (format!("/nguoi-dung/{id}/dat-lai-mat-khau"), vec![]),
                (
                    format!("/nguoi-dung/{id}/vai-tro"),
                    vec![("role", "secretariat")],
                ),
            ];
            for (path, fields) in &posts {
                let status = app.post_form(path, fields).await.status().as_u16();
                assert_eq!(status, 403, "{backend:?}: {who} POST {path}");
            }
            let (_, body) = app.get_text("/").await;
            assert!(
                !body.contains("href=\"/nguoi-dung\""),
                "{backend:?}: no menu entry for {who}"
            );
        }
        assert_eq!(users::list(&app.db).await.unwrap(), before, "{backend:?}");
        assert_eq!(
            users::all_roles(&app.db).await.unwrap(),
            roles_before,
            "{backend:?}"
        );
        app.logout().await;
        let response = app.get("/nguoi-dung").await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        assert!(location(&response).starts_with("/dang-nhap"));
    }
}

#[tokio::test]
async fn form_errors_follow_the_language() {
    for mut app in common::apps().await {
        let backend = app.backend;
        app.login("thuongtruc").await;
        let response = app.post_form("/ngon-ngu", &[("lang", "en")]).await;
        assert_eq!(response.status().as_u16(), 303, "{backend:?}");
        let response = app
            .post_form("/don-vi", &[("code", "S60"), ("kind", "department")])
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            body.contains("Unit name: must not be empty"),
            "{backend:?}: {body}"
        );
        let response = app
            .post_multipart(
                "/don-vi/nhap",
                csv_upload("units.csv", "unit_code,unit_name\n01,A\n01,B\n"),
            )
            .await;
        let (status, body) = status_and_text(response).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(body.contains("Row 3<"), "{backend:?}: {body}");
        assert!(body.contains("repeated"), "{backend:?}");
    }
}
