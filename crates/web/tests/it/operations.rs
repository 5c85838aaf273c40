//! What an operator watches (docs/operations.md, "Monitoring"): `/metrics` counts requests by
//! route pattern and status with their latencies, shows the survey writer's groups, the jobs
//! and the database pools; only loopback clients read it without a token, and with a token
//! only its holder.

use crate::common::{apps, apps_with, sipas_fields};
use crate::survey_form::{operator, wave_on};
use chiso_store::surveys;

/// The value of the first sample line starting with `prefix` (name and labels).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_queues_and_pools() {
    for mut app in apps().await {
        let backend = app.backend;
        for _ in 0..3 {
            assert_eq!(app.get("/healthz").await.status(), 200);
        }
        assert_eq!(app.get("/khong-co-trang-nay").await.status(), 404);
        // A token link answered: one survey group committed.
        let wave = wave_on(&app.db, "sipas-2017").await;
        let tokens = surveys::issue_tokens(&app.db, &operator(), wave.id, wave.units[0], 1)
            .await
            .unwrap();
        app.reset_client().await;
        let path = format!("/ks/t/{}", tokens[0]);
        let pairs: Vec<(String, String)> = sipas_fields("5");
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(app.get(&path).await.status(), 200);
        assert_eq!(
            app.post_form(&path, &pairs).await.status(),
            303,
            "{backend:?}"
        );

        let response = app.get("/metrics").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text")
        );
        let text = response.text().await.unwrap();
        assert_eq!(
            sample(
                &text,
                "chiso_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"
            ),
            Some(3.0),
            "{backend:?}: {text}"
        );
        // Unknown addresses share one series; a token link is counted by its pattern.
        assert_eq!(
            sample(
                &text,
                "chiso_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"
            ),
            Some(1.0),
            "{backend:?}"
        );
        assert!(
            !text.contains(&tokens[0]),
            "{backend:?}: no token in a label"
        );
        assert!(
            text.contains("route=\"/ks/t/{token}\",method=\"POST\",status=\"303\""),
            "{backend:?}: {text}"
        );
        assert_eq!(
            sample(
                &text,
                "chiso_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\"}"
            ),
            Some(3.0)
        );
        assert_eq!(sample(&text, "chiso_survey_group_size_count"), Some(1.0));
        assert_eq!(sample(&text, "chiso_survey_group_size_sum"), Some(1.0));
        assert_eq!(sample(&text, "chiso_survey_queue_depth"), Some(0.0));
        assert_eq!(
            sample(&text, "chiso_import_jobs{state=\"running\"}"),
            Some(0.0)
        );
        let pool = match backend {
            chiso_store::Backend::Sqlite => "write",
            chiso_store::Backend::Postgres => "main",
        };
        // The pool has opened connections (idle or busy at this moment, as the writer may be).
        let open: Vec<f64> = ["idle", "in_use"]
            .iter()
            .filter_map(|state| {
                sample(
                    &text,
                    &format!("chiso_db_pool_connections{{pool=\"{pool}\",state=\"{state}\"}}"),
                )
            })
            .collect();
        assert_eq!(open.len(), 2, "{backend:?}: {text}");
        assert!(open.iter().sum::<f64>() >= 1.0, "{backend:?}: {text}");
        assert!(text.ends_with("# EOF\n"));
    }
}

#[tokio::test]
async fn with_a_token_only_its_holder_reads_the_metrics() {
    let token = "metrics-9c1f2b7e44d0a8";
    for app in apps_with(|config| config.metrics_token = Some(token.to_string())).await {
        assert_eq!(app.get("/metrics").await.status(), 404, "{:?}", app.backend);
        let wrong = app
            .request(reqwest::Method::GET, "/metrics")
            .header("authorization", "Bearer metrics-9c1f2b7e44d0a9")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 404);
        let right = app
            .request(reqwest::Method::GET, "/metrics")
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(right.status(), 200);
        assert!(
            right
                .text()
                .await
                .unwrap()
                .contains("chiso_http_requests_total")
        );
    }
}
