//! The lab's Worker running in workerd, through the checker's Node harness
//! (`harness/run-worker.mjs`; the protocol is [`crate::harness`]). Dropping a [`Server`]
//! stops node and workerd.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::bootstrap::Tools;
use crate::course::Lab;
use crate::harness::{Event, Inspect, Op, Outcome, Reply, Request, StartConfig};
use crate::pipeline::{self, Artefact};
use crate::processes;

/// How long workerd may take to start and seed D1 before the run is called failed.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many of the runtime's last log lines are kept for reports.
const LOG_LINES: usize = 400;
/// How long one inspection (a D1 query or KV read from outside the Worker) may take.
const INSPECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Server {
    /// Base URL, e.g. `http://127.0.0.1:41234/`.
    pub url: String,
    pub workerd_version: String,
    /// How long workerd took from the start request to serving (module compiled and
    /// instantiated, fixtures loaded).
    pub ready_in: Duration,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// What the runtime printed (workerd's log of the Worker: panics, uncaught errors), the
    /// last lines of it; also passed on to the checker's stderr as it comes.
    log: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
    /// Set when an inspection got no answer in time: workerd is stuck (the Worker's endless
    /// loop holds the thread KV and D1 answer on), so later inspections are not asked.
    stuck: bool,
    /// Node's TMPDIR for this run: Miniflare keeps the run's KV and D1 there and does not
    /// remove it when disposed, so the checker does.
    scratch: PathBuf,
    /// The repository root and the Node.js the tools run on, for the official suite.
    root: PathBuf,
    node: PathBuf,
}

impl Server {
    /// Starts node with the harness and lets it load Miniflare; call [`Server::start`] when
    /// the Worker is built. Starting early overlaps Miniflare's load time with the build.
    pub fn spawn(root: &Path, tools: &Tools) -> Result<Self> {
        let scratch = pipeline::run_dir(&pipeline::target_dir(root).join("checker/runtime"))?;
        let mut child = Command::new(&tools.node)
            .arg(root.join("checker/harness/run-worker.mjs"))
            .current_dir(root)
            .env("TMPDIR", &scratch)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group: Ctrl-C in the terminal reaches the checker, which then
            // stops node and workerd together.
            .process_group(0)
            .spawn()
            .context("cannot start node to run the Worker")?;
        processes::register(child.id() as i32);
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let log = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // workerd follows a fatal error with a dump of addresses in its own binary:
                // nothing a student can act on, and it buries the checker's explanation.
                if line.starts_with("stack: ") && line.contains("workerd@") {
                    continue;
                }
                // A client that hung up before the answer was written (the official suite's
                // stream probes do): workerd logs it, but nothing is wrong with the Worker.
                let hung_up =
                    line.contains("disconnected: ::write(") && line.contains("Broken pipe");
                if !hung_up {
                    eprintln!("{line}");
                }
                if let Ok(mut kept) = kept.lock() {
                    if kept.len() == LOG_LINES {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Server {
            log,
            url: String::new(),
            workerd_version: String::new(),
            ready_in: Duration::ZERO,
            child,
            stdin,
            lines,
            next_id: 0,
            stuck: false,
            scratch,
            root: root.to_path_buf(),
            node: tools.node.clone(),
        })
    }

    /// Runs the built Worker on `127.0.0.1:port` (`port` 0 picks a free one) and waits until
    /// it serves, with the lab's D1 fixture loaded.
    pub fn start(&mut self, lab: &Lab, artefact: &Artefact, port: u16) -> Result<()> {
        let config = StartConfig {
            script: artefact.entry.clone(),
            compatibility_date: lab.worker.compatibility_date.clone(),
            kv: lab.worker.kv.clone(),
            d1: lab.worker.d1.clone(),
            d1_fixture: lab.d1_fixture(),
            host: "127.0.0.1".into(),
            port,
        };
        let asked = std::time::Instant::now();
        self.send(&config)?;
        let event: Event = self
            .next_message(START_TIMEOUT)
            .context("workerd did not start")?;
        match event {
            Event::Ready { url, workerd, .. } => {
                self.url = url;
                self.workerd_version = workerd;
                self.ready_in = asked.elapsed();
                Ok(())
            }
            Event::Error { message } => {
                // workerd's log arrives on another pipe; give it a moment to land.
                std::thread::sleep(Duration::from_millis(200));
                let said = self
                    .start_failure()
                    .map(|s| format!(". The runtime said: {s}. A panic while the module starts (in #[event(start)] or a static initialiser) stops every request; a panic hook (console_error_panic_hook) prints its message"))
                    .unwrap_or_default();
                let reason =
                    message.replace(" There is likely additional logging output above.", "");
                bail!(
                    "workerd could not run the Worker: {}{said}",
                    reason.trim_end_matches('.')
                )
            }
        }
    }

    fn send(&mut self, message: &impl Serialize) -> Result<()> {
        let line = serde_json::to_string(message)?;
        let stdin = self
            .stdin
            .as_mut()
            .context("the runtime harness is stopped")?;
        writeln!(stdin, "{line}").context("the runtime harness is gone (see its output above)")
    }

    /// The MCP endpoint.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.url, path.trim_start_matches('/'))
    }

