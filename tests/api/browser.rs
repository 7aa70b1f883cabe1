//! The console's journeys in a real headless Chromium (SQLite): a firm signs up, adds a client
//! by the form, finds it in the list, sends a reminder now, finds the message in the history
//! and on the dashboard's chart, and signs out. Screenshots of the pages at desktop and
//! phone width are taken on the way (`UPDATE_SCREENSHOTS=1` writes them to
//! `docs/screenshots/`).

use crate::support::browser::Browser;
use crate::support::{Backend, PASSWORD, TestApp, per_backend};

/// A phone's viewport.
const PHONE: (u32, u32) = (375, 812);
/// A desktop's viewport.
const DESKTOP: (u32, u32) = (1280, 900);

async fn sign_up_add_a_client_and_sign_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::start().await;
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
        .click_then("form[action='/signup'] button[type=submit]", "figure.chart")
        .await;
    let text = browser.text().await;
    assert!(text.contains("Dashboard"), "{text}");
    assert!(text.contains("Harbour Accounts") && text.contains("Europe/London"));
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

    // Twenty clients from a CSV file, two of them with a wrong address or number: a look at
    // the file first, then the import, which reports the two refused rows by their line.
    let mut csv = String::from("name,email,phone\n");
    for n in 1..=20 {
        let row = match n {
            7 => format!("Client {n},not-an-address,\n"),
            13 => format!("Client {n},client{n}@example.com,12\n"),
            _ => format!("Client {n},client{n}@example.com,\n"),
        };
        csv.push_str(&row);
    }
    let file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("CSV file");
    std::fs::write(file.path(), &csv).expect("CSV written");
    browser
        .click_then("a[href='/clients/import']", "input#file")
        .await;
    browser
        .client
        .find(fantoccini::Locator::Id("file"))
        .await
        .expect("file field")
        .send_keys(&file.path().display().to_string())
        .await
        .expect("file chosen");
    browser
        .click_then("button[value='preview']", "#import-preview")
        .await;
    assert!(browser.text().await.contains("The file has 20 rows"));
    browser
        .click_then("button[value='import']", "#import-report")
        .await;
    let text = browser.text().await;
    assert!(
        text.contains("18 new clients") && text.contains("2 rows refused"),
        "{text}"
    );
    let refused = browser
        .client
        .find_all(fantoccini::Locator::Css("#import-errors tbody tr"))
        .await
        .expect("refused rows");
    assert_eq!(refused.len(), 2);
    let report = browser
        .client
        .find(fantoccini::Locator::Css("#import-errors"))
        .await
        .expect("report")
        .text()
        .await
        .expect("report text");
    // Line numbers count the header as line 1.
    assert!(
        report.contains("8 email") && report.contains("14 phone"),
        "{report}"
    );
    browser
        .screenshot("import-report-desktop", DESKTOP.0, DESKTOP.1)
        .await;

    // A monthly reminder for Ann with a payment, written on the form: the preview shows its
    // next dates in London time before it is saved.
    browser
        .click_then("a[href='/reminders']", "a[href='/reminders/new']")
        .await;
    browser
        .click_then("a[href='/reminders/new']", "form[action='/reminders/new']")
        .await;
    browser.fill("title", "VAT return due").await;
    browser
        .fill(
            "body",
            "Hi {{ client.name }}, your VAT return is due. {{ payment_link }}",
        )
        .await;
    // A date-time field is typed in the browser's locale format; set it as a person's picker
    // would.
    browser
        .client
        .execute(
            "document.getElementById('start').value = '2030-01-15T09:00';",
            vec![],
        )
        .await
        .expect("start set");
    browser.fill("timezone", "Europe/London").await;
    browser.fill("amount", "125").await;
    browser
        .client
        .find(fantoccini::Locator::Css("input[name='client']"))
        .await
        .expect("client box")
        .click()
        .await
        .expect("client chosen");
    browser
        .click_then("button[value='preview']", "#preview-dates")
        .await;
    let text = browser.text().await;
    assert!(
        text.contains("Tuesday 15 January 2030, 09:00 GMT")
            && text.contains("Friday 15 February 2030, 09:00 GMT")
            && text.contains("Monday 15 April 2030, 09:00 BST"),
        "{text}"
    );
    browser
        .client
        .execute(
            "document.getElementById('preview-dates').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scrolled to the preview");
    browser
        .screenshot("reminder-preview-desktop", DESKTOP.0, DESKTOP.1)
        .await;
    browser
        .click_then("button[value='save']", "#notice-created")
        .await;
    assert!(browser.text().await.contains("VAT return due"));
    browser
        .screenshot("reminders-desktop", DESKTOP.0, DESKTOP.1)
        .await;
    browser
        .click_then("form[action$='/send'] button", "#notice-sent")
        .await;
    assert!(browser.text().await.contains("Sent now"));
    app.dispatch_until_idle().await;
    browser.click_then("a[href='/messages']", "table").await;
    let text = browser.text().await;
    assert!(
        text.contains("ann@example.com") && text.contains("sent"),
        "{text}"
    );
    browser
        .screenshot("messages-desktop", DESKTOP.0, DESKTOP.1)
        .await;
    browser
        .click_then("a[href='/dashboard']", "figure.chart svg")
        .await;
    assert!(browser.text().await.contains("Messages per day"));
    browser
        .screenshot("dashboard-desktop", DESKTOP.0, DESKTOP.1)
        .await;

    browser
        .click_then("a[href='/settings']", "table#usage")
        .await;
    assert!(browser.text().await.contains("Usage this month"));
    browser
        .screenshot("settings-desktop", DESKTOP.0, DESKTOP.1)
        .await;
    for (path, ready, shot) in [
        (
            "/settings/providers",
            "form[action$='/twilio/save']",
            "providers",
        ),
        (
            "/settings/identities",
            "form[action='/settings/identities']",
            "identities",
        ),
        ("/documents", "form[action='/documents']", "documents"),
    ] {
        browser
            .client
            .goto(&format!("{}{path}", app.address))
            .await
            .expect(path);
        browser.wait_for(ready).await;
        browser
            .screenshot(&format!("{shot}-desktop"), DESKTOP.0, DESKTOP.1)
            .await;
        browser
            .screenshot(&format!("{shot}-phone"), PHONE.0, PHONE.1)
            .await;
    }

    // The saved reminder opens on its form; the message Ann would get is shown before saving.
    browser
        .client
        .goto(&format!("{}/reminders", app.address))
        .await
        .expect("reminders");
    browser
        .click_then("a[href$='/edit']", "select#preview_client")
        .await;
    browser
        .client
        .execute(
            "document.getElementById('preview_client').selectedIndex = 1;",
            vec![],
        )
        .await
        .expect("client chosen for the preview");
    browser
        .click_then("#preview-message", "#message-preview")
        .await;
    let text = browser.text().await;
    assert!(
        text.contains("What Ann Example would get")
            && text.contains("Hi Ann Example, your VAT return is due."),
        "{text}"
    );
    browser
        .client
        .execute(
            "document.getElementById('message-preview').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scrolled to the preview");
    browser
        .screenshot("reminder-message-desktop", DESKTOP.0, DESKTOP.1)
        .await;

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

