//! Every list pages and sorts the same way: `{items, total, limit, offset}`, `?sort=` on the
//! fields the OpenAPI document lists, a `Link` header to the other pages, and one `limit`
//! range that the document and the server agree on.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::documents::uploaded;
use crate::support::{TestApp, db_test, error_fields, problem};

/// The `rel` → URL pairs of a `Link` header.
fn links(response: &reqwest::Response) -> Vec<(String, String)> {
    let header = response
        .headers()
        .get("link")
        .expect("a Link header")
        .to_str()
        .unwrap();
    header
        .split(", ")
        .map(|link| {
            let (url, rel) = link.split_once("; rel=").unwrap();
            (
                rel.trim_matches('"').to_owned(),
                url.trim_matches(['<', '>']).to_owned(),
            )
        })
        .collect()
}

fn link<'a>(links: &'a [(String, String)], rel: &str) -> Option<&'a str> {
    links
        .iter()
        .find(|(name, _)| name == rel)
        .map(|(_, url)| url.as_str())
}

async fn clients_sort_and_link_to_their_other_pages(app: TestApp) {
    let owner = app.owner("Sorted").await;
    for name in ["Cara", "Abe", "Bea"] {
        app.client(&owner, json!({"name": name})).await;
    }
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|client| client["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app.get("/clients?sort=name&limit=2", &owner.token).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first_links = links(&first);
    let page: Value = first.json().await.unwrap();
    assert_eq!(names(&page), ["Abe", "Bea"]);
    assert_eq!(
        (&page["total"], &page["limit"], &page["offset"]),
        (&json!(3), &json!(2), &json!(0))
    );
    assert!(link(&first_links, "prev").is_none());
    let next = link(&first_links, "next").expect("a next page");
    assert!(
        next.contains("sort=name") && next.contains("offset=2"),
        "{next}"
    );

    // Links are absolute, on PUBLIC_BASE_URL (`http://reminders.test` in tests).
    let next = next
        .strip_prefix("http://reminders.test/api/v1")
        .expect("an absolute link under PUBLIC_BASE_URL");
    let second = app.get(next, &owner.token).await;
    let second_links = links(&second);
    let page: Value = second.json().await.unwrap();
    assert_eq!(names(&page), ["Cara"]);
    assert!(link(&second_links, "next").is_none());
    assert!(link(&second_links, "prev").unwrap().contains("offset=0"));

    let descending = app.get_json("/clients?sort=-name", &owner.token).await;
    assert_eq!(names(&descending), ["Cara", "Bea", "Abe"]);
    let added = app.get_json("/clients", &owner.token).await;
    assert_eq!(names(&added), ["Cara", "Abe", "Bea"]);

    let refused = app.get("/clients?sort=password", &owner.token).await;
    let body = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&body), ["sort"]);
}
db_test!(clients_sort_and_link_to_their_other_pages);

/// The list operations of the OpenAPI document: each one's path (with `{id}` filled in) and
/// the values its `sort` takes.
fn list_operations(spec: &Value, document_id: i64) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        let Some(get) = operations.get("get") else {
            continue;
        };
        let Some(parameters) = get["parameters"].as_array() else {
            continue;
        };
        let Some(sort) = parameters.iter().find(|p| p["name"] == "sort") else {
            continue;
        };
        let values = sort["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| value.as_str().unwrap().to_owned())
            .collect();
        let path = path
            .strip_prefix("/api/v1")
            .unwrap()
            .replace("{id}", &document_id.to_string());
        found.push((path, values));
    }
    found
}

