//! The official MCP TypeScript SDK, both generations, as real clients of the lab-4 solution:
//! `checker serve` runs the solution in workerd (through Miniflare), and the vitest suite in
//! `checker/client-tests` connects to it over Streamable HTTP, lists the tools and calls each of
//! them. `real-client.test.mjs` uses SDK v1 (`@modelcontextprotocol/sdk`), at its newest
//! revision and at older ones, all in the initialize era; `real-client-v2.test.mjs` uses SDK v2
//! (`@modelcontextprotocol/client`) with automatic version negotiation, pinned to 2026-07-28
//! (the stateless revision: `server/discover`, per-request `_meta`, `Mcp-Method`/`Mcp-Name`),
//! and in its default legacy mode (`initialize` at 2025-11-25).
//!
//! The processes this test starts carry a marker in their environment (node and workerd
//! inherit it); none of them may outlive the test.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{assert_nothing_left, processes_with, repo_root, unique_marker, MARKER_VAR};

/// The first run may install tools and build the solution for wasm32.
const SERVE_START_TIMEOUT: Duration = Duration::from_secs(300);
const VITEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `serve` gets to stop node and workerd after Ctrl-C before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A free loopback port: bound by the OS, then released for `serve` to take.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

fn signal(pid: u32, signal: i32) {
    // SAFETY: signalling a process (or process group) this test started and has not reaped.
    unsafe { libc::kill(pid as i32, signal) };
}

/// Waits for `child` up to `timeout`; `None` if it is still running.
fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => return None,
            Err(e) => panic!("cannot wait for pid {}: {e}", child.id()),
        }
    }
}

/// A pipe read on its own thread (so the child never blocks on a full pipe), each line
/// echoed to the test's stderr when `echo` is set.
struct Collected {
    text: Arc<Mutex<String>>,
    reader: JoinHandle<()>,
}

fn collect(pipe: impl Read + Send + 'static, echo: bool) -> Collected {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if echo {
                eprintln!("  [serve] {line}");
            }
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    Collected { text, reader }
}

impl Collected {
    /// Everything read, once the pipe closes — or, should a stray process still hold it
    /// open after a few seconds, what was read so far.
    fn finish(self) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.reader.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = self.text.lock().unwrap().clone();
        if self.reader.is_finished() {
            text
        } else {
            format!("{text}[the pipe was still open: output may be cut]\n")
        }
    }
}

/// `checker serve lab-4 --solution`, stopped with Ctrl-C (SIGINT) — then SIGKILL if it does
/// not stop — whichever way the test ends.
struct Serve {
    child: Child,
    stdout_lines: Receiver<String>,
    stderr: Option<Collected>,
    status: Option<ExitStatus>,
}

