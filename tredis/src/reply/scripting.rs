//! Scripting records: FUNCTION LIST and FUNCTION STATS.

use super::record::map_record;
use super::{Any, Array, Nullable, Str};
use crate::resp::Value;

map_record! {
    /// One function of a library.
    pub struct FunctionInfo {
        /// Its name.
        name: String => "name" as Str,
        /// Its description, when it has one.
        description: Option<String> => "description" as Nullable<Str>,
        /// `no-writes`, `allow-oom` ...
        flags: Vec<String> => "flags" as Array<Str>,
    }
}

map_record! {
    /// One library of FUNCTION LIST.
    pub struct FunctionLibrary {
        /// Its name.
        library_name: String => "library_name" as Str,
        /// Its engine (`LUA`).
        engine: String => "engine" as Str,
        /// Its functions.
        functions: Vec<FunctionInfo> => "functions" as Array<FunctionInfo>,
        /// Its source, with WITHCODE.
        library_code: Option<String> => "library_code" as Nullable<Str>,
    }
}

map_record! {
    /// FUNCTION STATS.
    pub struct FunctionStats {
        /// The function running now, if any, as the server describes it.
        running_script: Value => "running_script" as Any,
        /// Libraries and functions per engine, as the server describes them.
        engines: Value => "engines" as Any,
    }
}
