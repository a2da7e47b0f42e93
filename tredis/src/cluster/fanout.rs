//! Commands that a cluster answers from several nodes, as the server's command tips say:
//! `request_policy:all_shards`/`all_nodes` (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD ...) go to every
//! primary (or every node), and `multi_shard` ones whose keys span slots (MGET, MSET, DEL,
//! EXISTS, TOUCH, UNLINK) are split by slot. The replies are merged as
//! `response_policy` says, or, without one, by concatenating arrays; MGET's values come back in
//! the caller's order.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::keys::Args;
use super::slots::slot;
use super::Cluster;
use crate::command::{CommandInfo, Encoded, FindKeys};
use crate::connection::{Answer, Pending};
use crate::deadline::Deadline;
use crate::pool::Pool;
use crate::resp::{bulk, Value};
use crate::retry::Delivery;
use crate::spans::Op;

/// Where a command's tips send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestPolicy {
    /// By its keys (or to any node).
    Keys,
    /// To every primary.
    AllShards,
    /// To every node, replicas included.
    AllNodes,
    /// Split by slot when its keys span slots.
    MultiShard,
    /// It needs the client's own handling (SCAN walks each primary in turn).
    Special,
}

pub(crate) fn request_policy(info: &CommandInfo) -> RequestPolicy {
    for tip in info.tips {
        match *tip {
            "request_policy:all_shards" => return RequestPolicy::AllShards,
            "request_policy:all_nodes" => return RequestPolicy::AllNodes,
            "request_policy:multi_shard" => return RequestPolicy::MultiShard,
            "request_policy:special" => return RequestPolicy::Special,
            _ => {}
        }
    }
    RequestPolicy::Keys
}

/// How replies from several nodes become one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponsePolicy {
    OneSucceeded,
    AllSucceeded,
    Sum,
    Min,
    Max,
    And,
    Or,
    /// Only the command knows (INFO, MEMORY STATS ...): such commands run on one node.
    Special,
    /// No tip: arrays are concatenated, other replies are taken from the first node.
    Default,
}

fn response_policy(info: &CommandInfo) -> ResponsePolicy {
    for tip in info.tips {
        if let Some(p) = tip.strip_prefix("response_policy:") {
            return match p {
                "one_succeeded" => ResponsePolicy::OneSucceeded,
                "all_succeeded" => ResponsePolicy::AllSucceeded,
                "agg_sum" => ResponsePolicy::Sum,
                "agg_min" => ResponsePolicy::Min,
                "agg_max" => ResponsePolicy::Max,
                "agg_logical_and" => ResponsePolicy::And,
                "agg_logical_or" => ResponsePolicy::Or,
                _ => ResponsePolicy::Special,
            };
        }
    }
    ResponsePolicy::Default
}

/// Whether a fan-out command is answered by one node instead, its replies being impossible to
/// merge in general (`response_policy:special`: INFO, MEMORY STATS, LATENCY ...).
pub(crate) fn one_node_suffices(info: &CommandInfo) -> bool {
    response_policy(info) == ResponsePolicy::Special
}

/// Sends `request` to every node of `nodes` and merges their replies.
pub(crate) fn broadcast(
    cluster: &Arc<Cluster>,
    nodes: Vec<Arc<Pool>>,
    request: Encoded,
    info: &'static CommandInfo,
    deadline: Option<Deadline>,
) -> Pending {
    let parts = nodes.iter().map(|n| n.submit(request.clone(), info, deadline)).collect();
    gather(cluster, parts, info, deadline, move |values| merge(response_policy(info), values))
}

