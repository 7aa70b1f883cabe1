//! What every signed-in page shows around its content: the business, the navigation (owner and
//! admin pages only for them) and the sign-out form.

use askama::Template;
use axum::response::Html;

use super::error::WebError;
use super::session::Staff;
use crate::domain::FieldError;
use crate::entities::business;
use crate::services;
use crate::state::AppState;

/// The frame of a signed-in page.
pub(super) struct Chrome {
    /// The business's name.
    pub business: String,
    /// Its IANA time zone: times on every page are shown in it, and it is named.
    pub timezone: String,
    /// Owners and admins see the settings.
    pub can_manage: bool,
    /// The session's CSRF token, for the sign-out form and the page's own forms.
    pub csrf: String,
    /// The section the page belongs to, highlighted in the navigation.
    pub section: &'static str,
}

impl Chrome {
    /// The frame for `staff` on a page of `section`.
    pub async fn of(
        state: &AppState,
        staff: &Staff,
        section: &'static str,
    ) -> Result<Self, WebError> {
        Ok(Self::with_business(state, staff, section).await?.0)
    }

    /// The frame and the business it shows, for pages that need the business's other settings
    /// too (read once).
    pub async fn with_business(
        state: &AppState,
        staff: &Staff,
        section: &'static str,
    ) -> Result<(Self, business::Model), WebError> {
        let business = services::business::get(state, &staff.actor).await?;
        let chrome = Self {
            business: business.name.clone(),
            timezone: business.timezone.clone(),
            can_manage: staff.actor.role.can_manage(),
            csrf: staff.csrf.clone(),
            section,
        };
        Ok((chrome, business))
    }

    /// The business's time zone (UTC if its name no longer reads).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// An instant as the pages show it, in the business's time zone: `15 Jan 2027, 09:00`.
pub(super) fn local(at: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

/// Renders a page.
pub(super) fn render(page: &impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(page.render()?))
}

/// The message of the first error about `field`, to show next to it.
pub(super) fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|error| error.field == field)
        .map(|error| error.message.as_str())
}
