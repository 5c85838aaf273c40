//! Prometheus metrics at `/metrics` (docs/operations.md, "Monitoring"): requests by route,
//! method and status with their latencies, the survey writer's queue and group sizes, the
//! background jobs and the database pools. Counters and histograms are kept as requests pass;
//! gauges are read when the page is asked for.
//!
//! Who may read them: with `metrics_token` set, a client sending
//! `Authorization: Bearer <token>`; without it, clients on the loopback address only (a
//! Prometheus on the same machine), and not through a proxy (a request carrying
//! `X-Forwarded-For` or `Forwarded` came from elsewhere).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 8 s, doubling.
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

/// The process's metrics, shared by every request.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily<RouteLabels>,
    queue_depth: Gauge,
    group_sizes: Histogram,
    jobs: Family<StateLabels, Gauge>,
    reports: Family<StateLabels, Gauge>,
    pool: Family<PoolLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chiso");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let durations: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method",
            durations.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "survey_queue_depth",
            "Survey submissions waiting for the group-commit writer",
            queue_depth.clone(),
        );
        // Groups of 1 to 256 submissions (MAX_BATCH), doubling.
        let group_sizes = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        registry.register(
            "survey_group_size",
            "Survey submissions committed per transaction",
            group_sizes.clone(),
        );
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register(
            "import_jobs",
            "Survey imports this process is running",
            jobs.clone(),
        );
        let reports = Family::<StateLabels, Gauge>::default();
        registry.register(
            "report_jobs",
            "PDF reports this process is making or has queued",
            reports.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by pool, in use or idle",
            pool.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            queue_depth,
            group_sizes,
            jobs,
            reports,
            pool,
        }
    }
}

impl Metrics {
    /// Counts a committed survey group (told by the survey writer).
    pub fn observe_group(&self, size: usize) {
        self.group_sizes.observe(size as f64);
    }

    /// The metrics in Prometheus's text format, the gauges read now.
    fn render(&self, state: &AppState) -> String {
        self.queue_depth.set(state.submissions.depth() as i64);
        use chiso_store::jobs::JobKind;
        self.jobs
            .get_or_create(&StateLabels { state: "running" })
            .set(state.jobs.running(JobKind::SurveyImport) as i64);
        self.reports
            .get_or_create(&StateLabels { state: "running" })
            .set(state.jobs.running(JobKind::Report) as i64);
        for (pool, open, idle) in state.db.pool_sizes() {
            self.pool
                .get_or_create(&PoolLabels {
                    pool,
                    state: "idle",
                })
                .set(i64::from(idle));
            self.pool
                .get_or_create(&PoolLabels {
                    pool,
                    state: "in_use",
                })
                .set(i64::from(open.saturating_sub(idle)));
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Counts every request and times it, by the route's pattern (`/don-vi/{id}`, never the
/// address itself: ids would make a series per object).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .durations
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `/metrics`: the metrics for the token's holder, or for a loopback client when no token is
/// set; 404 for anyone else (the page is not advertised).
pub async fn serve(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !allowed(state.config.metrics_token.as_deref(), peer, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&state),
    )
        .into_response()
}

fn allowed(token: Option<&str>, peer: SocketAddr, headers: &HeaderMap) -> bool {
    match token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes())),
        // A proxy on the same machine connects from loopback too: a forwarded request comes
        // from somewhere else.
        None => {
            peer.ip().is_loopback()
                && !headers.contains_key("x-forwarded-for")
                && !headers.contains_key(header::FORWARDED)
        }
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The shared metrics, made once per process.
pub fn new() -> Arc<Metrics> {
    Arc::new(Metrics::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_decides_and_without_one_only_loopback_reads() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "10.0.0.7:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        assert!(allowed(None, local, &headers));
        assert!(!allowed(None, remote, &headers));
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert!(
            !allowed(None, local, &proxied),
            "through a proxy on this machine"
        );
        assert!(!allowed(Some("s3cret-token"), local, &headers));
        headers.insert(
            header::AUTHORIZATION,
            "Bearer s3cret-token".parse().unwrap(),
        );
        assert!(allowed(Some("s3cret-token"), remote, &headers));
        headers.insert(
            header::AUTHORIZATION,
            "Bearer s3cret-tokem".parse().unwrap(),
        );
        assert!(!allowed(Some("s3cret-token"), remote, &headers));
        headers.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(!allowed(Some("s3cret-token"), remote, &headers));
    }
}