async fn a_member_is_kept_out_of_settings_and_a_tokenless_form_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::start().await;
    let owner = app.owner("Members Ltd").await;
    app.staff(&owner, "mo@members-ltd.example.com", "member")
        .await;
    browser
        .client
        .goto(&format!("{}/login", app.address))
        .await
        .expect("sign-in page");
    browser.fill("email", "mo@members-ltd.example.com").await;
    browser.fill("password", PASSWORD).await;
    browser
        .click_then("form[action='/login'] button", "figure.chart")
        .await;
    assert!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("a[href='/settings']"))
            .await
            .expect("links")
            .is_empty(),
        "no settings link for a member"
    );
    browser
        .client
        .goto(&format!("{}/settings", app.address))
        .await
        .expect("settings");
    browser.wait_for("a.brand[href='/']").await;
    assert!(browser.text().await.contains("Not for your role"));
    browser
        .screenshot("member-forbidden-phone", PHONE.0, PHONE.1)
        .await;

    // A form whose token was taken out (as a forged page would send it) is refused.
    browser
        .client
        .goto(&format!("{}/clients/new", app.address))
        .await
        .expect("new client");
    browser.wait_for("form[action='/clients']").await;
    browser.fill("name", "Forged").await;
    browser
        .client
        .execute(
            "document.querySelector(\"form[action='/clients'] input[name='csrf']\").remove();",
            vec![],
        )
        .await
        .expect("token removed");
    browser
        .click_then(
            "form[action='/clients'] button[type=submit]",
            "a.brand[href='/']",
        )
        .await;
    assert!(browser.text().await.contains("This form has expired"));
    let listed = app.get_json("/clients", &owner.token).await;
    assert_eq!(listed["total"], 0, "nothing was created");

    // A client following a broken link from a reminder gets a page in the same look.
    browser
        .client
        .goto(&format!("{}/pay/not-a-token", app.address))
        .await
        .expect("broken link");
    browser.wait_for("h1").await;
    assert!(browser.text().await.contains("This link does not work"));
    browser
        .screenshot("broken-link-phone", PHONE.0, PHONE.1)
        .await;
    browser.finish().await;
}
per_backend!(
    a_member_is_kept_out_of_settings_and_a_tokenless_form_is_refused,
    a_member_is_kept_out_of_settings_and_a_tokenless_form_is_refused,
    [sqlite: Sqlite]
);
