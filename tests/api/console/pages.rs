//! The console's pages over plain HTTP.

use reqwest::{Method, StatusCode};
use serde_json::json;

use reminder_backend::clock::Clock;

use super::{Visitor, created, escaped, multipart, pairs};
use crate::support::{PASSWORD, TestApp, db_test};

async fn a_firm_signs_up_works_and_signs_out_everywhere(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Ledger & Co", "olive@ledger.example.com")
        .await;
    let (status, html) = olive.get(&app, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&escaped("Ledger & Co")), "{html}");
    assert!(html.contains("Europe/London"));

    // The session cookie is the API's own access token: the same session, the same rules.
    let access = olive.access();
    assert_eq!(app.get("/users/me", &access).await.status(), StatusCode::OK);

    let csrf = olive.csrf.clone();
    let (status, location, _) = olive
        .post(&app, "/logout", &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    // Signed out everywhere: the token is revoked for the API too, and the old cookie is no
    // session any more.
    assert_eq!(
        app.get("/users/me", &access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let replay = app
        .page(Method::GET, "/dashboard")
        .header("cookie", format!("console_access={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(replay.headers()["location"], "/login");
}
db_test!(a_firm_signs_up_works_and_signs_out_everywhere);

async fn forms_without_the_token_or_from_another_site_change_nothing(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Forged Ltd", "olive@forged.example.com")
        .await;
    olive.get(&app, "/clients/new").await;
    let csrf = olive.csrf.clone();

    let (status, _, html) = olive
        .post(
            &app,
            "/clients",
            &[("name", "No Token")],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("<html"), "an HTML page, not JSON: {html}");
    let (status, _, _) = olive
        .post(
            &app,
            "/clients",
            &[("csrf", &csrf), ("name", "Cross Site")],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A sign-in form posted without its cookie's token is refused too.
    let (status, _, _) = Visitor::default()
        .post(
            &app,
            "/login",
            &[
                ("email", "olive@forged.example.com"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let access = olive.access();
    let listed = app.get_json("/clients", &access).await;
    assert_eq!(listed["total"], 0, "nothing was created: {listed}");

    // With the token, from this site, it works.
    let (status, location, _) = olive
        .post(
            &app,
            "/clients",
            &[
                ("csrf", &csrf),
                ("name", "Ann Client"),
                ("email", "ann@client.example.com"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/clients/"), "{location}");
    let (status, html) = olive.get(&app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ann@client.example.com"));
}
db_test!(forms_without_the_token_or_from_another_site_change_nothing);

async fn field_errors_are_the_apis_next_to_their_fields(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Fields Ltd", "olive@fields.example.com")
        .await;
    olive.get(&app, "/clients/new").await;
    let csrf = olive.csrf.clone();
    let (status, _, html) = olive
        .post(
            &app,
            "/clients",
            &[("csrf", &csrf), ("name", ""), ("email", "not-an-address")],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The same words as the API's 422 for the same input.
    let access = olive.access();
    let problem: serde_json::Value = app
        .post(
            "/clients",
            &access,
            json!({"name": "", "email": "not-an-address"}),
        )
        .await
        .json()
        .await
        .unwrap();
    for error in problem["errors"].as_array().unwrap() {
        let field = error["field"].as_str().unwrap();
        let message = error["message"].as_str().unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-error\"")) && html.contains(&escaped(message)),
            "{field}: {message} not shown next to its field"
        );
    }
    assert!(
        html.contains("value=\"not-an-address\""),
        "what was typed stays"
    );
}
db_test!(field_errors_are_the_apis_next_to_their_fields);

async fn a_member_cannot_open_the_settings(app: TestApp) {
    let owner = app.owner("Roles Ltd").await;
    app.staff(&owner, "mia@roles-ltd.example.com", "member")
        .await;
    let mut mia = Visitor::default();
    let (status, location) = mia.sign_in(&app, "mia@roles-ltd.example.com").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/dashboard")
    );
    let (_, dashboard) = mia.get(&app, "/dashboard").await;
    assert!(
        !dashboard.contains("href=\"/settings\""),
        "no settings link for a member"
    );
    let (status, html) = mia.get(&app, "/settings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Only owners and admins"));

    let mut olive = Visitor::default();
    olive.sign_in(&app, &owner.email).await;
    let (status, html) = olive.get(&app, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("mia@roles-ltd.example.com"));
}
db_test!(a_member_cannot_open_the_settings);

async fn pages_are_html_with_a_strict_policy(app: TestApp) {
    let response = app.page(Method::GET, "/login").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert!(!policy.contains("unsafe-inline"));
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style=\""),
        "no inline code"
    );
    assert!(html.len() < 100_000);
    let start = app.page(Method::GET, "/").send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    assert_eq!(start.headers()["location"], "/login");
}
db_test!(pages_are_html_with_a_strict_policy);

async fn a_sent_message_is_counted_on_the_dashboard_chart(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Charted Ltd", "olive@charted.example.com")
        .await;
    let access = olive.access();
    let client = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@charted.example.com"}),
    )
    .await;
    let reminder = created(
        &app,
        &access,
        "/reminders",
        json!({"title": "Fee", "channels": ["email"], "body": "Hello",
                   "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
                   "client_ids": [client["id"]]}),
    )
    .await;
    let sent = app
        .post(
            &format!("/reminders/{}/send", reminder["id"]),
            &access,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;

    let (status, html) = olive.get(&app, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg"), "the chart is drawn on the server");
    let today = app
        .clock
        .now()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        html.contains(&format!("<td>{today}</td><td>1</td><td>0</td>")),
        "today's row counts the message: {html}"
    );
}
db_test!(a_sent_message_is_counted_on_the_dashboard_chart);

async fn reminders_are_sent_once_per_click_and_listed_in_messages(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Clicks Ltd", "olive@clicks.example.com")
        .await;
    let access = olive.access();
    let client = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@clicks.example.com"}),
    )
    .await;
    let reminder = created(
        &app,
        &access,
        "/reminders",
        json!({"title": "Quarterly fee", "channels": ["email"], "body": "Hello",
                   "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
                   "client_ids": [client["id"]]}),
    )
    .await;
    let (status, html) = olive.get(&app, "/reminders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Quarterly fee"));
    let key = html
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the send form's key")
        .to_owned();
    let csrf = olive.csrf.clone();
    let send = format!("/reminders/{}/send", reminder["id"]);
    // A double click: the same form twice sends once.
    for _ in 0..2 {
        let (status, location, _) = olive
            .post(
                &app,
                &send,
                &[("csrf", &csrf), ("key", &key)],
                Some(&app.address),
            )
            .await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "/reminders?notice=sent")
        );
    }
    app.dispatch_until_idle().await;
    let listed = app.get_json("/notifications", &access).await;
    assert_eq!(listed["total"], 1, "{listed}");
    let (_, html) = olive.get(&app, "/messages?status=sent").await;
    assert!(html.contains("ann@clicks.example.com"), "{html}");

    let pause = format!("/reminders/{}/pause", reminder["id"]);
    olive
        .post(&app, &pause, &[("csrf", &csrf)], Some(&app.address))
        .await;
    let (_, html) = olive.get(&app, "/reminders?status=paused").await;
    assert!(html.contains("Quarterly fee"));
    // Sending a cancelled reminder is refused with the service's words, on an HTML page.
    let cancel = format!("/reminders/{}/cancel", reminder["id"]);
    olive
        .post(&app, &cancel, &[("csrf", &csrf)], Some(&app.address))
        .await;
    let (status, _, html) = olive
        .post(&app, &send, &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("A cancelled reminder cannot be sent."),
        "{html}"
    );
}
db_test!(reminders_are_sent_once_per_click_and_listed_in_messages);

async fn a_monthly_reminder_is_previewed_then_saved_with_its_payment(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Monthly Ltd", "olive@monthly.example.com")
        .await;
    let access = olive.access();
    let client = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@monthly.example.com"}),
    )
    .await;
    let (status, _) = olive.get(&app, "/reminders/new").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = olive.csrf.clone();
    let client_id = client["id"].to_string();
    let form = |intent: &'static str, title: &'static str, amount: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("intent", intent.to_owned()),
            ("title", title.to_owned()),
            ("kind", "payment".to_owned()),
            ("channel", "email".to_owned()),
            (
                "body",
                "Hi {{ client.name }}, {{ amount }} is due: {{ payment_link }}".to_owned(),
            ),
            ("schedule", "recurring".to_owned()),
            ("frequency", "monthly".to_owned()),
            ("interval", "1".to_owned()),
            ("month_day", "last".to_owned()),
            ("weekday", "MO".to_owned()),
            ("start", "2030-01-31T09:00".to_owned()),
            ("timezone", "Europe/London".to_owned()),
            ("amount", amount.to_owned()),
            ("currency", "gbp".to_owned()),
            ("client", client_id.clone()),
        ]
    };
    // The last day of each month, at 09:00 London time whatever the season.
    let (status, _, html) = olive
        .post(
            &app,
            "/reminders/new",
            &pairs(&form("preview", "Fee", "125")),
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for date in [
        "Thursday 31 January 2030, 09:00 GMT",
        "Thursday 28 February 2030, 09:00 GMT",
        "Sunday 31 March 2030, 09:00 BST",
        "Tuesday 30 April 2030, 09:00 BST",
    ] {
        assert!(html.contains(date), "{date} not previewed: {html}");
    }
    // Errors come back by their fields, the service's and the amount's.
    let (status, _, html) = olive
        .post(
            &app,
            "/reminders/new",
            &pairs(&form("save", "", "12,50")),
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"amount-error\""), "{html}");
    assert_eq!(app.get_json("/reminders", &access).await["total"], 0);

    let (status, location, _) = olive
        .post(
            &app,
            "/reminders/new",
            &pairs(&form("save", "Monthly fee", "125.50")),
            Some(&app.address),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/reminders?notice=created")
    );
    let saved = app.get_json("/reminders", &access).await;
    let reminder = &saved["items"][0];
    assert_eq!(reminder["title"], "Monthly fee");
    assert_eq!(reminder["schedule"]["rrule"], "FREQ=MONTHLY;BYMONTHDAY=-1");
    assert_eq!(reminder["payment"]["amount"], 12550);
    assert_eq!(reminder["client_ids"], json!([client["id"]]));
}
db_test!(a_monthly_reminder_is_previewed_then_saved_with_its_payment);

