//! Case files in an S3-compatible bucket (`SGH_FILES_S3_*`): kept sealed under their key prefix,
//! served back whole to whoever may see the case, never kept when the upload is refused, gone with
//! the member's account; the store down is a 503 with `Retry-After` and nothing half-written.

use domain::admin::Role;
use serde_json::json;
use tests::object_store::ObjectStore;
use tests::services::{case_part, legal_kind, pdf, Form};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(case_files_are_kept_sealed_in_an_s3_bucket_and_its_outage_is_a_503);

fn question(contract: Vec<u8>, content_type: &str) -> Form {
    Form::default().text("case", &case_part("legal-aid", json!({"question": "加班费怎么算？"}))).file(
        "contract",
        "劳动合同.pdf",
        content_type,
        contract,
    )
}

async fn case_files_are_kept_sealed_in_an_s3_bucket_and_its_outage_is_a_503(backend: Backend) {
    let Some(mut store) = ObjectStore::start_or_skip("the S3-compatible file store") else { return };
    let app = TestApp::spawn_with(backend, store.options("cases/")).await;
    let admin = app.staff(Role::Admin).await;
    app.create_kind(&admin, legal_kind()).await;
    let members = app.activated_members(2, "SZ-600").await;

    let contract = pdf(300_000);
    let filed =
        app.send(question(contract.clone(), "application/pdf").request("/v1/me/cases").bearer(&members[0])).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let case = filed.json();
    let file_id = case["attachments"][0]["id"].as_str().unwrap().to_owned();
    let download = format!("/v1/me/cases/{}/attachments/{file_id}", case["id"].as_str().unwrap());
    assert_eq!(app.stored_files(), 0, "nothing is kept on the server's own disk");
    let objects = store.objects();
    assert_eq!(objects.len(), 1, "{:?}", objects.iter().map(|o| &o.0).collect::<Vec<_>>());
    let (key, sealed) = &objects[0];
    assert!(key.starts_with("cases/") && key.ends_with(&file_id.replace('-', "")), "{key}");
    assert!(!sealed.windows(64).any(|w| w == &contract[1_000..1_064]), "the store's operators see ciphertext only");
    assert!(sealed.len() > contract.len(), "sealed with its nonces and tags");

    let fetched = app.send(Req::get(&download).bearer(&members[0])).await;
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert!(fetched.body == contract, "the file comes back as it was sent");
    app.send(Req::get(&download).bearer(&members[1])).await.problem(404, "case.attachment_not_found");

    // A program calling itself a PDF is refused before anything is kept.
    let program = [b"MZ\x90\x00".as_slice(), &[0u8; 4_000]].concat();
    app.send(question(program, "application/pdf").request("/v1/me/cases").bearer(&members[1]))
        .await
        .problem(415, "case.attachment_type");
    assert_eq!(store.objects().len(), 1);

    // A member who leaves takes their files with them.
    let leaving = app.activated_members(1, "SZ-600").await.remove(0);
    let filed = app.send(question(pdf(20_000), "application/pdf").request("/v1/me/cases").bearer(&leaving)).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    assert_eq!(store.objects().len(), 2);
    assert_eq!(app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&leaving)).await.status, 204);
    assert_eq!(store.objects().len(), 1, "the leaver's file is gone from the bucket");

    // The store goes down: a new case with a file and a download are 503s to retry, and the
    // refused case left no row behind.
    let cases = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM service_cases";
    let before = app.count(cases).await;
    store.stop();
    let down =
        app.send(question(contract.clone(), "application/pdf").request("/v1/me/cases").bearer(&members[1])).await;
    down.problem(503, "service.unavailable");
    assert!(down.header("retry-after").is_some(), "{:?}", down.headers);
    assert_eq!(app.count(cases).await, before, "nothing half-written");
    let down = app.send(Req::get(&download).bearer(&members[0])).await;
    down.problem(503, "service.unavailable");
    assert!(down.header("retry-after").is_some());
}

on_both_backends!(the_store_refusing_our_signature_is_a_503_and_keeps_nothing);

/// A wrong secret (a key rotated at the store but not here) is refused by the store's signature
/// check: to members an outage, never a 500.
async fn the_store_refusing_our_signature_is_a_503_and_keeps_nothing(backend: Backend) {
    let Some(store) = ObjectStore::start_or_skip("the S3-compatible file store") else { return };
    let app =
        TestApp::spawn_with(backend, store.options("").var("SGH_FILES_S3_SECRET_KEY", "not-the-secret-the-store-gave"))
            .await;
    let admin = app.staff(Role::Admin).await;
    app.create_kind(&admin, legal_kind()).await;
    let member = app.activated_members(1, "SZ-600").await.remove(0);
    let refused = app.send(question(pdf(10_000), "application/pdf").request("/v1/me/cases").bearer(&member)).await;
    refused.problem(503, "service.unavailable");
    assert!(store.objects().is_empty());
    assert_eq!(app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM service_cases").await, 0);
}
