//! E-mail end to end through a real SMTP server: rendered parts, headers, one-click
//! unsubscribe, 4xx retried, 5xx failed, and a business's own SMTP account.

use std::collections::HashMap;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::smtp::{SmtpServer, header};
use crate::support::{Backend, TestApp, per_backend};

const PLATFORM_LOGIN: (&str, &str) = ("platform-mailer", "platform-smtp-password-8d1f");

async fn app_with_smtp(backend: Backend, smtp: &SmtpServer) -> TestApp {
    app_with_smtp_and(backend, smtp, &[]).await
}

async fn app_with_smtp_and(backend: Backend, smtp: &SmtpServer, extra: &[(&str, &str)]) -> TestApp {
    let mut overrides: HashMap<String, String> = [
        ("SMTP_HOST", "127.0.0.1".to_owned()),
        ("SMTP_PORT", smtp.port.to_string()),
        ("SMTP_TLS", "none".to_owned()),
        ("SMTP_USERNAME", PLATFORM_LOGIN.0.to_owned()),
        ("SMTP_PASSWORD", PLATFORM_LOGIN.1.to_owned()),
        ("EMAIL_FROM", "reminders@platform.test".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    overrides.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    TestApp::spawn_with_providers(backend, overrides).await
}

async fn email_is_rendered_with_unsubscribe_headers(backend: Backend) {
    let smtp = SmtpServer::start(Some(PLATFORM_LOGIN));
    let app = app_with_smtp(backend, &smtp).await;
    let owner = app.owner("Books & Co").await;
    app.patch(
        "/business",
        &owner.token,
        json!({"email_from": "office@books.test"}),
    )
    .await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann <Admin>", "email": "ann@client.test"}),
        )
        .await;
    app.reminder(&owner,
        json!({
                "title": "VAT",
                "channels": ["email"],
                "subject": "{{ business.name }}: VAT due {{ due_date }}",
                "body": "Hi {{ client.name }},\nplease pay at https://pay.example.test/p?a=1&b=2.\n\nThanks",
                "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
                "client_ids": [ann["id"]],
            }),
    )
    .await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert_eq!(mail["rcpt_tos"], json!(["ann@client.test"]));
    assert_eq!(mail["mail_from"], "reminders@platform.test");
    assert_eq!(mail["authenticated"], true);
    assert_eq!(mail["content_type"], "multipart/alternative");
    assert_eq!(
        header(mail, "From").unwrap(),
        "Books & Co <reminders@platform.test>"
    );
    assert_eq!(header(mail, "Reply-To").unwrap(), "office@books.test");
    assert!(
        header(mail, "Subject")
            .unwrap()
            .starts_with("Books & Co: VAT due ")
    );
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.starts_with("Hi Ann <Admin>,\r\nplease pay at https://pay.example.test/p?a=1&b=2."),
        "{text}"
    );
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains("Hi Ann &lt;Admin&gt;,<br>"), "{html}");
    assert!(html.contains(
        "<a href=\"https://pay.example.test/p?a=1&amp;b=2\">https://pay.example.test/p?a=1&amp;b=2</a>."
    ));
    assert_eq!(
        header(mail, "List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = header(mail, "List-Unsubscribe").unwrap();
    let url = unsubscribe
        .strip_prefix("<http://reminders.test")
        .and_then(|rest| rest.strip_suffix('>'))
        .expect("an unsubscribe link under PUBLIC_BASE_URL");

    // The Message-ID is the provider id of the notification.
    let sent = app.notifications(&owner, "channel=email").await;
    assert_eq!(sent[0]["status"], "sent");
    assert_eq!(sent[0]["provider"], "smtp");
    assert_eq!(
        header(mail, "Message-ID").unwrap(),
        format!("<{}>", sent[0]["provider_message_id"].as_str().unwrap())
    );

    // RFC 8058 one-click: a POST without sign-in opts out at once; the next send is skipped.
    let response = app
        .request(reqwest::Method::POST, url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let client = app
        .get_json(&format!("/clients/{}", ann["id"]), &owner.token)
        .await;
    assert_eq!(client["opted_out"]["email"], true);
    let again = app.once_for(&owner, &ann, "email", 3).await;
    app.arrive(3);
    app.dispatch_until_idle().await;
    let skipped = app
        .notifications(&owner, &format!("reminder_id={}", again["id"]))
        .await;
    assert_eq!(skipped[0]["status"], "skipped");
    assert_eq!(skipped[0]["error_code"], "opted_out");
    assert_eq!(smtp.messages().len(), 1);
}
per_backend!(
    email_is_sent_over_smtp_with_both_parts_and_one_click_unsubscribe,
    email_is_rendered_with_unsubscribe_headers
);

async fn smtp_replies_are_classified(backend: Backend) {
    let smtp = SmtpServer::start(Some(PLATFORM_LOGIN));
    let app = app_with_smtp(backend, &smtp).await;
    let owner = app.owner("Replies Ltd").await;
    let deferred = app
        .client(
            &owner,
            json!({"name": "Later", "email": "defer1-later@client.test"}),
        )
        .await;
    let rejected = app
        .client(
            &owner,
            json!({"name": "Gone", "email": "reject-gone@client.test"}),
        )
        .await;
    app.once_for(&owner, &deferred, "email", 1).await;
    app.once_for(&owner, &rejected, "email", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    let by_client = |list: &[Value], client: &Value| {
        list.iter()
            .find(|n| n["client_id"] == client["id"])
            .cloned()
            .unwrap()
    };
    let list = app.notifications(&owner, "").await;
    let later = by_client(&list, &deferred);
    assert_eq!(later["status"], "pending");
    assert_eq!(later["error_code"], "451");
    let gone = by_client(&list, &rejected);
    assert_eq!(gone["status"], "failed");
    assert_eq!(gone["error_code"], "550");
    assert_eq!(gone["attempt_count"], 1);
    assert!(smtp.messages().is_empty());

    // After the backoff the deferred one goes through.
    app.clock.advance(Duration::hours(1));
    app.dispatch_until_idle().await;
    let later = by_client(&app.notifications(&owner, "").await, &deferred);
    assert_eq!(later["status"], "sent");
    assert_eq!(later["attempt_count"], 2);
    let detail = app
        .get_json(&format!("/notifications/{}", later["id"]), &owner.token)
        .await;
    let outcomes: Vec<&str> = detail["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["transient_error", "sent"]);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["rcpt_tos"], json!(["defer1-later@client.test"]));
}
per_backend!(
    smtp_4xx_is_retried_and_5xx_fails_at_once,
    smtp_replies_are_classified
);

async fn business_smtp_account_is_used(backend: Backend) {
    let platform = SmtpServer::start(Some(PLATFORM_LOGIN));
    let own = SmtpServer::start(Some(("firm-user", "firm-secret-5c2a")));
    // The firm's server is on this machine, which only an operator's setting allows.
    let allow = [("ALLOW_PRIVATE_PROVIDER_HOSTS", "true")];
    let app = app_with_smtp_and(backend, &platform, &allow).await;
    let owner = app.owner("Own Mail Ltd").await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({"providers": {"smtp": {"host": "127.0.0.1", "port": own.port, "tls": "none",
                    "username": "firm-user", "password": "firm-secret-5c2a",
                    "from_email": "desk@ownmail.test"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let shown = response.text().await.unwrap();
    assert!(!shown.contains("firm-secret-5c2a"));
    let other = app.owner("Platform Mail Ltd").await;
    app.patch(
        "/business",
        &other.token,
        json!({"email_from": "hello@platformmail.test"}),
    )
    .await;
    let mine = app
        .client(&owner, json!({"name": "A", "email": "a@client.test"}))
        .await;
    let theirs = app
        .client(&other, json!({"name": "B", "email": "b@client.test"}))
        .await;
    app.once_for(&owner, &mine, "email", 1).await;
    app.once_for(&other, &theirs, "email", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    let own_mail = own.messages();
    assert_eq!(own_mail.len(), 1);
    assert_eq!(own_mail[0]["rcpt_tos"], json!(["a@client.test"]));
    assert_eq!(own_mail[0]["mail_from"], "desk@ownmail.test");
    assert_eq!(own_mail[0]["authenticated"], true);
    let platform_mail = platform.messages();
    assert_eq!(platform_mail.len(), 1);
    assert_eq!(platform_mail[0]["rcpt_tos"], json!(["b@client.test"]));
    assert_eq!(
        header(&platform_mail[0], "Reply-To").unwrap(),
        "hello@platformmail.test"
    );
}
per_backend!(
    a_business_smtp_account_is_used_and_the_platform_is_the_fallback,
    business_smtp_account_is_used
);

async fn display_names_of_senders_are_kept(backend: Backend) {
    let smtp = SmtpServer::start(Some(PLATFORM_LOGIN));
    let settings = [
        ("EMAIL_FROM", "Reminders <reminders@platform.test>"),
        // The firm's own account below is this same server, on this machine.
        ("ALLOW_PRIVATE_PROVIDER_HOSTS", "true"),
    ];
    let app = app_with_smtp_and(backend, &smtp, &settings).await;
    // The platform's sender, with the firm's own mailbox as Reply-To.
    let platform = app.owner("Books & Co").await;
    let response = app
        .patch(
            "/business",
            &platform.token,
            json!({"email_from": "  Books Desk <Office@Books.test> "}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let business = app.get_json("/business", &platform.token).await;
    assert_eq!(business["email_from"], "Books Desk <office@books.test>");
    // A firm's own account whose sender has a name that needs quoting and encoding.
    let own = app.owner("Own Mail Ltd").await;
    let response = app
        .patch(
            "/business",
            &own.token,
            json!({"providers": {"smtp": {"host": "127.0.0.1", "port": smtp.port, "tls": "none",
                    "username": PLATFORM_LOGIN.0, "password": PLATFORM_LOGIN.1,
                    "from_email": "\"Bäckerei Müller, Desk\" <desk@ownmail.test>"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let ann = app
        .client(
            &platform,
            json!({"name": "Ann", "email": "ann@client.test"}),
        )
        .await;
    let bob = app
        .client(&own, json!({"name": "Bob", "email": "bob@client.test"}))
        .await;
    app.once_for(&platform, &ann, "email", 1).await;
    app.once_for(&own, &bob, "email", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    for session in [&platform, &own] {
        let sent = app.notifications(session, "channel=email").await;
        assert_eq!(sent[0]["status"], "sent", "{sent:?}");
    }
    let messages = smtp.messages();
    let to = |address: &str| {
        messages
            .iter()
            .find(|m| m["rcpt_tos"] == json!([address]))
            .unwrap()
    };
    let to_ann = to("ann@client.test");
    assert_eq!(to_ann["mail_from"], "reminders@platform.test");
    assert_eq!(
        header(to_ann, "From").unwrap(),
        "Reminders <reminders@platform.test>"
    );
    assert_eq!(
        header(to_ann, "Reply-To").unwrap(),
        "Books Desk <office@books.test>"
    );
    let to_bob = to("bob@client.test");
    assert_eq!(to_bob["mail_from"], "desk@ownmail.test");
    assert_eq!(
        header(to_bob, "From").unwrap(),
        "\"Bäckerei Müller, Desk\" <desk@ownmail.test>"
    );
}
per_backend!(
    email_from_with_a_display_name_is_the_sender_as_written,
    display_names_of_senders_are_kept
);
