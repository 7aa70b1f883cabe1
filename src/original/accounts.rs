//! Users of the original become businesses here, each with its owner (the bcrypt hash kept, to
//! be upgraded to argon2id at the first sign-in). A user whose e-mail already has an account here
//! is left out. The original's built-in admin, and any user whose password is one anybody would
//! guess, arrives disabled: a live owner with a known password would be an open door.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::Set;

use super::shared::truncated;
use super::source::Source;
use super::{Options, Report};
use crate::domain::{Channel, ChannelSet, Email, Role};
use crate::entities::{Timestamp, business};
use crate::repositories::{businesses, users};

/// The e-mail of the admin the original created for itself, with the password `admin`.
const DEFAULT_ADMIN_EMAIL: &str = "admin@example.com";

/// Passwords tried first by anyone (the original's `admin` among them): an account whose
/// password is one of these is imported disabled.
const WELL_KNOWN_PASSWORDS: &[&str] = &[
    "admin",
    "password",
    "changeme",
    "admin123",
    "password123",
    "123456",
    "12345678",
    "secret",
];

/// The active users whose password verifies as one of [`WELL_KNOWN_PASSWORDS`] (by original
/// id). Hashing is slow by design, so each user is checked on the blocking pool, before the
/// import opens its transaction.
pub(super) async fn with_well_known_passwords(source: &Source) -> anyhow::Result<HashSet<i64>> {
    let mut checks = tokio::task::JoinSet::new();
    for user in source.users.iter().filter(|user| user.is_active) {
        let Some(hash) = user.hashed_password.clone() else {
            continue;
        };
        let id = user.id;
        checks.spawn_blocking(move || {
            let guessable = crate::security::password::is_known_hash(&hash)
                && WELL_KNOWN_PASSWORDS
                    .iter()
                    .any(|password| crate::security::password::verify(password, &hash));
            guessable.then_some(id)
        });
    }
    let mut found = HashSet::new();
    while let Some(checked) = checks.join_next().await {
        found.extend(checked?);
    }
    Ok(found)
}

/// Imports the users; returns our business id by original user id. Users in `guessable` (see
/// [`with_well_known_passwords`]) and the default admin are imported disabled.
pub(super) async fn import_accounts(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
    options: &Options,
    guessable: &HashSet<i64>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, i64>> {
    // Original user id → our business id.
    let mut owners: HashMap<i64, i64> = HashMap::new();
    for user in &source.users {
        let Some(email) = user.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
            report.users.skip("no_valid_email");
            continue;
        };
        let Some(hash) = &user.hashed_password else {
            report.users.skip("no_password");
            continue;
        };
        if !crate::security::password::is_known_hash(hash) {
            // Neither bcrypt nor argon2: no password could ever match it here.
            report.users.skip("unknown_password_hash");
            continue;
        }
        if users::find_by_email(txn, email.as_str()).await?.is_some() {
            report.users.skip("already_present");
            continue;
        }
        let person = user.full_name.clone().or_else(|| {
            let joined = [user.first_name.as_deref(), user.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.is_empty()).then_some(joined)
        });
        let name = user
            .business_name
            .clone()
            .or_else(|| person.clone())
            .or_else(|| user.username.clone())
            .unwrap_or_else(|| email.as_str().to_owned());
        let disabled_because = if !user.is_active {
            Some("disabled_in_the_original")
        } else if email.as_str() == DEFAULT_ADMIN_EMAIL {
            Some("default_admin_disabled")
        } else if guessable.contains(&user.id) {
            Some("well_known_password_disabled")
        } else {
            None
        };
        let created = Timestamp(user.created_at.unwrap_or(now));
        let saved = businesses::insert(
            txn,
            business::ActiveModel {
                name: Set(truncated(&name, 200)),
                timezone: Set(options.timezone.name().to_owned()),
                default_channels: Set(ChannelSet::from(vec![Channel::Email])),
                email_from: Set(Some(email.as_str().to_owned())),
                default_country: Set(options.country.map(|c| c.to_string())),
                quiet_hours_start: Set(None),
                quiet_hours_end: Set(None),
                created_at: Set(created),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        // Its username signs in here too (the original's paths), unless an account has it.
        let username = match user.username.as_deref().map(str::trim) {
            Some(name) if users::find_by_username(txn, name).await?.is_some() => {
                report.users.change("username_taken");
                None
            }
            Some(name) if (3..=191).contains(&name.chars().count()) => Some(name.to_owned()),
            _ => None,
        };
        users::insert(
            txn,
            crate::entities::user::ActiveModel {
                username: Set(username),
                business_id: Set(saved.id),
                email: Set(email.as_str().to_owned()),
                full_name: Set(truncated(
                    person.as_deref().or(user.username.as_deref()).unwrap_or(""),
                    200,
                )),
                // bcrypt: verified as it is, re-hashed with argon2id at the first sign-in.
                password_hash: Set(hash.clone()),
                role: Set(Role::Owner),
                is_active: Set(disabled_because.is_none()),
                created_at: Set(created),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        if let Some(reason) = disabled_because {
            report.users.change(reason);
            if reason != "disabled_in_the_original" {
                report
                    .disabled_accounts
                    .insert(email.as_str().to_owned(), reason);
            }
        }
        owners.insert(user.id, saved.id);
        report.users.imported += 1;
        report.businesses_created += 1;
    }
    Ok(owners)
}
