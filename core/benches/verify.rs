//! Verify and mint against their floor and a peer, printed as ratios in the same run.
//!
//! `cargo bench -p hfjwt` (pin it: `taskset -c 1 cargo bench -p hfjwt`). The floor is
//! HMAC-SHA256 keyed once and cloned per call over the same signing input: the least any HS256
//! verifier must do. The peer is the `jsonwebtoken` crate on the same token. One more row
//! verifies the same claims as PyJWT encodes them for a non-ASCII name (`\u00e9` escapes).
//!
//! Two passes. Criterion measures each workload on its own (absolute times). Then a paired
//! pass alternates every workload with a floor batch, round after round, and prints the median
//! ratio with its 10th–90th percentile spread: on a shared machine noise moves whole batches,
//! and a ratio taken between neighbouring batches cancels most of it. The table's ratios come
//! from the paired pass.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hfjwt::{AnyDomain, Grant, Key, Policy, ReplayCache, Verifier, mint, token_len};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const KEY: &[u8] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";
const IAT: u64 = 1_717_740_457;
const NOW: u64 = IAT + 30;
/// Distinct tokens for the replay workload: a fresh verifier per round of this many, so its
/// cache fills from empty to `ROUND` live entries as a busy portal's would.
const ROUND: usize = 4096;

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

type ReplayVerifier = Verifier<Box<ReplayCache<8192>>>;

/// Everything the workloads need, built once.
struct Fixture {
    key: Key,
    token: String,
    /// The same claims as PyJWT encodes them for a non-ASCII name (`ensure_ascii`).
    escaped: String,
    signing_input: String,
    tokens: Vec<String>,
    floor_mac: Hmac<Sha256>,
    checker: Verifier,
    scratch: [u8; 1024],
    out: [u8; 512],
    dkey: DecodingKey,
    validation: Validation,
    ekey: EncodingKey,
    header: Header,
    claims: HappyFoxClaims,
}

impl Fixture {
    fn new() -> Self {
        let key = Key::new(KEY).unwrap();
        let token = mint_owned(&key, &grant(&jti(0)));
        let signing_input = token.rsplit_once('.').unwrap().0.to_string();
        let tokens = (0..ROUND)
            .map(|i| mint_owned(&key, &grant(&jti(i))))
            .collect();
        let escaped = sign_pyjwt_style(
            br#"{"name":"Jos\u00e9 Doe","email":"john.doe@example-customer.com","iat":1717740457,"jti":"2c65fe8c-2494-11ef-9bc0-000000000000"}"#,
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        Fixture {
            checker: Verifier::new(key.clone()),
            floor_mac: Hmac::<Sha256>::new_from_slice(KEY).unwrap(),
            key,
            token,
            escaped,
            signing_input,
            tokens,
            scratch: [0; 1024],
            out: [0; 512],
            dkey: DecodingKey::from_secret(KEY),
            validation,
            ekey: EncodingKey::from_secret(KEY),
            header: Header::new(Algorithm::HS256),
            claims: HappyFoxClaims {
                name: "John Doe".into(),
                email: "john.doe@example-customer.com".into(),
                iat: IAT,
                jti: jti(0),
            },
        }
    }

    fn replay_verifier(&self) -> ReplayVerifier {
        Verifier::with_parts(
            self.key.clone(),
            Policy::new(),
            AnyDomain,
            Box::new(ReplayCache::new()),
        )
    }

    fn floor(&self) {
        let mut m = self.floor_mac.clone();
        m.update(black_box(self.signing_input.as_bytes()));
        black_box(m.finalize().into_bytes());
    }

    /// Verifies without replay the benchmark token, or with `escaped` its PyJWT-style twin.
    fn check(&mut self, escaped: bool) {
        let token = if escaped { &self.escaped } else { &self.token };
        let c = self
            .checker
            .check(black_box(token.as_str()), NOW, &mut self.scratch)
            .unwrap();
        black_box(c.iat);
    }

    /// Verifies `tokens[from..from + n]` with replay, timed without building the verifier.
    fn verify_replay(&mut self, v: &mut ReplayVerifier, from: usize, n: usize) -> Duration {
        let start = Instant::now();
        for t in &self.tokens[from..from + n] {
            let c = v
                .verify(black_box(t.as_str()), NOW, &mut self.scratch)
                .unwrap();
            black_box(c.iat);
        }
        start.elapsed()
    }

    fn mint(&mut self) {
        let g = grant("2c65fe8c-2494-11ef-9bc0-000000000000");
        black_box(mint(&self.key, black_box(&g), &mut self.out).unwrap().len());
    }

    fn jwt_decode(&self) {
        let d = jsonwebtoken::decode::<HappyFoxClaims>(
            black_box(&self.token),
            &self.dkey,
            &self.validation,
        )
        .unwrap();
        black_box(d.claims.iat);
    }

    fn jwt_encode(&self) {
        let t = jsonwebtoken::encode(&self.header, black_box(&self.claims), &self.ekey).unwrap();
        black_box(t.len());
    }
}

const NAMES: [&str; 7] = [
    "floor_hmac",
    "hfjwt_verify_no_replay",
    "hfjwt_verify_with_replay",
    "hfjwt_mint",
    "jsonwebtoken_decode",
    "jsonwebtoken_encode",
    "hfjwt_verify_pyjwt_escaped",
];

/// A token for `payload` under the standard header, signed with `KEY`.
fn sign_pyjwt_style(payload: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let si = format!(
        "{}.{}",
        hfjwt::HEADER_B64,
        Base64UrlUnpadded::encode_string(payload)
    );
    let mut m = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    m.update(si.as_bytes());
    let sig = Base64UrlUnpadded::encode_string(&m.finalize().into_bytes());
    format!("{si}.{sig}")
}

/// Runs workload `w` (an index into [`NAMES`]) `n` times; returns the time taken.
fn run(f: &mut Fixture, w: usize, n: usize) -> Duration {
    if w == 2 {
        let mut v = f.replay_verifier();
        return f.verify_replay(&mut v, 0, n.min(ROUND));
    }
    let start = Instant::now();
    for _ in 0..n {
        match w {
            0 => f.floor(),
            1 => f.check(false),
            3 => f.mint(),
            4 => f.jwt_decode(),
            5 => f.jwt_encode(),
            _ => f.check(true),
        }
    }
    start.elapsed()
}

fn criterion_pass(c: &mut Criterion, f: &mut Fixture) {
    let mut g = c.benchmark_group("hs256");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (w, name) in NAMES.iter().enumerate() {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters as usize;
                while left > 0 {
                    let n = left.min(ROUND);
                    total += run(f, w, n);
                    left -= n;
                }
                total
            })
        });
    }
    g.finish();
}

