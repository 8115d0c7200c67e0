//! Memory checks: linear memory read from the running instance — by the checker's entry
//! module on the JavaScript side, and inside wasm through the course probe — never from a
//! number the lab's own code reports. Local workerd enforces no limit; these checks do.

mod heap;

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{Context, Outcome};
use crate::course::MemoryConfig;
use crate::mcp_client::{Exchange, Raw};
use crate::payload;
use crate::report::{Budget, Evidence, Measure};

const PAGE: u64 = 64 * 1024;
const MIB: f64 = 1024.0 * 1024.0;

fn config(ctx: &Context) -> Result<MemoryConfig, Box<Outcome>> {
    ctx.lab.memory.clone().ok_or_else(|| {
        Box::new(Outcome::fail(
            "the lab manifest has no [memory] section",
            "Report this to the course maintainers.",
        ))
    })
}

/// Linear memory after an exchange: bytes from the JavaScript side, pages from inside.
/// The isolate limit every Worker lab is held to, whether or not it is graded on memory.
pub const ISOLATE_LIMIT: u64 = 128 * 1024 * 1024;

/// The first reply of the run after which linear memory was past `limit`, with that reading:
/// a safety net for labs not graded on memory (a request that allocates a gigabyte works in
/// local workerd, which enforces no limit, and deployed may have its requests cancelled).
pub fn first_over(log: &[Exchange], limit: u64) -> Option<(usize, &Exchange, u64)> {
    log.iter().enumerate().find_map(|(i, e)| {
        reading(e)
            .filter(|r| r.bytes > limit)
            .map(|r| (i + 1, e, r.bytes))
    })
}

/// What the checker's entry module read after a reply.
struct Reading {
    /// Linear memory, from the JavaScript side.
    bytes: u64,
    /// Pages of linear memory from inside, through the probe (when the lab links it).
    pages: Option<u64>,
    /// Heap bytes allocated and not freed, from the probe's allocator (when built in).
    heap_live: Option<u64>,
}

fn reading(exchange: &Exchange) -> Option<Reading> {
    let reply = exchange.reply()?;
    let number = |name: &str| reply.header(name).and_then(|v| v.parse().ok());
    Some(Reading {
        bytes: number("x-course-wasm-memory")?,
        pages: number("x-course-wasm-pages"),
        heap_live: number("x-course-heap-live"),
    })
}

/// A fresh instance, as after a deploy; returns its linear memory in bytes.
fn reset(ctx: &Context) -> Result<u64, String> {
    let raw = Raw {
        method: "POST",
        path: Some("/__course/reset".into()),
        body: Vec::new(),
        default_headers: false,
        ..Raw::post("")
    };
    let exchange = ctx.client.send(raw);
    exchange
        .json()
        .and_then(|b| b["bytes"].as_u64())
        .ok_or_else(|| {
            format!(
                "the checker's entry module did not reset the instance: {}",
                exchange.summary()
            )
        })
}

fn send(ctx: &Context, body: &str) -> Exchange {
    ctx.client
        .send(Raw::post(body.to_owned()).header("MCP-Protocol-Version", "2025-11-25"))
}

/// Sends a generated payload; the report reproduces it with the command that prints it.
fn send_payload(ctx: &Context, seed: u64, bytes: usize, id: u64) -> (payload::Payload, Exchange) {
    let payload = payload::generate(seed, bytes, id);
    let exchange = send_generated(ctx, &payload.body, seed, bytes, id);
    (payload, exchange)
}

