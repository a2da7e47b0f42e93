//! [`Pending`]: the raw answer to a request handed to a connection (or to a task that will
//! hand it to one). Whoever holds the request answers it by its deadline, so awaiting a
//! `Pending` needs no timer of its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::sync::oneshot;

use super::{Answer, BatchAnswer};
use crate::command::Encoded;
use crate::resp::Value;
use crate::{Error, ErrorKind};

/// The raw answer to a submitted command: its reply (a server error included) or why it has
/// none, and its bytes when they may be sent again.
#[doc(hidden)]
pub struct Pending(State);

enum State {
    // The rare states are boxed so that a `Pending`, in every request's future, stays two
    // words: a future small enough is moved without a call to `memcpy`.
    Failed(Option<Error>),
    /// Answered without the server (the client's own books sufficed).
    Ready(Option<Box<Value>>),
    /// A request whose failure to reach the server still has the outcome `Value` (an
    /// unsubscription: a lost connection ends the subscription too).
    Lenient(Box<(Pending, Option<Value>)>),
    Waiting(oneshot::Receiver<Answer>),
    /// Commands (ASKING, an offset probe) and the request, sent as one batch: the answer is
    /// the last reply, unless one before was refused.
    /// Boxed: it is rare (a redirection, WAIT in a cluster), and inline it would make every
    /// request's future larger.
    Prefixed(Box<(oneshot::Receiver<BatchAnswer>, usize, Option<Encoded>)>),
}

impl Pending {
    /// A request that failed before it was sent.
    pub(crate) fn failed(e: Error) -> Pending {
        Pending(State::Failed(Some(e)))
    }

    /// A request answered at once, without the server.
    pub(crate) fn ready(v: Value) -> Pending {
        Pending(State::Ready(Some(Box::new(v))))
    }

    /// This request, answered with `fallback` when no connection carried it to its end: when
    /// the connection is lost, what it would have done is done all the same.
    pub(crate) fn or_when_lost(self, fallback: Value) -> Pending {
        Pending(State::Lenient(Box::new((self, Some(fallback)))))
    }

    /// A request waiting for its answer.
    pub(crate) fn waiting(rx: oneshot::Receiver<Answer>) -> Pending {
        Pending(State::Waiting(rx))
    }

    /// The answer to a request sent right after another command (ASKING, an offset probe),
    /// in one batch of two.
    pub(crate) fn prefixed(rx: oneshot::Receiver<BatchAnswer>, prefix: usize, request: Encoded) -> Pending {
        Pending(State::Prefixed(Box::new((rx, prefix, Some(request)))))
    }
}

impl Future for Pending {
    type Output = Answer;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        match &mut self.0 {
            State::Failed(e) => Poll::Ready(Answer {
                result: Err(e.take().unwrap_or_else(|| Error::protocol("reply polled after completion"))),
                request: None,
            }),
            State::Ready(v) => Poll::Ready(Answer {
                result: v.take().map(|v| *v).ok_or_else(|| Error::protocol("reply polled after completion")),
                request: None,
            }),
            State::Lenient(lenient) => {
                let (inner, fallback) = &mut **lenient;
                let mut answer = ready!(Pin::new(inner).poll(cx));
                let lost = answer.result.as_ref().err().is_some_and(|e| {
                    matches!(e.kind(), ErrorKind::Connect | ErrorKind::Indeterminate | ErrorKind::Closed)
                });
                if lost {
                    answer = Answer {
                        result: fallback.take().ok_or_else(|| Error::protocol("polled twice")),
                        request: None,
                    };
                }
                Poll::Ready(answer)
            }
            State::Waiting(rx) => Poll::Ready(ready!(Pin::new(rx).poll(cx)).unwrap_or_else(|_| Answer {
                result: Err(Error::indeterminate("the connection task stopped")),
                request: None,
            })),
            State::Prefixed(prefixed) => {
                let (rx, prefix, request) = &mut **prefixed;
                let batch = ready!(Pin::new(rx).poll(cx));
                let request = request.take();
                let prefix = *prefix;
                Poll::Ready(match batch {
                    Ok(BatchAnswer { mut values, error: None, .. }) if values.len() == prefix + 1 => {
                        let reply = values.pop().expect("the request's reply");
                        match refused_probe(&values) {
                            Some(refused) => Answer { result: Ok(refused), request },
                            None => Answer { result: Ok(reply), request },
                        }
                    }
                    Ok(BatchAnswer { error: Some(e), .. }) => Answer { result: Err(e), request },
                    _ => Answer { result: Err(Error::indeterminate("the batch ended early")), request },
                })
            }
        }
    }
}

/// The error to answer with when the commands before the request were refused: the request's
/// own reply cannot be trusted then (a WAIT whose offset was not brought up to date counts
/// nothing). A redirection is reported as a plain error, so that nothing follows it with the
/// request alone.
pub(crate) fn refused_probe(replies: &[Value]) -> Option<Value> {
    for v in replies {
        if let Some(e) = v.as_error() {
            let redirected = e.starts_with(b"MOVED ") || e.starts_with(b"ASK ");
            return Some(if redirected {
                let mut text = b"ERR the offset probe was redirected (".to_vec();
                text.extend_from_slice(e);
                text.push(b')');
                Value::Error(text.into())
            } else {
                v.clone()
            });
        }
    }
    // A transaction probe whose EXEC answers nil did not run.
    match replies.last() {
        Some(Value::Null) => {
            Some(Value::Error(bytes::Bytes::from_static(b"ERR the offset probe did not run")))
        }
        _ => None,
    }
}
