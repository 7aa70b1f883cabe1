//! The original's key, checked on the source before the target is opened: a wrong key would
//! otherwise read as every sealed value being unreadable, indistinguishable from damaged rows.
//! It is tried on the first few whole sealed values, so that one damaged row (the first, by bad
//! luck) is not taken for a wrong key; tokens cut short open under no key and say nothing of it.

use secrecy::ExposeSecret;

use super::source::Source;
use super::{KeyError, Options, SealedValues, sealed};

/// How many sealed values the key is tried on before it is called wrong.
const VALUES_TRIED: usize = 5;

/// Every sealed value of the source with the row and column holding it, in the order the
/// import meets them: clients' numbers, sender identities' numbers, SMTP passwords.
fn sealed_values(source: &Source) -> impl Iterator<Item = (&str, String)> {
    let clients = source.clients.iter().flat_map(|client| {
        [
            (&client.phone, "phone_number"),
            (&client.whatsapp_phone, "whatsapp_phone_number"),
            (&client.secondary_phone, "secondary_phone_number"),
        ]
        .into_iter()
        .filter_map(move |(value, column)| {
            Some((
                value.as_deref()?,
                format!("client {}'s {column}", client.id),
            ))
        })
    });
    let identities = source.sender_identities.iter().flat_map(|identity| {
        [
            (&identity.phone_number, "phone_number"),
            (&identity.value, "value"),
        ]
        .into_iter()
        .filter_map(move |(value, column)| {
            Some((
                value.as_deref()?,
                format!("sender identity {}'s {column}", identity.id),
            ))
        })
    });
    let passwords = source.email_configurations.iter().filter_map(|config| {
        Some((
            config.smtp_password.as_ref()?.expose_secret(),
            format!("e-mail configuration {}'s smtp_password", config.id),
        ))
    });
    clients
        .chain(identities)
        .chain(passwords)
        .filter(|(value, _)| sealed::is_sealed(value))
}

/// What the import will do with the source's sealed values.
///
/// # Errors
/// Unless `skip_sealed`: [`KeyError::Missing`] when there are whole ones and no key,
/// [`KeyError::Wrong`] when none of the first few opens with it.
pub(super) fn check_key(source: &Source, options: &Options) -> Result<SealedValues, KeyError> {
    let mut values = sealed_values(source).peekable();
    if values.peek().is_none() {
        return Ok(SealedValues::NoneFound);
    }
    if options.skip_sealed {
        return Ok(SealedValues::Skipped);
    }
    let whole: Vec<(&str, String)> = values
        .filter(|(value, _)| sealed::is_whole(value))
        .take(VALUES_TRIED)
        .collect();
    options.opener.check(&whole)?;
    Ok(SealedValues::Opened)
}
