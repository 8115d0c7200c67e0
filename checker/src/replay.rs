//! Recorded runs of single checks, and a [`Transport`], a [`Runtime`] and a [`CrateIo`] that
//! replay them, so a check can be unit-tested against what the real Worker (or cargo)
//! answered, in milliseconds, without Node, workerd or a build.
//!
//! `checker record <lab> [--solution]` (an author command) grades a lab for real and writes,
//! for each check it ran and each finding, one [`Recording`] under
//! `checker/tests/replay/<check id>/<lab>-<start|solution>.json`: every request the check
//! sent and the reply it got, every inspection of D1/KV and its answer, the clock readings,
//! a library check's cargo runs and file reads, and the result the grader gave. `checker/tests/replay.rs` runs each check again against
//! its recordings and asserts the same status and points.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::checks::library::{CargoOutput, CrateIo, Machine};
use crate::harness::Inspect;
use crate::mcp_client::{Exchange, Reply};
use crate::report::Status;
use crate::transport::{Request, Runtime, Transport, TransportError};

/// Request bodies up to this size are kept whole in a recording; larger ones by hash.
const KEPT_BODY: usize = 4 * 1024;

/// One check's run against one lab, with everything it saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recording {
    /// The check's id.
    pub check: String,
    /// For a recording made by hand from a real one: what was changed, and which mistake of
    /// a student's it stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The lab id (`lab-4`): its manifest gives the check's spec.
    pub lab: String,
    /// Whether the reference solution was graded (else the starting point).
    pub solution: bool,
    /// What the grader concluded.
    pub expected: Expected,
    /// How long the runtime took to start, in milliseconds.
    pub ready_in_ms: u64,
    /// The run's exchanges before this check (the log the check may read), request bodies
    /// cut to a few KiB.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<Exchange>,
    /// Every request the check sent, in order, and what came back.
    pub exchanges: Vec<Recorded>,
    /// Every inspection of state from outside the Worker, in order, and its answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inspections: Vec<Inspection>,
    /// The runtime clock's readings, in order (nanoseconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clock: Vec<u64>,
    /// The official conformance suite's runs against the Worker, in order, and what each
    /// found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suite_runs: Vec<SuiteRunRecord>,
    /// What the runtime printed as panics during the run (findings read them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub panics: Vec<String>,
    /// A library check's cargo runs, in order, with the staged crate's and the target
    /// directory's paths written as `$CRATE` and `$TARGET`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<RecordedCommand>,
    /// The files a library check read, in order (paths written the same way).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<RecordedFile>,
}

/// One cargo run of a library check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedCommand {
    pub args: Vec<String>,
    /// The names of the variables it set (their values are this machine's paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    pub output: CargoOutput,
}

/// One file a library check read: its bytes in hex, or why it could not be read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedFile {
    pub path: String,
    pub content: Result<String, String>,
}

/// The result a recording must reproduce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    pub status: Status,
    pub points: f64,
    /// The first line of the message, for the reader of a failing test.
    pub message: String,
}

/// One request a check sent, and its outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, when it is small and text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Otherwise its SHA-256 (hex) and length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    pub body_bytes: usize,
    pub outcome: Result<Reply, TransportError>,
}

impl Recorded {
    fn of(request: &Request, outcome: Result<Reply, TransportError>) -> Self {
        let text = std::str::from_utf8(request.body)
            .ok()
            .filter(|_| request.body.len() <= KEPT_BODY);
        Recorded {
            method: request.method.to_owned(),
            path: request.path.to_owned(),
            headers: request.headers.to_vec(),
            body: text.map(str::to_owned),
            body_sha256: text
                .is_none()
                .then(|| hex::encode(Sha256::digest(request.body))),
            body_bytes: request.body.len(),
            outcome,
        }
    }

    /// What differs between this recorded request and `request`, if anything.
    fn differs(&self, request: &Request) -> Option<String> {
        let sent = Recorded::of(
            request,
            Err(TransportError::Io {
                message: String::new(),
            }),
        );
        let what = |r: &Recorded| {
            format!(
                "{} {} {:?} {}",
                r.method,
                r.path,
                r.headers,
                r.body.clone().or(r.body_sha256.clone()).unwrap_or_default()
            )
        };
        let same = sent.method == self.method
            && sent.path == self.path
            && sent.headers == self.headers
            && sent.body == self.body
            && sent.body_sha256 == self.body_sha256;
        (!same).then(|| {
            format!(
                "sent:     {}\nrecorded: {}",
                crate::mcp_client::truncate(&what(&sent), 400),
                crate::mcp_client::truncate(&what(self), 400)
            )
        })
    }
}

