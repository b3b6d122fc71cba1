//! Replay under load: millions of `jti`s, random and colliding, through one replay cache over
//! simulated time, checked against a reference model (`jti` → `live_until`).
//!
//! The property: a `jti` is never accepted while a token with that `jti` is still live, and a
//! full cache of live entries refuses (`replay_cache_full`) instead of forgetting one.
//!
//! Size: 1 million records in a debug build (`cargo test -p hfjwt --test replay_load`), 10
//! million in release (`cargo test --release -p hfjwt --test replay_load -- --nocapture`);
//! `HFJWT_REPLAY_LOAD_N` overrides. Throughput is printed (`--nocapture` to see it).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use hfjwt::{ErrorKind, Grant, Key, Policy, ReplayCache, ReplayStore, Verifier, mint};

/// SplitMix64: small, seeded, no dependency on the rand API.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WINDOW: u64 = 120;
const CAPACITY: usize = 1024;

fn records() -> usize {
    if let Some(n) = std::env::var("HFJWT_REPLAY_LOAD_N")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if cfg!(debug_assertions) {
        1_000_000
    } else {
        10_000_000
    }
}

#[derive(Default, Debug)]
struct Tally {
    accepted: u64,
    replayed_live: u64,
    replayed_floor: u64,
    full: u64,
}

#[test]
fn no_jti_is_accepted_twice_while_live_under_load() {
    let n = records();
    let mut rng = Rng(0x0005_EED0_F4A1_10AD);
    // Precomputed jtis, so the timed loop measures the cache, not formatting. 2^18 of them:
    // fresh picks collide with remembered entries (live or dead) all the time.
    let pool: Vec<String> = (0..1u64 << 18)
        .map(|i| format!("{:016x}-{i}", rng.next()))
        .collect();

    let mut cache = ReplayCache::<CAPACITY>::new();
    let mut model: HashMap<&str, u64> = HashMap::new();
    // live_until of every accepted token not yet past, smallest first; once past, it bounds the
    // cache's memory floor from above.
    let mut pending: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let mut max_dead = None::<u64>;
    let mut recent: Vec<&str> = Vec::with_capacity(256);
    let mut tally = Tally::default();

    let mut now: u64 = 1_700_000_000;
    let start = Instant::now();
    for i in 0..n {
        // About 11 tokens per simulated second: more than the cache can hold for a whole
        // window (1024 / 120 s = 8.5/s), so it runs full of live entries regularly.
        if rng.below(1000) < 90 {
            now += 1;
        }
        while let Some(&Reverse(lu)) = pending.peek() {
            if lu >= now {
                break;
            }
            pending.pop();
            max_dead = Some(max_dead.map_or(lu, |m: u64| m.max(lu)));
        }
        let jti: &str = match rng.below(10) {
            // A replay of something accepted recently (most are still live).
            0..=1 if !recent.is_empty() => recent[rng.below(recent.len() as u64) as usize],
            _ => &pool[rng.below(pool.len() as u64) as usize],
        };
        // Tokens arrive up to 10 s after they were issued; a few are late-ish.
        let iat = now - rng.below(if i % 97 == 0 { 100 } else { 10 });
        let live_until = iat + WINDOW;

        let live_in_model = model.get(jti).is_some_and(|&lu| lu >= now);
        match cache.record(jti, live_until, now) {
            Ok(()) => {
                assert!(
                    !live_in_model,
                    "accepted {jti} twice while live (record {i}, now {now})"
                );
                tally.accepted += 1;
                model.insert(jti, live_until);
                pending.push(Reverse(live_until));
                if recent.len() < 256 {
                    recent.push(jti);
                } else {
                    recent[i % 256] = jti;
                }
            }
            Err(e) if e.kind() == ErrorKind::Replayed => {
                if live_in_model {
                    tally.replayed_live += 1;
                } else {
                    // Refused without a live twin: only allowed because of the memory floor.
                    assert!(
                        max_dead.is_some_and(|m| live_until <= m),
                        "refused {jti} as replayed with no live twin and above the floor"
                    );
                    tally.replayed_floor += 1;
                }
            }
            Err(e) if e.kind() == ErrorKind::ReplayCacheFull => {
                // Fail closed: only when every slot is taken, and nothing was forgotten.
                assert_eq!(cache.len(), CAPACITY);
                assert!(
                    !live_in_model,
                    "a live duplicate must be `replayed`, not `full`"
                );
                tally.full += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "replay load: {n} records in {secs:.2} s = {:.2} M records/s over {} simulated s; {tally:?}",
        n as f64 / secs / 1e6,
        now - 1_700_000_000
    );
    // Every path was taken, many times.
    assert!(tally.accepted > n as u64 / 4, "{tally:?}");
    assert!(tally.replayed_live > n as u64 / 20, "{tally:?}");
    assert!(tally.full > 1000, "{tally:?}");
}

#[test]
fn full_cache_of_live_entries_fails_closed_and_recovers() {
    let mut cache = ReplayCache::<64>::new();
    let now = 1_000;
    for i in 0..64 {
        cache.record(&format!("j{i}"), now + WINDOW, now).unwrap();
    }
    // Full of live entries: a new jti is refused, a live one is still `replayed`.
    for t in now..=now + WINDOW {
        let err = cache.record("new", t + WINDOW, t).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ReplayCacheFull, "t={t}");
        for i in [0, 31, 63] {
            let err = cache.record(&format!("j{i}"), t + WINDOW, t).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Replayed);
        }
    }
    // One second after the window, every entry is dead: room again, and the old jtis may
    // come back (their tokens can no longer pass the time window anyway).
    let t = now + WINDOW + 1;
    cache.record("new", t + WINDOW, t).unwrap();
    cache.record("j0", t + WINDOW, t).unwrap();
}

#[test]
fn verifier_end_to_end_with_colliding_jtis() {
    // Real tokens through one Verifier: minted, verified, replayed, at a high simulated rate.
    let key = Key::new(b"0123456789abcdefghijklmnopqrstuv").unwrap();
    let mut verifier =
        Verifier::<ReplayCache<256>>::new(key.clone()).with_policy(Policy::new().leeway(2));
    let mut rng = Rng(42);
    let mut model: HashMap<String, u64> = HashMap::new();
    let (mut ok, mut replayed, mut full) = (0u32, 0u32, 0u32);
    let mut now = 1_700_000_000u64;
    let n = if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    };
    let start = Instant::now();
    let mut buf = [0u8; 256];
    let mut scratch = [0u8; 256];
    for _ in 0..n {
        if rng.below(4) == 0 {
            now += 1;
        }
        let jti = format!("j{}", rng.below(3000));
        let iat = now - rng.below(5);
        let token = mint(&key, &Grant::new("jo@acme.com", iat, &jti), &mut buf).unwrap();
        let live = model.get(&jti).is_some_and(|&lu| lu >= now);
        match verifier.verify(token, now, &mut scratch) {
            Ok(c) => {
                assert!(!live, "{jti} accepted twice while live");
                assert_eq!(c.jti, jti);
                model.insert(jti, iat + verifier.policy().window());
                ok += 1;
            }
            Err(e) if e.kind() == ErrorKind::Replayed => replayed += 1,
            Err(e) if e.kind() == ErrorKind::ReplayCacheFull => {
                assert_eq!(verifier.replay_store().len(), 256);
                full += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "verifier load: {n} mint+verify in {secs:.2} s = {:.0} tokens/s; accepted {ok}, replayed {replayed}, full {full}",
        n as f64 / secs
    );
    assert!(ok > 0 && replayed > 0 && full > 0);
}
