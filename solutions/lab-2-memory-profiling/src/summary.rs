//! The arithmetic of `summarize_events`, fed one event at a time.
//!
//! Nothing here sees a list of events: [`Accumulator::add`] folds each event in as the parser
//! reaches it. What has to be kept is small next to the body: one `u32` per event (exact
//! percentiles need every latency) and one entry per distinct key, whose text stays in the
//! body (`Cow::Borrowed`) unless the JSON spelled it with escapes.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

/// How many keys `top_keys` lists.
pub const TOP_KEYS: usize = 5;

/// One valid event. `key` borrows from the request body when it can.
#[derive(Debug)]
pub struct Event<'a> {
    pub ts: u64,
    pub key: Cow<'a, str>,
    pub latency_ms: u32,
    pub ok: bool,
}

#[derive(Debug, Default)]
pub struct Accumulator<'a> {
    ok: u64,
    errors: u64,
    latencies: Vec<u32>,
    latency_sum: u64,
    first_ts: u64,
    last_ts: u64,
    keys: BTreeMap<Cow<'a, str>, u64>,
}

impl<'a> Accumulator<'a> {
    /// `capacity`: room for that many latencies, reserved once so the vector never has to grow
    /// (growing copies it into a block twice the size, and the old block's memory stays the
    /// high-water mark even after it is freed).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            latencies: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    pub fn add(&mut self, event: Event<'a>) {
        if self.latencies.is_empty() {
            self.first_ts = event.ts;
            self.last_ts = event.ts;
        } else {
            self.first_ts = self.first_ts.min(event.ts);
            self.last_ts = self.last_ts.max(event.ts);
        }
        if event.ok {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        self.latencies.push(event.latency_ms);
        self.latency_sum += u64::from(event.latency_ms);
        // Look up with a plain &str: a key seen before costs no allocation even when the
        // event's own copy was `Cow::Owned`.
        match self.keys.get_mut(event.key.as_ref()) {
            Some(count) => *count += 1,
            None => {
                self.keys.insert(event.key, 1);
            }
        }
    }

    /// The summary, or `None` when no event was added.
    pub fn finish(mut self) -> Option<Summary<'a>> {
        let count = self.latencies.len();
        if count == 0 {
            return None;
        }
        // In place: no second vector.
        self.latencies.sort_unstable();
        let sorted = &self.latencies;
        let latency_ms = Latency {
            min: sorted[0],
            p50: nearest_rank(sorted, 50),
            p90: nearest_rank(sorted, 90),
            p99: nearest_rank(sorted, 99),
            max: sorted[count - 1],
            mean: self.latency_sum / count as u64,
        };
        Some(Summary {
            count: count as u64,
            ok: self.ok,
            errors: self.errors,
            latency_ms,
            top_keys: top_keys(self.keys, TOP_KEYS),
            ts: TsRange {
                first: self.first_ts,
                last: self.last_ts,
            },
        })
    }
}

/// The nearest-rank percentile of sorted, non-empty values: the value at 1-based rank
/// ceil(n × q / 100).
pub fn nearest_rank(sorted: &[u32], q: u64) -> u32 {
    let n = sorted.len() as u64;
    let rank = (n * q).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

/// `true` when `a` ranks before `b`: higher count first, then the smaller key (byte order).
fn ranks_before(a: (&str, u64), b: (&str, u64)) -> bool {
    match a.1.cmp(&b.1) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => a.0.as_bytes() < b.0.as_bytes(),
    }
}

/// The `n` most frequent keys, best first, picked in one pass over the map: no list of every
/// key is built and sorted.
pub fn top_keys<'a>(keys: BTreeMap<Cow<'a, str>, u64>, n: usize) -> Vec<KeyCount<'a>> {
    let mut top: Vec<KeyCount<'a>> = Vec::with_capacity(n + 1);
    for (key, count) in keys {
        let at = top
            .iter()
            .position(|t| ranks_before((&key, count), (&t.key, t.count)))
            .unwrap_or(top.len());
        if at < n {
            top.insert(at, KeyCount { key, count });
            top.truncate(n);
        }
    }
    top
}

