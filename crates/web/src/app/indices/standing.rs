//! One year of a national index as published (docs/method.md §5.4, §5.5, §5.7): every unit's
//! value with its rank (the publisher's where printed, else computed on a complete year), its
//! group (quartiles for PAPI, the A/B/C bands of the PAR INDEX under QĐ 876), its rank within
//! its region; the national and regional averages; and the configured province's position:
//! its gap to the top 10 and to the best of its region, its weakest dimensions and
//! sub-dimensions. A province without a result that year is left out of ranks, groups,
//! averages and cut-offs (§5.5). The rules are the domain's (`chiso_domain::indices`).

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chiso_domain::change::Lineage;
use chiso_domain::indices::{
    Catalogue, Dimension, Direction, Grouping, ProvinceList, Roster, RosterUnit, Structure,
    UnitScope, UnitValues, hundredths, ranks, standings,
};
use chiso_store::Db;
use chiso_store::indices::{self as store, StoredYear, YearVersion};

use crate::error::{AppError, AppResult};

/// The bundled reference data the pages read: the index structures, the provinces of both
/// lists with their regions, and the 2025 lineage. Parsed once per process.
pub struct Reference {
    pub catalogue: Catalogue,
    pub roster: Roster,
    pub lineage: Lineage,
    regions_63: HashMap<String, String>,
    regions_34: HashMap<String, String>,
}

static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
    let regions = |records: Vec<chiso_interchange::units_io::UnitRecord>| {
        records
            .into_iter()
            .filter_map(|u| u.region.map(|r| (u.code, r)))
            .collect()
    };
    Reference {
        catalogue: chiso_refdata::index_catalogue(),
        roster: chiso_refdata::province_roster(),
        lineage: chiso_refdata::lineage_2025(),
        regions_63: regions(chiso_refdata::provinces_63()),
        regions_34: regions(chiso_refdata::provinces_34()),
    }
});

/// The bundled reference data.
pub fn reference() -> &'static Reference {
    &REFERENCE
}

impl Reference {
    /// The socio-economic region of a province of the year (docs/method.md §6.1, §6.2).
    pub fn region(&self, year: i32, code: &str) -> Option<&str> {
        let regions = match ProvinceList::of_year(year) {
            ProvinceList::Historical63 => &self.regions_63,
            ProvinceList::New34 => &self.regions_34,
        };
        regions.get(code).map(String::as_str)
    }

    /// A province of the year by code.
    pub fn province(&self, year: i32, code: &str) -> Option<&RosterUnit> {
        self.roster.for_year(year).iter().find(|u| u.code == code)
    }

    /// The province-level structures' indices, in catalogue order.
    pub fn province_indices(&self) -> Vec<&str> {
        self.catalogue
            .indices()
            .into_iter()
            .filter(|i| i.structures.iter().all(|s| s.units == UnitScope::Province))
            .map(|i| i.id)
            .collect()
    }
}

/// The configured province as it is now, with the provinces it continues before 1/7/2025.
#[derive(Clone, Debug, PartialEq)]
pub struct Province {
    /// Its code among the 34 provinces.
    pub code: String,
    pub name: String,
    /// The provinces of the 63 it continues (itself when unchanged), by the bundled lineage.
    pub predecessors: Vec<RosterUnit>,
}

impl Province {
    /// The province of a configured code: a code of the 34 provinces names the province as it
    /// is now (a code reused by the merger, such as 44, is read so); a code of the 63 that the
    /// merger retired stands for the province that continues it. `None` for any other code.
    pub fn resolve(reference: &Reference, code: &str) -> Option<Province> {
        let code = code.trim();
        let current = reference.roster.new_34.iter().find(|u| u.code == code);
        let current = match current {
            Some(unit) => unit,
            None => {
                reference
                    .roster
                    .historical_63
                    .iter()
                    .find(|u| u.code == code)?;
                reference.roster.new_34.iter().find(|u| {
                    reference
                        .lineage
                        .predecessors(&u.code)
                        .is_some_and(|ps| ps.iter().any(|p| p.code == code))
                })?
            }
        };
        let predecessors = match reference.lineage.predecessors(&current.code) {
            Some(list) => list
                .iter()
                .filter_map(|p| reference.province(2024, &p.code).cloned())
                .collect(),
            None => reference
                .province(2024, &current.code)
                .cloned()
                .into_iter()
                .collect(),
        };
        Some(Province {
            code: current.code.clone(),
            name: current.name.clone(),
            predecessors,
        })
    }

