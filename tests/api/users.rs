//! Staff management: roles, rules about owners, and tenant isolation.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, TestApp, db_test, error_fields, problem, settled_within_the_token_cache_bound,
};

async fn owners_and_admins_manage_staff_but_members_cannot(app: TestApp) {
    let owner = app.owner("Staffed").await;
    let admin = app
        .staff(&owner, "admin@staffed.example.com", "admin")
        .await;
    let member = app
        .staff(&admin, "member@staffed.example.com", "member")
        .await;

    problem(
        app.post(
            "/users",
            &member.token,
            json!({"email": "x@staffed.example.com", "full_name": "X", "password": PASSWORD}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.patch(
            &format!("/users/{}", admin.user_id),
            &member.token,
            json!({"role": "member"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.delete(&format!("/users/{}", admin.user_id), &member.token)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Admins cannot create or touch owners.
    problem(
        app.post(
            "/users",
            &admin.token,
            json!({
                "email": "o2@staffed.example.com",
                "full_name": "O",
                "password": PASSWORD,
                "role": "owner",
            }),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.patch(
            &format!("/users/{}", owner.user_id),
            &admin.token,
            json!({"is_active": false}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Everyone sees the staff list.
    let list = app.get_json("/users", &member.token).await;
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"].as_array().unwrap().len(), 3);

    // A member may rename themselves.
    let renamed = app
        .patch(
            &format!("/users/{}", member.user_id),
            &member.token,
            json!({"full_name": "Mo"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(renamed.json::<Value>().await.unwrap()["full_name"], "Mo");
}
db_test!(owners_and_admins_manage_staff_but_members_cannot);

async fn new_users_follow_the_same_rules_as_sign_up(app: TestApp) {
    let owner = app.owner("Rules").await;
    let weak = app
        .post(
            "/users",
            &owner.token,
            json!({"email": "bad", "full_name": "", "password": "123"}),
        )
        .await;
    let body = problem(weak, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, ["email", "full_name", "password"]);
    let role = app
        .post(
            "/users",
            &owner.token,
            json!({
                "email": "r@rules.example.com",
                "full_name": "R",
                "password": PASSWORD,
                "role": "superuser",
            }),
        )
        .await;
    problem(role, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(
        app.post(
            "/users",
            &owner.token,
            json!({"email": owner.email, "full_name": "Again", "password": PASSWORD}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}
db_test!(new_users_follow_the_same_rules_as_sign_up);

async fn the_last_owner_cannot_be_removed_or_demoted(app: TestApp) {
    let owner = app.owner("Solo").await;
    let path = format!("/users/{}", owner.user_id);
    problem(
        app.patch(&path, &owner.token, json!({"role": "admin"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        app.patch(&path, &owner.token, json!({"is_active": false}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(app.delete(&path, &owner.token).await, StatusCode::CONFLICT).await;

    let second = app.staff(&owner, "second@solo.example.com", "owner").await;
    let demoted = app
        .patch(&path, &second.token, json!({"role": "admin"}))
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(demoted.json::<Value>().await.unwrap()["role"], "admin");
}
db_test!(the_last_owner_cannot_be_removed_or_demoted);

async fn a_removed_or_disabled_user_is_signed_out_at_once(app: TestApp) {
    let owner = app.owner("Leavers").await;
    let gone = app
        .staff(&owner, "gone@leavers.example.com", "member")
        .await;
    let off = app.staff(&owner, "off@leavers.example.com", "member").await;

    assert_eq!(
        app.delete(&format!("/users/{}", gone.user_id), &owner.token)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(
        app.get("/users/me", &gone.token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.login(&gone.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let disabled = app
        .patch(
            &format!("/users/{}", off.user_id),
            &owner.token,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    problem(
        app.get("/users/me", &off.token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.login(&off.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
db_test!(a_removed_or_disabled_user_is_signed_out_at_once);

/// `/users/me` answers from the token check a node keeps for a second: a change made through
/// the node shows at once, and on another node that checked the token a moment ago within
/// the check's bound.
async fn a_renamed_user_sees_the_new_name_at_once_here_and_soon_everywhere(app: TestApp) {
    let owner = app.owner("Renames").await;
    let member = app
        .staff(&owner, "renamed@renames.example.com", "member")
        .await;
    let second = app.another_node().await;
    for node in [&app, &second] {
        assert_eq!(
            node.get_json("/users/me", &member.token).await["full_name"],
            "Staff"
        );
    }
    let renamed = app
        .patch(
            &format!("/users/{}", member.user_id),
            &owner.token,
            json!({"full_name": "Renamed"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(
        app.get_json("/users/me", &member.token).await["full_name"],
        "Renamed"
    );
    settled_within_the_token_cache_bound(&second, &member.token, async |response: Response| {
        let me: Value = response.json().await.expect("user");
        (me["full_name"] == "Renamed").then_some(())
    })
    .await;
}
db_test!(a_renamed_user_sees_the_new_name_at_once_here_and_soon_everywhere);

async fn another_business_users_are_not_found(app: TestApp) {
    let alpha = app.owner("Alpha").await;
    let beta = app.owner("Beta").await;
    let beta_member = app.staff(&beta, "m@beta.example.com", "member").await;
    let path = format!("/users/{}", beta_member.user_id);

    problem(
        app.patch(&path, &alpha.token, json!({"full_name": "Hijacked"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(app.delete(&path, &alpha.token).await, StatusCode::NOT_FOUND).await;
    let list = app.get_json("/users", &alpha.token).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["email"], alpha.email);
    // Beta's member is untouched.
    assert_eq!(
        app.get_json("/users/me", &beta_member.token).await["full_name"],
        "Staff"
    );
}
db_test!(another_business_users_are_not_found);

async fn a_changed_password_works_and_the_old_one_does_not(app: TestApp) {
    let owner = app.owner("Passwords").await;
    let changed = app
        .patch(
            &format!("/users/{}", owner.user_id),
            &owner.token,
            json!({"password": "Another-Good-Pass-7", "current_password": PASSWORD}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    problem(
        app.login(&owner.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.login(&owner.email, "Another-Good-Pass-7")
            .await
            .status(),
        StatusCode::OK
    );
}
db_test!(a_changed_password_works_and_the_old_one_does_not);
