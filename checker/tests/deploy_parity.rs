//! What you grade is what you deploy. For every Worker lab and its solution, the real
//! worker-build 0.8.7 (installed into `.tools/`, `--locked`) builds the crate with the
//! command in its `wrangler.toml`, offline, with the course's pinned wasm-bindgen, wasm-opt
//! and esbuild; the checker builds it too. The `.wasm` and the bundled `index.js` must be
//! equal byte for byte. Then the pinned wrangler deploys lab 4's solution with `--dry-run`
//! (the same module must come out) and serves it with `wrangler dev` (an MCP `initialize`
//! must be answered).
//!
//! worker-build writes into each crate's `build/` (ignored by git), as `wrangler` does; the
//! tests in this file take turns, since two of them build lab 4's solution there.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use checker::bootstrap::{self, Tools};
use checker::course::{self, CrateRef, Lab, LabKind};
use checker::pipeline::{self, MetadataTable};
use checker::wrangler;
use common::repo_root;

/// One crate's `build/` at a time.
static BUILD_DIRS: Mutex<()> = Mutex::new(());

fn worker_labs(root: &Path) -> Vec<Lab> {
    course::labs(root)
        .unwrap()
        .into_iter()
        .filter(|lab| lab.kind != LabKind::Library)
        .collect()
}

