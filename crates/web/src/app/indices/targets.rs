//! The province's targets for the national indices (docs/method.md §5.8): per index and year,
//! the target as its document writes it ("nhóm 10 tỉnh dẫn đầu", "≥ 90 %") and the document
//! that set it, read with the goals' rules (§7.7) and checked against the year in force for
//! the configured province: met, missed, or no result yet, by how many places or points.

use std::collections::HashMap;

use chiso_domain::change::Lineage;
use chiso_domain::indices::{Catalogue, Roster};
use chiso_domain::plan::{Goal, GoalError, GoalOutcome, GoalTarget};
use chiso_store::index_targets::{self, StoredTarget, TargetFields};
use chiso_store::indices::{self, StoredYear};
use chiso_store::{Actor, Db, StoreError};

use super::import::catalogue;

/// Why a target is not stored.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetRefusal {
    /// The index has no bundled structure.
    UnknownIndex { index: String },
    /// A year that is not a year of results (1990–2100).
    Year { text: String },
    /// The target names no rank or value (the goals' rules, §7.7).
    Goal(GoalError),
    /// The target's words name another index than the one chosen.
    OtherIndex { named: String },
}

/// How far a target is from its result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetOutcome {
    /// Reached, with this many places (a rank target) or points (a value target) to spare.
    Met { by: f64 },
    /// Not reached, short by this many places or points.
    Missed { by: f64 },
    /// No result of the province for that year yet.
    NoData,
}

/// A target with its result.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetStatus {
    pub target: StoredTarget,
    pub goal: GoalTarget,
    /// The index's title in the year's structure (the latest one when no structure covers the
    /// year), in both languages: data, not interface text.
    pub index_title: String,
    pub index_title_en: String,
    /// The province's code that year (its successor after the 2025 merger), when configured.
    pub unit_code: Option<String>,
    pub value: Option<f64>,
    pub rank: Option<u32>,
    /// How many units have a rank that year (63 or 34 provinces, fewer with missing ones).
    pub ranked: Option<usize>,
    pub outcome: TargetOutcome,
}

impl TargetStatus {
    /// Whether the target is a rank ("nhóm 10"): its margin counts places, else points.
    pub fn is_rank(&self) -> bool {
        matches!(self.goal, GoalTarget::Top(_))
    }
}

fn lineage() -> &'static Lineage {
    &super::standing::reference().lineage
}

/// The province's code in a year's list: itself when it is one of that year's provinces;
/// after the merger, the province that continues it (docs/method.md §6.2); before it, none
/// for a province created by the merger under a new code.
pub fn province_in_year(roster: &Roster, code: &str, year: i32) -> Option<String> {
    if roster.is_province(year, code) {
        return Some(code.to_string());
    }
    if year < 2025 {
        return None;
    }
    roster
        .for_year(year)
        .iter()
        .find(|p| {
            lineage()
                .predecessors(&p.code)
                .is_some_and(|ps| ps.iter().any(|pr| pr.code == code))
        })
        .map(|p| p.code.clone())
}

/// The title of an index for a year, in Vietnamese and English.
pub fn index_title(catalogue: &Catalogue, index: &str, year: i32) -> (String, String) {
    let structure = catalogue.for_year(index, year).or_else(|| {
        catalogue
            .structures()
            .iter()
            .filter(|s| s.index == index)
            .max_by_key(|s| s.years.from)
    });
    structure
        .map(|s| (s.title.clone(), s.title_en.clone()))
        .unwrap_or_else(|| (index.to_string(), index.to_string()))
}

/// The index ids `Goal` reads from words, against a catalogue's: `par` names every PAR INDEX.
fn names_same_index(named: &str, chosen: &str) -> bool {
    named == chosen || (named == "par" && chosen.starts_with("par"))
}

/// Checks a target's fields: the index known, a plausible year, a target read as a rank or a
/// value, and no other index named in its words.
pub fn check(
    catalogue: &Catalogue,
    index: &str,
    year: &str,
    target: &str,
    document: &str,
) -> Result<TargetFields, Vec<TargetRefusal>> {
    let mut refusals = Vec::new();
    if !catalogue.knows(index) {
        refusals.push(TargetRefusal::UnknownIndex {
            index: index.to_string(),
        });
    }
    let year_value = year
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|y| (1990..=2100).contains(y));
    if year_value.is_none() {
        refusals.push(TargetRefusal::Year {
            text: year.trim().to_string(),
        });
    }
    if let Err(error) = GoalTarget::parse(target) {
        refusals.push(TargetRefusal::Goal(error));
    } else if let Ok(goal) = Goal::parse(target)
        && !names_same_index(&goal.index, index)
    {
        refusals.push(TargetRefusal::OtherIndex { named: goal.index });
    }
    match year_value {
        Some(year) if refusals.is_empty() => Ok(TargetFields {
            index_id: index.to_string(),
            year,
            target: target.trim().to_string(),
            document: document.trim().to_string(),
        }),
        _ => Err(refusals),
    }
}

