//! The CSRF token of a multipart upload, read from the form's first part.
//!
//! Upload forms put the hidden `_csrf` field first, so the middleware can check the token
//! after reading only the start of the body, before the handler reads the file; the bytes read
//! are put back in front of the rest of the stream. A form whose first part is anything else
//! carries no token (and is refused), which keeps the token out of the URL.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use futures_util::StreamExt;

use crate::error::AppResult;

/// How much of the body is read to find the first part; the token part is tiny.
const PEEK_LIMIT: usize = 16 * 1024;

/// The value of the first part when it is the field `name`, and the request with its body
/// intact.
pub async fn first_field(
    request: Request,
    content_type: &str,
    name: &str,
) -> AppResult<(Option<String>, Request)> {
    let Some(boundary) = boundary(content_type) else {
        return Ok((None, request));
    };
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut peeked: Vec<u8> = Vec::new();
    let mut token = None;
    while peeked.len() < PEEK_LIMIT {
        match stream.next().await {
            Some(Ok(chunk)) => peeked.extend_from_slice(&chunk),
            // The handler meets the same error when it reads on; nothing to decide here.
            Some(Err(_)) | None => break,
        }
        match first_part(&peeked, &boundary, name) {
            Parsed::Field(value) => {
                token = Some(value);
                break;
            }
            Parsed::Other => break,
            Parsed::NeedMore => {}
        }
    }
    let head = futures_util::stream::once(async move { Ok::<_, axum::Error>(Bytes::from(peeked)) });
    let body = Body::from_stream(head.chain(stream));
    Ok((token, Request::from_parts(parts, body)))
}

/// The boundary parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

#[derive(Debug, PartialEq)]
enum Parsed {
    Field(String),
    Other,
    NeedMore,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the first part of a multipart body, as far as it has arrived.
fn first_part(body: &[u8], boundary: &str, name: &str) -> Parsed {
    let delimiter = format!("--{boundary}");
    let Some(start) = find(body, delimiter.as_bytes()) else {
        return Parsed::NeedMore;
    };
    let rest = &body[start + delimiter.len()..];
    let Some(headers_end) = find(rest, b"\r\n\r\n") else {
        return Parsed::NeedMore;
    };
    let headers = String::from_utf8_lossy(&rest[..headers_end]);
    let is_field = headers.lines().any(|line| {
        let Some((key, value)) = line.split_once(':') else {
            return false;
        };
        key.trim().eq_ignore_ascii_case("content-disposition")
            && value.split(';').skip(1).any(|param| {
                param
                    .trim()
                    .split_once('=')
                    .is_some_and(|(k, v)| k == "name" && v.trim_matches('"') == name)
            })
    });
    if !is_field {
        return Parsed::Other;
    }
    let value_start = headers_end + 4;
    let closing = format!("\r\n{delimiter}");
    match find(&rest[value_start..], closing.as_bytes()) {
        Some(end) => {
            Parsed::Field(String::from_utf8_lossy(&rest[value_start..value_start + end]).into())
        }
        None => Parsed::NeedMore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\ncode\r\n--XyZ--\r\n";

    #[test]
    fn reads_the_token_of_the_first_part_only() {
        assert_eq!(
            first_part(BODY.as_bytes(), "XyZ", "_csrf"),
            Parsed::Field("tok123".into())
        );
        let file_first = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"_csrf\"\r\n\r\nx\r\n--XyZ--";
        assert_eq!(
            first_part(file_first.as_bytes(), "XyZ", "_csrf"),
            Parsed::Other
        );
        assert_eq!(
            first_part(&BODY.as_bytes()[..30], "XyZ", "_csrf"),
            Parsed::NeedMore
        );
    }

    #[test]
    fn finds_the_boundary() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[tokio::test]
    async fn the_body_is_handed_on_whole() {
        let request = Request::builder()
            .body(Body::from(BODY))
            .expect("a request");
        let (token, request) = first_field(request, "multipart/form-data; boundary=XyZ", "_csrf")
            .await
            .unwrap();
        assert_eq!(token.as_deref(), Some("tok123"));
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(bytes, BODY.as_bytes());
    }
}
