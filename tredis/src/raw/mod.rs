//! [`Raw`]: any command by name, for what the spec does not hold (module commands, commands
//! newer than the spec), with arguments of any [`ToArg`] type and the reply read as a
//! [`Value`] or as any [`FromValue`] type.
//!
//! A raw command is a [`Req`] like a generated one and takes the same path (deadline, retry
//! rule, fate, routing); only its facts, which a generated command has from the spec at compile
//! time, are found when it is sent:
//!
//! - A name the spec knows (`raw("GET")`, `raw("client kill")`) runs with that command's
//!   static facts, from the table the generator emits: a read-only one may be sent again and
//!   read from a replica, a cluster routes, splits or fans it out by its key specs and tips.
//!   One the spec skips on purpose (SELECT, MULTI, WATCH, SUBSCRIBE ...: commands that would
//!   change a shared connection under its other callers) is refused before sending, with the
//!   spec's reason.
//! - Any other name has no flags: it may write, so once written it is never sent again unless
//!   marked [`idempotent`](Req::idempotent), and it never goes to a replica. It blocks only
//!   when told ([`blocking`](Req::blocking)). On one server, nothing else is needed. In a
//!   cluster, keys marked with [`key`](Req::key) route it: all must share a slot (a raw
//!   command is never split), else it fails with
//!   [`InvalidClusterCommand`](crate::ErrorKind::InvalidClusterCommand) before sending; and
//!   since they share one, the first key's position alone routes it. Without marked keys the
//!   cluster is asked once per name (COMMAND INFO) where the keys are, and every later request
//!   of that name is routed by the answer.
//!
//! The facts live in `&'static CommandInfo`s, as every request carries one; those made at run
//! time are leaked once per distinct name and key position (`command::interned`).

mod future;

use std::borrow::Cow;
use std::marker::PhantomData;
use std::time::Duration;

pub use future::RawFuture;

use crate::args::{ToArg, ToArgs, ToKey, ToKeys};
use crate::cluster::MarkedKeys;
use crate::command::{interned, CmdBuf, CommandInfo, Encoded, Flags, Known};
use crate::reply::FromValue;
use crate::request::Req;
use crate::resp::Value;
use crate::route::{Facts, Router};
use crate::Error;

/// A raw command: any command by name, its arguments of any type, its reply read as a
/// [`Value`] (by default) or as any [`FromValue`] type `T`.
///
/// Made by [`Client::raw`](crate::Client::raw), [`Pipeline::raw`](crate::Pipeline::raw) and
/// [`Transaction::raw`](crate::Transaction::raw). Add arguments with [`arg`](Req::arg) and
/// [`args`](Req::args), and keys with [`key`](Req::key) and [`keys`](Req::keys), which also
/// mark them as keys so that a cluster routes the command by them; then `.await` it, or put it
/// in a pipeline or transaction like any request.
///
/// ```no_run
/// use tredis::Value;
///
/// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
/// // A module command: JSON.SET doc $ {"a":1}.
/// client.raw("JSON.SET").key("doc").arg("$").arg(r#"{"a":1}"#).await?;
/// let doc: Value = client.raw("JSON.GET").key("doc").arg("$.a").await?;
/// // A subcommand: its words in the name, or as arguments.
/// let info = client.raw("CLIENT INFO").await?;
/// // A blocking command says how long it may block, so that it gets a connection of its own.
/// let popped = client.raw("BLPOP").key("jobs").arg(5).blocking(std::time::Duration::from_secs(5)).await?;
/// # Ok(())
/// # }
/// ```
///
/// The name's words (split at whitespace) are sent as they are written; `raw("CLIENT INFO")`
/// and `raw("CLIENT").arg("INFO")` send the same bytes, but only the first is looked up as
/// the spec's `CLIENT INFO`. A name the spec knows (in a command group that is built: with
/// the group's cargo feature off, its names are unknown) runs with that command's facts: a read-only
/// command may be sent again after a lost connection and read from a replica, a cluster splits
/// or fans it out as the generated method would, and one that may block (BLPOP, XREAD, WAIT)
/// runs on a connection of its own, with no deadline unless [`blocking`](Req::blocking) or
/// [`with_timeout`](Req::with_timeout) gives one. A name the spec skips because it would
/// change a shared connection under its other callers (SELECT, MULTI, WATCH, SUBSCRIBE,
/// CLIENT REPLY ...) fails with an [`ErrorKind::Argument`](crate::ErrorKind::Argument) error
/// giving the reason, before anything is sent.
///
/// Any other name is treated as a command that may write: once written, it is sent again
/// after a lost connection only when marked [`idempotent`](Req::idempotent) (else it fails as
/// [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate)); it never reads from a
/// replica; it blocks only when told. In a cluster, its marked keys route it and must hash to
/// one slot (else it fails with
/// [`InvalidClusterCommand`](crate::ErrorKind::InvalidClusterCommand) before sending); without
/// marked keys the cluster is asked once per command name where its keys are (COMMAND INFO),
/// and the answer routes every later request of that name.
#[derive(Debug)]
pub struct Raw<T = Value> {
    cmd: CmdBuf,
    name: Name,
    keys: MarkedKeys,
    /// Set by [`Req::blocking`]: the caller said how long it blocks.
    blocking: bool,
    _reply: PhantomData<fn() -> T>,
}

