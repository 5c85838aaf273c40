//! Classification bands (xếp loại). The bands are per campaign (docs/method.md §2.10, §9); the default is
//! common practice: Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu below (docs/method.md §2.10).
//! Named presets a campaign can start from ([`presets`]) include the Ministry of Home Affairs'
//! grouping of the national PAR INDEX (Nhóm A, B, C; docs/method.md §2.10).

use serde::{Deserialize, Serialize};

/// One band: an index (rounded to 2 decimals) at or above `min` gets `label`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub min: f64,
    pub label: String,
}

/// Bands ordered from the highest minimum down; the last band catches everything below.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bands(Vec<Band>);

/// Why a list of bands is unusable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BandsError {
    #[error("there are no bands")]
    Empty,
    #[error("band minima must be strictly descending ('{0}' is out of order)")]
    NotDescending(String),
    #[error("band '{0}' has an empty label or a minimum that is not a number")]
    Invalid(String),
}

impl Bands {
    pub fn new(mut bands: Vec<Band>) -> Result<Bands, BandsError> {
        if bands.is_empty() {
            return Err(BandsError::Empty);
        }
        if let Some(bad) = bands
            .iter()
            .find(|b| b.label.trim().is_empty() || b.min.is_nan() || b.min == f64::INFINITY)
        {
            return Err(BandsError::Invalid(bad.label.clone()));
        }
        if let Some(pair) = bands.windows(2).find(|w| w[0].min <= w[1].min) {
            return Err(BandsError::NotDescending(pair[1].label.clone()));
        }
        // The lowest band catches every index below the others.
        if let Some(last) = bands.last_mut() {
            last.min = f64::NEG_INFINITY;
        }
        Ok(Bands(bands))
    }

    /// Parses "Tốt:80,Khá:70,Trung bình:50,Yếu" (the last label may omit its minimum).
    pub fn parse(text: &str) -> Result<Bands, BandsError> {
        let mut bands = Vec::new();
        for part in text.split(',') {
            let (label, min) = match part.rsplit_once(':') {
                Some((label, min)) => (
                    label.trim().to_string(),
                    min.trim().parse::<f64>().unwrap_or(f64::NAN),
                ),
                None => (part.trim().to_string(), f64::NEG_INFINITY),
            };
            if min.is_nan() {
                return Err(BandsError::Invalid(label));
            }
            bands.push(Band { min, label });
        }
        Bands::new(bands)
    }

    /// The label for an index given in hundredths (the same rounding as ranking, so a unit shown
    /// as 80,00 is never classified below 80).
    pub fn classify(&self, index_hundredths: i64) -> &str {
        let index = index_hundredths as f64 / 100.0;
        self.0
            .iter()
            .find(|band| index >= band.min - 1e-9)
            .unwrap_or_else(|| self.0.last().expect("bands are never empty"))
            .label
            .as_str()
    }

    pub fn bands(&self) -> &[Band] {
        &self.0
    }
}

impl Default for Bands {
    fn default() -> Bands {
        DEFAULT_PRESET.bands()
    }
}

/// A named set of bands a campaign can start from, with its text in the form
/// [`Bands::parse`] reads (the campaign's bands field and `chiso compute --bands`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandPreset {
    /// A stable key, for a form's choice.
    pub key: &'static str,
    pub title_vi: &'static str,
    pub title_en: &'static str,
    /// "Tốt:80,Khá:70,Trung bình:50,Yếu": labels and minima, highest first.
    pub text: &'static str,
}

impl BandPreset {
    /// The preset's bands (always valid: the presets are checked by tests).
    pub fn bands(&self) -> Bands {
        Bands::parse(self.text)
            .unwrap_or_else(|e| panic!("band preset {} is invalid: {e}", self.key))
    }

    /// The title in the interface language (`vi` or `en`; anything else reads Vietnamese).
    pub fn title(&self, lang: &str) -> &'static str {
        if lang == "en" {
            self.title_en
        } else {
            self.title_vi
        }
    }
}

/// Common practice (docs/method.md §2.10): the default bands.
pub const DEFAULT_PRESET: BandPreset = BandPreset {
    key: "common",
    title_vi: "Thông lệ: Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu dưới 50",
    title_en: "Common practice: Good ≥ 80, Fair ≥ 70, Average ≥ 50, Weak below 50",
    text: "Tốt:80,Khá:70,Trung bình:50,Yếu",
};

/// The Ministry of Home Affairs' grouping of the national PAR INDEX (docs/method.md §2.10):
/// Nhóm A ≥ 90, Nhóm B 80 to below 90, Nhóm C 70 to below 80. The method notes give no
/// name to the results below 70 (docs/method.md §2.10, §9), so that band is labelled by its
/// range, "Dưới 70 %", rather than with a group letter of our own.
pub const MOHA_GROUPS_PRESET: BandPreset = BandPreset {
    key: "moha-groups",
    title_vi: "Phân nhóm của Bộ Nội vụ: Nhóm A ≥ 90, Nhóm B từ 80 đến dưới 90, Nhóm C từ 70 đến dưới 80",
    title_en: "Ministry of Home Affairs groups: A ≥ 90, B 80 to below 90, C 70 to below 80",
    text: "Nhóm A:90,Nhóm B:80,Nhóm C:70,Dưới 70 %",
};