/// Percentile `p` (0–100) of sorted `xs`.
fn pct(xs: &[f64], p: usize) -> f64 {
    xs[(xs.len() - 1) * p / 100]
}

fn main() {
    let mut f = Fixture::new();
    println!("token: {} bytes", f.token.len());
    let mut c = Criterion::default().configure_from_args();
    criterion_pass(&mut c, &mut f);
    c.final_summary();
    if std::env::args().skip(1).any(|a| !a.starts_with('-')) {
        return; // a criterion filter: a partial run, no table
    }

    // Paired pass: per round, each workload right after a floor batch of the same size.
    const ROUNDS: usize = 200;
    const BATCH: usize = 2048;
    let mut ratios = vec![Vec::with_capacity(ROUNDS); NAMES.len()];
    let mut floor_ns = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        for (w, r) in ratios.iter_mut().enumerate().skip(1) {
            let floor = run(&mut f, 0, BATCH).as_secs_f64();
            let t = run(&mut f, w, BATCH).as_secs_f64();
            r.push(t / floor);
            if w == 1 {
                floor_ns.push(floor * 1e9 / BATCH as f64);
            }
        }
    }
    for r in &mut ratios {
        r.sort_by(f64::total_cmp);
    }
    floor_ns.sort_by(f64::total_cmp);
    println!(
        "\nPaired with the floor: {ROUNDS} rounds of {BATCH} calls; median ratio [p10-p90].\n\
         floor_hmac median {:.1} ns/op.\n",
        pct(&floor_ns, 50)
    );
    println!(
        "{:<26} {:>22} {:>20}",
        "benchmark", "x floor", "vs jsonwebtoken"
    );
    let peer_of = [None, Some(4), Some(4), Some(5), None, None, Some(4)];
    for (w, name) in NAMES.iter().enumerate().skip(1) {
        let r = &ratios[w];
        let vs = peer_of[w]
            .map(|p| format!("{:.1}x faster", pct(&ratios[p], 50) / pct(r, 50)))
            .unwrap_or_default();
        let spread = format!("{:.2} [{:.2}-{:.2}]", pct(r, 50), pct(r, 10), pct(r, 90));
        println!("{name:<26} {spread:>22} {vs:>20}");
    }
}