fn send_generated(ctx: &Context, body: &str, seed: u64, bytes: usize, id: u64) -> Exchange {
    let mut raw = Raw::post(body.to_owned()).header("MCP-Protocol-Version", "2025-11-25");
    raw.body_shell = Some(format!(
        "cargo lab payload --seed {seed} --bytes {bytes} --id {id}"
    ));
    ctx.client.send(raw)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

/// The summary a reply carries: its structuredContent, or its text parsed as JSON.
/// Evidence for a memory miss. What matters is the request and how to replay it; the reply
/// (whose answer `memory.results` judges) is cut to a line so the report stays readable.
fn memory_evidence(exchange: &Exchange, expected: impl Into<String>) -> Evidence {
    Evidence {
        response: exchange.summary(),
        ..exchange.evidence_expecting(expected)
    }
}

fn summary_of(exchange: &Exchange) -> Option<Value> {
    let result = exchange.json()?.get("result")?;
    result.get("structuredContent").cloned().or_else(|| {
        result["content"][0]["text"]
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
    })
}

/// Events that must be refused, each naming the first bad one by its position (the lab
/// README's contract): the case's name, the `events` array, the position its text must name.
const BAD_EVENTS: [(&str, &str, &str); 2] = [
    (
        "events[2] lacks latency_ms",
        r#"[{"ts":1,"key":"a","latency_ms":1,"ok":true},{"ts":2,"key":"b","latency_ms":2,"ok":true},{"ts":3,"key":"c","ok":true}]"#,
        "events[2]",
    ),
    (
        "events[1].latency_ms is a string",
        r#"[{"ts":1,"key":"a","latency_ms":1,"ok":true},{"ts":2,"key":"b","latency_ms":"2","ok":true},{"ts":3,"key":"c","latency_ms":3,"ok":true}]"#,
        "events[1]",
    ),
];

/// Answers are right for payloads small and large.
pub fn results(ctx: &mut Context) -> Outcome {
    let mut tally = super::mcp::Tally::default();
    for (seed, size) in [(11, 2_000), (12, 64 * 1024), (13, 1024 * 1024)] {
        let (payload, exchange) = send_payload(ctx, seed, size, seed);
        let verdict = match summary_of(&exchange) {
            Some(got) if got == payload.expected => Ok(()),
            Some(got) => Err(format!(
                "got {}",
                crate::mcp_client::truncate(&got.to_string(), 200)
            )),
            None => Err(exchange.summary()),
        };
        tally.case(
            &format!("{} events ({} bytes)", payload.events, payload.body.len()),
            &exchange,
            &payload.expected.to_string(),
            verdict,
        );
    }
    let empty = r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"summarize_events","arguments":{"events":[]}}}"#;
    let exchange = send(ctx, empty);
    let refused = exchange
        .json()
        .is_some_and(|b| b.pointer("/result/isError") == Some(&json!(true)));
    tally.case(
        "no events",
        &exchange,
        "a tool result with isError: true",
        if refused {
            Ok(())
        } else {
            Err(exchange.summary())
        },
    );
    for (id, (name, events, names)) in (6u64..).zip(BAD_EVENTS) {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"summarize_events","arguments":{{"events":{events}}}}}}}"#
        );
        let exchange = send(ctx, &body);
        let result = exchange
            .json()
            .map(|b| b["result"].clone())
            .unwrap_or_default();
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        let verdict = if result["isError"] != json!(true) {
            Err(exchange.summary())
        } else if !text.contains(names) {
            Err(format!("the text {text:?} does not name {names}"))
        } else {
            Ok(())
        };
        tally.case(
            name,
            &exchange,
            &format!("a tool result with isError: true whose text names {names}"),
            verdict,
        );
    }
    tally.outcome(
        "counts, percentiles, top keys and time span match for 2 KB, 64 KB and 1 MB payloads; an empty events and two bad events are refused, each bad one named by position",
        "Follow the output contract in the lab README exactly: nearest-rank percentiles, mean rounded down, top 5 keys by count then key.",
    )
}

