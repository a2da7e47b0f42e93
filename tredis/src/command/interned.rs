//! Command facts made at run time, for raw commands whose name the spec does not know: their
//! names and [`CommandInfo`]s are leaked once per distinct value and shared by every client of
//! the process, since requests carry `&'static CommandInfo`. What is leaked is bounded by the
//! distinct command names used and the key positions learned or marked for them, not by the
//! number of requests.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use super::{BeginSearch, CommandInfo, FindKeys, Flags, KeySpec};

/// Every interned name, with the facts made for it.
static INTERNED: OnceLock<RwLock<HashMap<&'static str, Vec<&'static CommandInfo>>>> = OnceLock::new();

fn table() -> &'static RwLock<HashMap<&'static str, Vec<&'static CommandInfo>>> {
    INTERNED.get_or_init(Default::default)
}

/// `name` as a `&'static str`, the same one for every equal name.
pub(crate) fn name(name: &str) -> &'static str {
    if let Some((k, _)) = table().read().unwrap_or_else(|e| e.into_inner()).get_key_value(name) {
        return k;
    }
    let mut t = table().write().unwrap_or_else(|e| e.into_inner());
    if let Some((k, _)) = t.get_key_value(name) {
        return k;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    t.insert(leaked, Vec::new());
    leaked
}

/// The facts of a command unknown to the spec: no flags, so it is treated as a write that is
/// never sent again once written (unless marked idempotent) and never read from a replica;
/// no tips; `key_specs` where its keys are. `name` must come from [`name`].
pub(crate) fn info(name: &'static str, key_specs: &[KeySpec]) -> &'static CommandInfo {
    let find = |infos: &Vec<&'static CommandInfo>| infos.iter().copied().find(|i| i.key_specs == key_specs);
    if let Some(info) = table().read().unwrap_or_else(|e| e.into_inner()).get(name).and_then(find) {
        return info;
    }
    let mut t = table().write().unwrap_or_else(|e| e.into_inner());
    let infos = t.entry(name).or_default();
    if let Some(info) = find(infos) {
        return info;
    }
    let key_specs: &'static [KeySpec] = Box::leak(key_specs.to_vec().into_boxed_slice());
    let info: &'static CommandInfo =
        Box::leak(Box::new(CommandInfo { name, flags: Flags::NONE, key_specs, tips: &[] }));
    infos.push(info);
    info
}

/// The key spec of one key at argument `index` (1 is the first argument after the name).
pub(crate) fn key_at(index: u32) -> KeySpec {
    KeySpec { begin: BeginSearch::Index(index), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_leaked_once() {
        let a = name("TREDIS.TEST");
        assert!(std::ptr::eq(a, name(&String::from("TREDIS.TEST"))));
        let one = info(a, &[key_at(1)]);
        assert!(std::ptr::eq(one, info(a, &[key_at(1)])));
        assert!(!std::ptr::eq(one, info(a, &[key_at(2)])));
        assert!(std::ptr::eq(info(a, &[]), info(a, &[])));
        assert_eq!(one.name, "TREDIS.TEST");
        assert_eq!(one.flags, Flags::NONE);
        assert!(!one.reads_only());
    }
}