    /// Whether it was formed from several provinces (its earlier figures are estimates).
    pub fn merged(&self) -> bool {
        self.predecessors.len() > 1
    }

    /// The units that stand for it in a year's results: itself from 2025, its predecessors
    /// before.
    pub fn units_in(&self, year: i32) -> Vec<RosterUnit> {
        match ProvinceList::of_year(year) {
            ProvinceList::New34 => vec![RosterUnit {
                code: self.code.clone(),
                name: self.name.clone(),
            }],
            ProvinceList::Historical63 => self.predecessors.clone(),
        }
    }

    /// Whether `code` stands for it in `year`.
    pub fn is_unit(&self, year: i32, code: &str) -> bool {
        self.units_in(year).iter().any(|u| u.code == code)
    }

    /// Every code it has had, for reading its history.
    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.predecessors.iter().map(|p| p.code.clone()).collect();
        if !codes.contains(&self.code) {
            codes.push(self.code.clone());
        }
        codes
    }
}

/// A unit's group in a year, as the structure groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Group {
    /// PAPI's quartile colour groups: 1 the best quarter … 4 the lowest.
    Quartile(u8),
    /// A fixed band (A/B/C under QĐ 876): its position (1 = best) and label.
    Band { position: u8, label: String },
}

impl Group {
    /// The group numbered `number` (1 = best) under the structure's grouping.
    pub fn of(structure: &Structure, number: u8) -> Option<Group> {
        match &structure.grouping {
            Grouping::None => None,
            Grouping::Quartiles => Some(Group::Quartile(number)),
            Grouping::Bands { bands, .. } => {
                bands
                    .get(usize::from(number).checked_sub(1)?)
                    .map(|b| Group::Band {
                        position: number,
                        label: b.label.clone(),
                    })
            }
        }
    }

    /// 0 = best, for colours.
    pub fn class(&self) -> usize {
        match self {
            Group::Quartile(n) => usize::from(*n).saturating_sub(1),
            Group::Band { position, .. } => usize::from(*position).saturating_sub(1),
        }
    }
}

/// One unit with a result in the year.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub region: Option<String>,
    /// The value; a report may quote a published rank alone.
    pub total: Option<f64>,
    pub rank: Option<u32>,
    pub rank_published: bool,
    /// Its rank among the provinces of its region with a result, and how many they are.
    pub regional_rank: Option<(u32, usize)>,
    pub group: Option<Group>,
    /// Dimension, sub-dimension and component values by measure code.
    pub values: BTreeMap<String, f64>,
    /// Each top-level dimension's and component's rank (complete years).
    pub dimension_ranks: BTreeMap<String, u32>,
    /// It stands for the configured province this year.
    pub is_province: bool,
}

/// An average of the rounded values of the units with a result (docs/method.md §5.7).
#[derive(Clone, Debug, PartialEq)]
pub struct Average {
    /// The region; `None` for the nation.
    pub region: Option<String>,
    pub total: f64,
    pub units: usize,
    pub dimensions: BTreeMap<String, f64>,
}

/// A figure the publisher printed for no single unit (a national mean).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub name: String,
    pub measure: String,
    pub value: f64,
}

/// How far the province is from another unit: the points between them, rounded as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub name: String,
    pub total: f64,
    pub points: f64,
    /// The province is ahead of that unit (the first outside the top 10, the second of its
    /// region); otherwise behind it (the top 10's cut-off, the best of its region).
    pub ahead: bool,
}

/// A dimension or sub-dimension of the province against the others.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemStanding {
    pub item: Dimension,
    /// The dimension it belongs to, for a sub-dimension.
    pub parent: Option<String>,
    pub value: f64,
    /// Its share of the item's maximum, in %, when the maximum is known.
    pub share: Option<f64>,
    /// Its rank among the units with a value (complete years).
    pub rank: Option<u32>,
    pub of: usize,
}

/// The province (or one of its predecessors) in the year.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub line: UnitLine,
    /// The units ranked (complete year) or the provinces of the year (published ranks).
    pub of: usize,
    pub top10: Option<Gap>,
    pub region_gap: Option<Gap>,
    /// Top-level dimensions, weakest first (worst rank, then smallest share of the maximum).
    pub weakest_dimensions: Vec<ItemStanding>,
    /// The sub-dimensions, weakest first, at most [`WEAKEST_SUBS`].
    pub weakest_subs: Vec<ItemStanding>,
}

/// Sub-dimensions listed as the province's weakest.
pub const WEAKEST_SUBS: usize = 5;

