//! Settings: owners and admins only, as in the API.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::error::WebError;
use super::layout::{Chrome, render};
use super::session::Staff;
use crate::entities::{business, user};
use crate::services;
use crate::state::AppState;

/// The settings page.
#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    business: business::Model,
    staff: Vec<user::Model>,
}

/// `GET /settings`: a member gets the 403 page.
pub(super) async fn page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
) -> Result<Html<String>, WebError> {
    if !staff.actor.role.can_manage() {
        return Err(WebError::Forbidden);
    }
    let chrome = Chrome::of(&state, &staff, "settings").await?;
    let business = services::business::get(&state, &staff.actor).await?;
    let people = services::users::list(&state, &staff.actor, 200, 0)
        .await?
        .items;
    render(&SettingsPage {
        chrome,
        business,
        staff: people,
    })
}
