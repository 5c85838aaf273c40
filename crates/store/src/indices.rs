//! Published results of national indices, imported as published (docs/formats.md §7,
//! docs/method.md §5.7). An import is one file with its source (publisher, document, date,
//! URL) and brings years of one index; each year of an index is held by the latest import that
//! brought it. A year an import replaces stays, with its values, marked replaced: the history
//! of every figure is kept. An import is all or nothing: one transaction, its audit rows
//! inside.

use chiso_interchange::indices::{DimensionReport, IndicesReport, UnitReport};
use chrono::{DateTime, NaiveDate, Utc};

use crate::audit::{Actor, AuditEntry, AuditSink};
use crate::db::Db;
use crate::error::StoreError;
use crate::{in_transaction, with_db_read};

/// Where the figures of an import come from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportSource {
    pub publisher: Option<String>,
    pub document: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub url: Option<String>,
}

/// What an import stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportOutcome {
    pub import_id: i64,
    pub years: Vec<ImportedYear>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedYear {
    pub year: i32,
    pub year_id: i64,
    pub units: usize,
    /// The year this one replaced, kept in history.
    pub replaced: Option<Replaced>,
}

/// A year an import replaced: its row, and the import that had brought it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replaced {
    pub year_id: i64,
    pub import_id: i64,
}

/// One stored value of one unit.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StoredValue {
    pub unit_code: String,
    pub unit_name: String,
    pub measure: String,
    pub value: Option<f64>,
    pub rank: Option<i64>,
    pub rank_published: bool,
    pub group_number: Option<i64>,
    pub source: Option<String>,
}

/// One version of a year of an index: the import that brought it and whether it is in force.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct YearVersion {
    pub year_id: i64,
    pub import_id: i64,
    pub index_id: String,
    pub year: i64,
    pub structure_id: String,
    pub complete: bool,
    pub current: bool,
    pub replaced_by: Option<i64>,
    pub file_name: String,
    pub publisher: Option<String>,
    pub document: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub imported_at: DateTime<Utc>,
    pub actor_name: String,
}

/// A version of a year with its values.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredYear {
    pub version: YearVersion,
    pub values: Vec<StoredValue>,
    /// The rows without a unit's result and the figures of no single unit, as imported (JSON).
    pub skipped: String,
    pub summaries: String,
}

/// The value rows of one unit: the total, then each dimension, sub-dimension and component.
pub fn unit_rows(unit: &UnitReport) -> Vec<StoredValue> {
    let row = |measure: &str, value: Option<f64>, rank: Option<u32>| StoredValue {
        unit_code: unit.unit_code.clone(),
        unit_name: unit.unit_name.clone(),
        measure: measure.to_string(),
        value,
        rank: rank.map(i64::from),
        rank_published: false,
        group_number: None,
        source: unit.source.clone(),
    };
    let mut rows = vec![StoredValue {
        rank_published: unit.rank_published,
        group_number: unit.group.map(i64::from),
        ..row("total", unit.total, unit.rank)
    }];
    let dimensions: Vec<&DimensionReport> =
        unit.dimensions.iter().chain(&unit.components).collect();
    for dimension in dimensions {
        rows.push(row(&dimension.code, dimension.value, dimension.rank));
        for sub in &dimension.sub_dimensions {
            rows.push(row(&sub.code, sub.value, None));
        }
    }
    rows
}

/// Rows of `index_values` per statement: 9 parameters each, within both backends' limits.
const VALUES_PER_INSERT: usize = 500;

fn insert_values_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let p: Vec<String> = (1..=9).map(|k| format!("${}", i * 9 + k)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO index_values (year_id, unit_code, unit_name, measure, value, rank, \
         rank_published, group_number, source) VALUES {}",
        values.join(", ")
    )
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// Stores every year of `report` as imported from `file_name`, replacing the years of the same
/// index already stored (kept as history), with an audit row for the import and one for each
/// year, all in one transaction.
pub async fn import(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    source: &ImportSource,
    report: &IndicesReport,
) -> Result<ImportOutcome, StoreError> {
    import_upload(db, actor, None, file_name, source, report).await
}

