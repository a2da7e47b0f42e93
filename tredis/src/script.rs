//! [`Script`]: a Lua script run by its SHA1, loaded into the server when the server lacks it.

use std::sync::Mutex;

use bytes::Bytes;

use crate::args::{ToArgs, ToKeys};
use crate::commands::ScriptingCommands;
use crate::request::Executor;
use crate::resp::Value;
use crate::Error;

/// A Lua script, sent once and then run by its SHA1 (EVALSHA).
///
/// The first call loads it with SCRIPT LOAD and remembers the SHA1. When the server answers
/// NOSCRIPT (it restarted, or SCRIPT FLUSH ran), the script is loaded again and the call is
/// retried once.
///
/// ```no_run
/// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
/// let incr_by = tredis::Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let n = incr_by.invoke(&client, "counter", 5).await?;
/// assert_eq!(n, tredis::Value::Int(5));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Script {
    code: Bytes,
    sha1: Mutex<Option<String>>,
}

impl Script {
    /// A script with this Lua source.
    pub fn new(code: impl Into<Bytes>) -> Script {
        Script { code: code.into(), sha1: Mutex::new(None) }
    }

    /// The Lua source.
    pub fn code(&self) -> &[u8] {
        &self.code
    }

    /// Runs the script with `keys` and `args` and returns what it returns.
    ///
    /// # Errors
    ///
    /// The script's error, or any error of sending it.
    pub async fn invoke<E>(&self, target: &E, keys: impl ToKeys, args: impl ToArgs) -> Result<Value, Error>
    where
        E: Executor + crate::request::Target,
    {
        let known = self.sha1.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let sha1 = match known {
            Some(s) => s,
            None => self.load(target).await?,
        };
        match target.evalsha(&sha1, &keys, &args).await {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                let sha1 = self.load(target).await?;
                target.evalsha(&sha1, &keys, &args).await
            }
            other => other,
        }
    }

    async fn load<E: Executor + crate::request::Target>(&self, target: &E) -> Result<String, Error> {
        let sha1 = target.script_load(&self.code).await?;
        *self.sha1.lock().unwrap_or_else(|e| e.into_inner()) = Some(sha1.clone());
        Ok(sha1)
    }
}
