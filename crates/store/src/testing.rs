//! Fresh databases for tests, on both backends (feature `test-support`). Each test gets its own
//! SQLite file and, when PostgreSQL is reachable, its own PostgreSQL database, dropped at the
//! end. Without PostgreSQL the SQLite half runs and a notice says the other half was skipped;
//! under CI (`CI` set) a missing PostgreSQL is a failure, never a silent skip.

use std::sync::Once;
use std::time::Duration;

use rand::Rng;
use sqlx::Connection;

use crate::db::{Backend, Db, sqlite_url};

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh, migrated database that removes itself when dropped.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    name: String,
}

impl TestDb {
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}

fn random_name() -> String {
    let suffix: u64 = rand::rng().random();
    format!("chiso_test_{}_{suffix:016x}", std::process::id())
}

/// A fresh SQLite database, not yet migrated.
pub async fn empty_sqlite() -> TestDb {
    let name = random_name();
    let path = std::env::temp_dir().join(format!("{name}.db"));
    let url = sqlite_url(&path);
    let db = Db::connect(&url).await.expect("SQLite opens");
    TestDb {
        db,
        url,
        name: path.display().to_string(),
    }
}

/// A fresh PostgreSQL database, not yet migrated; `None` when no server answers outside CI.
pub async fn empty_postgres() -> Option<TestDb> {
    let admin_url = postgres_admin_url();
    let connected = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::PgConnection::connect(&admin_url),
    )
    .await;
    let mut admin = match connected {
        Ok(Ok(connection)) => connection,
        outcome => {
            let why = match outcome {
                Ok(Err(error)) => error.to_string(),
                _ => "timed out".to_string(),
            };
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is required under CI but {admin_url} does not answer: {why}");
            }
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                eprintln!(
                    "\n*** PostgreSQL half SKIPPED: {admin_url} does not answer ({why}). \
                     Only SQLite was tested. Set TEST_DATABASE_URL or start PostgreSQL. ***\n"
                )
            });
            return None;
        }
    };
    let name = random_name();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin_url);
    let url = format!("{base}/{name}");
    let db = Db::connect(&url).await.expect("the new database opens");
    Some(TestDb { db, url, name })
}

async fn migrated(test_db: TestDb) -> TestDb {
    test_db.db.migrate().await.expect("migrations run");
    test_db
}

/// Migrated databases on every available backend: SQLite always, PostgreSQL when reachable.
pub async fn backends() -> Vec<TestDb> {
    let mut all = vec![migrated(empty_sqlite().await).await];
    if let Some(postgres) = empty_postgres().await {
        all.push(migrated(postgres).await);
    }
    all
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.db.backend() {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                // Dropping runs outside the test's runtime: a thread with its own runtime
                // drops the database, ending the pool's connections with FORCE.
                let name = self.name.clone();
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(mut admin) =
                                sqlx::PgConnection::connect(&postgres_admin_url()).await
                            {
                                let _ = sqlx::query(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .execute(&mut admin)
                                .await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// Finalizes a campaign for a test that is not about the finalize checklist: every blocking
/// line is decided by its first choice (what stands is accepted; a unit never submitted is
/// left out of the ranking) and unmapped survey leaves are waived, each with a reason.
pub async fn finalize_deciding_all(
    db: &Db,
    actor: &crate::Actor,
    role: chiso_domain::access::Role,
    campaign_id: i64,
    today: chrono::NaiveDate,
    reason: &str,
) -> Result<(), crate::StoreError> {
    use chiso_domain::assessment::{CampaignStep, Decisions, checklist};
    let campaign = crate::campaigns::get(db, campaign_id).await?;
    let facts = crate::assessments::campaign_facts(db, &campaign, today).await?;
    let list = checklist(CampaignStep::Finalize, &facts);
    let mut decisions = Decisions {
        survey_waiver: Some("test: no survey".into()),
        ..Decisions::default()
    };
    for item in list.blocking() {
        if let Some(unit) = item.unit_id {
            decisions
                .units
                .insert(unit, (item.choices[0], "test: decided".into()));
        }
    }
    crate::assessments::finalize(db, actor, role, campaign_id, today, reason, &decisions).await
}
