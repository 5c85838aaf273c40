//! What it takes, and what if (GET /dot-danh-gia/{id}/ket-qua/don-vi/{unit}/muc-tieu).
//!
//! `?hang=3` or `?chi_so=90,5` asks for a target: the points needed (exactly, with the
//! ranking's rounding) and the leaves where they are most recoverable. `?mo_phong=1` with
//! `d{leaf id}=points` fields shows the unit's index, rank and classification with those
//! points, the other units as they stand; `?ap_dung=1` fills the simulator with the proposal.
//! Nothing is stored, so the forms are plain GET forms.

use chiso_domain::assessment::WorkflowError;
use chiso_domain::simulator::{Change, SimulationError};
use chiso_domain::weakness::{Target, TargetError};

use super::*;
use crate::describe::Describe;
use crate::routes::campaigns::shared::decimal_text;

/// A leaf the proposal recovers points on.
pub struct ProposalLine {
    pub code: String,
    pub title: String,
    pub method: &'static str,
    pub lost: String,
    pub full_marks: String,
}

/// The answer to a target.
pub struct TargetView {
    pub target_index: String,
    pub points_needed: String,
    pub met: bool,
    pub reachable: bool,
    pub recoverable: String,
    pub leaves: Vec<ProposalLine>,
    pub apply_href: String,
}

/// A leaf's row in the simulator.
pub struct SimLeaf {
    pub node_id: i64,
    pub code: String,
    pub title: String,
    pub max: String,
    pub current: String,
    pub value: String,
    pub lost: bool,
    pub changed: bool,
}

/// The unit after the simulated changes.
pub struct SimResult {
    pub points: String,
    pub index: String,
    pub rank: u32,
    pub classification: String,
    pub band: usize,
    /// Places gained (positive) or lost, and index points gained, signed.
    pub places: String,
    pub index_change: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "results/target.html")]
pub struct TargetPage {
    page: Page,
    s: Standing,
    unit_href: String,
    rank_field: String,
    index_field: String,
    target: Option<TargetView>,
    target_error: Option<String>,
    leaves: Vec<SimLeaf>,
    result: Option<SimResult>,
    sim_errors: Vec<String>,
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// The target the query names, or the refusal to show beside its field.
fn parse_target(lang: Lang, pairs: &[(String, String)]) -> Option<Result<Target, String>> {
    let rank = field(pairs, "hang");
    let index = field(pairs, "chi_so");
    if !rank.is_empty() {
        return Some(match rank.parse::<u32>() {
            Ok(r) if r >= 1 => Ok(Target::Rank(r)),
            _ => Err(i18n::fill(lang, "results.bad_rank", &[("value", &rank)])),
        });
    }
    if !index.is_empty() {
        return Some(match decimal_text(index).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Target::Index(v)),
            _ => Err(i18n::fill(lang, "results.bad_index", &[("value", &index)])),
        });
    }
    None
}

fn target_error(lang: Lang, error: &TargetError) -> String {
    match error {
        TargetError::RankZero(_) => i18n::fill(lang, "results.bad_rank", &[("value", &0)]),
        TargetError::IndexOutOfRange(v) => i18n::fill(
            lang,
            "results.bad_index",
            &[("value", &i18n::number(lang, *v, 2))],
        ),
    }
}

#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn page(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> AppResult<TargetPage> {
    let (campaign_id, unit_id) = ids.get()?;
    let s = UnitStanding::load(&state, &principal, campaign_id, unit_id).await?;
    let lang = context.lang;
    let outcome = s.outcome();
    let (target, target_error_text, proposal) =
        target_answer(lang, &s, &pairs, campaign_id, unit_id);
    // The simulator: every leaf of the tree (bonus and penalty too), with the points asked.
    let apply = field(&pairs, "ap_dung") == "1";
    let simulate = field(&pairs, "mo_phong") == "1" || apply;
    let (leaves, changes, mut sim_errors) =
        simulator_leaves(lang, &s, &pairs, &proposal, apply, simulate);
    let result = if simulate && sim_errors.is_empty() {
        match s.what_if(&changes) {
            Ok(after) => Some(SimResult {
                points: pts(lang, after.points.points),
                index: index_text(lang, after.index_hundredths),
                rank: after.rank,
                band: band_of(&s.bands, &after.classification),
                classification: after.classification,
                places: signed_int(outcome.rank as i64 - after.rank as i64),
                index_change: signed_hundredths(
                    lang,
                    after.index_hundredths - outcome.index_hundredths,
                ),
            }),
            Err(SimulationError::Score(error)) => {
                sim_errors.push(WorkflowError::Score(error).describe(lang));
                None
            }
            Err(SimulationError::UnknownUnit(_)) => return Err(crate::error::AppError::NotFound),
        }
    } else {
        None
    };

    let mut page = Page::new(&context, "results.target_title");
    let top = standing(lang, &s);
    page.title = format!("{} – {}", page.title, top.unit_name);
    Ok(TargetPage {
        page,
        unit_href: unit_path(campaign_id, unit_id),
        rank_field: field(&pairs, "hang").to_string(),
        index_field: field(&pairs, "chi_so").to_string(),
        target,
        target_error: target_error_text,
        leaves,
        result,
        sim_errors,
        s: top,
    })
}

