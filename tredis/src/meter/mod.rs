//! What the runtime measures for [`crate::metrics`]: per request, a start time; per client,
//! the installed [`Metrics`](crate::metrics::Metrics). Without the `metrics` feature, every
//! item here is an empty twin that the compiler removes.

#[cfg(feature = "metrics")]
mod on;
#[cfg(feature = "metrics")]
pub(crate) use on::*;

#[cfg(not(feature = "metrics"))]
mod off;
#[cfg(not(feature = "metrics"))]
pub(crate) use off::*;