/// How the audit log names a target: "<index title> <year>: <target> (<document>)".
fn label(fields: &TargetFields) -> String {
    let year = i32::try_from(fields.year).unwrap_or_default();
    let (title, _) = index_title(catalogue(), &fields.index_id, year);
    let mut label = format!("{title} {}: {}", fields.year, fields.target);
    if !fields.document.is_empty() {
        label.push_str(&format!(" ({})", fields.document));
    }
    label
}

fn fields_of(target: &StoredTarget) -> TargetFields {
    TargetFields {
        index_id: target.index_id.clone(),
        year: target.year,
        target: target.target.clone(),
        document: target.document.clone(),
    }
}

pub async fn add(db: &Db, actor: &Actor, fields: &TargetFields) -> Result<i64, StoreError> {
    index_targets::add_target(db, actor, fields, &label(fields)).await
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    fields: &TargetFields,
) -> Result<(), StoreError> {
    let old = index_targets::target(db, id).await?;
    let old_label = label(&fields_of(&old));
    index_targets::update_target(db, actor, id, fields, &old_label, &label(fields)).await
}

pub async fn delete(db: &Db, actor: &Actor, id: i64) -> Result<(), StoreError> {
    let old = index_targets::target(db, id).await?;
    index_targets::delete_target(db, actor, id, &label(&fields_of(&old))).await
}

/// Every target checked against the year in force for the province (`province_code`, read
/// through the 2025 lineage for later years; none: every target waits for data). Targets by
/// index, year and the order they were set; a stored target whose words no longer read as a
/// target is left out (the form refuses such words).
pub async fn evaluate_targets(
    db: &Db,
    catalogue: &Catalogue,
    roster: &Roster,
    province_code: Option<&str>,
) -> Result<Vec<TargetStatus>, StoreError> {
    let targets = index_targets::targets(db).await?;
    let mut years: HashMap<(String, i64), Option<StoredYear>> = HashMap::new();
    let mut out = Vec::with_capacity(targets.len());
    for target in targets {
        let Ok(goal) = GoalTarget::parse(&target.target) else {
            continue;
        };
        let year = i32::try_from(target.year).unwrap_or_default();
        let key = (target.index_id.clone(), target.year);
        if !years.contains_key(&key) {
            let stored = indices::current_year(db, &target.index_id, year).await?;
            years.insert(key.clone(), stored);
        }
        let stored = years.get(&key).and_then(Option::as_ref);
        let unit_code = province_code.and_then(|code| province_in_year(roster, code, year));
        let (value, rank, ranked) = match (stored, &unit_code) {
            (Some(stored), Some(code)) => {
                let (value, rank) = result_of(stored, code);
                (value, rank, ranked_in(catalogue, roster, stored, year))
            }
            _ => (None, None, None),
        };
        let outcome = outcome_of(goal, value, rank);
        let (index_title, index_title_en) = index_title(catalogue, &target.index_id, year);
        out.push(TargetStatus {
            target,
            goal,
            index_title,
            index_title_en,
            unit_code,
            value,
            rank,
            ranked,
            outcome,
        });
    }
    Ok(out)
}

/// The province's total, rank and the number ranked in an index's year (none stored, or no
/// province configured: nothing), for a plan's goals (docs/method.md §7.7).
pub async fn province_result(
    db: &Db,
    catalogue: &Catalogue,
    roster: &Roster,
    province_code: Option<&str>,
    index: &str,
    year: i32,
) -> Result<(Option<f64>, Option<u32>, Option<usize>), StoreError> {
    let Some(code) = province_code.and_then(|code| province_in_year(roster, code, year)) else {
        return Ok((None, None, None));
    };
    let Some(stored) = indices::current_year(db, index, year).await? else {
        return Ok((None, None, None));
    };
    let (value, rank) = result_of(&stored, &code);
    Ok((value, rank, ranked_in(catalogue, roster, &stored, year)))
}

