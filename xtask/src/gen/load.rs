//! Reads what `spec/` holds: the newest server record and the overlay files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The newest server record under `spec/server`.
pub(super) fn load_server(dir: &Path) -> Result<(String, Value), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort_by_key(|p| version_key(&p.file_stem().unwrap_or_default().to_string_lossy()));
    let path = files.pop().ok_or("spec/server holds no record: run `cargo xtask import`")?;
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    Ok((name, read_json(&path)?))
}

fn version_key(stem: &str) -> Vec<u32> {
    stem.rsplit('-').next().unwrap_or("").split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Overlay files keyed by the server group they describe.
pub(super) fn load_overlays(dir: &Path) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let v = read_json(&path)?;
            let group = v["group"]
                .as_str()
                .ok_or_else(|| format!("{}: missing \"group\"", path.display()))?
                .to_string();
            if out.insert(group.clone(), v).is_some() {
                return Err(format!("two overlay files describe group {group}"));
            }
        }
    }
    Ok(out)
}
