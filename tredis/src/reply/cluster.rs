//! Cluster records: what CLUSTER INFO, NODES (and REPLICAS) and SLOTS tell. SHARDS and LINKS
//! reply with maps, whose records are generated (see `record`).
//!
//! INFO and NODES are text; a line that cannot be read fails the reply with that line quoted,
//! and fields a newer server adds are kept rather than refused.

use super::{Any, Decode, DecodeError, Nullable, Pairs, Str, U16};
use crate::resp::Value;

/// CLUSTER INFO: the node's view of the cluster (the seed's `cluster_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterInfo {
    /// `ok` when the node serves queries, `fail` otherwise.
    pub state: String,
    /// Slots bound to some node.
    pub slots_assigned: u64,
    /// Slots whose node is reachable.
    pub slots_ok: u64,
    /// Slots whose node is suspected down (PFAIL).
    pub slots_pfail: u64,
    /// Slots whose node is down (FAIL).
    pub slots_fail: u64,
    /// Nodes known, including those in handshake.
    pub known_nodes: u64,
    /// Primaries serving at least one slot.
    pub size: u64,
    /// The cluster's greatest configuration epoch.
    pub current_epoch: u64,
    /// This node's configuration epoch.
    pub my_epoch: u64,
    /// Every other field (message counters and what newer servers add), in server order.
    pub extra: Vec<(String, String)>,
}

impl ClusterInfo {
    /// Whether the cluster state is `ok`.
    pub fn is_ok(&self) -> bool {
        self.state == "ok"
    }

    /// Parses the text of CLUSTER INFO.
    pub fn parse(text: &str) -> Result<ClusterInfo, DecodeError> {
        let mut info = ClusterInfo::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                return Err(DecodeError::new(format!("CLUSTER INFO line `{line}` is not `name:value`")));
            };
            let slot = match name {
                "cluster_state" => {
                    info.state = value.to_string();
                    continue;
                }
                "cluster_slots_assigned" => &mut info.slots_assigned,
                "cluster_slots_ok" => &mut info.slots_ok,
                "cluster_slots_pfail" => &mut info.slots_pfail,
                "cluster_slots_fail" => &mut info.slots_fail,
                "cluster_known_nodes" => &mut info.known_nodes,
                "cluster_size" => &mut info.size,
                "cluster_current_epoch" => &mut info.current_epoch,
                "cluster_my_epoch" => &mut info.my_epoch,
                _ => {
                    info.extra.push((name.to_string(), value.to_string()));
                    continue;
                }
            };
            *slot = value.parse().map_err(|_| {
                DecodeError::new(format!("CLUSTER INFO line `{line}`: the value is not a count"))
            })?;
        }
        Ok(info)
    }
}

impl Decode for ClusterInfo {
    type Output = ClusterInfo;
    fn decode(v: Value) -> Result<ClusterInfo, DecodeError> {
        ClusterInfo::parse(&Str::decode(v)?)
    }
}

/// One node as CLUSTER NODES (or REPLICAS) describes it: the seed's `ClusterNode`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterNode {
    /// The node ID (40 hex characters).
    pub id: String,
    /// Its IP address; empty while the node's address is unknown.
    pub ip: String,
    /// Its client port.
    pub port: u16,
    /// Its cluster bus port.
    pub cport: u16,
    /// Its announced hostname, when it has one (7.0).
    pub hostname: Option<String>,
    /// Flags: `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`,
    /// `nofailover`, `noflags`.
    pub flags: Vec<String>,
    /// The ID of its primary, for a replica.
    pub master: Option<String>,
    /// Unix time in milliseconds of the pending PING, 0 when none is pending.
    pub ping_sent: u64,
    /// Unix time in milliseconds of the last PONG received.
    pub pong_recv: u64,
    /// Its configuration epoch.
    pub config_epoch: u64,
    /// `connected` or `disconnected`: the state of the link to it on the cluster bus.
    pub link_state: String,
    /// The slot ranges it serves, both ends included.
    pub slots: Vec<(u16, u16)>,
    /// Slots this node is migrating away: `(slot, destination node ID)`.
    pub migrating: Vec<(u16, String)>,
    /// Slots this node is importing: `(slot, source node ID)`.
    pub importing: Vec<(u16, String)>,
    /// Auxiliary `name=value` fields of the address that newer servers add (`shard-id`).
    pub aux: Vec<(String, String)>,
}

impl ClusterNode {
    /// Whether this is the node that answered.
    pub fn is_myself(&self) -> bool {
        self.has_flag("myself")
    }

    /// Whether the node is a primary.
    pub fn is_primary(&self) -> bool {
        self.has_flag("master")
    }

