//! Buffers of finished requests, kept per thread: a dropped [`Encoded`] gives its buffer back,
//! and the next [`CmdBuf`](super::CmdBuf) takes it.

use super::Encoded;

/// Requests up to this size give their buffer back for the next request of the thread.
const SPARE_MAX_BYTES: usize = 4096;
/// Bytes of spare buffers kept per thread: enough for a pipeline of a few thousand commands.
const SPARE_MAX_TOTAL: usize = 512 << 10;

/// Buffers of finished requests, and their total capacity.
struct Spare {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

std::thread_local! {
    /// Buffers of finished requests, reused by the next ones: once warm, encoding a command
    /// allocates nothing.
    static SPARE: std::cell::RefCell<Spare> = const { std::cell::RefCell::new(Spare { buffers: Vec::new(), bytes: 0 }) };
}

/// An empty buffer of at least `capacity` bytes, recycled when possible.
#[inline]
pub(super) fn take_buffer(capacity: usize) -> Vec<u8> {
    let spare = SPARE
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let b = s.buffers.pop()?;
            s.bytes -= b.capacity();
            Some(b)
        })
        .ok()
        .flatten();
    match spare {
        Some(mut b) => {
            b.reserve(capacity);
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

impl Drop for Encoded {
    #[inline]
    fn drop(&mut self) {
        let cap = self.buf.capacity();
        if cap > SPARE_MAX_BYTES || cap == 0 {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.bytes + cap <= SPARE_MAX_TOTAL {
                s.bytes += cap;
                s.buffers.push(buf);
            }
        });
    }
}
