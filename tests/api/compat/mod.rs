//! The original service's API, replayed: request bodies written from its Pydantic schemas
//! (`app/schemas/*.py`, branch `plus_tests`) and endpoint signatures (`app/api/endpoints/*.py`)
//! on its paths, with the answers' field names, types and statuses asserted against those
//! schemas. One module per resource, as the original had them.

mod auth;
mod clients;
mod notifications;
mod paths;
mod reminders;
mod sender_identities;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

/// A JSON type as the original's schemas declared it; `…OrNull` for `Optional[…]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Str,
    Bool,
    Array,
    IntOrNull,
    StrOrNull,
}

impl Kind {
    fn admits(self, value: &Value) -> bool {
        match self {
            Self::Int => value.is_i64(),
            Self::Str => value.is_string(),
            Self::Bool => value.is_boolean(),
            Self::Array => value.is_array(),
            Self::IntOrNull => value.is_i64() || value.is_null(),
            Self::StrOrNull => value.is_string() || value.is_null(),
        }
    }
}

use Kind::{Array, Bool, Int, IntOrNull, Str, StrOrNull};

/// The original's `User` (`app/schemas/user.py`).
pub const USER: &[(&str, Kind)] = &[
    ("id", Int),
    ("username", Str),
    ("email", Str),
    ("first_name", StrOrNull),
    ("last_name", StrOrNull),
    ("business_name", StrOrNull),
    ("phone_number", StrOrNull),
    ("is_active", Bool),
    ("is_superuser", Bool),
    ("created_at", Str),
    ("updated_at", StrOrNull),
];

/// The original's `Token` (`app/schemas/token.py`); ours adds `expires_in`.
pub const TOKEN: &[(&str, Kind)] = &[
    ("access_token", Str),
    ("token_type", Str),
    ("refresh_token", StrOrNull),
    ("expires_in", Int),
];

/// The original's `Client` (`app/schemas/clients.py`), with the model's two other numbers.
pub const CLIENT: &[(&str, Kind)] = &[
    ("id", Int),
    ("user_id", Int),
    ("name", Str),
    ("email", StrOrNull),
    ("phone_number", StrOrNull),
    ("secondary_phone_number", StrOrNull),
    ("whatsapp_phone_number", StrOrNull),
    ("address", StrOrNull),
    ("notes", StrOrNull),
    ("is_active", Bool),
    ("created_at", Str),
    ("updated_at", StrOrNull),
];

/// What the original's `ClientDetail` adds to `Client`.
pub const CLIENT_DETAIL: &[(&str, Kind)] = &[
    ("reminders_count", Int),
    ("active_reminders_count", Int),
    ("notifications_count", Int),
];

/// The original's `ReminderSchema` (`app/schemas/reminders.py`).
pub const REMINDER: &[(&str, Kind)] = &[
    ("id", Int),
    ("user_id", Int),
    ("title", Str),
    ("description", StrOrNull),
    ("reminder_type", Str),
    ("notification_type", Str),
    ("reminder_date", Str),
    ("is_recurring", Bool),
    ("recurrence_pattern", StrOrNull),
    ("is_active", Bool),
    ("email_configuration_id", IntOrNull),
    ("sender_identity_id", IntOrNull),
    ("created_at", Str),
    ("updated_at", StrOrNull),
];

/// What the original's `ReminderDetail` adds to `ReminderSchema`.
pub const REMINDER_DETAIL: &[(&str, Kind)] = &[
    ("clients", Array),
    ("notifications_count", Int),
    ("sent_count", Int),
    ("failed_count", Int),
];

/// The original's `NotificationDetail` (`app/schemas/notifications.py`).
pub const NOTIFICATION: &[(&str, Kind)] = &[
    ("id", Int),
    ("user_id", Int),
    ("reminder_id", Int),
    ("client_id", Int),
    ("notification_type", Str),
    ("message", StrOrNull),
    ("status", Str),
    ("sent_at", StrOrNull),
    ("error_message", StrOrNull),
    ("created_at", Str),
    ("updated_at", StrOrNull),
    ("reminder_title", Str),
    ("client_name", Str),
];

