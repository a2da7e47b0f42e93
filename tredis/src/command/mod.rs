//! What a generated request is made of: the [`Command`] trait, its static [`CommandInfo`], and
//! the buffers that encode arguments ([`CmdBuf`], [`ArgList`]) into a finished [`Encoded`].
//!
//! Raw commands use the same buffers; their facts come from the spec's name table
//! ([`Known`]) or are made at run time (`interned`).
//!
//! Required arguments are encoded when the method is called; options are kept typed in the
//! request and encoded, in spec order, by [`Command::encode`]. A request is encoded exactly
//! once, into the buffer that is then written to the socket.

mod arg_list;
mod blocking;
mod cmd_buf;
mod encoded;
mod encoding_methods;
mod flags;
mod info;
pub(crate) mod interned;
mod key_spec;
mod known;
mod runtime;
mod spare;
mod with_reply;

pub use arg_list::ArgList;
pub use blocking::Blocking;
pub use cmd_buf::CmdBuf;
pub use encoded::Encoded;
pub use flags::Flags;
pub use info::CommandInfo;
pub use key_spec::{BeginSearch, FindKeys, KeySpec};
pub use known::Known;
pub use runtime::OFFSET_PROBE;
pub(crate) use runtime::{key_probe, ASKING, EXEC, KEY_PROBE_REPLIES, MULTI, SUBSCRIBE, UNSUBSCRIBE};
pub use with_reply::WithReply;

use crate::reply::Decode;
use crate::Error;

/// A request the generator made: how to encode it and how to decode its reply.
pub trait Command {
    /// The reply decoder.
    type Reply: Decode;
    /// Name, flags, key positions and tips, from the server's COMMAND INFO.
    const INFO: &'static CommandInfo;
    /// Encodes the request, or returns the argument error found before sending.
    fn encode(self) -> Result<Encoded, Error>;
}
