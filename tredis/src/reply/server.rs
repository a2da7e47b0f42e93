//! Server records: INFO, ROLE, SLOWLOG, COMMAND INFO, LATENCY and time. The map replies (ACL,
//! COMMAND DOCS, MEMORY STATS, MODULE LIST) have generated records (see `record`).

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::scalar::unix_time;
use super::{Any, Array, Bulk, Decode, DecodeError, Int, Str, UInt};
use crate::resp::Value;

/// INFO: sections of `name:value` fields, in server order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Info {
    /// `(section, fields)`, the section names as the server writes them (`Server`, `Clients`).
    pub sections: Vec<(String, Vec<(String, String)>)>,
}

impl Info {
    /// Parses the text of INFO; lines that are neither a `# Section` header nor `name:value`
    /// are skipped.
    pub fn parse(text: &str) -> Info {
        let mut info = Info::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(section) = line.strip_prefix('#') {
                info.sections.push((section.trim().to_string(), Vec::new()));
            } else if let Some((k, v)) = line.split_once(':') {
                if info.sections.is_empty() {
                    info.sections.push((String::new(), Vec::new()));
                }
                if let Some((_, fields)) = info.sections.last_mut() {
                    fields.push((k.to_string(), v.to_string()));
                }
            }
        }
        info
    }

    /// A field by name, from whichever section holds it (`redis_version`, `used_memory`).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.sections.iter().flat_map(|(_, f)| f).find(|(k, _)| k == field).map(|(_, v)| v.as_str())
    }

    /// The fields of a section, by name, ignoring case (`server`, `keyspace`).
    pub fn section(&self, name: &str) -> Option<&[(String, String)]> {
        self.sections.iter().find(|(s, _)| s.eq_ignore_ascii_case(name)).map(|(_, f)| f.as_slice())
    }
}

impl Decode for Info {
    type Output = Info;
    fn decode(v: Value) -> Result<Info, DecodeError> {
        Ok(Info::parse(&Str::decode(v)?))
    }
}

/// The replication role of a server (ROLE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A primary, its replication offset and its replicas (`ip`, `port`, `offset`).
    Master {
        /// Replication offset.
        offset: i64,
        /// Connected replicas.
        replicas: Vec<(String, u16, i64)>,
    },
    /// A replica of `host:port`.
    Replica {
        /// The primary's host.
        host: String,
        /// The primary's port.
        port: u16,
        /// `connect`, `connecting`, `sync` or `connected`.
        state: String,
        /// Data received from the primary, as a replication offset (-1 when unknown).
        offset: i64,
    },
    /// A Sentinel and the primaries it monitors.
    Sentinel {
        /// Names of the monitored primaries.
        masters: Vec<String>,
    },
}

impl Decode for Role {
    type Output = Role;
    fn decode(v: Value) -> Result<Role, DecodeError> {
        let Value::Array(items) = v else { return Err(DecodeError::mismatch("a ROLE array", &v)) };
        let mut it = items.into_iter();
        let role = Str::decode(it.next().ok_or_else(|| DecodeError::new("empty ROLE reply"))?)?;
        let mut next = || it.next().ok_or_else(|| DecodeError::new(format!("short ROLE reply for {role}")));
        let num = |v: Value| -> Result<i64, DecodeError> {
            match v {
                Value::Int(i) => Ok(i),
                other => {
                    Str::decode(other)?.parse().map_err(|_| DecodeError::new("a ROLE number is not a number"))
                }
            }
        };
        let port_num = |v: Value| -> Result<u16, DecodeError> {
            let n = num(v)?;
            u16::try_from(n)
                .map_err(|_| DecodeError::new(format!("ROLE port {n} is out of range (0 to 65535)")))
        };
        match role.as_str() {
            "master" => {
                let offset = num(next()?)?;
                let replicas = Array::<Any>::decode(next()?)?
                    .into_iter()
                    .map(|r| {
                        let (ip, port, off) = <(Str, Any, Any)>::decode(r)?;
                        Ok((ip, port_num(port)?, num(off)?))
                    })
                    .collect::<Result<_, DecodeError>>()?;
                Ok(Role::Master { offset, replicas })
            }
            "slave" | "replica" => {
                let host = Str::decode(next()?)?;
                let port = port_num(next()?)?;
                let state = Str::decode(next()?)?;
                let offset = num(next()?)?;
                Ok(Role::Replica { host, port, state, offset })
            }
            "sentinel" => Ok(Role::Sentinel { masters: Array::<Str>::decode(next()?)? }),
            other => Err(DecodeError::new(format!("unknown role `{other}`"))),
        }
    }
}

/// One SLOWLOG entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowlogEntry {
    /// Its unique, growing id.
    pub id: u64,
    /// When the command ran.
    pub at: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// The command and its arguments (possibly shortened by the server).
    pub args: Vec<Bytes>,
    /// The client's address.
    pub client_addr: String,
    /// The client's name.
    pub client_name: String,
}

impl Decode for SlowlogEntry {
    type Output = SlowlogEntry;
    fn decode(v: Value) -> Result<SlowlogEntry, DecodeError> {
        let e = log_entry(v, "SLOWLOG")?;
        Ok(SlowlogEntry {
            id: e.id,
            at: e.at,
            duration: Duration::from_micros(e.value),
            args: e.args,
            client_addr: e.client_addr,
            client_name: e.client_name,
        })
    }
}

/// One entry of a Valkey command log (COMMANDLOG GET): a command that was slow, or whose
/// request or reply was large.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLogEntry {
    /// Its unique, growing id.
    pub id: u64,
    /// When the command ran.
    pub at: SystemTime,
    /// What put it in the log: microseconds of execution in the `slow` log, bytes in the
    /// `large-request` and `large-reply` logs.
    pub value: u64,
    /// The command and its arguments (possibly shortened by the server).
    pub args: Vec<Bytes>,
    /// The client's address.
    pub client_addr: String,
    /// The client's name.
    pub client_name: String,
}