/// An index's year as its page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexYear {
    pub index: String,
    pub year: i32,
    pub structure: Structure,
    pub version: YearVersion,
    /// Every unit the index ranks is listed: ranks, groups and averages are computed.
    pub complete: bool,
    /// Units with a result, best first (by rank, then code).
    pub units: Vec<UnitLine>,
    /// Provinces of the year without a result (complete years only: a partial year quotes a
    /// few and says nothing of the others).
    pub without_result: Vec<RosterUnit>,
    pub national: Option<Average>,
    pub regions: Vec<Average>,
    pub published: Vec<Summary>,
    pub positions: Vec<Position>,
    /// The years of the index in force, for the year switcher.
    pub years: Vec<i32>,
}

/// Loads and computes an index's year: NotFound for an index the catalogue does not know or
/// a year not stored.
pub async fn index_year(
    db: &Db,
    index: &str,
    year: i32,
    province: Option<&Province>,
) -> AppResult<IndexYear> {
    let reference = reference();
    if !reference.catalogue.knows(index) {
        return Err(AppError::NotFound);
    }
    let versions = store::current_years(db, index).await?;
    let version = versions
        .iter()
        .find(|v| v.year == i64::from(year))
        .ok_or(AppError::NotFound)?;
    let stored = store::stored_year(db, version.year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let structure = reference
        .catalogue
        .get(&stored.version.structure_id)
        .or_else(|| reference.catalogue.for_year(index, year))
        .ok_or(AppError::NotFound)?
        .clone();
    let years = versions.iter().map(|v| v.year as i32).collect();
    Ok(compute(reference, structure, stored, years, province))
}

/// The stored values of a year, one entry per unit in the order stored.
pub(crate) fn unit_values(stored: &StoredYear) -> Vec<UnitValues> {
    let mut units: Vec<UnitValues> = Vec::new();
    for value in &stored.values {
        let at = match units.iter().position(|u| u.unit_code == value.unit_code) {
            Some(at) => at,
            None => {
                units.push(UnitValues {
                    unit_code: value.unit_code.clone(),
                    unit_name: value.unit_name.clone(),
                    ..UnitValues::default()
                });
                units.len() - 1
            }
        };
        let unit = &mut units[at];
        if value.measure == "total" {
            unit.total = value.value;
            if value.rank_published {
                unit.published_rank = value.rank.and_then(|r| u32::try_from(r).ok());
            }
        } else if let Some(v) = value.value {
            unit.values.insert(value.measure.clone(), v);
        }
    }
    units
}

/// The year computed from its stored values (pure: the tests call it on hand-made years).
pub fn compute(
    reference: &Reference,
    structure: Structure,
    stored: StoredYear,
    years: Vec<i32>,
    province: Option<&Province>,
) -> IndexYear {
    let year = stored.version.year as i32;
    let complete = stored.version.complete;
    let units = unit_values(&stored);
    let standings = standings(&structure, &units, complete);
    let provinces = structure.units == UnitScope::Province;
    let mut lines: Vec<UnitLine> = units
        .iter()
        .zip(&standings)
        .filter(|(unit, standing)| unit.total.is_some() || standing.rank.is_some())
        .map(|(unit, standing)| UnitLine {
            code: unit.unit_code.clone(),
            name: unit.unit_name.clone(),
            region: provinces
                .then(|| reference.region(year, &unit.unit_code).map(str::to_string))
                .flatten(),
            total: unit.total,
            rank: standing.rank,
            rank_published: standing.rank_published,
            regional_rank: None,
            group: standing.group.and_then(|g| Group::of(&structure, g)),
            values: unit.values.clone(),
            dimension_ranks: standing.ranks.clone(),
            is_province: provinces && province.is_some_and(|p| p.is_unit(year, &unit.unit_code)),
        })
        .collect();
    lines.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.code).cmp(&(b.rank.is_none(), b.rank, &b.code))
    });
    if complete {
        regional_ranks(&mut lines, structure.direction);
    }
    let without_result = if complete && provinces {
        reference
            .roster
            .for_year(year)
            .iter()
            .filter(|p| !lines.iter().any(|l| l.code == p.code))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let (national, regions) = if complete {
        averages(&structure, &lines)
    } else {
        (None, Vec::new())
    };
    let of = if complete {
        lines.len()
    } else {
        reference.roster.for_year(year).len()
    };
    let positions = lines
        .iter()
        .filter(|l| l.is_province)
        .map(|l| position(&structure, &lines, l, complete, of))
        .collect();
    IndexYear {
        index: stored.version.index_id.clone(),
        year,
        published: summaries(&stored.summaries),
        structure,
        version: stored.version,
        complete,
        units: lines,
        without_result,
        national,
        regions,
        positions,
        years,
    }
}

