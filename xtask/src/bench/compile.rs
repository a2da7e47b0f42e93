//! `cargo xtask bench compile`: how long a user waits for tredis to build, beside redis-rs, fred
//! and a floor of tokio and bytes alone, and how long a touch of `commands.json` costs.
//!
//! Each contender is a hello-world crate generated under `target/bench-compile/<name>/` with a
//! `[workspace]` of its own, so the main workspace does not claim it, and a target dir of its
//! own, deleted before the timed build so that the build is truly clean. Prints a Markdown
//! table and writes `xtask/bench/results/COMPILE.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

/// The features tredis asks of tokio. Every hello-world asks the same, so that the floor is
/// what any tokio client pays and the rest is each client's own.
const TOKIO: &str = concat!(
    r#"tokio = { version = "1", default-features = false, "#,
    r#"features = ["net", "io-util", "rt", "sync", "time", "macros"] }"#
);

/// One generated crate: its directory and package name, its label in the table, its
/// dependencies besides tokio (`{tredis}` stands for the path of the tredis crate) and its main.
struct HelloWorld {
    name: &'static str,
    label: &'static str,
    deps: &'static str,
    main: &'static str,
}

const FLOOR: HelloWorld = HelloWorld {
    name: "floor",
    label: "floor: tokio + bytes",
    deps: r#"bytes = "1""#,
    main: r#"use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut socket = tokio::net::TcpStream::connect("127.0.0.1:6379").await?;
    socket.write_all(b"PING\r\n").await?;
    let mut reply = bytes::BytesMut::with_capacity(64);
    socket.read_buf(&mut reply).await?;
    Ok(())
}
"#,
};

const TREDIS: HelloWorld = HelloWorld {
    name: "tredis",
    label: "tredis (path, default features)",
    deps: r#"tredis = { path = {tredis} }"#,
    main: r#"#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tredis::Error> {
    let _client = tredis::Client::connect("redis://127.0.0.1:6379").await?;
    Ok(())
}
"#,
};

const TREDIS_TLS: HelloWorld = HelloWorld {
    name: "tredis-tls",
    label: "tredis (path, default features + tls)",
    deps: r#"tredis = { path = {tredis}, features = ["tls"] }"#,
    main: r#"#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tredis::Error> {
    let _client = tredis::Client::connect("rediss://127.0.0.1:6380").await?;
    Ok(())
}
"#,
};

const REDIS_RS: HelloWorld = HelloWorld {
    name: "redis-rs",
    label: "redis-rs 1.8.1 (tokio-comp only)",
    deps: r#"redis = { version = "=1.8.1", default-features = false, features = ["tokio-comp"] }"#,
    main: r#"#[tokio::main(flavor = "current_thread")]
async fn main() -> redis::RedisResult<()> {
    let client = redis::Client::open("redis://127.0.0.1:6379")?;
    let _connection = client.get_multiplexed_async_connection().await?;
    Ok(())
}
"#,
};

const FRED: HelloWorld = HelloWorld {
    name: "fred",
    label: "fred 10.1.0 (default features)",
    deps: r#"fred = "=10.1.0""#,
    main: r#"use fred::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = Config::from_url("redis://127.0.0.1:6379")?;
    let client = Builder::from_config(config).build()?;
    let _connection_task = client.init().await?;
    Ok(())
}
"#,
};

/// The floor comes first and tredis second: the report reads their timings by these places.
const HELLO_WORLDS: [&HelloWorld; 5] = [&FLOOR, &TREDIS, &REDIS_RS, &FRED, &TREDIS_TLS];
const AT_FLOOR: usize = 0;
const AT_TREDIS: usize = 1;
const AT_TREDIS_TLS: usize = 4;

/// Most the `tls` feature may add to a clean release build.
const TLS_GOAL: f64 = 8.0;

/// The goals of the compile-time issue, in seconds.
const CLEAN_GOAL: f64 = 20.0;
const CLEAN_STRETCH: f64 = 15.0;
const REBUILD_GOAL: f64 = 15.0;

#[derive(Clone, Copy)]
enum Profile {
    Debug,
    Release,
}

/// One timed build: wall seconds and how many packages it compiled (not merely found fresh).
#[derive(Clone, Copy)]
struct Timing {
    secs: f64,
    packages: usize,
}

