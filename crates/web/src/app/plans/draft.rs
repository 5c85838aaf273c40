//! A plan drafted from results (docs/method.md §7.8): one solution group per source and one
//! proposed task per weak point, each saying why (`chiso_domain::plan::draft` decides what is
//! weak). The sources:
//! - a published campaign: per unit group, the leaves the units lost most on (the units that
//!   lost most named as coordinators);
//! - for a unit's plan, the unit's own losses in that campaign and the leaves "what it takes"
//!   selects for a target rank;
//! - the national indices: each dimension of the province's latest year in the bottom quarter,
//!   fallen 5 places or more, or below a value target of the index, led by the agencies
//!   responsible for it (`/chi-so-quoc-gia/co-quan-phu-trach`).
//!
//! The draft is stored at once as the plan, which the secretariat then edits.

use chiso_domain::evaluate;
use chiso_domain::plan::draft::{self, DimensionResult, LeafAcrossUnits, Why};
use chiso_domain::plan::{Deadline, GoalTarget};
use chiso_domain::weakness::{self, Target};
use chiso_domain::{Bands, Framework};
use chiso_store::assessments::{self, GroupFinals};
use chiso_store::index_targets;
use chiso_store::indices as store;
use chiso_store::plans::{DraftGroup, TaskFields, TaskTarget};
use chiso_store::{Db, StoreError};
use chrono::NaiveDate;

use crate::app::indices::agencies::{self, AgencyRef};
use crate::app::indices::standing::{self, Province, reference};
use crate::app::indices::targets::index_title;
use crate::error::AppResult;
use crate::i18n::{self, Lang};

/// What a draft is made from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// A published campaign.
    pub campaign_id: Option<i64>,
    /// The province's national indices (needs the configured province).
    pub indices: bool,
    /// A unit's own plan: the unit, and the rank it aims at in the campaign.
    pub unit: Option<(i64, Option<u32>)>,
}

/// The default deadline of a proposed task: before 20/12 every year, as the seeds write it.
fn default_deadline() -> Deadline {
    Deadline::parse("Trước ngày 20/12 hằng năm").expect("a deadline the rules read")
}

/// Why, in words, for the task's note.
pub fn why_words(lang: Lang, why: &Why) -> String {
    let n = |v: f64, d: usize| i18n::number(lang, v, d);
    match why {
        Why::LeafLost {
            share,
            full_marks,
            units,
        } => i18n::fill(
            lang,
            "plans.why_leaf_lost",
            &[
                ("share", &n(share * 100.0, 1)),
                ("full", full_marks),
                ("units", units),
            ],
        ),
        Why::UnitLost { lost, max } => i18n::fill(
            lang,
            "plans.why_unit_lost",
            &[("lost", &n(*lost, 2)), ("max", &n(*max, 2))],
        ),
        Why::NeededForRank { rank } => {
            i18n::fill(lang, "plans.why_needed_for_rank", &[("rank", rank)])
        }
        Why::BottomQuartile { rank, of } => i18n::fill(
            lang,
            "plans.why_bottom_quartile",
            &[("rank", rank), ("of", of)],
        ),
        Why::FellInRank { from, to } => {
            i18n::fill(lang, "plans.why_fell", &[("from", from), ("to", to)])
        }
        Why::BelowTarget { value, target } => i18n::fill(
            lang,
            "plans.why_below_target",
            &[("value", &n(*value, 2)), ("target", &n(*target, 2))],
        ),
        Why::BelowRankTarget { rank, target } => i18n::fill(
            lang,
            "plans.why_below_rank_target",
            &[("rank", rank), ("target", target)],
        ),
    }
}

fn task(
    title: String,
    lead: i64,
    coordinators: Vec<i64>,
    target: TaskTarget,
    today: NaiveDate,
    priority: i64,
) -> TaskFields {
    TaskFields {
        group_id: None,
        serves_task_id: None,
        title,
        product: String::new(),
        deadline: default_deadline(),
        priority,
        lead_unit_id: lead,
        division: None,
        coordinators: coordinators.into_iter().filter(|c| *c != lead).collect(),
        targets: vec![target],
        assigned_on: today,
    }
}

/// The group name of a campaign's unit group ("department" → "khối sở, ngành").
fn unit_group_words(lang: Lang, unit_group: &str) -> String {
    let key = format!("plans.unit_group_{unit_group}");
    let text = i18n::text(lang, &key);
    if text == key {
        unit_group.to_string()
    } else {
        text.to_string()
    }
}

