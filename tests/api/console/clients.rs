//! The clients list: ordered by a column either way, paged in that order, searched.

use reqwest::StatusCode;
use serde_json::json;

use super::{Visitor, created, multipart};
use crate::support::{TestApp, db_test};

/// The names in a clients page, in the order shown.
fn names(html: &str) -> Vec<String> {
    html.split("<tr><td><a href=\"/clients/")
        .skip(1)
        .filter_map(|row| row.split('>').nth(1)?.split('<').next().map(str::to_owned))
        .collect()
}

async fn clients_are_ordered_by_a_column_either_way_and_paged_in_that_order(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Order Ltd", "olive@order.example.com")
        .await;
    let access = olive.access();
    // Added in an order that is neither the names' nor the addresses'.
    for (name, mailbox) in [("Carla", "a"), ("Abel", "c"), ("Bruno", "b")] {
        created(
            &app,
            &access,
            "/clients",
            json!({"name": name, "email": format!("{mailbox}@order.example.com")}),
        )
        .await;
    }
    let (status, html) = olive.get(&app, "/clients").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&html), ["Carla", "Abel", "Bruno"], "as added");
    assert!(
        html.contains("href=\"/clients?q=&#38;sort=name&#38;page=1\""),
        "{html}"
    );

    let (_, html) = olive.get(&app, "/clients?sort=name").await;
    assert_eq!(names(&html), ["Abel", "Bruno", "Carla"]);
    assert!(html.contains("aria-sort=\"ascending\""), "{html}");
    // The name heading now orders the other way.
    assert!(html.contains("sort=-name"), "{html}");
    let (_, html) = olive.get(&app, "/clients?sort=-name").await;
    assert_eq!(names(&html), ["Carla", "Bruno", "Abel"]);
    assert!(html.contains("aria-sort=\"descending\""));
    let (_, html) = olive.get(&app, "/clients?sort=email").await;
    assert_eq!(names(&html), ["Carla", "Bruno", "Abel"], "a@, b@, c@");

    // An order the list does not know is the default one, not an error.
    let (status, html) = olive.get(&app, "/clients?sort=password").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&html), ["Carla", "Abel", "Bruno"]);
}
db_test!(clients_are_ordered_by_a_column_either_way_and_paged_in_that_order);

async fn pages_of_a_long_list_follow_its_order(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Pages Ltd", "olive@pages.example.com")
        .await;
    let access = olive.access();
    let mut csv = String::from("name\n");
    for n in (1..=30).rev() {
        csv.push_str(&format!("Client {n:02}\n"));
    }
    let imported = app
        .request(reqwest::Method::POST, "/clients/import")
        .bearer_auth(&access)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    let (_, first) = olive.get(&app, "/clients?sort=name").await;
    assert!(first.contains("Page 1 of 2"), "{first}");
    assert_eq!(names(&first).first().map(String::as_str), Some("Client 01"));
    assert!(
        first.contains("href=\"/clients?q=&#38;sort=name&#38;page=2\""),
        "{first}"
    );
    let (_, second) = olive.get(&app, "/clients?sort=name&page=2").await;
    assert_eq!(
        names(&second),
        [
            "Client 26",
            "Client 27",
            "Client 28",
            "Client 29",
            "Client 30"
        ]
    );
}
db_test!(pages_of_a_long_list_follow_its_order);

async fn a_csv_file_larger_than_a_form_body_is_read_up_to_the_consoles_limit(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Big Files Ltd", "olive@big.example.com")
        .await;
    olive.get(&app, "/clients/import").await;
    let csrf = olive.csrf.clone();
    // 2 MiB: over the service's 1 MiB `MAX_BODY_BYTES`, under the console's 5 MB for a file.
    let mut csv = String::from("name,email\n");
    let mut rows = 0;
    while csv.len() < 2 * 1024 * 1024 {
        rows += 1;
        csv.push_str(&format!("Client {rows},client{rows}@big.example.com\n"));
    }
    let (content_type, body) = multipart(&[("csrf", &csrf), ("intent", "preview"), ("file", &csv)]);
    let response = app
        .page(reqwest::Method::POST, "/clients/import")
        .header("cookie", olive.cookie_header())
        .header("origin", app.address.clone())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("The file has {rows} rows")),
        "{}",
        &html[..html.len().min(2000)]
    );
}
db_test!(a_csv_file_larger_than_a_form_body_is_read_up_to_the_consoles_limit);
