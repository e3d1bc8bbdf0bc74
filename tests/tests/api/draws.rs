//! A fair draw's record is checked from nothing else, two ways: `sgh verify-draw`, and the Python
//! procedure docs/member-app.md gives (run as written there, on the stock `cryptography` package):
//! both accept the record as drawn and both refuse it once its seed or its entrants are changed.

use domain::draws::fair::{EntrantRef, Seed};
use domain::draws::record::{record, Record};
use std::process::{Command, Output};

/// `sgh verify-draw` on `record`, with no configuration at all.
fn sgh_verify(dir: &std::path::Path, name: &str, record: &Record) -> Output {
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_vec(record).unwrap()).unwrap();
    let deps = std::env::current_exe().unwrap();
    let bin = deps.parent().and_then(|d| d.parent()).unwrap().join("sgh");
    assert!(bin.exists(), "{} is built by `cargo test --workspace`", bin.display());
    Command::new(bin).arg("verify-draw").arg(&file).env_clear().output().unwrap()
}

/// The procedure's Python, as docs/member-app.md prints it.
fn documented_procedure() -> String {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/member-app.md")).unwrap();
    let section = guide.split("## Fair draws").nth(1).expect("the guide explains fair draws");
    let code = section.split("```python\n").nth(1).expect("with a Python procedure");
    code.split("```").next().unwrap().to_owned()
}

fn python_verify(python: &str, dir: &std::path::Path, name: &str, record: &Record) -> Output {
    let script = dir.join("check_draw.py");
    std::fs::write(&script, documented_procedure()).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_vec(record).unwrap()).unwrap();
    Command::new(python).arg(&script).arg(&file).output().unwrap()
}

#[test]
fn a_draw_is_recomputed_from_its_record_alone_and_tampering_fails_it() {
    let dir = std::env::temp_dir().join(format!("sgh-draw-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let entrants: Vec<EntrantRef> =
        (0..10_000).map(|_| EntrantRef::of("2026-zhongqiu", &uuid::Uuid::now_v7().to_string())).collect();
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    let drawn = record("2026-zhongqiu", &Seed::new(bytes), entrants, 100, 20);
    assert_eq!((drawn.entrants.len(), drawn.winners.len(), drawn.waiting.len()), (10_000, 100, 20));

    let ok = sgh_verify(&dir, "drawn.json", &drawn);
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && said.contains("holds"), "{said}{}", String::from_utf8_lossy(&ok.stderr));

    // Another seed, committed to afresh: the commitment no longer matches what was published.
    let mut reseeded = drawn.clone();
    reseeded.seed = Seed::new([9; 32]).to_hex();
    let refused = sgh_verify(&dir, "reseeded.json", &reseeded);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("commitment"), "{refused:?}");
    // A winner quietly left out of the entrants: the winners no longer follow.
    let mut dropped = drawn.clone();
    let first = dropped.winners[0].clone();
    dropped.entrants.retain(|e| *e != first);
    let refused = sgh_verify(&dir, "dropped.json", &dropped);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("winner 0"), "{refused:?}");
    // Not a record at all.
    std::fs::write(dir.join("junk.json"), b"{\"algorithm\": 1}").unwrap();
    let deps = std::env::current_exe().unwrap();
    let bin = deps.parent().and_then(|d| d.parent()).unwrap().join("sgh");
    let junk = Command::new(bin).arg("verify-draw").arg(dir.join("junk.json")).env_clear().output().unwrap();
    assert_eq!(junk.status.code(), Some(2), "{junk:?}");

    if let Some(python) = tests::tool_or_skip("SGH_PYTHON", "the documented check of a draw") {
        let ok = python_verify(&python, &dir, "drawn.json", &drawn);
        let said = String::from_utf8_lossy(&ok.stdout);
        assert!(
            ok.status.success() && said.contains("the draw holds"),
            "{said}{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        for (name, tampered) in [("reseeded.json", &reseeded), ("dropped.json", &dropped)] {
            let refused = python_verify(&python, &dir, name, tampered);
            assert!(!refused.status.success(), "the documented check refuses {name}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}
