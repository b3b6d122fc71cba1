//! Verifies per second and p50/p99 latency of `Verifier::verify` with the in-memory replay
//! cache and with the Redis store on loopback, for 1, 4 and 16 concurrent clients (threads in
//! one process, and separate processes), plus where the time goes: the verifier's own work
//! (every check but replay) against the Redis round trip (`SET NX PX` alone).
//!
//! Starts its own `redis-server` on a free loopback port (scripts/install-redis.sh).
//!
//!   cargo bench -p hfjwt-redis --bench replay_store            # a few minutes
//!   HFJWT_BENCH_TOKENS=2000 HFJWT_BENCH_REPEAT=1 cargo bench -p hfjwt-redis --bench replay_store
//!
//! Each row is run HFJWT_BENCH_REPEAT times (default 3) and the run with the median
//! throughput is printed. A benchmark, not a test: it asserts nothing about speed. Numbers
//! from a shared machine vary; compare rows of one run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/redis_server.rs"]
mod redis_server;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hfjwt::{AnyDomain, Grant, HeapReplayCache, Key, Policy, ReplayStore, Verifier, mint};
use hfjwt_redis::RedisReplayStore;
use redis_server::RedisServer;

const KEY: &[u8] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Distinct tokens for one client, each a typical HappyFox token (~250 bytes).
fn tokens(tag: &str, n: usize, iat: u64) -> Vec<String> {
    let key = Key::new(KEY).unwrap();
    (0..n)
        .map(|i| {
            let jti = format!("{tag}-{i}-5c8e0a4e-0b7f-4c1d-9a7e-2f0c6b1d");
            let g = Grant::new("john.doe@example-customer.com", iat, &jti).with_name("John Doe");
            let mut buf = [0u8; 512];
            mint(&key, &g, &mut buf).unwrap().to_string()
        })
        .collect()
}

