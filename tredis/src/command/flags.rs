//! [`Flags`]: what the server says about a command, and what tredis adds to it.

/// Command flags reported by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// No flags.
    pub const NONE: Flags = Flags(0);
    /// May modify data.
    pub const WRITE: Flags = Flags(1);
    /// Only reads data.
    pub const READONLY: Flags = Flags(1 << 1);
    /// May use more memory.
    pub const DENYOOM: Flags = Flags(1 << 2);
    /// Administrative.
    pub const ADMIN: Flags = Flags(1 << 3);
    /// Pub/sub.
    pub const PUBSUB: Flags = Flags(1 << 4);
    /// Not allowed in scripts.
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    /// May block the connection.
    pub const BLOCKING: Flags = Flags(1 << 6);
    /// Allowed while the server loads its data.
    pub const LOADING: Flags = Flags(1 << 7);
    /// Allowed on a stale replica.
    pub const STALE: Flags = Flags(1 << 8);
    /// Constant or log time.
    pub const FAST: Flags = Flags(1 << 9);
    /// Not allowed inside MULTI.
    pub const NO_MULTI: Flags = Flags(1 << 10);
    /// Key positions depend on the arguments.
    pub const MOVABLE_KEYS: Flags = Flags(1 << 11);
    /// Allowed before authentication.
    pub const NO_AUTH: Flags = Flags(1 << 12);
    /// May replicate even when read-only.
    pub const MAY_REPLICATE: Flags = Flags(1 << 13);
    /// Succeeds by closing the connection without a reply (SHUTDOWN).
    pub const CLOSES_CONNECTION: Flags = Flags(1 << 14);
    /// Counts the writes of the connection it arrives on (WAIT, WAITAOF): it is sent on a
    /// connection of its own right after [`OFFSET_PROBE`](super::OFFSET_PROBE), a write-free command that brings that
    /// connection's replication offset up to date, so that it counts every write acknowledged
    /// before it, whichever connection carried it.
    pub const SYNCS_OFFSET: Flags = Flags(1 << 15);
    /// Cannot run on a cluster, which has database 0 only (MOVE, SWAPDB): refused before
    /// anything is sent.
    pub const REFUSED_IN_CLUSTER: Flags = Flags(1 << 16);
    /// All or nothing over its keys (MSETNX): never split by slot, whatever the server's tips
    /// say, as the parts could succeed apart.
    pub const NEVER_SPLIT: Flags = Flags(1 << 17);
    /// A subscribe-family command (SUBSCRIBE, UNSUBSCRIBE ...): answered by one confirmation
    /// per channel it names, pushes beside the connection's other replies.
    pub const SUBSCRIBES: Flags = Flags(1 << 18);

    /// Flags from their bits.
    pub const fn from_bits(bits: u32) -> Flags {
        Flags(bits)
    }

    /// The bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}
