//! Reads what `spec/` holds: the server records and the overlay files, as `(file name, text)`.

use std::path::Path;

/// Every `.json` file of `dir`, sorted by name.
pub(super) fn json_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            out.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), text));
        }
    }
    out.sort();
    Ok(out)
}
