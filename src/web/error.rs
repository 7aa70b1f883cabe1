//! What a console request can end in besides its page: a trip to the sign-in page, or an error
//! page in the console's look — never JSON.

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::api::error::PROBLEM_JSON;

use crate::services::ServiceError;

/// A console request that did not get its page.
#[derive(Debug)]
pub(super) enum WebError {
    /// No valid session: sign in first.
    SignIn,
    /// A form post without its CSRF token, or from another site.
    Forged,
    /// Signed in, but their role may not do this.
    Forbidden,
    /// Nothing here for this business.
    NotFound,
    /// A link from a reminder whose signature does not check out (mistyped, cut short, or
    /// made for another server).
    BadLink,
    /// Too many attempts; try again after this many seconds.
    TooMany(u64),
    /// The action cannot be taken as asked: the status to answer and the service's words.
    Refused(StatusCode, String),
    /// Anything else: logged, shown as a generic error.
    Internal(String),
}

impl From<ServiceError> for WebError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Unauthorized(_) => Self::SignIn,
            ServiceError::Forbidden(_) => Self::Forbidden,
            ServiceError::NotFound => Self::NotFound,
            ServiceError::TooManyRequests {
                retry_after_seconds,
            } => Self::TooMany(retry_after_seconds),
            ServiceError::Conflict(message) => Self::Refused(StatusCode::CONFLICT, message),
            ServiceError::BadRequest(message) => Self::Refused(StatusCode::BAD_REQUEST, message),
            ServiceError::TooLarge(message) => {
                Self::Refused(StatusCode::PAYLOAD_TOO_LARGE, message)
            }
            ServiceError::UnsupportedMediaType(message) => {
                Self::Refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
            }
            ServiceError::Validation(errors) => Self::Refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors
                    .iter()
                    .map(|error| format!("{}: {}", error.field, error.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        Self::Internal(format!("template: {error}"))
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            Self::SignIn => return Redirect::to("/login").into_response(),
            Self::Forged => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this site's page, or it is too old. Go back, reload \
                 the page and try again."
                    .to_owned(),
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not for your role",
                "Only owners and admins of the business can open this page.".to_owned(),
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found", NOT_FOUND.to_owned()),
            Self::BadLink => (
                StatusCode::NOT_FOUND,
                "This link does not work",
                "The link is not complete or not valid. Open it again from the message you \
                 received, or ask the sender for a new one."
                    .to_owned(),
            ),
            Self::TooMany(seconds) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!("Please wait {seconds} seconds and try again."),
            ),
            Self::Refused(status, message) => (status, "That could not be done", message),
            Self::Internal(cause) => {
                tracing::error!(%cause, "console page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The page could not be shown. Try again in a moment.".to_owned(),
                )
            }
        };
        let page = ErrorPage { title, message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title).into_response(),
        }
    }
}

/// Any path nothing answers: the API's 404 problem, which [`pages_for_browsers`] turns into
/// the not-found page for a browser.
pub(super) async fn not_found() -> Response {
    crate::api::error::ApiError::NotFound.into_response()
}

/// What the not-found page says.
const NOT_FOUND: &str = "There is nothing here, or it belongs to another business.";

/// "Method Not Allowed" as a page title: "Method not allowed".
fn sentence_case(reason: &str) -> String {
    let lower = reason.to_lowercase();
    let mut letters = lower.chars();
    letters
        .next()
        .map(|first| first.to_uppercase().chain(letters).collect())
        .unwrap_or_default()
}

/// The largest problem body read back to show its detail on a page.
const PROBLEM_READ_LIMIT: usize = 16 * 1024;

/// Whether an answer to this request is for a person's browser: it asks for HTML, and the path
/// is not the API's, its description or its documentation, which keep problem+json.
fn for_a_browser(request: &Request) -> bool {
    let path = request.uri().path();
    let api = ["/api/", "/docs", "/openapi.json"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    let wants_html = request
        .headers()
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    wants_html && !api
}

/// Every error a browser can reach is an HTML page in the console's look: a problem+json answer
/// (a 404, 405, 413, a timeout, a caught panic …) to a browser off the API's paths is turned
/// into the error page, with the problem's status, headers (`Retry-After`, `Allow`, request id)
/// and detail. API clients keep the problem.
pub async fn pages_for_browsers(request: Request, next: Next) -> Response {
    let browser = for_a_browser(&request);
    let response = next.run(request).await;
    let problem = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !browser || !problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let detail = axum::body::to_bytes(body, PROBLEM_READ_LIMIT)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|problem| problem.get("detail")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    let title = sentence_case(parts.status.canonical_reason().unwrap_or("Error"));
    let message = if parts.status == StatusCode::NOT_FOUND {
        NOT_FOUND.to_owned()
    } else {
        detail
    };
    let html = ErrorPage {
        title: &title,
        message,
    }
    .render()
    .unwrap_or(title);
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(html))
}

/// The id in a console path; a path whose id is not a number is the not-found page, as a
/// missing one is (axum's own answer would be plain text).
pub(super) struct PathId(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, WebError> {
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|_| WebError::NotFound)?;
        params
            .iter()
            .find(|(name, _)| name == "id")
            .and_then(|(_, value)| value.parse().ok())
            .map(Self)
            .ok_or(WebError::NotFound)
    }
}
