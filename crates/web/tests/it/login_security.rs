//! The login path and the session under attack, on both backends: parallel guessing, forged
//! proxy headers, username probing, redirects after login, cross-site forms, cookie prefixes,
//! caching and the session's absolute lifetime.

use crate::common;

use chiso_store::users;
use chiso_store::{Actor, with_db};
use chiso_web::client::TrustedProxies;
use common::{TestApp, apps, apps_with, location};
use futures_util::future::join_all;

/// The refusal paragraph of the login page.
fn login_error(body: &str) -> String {
    let start = body
        .find("role=\"alert\">")
        .map(|i| i + "role=\"alert\">".len());
    start
        .and_then(|s| body[s..].find("</p>").map(|e| body[s..s + e].to_string()))
        .unwrap_or_default()
}

async fn attempt(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded: Option<&str>,
) -> (u16, String) {
    let mut request = app.request(reqwest::Method::POST, "/dang-nhap").form(&[
        ("_csrf", app.csrf()),
        ("username", username),
        ("password", password),
    ]);
    if let Some(hops) = forwarded {
        request = request.header("x-forwarded-for", hops);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn parallel_wrong_passwords_lock_the_account_and_none_gets_through() {
    for app in apps_with(|c| c.ip_failures_per_15_minutes = 1_000).await {
        let guesses = (0..50).map(|i| {
            let password = format!("sai-mat-khau-{i}");
            let app = &app;
            async move { attempt(app, "lanhdao", &password, None).await.0 }
        });
        let statuses = join_all(guesses).await;
        // Refused as a wrong password, or, beyond the checks the server runs at once and the
        // few it lets wait, as busy; never signed in.
        assert!(
            statuses.iter().all(|&s| s == 401 || s == 503),
            "{:?}: {statuses:?}",
            app.backend
        );
        let user = users::find_by_username(&app.db, "lanhdao")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            user.failed_logins, 50,
            "{:?}: every attempt counted",
            app.backend
        );
        assert!(user.locked_until.is_some(), "{:?}: locked", app.backend);
        // The right password is refused now.
        let (status, _) = attempt(&app, "lanhdao", chiso_web::demo::PASSWORD, None).await;
        assert_eq!(status, 401, "{:?}", app.backend);
    }
}

#[tokio::test]
async fn every_refused_login_answers_the_same_whoever_the_account_is() {
    for app in apps_with(|c| c.lockout_failures = 2).await {
        let id = users::find_by_username(&app.db, "xemketqua")
            .await
            .unwrap()
            .unwrap()
            .id;
        users::set_active(&app.db, &Actor::system("test"), id, false)
            .await
            .unwrap();
        for _ in 0..2 {
            attempt(&app, "lanhdao", "sai-mat-khau", None).await;
        }
        let cases = [
            ("khong-co-ai", "sai-mat-khau"),
            ("nhaplieu", "sai-mat-khau"),
            ("lanhdao", chiso_web::demo::PASSWORD),
            ("xemketqua", chiso_web::demo::PASSWORD),
            ("xemketqua", "sai-mat-khau"),
        ];
        let mut answers = Vec::new();
        for (username, password) in cases {
            let (status, body) = attempt(&app, username, password, None).await;
            answers.push((status, login_error(&body)));
        }
        assert!(answers[0].1.contains("tạm khóa"), "{:?}", answers[0]);
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "{:?}: {answers:?}",
            app.backend
        );
        assert_eq!(answers[0].0, 401);
    }
}

#[tokio::test]
async fn forged_forwarded_hops_do_not_reset_the_address_limit() {
    // Behind one trusted proxy, the client is the hop the proxy appended; whatever the client
    // wrote to its left changes nothing.
    for app in apps_with(|c| {
        c.ip_failures_per_15_minutes = 3;
        c.trusted_proxies = TrustedProxies::Count(1);
    })
    .await
    {
        for i in 0..3 {
            let hops = format!("198.51.100.{i}, 203.0.113.5");
            let (status, _) = attempt(&app, "ai-do", "sai-mat-khau", Some(&hops)).await;
            assert_eq!(status, 401, "{:?}", app.backend);
        }
        let (status, body) = attempt(
            &app,
            "admin",
            chiso_web::demo::PASSWORD,
            Some("1.2.3.4, 203.0.113.5"),
        )
        .await;
        assert_eq!(status, 429, "{:?}", app.backend);
        assert!(body.contains("quá nhiều lần"));
        // Another real client is not limited.
        let (status, _) = attempt(
            &app,
            "admin",
            chiso_web::demo::PASSWORD,
            Some("203.0.113.6"),
        )
        .await;
        assert_eq!(status, 303, "{:?}", app.backend);
    }
    // Without a trusted proxy the header is ignored altogether.
    for app in apps_with(|c| c.ip_failures_per_15_minutes = 3).await {
        for i in 0..3 {
            let hops = format!("198.51.100.{i}");
            attempt(&app, "ai-do", "sai-mat-khau", Some(&hops)).await;
        }
        let (status, _) = attempt(
            &app,
            "admin",
            chiso_web::demo::PASSWORD,
            Some("203.0.113.9"),
        )
        .await;
        assert_eq!(status, 429, "{:?}", app.backend);
    }
}

