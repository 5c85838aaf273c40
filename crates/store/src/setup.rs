//! Why the store refuses a change to the setup areas (units, accounts, frameworks): typed, so
//! that the web says each refusal in the user's language beside its field, and nothing parses
//! a message back.

use chiso_domain::access::Role;
use chiso_domain::org::OrgKind;

/// A refused change to units, accounts or frameworks.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SetupRefusal {
    // ── Units (docs/method.md, units and their lineage) ────────────────────────────────────
    #[error("the unit code is empty")]
    UnitCodeEmpty,
    #[error("the unit name is empty")]
    UnitNameEmpty,
    #[error("the validity ends before it starts")]
    ValidityOrder,
    #[error("a unit cannot be its own parent")]
    OwnParent,
    #[error("parent unit {id} does not exist")]
    ParentMissing { id: i64 },
    /// The hierarchy (nation → province → department or commune) forbids the parent's kind.
    #[error("a {kind} cannot sit under a {parent_kind} ({parent_name})")]
    ParentKind {
        kind: OrgKind,
        parent_kind: OrgKind,
        parent_name: String,
    },
    #[error("choose the units to merge")]
    NothingToMerge,
    #[error("{code} {name} has already ended")]
    AlreadyEnded { code: String, name: String },
    #[error("the merger date is out of range")]
    MergeDate,
    /// A row of an import (1-based, the header being row 1).
    #[error("row {row}: {refusal}")]
    ImportRow {
        row: usize,
        refusal: Box<SetupRefusal>,
    },
    #[error("parent_code {code} is not a current unit")]
    ImportParent { code: String },

    // ── Accounts ────────────────────────────────────────────────────────────────────────────
    #[error("a username uses letters without marks, digits and . _ - @")]
    UsernameInvalid,
    #[error("the username {username} is taken")]
    UsernameTaken { username: String },
    #[error("the full name is empty")]
    FullNameEmpty,
    #[error("the role {role} needs a unit")]
    RoleNeedsUnit { role: Role },

    // ── Frameworks (docs/formats.md, the framework file) ───────────────────────────────────
    #[error("the framework needs a code")]
    FrameworkCodeEmpty,
    #[error("this framework is frozen: a campaign that uses it has opened; make a new version")]
    FrameworkFrozen,
    /// A framework stored earlier no longer builds (its rows were changed outside chiso);
    /// `detail` is for the log.
    #[error("stored framework {id} is invalid: {detail}")]
    StoredFramework { id: i64, detail: String },
}

impl SetupRefusal {
    /// The same refusal at a row of an import.
    pub fn at_row(self, row: usize) -> SetupRefusal {
        SetupRefusal::ImportRow {
            row,
            refusal: Box::new(self),
        }
    }
}
