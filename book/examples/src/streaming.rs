//! A large response sent as it is produced, instead of built in memory first.

use worker::{Headers, Response};

// ANCHOR: ndjson
/// Sends `rows` as newline-delimited JSON. Each row is serialised when the runtime asks
/// for the next chunk, so the whole body never exists in linear memory at once.
pub fn ndjson<I>(rows: I) -> worker::Result<Response>
where
    I: IntoIterator<Item = serde_json::Value>,
    I::IntoIter: 'static,
{
    let chunks = futures::stream::iter(rows.into_iter().map(|row| {
        let mut line = serde_json::to_vec(&row)?;
        line.push(b'\n');
        Ok::<Vec<u8>, worker::Error>(line)
    }));
    let headers = Headers::new();
    headers.set("Content-Type", "application/x-ndjson")?;
    Ok(Response::from_stream(chunks)?.with_headers(headers))
}
// ANCHOR_END: ndjson

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn rows_arrive_one_per_line() {
        let rows = (0..3).map(|i| serde_json::json!({ "n": i }));
        let mut response = super::ndjson(rows).unwrap();
        assert_eq!(
            response.text().await.unwrap(),
            "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
        );
    }
}