/// Common practice with *Xuất sắc* above *Tốt*, as some provinces add it (docs/method.md
/// §2.10; the minimum of 90 is **(unverified)**, a starting point to adjust).
pub const EXCELLENT_PRESET: BandPreset = BandPreset {
    key: "common-excellent",
    title_vi: "Thông lệ có mức Xuất sắc: Xuất sắc ≥ 90, Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu dưới 50",
    title_en: "Common practice with Excellent: Excellent ≥ 90, Good ≥ 80, Fair ≥ 70, Average ≥ 50, Weak below 50",
    text: "Xuất sắc:90,Tốt:80,Khá:70,Trung bình:50,Yếu",
};

/// The band presets a campaign form can offer, the default first.
pub fn presets() -> &'static [BandPreset] {
    const PRESETS: &[BandPreset] = &[DEFAULT_PRESET, MOHA_GROUPS_PRESET, EXCELLENT_PRESET];
    PRESETS
}

/// The preset whose text is `text` (spaces around labels and minima ignored), to show a
/// campaign's bands by the preset's title when it uses one.
pub fn preset_of(text: &str) -> Option<&'static BandPreset> {
    let bands = Bands::parse(text).ok()?;
    presets().iter().find(|preset| preset.bands() == bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bands_follow_common_practice() {
        let bands = Bands::default();
        assert_eq!(bands.classify(10_000), "Tốt");
        assert_eq!(bands.classify(8_000), "Tốt");
        assert_eq!(bands.classify(7_999), "Khá");
        assert_eq!(bands.classify(7_000), "Khá");
        assert_eq!(bands.classify(5_000), "Trung bình");
        assert_eq!(bands.classify(4_999), "Yếu");
        assert_eq!(bands.classify(0), "Yếu");
    }

    #[test]
    fn moha_groups_split_at_90_80_and_70_on_the_ranking_key() {
        let bands = MOHA_GROUPS_PRESET.bands();
        assert_eq!(bands.classify(10_000), "Nhóm A");
        assert_eq!(bands.classify(9_000), "Nhóm A");
        assert_eq!(bands.classify(8_999), "Nhóm B");
        assert_eq!(bands.classify(8_000), "Nhóm B");
        assert_eq!(bands.classify(7_999), "Nhóm C");
        assert_eq!(bands.classify(7_000), "Nhóm C");
        assert_eq!(bands.classify(6_999), "Dưới 70 %");
        assert_eq!(bands.classify(0), "Dưới 70 %");
    }

    /// 89.995 points of 100 rank as 90.00 (half away from zero), so they are Nhóm A; 89.994
    /// rank as 89.99, Nhóm B: the band follows the hundredths the ranking uses.
    #[test]
    fn moha_groups_follow_the_rounded_index() {
        let bands = MOHA_GROUPS_PRESET.bands();
        let hundredths = |points: &str| {
            points
                .parse::<crate::Points>()
                .unwrap()
                .percent_hundredths_of(crate::Points::whole(100))
                .unwrap()
        };
        assert_eq!(bands.classify(hundredths("89.995")), "Nhóm A");
        assert_eq!(bands.classify(hundredths("89.994")), "Nhóm B");
        assert_eq!(bands.classify(hundredths("79.995")), "Nhóm B");
        assert_eq!(bands.classify(hundredths("69.9949")), "Dưới 70 %");
    }

    #[test]
    fn presets_are_valid_titled_and_distinct() {
        let all = presets();
        assert_eq!(all[0], DEFAULT_PRESET);
        assert_eq!(all[0].bands(), Bands::default());
        for (i, preset) in all.iter().enumerate() {
            assert!(!preset.title_vi.is_empty() && !preset.title_en.is_empty());
            assert_ne!(preset.title("vi"), preset.title("en"));
            assert_eq!(preset_of(preset.text), Some(preset));
            for other in &all[i + 1..] {
                assert_ne!(preset.key, other.key);
                assert_ne!(preset.bands(), other.bands());
            }
        }
        assert_eq!(
            preset_of(" Nhóm A: 90 , Nhóm B:80,Nhóm C:70,Dưới 70 %"),
            Some(&MOHA_GROUPS_PRESET)
        );
        assert_eq!(preset_of("Tốt:85,Khá:70,Yếu"), None);
        assert_eq!(preset_of("not bands:x"), None);
    }

    proptest::proptest! {
        /// Every index in hundredths from 0 to 100 falls in the MoHA group its range names,
        /// and a higher index never falls in a lower group.
        #[test]
        fn every_index_has_its_moha_group(h in 0i64..=10_000) {
            let bands = MOHA_GROUPS_PRESET.bands();
            let expected = match h {
                9_000.. => "Nhóm A",
                8_000..=8_999 => "Nhóm B",
                7_000..=7_999 => "Nhóm C",
                _ => "Dưới 70 %",
            };
            proptest::prop_assert_eq!(bands.classify(h), expected);
            let rank = |label: &str| bands.bands().iter().position(|b| b.label == label).unwrap();
            if h < 10_000 {
                proptest::prop_assert!(rank(bands.classify(h + 1)) <= rank(bands.classify(h)));
            }
        }
    }

    #[test]
    fn custom_bands_are_checked() {
        let bands = Bands::parse("Xuất sắc:90,Tốt:80,Khá:70,Trung bình:50,Yếu").unwrap();
        assert_eq!(bands.classify(9_100), "Xuất sắc");
        assert_eq!(
            Bands::parse("Tốt:70,Khá:80,Yếu"),
            Err(BandsError::NotDescending("Khá".into()))
        );
        assert!(Bands::parse("Tốt:abc,Yếu").is_err());
        assert_eq!(Bands::new(vec![]), Err(BandsError::Empty));
    }
}
