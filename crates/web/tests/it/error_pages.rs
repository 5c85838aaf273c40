//! Error pages on both backends: an unknown address, a refused page and a malformed form come
//! back in the site's frame (header, menu, language switch) in the user's language, with links
//! home and back that work under the site's script policy; the favicon is served.

use crate::common;

use common::apps;

#[tokio::test]
async fn errors_come_in_the_sites_frame_with_working_links() {
    for mut app in apps().await {
        let backend = app.backend;
        // Anonymous: an unknown address is the framed 404 in Vietnamese.
        let (status, body) = app.get_text("/khong-co-trang-nay").await;
        assert_eq!(status, 404, "{backend:?}");
        assert!(body.contains("class=\"top\""), "{backend:?}: the frame");
        assert!(body.contains("lang=\"vi\""));
        assert!(
            !body.contains("javascript:"),
            "{backend:?}: no script links"
        );
        assert!(body.contains("href=\"/\""), "{backend:?}: a link home");

        // Signed in: the menu is there, and the link back goes to the page the user came from.
        app.login("xemketqua").await;
        let response = app
            .request(reqwest::Method::GET, "/khong-co-trang-nay/nua")
            .header("referer", app.url("/don-vi"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404);
        let body = response.text().await.unwrap();
        assert!(body.contains("aria-label=\"Menu\""), "{backend:?}: {body}");
        assert!(
            body.contains("href=\"/don-vi\""),
            "{backend:?}: back to /don-vi"
        );
        // Another site's referer is not a link back.
        let response = app
            .request(reqwest::Method::GET, "/khong-co")
            .header("referer", "https://evil.example/x")
            .send()
            .await
            .unwrap();
        assert!(!response.text().await.unwrap().contains("evil.example"));
        // A refused page is framed too.
        let (status, body) = app.get_text("/nguoi-dung").await;
        assert_eq!(status, 403, "{backend:?}");
        assert!(body.contains("aria-label=\"Menu\""), "{backend:?}");
        // In English under the switch.
        app.post_form("/ngon-ngu", &[("lang", "en")]).await;
        let (_, body) = app.get_text("/khong-co-trang-nay").await;
        assert!(body.contains("lang=\"en\""), "{backend:?}");

        let icon = app.get("/favicon.ico").await;
        assert_eq!(icon.status().as_u16(), 200);
        assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    }
}

#[tokio::test]
async fn pages_styles_and_scripts_are_compressed_for_browsers_that_ask() {
    for mut app in common::apps().await {
        app.login("thuongtruc").await;
        for path in ["/don-vi", "/static/app.css", "/static/htmx.min.js"] {
            let asked = app
                .request(reqwest::Method::GET, path)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(asked.status().as_u16(), 200, "{path}");
            assert_eq!(asked.headers()["content-encoding"], "gzip", "{path}");
            let compressed = asked.bytes().await.unwrap().len();
            let plain = app.get(path).await;
            assert!(plain.headers().get("content-encoding").is_none(), "{path}");
            let plain = plain.bytes().await.unwrap().len();
            assert!(
                compressed * 2 < plain,
                "{path}: {compressed} of {plain} bytes"
            );
        }
        // The favicon (an image) and tiny answers are left alone.
        let health = app
            .request(reqwest::Method::GET, "/healthz")
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert!(health.headers().get("content-encoding").is_none());
    }
}

/// `/readyz` answers ready once the database answers with every migration applied; every
/// response, an error page too, carries its request's id (a proxy's short id is kept).
#[tokio::test]
async fn readiness_and_request_ids() {
    for app in crate::common::apps().await {
        let backend = app.backend;
        let (status, body) = app.get_text("/readyz").await;
        assert_eq!((status, body.as_str()), (200, "ready"), "{backend:?}");
        let mut seen = std::collections::HashSet::new();
        for path in ["/healthz", "/readyz", "/khong-co-trang-nay", "/dang-nhap"] {
            let response = app.get(path).await;
            let id = response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string();
            assert_eq!(id.len(), 16, "{backend:?} {path}");
            assert!(seen.insert(id), "a new id per request");
        }
        let response = app
            .request(reqwest::Method::GET, "/healthz")
            .header("x-request-id", "proxy-4f2a9c01")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "proxy-4f2a9c01");
        let response = app
            .request(reqwest::Method::GET, "/healthz")
            .header("x-request-id", "<script>")
            .send()
            .await
            .unwrap();
        assert_ne!(response.headers()["x-request-id"], "<script>");
    }
}
