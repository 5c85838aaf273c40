//! Benchmarks of survey storage on SQLite, run by `bench/survey-store.sh` in release
//! mode; not part of `cargo test`.
//!
//! ```text
//! survey_store_bench import   --rows N --csv FILE --db FILE   # bulk import of responses.csv
//! survey_store_bench baseline --rows N --csv FILE --db FILE   # the same rows, plain INSERTs
//! survey_store_bench index    --rows N --db FILE [--runs 15]  # index from counters after N
//! ```
//!
//! `import` streams the file through the store's importer (one writer, batches of 10,000,
//! counters summed per batch, one transaction for the file: all or nothing). `baseline` reads
//! the same file with the same row parser and inserts the same rows into the same table with
//! the same multi-row statements, without counters and without the duplicate check. `index`
//! fills a wave with N generated responses directly (batches of 10,000 committed each), then
//! times the index of each unit and of groups from the counters, against a scan of one unit's
//! raw rows. Each prints `key=value` lines the script turns into the README's table.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chiso_domain::org::OrgKind;
use chiso_store::surveys::{self, CsvRows, ImportOptions, ImportRow, RowRejection, WaveFields};
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db};
use chiso_survey::generate::{GenerateOptions, Rng, unit_code, write_responses};
use chiso_survey::{Questionnaire, bundled};

const UNITS: u32 = 63;

struct Args {
    mode: String,
    rows: u64,
    csv: Option<PathBuf>,
    db: PathBuf,
    runs: usize,
}

