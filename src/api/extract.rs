//! Request extractors whose rejections are problem responses: JSON and form bodies, query
//! strings, path ids, pagination and the authenticated caller.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::field_errors;
use crate::domain::{Actor, FieldError};
use crate::security::jwt::Claims;
use crate::state::AppState;

/// A JSON body; wrong media type is 415, malformed JSON 400, wrong fields 422 naming the field,
/// and with `STRICT_VALIDATION` unknown fields are 422 too.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Marks a route whose JSON bodies may carry fields it does not read (the original service's
/// paths: its clients sent fields this API does not have), whatever `STRICT_VALIDATION` says.
#[derive(Debug, Clone, Copy)]
pub struct LenientFields;

/// A form-encoded body (`application/x-www-form-urlencoded`).
#[derive(Debug)]
pub struct ApiForm<T>(pub T);

/// A query string; values of the wrong type are 422.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// A CSV file sent whole as the body (`text/csv` or `application/csv`); another media type is
/// 415, an oversize body 413.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
pub struct CsvBody(pub Bytes);

/// A numeric id in the path; anything else is 404.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Reads the whole body within the route's limit: an oversize body is 413.
pub async fn read_body(request: Request, state: &Arc<AppState>) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("The request body could not be read.".into())
            }
        })
}

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let media = media_type(request.headers());
        let is_json = media
            .as_deref()
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "Send the body as application/json.".into(),
            ));
        }
        let strict = state.settings.strict_validation
            && request.extensions().get::<LenientFields>().is_none();
        let body = read_body(request, state).await?;
        parse_json(&body, strict).map(Self)
    }
}

/// Whether a JSON text has a NUL character (`\u0000`) in a string: no database stores it
/// (PostgreSQL refuses it outright), so it is refused before anything is written.
fn json_has_nul(body: &[u8]) -> bool {
    let mut index = 0;
    while index < body.len() {
        if body[index] == b'\\' {
            let escape = body.get(index + 1..index + 6);
            if escape.is_some_and(|e| e[0] == b'u' && &e[1..] == b"0000") {
                return true;
            }
            index += 2;
        } else {
            index += 1;
        }
    }
    false
}

/// The dotted path of the first string in a JSON value that holds a NUL character.
fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(key))
            } else {
                nul_path(item, &join(key))
            }
        }),
        _ => None,
    }
}

/// The 422 for text with a NUL character in `field`.
fn nul_refused(field: &str) -> ApiError {
    let field = if field.is_empty() { "body" } else { field };
    ApiError::Validation(vec![FieldError::new(
        field,
        "must not contain NUL characters (\\u0000)",
    )])
}

/// Deserialises JSON, naming the field at fault and, when `strict`, refusing unknown fields.
/// Text with a NUL character is refused, naming where it is.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], strict: bool) -> Result<T, ApiError> {
    if json_has_nul(body) {
        let path = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|value| nul_path(&value, ""))
            .unwrap_or_default();
        return Err(nul_refused(&path));
    }
    let mut unknown = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: Result<T, _> = {
        let mut record_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
        let ignoring = serde_ignored::Deserializer::new(&mut deserializer, &mut record_unknown);
        serde_path_to_error::deserialize(ignoring)
    };
    let value = match value {
        Ok(value) => value,
        Err(error) if error.inner().is_syntax() || error.inner().is_eof() => {
            return Err(not_json(error.inner()));
        }
        Err(error) => return Err(every_field_error::<T>(body, strict, error)),
    };
    deserializer.end().map_err(|error| not_json(&error))?;
    if strict && !unknown.is_empty() {
        return Err(ApiError::Validation(
            unknown
                .into_iter()
                .map(|field| FieldError::new(field, "unknown field"))
                .collect(),
        ));
    }
    Ok(value)
}

fn not_json(error: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("The body is not valid JSON: {error}"))
}

