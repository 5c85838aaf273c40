//! Accounts over HTTP on both backends: login, logout, lockout, rate limiting, CSRF, password
//! change, the language switch, and a second start on the same database.

use crate::common;

use std::net::SocketAddr;

use chiso_store::audit::{self, AuditFilter};
use chiso_store::users;
use common::{TestApp, apps, apps_with, location};

async fn audit_actions(app: &TestApp, entity_type: &str) -> Vec<String> {
    audit::list(
        &app.db,
        &AuditFilter {
            entity_type: Some(entity_type.into()),
            limit: 1000,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.action)
    .collect()
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login_page_and_come_back_after_it() {
    for mut app in apps().await {
        let response = app.get("/nhat-ky?entity_type=unit").await;
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
        assert_eq!(
            location(&response),
            "/dang-nhap?next=/nhat-ky%3Fentity_type%3Dunit"
        );

        let (status, body) = app.get_text("/dang-nhap?next=/nhat-ky").await;
        assert_eq!(status, 200);
        assert!(body.contains("Đăng nhập hệ thống"), "Vietnamese by default");
        let response = app
            .post_form(
                "/dang-nhap",
                &[
                    ("username", "thuongtruc"),
                    ("password", chiso_web::demo::PASSWORD),
                    ("next", "/nhat-ky"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
        assert_eq!(location(&response), "/nhat-ky");
        app.refresh_csrf().await;
        let (status, body) = app.get_text("/").await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Nguyễn Thị Thu Hà"),
            "{:?}: the home page greets the user",
            app.backend
        );

        // Never redirect to another site after login.
        app.logout().await;
        let response = app
            .post_form(
                "/dang-nhap",
                &[
                    ("username", "thuongtruc"),
                    ("password", chiso_web::demo::PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        assert_eq!(location(&response), "/");
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_recorded() {
    for app in apps().await {
        let response = app.try_login("thuongtruc", "not the password").await;
        assert_eq!(response.status().as_u16(), 401, "{:?}", app.backend);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("tên đăng nhập hoặc mật khẩu không đúng")
        );
        let response = app.try_login("nobody", "not the password").await;
        assert_eq!(
            response.status().as_u16(),
            401,
            "unknown users get the same answer"
        );
        let user = users::find_by_username(&app.db, "thuongtruc")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.failed_logins, 1, "{:?}", app.backend);
    }
}

#[tokio::test]
async fn an_account_locks_after_repeated_failures_even_for_the_right_password() {
    for app in apps_with(|c| c.lockout_failures = 3).await {
        for _ in 0..3 {
            let response = app.try_login("lanhdao", "wrong password!").await;
            assert_eq!(response.status().as_u16(), 401, "{:?}", app.backend);
        }
        // Locked: refused with the same answer as a wrong password, which names the lock.
        let response = app.try_login("lanhdao", chiso_web::demo::PASSWORD).await;
        assert_eq!(response.status().as_u16(), 401, "{:?}: locked", app.backend);
        assert!(response.text().await.unwrap().contains("tạm khóa"));
        // Other accounts are unaffected.
        let response = app.try_login("nhaplieu", chiso_web::demo::PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
    }
}

#[tokio::test]
async fn one_address_is_rate_limited_across_accounts() {
    for app in apps_with(|c| c.ip_failures_per_15_minutes = 4).await {
        for name in ["a1", "a2", "a3", "a4"] {
            let response = app.try_login(name, "whatever-password").await;
            assert_eq!(response.status().as_u16(), 401, "{:?}", app.backend);
        }
        // Even a correct password is refused from this address now.
        let response = app.try_login("admin", chiso_web::demo::PASSWORD).await;
        assert_eq!(response.status().as_u16(), 429, "{:?}", app.backend);
        assert!(response.text().await.unwrap().contains("quá nhiều lần"));
    }
}

#[tokio::test]
async fn state_changing_requests_need_the_session_token_and_the_same_site() {
    for mut app in apps().await {
        // Before login: the login form itself needs the pre-login token.
        let response = app
            .post_form_without_csrf(
                "/dang-nhap",
                &[
                    ("username", "admin"),
                    ("password", chiso_web::demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 403, "{:?}", app.backend);

        app.login("thuongtruc").await;
        // Missing token.
        let response = app.post_form_without_csrf("/dang-xuat", &[]).await;
        assert_eq!(response.status().as_u16(), 403, "{:?}", app.backend);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Phiên làm việc đã hết hạn")
        );
        // A wrong token.
        let response = app
            .post_form_without_csrf("/dang-xuat", &[("_csrf", "x".repeat(43).as_str())])
            .await;
        assert_eq!(response.status().as_u16(), 403);
        // The right token from another site.
        let response = app
            .request(reqwest::Method::POST, "/dang-xuat")
            .header("origin", "https://evil.example")
            .form(&[("_csrf", app.csrf())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        let response = app
            .request(reqwest::Method::POST, "/dang-xuat")
            .header("sec-fetch-site", "cross-site")
            .header("x-csrf-token", app.csrf())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        // Still signed in after all of these.
        let (status, _) = app.get_text("/").await;
        assert_eq!(
            status, 200,
            "{:?}: the refused logouts did nothing",
            app.backend
        );
        // The header form of the token works (htmx sends it).
        let response = app
            .request(reqwest::Method::POST, "/dang-xuat")
            .header("x-csrf-token", app.csrf())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(app.get("/").await.status().as_u16(), 303, "signed out");
    }
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    for mut app in apps().await {
        let response = app.try_login("xemketqua", chiso_web::demo::PASSWORD).await;
        let session = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("chiso_sid="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        app.refresh_csrf().await;
        assert_eq!(
            app.get("/").await.status().as_u16(),
            200,
            "{:?}",
            app.backend
        );
        let response = app.post_form("/dang-xuat", &[]).await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(location(&response), "/dang-nhap");
        // The old cookie, replayed by another client, no longer opens anything.
        let replay = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = replay
            .get(app.url("/"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            303,
            "{:?}: the session is gone on the server",
            app.backend
        );
    }
}

#[tokio::test]
async fn a_password_change_checks_the_current_one_and_takes_effect() {
    for mut app in apps().await {
        app.login("nhaplieu").await;
        let new_password = "mật-khẩu-mới-2026";
        for (current, new, confirm, message) in [
            (
                "wrong-password",
                new_password,
                new_password,
                "Mật khẩu hiện tại không đúng.",
            ),
            (
                chiso_web::demo::PASSWORD,
                new_password,
                "different-one!",
                "không khớp",
            ),
            (
                chiso_web::demo::PASSWORD,
                "short",
                "short",
                "ít nhất 10 ký tự",
            ),
        ] {
            let response = app
                .post_form(
                    "/doi-mat-khau",
                    &[
                        ("current", current),
                        ("new_password", new),
                        ("confirm", confirm),
                    ],
                )
                .await;
            assert_eq!(response.status().as_u16(), 422, "{:?}", app.backend);
            assert!(
                response.text().await.unwrap().contains(message),
                "{message}"
            );
        }
        let response = app
            .post_form(
                "/doi-mat-khau",
                &[
                    ("current", chiso_web::demo::PASSWORD),
                    ("new_password", new_password),
                    ("confirm", new_password),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
        app.logout().await;
        let response = app.try_login("nhaplieu", chiso_web::demo::PASSWORD).await;
        assert_eq!(
            response.status().as_u16(),
            401,
            "the old password no longer works"
        );
        app.login_with("nhaplieu", new_password).await;
        assert!(
            audit_actions(&app, "user")
                .await
                .iter()
                .any(|a| a == "change_password"),
            "{:?}",
            app.backend
        );
    }
}

#[tokio::test]
async fn the_interface_switches_to_english_and_back() {
    for mut app in apps().await {
        app.login("admin").await;
        let response = app.post_form("/ngon-ngu", &[("lang", "en")]).await;
        assert_eq!(response.status().as_u16(), 303);
        let (_, body) = app.get_text("/").await;
        assert!(body.contains("lang=\"en\""), "{:?}", app.backend);
        assert!(body.contains("Log out"), "English labels");
        let response = app.post_form("/ngon-ngu", &[("lang", "vi")]).await;
        assert_eq!(response.status().as_u16(), 303);
        let (_, body) = app.get_text("/").await;
        assert!(body.contains("Đăng xuất"));
    }
}

#[tokio::test]
async fn the_audit_log_is_for_staff_and_exports_as_csv() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let (status, body) = app.get_text("/nhat-ky").await;
        assert_eq!(status, 200, "{:?}", app.backend);
        assert!(body.contains("Nhật ký thay đổi"));
        let response = app.get("/nhat-ky.csv?entity_type=campaign").await;
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = response.text().await.unwrap();
        assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
        assert!(
            text.lines().count() > 1,
            "the demo campaign's creation is logged"
        );
        assert!(
            text.lines().skip(1).all(|l| l.contains("đợt đánh giá")),
            "filtered by entity type: every sentence names a campaign"
        );

        app.login("nhaplieu").await;
        assert_eq!(
            app.get("/nhat-ky").await.status().as_u16(),
            403,
            "{:?}",
            app.backend
        );
        assert_eq!(app.get("/nhat-ky.csv").await.status().as_u16(), 403);
    }
}

#[tokio::test]
async fn a_second_start_on_the_same_database_migrates_nothing_and_seeds_nothing() {
    for app in apps().await {
        let migrations = app.db.applied_migrations().await.unwrap();
        let users_before = users::list(&app.db).await.unwrap().len();
        let config = chiso_web::Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: app_url(&app),
            demo_data: true,
            data_dir: app.data_dir.clone(),
            ..chiso_web::Config::default()
        };
        let second = chiso_web::build(config).await.expect("a second start");
        assert!(
            !second.seeded_demo,
            "{:?}: demo data only into an empty database",
            app.backend
        );
        assert_eq!(second.db.applied_migrations().await.unwrap(), migrations);
        assert_eq!(users::list(&second.db).await.unwrap().len(), users_before);
        second.db.close().await;
    }
}

fn app_url(app: &TestApp) -> String {
    app.database_url().to_string()
}