/// One inspection and its answer.
/// One run of the official conformance suite: the revision asked for and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteRunRecord {
    pub revision: String,
    pub result: Result<crate::official_suite::SuiteRun, crate::official_suite::SuiteError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inspection {
    pub request: Inspect,
    pub answer: Result<Value, String>,
}

/// An exchange of a run's log as a recording keeps it: the request body and the reply body
/// cut to what the check reads of them (`None`: all).
pub fn cut(mut exchange: Exchange, request_limit: usize, reply_limit: Option<usize>) -> Exchange {
    if exchange.request.len() > request_limit {
        exchange.request = crate::mcp_client::truncate(&exchange.request, request_limit);
    }
    if let Ok(reply) = &mut exchange.outcome {
        if let Some(limit) = reply_limit.filter(|limit| reply.body.len() > *limit) {
            reply.set_body(crate::mcp_client::truncate(&reply.body, limit));
        }
    }
    exchange
}

/// What a recording session has gathered since the last check.
#[derive(Default)]
struct Tape {
    exchanges: Vec<Recorded>,
    inspections: Vec<Inspection>,
    clock: Vec<u64>,
    suite_runs: Vec<SuiteRunRecord>,
    commands: Vec<RecordedCommand>,
    files: Vec<RecordedFile>,
}

/// Records what a run's checks send and get, one check at a time.
#[derive(Default)]
pub struct Recorder {
    tape: Rc<RefCell<Tape>>,
    /// The recordings of the checks run so far.
    kept: RefCell<Vec<Recording>>,
}

impl Recorder {
    /// Keeps one check's recording.
    pub fn keep(&self, recording: Recording) {
        self.kept.borrow_mut().push(recording);
    }

    /// Every recording kept, in the order the checks ran.
    pub fn kept(&self) -> std::cell::Ref<'_, Vec<Recording>> {
        self.kept.borrow()
    }

    /// A transport that records every exchange through `inner`.
    pub fn transport(&self, inner: Box<dyn Transport>) -> Box<dyn Transport> {
        Box::new(RecordingTransport {
            inner,
            tape: self.tape.clone(),
        })
    }

    /// A runtime that records every inspection and clock reading through `inner`.
    pub fn runtime<'a>(&self, inner: &'a mut dyn Runtime) -> RecordingRuntime<'a> {
        RecordingRuntime {
            inner,
            tape: self.tape.clone(),
        }
    }

    /// A library check's machine that records every cargo run and file read through `inner`.
    pub fn crate_io<'a>(&self, inner: &'a Machine) -> RecordingIo<'a> {
        RecordingIo {
            paths: Paths {
                krate: inner.dir.to_string_lossy().into_owned(),
                target: inner.target.to_string_lossy().into_owned(),
            },
            inner,
            tape: self.tape.clone(),
        }
    }

    /// What was recorded since the last call, as the recording of one check's run.
    pub fn take(
        &self,
        check: &str,
        lab: &str,
        solution: bool,
        result: &crate::report::CheckResult,
        ready_in: Duration,
    ) -> Recording {
        let tape = std::mem::take(&mut *self.tape.borrow_mut());
        Recording {
            check: check.to_owned(),
            note: None,
            lab: lab.to_owned(),
            solution,
            expected: Expected {
                status: result.status,
                points: result.points,
                message: result.message.lines().next().unwrap_or_default().to_owned(),
            },
            ready_in_ms: ready_in.as_millis() as u64,
            earlier: Vec::new(),
            exchanges: tape.exchanges,
            inspections: tape.inspections,
            clock: tape.clock,
            suite_runs: tape.suite_runs,
            panics: Vec::new(),
            commands: tape.commands,
            files: tape.files,
        }
    }
}

/// This machine's paths of a library lab's run, and their placeholders in a recording.
#[derive(Clone)]
struct Paths {
    krate: String,
    target: String,
}

