//! The protocol between the checker ([`crate::runtime`]) and its Node harness
//! (`checker/harness/run-worker.mjs`), which runs one built lab Worker in workerd through
//! Miniflare. This module is its documentation; the harness points here.
//!
//! The checker starts `node run-worker.mjs` while it is still building the lab, so loading
//! Miniflare overlaps the build, then talks JSON lines: one JSON object a line on the
//! harness's stdin, one a line on its stdout (its stderr is the runtime's log).
//!
//! 1. First line: the Worker to run, a [`StartConfig`]:
//!    `{"script":"/abs/index.js","compatibilityDate":"2026-04-01","kv":["KV"],"d1":["DB"],
//!    "d1Fixture":"/abs/d1.sql"|null,"host":"127.0.0.1","port":0}` (port 0 picks a free port).
//!    Answered with an [`Event`]: `{"event":"ready","url":…,"workerd":…,"miniflare":…}` once
//!    serving, with the D1 fixture loaded into the first D1 binding, or
//!    `{"event":"error","message":…}` (the harness then exits).
//! 2. Then any number of [`Request`]s, each with an `id` of the checker's choosing and an
//!    `op` ([`Op`]):
//!    - inspections of state from outside the Worker, through Miniflare's own handles
//!      ([`Inspect`]): `{"id":…,"op":"d1.query","db":…,"sql":…}`,
//!      `{"id":…,"op":"kv.get","ns":…,"key":…}`, `{"id":…,"op":"kv.list","ns":…}`,
//!      `{"id":…,"op":"kv.snapshot","ns":…}`, `{"id":…,"op":"d1.snapshot","db":…}`,
//!      `{"id":…,"op":"d1.reset","db":…}`. Snapshots hold every user table's schema and rows
//!      (D1) or every key with its value and expiration (KV), so a check can prove a request
//!      changed nothing; `d1.reset` drops every user table, view and trigger and loads the
//!      fixture again;
//!    - `{"id":…,"op":"reload","script":"/abs/index.js"}`: runs a newly built Worker in the
//!      same Miniflare (`checker watch` keeps the runtime warm between runs), with every KV
//!      namespace emptied and every D1 database back to its fixture.
//!
//!    Requests are handled one at a time, in order, each answered with a [`Reply`]:
//!    `{"id":…,"ok":…}` or `{"id":…,"error":"…"}` (`id` is `null` when the line was not
//!    JSON). What `ok` holds depends on the op: rows for `d1.query`, the value or `null` for
//!    `kv.get`, key names for `kv.list`, the snapshots described above, `true` for
//!    `d1.reset`, `{"url":…}` for `reload`.
//!
//! When stdin closes (the checker finished, crashed or was killed) or on SIGINT/SIGTERM, the
//! harness disposes Miniflare, which stops workerd, and exits.
//!
//! `checker/harness/protocol-examples.json` holds one example of every message, each
//! direction; a unit test here and `checker/harness/protocol.test.mjs` (run by
//! `checker/tests/harness_protocol.rs`) hold both sides to them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The checker's first line: the Worker to run and where to serve it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartConfig {
    /// The entry module wasm-bindgen's output is loaded by (`index.js`), absolute.
    pub script: PathBuf,
    /// workerd compatibility date, as in the lab's `wrangler.toml`.
    pub compatibility_date: String,
    /// KV namespace bindings.
    pub kv: Vec<String>,
    /// D1 database bindings.
    pub d1: Vec<String>,
    /// SQL loaded into the first D1 binding before the Worker serves, absolute; `null` for
    /// none.
    pub d1_fixture: Option<PathBuf>,
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
}

/// The harness's answer to the [`StartConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase", deny_unknown_fields)]
pub enum Event {
    /// The Worker serves.
    Ready {
        /// Base URL, e.g. `http://127.0.0.1:41234/`.
        url: String,
        /// Version of the `workerd` npm package running it (`unknown` when unreadable).
        workerd: String,
        /// Version of the `miniflare` npm package (`unknown` when unreadable).
        miniflare: String,
    },
    /// The Worker could not be started; the harness exits after saying so.
    Error {
        /// Miniflare's or workerd's reason.
        message: String,
    },
}

/// One line the checker sends after the [`StartConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Chosen by the checker; the [`Reply`] carries it back.
    pub id: u64,
    /// What to do, with the `op` tag and its fields beside `id`.
    #[serde(flatten)]
    pub op: Op,
}

/// Every op the harness handles (the `op` field of a [`Request`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum Op {
    /// Runs a newly built Worker in the same Miniflare, KV emptied and D1 back to its
    /// fixture; answered with `{"url":…}`.
    #[serde(rename = "reload")]
    Reload {
        /// The new entry module, absolute.
        script: PathBuf,
    },
    /// Reads (or resets) state from outside the Worker.
    #[serde(untagged)]
    Inspect(Inspect),
}