/// A unit's total and rank in a stored year.
fn result_of(stored: &StoredYear, code: &str) -> (Option<f64>, Option<u32>) {
    stored
        .values
        .iter()
        .find(|v| v.measure == "total" && v.unit_code == code)
        .map_or((None, None), |row| {
            (row.value, row.rank.and_then(|r| u32::try_from(r).ok()))
        })
}

/// Among how many units a rank of the year counts: those ranked in a complete year (the
/// provinces without results left out, §5.5); in a year that quotes a few provinces, their
/// published ranks are among every province of the year.
fn ranked_in(
    catalogue: &Catalogue,
    roster: &Roster,
    stored: &StoredYear,
    year: i32,
) -> Option<usize> {
    let ranked = stored
        .values
        .iter()
        .filter(|v| v.measure == "total" && v.rank.is_some())
        .count();
    let provinces = catalogue
        .get(&stored.version.structure_id)
        .is_some_and(|s| s.units == chiso_domain::indices::UnitScope::Province);
    if stored.version.complete {
        Some(ranked).filter(|n| *n > 0)
    } else if provinces {
        Some(roster.for_year(year).len()).filter(|n| *n > 0)
    } else {
        None
    }
}

/// A target against a result, by the goals' rule (docs/method.md §7.7).
pub fn outcome_of(goal: GoalTarget, value: Option<f64>, rank: Option<u32>) -> TargetOutcome {
    let as_goal = Goal {
        index: String::new(),
        target: goal,
    };
    match as_goal.check(value, rank) {
        GoalOutcome::Met { margin } => TargetOutcome::Met { by: margin },
        GoalOutcome::Missed { short_by } => TargetOutcome::Missed { by: short_by },
        GoalOutcome::NoResult => TargetOutcome::NoData,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_province_of_a_year_follows_the_lineage_after_the_merger() {
        let roster = chiso_refdata::province_roster();
        assert_eq!(province_in_year(&roster, "46", 2020).as_deref(), Some("46"));
        assert_eq!(province_in_year(&roster, "46", 2025).as_deref(), Some("46"));
        // Hà Giang (02) continues as Tuyên Quang (08) from 1/7/2025.
        assert_eq!(province_in_year(&roster, "02", 2025).as_deref(), Some("08"));
        assert_eq!(province_in_year(&roster, "02", 2024).as_deref(), Some("02"));
    }

    #[test]
    fn targets_are_met_or_missed_by_places_or_points() {
        // Thừa Thiên Huế's PAR INDEX 2021: 4th; "nhóm 10" is met with 6 places to spare.
        let top10 = GoalTarget::parse("nhóm 10 tỉnh dẫn đầu").unwrap();
        assert_eq!(
            outcome_of(top10, Some(89.32), Some(4)),
            TargetOutcome::Met { by: 6.0 }
        );
        // Its SIPAS 2021, 88.60 %: "≥ 90 %" is missed by 1.4 points.
        let ninety = GoalTarget::parse("≥ 90 %").unwrap();
        assert_eq!(
            outcome_of(ninety, Some(88.6), Some(17)),
            TargetOutcome::Missed { by: 1.4 }
        );
        assert_eq!(outcome_of(ninety, None, None), TargetOutcome::NoData);
    }

    #[test]
    fn a_target_is_checked_before_it_is_stored() {
        let catalogue = chiso_refdata::index_catalogue();
        let ok = check(
            &catalogue,
            "par",
            "2025",
            "nhóm 10 tỉnh dẫn đầu",
            " QĐ 3248 ",
        )
        .unwrap();
        assert_eq!(ok.year, 2025);
        assert_eq!(ok.document, "QĐ 3248");
        assert!(check(&catalogue, "par", "2025", "PAR INDEX: top 5", "").is_ok());
        let refused = check(&catalogue, "sipas", "20x5", "PAPI nhóm 20", "").unwrap_err();
        assert_eq!(
            refused,
            [
                TargetRefusal::Year {
                    text: "20x5".into()
                },
                TargetRefusal::OtherIndex {
                    named: "papi".into()
                }
            ]
        );
        let refused = check(&catalogue, "nope", "2025", "tăng", "").unwrap_err();
        assert!(matches!(
            refused.as_slice(),
            [
                TargetRefusal::UnknownIndex { .. },
                TargetRefusal::Goal(GoalError::NoTarget { .. })
            ]
        ));
    }
}
