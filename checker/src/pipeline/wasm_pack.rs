//! What worker-build reads from a crate's `[package.metadata.wasm-pack.profile.<name>]`: the
//! wasm-bindgen options and the wasm-opt flags of the deployed build, with worker-build
//! 0.8.7's defaults (its `src/build/manifest.rs`). The checker reads the same table so the
//! module it grades is the module `wrangler deploy` uploads.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// Which of worker-build's four metadata tables a cargo profile reads: `--release` reads
/// `release`, `--dev` reads `dev`, and `--profile <name>` reads `custom` (whatever the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataTable {
    Dev,
    Release,
    Custom,
}

impl MetadataTable {
    /// The table worker-build reads for a build with this cargo profile.
    pub fn for_profile(profile: &str) -> Self {
        match profile {
            "release" => MetadataTable::Release,
            "dev" => MetadataTable::Dev,
            _ => MetadataTable::Custom,
        }
    }

    /// The table's key under `[package.metadata.wasm-pack.profile]`.
    pub fn key(self) -> &'static str {
        match self {
            MetadataTable::Dev => "dev",
            MetadataTable::Release => "release",
            MetadataTable::Custom => "custom",
        }
    }

    /// The worker-build command line that selects this table for `profile`.
    pub fn worker_build_args(self, profile: &str) -> String {
        match self {
            MetadataTable::Dev => "--dev".into(),
            MetadataTable::Release => "--release".into(),
            MetadataTable::Custom => format!("--profile {profile}"),
        }
    }
}

/// One `[package.metadata.wasm-pack.profile.<name>]` table, as written (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ProfileTable {
    /// Options of the wasm-bindgen run.
    #[serde(default)]
    wasm_bindgen: BindgenTable,
    /// `true` (worker-build's `-O`), `false` (no wasm-opt) or the flags themselves.
    wasm_opt: Option<WasmOptSetting>,
}

/// `[package.metadata.wasm-pack.profile.<name>.wasm-bindgen]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BindgenTable {
    /// `--debug` (JS glue with debug checks).
    debug_js_glue: Option<bool>,
    /// `false` adds `--no-demangle`.
    demangle_name_section: Option<bool>,
    /// `--keep-debug` (DWARF kept).
    dwarf_debug_info: Option<bool>,
    /// `--omit-default-module-path`.
    omit_default_module_path: Option<bool>,
    /// `--split-linked-modules`.
    split_linked_modules: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum WasmOptSetting {
    Enabled(bool),
    Flags(Vec<String>),
}

/// The deployed build's settings for one crate and profile, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploySettings {
    /// Flags worker-build adds to wasm-bindgen for this profile (none by default in release).
    pub bindgen_flags: Vec<String>,
    /// The crate's own wasm-opt flags (`None`: wasm-opt does not run). worker-build appends
    /// the feature flags and `--debuginfo` to these; see `wasm_opt::deployed_flags`.
    pub wasm_opt: Option<Vec<String>>,
}

