//! What a console request can end in besides its page: a trip to the sign-in page, or an error
//! page in the console's look — never JSON.

use askama::Template;
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};

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
pub(super) struct ErrorPage {
    pub title: &'static str,
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
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it belongs to another business.".to_owned(),
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

/// Any path nothing answers: an HTML page for a browser, the API's problem+json for API paths
/// and for clients that do not ask for HTML.
pub(super) async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if uri.path().starts_with("/api/") || !wants_html {
        crate::api::error::ApiError::NotFound.into_response()
    } else {
        WebError::NotFound.into_response()
    }
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
