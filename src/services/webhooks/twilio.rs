//! Twilio's status callbacks and incoming messages, signed with `X-Twilio-Signature` by the
//! auth token of the account named in `AccountSid`.

use secrecy::{ExposeSecret, SecretString};

use super::{keyword, reply, report};
use crate::channels::accounts::Account;
use crate::domain::{Channel, Provider};
use crate::repositories::clients::AccountHolder;
use crate::repositories::notifications::DeliveryReport;
use crate::repositories::provider_credentials;
use crate::security::webhook_signatures::verify_twilio;
use crate::services::accounts::open_stored;
use crate::services::{ServiceError, ServiceResult};
use crate::state::AppState;

/// Meaning of the delivery codes Twilio reports in status callbacks.
fn describe(code: &str) -> &'static str {
    match code {
        "30003" => "unreachable destination handset",
        "30004" => "message blocked",
        "30005" => "unknown destination handset",
        "30006" => "landline or unreachable carrier",
        "30007" => "message filtered by the carrier",
        "30008" => "unknown error",
        _ => "not delivered",
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The holders of the Twilio account `sid` whose auth token signed the request.
async fn verified_holders(
    state: &AppState,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> ServiceResult<Vec<AccountHolder>> {
    let forbidden = || ServiceError::Forbidden("The Twilio signature does not match.".into());
    let signature = signature.ok_or_else(forbidden)?;
    let sid = param(params, "AccountSid").ok_or_else(forbidden)?;
    let mut tokens: Vec<(AccountHolder, SecretString)> = Vec::new();
    if let Some(platform) = &state.settings.providers.twilio
        && platform.account_sid == sid
    {
        tokens.push((
            AccountHolder::Platform {
                provider: Provider::Twilio,
            },
            platform.auth_token.clone(),
        ));
    }
    for row in provider_credentials::find_by_account_ref(&state.db, Provider::Twilio, sid).await? {
        if let Ok(Some(Account::Twilio(account))) =
            open_stored(&row, &state.secrets, &state.settings)
        {
            tokens.push((AccountHolder::Business(row.business_id), account.auth_token));
        }
    }
    let holders: Vec<AccountHolder> = tokens
        .into_iter()
        .filter(|(_, token)| verify_twilio(token.expose_secret(), url, params, None, signature))
        .map(|(holder, _)| holder)
        .collect();
    if holders.is_empty() {
        return Err(forbidden());
    }
    Ok(holders)
}

/// A status callback: `delivered`, `failed` and `undelivered` move the notification on.
pub async fn status(
    state: &AppState,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> ServiceResult<()> {
    let holders = verified_holders(state, url, params, signature).await?;
    let (Some(sid), Some(status)) = (param(params, "MessageSid"), param(params, "MessageStatus"))
    else {
        return Ok(());
    };
    let outcome = match status {
        "delivered" => DeliveryReport::Delivered,
        "read" => DeliveryReport::Read,
        "failed" | "undelivered" => {
            let code = param(params, "ErrorCode")
                .filter(|code| !code.is_empty())
                .unwrap_or(status);
            DeliveryReport::Failed {
                code: code.to_owned(),
                message: format!("{status}: {} (Twilio {code})", describe(code)),
            }
        }
        _ => return Ok(()),
    };
    let at = state.clock.now();
    report(
        state,
        Provider::Twilio,
        &holders,
        sid,
        &format!("{sid}:{status}"),
        &outcome,
        at,
    )
    .await
}

/// An incoming message: STOP-like replies opt the number out of SMS, START-like ones back in.
/// Twilio's Advanced Opt-Out tells through `OptOutType`; otherwise the body is read.
pub async fn inbound(
    state: &AppState,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> ServiceResult<()> {
    let holders = verified_holders(state, url, params, signature).await?;
    let (Some(sid), Some(from)) = (param(params, "MessageSid"), param(params, "From")) else {
        return Ok(());
    };
    let word = match param(params, "OptOutType") {
        Some("STOP") => Some(super::Keyword::OptOut),
        Some("START") => Some(super::Keyword::OptIn),
        _ => keyword(param(params, "Body").unwrap_or_default()),
    };
    let Some(word) = word else {
        return Ok(());
    };
    reply(
        state,
        Provider::Twilio,
        &holders,
        from,
        Channel::Sms,
        word,
        sid,
    )
    .await
}