/// The inspections: ops that read state from outside the Worker, through Miniflare's own
/// handles, or put D1 back to its fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", deny_unknown_fields)]
pub enum Inspect {
    /// Runs SQL against a D1 database; answered with its rows.
    #[serde(rename = "d1.query")]
    D1Query {
        /// The D1 binding.
        db: String,
        /// The statement.
        sql: String,
    },
    /// Reads one KV value; answered with it, or `null`.
    #[serde(rename = "kv.get")]
    KvGet {
        /// The KV binding.
        ns: String,
        /// The key.
        key: String,
    },
    /// Lists a namespace's keys (the first page); answered with their names.
    #[serde(rename = "kv.list")]
    KvList {
        /// The KV binding.
        ns: String,
    },
    /// Every key of a namespace with its value and expiration:
    /// `{"key":{"value":…,"expiration":seconds|null}}`.
    #[serde(rename = "kv.snapshot")]
    KvSnapshot {
        /// The KV binding.
        ns: String,
    },
    /// Every user schema object (`objects`: type, name, tbl_name, sql) and every user
    /// table's rows (`rows`: table name to rows).
    #[serde(rename = "d1.snapshot")]
    D1Snapshot {
        /// The D1 binding.
        db: String,
    },
    /// Drops every user table, view and trigger and loads the fixture again; answered with
    /// `true`.
    #[serde(rename = "d1.reset")]
    D1Reset {
        /// The D1 binding.
        db: String,
    },
}

/// The harness's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The request's `id`; `null` when the line could not be read as JSON.
    pub id: Option<u64>,
    /// `ok` or `error`, beside `id`.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Whether a [`Request`] succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// What the op answers (see [`Op`] and [`Inspect`]).
    Ok(Value),
    /// Why it failed: the error's message.
    Error(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    const EXAMPLES: &str = include_str!("../harness/protocol-examples.json");

    fn examples() -> Value {
        serde_json::from_str(EXAMPLES).expect("protocol-examples.json is JSON")
    }

    /// `example` read as a `T` and written back is the same JSON.
    fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> T {
        let typed: T = serde_json::from_value(example.clone())
            .unwrap_or_else(|e| panic!("{example} is not a {}: {e}", std::any::type_name::<T>()));
        assert_eq!(&serde_json::to_value(&typed).unwrap(), example);
        typed
    }

    fn list<'a>(examples: &'a Value, direction: &str, kind: &str) -> &'a [Value] {
        examples[direction][kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {direction}.{kind} in protocol-examples.json"))
    }

    #[test]
    fn the_start_config_example_round_trips() {
        let examples = examples();
        let config: StartConfig = round_trip(&examples["checker_to_harness"]["start"]);
        assert_eq!(config.port, 0);
    }

    #[test]
    fn every_request_example_round_trips_and_every_op_has_one() {
        let examples = examples();
        let ops: Vec<String> = list(&examples, "checker_to_harness", "requests")
            .iter()
            .map(|example| {
                let request: Request = round_trip(example);
                let name = match &request.op {
                    Op::Reload { .. } => "reload",
                    Op::Inspect(Inspect::D1Query { .. }) => "d1.query",
                    Op::Inspect(Inspect::KvGet { .. }) => "kv.get",
                    Op::Inspect(Inspect::KvList { .. }) => "kv.list",
                    Op::Inspect(Inspect::KvSnapshot { .. }) => "kv.snapshot",
                    Op::Inspect(Inspect::D1Snapshot { .. }) => "d1.snapshot",
                    Op::Inspect(Inspect::D1Reset { .. }) => "d1.reset",
                };
                assert_eq!(example["op"], name, "{example} read as {request:?}");
                name.to_owned()
            })
            .collect();
        for op in [
            "d1.query",
            "kv.get",
            "kv.list",
            "kv.snapshot",
            "d1.snapshot",
            "d1.reset",
            "reload",
        ] {
            assert!(ops.iter().any(|o| o == op), "no example of {op}");
        }
    }

    #[test]
    fn an_unknown_op_or_a_missing_field_is_not_a_request() {
        for line in [
            r#"{"id":1,"op":"kv.delete","ns":"KV","key":"k"}"#,
            r#"{"id":1,"op":"d1.query","db":"DB"}"#,
            r#"{"id":1,"op":"reload"}"#,
            r#"{"op":"kv.list","ns":"KV"}"#,
        ] {
            assert!(serde_json::from_str::<Request>(line).is_err(), "{line}");
        }
    }

    #[test]
    fn every_event_and_reply_example_round_trips() {
        let examples = examples();
        let events: Vec<Event> = list(&examples, "harness_to_checker", "events")
            .iter()
            .map(round_trip)
            .collect();
        assert!(events.iter().any(|e| matches!(e, Event::Ready { .. })));
        assert!(events.iter().any(|e| matches!(e, Event::Error { .. })));
        let replies: Vec<Reply> = list(&examples, "harness_to_checker", "replies")
            .iter()
            .map(round_trip)
            .collect();
        assert!(replies.iter().any(|r| matches!(r.outcome, Outcome::Ok(_))));
        assert!(replies
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Error(_))));
        assert!(replies.iter().any(|r| r.id.is_none()));
    }
}
