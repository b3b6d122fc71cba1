//! The `jti` replay cache: a fixed-capacity ring that never forgets a live token.
//!
//! Entries are kept in insertion order in a ring; an open-addressed hash index with `2 × N`
//! slots (stored inside the entries themselves, so the load factor never exceeds ½) finds a
//! `jti` without scanning. An entry is forgotten only once the token it stands for can no
//! longer pass the verifier's time window. Each forgotten entry raises a floor: a token whose
//! window ends at or before the floor could be one the cache forgot, so it is refused as
//! [`Replayed`](crate::ErrorKind::Replayed). The same floor implements the "memory horizon" a
//! verifier sets when it starts remembering (e.g. after a reboot).

use siphasher::sip128::SipHasher13;

use crate::error::{Error, Reason};

/// Bytes of the `jti`'s digest kept per entry: 128 bits make an accidental collision (which
/// could only refuse a genuine token, never admit a replay) negligible.
const DIGEST_LEN: usize = 16;

const REPLAYED: Error = Error::new(Reason::Replayed);
const BEFORE_HORIZON: Error = Error::new(Reason::BeforeHorizon);
const FULL: Error = Error::new(Reason::CacheFull);
/// The ring's index or slots are not what its invariants say: cannot happen, and is not
/// `replay_cache_full` (see [`Reason::CacheInconsistent`]).
const INCONSISTENT: Error = Error::new(Reason::CacheInconsistent);

/// One replay cache entry. 32 bytes: a 16-byte digest of the `jti`, the last second at which
/// its token could pass the time window, and two slots of the hash index.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReplayEntry {
    digest: [u8; DIGEST_LEN],
    live_until: u64,
    /// Index slots `i` and `i + N` of the `2N`-slot hash table: ring position + 1, 0 = empty.
    index: [u32; 2],
}

/// Where a verifier remembers the `jti`s it has accepted.
///
/// hfjwt ships [`ReplayCache`] (fixed capacity, no allocation) and, with the `std` feature,
/// `HeapReplayCache` (capacity chosen at run time). A device that must remember across
/// reboots can implement this trait over persistent storage.
pub trait ReplayStore {
    /// Records that a token with this `jti`, which passes the time window until `live_until`
    /// (inclusive), was accepted at `now`. Both are unix seconds on the verifier's clock;
    /// `live_until` is `iat + max_age + leeway` ([`Policy::window`](crate::Policy::window)),
    /// so the token can no longer pass from second `live_until + 1` on.
    ///
    /// Fails with [`ErrorKind::Replayed`](crate::ErrorKind::Replayed) when the `jti` is remembered as live, or when
    /// `live_until` is at or before the store's memory floor (see [`forget_through`]); with
    /// [`ErrorKind::ReplayCacheFull`](crate::ErrorKind::ReplayCacheFull) when there is no room without forgetting a live entry;
    /// a shared store that cannot be reached fails with
    /// [`ErrorKind::ReplayStoreUnavailable`](crate::ErrorKind::ReplayStoreUnavailable). On any error the verifier refuses the token:
    /// a token is never accepted unrecorded.
    ///
    /// [`forget_through`]: ReplayStore::forget_through
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error>;

    /// Declares that the store may have forgotten tokens whose window ends at or before
    /// `live_until`; from now on such tokens are refused. The floor only ever rises.
    fn forget_through(&mut self, live_until: u64);

    /// How many `jti`s are remembered (live or not yet purged).
    fn len(&self) -> usize;

    /// Whether no `jti` is remembered.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most `jti`s the store can remember at once.
    fn capacity(&self) -> usize;
}

/// A fixed-capacity replay cache for `N` live tokens: `32 × N + 24` bytes on 32-bit targets
/// (`32 × N + 32` on 64-bit), no allocation.
///
/// `N` is the number of tokens that can be accepted within one time window (by default
/// 120 s): the 65th sign-in inside two minutes on a `ReplayCache<64>` is refused with
/// [`ErrorKind::ReplayCacheFull`](crate::ErrorKind::ReplayCacheFull) rather than forgetting a token that could still be replayed.
/// `N` must be below 2³¹.
#[derive(Clone, Debug)]
pub struct ReplayCache<const N: usize = 64> {
    ring: Ring<[ReplayEntry; N]>,
}

impl<const N: usize> ReplayCache<N> {
    /// An empty cache.
    pub const fn new() -> Self {
        ReplayCache {
            ring: Ring {
                slots: [ReplayEntry {
                    digest: [0; DIGEST_LEN],
                    live_until: 0,
                    index: [0; 2],
                }; N],
                head: 0,
                len: 0,
                floor: None,
            },
        }
    }
}