/// A store with a 2 s timeout: on a loaded shared machine Redis can stall past the default
/// 200 ms, which a verifier rightly refuses (`replay_store_unavailable`) but which would end a
/// benchmark that measures latency.
fn bench_store(url: &str) -> RedisReplayStore {
    RedisReplayStore::builder(url)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// Which replay store a client uses.
#[derive(Clone, Copy)]
enum Store<'a> {
    Memory,
    Redis(&'a str),
}

/// Verifies every token once; returns each call's latency in nanoseconds and the wall time.
fn client(store: Store<'_>, tokens: &[String]) -> (Vec<u64>, Duration) {
    let key = Key::new(KEY).unwrap();
    let replay: Box<dyn ReplayStore + Send> = match store {
        Store::Memory => Box::new(HeapReplayCache::new(tokens.len() + 1)),
        Store::Redis(url) => Box::new(bench_store(url)),
    };
    let mut v = Verifier::with_parts(key, Policy::new(), AnyDomain, replay);
    let mut scratch = [0u8; 512];
    let mut lat = Vec::with_capacity(tokens.len());
    let now = unix_now();
    let start = Instant::now();
    for t in tokens {
        let s = Instant::now();
        v.verify(t.as_str(), now, &mut scratch).unwrap();
        lat.push(s.elapsed().as_nanos() as u64);
    }
    (lat, start.elapsed())
}

struct Row {
    verifies: usize,
    wall: Duration,
    lat: Vec<u64>,
}

impl Row {
    fn rate(&self) -> f64 {
        self.verifies as f64 / self.wall.as_secs_f64()
    }

    fn print(mut self, label: &str) -> (u64, u64) {
        self.lat.sort_unstable();
        let pct = |p: usize| self.lat[(self.lat.len() * p / 100).min(self.lat.len() - 1)];
        let (p50, p99) = (pct(50), pct(99));
        println!(
            "{label:<34} {:>10.0} verifies/s   p50 {:>7.1} µs   p99 {:>7.1} µs",
            self.rate(),
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0
        );
        (p50, p99)
    }
}

fn threads(store: Store<'_>, clients: usize, per_client: usize, run: &str) -> Row {
    let iat = unix_now();
    let sets: Vec<Vec<String>> = (0..clients)
        .map(|c| tokens(&format!("{run}-t{c}"), per_client, iat))
        .collect();
    let start = Instant::now();
    let results: Vec<(Vec<u64>, Duration)> = std::thread::scope(|s| {
        let hs: Vec<_> = sets
            .iter()
            .map(|t| s.spawn(move || client(store, t)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = start.elapsed();
    Row {
        verifies: clients * per_client,
        wall,
        lat: results.into_iter().flat_map(|(l, _)| l).collect(),
    }
}

/// Child process body: `HFJWT_BENCH_CHILD=<memory|redis URL>|<tag>|<count>|<start at, unix µs>`.
/// Mints its tokens, waits for the common start, verifies, prints its end time and latencies.
fn child(spec: &str) {
    let mut p = spec.split('|');
    let (store, tag, n, start_at): (&str, &str, usize, u64) = (
        p.next().unwrap(),
        p.next().unwrap(),
        p.next().unwrap().parse().unwrap(),
        p.next().unwrap().parse().unwrap(),
    );
    let toks = tokens(tag, n, unix_now());
    let store = if store == "memory" {
        Store::Memory
    } else {
        Store::Redis(store)
    };
    std::thread::sleep(Duration::from_micros(start_at.saturating_sub(unix_us())));
    let (lat, _) = client(store, &toks);
    let mut out = format!("END {}\n", unix_us());
    for l in lat {
        out.push_str(&format!("{l}\n"));
    }
    print!("{out}");
}

fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn processes(store: &str, clients: usize, per_client: usize, run: &str) -> Row {
    let exe = std::env::current_exe().unwrap();
    // Every client starts at the same moment, after all have started and minted.
    let start_at = unix_us() + 500_000 + 50_000 * clients as u64;
    let children: Vec<_> = (0..clients)
        .map(|c| {
            Command::new(&exe)
                .env(
                    "HFJWT_BENCH_CHILD",
                    format!("{store}|{run}-p{c}|{per_client}|{start_at}"),
                )
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut lat = Vec::new();
    let mut end = start_at;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(e) = line.strip_prefix("END ") {
                end = end.max(e.parse().unwrap());
            } else if let Ok(l) = line.parse() {
                lat.push(l);
            }
        }
    }
    Row {
        verifies: clients * per_client,
        wall: Duration::from_micros(end - start_at),
        lat,
    }
}

fn main() {
    if let Ok(spec) = std::env::var("HFJWT_BENCH_CHILD") {
        return child(&spec);
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing else useful.
    let per_run: usize = std::env::var("HFJWT_BENCH_TOKENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16_000);
    let redis = RedisServer::start();
    let url = redis.url();
    println!(
        "hfjwt verify with a replay store: {per_run} verifies per row, split over the clients; \
         Redis {} on 127.0.0.1",
        redis
            .cmd(&["INFO", "server"])
            .and_then(|i| i
                .lines()
                .find_map(|l| l.strip_prefix("redis_version:").map(str::to_string)))
            .unwrap_or_default()
    );
    let repeat: usize = std::env::var("HFJWT_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    println!("each row: the run with the median throughput of {repeat}");
    // Runs one configuration `repeat` times and keeps the median run (by throughput).
    let median = |make: &mut dyn FnMut(usize) -> Row| {
        let mut rows: Vec<Row> = (0..repeat).map(&mut *make).collect();
        rows.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
        rows.swap_remove(repeat / 2)
    };
    let mut memory_p50 = 0;
    let mut redis_p50 = 0;
    for clients in [1, 4, 16] {
        let per = per_run / clients;
        let (p50, _) =
            median(&mut |r| threads(Store::Memory, clients, per, &format!("m{clients}-{r}")))
                .print(&format!("in-memory, {clients:>2} threads"));
        if clients == 1 {
            memory_p50 = p50;
        }
        let (p50, _) =
            median(&mut |r| threads(Store::Redis(&url), clients, per, &format!("r{clients}-{r}")))
                .print(&format!("Redis,     {clients:>2} threads"));
        if clients == 1 {
            redis_p50 = p50;
        }
    }
    for clients in [1, 4, 16] {
        let per = per_run / clients;
        median(&mut |r| processes("memory", clients, per, &format!("pm{clients}-{r}")))
            .print(&format!("in-memory, {clients:>2} processes"));
        median(&mut |r| processes(&url, clients, per, &format!("pr{clients}-{r}")))
            .print(&format!("Redis,     {clients:>2} processes"));
    }

    // Where the time goes, one client: the verifier's own work (every check but replay)
    // and the store's SET NX PX alone.
    let iat = unix_now();
    let toks = tokens("share", per_run, iat);
    let verifier: Verifier<HeapReplayCache> = Verifier::with_parts(
        Key::new(KEY).unwrap(),
        Policy::new(),
        AnyDomain,
        HeapReplayCache::new(1),
    );
    let mut scratch = [0u8; 512];
    let mut store = bench_store(&url);
    // Paired and interleaved (check, then SET, token by token), so load on a shared machine
    // hits both the same way.
    let (mut own, mut set): (Vec<u64>, Vec<u64>) = toks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let s = Instant::now();
            verifier.check(t.as_str(), iat, &mut scratch).unwrap();
            let own = s.elapsed().as_nanos() as u64;
            let jti = format!("share-set-{i}");
            let s = Instant::now();
            store.record(&jti, iat + 120, iat).unwrap();
            (own, s.elapsed().as_nanos() as u64)
        })
        .unzip();
    own.sort_unstable();
    set.sort_unstable();
    let (own50, set50) = (own[own.len() / 2], set[set.len() / 2]);
    println!(
        "one client: verifier's own work p50 {:.1} µs, Redis SET NX PX round trip p50 {:.1} µs: \
         the verifier is {:.1} % of the round trip ({:.1} % of a Redis-backed verify; \
         in-memory verify p50 {:.1} µs, Redis-backed {:.1} µs)",
        own50 as f64 / 1000.0,
        set50 as f64 / 1000.0,
        100.0 * own50 as f64 / set50 as f64,
        100.0 * own50 as f64 / redis_p50.max(1) as f64,
        memory_p50 as f64 / 1000.0,
        redis_p50 as f64 / 1000.0,
    );
}
