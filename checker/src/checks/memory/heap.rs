//! Live heap bytes across `memory.growth`'s run: bytes allocated and not freed, as the course
//! probe's counting allocator reports them after every request (`x-course-heap-live`). Pages
//! show a leak only once it outgrows the free blocks the allocator already holds — a thousand
//! requests that keep 64 bytes each never do — while this count shows it from the first one.

use crate::mcp_client::Exchange;
use crate::pipeline::HeapMeter;
use crate::report::Evidence;

/// The live-heap readings of one growth run, taken as the requests go.
pub struct Run {
    /// The warm-up's length: the reading after request `warmup` is the baseline.
    warmup: usize,
    /// Bytes the run may end above the baseline.
    budget: u64,
    baseline: Option<u64>,
    last: Option<u64>,
    /// Requests sent after the warm-up.
    requests: usize,
    /// Replies that carried no reading.
    missing: usize,
    /// The first request after the warm-up that left more live than the budget allows.
    first_over: Option<Box<Kept>>,
}

/// A request after which more was live than the budget allows: the miss's evidence.
pub struct Kept {
    /// Its number in the run, 1-based.
    request: usize,
    /// Live heap bytes after it.
    live: u64,
    exchange: Exchange,
}

/// What the run showed about live heap bytes.
pub enum Heap {
    /// Read after every request.
    Measured {
        baseline: u64,
        last: u64,
        requests: usize,
        budget: u64,
        first_over: Option<Box<Kept>>,
    },
    /// Not measurable in this build, and why.
    Unmeasured(String),
}

impl Run {
    pub fn new(warmup: usize, budget: u64) -> Run {
        Run {
            warmup,
            budget,
            baseline: None,
            last: None,
            requests: 0,
            missing: 0,
            first_over: None,
        }
    }

    /// The reading after request `n` (1-based).
    pub fn record(&mut self, n: usize, exchange: &Exchange, live: Option<u64>) {
        let Some(live) = live else {
            self.missing += 1;
            return;
        };
        if n == self.warmup {
            self.baseline = Some(live);
        }
        if n > self.warmup {
            self.requests = n - self.warmup;
            self.last = Some(live);
            if let (Some(base), None) = (self.baseline, &self.first_over) {
                if live > base + self.budget {
                    self.first_over = Some(Box::new(Kept {
                        request: n,
                        live,
                        exchange: exchange.clone(),
                    }));
                }
            }
        }
    }

    /// The verdict's material; `meter` says why readings are missing, when they are.
    pub fn finish(self, meter: HeapMeter) -> Heap {
        if let Some(why) = meter.unavailable() {
            return Heap::Unmeasured(why.into());
        }
        match (self.missing, self.baseline, self.last) {
            (0, Some(baseline), Some(last)) => Heap::Measured {
                baseline,
                last,
                requests: self.requests,
                budget: self.budget,
                first_over: self.first_over,
            },
            // Built in, yet not in the module: the linker dropped the probe.
            (missing, _, _) => Heap::Unmeasured(format!(
                "{missing} replies carried no live-heap reading (is `course_probe::install();` still at the top of the fetch handler?)"
            )),
        }
    }
}

impl Heap {
    /// Bytes the run ended above the baseline (negative when below).
    fn grown(&self) -> Option<i64> {
        match self {
            Heap::Measured { baseline, last, .. } => Some(*last as i64 - *baseline as i64),
            Heap::Unmeasured(_) => None,
        }
    }

    /// Whether live bytes stayed within the budget; an unmeasured heap leaves the verdict
    /// to pages.
    pub fn passes(&self) -> bool {
        match self {
            Heap::Measured { budget, .. } => self.grown().is_some_and(|g| g <= *budget as i64),
            Heap::Unmeasured(_) => true,
        }
    }

    /// The sentence the report shows, pass or fail.
    pub fn describe(&self) -> String {
        match self {
            Heap::Measured {
                baseline,
                last,
                requests,
                budget,
                ..
            } => {
                let grown = self.grown().unwrap_or(0);
                let per = per_request(grown, *requests);
                if self.passes() {
                    format!(
                        "live heap {baseline} → {last} bytes after the warm-up: {per} bytes per request ({grown:+} in all, budget +{budget})"
                    )
                } else {
                    format!(
                        "live heap grew by {per} bytes per request over {requests} requests ({baseline} → {last} bytes after the warm-up, budget +{budget} in all): each request leaves memory allocated"
                    )
                }
            }
            Heap::Unmeasured(why) => {
                format!("live heap not measured: {why}; pages alone are graded")
            }
        }
    }

