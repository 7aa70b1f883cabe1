//! The binary itself: production refuses weak settings; `migrate` prepares a database.

use std::process::Command;

pub(crate) fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reminder-backend"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

/// Runs `migrate` in `dir` with these variables and checks that it succeeded; its output.
fn migrate_in(dir: &std::path::Path, vars: &[(&str, &str)]) -> std::process::Output {
    let output = binary()
        .current_dir(dir)
        .envs(vars.iter().copied())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[test]
fn production_refuses_to_start_without_strong_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (vec![("ENCRYPTION_KEY", KEY)], "SECRET_KEY"),
        (
            vec![("SECRET_KEY", "short"), ("ENCRYPTION_KEY", KEY)],
            "SECRET_KEY",
        ),
        (
            vec![("SECRET_KEY", "a-long-enough-secret-key-for-production-use")],
            "ENCRYPTION_KEY",
        ),
    ];
    for (vars, named) in cases {
        let output = binary()
            .current_dir(dir.path())
            .env("ENV", "production")
            .env("DATABASE_URL", "sqlite://./never.db")
            .envs(vars)
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("refusing to start") && stderr.contains(named),
            "{stderr}"
        );
        assert!(
            !dir.path().join("never.db").exists(),
            "nothing may be created"
        );
    }
}

#[test]
fn a_production_start_lists_every_refused_setting_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = binary()
        .current_dir(dir.path())
        .env("ENV", "production")
        .env("DATABASE_URL", "sqlite://./never.db")
        .env("SECRET_KEY", "a-long-enough-secret-key-for-production-use")
        .env("ENCRYPTION_KEY", KEY)
        .env("PUBLIC_BASE_URL", "https://reminders.example.com")
        .env("SMTP_HOST", "smtp.example.com")
        .env("EMAIL_FROM", "Reminders reminders@firm.example")
        .env("STRIPE_SECRET_KEY", "pk_live_do-not-echo-me")
        .env("TWILIO_API_BASE", "api.twilio.com")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to start: 3 settings refused:"),
        "{stderr}"
    );
    for variable in ["EMAIL_FROM", "STRIPE_SECRET_KEY", "TWILIO_API_BASE"] {
        assert!(
            stderr.contains(&format!("\n  {variable}: ")),
            "{variable} not listed in {stderr}"
        );
    }
    assert!(
        stderr.contains("`reminder-backend check-config`"),
        "{stderr}"
    );
    assert!(!stderr.contains("do-not-echo-me"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn outside_production_a_malformed_email_from_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let output = migrate_in(
        dir.path(),
        &[
            ("DATABASE_URL", "sqlite://./fresh.db"),
            ("LOG_FORMAT", "json"),
            ("SMTP_HOST", "smtp.example.com"),
            ("EMAIL_FROM", "Reminders reminders@firm.example"),
        ],
    );
    let logged = String::from_utf8_lossy(&output.stdout);
    let warning = logged
        .lines()
        .find(|line| line.contains("\"setting\":\"EMAIL_FROM\""))
        .unwrap_or_else(|| panic!("no warning about EMAIL_FROM in {logged}"));
    assert!(warning.contains("\"level\":\"WARN\""), "{warning}");
    assert!(warning.contains("check-config"), "{warning}");
}

#[test]
fn migrate_creates_the_sqlite_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        migrate_in(
            dir.path(),
            &[
                ("DATABASE_URL", "sqlite://./fresh.db"),
                ("LOG_FORMAT", "json"),
            ],
        );
    }
    assert!(dir.path().join("fresh.db").exists());
}

#[test]
fn readable_logs_written_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let output = migrate_in(
        dir.path(),
        &[
            ("DATABASE_URL", "sqlite://./fresh.db"),
            ("LOG_FORMAT", "pretty"),
            ("RUST_LOG", "info"),
        ],
    );
    let logged = String::from_utf8_lossy(&output.stdout);
    assert!(logged.contains("INFO"), "{logged}");
    assert!(!logged.contains('\u{1b}'), "colour codes in {logged:?}");
}

#[test]
fn the_old_database_setting_name_is_understood() {
    let dir = tempfile::tempdir().unwrap();
    let output = binary()
        .current_dir(dir.path())
        .env("SQLALCHEMY_DATABASE_URI", "sqlite://./legacy.db")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(dir.path().join("legacy.db").exists());
}

#[test]
fn check_config_reports_every_production_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let output = binary()
        .current_dir(dir.path())
        .env("SECRET_KEY", "short")
        .env("PUBLIC_BASE_URL", "http://reminders.example.com")
        .env("CORS_ORIGINS", "*")
        .env("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef")
        .env("MAX_ATTEMPTS", "many")
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for variable in [
        "SECRET_KEY",
        "ENCRYPTION_KEY",
        "PUBLIC_BASE_URL",
        "CORS_ORIGINS",
        "TWILIO_AUTH_TOKEN",
        "MAX_ATTEMPTS",
    ] {
        assert!(
            stdout.contains(&format!("refused: {variable}:")),
            "{variable} not reported in {stdout}"
        );
    }
    assert!(stdout.contains("6 setting(s) to fix"), "{stdout}");
    assert!(
        !stdout.contains("\"short\""),
        "secret values are not echoed: {stdout}"
    );

    // Fixed, it passes; nothing was started or created.
    let output = binary()
        .current_dir(dir.path())
        .env("SECRET_KEY", "a-long-enough-secret-key-for-production-use")
        .env("ENCRYPTION_KEY", KEY)
        .env("PUBLIC_BASE_URL", "https://reminders.example.com")
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn without_a_secret_key_random_keys_are_made_once_and_kept_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let output = migrate_in(dir.path(), &[("DATABASE_URL", "sqlite://./firm.db")]);
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let log = run();
    let path = dir.path().join("firm.db.keys");
    let first = std::fs::read_to_string(&path).expect("the key file is written");
    assert!(log.contains("random keys were generated"), "{log}");
    assert!(
        !log.contains(first.lines().nth(2).unwrap()),
        "keys are not logged"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    // Never the development constant an earlier version shipped, and the same on every start.
    assert!(!first.contains("development-only-secret-key-change-me"));
    let secret = first
        .lines()
        .find_map(|line| line.strip_prefix("SECRET_KEY="))
        .unwrap();
    assert!(secret.len() >= 32);
    run();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
}
