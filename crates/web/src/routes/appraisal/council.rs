use super::*;

// ── The council's list (/tham-dinh) ─────────────────────────────────────────────────────────

/// A sheet in the council's list, with the appraisal progress in the viewer's areas.
pub struct SheetLine {
    pub sheet_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub status: SheetStatus,
    pub status_label: &'static str,
    pub round: i64,
    /// Leaves the open round reviews in the viewer's areas, and how many are reviewed.
    pub in_scope: u32,
    pub reviewed: u32,
    /// Leaves flagged for explanation in the sheet's round.
    pub flagged: i64,
    pub percent: u32,
    pub self_total: String,
    pub appraised_total: String,
}

/// One campaign of the council's list.
pub struct CampaignBlock {
    pub campaign: CampaignRow,
    pub state_label: &'static str,
    pub open_round: Option<u32>,
    /// The sheets of the open round.
    pub in_round: Vec<SheetLine>,
    /// The other sheets that left the draft stage (read-only here).
    pub others: Vec<SheetLine>,
    pub panel: Option<Panel>,
}

#[derive(Template, WebTemplate)]
#[template(path = "appraisal/index.html")]
pub struct IndexPage {
    pub(super) page: Page,
    pub(super) blocks: Vec<CampaignBlock>,
    pub(super) staff: bool,
    /// The appraiser's areas as text; empty for every area.
    pub(super) areas: String,
    pub(super) error: Option<String>,
}

/// The leaves round `round` reviews on one sheet, in some areas, and how many are reviewed:
/// round 1 every leaf the unit assessed, a later round only the leaves flagged in the round
/// before (docs/method.md §2.5).
pub(super) fn round_progress(
    framework: &Framework,
    nodes: &HashMap<i64, NodeId>,
    marks: &[&RoundMark],
    round: i64,
    areas: Option<&[String]>,
) -> (u32, u32) {
    let flagged_before: BTreeSet<NodeId> = marks
        .iter()
        .filter(|m| m.stage == round - 1 && m.explanation_requested)
        .filter_map(|m| nodes.get(&m.node_id).copied())
        .collect();
    let reviewed: BTreeSet<NodeId> = marks
        .iter()
        .filter(|m| m.stage == round)
        .filter_map(|m| nodes.get(&m.node_id).copied())
        .collect();
    let mut in_scope = 0;
    let mut done = 0;
    for &leaf in framework.leaves() {
        if !appraisable(framework, leaf) || !rules::in_areas(framework, leaf, areas) {
            continue;
        }
        if round > 1 && !flagged_before.contains(&leaf) {
            continue;
        }
        in_scope += 1;
        if reviewed.contains(&leaf) {
            done += 1;
        }
    }
    (in_scope, done)
}

pub(super) async fn index_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    error: Option<String>,
) -> AppResult<IndexPage> {
    let staff = is_staff(principal);
    let appraiser = principal.has_role(Role::Appraiser);
    if !staff && !appraiser {
        return Err(AppError::Forbidden);
    }
    let lang = context.lang;
    let db = &state.db;
    let areas = if appraiser {
        appraiser_areas(principal)
    } else {
        None
    };
    let shown: &[CampaignState] = if staff {
        &[
            CampaignState::Open,
            CampaignState::Appraisal,
            CampaignState::Finalized,
        ]
    } else {
        &[CampaignState::Appraisal]
    };
    let mut blocks = Vec::new();
    for campaign in campaigns::list(db).await? {
        if !shown.contains(&campaign.state()) {
            continue;
        }
        let sheets = appraisal_queries::council_sheets(db, campaign.id).await?;
        let open = assessments::open_round_of(db, campaign.id).await?;
        let marks = match open {
            Some(round) => {
                appraisal_queries::round_marks(db, campaign.id, i64::from(round)).await?
            }
            None => Vec::new(),
        };
        let mut loaded: HashMap<i64, (Framework, HashMap<i64, NodeId>)> = HashMap::new();
        for sheet in &sheets {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                loaded.entry(sheet.framework_id)
            {
                let stored = frameworks::load(db, sheet.framework_id).await?;
                let nodes = node_map(&stored);
                slot.insert((stored.framework, nodes));
            }
        }
        let mut in_round = Vec::new();
        let mut others = Vec::new();
        for sheet in &sheets {
            let in_open_round = sheet.status == SheetStatus::InAppraisal
                && open.map(i64::from) == Some(sheet.current_round);
            let (in_scope, reviewed) = match (in_open_round, loaded.get(&sheet.framework_id)) {
                (true, Some((framework, nodes))) => {
                    let own: Vec<&RoundMark> = marks
                        .iter()
                        .filter(|m| m.sheet_id == sheet.sheet_id)
                        .collect();
                    round_progress(
                        framework,
                        nodes,
                        &own,
                        sheet.current_round,
                        areas.as_deref(),
                    )
                }
                _ => (0, 0),
            };
            let line = sheet_line(lang, sheet, in_scope, reviewed);
            // A sheet whose round reviews nothing in this appraiser's areas is not theirs to
            // score now (round 2 re-scores flagged leaves only).
            if in_open_round && in_scope > 0 {
                in_round.push(line);
            } else {
                others.push(line);
            }
        }
        let panel = panel(state, principal, lang, &campaign, "council").await?;
        blocks.push(CampaignBlock {
            state_label: state_label(lang, campaign.state()),
            open_round: open,
            in_round,
            others,
            panel: if staff { panel } else { None },
            campaign,
        });
    }
    Ok(IndexPage {
        page: Page::new(context, "appraisal.index_title"),
        blocks,
        staff,
        areas: areas.map(|a| a.join(", ")).unwrap_or_default(),
        error,
    })
}

pub(super) fn sheet_line(
    lang: Lang,
    sheet: &CouncilSheet,
    in_scope: u32,
    reviewed: u32,
) -> SheetLine {
    SheetLine {
        sheet_id: sheet.sheet_id,
        unit_code: sheet.unit_code.clone(),
        unit_name: sheet.unit_name.clone(),
        group: group_label(lang, &sheet.unit_group),
        status: sheet.status,
        status_label: status_label(lang, sheet.status),
        round: sheet.current_round,
        in_scope,
        reviewed,
        flagged: sheet.flagged,
        percent: (reviewed * 100).checked_div(in_scope).unwrap_or(0),
        self_total: stored_pts(lang, Some(sheet.self_total)),
        appraised_total: stored_pts(lang, Some(sheet.appraised_total)),
    }
}

/// The appraisers' work list: the campaigns in appraisal and the sheets of the open round,
/// with the progress in the appraiser's areas; the secretariat also gets the round control.
#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<IndexPage> {
    index_page(&state, &principal, &context, None).await
}
