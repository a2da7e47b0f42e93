//! How a raw command runs: awaited alone ([`RawFuture`]) or in a batch, the same way as a
//! generated command once its facts are known.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::Raw;
use crate::batch::{BatchBuf, BatchItem, BatchTarget, Replies};
use crate::command::{interned, CommandInfo, Encoded, Flags};
use crate::deadline::Deadline;
use crate::reply::{As, FromValue};
use crate::request::{Executor, ReplyFuture, Req, ReqOpts, Target};
use crate::route::Facts;
use crate::Error;

/// Stands for a raw command refused before it had facts; its error names it already.
static REFUSED: CommandInfo = CommandInfo { name: "raw", flags: Flags::NONE, key_specs: &[], tips: &[] };

/// Where the keys of a command are, being asked of the cluster, and the request that waits for
/// the answer.
struct Learning<'c, E: ?Sized> {
    exec: &'c E,
    request: Encoded,
    opts: ReqOpts,
    deadline: Option<Deadline>,
    facts: Pin<Box<dyn Future<Output = &'static CommandInfo> + Send + 'c>>,
}

pin_project_lite::pin_project! {
    /// The reply of a raw command, read as `T`: waits for it through every retry the policy
    /// allows, after learning where its keys are when a cluster must be asked first.
    pub struct RawFuture<'c, E: ?Sized, T> {
        learning: Option<Learning<'c, E>>,
        #[pin]
        reply: Option<ReplyFuture<'c, E, As<T>>>,
    }
}

impl<'c, E: Executor + Target + ?Sized, T: FromValue> IntoFuture for Req<'c, E, Raw<T>> {
    type Output = Result<T, Error>;
    type IntoFuture = RawFuture<'c, E, T>;

    fn into_future(self) -> Self::IntoFuture {
        let (exec, opts) = (self.exec, self.opts);
        let router = exec.router().0;
        let reply = match self.cmd.resolve(router) {
            Ok((request, Facts::Ready(info))) => ReplyFuture::new(exec, Ok(request), info, opts),
            Ok((request, Facts::Learn(name))) => {
                // One deadline covers the question and the request.
                let deadline = exec.deadline(request.blocking(), opts.timeout);
                let facts = Box::pin(router.learn(name, deadline));
                let learning = Learning { exec, request, opts, deadline, facts };
                return RawFuture { learning: Some(learning), reply: None };
            }
            Err(e) => ReplyFuture::new(exec, Err(e), &REFUSED, opts),
        };
        RawFuture { learning: None, reply: Some(reply) }
    }
}

impl<E: Executor + ?Sized, T: FromValue> Future for RawFuture<'_, E, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(learning) = this.learning.as_mut() {
            let info = ready!(learning.facts.as_mut().poll(cx));
            let l = this.learning.take().expect("still learning");
            this.reply.set(Some(ReplyFuture::sent(l.exec, l.request, info, l.opts.idempotent, l.deadline)));
        }
        this.reply.as_pin_mut().expect("a raw command's future polled after it finished").poll(cx)
    }
}

impl<P: BatchTarget + ?Sized, T: FromValue> BatchItem for Req<'_, P, Raw<T>> {
    type Output = Result<T, Error>;
    type Reply = As<T>;

    fn encode(self, buf: &mut BatchBuf, remaining: usize) {
        match self.cmd.resolve(self.exec.router().0) {
            Ok((request, Facts::Ready(info))) => buf.push_encoded(Ok(request), info, remaining),
            Ok((request, Facts::Learn(name))) => {
                // Sent without keys unless the cluster answers before the batch is routed.
                buf.learn.push((buf.infos.len(), name));
                buf.push_encoded(Ok(request), interned::info(name, &[]), remaining);
            }
            Err(e) => buf.refuse(e),
        }
    }

    fn decode(replies: &mut Replies) -> Self::Output {
        replies.next_named::<As<T>>()
    }
}