/// The original's `SenderIdentity` (`app/schemas/senderIdentities.py`).
pub const SENDER_IDENTITY: &[(&str, Kind)] = &[
    ("id", Int),
    ("user_id", Int),
    ("identity_type", Str),
    ("value", Str),
    ("display_name", Str),
    ("is_default", Bool),
    ("is_verified", Bool),
    ("created_at", Str),
    ("updated_at", StrOrNull),
];

/// Asserts that `value` is an object with exactly the fields of `shapes`, each of its type.
#[track_caller]
pub fn assert_shape(value: &Value, shapes: &[&[(&str, Kind)]]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let expected: Vec<&(&str, Kind)> = shapes.iter().flat_map(|shape| shape.iter()).collect();
    for (field, kind) in &expected {
        let found = object
            .get(*field)
            .unwrap_or_else(|| panic!("no {field} in {value}"));
        assert!(kind.admits(found), "{field} is not {kind:?}: {value}");
    }
    let mut extra: Vec<&String> = object
        .keys()
        .filter(|key| !expected.iter().any(|(field, _)| field == key))
        .collect();
    extra.sort();
    assert!(
        extra.is_empty(),
        "fields the original did not have: {extra:?}"
    );
}

/// Reads a JSON body after checking the status and that it is plain JSON (not a problem).
pub async fn original_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "{text}");
    assert_eq!(media, "application/json", "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Asserts the original's `AppException` envelope with this code; returns its `error`.
pub async fn original_error(response: Response, status: StatusCode, code: &str) -> Value {
    let body = original_json(response, status).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body["error"].get("details").is_some(), "{body}");
    body["error"].clone()
}

/// The `loc`s of a `VALIDATION_ERROR`'s details.
pub fn error_locations(error: &Value) -> Vec<Value> {
    error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|detail| {
            assert!(
                detail["msg"].is_string() && detail["type"].is_string(),
                "{detail}"
            );
            detail["loc"].clone()
        })
        .collect()
}

/// A firm registered and signed in the original's way: `POST /users/register` with its
/// `UserCreate`, then `POST /auth/login` with the username.
pub struct Firm {
    pub user: Value,
    pub token: String,
}

impl Firm {
    /// Registers `username` (e-mail `<username>@firm.test`) and signs in with the username.
    pub async fn register(app: &TestApp, username: &str) -> Self {
        let registered = app
            .send(
                Method::POST,
                "/users/register",
                None,
                Some(json!({
                    "username": username,
                    "email": format!("{username}@firm.test"),
                    "password": PASSWORD,
                    "first_name": "Anna Maria",
                    "last_name": "Rossi",
                    "business_name": format!("{username} Srl"),
                    "phone_number": "+390212345678",
                })),
            )
            .await;
        let user = original_json(registered, StatusCode::CREATED).await;
        let token = sign_in(app, username, PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        Self { user, token }
    }

    /// A request with the firm's token whose answer must have `status`: its JSON.
    pub async fn expect(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        original_json(self.send(app, method, path, body).await, status).await
    }

    /// A request with the firm's token.
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        app.send(method, path, Some(&self.token), body).await
    }
}

/// `POST /auth/login` with the OAuth2 form as FastAPI's `OAuth2PasswordRequestForm` takes it.
pub async fn sign_in(app: &TestApp, name: &str, password: &str) -> Value {
    let response = app
        .request(Method::POST, "/auth/login")
        .form(&[
            ("grant_type", "password"),
            ("username", name),
            ("password", password),
            ("scope", ""),
            ("client_id", ""),
            ("client_secret", ""),
        ])
        .send()
        .await
        .unwrap();
    original_json(response, StatusCode::OK).await
}
