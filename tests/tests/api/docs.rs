//! The documentation holds together: the README stays a front door, every link in it and in
//! docs/ leads somewhere, every route of the spec is described in a guide, and every setting the
//! code reads is in the operations guide.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// README.md and every Markdown file under docs/, with their text.
fn documents() -> Vec<(PathBuf, String)> {
    let mut paths = vec![root().join("README.md")];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    paths.extend(guides);
    paths.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

/// The targets of `[text](target)` links.
fn links(text: &str) -> Vec<&str> {
    text.match_indices("](").filter_map(|(at, _)| text[at + 2..].split(')').next()).collect()
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines: the rest belongs in docs/");
    for command in ["cargo run --release -p api -- serve", "cargo test --workspace"] {
        assert!(readme.contains(command), "README.md lost `{command}`");
    }
}

#[test]
fn every_relative_link_leads_to_a_file() {
    let mut broken = Vec::new();
    for (path, text) in documents() {
        for target in links(&text) {
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() || file.contains("://") || file.starts_with("mailto:") {
                continue;
            }
            if !path.parent().unwrap().join(file).exists() {
                broken.push(format!("{}: {target}", path.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing:\n{}", broken.join("\n"));
}

#[test]
fn every_route_of_the_spec_is_in_a_guide() {
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("openapi/openapi.json")).unwrap()).unwrap();
    let guides: String = documents().into_iter().skip(1).map(|(_, text)| text).collect();
    let missing: Vec<&String> =
        spec["paths"].as_object().unwrap().keys().filter(|route| !guides.contains(&format!("`{route}"))).collect();
    assert!(missing.is_empty(), "routes no guide in docs/ describes: {missing:?}");
}

/// Every `SGH_*` name in the server's sources.
fn settings_read(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            settings_read(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            // A build-time value (`env!("SGH_GIT_COMMIT")`) is no setting.
            for (at, _) in text.match_indices("\"SGH_").filter(|(at, _)| !text[..*at].ends_with("env!(")) {
                let name: String = text[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                found.insert(name);
            }
        }
    }
}

#[test]
fn every_setting_is_in_the_operations_guide() {
    let mut names = BTreeSet::new();
    settings_read(&root().join("api/src"), &mut names);
    assert!(names.len() > 40 && names.contains("SGH_METRICS_BIND"), "{names:?}");
    let guide = std::fs::read_to_string(root().join("docs/operations.md")).unwrap();
    let missing: Vec<&String> = names.iter().filter(|n| !guide.contains(&format!("`{n}"))).collect();
    assert!(missing.is_empty(), "settings docs/operations.md does not describe: {missing:?}");
}
