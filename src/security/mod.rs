//! Password hashing and policy, access tokens (JWT), opaque refresh tokens, secrets sealed at
//! rest, the per-process cache of checked access tokens, provider webhook signatures and the addresses connections on a tenant's behalf may
//! reach.

pub mod crypto;
pub mod egress;
pub mod jwt;
pub mod password;
pub mod tokens;
pub mod webhook_signatures;

/// Makes ring the process's TLS provider (rustls is built without a default); idempotent.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
