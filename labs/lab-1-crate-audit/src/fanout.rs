//! Concurrent fan-out: run several independent jobs at once and collect every result.

use std::future::Future;

/// Runs every job concurrently and returns their outputs in the order of `jobs`.
pub async fn fan_out<T, F>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|job| std::thread::spawn(move || futures::executor::block_on(job)))
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("a fan-out job panicked"))
        .collect()
}
