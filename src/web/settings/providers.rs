//! Provider accounts: the business's own SMTP server, Twilio account, WhatsApp Cloud number
//! and Stripe account, each set or replaced, removed (the platform's is used again) and tested,
//! through the services behind `PATCH /business` and
//! `POST /business/providers/{provider}/test`. Secrets are write-only: the page says an account
//! is set and shows its other settings, never a secret.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use super::provider_fields::{self, Shown};
use crate::domain::{FieldError, Provider};
use crate::services::business::UpdateBusinessRequest;
use crate::services::provider_checks::{self, ProviderTestRequest, ProviderTestResult};
use crate::services::{self, ServiceError};
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::flash::{self, Flash};
use crate::web::form::Fields;
use crate::web::layout::{Chrome, error_for, render};
use crate::web::session::Staff;

/// The page's path, where its flash is kept.
const PATH: &str = "/settings/providers";

/// How a provider is named on the page, and what it carries.
fn title(provider: Provider) -> (&'static str, &'static str) {
    match provider {
        Provider::Smtp => ("SMTP server", "E-mails go through it."),
        Provider::Twilio => ("Twilio", "SMS go through it."),
        Provider::Whatsapp => (
            "WhatsApp Cloud API",
            "WhatsApp messages go from its number.",
        ),
        Provider::Stripe => ("Stripe", "Payment links are paid into it."),
    }
}

/// What a test needs besides the account: the recipient's label and input type (none for
/// Stripe, whose test checks the key).
fn recipient(provider: Provider) -> Option<(&'static str, &'static str)> {
    match provider {
        Provider::Smtp => Some(("Send it to this e-mail address", "email")),
        Provider::Twilio | Provider::Whatsapp => Some((
            "Send it to this number (international form, e.g. +447400123456)",
            "tel",
        )),
        Provider::Stripe => None,
    }
}

/// One provider's card.
struct Card {
    /// Its name in paths and ids.
    name: &'static str,
    title: &'static str,
    carries: &'static str,
    /// True when the business set its own account (the API's `configured`).
    configured: bool,
    fields: Vec<Shown>,
    /// The test's recipient field: (label, input type, value, error); none for Stripe.
    recipient: Option<(&'static str, &'static str, String, Option<String>)>,
    /// Why the test could not be made, when it is not the recipient's fault.
    test_problem: Option<String>,
    /// What the last test said.
    outcome: Option<Flash>,
}

/// The provider accounts page.
#[derive(Template)]
#[template(path = "settings_providers.html")]
struct ProvidersPage {
    chrome: Chrome,
    cards: Vec<Card>,
    notice: Option<String>,
    /// A form was refused: the alert at the top.
    refused: bool,
}

/// A refused form: its provider, what was typed (never a secret) and the service's errors.
struct Refused {
    provider: Provider,
    /// The settings form as typed, when that was the form refused.
    settings: Option<HashMap<String, String>>,
    /// The test's recipient as typed.
    to: String,
    errors: Vec<FieldError>,
}

/// The page for an owner or admin; a member gets the 403 page.
async fn page(
    state: &AppState,
    staff: &Staff,
    refused: Option<Refused>,
    notice: Option<String>,
    outcome: Option<Flash>,
) -> Result<Html<String>, WebError> {
    if !staff.actor.role.can_manage() {
        return Err(WebError::Forbidden);
    }
    let chrome = Chrome::of(state, staff, "settings").await?;
    let views = services::providers::views(&state.db, staff.actor.business)
        .await
        .map_err(ServiceError::from)?;
    let cards = Provider::ALL
        .iter()
        .map(|&provider| {
            let view = views.get(provider.as_str());
            let configured = view.is_some_and(|view| view.configured);
            let mine = refused.as_ref().filter(|r| r.provider == provider);
            let errors = mine.map_or(&[][..], |refused| refused.errors.as_slice());
            let values = match mine.and_then(|refused| refused.settings.clone()) {
                Some(typed) => typed,
                None => view
                    .map(|view| provider_fields::stored_values(&view.settings))
                    .unwrap_or_default(),
            };
            let (title, carries) = title(provider);
            Card {
                name: provider.as_str(),
                title,
                carries,
                configured,
                fields: provider_fields::shown(provider, configured, &values, errors),
                recipient: recipient(provider).map(|(label, input)| {
                    let typed = mine.map(|refused| refused.to.clone()).unwrap_or_default();
                    (
                        label,
                        input,
                        typed,
                        error_for(errors, "to").map(str::to_owned),
                    )
                }),
                test_problem: error_for(errors, "provider").map(str::to_owned),
                outcome: outcome
                    .as_ref()
                    .filter(|flash| flash.scope == provider.as_str())
                    .cloned(),
            }
        })
        .collect();
    render(&ProvidersPage {
        chrome,
        cards,
        notice,
        refused: refused.is_some(),
    })
}

