//! Size checks: the deployed module against the course's baseline, its behaviour against
//! the course's corpus, and its start-up time (reported, not graded).

use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{Context, Outcome};
use crate::mcp_client::Raw;
use crate::report::{Budget, Measure};
use crate::wasm_size;

/// Raw bytes of the deployed `.wasm` against the baseline in the lab manifest.
pub fn raw_bytes(ctx: &mut Context) -> Outcome {
    // Long on purpose: measure, score against the budget, and a hint built from the module's
    // breakdown.
    let Some(budget) = ctx.lab.size.clone() else {
        return Outcome::fail(
            "the lab manifest has no [size] budget",
            "Report this to the course maintainers.",
        );
    };
    let sizes = match wasm_size::sizes(&ctx.artefact.wasm) {
        Ok(s) => s,
        Err(e) => {
            return Outcome::fail(
                format!("cannot measure the module: {e:#}"),
                "Report this to the course maintainers.",
            )
        }
    };
    let ratio = sizes.raw as f64 / budget.baseline_bytes as f64;
    let credit =
        ((budget.zero_ratio - ratio) / (budget.zero_ratio - budget.full_ratio)).clamp(0.0, 1.0);
    let full_at = (budget.baseline_bytes as f64 * budget.full_ratio).floor();
    let message = format!(
        "{} bytes, {:.1} % of the {}-byte starting point (gzip -9 {}, brotli {}); full points at ≤ {:.0} % ({} bytes), none from {:.0} %",
        sizes.raw,
        ratio * 100.0,
        budget.baseline_bytes,
        sizes.gzip,
        sizes.brotli,
        budget.full_ratio * 100.0,
        full_at,
        budget.zero_ratio * 100.0
    );
    let hint = match wasm_size::breakdown(&ctx.artefact.bound) {
        Ok(b) if b.named => {
            let tips: Vec<String> = b
                .crates
                .iter()
                .filter_map(|(owner, bytes)| wasm_size::hint_for(owner).map(|(h, _)| format!("{owner} ({bytes} bytes): {h}")))
                .take(3)
                .collect();
            format!(
                "Start with the release profile (opt-level \"z\", lto, codegen-units = 1, panic = \"abort\") and wasm-opt -Oz. Heaviest fixable crates: {}. `cargo lab size lab-3` shows the whole breakdown.",
                if tips.is_empty() { "none recognised".to_owned() } else { tips.join("; ") }
            )
        }
        _ => "Start with the release profile (opt-level \"z\", lto, codegen-units = 1, panic = \"abort\", and strip = \"debuginfo\" rather than true: true removes the function names, so nothing, `cargo lab size lab-3` included, can tell you which crates weigh most) and wasm-opt -Oz.".into(),
    };
    Outcome {
        credit,
        message,
        hint: Some(hint),
        measured: Some(Measure {
            value: sizes.raw as f64,
            unit: "bytes".into(),
        }),
        budget: Some(Budget {
            min: None,
            max: Some(full_at),
            unit: "bytes".into(),
        }),
        ..Outcome::default()
    }
}

/// One request of the behaviour corpus and the reply the starting point gives.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct CorpusEntry {
    pub name: String,
    /// Another path than the MCP endpoint (`/not-mcp`), for the routing replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The raw request body.
    pub body: String,
    pub expected: Expected,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct Expected {
    pub status: u16,
    /// The reply body as JSON (`null` for an empty body).
    pub json: Value,
}

/// The corpus file named by the `size.behaviour` (lab 3) or `protocol.behaviour` (lab 2)
/// entry of the manifest.
pub fn corpus_path(lab: &crate::course::Lab) -> std::path::PathBuf {
    let file = lab
        .checks
        .iter()
        .find_map(|c| c.corpus.as_deref())
        .unwrap_or("corpus.json");
    lab.manifest_dir.join(file)
}

pub fn load_corpus(lab: &crate::course::Lab) -> anyhow::Result<Vec<CorpusEntry>> {
    let path = corpus_path(lab);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// Sends one corpus request; returns the status and the body as JSON (null when empty,
/// a string when not JSON).
pub fn replay(
    client: &crate::mcp_client::Client,
    entry: &CorpusEntry,
) -> (Option<Expected>, crate::mcp_client::Exchange) {
    let mut raw = Raw::post(entry.body.clone());
    raw.path = entry.path.clone();
    for (k, v) in &entry.headers {
        raw = raw.header(k, v);
    }
    let exchange = client.send(raw);
    let got = exchange.reply().map(|r| Expected {
        status: r.status,
        json: match &r.json {
            Some(v) => v.clone(),
            None if r.body.is_empty() => Value::Null,
            None => Value::String(r.body.clone()),
        },
    });
    (got, exchange)
}

/// Every reply of the corpus unchanged (JSON compared as data, key order aside).
pub fn behaviour(ctx: &mut Context) -> Outcome {
    let corpus = match load_corpus(ctx.lab) {
        Ok(c) => c,
        Err(e) => return Outcome::fail(format!("{e:#}"), "Report this to the course maintainers."),
    };
    let mut tally = super::mcp::Tally::default();
    for entry in &corpus {
        let (got, exchange) = replay(ctx.client, entry);
        let verdict = match got {
            None => Err(exchange.summary()),
            Some(got) if got == entry.expected => Ok(()),
            Some(got) if got.status != entry.expected.status => Err(format!(
                "HTTP {} instead of {}",
                got.status, entry.expected.status
            )),
            Some(got) => Err(format!(
                "reply differs: {}",
                crate::mcp_client::truncate(&got.json.to_string(), 160)
            )),
        };
        let expected = format!(
            "HTTP {} {}",
            entry.expected.status,
            crate::mcp_client::truncate(&entry.expected.json.to_string(), 400)
        );
        tally.case(&entry.name, &exchange, &expected, verdict);
    }
    tally.outcome(
        format!("all {} corpus replies are unchanged", corpus.len()),
        "Change how the server works, not what it says: compare your reply with the expected one shown above.",
    )
}

/// Start-up and first reply time, reported: two shared cores cannot grade it fairly.
pub fn startup(ctx: &mut Context) -> Outcome {
    let ready = ctx.server.ready_in();
    let started = Instant::now();
    let exchange = ctx.client.post(
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "ping", "params": {} }),
        &[("MCP-Protocol-Version", "2025-11-25")],
    );
    let first = started.elapsed();
    let total = ready + first;
    let mut outcome = Outcome::pass(format!(
        "workerd ready in {} ms (module compiled and instantiated), first reply {} ms later: {} ms ({})",
        ready.as_millis(),
        first.as_millis(),
        total.as_millis(),
        exchange.summary()
    ));
    outcome.measured = Some(Measure {
        value: total.as_millis() as f64,
        unit: "ms".into(),
    });
    outcome
}
