//! A bounded store of cookie sessions that expire: after [`SessionLimits::idle`] without a
//! request, [`SessionLimits::lifetime`] after they started, and — when the store is full and
//! none has expired — oldest first. Used for the support center's sign-ins and for the sample
//! portal's phone users.
//!
//! Memory is bounded by `capacity` entries (for a `Person`, about 300 bytes each with its id
//! and bookkeeping): a browser that signs in a million times cannot grow it.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::config::SessionLimits;

/// Sessions keyed by a random cookie value.
pub struct SessionStore<V> {
    limits: SessionLimits,
    by_id: HashMap<String, Entry<V>>,
    /// Session ids in the order they started (`seq` increases), for eviction and for
    /// dropping sessions past their lifetime.
    by_start: BTreeMap<u64, String>,
    next_seq: u64,
}

struct Entry<V> {
    value: V,
    seq: u64,
    started: Instant,
    last_seen: Instant,
}

impl<V: Clone> SessionStore<V> {
    /// An empty store with these limits.
    pub fn new(limits: SessionLimits) -> Self {
        SessionStore {
            limits,
            by_id: HashMap::new(),
            by_start: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Starts a session for `value` at `now` and returns its id (122 random bits). Expired
    /// sessions are dropped first; if the store is still full, the oldest session is evicted.
    pub fn start(&mut self, value: V, now: Instant) -> String {
        self.drop_past_lifetime(now);
        if self.by_id.len() >= self.limits.capacity.get() {
            // Idle sessions can be anywhere in the order: sweep them only when full.
            let limits = self.limits;
            let by_start = &mut self.by_start;
            self.by_id.retain(|_, e| {
                let live = e.is_live(&limits, now);
                if !live {
                    by_start.remove(&e.seq);
                }
                live
            });
        }
        while self.by_id.len() >= self.limits.capacity.get() {
            let Some((_, oldest)) = self.by_start.pop_first() else {
                break;
            };
            self.by_id.remove(&oldest);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.by_start.insert(seq, id.clone());
        self.by_id.insert(
            id.clone(),
            Entry {
                value,
                seq,
                started: now,
                last_seen: now,
            },
        );
        id
    }

    /// The session `id`'s value if it is live at `now` (which counts as a use); an expired
    /// session is removed and is `None`.
    pub fn get(&mut self, id: &str, now: Instant) -> Option<V> {
        let limits = self.limits;
        let entry = self.by_id.get_mut(id)?;
        if entry.is_live(&limits, now) {
            entry.last_seen = now;
            return Some(entry.value.clone());
        }
        self.end(id);
        None
    }

    /// Ends the session `id`, returning its value if it was live at `now`.
    pub fn end_at(&mut self, id: &str, now: Instant) -> Option<V> {
        let limits = self.limits;
        let live = self.by_id.get(id)?.is_live(&limits, now);
        self.end(id).filter(|_| live)
    }

    /// Removes the session `id`, live or not.
    fn end(&mut self, id: &str) -> Option<V> {
        let entry = self.by_id.remove(id)?;
        self.by_start.remove(&entry.seq);
        Some(entry.value)
    }

    /// How many sessions are held (expired ones not yet dropped included).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Drops the sessions past their absolute lifetime: a prefix of the start order.
    fn drop_past_lifetime(&mut self, now: Instant) {
        while let Some(entry) = self
            .by_start
            .first_key_value()
            .and_then(|(_, id)| self.by_id.get(id))
        {
            if now.saturating_duration_since(entry.started) < self.limits.lifetime {
                break;
            }
            let seq = entry.seq;
            if let Some(id) = self.by_start.remove(&seq) {
                self.by_id.remove(&id);
            }
        }
    }
}

impl<V> Entry<V> {
    fn is_live(&self, limits: &SessionLimits, now: Instant) -> bool {
        now.saturating_duration_since(self.started) < limits.lifetime
            && now.saturating_duration_since(self.last_seen) < limits.idle
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;
    use std::time::Duration;

    use super::*;

    fn store(idle: u64, lifetime: u64, capacity: usize) -> SessionStore<&'static str> {
        SessionStore::new(SessionLimits {
            idle: Duration::from_secs(idle),
            lifetime: Duration::from_secs(lifetime),
            capacity: NonZeroUsize::new(capacity).unwrap(),
        })
    }

    fn at(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    #[test]
    fn an_idle_session_expires_and_use_keeps_it_alive() {
        let t0 = Instant::now();
        let mut s = store(10, 100, 8);
        let a = s.start("a", t0);
        let b = s.start("b", t0);
        // Used every 9 s, `a` lives on; `b`, unused, is over at 10 s.
        for t in [9, 18, 27] {
            assert_eq!(s.get(&a, at(t0, t)), Some("a"), "at {t}");
        }
        assert_eq!(s.get(&b, at(t0, 10)), None);
        assert_eq!(s.len(), 1, "an expired session is removed when seen");
    }

    #[test]
    fn a_busy_session_ends_at_its_lifetime() {
        let t0 = Instant::now();
        let mut s = store(10, 30, 8);
        let a = s.start("a", t0);
        for t in (5..30).step_by(5) {
            assert_eq!(s.get(&a, at(t0, t)), Some("a"), "at {t}");
        }
        assert_eq!(s.get(&a, at(t0, 30)), None);
    }

    #[test]
    fn a_full_store_drops_expired_then_evicts_the_oldest() {
        let t0 = Instant::now();
        let mut s = store(10, 100, 3);
        let a = s.start("a", t0);
        let b = s.start("b", at(t0, 1));
        let c = s.start("c", at(t0, 2));
        // Full of live sessions: the oldest started (`a`) goes, even though it was used last.
        assert_eq!(s.get(&a, at(t0, 3)), Some("a"));
        let d = s.start("d", at(t0, 4));
        assert_eq!(s.len(), 3);
        assert_eq!(s.get(&a, at(t0, 4)), None);
        assert_eq!(s.get(&b, at(t0, 4)), Some("b"));
        // `c` goes idle; when the store is full again, the expired one goes first.
        assert_eq!(s.get(&b, at(t0, 12)), Some("b"));
        assert_eq!(s.get(&d, at(t0, 12)), Some("d"));
        let e = s.start("e", at(t0, 13));
        assert_eq!(s.len(), 3);
        assert_eq!(s.get(&c, at(t0, 13)), None);
        assert_eq!(
            [&b, &d, &e].map(|id| s.get(id, at(t0, 14))),
            [Some("b"), Some("d"), Some("e")]
        );
    }

    #[test]
    fn sessions_past_their_lifetime_are_dropped_when_another_starts() {
        let t0 = Instant::now();
        let mut s = store(100, 100, 1000);
        for _ in 0..500 {
            s.start("x", t0);
        }
        assert_eq!(s.len(), 500);
        s.start("y", at(t0, 100));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn ending_a_session_forgets_it() {
        let t0 = Instant::now();
        let mut s = store(10, 100, 8);
        let a = s.start("a", t0);
        assert_eq!(s.end_at(&a, at(t0, 1)), Some("a"));
        assert_eq!(s.get(&a, at(t0, 1)), None);
        let b = s.start("b", t0);
        assert_eq!(s.end_at(&b, at(t0, 50)), None, "already expired");
        assert_eq!(s.len(), 0);
    }
}
