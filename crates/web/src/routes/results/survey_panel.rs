//! A wave's figures as a panel of a results page (the unit's page, the leadership dashboard):
//! the index with its 95 % interval and the number of responses, then each factor as a bar with
//! its interval whisker, beside the wave's figure over all its units (docs/method.md §3.6).

use crate::app::results::surveys::WaveFigures;
use crate::charts::{BarInput, Chart};
use crate::i18n::{self, Lang};

/// A factor's line under the chart.
pub struct FactorLine {
    pub title: String,
    pub index: String,
    pub interval: String,
    pub all: String,
}

/// One wave's panel.
pub struct SurveyPanel {
    pub wave_id: i64,
    pub title: String,
    pub questionnaire: String,
    pub responses: String,
    pub index: String,
    pub interval: String,
    /// The wave's index over all its units.
    pub all_index: String,
    pub chart: Chart,
    pub factors: Vec<FactorLine>,
    pub href: String,
}

fn value(lang: Lang, v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| i18n::number(lang, v, 2))
}

fn interval(lang: Lang, ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(String::new, |[low, high]| {
        format!(
            "{} – {}",
            i18n::number(lang, low, 2),
            i18n::number(lang, high, 2)
        )
    })
}

impl SurveyPanel {
    pub fn new(lang: Lang, figures: &WaveFigures) -> SurveyPanel {
        let q = &figures.questionnaire;
        let title_of = |title: &str, title_en: &Option<String>| match (lang, title_en) {
            (Lang::En, Some(en)) => en.clone(),
            _ => title.to_string(),
        };
        let factors: Vec<FactorLine> = q
            .factors
            .iter()
            .map(|factor| {
                let own = figures
                    .result
                    .factors
                    .iter()
                    .find(|f| f.code == factor.code);
                let all = figures.all.factors.iter().find(|f| f.code == factor.code);
                FactorLine {
                    title: title_of(&factor.title, &factor.title_en),
                    index: value(lang, own.and_then(|f| f.index)),
                    interval: interval(lang, own.and_then(|f| f.ci95)),
                    all: value(lang, all.and_then(|f| f.index)),
                }
            })
            .collect();
        let bars = q
            .factors
            .iter()
            .filter_map(|factor| {
                let own = figures
                    .result
                    .factors
                    .iter()
                    .find(|f| f.code == factor.code)?;
                Some(BarInput {
                    label: title_of(&factor.title, &factor.title_en),
                    value: own.index?,
                    band: 1,
                    ci: own.ci95,
                })
            })
            .collect();
        SurveyPanel {
            wave_id: figures.wave.id,
            title: figures.wave.title.clone(),
            questionnaire: title_of(&q.title, &q.title_en),
            responses: i18n::number(lang, figures.result.responses as f64, 0),
            index: value(lang, figures.result.index),
            interval: interval(lang, figures.result.ci95),
            all_index: value(lang, figures.all.index),
            chart: Chart::horizontal(lang, bars, 2),
            factors,
            href: format!("/khao-sat/dot/{}/ket-qua", figures.wave.id),
        }
    }
}
