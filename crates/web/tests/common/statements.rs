//! Counting the SQL statements an operation runs, on either backend.
//!
//! sqlx reports every statement it finishes as a `tracing` event with the target
//! `sqlx::query` and the statement's first words as `summary`, from whichever thread ran it
//! (SQLite runs statements on its own worker threads). A process-wide subscriber records those
//! summaries; `measure` runs one operation at a time, and nothing else in the test binary may
//! talk to a database meanwhile (keep counting tests in their own binaries).

use std::fmt::Debug;
use std::sync::{Mutex, Once};

use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct RecordStatements;

struct Summary(String);

impl Visit for Summary {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for RecordStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut summary = Summary(String::new());
            event.record(&mut summary);
            STATEMENTS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(summary.0);
        }
    }
}

/// Installs the recording subscriber (once per process).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(RecordStatements.with_filter(
            tracing_subscriber::filter::filter_fn(|meta| meta.target() == "sqlx::query"),
        ));
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    });
}

/// The statements `operation` ran (their first words, in order), with its result.
pub async fn measure<T>(operation: impl std::future::Future<Output = T>) -> (Vec<String>, T) {
    install();
    let _one = ONE_AT_A_TIME.lock().await;
    let before = STATEMENTS.lock().unwrap_or_else(|p| p.into_inner()).len();
    let result = operation.await;
    let all = STATEMENTS.lock().unwrap_or_else(|p| p.into_inner());
    (all[before..].to_vec(), result)
}

/// Statements that read (`SELECT` and `WITH`), of a list `measure` returned.
pub fn reads(statements: &[String]) -> usize {
    statements
        .iter()
        .filter(|s| {
            let s = s.trim_start().to_ascii_uppercase();
            s.starts_with("SELECT") || s.starts_with("WITH")
        })
        .count()
}
