//! [`Batch`]: several requests sent as one unit and answered in order, each with its own
//! result; shared by [`Pipeline`](crate::Pipeline) and [`Transaction`](crate::Transaction).
//!
//! A batch is a tuple of requests (typed results as a tuple) or a `Vec` of requests of one
//! command (results as a `Vec`, for batches built in a loop).

use crate::command::{Blocking, Command, CommandInfo};
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
}

impl BatchBuf {
    pub(crate) fn new() -> BatchBuf {
        BatchBuf {
            bytes: Vec::new(),
            sent: 0,
            refused: Vec::new(),
            blocking: Blocking::No,
            infos: Vec::new(),
        }
    }

    fn push<C: Command>(&mut self, cmd: C, remaining: usize) {
        match cmd.encode() {
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
                self.infos.push(C::INFO);
                self.blocking = match (self.blocking, e.blocking()) {
                    (Blocking::Forever, _) | (_, Blocking::Forever) => Blocking::Forever,
                    (Blocking::For(a), Blocking::For(b)) => Blocking::For(a + b),
                    (Blocking::For(a), Blocking::No) | (Blocking::No, Blocking::For(a)) => Blocking::For(a),
                    (Blocking::No, Blocking::No) => Blocking::No,
                };
            }
            Err(e) => self.refused.push(Some(e.with_command(C::INFO.name))),
        }
    }
}

/// The replies of a batch, handed out in order.
#[doc(hidden)]
pub struct Replies {
    values: Values,
    error: Option<Error>,
    refused: std::vec::IntoIter<Option<Error>>,
    remaining: usize,
}

impl Replies {
    pub(crate) fn new(values: Vec<Value>, error: Option<Error>, refused: Vec<Option<Error>>) -> Replies {
        let values = Values::Plain(values.into_iter());
        Replies { values, error, remaining: refused.len(), refused: refused.into_iter() }
    }

    /// Replies where some commands failed alone (a cluster pipeline: each command has its own
    /// route, and one can fail without the others).
    pub(crate) fn mixed(
        values: Vec<Result<Value, Error>>,
        error: Option<Error>,
        refused: Vec<Option<Error>>,
    ) -> Replies {
        let values = Values::Mixed(values.into_iter());
        Replies { values, error, remaining: refused.len(), refused: refused.into_iter() }
    }

    fn next<R: Decode>(&mut self, name: &'static str) -> Result<R::Output, Error> {
        self.remaining = self.remaining.saturating_sub(1);
        if let Some(Some(refused)) = self.refused.next() {
            return Err(refused);
        }
        let next = match &mut self.values {
            Values::Plain(v) => v.next().map(Ok),
            Values::Mixed(v) => v.next(),
        };
        match next {
            Some(Ok(Value::Error(e) | Value::BulkError(e))) => Err(Error::server(&e).with_command(name)),
            Some(Ok(v)) => R::decode(v).map_err(|e| Error::protocol(e.to_string()).with_command(name)),
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
    /// Encodes the request; `remaining` requests follow it.
    #[doc(hidden)]
    fn encode(self, buf: &mut BatchBuf, remaining: usize);
    #[doc(hidden)]
    fn decode(replies: &mut Replies) -> Self::Output;
}

impl<P: BatchTarget + ?Sized, C: Command> BatchItem for Req<'_, P, C> {
    type Output = Result<<C::Reply as Decode>::Output, Error>;

    fn encode(self, buf: &mut BatchBuf, remaining: usize) {
        buf.push(self.cmd, remaining);
    }

    fn decode(replies: &mut Replies) -> Self::Output {
        replies.next::<C::Reply>(C::INFO.name)
    }
}

/// Requests sent together: a tuple of requests, or a `Vec` of requests of one command.
pub trait Batch {
    /// A tuple (or `Vec`) with one `Result` per request.
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
        (0..replies.remaining).map(|_| I::decode(replies)).collect()
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
