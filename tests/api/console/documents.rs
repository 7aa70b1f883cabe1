//! The console's documents over plain HTTP, and once in a real browser at a phone's width:
//! upload with the API's checks and limit, download of the exact bytes, renaming, the links
//! sent to clients with their opens and revocation, deletion after a confirmation — and a
//! client's data downloaded by owners and admins.

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::{Value, json};

use reminder_backend::clock::Clock;

use super::{Part, Visitor, created};
use crate::documents::{PDF, PNG, uploaded};
use crate::support::browser::Browser;
use crate::support::{Backend, PASSWORD, Session, TestApp, db_test, per_backend};

/// A time as the pages show it, in a zone.
fn shown(at: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

/// Uploads a file through the console's form with the visitor's token; returns the status,
/// where it leads and the page.
async fn upload(
    visitor: &mut Visitor,
    app: &TestApp,
    name: &str,
    content_type: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = visitor.csrf.clone();
    // In the page's order: the token, the choices, then the file.
    let mut parts = vec![Part::Text("csrf", &csrf)];
    parts.extend(fields.iter().map(|(name, value)| Part::Text(name, value)));
    parts.push(Part::File {
        field: "file",
        name,
        content_type,
        bytes,
    });
    visitor.post_multipart(app, "/documents", &parts).await
}

/// Opens a client's document link, as they would (no sign-in).
async fn open(app: &TestApp, link: &str) -> StatusCode {
    app.http
        .get(format!("{}{link}", app.address))
        .send()
        .await
        .unwrap()
        .status()
}

async fn an_uploaded_document_is_listed_and_downloads_byte_identical(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Papers Ltd", "olive@papers.example.com")
        .await;
    let access = olive.access();
    let ann = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann Client", "email": "ann@client.test"}),
    )
    .await;
    let (status, html) = olive.get(&app, "/documents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No documents yet."), "{html}");
    assert!(html.contains("href=\"/documents\" aria-current=\"page\""));
    assert!(
        html.contains(&format!(
            "<option value=\"{}\">Ann Client only</option>",
            ann["id"]
        )),
        "{html}"
    );

    // Every byte value, 3 KB in all.
    let mut invoice = PDF.to_vec();
    invoice.extend((0..=255u8).cycle().take(3072 - PDF.len()));
    let client_id = ann["id"].to_string();
    let fields = [
        ("client_id", client_id.as_str()),
        ("link_expires_at", "2031-07-01T17:00"),
    ];
    let (status, location, _) = upload(
        &mut olive,
        &app,
        "Invoice 42.pdf",
        "application/pdf",
        &invoice,
        &fields,
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/documents?notice=uploaded")
    );
    let stored = app.get_json("/documents", &access).await;
    assert_eq!(stored["total"], 1);
    let document = &stored["items"][0];
    assert_eq!(document["name"], "Invoice 42.pdf");
    assert_eq!(document["client_id"], ann["id"]);
    // 17:00 in London in July is 16:00 UTC.
    assert_eq!(document["link_expires_at"], "2031-07-01T16:00:00Z");
    let id = document["id"].as_i64().unwrap();

    let (status, html) = olive.get(&app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Uploaded: a reminder can now carry it."));
    assert!(
        html.contains(&format!(
            "<tr><td class=\"file-name\"><a href=\"/documents/{id}\">Invoice 42.pdf</a></td><td>application/pdf</td><td>3.0 KB</td>"
        )),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<a href=\"/clients/{}\">Ann Client</a>",
        ann["id"]
    )));
    assert!(html.contains("Uploaded (Europe/London)"));
    assert!(
        html.contains(&shown(app.clock.now(), chrono_tz::Europe::London)),
        "{html}"
    );

    let (status, html) = olive.get(&app, &format!("/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("after 1 Jul 2031, 17:00 (Europe/London)"),
        "{html}"
    );
    assert!(html.contains("value=\"2031-07-01T17:00\""));

    let response = olive.fetch(&app, &format!("/documents/{id}/content")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Invoice 42.pdf\""),
        "{headers:?}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), invoice.as_slice());
}
db_test!(an_uploaded_document_is_listed_and_downloads_byte_identical);