#[tokio::test]
async fn after_login_only_paths_of_this_site_are_followed() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        for (next, expected) in [
            ("/%09/evil.example", "/"),
            ("/%0A/evil.example", "/"),
            ("/%0D%0ALocation:%20http://evil.example", "/"),
            ("/%7F", "/"),
            ("/%5Cevil.example", "/"),
            ("//evil.example", "/"),
            ("http://evil.example/", "/"),
            ("/%20/evil.example", "/"),
            ("/nhat-ky?entity_type=unit", "/nhat-ky?entity_type=unit"),
        ] {
            let response = app.get(&format!("/dang-nhap?next={next}")).await;
            assert_eq!(response.status().as_u16(), 303, "{next}");
            assert_eq!(location(&response), expected, "{next}");
        }
        app.logout().await;
        let response = app
            .post_form(
                "/dang-nhap",
                &[
                    ("username", "thuongtruc"),
                    ("password", chiso_web::demo::PASSWORD),
                    ("next", "/\t/evil.example"),
                ],
            )
            .await;
        assert_eq!(location(&response), "/", "{:?}", app.backend);
    }
}

#[tokio::test]
async fn forms_must_come_from_this_origin_with_the_token_in_the_body() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let csrf = app.csrf().to_string();
        for (header, value) in [("origin", "null"), ("sec-fetch-site", "same-site")] {
            let response = app
                .request(reqwest::Method::POST, "/dang-xuat")
                .header(header, value)
                .form(&[("_csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 403, "{header}: {value}");
        }
        // A token in the query string is not taken.
        let response = app
            .request(reqwest::Method::POST, &format!("/dang-xuat?_csrf={csrf}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{:?}", app.backend);
        // An upload carries it as its first field.
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"code,name,kind\n".to_vec())
                    .file_name("units.csv"),
            );
        let response = app
            .request(reqwest::Method::POST, "/don-vi/nhap")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_ne!(response.status().as_u16(), 403, "{:?}", app.backend);
        // Anything else first is refused.
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"code,name,kind\n".to_vec())
                    .file_name("units.csv"),
            )
            .text("_csrf", csrf.clone());
        let response = app
            .request(reqwest::Method::POST, "/don-vi/nhap")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{:?}", app.backend);
        // Still signed in.
        assert_eq!(app.get_text("/").await.0, 200);
    }
}

#[tokio::test]
async fn secure_cookies_carry_the_host_prefix_and_pages_are_not_cached() {
    for app in apps_with(|c| c.secure_cookies = true).await {
        let fresh = reqwest::Client::new();
        let first = fresh.get(app.url("/dang-nhap")).send().await.unwrap();
        let csrf_cookie = first
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("__Host-chiso_csrf="))
            .expect("the pre-login token cookie has the prefix");
        assert!(csrf_cookie.contains("; Secure") && csrf_cookie.contains("Path=/"));
        let token = csrf_cookie
            .trim_start_matches("__Host-chiso_csrf=")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = plain
            .post(app.url("/dang-nhap"))
            .header("cookie", format!("__Host-chiso_csrf={token}"))
            .form(&[
                ("_csrf", token.as_str()),
                ("username", "xemketqua"),
                ("password", chiso_web::demo::PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
        let session = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("__Host-chiso_sid="))
            .expect("the session cookie has the prefix");
        let sid = session.split(';').next().unwrap().to_string();
        let home = plain
            .get(app.url("/"))
            .header("cookie", sid.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(home.status().as_u16(), 200, "the prefixed cookie signs in");
        assert_eq!(home.headers()["cache-control"], "no-store");
        // The unprefixed name is not read: a cookie planted over plain HTTP does nothing.
        let unprefixed = sid.replacen("__Host-", "", 1);
        let response = plain
            .get(app.url("/"))
            .header("cookie", unprefixed)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        let css = plain.get(app.url("/static/app.css")).send().await.unwrap();
        assert!(
            css.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("public")
        );
    }
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    for mut app in apps_with(|c| c.session_absolute_hours = 24).await {
        app.login("xemketqua").await;
        assert_eq!(app.get_text("/").await.0, 200);
        let long_ago = chrono::Utc::now() - chrono::Duration::hours(25);
        with_db!(&app.db, pool => sqlx::query("UPDATE sessions SET created_at = $1")
            .bind(long_ago)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap());
        let response = app.get("/").await;
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
        assert!(location(&response).starts_with("/dang-nhap"));
    }
}
