//! Project automation for tredis, run as `cargo xtask <task>`.
//!
//! - `import`: record COMMAND DOCS/INFO of redis-server and Valkey into `spec/server/`.
//! - `gen [--check] [--expand]`: merge `spec/` into `commands.json` and `COVERAGE.md`.
//! - `coverage --url redis://HOST:PORT [--check]`: how a live server and `commands.json` differ,
//!   both ways; `--check` fails on a difference the spec does not expect.
//! - `test`: install and start redis-server and Valkey, run fmt, clippy, `gen --check` and the suite.
//! - `demo`: run the example against `REDIS_URL`, starting a server when none answers.
//! - `doc-links`: follow every link of the rendered docs (`cargo doc` first); `test` runs it.
//! - `bench [w1 ...]`: tredis, redis-rs and fred on the same workloads (or only those named); a
//!   table and a chart.
//! - `bench compile`: clean build times of a hello-world on each, and the rebuild after a spec change.
//! - `bench telemetry`: the cost of the `spans` and `metrics` features on w2.
//! - `cluster up|down`, `sentinel up|down`, `replicas up|down`: a 6-node cluster, a primary, a
//!   replica and 3 Sentinels, or a primary and its replica, left running in the background
//!   until `down`; `restart PORT` restarts one process.

mod bench;
mod coverage;
mod demo;
mod deploy;
mod doc_links;
mod ensure;
mod gen;
mod import;
mod servers;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask \
    <import | gen [--check] [--expand] | coverage --url URL [--check] | test | demo | doc-links \
    | bench [compile | telemetry | w1 ...] \
    | cluster <up | down | restart PORT> | sentinel <up | down | restart PORT> \
    | replicas <up | down | restart PORT>>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["import"] => import::run(),
        ["gen", rest @ ..] => gen::run(rest),
        ["coverage", "--url", url] => coverage::run(url, false),
        ["coverage", "--url", url, "--check"] | ["coverage", "--check", "--url", url] => {
            coverage::run(url, true)
        }
        ["test", rest @ ..] => test::run(rest),
        ["demo"] => demo::run(),
        ["doc-links"] => doc_links::check(&project_root()),
        ["bench", "compile"] => bench::compile::run(),
        ["bench", "telemetry"] => bench::telemetry::run(),
        ["bench", only @ ..] => bench::run(only),
        [kind @ ("cluster" | "sentinel" | "replicas"), rest @ ..] => deploy::run(kind, rest),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's directory.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
