//! The assessment workflow in the database: a sheet per unit and campaign, leaf
//! scores per stage (0 = self-assessment, k = appraisal round k), extensions, appraisal round
//! states, finalization and the published results.
//!
//! Every write is one transaction holding its audit rows. The rules are the pure ones of
//! `chiso_domain::assessment`, checked before the transaction; inside it, each write is a
//! conditional update on the sheet (`WHERE status = <the status checked>`), so a write that
//! races a state change has exactly one outcome: the first to commit wins and the other gets
//! [`StoreError::Meanwhile`] saying what happened. Leaf rows carry a version: two editors saving
//! the same leaf never silently lose data, the second is told who saved first.
//!
//! Audit rows of a leaf use entity type `leaf`, the framework node id as entity id, the
//! campaign and unit of the sheet, and a field `<stage>.<field>` (`self.points`,
//! `round1.comment`, `round2.answer`, `self.evidence`…), so [`leaf_history`] reads them back
//! with the stage named. Sheet state changes use entity type `sheet`.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::access::Role;
use chiso_domain::assessment::{
    self as rules, CampaignStep, Concern, Decisions, LateSheets, LeafRecord, Outcome, RoundPhase,
    RoundRecord, SheetAction, SheetContext, SheetRecords, SheetStatus, SheetSummary, Stage,
    SubmissionProblem,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::evaluation::UnitInput;
use chiso_domain::{Bands, Framework, NodeId, Points, evaluate};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::audit::{Actor, AuditEntry, AuditRecord, AuditSink, record_all};
use crate::campaigns::{self, CampaignRow};
use crate::db::Db;
use crate::error::StoreError;
use crate::frameworks::{self, StoredFramework};
use crate::{in_transaction, with_db_read};

mod rows;
pub use rows::*;
mod reads;
pub use reads::*;
mod scope;
pub use scope::*;
mod context;
pub use context::*;
mod summary;
pub(crate) use summary::*;
mod self_assessment;
pub use self_assessment::*;
mod rounds;
pub use rounds::*;
mod extensions;
pub use extensions::*;
mod results;
pub use results::*;
mod progress;
pub use progress::*;
mod checklist;
pub use checklist::*;
mod returns;
pub use returns::*;
