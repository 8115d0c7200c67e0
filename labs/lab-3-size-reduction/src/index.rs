//! The bundled documents and the search over them.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// The documents, compiled into the module.
const DOCS_JSON: &str = include_str!("../data/docs.json");

/// The zone dates are shown in.
const DISPLAY_TIME_ZONE: &str = "Etc/UTC";

/// Query words beyond this many are ignored.
pub const MAX_QUERY_WORDS: usize = 8;
/// Points one query word can earn in one document: title 3 + tags 2 + body up to 3.
const MAX_POINTS_PER_WORD: u32 = 8;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 160;

#[derive(Debug, Clone, Deserialize)]
pub struct Doc {
    pub path: String,
    pub title: String,
    pub tags: Vec<String>,
    pub updated: DateTime<FixedOffset>,
    pub body: String,
}

/// A document with its words, ready to search.
#[derive(Debug, Clone)]
pub struct Entry {
    pub doc: Doc,
    pub title_words: Vec<String>,
    pub tag_words: Vec<String>,
    pub body_words: Vec<String>,
}

pub struct Index {
    pub entries: Vec<Entry>,
}

static INDEX: OnceLock<Index> = OnceLock::new();

pub fn index() -> &'static Index {
    INDEX.get_or_init(|| {
        let docs: Vec<Doc> = serde_json::from_str(DOCS_JSON).expect("data/docs.json is valid");
        let entries = docs
            .into_iter()
            .map(|doc| Entry {
                title_words: words(&doc.title),
                tag_words: doc.tags.iter().flat_map(|tag| words(tag)).collect(),
                body_words: words(&doc.body),
                doc,
            })
            .collect();
        Index { entries }
    })
}

// ANCHOR: regex
fn separators() -> &'static Regex {
    static SEPARATORS: OnceLock<Regex> = OnceLock::new();
    SEPARATORS.get_or_init(|| Regex::new(r"[\s[:punct:]]+").expect("valid pattern"))
}
// ANCHOR_END: regex

/// Splits text into lowercase words at whitespace and ASCII punctuation.
pub fn words(text: &str) -> Vec<String> {
    separators()
        .split(text)
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
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

// ANCHOR: dates
/// Renders a timestamp as `2026-03-14 (Saturday)` in the display zone.
pub fn display_date(when: &DateTime<FixedOffset>) -> String {
    let zone: Tz = DISPLAY_TIME_ZONE.parse().expect("a known zone");
    when.with_timezone(&zone)
        .format("%Y-%m-%d (%A)")
        .to_string()
}
// ANCHOR_END: dates

/// One search hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub path: String,
    pub title: String,
    pub score: f64,
    pub updated: String,
    pub tags: Vec<String>,
    pub snippet: String,
    #[serde(skip)]
    pub points: u32,
    #[serde(skip)]
    pub timestamp: DateTime<FixedOffset>,
}

/// Every document that matches at least one word, best first.
pub fn search(words: &[String]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for entry in &index().entries {
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
        // ANCHOR: float
        let score = points as f64 / (MAX_POINTS_PER_WORD as usize * words.len()) as f64;
        let score: f64 = format!("{:.2}", (score * 100.0).round() / 100.0)
            .parse()
            .expect("a formatted float parses");
        // ANCHOR_END: float
        hits.push(Hit {
            path: entry.doc.path.clone(),
            title: entry.doc.title.clone(),
            score,
            updated: display_date(&entry.doc.updated),
            tags: entry.doc.tags.clone(),
            snippet: snippet(&entry.doc.body, words),
            points,
            timestamp: entry.doc.updated,
        });
    }
    hits.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then(b.timestamp.cmp(&a.timestamp))
            .then(a.path.cmp(&b.path))
    });
    hits
}

/// The first sentence of `body` that contains a query word (else the first sentence),
/// shortened to `SNIPPET_CHARS` characters.
pub fn snippet(body: &str, query: &[String]) -> String {
    let pieces: Vec<&str> = body.split(". ").collect();
    let mut sentences: Vec<String> = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 < pieces.len() {
            sentences.push(format!("{}.", piece));
        } else {
            sentences.push(piece.to_string());
        }
    }
    let chosen = sentences
        .iter()
        .find(|s| words(s).iter().any(|w| query.contains(w)))
        .unwrap_or(&sentences[0]);
    if chosen.chars().count() > SNIPPET_CHARS {
        let cut: String = chosen.chars().take(SNIPPET_CHARS - 1).collect();
        format!("{}…", cut)
    } else {
        chosen.clone()
    }
}

/// Corpus-wide numbers for `doc_stats`.
pub struct Stats {
    pub docs: usize,
    pub words: usize,
    pub average_words: f64,
    pub tags: Vec<(String, usize)>,
    pub newest: &'static Entry,
    pub oldest: &'static Entry,
}

/// Tags listed by `doc_stats`.
const TOP_TAGS: usize = 10;

pub fn stats() -> Stats {
    let entries = &index().entries;
    let words: usize = entries.iter().map(|e| e.body_words.len()).sum();
    let average_words = (words as f64 / entries.len() as f64 * 10.0).round() / 10.0;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        for tag in &entry.doc.tags {
            *counts.entry(tag.clone()).or_insert(0) += 1;
        }
    }
    let mut tags: Vec<(String, usize)> = counts.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    tags.truncate(TOP_TAGS);
    let newest = entries
        .iter()
        .max_by(|a, b| a.doc.updated.cmp(&b.doc.updated))
        .expect("at least one doc");
    let oldest = entries
        .iter()
        .min_by(|a, b| a.doc.updated.cmp(&b.doc.updated))
        .expect("at least one doc");
    Stats {
        docs: entries.len(),
        words,
        average_words,
        tags,
        newest,
        oldest,
    }
}

pub fn find(path: &str) -> Option<&'static Entry> {
    index().entries.iter().find(|e| e.doc.path == path)
}
