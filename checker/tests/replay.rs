//! Every check of the registry, unit-tested without Node or workerd.
//!
//! Worker checks, library checks and findings run against recordings of real runs, one
//! directory per check under `checker/tests/replay/<check id>/` (`cargo lab record <lab>
//! [--solution]` writes them); `DERIVED` turns real recordings into what a server with one
//! mistake would have answered. Each must give the status and points it got, having sent
//! exactly the requests (or run exactly the cargo commands) recorded. `integrity`, `build`
//! and `size.raw-bytes` read no exchanges and are tested here on made-up input.
//! `every_check_has_a_passing_and_a_failing_case` keeps it that way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use checker::bootstrap::Tools;
use checker::checks::build::{BuildContext, Built};
use checker::checks::findings::FindingsContext;
use checker::checks::{self, Context, CourseContext, CrateContext, On, Runs, REGISTRY};
use checker::course;
use checker::grading::MCP_PATH;
use checker::mcp_client::{Client, Reply};
use checker::pipeline::{Artefact, BuildFailure};
use checker::replay::{self, CrateReplay, Recording, Replay};
use checker::report::{CheckResult, FailureKind, Status};
use checker::schema::Schemas;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs a recording's check against its replay: the result, and where the check's requests
/// went off the recording.
fn replay_one(root: &Path, recording: &Recording) -> (CheckResult, Vec<String>) {
    let lab = course::find(root, &recording.lab).unwrap();
    let check = checks::get(&recording.check);
    let mut replay = Replay::new(recording);
    let client = Client::over(replay.transport(), MCP_PATH);
    client.preload(recording.earlier.clone());
    let spec = lab.checks.iter().find(|s| s.id == recording.check);
    let crate_replay = CrateReplay::new(recording);
    let outcome = match check.runs() {
        Runs::Crate => {
            // Nothing is run or read from these paths: the replay answers for them.
            let tools = Tools {
                wasm_bindgen: PathBuf::from("/replay/tools/wasm-bindgen"),
                wasm_bindgen_version: "replayed".into(),
                node: PathBuf::from("/replay/tools/node"),
            };
            let ctx = CrateContext {
                root,
                lab: &lab,
                krate: lab.crate_ref(recording.solution),
                dir: crate_replay.dir(),
                tools: &tools,
                io: &crate_replay,
            };
            check.run(On::Crate(&ctx))
        }
        Runs::Worker => {
            let scratch = tempfile::tempdir().unwrap();
            let artefact = Artefact::in_dir(scratch.path().join("artefact"));
            let mut schemas = Schemas::new(root);
            let mut ctx = Context {
                server: &mut replay,
                client: &client,
                schemas: &mut schemas,
                spec: spec.expect("a recorded Worker check is in its lab's manifest"),
                lab: &lab,
                artefact: &artefact,
                reports: scratch.path(),
                solution: recording.solution,
            };
            check.run(On::Worker(&mut ctx))
        }
        Runs::Findings => check.run(On::Findings(&FindingsContext {
            root,
            lab: &lab,
            client: &client,
            panics: &recording.panics,
        })),
        other => panic!("{}: {other:?} checks are not replayed", recording.check),
    };
    let result = check.meta().result(spec, outcome, None);
    let mut mismatches = replay.mismatches();
    mismatches.extend(crate_replay.mismatches());
    (result, mismatches)
}

/// A failing case made from a real recording: what a server with one mistake would have
/// answered instead. Made here, not stored, so it cannot go stale when its recording is
/// made again.
struct Derived {
    /// The check, and the recording it starts from (a file in the check's directory).
    check: &'static str,
    from: &'static str,
    /// The mistake it stands for.
    note: &'static str,
    mutate: fn(&mut Recording),
    expected: (Status, f64),
}

