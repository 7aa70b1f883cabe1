//! What a browser meets off the console's own pages: the links in reminders, and errors.

use reqwest::{Method, StatusCode};

use crate::support::{TestApp, db_test};

/// What a browser sends with a navigation.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// Opens `path` as a browser does; returns the status, the content type and the body.
async fn visit(
    app: &TestApp,
    method: Method,
    path: &str,
    body: &str,
) -> (StatusCode, String, String) {
    let response = app
        .page(method, path)
        .header("accept", BROWSER_ACCEPT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("page");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.text().await.expect("body"))
}

async fn links_that_do_not_work_are_pages_in_the_consoles_look(app: TestApp) {
    for path in [
        "/pay/not-a-token",
        "/d/not-a-token",
        "/unsubscribe/not-a-token",
    ] {
        let (status, kind, html) = visit(&app, Method::GET, path, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(html.contains("This link does not work"), "{path}: {html}");
        assert!(html.contains("href=\"/static/console.css\""), "{html}");
        assert!(
            !html.contains("/logout"),
            "no console navigation for a client"
        );
    }
    // A one-click unsubscribe from a mail client with a broken token is refused the same way.
    let (status, _, html) = visit(
        &app,
        Method::POST,
        "/unsubscribe/not-a-token",
        "List-Unsubscribe=One-Click",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This link does not work"));
}
db_test!(links_that_do_not_work_are_pages_in_the_consoles_look);

async fn errors_a_browser_reaches_are_pages_and_the_api_keeps_problems(app: TestApp) {
    // A method a page does not take.
    let response = app
        .page(Method::DELETE, "/clients")
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        response.headers().contains_key("allow"),
        "the problem's headers are kept"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let html = response.text().await.expect("html");
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("Method not allowed"), "{html}");

    // A body over the limit.
    let (status, kind, html) = visit(
        &app,
        Method::POST,
        "/login",
        &format!("email={}", "a".repeat(4096)),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(html.contains("Payload too large"), "{html}");

    // The API answers the same mistakes with problem+json, whatever the client accepts.
    let (status, kind, _) = visit(&app, Method::DELETE, "/api/v1/clients", "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(kind.starts_with("application/problem+json"), "{kind}");
    // And a client that does not ask for HTML gets the problem off the API's paths too.
    let response = app
        .page(Method::DELETE, "/clients")
        .header("accept", "application/json")
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
}
db_test!(
    errors_a_browser_reaches_are_pages_and_the_api_keeps_problems,
    [("MAX_BODY_BYTES", "2048")]
);
