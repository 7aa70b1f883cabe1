//! `/clients/` as the original's `app/api/endpoints/clients.py` declares it: lists with
//! `skip`/`limit`/`search` as arrays, `ClientCreate`/`ClientUpdate` with `phone_number`,
//! `ClientDetail`, `DELETE` and `bulk-import` of a JSON list.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    CLIENT, CLIENT_DETAIL, Firm, assert_shape, error_locations, original_error, original_json,
};
use crate::support::{TestApp, db_test};

async fn create(app: &TestApp, firm: &Firm, body: Value) -> Value {
    firm.expect(
        app,
        Method::POST,
        "/clients/",
        Some(body),
        StatusCode::CREATED,
    )
    .await
}

async fn a_client_lives_through_the_originals_paths(app: TestApp) {
    let firm = Firm::register(&app, "clients_firm").await;

    // Create with the original's ClientCreate: the number in E.164; one WhatsApp number.
    let ann = create(
        &app,
        &firm,
        json!({
            "name": "Ann",
            "email": "ann@clients.test",
            "phone_number": "+39 333 123 4567",
            "whatsapp_phone_number": "+393331234567",
            "address": "",
            "notes": null,
            "is_active": true,
        }),
    )
    .await;
    assert_shape(&ann, &[CLIENT]);
    assert_eq!(ann["phone_number"], "+393331234567");
    assert_eq!(ann["whatsapp_phone_number"], "+393331234567");
    assert_eq!(ann["user_id"], firm.user["id"]);
    for name in ["Bob", "Carla", "Dario"] {
        create(&app, &firm, json!({"name": name})).await;
    }

    // Lists are arrays; skip, limit and search apply.
    let page = firm
        .expect(
            &app,
            Method::GET,
            "/clients/?skip=1&limit=2",
            None,
            StatusCode::OK,
        )
        .await;
    let names: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bob", "Carla"]);
    let found = firm
        .expect(
            &app,
            Method::GET,
            "/clients/?search=ann%40clients",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_shape(&found[0], &[CLIENT]);

    // One client: the ClientDetail.
    let path = format!("/clients/{}", ann["id"]);
    let detail = firm
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_shape(&detail, &[CLIENT, CLIENT_DETAIL]);
    assert_eq!(detail["reminders_count"], 0);

    // PUT changes what it names; the rest stays.
    let updated = firm
        .expect(
            &app,
            Method::PUT,
            &path,
            Some(json!({"phone_number": "+393339999999", "whatsapp_phone_number": null})),
            StatusCode::OK,
        )
        .await;
    assert_shape(&updated, &[CLIENT]);
    assert_eq!(updated["phone_number"], "+393339999999");
    assert_eq!(updated["whatsapp_phone_number"], Value::Null);
    assert_eq!(updated["email"], "ann@clients.test");

    // DELETE answers the original's detail; then the client is gone.
    let deleted = firm
        .expect(&app, Method::DELETE, &path, None, StatusCode::OK)
        .await;
    assert_eq!(deleted, json!({"detail": "Client deleted successfully"}));
    let gone = firm.send(&app, Method::GET, &path, None).await;
    original_error(gone, StatusCode::NOT_FOUND, "CLIENT_NOT_FOUND").await;
}
db_test!(a_client_lives_through_the_originals_paths);

async fn what_cannot_be_kept_is_refused_and_changes_nothing(app: TestApp) {
    let firm = Firm::register(&app, "strict_firm").await;
    let ann = create(
        &app,
        &firm,
        json!({"name": "Ann", "phone_number": "+393331234567"}),
    )
    .await;
    let path = format!("/clients/{}", ann["id"]);

    // A second, different number; an address; notes; deactivation: each named, 422.
    let refused = firm
        .send(
            &app,
            Method::PUT,
            &path,
            Some(json!({
                "name": "Ann B",
                "secondary_phone_number": "+393330000000",
                "address": "Via Roma 1",
                "notes": "pays late",
                "is_active": false,
            })),
        )
        .await;
    let error = original_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let locations = error_locations(&error);
    for field in ["secondary_phone_number", "address", "notes", "is_active"] {
        assert!(
            locations.contains(&json!(["body", field])),
            "{field}: {error}"
        );
    }
    let unchanged = firm
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_eq!(unchanged["name"], "Ann");

    // The same number again is no second number; a bad one is named.
    let same = firm
        .send(
            &app,
            Method::PUT,
            &path,
            Some(json!({"secondary_phone_number": "+39 333 123 4567"})),
        )
        .await;
    original_json(same, StatusCode::OK).await;
    let bad = firm
        .send(
            &app,
            Method::POST,
            "/clients/",
            Some(json!({"name": "Bad", "phone_number": "12"})),
        )
        .await;
    let error = original_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(error_locations(&error), [json!(["body", "phone_number"])]);

    // A duplicate e-mail: CLIENT_ALREADY_EXISTS.
    create(
        &app,
        &firm,
        json!({"name": "Eve", "email": "eve@strict.test"}),
    )
    .await;
    let twice = firm
        .send(
            &app,
            Method::POST,
            "/clients/",
            Some(json!({"name": "Eve 2", "email": "eve@strict.test"})),
        )
        .await;
    original_error(twice, StatusCode::CONFLICT, "CLIENT_ALREADY_EXISTS").await;
    let all = firm
        .expect(&app, Method::GET, "/clients/", None, StatusCode::OK)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}
db_test!(what_cannot_be_kept_is_refused_and_changes_nothing);

async fn bulk_import_takes_the_originals_json_list(app: TestApp) {
    let firm = Firm::register(&app, "bulk_firm").await;
    let report = firm
        .expect(
            &app,
            Method::POST,
            "/clients/bulk-import",
            Some(json!([
                {"name": "Ann", "email": "ann@bulk.test", "phone_number": "+393331234567"},
                {"name": "Bob"},
                {"name": "Ann again", "email": "ann@bulk.test"},
                {"name": "Carl", "phone_number": "12"},
            ])),
            StatusCode::OK,
        )
        .await;
    assert_eq!(report["imported_count"], 2);
    assert_eq!(report["failed_count"], 2);
    let failed = report["failed_imports"].as_array().unwrap();
    assert_eq!(failed[0]["data"]["name"], "Ann again");
    assert_eq!(failed[1]["data"]["name"], "Carl");
    assert!(failed.iter().all(|f| f["error"].is_string()), "{report}");
    let all = firm
        .expect(&app, Method::GET, "/clients/", None, StatusCode::OK)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);

    // A list item the schema refuses refuses the whole request, as FastAPI did.
    let malformed = firm
        .send(
            &app,
            Method::POST,
            "/clients/bulk-import",
            Some(json!([{"name": "Dora"}, {"email": "x@bulk.test"}])),
        )
        .await;
    original_error(
        malformed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let all = firm
        .expect(&app, Method::GET, "/clients/", None, StatusCode::OK)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}
db_test!(bulk_import_takes_the_originals_json_list);

async fn another_firms_clients_stay_out_of_reach(app: TestApp) {
    let mine = Firm::register(&app, "first_firm").await;
    let theirs = Firm::register(&app, "second_firm").await;
    let ann = create(&app, &mine, json!({"name": "Ann"})).await;
    let path = format!("/clients/{}", ann["id"]);

    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"name": "Stolen"}))),
        (Method::DELETE, None),
    ] {
        let response = theirs.send(&app, method.clone(), &path, body).await;
        original_error(response, StatusCode::NOT_FOUND, "CLIENT_NOT_FOUND").await;
    }
    let theirs_list = theirs
        .expect(&app, Method::GET, "/clients/", None, StatusCode::OK)
        .await;
    assert_eq!(theirs_list, json!([]));
    let still = mine
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_eq!(still["name"], "Ann");
}
db_test!(another_firms_clients_stay_out_of_reach);
