//! Staff of a business: owners manage everyone, admins manage admins and members, members
//! manage no one. The last active owner cannot be removed, demoted or disabled.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde::Deserialize;

use serde_json::json;

use super::audit::{self, Target};
use super::auth::{hash_password, required_text, validate_new_user};
use super::{ServiceError, ServiceResult, double_option, is_unique_violation, passwords};
use crate::domain::{Actor, Role, UserId, Validation};
use crate::entities::user;
pub use crate::repositories::users::{UserSort, UserSortKey};
use crate::repositories::{Paged, users};
use crate::security::password;
use crate::state::AppState;

/// `POST /users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateUserRequest {
    /// The address they sign in with; stored lowercased, unique across the service.
    pub email: String,
    /// Their name as shown to colleagues, 1 to 200 characters.
    pub full_name: String,
    /// Their first password (same policy as sign-up).
    pub password: String,
    /// `member` (the default), `admin` or `owner`; only owners may add owners.
    #[serde(default)]
    pub role: Option<Role>,
}

/// `PATCH /users/{id}`: absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateUserRequest {
    /// A new name, 1 to 200 characters.
    pub full_name: Option<String>,
    /// A new role: `member`, `admin` or `owner` (owners and admins only; only owners give or
    /// take `owner`).
    pub role: Option<Role>,
    /// `false` disables sign-in (their tokens stop working), `true` re-enables it; owners and
    /// admins only.
    pub is_active: Option<bool>,
    /// A new password (same policy as sign-up). Changing one's own needs `current_password`;
    /// an owner or admin setting a staff member's does not, and it is audited. Either way every
    /// other session of that user ends.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    /// The password being replaced, required when changing one's own.
    #[serde(default)]
    pub current_password: Option<String>,
}

fn require_manager(actor: &Actor) -> ServiceResult<()> {
    if actor.role.can_manage() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Only owners and admins manage users.".into(),
        ))
    }
}

fn require_may_touch(actor: &Actor, role: Role) -> ServiceResult<()> {
    require_manager(actor)?;
    if role == Role::Owner && actor.role != Role::Owner {
        return Err(ServiceError::Forbidden("Only owners manage owners.".into()));
    }
    Ok(())
}

/// Staff of the actor's business.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    sort: UserSort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<user::Model>> {
    Ok(users::list(&state.db, actor.business, sort, limit, offset).await?)
}

