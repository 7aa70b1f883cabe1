//! The console's journeys in a real headless Chromium (SQLite): a firm signs up, adds a client
//! by the form, finds it in the list, and signs out. Screenshots of the pages at desktop and
//! phone width are taken on the way (`UPDATE_SCREENSHOTS=1` writes them to
//! `docs/screenshots/`).

use crate::support::browser::Browser;
use crate::support::{Backend, PASSWORD, TestApp, per_backend};

/// A phone's viewport.
const PHONE: (u32, u32) = (375, 812);
/// A desktop's viewport.
const DESKTOP: (u32, u32) = (1280, 900);

async fn sign_up_add_a_client_and_sign_out(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.client.goto(&app.address).await.expect("start page");
    browser.wait_for("form[action='/login']").await;
    browser.screenshot("sign-in-phone", PHONE.0, PHONE.1).await;
    browser
        .click_then("a[href='/signup']", "form[action='/signup']")
        .await;
    browser.fill("business_name", "Harbour Accounts").await;
    browser.fill("full_name", "Hana Harbour").await;
    browser.fill("email", "hana@harbour.example.com").await;
    browser.fill("password", PASSWORD).await;
    browser.fill("timezone", "Europe/London").await;
    browser
        .click_then("form[action='/signup'] button[type=submit]", "h1")
        .await;
    let text = browser.text().await;
    assert!(text.contains("Dashboard"), "{text}");
    assert!(text.contains("Harbour Accounts") && text.contains("Europe/London"));
    browser
        .screenshot("dashboard-desktop", DESKTOP.0, DESKTOP.1)
        .await;

    browser
        .click_then("a[href='/clients']", "a[href='/clients/new']")
        .await;
    browser
        .click_then("a[href='/clients/new']", "form[action='/clients']")
        .await;
    // A wrong address is refused with the API's words next to the field; what was typed stays.
    browser.fill("name", "Ann Example").await;
    browser.fill("email", "ann-at-example").await;
    browser
        .click_then(
            "form[action='/clients'] button[type=submit]",
            "#email-error",
        )
        .await;
    assert!(
        browser
            .text()
            .await
            .contains("is not a valid e-mail address")
    );
    browser
        .screenshot("client-form-errors-phone", PHONE.0, PHONE.1)
        .await;
    browser.fill("email", "ann@example.com").await;
    browser.fill("phone", "+44 20 7946 0958").await;
    browser
        .click_then("form[action='/clients'] button[type=submit]", "dl.facts")
        .await;
    let text = browser.text().await;
    assert!(
        text.contains("Ann Example") && text.contains("+442079460958"),
        "{text}"
    );

    browser.click_then("a[href='/clients']", "table").await;
    assert!(browser.text().await.contains("ann@example.com"));
    browser
        .screenshot("clients-desktop", DESKTOP.0, DESKTOP.1)
        .await;
    browser.screenshot("clients-phone", PHONE.0, PHONE.1).await;

    // Signing out ends the session: the dashboard sends the browser back to sign in.
    browser
        .click_then("form[action='/logout'] button", "form[action='/login']")
        .await;
    browser
        .client
        .goto(&format!("{}/dashboard", app.address))
        .await
        .expect("dashboard");
    browser.wait_for("form[action='/login']").await;
    browser.finish().await;
}
per_backend!(
    sign_up_add_a_client_and_sign_out,
    sign_up_add_a_client_and_sign_out,
    [sqlite: Sqlite]
);
