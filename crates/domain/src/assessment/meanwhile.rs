//! Changes refused because someone else changed the same leaf, sheet, round or campaign
//! first. Every write of the workflow is conditional on what its rules checked (docs/method.md
//! §2.5): of two racing writes the first to commit wins, and the other is told what happened
//! with one of these. Nothing was changed; the person reloads and decides again.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use super::{SheetAction, SheetStatus};

/// What changed first, so that this change was not made. `Display` is English (the command
/// line, the log); the web says each variant from its locale keys.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ChangedMeanwhile {
    /// Someone saved the leaf after this editor opened it.
    #[error(
        "leaf {code} was saved by {by} at {} (version {version}) after you opened it: reload it to see their values, then save again",
        vietnam_time(*at)
    )]
    LeafSaved {
        code: String,
        by: String,
        at: DateTime<Utc>,
        version: i64,
    },
    /// The leaf changed, and who changed it is not known (its row is gone or was just made).
    #[error("leaf {code} changed after you opened it: reload it and save again")]
    LeafChanged { code: String },
    /// Other leaves of the sheet were saved during each of the attempts at this one.
    #[error("the sheet kept changing while leaf {code} was saved: save it again")]
    SheetKeptChanging { code: String },
    /// The sheet is not at the version its leader reviewed before signing it off.
    #[error(
        "the sheet changed after you reviewed it (version {version} now, yours {yours}): review it again before you {action}"
    )]
    SheetReviewed {
        version: i64,
        yours: i64,
        action: SheetAction,
    },
    /// A round opened before the sheet's own change was written.
    #[error("appraisal round {round} started first: the sheet is in appraisal and was not changed")]
    AppraisalStartedFirst { round: u32 },
    /// The sheet moved to another status first.
    #[error("the sheet is now {}: it was not changed", status.describe())]
    SheetNow { status: SheetStatus },
    /// A change to a leaf, refused because the sheet moved to another status (or round) first.
    #[error("{change} was not saved: the sheet is now {}{}", status.describe(), round_suffix(*round))]
    NotSaved {
        change: UnsavedChange,
        status: SheetStatus,
        /// The sheet's round now (0 before appraisal).
        round: u32,
    },
    #[error("round {round} was opened meanwhile, or another round is open")]
    RoundOpened { round: u32 },
    #[error("round {round} was closed meanwhile")]
    RoundClosed { round: u32 },
    #[error("the campaign changed state meanwhile")]
    CampaignMoved,
    #[error("{file_name} was removed from leaf {code} meanwhile")]
    EvidenceRemoved { file_name: String, code: String },
}

/// The change to a leaf that [`ChangedMeanwhile::NotSaved`] did not make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnsavedChange {
    /// An appraiser's points, comment or explanation request.
    Appraisal { code: String },
    /// The unit's answer to an explanation request.
    Answer { code: String },
    /// The appraiser's acceptance of the unit's points on every leaf left to review.
    Acceptance,
    /// A document attached as evidence.
    Evidence { code: String },
    /// A document removed from the evidence.
    EvidenceRemoval { code: String },
}

impl fmt::Display for UnsavedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsavedChange::Appraisal { code } => write!(f, "the appraisal of leaf {code}"),
            UnsavedChange::Answer { code } => write!(f, "the answer on leaf {code}"),
            UnsavedChange::Acceptance => f.write_str("the acceptance of the unit's points"),
            UnsavedChange::Evidence { code } => write!(f, "the evidence of leaf {code}"),
            UnsavedChange::EvidenceRemoval { code } => {
                write!(f, "the removal of evidence from leaf {code}")
            }
        }
    }
}

/// `30/12/2020 14:05` in Vietnam's time (UTC+7, no daylight saving).
fn vietnam_time(at: DateTime<Utc>) -> String {
    (at + Duration::hours(7))
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn round_suffix(round: u32) -> String {
    if round > 0 {
        format!(" (round {round})")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_english_names_what_changed_first() {
        let saved = ChangedMeanwhile::LeafSaved {
            code: "2.1".into(),
            by: "Biên tập viên A".into(),
            at: DateTime::parse_from_rfc3339("2026-03-01T17:05:00Z")
                .unwrap()
                .with_timezone(&Utc),
            version: 3,
        };
        assert_eq!(
            saved.to_string(),
            "leaf 2.1 was saved by Biên tập viên A at 02/03/2026 00:05 (version 3) after you \
             opened it: reload it to see their values, then save again"
        );
        let moved = ChangedMeanwhile::NotSaved {
            change: UnsavedChange::Evidence { code: "1.1".into() },
            status: SheetStatus::ExplanationSubmitted,
            round: 2,
        };
        assert_eq!(
            moved.to_string(),
            "the evidence of leaf 1.1 was not saved: the sheet is now explained, waiting for \
             the next round (round 2)"
        );
        let draft = ChangedMeanwhile::NotSaved {
            change: UnsavedChange::Acceptance,
            status: SheetStatus::Draft,
            round: 0,
        };
        assert_eq!(
            draft.to_string(),
            "the acceptance of the unit's points was not saved: the sheet is now a draft"
        );
    }
}
