//! [`Queue`]: a batch of any number of requests of any commands, generated or raw, built at
//! run time (in a loop, from data); each request's answer is read after the batch ran, by the
//! [`Queued`] handle its push returned, typed as its method says, or as a [`Value`].
//!
//! The requests are encoded as they are pushed, into the buffer the batch is sent from, so a
//! queue holds bytes and handles, not boxed requests.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::batch::{Batch, BatchBuf, BatchItem, Replies};
use crate::reply::{As, Decode, DecodeError};
use crate::resp::Value;
use crate::Error;

/// Tells the queues of the process apart, so that a handle is read from its own answers.
static QUEUES: AtomicU64 = AtomicU64::new(1);

/// Requests of any commands and any number, for [`Pipeline::execute`](crate::Pipeline::execute)
/// or [`Transaction::exec`](crate::Transaction::exec), when a tuple (up to 12 requests, known
/// when writing the code) or a `Vec` (one command) does not fit.
///
/// [`push`](Queue::push) a request of a pipeline or transaction, and keep the [`Queued`]
/// handle it returns; after the batch ran, [`Answers::take`] gives that request's result,
/// typed as its method says. Every answer can also be read as a [`Value`] (iterate the
/// answers, or [`Queued::as_value`]). A request that fails (a server error, a bad argument)
/// fails alone, as in any pipeline.
///
/// ```no_run
/// use tredis::prelude::*;
/// use tredis::Queue;
///
/// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
/// let p = client.pipeline();
/// let mut q = Queue::new();
/// let mut counters = Vec::new();
/// for i in 0..100 {
///     counters.push(q.push(p.incr(format!("counter:{i}"))));
/// }
/// let name = q.push(p.get("name"));
/// let info = q.push(p.raw("CLIENT INFO"));
/// let mut answers = p.execute(q).await;
/// for c in counters {
///     let n: i64 = answers.take(c)?;
/// }
/// let name: Option<bytes::Bytes> = answers.take(name)?;
/// let info: tredis::Value = answers.take(info)?;
/// # Ok(())
/// # }
/// ```
pub struct Queue {
    buf: BatchBuf,
    id: u64,
    len: usize,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("len", &self.len).finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Queued<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").field("index", &self.index).field("command", &self.name).finish()
    }
}

impl Default for Queue {
    fn default() -> Queue {
        Queue::new()
    }
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Queue {
        Queue { buf: BatchBuf::new(), id: QUEUES.fetch_add(1, Ordering::Relaxed), len: 0 }
    }

    /// Adds a request (made on a [`Pipeline`](crate::Pipeline) or a
    /// [`Transaction`](crate::Transaction)); returns the handle to read its answer with.
    pub fn push<I: BatchItem>(&mut self, item: I) -> Queued<<I::Reply as Decode>::Output> {
        let buf = &mut self.buf;
        item.encode(buf, 0);
        let name = match buf.refused.last() {
            Some(Some(e)) => e.command(),
            _ => buf.infos.last().map(|i| i.name),
        };
        let index = self.len;
        self.len += 1;
        Queued { index, queue: self.id, name: name.unwrap_or("?"), decode: <I::Reply as Decode>::decode }
    }

    /// How many requests were pushed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The handle of a request pushed on a [`Queue`]: reads its answer, as `T`, from the
/// [`Answers`] of that queue.
#[must_use = "the handle is how the request's answer is read"]
pub struct Queued<T> {
    index: usize,
    queue: u64,
    name: &'static str,
    decode: fn(Value) -> Result<T, DecodeError>,
}

impl<T> Queued<T> {
    /// The request's place in its queue (0 for the first pushed).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The same request, its answer read as the [`Value`] the server sent.
    pub fn as_value(self) -> Queued<Value> {
        Queued {
            index: self.index,
            queue: self.queue,
            name: self.name,
            decode: <As<Value> as Decode>::decode,
        }
    }
}

/// The answers to the requests of a [`Queue`], in order: read one with [`Answers::take`] and
/// the handle its push returned, or iterate them all as values.
#[derive(Debug)]
pub struct Answers {
    results: Vec<Option<Result<Value, Error>>>,
    queue: u64,
}

impl Answers {
    /// The answer to the request of `queued`, as its method types it, or its own error: a
    /// server error, a bad argument, a lost connection, or a reply of another shape
    /// ([`ErrorKind::Protocol`](crate::ErrorKind::Protocol)).
    ///
    /// # Panics
    ///
    /// When `queued` belongs to another queue, or its answer was taken already (by
    /// [`take_value`](Answers::take_value)).
    pub fn take<T>(&mut self, queued: Queued<T>) -> Result<T, Error> {
        assert_eq!(queued.queue, self.queue, "a Queued handle read from the answers of another queue");
        let answer = self.results.get_mut(queued.index).and_then(Option::take);
        let value = answer.expect("an answer is taken once")?;
        (queued.decode)(value).map_err(|e| Error::protocol(e.to_string()).with_command(queued.name))
    }

    /// The answer at `index` (the place of its request in the queue) as a value, or its
    /// error; `None` when there is no such request or its answer was taken already.
    pub fn take_value(&mut self, index: usize) -> Option<Result<Value, Error>> {
        self.results.get_mut(index).and_then(Option::take)
    }

    /// How many requests the queue held.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether it held none.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

/// Every answer not taken yet, in order, as a value or its error.
impl IntoIterator for Answers {
    type Item = Result<Value, Error>;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Option<Result<Value, Error>>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.results.into_iter().flatten()
    }
}

impl Batch for Queue {
    type Output = Answers;

    fn encode(self, buf: &mut BatchBuf) {
        buf.append(self.buf);
        buf.queue = self.id;
    }

    fn decode(replies: &mut Replies) -> Answers {
        let queue = replies.queue();
        let results = (0..replies.remaining()).map(|_| Some(replies.next_named::<As<Value>>())).collect();
        Answers { results, queue }
    }
}
