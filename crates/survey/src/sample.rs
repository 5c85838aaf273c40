//! Sample sizes (docs/method.md §3.4): the pilot method's n = N / (1 + N·e²), rounded up, where N
//! is the number of transactions of the unit (or service) in the period and e the margin of
//! error (0.05 by default). N = 1 000 → 286, N = 10 000 → 385.

use serde::{Deserialize, Serialize};

/// The default margin of error.
pub const DEFAULT_MARGIN: f64 = 0.05;

/// The recommended sample for `transactions` transactions at margin `margin` (0 < e < 1),
/// rounded up; never more than the transactions themselves.
pub fn sample_size(transactions: u64, margin: f64) -> u64 {
    if transactions == 0 {
        return 0;
    }
    let n = transactions as f64;
    let size = n / (1.0 + n * margin * margin);
    // A value that is an integer up to rounding error (e.g. 400.0000000001) is that integer.
    let rounded = (size - 1e-9).ceil().max(1.0) as u64;
    rounded.min(transactions)
}

/// A unit's sample against its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleCheck {
    pub transactions: u64,
    pub target: u64,
    pub responses: u64,
    /// True when the unit has fewer responses than its target: its results are less precise
    /// than the method intends and are flagged.
    pub below_target: bool,
}

/// Checks a unit's responses against the target for its transactions.
pub fn check_sample(transactions: u64, margin: f64, responses: u64) -> SampleCheck {
    let target = sample_size(transactions, margin);
    SampleCheck {
        transactions,
        target,
        responses,
        below_target: responses < target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pilot_method_examples() {
        assert_eq!(sample_size(1_000, 0.05), 286);
        assert_eq!(sample_size(10_000, 0.05), 385);
        assert_eq!(sample_size(0, 0.05), 0);
        assert_eq!(sample_size(1, 0.05), 1);
        // 400 / (1 + 400·0.0025) = 200 exactly: not rounded up to 201.
        assert_eq!(sample_size(400, 0.05), 200);
        assert_eq!(sample_size(1_000_000, 0.03), 1_110);
        let check = check_sample(1_000, 0.05, 250);
        assert!(check.below_target);
        assert_eq!(check.target, 286);
        assert!(!check_sample(1_000, 0.05, 286).below_target);
    }
}
