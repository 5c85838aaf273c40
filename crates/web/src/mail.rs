//! E-mail copies of notifications, through SMTP when `smtp_url` is set (README, settings).
//!
//! The scheduler calls [`deliver`] after writing reminders: it claims the notices not yet
//! mailed (one process wins each), sends them in Vietnamese and gives a failed one back to be
//! tried again later.

use std::time::Duration;

use chiso_store::Db;
use chiso_store::notifications;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::describe::notice;
use crate::i18n::{self, Lang};

/// Notices mailed per pass.
const BATCH: i64 = 100;

/// An SMTP connection setting and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where links in the message point (`public_url`).
    site: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for `smtp://host:port`, `smtp://user:password@host:587?tls=required` or
    /// `smtps://…` (TLS from the start).
    pub fn new(url: &str, from: &str, site: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| anyhow::anyhow!("smtp_url: {error}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|error| anyhow::anyhow!("mail_from {from:?}: {error}"))?;
        Ok(Mailer {
            transport,
            from,
            site: site.trim_end_matches('/').to_string(),
        })
    }

    async fn send(&self, to: Mailbox, subject: &str, body: String) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Mails the notices not yet mailed; returns how many were sent.
pub async fn deliver(db: &Db, mailer: &Mailer, now: chrono::DateTime<chrono::Utc>) -> u64 {
    let claimed = match notifications::claim_emails(db, now, BATCH).await {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::warn!(%error, "claiming notification e-mails failed");
            return 0;
        }
    };
    let mut sent = 0;
    for mail in claimed {
        let lang = Lang::Vi;
        let text = notice::sentence(lang, &mail.notice);
        let link = format!(
            "{}{}",
            mailer.site,
            mail.notice.link.as_deref().unwrap_or("/thong-bao")
        );
        let subject = i18n::fill(lang, "notifications.mail_subject", &[("text", &text)]);
        let body = i18n::fill(
            lang,
            "notifications.mail_body",
            &[("name", &mail.full_name), ("text", &text), ("link", &link)],
        );
        let outcome = match mail.email.parse::<Mailbox>() {
            Ok(to) => mailer.send(to, &subject, body).await,
            Err(error) => Err(anyhow::anyhow!("address {:?}: {error}", mail.email)),
        };
        match outcome {
            Ok(()) => sent += 1,
            Err(error) => {
                tracing::warn!(%error, notice = mail.notice.id, "sending a notification e-mail failed");
                if let Err(error) = notifications::email_failed(db, mail.notice.id).await {
                    tracing::warn!(%error, "recording a failed e-mail failed");
                }
            }
        }
    }
    sent
}
