//! The index of a group of responses, from its counters (docs/formats.md §6, docs/method.md §3.3–§4).
//!
//! - Item rate = Σ w·share / Σ w over the item's counted answers, × 100, where `share` is the
//!   answer's share (1 for a satisfied answer, 0 otherwise on a satisfaction scale; A = 1,
//!   B = 0.6, C = 0.2, D = 0 on the leader survey). Blank and excluded answers (E) are left
//!   out. An item with no counted answer has no rate (`null`).
//! - Factor index = mean of its items' rates (items without a rate left out); a factor with no
//!   rated item has no index and is left out of the questionnaire index.
//! - Index = mean of the factor indices (weighted by the factors' declared weights, 1 each in
//!   the bundled questionnaires).
//! - Item points = max_points × rate / 100 (leader survey); `par_points` = index × points / 100
//!   for method `index` (SIPAS: × 10 / 100), or the sum of the item points for `item_points`.
//!
//! ## 95 % confidence interval
//!
//! Each item rate is a weighted mean of answer shares. Its standard error is the normal
//! approximation with Kish's effective sample size:
//! `se_i = sqrt(v_i / n_eff_i)`, with `v_i = Σ w·share² / Σ w − rate²` (for a satisfied / not
//! satisfied scale, `p (1 − p)`) and `n_eff_i = (Σ w)² / Σ w²` (the number of answers when all
//! weights are 1).
//!
//! A factor index (and the questionnaire index) is a linear combination `Σ c_i · rate_i` of item
//! rates with positive coefficients (1/k for a factor of k rated items; for the index, each
//! factor's share of the weight divided by its item count). Items are answered by the same
//! respondents, so they are correlated, and counters per item (what the database keeps)
//! cannot tell by how much. Whatever the correlation, the standard deviation of a sum is at
//! most the sum of the standard deviations, so chiso uses the bound
//! `se = Σ c_i · se_i` — exact when the items are perfectly correlated, wider (conservative)
//! otherwise. The interval is `estimate ± 1.96 · se`, clamped to [0, 100]. When every answer
//! of every item agrees (rates of 0 or 100) the interval has zero width; with fewer than about
//! 30 effective answers per item the normal approximation is rough.

use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::questionnaire::{ParMethod, Questionnaire};

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The result of a group of responses: the fields of docs/formats.md §6 plus extras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyResult {
    pub responses: u64,
    /// Σ weight of the responses.
    pub weight: f64,
    pub index: Option<f64>,
    /// 95 % interval of the index (see the module documentation).
    pub ci95: Option<[f64; 2]>,
    /// The survey's points in the PAR INDEX.
    pub par_points: Option<f64>,
    pub factors: Vec<FactorResult>,
    /// The items of the factors, in questionnaire order (c01…c22 for SIPAS).
    pub items: Vec<ItemResult>,
    pub overall_satisfied_rate: Option<f64>,
    /// Items in no factor (such as `overall`), in questionnaire order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_items: Vec<ItemResult>,
    /// The framework leaves this result fills, with their points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaves: Vec<LeafPoints>,
    /// Share of respondents choosing each area to improve, highest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<ChoiceShare>,
    /// Respondents per option of each demographic question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub demographics: Vec<DemographicResult>,
    #[serde(default)]
    pub comments: u64,
}