/// Every reply of a recording, for a mutation.
fn replies(recording: &mut Recording) -> impl Iterator<Item = &mut Reply> {
    recording
        .exchanges
        .iter_mut()
        .filter_map(|e| e.outcome.as_mut().ok())
}

/// The reply to request `id` of a tool call given another structured result (and the same
/// JSON as its text content).
fn tool_result_of(recording: &mut Recording, id: u64, structured: serde_json::Value) {
    let reply = replies(recording)
        .find(|reply| {
            serde_json::from_str::<serde_json::Value>(&reply.body)
                .is_ok_and(|body| body["id"] == id)
        })
        .unwrap_or_else(|| panic!("no reply to request {id}"));
    let result = serde_json::json!({
        "content": [{ "type": "text", "text": structured.to_string() }],
        "structuredContent": structured,
        "isError": false,
    });
    let body = with_result(&reply.body, result);
    reply.set_body(body);
}

/// A reply body with `result` replaced, keeping its id.
fn with_result(body: &str, result: serde_json::Value) -> String {
    let mut json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    json["result"] = result;
    json.to_string()
}

const DERIVED: &[Derived] = &[
    Derived {
        check: "runtime.hangs",
        from: "lab-4-solution.json",
        note: "a server whose handler never finishes one request, so workerd cancels it (the lab 4 starting point did, on 100 000 nested arrays, while it parsed bodies with req.json())",
        mutate: |r| {
            let reply = r
                .earlier
                .iter_mut()
                .filter_map(|e| e.outcome.as_mut().ok())
                .next()
                .expect("the run's log has replies");
            reply.status = 500;
            reply.set_body("Error: The Workers runtime canceled this request because it detected that your Worker's code had hung and would never generate a response.".into());
        },
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "build.native",
        from: "lab-1-solution.json",
        note: "a crate whose wasm32 fix broke the native build",
        mutate: |r| {
            let output = &mut r.commands[0].output;
            output.success = false;
            output.stderr = "error[E0425]: cannot find function `now` in module `js_sys::Date`\n --> src/time.rs:9:5\n".into();
        },
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "tests.native",
        from: "lab-1-solution.json",
        note: "a native test that fails after the wasm32 changes",
        mutate: |r| {
            let output = &mut r.commands[0].output;
            output.success = false;
            output.stdout = output.stdout.replace(
                "test result: ok. 11 passed; 0 failed",
                "test result: FAILED. 10 passed; 1 failed",
            );
        },
        // Partial credit: 12 of 13 tests pass.
        expected: (Status::Fail, 0.92),
    },
    Derived {
        check: "protocol.ping",
        from: "lab-4-solution.json",
        note: "a server that does not know ping answers -32601 Method not found",
        mutate: |r| {
            for reply in replies(r) {
                let mut json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                json.as_object_mut().unwrap().remove("result");
                json["error"] =
                    serde_json::json!({ "code": -32601, "message": "Method not found" });
                reply.set_body(json.to_string());
            }
        },
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "protocol.stateless-requests",
        from: "lab-4-solution.json",
        note: "a server that answers a request without its _meta version with -32020 HeaderMismatch instead of -32602 Invalid params",
        mutate: |r| {
            for reply in replies(r) {
                if reply.body.contains("-32602") {
                    let body = reply.body.replace("-32602", "-32020");
                    reply.set_body(body);
                }
            }
        },
        // 3 of 5 cases right.
        expected: (Status::Fail, 1.2),
    },
    Derived {
        check: "protocol.header-validation",
        from: "lab-4-solution.json",
        note: "a server that compares a Base64-encoded Mcp-Name without decoding it",
        mutate: |r| {
            let encoded = r
                .exchanges
                .iter_mut()
                .find(|e| e.body.as_deref().is_some_and(|b| b.contains("\"id\":125")))
                .and_then(|e| e.outcome.as_mut().ok())
                .expect("the case of a Base64 Mcp-Name that matches params.name");
            let mismatch = serde_json::json!({
                "jsonrpc": "2.0",
                "id": 125,
                "error": { "code": -32020, "message": "header mismatch: Mcp-Name" }
            });
            encoded.status = 400;
            encoded.set_body(mismatch.to_string());
        },
        // 9 of 12 cases right: the served sentinel fails, and the two refused sentinels
        // (another name, malformed) prove nothing without decoding.
        expected: (Status::Fail, 1.5),
    },
    Derived {
        check: "protocol.tools-kv",
        from: "lab-4-solution.json",
        note: "a list_keys that accepts limit and ignores it (both keys under the prefix, complete: true)",
        // Request 66 is `list_keys` with `limit: 1`.
        mutate: |r| {
            tool_result_of(
                r,
                66,
                serde_json::json!({ "keys": ["checker:probe", "checker:ttl"], "complete": true }),
            )
        },
        // 9 of 10 cases right.
        expected: (Status::Fail, 1.8),
    },
    Derived {
        check: "protocol.tools-kv",
        from: "lab-4-solution.json",
        note: "a get_value that answers a key nobody stored with an empty value instead of found: false",
        // Request 64 is `get_value` of a key that was never stored.
        mutate: |r| {
            tool_result_of(
                r,
                64,
                serde_json::json!({ "key": "checker:probe-absent", "found": true, "value": "" }),
            )
        },
        expected: (Status::Fail, 1.8),
    },
    Derived {
        check: "protocol.tools-kv",
        from: "lab-4-solution.json",
        note: "a store_value whose limits are exclusive (`>=` for `>`): the longest key and value it advertises are refused",
        // Request 67 stores a 512-byte key with a 64 KiB value.
        mutate: |r| {
            tool_result_of(r, 67, serde_json::json!({ "key": "checker:k…", "stored": false }));
            let reply = replies(r)
                .find(|reply| reply.body.contains("\"id\":67"))
                .expect("the reply to request 67");
            let body = reply.body.replace("\"isError\":false", "\"isError\":true");
            reply.set_body(body);
        },
        // 9 of 10 cases right.
        expected: (Status::Fail, 1.8),
    },
    Derived {
        check: "protocol.behaviour",
        from: "lab-2-solution.json",
        note: "a parser rewrite that answers a JSON-RPC 1.0 request with -32700 instead of the starting point's -32600",
        mutate: |r| {
            let reply = replies(r)
                .find(|reply| reply.body.contains("jsonrpc must be"))
                .expect("the reply to the jsonrpc 1.0 request");
            let body = reply.body.replace("-32600", "-32700");
            reply.set_body(body);
        },
        // A gate: no points either way, and the lab does not pass.
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "memory.results",
        from: "lab-2-solution.json",
        note: "a refusal that names the wrong event (an index counted down instead of up)",
        // Request 6 has a bad third event, `events[2]`.
        mutate: |r| {
            let reply = replies(r)
                .find(|reply| reply.body.contains("\"id\":6,"))
                .expect("the reply to request 6");
            let body = reply.body.replace("events[2]", "events[4294967294]");
            reply.set_body(body);
        },
        // 5 of 6 cases right.
        expected: (Status::Fail, 1.67),
    },
    Derived {
        check: "memory.results",
        from: "lab-2-solution.json",
        note: "a summary tool that answers an empty summary",
        mutate: |r| {
            for reply in replies(r) {
                let empty = serde_json::json!({
                    "content": [{ "type": "text", "text": "{}" }],
                    "structuredContent": {},
                    "isError": false
                });
                reply.set_body(with_result(&reply.body, empty));
            }
        },
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "memory.growth",
        from: "lab-2-solution.json",
        note: "a Worker that keeps 64 bytes per request: pages stay flat, live heap bytes grow",
        mutate: |r| {
            // Every reply after the reset reads 64 bytes more live than the one before.
            for (n, reply) in replies(r).skip(1).enumerate() {
                let live: u64 = reply
                    .header("x-course-heap-live")
                    .and_then(|v| v.parse().ok())
                    .expect("the recording has live-heap readings");
                reply.headers.retain(|(k, _)| k != "x-course-heap-live");
                reply.headers.push((
                    "x-course-heap-live".into(),
                    (live + 64 * (n as u64 + 1)).to_string(),
                ));
            }
        },
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "size.behaviour",
        from: "lab-3-solution.json.gz",
        // The 8 cases whose results were already `{}` (ping) or that have no body stay right.
        note: "a smaller server that lost what its results hold",
        mutate: |r| {
            for reply in replies(r) {
                if reply.body.contains("\"result\"") {
                    reply.set_body(with_result(&reply.body, serde_json::json!({})));
                } else {
                    reply.status = 500;
                }
            }
        },
        expected: (Status::Fail, 0.23),
    },
    Derived {
        check: "runtime.memory",
        from: "lab-4-solution.json.gz",
        note: "a request that took linear memory to 200 MiB",
        mutate: |r| {
            let reply = r.earlier[2].outcome.as_mut().unwrap();
            reply.headers.retain(|(k, _)| k != "x-course-wasm-memory");
            reply
                .headers
                .push(("x-course-wasm-memory".into(), (200u64 << 20).to_string()));
        },
        expected: (Status::Fail, 0.0),
    },
    Derived {
        check: "runtime.panics",
        from: "lab-4-solution.json.gz",
        note: "a Worker that panicked during the run",
        mutate: |r| {
            r.panics = vec!["panicked at labs/lab-4-full-server/src/lib.rs:6:5: boom".into()];
        },
        expected: (Status::Fail, 0.0),
    },
];