impl Paths {
    const CRATE: &'static str = "$CRATE";
    const TARGET: &'static str = "$TARGET";

    /// The paths a replay uses: they exist nowhere, and nothing is read from them.
    fn replayed() -> Self {
        Paths {
            krate: "/replay/crate".into(),
            target: "/replay/target".into(),
        }
    }

    fn hide(&self, text: &str) -> String {
        text.replace(&self.krate, Self::CRATE)
            .replace(&self.target, Self::TARGET)
    }

    fn show(&self, text: &str) -> String {
        text.replace(Self::CRATE, &self.krate)
            .replace(Self::TARGET, &self.target)
    }

    fn output(&self, output: &CargoOutput, map: impl Fn(&Self, &str) -> String) -> CargoOutput {
        CargoOutput {
            success: output.success,
            stdout: map(self, &output.stdout),
            stderr: map(self, &output.stderr),
            timed_out: output.timed_out,
        }
    }
}

/// Records a library check's cargo runs and file reads.
pub struct RecordingIo<'a> {
    inner: &'a Machine,
    paths: Paths,
    tape: Rc<RefCell<Tape>>,
}

impl CrateIo for RecordingIo<'_> {
    fn cargo(&self, args: &[&str], env: &[(&str, &Path)]) -> std::io::Result<CargoOutput> {
        let output = self.inner.cargo(args, env)?;
        self.tape.borrow_mut().commands.push(RecordedCommand {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env.iter().map(|(name, _)| name.to_string()).collect(),
            output: self.paths.output(&output, Paths::hide),
        });
        Ok(output)
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let bytes = self.inner.read(path);
        // A debug build's module is megabytes of DWARF; what a check reads of it is its
        // imports, so that is what is kept.
        let module = path.extension().is_some_and(|e| e == "wasm");
        let kept = match &bytes {
            Ok(b) if module => Ok(imports_only(b)),
            Ok(b) => Ok(b.clone()),
            Err(e) => Err(e.to_string()),
        };
        self.tape.borrow_mut().files.push(RecordedFile {
            path: self.paths.hide(&path.to_string_lossy()),
            content: kept.map(hex::encode),
        });
        bytes
    }
}

/// Replays a library check's cargo runs and file reads, in order; a run with other
/// arguments, or a read of another file, is an error and a mismatch.
pub struct CrateReplay {
    commands: RefCell<std::collections::VecDeque<RecordedCommand>>,
    files: RefCell<std::collections::VecDeque<RecordedFile>>,
    mismatches: Rc<RefCell<Vec<String>>>,
    paths: Paths,
}

impl CrateReplay {
    pub fn new(recording: &Recording) -> Self {
        CrateReplay {
            commands: RefCell::new(recording.commands.iter().cloned().collect()),
            files: RefCell::new(recording.files.iter().cloned().collect()),
            mismatches: Rc::default(),
            paths: Paths::replayed(),
        }
    }

    /// Where the staged crate is, as the replay shows it to the check.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(&self.paths.krate)
    }

    pub fn mismatches(&self) -> Vec<String> {
        self.mismatches.borrow().clone()
    }

    fn miss(&self, what: String) -> std::io::Error {
        self.mismatches.borrow_mut().push(what.clone());
        std::io::Error::other(format!("replay: {what}"))
    }
}

impl CrateIo for CrateReplay {
    fn cargo(&self, args: &[&str], _env: &[(&str, &Path)]) -> std::io::Result<CargoOutput> {
        let Some(recorded) = self.commands.borrow_mut().pop_front() else {
            return Err(self.miss(format!(
                "cargo {}: one run more than recorded",
                args.join(" ")
            )));
        };
        if recorded.args != args {
            return Err(self.miss(format!(
                "ran cargo {}, recorded cargo {}",
                args.join(" "),
                recorded.args.join(" ")
            )));
        }
        Ok(self.paths.output(&recorded.output, Paths::show))
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let asked = self.paths.hide(&path.to_string_lossy());
        let Some(recorded) = self.files.borrow_mut().pop_front() else {
            return Err(self.miss(format!("read {asked}: one more than recorded")));
        };
        if recorded.path != asked {
            return Err(self.miss(format!("read {asked}, recorded {}", recorded.path)));
        }
        match recorded.content {
            Ok(hex) => hex::decode(hex).map_err(std::io::Error::other),
            Err(e) => Err(std::io::Error::new(std::io::ErrorKind::NotFound, e)),
        }
    }
}

