//! wasm-opt: the flags a crate asks for, run once per module and flags (cached).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::target_dir;
use crate::course::CrateRef;

/// Features rustc's wasm32 target emits today; wasm-opt must accept them to read the module.
const WASM_FEATURES: &[&str] = &[
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
    // wasm-bindgen's `--force-enable-abort-handler` wraps imports in try_table.
    "--enable-exception-handling",
];

/// The whole wasm-opt command line after the input and output, as worker-build 0.8.7 builds
/// it (`step_run_wasm_opt`): the crate's flags, the features above, and always
/// `--debuginfo`, which keeps the name section in the deployed module.
pub fn deployed_flags(crate_flags: &[String]) -> Vec<String> {
    crate_flags
        .iter()
        .cloned()
        .chain(WASM_FEATURES.iter().map(|f| f.to_string()))
        .chain(["--debuginfo".to_owned()])
        .collect()
}

/// wasm-opt takes seconds; the same input and flags always give the same output, so the
/// result is kept under `target/checker/<pkg>/wasm-opt/` keyed by both, and a re-check of
/// unchanged code costs a file copy.
pub(super) fn optimise_cached(
    root: &Path,
    krate: &CrateRef,
    wasm: &Path,
    flags: &[String],
) -> Result<()> {
    let input = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let cache = target_dir(root)
        .join("checker")
        .join(&krate.package)
        .join("wasm-opt");
    // Keyed by the whole command line, so outputs cached before a flag was added never match.
    let key = wasm_opt_key(&input, &deployed_flags(flags));
    let cached = cache.join(format!("{key}.wasm"));
    // Another check may prune the cache meanwhile: a failed copy just means running wasm-opt.
    if cached.is_file() && std::fs::copy(&cached, wasm).is_ok() {
        return Ok(());
    }
    wasm_opt(root, wasm, flags)?;
    // Written under a temporary name and renamed, so a concurrent reader never sees half a file;
    // only the newest few outputs are kept.
    std::fs::create_dir_all(&cache)?;
    let partial = cache.join(format!("{}.partial", std::process::id()));
    if std::fs::copy(wasm, &partial).is_ok() {
        let _ = std::fs::rename(&partial, &cached);
    }
    prune(&cache, 4);
    Ok(())
}

/// Keeps the `keep` most recently written files of `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, path) in files.into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// The cache key of a wasm-opt run: the first 16 bytes of the SHA-256 of the input (with its
/// length, so no input and flags run together into another's) and the flags, in hex. Keys
/// were FNV-1a before: a cache from then misses once (a miss only costs a wasm-opt run).
fn wasm_opt_key(input: &[u8], flags: &[String]) -> String {
    let digest = Sha256::new()
        .chain_update((input.len() as u64).to_le_bytes())
        .chain_update(input)
        .chain_update(flags.join(" "))
        .finalize();
    hex::encode(&digest[..16])
}

/// Optimises the module in place with the pinned wasm-opt (npm `binaryen`).
fn wasm_opt(root: &Path, wasm: &Path, flags: &[String]) -> Result<()> {
    let bin = root.join("node_modules/binaryen/bin/wasm-opt");
    let output = Command::new(&bin)
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .args(deployed_flags(flags))
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !output.status.success() {
        // wasm-opt prints the whole offending function per error: keep the first few lines.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let head: Vec<&str> = stderr.lines().take(12).collect();
        anyhow::bail!(
            "wasm-opt {} failed (the crate's [package.metadata.wasm-pack.profile] wasm-opt flags):\n{}",
            flags.join(" "),
            head.join("\n")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{deployed_flags, wasm_opt_key, WASM_FEATURES};

    #[test]
    fn the_wasm_opt_key_is_stable_and_changes_with_input_or_flags() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let key = wasm_opt_key(b"\0asm one", &flags(&["-Oz"]));
        assert_eq!(key, wasm_opt_key(b"\0asm one", &flags(&["-Oz"])));
        assert_eq!(key.len(), 32);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(key, wasm_opt_key(b"\0asm two", &flags(&["-Oz"])));
        assert_ne!(key, wasm_opt_key(b"\0asm one", &flags(&["-O3"])));
        assert_ne!(key, wasm_opt_key(b"\0asm one", &[]));
        // Input and flags do not run together.
        assert_ne!(
            wasm_opt_key(b"ab", &flags(&["c"])),
            wasm_opt_key(b"a", &flags(&["bc"]))
        );
    }

    #[test]
    fn worker_build_appends_the_features_and_debuginfo_to_the_crate_flags() {
        let flags = deployed_flags(&["-Oz".to_owned()]);
        assert_eq!(flags.first().map(String::as_str), Some("-Oz"));
        assert_eq!(flags.last().map(String::as_str), Some("--debuginfo"));
        assert_eq!(flags.len(), 2 + WASM_FEATURES.len());
    }
}
