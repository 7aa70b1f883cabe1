//! The original's error bodies: its `AppException` envelope `{"error": {"code", "message",
//! "details"}}` (validation errors with FastAPI's `details: [{loc, msg, type}]`), and FastAPI's
//! own `{"detail": …}` where the original raised `HTTPException` (401 and 403 from its token
//! checks). Our handlers answer problem documents; this layer rewrites them on the original's
//! paths, keeping the status and headers (`WWW-Authenticate`, `Retry-After`, `X-Request-Id`).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use super::super::error::{FinalErrorBody, PROBLEM_JSON};

/// Problem documents are small; anything larger is not one of ours.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// Rewrites a problem response of the original's paths into the original's envelope.
pub async fn translate_errors(request: Request, next: Next) -> Response {
    let mut noun = Noun::of_path(request.uri().path());
    noun.writing = matches!(*request.method(), Method::PUT)
        || (request.method() == Method::POST
            && (request.uri().path().ends_with('/') || noun.registering));
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let problem: Value = match to_bytes(body, MAX_PROBLEM_BYTES).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let translated = original_body(parts.status, &problem, noun);
    let bytes = serde_json::to_vec(&translated).unwrap_or_default();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.extensions.insert(FinalErrorBody);
    Response::from_parts(parts, Body::from(bytes))
}

/// What a path is about, as the original named it in its error codes.
#[derive(Debug, Clone, Copy)]
struct Noun {
    code: &'static str,
    name: &'static str,
    signing_in: bool,
    registering: bool,
    /// A create or an update, whose conflicts are a duplicate (`…_ALREADY_EXISTS`); other
    /// conflicts (a delete or an action refused in the row's state) are `INVALID_OPERATION`.
    writing: bool,
}

impl Noun {
    fn of_path(path: &str) -> Self {
        let noun = |code, name| Self {
            code,
            name,
            signing_in: false,
            registering: false,
            writing: false,
        };
        if path.ends_with("/users/register") {
            return Self {
                registering: true,
                ..noun("USER", "User")
            };
        }
        if path.ends_with("/auth/login") {
            return Self {
                signing_in: true,
                ..noun("USER", "User")
            };
        }
        if path.contains("/clients") {
            noun("CLIENT", "Client")
        } else if path.contains("/reminders") {
            noun("REMINDER", "Reminder")
        } else if path.contains("/notifications") {
            noun("NOTIFICATION", "Notification")
        } else if path.contains("/sender-identities") {
            noun("SENDER_IDENTITY", "Sender identity")
        } else {
            noun("USER", "User")
        }
    }
}

fn envelope(code: &str, message: &str, details: Value) -> Value {
    json!({ "error": { "code": code, "message": message, "details": details } })
}

/// The original's body for a problem of this status.
fn original_body(status: StatusCode, problem: &Value, noun: Noun) -> Value {
    let detail = problem["detail"].as_str().unwrap_or_default();
    match status {
        StatusCode::UNAUTHORIZED if noun.signing_in => {
            envelope("INVALID_CREDENTIALS", detail, Value::Null)
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => json!({ "detail": detail }),
        StatusCode::UNPROCESSABLE_ENTITY => envelope(
            "VALIDATION_ERROR",
            "Input validation failed",
            Value::Array(
                problem["errors"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(validation_detail)
                    .collect(),
            ),
        ),
        StatusCode::NOT_FOUND => envelope(
            &format!("{}_NOT_FOUND", noun.code),
            &format!("{} not found", noun.name),
            Value::Null,
        ),
        StatusCode::CONFLICT if noun.writing => envelope(
            &format!("{}_ALREADY_EXISTS", noun.code),
            detail,
            Value::Null,
        ),
        StatusCode::CONFLICT => envelope("INVALID_OPERATION", detail, Value::Null),
        StatusCode::TOO_MANY_REQUESTS => envelope("RATE_LIMIT_EXCEEDED", detail, Value::Null),
        StatusCode::INTERNAL_SERVER_ERROR => envelope(
            "INTERNAL_SERVER_ERROR",
            "An unexpected error occurred",
            Value::Null,
        ),
        other => {
            let code = other
                .canonical_reason()
                .unwrap_or("Error")
                .to_ascii_uppercase()
                .replace(' ', "_");
            envelope(&code, detail, Value::Null)
        }
    }
}

/// One of our field errors as FastAPI wrote one: `loc` from the body (or the query, for
/// fields named `query.…`), `msg`, `type`.
fn validation_detail(error: &Value) -> Value {
    let field = error["field"].as_str().unwrap_or_default();
    let (place, path) = match field.strip_prefix("query.") {
        Some(name) => ("query", name),
        None => ("body", field),
    };
    let loc: Vec<Value> = std::iter::once(Value::from(place))
        .chain(path.split('.').filter(|part| !part.is_empty()).map(
            |part| match part.parse::<u64>() {
                Ok(index) => Value::from(index),
                Err(_) => Value::from(part),
            },
        ))
        .collect();
    json!({ "loc": loc, "msg": error["message"], "type": "value_error" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_problem_becomes_fastapis_details() {
        let problem = json!({
            "status": 422,
            "detail": "2 field(s) are invalid",
            "errors": [
                {"field": "username", "message": "must be at least 3 characters"},
                {"field": "query.limit", "message": "must be at most 1000"},
            ],
        });
        let body = original_body(
            StatusCode::UNPROCESSABLE_ENTITY,
            &problem,
            Noun::of_path("/api/v1/users/register"),
        );
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(
            body["error"]["details"],
            json!([
                {"loc": ["body", "username"], "msg": "must be at least 3 characters", "type": "value_error"},
                {"loc": ["query", "limit"], "msg": "must be at most 1000", "type": "value_error"},
            ])
        );
    }

    #[test]
    fn token_failures_are_fastapi_details_and_missing_rows_name_their_kind() {
        let problem = json!({"status": 401, "detail": "A bearer token is required."});
        let body = original_body(
            StatusCode::UNAUTHORIZED,
            &problem,
            Noun::of_path("/api/v1/clients/"),
        );
        assert_eq!(body, json!({"detail": "A bearer token is required."}));
        let body = original_body(
            StatusCode::NOT_FOUND,
            &json!({}),
            Noun::of_path("/api/v1/sender-identities/9"),
        );
        assert_eq!(body["error"]["code"], "SENDER_IDENTITY_NOT_FOUND");
    }
}