/// A module with only the import section of `module` (a module that cannot be parsed is
/// kept whole, for the check to fail on as it did).
fn imports_only(module: &[u8]) -> Vec<u8> {
    let imports = wasmparser::Parser::new(0)
        .parse_all(module)
        .find_map(|payload| match payload {
            Ok(wasmparser::Payload::ImportSection(reader)) => Some(reader.range()),
            _ => None,
        });
    let Some(range) = imports else {
        return module.to_vec();
    };
    let content = &module[range.start as usize..range.end as usize];
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    out.push(2); // the import section's id
    let mut size = content.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(content);
    out
}

struct RecordingTransport {
    inner: Box<dyn Transport>,
    tape: Rc<RefCell<Tape>>,
}

impl Transport for RecordingTransport {
    fn send(&self, request: &Request) -> Result<Reply, TransportError> {
        let outcome = self.inner.send(request);
        self.tape
            .borrow_mut()
            .exchanges
            .push(Recorded::of(request, outcome.clone()));
        outcome
    }
}

pub struct RecordingRuntime<'a> {
    inner: &'a mut dyn Runtime,
    tape: Rc<RefCell<Tape>>,
}

impl Runtime for RecordingRuntime<'_> {
    fn inspect(&mut self, request: Inspect) -> Result<Value> {
        let answer = self.inner.inspect(request.clone());
        self.tape.borrow_mut().inspections.push(Inspection {
            request,
            answer: answer
                .as_ref()
                .map(Clone::clone)
                .map_err(|e| format!("{e:#}")),
        });
        answer
    }
    fn ready_in(&self) -> Duration {
        self.inner.ready_in()
    }
    fn official_suite(
        &mut self,
        revision: &str,
    ) -> std::result::Result<crate::official_suite::SuiteRun, crate::official_suite::SuiteError>
    {
        let result = self.inner.official_suite(revision);
        self.tape.borrow_mut().suite_runs.push(SuiteRunRecord {
            revision: revision.to_owned(),
            result: result.clone(),
        });
        result
    }
    fn now(&mut self) -> SystemTime {
        let now = self.inner.now();
        let nanos = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        self.tape.borrow_mut().clock.push(nanos);
        now
    }
}

/// Serves a recording's exchanges in order; a request that differs from the recorded one
/// gets an error reply, and is listed in [`Replay::mismatches`].
pub struct Replay {
    exchanges: RefCell<std::collections::VecDeque<Recorded>>,
    inspections: std::collections::VecDeque<Inspection>,
    clock: std::collections::VecDeque<u64>,
    suite_runs: std::collections::VecDeque<SuiteRunRecord>,
    ready_in: Duration,
    mismatches: Rc<RefCell<Vec<String>>>,
}

impl Replay {
    pub fn new(recording: &Recording) -> Self {
        Replay {
            exchanges: RefCell::new(recording.exchanges.iter().cloned().collect()),
            inspections: recording.inspections.iter().cloned().collect(),
            clock: recording.clock.iter().copied().collect(),
            suite_runs: recording.suite_runs.iter().cloned().collect(),
            ready_in: Duration::from_millis(recording.ready_in_ms),
            mismatches: Rc::default(),
        }
    }

    /// The HTTP side, for a [`crate::mcp_client::Client`].
    pub fn transport(&self) -> Box<dyn Transport> {
        Box::new(ReplayTransport {
            exchanges: RefCell::new(self.exchanges.borrow_mut().drain(..).collect()),
            mismatches: self.mismatches.clone(),
        })
    }

    /// Where the replay went off the recording (a request that differs, one too many, an
    /// inspection that differs), in order.
    pub fn mismatches(&self) -> Vec<String> {
        self.mismatches.borrow().clone()
    }
}

struct ReplayTransport {
    exchanges: RefCell<std::collections::VecDeque<Recorded>>,
    mismatches: Rc<RefCell<Vec<String>>>,
}

