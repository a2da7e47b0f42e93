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

/// What the spec says about the command `name` (its words separated by any whitespace, in any
/// case), with the spec's spelling of the name: `None` when the spec does not know it, or its
/// group is not built.
pub(crate) fn by_name(name: &str) -> Option<(&'static str, crate::command::Known)> {
    let wanted = || {
        let mut words = name.split_ascii_whitespace();
        let first = words.next().unwrap_or_default();
        first.bytes().chain(words.flat_map(|w| std::iter::once(b' ').chain(w.bytes())))
    };
    let table = generated::BY_NAME;
    let at =
        table.binary_search_by(|(key, _)| key.bytes().cmp(wanted().map(|b| b.to_ascii_uppercase()))).ok()?;
    Some(table[at])
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_found_in_any_case_and_spacing() {
        let (name, known) = super::by_name("client   kill").expect("CLIENT KILL is in the spec");
        assert_eq!(name, "CLIENT KILL");
        assert!(matches!(known, crate::command::Known::Spec(i) if i.name == "CLIENT KILL"));
        assert!(matches!(super::by_name("Select"), Some((_, crate::command::Known::Refused(_)))));
        assert!(matches!(super::by_name("watch"), Some((_, crate::command::Known::Refused(_)))));
        assert!(super::by_name("JSON.SET").is_none());
        assert!(super::by_name("CLIENT").is_none());
        let sorted = super::generated::BY_NAME.windows(2).all(|w| w[0].0 < w[1].0);
        assert!(sorted, "the table is sorted for the binary search");
    }
}
