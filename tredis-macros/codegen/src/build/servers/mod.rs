//! Merges the records of several servers into one list of commands.
//!
//! The base record (Redis's) gives every command it has its shape: the overlays name its
//! arguments. Each other record (Valkey's) then adds the commands only it has, marks the base
//! arguments it lacks, and adds the arguments only it has, each next to its neighbour on that
//! server.
//!
//! Arguments are compared by their tokens, which are what goes on the wire, never by their
//! names: servers rename arguments freely (Valkey's SET `comparison-value` where Redis has
//! none; its `data` where Redis says `field_value`) and regroup them (XINFO STREAM's `COUNT`
//! is inside `FULL` on Redis 7.0 and beside it on Valkey). A token is found by its path of
//! tokens (`TYPE PRIMARY` of CLIENT KILL), or by the token alone when it occurs once on both
//! servers. An argument without a token is a value: it is in every server that has what holds
//! it. So an argument a server renamed is not taken for a new one, while a new token is.

use std::collections::BTreeMap;

use super::record::{RecArg, RecCommand, Record, Servers};

/// Every command of every record; `records[0]` is the base.
pub fn merge(records: Vec<Record>) -> Vec<RecCommand> {
    let mut records = records.into_iter();
    let Some(base) = records.next() else {
        return Vec::new();
    };
    let mut out = base.commands;
    for other in records {
        let at: BTreeMap<String, usize> = out.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
        let mut added = Vec::new();
        for cmd in other.commands {
            match at.get(&cmd.name) {
                Some(&i) => merge_command(&mut out[i], cmd, &other.server),
                None => added.push(cmd),
            }
        }
        out.extend(added);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `Valkey` for `valkey`.
pub fn display_name(server: &str) -> String {
    match server {
        "redis" => "Redis".into(),
        "valkey" => "Valkey".into(),
        other => other.to_string(),
    }
}

fn merge_command(base: &mut RecCommand, other: RecCommand, server: &str) {
    let before = base.servers.clone();
    let since = other.since.clone().unwrap_or_default();
    base.servers.insert(server.to_string(), since.clone());
    for (version, change) in &other.history {
        if !base.history.iter().any(|(_, c)| c == change) {
            base.history.push((format!("{} {version}", display_name(server)), change.clone()));
        }
    }
    let theirs = Tokens::of(&other.args);
    let ours = Tokens::of(&base.args);
    for arg in &mut base.args {
        mark_absent(arg, &[], true, &ours, &theirs, &before);
    }
    add_new(&mut base.args, &other.args, &[], false, &theirs, server, &other.history);
}

/// The token paths of a command's arguments, and how often each token occurs.
struct Tokens {
    paths: Vec<Vec<String>>,
    count: BTreeMap<String, usize>,
}

impl Tokens {
    fn of(args: &[RecArg]) -> Tokens {
        fn walk(args: &[RecArg], path: &[String], t: &mut Tokens) {
            for a in args {
                let mut p = path.to_vec();
                if let Some(tok) = &a.token {
                    p.push(tok.clone());
                    *t.count.entry(tok.clone()).or_default() += 1;
                    t.paths.push(p.clone());
                }
                walk(&a.args, &p, t);
            }
        }
        let mut t = Tokens { paths: Vec::new(), count: BTreeMap::new() };
        walk(args, &[], &mut t);
        t
    }

    /// Whether `path`, a token path of the command on the server `ours` describes, is on this one.
    fn has(&self, path: &[String], ours: &Tokens) -> bool {
        let Some(last) = path.last() else { return false };
        self.paths.iter().any(|p| p == path)
            || (ours.count.get(last) == Some(&1) && self.count.get(last) == Some(&1))
    }
}

fn has_token(a: &RecArg) -> bool {
    a.token.is_some() || a.args.iter().any(has_token)
}

/// Whether the other server has `a`, held by something it has iff `parent_present`.
fn present(a: &RecArg, path: &[String], parent_present: bool, ours: &Tokens, theirs: &Tokens) -> bool {
    match &a.token {
        Some(t) => {
            let mut p = path.to_vec();
            p.push(t.clone());
            parent_present && theirs.has(&p, ours)
        }
        None if a.args.iter().any(has_token) => {
            a.args.iter().any(|c| present(c, path, parent_present, ours, theirs))
        }
        None => parent_present,
    }
}

/// Marks the topmost arguments the other server lacks with the servers that have them.
fn mark_absent(
    a: &mut RecArg,
    path: &[String],
    parent_present: bool,
    ours: &Tokens,
    theirs: &Tokens,
    before: &Servers,
) {
    if a.servers.is_some() {
        return;
    }
    if !present(a, path, parent_present, ours, theirs) {
        let since = |s: &String| a.since.clone().unwrap_or_else(|| s.clone());
        a.servers = Some(before.iter().map(|(server, s)| (server.clone(), since(s))).collect());
        return;
    }
    let mut p = path.to_vec();
    p.extend(a.token.clone());
    for child in &mut a.args {
        mark_absent(child, &p, true, ours, theirs, before);
    }
}

/// The index path of the base argument that matches the token path `path`.
fn find(base: &[RecArg], path: &[String], theirs: &Tokens) -> Option<Vec<usize>> {
    fn dfs(
        args: &[RecArg],
        path: &[String],
        at: &mut Vec<usize>,
        want: &dyn Fn(&[String], &RecArg) -> bool,
    ) -> bool {
        for (i, a) in args.iter().enumerate() {
            at.push(i);
            let mut p = path.to_vec();
            p.extend(a.token.clone());
            if (a.token.is_some() && want(&p, a)) || dfs(&a.args, &p, at, want) {
                return true;
            }
            at.pop();
        }
        false
    }
    let mut at = Vec::new();
    if dfs(base, &[], &mut at, &|p, _| p == path) {
        return Some(at);
    }
    let last = path.last()?;
    let ours = Tokens::of(base);
    if ours.count.get(last) == Some(&1) && theirs.count.get(last) == Some(&1) {
        at.clear();
        if dfs(base, &[], &mut at, &|_, a| a.token.as_ref() == Some(last)) {
            return Some(at);
        }
    }
    None
}

/// Whether the base has a value (an argument with no token in it) named `name` among the
/// children of the argument at token path `path` (the top level when empty).
fn value_named(base: &mut Vec<RecArg>, path: &[String], name: &str, theirs: &Tokens) -> bool {
    let parent = if path.is_empty() { Some(Vec::new()) } else { find(base, path, theirs) };
    parent.is_some_and(|at| list_at(base, &at).iter().any(|a| !has_token(a) && a.name == name))
}

fn at_arg<'a>(base: &'a mut Vec<RecArg>, at: &[usize]) -> &'a RecArg {
    let (last, parent) = at.split_last().expect("a found argument has a path");
    &list_at(base, parent)[*last]
}

