//! Local fakes of Twilio's Messages API and Meta's WhatsApp Cloud API. Each checks every request
//! against the providers' published specs in `tests/specs/` (method, path, auth, content type,
//! parameter names, required fields), answers as the provider does (including its error
//! bodies), and sends webhooks signed exactly as the provider signs them.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use reminder_backend::security::webhook_signatures::{meta_signature, twilio_signature};
use serde_json::{Map, Value, json};

const TWILIO_SPEC: &str = include_str!("../../specs/twilio/messages.openapi.json");
const WHATSAPP_SPEC: &str = include_str!("../../specs/whatsapp/cloud-api.openapi.json");

/// A failure the next request gets instead of success.
#[derive(Debug, Clone)]
pub struct ScriptedFailure {
    pub status: u16,
    pub code: i64,
    pub message: String,
    pub retry_after: Option<u64>,
}

pub(crate) async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    address
}

pub(crate) fn json_response(status: u16, body: Value, retry_after: Option<u64>) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", seconds.to_string().parse().unwrap());
    }
    response
}

// ---------------------------------------------------------------- Twilio

/// One message Twilio accepted.
#[derive(Debug, Clone)]
pub struct TwilioMessage {
    pub account_sid: String,
    pub sid: String,
    pub params: Vec<(String, String)>,
}

impl TwilioMessage {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Default)]
struct TwilioState {
    /// Account SID → auth token.
    accounts: Mutex<std::collections::HashMap<String, String>>,
    messages: Mutex<Vec<TwilioMessage>>,
    /// Requests refused for breaking the spec, with the reason.
    violations: Mutex<Vec<String>>,
    failures: Mutex<VecDeque<ScriptedFailure>>,
    /// Numbers that replied STOP: Twilio refuses them with 21610.
    stopped: Mutex<HashSet<String>>,
}

/// A fake Twilio account.
#[derive(Clone)]
pub struct TwilioFake {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    state: Arc<TwilioState>,
}

fn twilio_error(status: u16, code: i64, message: &str) -> Response {
    json_response(
        status,
        json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
        None,
    )
}

