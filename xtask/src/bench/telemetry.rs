//! `cargo xtask bench telemetry`: what observability costs a request. Builds the benchmark
//! three ways (tredis without `spans` and `metrics`, with `spans` and a subscriber that wants
//! every span and keeps none, with `metrics` and a `Metrics` that counts in atomics), runs w2
//! with each against one fresh redis-server, interleaved, and prints the medians of client
//! CPU per million commands beside the build without either; the goal of the observability
//! issue is under 10% more CPU with spans on. With valgrind installed, it also counts the
//! instructions per command of one run of each (callgrind): they repeat within about 1%
//! where CPU time on a busy 2-core machine varies by 10%. Writes
//! `xtask/bench/results/TELEMETRY.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::servers::RedisServer;

/// Runs of each build, interleaved: more than the main bench's three, as the differences
/// sought are a few percent.
const RUNS: usize = 7;

/// A build of the benchmark, and how to run it.
struct Variant {
    name: &'static str,
    features: &'static str,
    env: Option<(&'static str, &'static str)>,
}

const VARIANTS: &[Variant] = &[
    Variant { name: "off", features: "", env: None },
    Variant { name: "spans, discarding subscriber", features: "spans", env: None },
    Variant { name: "spans, no subscriber", features: "spans", env: Some(("BENCH_NO_SUBSCRIBER", "1")) },
    Variant { name: "metrics, counting", features: "metrics", env: None },
];

/// Entry point of `cargo xtask bench telemetry`.
pub fn run() -> Result<(), String> {
    crate::servers::ensure_installed()?;
    let dir = crate::project_root().join("xtask/bench");
    let mut binaries: Vec<PathBuf> = Vec::new();
    for v in VARIANTS {
        binaries.push(build(&dir, v.features)?);
    }
    let server = RedisServer::start("bench-telemetry", &[])?;
    eprintln!("xtask: redis-server pid {} at {}", server.pid(), server.url());
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    let mut ops: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    for run in 0..RUNS {
        for (i, v) in VARIANTS.iter().enumerate() {
            let out = bench(&binaries[i], v, &server.url(), None)?;
            cpu[i].push(out["cpu_s_per_1m"].as_f64().unwrap_or(f64::NAN));
            ops[i].push(out["ops_per_sec"].as_f64().unwrap_or(f64::NAN));
            eprintln!("xtask: run {}/{RUNS} {}: {:.3} s CPU per 1M", run + 1, v.name, cpu[i][run]);
        }
    }
    let valgrind = Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    let mut instructions = Vec::new();
    if valgrind {
        for (i, v) in VARIANTS.iter().enumerate() {
            instructions.push(Some(count_instructions(&binaries[i], v, &server.url())?));
        }
    }
    let report = report(&cpu, &ops, &instructions);
    println!("{report}");
    let out = dir.join("results/TELEMETRY.md");
    std::fs::write(&out, &report).map_err(|e| e.to_string())?;
    eprintln!("xtask: wrote {}", out.display());
    Ok(())
}

/// Builds the benchmark with `features`; the binary, copied aside so the next build keeps it.
fn build(dir: &Path, features: &str) -> Result<PathBuf, String> {
    eprintln!(
        "xtask: building the benchmark (release, features: {})",
        if features.is_empty() { "none" } else { features }
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--quiet", "--manifest-path"]).arg(dir.join("Cargo.toml"));
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the benchmark did not build".into());
    }
    let built = dir.join("target/release/tredis-bench");
    let copy = dir
        .join(format!("target/release/tredis-bench-{}", if features.is_empty() { "off" } else { features }));
    std::fs::copy(&built, &copy).map_err(|e| format!("cannot copy {}: {e}", built.display()))?;
    Ok(copy)
}

/// One run of w2; its JSON figures. `wrap`: a program to run it under (valgrind).
fn bench(binary: &Path, v: &Variant, url: &str, wrap: Option<&[&str]>) -> Result<Value, String> {
    let mut cmd = match wrap {
        Some([program, args @ ..]) => {
            let mut c = Command::new(program);
            c.args(args).arg(binary);
            c
        }
        _ => Command::new(binary),
    };
    cmd.args(["tredis", "w2", url]);
    if let Some((k, val)) = v.env {
        cmd.env(k, val);
    }
    let out = cmd.output().map_err(|e| format!("cannot run the benchmark: {e}"))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", v.name, String::from_utf8_lossy(&out.stderr)));
    }
    let mut v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bad benchmark output: {e}"))?;
    v["stderr"] = Value::String(String::from_utf8_lossy(&out.stderr).into_owned());
    Ok(v)
}

/// Instructions per command of one run under callgrind.
fn count_instructions(binary: &Path, v: &Variant, url: &str) -> Result<f64, String> {
    eprintln!("xtask: counting the instructions of {} (callgrind)", v.name);
    let out_file = std::env::temp_dir().join(format!("tredis-telemetry-{}.callgrind", std::process::id()));
    let out_arg = format!("--callgrind-out-file={}", out_file.display());
    let out = bench(binary, v, url, Some(&["valgrind", "--tool=callgrind", &out_arg]))?;
    let _ = std::fs::remove_file(&out_file);
    let stderr = out["stderr"].as_str().unwrap_or_default();
    // "==123== Collected : 7575337389"
    let total = stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no instruction count in callgrind's output: {stderr}"))?;
    let ops = out["ops"].as_f64().filter(|n| *n > 0.0).ok_or("no op count")?;
    Ok(total / ops)
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn report(cpu: &[Vec<f64>], ops: &[Vec<f64>], instructions: &[Option<f64>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# What observability costs a request\n");
    let _ = writeln!(
        s,
        "`cargo xtask bench telemetry`: w2 (256 tasks, one connection, 50/50 SET/GET), tredis built \
         without and with its `spans` and `metrics` features; medians of {RUNS} interleaved runs \
         against one fresh redis-server, and instructions per command of one run under callgrind.\n"
    );
    let _ = writeln!(s, "| build | ops/s | CPU s per 1M | vs off | instructions per command | vs off |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    let base_cpu = median(&cpu[0]);
    let base_ins = instructions.first().copied().flatten();
    for (i, v) in VARIANTS.iter().enumerate() {
        let c = median(&cpu[i]);
        let ins = instructions.get(i).copied().flatten();
        let (ins_s, ins_rel) = match (ins, base_ins) {
            (Some(n), Some(b)) => (format!("{n:.0}"), format!("{:+.1}%", (n / b - 1.0) * 100.0)),
            _ => ("(no valgrind)".to_string(), String::new()),
        };
        let _ = writeln!(
            s,
            "| {} | {:.0} | {c:.3} | {:+.1}% | {ins_s} | {ins_rel} |",
            v.name,
            median(&ops[i]),
            (c / base_cpu - 1.0) * 100.0
        );
    }
    let spans_cpu = median(&cpu[1]) / base_cpu - 1.0;
    let spans_ins = instructions.get(1).copied().flatten().zip(base_ins).map(|(n, b)| n / b - 1.0);
    let _ = writeln!(
        s,
        "\nGoal (observability issue): spans with a subscriber cost under 10% more client CPU per \
         command than a build without them. CPU: {:+.1}% ({}); instructions: {}.",
        spans_cpu * 100.0,
        if spans_cpu < 0.10 { "met" } else { "not met" },
        spans_ins.map_or("not counted".to_string(), |r| format!(
            "{:+.1}% ({})",
            r * 100.0,
            if r < 0.10 { "met" } else { "not met" }
        ))
    );
    s
}
