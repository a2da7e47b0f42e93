//! Logging through `tracing` when the `tracing` feature is on, and nothing otherwise.
//!
//! Connection lifecycle events ([`event!`]) carry structured fields (`addr`, `cause`, ...)
//! beside their message, all with target `tredis`: `connected` (after the handshake, with
//! the protocol), `connect failed`, `connection lost` (the cause; a reconnect follows),
//! `health check failed`, `moving to the new primary` (a failover), `redirected` (MOVED or
//! ASK, with the slot and node), `slot map refreshed` / `slot map refresh failed`,
//! `resubscribed` / `resubscribe failed`.

macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        tracing::debug!($($arg)*);
        #[cfg(not(feature = "tracing"))]
        {
            let _ = format_args!($($arg)*);
        }
    }};
}

macro_rules! warning {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        tracing::warn!($($arg)*);
        #[cfg(not(feature = "tracing"))]
        {
            let _ = format_args!($($arg)*);
        }
    }};
}

/// A lifecycle event: `event!(debug, "connected", addr = a, cause = e)`; each field is
/// recorded with its `Display` form.
macro_rules! event {
    ($level:ident, $msg:literal $(, $k:ident = $v:expr)* $(,)?) => {{
        #[cfg(feature = "tracing")]
        tracing::$level!(target: "tredis", $($k = %$v,)* $msg);
        #[cfg(not(feature = "tracing"))]
        {
            $(let _ = &$v;)*
        }
    }};
}

pub(crate) use {debug, event, warning};