impl DeploySettings {
    /// Reads the crate's manifest for a build with `profile`.
    pub fn read(manifest: &Path, profile: &str) -> Result<Self> {
        let text = std::fs::read_to_string(manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        Self::parse(&text, MetadataTable::for_profile(profile))
            .with_context(|| format!("{}: [package.metadata.wasm-pack]", manifest.display()))
    }

    fn parse(manifest: &str, table: MetadataTable) -> Result<Self> {
        let toml: toml::Value = toml::from_str(manifest).context("not valid TOML")?;
        let written = ["package", "metadata", "wasm-pack", "profile", table.key()]
            .iter()
            .try_fold(&toml, |value, key| value.get(key));
        let written: ProfileTable = match written {
            Some(value) => value.clone().try_into().with_context(|| {
                format!(
                    "profile.{}: `wasm-opt` must be true, false or a list of flags",
                    table.key()
                )
            })?,
            None => ProfileTable::default(),
        };
        let bindgen = &written.wasm_bindgen;
        // worker-build's defaults: only the dev table asks for debug glue; every table
        // demangles and drops DWARF; only dev skips wasm-opt when the table says nothing.
        let debug_glue = bindgen.debug_js_glue.unwrap_or(table == MetadataTable::Dev);
        let mut bindgen_flags = Vec::new();
        for (on, flag) in [
            (debug_glue, "--debug"),
            (
                !bindgen.demangle_name_section.unwrap_or(true),
                "--no-demangle",
            ),
            (bindgen.dwarf_debug_info.unwrap_or(false), "--keep-debug"),
            (
                bindgen.omit_default_module_path.unwrap_or(false),
                "--omit-default-module-path",
            ),
            (
                bindgen.split_linked_modules.unwrap_or(false),
                "--split-linked-modules",
            ),
        ] {
            if on {
                bindgen_flags.push(flag.to_owned());
            }
        }
        let wasm_opt = match written.wasm_opt {
            None if table == MetadataTable::Dev => None,
            None | Some(WasmOptSetting::Enabled(true)) => Some(vec!["-O".to_owned()]),
            Some(WasmOptSetting::Enabled(false)) => None,
            Some(WasmOptSetting::Flags(flags)) => Some(flags),
        };
        Ok(DeploySettings {
            bindgen_flags,
            wasm_opt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{DeploySettings, MetadataTable};

    fn read(text: &str, table: MetadataTable) -> DeploySettings {
        DeploySettings::parse(text, table).unwrap()
    }

    #[test]
    fn with_no_table_release_and_custom_run_wasm_opt_o_and_dev_runs_none() {
        let bare = "[package]\nname = \"x\"";
        let o = Some(vec!["-O".to_owned()]);
        assert_eq!(read(bare, MetadataTable::Release).wasm_opt, o);
        assert_eq!(read(bare, MetadataTable::Custom).wasm_opt, o);
        assert_eq!(read(bare, MetadataTable::Dev).wasm_opt, None);
        assert!(read(bare, MetadataTable::Release).bindgen_flags.is_empty());
        assert_eq!(read(bare, MetadataTable::Dev).bindgen_flags, ["--debug"]);
    }

    #[test]
    fn each_profile_reads_its_own_table() {
        let text = "[package.metadata.wasm-pack.profile.release]\nwasm-opt = [\"-Oz\", \"--strip-debug\"]\n\
                    [package.metadata.wasm-pack.profile.custom]\nwasm-opt = false\n\
                    [package.metadata.wasm-pack.profile.custom.wasm-bindgen]\ndemangle-name-section = false";
        assert_eq!(
            read(text, MetadataTable::Release).wasm_opt,
            Some(vec!["-Oz".to_owned(), "--strip-debug".to_owned()])
        );
        let custom = read(text, MetadataTable::Custom);
        assert_eq!(custom.wasm_opt, None);
        assert_eq!(custom.bindgen_flags, ["--no-demangle"]);
        assert_eq!(
            read(
                "[package.metadata.wasm-pack.profile.release]\nwasm-opt = true",
                MetadataTable::Release
            )
            .wasm_opt,
            Some(vec!["-O".to_owned()])
        );
    }

    #[test]
    fn a_wasm_opt_that_is_neither_a_switch_nor_flags_is_an_error() {
        let err = DeploySettings::parse(
            "[package.metadata.wasm-pack.profile.release]\nwasm-opt = 3",
            MetadataTable::Release,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("true, false or a list of flags"));
    }

    #[test]
    fn profiles_map_to_worker_build_arguments() {
        assert_eq!(
            MetadataTable::for_profile("release"),
            MetadataTable::Release
        );
        assert_eq!(MetadataTable::for_profile("worker"), MetadataTable::Custom);
        assert_eq!(
            MetadataTable::Custom.worker_build_args("worker"),
            "--profile worker"
        );
        assert_eq!(
            MetadataTable::Release.worker_build_args("release"),
            "--release"
        );
    }
}
