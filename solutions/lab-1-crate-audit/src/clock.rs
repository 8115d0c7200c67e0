//! Timestamps: "now" as RFC 3339 text for logs and replies, and a stopwatch for durations.

use std::time::Duration;

/// Milliseconds since 1970-01-01T00:00:00Z.
///
/// On wasm32-unknown-unknown std has no clock (`SystemTime::now()` panics with "time not
/// implemented on this platform"): the time comes from JavaScript's `Date.now()`.
#[cfg(not(target_arch = "wasm32"))]
pub fn unix_millis() -> u64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is set before 1970");
    since_epoch.as_millis() as u64
}

/// Milliseconds since 1970-01-01T00:00:00Z, from JavaScript's `Date.now()`.
///
/// In a deployed Worker this clock only moves forward when the Worker does I/O (a Spectre
/// mitigation): it is the time the request arrived, or of the last `fetch`/timer.
#[cfg(target_arch = "wasm32")]
pub fn unix_millis() -> u64 {
    js_sys::Date::now() as u64
}

/// The current time in UTC, e.g. `"2026-03-14T09:26:53.589Z"`.
pub fn now_rfc3339() -> String {
    format_rfc3339(unix_millis())
}

/// Formats milliseconds since the Unix epoch as RFC 3339 in UTC, with milliseconds.
pub fn format_rfc3339(unix_ms: u64) -> String {
    let days = (unix_ms / 86_400_000) as i64;
    let ms_of_day = unix_ms % 86_400_000;
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// Year, month, day of a count of days since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Measures how long something took.
///
/// Natively it uses the monotonic `std::time::Instant`; on wasm32 `Instant::now()` panics, so it
/// counts milliseconds from `Date.now()` instead (the `web-time` crate offers the same as a
/// drop-in `Instant`). In a deployed Worker that clock stands still while code only computes:
/// time pure CPU work with the Workers dashboard, not with a stopwatch.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    #[cfg(not(target_arch = "wasm32"))]
    started: std::time::Instant,
    #[cfg(target_arch = "wasm32")]
    started_ms: f64,
}

impl Stopwatch {
    /// Starts measuring now.
    pub fn start() -> Self {
        Self {
            #[cfg(not(target_arch = "wasm32"))]
            started: std::time::Instant::now(),
            #[cfg(target_arch = "wasm32")]
            started_ms: js_sys::Date::now(),
        }
    }

    /// Time since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.started.elapsed()
        }
        #[cfg(target_arch = "wasm32")]
        {
            // Date.now() is wall-clock time and may step backwards: never report less than zero.
            Duration::from_secs_f64((js_sys::Date::now() - self.started_ms).max(0.0) / 1000.0)
        }
    }

    /// Time since [`Stopwatch::start`], in whole milliseconds.
    pub fn elapsed_ms(&self) -> u64 {
        self.elapsed().as_millis() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::format_rfc3339;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(1_773_480_413_589),
            "2026-03-14T09:26:53.589Z"
        );
        assert_eq!(
            format_rfc3339(4_102_444_799_999),
            "2099-12-31T23:59:59.999Z"
        );
    }
}
