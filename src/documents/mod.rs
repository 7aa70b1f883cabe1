//! Documents a firm sends its clients: what kind a file is (from its bytes) and where the bytes
//! are kept.

pub mod kind;
pub mod links;
mod store;

pub use store::{Store, StoreError};