/// Proposals from a campaign's groups, for the province's plan.
fn from_campaign(
    lang: Lang,
    groups: &[GroupFinals],
    bands: &Bands,
    owner: i64,
    today: NaiveDate,
) -> Vec<DraftGroup> {
    let mut out = Vec::new();
    for group in groups {
        let framework: &Framework = &group.stored.framework;
        let evaluation = evaluate(framework, group.inputs.clone(), bands);
        let across = weakness::weakest_leaves(framework, &evaluation);
        let leaves: Vec<LeafAcrossUnits> = across
            .iter()
            .map(|l| LeafAcrossUnits {
                code: framework.node(l.leaf).code.clone(),
                lost: l.lost.to_f64(),
                share: 1.0 - l.share / 100.0,
                full_marks: l.full_marks,
                units: l.units,
            })
            .collect();
        let mut tasks = Vec::new();
        for (leaf, why) in draft::weak_leaves(&leaves) {
            let Some(found) = across
                .iter()
                .find(|l| framework.node(l.leaf).code == leaf.code)
            else {
                continue;
            };
            let node = framework.node(found.leaf);
            let losses: Vec<(i64, f64)> = evaluation
                .units
                .iter()
                .filter_map(|u| {
                    let id = u.code.parse::<i64>().ok()?;
                    let lost = node.max_points.to_f64() - u.points.node_points[found.leaf].to_f64();
                    Some((id, lost))
                })
                .collect();
            let title = i18n::fill(
                lang,
                "plans.draft_leaf_task",
                &[("code", &node.code), ("title", &node.title)],
            );
            tasks.push(task(
                title,
                owner,
                draft::coordinators(&losses),
                TaskTarget {
                    kind: "leaf".into(),
                    index_id: format!("campaign:{}", group.unit_group),
                    code: node.code.clone(),
                    note: why_words(lang, &why),
                },
                today,
                1,
            ));
        }
        if !tasks.is_empty() {
            out.push(DraftGroup {
                title: i18n::fill(
                    lang,
                    "plans.draft_group_campaign",
                    &[("group", &unit_group_words(lang, &group.unit_group))],
                ),
                index_id: Some(format!("campaign:{}", group.unit_group)),
                tasks,
            });
        }
    }
    out
}

/// Proposals for a unit's own plan: its losses, the most recoverable first, and the leaves
/// it needs for the target rank.
fn for_unit(
    lang: Lang,
    groups: &[GroupFinals],
    bands: &Bands,
    unit: i64,
    rank: Option<u32>,
    today: NaiveDate,
) -> Vec<DraftGroup> {
    let Some(group) = groups.iter().find(|g| g.units.contains_key(&unit)) else {
        return Vec::new();
    };
    let framework = &group.stored.framework;
    let evaluation = evaluate(framework, group.inputs.clone(), bands);
    let key = unit.to_string();
    let Some(outcome) = evaluation.find(&key) else {
        return Vec::new();
    };
    let needed: Vec<_> = rank
        .and_then(|r| {
            weakness::what_it_takes(framework, &evaluation, outcome, Target::Rank(r)).ok()
        })
        .map(|w| w.leaves.iter().map(|l| l.leaf).collect())
        .unwrap_or_default();
    let mut tasks = Vec::new();
    for recoverable in weakness::recoverable(framework, &evaluation, outcome)
        .into_iter()
        .take(draft::LEAVES_PER_GROUP)
    {
        let loss = &recoverable.loss;
        let node = framework.node(loss.leaf);
        let why = match rank {
            Some(rank) if needed.contains(&loss.leaf) => Why::NeededForRank { rank },
            _ => Why::UnitLost {
                lost: loss.lost.to_f64(),
                max: loss.max_points.to_f64(),
            },
        };
        let title = i18n::fill(
            lang,
            "plans.draft_leaf_task",
            &[("code", &node.code), ("title", &node.title)],
        );
        let priority = if needed.contains(&loss.leaf) { 1 } else { 2 };
        tasks.push(task(
            title,
            unit,
            Vec::new(),
            TaskTarget {
                kind: "leaf".into(),
                index_id: format!("campaign:{}", group.unit_group),
                code: node.code.clone(),
                note: why_words(lang, &why),
            },
            today,
            priority,
        ));
    }
    if tasks.is_empty() {
        return Vec::new();
    }
    vec![DraftGroup {
        title: i18n::text(lang, "plans.draft_group_unit").to_string(),
        index_id: Some(format!("campaign:{}", group.unit_group)),
        tasks,
    }]
}

/// The lead and coordinators an item's responsible agencies give (a group of units is left to
/// the note: every commune would be too many coordinators).
fn agencies_of(assigned: &[AgencyRef], owner: i64) -> (i64, Vec<i64>) {
    let units: Vec<i64> = assigned
        .iter()
        .filter_map(|a| match a {
            AgencyRef::Unit { id, .. } => Some(*id),
            AgencyRef::Group(_) => None,
        })
        .collect();
    match units.split_first() {
        Some((lead, rest)) => (*lead, rest.to_vec()),
        None => (owner, Vec::new()),
    }
}

