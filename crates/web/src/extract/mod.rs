//! The one place where text from requests is checked: `Form`, `Query`, `Path` and `Json`
//! stand in for axum's extractors of the same names, and every route takes its input through
//! them (multipart uploads through [`multipart::Upload`], imported files' cells through
//! [`cells`]).
//!
//! Each one decodes the request to its strings first (the urlencoded pairs, the path
//! segments, every string and key of the JSON), checks each against the [`TextKind`] its
//! field's name implies ([`kind_of`]), and only then deserialises into the handler's type. A
//! refusal names the field in the person's language ("Trường «Tên đơn vị» dài quá 300 ký tự")
//! and nothing reaches a handler, so nothing reaches the database: PostgreSQL cannot store a
//! NUL, and a 15 MB name would be shown on every page that lists it.
//!
//! [`TextKind`]: chiso_domain::text::TextKind

pub mod cells;
mod fields;
pub mod multipart;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawForm, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Extractors that carry no text, re-exported so that routes take every extractor from here.
pub use axum::extract::{ConnectInfo, State};
pub use fields::{InputRejection, REFUSAL_HEADER, Scope, kind_of};

/// A urlencoded form (or, on GET, the query string), checked field by field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let scope = Scope::of(req.extensions());
        let from_query = matches!(*req.method(), Method::GET | Method::HEAD);
        // axum's own refusal (a body that is not a form) is English: the same page instead.
        let RawForm(bytes) = RawForm::from_request(req, state)
            .await
            .map_err(|rejection| scope.malformed(rejection.status()).into_response())?;
        scope
            .check_urlencoded(&bytes)
            .map_err(IntoResponse::into_response)?;
        // axum answers a form that does not fit the handler's type with these statuses.
        let status = match from_query {
            true => StatusCode::BAD_REQUEST,
            false => StatusCode::UNPROCESSABLE_ENTITY,
        };
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| scope.malformed(status).into_response())
    }
}

/// The query string, checked parameter by parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let scope = Scope::of(&parts.extensions);
        let query = parts.uri.query().unwrap_or_default();
        scope
            .check_urlencoded(query.as_bytes())
            .map_err(IntoResponse::into_response)?;
        // axum's own refusal is English ("Failed to deserialize query string"): a query that
        // does not fit the handler's type gets the page in the person's language instead.
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|_| scope.malformed(StatusCode::BAD_REQUEST).into_response())
    }
}

/// The ids in a route's address (`/don-vi/{id}`, `/khao-sat/dot/{wave}/don-vi/{unit}` as
/// `PathId<(i64, i64)>`), the one way routes read them. They are parsed only when the handler
/// asks ([`PathId::get`]), after its authorization: a role that is refused gets 403 whatever
/// the id, and an id that does not parse gets the not-found page in the person's language
/// (never axum's "Invalid URL: Cannot parse …").
#[derive(Clone, Copy)]
pub struct PathId<T = i64>(Option<T>);

/// For the logs' spans: the ids, or `malformed`.
impl<T: std::fmt::Debug> std::fmt::Debug for PathId<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(ids) => ids.fmt(f),
            None => f.write_str("malformed"),
        }
    }
}

impl<T> PathId<T> {
    /// The ids, or the not-found page when the address does not hold them.
    pub fn get(self) -> Result<T, crate::error::AppError> {
        self.0.ok_or(crate::error::AppError::NotFound)
    }
}

impl<T, S> FromRequestParts<S> for PathId<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(PathId(
            axum::extract::Path::<T>::from_request_parts(parts, state)
                .await
                .ok()
                .map(|axum::extract::Path(value)| value),
        ))
    }
}

/// The route's text parameters (tokens, slugs, file names), each decoded segment checked as a
/// code (`/ks/%00` is refused). Ids are read with [`PathId`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let scope = Scope::of(&parts.extensions);
        // Segments that are not UTF-8 are left to axum's own refusal below.
        if let Ok(params) = RawPathParams::from_request_parts(parts, state).await {
            for (_, value) in &params {
                scope
                    .check_path(value)
                    .map_err(IntoResponse::into_response)?;
            }
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| crate::error::AppError::NotFound.into_response())
    }
}

