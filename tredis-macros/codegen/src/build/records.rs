//! The records overlay (`spec/overlay/records.json`): structs read from a map reply, field by
//! field, into the `records` of `commands.json`.
//!
//! Unlike the group overlays it names no server command: a record is what a reply expression
//! names with `@`, and its fields are the wire names the servers send.

use serde_json::{json, Value};

use super::overlay::check_keys;
use crate::names::snake;

/// The `records` of `commands.json`, sorted by name, from the overlay's `records` object.
/// Every mistake is reported, not the first.
pub fn resolve(overlay: &Value) -> Result<Vec<Value>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let Some(records) = overlay["records"].as_object() else {
        return Err(vec!["overlay records: \"records\" must be an object".into()]);
    };
    for (name, r) in records {
        match record(name, r) {
            Ok(v) => out.push(v),
            Err(e) => errors.push(format!("overlay records: {name}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn record(name: &str, r: &Value) -> Result<Value, String> {
    check_keys(r, &["doc", "fields"], "record")?;
    let doc = r["doc"].as_str().ok_or("a record needs a \"doc\"")?;
    let fields = r["fields"].as_array().ok_or("a record needs \"fields\", an array")?;
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| {
            check_keys(f, &["name", "rust", "reply", "doc"], "record field")?;
            let wire = f["name"].as_str().ok_or("a field needs a \"name\": the wire name")?;
            let at = |e: String| format!("{wire}: {e}");
            let reply = f["reply"].as_str().ok_or_else(|| at("a field needs a \"reply\"".into()))?;
            crate::spec::reply::parse(reply).map_err(at)?;
            let doc = f["doc"].as_str().ok_or_else(|| at("a field needs a \"doc\"".into()))?;
            let rust = f["rust"].as_str().map_or_else(|| snake(wire), str::to_string);
            Ok(json!({ "name": wire, "rust": rust, "reply": reply, "doc": doc }))
        })
        .collect::<Result<_, String>>()?;
    Ok(json!({ "name": name, "doc": doc, "fields": fields }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_get_their_rust_names() {
        let ov = json!({ "records": { "Info": { "doc": "INFO.", "fields": [
            { "name": "radix-tree-keys", "reply": "uint", "doc": "Keys." },
            { "name": "peak.allocated", "rust": "peak", "reply": "uint?", "doc": "Peak." }
        ] } } });
        let r = resolve(&ov).unwrap();
        assert_eq!(r[0]["fields"][0]["rust"], "radix_tree_keys");
        assert_eq!(r[0]["fields"][1]["rust"], "peak");
    }

    #[test]
    fn mistakes_name_record_and_field() {
        let ov = json!({ "records": {
            "A": { "doc": "A.", "fields": [{ "name": "x", "reply": "uintt", "doc": "X." }] },
            "B": { "doc": "B.", "fields": [], "typo": 1 },
        } });
        let e = resolve(&ov).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("overlay records: A: x: reply `uintt`"), "{e:?}");
        assert!(e[1].contains("B: unknown record field \"typo\""), "{e:?}");
    }
}
