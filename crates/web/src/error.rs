//! One error type for the web layer: the log gets the cause, the user a page in their language.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chiso_store::StoreError;

use crate::i18n::{self, Lang};

#[derive(Debug)]
pub enum AppError {
    NotFound,
    Forbidden,
    /// Not signed in: go to the login page, then back.
    Unauthorized {
        next: String,
    },
    Csrf,
    /// A rule refused the request; the refusal says itself in the user's language.
    Refused(Box<dyn crate::describe::Describe>),
    /// A constraint of the database refused the write; its name goes to the log.
    Conflict(String),
    TooLarge,
    /// Too many password checks at once: try again in a moment.
    Busy,
    /// The database cannot be reached now (restarting, the connection lost): try again in a
    /// moment.
    Unavailable,
    /// Input refused before the handler's own checks (a control character, a field over its
    /// limit, a field an upload form does not have); its message is already in the user's
    /// language.
    Input(crate::extract::InputRejection),
    Internal(anyhow::Error),
}

impl From<crate::passwords::Busy> for AppError {
    fn from(_: crate::passwords::Busy) -> AppError {
        AppError::Busy
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A typed refusal.
    pub fn refused(refusal: impl crate::describe::Describe) -> AppError {
        AppError::Refused(Box::new(refusal))
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Setup(refusal) => AppError::refused(refusal),
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::Wave(refused) => AppError::refused(refused),
            StoreError::Survey(refused) => AppError::refused(refused),
            StoreError::Plan(refused) => AppError::refused(refused),
            StoreError::Rule(rule) => AppError::refused(rule),
            StoreError::Meanwhile(changed) => AppError::refused(changed),
            StoreError::Upload(upload) => AppError::refused(upload),
            StoreError::Campaign(refusal) => AppError::refused(refusal),
            StoreError::CampaignSetup(refusal) => AppError::refused(refusal),
            StoreError::Checklist(refusal) => AppError::refused(refusal),
            StoreError::Unavailable(error) => {
                tracing::warn!(%error, "the database is unavailable");
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> AppError {
        AppError::Internal(error)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Lang,
    status: u16,
    title: &'static str,
    message: String,
}

impl ErrorPage {
    fn t(&self, key: &str) -> &'static str {
        i18n::text(self.lang, key)
    }
}

impl AppError {
    /// The response in a language (the handler knows it; `IntoResponse` uses Vietnamese).
    pub fn into_response_in(self, lang: Lang) -> Response {
        let (status, key) = match self {
            AppError::Unauthorized { next } => {
                return Redirect::to(&crate::paths::login_then(&next)).into_response();
            }
            AppError::Input(refusal) => return refusal.into_response(),
            AppError::Refused(refusal) => {
                return error_page(lang, refusal.status(), refusal.describe(lang));
            }
            AppError::NotFound => (StatusCode::NOT_FOUND, "common.error_not_found"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "common.error_forbidden"),
            AppError::Csrf => (StatusCode::FORBIDDEN, "common.error_csrf"),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "common.error_too_large"),
            AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "common.error_busy"),
            AppError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "common.error_unavailable"),
            AppError::Conflict(constraint) => {
                tracing::info!(%constraint, "conflict");
                (StatusCode::CONFLICT, "common.error_conflict")
            }
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "common.error_internal")
            }
        };
        let mut response = error_page(lang, status, i18n::text(lang, key).to_string());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
        response
    }
}

/// An error to be shown in the site's frame (header, menu, language switch): error responses
/// carry it, and the context middleware, which knows the user, renders the framed page.
#[derive(Clone, Debug)]
pub struct ErrorFrame {
    pub status: StatusCode,
    pub message: String,
}

/// The error page with a message already in the user's language. The body is a plain page; the
/// context middleware replaces it with the framed one (`framed_error`) for every page request.
pub fn error_page(lang: Lang, status: StatusCode, message: String) -> Response {
    let page = ErrorPage {
        lang,
        status: status.as_u16(),
        title: i18n::text(lang, "common.error_title"),
        message: message.clone(),
    };
    let body = page.render().unwrap_or_else(|_| page.message.clone());
    let mut response = (status, Html(body)).into_response();
    response
        .extensions_mut()
        .insert(ErrorFrame { status, message });
    response
}

#[derive(Template)]
#[template(path = "error_framed.html")]
struct FramedErrorPage {
    page: crate::views::Page,
    status: u16,
    message: String,
    /// The page the user came from, when it is one of this site's.
    back: Option<String>,
}

/// The error page in the site's frame, for the user of `context`. `referer` gives the link back
/// (only a path of this site is used): a plain link, since the site's scripts policy forbids
/// `javascript:` links.
pub fn framed_error(
    context: &crate::auth::Context,
    frame: &ErrorFrame,
    referer: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Response {
    let back = referer
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| (&rest[..i], &rest[i..])))
        .filter(|(host, _)| {
            headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|h| h == *host)
        })
        .map(|(_, path)| crate::paths::safe_next(Some(path)))
        .filter(|path| path != &context.path);
    let page = FramedErrorPage {
        page: crate::views::Page::new(context, "common.error_title"),
        status: frame.status.as_u16(),
        message: frame.message.clone(),
        back,
    };
    match page.render() {
        Ok(body) => (frame.status, Html(body)).into_response(),
        Err(_) => (frame.status, frame.message.clone()).into_response(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.into_response_in(Lang::Vi)
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::assessment::{ChangedMeanwhile, WorkflowError};

    #[test]
    fn store_errors_are_refusals_or_logged_faults() {
        // Corrupt data is the system's fault: a 500, nothing of it shown.
        let corrupt = StoreError::Corrupt {
            what: "stored results",
            detail: "expected value at line 1".into(),
        };
        assert!(crate::describe::store_refusal(Lang::Vi, &corrupt).is_none());
        let response = AppError::from(corrupt).into_response_in(Lang::Vi);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let frame = response.extensions().get::<ErrorFrame>().unwrap();
        assert_eq!(frame.message, i18n::text(Lang::Vi, "common.error_internal"));

        // A constraint's name stays in the log.
        let conflict = StoreError::Conflict("leaf_scores_sheet_id_node_id_stage_key".into());
        let (status, text) =
            crate::describe::store_refusal_with_status(Lang::Vi, &conflict).unwrap();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(text, i18n::text(Lang::Vi, "common.error_conflict"));
        let response = AppError::from(conflict).into_response_in(Lang::Vi);
        let frame = response.extensions().get::<ErrorFrame>().unwrap();
        assert!(!frame.message.contains("leaf_scores"), "{}", frame.message);

        // What changed first is a conflict said in Vietnamese; a rule's refusal a 422.
        let moved = StoreError::Meanwhile(ChangedMeanwhile::RoundClosed { round: 2 });
        let response = AppError::from(moved).into_response_in(Lang::Vi);
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let frame = response.extensions().get::<ErrorFrame>().unwrap();
        assert_eq!(frame.message, "vòng 2 vừa được người khác đóng");
        let rule = StoreError::Rule(WorkflowError::ExtensionWithoutReason);
        let response = AppError::from(rule).into_response_in(Lang::Vi);
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
