//! The pages a business's clients reach from the links in their reminders — pay, unsubscribe,
//! open a document — in the console's look. No sign-in: the signed token in the path is the
//! proof. A bad or expired link is an HTML page here too, never JSON.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::error::WebError;
use super::layout::render;
use crate::services::documents::{self, LinkPage};
use crate::services::payments::{self, PayPage};
use crate::services::{ServiceError, unsubscribe};
use crate::state::AppState;

/// Routes of the client-facing pages (outside the API prefix; the paths are the contract's).
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/pay/{token}", get(pay))
        .route(
            "/unsubscribe/{token}",
            get(confirm_unsubscribe).post(unsubscribe_now),
        )
        .route("/d/{token}", get(open_document))
}

/// What a client can do next from a page.
enum ClientAction {
    /// Follow a link (label, address).
    Link(&'static str, String),
    /// Post the page's own form back (label).
    Post(&'static str),
}

/// A short page for a client: a title, what happened, and perhaps one thing to do.
#[derive(Template)]
#[template(path = "client_page.html")]
struct ClientPage {
    title: &'static str,
    lines: Vec<String>,
    action: Option<ClientAction>,
}

impl ClientPage {
    fn new(title: &'static str, lines: Vec<String>) -> Self {
        Self {
            title,
            lines,
            action: None,
        }
    }

    fn with(self, action: ClientAction) -> Self {
        Self {
            action: Some(action),
            ..self
        }
    }

    fn answer(&self, status: StatusCode) -> Result<Response, WebError> {
        Ok((status, render(self)?).into_response())
    }
}

/// A link whose signature does not check out is a page that says so; other failures are the
/// console's error pages.
fn link_error(error: ServiceError) -> WebError {
    match error {
        ServiceError::NotFound => WebError::BadLink,
        other => other.into(),
    }
}

/// `GET /pay/{token}`: goes (303) to a Stripe Checkout Session made or reused for the payment;
/// a paid one shows a thank-you page; Stripe sends the client back with `?result=`.
async fn pay(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let result = query.get("result").map(String::as_str);
    let page = match payments::open_link(&state, &token, result)
        .await
        .map_err(link_error)?
    {
        PayPage::Checkout(url) => {
            return Ok((StatusCode::SEE_OTHER, [(LOCATION, url)]).into_response());
        }
        PayPage::Paid { amount } => ClientPage::new(
            "Already paid — thank you",
            vec![format!("This payment of {amount} has been received.")],
        ),
        PayPage::Confirming { amount } => ClientPage::new(
            "Thank you",
            vec![format!(
                "Your payment of {amount} is being confirmed. You can close this page."
            )],
        ),
        PayPage::Cancelled { amount, retry_url } => ClientPage::new(
            "Payment not completed",
            vec![format!("The payment of {amount} was not completed.")],
        )
        .with(ClientAction::Link("Pay now", retry_url)),
        PayPage::Unavailable(message) => {
            return ClientPage::new(
                "Payment unavailable",
                vec![message, "Please try again later.".to_owned()],
            )
            .answer(StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    page.answer(StatusCode::OK)
}

/// `GET /unsubscribe/{token}`: asks first, so that mail scanners opening links unsubscribe no
/// one.
async fn confirm_unsubscribe(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    let channel = unsubscribe::check(&state, &token).map_err(link_error)?;
    render(
        &ClientPage::new(
            "Unsubscribe",
            vec![format!("Stop receiving reminders by {channel}?")],
        )
        .with(ClientAction::Post("Unsubscribe")),
    )
}

/// `POST /unsubscribe/{token}`: from the page above or as RFC 8058 one-click
/// (`List-Unsubscribe=One-Click`); opts out at once.
async fn unsubscribe_now(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    let channel = unsubscribe::unsubscribe(&state, &token)
        .await
        .map_err(link_error)?;
    render(&ClientPage::new(
        "Unsubscribed",
        vec![format!("You will get no more reminders by {channel}.")],
    ))
}

/// `GET /d/{token}`: the document; a revoked or expired link, or a removed document, is a 410
/// page.
async fn open_document(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match documents::open_link(&state, &token)
        .await
        .map_err(link_error)?
    {
        LinkPage::File(row, bytes) => Ok(crate::api::documents::file_response(&row, bytes)),
        LinkPage::Gone(message) => ClientPage::new(
            "Document no longer available",
            vec![
                message.to_owned(),
                "Ask the sender for a new link if you still need it.".to_owned(),
            ],
        )
        .answer(StatusCode::GONE),
    }
}
