//! A fixed workload for instruction profiles (the numbers in docs/measurements.md).
//!
//! ```text
//! cargo build --release --example profile -p hfjwt
//! valgrind --tool=callgrind target/release/examples/profile check   # or: replay, mint
//! callgrind_annotate callgrind.out.<pid>
//! ```
//! `check`: 20,000 verifications of one token without replay; `escaped`: the same with a
//! PyJWT-style token (non-ASCII name escaped as `\u00e9`, so the general claims reader runs);
//! `replay`: 5 rounds of 4,096
//! distinct tokens through a fresh `ReplayCache<8192>` (minting them is counted too);
//! `mint`: 20,000 mints; `groups` and `note`: `check` on the bench's 1.5 KB tokens. An optional second argument sets the count (for `perf record`).
//! Under valgrind SHA-256 runs in software (no SHA-NI).

use std::hint::black_box;

use hfjwt::{AnyDomain, Grant, Key, Policy, ReplayCache, Verifier, mint};

const IAT: u64 = 1_717_740_457;

fn grant(jti: &str) -> Grant<'_> {
    Grant::new("john.doe@example-customer.com", IAT, jti).with_name("John Doe")
}

fn main() {
    let key = Key::new(b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E").expect("a 32-byte key");
    let mut buf = [0u8; 512];
    let mut scratch = [0u8; 512];
    let mode = std::env::args().nth(1).unwrap_or_else(|| "check".into());
    // A second argument repeats the loop more often, for sampling profilers (`perf record`).
    let n: usize = std::env::args()
        .nth(2)
        .map_or(20_000, |s| s.parse().expect("a count"));
    match mode.as_str() {
        "check" => {
            let token = mint(
                &key,
                &grant("2c65fe8c-2494-11ef-9bc0-000000000000"),
                &mut buf,
            )
            .expect("mint")
            .to_string();
            let v: Verifier = Verifier::new(key);
            for _ in 0..n {
                let c = v.check(black_box(token.as_str()), IAT + 30, &mut scratch);
                black_box(c.expect("a valid token").iat);
            }
        }
        "escaped" => {
            // What PyJWT (json.dumps, ensure_ascii) makes of {"name": "José Doe", ...}.
            const TOKEN: &str = concat!(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
                "eyJuYW1lIjoiSm9zXHUwMGU5IERvZSIsImVtYWlsIjoiam9obi5kb2VAZXhhbXBsZS1jdXN0b21lci5jb20iLCJpYXQiOjE3MTc3NDA0NTcsImp0aSI6IjJjNjVmZThjLTI0OTQtMTFlZi05YmMwLTAwMDAwMDAwMDAwMCJ9.",
                "zWHXfSStgr3rfFn5FJLcT76VSPSDshxRS-nCT7B8Tj0"
            );
            let v: Verifier = Verifier::new(key);
            for _ in 0..n {
                let c = v.check(black_box(TOKEN), IAT + 30, &mut scratch);
                black_box(c.expect("a valid token").iat);
            }
        }
        "groups" | "note" => {
            // The bench's 1.5 KB tokens: the standard claims plus a portal's `groups` array of
            // short strings, or one long `note` string.
            use base64ct::{Base64UrlUnpadded, Encoding};
            let claims = r#""name":"John Doe","email":"john.doe@example-customer.com","iat":1717740457,"jti":"2c65fe8c-2494-11ef-9bc0-000000000000""#;
            let payload = if mode == "groups" {
                let list: Vec<String> = (1..=78).map(|i| format!("\"group-{i:04}\"")).collect();
                format!(r#"{{{claims},"groups":[{}]}}"#, list.join(","))
            } else {
                let note: String = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
                    .chars()
                    .cycle()
                    .take(1010)
                    .collect();
                format!(r#"{{{claims},"note":"{note}"}}"#)
            };
            let si = format!(
                "{}.{}",
                hfjwt::HEADER_B64,
                Base64UrlUnpadded::encode_string(payload.as_bytes())
            );
            let sig = Base64UrlUnpadded::encode_string(&key.hmac(si.as_bytes()));
            let token = format!("{si}.{sig}");
            let mut scratch = vec![0u8; token.len()];
            let v: Verifier = Verifier::new(key);
            for _ in 0..n {
                let c = v.check(black_box(token.as_str()), IAT + 30, &mut scratch);
                black_box(c.expect("a valid token").iat);
            }
        }
        "replay" => {
            let tokens: Vec<String> = (0..4096)
                .map(|i| {
                    let jti = format!("2c65fe8c-2494-11ef-9bc0-{i:012x}");
                    mint(&key, &grant(&jti), &mut buf)
                        .expect("mint")
                        .to_string()
                })
                .collect();
            for _ in 0..5 {
                let cache = Box::new(ReplayCache::<8192>::new());
                let mut v = Verifier::with_parts(key.clone(), Policy::new(), AnyDomain, cache);
                for t in &tokens {
                    let c = v.verify(black_box(t.as_str()), IAT + 30, &mut scratch);
                    black_box(c.expect("a fresh token").iat);
                }
            }
        }
        "mint" => {
            let g = grant("2c65fe8c-2494-11ef-9bc0-000000000000");
            for _ in 0..n {
                black_box(mint(&key, black_box(&g), &mut buf).expect("mint").len());
            }
        }
        other => {
            eprintln!("unknown mode {other:?}: use check, escaped, groups, note, replay or mint");
            std::process::exit(2);
        }
    }
}
