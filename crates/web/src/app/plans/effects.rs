//! What a plan's tasks moved (docs/method.md §7.10): for each criterion, factor or dimension a
//! task targets, its result before the plan and at the latest publication after it; and the
//! plan's goals against the results of their year.
//!
//! - A campaign leaf (`campaign:<unit group>`): before is the campaign the plan was drafted
//!   from (else the latest published before the plan's year), after the latest published
//!   campaign of the plan's year or later. The value is the units' mean points on the leaf
//!   (a unit's plan: the unit's own points), with its share of the leaf's maximum.
//! - A national index's dimension: before is the year before the plan's, after the latest year
//!   from the plan's on; value and rank of the province.

use std::collections::HashMap;

use chiso_domain::campaign::CampaignState;
use chiso_domain::evaluation::Evaluation;
use chiso_domain::plan::{Goal, GoalOutcome};
use chiso_domain::{Bands, Framework, evaluate};
use chiso_store::assessments;
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::indices as store;
use chiso_store::plans::{GoalRow, TaskTarget};
use chiso_store::{Db, StoreError};

use super::PlanContext;
use crate::app::indices::standing::{self, Province, reference};
use crate::app::indices::targets::province_result;
use crate::error::AppResult;

/// A result at one publication.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// The campaign's title or the index's year.
    pub source: String,
    pub value: f64,
    /// The value in % of its maximum, when the maximum is known.
    pub share: Option<f64>,
    pub rank: Option<u32>,
    pub of: usize,
}

/// A target's before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    pub task_id: i64,
    pub target: TaskTarget,
    /// The item's title ("Công khai, minh bạch"), empty when not found.
    pub title: String,
    pub before: Option<Measure>,
    pub after: Option<Measure>,
}

impl Effect {
    /// The change in points of share (or of value when no maximum is known), after − before.
    pub fn change(&self) -> Option<f64> {
        let (before, after) = (self.before.as_ref()?, self.after.as_ref()?);
        match (before.share, after.share) {
            (Some(b), Some(a)) => Some(a - b),
            _ => Some(after.value - before.value),
        }
    }

    /// Places gained (positive) or lost, when both ranks are among as many units.
    pub fn places(&self) -> Option<i64> {
        let (before, after) = (self.before.as_ref()?, self.after.as_ref()?);
        match (before.rank, after.rank) {
            (Some(b), Some(a)) if before.of == after.of => Some(i64::from(b) - i64::from(a)),
            _ => None,
        }
    }
}

/// A campaign evaluated, per unit group.
struct Evaluated {
    campaign: CampaignRow,
    groups: Vec<(String, Framework, Evaluation)>,
}

async fn evaluated(db: &Db, campaign: CampaignRow) -> Result<Evaluated, StoreError> {
    let bands = Bands::parse(&campaign.bands).unwrap_or_default();
    let groups = assessments::group_finals(db, campaign.id)
        .await?
        .into_iter()
        .map(|g| {
            let evaluation = evaluate(&g.stored.framework, g.inputs.clone(), &bands);
            (g.unit_group, g.stored.framework, evaluation)
        })
        .collect();
    Ok(Evaluated { campaign, groups })
}

/// A leaf's measure in a campaign: the units' mean (or one unit's) points.
fn leaf_measure(
    evaluated: &Evaluated,
    unit_group: &str,
    code: &str,
    unit: Option<i64>,
) -> Option<(String, Measure)> {
    // A leaf named without its unit group ("campaign:") is looked for in every group.
    let (framework, evaluation, leaf) = evaluated
        .groups
        .iter()
        .filter(|(g, _, _)| unit_group.is_empty() || g == unit_group)
        .find_map(|(_, framework, evaluation)| {
            let leaf = framework
                .leaves()
                .iter()
                .copied()
                .find(|l| framework.node(*l).code == code)?;
            Some((framework, evaluation, leaf))
        })?;
    let node = framework.node(leaf);
    let max = node.max_points.to_f64();
    let outcomes: Vec<_> = match unit {
        Some(unit) => evaluation.find(&unit.to_string()).into_iter().collect(),
        None => evaluation.units.iter().collect(),
    };
    if outcomes.is_empty() {
        return None;
    }
    let value = outcomes
        .iter()
        .map(|u| u.points.node_points[leaf].to_f64())
        .sum::<f64>()
        / outcomes.len() as f64;
    Some((
        node.title.clone(),
        Measure {
            source: evaluated.campaign.title.clone(),
            value,
            share: (max > 0.0).then(|| value / max * 100.0),
            rank: None,
            of: outcomes.len(),
        },
    ))
}

/// A dimension's measure for the province in an index's year.
async fn dimension_measure(
    db: &Db,
    cache: &mut HashMap<(String, i32), Option<standing::IndexYear>>,
    province: &Province,
    index: &str,
    year: i32,
    code: &str,
) -> AppResult<Option<(String, Measure)>> {
    let key = (index.to_string(), year);
    if !cache.contains_key(&key) {
        let loaded = standing::index_year(db, index, year, Some(province))
            .await
            .ok();
        cache.insert(key.clone(), loaded);
    }
    let Some(Some(view)) = cache.get(&key) else {
        return Ok(None);
    };
    let Some(position) = view.positions.first() else {
        return Ok(None);
    };
    let Some(item) = position
        .weakest_dimensions
        .iter()
        .find(|d| d.item.code == code)
    else {
        return Ok(None);
    };
    Ok(Some((
        item.item.title.clone(),
        Measure {
            source: year.to_string(),
            value: item.value,
            share: item.share,
            rank: item.rank,
            of: item.of,
        },
    )))
}