/// What the name of a raw command is to the spec.
#[derive(Debug, Clone, Copy)]
enum Name {
    Spec(&'static CommandInfo),
    /// The spec's spelling of the name, and why it is refused.
    Refused(&'static str, &'static str),
    /// Upper case, words separated by one space.
    Unknown(&'static str),
    Missing,
}

impl<T> Raw<T> {
    /// A raw command named `name`, its words separated by whitespace.
    pub(crate) fn new(name: &str) -> Raw<T> {
        let mut cmd = CmdBuf::new(b"", 0);
        for word in name.split_ascii_whitespace() {
            cmd.arg(word);
        }
        let name = match crate::commands::by_name(name) {
            Some((_, Known::Spec(info))) => Name::Spec(info),
            Some((spelled, Known::Refused(reason))) => Name::Refused(spelled, reason),
            None if cmd.argc() == 0 => Name::Missing,
            None => Name::Unknown(interned::name(&normalized(name))),
        };
        Raw { cmd, name, keys: MarkedKeys::default(), blocking: false, _reply: PhantomData }
    }

    /// The name errors give the command.
    fn name(&self) -> &'static str {
        match self.name {
            Name::Spec(info) => info.name,
            Name::Refused(name, _) | Name::Unknown(name) => name,
            Name::Missing => "raw",
        }
    }

    /// The finished request and the facts it runs with under `router`, or the error that
    /// keeps it from being sent (an argument error, a refused name, keys in several slots).
    pub(crate) fn resolve(self, router: &Router) -> Result<(Encoded, Facts), Error> {
        let name = self.name();
        let (mut cmd, facts) = match self.name {
            Name::Spec(info) => (self.cmd, Facts::Ready(info)),
            Name::Unknown(name) => (self.cmd, router.raw_facts(name, &self.keys)?),
            Name::Refused(name, reason) => {
                let text = format!("it cannot be sent as a raw command: {reason}");
                return Err(Error::argument(text).with_command(name));
            }
            Name::Missing => return Err(Error::argument("a raw command needs a name").with_command(name)),
        };
        if let (Facts::Ready(info), false) = (&facts, self.blocking) {
            if info.flags.contains(Flags::BLOCKING) || info.flags.contains(Flags::SYNCS_OFFSET) {
                // How long it blocks is in arguments only the server reads.
                cmd.blocks(Duration::ZERO);
            }
        }
        let encoded = cmd.finish().map_err(|e| e.with_command(name))?;
        Ok((encoded, facts))
    }

    /// Marks the keys written since `position`, the first of them argument `index`.
    fn mark_keys(&mut self, index: u32, position: usize) {
        let written = self.cmd.written_since(position);
        for (i, key) in bulks(written).enumerate() {
            self.keys.add(index + i as u32, key);
        }
    }
}

/// `name` in upper case, its words separated by one space: as it is interned.
fn normalized(name: &str) -> Cow<'_, str> {
    let trimmed = name.trim_matches(|c: char| c.is_ascii_whitespace());
    let plain = trimmed.bytes().all(|b| !b.is_ascii_whitespace() && !b.is_ascii_lowercase());
    if plain {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(name.split_ascii_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase())
}

/// The payloads of bulk strings written back to back (`$3\r\nfoo\r\n$1\r\nx\r\n`).
fn bulks(mut wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let nl = wire.iter().position(|&b| b == b'\n')?;
        let len: usize = std::str::from_utf8(wire.get(1..nl.checked_sub(1)?)?).ok()?.parse().ok()?;
        let data = wire.get(nl + 1..nl + 1 + len)?;
        wire = wire.get(nl + 1 + len + 2..).unwrap_or_default();
        Some(data)
    })
}