impl Decode for CommandLogEntry {
    type Output = CommandLogEntry;
    fn decode(v: Value) -> Result<CommandLogEntry, DecodeError> {
        log_entry(v, "COMMANDLOG")
    }
}

/// An entry of SLOWLOG or COMMANDLOG (`log`): both are id, time, figure, arguments, address
/// and name.
fn log_entry(v: Value, log: &'static str) -> Result<CommandLogEntry, DecodeError> {
    let Value::Array(items) = v else { return Err(DecodeError::mismatch("a log entry", &v)) };
    if items.len() < 6 {
        return Err(DecodeError::new(format!("a {log} entry has fewer than 6 fields")));
    }
    let mut it = items.into_iter();
    let mut next = || it.next().expect("length checked");
    Ok(CommandLogEntry {
        id: UInt::decode(next())?,
        at: unix_time(Duration::from_secs(UInt::decode(next())?), log)?,
        value: UInt::decode(next())?,
        args: Array::<Bulk>::decode(next())?,
        client_addr: Str::decode(next())?,
        client_name: Str::decode(next())?,
    })
}

/// A Unix time in seconds (LASTSAVE).
#[derive(Debug)]
pub struct UnixSecs;

impl Decode for UnixSecs {
    type Output = SystemTime;
    fn decode(v: Value) -> Result<SystemTime, DecodeError> {
        unix_time(Duration::from_secs(UInt::decode(v)?), "LASTSAVE")
    }
}

/// The server's clock (TIME): seconds and microseconds.
#[derive(Debug)]
pub struct ServerTime;

impl Decode for ServerTime {
    type Output = SystemTime;
    fn decode(v: Value) -> Result<SystemTime, DecodeError> {
        let (s, us) = <(Str, Str)>::decode(v)?;
        let bad = || DecodeError::new("TIME replied with a non-number");
        let secs: u64 = s.parse().map_err(|_| bad())?;
        let micros: u64 = us.parse().map_err(|_| bad())?;
        let since =
            Duration::from_secs(secs).checked_add(Duration::from_micros(micros)).ok_or_else(|| {
                DecodeError::new(format!("TIME replied {secs} s and {micros} µs, beyond any time"))
            })?;
        unix_time(since, "TIME")
    }
}

/// One command of COMMAND INFO: name, arity, flags, key positions, categories, tips, key
/// specs and subcommands.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandEntry {
    /// The name, lower case (`get`, `client|kill`).
    pub name: String,
    /// Arity: the number of arguments with the name; negative means at least.
    pub arity: i64,
    /// Flags (`write`, `readonly` ...).
    pub flags: Vec<String>,
    /// Position of the first key, of the last (negative from the end), and the step.
    pub keys: (i64, i64, i64),
    /// ACL categories (`@read` ...).
    pub acl_categories: Vec<String>,
    /// Tips for clients (`request_policy:all_shards` ...).
    pub tips: Vec<String>,
    /// Key specs, as the server describes them.
    pub key_specs: Vec<Value>,
    /// Subcommands, as the server describes them.
    pub subcommands: Vec<Value>,
}

impl Decode for CommandEntry {
    type Output = CommandEntry;
    fn decode(v: Value) -> Result<CommandEntry, DecodeError> {
        let Value::Array(items) = v else { return Err(DecodeError::mismatch("a COMMAND INFO entry", &v)) };
        if items.len() < 10 {
            return Err(DecodeError::new("a COMMAND INFO entry has fewer than 10 fields"));
        }
        let mut it = items.into_iter();
        let mut next = || it.next().expect("length checked");
        Ok(CommandEntry {
            name: Str::decode(next())?,
            arity: Int::decode(next())?,
            flags: Array::<Str>::decode(next())?,
            keys: (Int::decode(next())?, Int::decode(next())?, Int::decode(next())?),
            acl_categories: Array::<Str>::decode(next())?,
            tips: Array::<Str>::decode(next())?,
            key_specs: Array::<Any>::decode(next())?,
            subcommands: Array::<Any>::decode(next())?,
        })
    }
}

/// A timestamp and a latency in milliseconds (LATENCY HISTORY).
#[derive(Debug)]
pub struct LatencySample;

impl Decode for LatencySample {
    type Output = (SystemTime, Duration);
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        let (at, ms) = <(UInt, UInt)>::decode(v)?;
        Ok((unix_time(Duration::from_secs(at), "LATENCY HISTORY time")?, Duration::from_millis(ms)))
    }
}

/// The latest latency spike of one event (LATENCY LATEST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyEvent {
    /// The event (`command`, `fast-command` ...).
    pub event: String,
    /// When the latest spike happened.
    pub at: SystemTime,
    /// Its latency.
    pub latest: Duration,
    /// The greatest latency seen.
    pub max: Duration,
}

impl Decode for LatencyEvent {
    type Output = LatencyEvent;
    fn decode(v: Value) -> Result<LatencyEvent, DecodeError> {
        let (event, at, latest, max) = <(Str, UInt, UInt, UInt)>::decode(v)?;
        Ok(LatencyEvent {
            event,
            at: unix_time(Duration::from_secs(at), "LATENCY LATEST time")?,
            latest: Duration::from_millis(latest),
            max: Duration::from_millis(max),
        })
    }
}

/// A key with its flags (COMMAND GETKEYSANDFLAGS).
#[derive(Debug)]
pub struct KeyFlags;

impl Decode for KeyFlags {
    type Output = (Bytes, Vec<String>);
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        <(Bulk, Array<Str>)>::decode(v)
    }
}
