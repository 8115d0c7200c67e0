//! The bundled documents and the search over them.
//!
//! No regex (words are cut with `char` methods), no chrono (every date is UTC, so the
//! calendar date is already in the timestamp and the weekday is a short formula), and no
//! float formatting (scores are whole hundredths, averages whole tenths).

use std::sync::OnceLock;

use serde_json::Value;

/// The documents, compiled into the module.
const DOCS_JSON: &str = include_str!("../data/docs.json");

/// Query words beyond this many are ignored.
pub const MAX_QUERY_WORDS: usize = 8;
/// Points one query word can earn in one document: title 3 + tags 2 + body up to 3.
const MAX_POINTS_PER_WORD: u32 = 8;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 160;
/// Tags listed by `doc_stats`.
const TOP_TAGS: usize = 10;

/// A document with its words, ready to search. Its text borrows from the parsed JSON,
/// which lives as long as the instance.
pub struct Entry {
    pub path: &'static str,
    pub title: &'static str,
    pub tags: Vec<&'static str>,
    /// RFC 3339 in UTC (`2026-03-14T09:30:00Z`): compares as text in time order.
    pub updated: &'static str,
    pub body: &'static str,
    title_words: Vec<String>,
    tag_words: Vec<String>,
    pub body_words: Vec<String>,
}

fn text(doc: &'static Value, key: &str) -> &'static str {
    doc[key].as_str().unwrap_or_default()
}

pub fn entries() -> &'static [Entry] {
    static DOCS: OnceLock<Value> = OnceLock::new();
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let docs = DOCS.get_or_init(|| serde_json::from_str(DOCS_JSON).unwrap_or_default());
        let docs: &'static [Value] = docs.as_array().map_or(&[], Vec::as_slice);
        docs.iter()
            .map(|doc| {
                let tags: Vec<&'static str> = doc["tags"]
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                Entry {
                    path: text(doc, "path"),
                    title: text(doc, "title"),
                    updated: text(doc, "updated"),
                    body: text(doc, "body"),
                    title_words: words(text(doc, "title")),
                    tag_words: tags.iter().flat_map(|tag| words(tag)).collect(),
                    body_words: words(text(doc, "body")),
                    tags,
                }
            })
            .collect()
    })
}

/// Splits text into lowercase words at whitespace and ASCII punctuation: exactly what the
/// regex `[\s[:punct:]]+` split at (`\s` is Unicode White_Space, as is `char::is_whitespace`;
/// `[:punct:]` is ASCII punctuation).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The distinct words of a query, in order, at most `MAX_QUERY_WORDS`.
pub fn query_words(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(query) {
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out.truncate(MAX_QUERY_WORDS);
    out
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Day of the week (0 = Sunday) of a Gregorian date, by Sakamoto's method.
fn weekday(year: u32, month: u32, day: u32) -> usize {
    const OFFSETS: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    ((y + y / 4 - y / 100 + y / 400 + OFFSETS[(month - 1) as usize % 12] + day) % 7) as usize
}

/// Renders a UTC timestamp (`2026-03-14T09:30:00Z`) as `2026-03-14 (Saturday)`.
pub fn display_date(timestamp: &str) -> String {
    let date = timestamp.get(..10).unwrap_or(timestamp);
    let field = |range: std::ops::Range<usize>| -> u32 {
        date.get(range).and_then(|s| s.parse().ok()).unwrap_or(1)
    };
    let day = weekday(field(0..4), field(5..7), field(8..10));
    let mut out = String::with_capacity(24);
    out.push_str(date);
    out.push_str(" (");
    out.push_str(WEEKDAYS[day]);
    out.push(')');
    out
}

/// `n` hundredths as `0.57`, or tenths (`places` = 1) as `88.4`: integers only.
pub fn decimal(n: u32, places: u32) -> String {
    let scale = 10u32.pow(places);
    let mut out = (n / scale).to_string();
    out.push('.');
    let fraction = (n % scale).to_string();
    for _ in fraction.len()..places as usize {
        out.push('0');
    }
    out.push_str(&fraction);
    out
}

/// One search hit.
pub struct Hit {
    pub entry: &'static Entry,
    pub points: u32,
    /// The score in hundredths.
    pub score: u32,
}

/// Every document that matches at least one word, best first.
pub fn search(words: &[String]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for entry in entries() {
        let mut points = 0u32;
        for word in words {
            if entry.title_words.contains(word) {
                points += 3;
            }
            if entry.tag_words.contains(word) {
                points += 2;
            }
            let in_body = entry.body_words.iter().filter(|w| *w == word).count();
            points += in_body.min(3) as u32;
        }
        if points == 0 {
            continue;
        }
        // Rounded exactly as the starting point did (half away from zero, on the same f64),
        // but kept as an integer: no float formatting anywhere.
        let ratio = points as f64 / (MAX_POINTS_PER_WORD as usize * words.len()) as f64;
        let score = (ratio * 100.0).round() as u32;
        hits.push(Hit {
            entry,
            points,
            score,
        });
    }
    // Paths are unique, so the order is total and an unstable sort (less code than the
    // stable one) gives the same result.
    hits.sort_unstable_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then(b.entry.updated.cmp(a.entry.updated))
            .then(a.entry.path.cmp(b.entry.path))
    });
    hits
}

