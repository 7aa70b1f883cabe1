//! Documents: uploads checked by their content (renamed files and oversized ones refused), the
//! exact bytes back with headers that keep the browser from running them, renames, deletion,
//! and another business seeing none of it — on each database.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, Session, TestApp, error_fields, per_backend, problem};

/// A small but real PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
];
const LIMIT: usize = 4096;

/// A `multipart/form-data` body: (field, file name, bytes) parts.
pub fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("----test{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (field, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(file_name) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `POST /documents` with these parts.
pub async fn upload(
    app: &TestApp,
    session: &Session,
    parts: &[(&str, Option<&str>, &[u8])],
) -> reqwest::Response {
    let (content_type, body) = form(parts);
    app.request(Method::POST, "/documents")
        .bearer_auth(&session.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Uploads a file and returns the document.
pub async fn uploaded(app: &TestApp, session: &Session, name: &str, bytes: &[u8]) -> Value {
    let response = upload(app, session, &[("file", Some(name), bytes)]).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn uploads_are_checked_kept_and_served_safely(backend: Backend) {
    let overrides: HashMap<String, String> =
        HashMap::from([("DOCUMENT_MAX_BYTES".to_owned(), LIMIT.to_string())]);
    let Some(app) = TestApp::spawn_with(backend, overrides).await else {
        return;
    };
    let owner = app.owner("Papers Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;

    // The content decides; a name that disagrees, or a type not accepted, is a 415.
    let refused = problem(
        upload(&app, &owner, &[("file", Some("invoice.pdf"), PNG)]).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("image/png"),
        "{refused}"
    );
    let program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00";
    problem(
        upload(&app, &owner, &[("file", Some("invoice.pdf"), program)]).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(
        upload(
            &app,
            &owner,
            &[(
                "file",
                Some("page.html"),
                b"<html><script>alert(1)</script>",
            )],
        )
        .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(
        app.post("/documents", &owner.token, json!({"file": "x"}))
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    // Too large: a 413 naming the limit; empty or missing: a 422.
    let big: Vec<u8> = PDF.iter().copied().cycle().take(LIMIT + 1).collect();
    let refused = problem(
        upload(&app, &owner, &[("file", Some("big.pdf"), &big)]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains(&LIMIT.to_string())
    );
    let refused = problem(
        upload(&app, &owner, &[("file", Some("empty.pdf"), b"")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["file"]);
    problem(
        upload(
            &app,
            &owner,
            &[("client_id", None, ann["id"].to_string().as_bytes())],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let none: Value = app
        .get("/documents", &owner.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["total"], 0, "refused uploads leave nothing");

    // A client's own invoice: every byte value survives the database.
    let mut invoice = PDF.to_vec();
    invoice.extend((0..=255u8).cycle().take(1024));
    let id = ann["id"].to_string();
    let response = upload(
        &app,
        &owner,
        &[
            ("file", Some("C:\\fakepath\\Invoice 42 – Ann.pdf"), &invoice),
            ("client_id", None, id.as_bytes()),
            ("link_expires_at", None, b"2031-01-01T00:00:00Z"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["name"], "Invoice 42 – Ann.pdf");
    assert_eq!(document["content_type"], "application/pdf");
    assert_eq!(document["size_bytes"], invoice.len());
    assert_eq!(document["client_id"], ann["id"]);
    assert_eq!(document["storage"], "database");
    assert_eq!(document["link_expires_at"], "2031-01-01T00:00:00Z");
    let path = format!("/documents/{}", document["id"]);

    let response = app.get(&format!("{path}/content"), &owner.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"Invoice 42 _ Ann.pdf\"; filename*=UTF-8''Invoice%2042%20%E2%80%93%20Ann.pdf"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(response.bytes().await.unwrap().as_ref(), invoice.as_slice());

    // A shared CSV is downloaded, not shown.
    let csv = uploaded(
        &app,
        &owner,
        "rates.csv",
        b"service,price\nVAT return,125.00\n",
    )
    .await;
    assert_eq!(csv["content_type"], "text/csv; charset=utf-8");
    assert_eq!(csv["client_id"], Value::Null);
    let response = app
        .get(&format!("/documents/{}/content", csv["id"]), &owner.token)
        .await;
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );

    let ann_only: Value = app
        .get(&format!("/documents?client_id={}", ann["id"]), &owner.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ann_only["total"], 1);
    let all: Value = app
        .get("/documents", &owner.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 2);

    // Renamed within its type; another extension is refused.
    let renamed: Value = app
        .patch(
            &path,
            &owner.token,
            json!({"name": "invoice-42.pdf", "link_expires_at": null}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["name"], "invoice-42.pdf");
    assert_eq!(renamed["link_expires_at"], Value::Null);
    problem(
        app.patch(&path, &owner.token, json!({"name": "invoice-42.exe"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Another business sees none of it.
    let other = app.owner("Other Ltd").await;
    for response in [
        app.get(&path, &other.token).await,
        app.get(&format!("{path}/content"), &other.token).await,
        app.patch(&path, &other.token, json!({"name": "x.pdf"}))
            .await,
        app.delete(&path, &other.token).await,
    ] {
        problem(response, StatusCode::NOT_FOUND).await;
    }
    let theirs: Value = app
        .get("/documents", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 0);
    let refused = problem(
        upload(
            &app,
            &other,
            &[
                ("file", Some("a.pdf"), PDF),
                ("client_id", None, id.as_bytes()),
            ],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["client_id"]);

    assert_eq!(
        app.delete(&path, &owner.token).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        app.get(&format!("{path}/content"), &owner.token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let log: Value = app
        .get("/audit-log?action=documents.uploaded", &owner.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["total"], 2);
}
per_backend!(
    uploads_are_checked_kept_and_served_safely,
    uploads_are_checked_kept_and_served_safely
);