    /// The first request that left more live than the budget allows, as evidence, when
    /// live bytes are what failed.
    pub fn evidence(&self) -> Option<Evidence> {
        let Heap::Measured {
            baseline,
            first_over: Some(kept),
            ..
        } = self
        else {
            return None;
        };
        let Kept {
            request,
            live,
            exchange,
        } = kept.as_ref();
        (!self.passes()).then(|| Evidence {
            response: format!(
                "{}; live heap after it (request {request}): {live} bytes",
                exchange.summary()
            ),
            ..exchange.evidence_expecting(format!(
                "live heap back at the baseline after every request: {baseline} bytes"
            ))
        })
    }
}

/// Growth per request: whole bytes when it divides evenly (a leak of 64 bytes per request
/// reads "64") or is large, else to a tenth (a one-off spread over the run reads "0.1").
fn per_request(grown: i64, requests: usize) -> String {
    let requests = requests.max(1) as i64;
    let per = grown as f64 / requests as f64;
    if grown % requests == 0 || per.abs() >= 10.0 {
        format!("{per:.0}")
    } else {
        format!("{per:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::{Heap, Run};
    use crate::mcp_client::{Exchange, Reply};
    use crate::pipeline::HeapMeter;

    fn exchange() -> Exchange {
        Exchange {
            method: "POST".into(),
            path: "/mcp".into(),
            headers: Vec::new(),
            request: "{}".into(),
            request_bytes: 2,
            body_shell: None,
            outcome: Ok(Reply::new(200, Vec::new(), "{}".into())),
        }
    }

    fn run(readings: impl IntoIterator<Item = Option<u64>>, warmup: usize, budget: u64) -> Heap {
        let mut run = Run::new(warmup, budget);
        for (i, live) in readings.into_iter().enumerate() {
            run.record(i + 1, &exchange(), live);
        }
        run.finish(HeapMeter::BuiltIn)
    }

    #[test]
    fn a_leak_of_64_bytes_per_request_fails_and_names_the_rate() {
        // A noisy warm-up, then 64 bytes kept by each of 1000 requests.
        let warm = [5_000, 9_000, 7_000].map(Some);
        let leak = (1..=1000).map(|i| Some(7_000 + 64 * i));
        let heap = run(warm.into_iter().chain(leak), 3, 0);
        assert!(!heap.passes());
        let text = heap.describe();
        assert!(
            text.contains("live heap grew by 64 bytes per request over 1000 requests"),
            "{text}"
        );
        let evidence = heap.evidence().expect("evidence for a miss");
        assert!(
            evidence.response.contains("(request 4): 7064 bytes"),
            "{evidence:?}"
        );
        assert!(evidence.expected.unwrap().contains("7000 bytes"));
    }

    #[test]
    fn a_flat_heap_passes_and_a_one_off_within_the_budget_too() {
        let flat = run((0..30).map(|_| Some(4_096)), 10, 0);
        assert!(flat.passes(), "{}", flat.describe());
        assert!(
            flat.describe()
                .contains("4096 → 4096 bytes after the warm-up: 0 bytes per request (+0 in all"),
            "{}",
            flat.describe()
        );
        assert!(flat.evidence().is_none());
        let once = run(
            (0..30).map(|i| Some(if i < 20 { 4_096 } else { 4_128 })),
            10,
            64,
        );
        assert!(once.passes(), "{}", once.describe());
        assert!(!run(
            (0..30).map(|i| Some(if i < 20 { 4_096 } else { 4_128 })),
            10,
            0
        )
        .passes());
    }

    #[test]
    fn growth_per_request_reads_as_whole_bytes_unless_small_and_uneven() {
        assert_eq!(super::per_request(64_000, 1000), "64");
        assert_eq!(super::per_request(111_554_478, 180), "619747");
        assert_eq!(super::per_request(100, 1000), "0.1");
        assert_eq!(super::per_request(-2_000, 1000), "-2");
    }

    #[test]
    fn without_readings_the_heap_is_not_measured_and_leaves_the_verdict_to_pages() {
        let own = Run::new(2, 0).finish(HeapMeter::OwnAllocator);
        assert!(own.passes());
        assert!(
            own.describe().contains("#[global_allocator]"),
            "{}",
            own.describe()
        );
        let dropped = run((0..5).map(|_| None), 2, 0);
        assert!(dropped.passes());
        assert!(
            dropped.describe().contains("course_probe::install()"),
            "{}",
            dropped.describe()
        );
    }
}
