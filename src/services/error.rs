//! The error every service returns; the API maps it to a problem response in one place.

use crate::domain::FieldError;

/// Why a service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input broke a rule; one entry per field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The request cannot be taken as sent (e.g. a webhook whose signature does not hold).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The resource does not exist for this business.
    #[error("not found")]
    NotFound,
    /// It would duplicate something that must be unique.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Credentials or token missing, wrong or expired.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after_seconds: u64,
    },
    /// The upload is larger than allowed (413).
    #[error("too large: {0}")]
    TooLarge(String),
    /// The upload's content is of a type not accepted (415).
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Anything else: a bug or an outage. Its text never reaches the client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(anyhow::Error::new(error).context("database error"))
    }
}

/// True when the database refused a row because of a unique index.
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;
