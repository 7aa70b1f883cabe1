//! A local fake of the Stripe API for Checkout Sessions: requests are decoded from Stripe's
//! bracket form encoding and checked against the current request parameters in
//! `tests/specs/stripe/request_params.latest.json`; `Idempotency-Key` behaves as Stripe
//! documents (same key and parameters replay the saved answer, 5xx included; other parameters
//! are an `idempotency_error`); events are built from Stripe's samples and signed as Stripe
//! signs them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use reminder_backend::security::webhook_signatures::stripe_signature;
use serde_json::{Map, Value, json};

use super::fakes::{ScriptedFailure, check_schema, json_response, serve};

const PARAMS: &str = include_str!("../../specs/stripe/request_params.latest.json");
const EVENTS: &str = include_str!("../../specs/stripe/events.json");

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct StripeRequest {
    pub secret_key: String,
    pub idempotency_key: Option<String>,
    pub params: Value,
}

/// A Checkout Session the fake created.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub secret_key: String,
    pub params: Value,
}

/// What Stripe saved for an idempotency key.
#[derive(Clone)]
struct SavedAnswer {
    params: Value,
    status: u16,
    body: Value,
}

#[derive(Default)]
struct StripeState {
    keys: Vec<String>,
    requests: Mutex<Vec<StripeRequest>>,
    sessions: Mutex<Vec<Session>>,
    /// (account key, idempotency key) → the answer saved for it.
    saved: Mutex<HashMap<(String, String), SavedAnswer>>,
    violations: Mutex<Vec<String>>,
    failures: Mutex<Vec<ScriptedFailure>>,
    /// The next success is created but its answer is cut off mid-way.
    drop_next: Mutex<bool>,
    /// Stripe's time (Unix seconds), following the app's test clock.
    now: Mutex<i64>,
}

/// Decodes `a[b][0][c]=v` pairs into nested JSON, typed by the schema (integers, booleans).
fn decode(pairs: &[(String, String)], schema: &Value) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for (name, value) in pairs {
        let mut path: Vec<String> = Vec::new();
        let (head, rest) = name.split_once('[').unwrap_or((name.as_str(), ""));
        path.push(head.to_owned());
        let mut rest = if rest.is_empty() {
            String::new()
        } else {
            format!("[{rest}")
        };
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped
                .find(']')
                .ok_or(format!("bad parameter name {name}"))?;
            path.push(stripped[..end].to_owned());
            rest = stripped[end + 1..].to_owned();
        }
        let mut node = &mut root;
        let mut node_schema = schema.clone();
        for (depth, key) in path.iter().enumerate() {
            let last = depth + 1 == path.len();
            let child_schema = if node_schema["type"] == "array" {
                node_schema["items"].clone()
            } else {
                node_schema["properties"][key.as_str()].clone()
            };
            let child_schema = if child_schema.is_null() {
                node_schema["additionalProperties"].clone()
            } else {
                child_schema
            };
            if let Ok(index) = key.parse::<usize>() {
                let array = node.as_array_mut().ok_or(format!("{name}: not a list"))?;
                while array.len() <= index {
                    array.push(Value::Null);
                }
                node = &mut array[index];
            } else {
                let object = node
                    .as_object_mut()
                    .ok_or(format!("{name}: not an object"))?;
                node = object.entry(key.clone()).or_insert(Value::Null);
            }
            if last {
                *node = match child_schema["type"].as_str() {
                    Some("integer") => json!(
                        value
                            .parse::<i64>()
                            .map_err(|_| format!("{name} must be an integer"))?
                    ),
                    Some("boolean") => json!(value == "true"),
                    _ => json!(value),
                };
            } else if node.is_null() {
                *node = if child_schema["type"] == "array" {
                    json!([])
                } else {
                    json!({})
                };
            }
            node_schema = child_schema;
        }
    }
    Ok(root)
}

fn stripe_error(status: u16, kind: &str, code: &str, message: &str) -> Response {
    json_response(
        status,
        json!({"error": {"type": kind, "code": code, "message": message}}),
        None,
    )
}

