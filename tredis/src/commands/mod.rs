//! The typed command surface, generated from `commands.json` at compile time.
//!
//! Each command group is a trait (`StringCommands`, `GenericCommands`, ...) implemented by every
//! command target, and a cargo feature of the same name as the group. A method takes the
//! command's required arguments and returns a request: chain its options, then `.await` it.
//! Options that change the reply change its type too:
//!
//! ```no_run
//! # use std::time::Duration;
//! # use bytes::Bytes;
//! use tredis::prelude::*;
//!
//! # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
//! client.set("k", "v").ex(Duration::from_secs(10)).await?;           // ()
//! let won: bool = client.set("k", "v").nx().await?;                  // NX: set or not
//! let old: Option<Bytes> = client.set("k", "v2").get().await?;       // GET: the old value
//! let n: u64 = client.del(["a", "b"]).await?;
//! # Ok(())
//! # }
//! ```
//!
//! `COVERAGE.md` at the top of the repository lists every server command and its status.

mod generated;

#[allow(unused_imports)] // empty when every group is off
pub use generated::*;
