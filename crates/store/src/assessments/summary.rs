use super::*;

/// Recomputes a sheet's progress figures from its rows, inside the transaction `$tx` of the
/// change that moved them (engineering guide §7: summary rows updated with the scores).
macro_rules! refresh_summary {
    ($tx:ident, $sheet_id:expr, $framework:expr, $node_index:expr, $current_round:expr) => {{
        let leaf_sql = format!(
            "SELECT {} FROM leaf_scores WHERE sheet_id = $1",
            $crate::assessments::LEAF_COLUMNS
        );
        let rows = sqlx::query_as::<_, $crate::assessments::LeafScore>(&leaf_sql)
            .bind($sheet_id)
            .fetch_all(&mut *$tx)
            .await?;
        let evidence =
            sqlx::query_as::<_, (i64, i64, i64)>($crate::assessments::EVIDENCE_COUNTS_SQL)
                .bind($sheet_id)
                .fetch_all(&mut *$tx)
                .await?;
        let records = $crate::assessments::records_of($framework, $node_index, &rows, &evidence);
        let summary = chiso_domain::assessment::summarize($framework, &records, $current_round);
        $crate::assessments::write_summary!($tx, $sheet_id, summary);
        summary
    }};
}
pub(crate) use refresh_summary;

/// Writes progress figures on a sheet inside a transaction.
macro_rules! write_summary {
    ($tx:ident, $sheet_id:expr, $summary:expr) => {{
        let summary: chiso_domain::assessment::SheetSummary = $summary;
        sqlx::query(
            "UPDATE sheets SET leaves_total = $1, leaves_filled = $2, missing_evidence = $3, unexplained = $4, \
             self_total = $5, appraised_total = $6, round_leaves = $7, round_reviewed = $8, flagged = $9, \
             answered = $10 WHERE id = $11",
        )
        .bind(i64::from(summary.leaves_total))
        .bind(i64::from(summary.leaves_filled))
        .bind(i64::from(summary.missing_evidence))
        .bind(i64::from(summary.unexplained))
        .bind(summary.self_total.ten_thousandths())
        .bind(summary.appraised_total.ten_thousandths())
        .bind(i64::from(summary.round_leaves))
        .bind(i64::from(summary.round_reviewed))
        .bind(i64::from(summary.flagged))
        .bind(i64::from(summary.answered))
        .bind($sheet_id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use write_summary;

pub(crate) const EVIDENCE_COUNTS_SQL: &str = EVIDENCE_COUNTS;

/// Marks a sheet as changed (version + 1) on condition that it is still in `$status` (and, when
/// given, in round `$round`): the conditional write that decides races with state changes. On
/// PostgreSQL it also locks the sheet row until the transaction ends, so changes to one sheet
/// are applied one after the other. Refused with [`ChangedMeanwhile::NotSaved`] naming the
/// change (an [`UnsavedChange`]) and the sheet's current status.
///
/// [`ChangedMeanwhile::NotSaved`]: chiso_domain::assessment::ChangedMeanwhile::NotSaved
/// [`UnsavedChange`]: chiso_domain::assessment::UnsavedChange
macro_rules! touch_sheet {
    ($tx:ident, $sheet_id:expr, $status:expr, $round:expr, $change:expr) => {{
        let status: chiso_domain::assessment::SheetStatus = $status;
        let round: Option<i64> = $round;
        let touched = sqlx::query(
            "UPDATE sheets SET version = version + 1, updated_at = $1 WHERE id = $2 AND status = $3 \
             AND ($4 IS NULL OR current_round = $4)",
        )
        .bind(chrono::Utc::now())
        .bind($sheet_id)
        .bind(status.as_str())
        .bind(round)
        .execute(&mut *$tx)
        .await?;
        if touched.rows_affected() != 1 {
            let now: (String, i64) =
                sqlx::query_as("SELECT status, current_round FROM sheets WHERE id = $1")
                    .bind($sheet_id)
                    .fetch_one(&mut *$tx)
                    .await?;
            return Err(chiso_domain::assessment::ChangedMeanwhile::NotSaved {
                change: $change,
                status: $crate::assessments::stored_status(&now.0)?,
                round: now.1 as u32,
            }
            .into());
        }
    }};
}
pub(crate) use touch_sheet;

/// A leaf row changed by someone else since the caller read it: who saved it, when, and its
/// version now, when the row is there to say.
pub fn leaf_conflict(code: &str, current: Option<&LeafScore>) -> StoreError {
    let code = code.to_string();
    match current {
        Some(row) => rules::ChangedMeanwhile::LeafSaved {
            code,
            by: row.updated_by_name.clone(),
            at: row.updated_at,
            version: row.version,
        },
        None => rules::ChangedMeanwhile::LeafChanged { code },
    }
    .into()
}

/// A sheet status as stored; one that is not a status is corrupt data.
pub(crate) fn stored_status(text: &str) -> Result<SheetStatus, StoreError> {
    SheetStatus::parse(text).ok_or_else(|| StoreError::Corrupt {
        what: "sheet status",
        detail: text.to_string(),
    })
}

pub(super) fn input_json(
    framework: &Framework,
    leaf: NodeId,
    input: Option<f64>,
) -> Option<String> {
    let input = input?;
    let name = framework
        .node(leaf)
        .rule
        .as_ref()
        .and_then(|r| r.input_name())
        .unwrap_or("input")
        .to_string();
    Some(serde_json::json!({ name: input }).to_string())
}

pub(super) fn points_text(points: Option<i64>) -> Option<String> {
    points.map(|p| Points::from_ten_thousandths(p).to_string())
}
