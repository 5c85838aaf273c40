//! The units as `units.csv`'s columns (docs/formats.md, the units file, and §12.6): the units
//! current today, each after its parent, so that the file goes back through the import
//! ([`super::import`]) unchanged. Units merged away or closed before today are not in it: the
//! import describes the units as they stand, and a reused code names one unit at a time.

use std::collections::HashMap;

use chiso_store::units::{self, OrgUnit};
use chiso_store::{Db, StoreError};
use chrono::NaiveDate;

/// The file's columns, in order.
pub const COLUMNS: [&str; 7] = [
    "unit_code",
    "unit_name",
    "region",
    "kind",
    "parent_code",
    "valid_from",
    "valid_to",
];

/// The current units as rows of [`COLUMNS`], parents first, then by code.
pub async fn rows(db: &Db, today: NaiveDate) -> Result<Vec<[String; 7]>, StoreError> {
    Ok(ordered(&units::list(db).await?, today))
}

/// The rows of the units current on `today`, each after its parent, siblings by code.
pub fn ordered(all: &[OrgUnit], today: NaiveDate) -> Vec<[String; 7]> {
    let current: Vec<&OrgUnit> = all.iter().filter(|u| u.is_current_on(today)).collect();
    let by_id: HashMap<i64, &OrgUnit> = current.iter().map(|u| (u.id, *u)).collect();
    let mut children: HashMap<Option<i64>, Vec<&OrgUnit>> = HashMap::new();
    for unit in &current {
        // A parent that is not current leaves its child at the top.
        let parent = unit.parent_id.filter(|p| by_id.contains_key(p));
        children.entry(parent).or_default().push(unit);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    let mut rows = Vec::new();
    let mut stack: Vec<&OrgUnit> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(unit) = stack.pop() {
        let parent = unit.parent_id.and_then(|p| by_id.get(&p));
        rows.push([
            unit.code.clone(),
            unit.name.clone(),
            unit.region.clone().unwrap_or_default(),
            unit.kind.as_str().to_string(),
            parent.map(|p| p.code.clone()).unwrap_or_default(),
            unit.valid_from.format("%Y-%m-%d").to_string(),
            unit.valid_to
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ]);
        if let Some(list) = children.get(&Some(unit.id)) {
            stack.extend(list.iter().rev());
        }
    }
    rows
}
