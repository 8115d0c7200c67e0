//! Retries with exponential back-off and jitter, for flaky upstream calls.

use std::future::Future;
use std::time::Duration;

use crate::jitter::jitter;

/// How often to try, and how long to wait in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after every further failure.
    pub base_delay: Duration,
    /// The wait never grows beyond this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based): half of
    /// `min(max_delay, base_delay * 2^(attempt - 1))` plus a random part of up to the other half.
    pub fn delay_for(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay);
        exp / 2 + jitter(exp / 2)
    }
}

/// Calls `op(attempt)` (attempt counts from 1) until it succeeds or `policy.max_attempts`
/// attempts have failed; returns the first success or the last error.
pub async fn retry<T, E, F, Fut>(policy: &RetryPolicy, mut op: F) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match op(attempt).await {
            Ok(value) => return Ok(value),
            Err(err) if attempt >= policy.max_attempts.max(1) => return Err(err),
            Err(_) => {
                // Back off before the next attempt.
                std::thread::sleep(policy.delay_for(attempt));
                attempt += 1;
            }
        }
    }
}
