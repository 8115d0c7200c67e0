//! A Worker that runs the examples in workerd, for `miniflare.test.mjs`: the parts that need
//! the Workers runtime itself (timers, streams) are tested where they will run.

use std::time::Duration;

use serde_json::json;
use worker::{event, Context, Date, Delay, Env, Request, Response, Result};

use crate::concurrency::{with_timeout, TimedOut};
use crate::timing::Timer;

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let ms = Duration::from_millis;
    // ANCHOR: route
    // `path()` cuts the path out of the URL the runtime already parsed: no URL parser linked.
    let path = req.path();
    // ANCHOR_END: route
    match path.as_str() {
        "/join" => {
            let _timer = Timer::start("three delays, joined");
            let started = Date::now().as_millis();
            futures::join!(
                Delay::from(ms(100)),
                Delay::from(ms(100)),
                Delay::from(ms(100))
            );
            let elapsed = Date::now().as_millis() - started;
            Response::from_json(&json!({ "elapsed_ms": elapsed }))
        }
        "/timeout" => {
            let work = |delay| async move {
                Delay::from(ms(delay)).await;
                "done"
            };
            let verdict = |outcome: std::result::Result<&str, TimedOut>| match outcome {
                Ok(v) => v.to_owned(),
                Err(TimedOut(limit)) => format!("timed out after {} ms", limit.as_millis()),
            };
            let fast = with_timeout(work(5), ms(500)).await;
            let slow = with_timeout(work(500), ms(20)).await;
            Response::from_json(&json!({ "fast": verdict(fast), "slow": verdict(slow) }))
        }
        "/rows" => crate::streaming::ndjson((0..1000).map(|n| json!({ "n": n }))),
        "/id" => {
            crate::debug_log!("making a request id");
            let id = crate::ids::request_id().map_err(|e| e.to_string())?;
            Response::from_json(&json!({ "id": id }))
        }
        _ => Response::error("not found", 404),
    }
}
