//! [`ScanStream`]: a SCAN-family command iterated to the end, one item at a time.

use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::command::{CommandInfo, Encoded};
use crate::reply::{Decode, Scan};
use crate::request::{Executor, ReplyFuture, ReqOpts, ScanNodes};
use crate::Error;

/// The request for the next page, boxed because the stream moves.
type Page<'c, E, P> = Pin<Box<ReplyFuture<'c, E, Scan<P>>>>;

/// The items of a page.
type Items<P> = <<P as Decode>::Output as IntoIterator>::IntoIter;

/// Every item of a SCAN, HSCAN, SSCAN or ZSCAN, fetching pages as needed.
///
/// Use it as a `futures::Stream`, or call [`ScanStream::next`] in a loop.
pub struct ScanStream<'c, E: ?Sized, P: Decode>
where
    P::Output: IntoIterator,
{
    exec: &'c E,
    template: Result<Encoded, Option<Error>>,
    index: usize,
    info: &'static CommandInfo,
    cursor: Option<u64>,
    /// In a cluster, SCAN walks each primary in turn: which, and where it is.
    nodes: Option<ScanNodes>,
    node: usize,
    page: Option<Items<P>>,
    pending: Option<Page<'c, E, P>>,
    _p: PhantomData<P>,
}

/// One item of a page.
pub type Item<P> = <<P as Decode>::Output as IntoIterator>::Item;

impl<'c, E: Executor + ?Sized, P: Decode> ScanStream<'c, E, P>
where
    P::Output: IntoIterator,
{
    pub(crate) fn new(
        exec: &'c E,
        first: Result<Encoded, Error>,
        index: usize,
        info: &'static CommandInfo,
    ) -> Self {
        ScanStream {
            exec,
            template: first.map_err(|e| Some(e.with_command(info.name))),
            index,
            info,
            cursor: None,
            // A cursor over the whole keyspace (SCAN, whose routing the server leaves to the
            // client) walks every primary; HSCAN and the others follow their key.
            nodes: if info.tips.contains(&"request_policy:special") { exec.scan_nodes() } else { None },
            node: 0,
            page: None,
            pending: None,
            _p: PhantomData,
        }
    }

    /// The next item, `None` at the end; an error ends the iteration.
    pub async fn next(&mut self) -> Option<Result<Item<P>, Error>> {
        poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Collects every remaining item.
    pub async fn collect_all(mut self) -> Result<Vec<Item<P>>, Error> {
        let mut out = Vec::new();
        while let Some(item) = self.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Item<P>, Error>>> {
        loop {
            if let Some(item) = self.page.as_mut().and_then(Iterator::next) {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(p) = self.pending.as_mut() {
                let reply = std::task::ready!(p.as_mut().poll(cx));
                self.pending = None;
                match reply {
                    Ok((cursor, items)) => {
                        self.cursor = Some(cursor);
                        self.page = Some(items.into_iter());
                        continue;
                    }
                    Err(e) => {
                        self.template = Err(None);
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            let template = match &self.template {
                Ok(t) => t,
                Err(e) => return Poll::Ready(self.template_error(e.is_some())),
            };
            let request = match self.cursor {
                None => template.clone(),
                Some(0) => match &self.nodes {
                    // This node is done: on to the next primary, from the start.
                    Some(nodes) if self.node + 1 < nodes.len() => {
                        self.node += 1;
                        template.clone()
                    }
                    _ => return Poll::Ready(None),
                },
                Some(c) => template.with_arg(self.index, itoa::Buffer::new().format(c).as_bytes()),
            };
            let page = match self.nodes.as_ref().and_then(|n| n.0.get(self.node)) {
                Some(node) => ReplyFuture::pinned(self.exec, node.clone(), request, self.info),
                None => ReplyFuture::new(self.exec, Ok(request), self.info, ReqOpts::default()),
            };
            self.pending = Some(Box::pin(page));
        }
    }

    fn template_error(&mut self, has: bool) -> Option<Result<Item<P>, Error>> {
        if !has {
            return None;
        }
        let e = std::mem::replace(&mut self.template, Err(None));
        e.err().flatten().map(Err)
    }
}

impl<E: Executor + ?Sized, P: Decode> futures_core::Stream for ScanStream<'_, E, P>
where
    P::Output: IntoIterator,
{
    type Item = Result<Item<P>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<E: ?Sized, P: Decode> Unpin for ScanStream<'_, E, P> where P::Output: IntoIterator {}
