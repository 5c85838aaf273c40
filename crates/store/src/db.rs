//! One storage layer over two backends (engineering guide §2): an embedded SQLite file by
//! default, PostgreSQL for several processes behind a load balancer. Every query is written
//! once and type-checked for both drivers by [`with_db!`](crate::with_db).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::StoreError;

/// SQLite keeps one writer and a pool of readers: WAL lets readers run beside the writer, and
/// a single writer never meets `SQLITE_BUSY` from within the process.
#[derive(Clone, Debug)]
pub struct SqlitePools {
    pub write: SqlitePool,
    pub read: SqlitePool,
}

/// A connection to one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// Which backend a database is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` with `$pool` bound to the backend's (writer) pool. The body is compiled once
/// per backend, so every query is type-checked for both drivers.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.write;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`with_db!`] for read-only work: on SQLite it uses the reader pool.
#[macro_export]
macro_rules! with_db_read {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.read;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx`, committed when the body returns
/// `Ok`, rolled back otherwise. On SQLite the transaction starts with `BEGIN IMMEDIATE`, so a
/// read-then-write never fails with `SQLITE_BUSY` against another process (engineering guide
/// §3).
#[macro_export]
macro_rules! in_transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let mut $tx = pools.write.begin_with("BEGIN IMMEDIATE").await?;
                let result: Result<_, $crate::StoreError> = async { $body }.await;
                match result {
                    Ok(value) => {
                        $tx.commit().await?;
                        Ok(value)
                    }
                    Err(error) => Err(error),
                }
            }
            $crate::db::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let result: Result<_, $crate::StoreError> = async { $body }.await;
                match result {
                    Ok(value) => {
                        $tx.commit().await?;
                        Ok(value)
                    }
                    Err(error) => Err(error),
                }
            }
        }
    };
}

/// The migrations this build carries, per backend (compiled in).
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            // The writer gets a 64 MiB page cache (SQLite's default is 2 MiB): a bulk import of
            // millions of responses keeps the hot pages of the respondent-id index and the
            // table's tail in memory instead of spilling and re-reading them from the WAL, the
            // one cause of a 10 M-row import running slower per row than a 1 M-row one. The
            // cache fills only as pages are used. Temporary files in memory: a multi-row
            // INSERT … ON CONFLICT keeps a statement journal (the pages it changed, so that
            // the statement alone can be undone), and writing it to a temporary file cost a
            // system call per page.
            //
            // The writer commits with `synchronous=FULL`: every commit syncs the WAL to the disk
            // before it returns, so an acknowledged write survives a power cut, not only a
            // `kill -9` (NORMAL syncs at checkpoints only). The survey intake's group commit
            // makes that one sync per group of submissions; readers never write.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(
                    options
                        .clone()
                        .synchronous(SqliteSynchronous::Full)
                        .pragma("cache_size", "-65536")
                        .pragma("temp_store", "memory"),
                )
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.read_only(true))
                .await?;
            Ok(Db::Sqlite(SqlitePools { write, read }))
        } else {
            Err(StoreError::UnsupportedUrl {
                url: url.to_string(),
            })
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The connection pools' sizes for monitoring: `(pool, open, idle)` per pool (SQLite's
    /// writer and readers, PostgreSQL's one).
    pub fn pool_sizes(&self) -> Vec<(&'static str, u32, u32)> {
        match self {
            Db::Sqlite(pools) => vec![
                ("write", pools.write.size(), pools.write.num_idle() as u32),
                ("read", pools.read.size(), pools.read.num_idle() as u32),
            ],
            Db::Postgres(pool) => vec![("main", pool.size(), pool.num_idle() as u32)],
        }
    }

    /// Applies the migrations that have not run yet; a second run does nothing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pools) => SQLITE_MIGRATIONS.run(&pools.write).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers and every migration this build carries is applied (a
    /// process of a newer build on an older database is not ready): the migrations missing.
    pub async fn readiness(&self) -> Result<Vec<i64>, StoreError> {
        let carried: Vec<i64> = match self {
            Db::Sqlite(_) => SQLITE_MIGRATIONS.iter().map(|m| m.version).collect(),
            Db::Postgres(_) => POSTGRES_MIGRATIONS.iter().map(|m| m.version).collect(),
        };
        let applied = self.applied_migrations().await?;
        Ok(carried
            .into_iter()
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// A consistent copy of an SQLite database, taken while it serves (`VACUUM INTO`, on the
    /// writer: the copy holds every commit before it and none after). PostgreSQL is backed up
    /// with `pg_dump` (README, "Backup and restore"): `UnsupportedUrl` here.
    pub async fn snapshot_sqlite(&self, path: &std::path::Path) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pools) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path.to_string_lossy().as_ref())
                    .execute(&pools.write)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::UnsupportedUrl {
                url: "postgres (use pg_dump)".into(),
            }),
        }
    }

    /// Every table of an SQLite database with its row count, by name (a backup's manifest, and
    /// the check of a restore).
    pub async fn sqlite_table_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let Db::Sqlite(pools) = self else {
            return Ok(Vec::new());
        };
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&pools.read)
        .await?;
        let mut counts = Vec::with_capacity(names.len());
        for name in names {
            let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
            let count: i64 = sqlx::query_scalar(&sql).fetch_one(&pools.read).await?;
            counts.push((name, count));
        }
        Ok(counts)
    }

    /// The versions of the applied migrations, oldest first.
    /// Whether the database answers a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_db_read!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        Ok(with_db_read!(self, pool => sqlx::query_scalar::<_, i64>(SQL).fetch_all(pool).await?))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pools) => {
                pools.read.close().await;
                pools.write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// The SQLite URL for a file path.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}