async fn importing_clients_shows_the_file_then_reports_refused_rows(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Imports Ltd", "olive@imports.example.com")
        .await;
    olive.get(&app, "/clients/import").await;
    let csrf = olive.csrf.clone();
    let mut csv = String::from("name,email,phone,notes\n");
    for n in 1..=20 {
        match n {
            7 => csv.push_str(&format!("Client {n},not-an-address,,x\n")),
            13 => csv.push_str(&format!("Client {n},client{n}@example.com,12,x\n")),
            _ => csv.push_str(&format!("Client {n},client{n}@example.com,,x\n")),
        }
    }
    let send = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (content_type, body) = multipart(&pairs);
        app.page(Method::POST, "/clients/import")
            .header("cookie", olive.cookie_header())
            .header("origin", app.address.clone())
            .header("content-type", content_type)
            .body(body)
    };
    let response = send(vec![
        ("csrf", csrf.clone()),
        ("intent", "preview".into()),
        ("file", csv.clone()),
    ])
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("The file has 20 rows"), "{html}");
    assert!(html.contains("These columns will not be read: notes"));
    assert!(html.contains("<td>Client 1</td>"));
    let access = olive.access();
    assert_eq!(
        app.get_json("/clients", &access).await["total"],
        0,
        "nothing yet"
    );

    let response = send(vec![
        ("csrf", csrf.clone()),
        ("intent", "import".into()),
        ("content", csv.clone()),
    ])
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("<strong>18</strong> new clients"), "{html}");
    // Lines count the header as line 1, as the API's report does.
    assert!(html.contains("<tr><td>8</td><td>email</td>"), "{html}");
    assert!(html.contains("<tr><td>14</td><td>phone</td>"), "{html}");
    assert_eq!(app.get_json("/clients", &access).await["total"], 18);

    // Without the token nothing is read.
    let response = send(vec![("intent", "import".into()), ("content", csv)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
db_test!(importing_clients_shows_the_file_then_reports_refused_rows);

async fn unknown_pages_are_html_for_browsers_and_problems_for_the_api(app: TestApp) {
    let browser = |path: &str| {
        app.page(Method::GET, path)
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
    };
    let page = browser("/no-such-page").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("Not found"));
    for response in [
        browser("/api/v1/no-such-thing").send().await.unwrap(),
        app.page(Method::GET, "/no-such-page").send().await.unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
db_test!(unknown_pages_are_html_for_browsers_and_problems_for_the_api);

async fn a_clients_page_shows_their_history_and_only_managers_erase_them(app: TestApp) {
    let owner = app.owner("Erasers Ltd").await;
    app.staff(&owner, "mo@erasers-ltd.example.com", "member")
        .await;
    let ann = app.email_client(&owner, "Ann Erased").await;
    let reminder = app.once_for(&owner, &ann, "email", 1).await;
    let sent = app
        .post(
            &format!("/reminders/{}/send", reminder["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let page = format!("/clients/{}", ann["id"]);
    let erase = format!("/clients/{}/erase", ann["id"]);

    let mut mo = Visitor::default();
    mo.sign_in(&app, "mo@erasers-ltd.example.com").await;
    let (status, html) = mo.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<td>email</td><td>sent</td>"), "{html}");
    assert!(!html.contains(&erase), "no erase link for a member");
    assert_eq!(mo.get(&app, &erase).await.0, StatusCode::FORBIDDEN);
    let csrf = mo.csrf.clone();
    let (status, _, _) = mo
        .post(&app, &erase, &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut olive = Visitor::default();
    olive.sign_in(&app, &owner.email).await;
    let (status, html) = olive.get(&app, &erase).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Erase Ann Erased?"));
    let csrf = olive.csrf.clone();
    let (status, location, _) = olive
        .post(&app, &erase, &[("csrf", &csrf)], Some(&app.address))
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/clients")
    );
    let listed = app.get_json("/clients", &owner.token).await;
    assert!(
        !listed.to_string().contains("ann.erased@example.com"),
        "erased: {listed}"
    );
}
db_test!(a_clients_page_shows_their_history_and_only_managers_erase_them);

async fn owners_change_the_business_and_its_staff_from_settings(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Settled Ltd", "olive@settled.example.com")
        .await;
    olive.get(&app, "/settings").await;
    let csrf = olive.csrf.clone();
    let access = olive.access();

    // A wrong time zone is refused by its field; nothing changes.
    let (status, _, html) = olive
        .post(
            &app,
            "/settings/business",
            &[
                ("csrf", &csrf),
                ("name", "Settled Ltd"),
                ("timezone", "Mars/Olympus"),
                ("default_channel", "email"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"timezone-error\""), "{html}");
    let (status, location, _) = olive
        .post(
            &app,
            "/settings/business",
            &[
                ("csrf", &csrf),
                ("name", "Settled & Sons"),
                ("timezone", "Europe/Paris"),
                ("email_from", "Settled Desk <Desk@Settled.example.com>"),
                ("default_channel", "email"),
                ("default_channel", "sms"),
                ("quiet_start", "21:00"),
                ("quiet_end", "08:00"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings?saved=business")
    );
    let business = app.get_json("/business", &access).await;
    assert_eq!(
        business["email_from"],
        "Settled Desk <desk@settled.example.com>"
    );
    // Shown back in a text field, which a browser does not refuse for its name.
    let (_, html) = olive.get(&app, &location).await;
    assert!(
        html.contains(
            "name=\"email_from\" type=\"text\" inputmode=\"email\" autocomplete=\"off\" \
             value=\"Settled Desk &#60;desk@settled.example.com&#62;\""
        ),
        "{html}"
    );
    assert_eq!(business["name"], "Settled & Sons");
    assert_eq!(business["timezone"], "Europe/Paris");
    assert_eq!(business["default_channels"], json!(["email", "sms"]));
    assert_eq!(business["quiet_hours"]["start"], "21:00");

    // A person added with a weak password is refused by that field; then added.
    let (status, _, html) = olive
        .post(
            &app,
            "/settings/staff",
            &[
                ("csrf", &csrf),
                ("email", "sam@settled.example.com"),
                ("full_name", "Sam"),
                ("password", "short"),
                ("role", "member"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"new-password-error\""));
    assert!(
        html.contains("value=\"sam@settled.example.com\""),
        "what was typed stays"
    );
    let (status, _, _) = olive
        .post(
            &app,
            "/settings/staff",
            &[
                ("csrf", &csrf),
                ("email", "sam@settled.example.com"),
                ("full_name", "Sam"),
                ("password", PASSWORD),
                ("role", "member"),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let sam = app.sign_in("sam@settled.example.com", PASSWORD).await;
    let users = app.get_json("/users", &access).await;
    let sam_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "sam@settled.example.com")
        .unwrap()["id"]
        .to_string();
    let path = format!("/settings/staff/{sam_id}");
    olive
        .post(
            &app,
            &path,
            &[("csrf", &csrf), ("role", "admin")],
            Some(&app.address),
        )
        .await;
    assert_eq!(app.get_json("/users/me", &sam.token).await["role"], "admin");
    olive
        .post(
            &app,
            &path,
            &[("csrf", &csrf), ("active", "false")],
            Some(&app.address),
        )
        .await;
    // Disabled: their session stops working at once.
    assert_eq!(
        app.get("/users/me", &sam.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The usage and the audit log show what was done.
    let (_, html) = olive.get(&app, "/settings").await;
    assert!(
        html.contains("id=\"usage\"") && html.contains("<td>sms</td>"),
        "{html}"
    );
    assert!(html.contains("id=\"audit\""), "{html}");
    assert!(
        html.contains("user.added") || html.contains("user.created"),
        "{html}"
    );
}
db_test!(owners_change_the_business_and_its_staff_from_settings);

async fn sign_in_pages_share_the_apis_rate_limit(app: TestApp) {
    // RATE_LIMIT_AUTH_PER_MINUTE=3 for this app: the page, then posts until the quota is spent.
    let mut visitor = Visitor::default();
    let mut statuses = vec![visitor.get(&app, "/login").await.0];
    let csrf = visitor.csrf.clone();
    for _ in 0..3 {
        let (status, _, _) = visitor
            .post(
                &app,
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", "nobody@limits.example.com"),
                    ("password", "Wrong-Password-1"),
                ],
                Some(&app.address),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let (status, html) = visitor.get(&app, "/signup").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many attempts"), "an HTML page: {html}");
}
db_test!(
    sign_in_pages_share_the_apis_rate_limit,
    [("RATE_LIMIT_AUTH_PER_MINUTE", "3")]
);

async fn a_message_shows_its_tries_and_is_sent_again_and_payments_are_listed(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Tries Ltd", "olive@tries.example.com")
        .await;
    let access = olive.access();
    let client = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@tries.example.com"}),
    )
    .await;
    let reminder = created(
        &app,
        &access,
        "/reminders",
        json!({"title": "Fee", "channels": ["email"], "body": "Please pay {{ payment_link }}",
                   "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
                   "payment": {"amount": 12500, "currency": "gbp"},
                   "client_ids": [client["id"]]}),
    )
    .await;
    app.post(
        &format!("/reminders/{}/send", reminder["id"]),
        &access,
        json!({}),
    )
    .await;
    app.dispatch_until_idle().await;
    let listed = app.get_json("/notifications", &access).await;
    let id = listed["items"][0]["id"].clone();

    let (status, html) = olive.get(&app, &format!("/messages/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"attempts\"") && html.contains("<td>sent</td>"),
        "{html}"
    );
    let csrf = olive.csrf.clone();
    let (status, _, _) = olive
        .post(
            &app,
            &format!("/messages/{id}/resend"),
            &[("csrf", &csrf)],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.dispatch_until_idle().await;
    let (_, html) = olive.get(&app, &format!("/messages/{id}")).await;
    assert_eq!(
        html.matches("<td>sent</td>").count(),
        2,
        "two tries, both sent: {html}"
    );

    let (status, html) = olive.get(&app, "/payments?status=open").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("£125.00") && html.contains("/pay/"), "{html}");
}
db_test!(a_message_shows_its_tries_and_is_sent_again_and_payments_are_listed);

async fn a_client_is_changed_on_the_form_and_an_emptied_field_is_removed(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Changes Ltd", "olive@changes.example.com")
        .await;
    let access = olive.access();
    let ann = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@changes.example.com", "phone": "+442079460958"}),
    )
    .await;
    let edit = format!("/clients/{}/edit", ann["id"]);
    let save = format!("/clients/{}", ann["id"]);
    let (status, html) = olive.get(&app, &edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"ann@changes.example.com\"") && html.contains("+442079460958"));
    let csrf = olive.csrf.clone();
    let (status, _, html) = olive
        .post(
            &app,
            &save,
            &[("csrf", &csrf), ("name", "Ann"), ("phone", "12")],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"phone-error\""), "{html}");
    let (status, location, _) = olive
        .post(
            &app,
            &save,
            &[
                ("csrf", &csrf),
                ("name", "Ann Smith"),
                ("email", "ann.smith@changes.example.com"),
                ("phone", ""),
            ],
            Some(&app.address),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, save.as_str())
    );
    let saved = app.get_json(&save, &access).await;
    assert_eq!(saved["name"], "Ann Smith");
    assert_eq!(saved["email"], "ann.smith@changes.example.com");
    assert!(saved["phone"].is_null(), "{saved}");
}
db_test!(a_client_is_changed_on_the_form_and_an_emptied_field_is_removed);

async fn a_page_with_a_wrong_id_is_the_not_found_page(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Wrong Ids Ltd", "olive@wrong-ids.example.com")
        .await;
    for path in ["/clients/abc", "/clients/999999", "/messages/1x"] {
        let (status, html) = olive.get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Not found"), "{path}: {html}");
    }
    let csrf = olive.csrf.clone();
    let (status, _, html) = olive
        .post(
            &app,
            "/reminders/x/pause",
            &[("csrf", &csrf)],
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));
}
db_test!(a_page_with_a_wrong_id_is_the_not_found_page);
