//! Access tokens: HS256 JWTs signed with `SECRET_KEY`; the algorithm is pinned on decode.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::{BusinessId, UserId};

/// What an access token says about its bearer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// The user's business.
    pub bid: i64,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
    /// Token id, for revocation.
    pub jti: String,
    /// Always `access`; refresh tokens are opaque, never JWTs.
    pub typ: String,
    /// The sign-in session (refresh token family) it belongs to, so logout ends both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `original` when signed in through the original service's `/auth/login`: on the paths
    /// both APIs share, its requests get the original's answers (`api::compat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
}

/// [`Claims::api`] of a token signed in through the original service's path.
pub const ORIGINAL_API: &str = "original";

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// Keys from the secret.
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
        })
    }

    /// Issues a token for a user, valid until `expires_at`.
    pub fn issue(
        &self,
        user: UserId,
        business: BusinessId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        self.issue_in_session(user, business, now, expires_at, None)
    }

    /// Issues a token belonging to a sign-in session.
    pub fn issue_in_session(
        &self,
        user: UserId,
        business: BusinessId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        session: Option<&str>,
    ) -> anyhow::Result<String> {
        self.issue_for_api(user, business, now, expires_at, session, None)
    }

    /// Issues a token belonging to a sign-in session, for the API named (`None`: ours;
    /// [`ORIGINAL_API`]: the original service's).
    pub fn issue_for_api(
        &self,
        user: UserId,
        business: BusinessId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        session: Option<&str>,
        api: Option<&str>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sid: session.map(str::to_owned),
            api: api.map(str::to_owned),
            sub: user.0.to_string(),
            bid: business.0,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            typ: "access".into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks signature, algorithm and expiry; `None` for any bad token.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == "access").then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let now = Utc::now();
        let token = keys
            .issue(
                UserId(7),
                BusinessId(3),
                now,
                now + chrono::Duration::minutes(5),
            )
            .unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.bid), ("7", 3));

        let expired = keys
            .issue(
                UserId(7),
                BusinessId(3),
                now,
                now - chrono::Duration::minutes(5),
            )
            .unwrap();
        assert!(keys.verify(&expired).is_none());
    }

    #[test]
    fn another_key_or_algorithm_is_refused() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let other = JwtKeys::new(b"fedcba9876543210fedcba9876543210").unwrap();
        let now = Utc::now();
        let token = other
            .issue(
                UserId(1),
                BusinessId(1),
                now,
                now + chrono::Duration::minutes(5),
            )
            .unwrap();
        assert!(keys.verify(&token).is_none());
        // alg "none" with the same claims
        let unsigned = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            token.split('.').nth(1).unwrap()
        );
        assert!(keys.verify(&unsigned).is_none());
    }
}