/// No growth of linear memory, nor of live heap bytes, across hundreds of requests after a
/// warm-up.
pub fn growth(ctx: &mut Context) -> Outcome {
    // Long on purpose: the lab README's protocol in order: fresh instance, warm-up, baseline,
    // the growth run, the verdict; the steps share the readings.
    let cfg = match config(ctx) {
        Ok(c) => c,
        Err(o) => return *o,
    };
    if let Err(e) = reset(ctx) {
        return Outcome::fail(e, "Report this to the course maintainers.");
    }
    // One payload per size; the same bodies again and again, so any growth is retention.
    let bodies: Vec<(u64, usize, String)> = cfg
        .mixed_sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            (
                100 + i as u64,
                size,
                payload::generate(100 + i as u64, size, 1).body,
            )
        })
        .collect();
    let mut series: Vec<u64> = Vec::new();
    let mut inside_disagrees = 0usize;
    let mut inside_seen = false;
    let mut baseline = None;
    let mut first_growth: Option<Exchange> = None;
    let mut killed: Option<(usize, Exchange)> = None;
    let mut heap = heap::Run::new(cfg.warmup_requests, cfg.growth_budget_heap_bytes);
    let total = cfg.warmup_requests + cfg.growth_requests;
    for n in 0..total {
        let (seed, size, body) = &bodies[n % bodies.len()];
        let exchange = send_generated(ctx, body, *seed, *size, 1);
        let Some(Reading {
            bytes,
            pages,
            heap_live,
        }) = reading(&exchange)
        else {
            return Outcome::fail(
                format!(
                    "request {} got no memory reading ({})",
                    n + 1,
                    exchange.summary()
                ),
                "The Worker must answer every request; a trap or a missing reply shows here.",
            )
            .with_evidence(Some(exchange.evidence()));
        };
        if let Some(p) = pages {
            inside_seen = true;
            if p * PAGE != bytes {
                inside_disagrees += 1;
            }
        }
        heap.record(n + 1, &exchange, heap_live);
        if n + 1 == cfg.warmup_requests {
            baseline = Some(bytes);
        }
        if let (Some(base), None) = (baseline, &first_growth) {
            if bytes > base && n + 1 > cfg.warmup_requests {
                first_growth = Some(exchange.clone());
            }
        }
        series.push(bytes);
        if bytes > cfg.limit_bytes {
            killed = Some((n + 1, exchange));
            break;
        }
    }
    let baseline = baseline.unwrap_or(series[0]);
    let last = *series.last().unwrap_or(&baseline);
    let grown_pages = last.saturating_sub(baseline) / PAGE;
    let chart = write_chart(
        ctx,
        &series,
        cfg.warmup_requests,
        baseline + cfg.growth_budget_pages * PAGE,
        cfg.limit_bytes,
    );
    let inside = if !inside_seen {
        "the inside reading is unavailable (course_probe::install() is not called)".to_owned()
    } else if inside_disagrees == 0 {
        "inside and JavaScript readings agree".to_owned()
    } else {
        format!("inside and JavaScript readings disagreed {inside_disagrees} times")
    };
    let sent = series.len().saturating_sub(cfg.warmup_requests);
    let heap = heap.finish(ctx.artefact.heap_meter);
    let pages_pass =
        killed.is_none() && grown_pages <= cfg.growth_budget_pages && inside_disagrees == 0;
    let pages = format!(
        "baseline {} after {} warm-up requests; after {sent} more: {} (+{grown_pages} pages, budget +{}); {inside}",
        mib(baseline),
        cfg.warmup_requests,
        mib(last),
        cfg.growth_budget_pages
    );
    // The verdict that failed comes first; both numbers are always shown.
    let mut message = if heap.passes() {
        format!("{pages}; {}; chart: {chart}", heap.describe())
    } else {
        format!("{}. {pages}; chart: {chart}", heap.describe())
    };
    let pass = pages_pass && heap.passes();
    let mut evidence = first_growth
        .filter(|_| !pages_pass)
        .map(|e| memory_evidence(&e, "no new pages of linear memory after the warm-up"))
        .or_else(|| heap.evidence());
    if let Some((n, exchange)) = killed {
        message = format!(
            "request {n} took linear memory to {} — past the {} an isolate may use: deployed, the runtime may cancel this request and others the isolate is serving (error 1102). {message}",
            mib(reading(&exchange).map_or(0, |r| r.bytes)),
            mib(cfg.limit_bytes)
        );
        evidence = Some(memory_evidence(
            &exchange,
            format!("linear memory below {}", mib(cfg.limit_bytes)),
        ));
    }
    Outcome {
        credit: if pass { 1.0 } else { 0.0 },
        message,
        hint: Some("Memory that survives a request grows with every request, a page at a time or a few bytes at a time: look for statics, thread_locals, caches without a bound, and what is leaked (Box::leak, mem::forget). dlmalloc reuses freed blocks but never returns pages.".into()),
        measured: Some(Measure { value: grown_pages as f64, unit: "pages".into() }),
        budget: Some(Budget { min: None, max: Some(cfg.growth_budget_pages as f64), unit: "pages".into() }),
        evidence,
        ..Outcome::default()
    }
}