/// The tool's answer, serialized as `structuredContent` and as the text content.
#[derive(Debug, PartialEq, Serialize)]
pub struct Summary<'a> {
    pub count: u64,
    pub ok: u64,
    pub errors: u64,
    pub latency_ms: Latency,
    pub top_keys: Vec<KeyCount<'a>>,
    pub ts: TsRange,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Latency {
    pub min: u32,
    pub p50: u32,
    pub p90: u32,
    pub p99: u32,
    pub max: u32,
    pub mean: u64,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct KeyCount<'a> {
    pub key: Cow<'a, str>,
    pub count: u64,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct TsRange {
    pub first: u64,
    pub last: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ts: u64, key: &str, latency_ms: u32, ok: bool) -> Event<'_> {
        Event {
            ts,
            key: Cow::Borrowed(key),
            latency_ms,
            ok,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let ten: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), 5); // rank ceil(5.0) = 5
        assert_eq!(nearest_rank(&ten, 90), 9); // rank ceil(9.0) = 9
        assert_eq!(nearest_rank(&ten, 99), 10); // rank ceil(9.9) = 10
        let three = [10, 20, 30];
        assert_eq!(nearest_rank(&three, 50), 20); // rank ceil(1.5) = 2
        assert_eq!(nearest_rank(&three, 90), 30); // rank ceil(2.7) = 3
        assert_eq!(nearest_rank(&[7], 50), 7);
        assert_eq!(nearest_rank(&[7], 99), 7);
        let hundred: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 50), 50);
        assert_eq!(nearest_rank(&hundred, 90), 90);
        assert_eq!(nearest_rank(&hundred, 99), 99);
        let hundred_and_one: Vec<u32> = (1..=101).collect();
        assert_eq!(nearest_rank(&hundred_and_one, 50), 51); // rank ceil(50.5) = 51
        assert_eq!(nearest_rank(&hundred_and_one, 99), 100); // rank ceil(99.99) = 100
    }

    #[test]
    fn summary_of_a_few_events() {
        let mut acc = Accumulator::with_capacity(4);
        acc.add(event(1_700_000_000_300, "b", 30, true));
        acc.add(event(1_700_000_000_100, "a", 10, false));
        acc.add(event(1_700_000_000_200, "b", 25, true));
        acc.add(event(1_700_000_000_150, "c", 40, true));
        let s = acc.finish().unwrap();
        assert_eq!((s.count, s.ok, s.errors), (4, 3, 1));
        assert_eq!(
            s.latency_ms,
            Latency {
                min: 10,
                p50: 25,
                p90: 40,
                p99: 40,
                max: 40,
                mean: 26 // floor(105 / 4)
            }
        );
        let keys: Vec<(&str, u64)> = s.top_keys.iter().map(|k| (&*k.key, k.count)).collect();
        assert_eq!(keys, [("b", 2), ("a", 1), ("c", 1)]);
        assert_eq!(
            s.ts,
            TsRange {
                first: 1_700_000_000_100,
                last: 1_700_000_000_300
            }
        );
    }

    #[test]
    fn no_events_no_summary() {
        assert!(Accumulator::default().finish().is_none());
    }

    #[test]
    fn top_keys_break_ties_by_key_in_byte_order() {
        let mut keys = BTreeMap::new();
        for (k, n) in [
            ("zeta", 3),
            ("Alpha", 2),
            ("alpha", 2),
            ("beta", 3),
            ("é", 2),
            ("z", 2),
            ("gamma", 1),
        ] {
            keys.insert(Cow::Borrowed(k), n);
        }
        let top: Vec<(String, u64)> = top_keys(keys, 5)
            .into_iter()
            .map(|k| (k.key.into_owned(), k.count))
            .collect();
        // Uppercase sorts before lowercase and "é" (0xC3 0xA9) after every ASCII key.
        assert_eq!(
            top,
            [
                ("beta".to_owned(), 3),
                ("zeta".to_owned(), 3),
                ("Alpha".to_owned(), 2),
                ("alpha".to_owned(), 2),
                ("z".to_owned(), 2),
            ]
        );
    }

    #[test]
    fn fewer_distinct_keys_than_the_top_list() {
        let mut acc = Accumulator::default();
        acc.add(event(5, "only", 1, true));
        acc.add(event(5, "only", 3, true));
        let s = acc.finish().unwrap();
        assert_eq!(s.top_keys.len(), 1);
        assert_eq!(s.top_keys[0].count, 2);
        assert_eq!((s.ts.first, s.ts.last), (5, 5));
        assert_eq!(s.latency_ms.mean, 2);
    }

    #[test]
    fn keys_are_counted_without_copies_when_borrowed() {
        let mut acc = Accumulator::default();
        acc.add(event(1, "k", 1, true));
        acc.add(Event {
            ts: 2,
            key: Cow::Owned("k".to_owned()),
            latency_ms: 1,
            ok: true,
        });
        assert_eq!(acc.keys.len(), 1);
        assert!(matches!(acc.keys.keys().next(), Some(Cow::Borrowed("k"))));
    }
}
