//! Notifications: who is told what, and when deadline reminders are due.
//!
//! Every notice has a key unique per user. Writing it again does nothing, so the reminder
//! scheduler may run in every server process on one PostgreSQL database, as often as it likes,
//! and each person still gets each reminder once (docs/method.md §2.5). Events (a round
//! opened, a sheet returned, …) call [`to_units`] or [`to_roles`] from their use case.

use chiso_domain::notice::{NoticeKind, reminder_due};
use chiso_store::notifications::{self, NewNotice};
use chiso_store::{Db, StoreError};
use serde_json::json;

use super::Clock;

/// Writes the deadline reminders due today (7, 3 and 1 days before each deadline a unit still
/// owes, its extension in place of the campaign's date); returns how many are new.
pub async fn send_reminders(db: &Db, clock: &Clock) -> Result<u64, StoreError> {
    let today = clock.today();
    let notices: Vec<NewNotice> = notifications::open_deadlines(db)
        .await?
        .into_iter()
        .filter_map(|owed| {
            let days = reminder_due(owed.deadline, today)?;
            let stage = owed.stage;
            Some(NewNotice {
                user_id: owed.user_id,
                kind: NoticeKind::DeadlineSoon,
                // The deadline is part of the key: an extension's new date reminds again.
                key: format!(
                    "deadline:{}:{}:{}:{}:{}",
                    owed.campaign_id,
                    owed.unit_id,
                    stage.as_str(),
                    owed.deadline,
                    days
                ),
                args: json!({
                    "campaign": owed.campaign_title,
                    "unit": owed.unit_name,
                    "stage": stage.as_str(),
                    "deadline": owed.deadline.to_string(),
                    "days": days,
                }),
                link: Some(match owed.sheet_id {
                    Some(sheet) => format!("/tu-danh-gia/{sheet}"),
                    None => "/tu-danh-gia".to_string(),
                }),
            })
        })
        .collect();
    notifications::notify(db, &notices, clock.now()).await
}

/// Tells the editors and leaders of `unit_ids` about an event; `key` names the event (the
/// same key again is the same notice), `args` are the values its message is written with.
pub async fn to_units(
    db: &Db,
    clock: &Clock,
    kind: NoticeKind,
    key: &str,
    unit_ids: &[i64],
    args: serde_json::Value,
    link: Option<String>,
) -> Result<u64, StoreError> {
    let notices: Vec<NewNotice> = notifications::unit_people(db, unit_ids)
        .await?
        .into_iter()
        .map(|(user_id, unit_id)| NewNotice {
            user_id,
            kind,
            key: format!("{}:{key}:{unit_id}", kind.as_str()),
            args: args.clone(),
            link: link.clone(),
        })
        .collect();
    notifications::notify(db, &notices, clock.now()).await
}

/// Tells everyone holding one of `roles` (province-wide roles such as `appraiser`) about an
/// event.
pub async fn to_roles(
    db: &Db,
    clock: &Clock,
    kind: NoticeKind,
    key: &str,
    roles: &[&str],
    args: serde_json::Value,
    link: Option<String>,
) -> Result<u64, StoreError> {
    let notices: Vec<NewNotice> = notifications::role_holders(db, roles)
        .await?
        .into_iter()
        .map(|user_id| NewNotice {
            user_id,
            kind,
            key: format!("{}:{key}", kind.as_str()),
            args: args.clone(),
            link: link.clone(),
        })
        .collect();
    notifications::notify(db, &notices, clock.now()).await
}