async fn an_oversize_or_refused_upload_shows_why_and_stores_nothing(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Limits Ltd", "olive@limits.example.com")
        .await;
    let access = olive.access();
    olive.get(&app, "/documents").await;

    let big: Vec<u8> = PDF.iter().copied().cycle().take(4097).collect();
    let fields = [("link_expires_at", "2031-07-01T17:00")];
    let (status, _, html) = upload(
        &mut olive,
        &app,
        "big.pdf",
        "application/pdf",
        &big,
        &fields,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        html.contains("value=\"2031-07-01T17:00\""),
        "what was chosen stays"
    );
    assert!(
        html.contains(
            "<p class=\"field-error\" id=\"file-error\">Documents may be at most 4096 bytes (4.0 KB).</p>"
        ),
        "{html}"
    );
    assert!(html.contains("up to 4.0 KB"));

    // The content decides: a PNG named .pdf is refused with the service's reason.
    let (status, _, html) =
        upload(&mut olive, &app, "invoice.pdf", "application/pdf", PNG, &[]).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(html.contains("id=\"file-error\""), "{html}");
    assert!(html.contains("image/png"), "{html}");

    // No file chosen (a browser sends an empty part without a name).
    let (status, _, html) = upload(
        &mut olive,
        &app,
        "",
        "application/octet-stream",
        b"",
        &[("link_expires_at", "2031-07-01T17:00")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose a file to upload."), "{html}");
    assert!(
        html.contains("value=\"2031-07-01T17:00\""),
        "what was typed stays"
    );
    assert_eq!(app.get_json("/documents", &access).await["total"], 0);

    // Without the token nothing is read, whatever the file.
    let (content_type, body) = super::multipart_parts(&[Part::File {
        field: "file",
        name: "fine.pdf",
        content_type: "application/pdf",
        bytes: PDF,
    }]);
    let response = app
        .page(reqwest::Method::POST, "/documents")
        .header("cookie", olive.cookie_header())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_json("/documents", &access).await["total"],
        0,
        "refused uploads leave nothing"
    );

    // A file of exactly the limit is taken (past `MAX_BODY_BYTES`, which other forms keep).
    let fits: Vec<u8> = PDF.iter().copied().cycle().take(4096).collect();
    let (status, _, _) = upload(&mut olive, &app, "fits.pdf", "application/pdf", &fits, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_json("/documents", &access).await["total"], 1);
}
// The service-wide body limit is below the file's: the upload form has its own.
db_test!(
    an_oversize_or_refused_upload_shows_why_and_stores_nothing,
    [("DOCUMENT_MAX_BYTES", "4096"), ("MAX_BODY_BYTES", "2048")]
);

async fn a_document_is_renamed_and_its_expiry_changed_with_the_apis_rules(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Renames Ltd", "olive@renames.example.com")
        .await;
    let access = olive.access();
    olive.get(&app, "/documents").await;
    let fields = [("link_expires_at", "2031-07-01T17:00")];
    upload(
        &mut olive,
        &app,
        "scan.pdf",
        "application/pdf",
        PDF,
        &fields,
    )
    .await;
    let id = app.get_json("/documents", &access).await["items"][0]["id"].clone();
    let page = format!("/documents/{id}");
    olive.get(&app, &page).await;
    let csrf = olive.csrf.clone();

    // Left as shown, the expiry stays; the name changes.
    let (status, location, _) = olive
        .post(
            &app,
            &page,
            &[
                ("csrf", &csrf),
                ("name", "invoice-42.pdf"),
                ("link_expires_at", "2031-07-01T17:00"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{page}?notice=saved").as_str()
        )
    );
    let now = app.get_json(&page, &access).await;
    assert_eq!(now["name"], "invoice-42.pdf");
    assert_eq!(now["link_expires_at"], "2031-07-01T16:00:00Z");
    let (_, html) = olive.get(&app, &location).await;
    assert!(
        html.contains("<h1 class=\"file-name\">invoice-42.pdf</h1>"),
        "{html}"
    );
    assert!(html.contains("role=\"status\" id=\"notice\">Saved."));

    // Another extension is refused beside its field; so is a time London skips.
    let (status, _, html) = olive
        .post(
            &app,
            &page,
            &[
                ("csrf", &csrf),
                ("name", "invoice-42.exe"),
                ("link_expires_at", ""),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("<p class=\"field-error\" id=\"name-error\">the file is named .exe"));
    assert!(
        html.contains("value=\"invoice-42.exe\""),
        "what was typed stays"
    );
    let (status, _, html) = olive
        .post(
            &app,
            &page,
            &[
                ("csrf", &csrf),
                ("name", "invoice-42.pdf"),
                ("link_expires_at", "2031-03-30T01:30"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"link_expires_at-error\">There is no 2031-03-30T01:30 in Europe/London")
    );
    // Without the token nothing changes.
    let (status, _, _) = olive
        .post(
            &app,
            &page,
            &[("name", "forged.pdf"), ("link_expires_at", "")],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let now = app.get_json(&page, &access).await;
    assert_eq!(now["name"], "invoice-42.pdf");
    assert_eq!(now["link_expires_at"], "2031-07-01T16:00:00Z");

    // Emptied, links never expire.
    let (status, _, _) = olive
        .post(
            &app,
            &page,
            &[
                ("csrf", &csrf),
                ("name", "invoice-42.pdf"),
                ("link_expires_at", ""),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&page, &access).await["link_expires_at"],
        Value::Null
    );
}
db_test!(a_document_is_renamed_and_its_expiry_changed_with_the_apis_rules);

/// A reminder carrying `document` sent by hand to `client` now; returns the client's link
/// (`/d/…`) and the message's id.
async fn send_with(
    app: &TestApp,
    owner: &Session,
    client: &Value,
    document: &Value,
) -> (String, i64) {
    let reminder = app
        .reminder(
            owner,
            json!({"title": "Rates", "channels": ["email"], "body": "{{ document_link }}",
               "schedule": {"type": "once", "at": app.local_in(5, "09:00:00")},
               "document_ids": [document["id"]], "client_ids": [client["id"]]}),
        )
        .await;
    let sent = app
        .post(
            &format!("/reminders/{}/send", reminder["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let message = app.transport.sent().pop().unwrap();
    let link = message
        .body
        .strip_prefix("http://reminders.test")
        .unwrap()
        .to_owned();
    (link, message.notification_id)
}

async fn a_sent_documents_links_show_their_opens_and_revoking_one_ends_it(app: TestApp) {
    let owner = app.owner("Links Ltd").await;
    let ann = app.email_client(&owner, "Ann Linked").await;
    let rates = uploaded(
        &app,
        &owner,
        "rates.csv",
        b"service,price\nVAT return,125.00\n",
    )
    .await;
    let page = format!("/documents/{}", rates["id"]);
    let mut olive = Visitor::default();
    olive.sign_in(&app, &owner.email).await;
    let (_, html) = olive.get(&app, &page).await;
    assert!(html.contains("None yet"), "{html}");

    let (link, message) = send_with(&app, &owner, &ann, &rates).await;
    assert_eq!(open(&app, &link).await, StatusCode::OK);
    let (status, html) = olive.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(
            "<td><a href=\"/clients/{}\">Ann Linked</a></td>",
            ann["id"]
        )),
        "{html}"
    );
    assert!(html.contains("1 time:"), "{html}");
    assert!(
        html.contains(&format!(
            "<li><a href=\"/messages/{message}\">{}</a></li>",
            shown(app.clock.now(), chrono_tz::UTC)
        )),
        "{html}"
    );
    let links = app.get_json(&format!("{page}/links"), &owner.token).await["items"].clone();
    let revoke = format!("{page}/links/{}/revoke", links[0]["id"]);
    assert!(html.contains(&format!("action=\"{revoke}\"")));

    // Without the token the link keeps working.
    let (status, _, _) = olive.post(&app, &revoke, &[], Some(&app.address)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(open(&app, &link).await, StatusCode::OK);

    let csrf = olive.csrf.clone();
    let (status, location, _) = olive
        .post(&app, &revoke, &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(
        (status, location.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{page}?notice=revoked").as_str()
        )
    );
    assert_eq!(open(&app, &link).await, StatusCode::GONE);
    let (_, html) = olive.get(&app, &location).await;
    assert!(html.contains("Revoked: that client&#39;s link"), "{html}");
    assert!(html.contains("2 times:"), "{html}");
    assert!(html.contains("revoked "));
    assert!(!html.contains(&revoke), "no revoke button once revoked");

    // Members work with documents as the API lets them.
    app.staff(&owner, "mo@links-ltd.example.com", "member")
        .await;
    let mut mo = Visitor::default();
    mo.sign_in(&app, "mo@links-ltd.example.com").await;
    let (status, html) = mo.get(&app, "/documents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("rates.csv"));
    assert_eq!(mo.get(&app, &page).await.0, StatusCode::OK);
}
db_test!(a_sent_documents_links_show_their_opens_and_revoking_one_ends_it);

async fn deleting_a_document_asks_first(app: TestApp) {
    let owner = app.owner("Deleters Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;
    let notes = uploaded(&app, &owner, "notes.txt", b"Call back on Monday.\n").await;
    let carried = uploaded(&app, &owner, "rates.csv", b"a,b\n1,2\n").await;
    let reminder = app
        .reminder(
            &owner,
            json!({"title": "Rates", "channels": ["email"], "body": "{{ document_link }}",
               "schedule": {"type": "once", "at": app.local_in(5, "09:00:00")},
               "document_ids": [carried["id"]], "client_ids": [ann["id"]]}),
        )
        .await;
    let api_path = format!("/documents/{}", notes["id"]);
    let page = format!("/documents/{}", notes["id"]);
    let delete = format!("{page}/delete");
    let mut olive = Visitor::default();
    olive.sign_in(&app, &owner.email).await;

    let (_, html) = olive.get(&app, &page).await;
    assert!(html.contains(&format!("href=\"{delete}\"")), "{html}");
    let (status, html) = olive.get(&app, &delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete notes.txt?"), "{html}");
    assert!(html.contains(&format!("<form method=\"post\" action=\"{delete}\">")));
    assert_eq!(
        app.get(&api_path, &owner.token).await.status(),
        StatusCode::OK,
        "asking deletes nothing"
    );
    let (status, _, _) = olive.post(&app, &delete, &[], Some(&app.address)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&api_path, &owner.token).await.status(),
        StatusCode::OK
    );

    let csrf = olive.csrf.clone();
    let (status, location, _) = olive
        .post(&app, &delete, &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/documents?notice=deleted")
    );
    assert_eq!(
        app.get(&api_path, &owner.token).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, html) = olive.get(&app, &location).await;
    assert!(html.contains("Deleted: its links no longer open it."));
    assert!(!html.contains("notes.txt"));

    // One a reminder carries stays, with the reminder named.
    let delete = format!("/documents/{}/delete", carried["id"]);
    let (status, _, html) = olive
        .post(&app, &delete, &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains(&format!(
            "Reminders {} carry this document: take it off them first.",
            reminder["id"]
        )),
        "{html}"
    );
    assert_eq!(
        app.get(&format!("/documents/{}", carried["id"]), &owner.token)
            .await
            .status(),
        StatusCode::OK
    );
}
db_test!(deleting_a_document_asks_first);

async fn owners_download_a_clients_data_and_members_get_403(app: TestApp) {
    let owner = app.owner("Exports Ltd").await;
    app.staff(&owner, "mo@exports-ltd.example.com", "member")
        .await;
    let ann = app.email_client(&owner, "Ann Exported").await;
    let rates = uploaded(&app, &owner, "rates.csv", b"a,b\n1,2\n").await;
    send_with(&app, &owner, &ann, &rates).await;
    let page = format!("/clients/{}", ann["id"]);
    let export = format!("{page}/export");

    let mut olive = Visitor::default();
    olive.sign_in(&app, &owner.email).await;
    let (_, html) = olive.get(&app, &page).await;
    assert!(html.contains(&format!("href=\"{export}\"")), "{html}");
    let response = olive.fetch(&app, &export).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with(&format!("attachment; filename=\"client-{}-", ann["id"])),
        "{headers:?}"
    );
    assert_eq!(headers["cache-control"], "private, no-store");
    let mut file: Value = response.json().await.unwrap();
    assert_eq!(file["client"]["name"], "Ann Exported");
    assert_eq!(file["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(file["document_links"][0]["document_id"], rates["id"]);
    let audited = app
        .get_json("/audit-log?action=client.exported", &owner.token)
        .await;
    assert_eq!(audited["total"], 1, "the download is audited");
    // The API's answer, but for when it was made.
    let mut api = app.get_json(&export, &owner.token).await;
    file["exported_at"] = Value::Null;
    api["exported_at"] = Value::Null;
    assert_eq!(file, api);

    let mut mo = Visitor::default();
    mo.sign_in(&app, "mo@exports-ltd.example.com").await;
    let (status, html) = mo.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&export), "no download for a member");
    let (status, html) = mo.get(&app, &export).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Only owners and admins"));
}
db_test!(owners_download_a_clients_data_and_members_get_403);

async fn another_business_document_is_not_found(app: TestApp) {
    let owner = app.owner("Mine Ltd").await;
    let ann = app.email_client(&owner, "Ann Mine").await;
    let rates = uploaded(&app, &owner, "rates.csv", b"a,b\n1,2\n").await;
    let (link, _) = send_with(&app, &owner, &ann, &rates).await;
    let links = app
        .get_json(&format!("/documents/{}/links", rates["id"]), &owner.token)
        .await["items"]
        .clone();
    let page = format!("/documents/{}", rates["id"]);
    let mut olive = Visitor::default();
    olive.sign_in(&app, &owner.email).await;
    assert_eq!(olive.get(&app, &page).await.0, StatusCode::OK);

    let mut eve = Visitor::default();
    eve.sign_up(&app, "Theirs Ltd", "eve@theirs.example.com")
        .await;
    let (status, html) = eve.get(&app, "/documents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("rates.csv"));
    let csrf = eve.csrf.clone();
    for path in [
        page.clone(),
        format!("{page}/content"),
        format!("{page}/delete"),
        format!("/clients/{}/export", ann["id"]),
    ] {
        let (status, html) = eve.get(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Not found"), "{path}: {html}");
    }
    for (path, fields) in [
        (
            page.clone(),
            vec![("csrf", csrf.as_str()), ("name", "x.csv")],
        ),
        (format!("{page}/delete"), vec![("csrf", csrf.as_str())]),
        (
            format!("{page}/links/{}/revoke", links[0]["id"]),
            vec![("csrf", csrf.as_str())],
        ),
    ] {
        let (status, _, _) = eve.post(&app, &path, &fields, Some(&app.address)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let kept = app.get_json(&page, &owner.token).await;
    assert_eq!(kept["name"], "rates.csv");
    assert_eq!(open(&app, &link).await, StatusCode::OK);
}
db_test!(another_business_document_is_not_found);

/// The page's width, the screen's, and the elements that reach past the screen (to say which).
const WIDTHS: &str = "const screen = document.documentElement.clientWidth;
    return [document.documentElement.scrollWidth, screen,
        Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > screen)
            .map(e => e.tagName + ': ' + e.textContent.slice(0, 40))];";

/// Opens `path` at a phone's width (375 px), waits for `then` (a CSS selector), and checks that
/// nothing is wider than the screen.
async fn fits_a_phone(browser: &Browser, app: &TestApp, path: &str, then: &str) {
    browser
        .client
        .set_window_size(375, 812)
        .await
        .expect("phone size");
    browser
        .client
        .goto(&format!("{}{path}", app.address))
        .await
        .expect("page");
    browser.wait_for(then).await;
    let widths = browser
        .client
        .execute(WIDTHS, vec![])
        .await
        .expect("widths");
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "{path} is wider than a phone: {widths}"
    );
}

async fn a_document_is_uploaded_from_a_browser_and_its_pages_fit_a_phone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::start().await;
    let owner = app.owner("Harbour Accounts").await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Annabel Longname-Harbourside", "email": "annabel.longname-harbourside@client.example.com"}),
        )
        .await;
    browser
        .client
        .goto(&format!("{}/login", app.address))
        .await
        .expect("sign-in page");
    browser.fill("email", &owner.email).await;
    browser.fill("password", PASSWORD).await;
    browser
        .click_then("form[action='/login'] button", "figure.chart")
        .await;
    browser
        .click_then("a[href='/documents']", "form[action='/documents']")
        .await;

    // A real file input, a real multipart post: no script on the page.
    let folder = tempfile::tempdir().expect("folder");
    let name = "Quarterly-statement-for-Harbour-Accounts-2031-Q1-final-version.pdf";
    let path = folder.path().join(name);
    std::fs::write(&path, PDF).expect("file written");
    browser
        .client
        .find(Locator::Id("file"))
        .await
        .expect("file input")
        .send_keys(path.to_str().expect("path"))
        .await
        .expect("file chosen");
    browser
        .click_then("form[action='/documents'] button[type=submit]", "#notice")
        .await;
    assert!(browser.text().await.contains(name));
    let listed = app.get_json("/documents", &owner.token).await;
    let document = listed["items"][0].clone();
    assert_eq!(document["name"], name);
    assert_eq!(document["size_bytes"], PDF.len());

    let (link, _) = send_with(&app, &owner, &ann, &document).await;
    assert_eq!(open(&app, &link).await, StatusCode::OK);
    let page = format!("/documents/{}", document["id"]);
    fits_a_phone(&browser, &app, "/documents", "table#documents").await;
    fits_a_phone(&browser, &app, &page, "table#links").await;
    browser.screenshot("document-phone", 375, 812).await;
    fits_a_phone(
        &browser,
        &app,
        &format!("{page}/delete"),
        "button.danger-solid",
    )
    .await;
    // The client's page, with its data download.
    fits_a_phone(
        &browser,
        &app,
        &format!("/clients/{}", ann["id"]),
        "a[download]",
    )
    .await;
    browser.finish().await;
}
per_backend!(
    a_document_is_uploaded_from_a_browser_and_its_pages_fit_a_phone,
    a_document_is_uploaded_from_a_browser_and_its_pages_fit_a_phone,
    [sqlite: Sqlite]
);
