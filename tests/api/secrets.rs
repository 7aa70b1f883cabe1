//! Secrets and personal data stay out of the logs: the real binary at its most verbose log
//! level sends an SMS through a business's own Twilio account and takes its status callback;
//! no token, password, phone number or e-mail address appears in what it printed, and the
//! business's token is not in the database file.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::scale::{Api, free_port, fresh_database};
use crate::support::fakes::TwilioFake;
use crate::support::{Backend, per_backend};

async fn nothing_secret_is_logged(backend: Backend) {
    let (database_url, dir) = fresh_database(backend).await;
    let platform = TwilioFake::start().await;
    let own = platform.another_account();
    let port = free_port();
    let smtp_password = "platform-smtp-password-77aa";
    let mut child = Command::new(env!("CARGO_BIN_EXE_reminder-backend"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ENV", "testing")
        .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
        .env("DATABASE_URL", &database_url)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("PUBLIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "trace")
        .env("SCHEDULER_POLL_SECONDS", "0.2")
        .env("TWILIO_ACCOUNT_SID", &platform.account_sid)
        .env("TWILIO_AUTH_TOKEN", &platform.auth_token)
        .env("TWILIO_FROM_NUMBER", "+15005550006")
        .env("TWILIO_API_BASE", &platform.base_url)
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", "1")
        .env("SMTP_PASSWORD", smtp_password)
        .env("EMAIL_FROM", "reminders@platform.test")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    // Read both streams as they come, or a full pipe would stall the process.
    let readers: Vec<std::thread::JoinHandle<String>> = [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .into_iter()
    .map(|mut stream| {
        std::thread::spawn(move || {
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
            text
        })
    })
    .collect();

    let api = Api::connect(port).await;
    let patched = api
        .patch(
            "/business",
            json!({
                "providers": {
                    "twilio": {
                        "account_sid": own.account_sid,
                        "auth_token": own.auth_token,
                        "from_number": "+15005550007",
                    },
                },
            }),
        )
        .await;
    assert_eq!(patched.status(), reqwest::StatusCode::OK);
    let phone = "+447911123456";
    let email = "private.person@client.test";
    let client = api
        .post(
            "/clients",
            json!({"name": "Private Person", "phone": phone, "email": email}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let reminder = api
        .post(
            "/reminders",
            json!({
                "title": "t",
                "channels": ["sms"],
                "body": "Hello",
                "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
                "client_ids": [client["id"]],
            }),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let sent = api
        .post(&format!("/reminders/{}/send", reminder["id"]), json!({}))
        .await;
    assert_eq!(sent.status(), reqwest::StatusCode::ACCEPTED);
    // Wait for the worker loop of the process to send it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while own.messages().is_empty() {
        assert!(Instant::now() < deadline, "the SMS was not sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let message = own.messages()[0].clone();
    let status_url = message.param("StatusCallback").unwrap().to_owned();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(
        own.status_callback(&base, &message, "delivered", None, &own.auth_token)
            .await
            .status(),
        reqwest::StatusCode::NO_CONTENT
    );
    assert!(status_url.starts_with(&base));

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let logs: String = readers.into_iter().map(|r| r.join().unwrap()).collect();
    assert!(logs.contains("delivery report"), "the run was logged");
    for secret in [
        platform.auth_token.as_str(),
        own.auth_token.as_str(),
        smtp_password,
        phone,
        "447911123456",
        email,
        crate::support::PASSWORD,
    ] {
        assert!(!logs.contains(secret), "{secret} is in the logs");
    }
    if let Some(dir) = &dir {
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(own.auth_token.as_str()));
            assert!(!text.contains(platform.auth_token.as_str()));
        }
    }
}
per_backend!(
    secrets_and_personal_data_stay_out_of_logs_and_the_database,
    nothing_secret_is_logged,
    [sqlite: Sqlite, postgres: Postgres]
);
