//! RFC 9457 problem details: the one error body of the API, and the one place statuses are chosen.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::FieldError;
use crate::services::ServiceError;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

tokio::task_local! {
    /// The current request's id, set by the request-id middleware for error bodies.
    pub static REQUEST_ID: String;
}

/// Marks an error response whose body is already final, in another format than ours (the
/// original service's envelope on its paths): it is not rewritten into a problem.
#[derive(Debug, Clone, Copy)]
pub struct FinalErrorBody;

/// An RFC 9457 problem body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `https://reminder-app.dev/problems/` followed by e.g.
    /// `validation`, `not-found`, `conflict` or `too-many-requests`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase, e.g. `Unprocessable Entity`.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The request's id (also in the `X-Request-Id` header), to quote when reporting a
    /// problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Each invalid field and why; only on a 422 (absent otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body or query could not be read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401, with `WWW-Authenticate: Bearer`.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 403.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: unknown route or a resource this business does not have.
    #[error("not found")]
    NotFound,
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 413 with what the limit is.
    #[error("too large: {0}")]
    TooLarge(String),
    /// 415.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 422 with field errors.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 429 with `Retry-After`.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after_seconds: u64,
    },
    /// 503: a dependency is down.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: the cause is logged, never shown.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A single-field 422.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge | Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_detail(&self) -> (&'static str, String) {
        match self {
            Self::BadRequest(detail) => ("bad-request", detail.clone()),
            Self::Unauthorized(detail) => ("unauthorized", detail.clone()),
            Self::Forbidden(detail) => ("forbidden", detail.clone()),
            Self::NotFound => ("not-found", "The resource does not exist.".into()),
            Self::MethodNotAllowed => (
                "method-not-allowed",
                "This method is not allowed on this path.".into(),
            ),
            Self::Conflict(detail) => ("conflict", detail.clone()),
            Self::PayloadTooLarge => (
                "payload-too-large",
                "The request body is larger than this endpoint accepts.".into(),
            ),
            Self::TooLarge(detail) => ("payload-too-large", detail.clone()),
            Self::UnsupportedMediaType(detail) => ("unsupported-media-type", detail.clone()),
            Self::Validation(errors) => (
                "validation",
                format!(
                    "{} field(s) are invalid: {}",
                    errors.len(),
                    errors
                        .iter()
                        .map(|e| e.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Self::TooManyRequests {
                retry_after_seconds,
            } => (
                "too-many-requests",
                format!("Too many attempts; try again in {retry_after_seconds} seconds."),
            ),
            Self::Unavailable(detail) => ("unavailable", detail.clone()),
            Self::Internal(_) => (
                "internal",
                "An unexpected error occurred; it has been logged.".into(),
            ),
        }
    }
}

/// Builds a problem response for a status and detail.
pub fn problem_response(
    status: StatusCode,
    slug: &str,
    detail: String,
    errors: Vec<FieldError>,
) -> Response {
    let body = Problem {
        kind: format!("https://reminder-app.dev/problems/{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        request_id: REQUEST_ID.try_with(Clone::clone).ok(),
        errors,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (status, json).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let (slug, detail) = self.slug_and_detail();
        let retry_after = match &self {
            Self::TooManyRequests {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            _ => None,
        };
        let unauthorized = matches!(self, Self::Unauthorized(_));
        let errors = match self {
            Self::Validation(errors) => errors,
            _ => Vec::new(),
        };
        let mut response = problem_response(status, slug, detail, errors);
        let headers = response.headers_mut();
        if unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Validation(errors) => Self::Validation(errors),
            ServiceError::BadRequest(detail) => Self::BadRequest(detail),
            ServiceError::NotFound => Self::NotFound,
            ServiceError::Conflict(detail) => Self::Conflict(detail),
            ServiceError::Forbidden(detail) => Self::Forbidden(detail),
            ServiceError::Unauthorized(detail) => Self::Unauthorized(detail),
            ServiceError::TooManyRequests {
                retry_after_seconds,
            } => Self::TooManyRequests {
                retry_after_seconds,
            },
            ServiceError::TooLarge(detail) => Self::TooLarge(detail),
            ServiceError::UnsupportedMediaType(detail) => Self::UnsupportedMediaType(detail),
            ServiceError::Internal(cause) => Self::Internal(cause),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(anyhow::Error::new(error).context("database error"))
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