/// A JSON body, every string and key checked with its path (`answers.c01`, `comment`) before
/// it is deserialised. Like the device API it serves, it reads the body whatever its
/// `Content-Type`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Why a JSON body was refused, for the device API's `{"error", "field"}` answers.
#[derive(Debug)]
pub enum JsonRejection {
    /// Past the route's body limit.
    TooLarge,
    /// Not JSON, or not the shape the handler reads (an unknown field).
    Malformed(String),
    /// A string over its limit or with a control character.
    Text(InputRejection),
    /// The body could not be read.
    Body(String),
}

impl JsonRejection {
    pub fn status(&self) -> StatusCode {
        match self {
            JsonRejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            JsonRejection::Malformed(_) | JsonRejection::Body(_) => StatusCode::BAD_REQUEST,
            JsonRejection::Text(refusal) => refusal.status(),
        }
    }

    /// The English message, as the device API words its refusals.
    pub fn message(&self, body_limit: usize) -> String {
        match self {
            JsonRejection::TooLarge => format!("the body is larger than {body_limit} bytes"),
            JsonRejection::Malformed(error) => format!("malformed JSON: {error}"),
            JsonRejection::Text(refusal) => refusal.message().to_string(),
            JsonRejection::Body(error) => error.clone(),
        }
    }

    /// The JSON path of the field at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            JsonRejection::Text(refusal) => Some(refusal.field()),
            _ => None,
        }
    }
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message(0) });
        if let Some(field) = self.field() {
            body["field"] = Value::String(field.to_string());
        }
        (self.status(), axum::Json(body)).into_response()
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = JsonRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => JsonRejection::TooLarge,
                _ => JsonRejection::Body(rejection.body_text()),
            }
        })?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| JsonRejection::Malformed(e.to_string()))?;
        check_json(&Scope::api(), &value, "").map_err(JsonRejection::Text)?;
        serde_json::from_value(value)
            .map(Json)
            .map_err(|e| JsonRejection::Malformed(e.to_string()))
    }
}

/// Checks every key and string of a JSON value. A string's kind is its field's (the last key
/// above it); array items are named by their array.
fn check_json(scope: &Scope, value: &Value, path: &str) -> Result<(), InputRejection> {
    match value {
        Value::String(text) => {
            let field = path.rsplit('.').next().unwrap_or(path);
            scope.check(path, kind_of(field), text)
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| check_json(scope, item, path)),
        Value::Object(map) => map.iter().try_for_each(|(key, item)| {
            let inner = match path {
                "" => key.clone(),
                _ => format!("{path}.{key}"),
            };
            scope
                .check_name(key)
                .map_err(|r| scope.rejection(r.status(), path, r.message().to_string()))?;
            check_json(scope, item, &inner)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_checked_with_their_path() {
        let scope = Scope::api();
        let ok = json!({"comment": "Phục vụ nhanh\r\ntốt", "answers": {"c01": 5, "c02": "4"}});
        assert!(check_json(&scope, &ok, "").is_ok());
        let nul = json!({"answers": {"c01": "5\u{0}"}});
        let refused = check_json(&scope, &nul, "").unwrap_err();
        assert_eq!(refused.field(), "answers.c01");
        let list = json!({"expectations": ["thu-tuc", "a\u{1b}"]});
        assert_eq!(
            check_json(&scope, &list, "").unwrap_err().field(),
            "expectations"
        );
        let id = json!({"respondent_id": "HS\n1"});
        assert_eq!(
            check_json(&scope, &id, "").unwrap_err().field(),
            "respondent_id"
        );
        let key = json!({"answers": {"c\u{0}": 5}});
        assert_eq!(check_json(&scope, &key, "").unwrap_err().field(), "answers");
        let long = json!({"comment": "x".repeat(20_001)});
        assert!(
            check_json(&scope, &long, "")
                .unwrap_err()
                .message()
                .contains("longer than 20,000")
        );
    }
}
