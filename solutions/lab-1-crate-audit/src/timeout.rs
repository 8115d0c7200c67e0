//! A deadline around any future, and the sleep that retries wait with.
//!
//! Natively both come from tokio's timer. In a Worker there is no tokio runtime and no std
//! clock (tokio's `time` feature compiles for wasm32, then panics at the first `Instant::now()`),
//! so the wait is a JavaScript timer and the deadline is a race between the future and that
//! timer.
//!
//! Inside a Worker, `worker::Delay::from(duration).await` is that timer, ready-made. It is not
//! used here because it fails under Node, where the course's wasm tests run: web-sys declares
//! `setTimeout` as returning a number, Node returns a `Timeout` object, and `Delay` panics with
//! "expected a number argument, found object". The promise below works in both: it only passes
//! the timer handle back to `clearTimeout`, whatever its type.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{select, Either};

/// The future did not finish within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    /// The limit that was exceeded.
    pub after: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {} ms", self.after.as_millis())
    }
}

impl std::error::Error for TimedOut {}

/// Runs `fut` to completion, or gives up after `limit` (and drops `fut`, which cancels it).
pub async fn with_timeout<F: Future>(limit: Duration, fut: F) -> Result<F::Output, TimedOut> {
    // The same as `futures::select!` over two fused futures; whichever finishes first wins,
    // and dropping the loser cancels it (worker::Delay clears its JS timer when dropped).
    match select(pin!(fut), pin!(sleep(limit))).await {
        Either::Left((output, _)) => Ok(output),
        Either::Right(((), _)) => Err(TimedOut { after: limit }),
    }
}

/// Waits for `duration` without blocking the thread. Natively this needs a tokio runtime.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Waits for `duration` on the global `setTimeout` (workerd and Node both have one; Workers have
/// no `window`, so `web_sys::window()` would be `None`). `std::thread::sleep` panics on wasm32
/// with "can't sleep", and would block every request on the isolate if it did not.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn sleep(duration: Duration) {
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let global = js_sys::global();
    let function = |name: &str| -> Function {
        Reflect::get(&global, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .unwrap_or_else(|| panic!("no global {name}()"))
    };
    let (set_timeout, clear_timeout) = (function("setTimeout"), function("clearTimeout"));
    // setTimeout treats delays above 2^31 - 1 ms (about 24.8 days) as 1 ms.
    let ms = duration.as_millis().min(i32::MAX as u128) as f64;

    let mut started = None;
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
        let timer = set_timeout
            .call2(&global, &resolve, &JsValue::from_f64(ms))
            .expect("setTimeout");
        started = Some((timer, resolve));
    });
    let (timer, resolve) = started.expect("the Promise executor runs at once");
    let guard = CancelOnDrop {
        clear_timeout,
        global,
        timer,
        resolve,
        armed: true,
    };
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    guard.disarm();
}

/// If a sleep is abandoned (a [`with_timeout`] whose future finished first), clear its timer,
/// so nothing fires later, and settle its promise, so the future's callbacks are freed.
#[cfg(target_arch = "wasm32")]
struct CancelOnDrop {
    clear_timeout: js_sys::Function,
    global: js_sys::Object,
    timer: wasm_bindgen::JsValue,
    resolve: js_sys::Function,
    armed: bool,
}

#[cfg(target_arch = "wasm32")]
impl CancelOnDrop {
    fn disarm(mut self) {
        self.armed = false;
    }
}

#[cfg(target_arch = "wasm32")]
impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.clear_timeout.call1(&self.global, &self.timer);
            let _ = self.resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    }
}
