//! Every supported command of `commands.json` is called by some test. (`cargo xtask test`
//! also checks the servers' command statistics: each one really reached a server.)

use std::path::Path;

#[test]
fn every_supported_command_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("../commands.json")).unwrap()).unwrap();
    let mut sources = String::new();
    read_tests(&root.join("it"), &mut sources);
    let missing: Vec<String> = spec["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "supported")
        .filter_map(|c| c["rust"].as_str())
        .filter(|m| !sources.contains(&format!(".{m}(")))
        .map(str::to_string)
        .collect();
    assert!(missing.is_empty(), "supported commands without a test: {missing:?}");
}

/// Appends every test source under `dir`, subdirectories included, but this file and the
/// docs examples (which call every method, and are compiled, never run).
fn read_tests(dir: &Path, sources: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_tests(&path, sources);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !path.ends_with("coverage.rs")
            && !path.ends_with("examples.rs")
        {
            *sources += &std::fs::read_to_string(path).unwrap();
        }
    }
}