/// Splits a `multi_shard` request whose keys span slots into one request per slot.
pub(crate) fn split(
    cluster: &Arc<Cluster>,
    request: &Encoded,
    info: &'static CommandInfo,
    deadline: Option<Deadline>,
) -> Option<Pending> {
    // All or nothing (MSETNX): split, it could do some.
    if info.flags.contains(crate::command::Flags::NEVER_SPLIT) {
        return None;
    }
    let [spec] = info.key_specs else { return None };
    let (crate::command::BeginSearch::Index(first), FindKeys::Range { last: -1, step, .. }) =
        (spec.begin, spec.find)
    else {
        return None;
    };
    let args: Vec<&[u8]> = Args::of(request.as_bytes())?.iter().collect();
    let (first, step) = (first as usize, step.max(1) as usize);
    if first >= args.len() || (args.len() - first) % step != 0 {
        return None;
    }
    // Key groups (a key and its values) by slot, in the order the slots first appear.
    let mut by_slot: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    let mut order = Vec::new();
    for (g, at) in (first..args.len()).step_by(step).enumerate() {
        let s = slot(args[at]);
        by_slot.entry(s).or_insert_with(|| {
            order.push(s);
            Vec::new()
        });
        by_slot.get_mut(&s).expect("inserted").push(g);
    }
    let topology = cluster.topology();
    let mut parts = Vec::new();
    let mut groups_of_part = Vec::new();
    for s in &order {
        let groups = &by_slot[s];
        let mut buf = format!("*{}\r\n", first + groups.len() * step).into_bytes();
        for a in &args[..first] {
            bulk(&mut buf, a);
        }
        for &g in groups {
            for a in &args[first + g * step..first + (g + 1) * step] {
                bulk(&mut buf, a);
            }
        }
        let sub = Encoded::concat(buf);
        let node = topology.shard(*s).map_or_else(|| topology.any_primary(usize::from(*s)), |sh| &sh.primary);
        parts.push(node.submit(sub, info, deadline));
        groups_of_part.push(groups.clone());
    }
    let total = (args.len() - first) / step;
    let policy = response_policy(info);
    Some(gather(cluster, parts, info, deadline, move |values| {
        if policy != ResponsePolicy::Default {
            return merge(policy, values);
        }
        // MGET: each part's values go back to the places of its keys.
        let mut out = vec![Value::Null; total];
        for (value, groups) in values.into_iter().zip(&groups_of_part) {
            match value {
                Value::Array(items) if items.len() == groups.len() => {
                    for (item, &g) in items.into_iter().zip(groups) {
                        out[g] = item;
                    }
                }
                other => return other,
            }
        }
        Value::Array(out)
    }))
}