fn list_at<'a>(base: &'a mut Vec<RecArg>, parent: &[usize]) -> &'a mut Vec<RecArg> {
    parent.iter().fold(base, |list, &i| &mut list[i].args)
}

fn is_oneof_list(base: &[RecArg], parent: &[usize]) -> bool {
    let mut list = base;
    let mut typ = "";
    for &i in parent {
        typ = &list[i].typ;
        list = &list[i].args;
    }
    typ == "oneof"
}

/// Adds the arguments of `theirs_list` (under the token path `path`) that the base lacks.
fn add_new(
    base: &mut Vec<RecArg>,
    theirs_list: &[RecArg],
    path: &[String],
    in_oneof: bool,
    theirs: &Tokens,
    server: &str,
    history: &[(String, String)],
) {
    for (i, o) in theirs_list.iter().enumerate() {
        let mut p = path.to_vec();
        p.extend(o.token.clone());
        let known = match &o.token {
            // Where the base takes a value, the other server's variants spell that value
            // (CLIENT KILL's `SKIPME yes/no`, a oneof of YES and NO on Valkey): not compared.
            Some(_) => match find(base, &p, theirs) {
                Some(at) if at_arg(base, &at).args.is_empty() => continue,
                found => found.is_some(),
            },
            // A group with the name of a value the base has there is that value (BITOP's
            // `operation`: a string on Redis 7.0, a oneof of its tokens on Valkey: the same
            // words on the wire).
            None if has_token(o) && value_named(base, path, &o.name, theirs) => continue,
            // A group without a token is known when any token inside it is.
            None if has_token(o) => Tokens::of(&o.args).paths.iter().any(|sub| {
                let mut full = path.to_vec();
                full.extend(sub.iter().cloned());
                find(base, &full, theirs).is_some()
            }),
            None => continue,
        };
        if known {
            add_new(base, &o.args, &p, o.typ == "oneof", theirs, server, history);
            continue;
        }
        let mut new = o.clone();
        let since = o.since.clone().or_else(|| added_in(history, o)).unwrap_or_default();
        new.servers = Some([(server.to_string(), since)].into());
        insert(base, theirs_list, i, path, in_oneof, new, theirs);
    }
}

/// The version whose history entry names the argument's token ("Added the `NOVALUES` option"),
/// for an argument whose docs give no version: better no version than the command's.
fn added_in(history: &[(String, String)], a: &RecArg) -> Option<String> {
    let token = a.token.as_deref()?;
    history
        .iter()
        .find(|(_, change)| change.contains(&format!("`{token}`")) || change.contains(&format!(" {token} ")))
        .map(|(v, _)| v.clone())
}

/// Puts `new`, the `i`th of `siblings` on the other server, next to the base counterpart of its
/// nearest sibling (before, else after), else into its parent, else last.
fn insert(
    base: &mut Vec<RecArg>,
    siblings: &[RecArg],
    i: usize,
    path: &[String],
    in_oneof: bool,
    mut new: RecArg,
    theirs: &Tokens,
) {
    let counterpart = |base: &[RecArg], s: &RecArg| -> Option<Vec<usize>> {
        match &s.token {
            Some(t) => {
                let mut p = path.to_vec();
                p.push(t.clone());
                find(base, &p, theirs)
            }
            None if path.is_empty() => {
                base.iter().position(|b| b.name == s.name && b.token.is_none()).map(|i| vec![i])
            }
            None => None,
        }
    };
    let before = (0..i).rev().find_map(|j| counterpart(base, &siblings[j]).map(|at| (at, 1)));
    let after = || (i + 1..siblings.len()).find_map(|j| counterpart(base, &siblings[j]).map(|at| (at, 0)));
    let (parent, index) = match before.or_else(after) {
        Some((mut at, offset)) => {
            let index = at.pop().unwrap_or(0) + offset;
            (at, index)
        }
        None => match find(base, path, theirs) {
            Some(at) => {
                let len = list_at(base, &at).len();
                (at, len)
            }
            None => (Vec::new(), base.len()),
        },
    };
    // A variant of a oneof that lands among plain arguments can only be an option there.
    if in_oneof && !is_oneof_list(base, &parent) {
        new.optional = true;
    }
    list_at(base, &parent).insert(index, new);
}

#[cfg(test)]
mod tests;