/// `GET /settings/providers?saved=|removed=`: every provider, set or not, with the outcome of
/// the last test; a member gets the 403 page.
pub(in crate::web) async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    jar: CookieJar,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let named = |key: &str| {
        query
            .get(key)
            .and_then(|name| name.parse::<Provider>().ok())
            .map(|provider| title(provider).0)
    };
    let notice = match (named("saved"), named("removed")) {
        (Some(title), _) => Some(format!("The {title} account is saved.")),
        (None, Some(title)) => Some(format!(
            "The {title} account is removed: the platform's is used instead, if there is one."
        )),
        (None, None) => None,
    };
    let (jar, outcome) = flash::take(&state, &staff, jar, PATH);
    let html = page(&state, &staff, None, notice, outcome).await?;
    Ok((jar, html).into_response())
}

/// `POST /settings/providers/{provider}/{action}`: `save` its settings (merged over the stored
/// ones; an empty secret keeps the stored one), `remove` it, or `test` it.
pub(in crate::web) async fn act(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    jar: CookieJar,
    Path((name, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let provider: Provider = name.parse().map_err(|_| WebError::NotFound)?;
    match action.as_str() {
        "save" => save(&state, &staff, provider, &fields).await,
        "remove" => {
            let patch = provider_fields::patch(provider, None)
                .map_err(|error| WebError::Internal(error.to_string()))?;
            update(&state, &staff, patch).await?;
            Ok(Redirect::to(&format!("{PATH}?removed={provider}")).into_response())
        }
        "test" => test(&state, &staff, jar, provider, &fields).await,
        _ => Err(WebError::NotFound),
    }
}

/// Changes the business's provider accounts, as `PATCH /business` with `providers`.
async fn update(
    state: &AppState,
    staff: &Staff,
    providers: services::providers::ProvidersPatch,
) -> Result<(), ServiceError> {
    let request = UpdateBusinessRequest {
        providers: Some(providers),
        ..UpdateBusinessRequest::default()
    };
    services::business::update(state, &staff.actor, request)
        .await
        .map(|_| ())
}

/// The page again with a provider's form refused.
async fn refuse(state: &AppState, staff: &Staff, refused: Refused) -> Result<Response, WebError> {
    let html = page(state, staff, Some(refused), None, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// Saves a provider's form: back with a notice, or the page again with the errors by field.
async fn save(
    state: &AppState,
    staff: &Staff,
    provider: Provider,
    fields: &Fields,
) -> Result<Response, WebError> {
    let typed = provider_fields::typed_values(provider, fields);
    let result = match provider_fields::read(provider, fields) {
        Ok(settings) => {
            let patch = provider_fields::patch(provider, Some(settings))
                .map_err(|error| WebError::Internal(error.to_string()))?;
            update(state, staff, patch).await
        }
        Err(errors) => Err(ServiceError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{PATH}?saved={provider}")).into_response()),
        Err(ServiceError::Validation(errors)) => {
            let refused = Refused {
                provider,
                settings: Some(typed),
                to: String::new(),
                errors,
            };
            refuse(state, staff, refused).await
        }
        Err(other) => Err(other.into()),
    }
}

/// What a test's outcome says on the page.
fn outcome_text(result: &ProviderTestResult) -> String {
    match (result.ok, &result.provider_message_id, &result.error_code) {
        (true, Some(id), _) => format!("{} Its id: {id}.", result.message),
        (true, None, _) => result.message.clone(),
        (false, _, Some(code)) => format!("Not accepted: {} (code {code}).", result.message),
        (false, _, None) => format!("Not accepted: {}", result.message),
    }
}

/// Tests a provider: back to its card with what the provider said; a recipient the service
/// refuses is shown by its field.
async fn test(
    state: &AppState,
    staff: &Staff,
    jar: CookieJar,
    provider: Provider,
    fields: &Fields,
) -> Result<Response, WebError> {
    let to = fields.get("to");
    let request = ProviderTestRequest {
        to: Some(to.clone()).filter(|to| !to.is_empty()),
    };
    match provider_checks::test(state, &staff.actor, provider.as_str(), request).await {
        Ok(result) => {
            let outcome = Flash {
                scope: provider.to_string(),
                ok: result.ok,
                text: outcome_text(&result),
            };
            let jar = flash::put(state, staff, jar, PATH, &outcome);
            let back = format!("{PATH}#provider-{provider}");
            Ok((jar, Redirect::to(&back)).into_response())
        }
        Err(ServiceError::Validation(errors)) => {
            let refused = Refused {
                provider,
                settings: None,
                to,
                errors,
            };
            refuse(state, staff, refused).await
        }
        Err(other) => Err(other.into()),
    }
}