/// Every recording, by check id: the real ones, then the derived ones (named
/// `<from>~<note>`).
fn recordings(root: &Path) -> BTreeMap<&'static str, Vec<(PathBuf, Recording)>> {
    let mut all: BTreeMap<_, _> = REGISTRY
        .iter()
        .map(|c| {
            let id = c.id();
            (id, replay::load_all(root, id).unwrap())
        })
        .collect();
    for derived in DERIVED {
        let recorded = all.get_mut(derived.check).unwrap();
        let (path, from) = recorded
            .iter()
            // A large recording is stored gzipped: `from` names it either way.
            .find(|(p, _)| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n == derived.from || n.trim_end_matches(".gz") == derived.from)
            })
            .unwrap_or_else(|| panic!("{}: no recording {}", derived.check, derived.from));
        let mut recording = from.clone();
        (derived.mutate)(&mut recording);
        recording.note = Some(derived.note.into());
        recording.expected.status = derived.expected.0;
        recording.expected.points = derived.expected.1;
        recording.expected.message = derived.note.into();
        let name = PathBuf::from(format!("{}~{}", path.display(), derived.note));
        recorded.push((name, recording));
    }
    all
}

#[test]
fn every_recording_replays_to_the_result_of_its_real_run() {
    let root = root();
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut count = 0;
    for (id, recorded) in recordings(&root) {
        for (path, recording) in recorded {
            assert_eq!(
                recording.check,
                id,
                "{} is in the wrong directory",
                path.display()
            );
            count += 1;
            let (result, mismatches) = replay_one(&root, &recording);
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            if !mismatches.is_empty() {
                failures.push(format!(
                    "{name}: the check's requests differ from the recording:\n{}",
                    mismatches.join("\n")
                ));
            }
            if result.status != recording.expected.status
                || result.points != recording.expected.points
            {
                failures.push(format!(
                    "{name}: expected {:?} {} points ({}), got {:?} {} points: {}",
                    recording.expected.status,
                    recording.expected.points,
                    recording.expected.message,
                    result.status,
                    result.points,
                    result.message
                ));
            }
        }
    }
    println!(
        "{count} recordings replayed in {} ms",
        started.elapsed().as_millis()
    );
    assert!(count > 0, "no recordings found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Checks tested on made-up input below instead of recordings, and why.
const TESTED_ON_MADE_UP_INPUT: &[(&str, &str)] = &[
    (
        "integrity",
        "reads the course's files: tested on a copy with one changed",
    ),
    (
        "build",
        "reads the pipeline's result: tested on each kind of result",
    ),
    (
        "size.raw-bytes",
        "reads the built module: tested on modules made to size",
    ),
];

/// Checks that cannot fail, and why.
const NEVER_FAIL: &[(&str, &str)] = &[(
    "size.startup",
    "informational: reports the start-up time, graded by no budget",
)];

#[test]
fn every_check_has_a_passing_and_a_failing_case() {
    let root = root();
    let mut missing = Vec::new();
    for (id, recorded) in recordings(&root) {
        if TESTED_ON_MADE_UP_INPUT.iter().any(|(i, _)| *i == id) {
            continue;
        }
        let has = |status: Status| recorded.iter().any(|(_, r)| r.expected.status == status);
        if !has(Status::Pass) {
            missing.push(format!("{id}: no recording where it passes"));
        }
        if !has(Status::Fail) && !NEVER_FAIL.iter().any(|(i, _)| *i == id) {
            missing.push(format!("{id}: no recording where it fails"));
        }
    }
    assert!(
        missing.is_empty(),
        "record one with `cargo lab record <lab> [--solution]`, or derive one by hand (with a note):\n{}",
        missing.join("\n")
    );
}

#[test]
fn build_reports_each_kind_of_result() {
    let check = checks::get("build");
    let spec = course::find(&root(), "lab-4").unwrap().checks[0].clone();
    let run = |built: Built| {
        let outcome = check.run(On::Build(&BuildContext { built }));
        check.meta().result(Some(&spec), outcome, None)
    };
    let done = run(Built::Done {
        package: "lab-4-full-server",
        wasm_bytes: 1234,
    });
    assert_eq!((done.status, done.points), (Status::Pass, spec.points));
    assert!(done.message.contains("1234 bytes"), "{}", done.message);

    let failure = BuildFailure {
        message: "labs/x does not compile for wasm32:\nerror[E0425]: cannot find value `x`".into(),
        hint: "Fix the error above".into(),
        location: None,
        kind: FailureKind::CompileError,
    };
    let failed = run(Built::Failed(&failure));
    assert_eq!((failed.status, failed.points), (Status::Error, 0.0));
    assert_eq!(failed.hint.as_deref(), Some("Fix the error above"));
    assert_eq!(failed.failure_kind, Some(FailureKind::CompileError));

    let tools = run(Built::Tools(
        "the build tools failed: wasm-bindgen exited".into(),
    ));
    assert_eq!(tools.status, Status::Error);
    assert_eq!(tools.hint, None);
}

#[test]
fn integrity_passes_on_the_course_and_fails_on_a_changed_course_file() {
    let root = root();
    let check = checks::get("integrity");
    let lab = course::find(&root, "lab-4").unwrap();
    let verdict = |root: &Path| {
        let ctx = CourseContext {
            root,
            lab: &lab,
            krate: &lab.lab,
        };
        check.meta().result(None, check.run(On::Course(&ctx)), None)
    };
    assert_eq!(
        verdict(&root).status,
        Status::Pass,
        "{}",
        verdict(&root).message
    );

    // A copy of what integrity reads: the list, and every file on it.
    let copy = tempfile::tempdir().unwrap();
    let list = std::fs::read_to_string(root.join("checker/course-files.toml")).unwrap();
    let listed: toml::Table = toml::from_str(&list).unwrap();
    std::fs::create_dir_all(copy.path().join("checker")).unwrap();
    std::fs::write(copy.path().join("checker/course-files.toml"), &list).unwrap();
    for path in listed["files"].as_table().unwrap().keys() {
        let to = copy.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(path), &to).unwrap();
    }
    let budget = copy.path().join("checker/labs/lab-4-full-server/lab.toml");
    let text = std::fs::read_to_string(&budget).unwrap();
    std::fs::write(&budget, text.replace("points = 2", "points = 20")).unwrap();
    let changed = verdict(copy.path());
    assert_eq!(changed.status, Status::Fail);
    assert!(
        changed
            .message
            .contains("checker/labs/lab-4-full-server/lab.toml was modified"),
        "{}",
        changed.message
    );
    assert_eq!(changed.failure_kind, Some(FailureKind::Integrity));
}

/// A wasm module of exactly `bytes` bytes: the header and one custom section of padding.
fn module_of(bytes: usize, dir: &Path) -> Artefact {
    std::fs::create_dir_all(dir).unwrap();
    let header = b"\0asm\x01\0\0\0";
    let name = b"pad";
    // Custom section: id 0, LEB128 size, name length, name, payload.
    let fixed = header.len() + 1 + 5 + 1 + name.len();
    let payload = bytes - fixed;
    let size = 1 + name.len() + payload;
    let mut module = header.to_vec();
    module.push(0);
    // Five-byte LEB128, so the size of the module is exact.
    for i in 0..5 {
        let byte = ((size >> (7 * i)) & 0x7f) as u8;
        module.push(if i < 4 { byte | 0x80 } else { byte });
    }
    module.push(name.len() as u8);
    module.extend_from_slice(name);
    // Varied bytes, so gzip cannot make them nothing.
    module.extend((0..payload).map(|i| (i * 7919 % 251) as u8));
    assert_eq!(module.len(), bytes);
    std::fs::write(dir.join("index_bg.wasm"), module).unwrap();
    Artefact::in_dir(dir.to_path_buf())
}

#[test]
fn raw_bytes_grades_the_module_against_the_baseline() {
    let root = root();
    let lab = course::find(&root, "lab-3").unwrap();
    let spec = lab
        .checks
        .iter()
        .find(|s| s.id == "size.raw-bytes")
        .unwrap();
    let baseline = lab.size.as_ref().unwrap().baseline_bytes as usize;
    let check = checks::get("size.raw-bytes");
    let grade = |bytes: usize| {
        let scratch = tempfile::tempdir().unwrap();
        let artefact = module_of(bytes, &scratch.path().join("m"));
        let mut replay = Replay::new(&Recording {
            check: "size.raw-bytes".into(),
            note: None,
            lab: "lab-3".into(),
            solution: false,
            expected: replay::Expected {
                status: Status::Pass,
                points: 0.0,
                message: String::new(),
            },
            ready_in_ms: 0,
            earlier: Vec::new(),
            exchanges: Vec::new(),
            inspections: Vec::new(),
            clock: Vec::new(),
            suite_runs: Vec::new(),
            panics: Vec::new(),
            commands: Vec::new(),
            files: Vec::new(),
        });
        let client = Client::over(replay.transport(), MCP_PATH);
        let mut schemas = Schemas::new(&root);
        let mut ctx = Context {
            server: &mut replay,
            client: &client,
            schemas: &mut schemas,
            spec,
            lab: &lab,
            artefact: &artefact,
            reports: scratch.path(),
            solution: false,
        };
        check
            .meta()
            .result(Some(spec), check.run(On::Worker(&mut ctx)), None)
    };
    let small = grade(baseline * 2 / 5);
    assert_eq!(
        (small.status, small.points),
        (Status::Pass, spec.points),
        "{}",
        small.message
    );
    let unchanged = grade(baseline);
    assert_eq!(
        (unchanged.status, unchanged.points),
        (Status::Fail, 0.0),
        "{}",
        unchanged.message
    );
    assert_eq!(unchanged.failure_kind, Some(FailureKind::BudgetMiss));
}
