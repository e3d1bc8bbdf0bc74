//! Whole-API fuzzing: schemathesis over the spec the server serves, as anonymous, a member and
//! every staff role, on both backends: no server error, no undocumented status, no answer that
//! breaks its schema. Bounded (a fixed seed, few examples per operation) to fit CI's time; a
//! deeper campaign sets `SGH_FUZZ_EXAMPLES` (per operation) and `SGH_FUZZ_SEED`, and adds the
//! stateful phase (links between operations) with `SGH_FUZZ_PHASES`.
//!
//! `SGH_SCHEMATHESIS` names the `schemathesis` executable (`.ci/run` installs it in a virtualenv);
//! without it the test is skipped, or fails under `CI=true`.

use domain::admin::Role;
use std::process::Command;
use tests::{Backend, Services, TestApp};

/// `name` from the environment, or CI's bounded `default`.
fn setting(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

async fn fuzz(backend: Backend, st: &str) {
    let app = TestApp::spawn(backend).await;
    let mut callers: Vec<(String, Option<String>)> = vec![("anonymous".into(), None)];
    let member = app.member_token("13900000077").await;
    callers.push(("member".into(), Some(member)));
    for role in [Role::Admin, Role::Operator, Role::Auditor, Role::PickupOperator, Role::Caseworker] {
        callers.push((role.as_str().into(), Some(app.staff(role).await)));
    }
    for (who, token) in callers {
        let mut cmd = Command::new(st);
        cmd.args(["run", &format!("{}/openapi.json", app.address)])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["--max-examples", &setting("SGH_FUZZ_EXAMPLES", "8")])
            .args(["--seed", &setting("SGH_FUZZ_SEED", "20261201"), "--request-timeout", "20"])
            .args(["--phases", &setting("SGH_FUZZ_PHASES", "examples,coverage,fuzzing")])
            .env("NO_COLOR", "1");
        if let Some(token) = &token {
            cmd.args(["--header", &format!("Authorization: Bearer {token}")]);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("schemathesis runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{backend:?} as {who}:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[actix_web::test]
async fn schemathesis_finds_no_server_error_on_the_embedded_default() {
    if let Some(st) = tests::tool_or_skip("SGH_SCHEMATHESIS", "whole-API fuzzing") {
        fuzz(Backend::Embedded, &st).await;
    }
}

#[actix_web::test]
async fn schemathesis_finds_no_server_error_on_postgres_and_redis() {
    if let Some(st) = tests::tool_or_skip("SGH_SCHEMATHESIS", "whole-API fuzzing") {
        if Services::available_or_skip() {
            fuzz(Backend::PostgresRedis, &st).await;
        }
    }
}
