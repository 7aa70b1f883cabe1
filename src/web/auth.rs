//! Signing up, in and out.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::csrf;
use super::error::WebError;
use super::layout::{error_for, render};
use super::session::{self, Staff};
use crate::api::extract::ClientAddress;
use crate::domain::FieldError;
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// `GET /`: the dashboard for a signed-in person, else the sign-in page.
pub(super) async fn home(jar: CookieJar) -> Redirect {
    if jar.get(session::ACCESS).is_some() || jar.get(session::REFRESH).is_some() {
        Redirect::to("/dashboard")
    } else {
        Redirect::to("/login")
    }
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    message: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginForm {
    email: String,
    password: String,
    csrf: String,
}

/// `GET /login`.
pub(super) async fn login_page(jar: CookieJar) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::anonymous_token(jar);
    let page = LoginPage {
        csrf,
        email: String::new(),
        message: None,
    };
    Ok((jar, render(&page)?).into_response())
}

/// `POST /login`: signs in with the API's rules (lockout, rate limits) and starts a session.
pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    csrf::check_anonymous(&state, &jar, &headers, &form.csrf)?;
    match services::auth::login(&state, &form.email, form.password, address).await {
        Ok(pair) => {
            let jar = session::signed_in(&state, jar, &pair);
            Ok((jar, Redirect::to("/dashboard")).into_response())
        }
        Err(ServiceError::Unauthorized(_)) => {
            let page = LoginPage {
                csrf: form.csrf,
                email: form.email,
                message: Some("The e-mail or the password is wrong.".into()),
            };
            Ok((axum::http::StatusCode::UNAUTHORIZED, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// The sign-up page.
#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    csrf: String,
    form: SignupForm,
    errors: Vec<FieldError>,
}

impl SignupPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The sign-up form: a business and its owner.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SignupForm {
    business_name: String,
    full_name: String,
    email: String,
    password: String,
    timezone: String,
    csrf: String,
}

/// `GET /signup`.
pub(super) async fn signup_page(jar: CookieJar) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::anonymous_token(jar);
    let page = SignupPage {
        csrf,
        form: SignupForm::default(),
        errors: Vec::new(),
    };
    Ok((jar, render(&page)?).into_response())
}

/// `POST /signup`: registers the business and its owner as the API does, then signs them in.
pub(super) async fn signup(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<SignupForm>,
) -> Result<Response, WebError> {
    csrf::check_anonymous(&state, &jar, &headers, &form.csrf)?;
    let request = services::auth::RegisterRequest {
        business_name: form.business_name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        full_name: form.full_name.clone(),
        timezone: Some(form.timezone.trim().to_owned()).filter(|zone| !zone.is_empty()),
    };
    let errors = match services::auth::register(&state, request, address).await {
        Ok(_) => {
            let pair =
                services::auth::login(&state, &form.email, form.password.clone(), address).await?;
            let jar = session::signed_in(&state, jar, &pair);
            return Ok((jar, Redirect::to("/dashboard")).into_response());
        }
        Err(ServiceError::Validation(errors)) => errors,
        Err(ServiceError::Conflict(message)) => vec![FieldError {
            field: "email".into(),
            message,
        }],
        Err(other) => return Err(other.into()),
    };
    let page = SignupPage {
        csrf: form.csrf.clone(),
        form: SignupForm {
            password: String::new(),
            ..form
        },
        errors,
    };
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

/// The sign-out form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LogoutForm {
    csrf: String,
}

/// `POST /logout`: ends the session everywhere (its tokens are revoked, as the API's logout).
pub(super) async fn logout(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    services::auth::logout(&state, &staff.claims).await?;
    let jar = session::signed_out(&state, jar);
    Ok((jar, Redirect::to("/login")).into_response())
}
