//! Reconnect delays: exponential, capped, with jitter so that many clients that lost the same
//! server do not reconnect in lockstep.

use std::time::Duration;

/// Delays between connection attempts.
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            | 1;
        Backoff { min, max: max.max(min), attempt: 0, rng: seed }
    }

    /// After a successful connection, start again from the smallest delay.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next delay: half of the capped exponential step, plus a random share of the other half.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.min.saturating_mul(1u32 << self.attempt.min(20)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let half = step / 2;
        let jitter_ns = if half.as_nanos() == 0 { 0 } else { self.rng % half.as_nanos() as u64 };
        half + Duration::from_nanos(jitter_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_jitters() {
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_millis(400));
        let delays: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        for (i, d) in delays.iter().enumerate() {
            let step = Duration::from_millis(10 * (1 << i)).min(Duration::from_millis(400));
            assert!(*d >= step / 2 && *d <= step, "attempt {i}: {d:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(10));
    }
}
