//! `/health`, `/ready`, `/openapi.json` and `/docs`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, db_test};

async fn health_and_ready_answer(app: TestApp) {
    let health = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.send(Method::GET, "/ready", None, None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ok");
}
db_test!(health_and_ready_answer);

async fn openapi_describes_the_api_with_the_password_flow(app: TestApp) {
    let response = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let spec: Value = response.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/users/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/business",
        "/api/v1/clients",
        "/api/v1/clients/{id}",
        "/api/v1/clients/import",
        "/api/v1/reminders",
        "/api/v1/reminders/{id}",
        "/api/v1/reminders/{id}/clients",
        "/api/v1/reminders/{id}/clients/{client_id}",
        "/api/v1/reminders/{id}/occurrences",
        "/api/v1/reminders/preview",
        "/api/v1/reminders/{id}/preview",
        "/api/v1/reminders/{id}/send",
        "/api/v1/reminders/{id}/pause",
        "/api/v1/reminders/{id}/resume",
        "/api/v1/notifications",
        "/api/v1/notifications/{id}",
        "/api/v1/notifications/{id}/retry",
        "/health",
        "/ready",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    let flow = &spec["components"]["securitySchemes"]["oauth2"]["flows"]["password"];
    assert_eq!(flow["tokenUrl"], "/api/v1/auth/token");
}
db_test!(openapi_describes_the_api_with_the_password_flow);

async fn swagger_ui_is_served_from_the_binary(app: TestApp) {
    let response = app.send(Method::GET, "/docs/", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("swagger-ui"));
    for cdn in ["unpkg.com", "cdn.jsdelivr", "cdnjs"] {
        assert!(!page.contains(cdn), "docs page loads from {cdn}");
    }
    let script = app
        .send(Method::GET, "/docs/swagger-ui-bundle.js", None, None)
        .await;
    assert_eq!(script.status(), StatusCode::OK);
    let init = app
        .send(Method::GET, "/docs/swagger-initializer.js", None, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"));
}
db_test!(swagger_ui_is_served_from_the_binary);

/// The document lists each enum by the names the API reads and writes (`pending`, not
/// `Pending`), for every enum kept by name.
async fn openapi_enums_are_the_names_on_the_wire(app: TestApp) {
    use reminder_backend::domain::{
        AttemptOutcome, Channel, NotificationStatus, PaymentStatus, ReminderKind, ReminderStatus,
        Trigger,
    };
    let spec: Value = app
        .send(Method::GET, "/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let names = |all: Vec<&str>| -> Vec<String> {
        let mut names: Vec<String> = all.into_iter().map(str::to_owned).collect();
        names.sort();
        names
    };
    let expected = [
        (
            "NotificationStatus",
            names(NotificationStatus::ALL.iter().map(|v| v.as_str()).collect()),
        ),
        (
            "ReminderStatus",
            names(ReminderStatus::ALL.iter().map(|v| v.as_str()).collect()),
        ),
        (
            "ReminderKind",
            names(ReminderKind::ALL.iter().map(|v| v.as_str()).collect()),
        ),
        (
            "AttemptOutcome",
            names(AttemptOutcome::ALL.iter().map(|v| v.as_str()).collect()),
        ),
        (
            "PaymentStatus",
            names(PaymentStatus::ALL.iter().map(|v| v.as_str()).collect()),
        ),
        (
            "Trigger",
            names(Trigger::ALL.iter().map(|v| v.as_str()).collect()),
        ),
        (
            "Channel",
            names(Channel::ALL.iter().map(|v| v.as_str()).collect()),
        ),
    ];
    for (schema, wire) in expected {
        let listed = spec["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} has no enum in the document"));
        let mut listed: Vec<String> = listed
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, wire, "{schema}");
    }
}
db_test!(openapi_enums_are_the_names_on_the_wire);

/// What generators need of the document: list items and schedule variants as named schemas
/// (a discriminator picks the variant), every property and parameter described, the dashboard
/// under its own tag, and the CSV import as a binary body generators keep.
async fn openapi_names_and_describes_what_generators_use(app: TestApp) {
    let spec: Value = app
        .send(Method::GET, "/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        if let Some(item) = name.strip_prefix("ListResponse_") {
            assert_eq!(
                schema["properties"]["items"]["items"]["$ref"],
                format!("#/components/schemas/{item}"),
                "{name}'s items are not the named {item}"
            );
        }
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            assert!(
                property["description"].is_string(),
                "{name}.{field} has no description"
            );
        }
    }
    let schedule = &schemas["ScheduleSpec"];
    assert_eq!(schedule["discriminator"]["propertyName"], "type");
    for (tag, variant) in [
        ("once", "OnceSchedule"),
        ("recurring", "RecurringSchedule"),
        ("before_due", "BeforeDueSchedule"),
    ] {
        let reference = format!("#/components/schemas/{variant}");
        assert_eq!(schedule["discriminator"]["mapping"][tag], reference);
        assert_eq!(schemas[variant]["properties"]["type"]["enum"], json!([tag]));
    }
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                assert!(
                    parameter["description"].is_string(),
                    "{method} {path} ?{} has no description",
                    parameter["name"]
                );
            }
        }
    }
    assert_eq!(
        spec["paths"]["/api/v1/dashboard/summary"]["get"]["tags"],
        json!(["dashboard"])
    );
    let csv = &spec["paths"]["/api/v1/clients/import"]["post"]["requestBody"]["content"]["text/csv"]
        ["schema"]["$ref"];
    assert_eq!(csv, "#/components/schemas/CsvBody");
    assert_eq!(schemas["CsvBody"]["format"], "binary");
}
db_test!(openapi_names_and_describes_what_generators_use);
