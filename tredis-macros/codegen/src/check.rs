//! Cross-cutting validation of a parsed spec: names that must be unique across commands and
//! groups that must exist. Shape problems of single commands are found while expanding them.

use std::collections::BTreeMap;

use crate::ctxt::Ctxt;
use crate::spec::Spec;

/// Records every cross-cutting problem of `spec` in `cx`.
pub fn spec(spec: &Spec, cx: &Ctxt) {
    let mut methods: BTreeMap<&str, &str> = BTreeMap::new();
    let mut types: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &spec.commands {
        if !spec.groups.iter().any(|g| g.id == c.group) {
            cx.error(
                Some(&c.name),
                format!("{}.group", c.path),
                format!("group `{}` is not declared", c.group),
            );
        }
        if let Some(on) = c.on.as_deref().filter(|o| !["transaction", "subscriber"].contains(o)) {
            cx.error(
                Some(&c.name),
                format!("{}.on", c.path),
                format!("unknown target `{on}`; only `transaction` and `subscriber` are known"),
            );
        }
        if let Some(other) = methods.insert(&c.rust, &c.name) {
            cx.error(
                Some(&c.name),
                format!("{}.rust", c.path),
                format!("method `{}` is also the method of {other}", c.rust),
            );
        }
        if let Some(other) = types.insert(&c.type_name, &c.name) {
            cx.error(
                Some(&c.name),
                format!("{}.type", c.path),
                format!("type `{}` is also the type of {other}", c.type_name),
            );
        }
    }
}
