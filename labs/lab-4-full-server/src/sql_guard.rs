//! The read-only boundary for `query_data`.
//!
//! TODO(lab 4): this is the check the source lesson uses, and it is not a boundary. The tests
//! below show what gets past it. Make them pass (`cargo test -p lab-4-full-server --lib`),
//! then use `check_read_only` in your `query_data` tool.

// ANCHOR: naive
/// The query to run (without a trailing `;`), or why it is refused.
pub fn check_read_only(sql: &str) -> Result<&str, String> {
    if sql.trim_start().to_uppercase().starts_with("SELECT") {
        Ok(sql)
    } else {
        Err("only SELECT queries are allowed".into())
    }
}
// ANCHOR_END: naive

#[cfg(test)]
mod tests {
    use super::check_read_only;

    #[test]
    fn accepts_plain_and_cte_queries() {
        assert!(check_read_only("SELECT * FROM products").is_ok());
        assert!(check_read_only("  with t as (select 1) select * from t").is_ok());
        assert!(check_read_only("SELECT 'DROP TABLE x; --' AS s").is_ok());
    }

    #[test]
    fn refuses_a_second_statement() {
        assert!(check_read_only("SELECT 1; DROP TABLE products").is_err());
    }

    #[test]
    fn refuses_writes_inside_a_with() {
        assert!(check_read_only("WITH x AS (SELECT 1) DELETE FROM products").is_err());
    }

    #[test]
    fn refuses_writes_hidden_behind_comments() {
        assert!(check_read_only("/* SELECT */ DELETE FROM products").is_err());
        assert!(check_read_only("-- SELECT\nDELETE FROM products").is_err());
    }

    #[test]
    fn refuses_pragma_and_attach() {
        assert!(check_read_only("PRAGMA writable_schema = ON").is_err());
        assert!(check_read_only("SELECT 1; ATTACH DATABASE ':memory:' AS x").is_err());
    }
}