/// [`import`] of a file held for its confirmation (`crate::index_uploads`): the held file is
/// taken in the same transaction, so a confirmation sent twice imports once (the second finds
/// nothing: [`StoreError::NotFound`]).
///
/// Over 100 lines because the whole import is one transaction body: `in_transaction!` compiles
/// it once per backend with that backend's connection, so its steps (the import row, each
/// year's replacement, its values in batches, the audit rows) stay in one place rather than in
/// helpers generic over both drivers.
pub async fn import_upload(
    db: &Db,
    actor: &Actor,
    upload_id: Option<&str>,
    file_name: &str,
    source: &ImportSource,
    report: &IndicesReport,
) -> Result<ImportOutcome, StoreError> {
    let warnings = serde_json::to_string(&report.warnings).expect("warnings serialise");
    let now = Utc::now();
    in_transaction!(db, tx => {
        if let Some(upload_id) = upload_id {
            let taken = sqlx::query("DELETE FROM index_uploads WHERE id = $1")
                .bind(upload_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if taken == 0 {
                return Err(StoreError::NotFound);
            }
        }
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO index_imports (index_id, file_name, publisher, document, published_on, url, \
             imported_at, actor_id, actor_name, warnings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING id",
        )
        .bind(&report.index)
        .bind(file_name)
        .bind(&source.publisher)
        .bind(&source.document)
        .bind(source.published_on)
        .bind(&source.url)
        .bind(now)
        .bind(actor.id)
        .bind(&actor.name)
        .bind(&warnings)
        .fetch_one(&mut *tx)
        .await?;
        let described = [
            Some(file_name.to_string()),
            source.publisher.clone(),
            source.document.clone(),
            source.published_on.map(|d| d.format("%d/%m/%Y").to_string()),
            source.url.clone(),
        ];
        let described: Vec<String> = described.into_iter().flatten().collect();
        tx.record(actor, &AuditEntry::new("import", "index_import", import_id).change(
            "index_import",
            None,
            Some(format!("{}: {}", report.index, described.join("; "))),
        )).await?;
        let mut years = Vec::with_capacity(report.years.len());
        for year in &report.years {
            let previous: Option<(i64, i64)> = sqlx::query_as(
                "SELECT id, import_id FROM index_years WHERE index_id = $1 AND year = $2 AND current",
            )
            .bind(&report.index)
            .bind(i64::from(year.year))
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((previous_id, _)) = previous {
                sqlx::query("UPDATE index_years SET current = FALSE WHERE id = $1")
                    .bind(previous_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let year_id: i64 = sqlx::query_scalar(
                "INSERT INTO index_years (import_id, index_id, year, structure_id, complete, skipped, \
                 summaries, current) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE) RETURNING id",
            )
            .bind(import_id)
            .bind(&report.index)
            .bind(i64::from(year.year))
            .bind(&year.structure)
            .bind(year.complete)
            .bind(serde_json::to_string(&year.skipped).expect("skipped rows serialise"))
            .bind(serde_json::to_string(&year.summaries).expect("summaries serialise"))
            .fetch_one(&mut *tx)
            .await?;
            if let Some((previous_id, _)) = previous {
                sqlx::query("UPDATE index_years SET replaced_by = $1 WHERE id = $2")
                    .bind(year_id)
                    .bind(previous_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let rows: Vec<StoredValue> = year.units.iter().flat_map(unit_rows).collect();
            for chunk in rows.chunks(VALUES_PER_INSERT) {
                let sql = insert_values_sql(chunk.len());
                let mut query = sqlx::query(&sql);
                for row in chunk {
                    query = query
                        .bind(year_id)
                        .bind(&row.unit_code)
                        .bind(&row.unit_name)
                        .bind(&row.measure)
                        .bind(row.value)
                        .bind(row.rank)
                        .bind(row.rank_published)
                        .bind(row.group_number)
                        .bind(&row.source);
                }
                query.execute(&mut *tx).await?;
            }
            // Audit values are read on the Vietnamese audit page: written in Vietnamese.
            let label = format!("{} {}", report.index, year.year);
            let entry = match previous {
                Some((_, previous_import)) => AuditEntry::new("replace", "index_year", year_id).change(
                    "index_year",
                    Some(format!("{label}: lần nhập số {previous_import}")),
                    Some(format!("{label}: lần nhập số {import_id}, {} đơn vị", year.units.len())),
                ),
                None => AuditEntry::new("import", "index_year", year_id).change(
                    "index_year",
                    None,
                    Some(format!("{label}: lần nhập số {import_id}, {} đơn vị", year.units.len())),
                ),
            };
            tx.record(actor, &entry).await?;
            years.push(ImportedYear {
                year: year.year,
                year_id,
                units: year.units.len(),
                replaced: previous.map(|(year_id, import_id)| Replaced { year_id, import_id }),
            });
        }
        Ok(ImportOutcome { import_id, years })
    })
}

/// The bundled published figures as the first import of each of their indices: an index that
/// has no import yet gets them (docs/formats.md §8.15). Returns the imports made.
pub async fn seed_published(
    db: &Db,
    reports: &[IndicesReport],
) -> Result<Vec<ImportOutcome>, StoreError> {
    let actor = Actor::system("published-figures");
    let source = ImportSource {
        document: Some(
            "Số liệu đã công bố đi kèm chiso (docs/method.md §8) / bundled published figures"
                .to_string(),
        ),
        ..ImportSource::default()
    };
    let mut outcomes = Vec::new();
    for report in reports {
        if has_imports(db, &report.index).await? {
            continue;
        }
        outcomes.push(import(db, &actor, "data/published", &source, report).await?);
    }
    Ok(outcomes)
}

/// Whether any import of the index is stored.
pub async fn has_imports(db: &Db, index_id: &str) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM index_imports WHERE index_id = $1";
    let count: i64 =
        with_db_read!(db, pool => sqlx::query_scalar(SQL).bind(index_id).fetch_one(pool).await?);
    Ok(count > 0)
}

const VERSION_SQL: &str = "SELECT y.id AS year_id, y.import_id, y.index_id, y.year, y.structure_id, \
     y.complete, y.current, y.replaced_by, i.file_name, i.publisher, i.document, i.published_on, \
     i.url, i.imported_at, i.actor_name FROM index_years y JOIN index_imports i ON i.id = y.import_id";

/// Every version of a year of an index, the newest first.
pub async fn year_history(
    db: &Db,
    index_id: &str,
    year: i32,
) -> Result<Vec<YearVersion>, StoreError> {
    let sql = format!("{VERSION_SQL} WHERE y.index_id = $1 AND y.year = $2 ORDER BY y.id DESC");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, YearVersion>(&sql)
        .bind(index_id)
        .bind(i64::from(year))
        .fetch_all(pool)
        .await?),
    )
}

/// The years of an index in force, oldest first.
pub async fn current_years(db: &Db, index_id: &str) -> Result<Vec<YearVersion>, StoreError> {
    let sql = format!("{VERSION_SQL} WHERE y.index_id = $1 AND y.current ORDER BY y.year");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, YearVersion>(&sql)
        .bind(index_id)
        .fetch_all(pool)
        .await?),
    )
}