    /// Whether the node is a replica.
    pub fn is_replica(&self) -> bool {
        self.has_flag("slave")
    }

    /// Whether the cluster agrees the node is down (`fail`; `fail?` is only suspected).
    pub fn is_failed(&self) -> bool {
        self.has_flag("fail")
    }

    /// Whether it carries `flag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// Parses one line of CLUSTER NODES:
    /// `<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch>
    /// <link-state> <slot> <slot> ...`.
    pub fn parse(line: &str) -> Result<ClusterNode, DecodeError> {
        let bad = |why: &str| DecodeError::new(format!("CLUSTER NODES line `{line}`: {why}"));
        let mut parts = line.split_ascii_whitespace();
        let mut next = |what: &str| parts.next().ok_or_else(|| bad(&format!("no {what}")));
        let id = next("node ID")?.to_string();
        let address = next("address")?;
        let flags = next("flags")?.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect();
        let master = Some(next("primary")?).filter(|m| *m != "-").map(str::to_string);
        let number =
            |s: &str, what: &str| s.parse::<u64>().map_err(|_| bad(&format!("{what} is not a number")));
        let ping_sent = number(next("ping time")?, "the ping time")?;
        let pong_recv = number(next("pong time")?, "the pong time")?;
        let config_epoch = number(next("config epoch")?, "the config epoch")?;
        let link_state = next("link state")?.to_string();
        let mut node = ClusterNode {
            id,
            flags,
            master,
            ping_sent,
            pong_recv,
            config_epoch,
            link_state,
            ..ClusterNode::default()
        };
        parse_address(address, &mut node).map_err(&bad)?;
        for slot in parts {
            parse_slot(slot, &mut node).map_err(|why| bad(&format!("slot `{slot}`: {why}")))?;
        }
        Ok(node)
    }
}

/// `ip:port@cport[,hostname[,name=value...]]`; the IP may be IPv6, so the port is after the
/// last colon.
fn parse_address(address: &str, node: &mut ClusterNode) -> Result<(), &'static str> {
    let mut parts = address.split(',');
    let endpoint = parts.next().unwrap_or_default();
    let (addr, cport) = endpoint.split_once('@').ok_or("the address has no `@cport`")?;
    let (ip, port) = addr.rsplit_once(':').ok_or("the address has no port")?;
    node.ip = ip.to_string();
    node.port = port.parse().map_err(|_| "the port is not a number")?;
    node.cport = cport.parse().map_err(|_| "the cluster bus port is not a number")?;
    if let Some(hostname) = parts.next() {
        node.hostname = Some(hostname.to_string()).filter(|h| !h.is_empty());
    }
    for aux in parts {
        let (k, v) = aux.split_once('=').unwrap_or((aux, ""));
        node.aux.push((k.to_string(), v.to_string()));
    }
    Ok(())
}

/// `N`, `N-M`, `[N->-id]` (migrating) or `[N-<-id]` (importing).
fn parse_slot(slot: &str, node: &mut ClusterNode) -> Result<(), &'static str> {
    let number = |s: &str| s.parse::<u16>().map_err(|_| "not a slot number");
    if let Some(inner) = slot.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        if let Some((n, id)) = inner.split_once("->-") {
            node.migrating.push((number(n)?, id.to_string()));
        } else if let Some((n, id)) = inner.split_once("-<-") {
            node.importing.push((number(n)?, id.to_string()));
        } else {
            return Err("neither migrating nor importing");
        }
        return Ok(());
    }
    let (start, end) = slot.split_once('-').unwrap_or((slot, slot));
    node.slots.push((number(start)?, number(end)?));
    Ok(())
}

/// One node per line of text; CLUSTER REPLICAS sends one line per array item instead.
impl Decode for ClusterNode {
    type Output = ClusterNode;
    fn decode(v: Value) -> Result<ClusterNode, DecodeError> {
        ClusterNode::parse(Str::decode(v)?.trim())
    }
}

/// Decodes CLUSTER NODES: the text, one [`ClusterNode`] per line.
#[derive(Debug)]
pub struct ClusterNodes;

impl Decode for ClusterNodes {
    type Output = Vec<ClusterNode>;
    fn decode(v: Value) -> Result<Vec<ClusterNode>, DecodeError> {
        Str::decode(v)?.lines().map(str::trim).filter(|l| !l.is_empty()).map(ClusterNode::parse).collect()
    }
}

/// A slot range of CLUSTER SLOTS and the nodes serving it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterSlotRange {
    /// First slot.
    pub start: u16,
    /// Last slot, included.
    pub end: u16,
    /// The primary first, then its replicas.
    pub nodes: Vec<ClusterSlotNode>,
}

