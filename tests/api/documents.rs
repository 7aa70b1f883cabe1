//! Documents: uploads checked by their content (renamed files and oversized ones refused), the
//! exact bytes back with headers that keep the browser from running them, renames, deletion,
//! and another business seeing none of it — on each database.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::s3::S3Server;
use crate::support::smtp::SmtpServer;
use crate::support::{Backend, Session, TestApp, error_fields, per_backend, problem};

/// A small but real PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
/// The start of a 1×1 PNG (its signature and header chunk): enough to be recognised.
pub const PNG: &[u8] = &[
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
    let app = TestApp::spawn_with(backend, overrides).await;
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
    let none = app.get_json("/documents", &owner.token).await;
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
        "attachment; filename=\"Invoice 42 _ Ann.pdf\"; filename*=UTF-8''Invoice%2042%20%E2%80%93%20Ann.pdf"
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

    let ann_only = app
        .get_json(&format!("/documents?client_id={}", ann["id"]), &owner.token)
        .await;
    assert_eq!(ann_only["total"], 1);
    let all = app.get_json("/documents", &owner.token).await;
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
    let theirs = app.get_json("/documents", &other.token).await;
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
    let log = app
        .get_json("/audit-log?action=documents.uploaded", &owner.token)
        .await;
    assert_eq!(log["total"], 2);
}
per_backend!(
    uploads_are_checked_kept_and_served_safely,
    uploads_are_checked_kept_and_served_safely
);

/// The `/d/…` links in a text, in order.
fn document_links(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|word| word.find("/d/").map(|at| word[at..].to_owned()))
        .collect()
}