/// The 422 for a body that is JSON but not the fields `T` takes: every field at fault, found
/// by reading it again (`first` is what the first reading said, for a body whose other errors
/// cannot be told apart).
fn every_field_error<T: DeserializeOwned>(
    body: &[u8],
    strict: bool,
    first: serde_path_to_error::Error<serde_json::Error>,
) -> ApiError {
    let value = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => value,
        Err(error) => return not_json(&error),
    };
    let mut errors = field_errors::collect::<T>(value, strict);
    if errors.is_empty() {
        errors.push(field_errors::first_error(first, "body"));
    }
    ApiError::Validation(errors)
}

impl FromRequest<Arc<AppState>> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        if !matches!(
            media_type(request.headers()).as_deref(),
            Some("text/csv" | "application/csv")
        ) {
            return Err(ApiError::UnsupportedMediaType(
                "Send the file as text/csv.".into(),
            ));
        }
        read_body(request, state).await.map(Self)
    }
}

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for ApiForm<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        if media_type(request.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(ApiError::UnsupportedMediaType(
                "Send the body as application/x-www-form-urlencoded.".into(),
            ));
        }
        let body = read_body(request, state).await?;
        refuse_nul_pairs(&body)?;
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&body));
        serde_path_to_error::deserialize(deserializer)
            .map(Self)
            .map_err(|error| ApiError::Validation(vec![field_errors::first_error(error, "body")]))
    }
}

/// Refuses form or query pairs whose name or value holds a NUL character.
fn refuse_nul_pairs(encoded: &[u8]) -> Result<(), ApiError> {
    match form_urlencoded::parse(encoded)
        .find(|(key, value)| key.contains('\0') || value.contains('\0'))
    {
        Some((key, _)) => Err(nul_refused(&key.replace('\0', ""))),
        None => Ok(()),
    }
}

impl<T: DeserializeOwned + Send> FromRequestParts<Arc<AppState>> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &Arc<AppState>) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        refuse_nul_pairs(query.as_bytes())?;
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Self)
            .map_err(|error| ApiError::Validation(vec![field_errors::first_error(error, "query")]))
    }
}

impl FromRequestParts<Arc<AppState>> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound)?;
        parse_id(&raw).map(Self)
    }
}

/// A positive id from a path segment; anything else is 404 (the resource cannot exist).
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

/// `?limit=&offset=`: limit defaults to 50 and may be 1 to 200.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows to return.
    pub limit: u64,
    /// Rows to skip.
    pub offset: u64,
}

impl Page {
    /// Largest `limit` accepted.
    pub const MAX_LIMIT: u64 = 200;
    /// `limit` when none is given.
    pub const DEFAULT_LIMIT: u64 = 50;
    /// Largest `offset` accepted.
    pub const MAX_OFFSET: u64 = 1_000_000_000;

    /// Checks the bounds.
    pub fn new(limit: Option<u64>, offset: Option<u64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if limit == 0 || limit > Self::MAX_LIMIT {
            return Err(ApiError::invalid(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        let offset = offset.unwrap_or(0);
        // Databases take signed 64-bit offsets; nothing real lies this far.
        if offset > Self::MAX_OFFSET {
            return Err(ApiError::invalid(
                "offset",
                format!("must be at most {}", Self::MAX_OFFSET),
            ));
        }
        Ok(Self { limit, offset })
    }
}

/// The signed-in caller, their account as checked, and the access token they presented (for
/// logout).
pub struct Session {
    pub actor: Actor,
    pub user: std::sync::Arc<crate::entities::user::Model>,
    pub claims: Claims,
}

impl FromRequestParts<Arc<AppState>> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        Ok(Session::from_request_parts(parts, state).await?.actor)
    }
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| ApiError::Unauthorized("A bearer token is required.".into()))?;
        let (caller, claims) = crate::services::auth::authenticate(state, token).await?;
        Ok(Self {
            actor: caller.actor,
            user: caller.user,
            claims,
        })
    }
}

/// The caller's IP address: the socket peer, or the first `X-Forwarded-For` hop when
/// `TRUST_FORWARDED_FOR` is set.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<Arc<AppState>> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if state.settings.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if forwarded.is_some() {
                return Ok(Self(forwarded));
            }
        }
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}
