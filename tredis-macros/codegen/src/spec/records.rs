//! The `records` of `commands.json`: structs read from a map reply (or a RESP2 flat array)
//! field by field, each field a wire name with a reply expression.

use serde_json::Value;

use super::reply::{self, ReplyExpr};
use crate::ctxt::Ctxt;

/// A record decoded from a map reply (`XINFO STREAM`'s `StreamInfo`).
#[derive(Debug, Clone)]
pub struct MapRecord {
    /// JSON path, for errors.
    pub path: String,
    /// The Rust type name.
    pub name: String,
    /// The struct's doc.
    pub doc: String,
    /// Its fields, in the order of the struct.
    pub fields: Vec<RecordField>,
}

/// One field of a [`MapRecord`].
#[derive(Debug, Clone)]
pub struct RecordField {
    /// JSON path, for errors.
    pub path: String,
    /// The name the server sends (`radix-tree-keys`).
    pub wire: String,
    /// The Rust field name.
    pub rust: String,
    /// How the value decodes; its output is the field's type.
    pub reply: ReplyExpr,
    /// The field's doc.
    pub doc: String,
}

/// Parses the `records` array; a record with a broken field is reported and left out.
pub fn parse(v: &Value, cx: &Ctxt) -> Vec<MapRecord> {
    let mut out = Vec::new();
    for (i, r) in v.as_array().map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
        let path = format!("records[{i}]");
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut fields = Vec::new();
        let mut broken = false;
        for (j, f) in r["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
            let fpath = format!("{path}.fields[{j}]");
            match f["reply"].as_str().map(reply::parse) {
                Some(Ok(reply)) => fields.push(RecordField {
                    path: fpath,
                    wire: text(&f["name"]),
                    rust: text(&f["rust"]),
                    reply,
                    doc: text(&f["doc"]),
                }),
                Some(Err(e)) => {
                    cx.error(None, format!("{fpath}.reply"), e);
                    broken = true;
                }
                None => {
                    cx.error(None, format!("{fpath}.reply"), "missing reply expression");
                    broken = true;
                }
            }
        }
        if !broken {
            out.push(MapRecord { path, name: text(&r["name"]), doc: text(&r["doc"]), fields });
        }
    }
    out
}
