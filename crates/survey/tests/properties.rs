//! Properties of the survey index: weights of 1 equal the unweighted result,
//! the order of rows changes nothing, every value stays within [0, 100], counters built
//! outside the reader (as the database keeps them) give the streaming result, and chunks read
//! separately and merged give the one-pass result. Plus an independent computation of the rates
//! straight from the rows.

use chiso_survey::counts::{AnswerStat, Counts};
use chiso_survey::index::SurveyResult;
use chiso_survey::{Questionnaire, Tally, bundled, index_from_counts, read_csv};
use proptest::prelude::*;

const UNITS: [&str; 3] = ["01", "08", "44"];
const CHANNELS: [&str; 3] = ["online", "paper", "\"bưu điện, thu tại nhà\""];
const WEIGHTS: [f64; 4] = [1.0, 0.5, 1.5, 2.0];

/// A generated response: unit, channel, weight, and an answer 0 (blank) or 1–5 per item.
#[derive(Clone, Debug)]
struct Row {
    unit: usize,
    channel: usize,
    weight: f64,
    answers: Vec<u8>,
}

fn rows(items: usize, max_rows: usize) -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0..UNITS.len(),
            0..CHANNELS.len(),
            0..WEIGHTS.len(),
            prop::collection::vec(prop_oneof![1 => Just(0u8), 4 => 1u8..=5], items),
        )
            .prop_map(|(unit, channel, w, answers)| Row {
                unit,
                channel,
                weight: WEIGHTS[w],
                answers,
            }),
        0..max_rows,
    )
}

/// How the weight column is written.
#[derive(Clone, Copy)]
enum WeightColumn {
    Values,
    Absent,
    Blank,
}

fn csv(q: &Questionnaire, rows: &[Row], weights: WeightColumn, first_id: usize) -> String {
    let mut out = String::from("unit_code,respondent_id,channel");
    if !matches!(weights, WeightColumn::Absent) {
        out.push_str(",weight");
    }
    for item in &q.items {
        out.push(',');
        out.push_str(&item.code);
    }
    out.push('\n');
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&format!(
            "{},{},{}",
            UNITS[row.unit],
            first_id + i,
            CHANNELS[row.channel]
        ));
        match weights {
            WeightColumn::Values => out.push_str(&format!(",{}", row.weight)),
            WeightColumn::Blank => out.push(','),
            WeightColumn::Absent => {}
        }
        for &a in &row.answers {
            out.push(',');
            if a > 0 {
                out.push_str(&a.to_string());
            }
        }
        out.push('\n');
    }
    out
}

fn read(q: &Questionnaire, text: &str) -> Tally {
    read_csv(q, "responses.csv", text.as_bytes()).expect("readable")
}

/// Every unit's result and the result of all responses.
fn results(q: &Questionnaire, tally: &Tally) -> Vec<(String, SurveyResult)> {
    let mut out: Vec<(String, SurveyResult)> = tally
        .units(q)
        .into_iter()
        .map(|(code, counts)| (code, index_from_counts(q, &counts)))
        .collect();
    out.push(("*".to_string(), index_from_counts(q, &tally.all(q))));
    out
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => false,
    }
}

fn same(a: &SurveyResult, b: &SurveyResult) -> Result<(), String> {
    let check = |what: &str, x: Option<f64>, y: Option<f64>| {
        if close(x, y) {
            Ok(())
        } else {
            Err(format!("{what}: {x:?} vs {y:?}"))
        }
    };
    if a.responses != b.responses {
        return Err(format!("responses {} vs {}", a.responses, b.responses));
    }
    check("index", a.index, b.index)?;
    check("par_points", a.par_points, b.par_points)?;
    check("ci low", a.ci95.map(|c| c[0]), b.ci95.map(|c| c[0]))?;
    check("ci high", a.ci95.map(|c| c[1]), b.ci95.map(|c| c[1]))?;
    check(
        "overall",
        a.overall_satisfied_rate,
        b.overall_satisfied_rate,
    )?;
    for (f, g) in a.factors.iter().zip(&b.factors) {
        check(&f.code, f.index, g.index)?;
        check(&f.code, f.ci95.map(|c| c[0]), g.ci95.map(|c| c[0]))?;
    }
    for (i, j) in a
        .items
        .iter()
        .chain(&a.other_items)
        .zip(b.items.iter().chain(&b.other_items))
    {
        if i.answered != j.answered {
            return Err(format!(
                "{} answered {} vs {}",
                i.code, i.answered, j.answered
            ));
        }
        check(&i.code, i.satisfied_rate, j.satisfied_rate)?;
        check(&i.code, i.se, j.se)?;
    }
    Ok(())
}

fn same_all(a: &[(String, SurveyResult)], b: &[(String, SurveyResult)]) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} scopes vs {}", a.len(), b.len()));
    }
    for ((code_a, ra), (code_b, rb)) in a.iter().zip(b) {
        if code_a != code_b {
            return Err(format!("unit {code_a} vs {code_b}"));
        }
        same(ra, rb).map_err(|e| format!("unit {code_a}: {e}"))?;
    }
    Ok(())
}