impl Serve {
    fn spawn(marker: &str, port: u16) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(["serve", "lab-4", "--solution", "--port", &port.to_string()])
            .env(MARKER_VAR, marker)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the checker starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, stdout_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Some(collect(child.stderr.take().unwrap(), true));
        Serve {
            child,
            stdout_lines,
            stderr,
            status: None,
        }
    }

    /// Reads stdout until the line announcing `url`; on exit or timeout, the failure message
    /// carries everything `serve` printed.
    fn wait_for(&mut self, url: &str) -> Result<(), String> {
        let deadline = Instant::now() + SERVE_START_TIMEOUT;
        let mut seen = String::new();
        loop {
            // Short waits, so an exit is seen even if a stray child keeps stdout open.
            let left = deadline.saturating_duration_since(Instant::now());
            let slice = left.min(Duration::from_millis(250));
            match self.stdout_lines.recv_timeout(slice) {
                Ok(line) if line.contains("is serving MCP at") => {
                    if line.contains(url) {
                        return Ok(());
                    }
                    let status = self.stop();
                    return Err(format!(
                        "serve announced another URL than {url}: {line:?} (then {status}).\nstderr:\n{}",
                        self.take_stderr()
                    ));
                }
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                }
                Err(RecvTimeoutError::Timeout) if !left.is_zero() => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        // Whatever it printed last is still in the channel.
                        while let Ok(line) =
                            self.stdout_lines.recv_timeout(Duration::from_millis(100))
                        {
                            seen.push_str(&line);
                            seen.push('\n');
                        }
                        self.status = Some(status);
                        return Err(format!(
                            "serve exited ({status}) before announcing {url}.\nstdout:\n{seen}\nstderr:\n{}",
                            self.take_stderr()
                        ));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let status = self.stop();
                    return Err(format!(
                        "serve did not announce {url} within {SERVE_START_TIMEOUT:?} \
                         (then {status}).\nstdout:\n{seen}\nstderr:\n{}",
                        self.take_stderr()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.stop();
                    return Err(format!(
                        "serve exited ({status}) before announcing {url}.\nstdout:\n{seen}\nstderr:\n{}",
                        self.take_stderr()
                    ));
                }
            }
        }
    }

    /// Ctrl-C, then SIGKILL if it has not stopped within `STOP_TIMEOUT`.
    fn stop(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status,
            _ => {
                signal(self.child.id(), libc::SIGINT);
                wait_timeout(&mut self.child, STOP_TIMEOUT).unwrap_or_else(|| {
                    eprintln!("serve did not stop within {STOP_TIMEOUT:?} of Ctrl-C; killing it");
                    let _ = self.child.kill();
                    self.child.wait().expect("the killed checker is reaped")
                })
            }
        };
        self.status = Some(status);
        status
    }

    /// Everything `serve` wrote on stderr; complete once it has stopped.
    fn take_stderr(&mut self) -> String {
        self.stderr
            .take()
            .map(Collected::finish)
            .unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The outcome of one vitest run.
struct VitestRun {
    status: Option<ExitStatus>,
    output: String,
    passed: u64,
    failed: u64,
}

/// Counts from vitest's JSON report. Tests that never ran because the run failed (a failing
/// `beforeAll`, a file that does not load) count as failed: only a pass is a pass.
fn counts(report: Option<&Value>, succeeded: bool) -> (u64, u64) {
    let Some(report) = report else {
        return (0, 1);
    };
    let n = |key: &str| report[key].as_u64().unwrap_or(0);
    let passed = n("numPassedTests");
    let mut failed = n("numFailedTests");
    if !(succeeded && report["success"] == true) && failed == 0 {
        failed = n("numTotalTests").saturating_sub(passed).max(1);
    }
    (passed, failed)
}

fn run_vitest(root: &Path, url: &str, marker: &str) -> VitestRun {
    let results = tempfile::tempdir().unwrap();
    let json = results.path().join("vitest.json");
    let vitest = root.join("node_modules/vitest/vitest.mjs");
    assert!(
        vitest.is_file(),
        "{} is missing: `checker serve` runs `npm ci` from package-lock.json, which pins vitest",
        vitest.display()
    );
    let mut cmd = Command::new(common::node());
    cmd.arg(&vitest)
        .arg("run")
        .arg("--root")
        .arg(root.join("checker/client-tests"))
        .args(["--reporter=verbose", "--reporter=json"])
        .arg(format!("--outputFile.json={}", json.display()))
        .current_dir(root)
        .env("MCP_URL", url)
        .env(MARKER_VAR, marker)
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a hung run is killed with its workers.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let started = Instant::now();
    let mut child = cmd.spawn().expect("node runs vitest");
    let stdout = collect(child.stdout.take().unwrap(), false);
    let stderr = collect(child.stderr.take().unwrap(), false);
    let status = wait_timeout(&mut child, VITEST_TIMEOUT);
    if status.is_none() {
        // SAFETY: the process group this test created for vitest (its id is vitest's pid).
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
    }
    let mut output = stdout.finish();
    let errors = stderr.finish();
    if !errors.trim().is_empty() {
        output.push_str("--- stderr ---\n");
        output.push_str(&errors);
    }
    if status.is_none() {
        output.push_str(&format!(
            "--- vitest did not finish within {VITEST_TIMEOUT:?} and was killed ---\n"
        ));
    }
    output.push_str(&format!(
        "--- vitest took {:.1} s ---\n",
        started.elapsed().as_secs_f64()
    ));
    let report: Option<Value> = std::fs::read(&json)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let succeeded = status.is_some_and(|s| s.success());
    let (passed, failed) = counts(report.as_ref(), succeeded);
    VitestRun {
        status,
        output,
        passed,
        failed,
    }
}

/// `checker serve lab-4 --solution` on a free port, once it announces its URL. The port is
/// free when probed; should something take it before workerd binds it, serve tries another.
fn serve_solution(marker: &str) -> (Serve, String) {
    let mut failures = Vec::new();
    for _ in 0..3 {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/mcp");
        let mut serve = Serve::spawn(marker, port);
        match serve.wait_for(&url) {
            Ok(()) => return (serve, url),
            Err(why) if why.contains("Address already in use") => failures.push(why),
            Err(why) => panic!("{why}"),
        }
    }
    panic!("every port tried was taken:\n{}", failures.join("\n"));
}

#[test]
fn the_official_mcp_client_talks_to_the_served_solution() {
    let root = repo_root();
    let marker = unique_marker("real-client");
    let (mut serve, url) = serve_solution(&marker);
    assert!(
        !processes_with(&marker).is_empty(),
        "the runtime runs while serving"
    );

    let run = run_vitest(&root, &url, &marker);
    println!("{}", run.output);
    println!(
        "real MCP client: {} passed, {} failed",
        run.passed, run.failed
    );

    let status = serve.stop();
    let stderr = serve.take_stderr();
    assert!(
        run.status.is_some_and(|s| s.success()) && run.failed == 0 && run.passed > 0,
        "the vitest suite failed ({:?}); its output is above",
        run.status
    );
    assert_eq!(
        status.code(),
        Some(130),
        "serve exits 130 on Ctrl-C; stderr:\n{stderr}"
    );
    assert!(stderr.contains("nothing is left running"), "{stderr}");
    assert_nothing_left(&marker);
}

#[test]
fn a_run_counts_as_failed_unless_every_test_passed() {
    let report = |passed: u64, failed: u64, total: u64, success: bool| {
        serde_json::json!({
            "numPassedTests": passed, "numFailedTests": failed,
            "numTotalTests": total, "success": success
        })
    };
    assert_eq!(counts(Some(&report(18, 0, 18, true)), true), (18, 0));
    assert_eq!(counts(Some(&report(16, 2, 18, false)), false), (16, 2));
    // A failing beforeAll: every test skipped, none failed, the run failed.
    assert_eq!(counts(Some(&report(0, 0, 18, false)), false), (0, 18));
    // vitest exited non-zero although its report says success.
    assert_eq!(counts(Some(&report(18, 0, 18, true)), false), (18, 1));
    // No report at all.
    assert_eq!(counts(None, false), (0, 1));
}