async fn create_session(
    State(state): State<Arc<StripeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Some(key) = header("authorization")
        .and_then(|auth| auth.strip_prefix("Bearer ").map(str::to_owned))
        .filter(|key| state.keys.contains(key))
    else {
        state.violations.lock().unwrap().push("bad API key".into());
        return stripe_error(
            401,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key provided",
        );
    };
    if header("content-type").as_deref() != Some("application/x-www-form-urlencoded") {
        state
            .violations
            .lock()
            .unwrap()
            .push("not form-encoded".into());
        return stripe_error(
            400,
            "invalid_request_error",
            "parameter_invalid",
            "form encoding expected",
        );
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let spec: Value = serde_json::from_str(PARAMS).unwrap();
    let schema = &spec["operations"]["POST /v1/checkout/sessions"]["schema"];
    let params = match decode(&pairs, schema) {
        Ok(params) => params,
        Err(message) => {
            state.violations.lock().unwrap().push(message.clone());
            return stripe_error(400, "invalid_request_error", "parameter_invalid", &message);
        }
    };
    let mut errors = Vec::new();
    check_schema(&spec, schema, &params, "$", &mut errors);
    if params["mode"] == "payment" && params["line_items"].as_array().is_none_or(Vec::is_empty) {
        errors.push("line_items are required in payment mode".into());
    }
    if !errors.is_empty() {
        let message = errors.join("; ");
        state.violations.lock().unwrap().push(message.clone());
        return stripe_error(400, "invalid_request_error", "parameter_invalid", &message);
    }
    let idempotency_key = header("idempotency-key");
    state.requests.lock().unwrap().push(StripeRequest {
        secret_key: key.clone(),
        idempotency_key: idempotency_key.clone(),
        params: params.clone(),
    });
    if let Some(idem) = &idempotency_key
        && let Some(saved) = state
            .saved
            .lock()
            .unwrap()
            .get(&(key.clone(), idem.clone()))
            .cloned()
    {
        if saved.params != params {
            return stripe_error(
                400,
                "idempotency_error",
                "idempotency_key_in_use",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            );
        }
        let mut response = json_response(saved.status, saved.body, None);
        response
            .headers_mut()
            .insert("idempotent-replayed", "true".parse().unwrap());
        return response;
    }
    let save = |status: u16, body: &Value| {
        if let Some(idem) = &idempotency_key {
            state.saved.lock().unwrap().insert(
                (key.clone(), idem.clone()),
                SavedAnswer {
                    params: params.clone(),
                    status,
                    body: body.clone(),
                },
            );
        }
    };
    if let Some(failure) = {
        let mut failures = state.failures.lock().unwrap();
        (!failures.is_empty()).then(|| failures.remove(0))
    } {
        let body = json!({"error": {"type": "api_error", "code": failure.code.to_string(), "message": failure.message}});
        // Stripe saves what an executed request answered, failures included; a rate-limited
        // request was never executed.
        if failure.status >= 500 {
            save(failure.status, &body);
        }
        return json_response(failure.status, body, failure.retry_after);
    }
    let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
    let session = json!({
        "id": id, "object": "checkout.session", "mode": "payment", "status": "open",
        "payment_status": "unpaid", "payment_intent": null,
        "url": format!("https://checkout.stripe.test/c/pay/{id}"),
        "expires_at": *state.now.lock().unwrap() + 24 * 3600,
        "amount_total": params["line_items"][0]["price_data"]["unit_amount"],
        "currency": params["line_items"][0]["price_data"]["currency"],
        "client_reference_id": params["client_reference_id"],
        "metadata": params["metadata"],
        "success_url": params["success_url"], "cancel_url": params["cancel_url"],
    });
    state.sessions.lock().unwrap().push(Session {
        id: id.clone(),
        secret_key: key.clone(),
        params: params.clone(),
    });
    save(200, &session);
    let mut drop_next = state.drop_next.lock().unwrap();
    if *drop_next {
        *drop_next = false;
        // Headers go out, then the connection fails mid-body: the caller never learns the id.
        let broken = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("connection reset"))
        });
        return Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from_stream(broken))
            .unwrap();
    }
    json_response(200, session, None)
}

