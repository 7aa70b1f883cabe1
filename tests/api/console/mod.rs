//! The staff console over plain HTTP: sessions in cookies, CSRF on every form, roles as in the
//! API, and validation messages next to their fields. (Journeys in a real browser are in
//! `browser.rs`.)

mod client_pages;
mod clients;
mod dashboard;
mod documents;
mod pages;
mod reminders;
mod settings;

use std::collections::BTreeMap;

use reqwest::{Method, Response, StatusCode};

use crate::support::{PASSWORD, TestApp, json_body};

/// Creates something through the API (201 expected) and returns it.
pub(crate) async fn created(
    app: &TestApp,
    access: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    json_body(app.post(path, access, body).await, StatusCode::CREATED).await
}

/// Owned pairs as the form helper takes them.
pub(crate) fn pairs<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// Text as the pages escape it.
pub(crate) fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A cookie jar and the last form token, as a browser keeps them.
#[derive(Default)]
pub(crate) struct Visitor {
    pub(crate) cookies: BTreeMap<String, String>,
    pub(crate) csrf: String,
}

impl Visitor {
    pub(crate) fn keep(&mut self, response: &Response) {
        for header in response.headers().get_all("set-cookie") {
            let Ok(text) = header.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// GETs a page, keeping its cookies and form token; returns the status and the HTML.
    pub(crate) async fn get(&mut self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let response = app
            .page(Method::GET, path)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("page");
        self.keep(&response);
        let status = response.status();
        let html = response.text().await.expect("html");
        if let Some(token) = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        {
            self.csrf = token.to_owned();
        }
        (status, html)
    }

    /// POSTs a form; returns the status, the `Location` and the body.
    pub(crate) async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (StatusCode, String, String) {
        let mut request = app
            .page(Method::POST, path)
            .header("cookie", self.cookie_header())
            .form(fields);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("post");
        self.keep(&response);
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, location, response.text().await.expect("body"))
    }

    /// POSTs a `multipart/form-data` form from this site; returns the status, the `Location`
    /// and the body.
    pub(crate) async fn post_multipart(
        &mut self,
        app: &TestApp,
        path: &str,
        parts: &[Part<'_>],
    ) -> (StatusCode, String, String) {
        let (content_type, body) = multipart_parts(parts);
        let response = app
            .page(Method::POST, path)
            .header("cookie", self.cookie_header())
            .header("origin", app.address.clone())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("post");
        self.keep(&response);
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, location, response.text().await.expect("body"))
    }

    /// GETs a file with this visitor's cookies: the whole response, headers and bytes.
    pub(crate) async fn fetch(&self, app: &TestApp, path: &str) -> Response {
        app.page(Method::GET, path)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("file")
    }

    /// Signs in through the console's form; returns the status and where it leads.
    pub(crate) async fn sign_in(&mut self, app: &TestApp, email: &str) -> (StatusCode, String) {
        self.get(app, "/login").await;
        let csrf = self.csrf.clone();
        let (status, location, _) = self
            .post(
                app,
                "/login",
                &[("csrf", &csrf), ("email", email), ("password", PASSWORD)],
                Some(&app.address),
            )
            .await;
        (status, location)
    }

    /// The session's access token: the API takes it as a bearer token.
    pub(crate) fn access(&self) -> String {
        self.cookies["console_access"].clone()
    }

    /// Signs up a firm through the console.
    pub(crate) async fn sign_up(&mut self, app: &TestApp, firm: &str, email: &str) {
        self.get(app, "/signup").await;
        let csrf = self.csrf.clone();
        let (status, location, _) = self
            .post(
                app,
                "/signup",
                &[
                    ("csrf", &csrf),
                    ("business_name", firm),
                    ("full_name", "Olive Owner"),
                    ("email", email),
                    ("password", PASSWORD),
                    ("timezone", "Europe/London"),
                ],
                Some(&app.address),
            )
            .await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "/dashboard")
        );
    }
}

/// One part of a `multipart/form-data` body: a text field, or a file with its name and type.
pub(crate) enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        field: &'a str,
        name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

/// A `multipart/form-data` body of these parts, as a browser sends a form with a file.
pub(crate) fn multipart_parts(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "console-test-boundary-7f3a";
    let mut body = Vec::new();
    for part in parts {
        let (head, value) = match part {
            Part::Text(name, value) => (
                format!("Content-Disposition: form-data; name=\"{name}\""),
                value.as_bytes(),
            ),
            Part::File {
                field,
                name,
                content_type,
                bytes,
            } => (
                format!(
                    "Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {content_type}"
                ),
                *bytes,
            ),
        };
        body.extend_from_slice(format!("--{boundary}\r\n{head}\r\n\r\n").as_bytes());
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A `multipart/form-data` body of text fields; `file` is sent as a CSV file, `clients.csv`.
pub(crate) fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let parts: Vec<Part<'_>> = fields
        .iter()
        .map(|(name, value)| match *name {
            "file" => Part::File {
                field: "file",
                name: "clients.csv",
                content_type: "text/csv",
                bytes: value.as_bytes(),
            },
            _ => Part::Text(name, value),
        })
        .collect();
    multipart_parts(&parts)
}
