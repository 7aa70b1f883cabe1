//! The console transport: writes one line per message to standard output (ids only, never the
//! recipient or the text) and records it as sent with provider `console`.

use std::io::Write;

use super::{ChannelError, Delivery, OutgoingMessage, Transport};

/// Development and testing transport.
#[derive(Debug, Default)]
pub struct ConsoleTransport;

#[async_trait::async_trait]
impl Transport for ConsoleTransport {
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError> {
        let line = format!(
            "console-send notification={} business={} channel={}\n",
            message.notification_id,
            message.business_id,
            message.channel.as_str()
        );
        // One write call per line, so lines of concurrent sends do not interleave.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
        Ok(Delivery {
            provider: "console".into(),
            provider_message_id: format!("console-{}", message.notification_id),
            segments: None,
        })
    }
}
