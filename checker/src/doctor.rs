//! `checker doctor`: every pin the course depends on, what is found, and the command that
//! fixes what is missing — without installing anything (`setup` and `check` do that).

use std::path::Path;
use std::process::Command;

use crate::bootstrap::{self, NodeProblem, WASM_TARGET};
use crate::fingerprint::{self, stdout_of};

/// One line of the diagnosis.
pub struct Finding {
    /// What is checked, e.g. `wasm-bindgen-cli`.
    pub name: String,
    /// What the course pins.
    pub wanted: String,
    /// What is there, or `None` when it is missing or wrong.
    pub found: Result<String, String>,
    /// The command that fixes it.
    pub fix: String,
    /// Only some commands need it (`just book`): reported, but not a failure.
    pub optional: bool,
}

pub fn diagnose(root: &Path) -> Vec<Finding> {
    let mut findings = vec![rustc(root), wasm_target(root)];
    findings.extend(wasm_bindgen(root));
    findings.push(node());
    findings.push(course_node(root));
    findings.extend(npm_packages(root));
    findings.push(workerd(root));
    findings.push(worker_build(root));
    findings.push(mdbook(root));
    findings
}

fn rustc(root: &Path) -> Finding {
    let channel = crate::course::toolchain_channel(root).unwrap_or_else(|_| "?".into());
    // rustc run in the root obeys rust-toolchain.toml; an uninstalled toolchain fails here.
    let found = match fingerprint::version("rustc", Some(root)) {
        Some(v) if v.starts_with(&format!("rustc {channel}")) => Ok(v),
        Some(v) => Err(format!("{v} is active here, not {channel}")),
        None => Err("rustc does not run here (toolchain not installed?)".into()),
    };
    Finding {
        name: "rustc".into(),
        wanted: format!("{channel} (rust-toolchain.toml)"),
        found,
        fix: "rustup toolchain install".into(),
        optional: false,
    }
}

fn wasm_target(root: &Path) -> Finding {
    let libdir = stdout_of(
        Command::new("rustc")
            .args(["--print", "target-libdir", "--target", WASM_TARGET])
            .current_dir(root),
    );
    let found = match libdir {
        Some(dir) if Path::new(&dir).is_dir() => Ok("installed".to_owned()),
        _ => Err("not installed for this toolchain".to_owned()),
    };
    Finding {
        name: "wasm32 target".into(),
        wanted: WASM_TARGET.into(),
        found,
        fix: format!("rustup target add {WASM_TARGET}"),
        optional: false,
    }
}

fn wasm_bindgen(root: &Path) -> Vec<Finding> {
    let wanted =
        bootstrap::locked_wasm_bindgen_version(root).unwrap_or_else(|e| format!("? ({e})"));
    let bin = bootstrap::tools_dir(root).join("bin");
    ["wasm-bindgen", "wasm-bindgen-test-runner"]
        .into_iter()
        .map(|tool| {
            let path = bin.join(tool);
            let found = match fingerprint::version(&path, None) {
                Some(v) if v.split_whitespace().last() == Some(wanted.as_str()) => Ok(v),
                Some(v) => Err(format!("{v} at .tools/bin/{tool}, not {wanted}")),
                None => Err(format!("missing (.tools/bin/{tool})")),
            };
            Finding {
                name: if tool == "wasm-bindgen" {
                    "wasm-bindgen-cli".into()
                } else {
                    tool.into()
                },
                wanted: format!("{wanted} (Cargo.lock)"),
                found,
                fix: "cargo lab setup".into(),
                optional: false,
            }
        })
        .collect()
}

/// The Node.js on PATH: its npm installs the course's npm packages.
fn node() -> Finding {
    let found =
        match bootstrap::node_version(Path::new("node"), bootstrap::MIN_BOOTSTRAP_NODE_MAJOR) {
            Ok(v) => Ok(v),
            Err(NodeProblem::TooOld(v)) => Err(format!("{v} is too old")),
            Err(NodeProblem::Missing) => Err("not on PATH".into()),
        };
    Finding {
        name: "Node.js".into(),
        wanted: format!(
            "{}+ (its npm installs the tools; {}+ runs them)",
            bootstrap::MIN_BOOTSTRAP_NODE_MAJOR,
            bootstrap::MIN_NODE_MAJOR
        ),
        found,
        fix: format!(
            "install Node.js {}+ (https://nodejs.org or your package manager)",
            bootstrap::MIN_NODE_MAJOR
        ),
        optional: false,
    }
}

