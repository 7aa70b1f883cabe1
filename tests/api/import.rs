//! CSV import: good, bad and repeated rows; updates by e-mail; large files.

use std::fmt::Write as _;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, db_test, problem};

async fn import(app: &TestApp, session: &Session, csv: String) -> reqwest::Response {
    app.request(Method::POST, "/clients/import")
        .bearer_auth(&session.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

async fn all_clients(app: &TestApp, session: &Session) -> Vec<Value> {
    let list = app.get_json("/clients?limit=200", &session.token).await;
    list["items"].as_array().unwrap().clone()
}

async fn good_bad_and_repeated_rows_are_reported(app: TestApp) {
    let owner = app.owner("Importer").await;
    let csv =
        "\u{feff}Name,Email,Phone,whatsapp_opt_in,preferred_channels,timezone,external_ref,notes\n\
               Ann,ann@example.com,+44 20 7946 0958,yes,email;sms,Europe/London,A-1,first\n\
               Bob,bob@,+44 20 7946 0958,,,,,\n\
               ,nameless@example.com,,,,,,\n\
               Cid,cid@example.com,12,maybe,,Nowhere,,\n\
               Ann Again,ANN@example.com,,,,,,\n\
               \n\
               \"Dee, Esq.\",dee@example.com,+1 415 555 2671,no,whatsapp,America/New_York,,\n"
            .to_owned();
    let response = import(&app, &owner, csv).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["ignored_columns"], json!(["notes"]));
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, "email".to_owned()),
            (4, "name".to_owned()),
            (5, "whatsapp_opt_in".to_owned()),
            (5, "phone".to_owned()),
            (5, "timezone".to_owned()),
        ]
    );

    let clients = all_clients(&app, &owner).await;
    assert_eq!(clients.len(), 2);
    let ann = clients
        .iter()
        .find(|c| c["email"] == "ann@example.com")
        .unwrap();
    assert_eq!(ann["name"], "Ann Again");
    assert_eq!(
        ann["phone"], "+442079460958",
        "a blank cell keeps the value"
    );
    assert_eq!(ann["preferred_channels"], json!(["email", "sms"]));
    assert_eq!(ann["whatsapp_opt_in"], true);
    let dee = clients
        .iter()
        .find(|c| c["email"] == "dee@example.com")
        .unwrap();
    assert_eq!(dee["name"], "Dee, Esq.");
    assert_eq!(dee["phone"], "+14155552671");
}
db_test!(good_bad_and_repeated_rows_are_reported);

async fn national_numbers_are_read_in_the_business_country(app: TestApp) {
    let owner = app.owner("National Import").await;
    let csv = || {
        "name,email,phone\n\
         Ann,ann@example.com,020 7946 0958\n\
         Bob,bob@example.com,07400 123456\n\
         Cid,cid@example.com,07700 900123\n\
         Dee,dee@example.com,+1 415 555 2671\n"
            .to_owned()
    };
    let phone_errors = |report: &Value| -> Vec<(u64, String)> {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["field"], "phone");
                (
                    e["row"].as_u64().unwrap(),
                    e["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    // Without a default_country, national numbers are refused with how to write them.
    let report: Value = import(&app, &owner, csv()).await.json().await.unwrap();
    let errors = phone_errors(&report);
    assert_eq!(
        errors.iter().map(|(row, _)| *row).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    for (_, message) in &errors {
        assert!(
            message.contains("E.164") && message.contains("default_country"),
            "{message}"
        );
    }

    app.patch("/business", &owner.token, json!({"default_country": "gb"}))
        .await;
    let report: Value = import(&app, &owner, csv()).await.json().await.unwrap();
    let errors = phone_errors(&report);
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0].0, 4);
    assert!(
        errors[0].1.contains("not a valid phone number in GB"),
        "{}",
        errors[0].1
    );
    let phones: Vec<(String, String)> = all_clients(&app, &owner)
        .await
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["phone"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let phone_of = |name: &str| {
        phones
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, phone)| phone.as_str())
    };
    assert_eq!(phone_of("Ann"), Some("+442079460958"));
    assert_eq!(phone_of("Bob"), Some("+447400123456"));
    assert_eq!(phone_of("Cid"), None, "a refused row is not imported");
    assert_eq!(phone_of("Dee"), Some("+14155552671"));
}
db_test!(national_numbers_are_read_in_the_business_country);

async fn importing_again_updates_by_email_instead_of_duplicating(app: TestApp) {
    let owner = app.owner("Reimport").await;
    let existing = app
        .client(
            &owner,
            json!({"name": "Old Name", "email": "keep@example.com", "phone": "+14155552671"}),
        )
        .await;
    let csv =
        "name,email,external_ref\nNew Name,Keep@Example.com,K-1\nFresh,fresh@example.com,F-1\n";
    let first: Value = import(&app, &owner, csv.to_owned())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (first["created"].as_u64(), first["updated"].as_u64()),
        (Some(1), Some(1))
    );
    let second: Value = import(&app, &owner, csv.to_owned())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (second["created"].as_u64(), second["updated"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(second["errors"], json!([]));

    let clients = all_clients(&app, &owner).await;
    assert_eq!(clients.len(), 2);
    let kept = clients.iter().find(|c| c["id"] == existing["id"]).unwrap();
    assert_eq!(kept["name"], "New Name");
    assert_eq!(kept["phone"], "+14155552671");
    assert_eq!(kept["external_ref"], "K-1");

    // Rows without e-mail match on external_ref; a reference owned by another client is refused.
    let by_ref = "name,external_ref\nFresh Renamed,F-1\n";
    let report: Value = import(&app, &owner, by_ref.to_owned())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["updated"], 1);
    let clash = "name,email,external_ref\nClash,keep@example.com,F-1\n";
    let report: Value = import(&app, &owner, clash.to_owned())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["errors"][0]["field"], "external_ref");
    assert_eq!(all_clients(&app, &owner).await.len(), 2);
}
db_test!(importing_again_updates_by_email_instead_of_duplicating);

