//! The agencies responsible for each dimension, sub-dimension or component of a national
//! index (docs/method.md §5.8): units of the system (the Văn phòng UBND tỉnh, the Sở Nội vụ…)
//! or every current unit of a kind (the communes as a group), as the Lạng Sơn and Ninh Thuận
//! plans assign PAPI. The improvement plans read them through [`of_index`] to propose tasks.

use std::collections::HashMap;

use chiso_domain::indices::{Catalogue, Dimension, Structure};
use chiso_domain::org::OrgKind;
use chiso_store::index_targets::{self, Agency, AgencyChange};
use chiso_store::units::{self, OrgUnit};
use chiso_store::{Actor, Db, StoreError};
use chrono::NaiveDate;

/// An agency as the pages and the plans read it.
#[derive(Clone, Debug, PartialEq)]
pub enum AgencyRef {
    Unit {
        id: i64,
        code: String,
        name: String,
    },
    /// Every current unit of the kind ("các xã, phường, đặc khu").
    Group(OrgKind),
}

/// The agencies of one item of one structure.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemAgencies {
    pub structure_id: String,
    pub code: String,
    pub agencies: Vec<AgencyRef>,
}

/// Every assignment of an index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexAgencies {
    pub index_id: String,
    pub items: Vec<ItemAgencies>,
}

impl IndexAgencies {
    /// The agencies of an item of a structure (none assigned: empty).
    pub fn of_item(&self, structure_id: &str, code: &str) -> &[AgencyRef] {
        self.items
            .iter()
            .find(|i| i.structure_id == structure_id && i.code == code)
            .map_or(&[], |i| i.agencies.as_slice())
    }
}

/// Why an assignment is not stored.
#[derive(Clone, Debug, PartialEq)]
pub enum AgencyRefusal {
    /// No such index, structure of it, or item of the structure.
    UnknownItem,
    /// A unit that does not exist or no longer exists (merged, closed).
    UnknownUnit { id: i64 },
}

fn agency_ref(agency: &Agency, units: &HashMap<i64, &OrgUnit>) -> Option<AgencyRef> {
    match agency {
        Agency::Unit(id) => units.get(id).map(|u| AgencyRef::Unit {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
        }),
        Agency::Kind(kind) => Some(AgencyRef::Group(*kind)),
    }
}

/// Every assignment of an index, units named (a unit deleted since is left out).
pub async fn of_index(db: &Db, index_id: &str) -> Result<IndexAgencies, StoreError> {
    let stored = index_targets::agencies_of_index(db, index_id).await?;
    let all = units::list(db).await?;
    let by_id: HashMap<i64, &OrgUnit> = all.iter().map(|u| (u.id, u)).collect();
    let items = stored
        .into_iter()
        .map(|item| ItemAgencies {
            agencies: item
                .agencies
                .iter()
                .filter_map(|a| agency_ref(a, &by_id))
                .collect(),
            structure_id: item.structure_id,
            code: item.measure,
        })
        .collect();
    Ok(IndexAgencies {
        index_id: index_id.to_string(),
        items,
    })
}

/// An item of a structure as the page lists it: a dimension or component (depth 0) followed by
/// its sub-dimensions (depth 1).
#[derive(Clone, Debug, PartialEq)]
pub struct ItemRow {
    pub code: String,
    pub title: String,
    pub title_en: String,
    pub depth: u8,
}

/// Whether an item's code is a number the publisher prints ("1", "1.2"), rather than a key of
/// the file format ("appraised", "sipas") that pages never show.
pub fn is_numbered(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_digit())
}

/// An item as a reader names it: "1.2 Tri thức công dân", or its title alone.
pub fn item_label(code: &str, title: &str) -> String {
    if is_numbered(code) {
        format!("{code} {title}")
    } else {
        title.to_string()
    }
}

/// The items of a structure in the publisher's order.
pub fn items(structure: &Structure) -> Vec<ItemRow> {
    let row = |d: &Dimension, depth| ItemRow {
        code: d.code.clone(),
        title: d.title.clone(),
        title_en: d.title_en.clone(),
        depth,
    };
    let mut rows = Vec::new();
    for dimension in structure.dimensions.iter().chain(&structure.components) {
        rows.push(row(dimension, 0));
        rows.extend(dimension.sub_dimensions.iter().map(|s| row(s, 1)));
    }
    rows
}