/// The result of one unit is a [`SurveyResult`] like any other group's.
pub type UnitResult = SurveyResult;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorResult {
    pub code: String,
    pub index: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub code: String,
    /// Counted answers (blank and excluded answers are not counted); a count, not a weight.
    pub answered: u64,
    /// Weighted share (× 100) of satisfied answers — on a scale with partial shares (leader
    /// survey), the weighted mean share × 100.
    pub satisfied_rate: Option<f64>,
    /// Standard error of `satisfied_rate` (percentage points).
    pub se: Option<f64>,
    /// Answers excluded from the rate (E = no opinion).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub excluded: u64,
    /// max_points × rate / 100, for an item worth points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// Answers per scale value, in scale order.
    pub distribution: Vec<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeafPoints {
    pub leaf: String,
    pub max_points: f64,
    /// `None` when no answer feeds it.
    pub points: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChoiceShare {
    pub code: String,
    pub label: String,
    /// Respondents who chose it.
    pub count: u64,
    /// Weighted share (× 100) of the respondents who answered the question.
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemographicResult {
    pub code: String,
    pub options: Vec<ChoiceShare>,
    /// A perception question about the visit (its shares are reported apart from the
    /// respondents' demographics, outside the index).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub perception: bool,
}

/// Rate and standard error of an item from its counters.
struct ItemEstimate {
    answered: u64,
    excluded: u64,
    rate: Option<f64>,
    se: Option<f64>,
}

fn estimate_item(questionnaire: &Questionnaire, counts: &Counts, item: usize) -> ItemEstimate {
    let (mut n, mut excluded, mut w, mut w2, mut s1, mut s2) = (0u64, 0u64, 0.0, 0.0, 0.0, 0.0);
    for (a, answer) in questionnaire.scale.answers.iter().enumerate() {
        let stat = counts.answer(item, a);
        match answer.share {
            Some(share) => {
                n += stat.n;
                w += stat.weight_sum;
                w2 += stat.weight_sq_sum;
                s1 += share * stat.weight_sum;
                s2 += share * share * stat.weight_sum;
            }
            None => excluded += stat.n,
        }
    }
    if n == 0 || w <= 0.0 {
        return ItemEstimate {
            answered: n,
            excluded,
            rate: None,
            se: None,
        };
    }
    let mean = s1 / w;
    let variance = (s2 / w - mean * mean).max(0.0);
    let n_eff = w * w / w2;
    ItemEstimate {
        answered: n,
        excluded,
        rate: Some((mean * 100.0).clamp(0.0, 100.0)),
        se: Some((variance / n_eff).sqrt() * 100.0),
    }
}

fn interval(estimate: f64, se: f64) -> [f64; 2] {
    [
        (estimate - Z95 * se).clamp(0.0, 100.0),
        (estimate + Z95 * se).clamp(0.0, 100.0),
    ]
}

/// The result of a group of responses from its counters (see the module documentation).
pub fn index_from_counts(questionnaire: &Questionnaire, counts: &Counts) -> SurveyResult {
    let estimates: Vec<ItemEstimate> = (0..questionnaire.items.len())
        .map(|i| estimate_item(questionnaire, counts, i))
        .collect();
    let (factor_values, factors) = factor_results(questionnaire, &estimates);
    let (index, ci95) = questionnaire_index(questionnaire, &factor_values);
    let all_items = item_results(questionnaire, counts, &estimates);
    let (par_points, leaves) = par_results(questionnaire, index, &all_items);
    let expectations = expectation_shares(questionnaire, counts);
    let demographics = demographic_results(questionnaire, counts);
    let (mut items, mut other_items) = (Vec::new(), Vec::new());
    for (item, result) in questionnaire.items.iter().zip(all_items) {
        if item.factor.is_some() {
            items.push(result);
        } else {
            other_items.push(result);
        }
    }
    SurveyResult {
        responses: counts.responses.n,
        weight: counts.responses.weight_sum,
        index,
        ci95,
        par_points,
        factors,
        overall_satisfied_rate: questionnaire.overall.and_then(|o| estimates[o].rate),
        items,
        other_items,
        leaves,
        expectations,
        demographics,
        comments: counts.comments,
    }
}

/// Factors: mean of the rated items, and the bound on the standard error, as (index, se)
/// pairs (`None` for a factor with no rated item) and as results.
fn factor_results(
    questionnaire: &Questionnaire,
    estimates: &[ItemEstimate],
) -> (Vec<Option<(f64, f64)>>, Vec<FactorResult>) {
    let mut factor_values: Vec<Option<(f64, f64)>> = Vec::new();
    let mut factors = Vec::new();
    for factor in &questionnaire.factors {
        let rated: Vec<(f64, f64)> = factor
            .items
            .iter()
            .filter_map(|&i| Some((estimates[i].rate?, estimates[i].se?)))
            .collect();
        let value = if rated.is_empty() {
            None
        } else {
            let k = rated.len() as f64;
            Some((
                rated.iter().map(|(r, _)| r).sum::<f64>() / k,
                rated.iter().map(|(_, s)| s).sum::<f64>() / k,
            ))
        };
        factor_values.push(value);
        factors.push(FactorResult {
            code: factor.code.clone(),
            index: value.map(|(v, _)| v),
            ci95: value.map(|(v, se)| interval(v, se)),
        });
    }
    (factor_values, factors)
}

/// The index: weighted mean of the factors that have an index, with its interval.
fn questionnaire_index(
    questionnaire: &Questionnaire,
    factor_values: &[Option<(f64, f64)>],
) -> (Option<f64>, Option<[f64; 2]>) {
    let (mut total_weight, mut sum, mut se_sum) = (0.0, 0.0, 0.0);
    for (factor, value) in questionnaire.factors.iter().zip(factor_values) {
        if let Some((v, se)) = value {
            total_weight += factor.weight;
            sum += factor.weight * v;
            se_sum += factor.weight * se;
        }
    }
    if total_weight > 0.0 {
        let index = (sum / total_weight).clamp(0.0, 100.0);
        (Some(index), Some(interval(index, se_sum / total_weight)))
    } else {
        (None, None)
    }
}

/// Every item's result, in questionnaire order.
fn item_results(
    questionnaire: &Questionnaire,
    counts: &Counts,
    estimates: &[ItemEstimate],
) -> Vec<ItemResult> {
    questionnaire
        .items
        .iter()
        .zip(estimates)
        .enumerate()
        .map(|(i, (item, e))| ItemResult {
            code: item.code.clone(),
            answered: e.answered,
            satisfied_rate: e.rate,
            se: e.se,
            excluded: e.excluded,
            points: item.max_points.and_then(|max| Some(max * e.rate? / 100.0)),
            distribution: (0..questionnaire.scale.answers.len())
                .map(|a| counts.answer(i, a).n)
                .collect(),
        })
        .collect()
}

/// The survey's points in the PAR INDEX and the framework leaves they fill, by the
/// questionnaire's PAR rule.
fn par_results(
    questionnaire: &Questionnaire,
    index: Option<f64>,
    all_items: &[ItemResult],
) -> (Option<f64>, Vec<LeafPoints>) {
    let Some(par) = &questionnaire.par else {
        return (None, Vec::new());
    };
    match &par.method {
        ParMethod::Index { leaf } => {
            let points = index.map(|v| v * par.points / 100.0);
            let leaves = leaf
                .iter()
                .map(|l| LeafPoints {
                    leaf: l.clone(),
                    max_points: par.points,
                    points,
                })
                .collect();
            (points, leaves)
        }
        ParMethod::ItemPoints => {
            let leaves: Vec<LeafPoints> = questionnaire
                .items
                .iter()
                .zip(all_items)
                .filter_map(|(item, result)| {
                    Some(LeafPoints {
                        leaf: item.leaf.clone()?,
                        max_points: item.max_points?,
                        points: result.points,
                    })
                })
                .collect();
            let points = if leaves.iter().any(|l| l.points.is_some()) {
                Some(leaves.iter().filter_map(|l| l.points).sum())
            } else {
                None
            };
            (points, leaves)
        }
    }
}

/// The share of respondents choosing each area to improve, highest first.
fn expectation_shares(questionnaire: &Questionnaire, counts: &Counts) -> Vec<ChoiceShare> {
    let Some(e) = &questionnaire.expectations else {
        return Vec::new();
    };
    let mut shares = choice_shares(
        &e.question.options,
        &counts.expectations,
        counts.expectations_answered.weight_sum,
    );
    // Ranked by share, highest first; ties keep the questionnaire's order.
    shares.sort_by(|a, b| b.share.total_cmp(&a.share));
    shares
}

/// Respondents per option of each demographic question.
fn demographic_results(questionnaire: &Questionnaire, counts: &Counts) -> Vec<DemographicResult> {
    questionnaire
        .demographics
        .iter()
        .zip(&counts.demographics)
        .map(|(q, stats)| {
            let answered: f64 = stats.iter().map(|s| s.weight_sum).sum();
            DemographicResult {
                code: q.code.clone(),
                options: choice_shares(&q.options, stats, answered),
                perception: q.perception,
            }
        })
        .collect()
}

impl SurveyResult {
    /// An item's result by code, whether in a factor or not.
    pub fn item(&self, code: &str) -> Option<&ItemResult> {
        self.items
            .iter()
            .chain(&self.other_items)
            .find(|i| i.code == code)
    }
}

fn choice_shares(
    options: &[crate::questionnaire::Choice],
    stats: &[crate::counts::AnswerStat],
    denominator: f64,
) -> Vec<ChoiceShare> {
    options
        .iter()
        .zip(stats)
        .map(|(o, s)| ChoiceShare {
            code: o.code.clone(),
            label: o.label.clone(),
            count: s.n,
            share: if denominator > 0.0 {
                s.weight_sum / denominator * 100.0
            } else {
                0.0
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::AnswerStat;
    use crate::questionnaire::bundled;

    fn stat(n: u64, weight: f64) -> AnswerStat {
        AnswerStat {
            n,
            weight_sum: n as f64 * weight,
            weight_sq_sum: n as f64 * weight * weight,
        }
    }

    /// docs/method.md §4: an item worth 0.5, answers 6 A, 3 B, 1 C, 2 E → 80 % → 0.40 points.
    #[test]
    fn leader_item_worked_example() {
        let q = bundled("leader-2020").unwrap();
        let item = q
            .items
            .iter()
            .position(|i| i.max_points == Some(0.5))
            .unwrap();
        let mut counts = Counts::new(&q);
        counts.responses = stat(12, 1.0);
        for (answer, n) in [("A", 6), ("B", 3), ("C", 1), ("E", 2)] {
            counts
                .set_by_code(&q, &q.items[item].code, answer, stat(n, 1.0))
                .unwrap();
        }
        let result = index_from_counts(&q, &counts);
        let r = result.item(&q.items[item].code).unwrap();
        assert_eq!(r.answered, 10);
        assert_eq!(r.excluded, 2);
        assert!((r.satisfied_rate.unwrap() - 80.0).abs() < 1e-9);
        assert!((r.points.unwrap() - 0.40).abs() < 1e-9);
        // The only answered item: its factor and the index are 80, its leaf gets 0.40.
        assert!((result.index.unwrap() - 80.0).abs() < 1e-9);
        assert!((result.par_points.unwrap() - 0.40).abs() < 1e-9);
        let leaf = result
            .leaves
            .iter()
            .find(|l| Some(&l.leaf) == q.items[item].leaf.as_ref())
            .unwrap();
        assert_eq!(leaf.points, Some(r.points.unwrap()));
        assert_eq!(result.leaves.len(), 25);
        assert_eq!(
            result.leaves.iter().filter(|l| l.points.is_some()).count(),
            1
        );
    }

    /// examples/README.md hand computation 2: unit 46, c01 weighted = 10.5 / 15 = 70 %.
    #[test]
    fn weighted_item_rate() {
        let q = bundled("sipas-2017").unwrap();
        let mut counts = Counts::new(&q);
        let answers = [
            (4, 1.5),
            (2, 0.5),
            (5, 2.0),
            (3, 1.0),
            (4, 0.5),
            (5, 2.5),
            (1, 1.0),
            (4, 1.0),
            (3, 0.5),
            (5, 2.0),
            (2, 1.5),
            (4, 1.0),
        ];
        for (value, weight) in answers {
            counts.answer_mut(0, value - 1).add(weight);
        }
        let result = index_from_counts(&q, &counts);
        assert_eq!(result.items[0].answered, 12);
        assert!((result.items[0].satisfied_rate.unwrap() - 70.0).abs() < 1e-9);
        // Only c01 answered: F1 = 70, the other factors are null and left out: index = 70.
        assert_eq!(result.factors[1].index, None);
        assert!((result.index.unwrap() - 70.0).abs() < 1e-9);
        assert!((result.par_points.unwrap() - 7.0).abs() < 1e-9);
        // Kish: n_eff = 15² / Σw² = 225 / 23.5; se = sqrt(0.7 · 0.3 / n_eff).
        let n_eff = 225.0 / 23.5;
        let se = (0.21f64 / n_eff).sqrt() * 100.0;
        assert!((result.items[0].se.unwrap() - se).abs() < 1e-9);
        let ci = result.factors[0].ci95.unwrap();
        assert!((ci[0] - (70.0 - Z95 * se)).abs() < 1e-9);
        assert!((ci[1] - (70.0 + Z95 * se)).abs() < 1e-9);
    }

    /// examples/README.md hand computation 3: unit 48, F5 = (60 + 70 + 50) / 3 with c22 null.
    #[test]
    fn null_item_left_out_of_its_factor() {
        let q = bundled("sipas-2017").unwrap();
        let mut counts = Counts::new(&q);
        let c19 = q.item("c19").unwrap();
        for (item, satisfied, total) in [(c19, 6, 10), (c19 + 1, 7, 10), (c19 + 2, 6, 12)] {
            *counts.answer_mut(item, 4) = stat(satisfied, 1.0);
            *counts.answer_mut(item, 0) = stat(total - satisfied, 1.0);
        }
        let result = index_from_counts(&q, &counts);
        assert_eq!(result.items[c19 + 3].satisfied_rate, None);
        assert_eq!(result.items[c19 + 3].answered, 0);
        assert!((result.factors[4].index.unwrap() - 60.0).abs() < 1e-9);
        assert_eq!(result.overall_satisfied_rate, None);
    }

    #[test]
    fn nothing_answered_is_null_everywhere() {
        let q = bundled("sipas-2017").unwrap();
        let result = index_from_counts(&q, &Counts::new(&q));
        assert_eq!(result.index, None);
        assert_eq!(result.ci95, None);
        assert_eq!(result.par_points, None);
        assert!(result.factors.iter().all(|f| f.index.is_none()));
    }
}