    fn next_message<T: DeserializeOwned>(&mut self, timeout: Duration) -> Result<T> {
        let line = self.lines.recv_timeout(timeout).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => {
                anyhow::anyhow!("no answer from the runtime harness within {timeout:?}")
            }
            mpsc::RecvTimeoutError::Disconnected => {
                anyhow::anyhow!("the runtime harness exited (see its output above)")
            }
        })?;
        serde_json::from_str(&line)
            .with_context(|| format!("unexpected line from the runtime harness: {line}"))
    }

    /// The runtime's last log lines, oldest first.
    fn log_lines(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Rust panics the Worker reported so far (`panicked at FILE:LINE:COL:` with its message),
    /// in order, each once.
    pub fn panics(&self) -> Vec<String> {
        let lines = self.log_lines();
        let mut found: Vec<String> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some(at) = line.find("panicked at ") {
                let message = lines.get(i + 1).map(|m| m.trim()).unwrap_or_default();
                let panic = format!("{} {message}", line[at..].trim());
                if !found.contains(&panic) {
                    found.push(panic);
                }
            }
        }
        found
    }

    /// The runtime's own explanation of a failed start: its uncaught errors, if it printed any.
    /// Runs the official MCP conformance suite's requirement set for `revision` against the
    /// Worker's MCP endpoint.
    pub fn official_suite(
        &mut self,
        revision: &str,
    ) -> std::result::Result<crate::official_suite::SuiteRun, crate::official_suite::SuiteError>
    {
        let endpoint = format!(
            "{}{}",
            self.url.trim_end_matches('/'),
            crate::grading::MCP_PATH
        );
        crate::official_suite::run(&self.root, &self.node, &endpoint, revision)
    }

    fn start_failure(&self) -> Option<String> {
        let lines = self.log_lines();
        let first = lines
            .iter()
            .position(|l| l.contains("Uncaught") || l.contains("panicked at"))?;
        Some(
            lines[first..]
                .iter()
                .take(3)
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join(" · "),
        )
    }

    /// Runs a newly built Worker in the running runtime, with KV emptied and D1 back to its
    /// fixture: what `watch` does instead of starting node and Miniflare again.
    pub fn reload(&mut self, artefact: &Artefact) -> Result<()> {
        let request = self.request(Op::Reload {
            script: artefact.entry.clone(),
        });
        let asked = std::time::Instant::now();
        self.send(&request)?;
        let reply: Reply = self
            .next_message(START_TIMEOUT)
            .context("workerd did not restart")?;
        let ok = match reply.outcome {
            Outcome::Ok(ok) => ok,
            Outcome::Error(error) => {
                bail!(
                    "workerd could not run the new Worker: {}",
                    Value::from(error)
                )
            }
        };
        self.url = ok["url"].as_str().unwrap_or(&self.url).to_owned();
        self.ready_in = asked.elapsed();
        Ok(())
    }

    /// The next request, with an id of its own.
    fn request(&mut self, op: Op) -> Request {
        self.next_id += 1;
        Request {
            id: self.next_id,
            op,
        }
    }

    /// Reads state from outside the Worker, through Miniflare's own handles (or puts D1
    /// back to its fixture); the answer is the reply's `ok` (see [`Inspect`]).
    pub fn inspect(&mut self, inspection: Inspect) -> Result<Value> {
        if self.stuck {
            bail!("not asked: the runtime stopped answering an earlier inspection");
        }
        let request = self.request(Op::Inspect(inspection));
        let line = serde_json::to_string(&request)?;
        let stdin = self
            .stdin
            .as_mut()
            .context("the runtime harness is stopped")?;
        writeln!(stdin, "{line}").context("the runtime harness is gone")?;
        let reply: Reply = self
            .next_message(INSPECT_TIMEOUT)
            .inspect_err(|_| self.stuck = true)?;
        match reply.outcome {
            Outcome::Ok(ok) => Ok(ok),
            // Quoted, as JSON: what the message has always looked like.
            Outcome::Error(error) => bail!("inspection failed: {}", Value::from(error)),
        }
    }

    /// Waits until the runtime stops (used by `serve`, where Ctrl-C ends it). Returns only
    /// when it stopped on its own, which is an error.
    pub fn wait(&mut self) -> Result<()> {
        let status = self.child.wait();
        if processes::interrupted() {
            processes::wait_for_interrupt_exit();
        }
        bail!("the runtime stopped unexpectedly ({status:?}); see its output above")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin asks the harness to dispose Miniflare (and with it workerd); the
        // group signal afterwards makes sure, even if the harness is stuck.
        drop(self.stdin.take());
        let pgid = self.child.id() as i32;
        processes::stop_group(pgid, Duration::from_secs(3));
        processes::unregister(pgid);
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}
