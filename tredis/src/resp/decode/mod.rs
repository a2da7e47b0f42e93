//! The incremental RESP2/RESP3 decoder.
//!
//! Payloads are split off the read buffer as soon as they are complete (`split_to().freeze()`,
//! a reference count, not a copy; a run of bulk strings, as much of it as has arrived, takes
//! one split) and every value
//! becomes its final [`Value`] at once, so a reply is never held in two forms. Aggregates under
//! construction live on an explicit stack, so nesting costs no recursion and a partial reply
//! resumes where it stopped instead of being parsed again from its first byte. Memory is
//! charged to the reply when a header announces it, before any is reserved, and element
//! vectors grow with the data received, up to exactly the announced count.

mod bulk_run;
mod level;
mod scalar;
mod step;

pub(crate) use scalar::parse_double;

use bytes::{Buf, Bytes, BytesMut};

use self::level::Level;
use super::{Limits, Value};
use crate::Error;

/// Reads values from a byte buffer that fills up over time.
#[derive(Debug)]
pub struct Decoder {
    stack: Vec<Level>,
    /// Bytes at the front of the buffer already parsed (headers, numbers): they leave it with
    /// the next payload split off, or when the reply completes.
    pos: usize,
    limits: Limits,
    /// Values of the reply in progress, against `max_elements`.
    elements: usize,
    /// Bytes charged to the reply in progress, against `max_reply_bytes`.
    charged: usize,
    /// Where the payloads of a run of bulk strings are, kept to be reused.
    spans: Vec<(usize, usize)>,
}

enum Step {
    Incomplete,
    Value(Value),
    Open(Level),
}

/// What taking the top aggregate's bulk strings led to.
enum Progress {
    /// The aggregate is complete: here it is.
    Value(Value),
    /// An attribute is complete, and dropped.
    Dropped,
    /// Its next bulk string has not fully arrived.
    Wait,
    /// Its next value is for the general path.
    Step,
}

fn err(msg: impl Into<String>) -> Error {
    Error::protocol(msg)
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Decoder {
        Decoder { stack: Vec::new(), pos: 0, limits, elements: 0, charged: 0, spans: Vec::new() }
    }

    /// Capacity reserved for the innermost partial aggregate (tests of the allocation bound).
    #[cfg(test)]
    pub(super) fn partial_capacity(&self) -> usize {
        match self.stack.last() {
            Some(Level::Seq { items, .. }) => items.capacity(),
            Some(Level::Map { pairs, .. }) => pairs.capacity(),
            _ => 0,
        }
    }

    /// True when no value is partly decoded.
    pub fn is_idle(&self) -> bool {
        // Every byte parsed is charged, and the charge is cleared when a reply completes.
        self.stack.is_empty() && self.charged == 0
    }

    /// Decodes the next complete value from `buf`, consuming its bytes. `Ok(None)` means more
    /// input is needed; an error means the stream is corrupt and the connection must close.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        // A run of bulk strings the last call left waiting for bytes goes on first.
        let mut resumed = None;
        if !self.stack.is_empty() {
            match self.complete_top(buf)? {
                Progress::Value(v) => resumed = Some(v),
                Progress::Wait => return Ok(None),
                Progress::Dropped | Progress::Step => {}
            }
        }
        'outer: loop {
            let mut value = match resumed.take() {
                Some(v) => v,
                None => match self.step(buf)? {
                    Step::Incomplete => return Ok(None),
                    Step::Value(v) => v,
                    Step::Open(level) if level.left() == 0 => match level.finish() {
                        Some(v) => v,
                        None => continue,
                    },
                    Step::Open(level) => {
                        if self.stack.len() >= self.limits.max_depth {
                            return Err(err(format!(
                                "reply nested deeper than {} levels",
                                self.limits.max_depth
                            )));
                        }
                        self.stack.push(level);
                        match self.complete_top(buf)? {
                            Progress::Value(v) => v,
                            Progress::Wait => return Ok(None),
                            Progress::Dropped | Progress::Step => continue,
                        }
                    }
                },
            };
            loop {
                let Some(top) = self.stack.last_mut() else {
                    if self.pos > 0 {
                        buf.advance(self.pos);
                        self.pos = 0;
                    }
                    self.elements = 0;
                    self.charged = 0;
                    return Ok(Some(value));
                };
                top.push(value, buf.len() - self.pos);
                match self.complete_top(buf)? {
                    Progress::Value(v) => value = v,
                    Progress::Wait => return Ok(None),
                    // The general path, or an attribute done (dropped: it annotates the next
                    // value).
                    Progress::Dropped | Progress::Step => continue 'outer,
                }
            }
        }
    }

    /// Takes what it can of the top aggregate in the fast path; once complete, pops it.
    fn complete_top(&mut self, buf: &mut BytesMut) -> Result<Progress, Error> {
        let waits = self.bulk_run(buf)?;
        let top = self.stack.last().expect("non-empty stack");
        if top.left() > 0 {
            return Ok(if waits { Progress::Wait } else { Progress::Step });
        }
        Ok(match self.stack.pop().expect("non-empty stack").finish() {
            Some(v) => Progress::Value(v),
            None => Progress::Dropped,
        })
    }

    /// The payload at `start..end` of `buf`, followed by CRLF, as a view of the buffer. The
    /// buffer loses it, its CRLF and everything parsed before it.
    fn take(&mut self, buf: &mut BytesMut, start: usize, end: usize) -> Bytes {
        if start == end {
            // An empty view would keep the read buffer alive.
            self.pos = end + 2;
            return Bytes::new();
        }
        let mut frame = buf.split_to(end + 2);
        frame.advance(start);
        frame.truncate(end - start);
        self.pos = 0;
        frame.freeze()
    }

    fn count(&mut self, n: usize) -> Result<(), Error> {
        self.elements = self.elements.saturating_add(n);
        if self.elements > self.limits.max_elements {
            return Err(err(format!("reply has more than {} values", self.limits.max_elements)));
        }
        Ok(())
    }

    /// Charges `bytes` to the reply's memory budget.
    fn charge(&mut self, bytes: usize) -> Result<(), Error> {
        self.charged = self.charged.saturating_add(bytes);
        if self.charged > self.limits.max_reply_bytes {
            return Err(self.over_budget());
        }
        Ok(())
    }

    #[cold]
    fn over_budget(&self) -> Error {
        err(format!(
            "reply needs more than {} bytes of memory (Limits::max_reply_bytes); for a trusted \
             server, raise it with Builder::limits(Limits::default().max_reply_bytes(..))",
            self.limits.max_reply_bytes
        ))
    }
}
