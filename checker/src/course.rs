//! The course: where the repository is, which labs it has, and each lab's manifest.
//!
//! Manifests are course-owned (`checker/labs/<lab>/lab.toml`): budgets, points and fixtures
//! live there, not in the student's crate.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The repository root: the checker lives in `<root>/checker`. `COURSE_ROOT` overrides it
/// (used by tests that grade a copy of the course).
pub fn root() -> PathBuf {
    match std::env::var_os("COURSE_ROOT") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the checker crate sits inside the repository")
            .to_path_buf(),
    }
}

/// Where the course's lab manifests and fixtures live.
pub fn manifests_dir(root: &Path) -> PathBuf {
    root.join("checker").join("labs")
}

/// One lab, as described by its `lab.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    /// Canonical id, `lab-N`.
    pub id: String,
    /// Short name that also selects the lab, e.g. `full-server`.
    pub slug: String,
    /// Title shown in reports and `checker list`.
    pub title: String,
    /// One-sentence summary for `checker list`.
    pub summary: String,
    /// The student's crate: directory (relative to the root) and package name.
    pub lab: CrateRef,
    /// The reference solution's crate.
    pub solution: CrateRef,
    /// How the Worker is built and run.
    pub worker: WorkerConfig,
    /// The graded checks, in the order they run and are reported.
    pub checks: Vec<CheckSpec>,
    /// Directory of this manifest (set after loading).
    #[serde(skip)]
    pub manifest_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateRef {
    /// Crate directory, relative to the repository root.
    pub dir: String,
    /// Cargo package name.
    pub package: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Cargo profile the wasm is built with (defined in the root `Cargo.toml`).
    pub profile: String,
    /// workerd compatibility date; must match the lab's `wrangler.toml`.
    pub compatibility_date: String,
    /// KV namespace bindings.
    #[serde(default)]
    pub kv: Vec<String>,
    /// D1 database bindings.
    #[serde(default)]
    pub d1: Vec<String>,
    /// SQL run against the first D1 binding before grading (schema and seed rows), relative
    /// to the manifest.
    pub d1_fixture: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Check id; must name a check the checker implements.
    pub id: String,
    /// Points for a full pass.
    pub points: f64,
    /// For `protocol.tools-list`: the tool names the server must list.
    #[serde(default)]
    pub tools: Vec<String>,
    /// For `protocol.tools-query`: the most rows one `query_data` call may return.
    #[serde(default)]
    pub row_limit: Option<usize>,
}

impl Lab {
    pub fn crate_ref(&self, solution: bool) -> &CrateRef {
        if solution {
            &self.solution
        } else {
            &self.lab
        }
    }

    /// Number in the id, used for ordering and for the `4` shorthand.
    pub fn number(&self) -> u32 {
        self.id
            .trim_start_matches("lab-")
            .parse()
            .unwrap_or(u32::MAX)
    }

    /// True when `name` is one of the lab's accepted names: `lab-4`, `4`, `full-server`,
    /// or the crate directory name `lab-4-full-server`.
    pub fn answers_to(&self, name: &str) -> bool {
        let name = name.trim().trim_end_matches('/');
        let dir_name = Path::new(&self.lab.dir)
            .file_name()
            .and_then(|n| n.to_str());
        name == self.id
            || name == self.slug
            || name == self.number().to_string()
            || Some(name) == dir_name
            || name == self.lab.dir
    }

    pub fn d1_fixture(&self) -> Option<PathBuf> {
        self.worker
            .d1_fixture
            .as_ref()
            .map(|f| self.manifest_dir.join(f))
    }
}

/// Every lab with a manifest, ordered by number.
pub fn labs(root: &Path) -> Result<Vec<Lab>> {
    let dir = manifests_dir(root);
    let mut labs = Vec::new();
    let entries = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read the lab manifests in {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path().join("lab.toml");
        if path.is_file() {
            labs.push(load(&path)?);
        }
    }
    labs.sort_by_key(Lab::number);
    Ok(labs)
}

fn load(path: &Path) -> Result<Lab> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lab: Lab = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid lab manifest", path.display()))?;
    lab.manifest_dir = path.parent().expect("a file has a parent").to_path_buf();
    Ok(lab)
}

/// Finds a lab by any of its names, or explains which names exist.
pub fn find(root: &Path, name: &str) -> Result<Lab> {
    let labs = labs(root)?;
    if let Some(lab) = labs.iter().find(|l| l.answers_to(name)) {
        return Ok(lab.clone());
    }
    let known: Vec<String> = labs
        .iter()
        .map(|l| format!("{} ({})", l.id, l.slug))
        .collect();
    bail!(
        "no lab called `{name}`. Labs: {}. Run `cargo lab list` to see them all.",
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab4() -> Lab {
        find(&root(), "lab-4").expect("lab 4 has a manifest")
    }

    #[test]
    fn a_lab_answers_to_id_number_slug_and_directory() {
        let lab = lab4();
        for name in [
            "lab-4",
            "4",
            "full-server",
            "lab-4-full-server",
            "labs/lab-4-full-server/",
        ] {
            assert!(lab.answers_to(name), "{name} should select lab 4");
        }
        assert!(!lab.answers_to("lab-44"));
        assert!(!lab.answers_to("full"));
    }

    #[test]
    fn an_unknown_lab_names_the_labs_that_exist() {
        let err = find(&root(), "lab-9").unwrap_err().to_string();
        assert!(err.contains("no lab called `lab-9`"), "{err}");
        assert!(err.contains("lab-4 (full-server)"), "{err}");
    }

    #[test]
    fn every_manifest_points_at_crates_and_fixtures_that_exist() {
        let root = root();
        for lab in labs(&root).unwrap() {
            for krate in [&lab.lab, &lab.solution] {
                let manifest = root.join(&krate.dir).join("Cargo.toml");
                let text = std::fs::read_to_string(&manifest).unwrap();
                assert!(
                    text.contains(&format!("name = \"{}\"", krate.package)),
                    "{} should declare package {}",
                    manifest.display(),
                    krate.package
                );
            }
            if let Some(fixture) = lab.d1_fixture() {
                assert!(fixture.is_file(), "{} is missing", fixture.display());
            }
        }
    }

    /// The checker runs a lab with the bindings and date of its manifest; a student who
    /// deploys uses `wrangler.toml`. They must agree, or local grades would not carry over.
    #[test]
    fn wrangler_toml_agrees_with_the_manifest() {
        let root = root();
        for lab in labs(&root).unwrap() {
            for krate in [&lab.lab, &lab.solution] {
                let path = root.join(&krate.dir).join("wrangler.toml");
                let wrangler: toml::Value =
                    toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(
                    wrangler["compatibility_date"].as_str(),
                    Some(lab.worker.compatibility_date.as_str()),
                    "{}",
                    path.display()
                );
                let bindings = |table: &str| -> Vec<String> {
                    wrangler
                        .get(table)
                        .and_then(|t| t.as_array())
                        .map(|a| {
                            a.iter()
                                .map(|b| b["binding"].as_str().unwrap().to_owned())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                assert_eq!(
                    bindings("kv_namespaces"),
                    lab.worker.kv,
                    "{}",
                    path.display()
                );
                assert_eq!(
                    bindings("d1_databases"),
                    lab.worker.d1,
                    "{}",
                    path.display()
                );
            }
        }
    }
}
