//! The business's own settings on the overview: name, time zone, sender, country, quiet hours
//! and default channels, and the monthly caps per channel — both through
//! `services::business::update`, as `PATCH /business`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Typed, answer};
use crate::domain::quiet_hours::QuietHoursSpec;
use crate::domain::{Channel, FieldError};
use crate::services;
use crate::services::business::UpdateBusinessRequest;
use crate::services::usage::UsageCaps;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::session::Staff;

/// An empty field as absent (`null`: cleared).
fn optional(text: String) -> Option<String> {
    Some(text).filter(|text| !text.is_empty())
}

/// `POST /settings/business`: the business's settings, with the API's rules.
pub(in crate::web) async fn update_business(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let (start, end) = (fields.get("quiet_start"), fields.get("quiet_end"));
    let request = UpdateBusinessRequest {
        name: Some(fields.get("name")),
        timezone: Some(fields.get("timezone")),
        default_channels: Some(fields.all("default_channel")),
        email_from: Some(optional(fields.get("email_from"))),
        default_country: Some(optional(fields.get("default_country"))),
        quiet_hours: Some(
            (!start.is_empty() || !end.is_empty()).then_some(QuietHoursSpec { start, end }),
        ),
        ..UpdateBusinessRequest::default()
    };
    let result = services::business::update(&state, &staff.actor, request)
        .await
        .map(|_| ());
    answer(&state, &staff, result, Typed::default(), "business").await
}

/// `POST /settings/caps`: the monthly cap of each channel (`cap_email`, `cap_sms`,
/// `cap_whatsapp`); an empty field is no cap. The service checks the numbers given; a field
/// that is not a whole number is refused here, as the API's JSON would be.
pub(in crate::web) async fn update_caps(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let typed = Channel::ALL.map(|channel| fields.get(&format!("cap_{channel}")));
    let mut caps = UsageCaps::default();
    let mut unreadable = Vec::new();
    for (channel, text) in Channel::ALL.into_iter().zip(&typed) {
        if text.is_empty() {
            continue;
        }
        let Ok(cap) = text.parse::<i64>() else {
            unreadable.push(FieldError::new(
                format!("usage_caps.{channel}"),
                "must be a whole number of messages (empty: no cap)",
            ));
            continue;
        };
        match channel {
            Channel::Email => caps.email = Some(cap),
            Channel::Sms => caps.sms = Some(cap),
            Channel::Whatsapp => caps.whatsapp = Some(cap),
        }
    }
    let result = if unreadable.is_empty() {
        let request = UpdateBusinessRequest {
            usage_caps: Some(Some(caps)),
            ..UpdateBusinessRequest::default()
        };
        services::business::update(&state, &staff.actor, request)
            .await
            .map(|_| ())
    } else {
        Err(services::ServiceError::Validation(unreadable))
    };
    let typed = Typed {
        caps: Some(typed),
        ..Typed::default()
    };
    answer(&state, &staff, result, typed, "caps").await
}
