//! Several JavaScript promises in flight at once, deadlines, and cancellation — on the one
//! thread an isolate has, with no async runtime of our own.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{select, Either};
use worker::{AbortController, Delay, Fetch, KvStore, Response, Url};

/// Three values read from KV.
pub struct Profile {
    pub name: Option<String>,
    pub email: Option<String>,
    pub plan: Option<String>,
}

// ANCHOR: join
/// Reads three keys concurrently: the three KV reads are in flight together, so this
/// takes about as long as the slowest read, not the sum of all three.
pub async fn read_profile(kv: &KvStore, user: &str) -> worker::Result<Profile> {
    let (name, email, plan) = futures::join!(
        kv.get(&format!("user:{user}:name")).text(),
        kv.get(&format!("user:{user}:email")).text(),
        kv.get(&format!("user:{user}:plan")).text(),
    );
    Ok(Profile {
        name: name?,
        email: email?,
        plan: plan?,
    })
}
// ANCHOR_END: join

// ANCHOR: join-all
/// Reads any number of keys concurrently; the first error wins and the other reads are
/// dropped (their results are ignored).
pub async fn read_all(kv: &KvStore, keys: &[String]) -> worker::Result<Vec<Option<String>>> {
    let reads = keys.iter().map(|key| kv.get(key).text());
    Ok(futures::future::try_join_all(reads).await?)
}
// ANCHOR_END: join-all

// ANCHOR: timeout
/// The deadline passed before the work finished.
#[derive(Debug, PartialEq, Eq)]
pub struct TimedOut(pub Duration);

/// Runs `work` until it finishes or `limit` passes, whichever comes first. The loser is
/// dropped: a dropped `Delay` clears its JavaScript timer, and a dropped Rust future is
/// never polled again.
pub async fn with_timeout<F: Future>(work: F, limit: Duration) -> Result<F::Output, TimedOut> {
    let work = pin!(work);
    let deadline = pin!(Delay::from(limit));
    match select(work, deadline).await {
        Either::Left((output, _deadline)) => Ok(output),
        Either::Right(((), _work)) => Err(TimedOut(limit)),
    }
}
// ANCHOR_END: timeout

// ANCHOR: abort
/// Fetches `url`, giving up after `limit`. Dropping the fetch future alone only stops
/// *waiting*: the subrequest keeps running in the runtime. Aborting the signal cancels it.
pub async fn fetch_with_deadline(url: Url, limit: Duration) -> worker::Result<Response> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let request = Fetch::Url(url);
    match with_timeout(request.send_with_signal(&signal), limit).await {
        Ok(response) => response,
        Err(TimedOut(limit)) => {
            controller.abort();
            Err(format!("no answer within {} ms", limit.as_millis()).into())
        }
    }
}
// ANCHOR_END: abort

// `worker::Delay` is tested in workerd (src/worker.rs, miniflare.test.mjs), not under the Node
// test runner: Node's `setTimeout` returns an object where workerd returns a number, and
// `Delay` panics on the object.

// ANCHOR: sleep
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `setTimeout` of whichever runtime loaded the module: workerd, Node, a browser.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, millis: f64) -> wasm_bindgen::JsValue;
}

/// Waits for `duration` on the global `setTimeout`, wrapped in a promise. It only assumes that
/// a `setTimeout` exists, not what it returns, so the same code runs in a Worker and under
/// Node, where wasm-bindgen-test runs tests.
pub async fn sleep(duration: Duration) {
    // setTimeout takes a 32-bit delay; anything larger fires at once.
    let millis = duration.as_millis().min(i32::MAX as u128) as f64;
    let timer = js_sys::Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, millis);
    });
    // The promise only ever resolves.
    let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
}
// ANCHOR_END: sleep

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use std::time::Duration;

    use wasm_bindgen_test::wasm_bindgen_test;

    // Runs under Node (wasm-bindgen-test-runner), where `worker::Delay` would panic.
    #[wasm_bindgen_test]
    async fn sleep_waits_on_the_runtimes_timer() {
        let start = js_sys::Date::now();
        super::sleep(Duration::from_millis(50)).await;
        let waited = js_sys::Date::now() - start;
        assert!(waited >= 45.0, "woke after {waited} ms");
    }
}