/// One version of a year with its values (units by rank, then code; each unit's measures as
/// stored).
pub async fn stored_year(db: &Db, year_id: i64) -> Result<Option<StoredYear>, StoreError> {
    let sql = format!("{VERSION_SQL} WHERE y.id = $1");
    const VALUES: &str = "SELECT unit_code, unit_name, measure, value, rank, rank_published, \
         group_number, source FROM index_values WHERE year_id = $1 ORDER BY id";
    const EXTRA: &str = "SELECT skipped, summaries FROM index_years WHERE id = $1";
    with_db_read!(db, pool => {
        let Some(version) = sqlx::query_as::<_, YearVersion>(&sql)
            .bind(year_id)
            .fetch_optional(pool)
            .await?
        else {
            return Ok(None);
        };
        let values = sqlx::query_as::<_, StoredValue>(VALUES)
            .bind(year_id)
            .fetch_all(pool)
            .await?;
        let (skipped, summaries): (String, String) =
            sqlx::query_as(EXTRA).bind(year_id).fetch_one(pool).await?;
        Ok(Some(StoredYear {
            version,
            values,
            skipped,
            summaries,
        }))
    })
}

/// The year of an index in force, with its values.
pub async fn current_year(
    db: &Db,
    index_id: &str,
    year: i32,
) -> Result<Option<StoredYear>, StoreError> {
    let current = year_history(db, index_id, year)
        .await?
        .into_iter()
        .find(|v| v.current);
    match current {
        Some(version) => stored_year(db, version.year_id).await,
        None => Ok(None),
    }
}

