//! RESP2 and RESP3: the values a server sends, an incremental decoder, and the encoder.
//!
//! The decoder is one parser for both protocols (RESP2 is a subset of RESP3). Every payload it
//! returns is a [`bytes::Bytes`] view of the read buffer, never a copy. Partial input is a state,
//! not an error: the decoder keeps the aggregates it has finished so far and resumes where the
//! input stopped, so a reply arriving in many reads is scanned once. Lengths, element counts,
//! nesting depth and the memory of each reply are bounded by [`Limits`], so a broken or hostile
//! server can exhaust neither memory nor the stack.

mod decode;
mod encode;
mod frame;
mod limits;
#[cfg(test)]
mod tests;

pub(crate) use decode::parse_double as parse_double_text;
pub use decode::Decoder;
pub(crate) use encode::bulk;
pub use frame::Value;
pub use limits::Limits;

/// The protocol a connection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2: works with every server.
    Resp2,
    /// RESP3 through `HELLO 3`; falls back to RESP2 on servers without HELLO (before 6.0).
    #[default]
    Resp3,
}
