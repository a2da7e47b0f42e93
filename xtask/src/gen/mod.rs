//! `cargo xtask gen [--check] [--expand]`: merges `spec/server` and `spec/overlay` into
//! `commands.json`, writes `COVERAGE.md` and the macro call site with the spec hash.
//!
//! The server record says which commands exist and what their arguments are; the overlay adds
//! what the server cannot say (Rust names, argument kinds, reply types, status). Every overlay
//! selector must match an argument, so an overlay cannot silently drift from the server.

mod coverage_md;
mod load;
mod merge;
mod names;
mod overlay;
mod server;

use crate::ensure::{ensure_file_contents, PREAMBLE};
use crate::project_root;

use coverage_md::coverage_table;
use load::{load_overlays, load_server};
use merge::merge;

/// Everything `gen` writes.
pub struct Generated {
    pub commands_json: String,
    pub coverage_md: String,
    pub call_site: String,
}

/// Entry point of `cargo xtask gen`.
pub fn run(args: &[&str]) -> Result<(), String> {
    let check = args.contains(&"--check");
    let expand = args.contains(&"--expand");
    if let Some(bad) = args.iter().find(|a| !matches!(**a, "--check" | "--expand")) {
        return Err(format!("gen: unknown option {bad}"));
    }
    let out = generate()?;
    let root = project_root();
    ensure_file_contents(&root.join("commands.json"), &out.commands_json, check)?;
    ensure_file_contents(&root.join("COVERAGE.md"), &out.coverage_md, check)?;
    ensure_file_contents(&root.join("tredis/src/commands/generated.rs"), &out.call_site, check)?;
    if expand {
        write_expansion(&out.commands_json)?;
    }
    Ok(())
}

/// Builds all generated artefacts from the files under `spec/`.
pub fn generate() -> Result<Generated, String> {
    let root = project_root();
    let (server_file, server) = load_server(&root.join("spec/server"))?;
    let overlays = load_overlays(&root.join("spec/overlay"))?;
    let spec = merge(&server_file, &server, &overlays)?;
    let commands_json = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())? + "\n";
    let errors = tredis_codegen::check_spec(&commands_json);
    if !errors.is_empty() {
        return Err(format!("commands.json would not expand:\n  {}", errors.join("\n  ")));
    }
    let coverage_md = coverage_table(&spec);
    let call_site = format!(
        "//! {PREAMBLE}\n//!\n//! The single call of the command macro. The hash changes whenever `commands.json`\n\
         //! does, which makes rustc and rust-analyzer expand the surface again.\n\n\
         tredis_macros::commands! {{ spec_hash = \"{}\" }}\n",
        tredis_codegen::spec_hash(&commands_json)
    );
    Ok(Generated { commands_json, coverage_md, call_site })
}

fn write_expansion(spec: &str) -> Result<(), String> {
    let call: proc_macro2::TokenStream = format!("spec_hash = \"{}\"", tredis_codegen::spec_hash(spec))
        .parse()
        .map_err(|e| format!("{e:?}"))?;
    let tokens = tredis_codegen::expand(spec, call);
    let path = project_root().join("target/tredis-expanded.rs");
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::write(&path, tokens.to_string()).map_err(|e| e.to_string())?;
    // rustfmt makes the expansion readable; without it the file is still valid Rust.
    let _ = std::process::Command::new("rustfmt").arg("--edition=2021").arg(&path).status();
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Fails when a generated file is stale, naming the command that fixes it.
    #[test]
    fn generated_files_are_fresh() {
        let out = super::generate().unwrap();
        let root = crate::project_root();
        for (path, text) in [
            ("commands.json", &out.commands_json),
            ("COVERAGE.md", &out.coverage_md),
            ("tredis/src/commands/generated.rs", &out.call_site),
        ] {
            crate::ensure::ensure_file_contents(&root.join(path), text, true).unwrap();
        }
    }
}