/// Every list the document describes takes every `sort` it lists, answers a page with a
/// `Link` header, and takes exactly the `limit` range it documents.
async fn every_list_pages_and_sorts_as_documented(app: TestApp) {
    let owner = app.owner("Lists").await;
    let spec: Value = app
        .send(Method::GET, "/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let document = uploaded(&app, &owner, "notes.txt", b"notes").await;
    let operations = list_operations(&spec, document["id"].as_i64().unwrap());
    let mut paths: Vec<String> = operations.iter().map(|(path, _)| path.clone()).collect();
    paths.sort_unstable();
    let links_path = format!("/documents/{}/links", document["id"]);
    assert_eq!(
        paths,
        [
            "/audit-log",
            "/clients",
            "/documents",
            &links_path,
            "/notifications",
            "/payments",
            "/reminders",
            "/sender-identities",
            "/users",
        ]
    );
    for (path, sorts) in &operations {
        for sort in sorts {
            let response = app.get(&format!("{path}?sort={sort}"), &owner.token).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}?sort={sort}");
            assert!(link(&links(&response), "first").is_some(), "{path}");
            let page: Value = response.json().await.unwrap();
            for field in ["items", "total", "limit", "offset"] {
                assert!(!page[field].is_null(), "{path} has no {field}");
            }
        }
        let documented = if path == &links_path {
            "/api/v1/documents/{id}/links".to_owned()
        } else {
            format!("/api/v1{path}")
        };
        let parameters = spec["paths"][documented]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = &parameters.iter().find(|p| p["name"] == "limit").unwrap()["schema"];
        let (minimum, maximum) = (
            limit["minimum"].as_u64().unwrap(),
            limit["maximum"].as_u64().unwrap(),
        );
        for (value, status) in [
            (minimum, StatusCode::OK),
            (maximum, StatusCode::OK),
            (minimum - 1, StatusCode::UNPROCESSABLE_ENTITY),
            (maximum + 1, StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let response = app
                .get(&format!("{path}?limit={value}"), &owner.token)
                .await;
            assert_eq!(response.status(), status, "{path}?limit={value}");
        }
    }
}
db_test!(every_list_pages_and_sorts_as_documented);

/// Ids of a page's items.
fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

/// Keyset paging: each page continues after the id given, in the same order as offset paging,
/// and its `next` link carries `after` on until the list ends.
async fn clients_page_by_key_in_every_keyed_order(app: TestApp) {
    let owner = app.owner("Keyset").await;
    // Names repeat, so name order leans on ids to break ties.
    for name in ["Gus", "Abe", "Fay", "Abe", "Cy", "Eve", "Abe"] {
        app.client(&owner, json!({"name": name})).await;
    }
    for sort in ["created_at", "-created_at", "name", "-name"] {
        let whole = ids(&app
            .get_json(&format!("/clients?sort={sort}&limit=200"), &owner.token)
            .await);
        assert_eq!(whole.len(), 7);
        let first = ids(&app
            .get_json(&format!("/clients?sort={sort}&limit=3"), &owner.token)
            .await);
        let mut walked = first.clone();
        let mut next = Some(format!("/clients?sort={sort}&limit=3&after={}", first[2]));
        while let Some(path) = next {
            let response = app.get(&path, &owner.token).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let page_links = links(&response);
            assert!(link(&page_links, "prev").is_none(), "{path}");
            next = link(&page_links, "next").map(|url| {
                assert!(url.contains("after=") && !url.contains("offset="), "{url}");
                url.strip_prefix("http://reminders.test/api/v1")
                    .unwrap()
                    .to_owned()
            });
            let page: Value = response.json().await.unwrap();
            assert_eq!(page["total"], 7);
            walked.extend(ids(&page));
        }
        assert_eq!(walked, whole, "sort={sort}");
    }

    let anchor = ids(&app.get_json("/clients", &owner.token).await)[0];
    let stranger = app.owner("Stranger").await;
    for (path, token) in [
        (format!("/clients?after={anchor}&offset=3"), &owner.token),
        (format!("/clients?after={anchor}&sort=email"), &owner.token),
        (format!("/clients?after={anchor}"), &stranger.token),
        ("/clients?after=0".to_owned(), &owner.token),
        ("/notifications?after=999999999".to_owned(), &owner.token),
        (format!("/users?after={anchor}"), &owner.token),
    ] {
        let refused = problem(
            app.get(&path, token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), ["after"], "{path}");
    }
}
db_test!(clients_page_by_key_in_every_keyed_order);
