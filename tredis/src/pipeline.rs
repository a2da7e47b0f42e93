//! [`Pipeline`]: commands sent together in one write and answered together.

use crate::batch::{Batch, BatchBuf, BatchTarget, Replies};
use crate::command::{CommandInfo, Encoded, Flags};
use crate::meter::Meter;
use crate::raw::Raw;
use crate::request::{Req, RouterRef, Sealed, Target};
use crate::route::Router;
use crate::spans::{self, Op};

/// Commands sent together, each with its own result.
///
/// The generated command methods work on a pipeline as on the client; instead of awaiting
/// each request, hand them to [`Pipeline::execute`] as a tuple (of up to 12 requests), a
/// `Vec` (of requests of one command, built in a loop), or a [`Queue`](crate::Queue) (any
/// number of requests of any commands, raw ones too):
///
/// ```no_run
/// use tredis::prelude::*;
///
/// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
/// let p = client.pipeline();
/// let (set, n, missing) = p.execute((p.set("a", "1"), p.incr("counter"), p.get("nothing"))).await;
/// set?;
/// let n: i64 = n?;
/// assert_eq!(missing?, None);
///
/// let keys = ["a", "b", "c"];
/// let values = p.execute(keys.iter().map(|k| p.get(k)).collect::<Vec<_>>()).await;
///
/// let mut q = tredis::Queue::new();
/// let n = q.push(p.incr("counter"));
/// let info = q.push(p.raw("CLIENT INFO"));
/// let mut answers = p.execute(q).await;
/// let n: i64 = answers.take(n)?;
/// # Ok(())
/// # }
/// ```
///
/// The commands go out back to back on one connection, without other callers' commands in
/// between, but they are not a transaction: see [`Client::multi`](crate::Client::multi) for that. A command that
/// fails (a server error, a bad argument) fails alone; the others keep their results. In a
/// cluster, each command goes to the node of its own keys (fan-out and splitting included),
/// and the results still come back in order.
pub struct Pipeline<'c> {
    router: &'c Router,
}

static PIPELINE: CommandInfo =
    CommandInfo { name: "pipeline", flags: Flags::NONE, key_specs: &[], tips: &[] };

impl<'c> Pipeline<'c> {
    pub(crate) fn new(router: &'c Router) -> Self {
        Pipeline { router }
    }

    /// A raw command in this pipeline: any command by name (see [`Raw`](crate::Raw)).
    pub fn raw(&self, name: &str) -> Req<'_, Self, Raw> {
        Req::new(self, Raw::new(name))
    }

    /// Sends the batch and returns one result per request: in a tuple for a tuple of up to
    /// 12 requests, in a `Vec` for a `Vec` of requests of one command, as
    /// [`Answers`](crate::Answers) for a [`Queue`](crate::Queue) of any number of requests of
    /// any commands (raw ones too).
    ///
    /// If the connection breaks, the requests answered before keep their results and the others
    /// fail as [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate).
    pub async fn execute<B: Batch>(&self, batch: B) -> B::Output {
        let mut buf = BatchBuf::new();
        batch.encode(&mut buf);
        let meter = Meter::start(&self.router.cfg.metrics);
        let size = buf.infos.len();
        let op = Op::batch(spans::Batch::Pipeline, &buf.bytes, &buf.infos, &self.router.spans);
        let mut replies = op.around(self.send(buf)).await;
        if let Some(e) = replies.failure() {
            op.failed(e);
        }
        meter.end(&self.router.cfg.metrics, "PIPELINE", size, replies.failure());
        B::decode(&mut replies)
    }

    /// Sends the encoded batch; its replies.
    async fn send(&self, mut buf: BatchBuf) -> Replies {
        if !buf.learn.is_empty() {
            buf.learn_keys(self.router).await;
        }
        if buf.sent > 0 && buf.blocking == crate::command::Blocking::No {
            if let Some(results) = self.router.run_pipeline_in_cluster(&buf.bytes, &buf.infos).await {
                return Replies::mixed(results, None, buf);
            }
        }
        let answer = if buf.sent == 0 {
            crate::connection::BatchAnswer { values: Vec::new(), error: None, request: None }
        } else {
            let bytes = Encoded::concat(std::mem::take(&mut buf.bytes));
            self.router.run_batch(bytes, buf.sent, &PIPELINE, buf.blocking, &buf.infos).await
        };
        Replies::new(answer.values, answer.error, buf)
    }
}

impl Sealed for Pipeline<'_> {}
impl Target for Pipeline<'_> {
    fn router(&self) -> RouterRef<'_> {
        RouterRef(self.router)
    }
}
impl BatchTarget for Pipeline<'_> {}
