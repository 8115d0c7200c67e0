//! `cargo lab bench`: a lab's Worker against the course's TypeScript reference (lab 4's tools
//! on the official MCP TypeScript SDK v2, `checker/bench/ts-reference.mjs`), in the same
//! Miniflare, in one run. `harness/bench.mjs` measures; this module turns its readings into
//! the comparison (a pure [`compare`], unit-tested on fixed readings) and renders it.
//!
//! Ratios are what to read: absolute times depend on the machine and on whatever else runs on
//! it, but both servers meet the same conditions in the same run. CPU per request is workerd's
//! process CPU time over the requests, minus the same figure for a JavaScript Worker that
//! answers a constant after the same storage I/O (the floor: what the runtime, and in
//! Miniflare the KV simulation running inside it, spend on any such request). Deployed, KV is
//! a service of its own and its work is not the Worker's CPU time, so it is not the server's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wasm_size::Sizes;

/// The methods measured, as `harness/bench.mjs` names them.
pub const METHODS: [&str; 2] = ["tools/list", "get_value"];

/// What `harness/bench.mjs` prints.
#[derive(Debug, Clone, Deserialize)]
pub struct Readings {
    /// workerd's npm version.
    pub workerd: String,
    /// Miniflare's npm version.
    pub miniflare: String,
    /// `rust` and `ts`.
    pub servers: BTreeMap<String, ServerReadings>,
    /// By method: CPU per request of the constant-answer Worker, which does the same KV read
    /// for `get_value` (`None` where /proc is missing).
    pub floor_cpu_ms_per_request: BTreeMap<String, Option<f64>>,
}

/// One server's readings.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerReadings {
    /// Median time from a fresh runtime to its first reply.
    pub cold_start_ms: f64,
    /// By method (see [`METHODS`]).
    pub methods: BTreeMap<String, MethodReadings>,
}

/// One method on one server.
#[derive(Debug, Clone, Deserialize)]
pub struct MethodReadings {
    /// workerd CPU time per request, floor included.
    pub cpu_ms_per_request: Option<f64>,
    /// What the reply says, reduced to what both servers must agree on (the tool names, the
    /// fields of `get_value`'s text); `None` when it could not be read.
    #[serde(default)]
    pub reply: Option<String>,
    /// Requests per second by number of clients in flight ("1", "8").
    pub requests_per_second: BTreeMap<String, f64>,
}

/// One figure for both servers, and the Rust one as a share of the TypeScript one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pair {
    pub rust: f64,
    pub ts: f64,
    /// `rust / ts`: below 1 the Rust server needs less (for sizes, times and CPU), or serves
    /// fewer requests (for requests per second).
    pub ratio: f64,
}

impl Pair {
    pub fn new(rust: f64, ts: f64) -> Self {
        let ratio = if ts == 0.0 { f64::NAN } else { rust / ts };
        Pair {
            rust,
            ts,
            ratio: (ratio * 1000.0).round() / 1000.0,
        }
    }
}

/// One method, compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodComparison {
    pub method: String,
    /// Whether the server answered what the reference answers: if not, its figures measure
    /// other work (a lab that lists one tool, or answers `get_value` without reading KV).
    pub reply_matches_reference: bool,
    /// The floor's CPU per request for this method, ms (`None` where it could not be read).
    pub floor_cpu_ms_per_request: Option<f64>,
    /// CPU per request above the floor, ms (`None` where it could not be read).
    pub cpu_ms_above_floor: Option<Pair>,
    /// Requests per second with one client.
    pub requests_per_second_1: Pair,
    /// Requests per second with eight clients in flight.
    pub requests_per_second_8: Pair,
}

/// The whole comparison: what `--format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub schema_version: u32,
    pub lab: String,
    /// The crate measured (`labs/…` or `solutions/…`).
    pub target: String,
    pub workerd: String,
    pub miniflare: String,
    /// What `wrangler deploy` uploads, bytes: the module and its JavaScript (each gzipped on
    /// its own for `size_gzip`) against the bundle.
    pub size_raw: Pair,
    pub size_gzip: Pair,
    pub cold_start_ms: Pair,
    pub methods: Vec<MethodComparison>,
    /// How to read it.
    pub note: String,
}