/// The first sentence of `body` that contains a query word (else the first sentence),
/// shortened to `SNIPPET_CHARS` characters.
pub fn snippet(body: &str, query: &[String]) -> String {
    let mut first = None;
    let mut pieces = body.split(". ").peekable();
    while let Some(piece) = pieces.next() {
        let mut sentence = piece.to_string();
        if pieces.peek().is_some() {
            sentence.push('.');
        }
        if words(&sentence).iter().any(|w| query.contains(w)) {
            return shorten(sentence);
        }
        first.get_or_insert(sentence);
    }
    shorten(first.unwrap_or_default())
}

fn shorten(sentence: String) -> String {
    if sentence.chars().count() <= SNIPPET_CHARS {
        return sentence;
    }
    let mut cut: String = sentence.chars().take(SNIPPET_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Corpus-wide numbers for `doc_stats`.
pub struct Stats {
    pub docs: usize,
    pub words: usize,
    /// The average number of words per doc, in tenths.
    pub average_tenths: u32,
    pub tags: Vec<(&'static str, usize)>,
    pub newest: &'static Entry,
    pub oldest: &'static Entry,
}

pub fn stats() -> Option<Stats> {
    let entries = entries();
    let docs = entries.len();
    let words: usize = entries.iter().map(|e| e.body_words.len()).sum();
    // The same f64 rounding as the starting point; only the printing is done by hand.
    let average_tenths = (words as f64 / docs.max(1) as f64 * 10.0).round() as u32;
    let mut tags: Vec<(&'static str, usize)> = Vec::new();
    for tag in entries.iter().flat_map(|e| &e.tags) {
        match tags.iter_mut().find(|(t, _)| t == tag) {
            Some((_, count)) => *count += 1,
            None => tags.push((tag, 1)),
        }
    }
    tags.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    tags.truncate(TOP_TAGS);
    Some(Stats {
        docs,
        words,
        average_tenths,
        tags,
        newest: entries.iter().max_by_key(|e| e.updated)?,
        oldest: entries.iter().min_by_key(|e| e.updated)?,
    })
}

pub fn find(path: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_carry_their_weekday() {
        assert_eq!(
            display_date("2026-03-14T09:30:00Z"),
            "2026-03-14 (Saturday)"
        );
        assert_eq!(display_date("2025-10-28T07:45:00Z"), "2025-10-28 (Tuesday)");
        assert_eq!(
            display_date("2024-02-29T00:00:00Z"),
            "2024-02-29 (Thursday)"
        );
        assert_eq!(
            display_date("2000-01-01T00:00:00Z"),
            "2000-01-01 (Saturday)"
        );
    }

    #[test]
    fn decimals_without_floats() {
        assert_eq!(decimal(57, 2), "0.57");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(100, 2), "1.00");
        assert_eq!(decimal(892, 1), "89.2");
    }

    #[test]
    fn words_split_at_whitespace_and_ascii_punctuation() {
        assert_eq!(words("  REQ.URL()?? -- idna,"), ["req", "url", "idna"]);
        assert_eq!(
            words("naïve «tokeniser» GRÖßE"),
            ["naïve", "«tokeniser»", "größe"]
        );
        assert_eq!(query_words("kv KV Kv storage"), ["kv", "storage"]);
    }

    #[test]
    fn every_doc_is_loaded() {
        assert_eq!(entries().len(), 35);
        assert!(entries().iter().all(|e| e.updated.ends_with('Z')));
    }
}
