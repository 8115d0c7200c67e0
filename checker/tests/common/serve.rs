//! `checker serve lab-4 --solution` for tests that talk to the served solution as a client
//! would (the official SDKs, the official conformance suite): started on a free port, and
//! stopped with Ctrl-C — then SIGKILL — whichever way the test ends.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::MARKER_VAR;

/// The first run may install tools and build the solution for wasm32.
const SERVE_START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long `serve` gets to stop node and workerd after Ctrl-C before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A free loopback port: bound by the OS, then released for `serve` to take.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

pub fn signal(pid: u32, signal: i32) {
    // SAFETY: signalling a process (or process group) this test started and has not reaped.
    unsafe { libc::kill(pid as i32, signal) };
}

/// Waits for `child` up to `timeout`; `None` if it is still running.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
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
pub struct Collected {
    text: Arc<Mutex<String>>,
    reader: JoinHandle<()>,
}

pub fn collect(pipe: impl Read + Send + 'static, echo: bool) -> Collected {
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
    pub fn finish(self) -> String {
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
pub struct Serve {
    child: Child,
    stdout_lines: Receiver<String>,
    stderr: Option<Collected>,
    status: Option<ExitStatus>,
}

impl Serve {
    pub fn spawn(marker: &str, port: u16) -> Self {
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
    pub fn wait_for(&mut self, url: &str) -> Result<(), String> {
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
    pub fn stop(&mut self) -> ExitStatus {
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
    pub fn take_stderr(&mut self) -> String {
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

/// `checker serve lab-4 --solution` on a free port, once it announces its URL. The port is
/// free when probed; should something take it before workerd binds it, serve tries another.
pub fn serve_solution(marker: &str) -> (Serve, String) {
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
