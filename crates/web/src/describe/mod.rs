//! Refusals in the user's language.
//!
//! Rules refuse with typed errors, from the domain up through the store and the application
//! layer; nothing on the way turns them into text. Here each error type says itself from the
//! locale files (`locales/{vi,en}/*.toml`), with its values filled in: a page, a form beside
//! its field, or the JSON API's `{"error", "field"}`. No English of a library reaches a
//! Vietnamese page, and nothing parses a message back.

pub mod interchange;
pub mod login;
pub mod setup;

use std::fmt;

pub mod assessment;
pub mod campaign;

use axum::http::StatusCode;

use crate::i18n::Lang;

pub mod survey;

/// A refusal that can say itself.
pub trait Describe: fmt::Debug + Send + Sync + 'static {
    /// The message, in `lang`.
    fn describe(&self, lang: Lang) -> String;

    /// The form field or API field it concerns, when there is one.
    fn field(&self) -> Option<&str> {
        None
    }

    /// The HTTP status it answers with.
    fn status(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A refusal already worded (for refusals put together from several parts, and kept with a
/// background job's outcome for whichever process shows it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Worded {
    pub vi: String,
    pub en: String,
    pub field: Option<String>,
}

impl Worded {
    /// A refusal worded in both languages now.
    pub fn of(refusal: &dyn Describe) -> Worded {
        Worded {
            vi: refusal.describe(Lang::Vi),
            en: refusal.describe(Lang::En),
            field: refusal.field().map(str::to_string),
        }
    }
}

impl Describe for Worded {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Vi => self.vi.clone(),
            Lang::En => self.en.clone(),
        }
    }

    fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

pub mod audit;
pub mod indices;
pub mod notice;
pub mod plan;
/// A store error's refusal text when it is a refusal (a rule, a change someone made first, an
/// upload's checks, a constraint of the database), for pages that show it beside their own
/// content; `None` for faults, which stay errors.
pub fn store_refusal(lang: Lang, error: &chiso_store::StoreError) -> Option<String> {
    store_refusal_with_status(lang, error).map(|(_, text)| text)
}

/// [`store_refusal`] with the status the page answers with: 409 for what changed meanwhile
/// (and a constraint's conflict), the refusal's own otherwise.
pub fn store_refusal_with_status(
    lang: Lang,
    error: &chiso_store::StoreError,
) -> Option<(StatusCode, String)> {
    use chiso_store::StoreError;
    let said = |refusal: &dyn Describe| (refusal.status(), refusal.describe(lang));
    Some(match error {
        StoreError::Rule(rule) => said(rule),
        StoreError::Meanwhile(changed) => said(changed),
        StoreError::Upload(upload) => said(upload),
        StoreError::Campaign(refusal) => said(refusal),
        StoreError::CampaignSetup(refusal) => said(refusal),
        StoreError::Checklist(refusal) => said(refusal),
        StoreError::Setup(refusal) => said(refusal),
        StoreError::Wave(refusal) => said(refusal),
        StoreError::Survey(refusal) => said(refusal),
        StoreError::Plan(refusal) => said(refusal),
        // A constraint's name is for the log; the person is told someone changed the data.
        StoreError::Conflict(constraint) => {
            tracing::info!(%constraint, "conflict");
            (
                StatusCode::CONFLICT,
                crate::i18n::text(lang, "common.error_conflict").to_string(),
            )
        }
        _ => return None,
    })
}