/// An appraisal round opened: the appraisers and the campaign's units are told.
pub async fn round_opened(
    db: &Db,
    clock: &Clock,
    campaign_id: i64,
    round: u32,
) -> Result<u64, StoreError> {
    let (title, units) = notifications::campaign_audience(db, campaign_id).await?;
    let args = json!({ "campaign": title, "round": round });
    let key = format!("{campaign_id}:{round}");
    let link = Some(format!("/dot-danh-gia/{campaign_id}"));
    let to_appraisers = to_roles(
        db,
        clock,
        NoticeKind::RoundOpened,
        &key,
        &["appraiser", "secretariat"],
        args.clone(),
        Some("/tham-dinh".into()),
    )
    .await?;
    Ok(to_appraisers
        + to_units(db, clock, NoticeKind::RoundOpened, &key, &units, args, link).await?)
}

/// A round closed with leaves to explain: each unit asked to explain is told, with a link
/// to its sheet.
pub async fn explanations_requested(
    db: &Db,
    clock: &Clock,
    campaign_id: i64,
    round: u32,
) -> Result<u64, StoreError> {
    let title = notifications::campaign_title(db, campaign_id).await?;
    let mut written = 0;
    for (unit_id, unit_name, sheet_id) in notifications::explanation_units(db, campaign_id).await? {
        written += to_units(
            db,
            clock,
            NoticeKind::ExplanationRequested,
            &format!("{campaign_id}:{round}"),
            &[unit_id],
            json!({ "campaign": title, "unit": unit_name, "round": round }),
            Some(format!("/tu-danh-gia/{sheet_id}")),
        )
        .await?;
    }
    Ok(written)
}

/// A unit was granted an extension.
pub async fn extension_granted(
    db: &Db,
    clock: &Clock,
    campaign_id: i64,
    unit_id: i64,
    stage: chiso_domain::assessment::Stage,
    until: chrono::NaiveDate,
) -> Result<u64, StoreError> {
    let title = notifications::campaign_title(db, campaign_id).await?;
    let unit = notifications::unit_name(db, unit_id).await?;
    to_units(
        db,
        clock,
        NoticeKind::ExtensionGranted,
        &format!("{campaign_id}:{}:{until}", stage.as_str()),
        &[unit_id],
        json!({
            "campaign": title,
            "unit": unit,
            "stage": stage.as_str(),
            "deadline": until.to_string(),
        }),
        Some("/tu-danh-gia".into()),
    )
    .await
}

/// A sheet went back to its unit: the unit's editors and leader are told why and, when one was
/// given, by when to resubmit. Each return is its own notice (a sheet may come back twice).
pub async fn sheet_returned(
    db: &Db,
    clock: &Clock,
    sheet: &chiso_store::assessments::SheetRow,
    request: &chiso_store::assessments::SheetReturn,
) -> Result<u64, StoreError> {
    let title = notifications::campaign_title(db, sheet.campaign_id).await?;
    let unit = notifications::unit_name(db, sheet.unit_id).await?;
    to_units(
        db,
        clock,
        NoticeKind::SheetReturned,
        &format!("{}:{}", sheet.id, sheet.version),
        &[sheet.unit_id],
        json!({
            "campaign": title,
            "unit": unit,
            "reason": request.reason.trim(),
            "deadline": request.resubmit_by.map(|d| d.to_string()),
        }),
        Some(format!("/tu-danh-gia/{}", sheet.id)),
    )
    .await
}

/// A campaign's results were published: everyone who reads results is told.
pub async fn results_published(
    db: &Db,
    clock: &Clock,
    campaign_id: i64,
) -> Result<u64, StoreError> {
    let (title, units) = notifications::campaign_audience(db, campaign_id).await?;
    let args = json!({ "campaign": title });
    let key = campaign_id.to_string();
    let link = Some(format!("/dot-danh-gia/{campaign_id}/ket-qua"));
    let staff = to_roles(
        db,
        clock,
        NoticeKind::ResultsPublished,
        &key,
        &["admin", "secretariat", "appraiser", "viewer"],
        args.clone(),
        link.clone(),
    )
    .await?;
    Ok(staff
        + to_units(
            db,
            clock,
            NoticeKind::ResultsPublished,
            &key,
            &units,
            args,
            link,
        )
        .await?)
}
