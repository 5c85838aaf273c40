//! What each person should do next, for their home page: a unit's sheets with their deadlines
//! and requests, an appraiser's sheets waiting in the open rounds, the secretariat's next step
//! of each campaign with its checklist, and the published results. Draft campaigns are the
//! secretariat's (and administrators') only.

use chiso_domain::access::{Permission, Role};
use chiso_domain::assessment::{self as rules, CampaignStep, SheetStatus, Stage};
use chiso_domain::campaign::CampaignState;
use chiso_domain::wave::WaveState;
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::{Db, StoreError, assessments, surveys, units};
use chrono::NaiveDate;

use super::Clock;
use crate::auth::Principal;

/// A unit's sheet in a campaign, with what it owes next.
pub struct UnitTask {
    pub campaign: CampaignRow,
    pub unit_name: String,
    pub sheet_id: Option<i64>,
    pub status: SheetStatus,
    /// The self-assessment deadline that applies (the unit's extension, when granted).
    pub deadline: Option<NaiveDate>,
    /// Days until `deadline` (negative: past), while the sheet is a draft.
    pub days_left: Option<i64>,
    pub extended_until: Option<NaiveDate>,
    /// Leaves flagged for explanation, and how many are answered.
    pub flagged: i64,
    pub answered: i64,
}

/// An open round's sheets for an appraiser.
pub struct AppraiserTask {
    pub campaign: CampaignRow,
    pub round: u32,
    /// Sheets in the round with leaves still to review, of all the sheets in it.
    pub waiting: usize,
    pub in_round: usize,
}

/// A campaign's next step for the secretariat, with the counts of its checklist.
pub struct SecretariatTask {
    pub campaign: CampaignRow,
    pub step: Option<CampaignStep>,
    pub not_submitted: usize,
    /// Units still in draft after their deadline (extension included).
    pub late: usize,
    pub below_target: usize,
    /// Lines that block the step until decided.
    pub blocking: usize,
}

/// An open survey wave of one of the user's units: its link and QR code to print and display.
pub struct SurveyTask {
    pub wave_id: i64,
    pub wave_title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub closes_on: Option<NaiveDate>,
    pub responses: i64,
    pub target: Option<i64>,
}

/// Everything the home page shows.
pub struct Home {
    pub unit_tasks: Vec<UnitTask>,
    pub survey_tasks: Vec<SurveyTask>,
    pub appraiser_tasks: Vec<AppraiserTask>,
    pub secretariat_tasks: Vec<SecretariatTask>,
    pub published: Vec<CampaignRow>,
    /// The campaigns the user may see (drafts only for those who manage campaigns).
    pub campaigns: Vec<CampaignRow>,
}

/// The campaigns `principal` may see: drafts are the secretariat's only.
pub async fn visible_campaigns(
    db: &Db,
    principal: &Principal,
) -> Result<Vec<CampaignRow>, StoreError> {
    let all = campaigns::list(db).await?;
    let manager = principal.can(Permission::ManageCampaigns);
    Ok(all
        .into_iter()
        .filter(|c| manager || c.state() != CampaignState::Draft)
        .collect())
}

/// The secretariat's next step of a campaign in its current state.
async fn next_step(db: &Db, campaign: &CampaignRow) -> Result<Option<CampaignStep>, StoreError> {
    Ok(match campaign.state() {
        CampaignState::Open => Some(CampaignStep::OpenRound(1)),
        CampaignState::Appraisal => {
            let states = assessments::round_states(db, campaign.id).await?;
            let phases = assessments::phases(&states, campaign.appraisal_rounds);
            let rounds = campaign.appraisal_rounds.max(0) as u32;
            let next = (1..=rounds).find(|&r| {
                rules::check_open_round(Role::Secretariat, campaign.state(), &phases, rounds, r)
                    .is_ok()
            });
            match next {
                Some(round) => Some(CampaignStep::OpenRound(round)),
                None if rules::check_finalize(Role::Secretariat, campaign.state(), &phases)
                    .is_ok() =>
                {
                    Some(CampaignStep::Finalize)
                }
                None => None,
            }
        }
        CampaignState::Finalized => Some(CampaignStep::Publish),
        CampaignState::Draft | CampaignState::Published => None,
    })
}

