//! Random jitter, so that many clients retrying at once do not all retry at the same instant.

use rand::Rng;
use std::time::Duration;

/// A random duration between zero and `max` (both included), in whole milliseconds.
pub fn jitter(max: Duration) -> Duration {
    let max_ms = max.as_millis() as u64;
    if max_ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::rng().random_range(0..=max_ms))
}