fn in_range(value: Option<f64>) -> bool {
    value.is_none_or(|v| (0.0..=100.0).contains(&v))
}

/// The rows given one by one as text cells (as a form or a kiosk gives them), packed by the
/// codec and counted with `Counts::add_packed`, per unit and over all: the rows the codec
/// refuses are left out.
fn packed_results(q: &Questionnaire, rows: &[Row]) -> (Vec<(String, SurveyResult)>, usize) {
    use chiso_survey::{Blanks, Codec, TextCells};
    let mut codec = Codec::new(q, Blanks::Allowed);
    let mut units: Vec<(String, Counts)> = Vec::new();
    let mut all = Counts::new(q);
    let mut refused = 0;
    for row in rows {
        let mut cells = TextCells::new(q);
        for (k, &a) in row.answers.iter().enumerate() {
            if a > 0 {
                cells.answers[k] = a.to_string();
            }
        }
        let packed = match codec.pack(&&cells) {
            Ok(packed) => packed,
            Err(_) => {
                refused += 1;
                continue;
            }
        };
        let packed = chiso_survey::Packed {
            weight: row.weight,
            ..packed
        };
        let code = UNITS[row.unit];
        let at = match units.iter().position(|(c, _)| c == code) {
            Some(at) => at,
            None => {
                units.push((code.to_string(), Counts::new(q)));
                units.len() - 1
            }
        };
        units[at].1.add_packed(&packed);
        all.add_packed(&packed);
    }
    units.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(String, SurveyResult)> = units
        .into_iter()
        .map(|(code, counts)| (code, index_from_counts(q, &counts)))
        .collect();
    out.push(("*".to_string(), index_from_counts(q, &all)));
    (out, refused)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn packed_responses_count_as_the_reader_counts_their_file(
        rows in rows(23, 60),
        broken in prop::collection::vec(any::<bool>(), 0..60),
    ) {
        let q = bundled("sipas-2017").unwrap();
        // Some answers off the scale: refused by both paths alike.
        let rows: Vec<Row> = rows
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                if broken.get(i).copied().unwrap_or(false) && i % 3 == 0 {
                    r.answers[i % 23] = 7;
                }
                r
            })
            .collect();
        let tally = read(&q, &csv(&q, &rows, WeightColumn::Values, 1));
        let (packed, refused) = packed_results(&q, &rows);
        prop_assert_eq!(tally.rejected.len(), refused);
        prop_assert_eq!(same_all(&results(&q, &tally), &packed), Ok(()));
    }

    #[test]
    fn weights_of_one_equal_the_unweighted_result(rows in rows(23, 60)) {
        let q = bundled("sipas-2017").unwrap();
        let ones: Vec<Row> = rows.iter().cloned().map(|r| Row { weight: 1.0, ..r }).collect();
        let weighted_ones = results(&q, &read(&q, &csv(&q, &ones, WeightColumn::Values, 1)));
        let absent = results(&q, &read(&q, &csv(&q, &rows, WeightColumn::Absent, 1)));
        let blank = results(&q, &read(&q, &csv(&q, &rows, WeightColumn::Blank, 1)));
        prop_assert_eq!(same_all(&weighted_ones, &absent), Ok(()));
        prop_assert_eq!(same_all(&weighted_ones, &blank), Ok(()));
    }

    #[test]
    fn row_order_changes_nothing(
        (rows, shuffled) in rows(23, 60).prop_flat_map(|rows| {
            let indices: Vec<usize> = (0..rows.len()).collect();
            (Just(rows), Just(indices).prop_shuffle())
        })
    ) {
        let q = bundled("sipas-2017").unwrap();
        // Respondent ids travel with their rows.
        let text = csv(&q, &rows, WeightColumn::Values, 1);
        let lines: Vec<&str> = text.lines().collect();
        let mut permuted = format!("{}\n", lines[0]);
        for &i in &shuffled {
            permuted.push_str(lines[i + 1]);
            permuted.push('\n');
        }
        prop_assert_eq!(same_all(&results(&q, &read(&q, &text)), &results(&q, &read(&q, &permuted))), Ok(()));
    }

    #[test]
    fn every_value_is_within_0_and_100(rows in rows(23, 40), leader in any::<bool>()) {
        let q = bundled(if leader { "leader-2020" } else { "sipas-2017" }).unwrap();
        let mut text = csv(&q, &[], WeightColumn::Values, 1);
        let codes = ["A", "B", "C", "D", "E"];
        for (i, row) in rows.iter().enumerate() {
            text.push_str(&format!("{},{},{},{}", UNITS[row.unit], i, CHANNELS[row.channel], row.weight));
            for k in 0..q.items.len() {
                let a = row.answers[k % row.answers.len()];
                text.push(',');
                if a > 0 {
                    text.push_str(if leader { codes[a as usize - 1] } else { ["1", "2", "3", "4", "5"][a as usize - 1] });
                }
            }
            text.push('\n');
        }
        let tally = read(&q, &text);
        prop_assert!(tally.rejected.is_empty());
        for (_, r) in results(&q, &tally) {
            prop_assert!(in_range(r.index));
            prop_assert!(in_range(r.overall_satisfied_rate));
            for [low, high] in r.ci95.iter().chain(r.factors.iter().filter_map(|f| f.ci95.as_ref())) {
                prop_assert!(in_range(Some(*low)) && in_range(Some(*high)) && low <= high);
            }
            for f in &r.factors {
                prop_assert!(in_range(f.index));
                if let (Some(v), Some([low, high])) = (f.index, f.ci95) {
                    prop_assert!(low <= v + 1e-9 && v <= high + 1e-9);
                }
            }
            for i in r.items.iter().chain(&r.other_items) {
                prop_assert!(in_range(i.satisfied_rate));
            }
            if let Some(points) = r.par_points {
                let max = q.par.as_ref().unwrap().points;
                prop_assert!((0.0..=max + 1e-9).contains(&points));
            }
        }
    }

    #[test]
    fn counters_kept_elsewhere_give_the_streaming_result(rows in rows(23, 60)) {
        let q = bundled("sipas-2017").unwrap();
        let tally = read(&q, &csv(&q, &rows, WeightColumn::Values, 1));
        for (u, code) in UNITS.iter().enumerate() {
            // The database's answer_stats: (unit, item code, answer code) → n, Σw, Σw².
            let mut stats: std::collections::BTreeMap<(String, String), AnswerStat> = Default::default();
            let mut responses = AnswerStat::default();
            for row in rows.iter().filter(|r| r.unit == u) {
                responses.add(row.weight);
                for (k, &a) in row.answers.iter().enumerate() {
                    if a > 0 {
                        stats.entry((q.items[k].code.clone(), a.to_string())).or_default().add(row.weight);
                    }
                }
            }
            let mut counts = Counts::new(&q);
            counts.responses = responses;
            for ((item, answer), stat) in stats {
                counts.set_by_code(&q, &item, &answer, stat).unwrap();
            }
            let from_counts = index_from_counts(&q, &counts);
            let streamed = index_from_counts(&q, &tally.unit(&q, code));
            prop_assert_eq!(same(&from_counts, &streamed), Ok(()));

            // And the rates straight from the rows, without counters.
            for (k, item) in q.items.iter().enumerate() {
                let answered: Vec<&Row> = rows.iter().filter(|r| r.unit == u && r.answers[k] > 0).collect();
                let weight: f64 = answered.iter().map(|r| r.weight).sum();
                let satisfied: f64 = answered.iter().filter(|r| r.answers[k] >= 4).map(|r| r.weight).sum();
                let expected = if answered.is_empty() { None } else { Some(satisfied / weight * 100.0) };
                let got = streamed.item(&item.code).unwrap();
                prop_assert_eq!(got.answered, answered.len() as u64);
                prop_assert!(close(got.satisfied_rate, expected), "{} {:?} {:?}", item.code, got.satisfied_rate, expected);
            }
        }
    }

    #[test]
    fn chunks_merged_equal_one_pass(rows in rows(23, 60), split in 0usize..60) {
        let q = bundled("sipas-2017").unwrap();
        let split = split.min(rows.len());
        let whole = read(&q, &csv(&q, &rows, WeightColumn::Values, 1));
        let mut first = read(&q, &csv(&q, &rows[..split], WeightColumn::Values, 1));
        let second = read(&q, &csv(&q, &rows[split..], WeightColumn::Values, 1 + split));
        first.merge(second);
        prop_assert_eq!(first.accepted(), whole.accepted());
        prop_assert_eq!(same_all(&results(&q, &first), &results(&q, &whole)), Ok(()));
        let by_channel = |t: &Tally| t.channels(&q).into_iter().map(|(c, counts)| (c, index_from_counts(&q, &counts))).collect::<Vec<_>>();
        prop_assert_eq!(same_all(&by_channel(&first), &by_channel(&whole)), Ok(()));
    }

    #[test]
    fn block_boundaries_change_nothing(rows in rows(23, 30), chunk in 1usize..97) {
        struct Trickle<'a>(&'a [u8], usize);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(self.0.len()).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let q = bundled("sipas-2017").unwrap();
        let text = csv(&q, &rows, WeightColumn::Values, 1).replace('\n', "\r\n");
        let whole = read(&q, &text);
        let trickled = read_csv(&q, "responses.csv", Trickle(text.as_bytes(), chunk)).unwrap();
        prop_assert_eq!(same_all(&results(&q, &whole), &results(&q, &trickled)), Ok(()));
        prop_assert_eq!(whole.channels, trickled.channels);
    }
}
