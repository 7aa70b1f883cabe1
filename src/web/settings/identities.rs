//! Sender identities: the addresses and numbers the business sends from — listed, added (a
//! six-digit code goes to each), sent a new code, verified with it, made the default on their
//! channel and deleted — through `services::sender_identities`, as `/sender-identities`.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::domain::{Channel, FieldError};
use crate::services::ServiceError;
use crate::services::sender_identities::{
    self, CODES_PER_HOUR, CodeDelivery, CreateSenderIdentityRequest, RESEND_AFTER_SECONDS,
    UpdateSenderIdentityRequest, VerifySenderIdentityRequest,
};
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::{PathId, WebError};
use crate::web::flash::{self, Flash};
use crate::web::form::Fields;
use crate::web::layout::{Chrome, error_for, render};
use crate::web::session::Staff;

/// The page's path, where its flash is kept.
const PATH: &str = "/settings/identities";

/// One identity as listed.
struct Row {
    id: i64,
    channel: Channel,
    address: String,
    /// The sender name e-mails show; "–" for the business's name.
    display_name: String,
    verified: bool,
    /// Where its verification stands, in words.
    status: String,
    is_default: bool,
    /// Whether the last code sent to it went out.
    outcome: Option<Flash>,
    /// The service's message about the code typed.
    code_error: Option<String>,
    /// Why the last action on it was refused, when not about the code.
    problem: Option<String>,
}

/// The add form as typed.
#[derive(Default)]
struct Draft {
    channel: String,
    address: String,
    display_name: String,
    phone_number_id: String,
}

/// What was refused: the add form, or an action on one identity.
enum Refusal {
    Add(Draft, Vec<FieldError>),
    Action {
        id: i64,
        code_error: Option<String>,
        problem: Option<String>,
    },
}

/// The sender identities page.
#[derive(Template)]
#[template(path = "settings_identities.html")]
struct IdentitiesPage {
    chrome: Chrome,
    rows: Vec<Row>,
    channels: [Channel; 3],
    draft: Draft,
    /// The add form's errors.
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

impl IdentitiesPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The page for an owner or admin; a member gets the 403 page.
async fn page(
    state: &AppState,
    staff: &Staff,
    refusal: Option<Refusal>,
    notice: Option<&'static str>,
    outcome: Option<Flash>,
) -> Result<Html<String>, WebError> {
    if !staff.actor.role.can_manage() {
        return Err(WebError::Forbidden);
    }
    let chrome = Chrome::of(state, staff, "settings").await?;
    let zone = chrome.zone();
    let now = state.clock.now();
    let when = |at: chrono::DateTime<chrono::Utc>, format: &str| {
        at.with_timezone(&zone).format(format).to_string()
    };
    let (draft, errors, refused_action) = match refusal {
        Some(Refusal::Add(draft, errors)) => (draft, errors, None),
        Some(Refusal::Action {
            id,
            code_error,
            problem,
        }) => (
            Draft::default(),
            Vec::new(),
            Some((id, code_error, problem)),
        ),
        None => (Draft::default(), Vec::new(), None),
    };
    let rows = sender_identities::list(state, &staff.actor)
        .await?
        .into_iter()
        .map(|identity| {
            let status = match (identity.verified_at, identity.code_expires_at) {
                (Some(at), _) => format!("Verified on {}", when(at.0, "%-d %b %Y")),
                (None, Some(until)) if until.0 > now => format!(
                    "Not verified yet: the code sent works until {}",
                    when(until.0, "%H:%M")
                ),
                (None, _) => "Not verified: send a new code to verify it".to_owned(),
            };
            let scope = format!("identity-{}", identity.id);
            let (code_error, problem) = match &refused_action {
                Some((id, code_error, problem)) if *id == identity.id => {
                    (code_error.clone(), problem.clone())
                }
                _ => (None, None),
            };
            Row {
                id: identity.id,
                channel: identity.channel,
                address: identity.address,
                display_name: identity.display_name.unwrap_or_else(|| "–".to_owned()),
                verified: identity.verified_at.is_some(),
                status,
                is_default: identity.is_default,
                outcome: outcome
                    .as_ref()
                    .filter(|flash| flash.scope == scope)
                    .cloned(),
                code_error,
                problem,
            }
        })
        .collect();
    render(&IdentitiesPage {
        chrome,
        rows,
        channels: Channel::ALL,
        draft,
        errors,
        notice,
    })
}

/// `GET /settings/identities?done=`: every identity with its state, and the add form; a
/// member gets the 403 page.
pub(in crate::web) async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    jar: CookieJar,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match query.get("done").map(String::as_str) {
        Some("added") => Some("The sender identity is added: it sends once its code is confirmed."),
        Some("verified") => Some("Verified: it can send now, and be made the default."),
        Some("default") => Some("It is now the default sender on its channel."),
        Some("deleted") => Some("The sender identity is deleted."),
        _ => None,
    };
    let (jar, outcome) = flash::take(&state, &staff, jar, PATH);
    let html = page(&state, &staff, None, notice, outcome).await?;
    Ok((jar, html).into_response())
}