fn signed_int(value: i64) -> String {
    if value > 0 {
        format!("+{value}")
    } else {
        value.to_string()
    }
}

fn signed_hundredths(lang: Lang, hundredths: i64) -> String {
    let text = i18n::number(lang, hundredths as f64 / 100.0, 2);
    if hundredths > 0 {
        format!("+{text}")
    } else {
        text
    }
}

/// The answer to the target the query names: what it takes, or why the target is refused;
/// and the proposal as changes, for the simulator.
fn target_answer(
    lang: Lang,
    s: &UnitStanding,
    pairs: &[(String, String)],
    campaign_id: i64,
    unit_id: i64,
) -> (Option<TargetView>, Option<String>, Vec<Change>) {
    let framework = s.framework();
    let (mut target, mut target_error_text) = (None, None);
    let mut proposal: Vec<Change> = Vec::new();
    match parse_target(lang, pairs) {
        Some(Ok(goal)) => match s.what_it_takes(goal) {
            Ok(taken) => {
                proposal = taken
                    .leaves
                    .iter()
                    .map(|loss| Change::recovering(framework, loss))
                    .collect();
                let recoverable = s.recoverable();
                let query: String = pairs
                    .iter()
                    .filter(|(k, _)| k == "hang" || k == "chi_so")
                    .map(|(k, v)| format!("{k}={}&", crate::error::urlencode(v)))
                    .collect();
                target = Some(TargetView {
                    target_index: index_text(lang, taken.target_index_hundredths),
                    points_needed: pts(lang, taken.points_needed),
                    met: taken.points_needed == Points::ZERO,
                    reachable: taken.reachable,
                    recoverable: pts(lang, taken.recoverable),
                    leaves: taken
                        .leaves
                        .iter()
                        .map(|loss| {
                            let node = framework.node(loss.leaf);
                            let found = recoverable.iter().find(|r| r.loss.leaf == loss.leaf);
                            ProposalLine {
                                code: node.code.clone(),
                                title: node.title.clone(),
                                method: i18n::text(lang, method_key(node.method)),
                                lost: pts(lang, loss.lost),
                                full_marks: found.map_or_else(String::new, |r| {
                                    format!("{}/{}", r.full_marks, r.units)
                                }),
                            }
                        })
                        .collect(),
                    apply_href: format!(
                        "{}?{query}ap_dung=1#simulator",
                        target_path(campaign_id, unit_id)
                    ),
                });
            }
            Err(error) => target_error_text = Some(target_error(lang, &error)),
        },
        Some(Err(text)) => target_error_text = Some(text),
        None => {}
    }

    (target, target_error_text, proposal)
}

/// Every leaf's row of the simulator, with the points asked (or the proposal's, or the
/// current ones); the changes they make, and the refusals of what does not read.
fn simulator_leaves(
    lang: Lang,
    s: &UnitStanding,
    pairs: &[(String, String)],
    proposal: &[Change],
    apply: bool,
    simulate: bool,
) -> (Vec<SimLeaf>, Vec<Change>, Vec<String>) {
    let framework = s.framework();
    let outcome = s.outcome();
    let by_node: std::collections::HashMap<_, i64> = assessments::node_index(&s.group.stored)
        .into_iter()
        .map(|(id, node)| (node, id))
        .collect();
    let mut changes: Vec<Change> = Vec::new();
    let mut sim_errors = Vec::new();
    let mut leaves = Vec::new();
    for &leaf in framework.leaves() {
        let node = framework.node(leaf);
        let Some(&node_id) = by_node.get(&leaf) else {
            continue;
        };
        let current = outcome.points.node_points[leaf];
        let asked = field(pairs, &format!("d{node_id}"));
        let value = if apply {
            proposal
                .iter()
                .find(|c| c.leaf == leaf)
                .map_or(current, |c| c.points)
        } else if simulate && !asked.is_empty() {
            match decimal_text(asked).parse::<Points>() {
                Ok(points) => points,
                Err(_) => {
                    sim_errors.push(i18n::fill(
                        lang,
                        "results.bad_points",
                        &[("code", &node.code), ("value", &asked)],
                    ));
                    current
                }
            }
        } else {
            current
        };
        if value != current {
            changes.push(Change {
                leaf,
                points: value,
            });
        }
        let lost = match node.method {
            Method::Penalty => current > Points::ZERO,
            Method::Bonus => false,
            _ => current < node.max_points,
        };
        leaves.push(SimLeaf {
            node_id,
            code: node.code.clone(),
            title: node.title.clone(),
            max: pts(lang, node.max_points),
            current: pts(lang, current),
            value: pts(lang, value),
            lost,
            changed: value != current,
        });
    }
    (leaves, changes, sim_errors)
}