/// The Node.js that runs Miniflare and the conformance suite: PATH's when new enough, else
/// the pinned one from package-lock.json.
fn course_node(root: &Path) -> Finding {
    let package = bootstrap::pinned_node_package();
    let found = match bootstrap::course_node(root) {
        Ok(node) => {
            let version = fingerprint::version(&node, None).unwrap_or_default();
            if node == Path::new("node") {
                Ok(format!("{version} (on PATH)"))
            } else {
                Ok(format!(
                    "{version} ({})",
                    node.strip_prefix(root).unwrap_or(&node).display()
                ))
            }
        }
        Err(_) => Err(match package {
            Some(package) => format!("PATH has none this new, and node_modules has no {package}"),
            None => "PATH has none this new (npm has no pinned Node.js for this machine)".into(),
        }),
    };
    Finding {
        name: "Node.js for the tools".into(),
        wanted: format!("{}+", bootstrap::MIN_NODE_MAJOR),
        found,
        fix: match package {
            Some(_) => "cargo lab setup".into(),
            None => format!(
                "install Node.js {}+ (https://nodejs.org)",
                bootstrap::MIN_NODE_MAJOR
            ),
        },
        optional: false,
    }
}

/// Every package `package.json` names, at the version `package-lock.json` pins.
fn npm_packages(root: &Path) -> Vec<Finding> {
    let manifest: serde_json::Value = std::fs::read_to_string(root.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut names: Vec<String> = ["dependencies", "devDependencies"]
        .iter()
        .filter_map(|k| manifest[k].as_object())
        .flat_map(|deps| deps.keys().cloned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let wanted =
                bootstrap::locked_npm_version(root, &name).unwrap_or_else(|e| format!("? ({e})"));
            let found = match bootstrap::installed_npm_version(root, &name) {
                Some(v) if v == wanted => Ok(v),
                Some(v) => Err(format!("{v} installed")),
                None => Err("not installed".into()),
            };
            Finding {
                name: format!("npm {name}"),
                wanted,
                found,
                fix: "cargo lab setup".into(),
                optional: false,
            }
        })
        .collect()
}

fn workerd(root: &Path) -> Finding {
    let bin = root.join("node_modules/.bin/workerd");
    let found = match fingerprint::version(&bin, None) {
        Some(v) => Ok(v),
        None => Err("does not run (node_modules/.bin/workerd)".into()),
    };
    Finding {
        name: "workerd".into(),
        wanted: format!(
            "{} (from the npm package)",
            bootstrap::locked_npm_version(root, "workerd").unwrap_or_else(|_| "?".into())
        ),
        found,
        fix: "cargo lab setup".into(),
        optional: false,
    }
}

fn worker_build(root: &Path) -> Finding {
    let path = bootstrap::tools_dir(root).join("bin/worker-build");
    let wanted = bootstrap::WORKER_BUILD_VERSION;
    let found = match fingerprint::version(&path, None) {
        Some(v) if v == wanted => Ok(v),
        Some(v) => Err(format!("{v} in .tools/bin, not {wanted}")),
        None => Err("missing (.tools/bin/worker-build)".to_owned()),
    };
    Finding {
        name: "worker-build".into(),
        wanted: format!("{wanted}, for `cargo lab dev` and the deploy parity test only"),
        found,
        fix: "cargo lab dev <lab> (installs it)".into(),
        optional: true,
    }
}

fn mdbook(root: &Path) -> Finding {
    let path = bootstrap::tools_dir(root).join("bin/mdbook");
    let found =
        fingerprint::version(&path, None).ok_or_else(|| "missing (.tools/bin/mdbook)".to_owned());
    Finding {
        name: "mdbook".into(),
        wanted: "for `just book` only".into(),
        found,
        fix: "just book (installs it)".into(),
        optional: true,
    }
}

/// The diagnosis for a person, and whether everything required is there.
pub fn render(findings: &[Finding]) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    for f in findings {
        match &f.found {
            Ok(found) => out.push_str(&format!("  ✔ {:<30} {found}\n", f.name)),
            Err(problem) => {
                let mark = if f.optional { "-" } else { "✘" };
                ok &= f.optional;
                out.push_str(&format!(
                    "  {mark} {:<30} wanted {}: {problem}\n      fix: {}\n",
                    f.name, f.wanted, f.fix
                ));
            }
        }
    }
    out.push_str(if ok {
        "everything the checker needs is here\n"
    } else {
        "something is missing: run the fix commands above, then `cargo lab doctor` again\n"
    });
    (out, ok)
}