/// The page again with what was refused, answered with `status`.
async fn refuse(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    refusal: Refusal,
) -> Result<Response, WebError> {
    let html = page(state, staff, Some(refusal), None, None).await?;
    Ok((status, html).into_response())
}

/// Back to the page, with whether the code sent to identity `id` went out.
fn sent(
    state: &AppState,
    staff: &Staff,
    jar: CookieJar,
    id: i64,
    delivery: CodeDelivery,
    done: &str,
) -> Response {
    let outcome = Flash {
        scope: format!("identity-{id}"),
        ok: delivery.sent,
        text: delivery.message,
    };
    let jar = flash::put(state, staff, jar, PATH, &outcome);
    (jar, Redirect::to(&format!("{PATH}{done}#identity-{id}"))).into_response()
}

/// An empty field as absent.
fn optional(text: String) -> Option<String> {
    Some(text).filter(|text| !text.is_empty())
}

/// `POST /settings/identities`: adds an address or number and sends a code to it.
pub(in crate::web) async fn add(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let draft = Draft {
        channel: fields.get("channel"),
        address: fields.get("address"),
        display_name: fields.get("display_name"),
        phone_number_id: fields.get("phone_number_id"),
    };
    let request = CreateSenderIdentityRequest {
        channel: draft.channel.clone(),
        address: draft.address.clone(),
        display_name: optional(draft.display_name.clone()),
        phone_number_id: optional(draft.phone_number_id.clone()),
    };
    let (status, errors) = match sender_identities::create(&state, &staff.actor, request).await {
        Ok((identity, delivery)) => {
            return Ok(sent(
                &state,
                &staff,
                jar,
                identity.id,
                delivery,
                "?done=added",
            ));
        }
        Err(ServiceError::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(ServiceError::Conflict(message)) => (
            StatusCode::CONFLICT,
            vec![FieldError::new("address", message)],
        ),
        Err(other) => return Err(other.into()),
    };
    refuse(&state, &staff, status, Refusal::Add(draft, errors)).await
}

/// `POST /settings/identities/{id}/{action}`: `code` (send a new one), `verify` (with the
/// `code` typed), `default` (make it the default on its channel) or `delete`.
pub(in crate::web) async fn act(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    jar: CookieJar,
    PathId(id): PathId,
    Path((_, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let actor = &staff.actor;
    let result = match action.as_str() {
        "code" => match sender_identities::resend_code(&state, actor, id).await {
            Ok((_, delivery)) => return Ok(sent(&state, &staff, jar, id, delivery, "")),
            Err(error) => error,
        },
        "verify" => {
            let request = VerifySenderIdentityRequest {
                code: fields.get("code"),
            };
            match sender_identities::verify(&state, actor, id, request).await {
                Ok(_) => return Ok(Redirect::to(&format!("{PATH}?done=verified")).into_response()),
                Err(error) => error,
            }
        }
        "default" => {
            let request = UpdateSenderIdentityRequest {
                is_default: Some(true),
                ..UpdateSenderIdentityRequest::default()
            };
            match sender_identities::update(&state, actor, id, request).await {
                Ok(_) => return Ok(Redirect::to(&format!("{PATH}?done=default")).into_response()),
                Err(error) => error,
            }
        }
        "delete" => match sender_identities::delete(&state, actor, id).await {
            Ok(()) => return Ok(Redirect::to(&format!("{PATH}?done=deleted")).into_response()),
            Err(error) => error,
        },
        _ => return Err(WebError::NotFound),
    };
    let (status, code_error, problem) = match result {
        ServiceError::Validation(errors) => {
            let code = error_for(&errors, "code").map(str::to_owned);
            let others = errors
                .iter()
                .filter(|error| error.field != "code")
                .map(|error| error.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let problem = Some(others).filter(|others| !others.is_empty());
            (StatusCode::UNPROCESSABLE_ENTITY, code, problem)
        }
        ServiceError::Conflict(message) => (StatusCode::CONFLICT, None, Some(message)),
        ServiceError::TooManyRequests {
            retry_after_seconds,
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            None,
            Some(format!(
                "A new code can be sent in {retry_after_seconds} seconds: codes go out at most \
                 once every {RESEND_AFTER_SECONDS} seconds to an identity, and {CODES_PER_HOUR} \
                 an hour for the business."
            )),
        ),
        other => return Err(other.into()),
    };
    let refusal = Refusal::Action {
        id,
        code_error,
        problem,
    };
    refuse(&state, &staff, status, refusal).await
}