/// Runs the crate's `wrangler.toml` build command, as wrangler would, and returns its
/// `build/` directory.
fn worker_build(root: &Path, tools: &Tools, krate: &CrateRef) -> PathBuf {
    let dir = root.join(&krate.dir);
    let wrangler_toml: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("wrangler.toml")).unwrap()).unwrap();
    let command = wrangler_toml["build"]["command"].as_str().unwrap();
    let _ = std::fs::remove_dir_all(dir.join("build"));
    wrangler::fetch_crates(&dir).unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", command])
        .current_dir(&dir)
        .envs(wrangler::environment(root, tools))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{command}` failed in {}:\n{}",
        krate.dir,
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("build")
}

/// Where two files first differ, for a message a person can act on.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(at) => format!("first difference at byte {at}"),
        None => "one is a prefix of the other".into(),
    }
}

#[test]
fn worker_build_and_the_checker_make_the_same_worker() {
    let _turn = BUILD_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    let root = repo_root();
    let tools = bootstrap::ensure(&root).unwrap();
    let started = Instant::now();
    bootstrap::ensure_worker_build(&root).unwrap();
    eprintln!("worker-build ready in {:.0?}", started.elapsed());
    let mut compared = 0;
    for lab in worker_labs(&root) {
        for krate in [&lab.lab, &lab.solution] {
            let started = Instant::now();
            let ours = pipeline::build_deployed(&root, &lab, krate, &tools)
                .unwrap_or_else(|e| panic!("the checker could not build {}: {e:?}", krate.dir));
            let ours = pipeline::bundle(&root, &ours, &tools).unwrap();
            let built_by_checker = started.elapsed();
            let started = Instant::now();
            let theirs = worker_build(&root, &tools, krate);
            for (name, ours) in [("index_bg.wasm", &ours.wasm), ("index.js", &ours.js)] {
                let ours = std::fs::read(ours).unwrap();
                let theirs = std::fs::read(theirs.join(name)).unwrap();
                assert!(
                    ours == theirs,
                    "{}: the checker's {name} ({} B) is not worker-build's build/{name} ({} B): {}. \
                     The checker must build as `worker-build {}` does (checker/src/pipeline).",
                    krate.dir,
                    ours.len(),
                    theirs.len(),
                    first_difference(&ours, &theirs),
                    MetadataTable::for_profile(&lab.worker.profile)
                        .worker_build_args(&lab.worker.profile),
                );
            }
            eprintln!(
                "{}: index_bg.wasm {} B and index.js {} B equal (checker {:.1?}, worker-build {:.1?})",
                krate.dir,
                std::fs::metadata(theirs.join("index_bg.wasm")).unwrap().len(),
                std::fs::metadata(theirs.join("index.js")).unwrap().len(),
                built_by_checker,
                started.elapsed()
            );
            let _ = std::fs::remove_dir_all(&theirs);
            compared += 1;
        }
    }
    assert_eq!(compared, 8, "labs 0, 2, 3 and 4 and their solutions");
}

/// The checker's module for lab 4's solution, as deployed.
fn lab4_solution(root: &Path, tools: &Tools) -> (Lab, Vec<u8>) {
    let lab = course::find(root, "lab-4").unwrap();
    let artefact = pipeline::build_deployed(root, &lab, &lab.solution, tools).unwrap();
    let module = std::fs::read(&artefact.wasm).unwrap();
    (lab, module)
}

#[test]
fn wrangler_deploy_dry_run_uploads_the_module_the_checker_grades() {
    let _turn = BUILD_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    let root = repo_root();
    let tools = bootstrap::ensure(&root).unwrap();
    bootstrap::ensure_worker_build(&root).unwrap();
    let (lab, ours) = lab4_solution(&root, &tools);
    let out = tempfile::tempdir().unwrap();
    let run = wrangler::wrangler(&root, &tools, &root.join(&lab.solution.dir))
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(out.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "wrangler deploy --dry-run failed:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let _ = std::fs::remove_dir_all(root.join(&lab.solution.dir).join("build"));
    // wrangler names the module after its content hash: `<sha1>-index_bg.wasm`.
    let uploaded: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("index_bg.wasm"))
        .collect();
    assert_eq!(uploaded.len(), 1, "one module in {:?}", out.path());
    let theirs = std::fs::read(&uploaded[0]).unwrap();
    assert!(
        theirs == ours,
        "wrangler uploads {} B, the checker grades {} B: {}",
        theirs.len(),
        ours.len(),
        first_difference(&ours, &theirs)
    );
    // "Total Upload" is the module plus wrangler's own bundle of build/index.js, in KiB.
    let js = std::fs::metadata(out.path().join("index.js"))
        .unwrap()
        .len();
    let total = format!(
        "Total Upload: {:.2} KiB",
        (theirs.len() as u64 + js) as f64 / 1024.0
    );
    assert!(stdout.contains(&total), "{total} not in:\n{stdout}");
    eprintln!(
        "wrangler deploy --dry-run: {} B module, {total}",
        theirs.len()
    );
}

#[test]
fn wrangler_dev_serves_lab_4_with_its_d1_fixture() {
    let _turn = BUILD_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    let crate_dir = repo_root().join("solutions/lab-4-full-server");
    let marker = common::unique_marker("wrangler-dev");
    let port = common::serve::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["dev", "lab-4", "--solution", "--port", &port.to_string()])
        .env(common::MARKER_VAR, &marker)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let post = |body: serde_json::Value| {
        ureq::post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-06-18")
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(body)
            .ok()
            .map(|mut r| {
                (
                    r.status().as_u16(),
                    r.body_mut().read_to_string().unwrap_or_default(),
                )
            })
    };
    let initialize = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "deploy-parity", "version": "1"}}});
    let started = Instant::now();
    let answered = loop {
        if let Some(reply) = post(initialize.clone()) {
            break Some(reply);
        }
        if started.elapsed() > Duration::from_secs(300) || child.try_wait().unwrap().is_some() {
            break None;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let query = post(
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "query_data", "arguments": {"sql": "SELECT name FROM products WHERE id = 1"}}}),
    );
    common::serve::signal(child.id(), libc::SIGINT);
    let status = common::serve::wait_timeout(&mut child, Duration::from_secs(20));
    if status.is_none() {
        let _ = child.kill();
    }
    let left = common::processes_with(&marker);
    let _ = std::fs::remove_dir_all(crate_dir.join("build"));
    let _ = std::fs::remove_dir_all(crate_dir.join(".wrangler"));
    let (code, body) = answered.expect("wrangler dev never answered");
    eprintln!(
        "wrangler dev answered initialize in {:.1?}",
        started.elapsed()
    );
    assert_eq!(code, 200, "initialize: {body}");
    assert!(
        body.contains("\"protocolVersion\":\"2025-06-18\""),
        "{body}"
    );
    let (_, rows) = query.expect("query_data was not answered");
    assert!(
        rows.contains("Trail mug"),
        "the D1 fixture is not loaded: {rows}"
    );
    assert!(status.is_some(), "`checker dev` did not stop on Ctrl-C");
    assert!(left.is_empty(), "left running after Ctrl-C: {left:?}");
}
