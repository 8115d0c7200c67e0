//! The Worker as `wrangler deploy` uploads it: worker-build 0.8.7's `build/index.js` and
//! `build/index_bg.wasm`, made with the course's pinned tools. The `.wasm` is the graded
//! artefact's (same bytes); the JS is wasm-bindgen's `--target module` glue bundled with
//! worker-build's own shim (vendored in `harness/worker-build/`) by the pinned esbuild, with
//! the steps and flags of worker-build's `main.rs`. The checker grades through its own
//! entry module; this bundle is what size is reported on and what the parity test compares.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::bindgen::run_bindgen;
use super::Artefact;
use crate::bootstrap::Tools;

/// A Worker laid out as worker-build's `build/` directory (the two files wrangler uploads).
#[derive(Debug)]
pub struct Deployment {
    /// `index.js`: the bundled entry module.
    pub js: PathBuf,
    /// `index_bg.wasm`: the module.
    pub wasm: PathBuf,
}

/// Exports of wasm-bindgen's glue that worker-build never turns into handlers.
const SYSTEM_FNS: &[&str] = &["__wbg_reset_state", "__worker_init_state"];

/// Writes the deployed Worker into `<artefact dir>/deployed/build/`, named as in a crate so
/// that wrangler, run in `deployed/`, bundles it exactly as it does in the crate (its bundle
/// carries the path in comments).
pub fn bundle(root: &Path, artefact: &Artefact, tools: &Tools) -> Result<Deployment> {
    let staging = artefact.dir.join("deploy-staging");
    let out = artefact.dir.join("deployed").join("build");
    for dir in [&staging, &out] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
    }
    run_bindgen(
        tools,
        &artefact.cargo_wasm,
        &staging,
        "module",
        &artefact.bindgen_flags,
    )?;
    let glue = std::fs::read_to_string(staging.join("index.js"))
        .context("wasm-bindgen wrote no index.js")?;
    let shim_template = std::fs::read_to_string(root.join("checker/harness/worker-build/shim.js"))
        .context("cannot read checker/harness/worker-build/shim.js")?;
    let shim = shim_template.replace("$HANDLERS", &handlers(&glue)) + &class_wrappers(&glue);
    std::fs::write(staging.join("shim.js"), shim)?;
    esbuild(root, &staging)?;
    // worker-build's `fix_wasm_import`: wrangler's bundler does not take `import source`.
    let js =
        std::fs::read_to_string(staging.join("index.js"))?.replace("import source ", "import ");
    let deployment = Deployment {
        js: out.join("index.js"),
        wasm: out.join("index_bg.wasm"),
    };
    std::fs::write(&deployment.js, js)?;
    std::fs::copy(&artefact.wasm, &deployment.wasm)?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(deployment)
}

/// worker-build's `bundle`: the pinned esbuild, with its flags, in the staging directory.
fn esbuild(root: &Path, staging: &Path) -> Result<()> {
    run_esbuild(
        root,
        staging,
        &[
            "--external:./index_bg.wasm",
            "--external:cloudflare:*",
            "--format=esm",
            "--bundle",
            "./shim.js",
            "--outfile=index.js",
            "--allow-overwrite",
            "--minify",
            "--log-level=warning",
        ],
        "the Worker's entry module",
    )
}

/// Runs the course's pinned esbuild (node_modules) in `dir` with `args`; on failure, says it
/// could not bundle `what`, with esbuild's own message.
pub fn run_esbuild(root: &Path, dir: &Path, args: &[&str], what: &str) -> Result<()> {
    let bin = root.join("node_modules/.bin/esbuild");
    let output = Command::new(&bin)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {} (run `cargo lab setup`)", bin.display()))?;
    anyhow::ensure!(
        output.status.success(),
        "esbuild could not bundle {what}:\n{}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

/// Each `export` declaration of the glue, from its keyword on (worker-build's
/// `export_decls`: one per line or minified).
fn export_decls(glue: &str) -> impl Iterator<Item = &str> {
    glue.match_indices("export ").filter_map(move |(i, _)| {
        let boundary = i == 0
            || glue[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_whitespace() || c == ';' || c == '}');
        boundary.then(|| &glue[i..])
    })
}

/// The `$HANDLERS` text worker-build writes into its shim for these exports
/// (`generate_handlers`, without its `RUN_TO_COMPLETION` variant).
fn handlers(glue: &str) -> String {
    let mut names = Vec::new();
    for decl in export_decls(glue) {
        if let Some(rest) = decl
            .strip_prefix("export function")
            .or_else(|| decl.strip_prefix("export async function"))
        {
            if let Some(paren) = rest.find('(') {
                names.push(rest[..paren].trim());
            }
        } else if let Some(rest) = decl.strip_prefix("export {") {
            if let Some(at) = rest.find(" as ") {
                let rest = &rest[at + 4..];
                if let Some(brace) = rest.find('}') {
                    names.push(rest[..brace].trim());
                }
            }
        }
    }
    let mut out = String::new();
    for name in names.into_iter().filter(|n| !SYSTEM_FNS.contains(n)) {
        if ["fetch", "queue", "scheduled", "email", "connect"].contains(&name) {
            out += &format!(
                "Entrypoint.prototype.{name} = function {name} (arg) {{\n  return exports.{name}.call(this, arg, this.env, this.ctx);\n}}\n"
            );
        } else {
            out += &format!("Entrypoint.prototype.{name} = exports.{name};\n");
        }
    }
    out
}

/// What worker-build appends to the shim for each exported class (`add_export_wrappers`).
fn class_wrappers(glue: &str) -> String {
    let mut out = String::new();
    for decl in export_decls(glue) {
        let class = if let Some(rest) = decl.strip_prefix("export class ") {
            rest.find('{').map(|brace| rest[..brace].trim())
        } else if let Some(rest) = decl.strip_prefix("export var ") {
            rest.split_once('=')
                .filter(|(_, def)| def.trim_start().starts_with("class"))
                .map(|(name, _)| name.trim())
        } else {
            None
        };
        if let Some(class) = class {
            out +=
                &format!("export const {class} = new Proxy(exports.{class}, classProxyHooks);\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{class_wrappers, handlers};

    #[test]
    fn fetch_is_called_with_env_and_ctx_and_system_exports_are_skipped() {
        let glue =
            "export function fetch(req, env, ctx) {}\nexport function __wbg_reset_state() {}\n\
                    export function helper(x) {}\nexport { y as answer };\nexport class Room {\n}";
        assert_eq!(
            handlers(glue),
            "Entrypoint.prototype.fetch = function fetch (arg) {\n  return exports.fetch.call(this, arg, this.env, this.ctx);\n}\n\
             Entrypoint.prototype.helper = exports.helper;\n\
             Entrypoint.prototype.answer = exports.answer;\n"
        );
        assert_eq!(
            class_wrappers(glue),
            "export const Room = new Proxy(exports.Room, classProxyHooks);\n"
        );
    }
}