/// One large payload: the high-water mark above a fresh instance stays near the payload.
pub fn peak(ctx: &mut Context) -> Outcome {
    // Long on purpose: one measurement in order: fresh instance, reading, the large payload,
    // reading, the budget.
    let cfg = match config(ctx) {
        Ok(c) => c,
        Err(o) => return *o,
    };
    if let Err(e) = reset(ctx) {
        return Outcome::fail(e, "Report this to the course maintainers.");
    }
    let (_, before) = send_payload(ctx, 200, 1024, 1);
    let Some(Reading { bytes: base, .. }) = reading(&before) else {
        return Outcome::fail(
            format!("no memory reading: {}", before.summary()),
            "The Worker must answer every request.",
        )
        .with_evidence(Some(before.evidence()));
    };
    let started = std::time::Instant::now();
    let (big, exchange) = send_payload(ctx, 201, cfg.peak_payload_bytes, 2);
    let took = started.elapsed();
    let Some(Reading { bytes: after, .. }) = reading(&exchange) else {
        return Outcome::fail(
            format!(
                "the {} payload got no answer with a memory reading: {}",
                mib(big.body.len() as u64),
                exchange.summary()
            ),
            "A trap (out of memory, panic) ends the request: see the Worker's output above.",
        )
        .with_evidence(Some(exchange.evidence()));
    };
    let peak = after.saturating_sub(base);
    let budget = (cfg.peak_factor * big.body.len() as f64) as u64 + cfg.peak_slack_bytes;
    let correct = summary_of(&exchange).is_some_and(|s| s == big.expected);
    let message = format!(
        "{} payload ({} events, {} ms): linear memory {} → {}, a peak of {} ({:.2}× the payload); budget {} ({}× payload + {}){}",
        mib(big.body.len() as u64),
        big.events,
        took.as_millis(),
        mib(base),
        mib(after),
        mib(peak),
        peak as f64 / big.body.len() as f64,
        mib(budget),
        cfg.peak_factor,
        mib(cfg.peak_slack_bytes),
        if correct { "" } else { "; the answer was also wrong" }
    );
    Outcome {
        credit: if peak <= budget && correct { 1.0 } else { 0.0 },
        message,
        hint: Some("Parse the body once, into types, and fold events as they stream past (serde's DeserializeSeed/visitor) instead of building a serde_json::Value or a Vec of events; do not copy the body.".into()),
        measured: Some(Measure { value: peak as f64, unit: "bytes".into() }),
        budget: Some(Budget { min: None, max: Some(budget as f64), unit: "bytes".into() }),
        // A wrong answer needs the whole reply; a right one only the request.
        evidence: (peak > budget || !correct).then(|| {
            let expected = format!("a peak of at most {}", mib(budget));
            if correct {
                memory_evidence(&exchange, expected)
            } else {
                exchange.evidence_expecting(expected)
            }
        }),
        ..Outcome::default()
    }
}

