//! Reads a responses.csv and prints the time to read and to compute every unit's result, for
//! profiling the reader without building the whole `chiso` binary:
//! `cargo run --release -p chiso-survey --example survey_index -- responses.csv [sipas-2017]`.

use std::time::Instant;

use chiso_survey::{bundled, index_from_counts, read_csv_sized};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a responses.csv path");
    let id = args.next().unwrap_or_else(|| "sipas-2017".to_string());
    let questionnaire = bundled(&id).expect("a bundled questionnaire id");
    let started = Instant::now();
    let file = std::fs::File::open(&path).expect("readable file");
    let size = file.metadata().map(|m| m.len()).ok();
    let tally = read_csv_sized(&questionnaire, &path, file, size).expect("readable responses");
    let read = started.elapsed();
    let results: Vec<_> = tally
        .units(&questionnaire)
        .iter()
        .map(|(_, counts)| index_from_counts(&questionnaire, counts))
        .collect();
    println!(
        "{} rows, {} accepted, {} units: read {:.3} s, computed {:.3} s",
        tally.rows,
        tally.accepted(),
        results.len(),
        read.as_secs_f64(),
        (started.elapsed() - read).as_secs_f64()
    );
}
