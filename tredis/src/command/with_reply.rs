//! [`WithReply`]: a command whose reply is read by another decoder, for callers who want the
//! reply as their own type ([`Req::decode_as`](crate::Req::decode_as)).

use std::marker::PhantomData;

use super::{Command, CommandInfo, Encoded};
use crate::reply::Decode;
use crate::Error;

/// The command `C`, its reply decoded by `D` instead of the spec's decoder. Sent exactly as
/// `C` is: same arguments, routing and retry rules.
pub struct WithReply<C, D> {
    cmd: C,
    _reply: PhantomData<fn() -> D>,
}

impl<C, D> WithReply<C, D> {
    pub(crate) fn new(cmd: C) -> Self {
        WithReply { cmd, _reply: PhantomData }
    }
}

impl<C: Command, D: Decode> Command for WithReply<C, D> {
    type Reply = D;
    const INFO: &'static CommandInfo = C::INFO;

    #[inline]
    fn encode(self) -> Result<Encoded, Error> {
        self.cmd.encode()
    }
}