/// Waits for every part, following redirections, and answers with the merged reply.
fn gather(
    cluster: &Arc<Cluster>,
    parts: Vec<Pending>,
    info: &'static CommandInfo,
    deadline: Option<Deadline>,
    merge: impl FnOnce(Vec<Value>) -> Value + Send + 'static,
) -> Pending {
    let (tx, rx) = oneshot::channel();
    let cluster = cluster.clone();
    // The parts are followed inside the request's span, so that their redirections are its.
    tokio::spawn(crate::spans::follow(async move {
        let mut values = Vec::with_capacity(parts.len());
        let mut failure = None;
        // Each part ends as a single command would: redirections followed, what provably did
        // not run sent again.
        for pending in parts {
            match Delivery::of(&cluster, pending, info, false, deadline, Op::none()).await {
                Ok(v) => values.push(v),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        let result = match failure {
            Some(e) => Err(e),
            None => Ok(merge(values)),
        };
        let _ = tx.send(Answer { result, request: None });
    }));
    Pending::waiting(rx)
}

/// One reply from several, by policy. A server error of any node wins, except where one
/// success is enough.
fn merge(policy: ResponsePolicy, values: Vec<Value>) -> Value {
    let first_error = values.iter().find(|v| v.as_error().is_some()).cloned();
    if policy == ResponsePolicy::OneSucceeded {
        return values
            .iter()
            .find(|v| v.as_error().is_none())
            .cloned()
            .or(first_error)
            .unwrap_or(Value::Null);
    }
    if let Some(e) = first_error {
        return e;
    }
    match policy {
        ResponsePolicy::Sum => numeric(values, |a, b| a + b),
        ResponsePolicy::Min => numeric(values, i64::min),
        ResponsePolicy::Max => numeric(values, i64::max),
        ResponsePolicy::And | ResponsePolicy::Or => logical(policy == ResponsePolicy::And, values),
        ResponsePolicy::Default if values.iter().all(|v| matches!(v, Value::Array(_))) => Value::Array(
            values.into_iter().flat_map(|v| if let Value::Array(a) = v { a } else { Vec::new() }).collect(),
        ),
        // RANDOMKEY: any node's key will do, but not a nil while another node has keys.
        ResponsePolicy::Default => {
            values.iter().find(|v| !matches!(v, Value::Null)).cloned().unwrap_or(Value::Null)
        }
        _ => values.into_iter().next().unwrap_or(Value::Null),
    }
}

/// Integer replies combined by `f`, element-wise for arrays of integers (WAITAOF's two counts).
fn numeric(values: Vec<Value>, f: fn(i64, i64) -> i64) -> Value {
    let mut it = values.into_iter();
    let Some(first) = it.next() else { return Value::Int(0) };
    let int = |v: &Value| if let Value::Int(n) = v { Some(*n) } else { None };
    match first {
        Value::Array(items) => {
            let mut acc: Vec<Option<i64>> = items.iter().map(int).collect();
            for v in it {
                if let Value::Array(other) = v {
                    for (a, b) in acc.iter_mut().zip(other.iter()) {
                        *a = a.zip(int(b)).map(|(a, b)| f(a, b));
                    }
                }
            }
            Value::Array(acc.into_iter().map(|n| n.map_or(Value::Null, Value::Int)).collect())
        }
        v => Value::Int(std::iter::once(v).chain(it).filter_map(|v| int(&v)).reduce(f).unwrap_or(0)),
    }
}

/// Logical AND/OR of integer replies, element-wise for arrays (SCRIPT EXISTS).
fn logical(and: bool, values: Vec<Value>) -> Value {
    let truth = |v: &Value| matches!(v, Value::Int(n) if *n != 0) || matches!(v, Value::Bool(true));
    let combine = |a: bool, b: bool| if and { a && b } else { a || b };
    let mut it = values.into_iter();
    let Some(first) = it.next() else { return Value::Null };
    match first {
        Value::Array(items) => {
            let mut acc: Vec<bool> = items.iter().map(truth).collect();
            for v in it {
                if let Value::Array(other) = v {
                    for (a, b) in acc.iter_mut().zip(other.iter()) {
                        *a = combine(*a, truth(b));
                    }
                }
            }
            Value::Array(acc.into_iter().map(|b| Value::Int(i64::from(b))).collect())
        }
        v => Value::Int(i64::from(it.fold(truth(&v), |acc, v| combine(acc, truth(&v))))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges() {
        let ints = |v: &[i64]| v.iter().map(|n| Value::Int(*n)).collect::<Vec<_>>();
        assert_eq!(merge(ResponsePolicy::Sum, ints(&[1, 2, 3])), Value::Int(6));
        assert_eq!(merge(ResponsePolicy::Min, ints(&[4, 2, 3])), Value::Int(2));
        assert_eq!(merge(ResponsePolicy::Max, ints(&[4, 2, 3])), Value::Int(4));
        // WAITAOF: the smallest of each count.
        let counts = vec![Value::Array(ints(&[1, 2])), Value::Array(ints(&[0, 3]))];
        assert_eq!(merge(ResponsePolicy::Min, counts), Value::Array(ints(&[0, 2])));
        assert_eq!(merge(ResponsePolicy::And, ints(&[1, 1, 0])), Value::Int(0));
        assert_eq!(merge(ResponsePolicy::Or, ints(&[0, 1, 0])), Value::Int(1));
        let arrays = vec![Value::Array(ints(&[1, 0])), Value::Array(ints(&[1, 1]))];
        assert_eq!(merge(ResponsePolicy::And, arrays.clone()), Value::Array(ints(&[1, 0])));
        assert_eq!(merge(ResponsePolicy::Default, arrays), Value::Array(ints(&[1, 0, 1, 1])));
        let err = Value::Error(bytes::Bytes::from_static(b"ERR no"));
        assert_eq!(merge(ResponsePolicy::AllSucceeded, vec![Value::Int(1), err.clone()]), err);
        assert_eq!(merge(ResponsePolicy::OneSucceeded, vec![err.clone(), Value::Int(1)]), Value::Int(1));
        assert_eq!(merge(ResponsePolicy::Default, vec![Value::Null, Value::Int(7)]), Value::Int(7));
    }
}