async fn open(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

async fn links_in_delivered_email_open_the_exact_bytes(backend: Backend) {
    let smtp = SmtpServer::start(None);
    let overrides: HashMap<String, String> = [
        ("SMTP_HOST", "127.0.0.1".to_owned()),
        ("SMTP_PORT", smtp.port.to_string()),
        ("SMTP_TLS", "none".to_owned()),
        ("EMAIL_FROM", "reminders@platform.test".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let app = TestApp::spawn_with_providers(backend, overrides).await;
    let owner = app.owner("Invoices Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let ben = app
        .client(&owner, json!({"name": "Ben", "email": "ben@client.test"}))
        .await;
    let rates = uploaded(
        &app,
        &owner,
        "rates.csv",
        b"service,price\nVAT return,125.00\n",
    )
    .await;
    let own = |client: &Value, body: &'static [u8]| {
        let id = client["id"].to_string();
        let app = &app;
        let owner = &owner;
        async move {
            let response = upload(
                app,
                owner,
                &[
                    ("file", Some("invoice.pdf"), body),
                    ("client_id", None, id.as_bytes()),
                ],
            )
            .await;
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()
        }
    };
    let ann_invoice_bytes: &'static [u8] = b"%PDF-1.4\n% Ann's invoice 1001\n%%EOF\n";
    let ann_invoice = own(&ann, ann_invoice_bytes).await;
    let ben_invoice = own(&ben, b"%PDF-1.4\n% Ben's invoice 1002\n%%EOF\n").await;

    // A client's own document cannot go to everyone, nor to another client.
    let body = json!({
        "title": "Invoice",
        "channels": ["email"],
        "body": "Hi {{ client.name }}, your invoice: {{ document_link }}\n{% for d in documents %}{{ d.name }}: {{ d.link }}\n{% endfor %}",
        "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
        "document_ids": [ann_invoice["id"]],
    });
    let refused = problem(
        app.post("/reminders", &owner.token, body.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["document_ids"]);
    let mut body = body;
    body["document_ids"] = json!([rates["id"]]);
    body["attach_documents"] = json!(true);
    let created = app.reminder(&owner, body).await;
    assert_eq!(created["document_ids"], json!([rates["id"]]));
    assert_eq!(created["attach_documents"], true);
    let clients_path = format!("/reminders/{}/clients", created["id"]);
    problem(
        app.post(
            &clients_path,
            &owner.token,
            json!({"clients": [{"client_id": ben["id"], "document_id": ann_invoice["id"]}]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let assigned = app
        .post(
            &clients_path,
            &owner.token,
            json!({"clients": [
            {"client_id": ann["id"], "document_id": ann_invoice["id"]},
            {"client_id": ben["id"], "document_id": ben_invoice["id"]}]}),
        )
        .await;
    assert_eq!(assigned.status(), StatusCode::OK);
    // In use: not deleted under the reminder.
    problem(
        app.delete(&format!("/documents/{}", ann_invoice["id"]), &owner.token)
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    app.arrive(1);
    app.dispatch_until_idle().await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    let mail_to = |address: &str| {
        mails
            .iter()
            .find(|m| m["rcpt_tos"] == json!([address]))
            .unwrap()
            .clone()
    };
    let to_ann = mail_to("ann@client.test");
    let text = to_ann["text"].as_str().unwrap();
    let links = document_links(text);
    assert_eq!(links.len(), 3, "{text}");
    // `document_link` is her own invoice; `documents` lists it, then the shared one.
    assert_eq!(links[0], links[1]);
    assert!(
        text.contains("invoice.pdf: http://reminders.test/d/"),
        "{text}"
    );
    assert!(
        text.contains("rates.csv: http://reminders.test/d/"),
        "{text}"
    );
    // Both files attached, as they are.
    let attached: Vec<(String, u64)> = to_ann["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().unwrap().to_owned(),
                a["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attached,
        [
            ("invoice.pdf".to_owned(), ann_invoice_bytes.len() as u64),
            (
                "rates.csv".to_owned(),
                rates["size_bytes"].as_u64().unwrap()
            )
        ]
    );
    assert_eq!(to_ann["attachments"][0]["sha256"], ann_invoice["sha256"]);
    assert_eq!(to_ann["attachments"][1]["sha256"], rates["sha256"]);
    // Ben's message carries his invoice, never Ann's.
    let ben_links = document_links(mail_to("ben@client.test")["text"].as_str().unwrap());
    assert!(ben_links.iter().all(|l| !links.contains(l)));

    // The link opens the exact bytes without signing in, and the open is recorded.
    let response = open(&app, &links[0]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), ann_invoice_bytes);
    let sent = app
        .notifications(&owner, &format!("client_id={}", ann["id"]))
        .await;
    assert!(sent[0]["document_opened_at"].is_string(), "{}", sent[0]);
    assert_eq!(sent[0]["attachment_ids"].as_array().unwrap().len(), 2);
    let opened = app
        .get_json(
            &format!("/documents/{}/links", ann_invoice["id"]),
            &owner.token,
        )
        .await["items"]
        .clone();
    assert_eq!(opened[0]["client_id"], ann["id"]);
    assert_eq!(opened[0]["opens"][0]["notification_id"], sent[0]["id"]);
    let summary = app.get_json("/dashboard/summary", &owner.token).await;
    assert_eq!(summary["documents_opened"], 1);

    // An altered token is unknown; a revoked link and an expired one are gone.
    let forged = links[0].replacen("/d/", "/d/9", 1);
    assert_eq!(open(&app, &forged).await.status(), StatusCode::NOT_FOUND);
    let revoke = format!(
        "/documents/{}/links/{}/revoke",
        ann_invoice["id"], opened[0]["id"]
    );
    // Another business can neither see nor revoke the links.
    let other = app.owner("Other Ltd").await;
    problem(
        app.get(
            &format!("/documents/{}/links", ann_invoice["id"]),
            &other.token,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(&revoke, &other.token, json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = app.get_json("/dashboard/summary", &other.token).await;
    assert_eq!(theirs["documents_opened"], 0);
    assert_eq!(
        app.post(&revoke, &owner.token, json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    let gone = open(&app, &links[0]).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(gone.text().await.unwrap().contains("withdrawn"));
    assert_eq!(open(&app, &links[2]).await.status(), StatusCode::OK);
    app.patch(
        &format!("/documents/{}", rates["id"]),
        &owner.token,
        json!({"link_expires_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let expired = open(&app, &links[2]).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await.unwrap().contains("expired"));

    // Her export lists her document and the links she opened; erasure removes them.
    let export = app
        .get_json(&format!("/clients/{}/export", ann["id"]), &owner.token)
        .await;
    assert_eq!(export["documents"][0]["id"], ann_invoice["id"]);
    assert_eq!(export["document_links"].as_array().unwrap().len(), 2);
    assert_eq!(
        export["document_links"][0]["opens"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let erase = app
        .delete(&format!("/clients/{}?erase=true", ann["id"]), &owner.token)
        .await;
    assert_eq!(erase.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(&format!("/documents/{}", ann_invoice["id"]), &owner.token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let removed = open(&app, &links[2]).await;
    assert_eq!(removed.status(), StatusCode::GONE);
    assert!(removed.text().await.unwrap().contains("removed"));
    let left = app.get_json("/documents", &owner.token).await;
    assert_eq!(left["total"], 2, "rates and Ben's invoice stay");
}
per_backend!(
    links_in_delivered_email_open_the_exact_bytes,
    links_in_delivered_email_open_the_exact_bytes
);

async fn documents_in_object_storage(backend: Backend) {
    let s3 = S3Server::start();
    let overrides = HashMap::from([("STORAGE_URL".to_owned(), s3.storage_url("docs"))]);
    let app = TestApp::spawn_with(backend, overrides).await;
    let owner = app.owner("Buckets Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let mut invoice = PDF.to_vec();
    invoice.extend((0..=255u8).cycle().take(2048));
    let id = ann["id"].to_string();
    let response = upload(
        &app,
        &owner,
        &[
            ("file", Some("invoice.pdf"), &invoice),
            ("client_id", None, id.as_bytes()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["storage"], "object");
    let keys = s3.keys().await;
    assert_eq!(keys.len(), 1);
    assert!(
        keys[0].starts_with(&format!("docs/{}/", owner.business_id)),
        "{keys:?}"
    );
    let path = format!("/documents/{}", document["id"]);
    let response = app.get(&format!("{path}/content"), &owner.token).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), invoice.as_slice());

    // The link in a message reads it from the bucket.
    let created = app
        .reminder(
            &owner,
            json!({"title": "Invoice", "channels": ["email"], "body": "{{ document_link }}",
               "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")}}),
        )
        .await;
    let assigned = app
        .post(
            &format!("/reminders/{}/clients", created["id"]),
            &owner.token,
            json!({"clients": [{"client_id": ann["id"], "document_id": document["id"]}]}),
        )
        .await;
    assert_eq!(assigned.status(), StatusCode::OK);
    app.arrive(1);
    app.dispatch_until_idle().await;
    let sent = app.transport.sent();
    let link = sent[0]
        .body
        .strip_prefix("http://reminders.test")
        .unwrap()
        .to_owned();
    let opened = open(&app, &link).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.bytes().await.unwrap().as_ref(), invoice.as_slice());

    // Erasing the client removes the object too.
    let erase = app
        .delete(&format!("/clients/{}?erase=true", ann["id"]), &owner.token)
        .await;
    assert_eq!(erase.status(), StatusCode::NO_CONTENT);
    assert!(s3.keys().await.is_empty());
    assert_eq!(open(&app, &link).await.status(), StatusCode::GONE);

    // Deleting a client (without erasure) removes their documents' objects too.
    let bea = app
        .client(&owner, json!({"name": "Bea", "email": "bea@client.test"}))
        .await;
    let bea_id = bea["id"].to_string();
    let response = upload(
        &app,
        &owner,
        &[
            ("file", Some("bea.pdf"), PDF),
            ("client_id", None, bea_id.as_bytes()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(s3.keys().await.len(), 1);
    let response = app
        .delete(&format!("/clients/{}", bea["id"]), &owner.token)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(s3.keys().await.is_empty());

    // Deleting a document removes its object.
    let shared = uploaded(&app, &owner, "rates.csv", b"a,b\n1,2\n").await;
    assert_eq!(s3.keys().await.len(), 1);
    let response = app
        .delete(&format!("/documents/{}", shared["id"]), &owner.token)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(s3.keys().await.is_empty());
}
per_backend!(documents_in_object_storage, documents_in_object_storage);

/// A message sent by hand at any microsecond: the open of its link is still attributed to it
/// (links carry whole seconds).
async fn opens_of_manual_sends_are_attributed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.owner("By Hand Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let rates = uploaded(&app, &owner, "rates.csv", b"a,b\n1,2\n").await;
    let created = app
        .reminder(
            &owner,
            json!({"title": "Rates", "channels": ["email"], "body": "{{ document_link }}",
               "schedule": {"type": "once", "at": app.local_in(5, "09:00:00")},
               "document_ids": [rates["id"]], "client_ids": [ann["id"]]}),
        )
        .await;
    app.clock.advance(chrono::Duration::microseconds(250_123));
    let response = app
        .post(
            &format!("/reminders/{}/send", created["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let sent = app.transport.sent();
    let link = sent[0]
        .body
        .strip_prefix("http://reminders.test")
        .unwrap()
        .to_owned();
    assert_eq!(open(&app, &link).await.status(), StatusCode::OK);
    let notes = app.notifications(&owner, "").await;
    assert!(notes[0]["document_opened_at"].is_string(), "{}", notes[0]);
}
per_backend!(
    opens_of_manual_sends_are_attributed,
    opens_of_manual_sends_are_attributed
);
