//! Logging through `tracing` when the `tracing` feature is on, and nothing otherwise.

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

pub(crate) use {debug, warning};
