//! The shared replay store against a real `redis-server` (started per test on a free
//! loopback port, see `common/redis_server.rs`): exactly-once acceptance across OS processes
//! and threads, fail-closed behaviour when Redis stops or freezes, recovery, key TTLs, and
//! that refused tokens never create a key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/redis_server.rs"]
mod redis_server;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hfjwt::{AnyDomain, ErrorKind, Grant, Key, Policy, Verifier, mint};
use hfjwt_redis::RedisReplayStore;
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use redis_server::RedisServer;

const KEY: &[u8] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";

/// One verify call of a worker: the jti, the result, whether the stop had completed before.
type Call = (String, Result<(), ErrorKind>, bool);
const PROCESSES: usize = 8;
const THREADS: usize = 8;
const TOKENS: usize = 1000;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(jti: &str, iat: u64) -> String {
    let mut buf = [0u8; 512];
    mint(
        &Key::new(KEY).unwrap(),
        &Grant::new("jo@acme.com", iat, jti).with_name("Jo"),
        &mut buf,
    )
    .unwrap()
    .to_string()
}

fn tokens(iat: u64) -> Vec<(String, String)> {
    (0..TOKENS)
        .map(|i| {
            let jti = format!("tok-{i}");
            let t = token(&jti, iat);
            (jti, t)
        })
        .collect()
}

fn verifier(store: RedisReplayStore) -> Verifier<RedisReplayStore> {
    Verifier::with_parts(Key::new(KEY).unwrap(), Policy::new(), AnyDomain, store)
}

fn verify(v: &mut Verifier<RedisReplayStore>, token: &str) -> Result<(), ErrorKind> {
    let mut scratch = [0u8; 512];
    v.verify(token, unix_now(), &mut scratch)
        .map(|_| ())
        .map_err(|e| e.kind())
}