fn args() -> Args {
    let mut all = std::env::args().skip(1);
    let mode = all.next().unwrap_or_default();
    let mut args = Args {
        mode,
        rows: 1_000_000,
        csv: None,
        db: std::env::temp_dir().join("chiso-survey-bench.db"),
        runs: 15,
    };
    while let Some(flag) = all.next() {
        let value = all.next().expect("a value after each flag");
        match flag.as_str() {
            "--rows" => args.rows = value.parse().expect("--rows N"),
            "--csv" => args.csv = Some(value.into()),
            "--db" => args.db = value.into(),
            "--runs" => args.runs = value.parse().expect("--runs N"),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// A fresh, migrated SQLite database with the bundled SIPAS questionnaire and an open wave over
/// 63 units coded as the generator codes them.
async fn fresh(path: &Path) -> (Db, i64, HashMap<String, i64>) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let db = Db::connect(&chiso_store::db::sqlite_url(path))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let actor = Actor::system("bench");
    let questionnaire = surveys::register_bundled(&db, &actor, "sipas-2017")
        .await
        .unwrap();
    let mut ids = HashMap::new();
    for u in 0..UNITS {
        let code = unit_code(u, UNITS);
        let id = units::create(
            &db,
            &actor,
            &UnitFields {
                code: code.clone(),
                name: format!("Tỉnh {code}"),
                kind: OrgKind::Province,
                parent_id: None,
                region: None,
                valid_from: None,
                valid_to: None,
            },
        )
        .await
        .unwrap();
        ids.insert(code, id);
    }
    let wave = surveys::create_wave(
        &db,
        &actor,
        &WaveFields::new(questionnaire, "Benchmark", 2025),
    )
    .await
    .unwrap();
    let pairs: Vec<(i64, Option<i64>)> = ids.values().map(|&id| (id, Some(10_000))).collect();
    surveys::set_units(&db, &actor, wave, &pairs).await.unwrap();
    surveys::open_wave(&db, &actor, wave).await.unwrap();
    (db, wave, ids)
}

fn ensure_csv(questionnaire: &Questionnaire, path: &Path, rows: u64) {
    if path.exists() {
        return;
    }
    let started = Instant::now();
    let mut out = BufWriter::new(File::create(path).unwrap());
    write_responses(
        questionnaire,
        &GenerateOptions {
            rows,
            units: UNITS,
            seed: 2026,
            weighted: true,
        },
        &mut out,
    )
    .unwrap();
    drop(out);
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| {
            std::fs::metadata(format!("{}{s}", path.display()))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum()
}

async fn import(args: &Args) {
    let questionnaire = bundled("sipas-2017").unwrap();
    let csv = args.csv.clone().expect("--csv FILE");
    ensure_csv(&questionnaire, &csv, args.rows);
    let (db, wave, _) = fresh(&args.db).await;
    let reader = BufReader::with_capacity(1 << 20, File::open(&csv).unwrap());
    let rows = CsvRows::new(&questionnaire, reader).unwrap();
    let started = Instant::now();
    let mut last = 0;
    let report = surveys::import_responses(
        &db,
        &Actor::system("bench"),
        wave,
        rows,
        &ImportOptions {
            total_rows: Some(args.rows),
            ..ImportOptions::new("responses.csv")
        },
        &mut |done, total| {
            if done >= last + 1_000_000 {
                last = done;
                eprintln!("{done} / {}", total.unwrap_or(0));
            }
        },
    )
    .await
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        report.stored,
        "{:?}",
        &report.rejections[..5.min(report.rejections.len())]
    );
    let counted: u64 = surveys::counts(&db, wave, &[], None)
        .await
        .unwrap()
        .iter()
        .map(|u| u.counts.responses.n)
        .sum();
    assert_eq!(counted, report.accepted);
    println!("mode=import");
    println!("rows={}", report.accepted);
    println!("seconds={seconds:.3}");
    println!("rate={:.0}", report.accepted as f64 / seconds);
    println!("db_bytes={}", file_size(&args.db));
    db.close().await;
}

async fn baseline(args: &Args) {
    let questionnaire = bundled("sipas-2017").unwrap();
    let csv = args.csv.clone().expect("--csv FILE");
    ensure_csv(&questionnaire, &csv, args.rows);
    let (db, wave, ids) = fresh(&args.db).await;
    let reader = BufReader::with_capacity(1 << 20, File::open(&csv).unwrap());
    let mut rows = CsvRows::new(&questionnaire, reader).unwrap();
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    let started = Instant::now();
    let now = chrono::Utc::now();
    if let Ok(pragma) = std::env::var("BENCH_PRAGMA") {
        sqlx::query(&pragma).execute(&pools.write).await.unwrap();
    }
    let no_ids = std::env::var("BENCH_NO_IDS").is_ok();
    let mut tx = pools.write.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let mut inserted = 0u64;
    loop {
        let batch: Vec<ImportRow> = rows
            .by_ref()
            .take(400)
            .map(|r: Result<ImportRow, RowRejection>| r.unwrap())
            .collect();
        if batch.is_empty() {
            break;
        }
        let mut sql = String::from(
            "INSERT INTO responses (wave_id, submitted_at, unit_id, channel, weight, answers, respondent_id) VALUES ",
        );
        for i in 0..batch.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
        }
        let mut query = sqlx::query(&sql);
        for row in &batch {
            query = query
                .bind(wave)
                .bind(now)
                .bind(ids[&row.unit_code])
                .bind(row.channel.to_lowercase())
                .bind(row.weight)
                .bind(&row.answers)
                .bind(if no_ids {
                    None
                } else {
                    row.respondent_id.clone()
                });
        }
        query.execute(&mut *tx).await.unwrap();
        inserted += batch.len() as u64;
    }
    tx.commit().await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!("mode=baseline");
    println!("rows={inserted}");
    println!("seconds={seconds:.3}");
    println!("rate={:.0}", inserted as f64 / seconds);
    db.close().await;
}

/// Generated rows straight into the importer: no file, no respondent ids.
struct Generated {
    rng: Rng,
    left: u64,
    row: u64,
    codes: Vec<String>,
    levels: Vec<f64>,
}

impl Iterator for Generated {
    type Item = Result<ImportRow, RowRejection>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.row += 1;
        let unit = self.rng.below(self.codes.len() as u64) as usize;
        let level = self.levels[unit];
        let answers = (0..23)
            .map(|_| {
                let draw = self.rng.unit();
                if draw < 0.05 {
                    0
                } else if self.rng.unit() < level {
                    4 + self.rng.below(2) as u8
                } else {
                    1 + self.rng.below(3) as u8
                }
            })
            .collect();
        Some(Ok(ImportRow {
            row: self.row,
            unit_code: self.codes[unit].clone(),
            respondent_id: None,
            channel: ["online", "paper", "kiosk"][self.rng.below(3) as usize].to_string(),
            weight: 1.0,
            answers,
            demographics: Vec::new(),
            expectations: Vec::new(),
            comment: None,
            service: None,
        }))
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn index(args: &Args) {
    let (db, wave, ids) = fresh(&args.db).await;
    let mut rng = Rng::new(7);
    let mut codes: Vec<String> = ids.keys().cloned().collect();
    codes.sort();
    let levels = codes.iter().map(|_| 0.55 + 0.4 * rng.unit()).collect();
    let started = Instant::now();
    let report = surveys::import_responses(
        &db,
        &Actor::system("bench"),
        wave,
        Generated {
            rng,
            left: args.rows,
            row: 1,
            codes: codes.clone(),
            levels,
        },
        &ImportOptions {
            skip_bad_rows: true,
            total_rows: Some(args.rows),
            ..ImportOptions::new("generated")
        },
        &mut |done, _| {
            if done % 1_000_000 == 0 {
                eprintln!("{done} stored");
            }
        },
    )
    .await
    .unwrap();
    let fill = started.elapsed().as_secs_f64();
    println!("mode=index");
    println!("rows={}", report.accepted);
    println!("fill_seconds={fill:.1}");
    println!("fill_rate={:.0}", report.accepted as f64 / fill);
    let unit_ids: Vec<i64> = codes.iter().map(|c| ids[c]).collect();
    // Warm the caches once, as a running server has them.
    surveys::result(&db, wave, &unit_ids, None).await.unwrap();
    let mut one = Vec::new();
    for _ in 0..args.runs.div_ceil(unit_ids.len()).max(1) {
        for &unit in &unit_ids {
            let t = Instant::now();
            let result = surveys::result(&db, wave, &[unit], None).await.unwrap();
            one.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(result.index.is_some());
        }
    }
    let mut ten = Vec::new();
    let mut all = Vec::new();
    for _ in 0..args.runs {
        let t = Instant::now();
        surveys::result(&db, wave, &unit_ids[..10], None)
            .await
            .unwrap();
        ten.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let result = surveys::result(&db, wave, &unit_ids, None).await.unwrap();
        all.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(result.responses, report.accepted);
    }
    let max_one = one.iter().copied().fold(0.0, f64::max);
    println!("unit_ms={:.2}", median(one));
    println!("unit_max_ms={max_one:.2}");
    println!("group10_ms={:.2}", median(ten));
    println!("group63_ms={:.2}", median(all));
    // The baseline: the same unit's counts by reading its raw rows (what counters avoid).
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    let mut scans = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let rows: Vec<(f64, Vec<u8>)> = sqlx::query_as(
            "SELECT weight, answers FROM responses WHERE wave_id = $1 AND unit_id = $2",
        )
        .bind(wave)
        .bind(unit_ids[0])
        .fetch_all(&pools.read)
        .await
        .unwrap();
        let mut counts = [[0u64; 6]; 23];
        for (_, answers) in &rows {
            for (item, &value) in answers.iter().enumerate() {
                counts[item][value as usize] += 1;
            }
        }
        scans.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(counts[0].iter().sum::<u64>() > 0);
    }
    println!("scan_unit_ms={:.1}", median(scans));
    println!("db_bytes={}", file_size(&args.db));
    db.close().await;
}

#[tokio::main]
async fn main() {
    let args = args();
    match args.mode.as_str() {
        "import" => import(&args).await,
        "baseline" => baseline(&args).await,
        "index" => index(&args).await,
        other => {
            eprintln!(
                "usage: survey_store_bench import|baseline|index --rows N [--csv FILE] [--db FILE] [--runs N] (got '{other}')"
            );
            std::process::exit(2);
        }
    }
}
