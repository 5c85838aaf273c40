//! A refused login in the user's language: the same words whatever was wrong, so that the
//! answer does not tell whether the account exists.

use axum::http::StatusCode;

use super::Describe;
use crate::app::login::LoginRefusal;
use crate::i18n::{self, Lang};

impl Describe for LoginRefusal {
    fn describe(&self, lang: Lang) -> String {
        match self {
            LoginRefusal::RateLimited => i18n::text(lang, "common.login_rate_limited").to_string(),
            LoginRefusal::Failed { failures, minutes } => i18n::text(lang, "common.login_failed")
                .replace("{failures}", &failures.to_string())
                .replace("{minutes}", &minutes.to_string()),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            LoginRefusal::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            LoginRefusal::Failed { .. } => StatusCode::UNAUTHORIZED,
        }
    }
}
