//! Imports of published index results on SQLite and, when reachable, PostgreSQL: the years of
//! a file stored with their source and audit rows, a corrected file replacing a year while
//! the replaced values stay in history, all or nothing, and the bundled figures as the first
//! import of each index.

use chiso_interchange::indices::{IndicesReport, ReadOptions, read_indices};
use chiso_interchange::table::FileKind;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::indices::{self, ImportSource};
use chiso_store::testing::backends;
use chiso_store::{Actor, Db};
use chrono::NaiveDate;

fn papi_report() -> IndicesReport {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/indices/papi-provinces.xlsx");
    let bytes = std::fs::read(path).unwrap();
    let catalogue = chiso_refdata::index_catalogue();
    let roster = chiso_refdata::province_roster();
    let options = ReadOptions {
        catalogue: &catalogue,
        roster: &roster,
        index: Some("papi"),
        year: None,
    };
    read_indices("papi-provinces.xlsx", &bytes, FileKind::Xlsx, options).unwrap()
}

fn source() -> ImportSource {
    ImportSource {
        publisher: Some("UNDP, CECODES, RTA".into()),
        document: Some("Báo cáo PAPI".into()),
        published_on: NaiveDate::from_ymd_opt(2017, 4, 5),
        url: Some("https://papi.org.vn".into()),
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pools) => sqlx::query_scalar(sql)
            .fetch_one(&pools.read)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

fn total_of(year: &indices::StoredYear, code: &str) -> (Option<f64>, Option<i64>) {
    let row = year
        .values
        .iter()
        .find(|v| v.unit_code == code && v.measure == "total")
        .unwrap();
    (row.value, row.rank)
}

#[tokio::test]
async fn an_import_stores_its_years_with_source_and_audit() {
    let report = papi_report();
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::system("test");
        let outcome = indices::import(db, &actor, "papi-provinces.xlsx", &source(), &report)
            .await
            .unwrap();
        let years: Vec<(i32, usize)> = outcome.years.iter().map(|y| (y.year, y.units)).collect();
        assert_eq!(years, [(2014, 61), (2016, 63), (2023, 61)], "{backend:?}");
        assert!(outcome.years.iter().all(|y| y.replaced.is_none()));
        let current = indices::current_years(db, "papi").await.unwrap();
        assert_eq!(
            current.iter().map(|v| v.year).collect::<Vec<_>>(),
            [2014, 2016, 2023]
        );
        assert_eq!(current[1].publisher.as_deref(), Some("UNDP, CECODES, RTA"));
        assert_eq!(current[1].published_on, NaiveDate::from_ymd_opt(2017, 4, 5));
        assert_eq!(current[1].structure_id, "papi-2011");
        let y2016 = indices::current_year(db, "papi", 2016)
            .await
            .unwrap()
            .unwrap();
        let (total, rank) = total_of(&y2016, "46");
        assert!((total.unwrap() - 35.338).abs() < 1e-9);
        let expected = report.years[1]
            .units
            .iter()
            .find(|u| u.unit_code == "46")
            .unwrap()
            .rank;
        assert_eq!(rank, expected.map(i64::from));
        // Every value of the file: per unit the total, 6 dimensions, 22 sub-dimensions.
        assert_eq!(y2016.values.len(), 63 * 29);
        let dimension = y2016
            .values
            .iter()
            .find(|v| v.unit_code == "46" && v.measure == "1")
            .unwrap();
        assert_eq!(dimension.value, Some(5.1026));
        assert!(dimension.rank.is_some());
        // The provinces without a result and the warnings are kept.
        let y2023 = indices::current_year(db, "papi", 2023)
            .await
            .unwrap()
            .unwrap();
        assert!(y2023.skipped.contains("\"unit_code\":\"22\""));
        let audit = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("index_year".into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(audit.len(), 3, "{backend:?}");
        assert!(audit.iter().all(|a| a.action == "import"));
        let imports = count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'index_import'",
        )
        .await;
        assert_eq!(imports, 1);
        let warnings = count(
            db,
            "SELECT COUNT(*) FROM index_imports WHERE warnings LIKE '%dimension_sum%'",
        )
        .await;
        assert_eq!(warnings, 1);
    }
}

#[tokio::test]
async fn a_corrected_file_replaces_a_year_and_the_old_values_stay_in_history() {
    let report = papi_report();
    let mut corrected = report.clone();
    corrected.years.retain(|y| y.year == 2016);
    let hue = corrected.years[0]
        .units
        .iter_mut()
        .find(|u| u.unit_code == "46")
        .unwrap();
    hue.total = Some(35.5);
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::system("test");
        let first = indices::import(db, &actor, "papi-provinces.xlsx", &source(), &report)
            .await
            .unwrap();
        let second = indices::import(
            db,
            &actor,
            "papi-2016-sua.xlsx",
            &ImportSource::default(),
            &corrected,
        )
        .await
        .unwrap();
        let old_2016 = first.years[1].year_id;
        assert_eq!(
            second.years[0].replaced,
            Some(indices::Replaced {
                year_id: old_2016,
                import_id: first.import_id
            }),
            "{backend:?}"
        );
        let now = indices::current_year(db, "papi", 2016)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.version.import_id, second.import_id);
        assert_eq!(total_of(&now, "46").0, Some(35.5));
        let history = indices::year_history(db, "papi", 2016).await.unwrap();
        assert_eq!(history.len(), 2);
        assert!(history[0].current && !history[1].current);
        assert_eq!(history[1].replaced_by, Some(second.years[0].year_id));
        assert_eq!(history[1].file_name, "papi-provinces.xlsx");
        let old = indices::stored_year(db, old_2016).await.unwrap().unwrap();
        assert!((total_of(&old, "46").0.unwrap() - 35.338).abs() < 1e-9);
        // Other years keep the first import.
        let y2014 = indices::current_year(db, "papi", 2014)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(y2014.version.import_id, first.import_id);
        let replaced = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("index_year".into()),
                entity_id: Some(second.years[0].year_id),
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(replaced.len(), 1);
        assert_eq!(replaced[0].action, "replace");
        assert_eq!(
            replaced[0].old_value.as_deref(),
            Some(format!("papi 2016: lần nhập số {}", first.import_id).as_str())
        );
    }
}

