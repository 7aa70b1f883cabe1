//! Payments: our own never-expiring payment links, and the Stripe API behind them.

pub mod links;
pub mod stripe;