/// The ranking key: larger is better whatever the index's direction.
fn key(value: f64, direction: Direction) -> i64 {
    match direction {
        Direction::Higher => hundredths(value),
        Direction::Lower => -hundredths(value),
    }
}

/// Ranks within each region, among the provinces of the region with a result.
fn regional_ranks(lines: &mut [UnitLine], direction: Direction) {
    let mut regions: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if let (Some(region), Some(_)) = (&line.region, line.total) {
            regions.entry(region.clone()).or_default().push(i);
        }
    }
    for members in regions.values() {
        let values: Vec<Option<f64>> = members.iter().map(|&i| lines[i].total).collect();
        for (&i, rank) in members.iter().zip(ranks(&values, direction)) {
            lines[i].regional_rank = rank.map(|r| (r, members.len()));
        }
    }
}

/// The mean of values as published: of their hundredths, in hundredths.
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let hundredths: Vec<i64> = values.map(hundredths).collect();
    (!hundredths.is_empty())
        .then(|| hundredths.iter().sum::<i64>() as f64 / hundredths.len() as f64 / 100.0)
}

fn average(structure: &Structure, region: Option<String>, lines: &[&UnitLine]) -> Option<Average> {
    let total = mean(lines.iter().filter_map(|l| l.total))?;
    let dimensions = structure
        .dimensions
        .iter()
        .chain(&structure.components)
        .filter_map(|d| {
            mean(lines.iter().filter_map(|l| l.values.get(&d.code).copied()))
                .map(|m| (d.code.clone(), m))
        })
        .collect();
    Some(Average {
        region,
        total,
        units: lines.len(),
        dimensions,
    })
}

/// The national average and each region's, of the units with a result.
fn averages(structure: &Structure, lines: &[UnitLine]) -> (Option<Average>, Vec<Average>) {
    let all: Vec<&UnitLine> = lines.iter().filter(|l| l.total.is_some()).collect();
    let mut regions: BTreeMap<&str, Vec<&UnitLine>> = BTreeMap::new();
    for line in &all {
        if let Some(region) = &line.region {
            regions.entry(region).or_default().push(line);
        }
    }
    let regional = regions
        .into_iter()
        .filter_map(|(region, members)| average(structure, Some(region.to_string()), &members))
        .collect();
    (average(structure, None, &all), regional)
}

/// The published figures of no single unit, from the stored JSON.
fn summaries(json: &str) -> Vec<Summary> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    values
        .iter()
        .filter_map(|v| {
            Some(Summary {
                name: v.get("unit_name")?.as_str()?.to_string(),
                measure: v.get("measure")?.as_str()?.to_string(),
                value: v.get("value")?.as_f64()?,
            })
        })
        .collect()
}

/// Points between two totals as published (their hundredths), always ≥ 0.
fn points_between(a: f64, b: f64) -> f64 {
    (hundredths(a) - hundredths(b)).abs() as f64 / 100.0
}

fn gap_to(total: f64, other: &UnitLine, other_total: f64, ahead: bool) -> Gap {
    Gap {
        name: other.name.clone(),
        total: other_total,
        points: points_between(total, other_total),
        ahead,
    }
}

