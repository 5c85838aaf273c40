//! An index's structure as data (docs/method.md §5.7): which index, which years, its scale and
//! direction, its dimensions and sub-dimensions (and, for the PAR INDEX, its components), each
//! named in Vietnamese and English, with a maximum marked `unverified` where it has not been
//! checked against the publisher. The bundled structures live in `data/indices/*.toml`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One structure of one index, valid for a range of years.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    /// `papi-2018`.
    pub id: String,
    /// The index's id in `indices.csv`: `papi`, `par`, `sipas`, `pci`…
    pub index: String,
    pub publisher: String,
    pub title: String,
    pub title_en: String,
    pub years: Years,
    /// Which units the index ranks.
    pub units: UnitScope,
    pub scale: Scale,
    #[serde(default)]
    pub direction: Direction,
    /// How the total relates to the dimensions.
    #[serde(default)]
    pub total: TotalRule,
    #[serde(default)]
    pub grouping: Grouping,
    /// The document that defines the structure (a decision, a report).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub note: String,
    /// Words a header may put before an item's code to name it: "dimension", "lĩnh vực".
    #[serde(default)]
    pub words: Vec<String>,
    /// Extra names of the total column (the index's name, "tổng điểm"), besides the common ones.
    #[serde(default)]
    pub total_names: Vec<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// A second breakdown of the same total (the PAR INDEX's appraised and survey parts).
    #[serde(default)]
    pub components: Vec<Dimension>,
}

/// A dimension, area, factor, sub-index or component; or one of its sub-dimensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// The measure code in `indices.csv`: `1`, `1.2`, `sipas`.
    pub code: String,
    pub title: String,
    pub title_en: String,
    /// The highest value the publisher's scale allows, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The maximum (and the wording) has not been checked against the publisher.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
    /// Other names the publisher prints in headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The parts that add up to this one (docs/method.md §5.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_dimensions: Vec<Dimension>,
}

/// The years a structure applies to, both ends included; `to` absent: still in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Years {
    pub from: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i32>,
}

impl Years {
    pub fn contains(&self, year: i32) -> bool {
        year >= self.from && self.to.is_none_or(|to| year <= to)
    }

    fn overlaps(&self, other: &Years) -> bool {
        let end = |y: &Years| y.to.unwrap_or(i32::MAX);
        self.from <= end(other) && other.from <= end(self)
    }
}

/// The publisher's scale of the total.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Higher values are better (every bundled index).
    #[default]
    Higher,
    Lower,
}

/// The units an index ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitScope {
    /// The provinces of the year: 63 or 34 (docs/method.md §6.4).
    Province,
    /// Ministries and ministry-level agencies, by their own codes.
    Ministry,
}

/// How the published total relates to the dimensions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TotalRule {
    /// The total is the sum of the dimensions: checked, and computed when not given.
    #[default]
    Sum,
    /// The total is published on its own (a weighted total, a mean, a new method): taken as
    /// given, never checked or computed.
    Given,
}

/// How units are put into groups within a year (docs/method.md §5.4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Grouping {
    #[default]
    None,
    /// Percentile cut-offs of the year's totals: group 1 at or above the 75th percentile …
    /// group 4 below the 25th.
    Quartiles,
    /// Fixed bands on the total rounded to 2 decimals, best first: group n = the n-th band.
    Bands {
        bands: Vec<Band>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unverified: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub label: String,
    /// The lowest total in the band; absent on the last band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
}

/// Why a structure cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StructureProblem {
    #[error("structure {id}: a measure code is empty")]
    EmptyCode { id: String },
    #[error("structure {id}: measure code {code} is used twice")]
    RepeatedCode { id: String, code: String },
    #[error("structure {id}: 'total' is not a measure code of a dimension")]
    TotalAsCode { id: String },
    #[error("structure {id}: the years end before they start")]
    Years { id: String },
    #[error("structure {id}: the scale's minimum is not below its maximum")]
    Scale { id: String },
    #[error("structure {id}: a band other than the last has no minimum, or bands do not descend")]
    Bands { id: String },
    #[error("structures {first} and {second} of index {index} overlap in their years")]
    Overlap {
        index: String,
        first: String,
        second: String,
    },
    #[error("structure {id} appears twice")]
    RepeatedId { id: String },
}