/// The published campaigns before and after the plan.
async fn campaigns_around(
    db: &Db,
    context: &PlanContext,
) -> Result<(Option<CampaignRow>, Option<CampaignRow>), StoreError> {
    let published: Vec<CampaignRow> = campaigns::list(db)
        .await?
        .into_iter()
        .filter(|c| c.state() == CampaignState::Published)
        .collect();
    let year = context.plan.year;
    let before = match context.plan.campaign_id {
        Some(id) => published.iter().find(|c| c.id == id).cloned(),
        None => published
            .iter()
            .filter(|c| c.year < year)
            .max_by_key(|c| (c.year, c.id))
            .cloned(),
    };
    let after = published
        .iter()
        .filter(|c| c.year >= year && Some(c.id) != before.as_ref().map(|b| b.id))
        .max_by_key(|c| (c.year, c.id))
        .cloned();
    Ok((before, after))
}

/// Every target of every task with its before and after.
pub async fn effects(
    db: &Db,
    context: &PlanContext,
    province: Option<&Province>,
) -> AppResult<Vec<Effect>> {
    let (before_campaign, after_campaign) = campaigns_around(db, context).await?;
    let before_eval = match before_campaign {
        Some(c) => Some(evaluated(db, c).await?),
        None => None,
    };
    let after_eval = match after_campaign {
        Some(c) => Some(evaluated(db, c).await?),
        None => None,
    };
    let unit = (!context.is_provincial()).then_some(context.plan.owner_unit_id);
    let year = context.plan.year as i32;
    let mut cache = HashMap::new();
    let mut latest_years: HashMap<String, Option<i32>> = HashMap::new();
    let mut out = Vec::new();
    for task in &context.tasks {
        for target in &task.targets {
            let (mut title, mut before, mut after) = (String::new(), None, None);
            if let Some(unit_group) = target.index_id.strip_prefix("campaign:") {
                let at = |e: &Option<Evaluated>| {
                    e.as_ref()
                        .and_then(|e| leaf_measure(e, unit_group, &target.code, unit))
                };
                if let Some((t, m)) = at(&before_eval) {
                    title = t;
                    before = Some(m);
                }
                if let Some((t, m)) = at(&after_eval) {
                    title = t;
                    after = Some(m);
                }
            } else if target.kind == "dimension"
                && let Some(province) = province
            {
                if !latest_years.contains_key(&target.index_id) {
                    let years = store::current_years(db, &target.index_id).await?;
                    let latest = years
                        .iter()
                        .map(|v| v.year as i32)
                        .filter(|y| *y >= year)
                        .max();
                    latest_years.insert(target.index_id.clone(), latest);
                }
                let index = &target.index_id;
                if let Some((t, m)) =
                    dimension_measure(db, &mut cache, province, index, year - 1, &target.code)
                        .await?
                {
                    title = t;
                    before = Some(m);
                }
                if let Some(Some(latest)) = latest_years.get(index).copied()
                    && let Some((t, m)) =
                        dimension_measure(db, &mut cache, province, index, latest, &target.code)
                            .await?
                {
                    title = t;
                    after = Some(m);
                }
            }
            out.push(Effect {
                task_id: task.id,
                target: target.clone(),
                title,
                before,
                after,
            });
        }
    }
    Ok(out)
}

/// A task's effect for sorting: the best change among its targets (none measured: last).
pub fn task_effect(effects: &[Effect], task_id: i64) -> Option<f64> {
    effects
        .iter()
        .filter(|e| e.task_id == task_id)
        .filter_map(Effect::change)
        .max_by(f64::total_cmp)
}

/// A goal against the province's result of its year.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalStatus {
    pub goal: GoalRow,
    pub value: Option<f64>,
    pub rank: Option<u32>,
    pub ranked: Option<usize>,
    pub outcome: GoalOutcome,
}

pub async fn goals(
    db: &Db,
    context: &PlanContext,
    province_code: Option<&str>,
) -> Result<Vec<GoalStatus>, StoreError> {
    let reference = reference();
    let mut out = Vec::new();
    for goal in &context.goals {
        let (value, rank, ranked) = province_result(
            db,
            &reference.catalogue,
            &reference.roster,
            province_code,
            &goal.goal.index,
            goal.year as i32,
        )
        .await?;
        let checked = Goal {
            index: goal.goal.index.clone(),
            target: goal.goal.target,
        };
        out.push(GoalStatus {
            goal: goal.clone(),
            value,
            rank,
            ranked,
            outcome: checked.check(value, rank),
        });
    }
    Ok(out)
}

/// Each unit's campaign index before and after the plan (the campaigns around it, as for the
/// effects), for the emulation table.
pub async fn unit_indices(
    db: &Db,
    context: &PlanContext,
) -> Result<HashMap<i64, (Option<f64>, Option<f64>)>, StoreError> {
    let (before, after) = campaigns_around(db, context).await?;
    let mut out: HashMap<i64, (Option<f64>, Option<f64>)> = HashMap::new();
    for (campaign, after_side) in [(before, false), (after, true)] {
        let Some(campaign) = campaign else { continue };
        let evaluated = evaluated(db, campaign).await?;
        for (_, _, evaluation) in &evaluated.groups {
            for unit in &evaluation.units {
                let Ok(id) = unit.code.parse::<i64>() else {
                    continue;
                };
                let index = unit.index_hundredths as f64 / 100.0;
                let entry = out.entry(id).or_default();
                if after_side {
                    entry.1 = Some(index);
                } else {
                    entry.0 = Some(index);
                }
            }
        }
    }
    Ok(out)
}