#[tokio::test]
async fn an_import_that_fails_leaves_nothing() {
    let report = papi_report();
    // The second year holds a unit twice: its values collide, after the first year was written.
    let mut broken = report.clone();
    let repeated = broken.years[1].units[0].clone();
    broken.years[1].units.push(repeated);
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::system("test");
        let first = indices::import(db, &actor, "papi-provinces.xlsx", &source(), &report)
            .await
            .unwrap();
        let audit_before = count(db, "SELECT COUNT(*) FROM audit_log").await;
        let values_before = count(db, "SELECT COUNT(*) FROM index_values").await;
        assert!(
            indices::import(db, &actor, "broken.xlsx", &source(), &broken)
                .await
                .is_err(),
            "{backend:?}"
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM index_imports").await, 1);
        assert_eq!(count(db, "SELECT COUNT(*) FROM index_years").await, 3);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM index_values").await,
            values_before
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM audit_log").await,
            audit_before
        );
        // The years of the first import are still the ones in force.
        let current = indices::current_years(db, "papi").await.unwrap();
        assert!(current.iter().all(|v| v.import_id == first.import_id));
    }
}

#[tokio::test]
async fn the_bundled_figures_are_the_first_import_of_each_index() {
    let reports = chiso_refdata::published::published_reports(
        &chiso_refdata::index_catalogue(),
        &chiso_refdata::province_roster(),
    );
    for test_db in backends().await {
        let db = &test_db.db;
        let seeded = indices::seed_published(db, &reports).await.unwrap();
        assert_eq!(seeded.len(), 4);
        assert!(
            indices::seed_published(db, &reports)
                .await
                .unwrap()
                .is_empty()
        );
        let par = indices::current_year(db, "par", 2020)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(total_of(&par, "46"), (Some(88.47), Some(3)));
        let hue = par
            .values
            .iter()
            .find(|v| v.unit_code == "46" && v.measure == "total")
            .unwrap();
        assert!(hue.rank_published);
        assert_eq!(hue.source.as_deref(), Some("B1"));
        let sipas = indices::current_year(db, "sipas", 2023)
            .await
            .unwrap()
            .unwrap();
        assert!(sipas.summaries.contains("82.66"));
        assert_eq!(par.version.actor_name, "system:published-figures");
    }
}

/// A province's history across every index in one query: the years in force only (a replaced
/// year's values stay out), the codes asked only.
#[tokio::test]
async fn the_history_of_units_reads_every_index_in_force() {
    let reports = chiso_refdata::published::published_reports(
        &chiso_refdata::index_catalogue(),
        &chiso_refdata::province_roster(),
    );
    let catalogue = chiso_refdata::index_catalogue();
    let roster = chiso_refdata::province_roster();
    let corrected = read_indices(
        "par.csv",
        "index,year,unit_code,unit_name,measure,value,rank\npar,2023,46,Thừa Thiên Huế,total,88.40,16\n"
            .as_bytes(),
        FileKind::Csv,
        ReadOptions {
            catalogue: &catalogue,
            roster: &roster,
            index: Some("par"),
            year: None,
        },
    )
    .unwrap();
    for test_db in backends().await {
        let db = &test_db.db;
        indices::seed_published(db, &reports).await.unwrap();
        indices::import(db, &Actor::system("test"), "par.csv", &source(), &corrected)
            .await
            .unwrap();
        let history = indices::history_of_units(db, &["46".to_string()])
            .await
            .unwrap();
        assert!(history.iter().all(|v| v.unit_code == "46"));
        let total = |index: &str, year: i64| {
            history
                .iter()
                .filter(|v| v.index_id == index && v.year == year && v.measure == "total")
                .map(|v| (v.value, v.rank))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            total("par", 2023),
            [(Some(88.4), Some(16))],
            "the corrected year only"
        );
        assert_eq!(total("par", 2020), [(Some(88.47), Some(3))]);
        assert_eq!(total("papi", 2023), [(Some(46.04), Some(1))]);
        assert_eq!(total("sipas", 2023), [(None, Some(32))]);
        assert!(
            history
                .iter()
                .any(|v| v.index_id == "par" && v.measure == "leaders")
        );
        assert!(indices::history_of_units(db, &[]).await.unwrap().is_empty());
        let years = indices::all_current_years(db).await.unwrap();
        assert!(years.iter().all(|v| v.current));
        assert_eq!(
            years
                .iter()
                .filter(|v| v.index_id == "par" && v.year == 2023)
                .count(),
            1
        );
    }
}