/// Entry point of `cargo xtask bench compile`.
pub fn run() -> Result<(), String> {
    let root = crate::project_root();
    let host = host()?;
    let mut dirs = Vec::new();
    // Everything is fetched before anything is timed, so the timings hold no download.
    for hw in HELLO_WORLDS {
        let dir = generate(&root, hw)?;
        fetch(&dir, &host)?;
        dirs.push(dir);
    }
    let mut clean = Vec::new();
    for (hw, dir) in HELLO_WORLDS.iter().zip(&dirs) {
        let target = dir.join("target");
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .map_err(|e| format!("cannot delete {}: {e}", target.display()))?;
        }
        clean.push(timed(hw.name, "clean release build", dir, Profile::Release)?);
    }
    let tredis = &dirs[AT_TREDIS];
    touch(&root.join("commands.json"))?;
    let release_rebuild = timed("tredis", "release rebuild after the touch", tredis, Profile::Release)?;
    let debug_clean = timed("tredis", "clean debug build", tredis, Profile::Debug)?;
    touch(&root.join("commands.json"))?;
    let debug_rebuild = timed("tredis", "debug rebuild after the touch", tredis, Profile::Debug)?;
    let report = report(&clean, release_rebuild, debug_clean, debug_rebuild);
    println!("{report}");
    let results = root.join("xtask/bench/results");
    std::fs::create_dir_all(&results).map_err(|e| e.to_string())?;
    std::fs::write(results.join("COMPILE.md"), &report).map_err(|e| e.to_string())?;
    eprintln!("xtask: wrote xtask/bench/results/COMPILE.md");
    Ok(())
}

/// Writes the crate of `hw`, keeping a lock file from an earlier run. A new one starts from the
/// benchmark's, whose versions are already in the local registry, so that resolution works
/// offline and every contender builds the same tokio.
fn generate(root: &Path, hw: &HelloWorld) -> Result<PathBuf, String> {
    let dir = root.join("target/bench-compile").join(hw.name);
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let deps = hw.deps.replace("{tredis}", &format!("{:?}", root.join("tredis").display().to_string()));
    let manifest = format!(
        "# Generated by `cargo xtask bench compile`; rewritten on every run.\n\
         [package]\nname = \"hello-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{TOKIO}\n{deps}\n\n[workspace]\n",
        hw.name
    );
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(dir.join("Cargo.toml"), &manifest)?;
    write(dir.join("src/main.rs"), hw.main)?;
    let lock = dir.join("Cargo.lock");
    if !lock.exists() {
        std::fs::copy(root.join("xtask/bench/Cargo.lock"), &lock)
            .map_err(|e| format!("cannot copy the lock file: {e}"))?;
    }
    Ok(dir)
}

/// Resolves and downloads, offline first: the registry is often all the network there is. Only
/// the crates of `host` are fetched, since no other platform's are built, nor likely cached.
fn fetch(dir: &Path, host: &str) -> Result<(), String> {
    for offline in [true, false] {
        let mut cargo = cargo(dir);
        cargo.args(["fetch", "--quiet", "--target", host]);
        if offline {
            cargo.arg("--offline").stderr(Stdio::null());
        }
        let status = cargo.status().map_err(|e| format!("cannot run cargo: {e}"))?;
        if status.success() {
            return Ok(());
        }
        eprintln!("xtask: {}: cannot resolve offline; fetching online", dir.display());
    }
    Err(format!("cannot fetch the dependencies of {}", dir.display()))
}

/// The target triple of the host, from `rustc -vV`.
fn host() -> Result<String, String> {
    let out = Command::new("rustc").arg("-vV").output().map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| "rustc -vV names no host".to_string())
}

/// Builds the crate in `dir` and reports the wall time of cargo, end to end.
fn timed(name: &str, what: &str, dir: &Path, profile: Profile) -> Result<Timing, String> {
    eprintln!("xtask: {name}: {what}");
    let mut cargo = cargo(dir);
    cargo.args(["build", "--quiet", "--offline", "--target-dir"]).arg(dir.join("target"));
    if let Profile::Release = profile {
        cargo.arg("--release");
    }
    let since = SystemTime::now();
    let start = Instant::now();
    let status = cargo.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("{name}: the {what} failed"));
    }
    let packages = compiled(&dir.join("target"), profile, since);
    eprintln!("xtask: {name}: {what}: {secs:.1} s, {packages} packages");
    Ok(Timing { secs, packages })
}

fn cargo(dir: &Path) -> Command {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(dir);
    cargo
}