/// The targets set for the index from the year on (`/chi-so-quoc-gia/muc-tieu`): the first
/// value target in % (SIPAS ≥ 90 %) and the first rank target ("PAPI: nhóm 20").
async fn targets_of(db: &Db, index: &str, year: i64) -> Result<draft::Targets, StoreError> {
    let mut targets = draft::Targets::default();
    for stored in index_targets::targets(db).await? {
        if stored.index_id != index || stored.year < year {
            continue;
        }
        match GoalTarget::parse(&stored.target) {
            Ok(GoalTarget::AtLeast(v)) if v <= 100.0 && targets.value.is_none() => {
                targets.value = Some(v);
            }
            Ok(GoalTarget::Top(n)) if targets.rank.is_none() => targets.rank = Some(n),
            _ => {}
        }
    }
    Ok(targets)
}

/// Proposals from the province's standing on each national index, its latest year.
async fn from_indices(
    db: &Db,
    lang: Lang,
    province: &Province,
    owner: i64,
    today: NaiveDate,
) -> AppResult<Vec<DraftGroup>> {
    let reference = reference();
    let mut out = Vec::new();
    for index in reference.province_indices() {
        let years = store::current_years(db, index).await?;
        let Some(latest) = years.last() else {
            continue;
        };
        let year = latest.year as i32;
        let current = standing::index_year(db, index, year, Some(province)).await?;
        let Some(position) = current.positions.first() else {
            continue;
        };
        let previous = match years.iter().rev().nth(1) {
            Some(v) if v.year as i32 == year - 1 => {
                let before = standing::index_year(db, index, year - 1, Some(province)).await?;
                before.positions.first().cloned()
            }
            _ => None,
        };
        let targets = targets_of(db, index, latest.year).await?;
        let assigned = agencies::of_index(db, index).await?;
        let (index_vi, index_en) = index_title(&reference.catalogue, index, year);
        let index_words = if lang == Lang::En { index_en } else { index_vi };
        let mut tasks = Vec::new();
        for item in &position.weakest_dimensions {
            let previous_rank = previous.as_ref().and_then(|p| {
                p.weakest_dimensions
                    .iter()
                    .find(|d| d.item.code == item.item.code && d.of == item.of)
                    .and_then(|d| d.rank)
            });
            let result = DimensionResult {
                rank: item.rank,
                of: item.of,
                previous_rank,
                share: item.share,
            };
            let reasons = draft::dimension_reasons(&result, targets);
            if reasons.is_empty() {
                continue;
            }
            let note: Vec<String> = reasons.iter().map(|w| why_words(lang, w)).collect();
            let (lead, coordinators) = agencies_of(
                assigned.of_item(&current.structure.id, &item.item.code),
                owner,
            );
            let title_words = if lang == Lang::En {
                &item.item.title_en
            } else {
                &item.item.title
            };
            let title = i18n::fill(
                lang,
                "plans.draft_dimension_task",
                &[("title", title_words), ("index", &index_words)],
            );
            tasks.push(task(
                title,
                lead,
                coordinators,
                TaskTarget {
                    kind: "dimension".into(),
                    index_id: index.to_string(),
                    code: item.item.code.clone(),
                    note: note.join("; "),
                },
                today,
                1,
            ));
        }
        if !tasks.is_empty() {
            out.push(DraftGroup {
                title: i18n::fill(lang, "plans.draft_group_index", &[("index", &index_words)]),
                index_id: Some(index.to_string()),
                tasks,
            });
        }
    }
    Ok(out)
}

/// The groups and tasks of a draft. `owner` leads what no agency is responsible for yet.
pub async fn propose(
    db: &Db,
    lang: Lang,
    sources: &Sources,
    province: Option<&Province>,
    owner: i64,
    today: NaiveDate,
) -> AppResult<Vec<DraftGroup>> {
    let mut groups = Vec::new();
    if let Some(campaign_id) = sources.campaign_id {
        let campaign = chiso_store::campaigns::get(db, campaign_id).await?;
        let bands = Bands::parse(&campaign.bands).unwrap_or_default();
        let finals = assessments::group_finals(db, campaign_id).await?;
        match sources.unit {
            Some((unit, rank)) => groups.extend(for_unit(lang, &finals, &bands, unit, rank, today)),
            None => groups.extend(from_campaign(lang, &finals, &bands, owner, today)),
        }
    }
    if sources.indices
        && sources.unit.is_none()
        && let Some(province) = province
    {
        groups.extend(from_indices(db, lang, province, owner, today).await?);
    }
    // The tasks no result calls for (communication, inspections, ISO, staffing) go here.
    groups.push(DraftGroup {
        title: i18n::text(lang, "plans.draft_group_other").to_string(),
        index_id: None,
        tasks: Vec::new(),
    });
    Ok(groups)
}