impl Structure {
    /// Every dimension and component with its sub-dimensions, parents before their parts.
    pub fn items(&self) -> impl Iterator<Item = &Dimension> {
        self.dimensions
            .iter()
            .chain(&self.components)
            .flat_map(|d| std::iter::once(d).chain(&d.sub_dimensions))
    }

    /// The item with this measure code.
    pub fn item(&self, code: &str) -> Option<&Dimension> {
        self.items().find(|d| d.code == code)
    }

    /// Whether `code` is a top-level dimension (not a component or a sub-dimension).
    pub fn is_dimension(&self, code: &str) -> bool {
        self.dimensions.iter().any(|d| d.code == code)
    }

    /// Checks the structure on its own.
    pub fn check(&self) -> Result<(), StructureProblem> {
        let id = || self.id.clone();
        if self.years.to.is_some_and(|to| to < self.years.from) {
            return Err(StructureProblem::Years { id: id() });
        }
        if self.scale.min.partial_cmp(&self.scale.max) != Some(std::cmp::Ordering::Less) {
            return Err(StructureProblem::Scale { id: id() });
        }
        let mut seen = HashMap::new();
        for item in self.items() {
            if item.code.trim().is_empty() {
                return Err(StructureProblem::EmptyCode { id: id() });
            }
            if item.code.eq_ignore_ascii_case("total") {
                return Err(StructureProblem::TotalAsCode { id: id() });
            }
            if seen.insert(item.code.as_str(), ()).is_some() {
                return Err(StructureProblem::RepeatedCode {
                    id: id(),
                    code: item.code.clone(),
                });
            }
        }
        if let Grouping::Bands { bands, .. } = &self.grouping {
            let mins: Vec<Option<f64>> = bands.iter().map(|b| b.min).collect();
            let all_but_last = mins.split_last().map_or(&[][..], |(_, rest)| rest);
            let descending = all_but_last
                .windows(2)
                .all(|w| matches!((w[0], w[1]), (Some(a), Some(b)) if a > b));
            if bands.is_empty() || all_but_last.iter().any(Option::is_none) || !descending {
                return Err(StructureProblem::Bands { id: id() });
            }
        }
        Ok(())
    }
}

/// One index (PAPI, the PAR INDEX…) and its structures over the years.
#[derive(Clone, Debug, PartialEq)]
pub struct Index<'a> {
    pub id: &'a str,
    pub structures: Vec<&'a Structure>,
}

/// Every known structure, at most one per index and year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    structures: Vec<Structure>,
}

impl Catalogue {
    /// A catalogue of checked structures, none overlapping another of its index.
    pub fn new(structures: Vec<Structure>) -> Result<Catalogue, StructureProblem> {
        for (i, structure) in structures.iter().enumerate() {
            structure.check()?;
            for earlier in &structures[..i] {
                if earlier.id == structure.id {
                    return Err(StructureProblem::RepeatedId {
                        id: structure.id.clone(),
                    });
                }
                if earlier.index == structure.index && earlier.years.overlaps(&structure.years) {
                    return Err(StructureProblem::Overlap {
                        index: structure.index.clone(),
                        first: earlier.id.clone(),
                        second: structure.id.clone(),
                    });
                }
            }
        }
        Ok(Catalogue { structures })
    }

    pub fn structures(&self) -> &[Structure] {
        &self.structures
    }

    /// The structure by its id.
    pub fn get(&self, id: &str) -> Option<&Structure> {
        self.structures.iter().find(|s| s.id == id)
    }

