//! Seeing what a Worker does: timings and debug-only logging.

use worker::{console_log, Date};

// ANCHOR: timer
/// Logs how long a scope took when it ends: `let _t = Timer::start("d1 query");`.
/// `std::time::Instant::now()` panics on wasm32-unknown-unknown; the JavaScript clock
/// (`Date`) works. Whole milliseconds: no float formatting is linked for it.
pub struct Timer {
    label: &'static str,
    started: u64,
}

impl Timer {
    pub fn start(label: &'static str) -> Self {
        Self {
            label,
            started: Date::now().as_millis(),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let elapsed = Date::now().as_millis().saturating_sub(self.started);
        console_log!("[timing] {}: {} ms", self.label, elapsed);
    }
}
// ANCHOR_END: timer

// ANCHOR: debug-log
/// Like `console_log!`, in debug builds only: in a release build the condition is a
/// constant `false`, so the call and its format string are compiled out.
#[macro_export]
macro_rules! debug_log {
    ($($arg:tt)*) => {
        if cfg!(debug_assertions) {
            worker::console_log!($($arg)*);
        }
    };
}
// ANCHOR_END: debug-log
