//! Attacks the hostile-input suites do not already make (tests/it/hostile_suite.rs,
//! hostile_files.rs, input_hygiene.rs, login_security.rs, authorization.rs), on both backends:
//! - session fixation: a session id planted in the victim's browser before the login — made up,
//!   or the attacker's own valid one — is never the session the login opens, and the planted
//!   one gains nothing;
//! - privilege escalation through role fields: a role granted through the users' forms by
//!   anyone but the administrator, or slipped into self-service forms, changes no role;
//! - path traversal on downloads and static files: encoded `..` never reaches a file;
//! - SQL metacharacters and script payloads in text fields: stored as typed, shown escaped,
//!   the tables intact.

use crate::common::{TestApp, apps, csrf_in};
use chiso_store::users;
use chiso_web::demo::PASSWORD;

/// A browser without a cookie jar: the cookies are what the test says.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value a response sets for `name`, if it sets one.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// Logs in with a session id already in the browser; the session cookie the login sets. A
/// valid planted session brings its own form token, which its planter knows.
async fn login_with_cookies(app: &TestApp, username: &str, planted: &str) -> String {
    let client = bare();
    let page = client.get(app.url("/dang-nhap")).send().await.unwrap();
    let csrf_cookie = set_cookie(&page, "chiso_csrf").expect("the login page's token cookie");
    let mut token = csrf_in(&page.text().await.unwrap()).unwrap();
    if !planted.is_empty() {
        let own = client
            .get(app.url("/doi-mat-khau"))
            .header("cookie", format!("chiso_sid={planted}"))
            .send()
            .await
            .unwrap();
        if own.status() == 200
            && let Some(planted_token) = csrf_in(&own.text().await.unwrap())
        {
            token = planted_token;
        }
    }
    let response = client
        .post(app.url("/dang-nhap"))
        .header(
            "cookie",
            format!("chiso_csrf={csrf_cookie}; chiso_sid={planted}"),
        )
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        303,
        "{:?}: login as {username}",
        app.backend
    );
    set_cookie(&response, "chiso_sid").expect("a login sets its session")
}

/// The status of a page asked with only a session cookie.
async fn status_with_session(app: &TestApp, path: &str, sid: &str) -> u16 {
    bare()
        .get(app.url(path))
        .header("cookie", format!("chiso_sid={sid}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_planted_session_id_is_never_the_one_a_login_opens() {
    for app in apps().await {
        let backend = app.backend;
        // A made-up id: the login opens another, and the made-up one is nobody.
        let made_up = "a".repeat(43);
        let opened = login_with_cookies(&app, "thuongtruc", &made_up).await;
        assert_ne!(opened, made_up, "{backend:?}");
        assert_eq!(
            status_with_session(&app, "/nguoi-dung", &opened).await,
            403,
            "secretariat"
        );
        assert_eq!(
            status_with_session(&app, "/", &made_up).await,
            303,
            "{backend:?}"
        );

        // The attacker's own valid session planted in the administrator's browser: the
        // administrator's login opens a new one, and the attacker's stays a viewer's.
        let attackers = login_with_cookies(&app, "xemketqua", "").await;
        let admins = login_with_cookies(&app, "admin", &attackers).await;
        assert_ne!(admins, attackers, "{backend:?}");
        assert_eq!(status_with_session(&app, "/nguoi-dung", &admins).await, 200);
        assert_eq!(
            status_with_session(&app, "/nguoi-dung", &attackers).await,
            403,
            "{backend:?}: the planted session gained nothing"
        );
    }
}

#[tokio::test]
async fn role_fields_change_no_role_unless_the_administrator_sets_them() {
    for mut app in apps().await {
        let backend = app.backend;
        let leader = users::find_by_username(&app.db, "lanhdao")
            .await
            .unwrap()
            .unwrap();
        let before = users::roles(&app.db, leader.id).await.unwrap();
        let path = format!("/nguoi-dung/{}/vai-tro", leader.id);
        // The unit leader, the secretariat and the viewer try to make the leader an
        // administrator.
        for who in ["lanhdao", "thuongtruc", "xemketqua"] {
            app.login(who).await;
            let response = app
                .post_form(&path, &[("role", "admin"), ("unit_id", "")])
                .await;
            assert_eq!(response.status(), 403, "{backend:?}: {who}");
            // Role fields slipped into the self-service forms.
            app.post_form(
                "/doi-mat-khau",
                &[
                    ("current", PASSWORD),
                    ("new_password", PASSWORD),
                    ("confirm", PASSWORD),
                    ("role", "admin"),
                ],
            )
            .await;
            app.post_form("/ngon-ngu", &[("lang", "vi"), ("role", "admin")])
                .await;
        }
        assert_eq!(
            users::roles(&app.db, leader.id).await.unwrap(),
            before,
            "{backend:?}"
        );
        for who in ["thuongtruc", "xemketqua"] {
            let user = users::find_by_username(&app.db, who)
                .await
                .unwrap()
                .unwrap();
            let roles = users::roles(&app.db, user.id).await.unwrap();
            assert!(
                roles
                    .iter()
                    .all(|r| r.role != chiso_domain::access::Role::Admin),
                "{backend:?}: {who} {roles:?}"
            );
        }
    }
}

#[tokio::test]
async fn encoded_dot_dot_never_reaches_a_file() {
    for mut app in apps().await {
        app.login("admin").await;
        for path in [
            "/static/..%2F..%2FCargo.toml",
            "/static/%2e%2e%2f%2e%2e%2fCargo.toml",
            "/static/..%5c..%5cCargo.toml",
            "/static/....//Cargo.toml",
            "/tai-lieu/..%2F..%2F..%2Fetc%2Fpasswd",
            "/tai-lieu/1%2F..%2F..%2Fetc%2Fpasswd",
            "/cong-khai/logo/..%2F..%2Fetc%2Fpasswd",
            "/bao-cao/..%2F..%2Fetc%2Fpasswd/tep",
            "/khao-sat/nhap/..%2F..%2Fetc%2Fpasswd/tien-do",
        ] {
            let (status, body) = app.get_text(path).await;
            assert!(
                matches!(status, 400 | 404),
                "{:?}: {path} answered {status}",
                app.backend
            );
            assert!(
                !body.contains("[workspace]") && !body.contains("root:x:0:0"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn sql_and_script_payloads_are_stored_as_typed_and_shown_escaped() {
    let payload = "Sở '); DROP TABLE units; -- <script>alert(1)</script> \" OR 1=1";
    for mut app in apps().await {
        let backend = app.backend;
        app.login("admin").await;
        let user = users::find_by_username(&app.db, "xemketqua")
            .await
            .unwrap()
            .unwrap();
        let response = app
            .post_form(
                &format!("/nguoi-dung/{}/ho-so", user.id),
                &[("full_name", payload), ("email", "")],
            )
            .await;
        assert!(
            response.status().is_redirection() || response.status().is_success(),
            "{backend:?}: {}",
            response.status()
        );
        let stored = users::get(&app.db, user.id).await.unwrap();
        assert_eq!(stored.full_name, payload, "{backend:?}: stored as typed");
        assert!(!chiso_store::units::list(&app.db).await.unwrap().is_empty());
        let (_, page) = app.get_text(&format!("/nguoi-dung/{}", user.id)).await;
        assert!(!page.contains("<script>alert(1)</script>"), "{backend:?}");
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{backend:?}: shown escaped"
        );
    }
}
