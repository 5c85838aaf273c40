use super::*;

// ── List ────────────────────────────────────────────────────────────────────────────────────

/// What the unit is asked to do now, in words.
pub(super) fn asked(
    lang: Lang,
    today: NaiveDate,
    row: &sheet_queries::UnitSheetRow,
) -> (String, bool) {
    let status = row.status;
    let campaign = row.campaign_state;
    let effective =
        |deadline: Option<NaiveDate>, extension: Option<NaiveDate>| match (deadline, extension) {
            (Some(d), Some(e)) if e > d => Some(e),
            (d, _) => d,
        };
    match status {
        SheetStatus::Draft
            if matches!(campaign, CampaignState::Open | CampaignState::Appraisal) =>
        {
            let due = effective(row.self_assessment_deadline, row.self_extension);
            if due.is_some_and(|d| today > d) {
                return (t(lang, "assessment.ask_late"), true);
            }
            let left = row.leaves_total - row.leaves_filled;
            let text = if left > 0 || row.unexplained > 0 {
                t(lang, "assessment.ask_fill")
                    .replace("{left}", &left.to_string())
                    .replace("{unexplained}", &row.unexplained.to_string())
            } else {
                t(lang, "assessment.ask_submit")
            };
            let text = match due {
                Some(d) => format!(
                    "{} {}",
                    text,
                    t(lang, "assessment.ask_before").replace("{date}", &i18n::date(d))
                ),
                None => text,
            };
            (text, false)
        }
        SheetStatus::Draft => (t(lang, "assessment.ask_closed"), false),
        SheetStatus::ExplanationRequested => {
            let due = effective(row.explanation_deadline, row.explanation_extension);
            let text = t(lang, "assessment.ask_explain").replace("{n}", &row.flagged.to_string());
            let text = match due {
                Some(d) => format!(
                    "{} {}",
                    text,
                    t(lang, "assessment.ask_before").replace("{date}", &i18n::date(d))
                ),
                None => format!("{text}."),
            };
            let text = format!(
                "{text} {}",
                t(lang, "assessment.ask_answered")
                    .replace("{answered}", &row.answered.to_string())
                    .replace("{total}", &row.flagged.to_string())
            );
            // Due or overdue, an open request is what the unit must do now.
            (text, true)
        }
        other => (
            t(lang, &format!("assessment.ask_{}", other.as_str())),
            false,
        ),
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    require_any(&principal, EDIT_ROLES)?;
    let lang = context.lang;
    let db = &state.db;
    let all_units = units::list(db).await?;
    let mine = own_units(&principal, &all_units);
    // Sheets are created lazily: a unit taking part in a campaign that is open (or already in
    // appraisal, for a late unit with an extension) gets its sheet on its first visit.
    for campaign in chiso_store::campaigns::list(db).await? {
        if !matches!(
            campaign.state(),
            CampaignState::Open | CampaignState::Appraisal
        ) {
            continue;
        }
        let participants = chiso_store::campaigns::units(db, campaign.id).await?;
        for unit in participants.iter().filter(|u| mine.contains(&u.unit_id)) {
            if assessments::find_sheet(db, campaign.id, unit.unit_id)
                .await?
                .is_none()
            {
                assessments::sheet_for_unit(db, &principal.actor(), campaign.id, unit.unit_id)
                    .await?;
            }
        }
    }
    let rows = sheet_queries::unit_sheets(db, &mine)
        .await?
        .into_iter()
        .map(|row| {
            let (asked, urgent) = asked(lang, today(&state), &row);
            let status = row.status;
            let explaining = matches!(
                status,
                SheetStatus::ExplanationRequested | SheetStatus::ExplanationSubmitted
            );
            let (deadline, extension) = if explaining {
                (row.explanation_deadline, row.explanation_extension)
            } else {
                (row.self_assessment_deadline, row.self_extension)
            };
            ListRow {
                sheet_id: row.sheet_id,
                campaign_title: row.campaign_title.clone(),
                unit_code: row.unit_code.clone(),
                unit_name: row.unit_name.clone(),
                status: row.status,
                status_label: t(lang, &format!("assessment.status_{}", row.status.as_str())),
                deadline_label: t(
                    lang,
                    if explaining {
                        "assessment.explanation_deadline"
                    } else {
                        "assessment.deadline"
                    },
                ),
                deadline: deadline_text(lang, deadline, extension),
                filled: row.leaves_filled,
                total: row.leaves_total,
                percent: percent(row.leaves_filled, row.leaves_total),
                missing_evidence: row.missing_evidence,
                self_total: total(lang, Points::from_ten_thousandths(row.self_total)),
                asked,
                urgent,
            }
        })
        .collect();
    Ok(ListPage {
        page: Page::new(&context, "assessment.list_title"),
        rows,
    })
}
