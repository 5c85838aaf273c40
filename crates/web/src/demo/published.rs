//! Last year's campaign in the demo, finished and published, so that the results pages, the
//! leadership dashboard, the public page and a unit's trend have something to show from the
//! first start: the same frameworks, departments and communes as this year's campaign, each
//! sheet self-assessed and submitted before last year's deadline, one appraisal round that
//! confirmed the self-assessment, finalized and published. No survey: the survey leaves are
//! waived with a reason, as the finalize checklist asks.

use chiso_domain::assessment::{Decision, Decisions};
use chrono::NaiveDate;
use futures_util::StreamExt;

use super::*;

/// Creates, fills, appraises, finalizes and publishes the campaign of `year`; its id.
pub(super) async fn seed_published(
    db: &Db,
    actor: &Actor,
    year: i64,
    framework_ids: &[(&str, i64)],
    departments: &[i64],
    communes: &[i64],
) -> anyhow::Result<i64> {
    let date = |month: u32, day: u32| NaiveDate::from_ymd_opt(year as i32, month, day);
    let campaign = campaigns::create(
        db,
        actor,
        &CampaignFields {
            year,
            title: format!("Chỉ số CCHC năm {year} của các sở, ngành và UBND cấp xã"),
            appraisal_rounds: 1,
            self_assessment_deadline: date(11, 30),
            explanation_deadline: date(12, 20),
            round_deadlines: vec![date(12, 15)],
            bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
        },
    )
    .await?;
    for (group, framework, units) in [
        ("department", "department-2025", departments),
        ("commune", "commune-2025", communes),
    ] {
        let framework_id = framework_ids
            .iter()
            .find(|(code, _)| *code == framework)
            .map(|(_, id)| *id);
        campaigns::set_framework(db, actor, campaign, group, framework_id).await?;
        campaigns::set_units(db, actor, campaign, group, units).await?;
    }
    let reason = Some("dữ liệu minh họa");
    campaigns::transition(db, actor, campaign, CampaignState::Open, reason).await?;
    assessments::ensure_sheets(db, actor, campaign).await?;
    let entered = date(11, 20).expect("a date of the year");
    let mut decisions = Decisions {
        survey_waiver: Some("Năm minh họa: không tổ chức khảo sát".into()),
        ..Decisions::default()
    };
    // The sheets are filled side by side (on PostgreSQL each save is its own commit: eight at
    // a time start the demo in a third of the time; SQLite takes them one after another).
    let sheets = assessments::list_sheets(db, campaign).await?;
    let filled = futures_util::stream::iter(sheets.iter().enumerate())
        .map(|(index, sheet)| async move {
            // Last year's strengths differ from this year's, so the changes have something to say.
            let fill = Fill {
                strength: 55 + (index * 53 % 40) as u64,
                seed: index as u64 + 17,
                explain_all: true,
            };
            fill_sheet(db, actor, sheet, entered, &fill).await?;
            let current = assessments::get_sheet(db, sheet.id).await?;
            assessments::submit(
                db,
                actor,
                Role::UnitLeader,
                sheet.id,
                current.version,
                entered,
            )
            .await?;
            Ok::<i64, StoreError>(sheet.unit_id)
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    for unit in filled {
        decisions
            .units
            .insert(unit?, (Decision::Accept, "Chấp nhận".into()));
    }
    let secretariat = Role::Secretariat;
    assessments::open_round(db, actor, secretariat, campaign, 1, reason).await?;
    assessments::close_round(db, actor, secretariat, campaign, 1, reason).await?;
    let today = assessments::today_in_vietnam();
    assessments::finalize(
        db,
        actor,
        secretariat,
        campaign,
        today,
        "Chốt kết quả",
        &decisions,
    )
    .await?;
    assessments::publish(db, actor, secretariat, campaign, Some("Công bố kết quả")).await?;
    Ok(campaign)
}
