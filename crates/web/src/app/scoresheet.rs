//! A unit's detailed scoresheet, for its workbook (docs/formats.md §12.2): every leaf's
//! self-assessed points, each appraisal round's points and comment, and its final points,
//! with the sums of every node. The reader is whoever may read the sheet
//! ([`SheetContext::load`]), and sees what the sheet's page shows them: a round's appraisal
//! once the round is closed (every round once the campaign is finalized), final points once
//! the sheet is finalized.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chiso_domain::assessment::{RoundPhase, SheetStatus};
use chiso_domain::campaign::CampaignState;
use chiso_domain::{NodeId, Points, ScoreSheet, UnitPoints, compute_unit};
use chiso_store::assessments;

use crate::app::sheet_context::SheetContext;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::state::AppState;

/// What the sheet holds for one leaf, as the reader may see it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeafLine {
    pub self_points: Option<Points>,
    /// Points set in each visible round (`None`: the round only commented).
    pub rounds: BTreeMap<i64, Option<Points>>,
    /// The council's comments, by round.
    pub comments: BTreeMap<i64, String>,
    pub final_points: Option<Points>,
}

/// The scoresheet of one unit in one campaign.
pub struct Scoresheet {
    pub context: SheetContext,
    /// The appraisal rounds shown, in order.
    pub rounds: Vec<i64>,
    /// Whether a round the sheet took part in is still open (its points are not shown).
    pub rounds_hidden: bool,
    pub leaves: HashMap<NodeId, LeafLine>,
    /// Every node's self-assessed points summed.
    pub self_points: UnitPoints,
    /// Every node's final points summed, once the sheet is finalized.
    pub final_points: Option<UnitPoints>,
}

impl Scoresheet {
    /// Loads the sheet for a reader (Forbidden when they may not read it, NotFound when there
    /// is no such sheet).
    pub async fn load(
        state: &AppState,
        principal: &Principal,
        sheet_id: i64,
    ) -> AppResult<Scoresheet> {
        let context = SheetContext::load(state, principal, sheet_id).await?;
        let db = &state.db;
        let scope = &context.scope;
        let framework = scope.framework();
        let contents = assessments::sheet_contents(db, sheet_id).await?;
        let all_visible = matches!(
            scope.campaign.state(),
            CampaignState::Finalized | CampaignState::Published
        );
        let closed: BTreeSet<i64> = if scope.sheet.current_round == 0 {
            BTreeSet::new()
        } else {
            assessments::round_states(db, scope.campaign.id)
                .await?
                .into_iter()
                .filter(|r| r.state == RoundPhase::Closed)
                .map(|r| r.round_no)
                .collect()
        };
        let visible = |stage: i64| stage > 0 && (all_visible || closed.contains(&stage));
        let finals = if context.status() == SheetStatus::Finalized {
            Some(assessments::final_scores(db, sheet_id).await?)
        } else {
            None
        };

        let mut leaves: HashMap<NodeId, LeafLine> = HashMap::new();
        let mut rounds = BTreeSet::new();
        let mut rounds_hidden = false;
        for row in &contents.rows {
            let Some(&node) = scope.node_index.get(&row.node_id) else {
                continue;
            };
            let line = leaves.entry(node).or_default();
            if row.stage == 0 {
                line.self_points = row.points();
            } else if visible(row.stage) {
                rounds.insert(row.stage);
                line.rounds.insert(row.stage, row.points());
                if let Some(comment) = row.comment.as_ref().filter(|c| !c.trim().is_empty()) {
                    line.comments.insert(row.stage, comment.clone());
                }
            } else {
                rounds_hidden = true;
            }
        }
        if let Some(finals) = &finals {
            for (node_id, points) in finals {
                if let Some(&node) = scope.node_index.get(node_id) {
                    leaves.entry(node).or_default().final_points = Some(*points);
                }
            }
        }
        let sum = |pick: &dyn Fn(&LeafLine) -> Option<Points>| {
            let mut sheet = ScoreSheet::new(framework);
            for (&leaf, line) in &leaves {
                if let Some(points) = pick(line) {
                    // Stored values passed the same checks when they were saved.
                    let _ = sheet.set(framework, leaf, points);
                }
            }
            compute_unit(framework, &sheet)
        };
        let self_points = sum(&|l| l.self_points);
        let final_points = finals.is_some().then(|| sum(&|l| l.final_points));
        Ok(Scoresheet {
            rounds: rounds.into_iter().collect(),
            rounds_hidden,
            leaves,
            self_points,
            final_points,
            context,
        })
    }
}