impl<const N: usize> Default for ReplayCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ReplayStore for ReplayCache<N> {
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        self.ring.record(jti, live_until, now)
    }
    fn forget_through(&mut self, live_until: u64) {
        self.ring.raise_floor(live_until);
    }
    fn len(&self) -> usize {
        self.ring.len
    }
    fn capacity(&self) -> usize {
        N
    }
}

/// A replay cache whose capacity is chosen at run time (`std` feature); 32 bytes per entry.
#[cfg(feature = "std")]
#[derive(Clone, Debug)]
pub struct HeapReplayCache {
    ring: Ring<std::boxed::Box<[ReplayEntry]>>,
}

#[cfg(feature = "std")]
impl HeapReplayCache {
    /// An empty cache with room for `capacity` live tokens (clamped below 2³¹).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.min(MAX_CAPACITY);
        HeapReplayCache {
            ring: Ring {
                slots: std::vec![ReplayEntry::default(); capacity].into_boxed_slice(),
                head: 0,
                len: 0,
                floor: None,
            },
        }
    }
}

#[cfg(feature = "std")]
impl ReplayStore for HeapReplayCache {
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        self.ring.record(jti, live_until, now)
    }
    fn forget_through(&mut self, live_until: u64) {
        self.ring.raise_floor(live_until);
    }
    fn len(&self) -> usize {
        self.ring.len
    }
    fn capacity(&self) -> usize {
        self.ring.slots.as_ref().len()
    }
}

impl<T: ReplayStore + ?Sized> ReplayStore for &mut T {
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        (**self).record(jti, live_until, now)
    }
    fn forget_through(&mut self, live_until: u64) {
        (**self).forget_through(live_until)
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn capacity(&self) -> usize {
        (**self).capacity()
    }
}

/// A boxed store: large fixed-capacity caches live on the heap (`std` feature).
#[cfg(feature = "std")]
impl<T: ReplayStore + ?Sized> ReplayStore for std::boxed::Box<T> {
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        (**self).record(jti, live_until, now)
    }
    fn forget_through(&mut self, live_until: u64) {
        (**self).forget_through(live_until)
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn capacity(&self) -> usize {
        (**self).capacity()
    }
}

/// Index slots hold `position + 1` in a `u32`, and the table has `2 × capacity` slots.
const MAX_CAPACITY: usize = (u32::MAX / 2) as usize;

#[derive(Clone, Debug)]
struct Ring<S> {
    slots: S,
    /// Ring position of the oldest entry.
    head: usize,
    len: usize,
    /// Tokens whose window ends at or before this may have been forgotten.
    floor: Option<u64>,
}