/// Runs THREADS threads, each with its own verifier (and its own store on `url`), over the
/// same tokens in its own shuffled order; returns the jtis each accepted.
fn run_threads(url: &str, iat: u64, seed: u64) -> Vec<String> {
    let tokens = Arc::new(tokens(iat));
    let handles: Vec<_> = (0..THREADS as u64)
        .map(|t| {
            let tokens = Arc::clone(&tokens);
            let url = url.to_string();
            std::thread::spawn(move || {
                let mut v = verifier(RedisReplayStore::open(&url).unwrap());
                let mut order: Vec<usize> = (0..tokens.len()).collect();
                order.shuffle(&mut StdRng::seed_from_u64(seed * 1000 + t));
                let mut accepted = Vec::new();
                for i in order {
                    let (jti, tok) = &tokens[i];
                    match verify(&mut v, tok) {
                        Ok(()) => accepted.push(jti.clone()),
                        Err(ErrorKind::Replayed) => {}
                        Err(other) => panic!("{jti}: unexpected {other}"),
                    }
                }
                accepted
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

/// The body of each child process of [`every_token_is_accepted_exactly_once_across_8_processes_of_8_threads`]
/// (a no-op when run directly).
#[test]
fn child_worker() {
    let Ok(spec) = std::env::var("HFJWT_REDIS_CHILD") else {
        return;
    };
    let mut parts = spec.split('|');
    let (url, iat, seed) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().parse().unwrap(),
    );
    for jti in run_threads(&url, iat, seed) {
        println!("ACCEPTED {jti}");
    }
}

#[test]
fn every_token_is_accepted_exactly_once_across_8_processes_of_8_threads() {
    let redis = RedisServer::start();
    let iat = unix_now();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|p| {
            Command::new(&exe)
                .args(["child_worker", "--exact", "--nocapture", "--test-threads=1"])
                .env(
                    "HFJWT_REDIS_CHILD",
                    format!("{}|{iat}|{}", redis.url(), p + 1),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut count: HashMap<String, usize> = HashMap::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // The harness prints "test child_worker ... " on the line of the first result.
            if let Some((_, jti)) = line.split_once("ACCEPTED ") {
                *count.entry(jti.to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(count.len(), TOKENS, "every token accepted once");
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "accepted more than once: {twice:?}");
    // One key per token, nothing else.
    assert_eq!(redis.cmd(&["DBSIZE"]).as_deref(), Some("1000"));
}

#[test]
fn redis_stopped_mid_run_refuses_everything_then_resumes_with_its_memory() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let iat = unix_now();
    let tokens = Arc::new(tokens(iat));
    let stopped = Arc::new(AtomicBool::new(false));
    let accepted_before_stop = Arc::new(AtomicUsize::new(0));
    let log: Arc<Mutex<Vec<Call>>> = Arc::default();
    let workers: Vec<_> = (0..THREADS as u64)
        .map(|t| {
            let (tokens, stopped, log, url) =
                (tokens.clone(), stopped.clone(), log.clone(), url.clone());
            let accepted = accepted_before_stop.clone();
            std::thread::spawn(move || {
                let mut v = verifier(RedisReplayStore::open(&url).unwrap());
                let mut order: Vec<usize> = (0..tokens.len()).collect();
                order.shuffle(&mut StdRng::seed_from_u64(t));
                for i in order {
                    let (jti, tok) = &tokens[i];
                    let after_stop = stopped.load(Ordering::SeqCst);
                    let r = verify(&mut v, tok);
                    if r.is_ok() {
                        accepted.fetch_add(1, Ordering::SeqCst);
                    }
                    log.lock().unwrap().push((jti.clone(), r, after_stop));
                    // Slow enough that the stop lands mid-run.
                    std::thread::sleep(Duration::from_micros(200));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while accepted_before_stop.load(Ordering::SeqCst) < 300 {
        assert!(Instant::now() < deadline, "workers too slow");
        std::thread::sleep(Duration::from_millis(1));
    }
    redis.stop_keeping_data();
    stopped.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let log = Arc::try_unwrap(log).unwrap().into_inner().unwrap();
    let mut accepted: HashMap<&str, usize> = HashMap::new();
    let mut after = 0;
    for (jti, r, after_stop) in &log {
        match r {
            Ok(()) => *accepted.entry(jti).or_default() += 1,
            Err(ErrorKind::Replayed | ErrorKind::ReplayStoreUnavailable) => {}
            Err(other) => panic!("{jti}: unexpected {other}"),
        }
        if *after_stop {
            after += 1;
            assert_eq!(
                *r,
                Err(ErrorKind::ReplayStoreUnavailable),
                "{jti} after the stop"
            );
        }
    }
    assert!(after > 0, "the stop landed after the run: nothing tested");
    assert!(accepted.values().all(|n| *n == 1), "a token accepted twice");
    assert!(
        accepted.len() < TOKENS,
        "everything accepted before the stop"
    );

    // Started again with its data: every token accepted before is still refused, and the
    // ones never accepted are accepted exactly once now.
    redis.restart();
    let mut v = verifier(RedisReplayStore::open(&url).unwrap());
    for (jti, tok) in tokens.iter() {
        let want = if accepted.contains_key(jti.as_str()) {
            Err(ErrorKind::Replayed)
        } else {
            Ok(())
        };
        let got = verify(&mut v, tok);
        // A SET that Redis executed while its reply was lost in the stop was refused as
        // unavailable and is remembered: refused again as replayed (fail closed).
        assert!(
            got == want || (want.is_ok() && got == Err(ErrorKind::Replayed)),
            "{jti}: {got:?}, want {want:?}"
        );
        assert_eq!(verify(&mut v, tok), Err(ErrorKind::Replayed), "{jti}");
    }
}

#[test]
fn a_frozen_redis_times_out_as_unavailable_and_the_next_call_reconnects() {
    let redis = RedisServer::start();
    let store = RedisReplayStore::builder(redis.url())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let mut v = verifier(store.clone());
    let iat = unix_now();
    assert_eq!(verify(&mut v, &token("warm", iat)), Ok(()));
    redis.freeze();
    for i in 0..3 {
        let started = Instant::now();
        let r = verify(&mut v, &token(&format!("frozen-{i}"), iat));
        let took = started.elapsed();
        assert_eq!(r, Err(ErrorKind::ReplayStoreUnavailable));
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert!(took >= Duration::from_millis(150), "took {took:?}");
    }
    assert_eq!(
        store.ping().unwrap_err().kind(),
        ErrorKind::ReplayStoreUnavailable
    );
    redis.thaw();
    // The frozen calls' SETs may have been executed once Redis thawed: refused, never twice.
    for i in 0..3 {
        let r = verify(&mut v, &token(&format!("frozen-{i}"), iat));
        assert!(matches!(r, Ok(()) | Err(ErrorKind::Replayed)), "{r:?}");
        assert_eq!(
            verify(&mut v, &token(&format!("frozen-{i}"), iat)),
            Err(ErrorKind::Replayed)
        );
    }
    assert_eq!(verify(&mut v, &token("after", iat)), Ok(()));
    assert!(store.ping().is_ok());
}

#[test]
fn the_key_lives_exactly_as_long_as_the_token_could_pass() {
    let redis = RedisServer::start();
    let store = RedisReplayStore::builder(redis.url())
        .prefix("ttl:")
        .build()
        .unwrap();
    let mut v = Verifier::with_parts(
        Key::new(KEY).unwrap(),
        Policy::new().max_age(120).leeway(5),
        AnyDomain,
        store.clone(),
    );
    let now = unix_now();
    let iat = now - 30;
    let mut scratch = [0u8; 512];
    v.verify(&token("ttl-1", iat), now, &mut scratch).unwrap();
    let key = store.key_for("ttl-1");
    assert!(key.starts_with("ttl:") && key.len() == 4 + 64, "{key}");
    assert_eq!(redis.cmd(&["GET", &key]).as_deref(), Some("1"));
    // Passes until iat + 125 inclusive: the key lives (iat + 125 + 1 - now) s = 96 s from
    // the call, less the time since.
    let pttl: i64 = redis.cmd(&["PTTL", &key]).unwrap().parse().unwrap();
    let want = ((iat + 125 + 1 - now) * 1000) as i64;
    assert!(
        (want - 2000..=want).contains(&pttl),
        "PTTL {pttl}, want about {want}"
    );
}

#[test]
fn refused_tokens_never_create_a_key() {
    let redis = RedisServer::start();
    let mut v = verifier(RedisReplayStore::open(&redis.url()).unwrap());
    let now = unix_now();
    let other = Key::new(b"Zz9yXx8wWv7uUt6sSr5qQp4oOn3mMl2k").unwrap();
    let mut buf = [0u8; 512];
    let forged = mint(&other, &Grant::new("jo@acme.com", now, "forged"), &mut buf)
        .unwrap()
        .to_string();
    let mut buf = [0u8; 512];
    let bound = mint(
        &Key::new(KEY).unwrap(),
        &Grant::new("jo@acme.com", now, "bound").with_audience("kiosk-b"),
        &mut buf,
    )
    .unwrap()
    .to_string();
    for (tok, kind) in [
        (token("expired", now - 500), ErrorKind::Expired),
        (token("future", now + 500), ErrorKind::IssuedInFuture),
        (forged, ErrorKind::BadSignature),
        (bound, ErrorKind::WrongAudience),
        ("not.a.token".to_string(), ErrorKind::Malformed),
    ] {
        assert_eq!(verify(&mut v, &tok), Err(kind));
    }
    assert_eq!(redis.cmd(&["DBSIZE"]).as_deref(), Some("0"));
}

#[test]
fn prefixes_separate_applications_and_the_horizon_is_local() {
    let redis = RedisServer::start();
    let iat = unix_now();
    let tok = token("shared", iat);
    let a = RedisReplayStore::builder(redis.url())
        .prefix("a:")
        .build()
        .unwrap();
    let b = RedisReplayStore::builder(redis.url())
        .prefix("b:")
        .build()
        .unwrap();
    assert_eq!(verify(&mut verifier(a.clone()), &tok), Ok(()));
    assert_eq!(verify(&mut verifier(b), &tok), Ok(()));
    assert_eq!(
        verify(&mut verifier(a.clone()), &tok),
        Err(ErrorKind::Replayed)
    );
    // A verifier that starts remembering now refuses older tokens without asking Redis.
    let mut v = verifier(a);
    v.remember_from(iat + 10);
    assert_eq!(
        verify(&mut v, &token("old-but-new-jti", iat)),
        Err(ErrorKind::Replayed)
    );
    assert_eq!(redis.cmd(&["DBSIZE"]).as_deref(), Some("2"));
}

#[test]
fn a_unix_socket_url_works() {
    // A second server on a Unix socket only (port 0: no TCP).
    let dir = std::env::temp_dir().join(format!("hfjwt-redis-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("redis.sock");
    let mut child = Command::new("redis-server")
        .args(["--port", "0", "--save", "", "--appendonly", "no"])
        .arg("--unixsocket")
        .arg(&sock)
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (scripts/install-redis.sh)");
    let url = format!("unix://{}", sock.display());
    let store = RedisReplayStore::open(&url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.ping().is_err() {
        assert!(Instant::now() < deadline, "no answer on {url}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut v = verifier(store);
    let tok = token("unix", unix_now());
    let results = [verify(&mut v, &tok), verify(&mut v, &tok)];
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(results, [Ok(()), Err(ErrorKind::Replayed)]);
}
