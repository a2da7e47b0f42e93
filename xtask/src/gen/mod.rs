//! `cargo xtask gen [--check] [--expand]`: builds `commands.json` and `COVERAGE.md` from
//! `spec/server` and `spec/overlay`, and writes the macro call site with the spec hash.
//!
//! The merge itself is `tredis_codegen::build`, beside the reader of the format it writes;
//! this only reads the files, checks that the result expands, and writes.

mod load;

use crate::ensure::{ensure_file_contents, PREAMBLE};
use crate::project_root;

use load::json_files;

/// Everything `gen` writes.
pub struct Generated {
    pub commands_json: String,
    pub coverage_md: String,
    pub call_site: String,
    pub records_site: String,
    pub examples: String,
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
    ensure_file_contents(&root.join("tredis/src/reply/generated.rs"), &out.records_site, check)?;
    ensure_file_contents(&root.join("tests/it/examples.rs"), &out.examples, check)?;
    if expand {
        write_expansion(&out.commands_json)?;
    }
    Ok(())
}

/// Builds all generated artefacts from the files under `spec/`.
pub fn generate() -> Result<Generated, String> {
    let root = project_root();
    let records = json_files(&root.join("spec/server"))?;
    let overlays = json_files(&root.join("spec/overlay"))?;
    let built = tredis_codegen::build::build(&records, &overlays, PREAMBLE)?;
    let (commands_json, coverage_md) = (built.commands_json, built.coverage_md);
    let errors = tredis_codegen::check_spec(&commands_json);
    if !errors.is_empty() {
        return Err(format!("commands.json would not expand:\n  {}", errors.join("\n  ")));
    }
    let call_site = format!(
        "//! {PREAMBLE}\n//!\n//! The single call of the command macro. The hash changes whenever `commands.json`\n\
         //! does, which makes rustc and rust-analyzer expand the surface again.\n\n\
         tredis_macros::commands! {{ spec_hash = \"{}\" }}\n",
        tredis_codegen::spec_hash(&commands_json)
    );
    let examples = tredis_codegen::examples(&commands_json).map_err(|e| format!("docs examples: {e}"))?;
    let examples = format!(
        "//! {PREAMBLE}\n//!\n//! The example in the docs of every generated method, compiled here: rustdoc shows them\n\
         //! but does not build them (each doctest would be a crate of its own). Never called.\n\n\
         #![allow(dead_code, deprecated, unused_variables, clippy::all)]\n{examples}"
    );
    let records_site = format!(
        "//! {PREAMBLE}\n//!\n//! The call of the records macro: the structs read from map replies, expanded here so\n\
         //! that the runtime's `reply` module never imports from the generated commands.\n\n\
         tredis_macros::records! {{ spec_hash = \"{}\" }}\n",
        tredis_codegen::spec_hash(&commands_json)
    );
    Ok(Generated { commands_json, coverage_md, call_site, records_site, examples })
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
            ("tredis/src/reply/generated.rs", &out.records_site),
            ("tests/it/examples.rs", &out.examples),
        ] {
            crate::ensure::ensure_file_contents(&root.join(path), text, true).unwrap();
        }
    }
}
