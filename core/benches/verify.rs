//! Verify and mint against their floor and a peer, printed as ratios in the same run.
//!
//! `cargo bench -p hfjwt`. The floor is HMAC-SHA256 keyed once and cloned per call over the
//! same signing input: the least any HS256 verifier must do. The peer is the `jsonwebtoken`
//! crate on the same token.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use hfjwt::{Grant, Key, Policy, ReplayCache, Verifier, mint, token_len};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const KEY: &[u8] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";
const IAT: u64 = 1_717_740_457;
const NOW: u64 = IAT + 30;

#[derive(Serialize, Deserialize)]
struct HappyFoxClaims {
    name: String,
    email: String,
    iat: u64,
    jti: String,
}

/// HappyFox's documented sample claims, with a per-token jti.
fn grant(jti: &str) -> Grant<'_> {
    Grant::new("john.doe@example-customer.com", IAT, jti).with_name("John Doe")
}

fn jti(i: usize) -> String {
    format!("2c65fe8c-2494-11ef-9bc0-{i:012x}")
}

fn mint_owned(key: &Key, g: &Grant<'_>) -> String {
    let mut buf = vec![0u8; token_len(g)];
    mint(key, g, &mut buf).unwrap().to_string()
}

fn benches(c: &mut Criterion) {
    let key = Key::new(KEY).unwrap();
    let token = mint_owned(&key, &grant(&jti(0)));
    let signing_input = token.rsplit_once('.').unwrap().0.to_string();
    println!("token: {} bytes", token.len());

    let mut g = c.benchmark_group("hs256");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));

    let floor_mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    g.bench_function("floor_hmac", |b| {
        b.iter(|| {
            let mut m = floor_mac.clone();
            m.update(black_box(signing_input.as_bytes()));
            black_box(m.finalize().into_bytes())
        })
    });

    let checker: Verifier = Verifier::new(key.clone());
    let mut scratch = [0u8; 1024];
    g.bench_function("hfjwt_verify_no_replay", |b| {
        b.iter(|| {
            let c = checker
                .check(black_box(token.as_str()), NOW, &mut scratch)
                .unwrap();
            black_box(c.iat)
        })
    });

    // With the replay cache: every token has its own jti; a fresh verifier per round of
    // 4096, so the cache fills from empty to 4096 live entries as a busy portal's would.
    const ROUND: usize = 4096;
    let tokens: Vec<String> = (0..ROUND)
        .map(|i| mint_owned(&key, &grant(&jti(i))))
        .collect();
    g.bench_function("hfjwt_verify_with_replay", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let mut v = Verifier::with_parts(
                    key.clone(),
                    Policy::new(),
                    hfjwt::AnyDomain,
                    Box::new(ReplayCache::<8192>::new()),
                );
                let n = (iters - done).min(ROUND as u64) as usize;
                let start = Instant::now();
                for t in &tokens[..n] {
                    let c = v.verify(black_box(t.as_str()), NOW, &mut scratch).unwrap();
                    black_box(c.iat);
                }
                total += start.elapsed();
                done += n as u64;
            }
            total
        })
    });

    let mut out = [0u8; 512];
    let grant0 = grant("2c65fe8c-2494-11ef-9bc0-000000000000");
    g.bench_function("hfjwt_mint", |b| {
        b.iter(|| black_box(mint(&key, black_box(&grant0), &mut out).unwrap().len()))
    });

    let dkey = DecodingKey::from_secret(KEY);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            black_box(
                jsonwebtoken::decode::<HappyFoxClaims>(black_box(&token), &dkey, &validation)
                    .unwrap()
                    .claims
                    .iat,
            )
        })
    });
    let ekey = EncodingKey::from_secret(KEY);
    let header = Header::new(Algorithm::HS256);
    let claims = HappyFoxClaims {
        name: "John Doe".into(),
        email: "john.doe@example-customer.com".into(),
        iat: IAT,
        jti: jti(0),
    };
    g.bench_function("jsonwebtoken_encode", |b| {
        b.iter(|| {
            black_box(
                jsonwebtoken::encode(&header, black_box(&claims), &ekey)
                    .unwrap()
                    .len(),
            )
        })
    });
    g.finish();
}

fn mean_ns(dir: &Path, id: &str) -> Option<f64> {
    let text =
        std::fs::read_to_string(dir.join("hs256").join(id).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn main() {
    let dir = PathBuf::from(
        std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into()),
    )
    .join("criterion");
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    benches(&mut c);
    c.final_summary();

    let Some(floor) = mean_ns(&dir, "floor_hmac") else {
        return;
    };
    println!(
        "\n{:<28} {:>10} {:>10} {:>14}",
        "benchmark", "ns/op", "x floor", "vs jsonwebtoken"
    );
    let peer_dec = mean_ns(&dir, "jsonwebtoken_decode");
    let peer_enc = mean_ns(&dir, "jsonwebtoken_encode");
    for (id, peer) in [
        ("floor_hmac", None),
        ("hfjwt_verify_no_replay", peer_dec),
        ("hfjwt_verify_with_replay", peer_dec),
        ("hfjwt_mint", peer_enc),
        ("jsonwebtoken_decode", None),
        ("jsonwebtoken_encode", None),
    ] {
        if let Some(ns) = mean_ns(&dir, id) {
            let vs = peer
                .map(|p| format!("{:.1}x faster", p / ns))
                .unwrap_or_default();
            println!("{id:<28} {ns:>10.1} {:>10.2} {vs:>14}", ns / floor);
        }
    }
}
