//! [`Batch`]: several requests sent as one unit and answered in order, each with its own
//! result; shared by [`Pipeline`](crate::Pipeline) and [`Transaction`](crate::Transaction).
//!
//! A batch is a tuple of up to 12 requests (typed results as a tuple), a `Vec` of requests of
//! one command (results as a `Vec`), or a [`Queue`](crate::Queue) of any number of requests of
//! any commands, raw ones included (results read by handle, or as values).

use crate::command::{Blocking, Command, CommandInfo, Encoded};
use crate::reply::Decode;
use crate::request::Req;
use crate::resp::Value;
use crate::Error;

/// Targets whose requests are batched rather than awaited one by one.
pub trait BatchTarget: crate::request::Target {}

/// The encoded commands of a batch.
#[doc(hidden)]
pub struct BatchBuf {
    pub(crate) bytes: Vec<u8>,
    pub(crate) sent: usize,
    /// Per command: the argument error that kept it from being sent.
    pub(crate) refused: Vec<Option<Error>>,
    pub(crate) blocking: Blocking,
    /// The facts of each command sent, to route them in a cluster.
    pub(crate) infos: Vec<&'static CommandInfo>,
    /// Raw commands whose key positions a cluster learns before the batch is sent: their
    /// index in `infos`, and their name.
    pub(crate) learn: Vec<(usize, &'static str)>,
    /// The [`Queue`](crate::Queue) the commands came from (0: none), so that its answers
    /// know their handles.
    pub(crate) queue: u64,
}

impl BatchBuf {
    pub(crate) fn new() -> BatchBuf {
        BatchBuf {
            bytes: Vec::new(),
            sent: 0,
            refused: Vec::new(),
            blocking: Blocking::No,
            infos: Vec::new(),
            learn: Vec::new(),
            queue: 0,
        }
    }

    #[inline]
    fn push<C: Command>(&mut self, cmd: C, remaining: usize) {
        self.push_encoded(cmd.encode(), C::INFO, remaining)
    }

    /// Adds a command (or its argument error); `remaining` commands follow it.
    #[inline]
    pub(crate) fn push_encoded(
        &mut self,
        encoded: Result<Encoded, Error>,
        info: &'static CommandInfo,
        remaining: usize,
    ) {
        match encoded {
            Ok(e) => {
                if self.bytes.is_empty() {
                    // Room for the batch at once, guessed from its first command.
                    self.bytes.reserve(e.as_bytes().len() * (remaining + 1) + 64);
                    self.infos.reserve(remaining + 1);
                    self.refused.reserve(remaining + 1);
                }
                self.bytes.extend_from_slice(e.as_bytes());
                self.sent += 1;
                self.refused.push(None);
                self.infos.push(info);
                self.blocking = merge(self.blocking, e.blocking());
            }
            Err(e) => self.refused.push(Some(e.with_command(info.name))),
        }
    }

    /// Learns where the keys are of the raw commands that need it, before the batch is routed.
    pub(crate) async fn learn_keys(&mut self, router: &crate::route::Router) {
        let deadline = router.deadline(self.blocking, None);
        for (index, name) in std::mem::take(&mut self.learn) {
            self.infos[index] = router.learn(name, deadline).await;
        }
    }

    /// Adds a command that is refused before sending, with its error.
    pub(crate) fn refuse(&mut self, e: Error) {
        self.refused.push(Some(e));
    }

    /// Adds every command of `other` after those of this batch.
    pub(crate) fn append(&mut self, other: BatchBuf) {
        let base = self.infos.len();
        self.learn.extend(other.learn.into_iter().map(|(i, name)| (base + i, name)));
        if self.bytes.is_empty() {
            self.bytes = other.bytes;
        } else {
            self.bytes.extend_from_slice(&other.bytes);
        }
        self.sent += other.sent;
        self.refused.extend(other.refused);
        self.infos.extend(other.infos);
        self.blocking = merge(self.blocking, other.blocking);
    }
}

/// How long a batch may block, from how long two parts of it may.
#[inline]
fn merge(a: Blocking, b: Blocking) -> Blocking {
    match (a, b) {
        (Blocking::Forever, _) | (_, Blocking::Forever) => Blocking::Forever,
        (Blocking::For(a), Blocking::For(b)) => Blocking::For(a + b),
        (Blocking::For(a), Blocking::No) | (Blocking::No, Blocking::For(a)) => Blocking::For(a),
        (Blocking::No, Blocking::No) => Blocking::No,
    }
}

/// The replies of a batch, handed out in order.
#[doc(hidden)]
pub struct Replies {
    values: Values,
    error: Option<Error>,
    refused: std::vec::IntoIter<Option<Error>>,
    remaining: usize,
    /// The facts of the commands sent, and how many of them were handed out: the name of a
    /// command whose type does not say it (a raw command).
    infos: Vec<&'static CommandInfo>,
    answered: usize,
    queue: u64,
}

impl Replies {
    /// The replies read from one connection for the commands of `buf`.
    pub(crate) fn new(values: Vec<Value>, error: Option<Error>, buf: BatchBuf) -> Replies {
        Replies::of(Values::Plain(values.into_iter()), error, buf)
    }

    /// Replies where some commands failed alone (a cluster pipeline: each command has its own
    /// route, and one can fail without the others).
    pub(crate) fn mixed(values: Vec<Result<Value, Error>>, error: Option<Error>, buf: BatchBuf) -> Replies {
        Replies::of(Values::Mixed(values.into_iter()), error, buf)
    }

