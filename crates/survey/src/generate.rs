//! Deterministic synthetic responses for benchmarks and tests: the same seed always writes the
//! same file. Each unit has its own satisfaction level and each item its own offset, so units
//! differ and items differ; about 5 % of answers are blank, weights vary, channels vary, and
//! respondent ids are unique.

use std::io::Write;

use crate::questionnaire::Questionnaire;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub rows: u64,
    pub units: u32,
    pub seed: u64,
    /// Write a `weight` column with values other than 1.
    pub weighted: bool,
}

/// SplitMix64: small, fast and good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// The unit codes used: "01" … for up to 99 units, "001" … beyond.
pub fn unit_code(index: u32, units: u32) -> String {
    if units <= 99 {
        format!("{:02}", index + 1)
    } else {
        format!("{:03}", index + 1)
    }
}

const CHANNELS: [&str; 4] = ["online", "paper", "kiosk", "\"bưu điện, thu tại nhà\""];
const WEIGHTS: [&str; 6] = ["1", "0.5", "1.5", "2", "1", "0.75"];

/// Writes responses.csv for `questionnaire` with `options.rows` data rows.
pub fn write_responses(
    questionnaire: &Questionnaire,
    options: &GenerateOptions,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut rng = Rng::new(options.seed);
    let units = options.units.max(1);
    let unit_level: Vec<f64> = (0..units).map(|_| 0.55 + 0.4 * rng.unit()).collect();
    let item_offset: Vec<f64> = questionnaire
        .items
        .iter()
        .map(|_| (rng.unit() - 0.5) * 0.2)
        .collect();
    let codes: Vec<String> = (0..units).map(|u| unit_code(u, units)).collect();
    let satisfied: Vec<&str> = questionnaire
        .scale
        .answers
        .iter()
        .filter(|a| a.share.is_some_and(|s| s >= 0.5))
        .map(|a| a.code.as_str())
        .collect();
    let other: Vec<&str> = questionnaire
        .scale
        .answers
        .iter()
        .filter(|a| !a.share.is_some_and(|s| s >= 0.5))
        .map(|a| a.code.as_str())
        .collect();

    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(b"unit_code,respondent_id,channel,weight");
    for item in &questionnaire.items {
        line.push(b',');
        line.extend_from_slice(item.code.as_bytes());
    }
    line.push(b'\n');
    out.write_all(&line)?;
    let mut block = Vec::with_capacity(1 << 20);
    for row in 0..options.rows {
        let unit = rng.below(units as u64) as usize;
        block.extend_from_slice(codes[unit].as_bytes());
        write!(block, ",R{}", row + 1)?;
        block.push(b',');
        block.extend_from_slice(CHANNELS[rng.below(CHANNELS.len() as u64) as usize].as_bytes());
        block.push(b',');
        if options.weighted {
            let w = rng.below(WEIGHTS.len() as u64 + 2) as usize;
            if w < WEIGHTS.len() {
                block.extend_from_slice(WEIGHTS[w].as_bytes());
            }
        }
        for (k, _) in questionnaire.items.iter().enumerate() {
            block.push(b',');
            let draw = rng.unit();
            if draw < 0.05 {
                continue;
            }
            let p = (unit_level[unit] + item_offset[k]).clamp(0.02, 0.98);
            let pool = if rng.unit() < p || other.is_empty() {
                &satisfied
            } else {
                &other
            };
            let pool = if pool.is_empty() { &other } else { pool };
            block.extend_from_slice(pool[rng.below(pool.len() as u64) as usize].as_bytes());
        }
        block.push(b'\n');
        if block.len() > (1 << 20) - 4096 {
            out.write_all(&block)?;
            block.clear();
        }
    }
    out.write_all(&block)
}
