//! Comparisons: a result against an earlier one (the previous wave or year), and against the
//! province average (the plain mean of the units' values, each unit counting once whatever its
//! sample size, as provinces publish it).

use serde::{Deserialize, Serialize};

use crate::index::SurveyResult;

/// Differences (current − reference, in percentage points) of the index and of each factor
/// and item present in both; `None` where either side has no value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub index: Option<f64>,
    pub index_change: Option<f64>,
    pub factors: Vec<CodeChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CodeChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeChange {
    pub code: String,
    /// The reference value.
    pub value: Option<f64>,
    pub change: Option<f64>,
}

fn difference(current: Option<f64>, reference: Option<f64>) -> Option<f64> {
    Some(current? - reference?)
}

/// The values a comparison is made against: an earlier result, or an average.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub index: Option<f64>,
    /// (factor code, index).
    pub factors: Vec<(String, Option<f64>)>,
    /// (item code, rate).
    pub items: Vec<(String, Option<f64>)>,
}

impl Reference {
    /// A reference from a full result.
    pub fn of(result: &SurveyResult) -> Reference {
        Reference {
            index: result.index,
            factors: result
                .factors
                .iter()
                .map(|f| (f.code.clone(), f.index))
                .collect(),
            items: result
                .items
                .iter()
                .chain(&result.other_items)
                .map(|i| (i.code.clone(), i.satisfied_rate))
                .collect(),
        }
    }
}

/// The change of a result against a reference, matching factors and items by code (a code
/// missing from the reference gives no change).
pub fn compare(current: &SurveyResult, reference: &Reference, with_items: bool) -> Change {
    let lookup = |list: &[(String, Option<f64>)], code: &str| {
        list.iter().find(|(c, _)| c == code).and_then(|(_, v)| *v)
    };
    Change {
        index: reference.index,
        index_change: difference(current.index, reference.index),
        factors: current
            .factors
            .iter()
            .map(|f| {
                let value = lookup(&reference.factors, &f.code);
                CodeChange {
                    code: f.code.clone(),
                    value,
                    change: difference(f.index, value),
                }
            })
            .collect(),
        items: if with_items {
            current
                .items
                .iter()
                .chain(&current.other_items)
                .map(|i| {
                    let value = lookup(&reference.items, &i.code);
                    CodeChange {
                        code: i.code.clone(),
                        value,
                        change: difference(i.satisfied_rate, value),
                    }
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// The province average: the mean over units of the index, of each factor and of each item,
/// each over the units that have a value.
pub fn average<'a>(results: impl IntoIterator<Item = &'a SurveyResult>) -> Reference {
    let results: Vec<&SurveyResult> = results.into_iter().collect();
    let mean = |values: Vec<Option<f64>>| {
        let present: Vec<f64> = values.into_iter().flatten().collect();
        if present.is_empty() {
            None
        } else {
            Some(present.iter().sum::<f64>() / present.len() as f64)
        }
    };
    let Some(first) = results.first() else {
        return Reference::default();
    };
    Reference {
        index: mean(results.iter().map(|r| r.index).collect()),
        factors: first
            .factors
            .iter()
            .enumerate()
            .map(|(k, f)| {
                (
                    f.code.clone(),
                    mean(results.iter().map(|r| r.factors[k].index).collect()),
                )
            })
            .collect(),
        items: first
            .items
            .iter()
            .chain(&first.other_items)
            .map(|i| {
                (
                    i.code.clone(),
                    mean(
                        results
                            .iter()
                            .map(|r| r.item(&i.code).and_then(|x| x.satisfied_rate))
                            .collect(),
                    ),
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::Counts;
    use crate::index::index_from_counts;
    use crate::questionnaire::bundled;

    #[test]
    fn changes_and_average() {
        let q = bundled("kiosk-2025").unwrap();
        let mut a = Counts::new(&q);
        for (answer, n) in [(4, 3), (1, 1)] {
            for _ in 0..n {
                a.answer_mut(0, answer).add(1.0);
            }
        }
        let mut b = Counts::new(&q);
        b.answer_mut(0, 4).add(1.0);
        b.answer_mut(0, 0).add(1.0);
        let (ra, rb) = (index_from_counts(&q, &a), index_from_counts(&q, &b));
        assert_eq!(ra.index, Some(75.0));
        assert_eq!(rb.index, Some(50.0));
        let change = compare(&ra, &Reference::of(&rb), true);
        assert_eq!(change.index_change, Some(25.0));
        assert_eq!(change.factors[0].change, Some(25.0));
        assert_eq!(change.items[0].value, Some(50.0));
        let empty = index_from_counts(&q, &Counts::new(&q));
        let avg = average([&ra, &rb, &empty]);
        assert_eq!(avg.index, Some(62.5));
        assert_eq!(compare(&ra, &avg, false).index_change, Some(12.5));
        assert_eq!(compare(&empty, &avg, false).index_change, None);
    }
}