/// The structures of an index that have items to assign, the newest first.
pub fn structures<'a>(catalogue: &'a Catalogue, index_id: &str) -> Vec<&'a Structure> {
    let mut structures: Vec<&Structure> = catalogue
        .structures()
        .iter()
        .filter(|s| s.index == index_id && !s.dimensions.is_empty())
        .collect();
    structures.sort_by_key(|s| std::cmp::Reverse(s.years.from));
    structures
}

/// The kinds offered as groups, when current units of the kind exist.
const GROUP_KINDS: [OrgKind; 3] = [OrgKind::Department, OrgKind::District, OrgKind::Commune];

/// What an item can be assigned to: the current groups, then the current province-level
/// units and departments by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Choices {
    pub groups: Vec<OrgKind>,
    pub units: Vec<OrgUnit>,
}

pub async fn choices(db: &Db, today: NaiveDate) -> Result<Choices, StoreError> {
    let current: Vec<OrgUnit> = units::list(db)
        .await?
        .into_iter()
        .filter(|u| u.is_current_on(today))
        .collect();
    let groups = GROUP_KINDS
        .into_iter()
        .filter(|k| current.iter().any(|u| u.kind == *k))
        .collect();
    let mut units: Vec<OrgUnit> = current
        .into_iter()
        .filter(|u| matches!(u.kind, OrgKind::Province | OrgKind::Department))
        .collect();
    units.sort_by(|a, b| {
        (a.kind != OrgKind::Province, a.name.as_str())
            .cmp(&(b.kind != OrgKind::Province, b.name.as_str()))
    });
    Ok(Choices { groups, units })
}

/// How the audit log writes an item's agencies: "<structure> · <code> <title>: <names>", a
/// group as `@kind` (the audit page says its name).
fn audit_value(
    structure: &Structure,
    item: &ItemRow,
    agencies: &[Agency],
    units: &HashMap<i64, &OrgUnit>,
) -> Option<String> {
    if agencies.is_empty() {
        return None;
    }
    let names: Vec<String> = agencies
        .iter()
        .map(|a| match a {
            Agency::Unit(id) => units
                .get(id)
                .map_or_else(|| id.to_string(), |u| u.name.clone()),
            Agency::Kind(kind) => format!("@{}", kind.as_str()),
        })
        .collect();
    Some(format!(
        "{} · {}: {}",
        structure.title,
        item_label(&item.code, &item.title),
        names.join("; ")
    ))
}

/// Sets the agencies of one item of a structure of an index (replacing its earlier ones),
/// audited; whether anything changed.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    catalogue: &Catalogue,
    today: NaiveDate,
    (index_id, structure_id, code): (&str, &str, &str),
    agencies: &[Agency],
) -> Result<Result<bool, AgencyRefusal>, StoreError> {
    let Some(structure) = catalogue.get(structure_id).filter(|s| s.index == index_id) else {
        return Ok(Err(AgencyRefusal::UnknownItem));
    };
    let Some(item) = items(structure).into_iter().find(|i| i.code == code) else {
        return Ok(Err(AgencyRefusal::UnknownItem));
    };
    let all = units::list(db).await?;
    let by_id: HashMap<i64, &OrgUnit> = all.iter().map(|u| (u.id, u)).collect();
    for agency in agencies {
        if let Agency::Unit(id) = agency
            && !by_id.get(id).is_some_and(|u| u.is_current_on(today))
        {
            return Ok(Err(AgencyRefusal::UnknownUnit { id: *id }));
        }
    }
    let before = index_targets::agencies_of_index(db, index_id)
        .await?
        .into_iter()
        .find(|i| i.structure_id == structure_id && i.measure == code)
        .map(|i| i.agencies)
        .unwrap_or_default();
    let change = AgencyChange {
        index_id,
        structure_id,
        measure: code,
        agencies,
        old_label: audit_value(structure, &item, &before, &by_id),
        new_label: audit_value(structure, &item, agencies, &by_id),
    };
    Ok(Ok(index_targets::set_agencies(db, actor, &change).await?))
}