/// No request of the run took linear memory past what an isolate may use.
pub fn limit(ctx: &mut Context) -> Outcome {
    let cfg = match config(ctx) {
        Ok(c) => c,
        Err(o) => return *o,
    };
    let log = ctx.client.log();
    let readings: Vec<(usize, u64)> = log
        .iter()
        .enumerate()
        .filter_map(|(i, e)| reading(e).map(|r| (i, r.bytes)))
        .collect();
    if readings.is_empty() {
        return Outcome::fail(
            "no memory readings were taken in this run",
            "Report this to the course maintainers.",
        );
    }
    let highest = readings.iter().map(|r| r.1).max().unwrap_or(0);
    let measured = Some(Measure {
        value: highest as f64,
        unit: "bytes".into(),
    });
    let budget = Some(Budget {
        min: None,
        max: Some(cfg.limit_bytes as f64),
        unit: "bytes".into(),
    });
    match readings.iter().find(|r| r.1 > cfg.limit_bytes) {
        None => Outcome {
            measured,
            budget,
            ..Outcome::pass(format!(
                "the highest reading of {} requests was {}, within the {} limit",
                readings.len(),
                mib(highest),
                mib(cfg.limit_bytes)
            ))
        },
        Some(&(i, bytes)) => Outcome {
            credit: 0.0,
            message: format!(
                "past the limit: after this request linear memory was {} (limit {} per isolate, JS heap included; deployed, the runtime may cancel requests, error 1102; local workerd does not enforce it)",
                mib(bytes),
                mib(cfg.limit_bytes)
            ),
            hint: Some("Find what this request allocates at once (a Value tree of the whole body, copies of the body) and what earlier requests left behind.".into()),
            measured,
            budget,
            evidence: Some(memory_evidence(&log[i], format!("linear memory below {}", mib(cfg.limit_bytes)))),
            ..Outcome::default()
        },
    }
}

/// Writes the memory-over-requests chart; returns its path for the report.
fn write_chart(
    ctx: &Context,
    series: &[u64],
    warmup: usize,
    budget_line: u64,
    limit: u64,
) -> String {
    let name = format!(
        "{}{}-memory.svg",
        ctx.lab.id,
        if ctx.solution { "-solution" } else { "" }
    );
    let path = ctx.reports.join(name);
    let title = format!(
        "{} ({}) — linear memory after each request",
        ctx.lab.title,
        if ctx.solution {
            "reference solution"
        } else {
            "your lab"
        }
    );
    let svg = chart(series, warmup, budget_line, limit, &title);
    match std::fs::create_dir_all(ctx.reports).and_then(|()| std::fs::write(&path, svg)) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("not written ({e})"),
    }
}

/// The step between round axis labels (1, 2, 2.5 or 5 × a power of ten) that shows `max`
/// in at most `ticks` steps.
fn round_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= raw)
        .unwrap_or(10.0 * power)
}

