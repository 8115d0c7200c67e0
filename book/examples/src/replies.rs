//! Two ways to keep serialisation and formatting code small (the size page).

use worker::{Headers, Response};

// ANCHOR: one-path
/// Every reply leaves through here as a `serde_json::Value`: one serialiser is compiled,
/// whatever the shape of the reply. A `fn send<T: Serialize>(body: &T)` would be compiled
/// once per type it is called with.
pub fn json_reply(body: &serde_json::Value) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    Ok(Response::from_bytes(serde_json::to_vec(body)?)?.with_headers(headers))
}
// ANCHOR_END: one-path

// ANCHOR: hundredths
/// `cents` as a decimal with two places (`1234` → `"12.34"`), printed with integers only:
/// `format!("{:.2}", x)` on an `f64` would link core's exact float-to-decimal conversion.
pub fn hundredths(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}
// ANCHOR_END: hundredths

#[cfg(test)]
mod tests {
    #[test]
    fn hundredths_print_like_the_float_formatting_they_replace() {
        for cents in [-1234_i64, -5, 0, 7, 99, 100, 1234, 1_000_001] {
            let float = format!("{:.2}", cents as f64 / 100.0);
            assert_eq!(super::hundredths(cents), float, "{cents}");
        }
    }

    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn a_reply_is_json_with_its_content_type() {
        let mut reply = super::json_reply(&serde_json::json!({ "ok": true })).unwrap();
        assert_eq!(
            reply.headers().get("Content-Type").unwrap().as_deref(),
            Some("application/json")
        );
        assert_eq!(reply.text().await.unwrap(), r#"{"ok":true}"#);
    }
}