/// The sheets of the user's units in the running campaigns, with what each owes next.
async fn unit_tasks(
    db: &Db,
    principal: &Principal,
    running: &[&CampaignRow],
    today: NaiveDate,
) -> Result<Vec<UnitTask>, StoreError> {
    let mut unit_tasks = Vec::new();
    let unit_ids: Vec<i64> = principal
        .roles
        .iter()
        .filter(|r| matches!(r.role, Role::UnitEditor | Role::UnitLeader))
        .filter_map(|r| r.unit_id)
        .collect();
    if !unit_ids.is_empty() {
        let all_units = units::list(db).await?;
        for campaign in running {
            let members = campaigns::units(db, campaign.id).await?;
            let extensions = assessments::extensions(db, campaign.id).await?;
            for unit_id in &unit_ids {
                let Some(member) = members.iter().find(|m| m.unit_id == *unit_id) else {
                    continue;
                };
                let sheet = assessments::find_sheet(db, campaign.id, *unit_id).await?;
                let status = sheet
                    .as_ref()
                    .map(|s| s.status())
                    .unwrap_or(SheetStatus::Draft);
                let extended_until = extensions
                    .iter()
                    .find(|e| e.unit_id == *unit_id && e.stage == Stage::SelfAssessment.as_str())
                    .map(|e| e.valid_until);
                let deadline = extended_until.or(campaign.self_assessment_deadline);
                unit_tasks.push(UnitTask {
                    campaign: (*campaign).clone(),
                    unit_name: all_units
                        .iter()
                        .find(|u| u.id == *unit_id)
                        .map(|u| u.name.clone())
                        .unwrap_or_else(|| member.unit_name.clone()),
                    sheet_id: sheet.as_ref().map(|s| s.id),
                    status,
                    days_left: (status == SheetStatus::Draft)
                        .then(|| deadline.map(|d| (d - today).num_days()))
                        .flatten(),
                    deadline,
                    extended_until,
                    flagged: sheet.as_ref().map(|s| s.flagged).unwrap_or(0),
                    answered: sheet.as_ref().map(|s| s.answered).unwrap_or(0),
                });
            }
        }
    }
    Ok(unit_tasks)
}

/// The open survey waves that include the user's units (as editor or leader).
async fn survey_tasks(db: &Db, principal: &Principal) -> Result<Vec<SurveyTask>, StoreError> {
    let unit_ids: Vec<i64> = principal
        .roles
        .iter()
        .filter(|r| matches!(r.role, Role::UnitEditor | Role::UnitLeader))
        .filter_map(|r| r.unit_id)
        .collect();
    let mut tasks = Vec::new();
    if unit_ids.is_empty() {
        return Ok(tasks);
    }
    for wave in surveys::list_waves(db).await? {
        if wave.state() != WaveState::Open {
            continue;
        }
        for unit in surveys::wave_units(db, wave.id).await? {
            if unit_ids.contains(&unit.unit_id) {
                tasks.push(SurveyTask {
                    wave_id: wave.id,
                    wave_title: wave.title.clone(),
                    unit_id: unit.unit_id,
                    unit_name: unit.unit_name.clone(),
                    closes_on: wave.closes_on,
                    responses: unit.responses,
                    target: unit.target_sample,
                });
            }
        }
    }
    Ok(tasks)
}

/// What `principal` has to do next, as of the clock's Vietnam date.
pub async fn load(db: &Db, clock: &Clock, principal: &Principal) -> Result<Home, StoreError> {
    let today = clock.today();
    let campaigns = visible_campaigns(db, principal).await?;
    let running: Vec<&CampaignRow> = campaigns
        .iter()
        .filter(|c| {
            matches!(
                c.state(),
                CampaignState::Open | CampaignState::Appraisal | CampaignState::Finalized
            )
        })
        .collect();
    let unit_tasks = unit_tasks(db, principal, &running, today).await?;
    let survey_tasks = survey_tasks(db, principal).await?;
    let mut appraiser_tasks = Vec::new();
    if principal.has_role(Role::Appraiser) {
        for campaign in &running {
            let Some(round) = assessments::open_round_of(db, campaign.id).await? else {
                continue;
            };
            let sheets = assessments::list_sheets(db, campaign.id).await?;
            let in_round: Vec<_> = sheets
                .iter()
                .filter(|s| s.status() == SheetStatus::InAppraisal)
                .collect();
            appraiser_tasks.push(AppraiserTask {
                campaign: (*campaign).clone(),
                round,
                waiting: in_round
                    .iter()
                    .filter(|s| s.round_reviewed < s.round_leaves)
                    .count(),
                in_round: in_round.len(),
            });
        }
    }
    let mut secretariat_tasks = Vec::new();
    if principal.can(Permission::ManageCampaigns) {
        for campaign in &running {
            let step = next_step(db, campaign).await?;
            let facts = assessments::campaign_facts(db, campaign, today).await?;
            let blocking = step
                .map(|s| rules::checklist(s, &facts).blocking().count())
                .unwrap_or(0);
            let drafts = facts
                .units
                .iter()
                .filter(|u| u.status == SheetStatus::Draft);
            secretariat_tasks.push(SecretariatTask {
                campaign: (*campaign).clone(),
                step,
                not_submitted: drafts.clone().count(),
                late: drafts.filter(|u| !u.self_deadline_ahead).count(),
                below_target: facts.units.iter().filter(|u| u.below_sample_target).count(),
                blocking,
            });
        }
    }
    let published = campaigns
        .iter()
        .filter(|c| c.state() == CampaignState::Published)
        .cloned()
        .collect();
    Ok(Home {
        unit_tasks,
        survey_tasks,
        appraiser_tasks,
        secretariat_tasks,
        published,
        campaigns,
    })
}
