//! What the results page shows beyond the published snapshot (docs/method.md §2.3, §2.11):
//! each group's components (the council's appraised points and each survey's points) with
//! their ranks, and each unit's change of index and places against the previous published
//! campaign, matched through the units' lineage (a unit formed by a merger is compared with
//! its predecessors' mean: an estimate, marked so).

use std::collections::HashMap;

use chiso_domain::campaign::CampaignState;
use chiso_domain::change::{
    Lineage, Predecessor, PreviousUnit, PreviousYear, YearOverYear, year_over_year,
};
use chiso_domain::components::{self, Component};
use chiso_domain::{Bands, Points, evaluate};
use chiso_store::assessments::{self, PublishedResults};
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::{StoreError, units};

use crate::state::AppState;

/// A unit's points and rank on each component of its group, in the group's component order.
pub type ComponentCells = Vec<(Points, u32)>;

/// The change of one unit against the previous campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitChange {
    /// Index change as published (rounded values' difference).
    pub index_change: Option<f64>,
    /// Places gained (positive) or lost; none for a merged unit.
    pub rank_change: Option<i64>,
    /// Compared with the mean of its predecessors (a merger): an estimate.
    pub estimate: bool,
}

/// One group's extras, keyed by unit id.
#[derive(Default)]
pub struct GroupExtras {
    /// The components with their maxima.
    pub components: Vec<(Component, Points)>,
    pub cells: HashMap<i64, ComponentCells>,
    pub changes: HashMap<i64, UnitChange>,
}

/// The extras of every group of `results` (by group name), and the previous campaign they
/// are compared with, if any.
pub async fn extras(
    state: &AppState,
    campaign: &CampaignRow,
    results: &PublishedResults,
) -> Result<(HashMap<String, GroupExtras>, Option<CampaignRow>), StoreError> {
    let db = &state.db;
    let bands = Bands::parse(&results.bands).unwrap_or_default();
    let mut by_group: HashMap<String, GroupExtras> = HashMap::new();
    for group in assessments::group_finals(db, campaign.id).await? {
        let framework = &group.stored.framework;
        let evaluation = evaluate(framework, group.inputs.clone(), &bands);
        let found = components::components(framework);
        let mut extras = GroupExtras::default();
        let mut columns: Vec<Vec<Points>> = vec![Vec::new(); found.len()];
        for unit in &evaluation.units {
            for (i, component) in found.iter().enumerate() {
                columns[i].push(components::component_points(framework, &unit.points, component).0);
            }
        }
        let ranks: Vec<Vec<u32>> = columns
            .iter()
            .map(|c| components::component_ranks(c))
            .collect();
        for (row, unit) in evaluation.units.iter().enumerate() {
            let id: i64 = unit.code.parse().unwrap_or_default();
            let cells = (0..found.len())
                .map(|i| (columns[i][row], ranks[i][row]))
                .collect();
            extras.cells.insert(id, cells);
        }
        let maxima = evaluation.units.first().map(|u| {
            found
                .iter()
                .map(|c| components::component_points(framework, &u.points, c).1)
                .collect::<Vec<_>>()
        });
        extras.components = found.into_iter().zip(maxima.unwrap_or_default()).collect();
        by_group.insert(group.unit_group.clone(), extras);
    }

    let previous = previous_published(state, campaign).await?;
    if let Some((_, earlier)) = &previous {
        let lineage = lineage(state).await?;
        for group in &results.groups {
            let Some(before) = earlier
                .groups
                .iter()
                .find(|g| g.unit_group == group.unit_group)
            else {
                continue;
            };
            let previous_year = PreviousYear::new(before.units.iter().map(|u| PreviousUnit {
                code: u.unit_id.to_string(),
                name: Some(u.unit_name.clone()),
                index: u.index_hundredths as f64 / 100.0,
                rank: u.rank,
                areas: Vec::new(),
            }));
            let extras = by_group.entry(group.unit_group.clone()).or_default();
            for unit in &group.units {
                let index = unit.index_hundredths as f64 / 100.0;
                let change = match year_over_year(
                    &unit.unit_id.to_string(),
                    index,
                    unit.rank,
                    &previous_year,
                    Some(&lineage),
                ) {
                    YearOverYear::Direct { change, .. } => UnitChange {
                        index_change: Some(change.index_change),
                        rank_change: Some(change.rank_change),
                        estimate: false,
                    },
                    YearOverYear::Merged(baseline) => UnitChange {
                        index_change: baseline.index_change,
                        rank_change: None,
                        estimate: true,
                    },
                    YearOverYear::None => continue,
                };
                extras.changes.insert(unit.unit_id, change);
            }
        }
    }
    Ok((by_group, previous.map(|(c, _)| c)))
}

/// The latest published campaign of an earlier year, with its results.
async fn previous_published(
    state: &AppState,
    campaign: &CampaignRow,
) -> Result<Option<(CampaignRow, PublishedResults)>, StoreError> {
    let earlier = campaigns::list(&state.db)
        .await?
        .into_iter()
        .filter(|c| c.year < campaign.year && c.state() == CampaignState::Published)
        .max_by_key(|c| (c.year, c.id));
    let Some(earlier) = earlier else {
        return Ok(None);
    };
    Ok(assessments::published_results(&state.db, earlier.id)
        .await?
        .map(|r| (earlier, r)))
}

/// The units' lineage by id (successor → predecessors with their weights).
async fn lineage(state: &AppState) -> Result<Lineage, StoreError> {
    let mut lineage = Lineage::new();
    for edge in units::lineage(&state.db).await? {
        lineage.add(
            &edge.successor_id.to_string(),
            Predecessor {
                code: edge.predecessor_id.to_string(),
                weight: edge.weight,
            },
        );
    }
    Ok(lineage)
}
