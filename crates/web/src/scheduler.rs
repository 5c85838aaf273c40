//! The server's timed work: deadline reminders (campaigns and plan tasks) and notification
//! e-mails. Every process runs
//! it; the notices' unique keys and the e-mails' atomic claims make that safe on one
//! PostgreSQL database (docs/method.md §2.5).

use chiso_store::Db;

use crate::app::{Clock, notifications, plans};
use crate::mail::{self, Mailer};

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Reminders written (new ones only).
    pub reminders: u64,
    /// Plan task reminders and overdue notices written (new ones only).
    pub task_notices: u64,
    /// E-mails sent.
    pub mailed: u64,
}

/// The reminders and e-mails of one server process.
#[derive(Clone, Debug)]
pub struct Scheduler {
    pub db: Db,
    pub clock: Clock,
    pub mailer: Option<Mailer>,
}

impl Scheduler {
    /// Writes the reminders due today and mails what is new.
    pub async fn pass(&self) -> Pass {
        let reminders = match notifications::send_reminders(&self.db, &self.clock).await {
            Ok(written) => written,
            Err(error) => {
                tracing::warn!(%error, "writing deadline reminders failed");
                0
            }
        };
        let task_notices = match plans::reminders::send(&self.db, &self.clock).await {
            Ok(written) => written,
            Err(error) => {
                tracing::warn!(%error, "writing plan task reminders failed");
                0
            }
        };
        let mailed = match &self.mailer {
            Some(mailer) => mail::deliver(&self.db, mailer, self.clock.now()).await,
            None => 0,
        };
        Pass {
            reminders,
            task_notices,
            mailed,
        }
    }
}