async fn imports_need_csv_with_a_name_column(app: TestApp) {
    let owner = app.owner("Csv Rules").await;
    let json_body = app
        .post("/clients/import", &owner.token, json!({"name": "x"}))
        .await;
    problem(json_body, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    problem(
        import(&app, &owner, "email,phone\na@example.com,\n".into()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(all_clients(&app, &owner).await.is_empty());
}
db_test!(imports_need_csv_with_a_name_column);

async fn imports_stay_within_the_business(app: TestApp) {
    let alpha = app.owner("Imp Alpha").await;
    let beta = app.owner("Imp Beta").await;
    app.client(
        &beta,
        json!({"name": "Beta's", "email": "shared@example.com"}),
    )
    .await;
    let report: Value = import(
        &app,
        &alpha,
        "name,email\nAlpha's,shared@example.com\n".into(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(report["created"], 1);
    let beta_clients = all_clients(&app, &beta).await;
    assert_eq!(beta_clients[0]["name"], "Beta's");
}
db_test!(imports_stay_within_the_business);

async fn a_hundred_thousand_rows_import_in_one_request(app: TestApp) {
    let owner = app.owner("Bulk").await;
    let rows = 100_000;
    let mut csv = String::with_capacity(rows * 48);
    csv.push_str("name,email,phone\n");
    for n in 0..rows {
        writeln!(
            csv,
            "Client {n},client{n}@bulk.example.com,+1415555{:04}",
            n % 10_000
        )
        .unwrap();
    }
    let response = import(&app, &owner, csv).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], rows);
    assert_eq!(report["errors"], json!([]));
    let page = app
        .get_json("/clients?limit=1&q=client99999@", &owner.token)
        .await;
    assert_eq!(page["total"], 1);
    let all = app.get_json("/clients?limit=1", &owner.token).await;
    assert_eq!(all["total"], rows);
}
db_test!(a_hundred_thousand_rows_import_in_one_request);

/// A file saved by a spreadsheet ends its lines with CRLF: refused rows keep their line numbers.
async fn crlf_files_report_the_lines_of_their_rows(app: TestApp) {
    let owner = app.owner("Spreadsheet").await;
    let csv = "name,email\r\nAnn,ann@example.com\r\nBob,bob@\r\nCid,cid@example.com\r\n,nameless@example.com\r\n"
        .to_owned();
    let response = import(&app, &owner, csv).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5], "{report}");
}
db_test!(crlf_files_report_the_lines_of_their_rows);

/// Into a business with no clients yet, rows skip the lookup of stored clients unless an earlier
/// chunk of the same file wrote their e-mail or reference: those still update, not duplicate.
async fn later_chunks_update_clients_written_by_earlier_ones(app: TestApp) {
    let owner = app.owner("Chunks").await;
    let rows = 1_200;
    let mut csv = String::from("name,email,external_ref,timezone\n");
    for n in 0..rows {
        writeln!(csv, "Client {n},client{n}@chunks.example.com,REF-{n},").unwrap();
        if n == 600 {
            // In the second chunk, written while the first may still be: it waits for it.
            csv.push_str(",client5@chunks.example.com,,Asia/Tokyo\n");
        }
    }
    // Past the first chunks: one row by e-mail, one by reference alone, one clashing reference.
    csv.push_str(",client3@chunks.example.com,,Europe/Paris\n");
    csv.push_str("Renamed,,REF-7,\n");
    csv.push_str("Thief,thief@chunks.example.com,REF-9,\n");
    let response = import(&app, &owner, csv).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], rows, "{report}");
    assert_eq!(report["updated"], 3, "{report}");
    assert_eq!(
        report["errors"],
        json!([{"row": rows + 5, "field": "external_ref", "message": "belongs to another client"}])
    );
    let five = app
        .get_json("/clients?limit=1&q=client5@chunks", &owner.token)
        .await;
    assert_eq!(five["items"][0]["name"], "Client 5");
    assert_eq!(five["items"][0]["timezone"], "Asia/Tokyo");
    let all = app.get_json("/clients?limit=1", &owner.token).await;
    assert_eq!(all["total"], rows);
    let three = app
        .get_json("/clients?limit=1&q=client3@chunks", &owner.token)
        .await;
    assert_eq!(three["items"][0]["name"], "Client 3");
    assert_eq!(three["items"][0]["timezone"], "Europe/Paris");
    let seven = app
        .get_json("/clients?limit=5&q=client7@chunks", &owner.token)
        .await;
    assert_eq!(seven["items"][0]["name"], "Renamed");
}
db_test!(later_chunks_update_clients_written_by_earlier_ones);