impl<S: AsRef<[ReplayEntry]> + AsMut<[ReplayEntry]>> Ring<S> {
    fn raise_floor(&mut self, live_until: u64) {
        self.floor = Some(self.floor.map_or(live_until, |f| f.max(live_until)));
    }

    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        let n = self.slots.as_ref().len();
        if n > MAX_CAPACITY {
            return Err(Error::new(Reason::CacheCapacity));
        }
        if n == 0 {
            return Err(FULL);
        }
        if self.floor.is_some_and(|f| live_until <= f) {
            return Err(BEFORE_HORIZON);
        }
        let digest = digest(jti);
        self.purge(now)?;
        let (found, mut free) = self.find(&digest)?;
        if let Some(pos) = found {
            let old = *self.slots.as_ref().get(pos).ok_or(INCONSISTENT)?;
            if old.live_until >= now {
                return Err(REPLAYED);
            }
            // Remembered but dead, and not yet purged because an older entry is still live.
            // Retire it (unindexed, lifetime 0, popped when it reaches the head) and append the
            // new token at the tail: reusing the slot in place would give an old ring position a
            // new lifetime, and a long-lived head could then pin unboundedly many dead entries.
            self.remove_from_index(&digest, pos)?;
            self.raise_floor(old.live_until);
            if let Some(e) = self.slots.as_mut().get_mut(pos) {
                e.live_until = 0;
            }
            free = self.find(&digest)?.1; // the removal may have moved the gap
        }
        if self.len >= n {
            return Err(FULL);
        }
        let pos = (self.head + self.len) % n;
        let entry = self.slots.as_mut().get_mut(pos).ok_or(INCONSISTENT)?;
        *entry = ReplayEntry {
            digest,
            live_until,
            index: entry.index,
        };
        self.set_slot(free, pos as u32 + 1)?;
        self.len += 1;
        Ok(())
    }

    /// Forgets the oldest entries while their tokens can no longer pass the time window.
    fn purge(&mut self, now: u64) -> Result<(), Error> {
        let n = self.slots.as_ref().len();
        while self.len > 0 {
            let head = *self.slots.as_ref().get(self.head).ok_or(INCONSISTENT)?;
            if head.live_until >= now {
                break;
            }
            self.remove_from_index(&head.digest, self.head)?;
            self.raise_floor(head.live_until);
            self.head = (self.head + 1) % n;
            self.len -= 1;
        }
        Ok(())
    }

    fn table_len(&self) -> usize {
        self.slots.as_ref().len() * 2
    }

    fn slot(&self, i: usize) -> Result<u32, Error> {
        let n = self.slots.as_ref().len();
        let (entry, half) = if i < n { (i, 0) } else { (i - n, 1) };
        let e = self.slots.as_ref().get(entry).ok_or(INCONSISTENT)?;
        e.index.get(half).copied().ok_or(INCONSISTENT)
    }

    fn set_slot(&mut self, i: usize, v: u32) -> Result<(), Error> {
        let n = self.slots.as_ref().len();
        let (entry, half) = if i < n { (i, 0) } else { (i - n, 1) };
        let e = self.slots.as_mut().get_mut(entry).ok_or(INCONSISTENT)?;
        *e.index.get_mut(half).ok_or(INCONSISTENT)? = v;
        Ok(())
    }

    fn home(&self, digest: &[u8; DIGEST_LEN]) -> usize {
        let h = u64::from_le_bytes([
            digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
        ]);
        (h % self.table_len() as u64) as usize
    }

    /// Linear probe for `digest`: its ring position if present, else the first empty slot.
    /// The table is at most half full, so the probe ends.
    fn find(&self, digest: &[u8; DIGEST_LEN]) -> Result<(Option<usize>, usize), Error> {
        let m = self.table_len();
        let mut i = self.home(digest);
        for _ in 0..m {
            match self.slot(i)? {
                0 => return Ok((None, i)),
                v => {
                    let pos = v as usize - 1;
                    if self.slots.as_ref().get(pos).ok_or(INCONSISTENT)?.digest == *digest {
                        return Ok((Some(pos), i));
                    }
                }
            }
            i = if i + 1 == m { 0 } else { i + 1 };
        }
        Err(INCONSISTENT)
    }

    /// Removes the index slot of ring position `pos` and closes the gap (backward shift), so
    /// probes stay short without tombstones.
    fn remove_from_index(&mut self, digest: &[u8; DIGEST_LEN], pos: usize) -> Result<(), Error> {
        let m = self.table_len();
        let mut i = self.home(digest);
        let target = pos as u32 + 1;
        // Linear probing keeps an entry between its home and the first empty slot; reaching an
        // empty slot means it is not indexed (a retired entry): nothing to remove.
        let mut steps = 0;
        loop {
            match self.slot(i)? {
                v if v == target => break,
                0 => return Ok(()),
                _ => {}
            }
            i = (i + 1) % m;
            steps += 1;
            if steps >= m {
                return Err(INCONSISTENT);
            }
        }
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) % m;
            let v = self.slot(j)?;
            if v == 0 {
                break;
            }
            let d = self
                .slots
                .as_ref()
                .get(v as usize - 1)
                .ok_or(INCONSISTENT)?
                .digest;
            let home = self.home(&d);
            // Move the entry at j into the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.set_slot(hole, v)?;
                hole = j;
            }
        }
        self.set_slot(hole, 0)
    }
}