/// Where the province stands: on a complete year its gaps to the top 10 and to its region's
/// best, and its dimensions and sub-dimensions ranked; on a partial year its published rank
/// and its dimensions against their maxima only.
fn position(
    structure: &Structure,
    lines: &[UnitLine],
    line: &UnitLine,
    complete: bool,
    of: usize,
) -> Position {
    let direction = structure.direction;
    // The units with a value, by how good it is.
    let valued: Vec<(&UnitLine, f64)> = lines
        .iter()
        .filter_map(|l| l.total.map(|t| (l, t)))
        .collect();
    let better = |(_, t): &&(&UnitLine, f64)| key(*t, direction);
    let (top10, region_gap) = match line.total {
        Some(total) if complete => {
            let top10 = match line.rank {
                Some(rank) if rank <= 10 => valued
                    .iter()
                    .filter(|(l, _)| l.rank.is_some_and(|r| r > 10))
                    .max_by_key(better)
                    .map(|(next, t)| gap_to(total, next, *t, true)),
                Some(_) => valued
                    .iter()
                    .filter(|(l, _)| l.rank.is_some_and(|r| r <= 10))
                    .min_by_key(better)
                    .map(|(cut, t)| gap_to(total, cut, *t, false)),
                None => None,
            };
            let region_gap = valued
                .iter()
                .filter(|(l, _)| {
                    l.region.is_some() && l.region == line.region && l.code != line.code
                })
                .max_by_key(better)
                .map(|(best, t)| {
                    gap_to(total, best, *t, key(total, direction) >= key(*t, direction))
                });
            (top10, region_gap)
        }
        _ => (None, None),
    };
    let standing = |item: &Dimension, parent: Option<&Dimension>, rank: Option<u32>| {
        let value = *line.values.get(&item.code)?;
        let of = lines
            .iter()
            .filter(|l| l.values.contains_key(&item.code))
            .count();
        Some(ItemStanding {
            share: item.max.filter(|m| *m > 0.0).map(|m| value / m * 100.0),
            item: item.clone(),
            parent: parent.map(|p| p.code.clone()),
            value,
            rank: rank.filter(|_| complete),
            of,
        })
    };
    let mut weakest_dimensions: Vec<ItemStanding> = structure
        .dimensions
        .iter()
        .filter_map(|d| standing(d, None, line.dimension_ranks.get(&d.code).copied()))
        .collect();
    sort_weakest(&mut weakest_dimensions);
    let mut weakest_subs: Vec<ItemStanding> = structure
        .dimensions
        .iter()
        .flat_map(|d| d.sub_dimensions.iter().map(move |s| (d, s)))
        .filter_map(|(d, s)| {
            let rank = complete
                .then(|| sub_rank(lines, line, &s.code, direction))
                .flatten();
            standing(s, Some(d), rank)
        })
        .collect();
    sort_weakest(&mut weakest_subs);
    weakest_subs.truncate(WEAKEST_SUBS);
    Position {
        line: line.clone(),
        of,
        top10,
        region_gap,
        weakest_dimensions,
        weakest_subs,
    }
}

/// The province's rank on one sub-dimension among the units with a value for it.
fn sub_rank(lines: &[UnitLine], line: &UnitLine, code: &str, direction: Direction) -> Option<u32> {
    let values: Vec<Option<f64>> = lines.iter().map(|l| l.values.get(code).copied()).collect();
    let at = lines.iter().position(|l| l.code == line.code)?;
    ranks(&values, direction)[at]
}

/// Weakest first: the worst rank, then the smallest share of the maximum; items without
/// either last, in the structure's order.
pub(crate) fn sort_weakest(items: &mut [ItemStanding]) {
    items.sort_by(|a, b| {
        let rank = |i: &ItemStanding| std::cmp::Reverse(i.rank.unwrap_or(0));
        let share = |i: &ItemStanding| i.share.map_or(i64::MAX, |s| (s * 100.0).round() as i64);
        (rank(a), share(a)).cmp(&(rank(b), share(b)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_code_names_the_province_as_it_is_now() {
        let r = reference();
        // Huế keeps code 46 and continues Thừa Thiên Huế alone.
        let hue = Province::resolve(r, "46").unwrap();
        assert_eq!(hue.name, "Huế");
        assert!(!hue.merged());
        assert_eq!(hue.units_in(2023)[0].name, "Thừa Thiên Huế");
        // 44 is Quảng Trị now, formed from Quảng Trị (45) and Quảng Bình (44).
        let quang_tri = Province::resolve(r, "44").unwrap();
        assert_eq!(quang_tri.name, "Quảng Trị");
        let mut before: Vec<&str> = quang_tri
            .predecessors
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        before.sort_unstable();
        assert_eq!(before, ["44", "45"]);
        assert!(quang_tri.is_unit(2024, "45") && !quang_tri.is_unit(2025, "45"));
        // A retired code stands for the province that continues it.
        assert_eq!(Province::resolve(r, "45").unwrap().code, "44");
        assert!(Province::resolve(r, "99").is_none());
    }

    #[test]
    fn groups_name_quartiles_and_bands() {
        let r = reference();
        let papi = r.catalogue.for_year("papi", 2023).unwrap();
        assert_eq!(Group::of(papi, 3), Some(Group::Quartile(3)));
        let par = r.catalogue.for_year("par", 2023).unwrap();
        assert_eq!(
            Group::of(par, 2),
            Some(Group::Band {
                position: 2,
                label: "B".into()
            })
        );
        assert_eq!(Group::of(par, 9), None);
        let sipas = r.catalogue.for_year("sipas", 2023).unwrap();
        assert_eq!(Group::of(sipas, 1), None);
    }
}