    fn of(values: Values, error: Option<Error>, buf: BatchBuf) -> Replies {
        Replies {
            values,
            error,
            remaining: buf.refused.len(),
            refused: buf.refused.into_iter(),
            infos: buf.infos,
            answered: 0,
            queue: buf.queue,
        }
    }

    /// Why the batch failed as a whole (its connection), if it did.
    pub(crate) fn failure(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// How many replies are left to hand out.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// The [`Queue`](crate::Queue) the commands came from (0: none).
    pub(crate) fn queue(&self) -> u64 {
        self.queue
    }

    pub(crate) fn next<R: Decode>(&mut self, name: &'static str) -> Result<R::Output, Error> {
        let v = self.take(name)?;
        R::decode(v).map_err(|e| Error::protocol(e.to_string()).with_command(name))
    }

    /// The next reply, decoded, for a command named by its facts (a raw one).
    pub(crate) fn next_named<R: Decode>(&mut self) -> Result<R::Output, Error> {
        // Unused when the command was refused: its error names it.
        let name = self.infos.get(self.answered).map_or("?", |i| i.name);
        self.next::<R>(name)
    }

    /// The next reply as it came, a server error made an `Err`.
    #[inline]
    fn take(&mut self, name: &'static str) -> Result<Value, Error> {
        self.remaining = self.remaining.saturating_sub(1);
        if let Some(Some(refused)) = self.refused.next() {
            return Err(refused);
        }
        self.answered += 1;
        let next = match &mut self.values {
            Values::Plain(v) => v.next().map(Ok),
            Values::Mixed(v) => v.next(),
        };
        match next {
            Some(Ok(Value::Error(e) | Value::BulkError(e))) => Err(Error::server(&e).with_command(name)),
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(e.with_command(name)),
            // The connection failed before this reply arrived.
            None => Err(match &self.error {
                Some(e) => e.duplicate().with_command(name),
                None => Error::protocol("fewer replies than commands").with_command(name),
            }),
        }
    }
}

/// The replies of a batch: as read from one connection, or one result per command (a
/// cluster pipeline), kept apart so that the common case is not copied.
enum Values {
    Plain(std::vec::IntoIter<Value>),
    Mixed(std::vec::IntoIter<Result<Value, Error>>),
}

/// One request of a batch.
pub trait BatchItem {
    /// Its result: the decoded reply, or the error of this command alone.
    type Output;
    /// The decoder of its reply: what [`Queue::push`](crate::Queue::push) hands out a
    /// handle for.
    type Reply: Decode;
    /// Encodes the request; `remaining` requests follow it.
    #[doc(hidden)]
    fn encode(self, buf: &mut BatchBuf, remaining: usize);
    #[doc(hidden)]
    fn decode(replies: &mut Replies) -> Self::Output;
}

impl<P: BatchTarget + ?Sized, C: Command> BatchItem for Req<'_, P, C> {
    type Output = Result<<C::Reply as Decode>::Output, Error>;
    type Reply = C::Reply;

    fn encode(self, buf: &mut BatchBuf, remaining: usize) {
        buf.push(self.cmd, remaining);
    }

    fn decode(replies: &mut Replies) -> Self::Output {
        replies.next::<C::Reply>(C::INFO.name)
    }
}

/// Requests sent together: a tuple of up to 12 requests, a `Vec` of requests of one command,
/// or a [`Queue`](crate::Queue) of any requests.
pub trait Batch {
    /// A tuple (or `Vec`) with one `Result` per request; [`Answers`](crate::Answers) for a
    /// queue.
    type Output;
    #[doc(hidden)]
    fn encode(self, buf: &mut BatchBuf);
    #[doc(hidden)]
    fn decode(replies: &mut Replies) -> Self::Output;
}

impl<I: BatchItem> Batch for Vec<I> {
    type Output = Vec<I::Output>;

    fn encode(self, buf: &mut BatchBuf) {
        let n = self.len();
        self.into_iter().enumerate().for_each(|(i, item)| item.encode(buf, n - i - 1));
    }

    fn decode(replies: &mut Replies) -> Self::Output {
        (0..replies.remaining()).map(|_| I::decode(replies)).collect()
    }
}

macro_rules! tuples {
    ($(($($t:ident $v:ident),+);)*) => {$(
        impl<$($t: BatchItem),+> Batch for ($($t,)+) {
            type Output = ($($t::Output,)+);

            fn encode(self, buf: &mut BatchBuf) {
                let ($($v,)+) = self;
                $($v.encode(buf, 0);)+
            }

            fn decode(replies: &mut Replies) -> Self::Output {
                ($($t::decode(replies),)+)
            }
        }
    )*};
}

tuples! {
    (A a);
    (A a, B b);
    (A a, B b, C c);
    (A a, B b, C c, D d);
    (A a, B b, C c, D d, E e);
    (A a, B b, C c, D d, E e, F f);
    (A a, B b, C c, D d, E e, F f, G g);
    (A a, B b, C c, D d, E e, F f, G g, H h);
    (A a, B b, C c, D d, E e, F f, G g, H h, I i);
    (A a, B b, C c, D d, E e, F f, G g, H h, I i, J j);
    (A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k);
    (A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l);
}