/// SMS parts Twilio bills for a body: 160 characters fit one message, longer ones go in parts
/// of 153 (GSM-7; this fake does not model UCS-2).
fn segments(body: &str) -> usize {
    let length = body.chars().count();
    if length <= 160 {
        1
    } else {
        length.div_ceil(153)
    }
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

async fn twilio_create(
    State(state): State<Arc<TwilioState>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let violation = |message: String| {
        state.violations.lock().unwrap().push(message.clone());
        twilio_error(400, 21600, &message)
    };
    let token = state.accounts.lock().unwrap().get(&account).cloned();
    let expected = token.map(|token| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{token}"))
        )
    });
    if expected.is_none()
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != expected.as_deref()
    {
        state
            .violations
            .lock()
            .unwrap()
            .push("bad credentials".into());
        return twilio_error(401, 20003, "Authenticate");
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return violation("content type must be application/x-www-form-urlencoded".into());
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let spec: Value = serde_json::from_str(TWILIO_SPEC).unwrap();
    let schema = &spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]["requestBody"]
        ["content"]["application/x-www-form-urlencoded"]["schema"];
    let known = schema["properties"].as_object().unwrap();
    for (name, _) in &params {
        if !known.contains_key(name) {
            return violation(format!("unknown parameter {name}"));
        }
    }
    for required in schema["required"].as_array().unwrap() {
        if !params
            .iter()
            .any(|(name, _)| name == required.as_str().unwrap())
        {
            return violation(format!("missing {required}"));
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.as_str())
    };
    let to = get("To").unwrap_or_default();
    if !is_e164(to) {
        return twilio_error(
            400,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if get("From").is_none() && get("MessagingServiceSid").is_none() {
        return violation("a From or MessagingServiceSid is required (21603)".into());
    }
    if let Some(from) = get("From")
        && !is_e164(from)
    {
        return violation(format!("From {from} is not E.164"));
    }
    match get("Body") {
        Some(body) if body.chars().count() <= 1600 && !body.is_empty() => {}
        Some(_) => return violation("Body must have 1 to 1600 characters".into()),
        None if get("MediaUrl").is_none() && get("ContentSid").is_none() => {
            return violation("Body, MediaUrl or ContentSid is required (21602)".into());
        }
        None => {}
    }
    if let Some(callback) = get("StatusCallback")
        && !(callback.starts_with("https://") || callback.starts_with("http://"))
    {
        return violation("StatusCallback must be an absolute URL".into());
    }
    if state.stopped.lock().unwrap().contains(to) {
        return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient");
    }
    if let Some(failure) = state.failures.lock().unwrap().pop_front() {
        return json_response(
            failure.status,
            json!({"code": failure.code, "message": failure.message, "more_info": "", "status": failure.status}),
            failure.retry_after,
        );
    }
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    state.messages.lock().unwrap().push(TwilioMessage {
        account_sid: account.clone(),
        sid: sid.clone(),
        params: params.clone(),
    });
    json_response(
        201,
        json!({
            "sid": sid, "account_sid": account, "to": to, "from": get("From"),
            "messaging_service_sid": get("MessagingServiceSid"), "body": get("Body"),
            "status": "queued", "num_segments": segments(get("Body").unwrap_or_default()).to_string(),
            "num_media": "0", "direction": "outbound-api",
            "api_version": "2010-04-01", "price": null, "price_unit": "USD", "error_code": null,
            "error_message": null,
            "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
            "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        }),
        None,
    )
}

impl TwilioFake {
    /// Starts a fake for one account.
    pub async fn start() -> Self {
        let state = Arc::new(TwilioState::default());
        let router = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(twilio_create),
            )
            .with_state(Arc::clone(&state));
        Self::account(serve(router).await, state)
    }

    fn account(base_url: String, state: Arc<TwilioState>) -> Self {
        let account_sid = format!("AC{}", uuid::Uuid::new_v4().simple());
        let auth_token = uuid::Uuid::new_v4().simple().to_string();
        state
            .accounts
            .lock()
            .unwrap()
            .insert(account_sid.clone(), auth_token.clone());
        Self {
            base_url,
            account_sid,
            auth_token,
            state,
        }
    }

    /// Another account on the same Twilio (as a business with its own account has).
    pub fn another_account(&self) -> Self {
        Self::account(self.base_url.clone(), Arc::clone(&self.state))
    }

    /// Messages this account sent.
    pub fn messages(&self) -> Vec<TwilioMessage> {
        self.state
            .messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.account_sid == self.account_sid)
            .cloned()
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }

    pub fn fail_next(&self, failure: ScriptedFailure) {
        self.state.failures.lock().unwrap().push_back(failure);
    }

    /// The number replied STOP to Twilio: Twilio itself refuses it from now on (21610).
    pub fn block(&self, number: &str) {
        self.state.stopped.lock().unwrap().insert(number.to_owned());
    }

    /// Posts a signed webhook as Twilio does: signed over `public_url` (what Twilio was told to
    /// call) and delivered to `app` (where that URL is served, as behind a proxy).
    pub async fn post_signed(
        &self,
        app: &str,
        public_url: &str,
        params: &[(&str, &str)],
        signing_token: &str,
    ) -> reqwest::Response {
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let signature = twilio_signature(signing_token, public_url, &owned);
        let path = public_url
            .splitn(4, '/')
            .nth(3)
            .map(|rest| format!("/{rest}"))
            .unwrap();
        reqwest::Client::new()
            .post(format!("{app}{path}"))
            .header("x-twilio-signature", signature)
            .header("user-agent", "TwilioProxy/1.1")
            .form(&owned)
            .send()
            .await
            .unwrap()
    }

    /// A status callback for a message this fake accepted, to its `StatusCallback`.
    pub async fn status_callback(
        &self,
        app: &str,
        message: &TwilioMessage,
        status: &str,
        error_code: Option<&str>,
        signing_token: &str,
    ) -> reqwest::Response {
        let url = message
            .param("StatusCallback")
            .expect("StatusCallback sent");
        let mut params = vec![
            ("SmsSid", message.sid.as_str()),
            ("SmsStatus", status),
            ("MessageStatus", status),
            ("To", message.param("To").unwrap()),
            ("MessageSid", message.sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", message.param("From").unwrap_or("+15005550006")),
            ("ApiVersion", "2010-04-01"),
        ];
        if let Some(code) = error_code {
            params.push(("ErrorCode", code));
        }
        self.post_signed(app, url, &params, signing_token).await
    }

    /// An incoming SMS from `from` to the account's number.
    pub async fn inbound(
        &self,
        app: &str,
        public_base: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> reqwest::Response {
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        let url = format!("{public_base}/api/v1/webhooks/twilio/inbound");
        let params = [
            ("ToCountry", "GB"),
            ("SmsMessageSid", sid.as_str()),
            ("NumMedia", "0"),
            ("SmsSid", sid.as_str()),
            ("SmsStatus", "received"),
            ("Body", body),
            ("To", to),
            ("NumSegments", "1"),
            ("MessageSid", sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", from),
            ("ApiVersion", "2010-04-01"),
        ];
        self.post_signed(app, &url, &params, &self.auth_token).await
    }
}

// ---------------------------------------------------------------- WhatsApp

/// Checks a JSON value against a schema of Meta's spec, with the caveats the specs folder
/// records: `allOf` branches merged into one object before `additionalProperties` applies,
/// `recipient_type` and `language.policy` optional, the malformed `index` pattern ignored.
pub(crate) fn check_schema(
    spec: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let resolve = |schema: &Value| -> Value {
        let mut schema = schema.clone();
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/components/schemas/");
            schema = spec["components"]["schemas"][name].clone();
        }
        schema
    };
    let schema = resolve(schema);
    // Merge allOf branches.
    let (mut properties, mut required, mut closed) = (Map::new(), Vec::new(), false);
    let branches: Vec<Value> = match schema.get("allOf").and_then(Value::as_array) {
        Some(all) => all.iter().map(&resolve).collect(),
        None => vec![schema.clone()],
    };
    for branch in &branches {
        if let Some(props) = branch.get("properties").and_then(Value::as_object) {
            properties.extend(props.clone());
        }
        if let Some(req) = branch.get("required").and_then(Value::as_array) {
            required.extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        closed |= branch.get("additionalProperties") == Some(&Value::Bool(false));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    match value {
        Value::Object(object) => {
            for name in &required {
                if ["recipient_type", "policy"].contains(&name.as_str()) {
                    continue;
                }
                if !object.contains_key(name) {
                    errors.push(format!("{at}.{name} is required"));
                }
            }
            for (name, item) in object {
                match properties.get(name) {
                    Some(property) => {
                        check_schema(spec, property, item, &format!("{at}.{name}"), errors)
                    }
                    None if closed => errors.push(format!("{at}.{name} is not allowed")),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    check_schema(spec, item_schema, item, &format!("{at}[{index}]"), errors);
                }
            }
        }
        Value::String(_)
            if schema
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "string") =>
        {
            errors.push(format!("{at} must be a {}", schema["type"]));
        }
        _ => {}
    }
}

/// Validates a send-message body against the spec, dispatching on `type` as the spec's
/// discriminator says.
pub fn whatsapp_request_errors(body: &Value) -> Vec<String> {
    let spec: Value = serde_json::from_str(WHATSAPP_SPEC).unwrap();
    let mut errors = Vec::new();
    let schema_name = match body["type"].as_str() {
        Some("text") => "TextMessage",
        Some("template") => "TemplateMessage",
        other => return vec![format!("type {other:?} is not sent by this product")],
    };
    if body["messaging_product"] != "whatsapp" {
        errors.push("messaging_product must be whatsapp".into());
    }
    if !body["to"]
        .as_str()
        .is_some_and(|to| !to.is_empty() && to.chars().all(|c| c.is_ascii_digit()))
    {
        errors.push("to must be the number's digits".into());
    }
    check_schema(
        &spec,
        &json!({"$ref": format!("#/components/schemas/{schema_name}")}),
        body,
        "$",
        &mut errors,
    );
    errors
}

#[derive(Default)]
struct WhatsappState {
    /// Phone number id → access token.
    numbers: Mutex<std::collections::HashMap<String, String>>,
    /// (phone number id, wamid, request body).
    messages: Mutex<Vec<(String, String, Value)>>,
    violations: Mutex<Vec<String>>,
    failures: Mutex<VecDeque<ScriptedFailure>>,
}

/// A fake WhatsApp Business number on the Cloud API.
#[derive(Clone)]
pub struct WhatsappFake {
    /// The Graph API base with its version, as `WHATSAPP_API_BASE` takes it.
    pub base_url: String,
    pub phone_number_id: String,
    pub access_token: String,
    pub app_secret: String,
    state: Arc<WhatsappState>,
}

async fn whatsapp_send(
    State(state): State<Arc<WhatsappState>>,
    Path((version, number)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let graph_error = |status: u16, code: i64, message: &str, retry_after: Option<u64>| {
        json_response(
            status,
            json!({"error": {"message": message, "type": "OAuthException", "code": code,
                             "error_data": {"messaging_product": "whatsapp", "details": message},
                             "fbtrace_id": "AbCdEf"}}),
            retry_after,
        )
    };
    let violation = |message: String| {
        state.violations.lock().unwrap().push(message.clone());
        graph_error(400, 100, &message, None)
    };
    if !version.starts_with('v') || version[1..].parse::<f32>().is_err() {
        return violation(format!("bad version {version}"));
    }
    let Some(token) = state.numbers.lock().unwrap().get(&number).cloned() else {
        return violation(format!("unknown phone number id {number}"));
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(format!("Bearer {token}").as_str())
    {
        state.violations.lock().unwrap().push("bad token".into());
        return graph_error(401, 190, "Invalid OAuth access token", None);
    }
    if !headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
    {
        return violation("content type must be application/json".into());
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return violation("body is not JSON".into());
    };
    let errors = whatsapp_request_errors(&json);
    if !errors.is_empty() {
        return violation(errors.join("; "));
    }
    if let Some(failure) = state.failures.lock().unwrap().pop_front() {
        return graph_error(
            failure.status,
            failure.code,
            &failure.message,
            failure.retry_after,
        );
    }
    let id = format!(
        "wamid.{}",
        base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes())
    );
    state
        .messages
        .lock()
        .unwrap()
        .push((number, id.clone(), json.clone()));
    json_response(
        200,
        json!({"messaging_product": "whatsapp",
               "contacts": [{"input": json["to"], "wa_id": json["to"]}],
               "messages": [{"id": id, "message_status": "accepted"}]}),
        None,
    )
}

impl WhatsappFake {
    pub async fn start() -> Self {
        let state = Arc::new(WhatsappState::default());
        let router = Router::new()
            .route("/{version}/{number}/messages", post(whatsapp_send))
            .with_state(Arc::clone(&state));
        let base = serve(router).await;
        Self::number(format!("{base}/v23.0"), state)
    }

    fn number(base_url: String, state: Arc<WhatsappState>) -> Self {
        let phone_number_id = format!("1065403522{:05}", rand_digits());
        let access_token = format!("EAAG{}", uuid::Uuid::new_v4().simple());
        state
            .numbers
            .lock()
            .unwrap()
            .insert(phone_number_id.clone(), access_token.clone());
        Self {
            base_url,
            phone_number_id,
            access_token,
            app_secret: uuid::Uuid::new_v4().simple().to_string(),
            state,
        }
    }

    /// Another business number (of another app, with its own secret) on the same Cloud API.
    pub fn another_number(&self) -> Self {
        Self::number(self.base_url.clone(), Arc::clone(&self.state))
    }

    /// A second number of the same app and business account: same access token and secret.
    pub fn same_app_number(&self) -> Self {
        let mut other = Self::number(self.base_url.clone(), Arc::clone(&self.state));
        other.access_token = self.access_token.clone();
        other.app_secret = self.app_secret.clone();
        other
            .state
            .numbers
            .lock()
            .unwrap()
            .insert(other.phone_number_id.clone(), other.access_token.clone());
        other
    }

    /// Messages this number accepted: (wamid, request body).
    pub fn messages(&self) -> Vec<(String, Value)> {
        self.state
            .messages
            .lock()
            .unwrap()
            .iter()
            .filter(|(number, _, _)| *number == self.phone_number_id)
            .map(|(_, id, body)| (id.clone(), body.clone()))
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }

    pub fn fail_next(&self, failure: ScriptedFailure) {
        self.state.failures.lock().unwrap().push_back(failure);
    }

    fn envelope(&self, value: Value) -> Value {
        let mut value = value;
        value["messaging_product"] = json!("whatsapp");
        value["metadata"] =
            json!({"display_phone_number": "15550783881", "phone_number_id": self.phone_number_id});
        json!({"object": "whatsapp_business_account",
               "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]})
    }

    /// A status event for a message, as Meta posts it.
    pub fn status_event(
        &self,
        wamid: &str,
        to: &str,
        status: &str,
        error_code: Option<i64>,
    ) -> Value {
        let mut item = json!({"id": wamid, "status": status, "timestamp": "1767258005",
                              "recipient_id": to.trim_start_matches('+')});
        if let Some(code) = error_code {
            item["errors"] = json!([{"code": code, "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]);
        }
        self.envelope(json!({"statuses": [item]}))
    }

    /// An incoming text message.
    pub fn text_event(&self, from: &str, body: &str) -> Value {
        self.envelope(json!({
            "contacts": [{"profile": {"name": "Client"}, "wa_id": from.trim_start_matches('+')}],
            "messages": [{"from": from.trim_start_matches('+'),
                          "id": format!("wamid.in{}", uuid::Uuid::new_v4().simple()),
                          "timestamp": "1767258100", "type": "text", "text": {"body": body}}]}))
    }

    /// Posts an event to the app, signed with `secret` (the app secret, or a forger's).
    pub async fn post_event(&self, app: &str, event: &Value, secret: &str) -> reqwest::Response {
        // Meta escapes non-ASCII as \uXXXX; serde_json keeps UTF-8, so escape here.
        let body = escape_non_ascii(&event.to_string());
        reqwest::Client::new()
            .post(format!("{app}/api/v1/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                meta_signature(secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

fn escape_non_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn rand_digits() -> u32 {
    (uuid::Uuid::new_v4().as_u128() % 100_000) as u32
}

#[test]
fn meta_examples_pass_the_whatsapp_checks_and_broken_bodies_fail() {
    let spec: Value = serde_json::from_str(WHATSAPP_SPEC).unwrap();
    let examples = &spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]["requestBody"]["content"]
        ["application/json"]["examples"];
    for name in ["Send Text Message", "Send Message Template Text"] {
        let mut body = examples[name]["value"].clone();
        body["to"] = json!("447700900123");
        assert_eq!(
            whatsapp_request_errors(&body),
            Vec::<String>::new(),
            "{name}"
        );
    }
    let mut broken = examples["Send Text Message"]["value"].clone();
    broken["to"] = json!("447700900123");
    broken["text"]["colour"] = json!("red");
    assert!(!whatsapp_request_errors(&broken).is_empty());
    let mut missing = examples["Send Message Template Text"]["value"].clone();
    missing["to"] = json!("447700900123");
    missing["template"].as_object_mut().unwrap().remove("name");
    assert!(!whatsapp_request_errors(&missing).is_empty());
}
