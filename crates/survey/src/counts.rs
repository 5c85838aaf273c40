//! Counters: everything an index needs, summed per group of responses. They have the shape the
//! database keeps as pre-aggregated `answer_stats` (engineering.md §4): for each (unit, item,
//! answer) a count `n`, a `weight_sum` and — for the confidence interval — a `weight_sq_sum`.
//! Counters of disjoint sets of responses add up, so a unit, a channel, a group of units or the
//! whole file is a sum of counters, and the index is computed from counters alone
//! ([`crate::index_from_counts`]), never from the raw responses.

use serde::{Deserialize, Serialize};

use crate::codec::Packed;
use crate::questionnaire::Questionnaire;

/// The counter of one (item, answer) — or of responses, or of one option of a choice question.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerStat {
    /// How many answers.
    pub n: u64,
    /// Σ weight.
    pub weight_sum: f64,
    /// Σ weight²: with `weight_sum` it gives Kish's effective sample size (Σw)² / Σw².
    pub weight_sq_sum: f64,
}

impl AnswerStat {
    /// Counts one answer of the given weight.
    #[inline]
    pub fn add(&mut self, weight: f64) {
        self.n += 1;
        self.weight_sum += weight;
        self.weight_sq_sum += weight * weight;
    }

    pub fn merge(&mut self, other: &AnswerStat) {
        self.n += other.n;
        self.weight_sum += other.weight_sum;
        self.weight_sq_sum += other.weight_sq_sum;
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// The counters of one group of responses (a unit, a unit × channel, a group of units).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Accepted responses: `n` responses of total weight `weight_sum`.
    pub responses: AnswerStat,
    /// Item × answer, item-major: the stat of answer `a` of item `i` is at
    /// `i * answers_per_item + a`.
    pub answers: Vec<AnswerStat>,
    pub answers_per_item: usize,
    /// Per demographic question, per option.
    pub demographics: Vec<Vec<AnswerStat>>,
    /// Per option of the expectations question: respondents who chose it.
    pub expectations: Vec<AnswerStat>,
    /// Respondents who chose at least one area: the denominator of the expectations shares.
    pub expectations_answered: AnswerStat,
    /// Responses carrying a comment.
    pub comments: u64,
}

impl Counts {
    /// Empty counters shaped for a questionnaire.
    pub fn new(questionnaire: &Questionnaire) -> Counts {
        let per_item = questionnaire.scale.answers.len();
        Counts {
            responses: AnswerStat::default(),
            answers: vec![AnswerStat::default(); questionnaire.items.len() * per_item],
            answers_per_item: per_item,
            demographics: questionnaire
                .demographics
                .iter()
                .map(|d| vec![AnswerStat::default(); d.options.len()])
                .collect(),
            expectations: questionnaire
                .expectations
                .as_ref()
                .map(|e| vec![AnswerStat::default(); e.question.options.len()])
                .unwrap_or_default(),
            expectations_answered: AnswerStat::default(),
            comments: 0,
        }
    }

    /// The counter of answer `answer` (position on the scale) of item `item`.
    pub fn answer(&self, item: usize, answer: usize) -> &AnswerStat {
        &self.answers[item * self.answers_per_item + answer]
    }

    pub fn answer_mut(&mut self, item: usize, answer: usize) -> &mut AnswerStat {
        &mut self.answers[item * self.answers_per_item + answer]
    }

    /// Counts one packed response ([`crate::codec`]): the response, each answered item,
    /// demographic option and expectation area, the respondents who chose an area, and a
    /// comment. A value outside these counters' shape (a response packed for another
    /// questionnaire) is left out rather than counted elsewhere.
    #[inline]
    pub fn add_packed(&mut self, response: &Packed<'_>) {
        let weight = response.weight;
        self.responses.add(weight);
        let per_item = self.answers_per_item;
        for (item, &value) in response.answers.iter().enumerate() {
            if value != 0
                && usize::from(value) <= per_item
                && let Some(stat) = self
                    .answers
                    .get_mut(item * per_item + usize::from(value) - 1)
            {
                stat.add(weight);
            }
        }
        for (question, &value) in response.demographics.iter().enumerate() {
            if value != 0
                && let Some(stat) = self
                    .demographics
                    .get_mut(question)
                    .and_then(|options| options.get_mut(usize::from(value) - 1))
            {
                stat.add(weight);
            }
        }
        if !response.expectations.is_empty() {
            self.expectations_answered.add(weight);
            for &area in response.expectations {
                if let Some(stat) = self.expectations.get_mut(usize::from(area).wrapping_sub(1)) {
                    stat.add(weight);
                }
            }
        }
        if response.comment.is_some() {
            self.comments += 1;
        }
    }

    /// Sets a counter from stored `answer_stats` given by codes, as a database read would:
    /// `None` when the item or the answer is not in the questionnaire.
    pub fn set_by_code(
        &mut self,
        questionnaire: &Questionnaire,
        item: &str,
        answer: &str,
        stat: AnswerStat,
    ) -> Option<()> {
        let i = questionnaire.item(item)?;
        let a = questionnaire.scale.find(answer)?;
        *self.answer_mut(i, a) = stat;
        Some(())
    }

    /// Adds another group's counters (of the same questionnaire) to these.
    pub fn merge(&mut self, other: &Counts) {
        assert_eq!(
            self.answers.len(),
            other.answers.len(),
            "counters of different questionnaires"
        );
        self.responses.merge(&other.responses);
        for (a, b) in self.answers.iter_mut().zip(&other.answers) {
            a.merge(b);
        }
        for (a, b) in self.demographics.iter_mut().zip(&other.demographics) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.expectations.iter_mut().zip(&other.expectations) {
            a.merge(b);
        }
        self.expectations_answered
            .merge(&other.expectations_answered);
        self.comments += other.comments;
    }

    /// The sum of several groups' counters.
    pub fn sum<'a>(
        questionnaire: &Questionnaire,
        parts: impl IntoIterator<Item = &'a Counts>,
    ) -> Counts {
        let mut total = Counts::new(questionnaire);
        for part in parts {
            total.merge(part);
        }
        total
    }
}
