//! The committed OpenAPI document lints clean (`tests/client/lint_spec.py`): every example
//! validates against its schema, every operation has a description, and `servers` and
//! `info.contact` are there, as Spectral's `spectral:oas` ruleset asks.
//!
//! `SGH_PYTHON` names an interpreter with `jsonschema_rs` (schemathesis brings it into the
//! virtualenv `.ci/run` makes); without it the test is skipped, or fails under `CI=true`.

use std::path::Path;
use std::process::Command;

#[test]
fn the_committed_spec_lints_clean() {
    let Some(python) = tests::tool_or_skip("SGH_PYTHON", "the OpenAPI lint") else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let run = Command::new(python)
        .arg(root.join("tests/client/lint_spec.py"))
        .arg(root.join("openapi/openapi.json"))
        .output()
        .expect("python runs");
    let (out, err) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "openapi/openapi.json does not lint clean:\n{out}\n{err}");
    assert!(out.contains(" examples checked, 0 failures"), "{out}");
}