impl<'c, E: ?Sized, T> Req<'c, E, Raw<T>> {
    /// Appends one argument.
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        self.cmd.cmd.arg(&arg);
        self
    }

    /// Appends each of `args` (a slice, array, `Vec`, set ...) as an argument.
    pub fn args(mut self, args: impl ToArgs) -> Self {
        self.cmd.cmd.args(&args, 0, "args");
        self
    }

    /// Appends a key: an argument that a cluster routes the command by (see [`Raw`]).
    pub fn key(mut self, key: impl ToKey) -> Self {
        let (index, position) = (self.cmd.cmd.argc(), self.cmd.cmd.position());
        self.cmd.cmd.arg(&key);
        self.cmd.mark_keys(index, position);
        self
    }

    /// Appends each of `keys` as a key (see [`key`](Req::key)).
    pub fn keys(mut self, keys: impl ToKeys) -> Self {
        let (index, position) = (self.cmd.cmd.argc(), self.cmd.cmd.position());
        self.cmd.cmd.args(&keys, 0, "keys");
        self.cmd.mark_keys(index, position);
        self
    }

    /// Says that the command may block its connection for up to `timeout` (zero: until
    /// something happens), so that it runs on a connection of its own and its deadline allows
    /// for the wait. Give the timeout the command's own arguments give the server.
    pub fn blocking(mut self, timeout: Duration) -> Self {
        self.cmd.cmd.blocks(timeout);
        self.cmd.blocking = true;
        self
    }

    /// Reads the reply as `U` instead, any type that implements [`FromValue`].
    pub fn reply<U: FromValue>(self) -> Req<'c, E, Raw<U>> {
        self.map(|r| Raw {
            cmd: r.cmd,
            name: r.name,
            keys: r.keys,
            blocking: r.blocking,
            _reply: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_payloads() {
        let got: Vec<&[u8]> = bulks(b"$3\r\nfoo\r\n$0\r\n\r\n$2\r\nxy\r\n").collect();
        assert_eq!(got, vec![&b"foo"[..], b"", b"xy"]);
    }

    #[test]
    fn names_and_their_facts() {
        let known = Raw::<Value>::new("get");
        assert!(matches!(known.name, Name::Spec(i) if i.name == "GET"));
        let refused = Raw::<Value>::new("select");
        assert!(matches!(refused.name, Name::Refused("SELECT", _)));
        let unknown = Raw::<Value>::new(" json.set\t doc ");
        assert!(matches!(unknown.name, Name::Unknown("JSON.SET DOC")));
        assert!(matches!(Raw::<Value>::new("  ").name, Name::Missing));
        let wire = unknown.cmd.finish().unwrap();
        assert_eq!(wire.as_bytes(), b"*2\r\n$8\r\njson.set\r\n$3\r\ndoc\r\n");
    }
}
