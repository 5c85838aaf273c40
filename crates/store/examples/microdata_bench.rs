//! Benchmark of the survey microdata export (docs/formats.md §8.12) on SQLite, run by
//! `bench/microdata-export.sh` in release mode; not part of `cargo test`.
//!
//! ```text
//! microdata_bench fill --rows N --db FILE            # a wave of N generated responses
//! microdata_bench csv  --db FILE --out FILE          # the export as CSV
//! microdata_bench xlsx --db FILE --out FILE          # the export as .xlsx (+ codebook)
//! microdata_bench read --db FILE                     # baseline: the same pages, read only
//! ```
//!
//! `csv` and `xlsx` run the export's code path: the store's pages of 2,000 responses in id
//! order (`surveys::responses_after`, as `app::survey::microdata` reads them) written one row
//! at a time by the survey crate's writers (`CsvOut` through the one CSV writer, `XlsxOut`
//! with its data sheet in constant-memory mode) to a file. `read` is the baseline measured in
//! the same run: the same pages read and dropped. Each prints `key=value` lines.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chiso_domain::org::OrgKind;
use chiso_store::surveys::{self, CsvRows, ImportOptions, ResponseFilter, WaveFields};
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db};
use chiso_survey::bundled;
use chiso_survey::generate::{GenerateOptions, unit_code, write_responses};
use chiso_survey::microdata::{CsvOut, Microdata, XlsxOut};

const UNITS: u32 = 63;
/// The page of the web export (`app::survey::microdata::EXPORT_PAGE`).
const PAGE: i64 = 2_000;

struct Args {
    mode: String,
    rows: u64,
    db: PathBuf,
    out: Option<PathBuf>,
}

fn args() -> Args {
    let mut all = std::env::args().skip(1);
    let mut args = Args {
        mode: all.next().unwrap_or_default(),
        rows: 100_000,
        db: std::env::temp_dir().join("chiso-microdata-bench.db"),
        out: None,
    };
    while let Some(flag) = all.next() {
        let value = all.next().expect("a value after each flag");
        match flag.as_str() {
            "--rows" => args.rows = value.parse().expect("--rows N"),
            "--db" => args.db = value.into(),
            "--out" => args.out = Some(value.into()),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

async fn open(path: &Path) -> Db {
    let db = Db::connect(&chiso_store::db::sqlite_url(path))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db
}

/// A fresh database with an open SIPAS wave over 63 units, filled with `rows` generated
/// responses (weights, four channels, respondent ids, 5 % blanks) through the bulk import.
async fn fill(args: &Args) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", args.db.display()));
    }
    let db = open(&args.db).await;
    let actor = Actor::system("bench");
    let questionnaire = bundled("sipas-2017").unwrap();
    let q = surveys::register_bundled(&db, &actor, "sipas-2017")
        .await
        .unwrap();
    let mut pairs = Vec::new();
    for u in 0..UNITS {
        let code = unit_code(u, UNITS);
        let id = units::create(
            &db,
            &actor,
            &UnitFields {
                code: code.clone(),
                name: format!("Sở số {code}"),
                kind: OrgKind::Department,
                parent_id: None,
                region: None,
                valid_from: None,
                valid_to: None,
            },
        )
        .await
        .unwrap();
        pairs.push((id, Some(10_000)));
    }
    let wave = surveys::create_wave(&db, &actor, &WaveFields::new(q, "Benchmark", 2026))
        .await
        .unwrap();
    surveys::set_units(&db, &actor, wave, &pairs).await.unwrap();
    surveys::open_wave(&db, &actor, wave).await.unwrap();
    let csv = args.db.with_extension("csv");
    let mut out = BufWriter::new(File::create(&csv).unwrap());
    write_responses(
        &questionnaire,
        &GenerateOptions {
            rows: args.rows,
            units: UNITS,
            seed: 2026,
            weighted: true,
        },
        &mut out,
    )
    .unwrap();
    drop(out);
    let rows = CsvRows::new(
        &questionnaire,
        BufReader::with_capacity(1 << 20, File::open(&csv).unwrap()),
    )
    .unwrap();
    let report = surveys::import_responses(
        &db,
        &actor,
        wave,
        rows,
        &ImportOptions::new("responses.csv"),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert!(report.stored);
    println!("mode=fill");
    println!("rows={}", report.accepted);
    db.close().await;
}

/// The wave of the database (the only one).
async fn the_wave(db: &Db) -> i64 {
    surveys::list_waves(db).await.unwrap()[0].id
}

async fn export(args: &Args, xlsx: bool) {
    let db = open(&args.db).await;
    let wave = the_wave(&db).await;
    let questionnaire = bundled("sipas-2017").unwrap();
    let microdata = Microdata::new(&questionnaire);
    let path = args.out.clone().expect("--out FILE");
    let filter = ResponseFilter::default();
    let started = Instant::now();
    let mut rows = 0u64;
    let mut after = 0;
    if xlsx {
        let mut out = XlsxOut::new(&microdata).unwrap();
        loop {
            let page = surveys::responses_after(&db, wave, &filter, after, PAGE)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                let at = row.submitted_in_vietnam();
                out.push(&row.record(&at)).unwrap();
                rows += 1;
            }
        }
        let file = BufWriter::new(File::create(&path).unwrap());
        out.finish(file).unwrap();
    } else {
        let file = BufWriter::with_capacity(256 * 1024, File::create(&path).unwrap());
        let mut out = CsvOut::new(&microdata, file).unwrap();
        loop {
            let page = surveys::responses_after(&db, wave, &filter, after, PAGE)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                let at = row.submitted_in_vietnam();
                out.push(&row.record(&at)).unwrap();
                rows += 1;
            }
        }
        out.finish().unwrap().flush().unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("mode={}", if xlsx { "xlsx" } else { "csv" });
    println!("rows={rows}");
    println!("seconds={seconds:.3}");
    println!("bytes={}", std::fs::metadata(&path).unwrap().len());
    db.close().await;
}

async fn read(args: &Args) {
    let db = open(&args.db).await;
    let wave = the_wave(&db).await;
    let filter = ResponseFilter::default();
    let started = Instant::now();
    let mut rows = 0u64;
    let mut after = 0;
    loop {
        let page = surveys::responses_after(&db, wave, &filter, after, PAGE)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        rows += page.len() as u64;
    }
    println!("mode=read");
    println!("rows={rows}");
    println!("seconds={:.3}", started.elapsed().as_secs_f64());
    db.close().await;
}

#[tokio::main]
async fn main() {
    let args = args();
    match args.mode.as_str() {
        "fill" => fill(&args).await,
        "csv" => export(&args, false).await,
        "xlsx" => export(&args, true).await,
        "read" => read(&args).await,
        other => panic!("unknown mode {other:?}: fill, csv, xlsx or read"),
    }
}
