//! Index and ranking for 10,000 communes × 120 leaves (README "Benchmarks"; target under 50 ms on one
//! core). `evaluate` runs on one thread. The baseline, measured in the same run, is the least
//! any implementation must do: read every entered point once and sort the units by total.
//!
//! Run: `cargo bench -p chiso-domain --bench evaluate`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chiso_domain::{
    Bands, Framework, FrameworkMeta, NodeSpec, Points, ScoreSheet, UnitInput, evaluate,
};

const UNITS: usize = 10_000;
const RUNS: usize = 15;

/// 8 areas × 5 criteria × 3 sub-criteria = 120 leaves, like a commune framework.
fn framework() -> Framework {
    let mut specs = Vec::new();
    let mut push = |code: String, max: Option<Points>| {
        specs.push(NodeSpec {
            row: specs.len() + 2,
            title: format!("Tiêu chí {code}"),
            code,
            max_points: max,
            ..NodeSpec::default()
        })
    };
    for a in 1..=8 {
        push(a.to_string(), None);
        for c in 1..=5 {
            push(format!("{a}.{c}"), None);
            for s in 1..=3 {
                // 0.25 to 1.5 points per leaf.
                let quarters = 1 + (a * 7 + c * 3 + s) % 6;
                push(
                    format!("{a}.{c}.{s}"),
                    Some(Points::from_ten_thousandths(quarters as i64 * 2_500)),
                );
            }
        }
    }
    Framework::build(FrameworkMeta::default(), specs).expect("valid")
}

fn units(framework: &Framework) -> Vec<UnitInput> {
    let mut state: u64 = 42;
    (0..UNITS)
        .map(|i| {
            let mut sheet = ScoreSheet::new(framework);
            for &leaf in framework.leaves() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let max = framework.node(leaf).max_points.ten_thousandths();
                // Quarter-point steps, as rubrics give.
                let steps = max / 2_500 + 1;
                let points = ((state >> 33) as i64 % steps) * 2_500;
                sheet
                    .set(framework, leaf, Points::from_ten_thousandths(points))
                    .expect("in range");
            }
            UnitInput {
                code: format!("{i:05}"),
                group: Some(format!("xã nhóm {}", i % 34)),
                sheet,
            }
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let framework = framework();
    assert_eq!(framework.leaves().len(), 120);
    let inputs = units(&framework);
    let bands = Bands::default();

    let mut baseline = Vec::with_capacity(RUNS);
    let mut full = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let copy = inputs.clone();
        let start = Instant::now();
        let mut totals: Vec<(i64, usize)> = copy
            .iter()
            .enumerate()
            .map(|(i, unit)| {
                let total: i64 = framework
                    .leaves()
                    .iter()
                    .map(|&leaf| unit.sheet.get(leaf).map_or(0, Points::ten_thousandths))
                    .sum();
                (total, i)
            })
            .collect();
        totals.sort_unstable_by(|a, b| b.cmp(a));
        black_box(&totals);
        baseline.push(start.elapsed());

        let copy = inputs.clone();
        let start = Instant::now();
        let evaluation = evaluate(&framework, copy, &bands);
        full.push(start.elapsed());
        black_box(&evaluation);
    }
    let (baseline, full) = (median(baseline), median(full));
    println!(
        "evaluate: {UNITS} units × 120 leaves, 8 areas, ranks overall + per area + per group, one thread"
    );
    println!(
        "  evaluate (points, index, 10 rankings, classification): median {:.1} ms over {RUNS} runs",
        full.as_secs_f64() * 1e3
    );
    println!(
        "  baseline (read every point once, sort by total):      median {:.1} ms",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "  ratio evaluate / baseline: {:.1}×; target: under 50 ms",
        full.as_secs_f64() / baseline.as_secs_f64()
    );
}
