//! Size checks: the deployed module (byte for byte worker-build's) against the course's baseline, and its start-up time
//! (reported, not graded). The behaviour a smaller module must keep is `corpus.rs`.

use std::time::Instant;

use serde_json::json;

use super::{Context, Outcome};
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
    // worker-build keeps the function names (wasm-opt --debuginfo): they are part of what
    // is deployed and graded, and the student should see how much.
    let names = wasm_size::breakdown(&ctx.artefact.wasm)
        .ok()
        .and_then(|b| b.sections.get("custom:name").copied())
        .map(|n| format!(" (function names: {n} of them)"))
        .unwrap_or_default();
    let message = format!(
        "{} bytes as deployed{names}, {:.1} % of the {}-byte starting point (gzip -9 {}, brotli {}); full points at ≤ {:.0} % ({} bytes), none from {:.0} %",
        sizes.raw,
        ratio * 100.0,
        budget.baseline_bytes,
        sizes.gzip,
        sizes.brotli,
        budget.full_ratio * 100.0,
        full_at,
        budget.zero_ratio * 100.0
    );
    // Shown, not graded: what wrangler reports, for the student to compare.
    let message = match &ctx.artefact.upload {
        Some(upload) => format!(
            "{message}; whole upload, as `wrangler deploy` reports it: {:.2} KiB / gzip: {:.2} KiB",
            upload.total_kib, upload.gzip_kib
        ),
        None => message,
    };
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
        _ => "Start with the release profile (opt-level \"z\", lto, codegen-units = 1, panic = \"abort\", and strip = \"debuginfo\" rather than true while you measure: true removes the function names this hint needs to name the heaviest crates; `cargo lab size lab-3` builds a named copy to find them) and wasm-opt -Oz.".into(),
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
