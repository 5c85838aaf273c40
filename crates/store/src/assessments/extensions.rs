use super::*;

/// An extension to grant.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtensionGrant {
    pub unit_id: i64,
    pub stage: Stage,
    /// The last day of entry.
    pub until: NaiveDate,
    pub reason: String,
}

/// The secretariat grants a unit an extension for a stage, with a reason (the extension is
/// itself recorded). Granting again replaces the date; both dates go to the audit log.
pub async fn grant_extension(
    db: &Db,
    actor: &Actor,
    role: Role,
    campaign_id: i64,
    grant: &ExtensionGrant,
) -> Result<Extension, StoreError> {
    let ExtensionGrant {
        unit_id,
        stage,
        until,
        ref reason,
    } = *grant;
    let campaign = campaigns::get(db, campaign_id).await?;
    rules::check_campaign_action(role, SheetAction::GrantExtension, campaign.state())
        .map_err(invalid)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(rules::WorkflowError::ExtensionWithoutReason.into());
    }
    let deadline = match stage {
        Stage::SelfAssessment => campaign.self_assessment_deadline,
        Stage::Explanation => campaign.explanation_deadline,
    };
    if let Some(deadline) = deadline
        && until <= deadline
    {
        return Err(rules::WorkflowError::ExtensionBeforeDeadline { deadline }.into());
    }
    if !campaigns::units(db, campaign_id)
        .await?
        .iter()
        .any(|u| u.unit_id == unit_id)
    {
        return Err(rules::WorkflowError::UnitNotInCampaign { unit_id }.into());
    }
    let old = extension_for(db, campaign_id, unit_id, stage).await?;
    let sql = format!("{UPSERT_EXTENSION} RETURNING {EXTENSION_COLUMNS}");
    in_transaction!(db, tx => {
        let saved = sqlx::query_as::<_, Extension>(&sql)
            .bind(campaign_id)
            .bind(unit_id)
            .bind(stage.as_str())
            .bind(until)
            .bind(reason)
            .bind(actor.id)
            .bind(&actor.name)
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("grant_extension", "extension", saved.id)
            .change(&format!("{stage}.until"), old.as_ref().map(|o| o.valid_until.to_string()), Some(until.to_string()))
            .reason(Some(reason))
            .campaign(campaign_id)
            .unit(Some(unit_id))).await?;
        Ok(saved)
    })
}
