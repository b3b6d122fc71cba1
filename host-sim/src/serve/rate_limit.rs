//! The sample portal's per-client rate limit: a token bucket per remote IP address, so one
//! client (e.g. a page that posts the sign-in form in a loop) cannot mint tokens fast enough
//! to fill the support center's replay cache and lock everyone else out.
//!
//! With the defaults (a burst of 20, then 20 a minute), one client mints at most 60 tokens in
//! the 120 s a token stays live, far below the replay cache's 1024.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::config::RateLimit;

/// Clients tracked at once; beyond this, full buckets (clients quiet long enough to be back
/// at their burst) are forgotten first, then the least recently seen.
pub const MAX_CLIENTS: usize = 4096;

/// Token buckets by remote IP.
pub struct RateLimiter {
    limit: RateLimit,
    buckets: HashMap<IpAddr, Bucket>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// No client seen yet.
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: HashMap::new(),
        }
    }

    fn per_second(&self) -> f64 {
        f64::from(self.limit.per_minute.get()) / 60.0
    }

    fn burst(&self) -> f64 {
        f64::from(self.limit.burst.get())
    }

    /// Takes one request from `client`'s bucket at `now`; `Err(wait)` when it is empty, with
    /// how long until the next request would pass (for `Retry-After`).
    pub fn take(&mut self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let (rate, burst) = (self.per_second(), self.burst());
        if !self.buckets.contains_key(&client) && self.buckets.len() >= MAX_CLIENTS {
            self.make_room(now);
        }
        let bucket = self.buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }

    /// Forgets clients whose buckets have refilled, or else the least recently seen one.
    fn make_room(&mut self, now: Instant) {
        let (rate, burst) = (self.per_second(), self.burst());
        self.buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < burst
        });
        if self.buckets.len() >= MAX_CLIENTS
            && let Some(stalest) = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.updated)
                .map(|(ip, _)| *ip)
        {
            self.buckets.remove(&stalest);
        }
    }
}

/// Whole seconds to tell a client to wait (`Retry-After`), never 0.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::num::NonZeroU32;

    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit {
            per_minute: NonZeroU32::new(per_minute).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        })
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn a_burst_then_the_steady_rate() {
        let t0 = Instant::now();
        let mut l = limiter(6, 3); // one every 10 s
        for _ in 0..3 {
            assert_eq!(l.take(A, t0), Ok(()));
        }
        let wait = l.take(A, t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 10);
        // Another client has its own bucket.
        assert_eq!(l.take(B, t0), Ok(()));
        assert!(l.take(A, t0 + Duration::from_secs(9)).is_err());
        assert_eq!(l.take(A, t0 + Duration::from_secs(10)), Ok(()));
        assert!(l.take(A, t0 + Duration::from_secs(10)).is_err());
        // A long quiet spell refills only up to the burst.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(l.take(A, later), Ok(()));
        }
        assert!(l.take(A, later).is_err());
    }

    #[test]
    fn the_table_of_clients_is_bounded() {
        let t0 = Instant::now();
        let mut l = limiter(60, 2);
        for i in 0..(MAX_CLIENTS as u32 + 100) {
            let ip = IpAddr::V4(Ipv4Addr::from(0x7f00_0000 + i));
            l.take(ip, t0).unwrap();
        }
        assert!(l.buckets.len() <= MAX_CLIENTS);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(2500)), 3);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
    }
}