    /// The structure an index used in a year.
    pub fn for_year(&self, index: &str, year: i32) -> Option<&Structure> {
        self.structures
            .iter()
            .find(|s| s.index == index && s.years.contains(year))
    }

    /// Whether any structure belongs to this index.
    pub fn knows(&self, index: &str) -> bool {
        self.structures.iter().any(|s| s.index == index)
    }

    /// The indices, in the order their first structure appears, each with its structures.
    pub fn indices(&self) -> Vec<Index<'_>> {
        let mut out: Vec<Index<'_>> = Vec::new();
        for structure in &self.structures {
            match out.iter_mut().find(|i| i.id == structure.index) {
                Some(index) => index.structures.push(structure),
                None => out.push(Index {
                    id: &structure.index,
                    structures: vec![structure],
                }),
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn dimension(code: &str, subs: &[&str]) -> Dimension {
        Dimension {
            code: code.to_string(),
            title: format!("Nội dung {code}"),
            title_en: format!("Dimension {code}"),
            max: None,
            unverified: false,
            aliases: Vec::new(),
            sub_dimensions: subs.iter().map(|s| dimension(s, &[])).collect(),
        }
    }

    pub(crate) fn structure(id: &str, from: i32, to: Option<i32>) -> Structure {
        Structure {
            id: id.to_string(),
            index: "papi".to_string(),
            publisher: "UNDP".to_string(),
            title: "PAPI".to_string(),
            title_en: "PAPI".to_string(),
            years: Years { from, to },
            units: UnitScope::Province,
            scale: Scale {
                min: 2.0,
                max: 20.0,
                unverified: false,
            },
            direction: Direction::Higher,
            total: TotalRule::Sum,
            grouping: Grouping::Quartiles,
            source: String::new(),
            note: String::new(),
            words: Vec::new(),
            total_names: Vec::new(),
            dimensions: vec![dimension("1", &["1.1", "1.2"]), dimension("2", &["2.1"])],
            components: Vec::new(),
        }
    }

    #[test]
    fn a_catalogue_finds_the_structure_of_a_year() {
        let catalogue = Catalogue::new(vec![
            structure("papi-2011", 2011, Some(2017)),
            structure("papi-2018", 2018, None),
        ])
        .unwrap();
        assert_eq!(catalogue.for_year("papi", 2016).unwrap().id, "papi-2011");
        assert_eq!(catalogue.for_year("papi", 2017).unwrap().id, "papi-2011");
        assert_eq!(catalogue.for_year("papi", 2030).unwrap().id, "papi-2018");
        assert!(catalogue.for_year("papi", 2010).is_none());
        assert!(catalogue.for_year("pci", 2016).is_none());
        assert_eq!(catalogue.indices().len(), 1);
        assert_eq!(catalogue.indices()[0].structures.len(), 2);
    }

    #[test]
    fn overlapping_years_and_repeated_codes_are_refused() {
        let overlap = Catalogue::new(vec![
            structure("a", 2011, Some(2018)),
            structure("b", 2018, None),
        ]);
        assert!(matches!(overlap, Err(StructureProblem::Overlap { .. })));
        let mut repeated = structure("a", 2011, None);
        repeated.dimensions.push(dimension("1.1", &[]));
        assert_eq!(
            repeated.check(),
            Err(StructureProblem::RepeatedCode {
                id: "a".into(),
                code: "1.1".into()
            })
        );
        let mut bands = structure("a", 2011, None);
        bands.grouping = Grouping::Bands {
            bands: vec![
                Band {
                    label: "A".into(),
                    min: Some(80.0),
                },
                Band {
                    label: "B".into(),
                    min: Some(90.0),
                },
                Band {
                    label: "C".into(),
                    min: None,
                },
            ],
            unverified: true,
        };
        assert_eq!(
            bands.check(),
            Err(StructureProblem::Bands { id: "a".into() })
        );
    }
}
