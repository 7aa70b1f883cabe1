//! The states and kinds rows move through, each kept in its column by name.

use super::stored::stored_enum;

stored_enum! {
    /// Where a notification stands in the outbox: `pending` (waiting for `next_attempt_at`),
    /// `sending` (claimed by a dispatcher), `sent` (accepted by the provider), `delivered`,
    /// `read` (WhatsApp), `failed` (given up), `skipped` (not sent on purpose; `error_code`
    /// says why) or `cancelled` (withdrawn before sending).
    pub enum NotificationStatus ("notification status") {
        /// Waiting for its `next_attempt_at`.
        Pending = "pending",
        /// Claimed by a dispatcher until its lease lapses.
        Sending = "sending",
        /// Accepted by the provider.
        Sent = "sent",
        /// The provider reported it delivered.
        Delivered = "delivered",
        /// The provider reported it read (WhatsApp).
        Read = "read",
        /// Given up: a permanent error, or every attempt used.
        Failed = "failed",
        /// Not sent on purpose; `error_code` says why (opted out, no address, paid…).
        Skipped = "skipped",
        /// Withdrawn before sending (reminder paused or cancelled, client removed).
        Cancelled = "cancelled",
    }
}

impl NotificationStatus {
    /// The provider has taken it: sent, delivered or read.
    pub fn was_sent(self) -> bool {
        matches!(self, Self::Sent | Self::Delivered | Self::Read)
    }
}

stored_enum! {
    /// What made a notification: `schedule`, `manual` (sent on demand) or `imported` (from the
    /// original service's history).
    pub enum Trigger ("trigger") {
        /// An occurrence of the reminder's schedule.
        Schedule = "schedule",
        /// `POST /reminders/{id}/send` (or its old alias `…/send-now`).
        Manual = "manual",
        /// Brought over from the original service's history.
        Imported = "imported",
    }
}

stored_enum! {
    /// What one try at sending came to: `sent`, `transient_error` (retried later),
    /// `permanent_error`, `lease_expired` (the dispatcher stopped mid-way; tried again) or
    /// `undelivered` (accepted, then reported undeliverable by the provider).
    pub enum AttemptOutcome ("attempt outcome") {
        /// The provider accepted it.
        Sent = "sent",
        /// A failure worth retrying (timeout, rate limit, 5xx).
        TransientError = "transient_error",
        /// A failure that retrying cannot fix (invalid number, rejected address).
        PermanentError = "permanent_error",
        /// The dispatcher holding it stopped during the send, before its outcome came back
        /// (error code `outcome_unknown`); it was sent again.
        LeaseExpired = "lease_expired",
        /// Accepted, then reported undeliverable by the provider.
        Undelivered = "undelivered",
    }
}

stored_enum! {
    /// Where a reminder stands: `active` (sent as its schedule falls due), `paused`,
    /// `completed` (no occurrence left) or `cancelled` (stopped for good).
    pub enum ReminderStatus ("reminder status") {
        /// Planned and sent as its schedule falls due.
        Active = "active",
        /// Kept, but nothing is planned or sent until resumed.
        Paused = "paused",
        /// Its schedule has no occurrence left.
        Completed = "completed",
        /// Stopped for good; its pending notifications were cancelled.
        Cancelled = "cancelled",
    }
}

stored_enum! {
    /// What a reminder is about: `deadline`, `payment`, `document`, `appointment` or `custom`
    /// (shown to staff, and offered to templates as `reminder.kind`).
    pub enum ReminderKind ("reminder kind") {
        /// A filing or submission deadline.
        Deadline = "deadline",
        /// A payment due.
        Payment = "payment",
        /// Documents to send or sign.
        Document = "document",
        /// An appointment.
        Appointment = "appointment",
        /// Anything else.
        Custom = "custom",
    }
}

stored_enum! {
    /// What became of an occurrence a reminder reached.
    pub enum OccurrenceOutcome ("occurrence outcome") {
        /// Its notifications were created.
        Planned = "planned",
        /// Reached during downtime and folded into a later occurrence.
        Coalesced = "coalesced",
        /// Older than the grace window when the planner reached it; nothing was sent.
        Missed = "missed",
        /// Sent on demand.
        Manual = "manual",
    }
}

stored_enum! {
    /// Where a payment stands with Stripe: `open`, `paid`, `expired` (its Checkout Session
    /// lapsed unpaid; the next click makes a new one), `failed` or `refunded`.
    pub enum PaymentStatus ("payment status") {
        /// Asked for; its Checkout link may be open.
        Open = "open",
        /// Paid: further reminders for it stop.
        Paid = "paid",
        /// Its Checkout Session expired unpaid (a new one is made on the next click).
        Expired = "expired",
        /// Stripe reported the payment failed.
        Failed = "failed",
        /// Paid, then refunded.
        Refunded = "refunded",
    }
}

stored_enum! {
    /// A provider a business can bring its own account for (and the platform configure).
    pub enum Provider ("provider") {
        /// An SMTP server, for e-mail.
        Smtp = "smtp",
        /// A Twilio account, for SMS.
        Twilio = "twilio",
        /// A WhatsApp Cloud API number.
        Whatsapp = "whatsapp",
        /// A Stripe account, for payment links.
        Stripe = "stripe",
    }
}

impl Provider {
    /// The provider that carries a channel's messages.
    pub fn of_channel(channel: super::Channel) -> Self {
        match channel {
            super::Channel::Email => Self::Smtp,
            super::Channel::Sms => Self::Twilio,
            super::Channel::Whatsapp => Self::Whatsapp,
        }
    }
}