async fn get_session(
    State(state): State<Arc<StripeState>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.strip_prefix("Bearer "))
        .filter(|key| state.keys.iter().any(|k| k == key));
    let Some(key) = key else {
        return stripe_error(
            401,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key provided",
        );
    };
    match state
        .sessions
        .lock()
        .unwrap()
        .iter()
        .find(|s| s.id == id && s.secret_key == key)
    {
        Some(session) => json_response(
            200,
            json!({"id": session.id, "object": "checkout.session"}),
            None,
        ),
        None => stripe_error(
            404,
            "invalid_request_error",
            "resource_missing",
            &format!("No such checkout.session: '{id}'"),
        ),
    }
}

/// A fake Stripe with its accounts' secret keys.
#[derive(Clone)]
pub struct StripeFake {
    pub base_url: String,
    state: Arc<StripeState>,
}

impl StripeFake {
    /// Starts a fake that accepts these secret keys.
    pub async fn start(keys: &[&str]) -> Self {
        let state = Arc::new(StripeState {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            now: Mutex::new(chrono::Utc::now().timestamp()),
            ..Default::default()
        });
        let router = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route(
                "/v1/checkout/sessions/{id}",
                axum::routing::get(get_session),
            )
            .with_state(Arc::clone(&state));
        Self {
            base_url: serve(router).await,
            state,
        }
    }

    /// Sets Stripe's time (to the app's test clock).
    pub fn set_time(&self, now: chrono::DateTime<chrono::Utc>) {
        *self.state.now.lock().unwrap() = now.timestamp();
    }

    pub fn requests(&self) -> Vec<StripeRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn sessions(&self) -> Vec<Session> {
        self.state.sessions.lock().unwrap().clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }

    pub fn fail_next(&self, failure: ScriptedFailure) {
        self.state.failures.lock().unwrap().push(failure);
    }

    /// The next session is created but the answer is lost on the way.
    pub fn drop_next_response(&self) {
        *self.state.drop_next.lock().unwrap() = true;
    }
}

/// An event of `kind` built from Stripe's own sample, its object patched with `object`.
pub fn event(kind: &str, object: Value) -> Value {
    let samples: Value = serde_json::from_str(EVENTS).unwrap();
    let sample_kind = match kind {
        k if k.starts_with("checkout.session.async_payment") => "checkout.session.completed",
        k => k,
    };
    let mut event = samples["samples"][sample_kind].clone();
    assert!(event.is_object(), "no sample for {kind}");
    event["id"] = json!(format!("evt_{}", uuid::Uuid::new_v4().simple()));
    event["type"] = json!(kind);
    for (key, value) in object.as_object().unwrap() {
        event["data"]["object"][key] = value.clone();
    }
    event
}

/// The `checkout.session.*` object of a session the fake made.
pub fn session_object(
    session: &Session,
    payment_status: &str,
    payment_intent: Option<&str>,
) -> Value {
    json!({"id": session.id, "metadata": session.params["metadata"],
           "client_reference_id": session.params["client_reference_id"],
           "amount_total": session.params["line_items"][0]["price_data"]["unit_amount"],
           "currency": session.params["line_items"][0]["price_data"]["currency"],
           "payment_status": payment_status, "payment_intent": payment_intent})
}

/// Posts an event to the app as Stripe does: created and signed at `timestamp` with `secret`,
/// pretty-printed.
pub async fn post_event(
    app: &str,
    event: &Value,
    secret: &str,
    timestamp: i64,
) -> reqwest::Response {
    let body = serde_json::to_string_pretty(event).unwrap();
    let signature = stripe_signature(secret, timestamp, body.as_bytes());
    reqwest::Client::new()
        .post(format!("{app}/api/v1/webhooks/stripe"))
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", format!("t={timestamp},v1={signature}"))
        .body(body)
        .send()
        .await
        .unwrap()
}