/// A line chart of linear memory (MiB) over requests, with the warm-up, the growth budget
/// and the isolate limit marked. Hand-written SVG: one polyline and a few labels do not
/// justify a plotting library and its font stack.
pub fn chart(series: &[u64], warmup: usize, budget_line: u64, limit: u64, title: &str) -> String {
    // Long on purpose: one SVG drawn top to bottom (frame, ticks, series, labels); every piece
    // uses the scales computed first.
    let (w, h, left, right, top, bottom) = (720.0, 360.0, 64.0, 24.0, 40.0, 48.0);
    let highest = series.iter().copied().max().unwrap_or(0).max(budget_line);
    // Show the limit when the line comes within half of it; otherwise zoom in on the line.
    let wanted = (highest as f64 * 1.15)
        .max(if highest * 2 >= limit {
            limit as f64 * 1.05
        } else {
            0.0
        })
        .max(MIB)
        / MIB;
    let step = round_step(wanted, 4.0);
    let y_max = (wanted / step).ceil() * step;
    let n = series.len().max(2);
    let x = |i: usize| left + (w - left - right) * i as f64 / (n - 1) as f64;
    let y = |bytes: u64| top + (h - top - bottom) * (1.0 - (bytes as f64 / MIB) / y_max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"##
    );
    let _ = write!(
        svg,
        r##"<rect width="{w}" height="{h}" fill="#fff"/><text x="{left}" y="24" font-size="14">{}</text>"##,
        xml(title)
    );
    let mut v = 0.0;
    while v <= y_max + step / 1000.0 {
        let yy = top + (h - top - bottom) * (1.0 - v / y_max);
        let label = if step.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        };
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{label} MiB</text>"##,
            w - right,
            left - 6.0,
            yy + 4.0
        );
        v += step;
    }
    // Request numbers, 1-based as in the report: the first, the last of the warm-up, the last.
    let mut marks = vec![1, series.len().max(1)];
    if warmup > 0 && warmup < series.len() {
        marks.insert(1, warmup);
        // A short warm-up in a long run: its number would print over the first one.
        if x(warmup - 1) - x(0) < 30.0 {
            marks.remove(0);
        }
    }
    for (k, &req) in marks.iter().enumerate() {
        let anchor = match k {
            0 if req == 1 => "start",
            _ if k == marks.len() - 1 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="{anchor}" fill="#666">{req}</text>"##,
            x(req - 1),
            h - bottom + 16.0
        );
    }
    if warmup > 0 && warmup < series.len() {
        let xx = x(warmup - 1);
        let _ = write!(
            svg,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{top}" y2="{}" stroke="#999" stroke-dasharray="4 4"/><text x="{:.1}" y="{}" fill="#666">warm-up ends</text>"##,
            h - bottom,
            xx + 4.0,
            top + 12.0
        );
    }
    let by = y(budget_line);
    let _ = write!(
        svg,
        r##"<line x1="{left}" x2="{}" y1="{by:.1}" y2="{by:.1}" stroke="#2a2" stroke-dasharray="6 3"/><text x="{}" y="{:.1}" fill="#2a2" text-anchor="end">growth budget ({:.1} MiB)</text>"##,
        w - right,
        w - right,
        by - 6.0,
        budget_line as f64 / MIB
    );
    if (limit as f64 / MIB) <= y_max {
        let ly = y(limit);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{ly:.1}" y2="{ly:.1}" stroke="#c22"/><text x="{}" y="{:.1}" fill="#c22" text-anchor="end">isolate limit ({:.0} MiB)</text>"##,
            w - right,
            w - right,
            ly - 6.0,
            limit as f64 / MIB
        );
    }
    let points: Vec<String> = series
        .iter()
        .enumerate()
        .map(|(i, &b)| format!("{:.1},{:.1}", x(i), y(b)))
        .collect();
    let _ = write!(
        svg,
        r##"<polyline fill="none" stroke="#36c" stroke-width="2" points="{}"/>"##,
        points.join(" ")
    );
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{}" text-anchor="middle">request</text></svg>"##,
        (left + w - right) / 2.0,
        h - 10.0
    );
    svg.push('\n');
    svg
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chart_is_well_formed_svg_with_its_marks() {
        let series: Vec<u64> = (0..50).map(|i| (1 + i / 10) * 1024 * 1024).collect();
        let svg = super::chart(&series, 10, 2 * 1024 * 1024, 128 * 1024 * 1024, "a <title>");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("warm-up ends") && svg.contains("growth budget"));
        assert!(svg.contains("a &lt;title&gt;"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        // Request numbers on the x axis: the first, the end of the warm-up, the last.
        assert!(
            svg.contains(">1</text>") && svg.contains(">10</text>") && svg.contains(">50</text>")
        );
    }

    #[test]
    fn axis_labels_are_round_numbers() {
        assert_eq!(super::round_step(148.0, 4.0), 50.0);
        assert_eq!(super::round_step(3.0, 4.0), 1.0);
        assert_eq!(super::round_step(44.0, 4.0), 20.0);
        assert_eq!(super::round_step(1.0, 4.0), 0.25);
    }
}