/// The `jti`'s 128-bit SipHash-1-3 digest under a fixed key.
///
/// Not a cryptographic hash, and it need not be one: only tokens whose signature verified
/// reach the cache, so only holders of the signing key choose `jti`s, and they can mint any
/// token anyway. Between honestly chosen `jti`s a 128-bit digest collides with negligible
/// probability, and a collision fails closed (a genuine token refused, never a replay
/// admitted). SipHash costs a third of the SHA-256 it replaced on a 36-byte UUID.
fn digest(jti: &str) -> [u8; DIGEST_LEN] {
    const KEY: (u64, u64) = (0x6866_6a77_745f_6a74, 0x695f_7265_706c_6179); // "hfjwt_jti_replay"
    SipHasher13::new_with_keys(KEY.0, KEY.1)
        .hash(jti.as_bytes())
        .as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn refuses_live_duplicates_and_forgets_dead_ones() {
        let mut c = ReplayCache::<4>::new();
        assert_eq!(c.record("a", 120, 0), Ok(()));
        assert_eq!(
            c.record("a", 130, 10).map_err(|e| e.kind()),
            Err(ErrorKind::Replayed)
        );
        assert_eq!(
            c.record("a", 240, 120).map_err(|e| e.kind()),
            Err(ErrorKind::Replayed)
        );
        // At 121 the first token is dead: the entry is purged and the jti may come again.
        assert_eq!(c.record("a", 241, 121), Ok(()));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn full_of_live_entries_fails_closed() {
        let mut c = ReplayCache::<3>::new();
        for j in ["a", "b", "c"] {
            c.record(j, 100, 0).unwrap();
        }
        assert_eq!(
            c.record("d", 100, 50).map_err(|e| e.kind()),
            Err(ErrorKind::ReplayCacheFull)
        );
        // Nothing was forgotten.
        for j in ["a", "b", "c"] {
            assert_eq!(
                c.record(j, 100, 50).map_err(|e| e.kind()),
                Err(ErrorKind::Replayed)
            );
        }
        assert_eq!(c.record("d", 200, 101), Ok(()));
    }

    #[test]
    fn floor_refuses_tokens_that_may_have_been_forgotten() {
        let mut c = ReplayCache::<2>::new();
        c.forget_through(150);
        assert_eq!(c.record("x", 150, 100), Err(BEFORE_HORIZON));
        assert_eq!(c.record("x", 151, 100), Ok(()));
        // Purging raises the floor: after the clock is set back, the purged token stays out.
        c.record("y", 300, 200).unwrap();
        assert_eq!(c.record("x", 151, 120), Err(BEFORE_HORIZON));
    }

    #[test]
    fn reused_dead_jti_goes_to_the_tail_and_its_old_slot_is_freed() {
        let mut c = ReplayCache::<3>::new();
        c.record("head", 100, 0).unwrap(); // long-lived head
        c.record("x", 5, 0).unwrap(); // dies at 6, stuck behind the head
        // At 6, "x" comes back: accepted, the old entry retired (still holding its slot).
        assert_eq!(c.record("x", 126, 6), Ok(()));
        assert_eq!(c.len(), 3);
        assert_eq!(
            c.record("x", 126, 7).map_err(|e| e.kind()),
            Err(ErrorKind::Replayed)
        );
        assert_eq!(
            c.record("y", 126, 7).map_err(|e| e.kind()),
            Err(ErrorKind::ReplayCacheFull)
        );
        // Once the head dies, it and the retired entry are purged together.
        assert_eq!(c.record("y", 226, 101), Ok(()));
        assert_eq!(c.len(), 2);
        assert_eq!(
            c.record("x", 226, 101).map_err(|e| e.kind()),
            Err(ErrorKind::Replayed)
        );
    }

    #[test]
    fn an_inconsistent_ring_is_not_reported_as_full() {
        // A state the ring's invariants rule out (its head outside the slots): the cache
        // cannot tell whether a jti was seen, so it refuses, but not as `replay_cache_full`
        // (waiting for entries to expire would not help).
        let mut c = ReplayCache::<2>::new();
        c.record("a", 100, 0).unwrap();
        c.ring.head = 7;
        let e = c.record("b", 200, 150).unwrap_err();
        assert_eq!(e.reason(), Reason::CacheInconsistent);
        assert_eq!(e.kind(), ErrorKind::ReplayStoreUnavailable);
    }

    #[test]
    fn zero_capacity_is_always_full() {
        let mut c = ReplayCache::<0>::new();
        assert_eq!(
            c.record("a", 1, 0).map_err(|e| e.kind()),
            Err(ErrorKind::ReplayCacheFull)
        );
    }

    #[test]
    fn index_survives_heavy_churn() {
        // Many jtis with the same lifetime churn through a small cache; every live one must
        // still be found after thousands of backward-shift deletions.
        let mut c = ReplayCache::<8>::new();
        let rounds = if cfg!(miri) { 60 } else { 5000 }; // Miri interprets ~1000x slower
        for t in 0u64..rounds {
            let jti = std::format!("j{t}");
            assert_eq!(c.record(&jti, t + 7, t), Ok(()), "t={t}");
            // Every jti recorded in the last 8 seconds is live and refused.
            for back in 0..t.min(7) {
                let old = std::format!("j{}", t - back);
                assert_eq!(
                    c.record(&old, t + 7, t).map_err(|e| e.kind()),
                    Err(ErrorKind::Replayed)
                );
            }
        }
    }
}