impl Transport for ReplayTransport {
    fn send(&self, request: &Request) -> Result<Reply, TransportError> {
        let Some(recorded) = self.exchanges.borrow_mut().pop_front() else {
            let why = format!(
                "{} {}: one request more than recorded",
                request.method, request.path
            );
            self.mismatches.borrow_mut().push(why.clone());
            return Err(TransportError::Io {
                message: format!("replay: {why}"),
            });
        };
        if let Some(diff) = recorded.differs(request) {
            self.mismatches.borrow_mut().push(diff.clone());
            return Err(TransportError::Io {
                message: format!("replay: the request differs from the recording\n{diff}"),
            });
        }
        recorded.outcome
    }
}

impl Runtime for Replay {
    fn inspect(&mut self, request: Inspect) -> Result<Value> {
        let Some(recorded) = self.inspections.pop_front() else {
            self.mismatches
                .borrow_mut()
                .push(format!("inspection {request:?}: one more than recorded"));
            anyhow::bail!("replay: no more inspections recorded");
        };
        if recorded.request != request {
            self.mismatches.borrow_mut().push(format!(
                "inspection differs: asked {request:?}, recorded {:?}",
                recorded.request
            ));
        }
        recorded.answer.map_err(anyhow::Error::msg)
    }
    fn ready_in(&self) -> Duration {
        self.ready_in
    }
    fn official_suite(
        &mut self,
        revision: &str,
    ) -> std::result::Result<crate::official_suite::SuiteRun, crate::official_suite::SuiteError>
    {
        let Some(recorded) = self.suite_runs.pop_front() else {
            self.mismatches.borrow_mut().push(format!(
                "official suite at {revision}: one run more than recorded"
            ));
            return Err(crate::official_suite::SuiteError::Setup(
                "replay: no more suite runs recorded".into(),
            ));
        };
        if recorded.revision != revision {
            self.mismatches.borrow_mut().push(format!(
                "official suite run differs: asked {revision}, recorded {}",
                recorded.revision
            ));
        }
        recorded.result
    }
    fn now(&mut self) -> SystemTime {
        let nanos = self.clock.pop_front().unwrap_or_else(|| {
            self.mismatches
                .borrow_mut()
                .push("a clock reading more than recorded".into());
            0
        });
        SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
    }
}

/// Where a check's recordings live: `checker/tests/replay/<id>/`.
pub fn dir(root: &Path, check: &str) -> PathBuf {
    root.join("checker/tests/replay").join(check)
}

/// Recordings larger than this are written gzipped (`.json.gz`): a memory lab's run is
/// a thousand exchanges.
const GZIP_OVER: usize = 64 * 1024;

/// Writes a recording as `<lab>-<start|solution>.json` (or `.json.gz`) in its check's
/// directory, replacing an earlier one of either kind.
pub fn save(root: &Path, recording: &Recording) -> Result<PathBuf> {
    use std::io::Write;
    let dir = dir(root, &recording.check);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let which = if recording.solution {
        "solution"
    } else {
        "start"
    };
    let stem = dir.join(format!("{}-{which}.json", recording.lab));
    let gzipped = stem.with_extension("json.gz");
    let _ = std::fs::remove_file(&stem);
    let _ = std::fs::remove_file(&gzipped);
    let text = serde_json::to_string_pretty(recording)? + "\n";
    let (path, bytes) = if text.len() > GZIP_OVER {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(text.as_bytes())?;
        (gzipped, gz.finish()?)
    } else {
        (stem, text.into_bytes())
    };
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn read(path: &Path) -> Result<String> {
    use std::io::Read;
    let bytes = std::fs::read(path)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text)?;
        Ok(text)
    } else {
        Ok(String::from_utf8(bytes)?)
    }
}

/// Every recording of a check, by file name.
pub fn load_all(root: &Path, check: &str) -> Result<Vec<(PathBuf, Recording)>> {
    let dir = dir(root, check);
    let mut all = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(all);
    };
    for entry in entries {
        let path = entry?.path();
        let name = path.to_string_lossy();
        if name.ends_with(".json") || name.ends_with(".json.gz") {
            let text = read(&path)?;
            let recording = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a recording", path.display()))?;
            all.push((path, recording));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(all)
}
