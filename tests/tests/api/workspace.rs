//! Architecture rules the compiler cannot see.

use std::collections::{BTreeSet, HashMap};

const INFRASTRUCTURE: &[&str] = &[
    "actix",
    "diesel",
    "redis",
    "lettre",
    "jsonwebtoken",
    "pq-sys",
    "libsqlite3-sys",
    "tokio-postgres",
    "sqlx",
    "awc",
];

/// The domain crate may not depend, even indirectly, on any infrastructure crate.
#[test]
fn domain_depends_on_no_infrastructure_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &serde_json::Value> =
        meta["resolve"]["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap(), n)).collect();
    let domain = names.iter().find(|(_, n)| **n == "domain").map(|(id, _)| *id).unwrap();

    // Normal (non-dev) dependencies, transitively.
    let mut seen = BTreeSet::new();
    let mut stack = vec![domain];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            let pkg = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[pkg]) {
                stack.push(pkg);
            }
        }
    }
    let offending: Vec<_> = seen.iter().filter(|name| INFRASTRUCTURE.iter().any(|bad| name.starts_with(bad))).collect();
    assert!(offending.is_empty(), "domain pulls in {offending:?}");
    assert!(seen.contains("chrono"), "the walk found the domain's real dependencies: {seen:?}");
}

/// The committed `openapi/openapi.json` is exactly what the code generates.
#[test]
fn committed_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = api::openapi::spec_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -p api -- openapi > openapi/openapi.json`"
    );
}

/// Every operation documents at least one error answer and carries a summary.
#[test]
fn every_operation_is_documented() {
    let spec: serde_json::Value = serde_json::from_str(&api::openapi::spec_json()).unwrap();
    let mut count = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has no summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
        }
    }
    assert!(count >= 9, "only {count} operations documented");
}

/// Every request body and every successful JSON answer carries an example, in the media type or in
/// the schema it refers to.
#[test]
fn every_body_has_an_example() {
    let spec: serde_json::Value = serde_json::from_str(&api::openapi::spec_json()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let has_example = |node: &serde_json::Value| {
        let own = |n: &serde_json::Value| n.get("example").is_some() || n.get("examples").is_some();
        own(node)
            || own(&node["schema"])
            || node["schema"]["$ref"].as_str().is_some_and(|r| own(&schemas[r.rsplit('/').next().unwrap()]))
    };
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let bodies = op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(ct, m)| (format!("request {ct}"), m));
            let answers =
                op["responses"].as_object().unwrap().iter().filter(|(code, _)| code.starts_with('2')).flat_map(
                    |(code, r)| {
                        r["content"].as_object().into_iter().flatten().map(move |(ct, m)| (format!("{code} {ct}"), m))
                    },
                );
            for (what, media) in bodies.chain(answers) {
                if !has_example(media) {
                    missing.push(format!("{method} {path}: {what}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no example for:\n{}", missing.join("\n"));
}
