//! [`Limits`]: how much a server may send in one reply before the connection is closed.

/// Bounds on what a server may send in one reply.
///
/// A reply beyond any of them is a [`Protocol`](crate::ErrorKind::Protocol) error, and the
/// connection closes. Set them with [`Builder::limits`](crate::Builder::limits), e.g.
/// `Limits::default().max_reply_bytes(2 << 30)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of aggregates (arrays in arrays ...), default 128.
    pub max_depth: usize,
    /// Longest bulk string, in bytes (default 512 MiB, the server's own default
    /// `proto-max-bulk-len`).
    pub max_bulk_len: usize,
    /// Most values (scalars and aggregates) in one reply, default 2^26.
    pub max_elements: usize,
    /// Longest status, error or number line, in bytes, default 64 KiB.
    pub max_line_len: usize,
    /// Most memory one reply may take, in bytes (default 640 MiB).
    ///
    /// A reply is charged every byte it takes on the wire (its payloads stay in the read
    /// buffer, as views) plus `size_of::<Value>()` (40 bytes) for each element of each
    /// aggregate, which is what its element vectors take. The charge is made when a header
    /// announces a size, before anything is reserved for it: `*67108863` is refused after its
    /// 12 bytes, not after gigabytes of element slots, and a bulk header beyond the budget
    /// before its buffer is reserved.
    ///
    /// Why 640 MiB: it admits the largest value a server stores (512 MiB, its default
    /// `proto-max-bulk-len`, as [`max_bulk_len`](field@Self::max_bulk_len)) with 128 MiB to
    /// spare, and over 10 million small elements in one reply (an LRANGE, HGETALL or SMEMBERS
    /// of millions of members; bigger collections are better paged with SCAN or ranges). Yet
    /// what a broken or hostile server can make one reply cost stays well under 1 GiB. Raise
    /// it for a trusted server that sends bigger replies.
    pub max_reply_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_bulk_len: 512 << 20,
            max_elements: 1 << 26,
            max_line_len: 64 << 10,
            max_reply_bytes: 640 << 20,
        }
    }
}

impl Limits {
    /// Sets [`max_depth`](field@Limits::max_depth).
    pub fn max_depth(mut self, levels: usize) -> Limits {
        self.max_depth = levels;
        self
    }

    /// Sets [`max_bulk_len`](field@Limits::max_bulk_len).
    pub fn max_bulk_len(mut self, bytes: usize) -> Limits {
        self.max_bulk_len = bytes;
        self
    }

    /// Sets [`max_elements`](field@Limits::max_elements).
    pub fn max_elements(mut self, values: usize) -> Limits {
        self.max_elements = values;
        self
    }

    /// Sets [`max_line_len`](field@Limits::max_line_len).
    pub fn max_line_len(mut self, bytes: usize) -> Limits {
        self.max_line_len = bytes;
        self
    }

    /// Sets [`max_reply_bytes`](field@Limits::max_reply_bytes): the memory budget of one reply.
    pub fn max_reply_bytes(mut self, bytes: usize) -> Limits {
        self.max_reply_bytes = bytes;
        self
    }
}