/// A node serving a slot range of CLUSTER SLOTS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterSlotNode {
    /// Its preferred endpoint (IP, hostname, or `?`); `None` when unknown.
    pub endpoint: Option<String>,
    /// Its client port.
    pub port: u16,
    /// Its node ID.
    pub id: String,
    /// Other metadata (`ip`, `hostname`), as the server sends it (7.0).
    pub metadata: Vec<(String, Value)>,
}

impl Decode for ClusterSlotNode {
    type Output = ClusterSlotNode;
    fn decode(v: Value) -> Result<ClusterSlotNode, DecodeError> {
        let Value::Array(items) = v else { return Err(DecodeError::mismatch("a CLUSTER SLOTS node", &v)) };
        let mut it = items.into_iter();
        let mut next = || it.next().ok_or_else(|| DecodeError::new("a CLUSTER SLOTS node is too short"));
        let endpoint = Nullable::<Str>::decode(next()?)?;
        let port = U16::decode(next()?)?;
        let id = Str::decode(next()?)?;
        let metadata = match it.next() {
            Some(m) => Pairs::<Str, Any>::decode(m)?,
            None => Vec::new(),
        };
        Ok(ClusterSlotNode { endpoint, port, id, metadata })
    }
}

impl Decode for ClusterSlotRange {
    type Output = ClusterSlotRange;
    fn decode(v: Value) -> Result<ClusterSlotRange, DecodeError> {
        let Value::Array(items) = v else { return Err(DecodeError::mismatch("a CLUSTER SLOTS range", &v)) };
        if items.len() < 2 {
            return Err(DecodeError::new("a CLUSTER SLOTS range has no slots"));
        }
        let mut it = items.into_iter();
        let start = U16::decode(it.next().expect("length checked"))?;
        let end = U16::decode(it.next().expect("length checked"))?;
        let nodes = it.map(ClusterSlotNode::decode).collect::<Result<_, _>>()?;
        Ok(ClusterSlotRange { start, end, nodes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_lines() {
        let line = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a,shard-id=ab \
                    slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected";
        let n = ClusterNode::parse(line).unwrap();
        assert_eq!((n.ip.as_str(), n.port, n.cport), ("127.0.0.1", 30004, 31004));
        assert_eq!(n.hostname.as_deref(), Some("host-a"));
        assert_eq!(n.aux, vec![("shard-id".to_string(), "ab".to_string())]);
        assert!(n.is_replica() && !n.is_primary());
        assert_eq!(n.master.as_deref(), Some("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"));
        assert_eq!((n.pong_recv, n.config_epoch), (1426238317239, 4));

        let line =
            "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca ::1:30001@31001 myself,master - 0 0 1 connected \
                    0-5460 5462 [5461->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f] [7-<-aaaa]";
        let n = ClusterNode::parse(line).unwrap();
        assert_eq!((n.ip.as_str(), n.port, n.hostname.as_deref()), ("::1", 30001, None));
        assert!(n.is_myself() && n.is_primary() && n.master.is_none());
        assert_eq!(n.slots, vec![(0, 5460), (5462, 5462)]);
        assert_eq!(n.migrating, vec![(5461, "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f".to_string())]);
        assert_eq!(n.importing, vec![(7, "aaaa".to_string())]);

        let n = ClusterNode::parse("abc :0@0 myself,master - 0 0 0 connected").unwrap();
        assert_eq!((n.ip.as_str(), n.port), ("", 0));
    }

    #[test]
    fn bad_lines_are_quoted() {
        for line in
            ["abc", "abc 1.2.3.4:1@2 master - x 0 0 connected", "abc 1.2.3.4:1 master - 0 0 0 connected"]
        {
            let err = ClusterNode::parse(line).unwrap_err().to_string();
            assert!(err.contains(line), "{err}");
        }
        let err = ClusterNode::parse("abc 1.2.3.4:1@2 master - 0 0 0 connected 99999").unwrap_err();
        assert!(err.to_string().contains("99999"), "{err}");
        let err = ClusterInfo::parse("cluster_state:ok\ncluster_size:many\n").unwrap_err();
        assert!(err.to_string().contains("cluster_size:many"), "{err}");
    }

    #[test]
    fn info_keeps_unknown_fields() {
        let info =
            ClusterInfo::parse("cluster_state:fail\r\ncluster_size:3\r\ncluster_future:1\r\n").unwrap();
        assert!(!info.is_ok());
        assert_eq!(info.size, 3);
        assert_eq!(info.extra, vec![("cluster_future".to_string(), "1".to_string())]);
    }
}