/// A short description of an import's source, for messages.
pub fn describe_source(source: &ImportSource) -> String {
    [
        text(&source.publisher),
        text(&source.document),
        source
            .published_on
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        text(&source.url),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("; ")
}

/// A version of a year as the list of imports shows it: the version, who imported it by their
/// full name (none for the system's own imports) and how many units it holds.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct VersionRecord {
    #[sqlx(flatten)]
    pub version: YearVersion,
    pub actor_full_name: Option<String>,
    pub units: i64,
}

/// Every version of every year of every index: by index, year, then the newest first.
pub async fn all_versions(db: &Db) -> Result<Vec<VersionRecord>, StoreError> {
    const SQL: &str = "SELECT y.id AS year_id, y.import_id, y.index_id, y.year, y.structure_id, \
         y.complete, y.current, y.replaced_by, i.file_name, i.publisher, i.document, \
         i.published_on, i.url, i.imported_at, i.actor_name, u.full_name AS actor_full_name, \
         (SELECT COUNT(*) FROM index_values v WHERE v.year_id = y.id AND v.measure = 'total') \
         AS units FROM index_years y JOIN index_imports i ON i.id = y.import_id \
         LEFT JOIN users u ON u.id = i.actor_id ORDER BY y.index_id, y.year, y.id DESC";
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, VersionRecord>(SQL).fetch_all(pool).await?))
}

/// One stored value of a unit in a year in force, with its index and year.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct HistoryValue {
    pub index_id: String,
    pub year: i64,
    pub year_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub measure: String,
    pub value: Option<f64>,
    pub rank: Option<i64>,
    pub rank_published: bool,
    pub group_number: Option<i64>,
}

/// Every value of the units with these codes in the years in force of every index, by index,
/// year and row order: one query for a province's history across all indices (its trend, its
/// changes). A code names a unit within its years only (codes were reused in 2025,
/// docs/method.md §6.4): the caller picks the years each code stands for.
pub async fn history_of_units(db: &Db, codes: &[String]) -> Result<Vec<HistoryValue>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=codes.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT y.index_id, y.year, y.id AS year_id, v.unit_code, v.unit_name, v.measure, v.value, \
         v.rank, v.rank_published, v.group_number FROM index_values v \
         JOIN index_years y ON y.id = v.year_id \
         WHERE y.current AND v.unit_code IN ({}) ORDER BY y.index_id, y.year, v.id",
        placeholders.join(", ")
    );
    with_db_read!(db, pool => {
        let mut query = sqlx::query_as::<_, HistoryValue>(&sql);
        for code in codes {
            query = query.bind(code);
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// The years in force of every index, oldest first within each index.
pub async fn all_current_years(db: &Db) -> Result<Vec<YearVersion>, StoreError> {
    let sql = format!("{VERSION_SQL} WHERE y.current ORDER BY y.index_id, y.year");
    Ok(with_db_read!(db, pool => sqlx::query_as::<_, YearVersion>(&sql).fetch_all(pool).await?))
}
