//! Follows every link of tredis's rendered docs (`target/doc/tredis`), as part of
//! `cargo xtask test`.
//!
//! - An intra-doc link rustdoc could not resolve stays in the page as a raw `href="Self::..."`
//!   (rustdoc does not report those in the expansion of another crate's macro, where every
//!   command's docs come from).
//! - Every other local link must reach a page that exists, and its `#fragment` an element of
//!   that page with that id.
//! - A link to a command's option (`#option-nx`) must land on that command's own request type:
//!   in a group trait's page, each method's links go to its own command's options; on `Req`'s
//!   page, each setter's links go to the options of the command it belongs to.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// tracing's blanket impls (`Instrument`, `WithSubscriber`) render these on every type.
const FOREIGN: &[&str] = &[
    "crate::Span",
    "super::Span::current()",
    "super::Subscriber",
    "dispatcher#setting-the-default-subscriber",
];

/// Checks the rendered docs; fails with every broken link.
pub fn check(root: &Path) -> Result<(), String> {
    let doc = root.join("target/doc");
    let mut pages = Vec::new();
    collect(&doc.join("tredis"), &mut pages)?;
    let types = request_types(root)?;
    let mut ids: HashMap<PathBuf, Option<BTreeSet<String>>> = HashMap::new();
    let mut broken = BTreeSet::new();
    let mut followed = 0usize;
    for page in &pages {
        let text = std::fs::read_to_string(page).map_err(|e| format!("{}: {e}", page.display()))?;
        let name = page.strip_prefix(&doc).unwrap_or(page).display().to_string();
        for href in hrefs(&text) {
            if href.starts_with("http:") || href.starts_with("https:") || href.contains("${") {
                continue;
            }
            if ["Self::", "crate::", "super::"].iter().any(|p| href.starts_with(p)) {
                if !FOREIGN.contains(&href) {
                    broken.insert(format!("{href} (unresolved, in {name})"));
                }
                continue;
            }
            if FOREIGN.contains(&href) {
                continue;
            }
            followed += 1;
            let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
            let target =
                if path.is_empty() { page.clone() } else { normalize(&page.parent().unwrap().join(path)) };
            if !target.exists() {
                broken.insert(format!("{href} (no such page, in {name})"));
                continue;
            }
            // Source pages number their lines with script, not ids.
            let in_source = target.strip_prefix(&doc).is_ok_and(|p| p.starts_with("src"));
            if fragment.is_empty() || in_source || target.is_dir() {
                continue;
            }
            let known = ids
                .entry(target.clone())
                .or_insert_with(|| std::fs::read_to_string(&target).ok().map(|t| element_ids(&t)));
            if known.as_ref().is_some_and(|known| !known.contains(fragment)) {
                broken.insert(format!("{href} (no #{fragment} there, in {name})"));
            }
        }
        check_option_owners(page, &text, &types, &mut broken);
    }
    if broken.is_empty() {
        eprintln!("xtask: {followed} links of the rendered docs followed, none broken");
        return Ok(());
    }
    let n = broken.len();
    let list: Vec<String> = broken.into_iter().take(40).collect();
    Err(format!("{n} broken links in the rendered docs:\n  {}", list.join("\n  ")))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    Ok(())
}

fn hrefs(page: &str) -> impl Iterator<Item = &str> {
    page.match_indices("href=\"").map(move |(at, _)| page[at + 6..].split('"').next().unwrap_or_default())
}

fn element_ids(page: &str) -> BTreeSet<String> {
    page.match_indices(" id=\"")
        .map(|(at, _)| page[at + 5..].split('"').next().unwrap_or_default().to_string())
        .collect()
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Method name to its request type, and command name to its request types, from
/// `commands.json`.
struct Types {
    by_method: BTreeMap<String, String>,
    by_command: BTreeMap<String, BTreeSet<String>>,
}

fn request_types(root: &Path) -> Result<Types, String> {
    let text = std::fs::read_to_string(root.join("commands.json")).map_err(|e| e.to_string())?;
    let spec: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut types = Types { by_method: BTreeMap::new(), by_command: BTreeMap::new() };
    for c in spec["commands"].as_array().into_iter().flatten().filter(|c| c["status"] == "supported") {
        let rust = c["rust"].as_str().unwrap_or_default().to_string();
        let ty = c["type"].as_str().map(str::to_string).unwrap_or_else(|| camel(&rust));
        types
            .by_command
            .entry(c["name"].as_str().unwrap_or_default().to_string())
            .or_default()
            .insert(ty.clone());
        types.by_method.insert(rust, ty);
    }
    Ok(types)
}

fn camel(snake: &str) -> String {
    snake.split('_').filter(|p| !p.is_empty()).map(|p| p[..1].to_uppercase() + &p[1..]).collect()
}

/// The request type an option link leads to: `struct.Set.html#option-nx` gives `Set`.
fn option_target(href: &str) -> Option<&str> {
    let (path, fragment) = href.split_once('#')?;
    if !fragment.starts_with("option-") {
        return None;
    }
    path.rsplit('/').next()?.strip_prefix("struct.")?.strip_suffix(".html")
}

/// In a group trait's page, a method's sections start at `id="tymethod.<name>"`; on `Req`'s
/// page, a setter's at `id="method.<name>"` and its docs name the command ("Option of `SET`").
fn check_option_owners(page: &Path, text: &str, types: &Types, broken: &mut BTreeSet<String>) {
    let file = page.file_name().unwrap_or_default().to_string_lossy();
    let is_trait = file.starts_with("trait.") && file.ends_with("Commands.html");
    let is_req = file == "struct.Req.html";
    if !is_trait && !is_req {
        return;
    }
    let marker = if is_trait { " id=\"tymethod." } else { " id=\"method." };
    let starts: Vec<usize> = text.match_indices(marker).map(|(at, _)| at).collect();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let section = &text[start..end];
        let name = section[marker.len()..].split('"').next().unwrap_or_default();
        let owners: BTreeSet<String> = if is_trait {
            types.by_method.get(name).into_iter().cloned().collect()
        } else {
            match section.split("Option of <code>").nth(1).and_then(|s| s.split("</code>").next()) {
                Some(cmd) => types.by_command.get(cmd).cloned().unwrap_or_default(),
                None => continue,
            }
        };
        for href in hrefs(section) {
            if let Some(target) = option_target(href) {
                if !owners.contains(target) {
                    broken.insert(format!("{href} (an option of another command, from {name} in {file})"));
                }
            }
        }
    }
}