/// The note every comparison carries.
pub const NOTE: &str = "Read the ratios (Rust ÷ TypeScript; below 1 favours Rust, except for requests per second, where above 1 does), not the absolute figures: both servers ran in the same Miniflare in the same run, but times depend on the machine and on what else runs on it. CPU is workerd's process CPU time per request minus the floor's: a JavaScript Worker that answers a constant after the same KV read (in Miniflare KV runs inside workerd; deployed, its work is not the Worker's). Requests per second are bounded by the client on a small machine.";

/// The comparison of one run's readings, with the two servers' sizes.
pub fn compare(
    lab: &str,
    target: &str,
    rust_size: Sizes,
    ts_size: Sizes,
    readings: &Readings,
) -> anyhow::Result<Comparison> {
    let server = |name: &str| {
        readings
            .servers
            .get(name)
            .ok_or_else(|| anyhow::anyhow!("the bench run has no readings for `{name}`"))
    };
    let (rust, ts) = (server("rust")?, server("ts")?);
    let mut methods = Vec::new();
    for method in METHODS {
        let reading = |s: &ServerReadings| {
            s.methods
                .get(method)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("the bench run did not measure `{method}`"))
        };
        let (r, t) = (reading(rust)?, reading(ts)?);
        let floor = readings
            .floor_cpu_ms_per_request
            .get(method)
            .copied()
            .flatten();
        let above = |cpu: Option<f64>| Some((cpu? - floor?).max(0.0));
        let rps = |m: &MethodReadings, clients: &str| {
            m.requests_per_second.get(clients).copied().unwrap_or(0.0)
        };
        methods.push(MethodComparison {
            method: method.to_owned(),
            reply_matches_reference: r.reply.is_some() && r.reply == t.reply,
            floor_cpu_ms_per_request: floor.map(round3),
            cpu_ms_above_floor: match (above(r.cpu_ms_per_request), above(t.cpu_ms_per_request)) {
                (Some(r), Some(t)) => Some(Pair::new(round3(r), round3(t))),
                _ => None,
            },
            requests_per_second_1: Pair::new(rps(&r, "1"), rps(&t, "1")),
            requests_per_second_8: Pair::new(rps(&r, "8"), rps(&t, "8")),
        });
    }
    Ok(Comparison {
        schema_version: 2,
        lab: lab.to_owned(),
        target: target.to_owned(),
        workerd: readings.workerd.clone(),
        miniflare: readings.miniflare.clone(),
        size_raw: Pair::new(rust_size.raw as f64, ts_size.raw as f64),
        size_gzip: Pair::new(rust_size.gzip as f64, ts_size.gzip as f64),
        cold_start_ms: Pair::new(rust.cold_start_ms, ts.cold_start_ms),
        methods,
        note: NOTE.to_owned(),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The comparison as a table for a person.
pub fn human(c: &Comparison) -> String {
    let mut out = format!(
        "{} ({}) against the TypeScript SDK v2 reference, in Miniflare {} (workerd {})\n\n",
        c.lab, c.target, c.miniflare, c.workerd
    );
    out.push_str(&format!(
        "  {:<34} {:>12} {:>12} {:>8}\n",
        "", "Rust", "TypeScript", "ratio"
    ));
    // How each figure is written: whole bytes, milliseconds or requests, and CPU milliseconds
    // with three decimals so that the column lines up.
    let bytes = |x: f64| format!("{} B", trim(x));
    let ms = |x: f64| format!("{} ms", trim(x));
    let cpu_ms = |x: f64| format!("{x:.3} ms");
    let count = |x: f64| trim(x);
    let row = |name: &str, p: Pair, write: &dyn Fn(f64) -> String| {
        format!(
            "  {:<34} {:>12} {:>12} {:>8.2}\n",
            name,
            write(p.rust),
            write(p.ts),
            p.ratio
        )
    };
    // A method whose reply is not the reference's did other work: its figures are shown, its
    // ratios are not (a server that skips the KV read would otherwise look cheaper).
    let unlike = |name: &str, p: Pair, write: &dyn Fn(f64) -> String| {
        format!(
            "  {:<34} {:>12} {:>12} {:>8}\n",
            name,
            write(p.rust),
            write(p.ts),
            "—"
        )
    };
    out.push_str(&row(
        "upload (module + JS / bundle), raw",
        c.size_raw,
        &bytes,
    ));
    out.push_str(&row("upload, gzip -9", c.size_gzip, &bytes));
    out.push_str(&row("cold start (first reply)", c.cold_start_ms, &ms));
    for m in &c.methods {
        let row = if m.reply_matches_reference {
            &row as &dyn Fn(&str, Pair, &dyn Fn(f64) -> String) -> String
        } else {
            &unlike
        };
        let cpu = format!("{}: CPU above the floor", m.method);
        match m.cpu_ms_above_floor {
            Some(p) => out.push_str(&row(&cpu, p, &cpu_ms)),
            None => out.push_str(&format!("  {cpu:<34} not measured (needs Linux /proc)\n")),
        }
        out.push_str(&row(
            &format!("{}: requests/s, 1 client", m.method),
            m.requests_per_second_1,
            &count,
        ));
        out.push_str(&row(
            &format!("{}: requests/s, 8 clients", m.method),
            m.requests_per_second_8,
            &count,
        ));
    }
    let unlike: Vec<&MethodComparison> = c
        .methods
        .iter()
        .filter(|m| !m.reply_matches_reference)
        .collect();
    if !unlike.is_empty() {
        out.push('\n');
    }
    for m in unlike {
        out.push_str(&format!(
            "  ! {}: this Worker's reply is not the reference's, so its figures measure other work and have no ratio; `cargo lab check {}` shows what is missing\n",
            m.method, c.lab
        ));
    }
    let floors: Vec<String> = c
        .methods
        .iter()
        .filter_map(|m| {
            Some(format!(
                "{} {:.3} ms",
                m.method, m.floor_cpu_ms_per_request?
            ))
        })
        .collect();
    if !floors.is_empty() {
        out.push_str(&format!(
            "\n  floor, CPU per request of a constant answer (after the same KV read): {}\n",
            floors.join(", ")
        ));
    }
    out.push_str(&format!("\n{}\n", c.note));
    out
}

/// A figure without a useless fraction: bytes and requests are whole, milliseconds keep three
/// decimals.
fn trim(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings() -> Readings {
        serde_json::from_str(
            r#"{"workerd":"1.20260426.1","miniflare":"4.20260426.0",
            "floor_cpu_ms_per_request":{"tools/list":0.3,"get_value":0.5},
            "servers":{
              "rust":{"cold_start_ms":400,"methods":{
                "tools/list":{"cpu_ms_per_request":0.5,"requests_per_second":{"1":600,"8":900},"reply":"[\"a\",\"b\"]"},
                "get_value":{"cpu_ms_per_request":0.7,"requests_per_second":{"1":500,"8":800},"reply":"[]"}}},
              "ts":{"cold_start_ms":500,"methods":{
                "tools/list":{"cpu_ms_per_request":0.8,"requests_per_second":{"1":400,"8":600},"reply":"[\"a\",\"b\"]"},
                "get_value":{"cpu_ms_per_request":1.1,"requests_per_second":{"1":300,"8":500},"reply":"[[\"found\",false]]"}}}}}"#,
        )
        .unwrap()
    }

    fn size(raw: u64, gzip: u64) -> Sizes {
        Sizes {
            raw,
            gzip,
            brotli: 0,
        }
    }

    /// The fixed readings, with a 200-byte module (100 gzip) against an 800-byte bundle (200).
    fn sample() -> Comparison {
        compare(
            "lab-4",
            "solutions/x",
            size(200, 100),
            size(800, 200),
            &readings(),
        )
        .unwrap()
    }

    #[test]
    fn cpu_is_compared_above_the_floor_and_ratios_are_rust_over_typescript() {
        let c = sample();
        assert_eq!(c.size_raw, Pair::new(200.0, 800.0));
        assert_eq!(c.size_raw.ratio, 0.25);
        assert_eq!(c.size_gzip.ratio, 0.5);
        assert_eq!(c.cold_start_ms.ratio, 0.8);
        let list = &c.methods[0];
        assert_eq!(list.method, "tools/list");
        // (0.5 − 0.3) ÷ (0.8 − 0.3)
        assert_eq!(list.cpu_ms_above_floor, Some(Pair::new(0.2, 0.5)));
        assert_eq!(list.cpu_ms_above_floor.unwrap().ratio, 0.4);
        assert_eq!(list.requests_per_second_8.ratio, 1.5);
        // Each method above its own floor: get_value's includes the KV read.
        // (0.7 − 0.5) ÷ (1.1 − 0.5)
        let get = &c.methods[1];
        assert_eq!(get.floor_cpu_ms_per_request, Some(0.5));
        assert_eq!(get.cpu_ms_above_floor, Some(Pair::new(0.2, 0.6)));
        assert_eq!(get.cpu_ms_above_floor.unwrap().ratio, 0.333);
    }

    #[test]
    fn without_proc_there_is_no_cpu_figure_and_the_rest_stands() {
        let mut r = readings();
        r.floor_cpu_ms_per_request
            .values_mut()
            .for_each(|floor| *floor = None);
        let c = compare("lab-4", "labs/x", size(1, 1), size(2, 2), &r).unwrap();
        assert!(c.methods.iter().all(|m| m.cpu_ms_above_floor.is_none()));
        assert!(human(&c).contains("not measured (needs Linux /proc)"));
        assert_eq!(c.methods[0].requests_per_second_1.ratio, 1.5);
    }

    #[test]
    fn a_reply_unlike_the_references_is_flagged() {
        let c = sample();
        assert!(c.methods[0].reply_matches_reference);
        assert!(!c.methods[1].reply_matches_reference);
        let table = human(&c);
        assert!(
            table.contains("! get_value: this Worker's reply is not the reference's"),
            "{table}"
        );
        assert!(!table.contains("! tools/list"), "{table}");
        let ratio_of = |row: &str| {
            let line = table.lines().find(|l| l.contains(row)).unwrap();
            line.split_whitespace().last().unwrap().to_owned()
        };
        assert_eq!(ratio_of("get_value: CPU above the floor"), "—", "{table}");
        assert_eq!(
            ratio_of("tools/list: CPU above the floor"),
            "0.40",
            "{table}"
        );
    }

    #[test]
    fn an_unreadable_reply_matches_nothing() {
        let mut r = readings();
        for server in r.servers.values_mut() {
            server.methods.get_mut("tools/list").unwrap().reply = None;
        }
        let c = compare("lab-4", "labs/x", size(1, 1), size(2, 2), &r).unwrap();
        assert!(!c.methods[0].reply_matches_reference);
    }

    #[test]
    fn missing_readings_are_an_error_not_a_zero() {
        let mut r = readings();
        r.servers.remove("ts");
        assert!(compare("lab-4", "labs/x", size(1, 1), size(2, 2), &r).is_err());
    }

    #[test]
    fn the_table_names_every_figure_and_says_how_to_read_it() {
        let c = sample();
        let table = human(&c);
        for needle in [
            "upload (module + JS / bundle), raw",
            "cold start",
            "tools/list: CPU above the floor",
            "get_value: requests/s, 8 clients",
            "tools/list 0.300 ms, get_value 0.500 ms",
            "Read the ratios",
            "0.25",
        ] {
            assert!(table.contains(needle), "{needle}:\n{table}");
        }
    }
}