/// Adds a user to the actor's business.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateUserRequest,
) -> ServiceResult<user::Model> {
    let role = request.role.unwrap_or(Role::Member);
    require_may_touch(actor, role)?;
    let mut validation = Validation::new();
    let email = validate_new_user(
        &mut validation,
        &request.email,
        &request.password,
        &request.full_name,
    );
    validation.finish().map_err(ServiceError::Validation)?;
    let email = email.ok_or_else(|| ServiceError::invalid("email", "is invalid"))?;
    let password_hash = hash_password(request.password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let created = insert_user(
        &txn,
        actor.business,
        &email,
        &request.full_name,
        password_hash,
        role,
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "user.added",
        Target::user(created.id),
        json!({"role": role.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Inserts an active user; an e-mail already registered anywhere is a 409.
/// The id of the business's first owner (the original service's one user per firm), if any.
pub async fn first_owner_id(
    state: &AppState,
    business: crate::domain::BusinessId,
) -> ServiceResult<Option<i64>> {
    Ok(users::first_owner(&state.db, business)
        .await?
        .map(|owner| owner.id))
}

pub(crate) async fn insert_user(
    db: &impl sea_orm::ConnectionTrait,
    business: crate::domain::BusinessId,
    email: &crate::domain::Email,
    full_name: &str,
    password_hash: String,
    role: Role,
) -> ServiceResult<user::Model> {
    let now = Utc::now();
    users::insert(
        db,
        user::ActiveModel {
            business_id: Set(business.0),
            email: Set(email.as_str().to_owned()),
            full_name: Set(full_name.trim().to_owned()),
            password_hash: Set(password_hash),
            role: Set(role),
            is_active: Set(true),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::Conflict("An account with this e-mail already exists.".into())
        } else {
            error.into()
        }
    })
}

/// Changes a user's name, role, status or password. `session` is the caller's sign-in
/// session, which a change of their own password keeps.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, user_id = id.0))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    session: Option<&str>,
    id: UserId,
    request: UpdateUserRequest,
) -> ServiceResult<user::Model> {
    let editing_self = actor.user == id;
    if editing_self && request.password.is_some() {
        let me = users::find(&state.db, actor.business, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        passwords::verify_current(state, &me, request.current_password.as_deref()).await?;
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let current = users::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let current_role = current.role;
    // Anyone may rename themselves or change their own password; everything else is management.
    let only_own_profile = editing_self && request.role.is_none() && request.is_active.is_none();
    if !only_own_profile {
        require_may_touch(actor, current_role)?;
        if let Some(role) = request.role {
            require_may_touch(actor, role)?;
        }
    }

    let mut validation = Validation::new();
    let full_name = request
        .full_name
        .as_deref()
        .and_then(|name| validation.check("full_name", required_text(name, 200)));
    let new_password = match &request.password {
        Some(Some(text)) => validation
            .check("password", password::check_policy(text, &current.email))
            .map(|()| text.clone()),
        Some(None) => {
            validation.push("password", "must not be null");
            None
        }
        None => None,
    };
    validation.finish().map_err(ServiceError::Validation)?;

    let loses_owner = current_role == Role::Owner
        && current.is_active
        && (request.role.is_some_and(|role| role != Role::Owner)
            || request.is_active == Some(false));
    if loses_owner && users::count_active_owners(&txn, actor.business).await? <= 1 {
        return Err(ServiceError::Conflict(
            "A business needs at least one active owner.".into(),
        ));
    }

    let was_active = current.is_active;
    let mut row = current.into_active_model();
    if let Some(name) = full_name {
        row.full_name = Set(name);
    }
    if let Some(role) = request.role {
        row.role = Set(role);
    }
    if let Some(active) = request.is_active {
        row.is_active = Set(active);
    }
    let password_changed = new_password.is_some();
    if let Some(text) = new_password {
        row.password_hash = Set(hash_password(text).await?);
    }
    if row.is_changed() {
        row.updated_at = Set(Utc::now().into());
    }
    if let Some(role) = request.role
        && role != current_role
    {
        audit::record(
            &txn,
            actor,
            "user.role_changed",
            Target::user(id.0),
            json!({"from": current_role.as_str(), "to": role.as_str()}),
        )
        .await?;
    }
    if let Some(active) = request.is_active
        && active != was_active
    {
        let action = if active {
            "user.enabled"
        } else {
            "user.disabled"
        };
        audit::record(&txn, actor, action, Target::user(id.0), json!({})).await?;
    }
    if password_changed {
        let keep = if editing_self { session } else { None };
        let ended = passwords::end_sessions(&txn, state, id, keep, Utc::now()).await?;
        if !editing_self {
            audit::record(
                &txn,
                actor,
                "user.password_set",
                Target::user(id.0),
                json!({"sessions_ended": ended}),
            )
            .await?;
        }
    }
    let saved = if row.is_changed() {
        users::update(&txn, row).await?
    } else {
        users::find(&txn, actor.business, id)
            .await?
            .ok_or(ServiceError::NotFound)?
    };
    txn.commit().await?;
    state.token_cache.forget_all();
    Ok(saved)
}

/// Removes a user; their sessions end at once.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, user_id = id.0))]
pub async fn delete(state: &AppState, actor: &Actor, id: UserId) -> ServiceResult<()> {
    require_manager(actor)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let current = users::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if actor.user == id {
        return Err(ServiceError::Conflict(
            "You cannot delete your own account.".into(),
        ));
    }
    let role = current.role;
    require_may_touch(actor, role)?;
    if role == Role::Owner
        && current.is_active
        && users::count_active_owners(&txn, actor.business).await? <= 1
    {
        return Err(ServiceError::Conflict(
            "A business needs at least one active owner.".into(),
        ));
    }
    users::delete(&txn, actor.business, id).await?;
    audit::record(
        &txn,
        actor,
        "user.removed",
        Target::user(id.0),
        json!({"role": role.as_str()}),
    )
    .await?;
    txn.commit().await?;
    state.token_cache.forget_all();
    Ok(())
}