/// How many packages cargo compiled for `profile` since `since`: those with a fingerprint
/// directory (`<name>-<hash>`, one or more per package) written to since then.
fn compiled(target: &Path, profile: Profile, since: SystemTime) -> usize {
    let sub = match profile {
        Profile::Debug => "debug",
        Profile::Release => "release",
    };
    let Ok(entries) = std::fs::read_dir(target.join(sub).join(".fingerprint")) else {
        return 0;
    };
    let written = |dir: &Path| {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|f| f.metadata().and_then(|m| m.modified()).is_ok_and(|t| t >= since))
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| written(&e.path()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.rsplit_once('-').map(|(package, _hash)| package.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names.len()
}

/// Sets the modification time to now without changing the contents, as `touch` does.
fn touch(path: &Path) -> Result<(), String> {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", path.display()))
}

fn report(clean: &[Timing], release_rebuild: Timing, debug_clean: Timing, debug_rebuild: Timing) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Compile times\n\n\
         Made by `cargo xtask bench compile`: the wall time of `cargo build --release` of a hello-world\n\
         that connects one client and does nothing else, from an empty target dir, with every crate already\n\
         downloaded and cargo's default profiles (what a new user's crate gets). Every hello-world asks\n\
         tokio for the features tredis uses (net, io-util, rt, sync, time, macros); `floor` adds bytes\n\
         and nothing else, so \"over the floor\" is what each client adds to any tokio program.\n"
    );
    let _ = writeln!(
        s,
        "| build | crate | packages compiled | wall s | over the floor |\n|---|---|---:|---:|---:|"
    );
    let floor = clean[AT_FLOOR].secs;
    for (hw, t) in HELLO_WORLDS.iter().zip(clean) {
        let over = if hw.name == HELLO_WORLDS[AT_FLOOR].name {
            String::new()
        } else {
            format!("+{:.1} s", t.secs - floor)
        };
        let _ = writeln!(s, "| clean release | {} | {} | {:.1} | {over} |", hw.label, t.packages, t.secs);
    }
    let _ = writeln!(
        s,
        "\n## tredis after `commands.json` is touched\n\n\
         The proc-macro includes `commands.json` with `include_str!`, so a new mtime rebuilds\n\
         tredis-macros, re-expands the command surface and rebuilds tredis and the hello-world. The\n\
         debug rebuild is incremental, as cargo's dev profile is by default; the release one is not.\n"
    );
    let _ = writeln!(s, "| build | packages compiled | wall s |\n|---|---:|---:|");
    let _ = writeln!(s, "| release rebuild | {} | {:.1} |", release_rebuild.packages, release_rebuild.secs);
    let _ = writeln!(
        s,
        "| debug clean build (for reference) | {} | {:.1} |",
        debug_clean.packages, debug_clean.secs
    );
    let _ = writeln!(
        s,
        "| debug rebuild (`cargo build`) | {} | {:.1} |",
        debug_rebuild.packages, debug_rebuild.secs
    );
    let mark = |ok: bool| if ok { "met" } else { "not met" };
    let tredis = clean[AT_TREDIS].secs;
    let _ = writeln!(s, "\n## Goals\n\n| goal | measured | |\n|---|---:|---|");
    let _ = writeln!(
        s,
        "| tredis clean release ≤ {CLEAN_GOAL:.0} s | {tredis:.1} s | {} |",
        mark(tredis <= CLEAN_GOAL)
    );
    let _ = writeln!(
        s,
        "| stretch: tredis clean release ≤ {CLEAN_STRETCH:.0} s | {tredis:.1} s | {} |",
        mark(tredis <= CLEAN_STRETCH)
    );
    let tls = clean[AT_TREDIS_TLS].secs - tredis;
    let _ = writeln!(
        s,
        "| the `tls` feature adds ≤ {TLS_GOAL:.0} s to the clean release build | +{tls:.1} s | {} |",
        mark(tls <= TLS_GOAL)
    );
    for (what, t) in [("release", release_rebuild), ("debug", debug_rebuild)] {
        let _ = writeln!(
            s,
            "| {what} rebuild after `commands.json` is touched < {REBUILD_GOAL:.0} s | {:.1} s | {} |",
            t.secs,
            mark(t.secs < REBUILD_GOAL)
        );
    }
    let _ = writeln!(s, "\n{}", machine());
    s
}

/// The footer: how often each build ran and on what.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    let jobs = std::env::var("CARGO_BUILD_JOBS").unwrap_or_else(|_| format!("default ({cpus})"));
    format!(
        "One run of each build (clean builds are long; expect some noise between runs). \
         Machine: {cpus} CPUs (nproc), `{rustc}`, CARGO_BUILD_JOBS {jobs}."
    )
}
