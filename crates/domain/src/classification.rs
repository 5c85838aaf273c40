//! Classification bands (xếp loại). The bands are per campaign (docs/method.md §2.10, §9); the default is
//! common practice: Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu below (docs/method.md §2.10).

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
        Bands::parse("Tốt:80,Khá:70,Trung bình:50,Yếu").expect("default bands are valid")
    }
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
