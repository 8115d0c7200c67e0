//! Bodies as streams: a request body read with a cap, and a large response sent as it is
//! produced, instead of built in memory first.

use futures::StreamExt;
use worker::{Headers, Request, Response};

// ANCHOR: read-capped
/// Reads the request body, giving up (`None`) as soon as it passes `limit` bytes. A client
/// that sends no `Content-Length`, or a false one, cannot make this buffer more than the
/// limit plus one chunk.
pub async fn read_capped(req: &mut Request, limit: usize) -> worker::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut chunks = req.stream()?;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
// ANCHOR_END: read-capped

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

    fn post(body: &str) -> worker::Request {
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post)
            .with_body(Some(wasm_bindgen::JsValue::from_str(body)));
        worker::Request::new_with_init("https://example.com/", &init).unwrap()
    }

    #[wasm_bindgen_test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = super::read_capped(&mut post("hello"), 5).await.unwrap();
        assert_eq!(body.as_deref(), Some(&b"hello"[..]));
    }

    #[wasm_bindgen_test]
    async fn a_body_past_the_limit_is_refused() {
        let body = super::read_capped(&mut post("hello!"), 5).await.unwrap();
        assert_eq!(body, None);
    }

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
