//! Password hashing and policy, access tokens (JWT) and opaque refresh tokens.

pub mod crypto;
pub mod jwt;
pub mod password;
pub mod tokens;
