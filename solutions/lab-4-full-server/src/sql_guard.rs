//! The read-only boundary for `query_data`.
//!
//! D1 has no read-only connection, so the server must refuse anything but one query. A prefix
//! test such as `starts_with("SELECT")` is not a boundary: comments, `WITH … DELETE`, a second
//! statement after `;` and `PRAGMA` all get past it. This scanner understands SQLite's lexical
//! structure (strings, quoted identifiers, comments) and judges the words that remain.

// ANCHOR: forbidden
/// Words that change data, schema, or connection state; none may appear in a read-only query.
const FORBIDDEN: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "UPSERT",
    "CREATE",
    "DROP",
    "ALTER",
    "ATTACH",
    "DETACH",
    "PRAGMA",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "TRANSACTION",
];
// ANCHOR_END: forbidden

#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    MultipleStatements,
    NotAQuery(String),
    Forbidden(String),
    Unterminated,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Empty => write!(f, "the query is empty"),
            Rejection::MultipleStatements => write!(f, "only one statement is allowed"),
            Rejection::NotAQuery(w) => write!(
                f,
                "only SELECT or WITH … SELECT queries are allowed, not {w}"
            ),
            Rejection::Forbidden(w) => write!(f, "{w} is not allowed in a read-only query"),
            Rejection::Unterminated => write!(f, "unterminated string, identifier or comment"),
        }
    }
}

// ANCHOR: guard
/// Returns the query cut before its terminating `;` (so it can be wrapped in a sub-query),
/// or why it is refused.
pub fn check_read_only(sql: &str) -> Result<&str, Rejection> {
    let words = scan(sql)?;
    let first = words.first().ok_or(Rejection::Empty)?;
    let mut query = sql;
    if let Some(end) = words.iter().position(|w| w.text == ";") {
        if words[end + 1..].iter().any(|w| w.text != ";") {
            return Err(Rejection::MultipleStatements);
        }
        query = &sql[..words[end].start];
    }
    let upper = first.text.to_ascii_uppercase();
    if upper != "SELECT" && upper != "WITH" && upper != "VALUES" {
        return Err(Rejection::NotAQuery(upper));
    }
    if let Some(w) = words
        .iter()
        .map(|w| w.text.to_ascii_uppercase())
        .find(|w| FORBIDDEN.contains(&w.as_str()))
    {
        return Err(Rejection::Forbidden(w));
    }
    Ok(query.trim_end())
}
// ANCHOR_END: guard

struct Word<'a> {
    text: &'a str,
    start: usize,
}

/// Splits `sql` into bare words and `;`, skipping literals, quoted identifiers and comments.
fn scan(sql: &str) -> Result<Vec<Word<'_>>, Rejection> {
    let bytes = sql.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => i = skip_quoted(bytes, i, c)?,
            b'[' => i = find(bytes, i + 1, b"]")? + 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = find(bytes, i + 2, b"*/")? + 2,
            b';' => {
                words.push(Word {
                    text: ";",
                    start: i,
                });
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                words.push(Word {
                    text: &sql[start..i],
                    start,
                });
            }
            _ => i += 1,
        }
    }
    Ok(words)
}

fn skip_quoted(bytes: &[u8], start: usize, quote: u8) -> Result<usize, Rejection> {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            // A doubled quote is an escaped quote inside the literal.
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(Rejection::Unterminated)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Result<usize, Rejection> {
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
        .ok_or(Rejection::Unterminated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_cte_queries() {
        assert_eq!(
            check_read_only("SELECT * FROM products;"),
            Ok("SELECT * FROM products")
        );
        assert!(check_read_only("  with t as (select 1) select * from t").is_ok());
        assert!(check_read_only("SELECT 'DROP TABLE x; --' AS s").is_ok());
        assert!(check_read_only("SELECT \"delete\" FROM \"update\"").is_ok());
        assert_eq!(check_read_only("SELECT 1; -- done"), Ok("SELECT 1"));
    }

    #[test]
    fn refuses_what_a_prefix_check_lets_through() {
        assert_eq!(
            check_read_only("SELECT 1; DROP TABLE products"),
            Err(Rejection::MultipleStatements)
        );
        assert_eq!(
            check_read_only("WITH x AS (SELECT 1) DELETE FROM products"),
            Err(Rejection::Forbidden("DELETE".into()))
        );
        assert_eq!(
            check_read_only("/* SELECT */ PRAGMA table_list"),
            Err(Rejection::NotAQuery("PRAGMA".into()))
        );
        assert_eq!(
            check_read_only("-- SELECT\nDELETE FROM products"),
            Err(Rejection::NotAQuery("DELETE".into()))
        );
        assert_eq!(check_read_only("SELECT 'x"), Err(Rejection::Unterminated));
        assert_eq!(
            check_read_only("  ;  "),
            Err(Rejection::NotAQuery(";".into()))
        );
        assert_eq!(check_read_only(""), Err(Rejection::Empty));
    }
}
