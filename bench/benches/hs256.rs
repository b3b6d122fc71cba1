//! hfjwt against every HMAC-SHA256 floor and every peer JWT crate, side by side in one run,
//! on three token sizes.
//!
//! `cargo bench -p hfjwt-bench` (pin it to an idle core: `taskset -c 1 cargo bench -p
//! hfjwt-bench`). `HFJWT_BENCH_QUICK=1` shortens everything (a smoke run: its numbers mean
//! little). A criterion filter argument (`cargo bench -p hfjwt-bench -- ring`) runs part of the
//! criterion pass and prints no table; so does `cargo test --benches` (each workload once).
//!
//! **Tokens.** The standard HappyFox token as hfjwt mints it (name "John Doe", email
//! john.doe@example-customer.com, iat 1717740457, a UUID `jti`: 243 bytes), and two larger ones
//! near 1.5 KB and 4 KB (at most 4096 bytes, hfjwt's default `max_token_len`): the same four
//! claims followed by a portal's custom claim, grown to the size, in two shapes: many short
//! strings (`"groups":["group-0001",…]`) and one long string (`"note":"Lorem ipsum…"`). The
//! per-byte cost depends on the shape: a verifier's work per byte is far higher in an array
//! of short strings than inside one string.
//! Their JSON is written by hand and signed here. hfjwt ignores the unknown claim; the peers
//! deserialize into their four-field structs (serde skips unknown fields). One more token, at
//! 243 bytes only, carries the same claims as PyJWT writes a non-ASCII name (`\u00e9`
//! escapes), which takes hfjwt's general claims reader.
//!
//! **Floors.** HMAC-SHA256 over the signing input (everything before the last `.`), keyed
//! once, its keyed state reused per call, the 32-byte tag black-boxed: the least any HS256
//! verifier must do. Each crate that a Rust HS256 stack might sit on is one floor: hfjwt's own
//! HMAC (the one place to switch it is the `own` module below), `hmac` 0.13 + `sha2` 0.11
//! (RustCrypto, what hfjwt and `jsonwebtoken` 12 use), `hmac` 0.12 + `sha2` 0.10 (what
//! `jwt-compact` 0.8 uses), `ring`, `aws-lc-rs` and `hmac-sha256` (what `jwt-simple` uses). The
//! *fastest floor* of a size is the one with the lowest paired median there. The replay
//! workload verifies 4096 distinct tokens (a replay cache refuses one token twice), so it is
//! paired with hfjwt's own floor over those same tokens, a row of its own: reading distinct
//! tokens instead of one that stays in the L1 cache costs the floor itself about 6 %.
//!
//! **Peers.** `jsonwebtoken` 12 (RustCrypto backend), `jwt-simple` 0.15 (pure Rust) and
//! `jwt-compact` 0.8, each verifying (signature, then `iat` no later than now and at most 120 s
//! old, hfjwt's policy) and minting the same claims under the same key. `jsonwebtoken` and
//! `jwt-compact` have no check of `iat`'s age for tokens without `exp` (HappyFox sends none), so
//! the bench makes those two comparisons by hand; `jwt-simple` does it itself
//! (`max_validity`). At start-up every peer must accept the good token of each size and
//! refuse it with one signature character changed, every floor must produce the same tag, and
//! each peer's minted token must verify with hfjwt.
//!
//! **Two passes.** Criterion measures each workload on its own: the absolute ns/op, and the
//! per-byte slopes between the 1.5 KB and 4 KB tokens. Then a paired pass runs, round after
//! round, every workload's batch right after a batch of the same size of hfjwt's own floor
//! over the same-size token, and reports the median ratio with its 10th–90th percentile
//! spread. It exists because on a shared machine (two cores, other jobs) noise moves whole
//! runs: criterion's absolute times drift by several percent between runs, while a ratio
//! between neighbouring batches cancels most of that drift. The table's ratios come from the
//! paired pass; a ratio against another floor is the quotient of the two ratios against the
//! own floor.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::Criterion;
use hfjwt::{AnyDomain, Grant, HEADER_B64, Key, Policy, ReplayCache, Verifier, mint, token_len};
use jwt_compact::AlgorithmExt as _;
use jwt_simple::prelude::MACLike as _;
use serde::{Deserialize, Serialize};

/// The HappyFox shared secret every token here is signed with.
const KEY: &[u8; 32] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";
const IAT: u64 = 1_717_740_457;
/// "Now" for every verifier: 30 s after issue.
const NOW: u64 = IAT + 30;
/// hfjwt's default token lifetime (`Policy::new()`), given to the peers too.
const MAX_AGE: u64 = 120;
const NAME: &str = "John Doe";
const EMAIL: &str = "john.doe@example-customer.com";
/// Distinct tokens per size for the replay workload: a fresh verifier per batch of at most
/// this many, so its cache fills from empty as a busy portal's would.
const ROUND: usize = 4096;
/// The three sizes: the standard token, then the targets for the grown ones (bytes, ±16).
const TARGETS: [usize; 2] = [1536, 4096];

/// The custom claim that grows a large token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `"groups":["group-0001",…]`: many short strings.
    Groups,
    /// `"note":"Lorem ipsum…"`: one long string.
    Note,
}

impl Shape {
    fn label(self) -> &'static str {
        match self {
            Shape::Groups => "groups",
            Shape::Note => "note",
        }
    }
}

/// Sizes 1 and 2 grow `groups`, sizes 3 and 4 grow `note` (size 0 is the standard token).
const SHAPES: [(Shape, usize, usize); 2] = [(Shape::Groups, 1, 2), (Shape::Note, 3, 4)];

/// hfjwt's own HMAC floor. THE SWITCH: this module is the single place that decides it.
///
/// Now: `hfjwt::Key::hmac` (hfjwt's own HMAC-SHA256 on its precomputed key midstates). Without
/// that method, replace the three items below by the commented-out block: the own floor is then
/// `hmac` 0.13 + `sha2` 0.11, and that floor is not listed a second time.
mod own {
    /// The own floor's name in the table.
    pub const NAME: &str = "hfjwt `Key::hmac`";
    /// Whether the own floor is the `hmac` 0.13 + `sha2` 0.11 floor itself.
    pub const IS_RUSTCRYPTO_013: bool = false;

    /// The own floor, keyed once.
    pub struct OwnMac(hfjwt::Key);

    impl OwnMac {
        pub fn new(key: &[u8]) -> Self {
            Self(hfjwt::Key::new(key).expect("a 32-byte key"))
        }

        /// HMAC-SHA256 of `input`.
        #[inline]
        pub fn mac(&self, input: &[u8]) -> [u8; 32] {
            self.0.hmac(input)
        }
    }

    // Without `Key::hmac`:
    //
    // pub const NAME: &str = "`hmac` 0.13 + `sha2` 0.11";
    // pub const IS_RUSTCRYPTO_013: bool = true;
    // pub struct OwnMac(hmac::Hmac<sha2::Sha256>);
    // impl OwnMac {
    //     pub fn new(key: &[u8]) -> Self {
    //         use hmac::KeyInit;
    //         Self(hmac::Hmac::new_from_slice(key).expect("any key length"))
    //     }
    //     #[inline]
    //     pub fn mac(&self, input: &[u8]) -> [u8; 32] {
    //         use hmac::Mac;
    //         let mut m = self.0.clone();
    //         m.update(input);
    //         m.finalize().into_bytes().into()
    //     }
    // }
}

/// One HMAC-SHA256 implementation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Floor {
    Own,
    RustCrypto013,
    RustCrypto012,
    Ring,
    AwsLc,
    HmacSha256,
}

impl Floor {
    /// Every floor, the own one first.
    fn all() -> Vec<Floor> {
        let mut v = vec![Floor::Own];
        if !own::IS_RUSTCRYPTO_013 {
            v.push(Floor::RustCrypto013);
        }
        v.extend([
            Floor::RustCrypto012,
            Floor::Ring,
            Floor::AwsLc,
            Floor::HmacSha256,
        ]);
        v
    }

    fn name(self) -> &'static str {
        match self {
            Floor::Own => own::NAME,
            Floor::RustCrypto013 => "`hmac` 0.13 + `sha2` 0.11",
            Floor::RustCrypto012 => "`hmac` 0.12 + `sha2` 0.10",
            Floor::Ring => "`ring` 0.17",
            Floor::AwsLc => "`aws-lc-rs` 1",
            Floor::HmacSha256 => "`hmac-sha256` 1",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Floor::Own => "floor_own",
            Floor::RustCrypto013 => "floor_hmac013",
            Floor::RustCrypto012 => "floor_hmac012",
            Floor::Ring => "floor_ring",
            Floor::AwsLc => "floor_awslc",
            Floor::HmacSha256 => "floor_hmacsha256",
        }
    }
}

/// Every floor, keyed once.
struct Floors {
    own: own::OwnMac,
    rc013: hmac::Hmac<sha2::Sha256>,
    rc012: hmac_012::Hmac<sha2_010::Sha256>,
    ring: ring::hmac::Key,
    aws: aws_lc_rs::hmac::Key,
    jedi: hmac_sha256::HMAC,
}

impl Floors {
    fn new() -> Self {
        use hmac::KeyInit as _;
        use hmac_012::Mac as _;
        Floors {
            own: own::OwnMac::new(KEY),
            rc013: hmac::Hmac::new_from_slice(KEY).expect("any key length"),
            rc012: hmac_012::Hmac::new_from_slice(KEY).expect("any key length"),
            ring: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KEY),
            aws: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, KEY),
            jedi: hmac_sha256::HMAC::new(KEY),
        }
    }

    /// HMAC-SHA256 of `input` with floor `f`, from its keyed state.
    #[inline]
    fn mac(&self, f: Floor, input: &[u8]) -> [u8; 32] {
        match f {
            Floor::Own => self.own.mac(input),
            Floor::RustCrypto013 => {
                use hmac::Mac as _;
                let mut m = self.rc013.clone();
                m.update(input);
                m.finalize().into_bytes().into()
            }
            Floor::RustCrypto012 => {
                use hmac_012::Mac as _;
                let mut m = self.rc012.clone();
                m.update(input);
                m.finalize().into_bytes().into()
            }
            Floor::Ring => tag32(ring::hmac::sign(&self.ring, input).as_ref()),
            Floor::AwsLc => tag32(aws_lc_rs::hmac::sign(&self.aws, input).as_ref()),
            Floor::HmacSha256 => {
                let mut m = self.jedi.clone();
                m.update(input);
                m.finalize()
            }
        }
    }
}

fn tag32(tag: &[u8]) -> [u8; 32] {
    tag.try_into().expect("a 32-byte HMAC-SHA256 tag")
}

/// The claims the peers decode and encode (`jsonwebtoken`'s shape).
#[derive(Serialize, Deserialize, Clone)]
struct HappyFoxClaims {
    name: String,
    email: String,
    iat: u64,
    jti: String,
}

/// `jwt-simple`'s custom part: `iat` and `jti` are standard fields of its `JWTClaims`.
#[derive(Serialize, Deserialize, Clone)]
struct SimpleCustom {
    name: String,
    email: String,
}

/// `jwt-compact`'s custom part: `iat` is a standard field of its `Claims`, `jti` is not.
#[derive(Serialize, Deserialize, Clone)]
struct CompactCustom {
    name: String,
    email: String,
    jti: String,
}

/// `iat` within hfjwt's policy at `NOW`: not in the future, at most `MAX_AGE` old.
#[inline]
fn fresh(iat: u64) -> bool {
    iat <= NOW && NOW - iat <= MAX_AGE
}

/// The three peers, keyed and configured once.
struct Peers {
    jwt_dkey: jsonwebtoken::DecodingKey,
    jwt_validation: jsonwebtoken::Validation,
    jwt_ekey: jsonwebtoken::EncodingKey,
    jwt_header: jsonwebtoken::Header,
    jwt_claims: HappyFoxClaims,
    simple_key: jwt_simple::prelude::HS256Key,
    simple_options: jwt_simple::prelude::VerificationOptions,
    simple_claims: jwt_simple::prelude::JWTClaims<SimpleCustom>,
    compact_key: jwt_compact::alg::Hs256Key,
    compact_header: jwt_compact::Header,
    compact_claims: jwt_compact::Claims<CompactCustom>,
}

impl Peers {
    fn new() -> Self {
        use jwt_simple::prelude::{Duration as SimpleDuration, UnixTimeStamp};
        let mut jwt_validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        // HappyFox tokens carry no exp; jsonwebtoken requires one unless told otherwise.
        jwt_validation.required_spec_claims.clear();
        jwt_validation.validate_exp = false;

        let simple_options = jwt_simple::prelude::VerificationOptions {
            // A fixed clock, hfjwt's window (120 s, no leeway) and hfjwt's length cap.
            artificial_time: Some(UnixTimeStamp::from_secs(NOW)),
            max_validity: Some(SimpleDuration::from_secs(MAX_AGE)),
            time_tolerance: Some(SimpleDuration::from_secs(0)),
            max_token_length: Some(4096),
            ..Default::default()
        };
        let simple_claims = jwt_simple::prelude::JWTClaims {
            issued_at: Some(UnixTimeStamp::from_secs(IAT)),
            expires_at: None,
            invalid_before: None,
            issuer: None,
            subject: None,
            audiences: None,
            jwt_id: Some(jti(0)),
            nonce: None,
            custom: SimpleCustom {
                name: NAME.into(),
                email: EMAIL.into(),
            },
        };

        let mut compact_claims = jwt_compact::Claims::new(CompactCustom {
            name: NAME.into(),
            email: EMAIL.into(),
            jti: jti(0),
        });
        compact_claims.issued_at = chrono::DateTime::from_timestamp(IAT as i64, 0);

        Peers {
            jwt_dkey: jsonwebtoken::DecodingKey::from_secret(KEY).expect("a key"),
            jwt_validation,
            jwt_ekey: jsonwebtoken::EncodingKey::from_secret(KEY).expect("a key"),
            jwt_header: jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            jwt_claims: HappyFoxClaims {
                name: NAME.into(),
                email: EMAIL.into(),
                iat: IAT,
                jti: jti(0),
            },
            simple_key: jwt_simple::prelude::HS256Key::from_bytes(KEY),
            simple_options,
            simple_claims,
            compact_key: jwt_compact::alg::Hs256Key::new(KEY),
            compact_header: jwt_compact::Header::empty().with_token_type("JWT"),
            compact_claims,
        }
    }

    /// `jsonwebtoken` decode; the claims' `iat` when the token is good.
    fn jwt_decode(&self, token: &str) -> Option<u64> {
        let d = jsonwebtoken::decode::<HappyFoxClaims>(token, &self.jwt_dkey, &self.jwt_validation)
            .ok()?;
        fresh(d.claims.iat).then_some(d.claims.iat)
    }

    /// `jwt-simple` verify (its options take ownership: a clone per call, all fields small).
    fn simple_verify(&self, token: &str) -> Option<u64> {
        let c = self
            .simple_key
            .verify_token::<SimpleCustom>(token, Some(self.simple_options.clone()))
            .ok()?;
        c.issued_at.map(|t| t.as_secs())
    }

    /// `jwt-compact` parse and validate.
    fn compact_verify(&self, token: &str) -> Option<u64> {
        let t = jwt_compact::UntrustedToken::new(token).ok()?;
        let t = jwt_compact::alg::Hs256
            .validator::<CompactCustom>(&self.compact_key)
            .validate(&t)
            .ok()?;
        let iat = u64::try_from(t.claims().issued_at?.timestamp()).ok()?;
        fresh(iat).then_some(iat)
    }

    fn jwt_encode(&self) -> String {
        jsonwebtoken::encode(&self.jwt_header, &self.jwt_claims, &self.jwt_ekey).expect("encode")
    }

    /// `jwt-simple` mint (it takes the claims by value: a clone per call).
    fn simple_mint(&self) -> String {
        self.simple_key
            .authenticate(self.simple_claims.clone())
            .expect("authenticate")
    }

    fn compact_mint(&self) -> String {
        jwt_compact::alg::Hs256
            .token(
                &self.compact_header,
                &self.compact_claims,
                &self.compact_key,
            )
            .expect("token")
    }
}

/// A workload; with a size index it is a row of the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Work {
    Floor(Floor),
    /// `Verifier::check`: every check but replay.
    Check,
    /// hfjwt's own floor over the signing inputs of the replay workload's distinct tokens,
    /// in the same order: what [`Work::VerifyReplay`] is paired with.
    ReplayFloor,
    /// `Verifier::verify` with a `ReplayCache<8192>`, fresh per batch.
    VerifyReplay,
    Mint,
    /// `check` of the PyJWT-style token (escaped non-ASCII name).
    Escaped,
    JwtDecode,
    JwtEncode,
    SimpleVerify,
    SimpleMint,
    CompactVerify,
    CompactMint,
}

impl Work {
    fn name(self) -> String {
        match self {
            Work::Floor(f) if f == Floor::Own => format!("floor: {} (own)", f.name()),
            Work::Floor(f) => format!("floor: {}", f.name()),
            Work::Check => "hfjwt verify, no replay (`check`)".into(),
            Work::ReplayFloor => "floor: hfjwt `Key::hmac` over 4096 distinct tokens".into(),
            Work::VerifyReplay => {
                "hfjwt verify with replay cache (× the floor over the same distinct tokens)".into()
            }
            Work::Mint => "hfjwt mint".into(),
            Work::Escaped => "hfjwt verify, PyJWT-escaped name (`\\u00e9`)".into(),
            Work::JwtDecode => "`jsonwebtoken` 12 decode".into(),
            Work::JwtEncode => "`jsonwebtoken` 12 encode".into(),
            Work::SimpleVerify => "`jwt-simple` 0.15 verify".into(),
            Work::SimpleMint => "`jwt-simple` 0.15 mint".into(),
            Work::CompactVerify => "`jwt-compact` 0.8 verify".into(),
            Work::CompactMint => "`jwt-compact` 0.8 mint".into(),
        }
    }

    fn id(self) -> &'static str {
        match self {
            Work::Floor(f) => f.id(),
            Work::Check => "hfjwt_check",
            Work::ReplayFloor => "floor_own_distinct",
            Work::VerifyReplay => "hfjwt_verify_replay",
            Work::Mint => "hfjwt_mint",
            Work::Escaped => "hfjwt_check_pyjwt_escaped",
            Work::JwtDecode => "jsonwebtoken_decode",
            Work::JwtEncode => "jsonwebtoken_encode",
            Work::SimpleVerify => "jwt_simple_verify",
            Work::SimpleMint => "jwt_simple_mint",
            Work::CompactVerify => "jwt_compact_verify",
            Work::CompactMint => "jwt_compact_mint",
        }
    }

    /// The floor a workload's batches are paired with: hfjwt's own, over the same bytes the
    /// workload reads. The replay workload reads 4096 distinct tokens (a cache refuses a token
    /// twice), which no longer sit in the L1 cache as one token does: that costs the floor
    /// itself about 6 %, so its ratio is taken against the floor over those same tokens.
    fn paired_floor(self) -> Work {
        match self {
            Work::VerifyReplay => Work::ReplayFloor,
            _ => Work::Floor(Floor::Own),
        }
    }

    /// Whether the workload runs at every size (verify-side) or at the standard size only.
    fn all_sizes(self) -> bool {
        matches!(
            self,
            Work::Floor(_)
                | Work::Check
                | Work::ReplayFloor
                | Work::VerifyReplay
                | Work::JwtDecode
                | Work::SimpleVerify
                | Work::CompactVerify
        )
    }
}

/// The peers' counterparts of an hfjwt workload: (short name, workload).
fn peers_of(w: Work) -> &'static [(&'static str, Work)] {
    const VERIFY: &[(&str, Work)] = &[
        ("jsonwebtoken", Work::JwtDecode),
        ("jwt-simple", Work::SimpleVerify),
        ("jwt-compact", Work::CompactVerify),
    ];
    const MINT: &[(&str, Work)] = &[
        ("jsonwebtoken", Work::JwtEncode),
        ("jwt-simple", Work::SimpleMint),
        ("jwt-compact", Work::CompactMint),
    ];
    match w {
        Work::Check | Work::VerifyReplay | Work::Escaped => VERIFY,
        Work::Mint => MINT,
        _ => &[],
    }
}

/// One row: a workload at a size.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Row {
    work: Work,
    size: usize,
}

/// Every row, grouped by workload, sizes ascending within.
fn rows() -> Vec<Row> {
    let mut works: Vec<Work> = Floor::all().into_iter().map(Work::Floor).collect();
    works.extend([
        Work::Check,
        Work::ReplayFloor,
        Work::VerifyReplay,
        Work::Mint,
        Work::Escaped,
        Work::JwtDecode,
        Work::JwtEncode,
        Work::SimpleVerify,
        Work::SimpleMint,
        Work::CompactVerify,
        Work::CompactMint,
    ]);
    let mut rows = Vec::new();
    for work in works {
        let sizes = if work.all_sizes() { 0..5 } else { 0..1 };
        rows.extend(sizes.map(|size| Row { work, size }));
    }
    rows
}

/// One token size's tokens.
struct SizeSet {
    /// Short id for criterion: `243b`, `1536b-groups`, `4096b-note` (nominal).
    id: String,
    /// The growing claim, for the large tokens.
    shape: Option<Shape>,
    /// The benchmark token (`jti` number 0).
    token: String,
    /// `ROUND` tokens of the same length with distinct `jti`s (the first is `token`).
    tokens: Vec<String>,
}

impl SizeSet {
    fn len(&self) -> usize {
        self.token.len()
    }

    fn signing_input(&self) -> &str {
        self.token.rsplit_once('.').expect("three segments").0
    }
}

fn jti(i: usize) -> String {
    format!("2c65fe8c-2494-11ef-9bc0-{i:012x}")
}

/// A token for `payload` under hfjwt's header, signed with the own floor.
fn sign(floors: &Floors, payload: &[u8]) -> String {
    let si = format!("{HEADER_B64}.{}", Base64UrlUnpadded::encode_string(payload));
    let sig = Base64UrlUnpadded::encode_string(&floors.mac(Floor::Own, si.as_bytes()));
    format!("{si}.{sig}")
}

/// The standard claims plus `n` units of `shape` (a group, or a character of the note), as
/// compact JSON in hfjwt's claim order.
fn grown_payload(jti: &str, shape: Shape, n: usize) -> String {
    let claims = format!(r#""name":"{NAME}","email":"{EMAIL}","iat":{IAT},"jti":"{jti}""#);
    match shape {
        Shape::Groups => {
            let list: Vec<String> = (1..=n).map(|i| format!("\"group-{i:04}\"")).collect();
            format!(r#"{{{claims},"groups":[{}]}}"#, list.join(","))
        }
        Shape::Note => {
            const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ";
            let note: String = LOREM.chars().cycle().take(n).collect();
            format!(r#"{{{claims},"note":"{note}"}}"#)
        }
    }
}

/// Tokens grown to `target` bytes (±16, never above it when it is 4096).
fn grown(floors: &Floors, target: usize, shape: Shape) -> SizeSet {
    let len_of = |n: usize| sign(floors, grown_payload(&jti(0), shape, n).as_bytes()).len();
    let mut n = 1;
    while len_of(n + 1) <= target {
        n += 1;
    }
    // `n` is the most groups that fit; one more may land closer when the target allows it.
    if target < 4096 && len_of(n + 1) - target < target - len_of(n) {
        n += 1;
    }
    let len = len_of(n);
    assert!(
        len.abs_diff(target) <= 16 && len <= 4096,
        "{len} bytes for a {target}-byte target"
    );
    let tokens: Vec<String> = (0..ROUND)
        .map(|i| sign(floors, grown_payload(&jti(i), shape, n).as_bytes()))
        .collect();
    SizeSet {
        id: format!("{target}b-{}", shape.label()),
        shape: Some(shape),
        token: tokens[0].clone(),
        tokens,
    }
}

fn grant(jti: &str) -> Grant<'_> {
    Grant::new(EMAIL, IAT, jti).with_name(NAME)
}

fn mint_owned(key: &Key, g: &Grant<'_>) -> String {
    let mut buf = vec![0u8; token_len(g)];
    mint(key, g, &mut buf).expect("mint").to_string()
}

/// `token` with one signature character changed (a middle one: all six bits count).
fn flipped(token: &str) -> String {
    let mut b = token.as_bytes().to_vec();
    let i = b.len() - 10;
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).expect("ASCII")
}

type ReplayVerifier = Verifier<Box<ReplayCache<8192>>>;

/// Everything the workloads need, built once.
struct Fixture {
    key: Key,
    floors: Floors,
    peers: Peers,
    sizes: Vec<SizeSet>,
    /// The PyJWT-style twin of the standard token.
    escaped: String,
    checker: Verifier,
    scratch: Vec<u8>,
    out: [u8; 512],
}

impl Fixture {
    fn new() -> Self {
        let key = Key::new(KEY).expect("a 32-byte key");
        let floors = Floors::new();
        let standard: Vec<String> = (0..ROUND)
            .map(|i| mint_owned(&key, &grant(&jti(i))))
            .collect();
        let mut sizes = vec![SizeSet {
            id: format!("{}b", standard[0].len()),
            shape: None,
            token: standard[0].clone(),
            tokens: standard,
        }];
        for (shape, ..) in SHAPES {
            sizes.extend(TARGETS.map(|t| grown(&floors, t, shape)));
        }
        let escaped = sign(
            &floors,
            format!(
                r#"{{"name":"Jos\u00e9 Doe","email":"{EMAIL}","iat":{IAT},"jti":"{}"}}"#,
                jti(0)
            )
            .as_bytes(),
        );
        Fixture {
            checker: Verifier::new(key.clone()),
            key,
            floors,
            peers: Peers::new(),
            sizes,
            escaped,
            scratch: vec![0; hfjwt::scratch_len(4096)],
            out: [0; 512],
        }
    }

    /// Start-up checks: every floor agrees, every verifier accepts the good tokens and refuses
    /// a changed signature, every peer's minted token verifies with hfjwt.
    fn self_check(&mut self) {
        for s in &self.sizes {
            let si = s.signing_input().as_bytes();
            let want = self.floors.mac(Floor::Own, si);
            for f in Floor::all() {
                assert_eq!(self.floors.mac(f, si), want, "floor {f:?} @{}", s.id);
            }
            for t in [&s.token, s.tokens.last().expect("tokens")] {
                assert_eq!(t.len(), s.len(), "one length per size");
                let bad = flipped(t);
                let c = self.checker.check(t.as_str(), NOW, &mut self.scratch);
                assert_eq!(c.expect("hfjwt accepts").iat, IAT);
                assert!(self.checker.check(&bad, NOW, &mut self.scratch).is_err());
                type Check = fn(&Peers, &str) -> Option<u64>;
                let peers: [(&str, Check); 3] = [
                    ("jsonwebtoken", Peers::jwt_decode),
                    ("jwt-simple", Peers::simple_verify),
                    ("jwt-compact", Peers::compact_verify),
                ];
                for (name, verify) in peers {
                    assert_eq!(
                        verify(&self.peers, t),
                        Some(IAT),
                        "{name} accepts @{}",
                        s.id
                    );
                    assert_eq!(verify(&self.peers, &bad), None, "{name} refuses @{}", s.id);
                }
            }
        }
        let c = self.checker.check(&self.escaped, NOW, &mut self.scratch);
        assert_eq!(c.expect("escaped token").name, Some("José Doe"));
        let minted = [
            ("jsonwebtoken", self.peers.jwt_encode()),
            ("jwt-simple", self.peers.simple_mint()),
            ("jwt-compact", self.peers.compact_mint()),
        ];
        for (name, token) in minted {
            let c = self.checker.check(&token, NOW, &mut self.scratch);
            let c = c.unwrap_or_else(|e| panic!("{name}'s token: {e:?}: {token}"));
            assert_eq!(
                (c.name, c.email, c.iat, c.jti),
                (Some(NAME), Some(EMAIL), IAT, jti(0).as_str()),
                "{name}'s claims"
            );
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

    /// Runs `row` `n` times (replay: at most `ROUND`); returns the time taken.
    fn run(&mut self, row: Row, n: usize) -> Duration {
        let s = &self.sizes[row.size];
        let token = s.token.as_str();
        let start;
        match row.work {
            Work::Floor(f) => {
                let si = s.signing_input().as_bytes();
                start = Instant::now();
                for _ in 0..n {
                    black_box(self.floors.mac(f, black_box(si)));
                }
            }
            Work::Check | Work::Escaped => {
                let token = if row.work == Work::Escaped {
                    self.escaped.as_str()
                } else {
                    token
                };
                start = Instant::now();
                for _ in 0..n {
                    let c = self
                        .checker
                        .check(black_box(token), NOW, &mut self.scratch)
                        .expect("check");
                    black_box(c.iat);
                }
            }
            Work::ReplayFloor => {
                // The tokens of a size share one length, so their signing inputs do too.
                let si_len = s.signing_input().len();
                start = Instant::now();
                for t in &s.tokens[..n.min(ROUND)] {
                    let si = &t.as_bytes()[..si_len];
                    black_box(self.floors.mac(Floor::Own, black_box(si)));
                }
            }
            Work::VerifyReplay => {
                let mut v = self.replay_verifier();
                start = Instant::now();
                for t in &s.tokens[..n.min(ROUND)] {
                    let c = v
                        .verify(black_box(t.as_str()), NOW, &mut self.scratch)
                        .expect("verify");
                    black_box(c.iat);
                }
            }
            Work::Mint => {
                start = Instant::now();
                for _ in 0..n {
                    let g = grant("2c65fe8c-2494-11ef-9bc0-000000000000");
                    black_box(mint(&self.key, black_box(&g), &mut self.out).expect("mint"));
                }
            }
            Work::JwtDecode | Work::SimpleVerify | Work::CompactVerify => {
                let verify = match row.work {
                    Work::JwtDecode => Peers::jwt_decode,
                    Work::SimpleVerify => Peers::simple_verify,
                    _ => Peers::compact_verify,
                };
                start = Instant::now();
                for _ in 0..n {
                    black_box(verify(&self.peers, black_box(token)).expect("peer verify"));
                }
            }
            Work::JwtEncode | Work::SimpleMint | Work::CompactMint => {
                let make = match row.work {
                    Work::JwtEncode => Peers::jwt_encode,
                    Work::SimpleMint => Peers::simple_mint,
                    _ => Peers::compact_mint,
                };
                start = Instant::now();
                for _ in 0..n {
                    black_box(make(black_box(&self.peers)));
                }
            }
        }
        start.elapsed()
    }
}

/// Run lengths: normal, or short with `HFJWT_BENCH_QUICK=1`.
struct Plan {
    quick: bool,
    warm_up: Duration,
    measurement: Duration,
    samples: usize,
    rounds: usize,
    /// Target duration of one paired batch of a workload.
    batch: Duration,
}

impl Plan {
    fn from_env() -> Self {
        if std::env::var("HFJWT_BENCH_QUICK").is_ok_and(|v| v == "1") {
            Plan {
                quick: true,
                warm_up: Duration::from_millis(20),
                measurement: Duration::from_millis(60),
                samples: 10,
                rounds: 11,
                batch: Duration::from_micros(100),
            }
        } else {
            Plan {
                quick: false,
                warm_up: Duration::from_millis(400),
                measurement: Duration::from_secs(2),
                samples: 60,
                rounds: 200,
                batch: Duration::from_millis(1),
            }
        }
    }
}

/// Criterion's directory: `$CRITERION_HOME`, else `criterion/` in this binary's target dir
/// (`target/release/deps/hs256-…` → `target/criterion`), as criterion itself would choose.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let exe = std::env::current_exe().expect("the bench binary's path");
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("criterion")
}

fn bench_id(row: Row, sizes: &[SizeSet]) -> String {
    format!("{}_{}", row.work.id(), sizes[row.size].id)
}

fn criterion_pass(c: &mut Criterion, f: &mut Fixture, rows: &[Row], plan: &Plan) {
    let mut g = c.benchmark_group("hs256");
    g.warm_up_time(plan.warm_up)
        .measurement_time(plan.measurement)
        .sample_size(plan.samples);
    for &row in rows {
        g.bench_function(bench_id(row, &f.sizes), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = usize::try_from(iters).expect("iterations fit usize");
                while left > 0 {
                    let n = left.min(ROUND);
                    total += f.run(row, n);
                    left -= n;
                }
                total
            });
        });
    }
    g.finish();
}

/// Criterion's median estimate for `id` (ns per call), read back from its `estimates.json`.
fn criterion_median(dir: &std::path::Path, id: &str) -> Option<f64> {
    let path = dir
        .join("hs256")
        .join(id)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// Percentile `p` (0–100) of sorted `xs`.
fn pct(xs: &[f64], p: usize) -> f64 {
    xs[(xs.len() - 1) * p / 100]
}

/// The paired pass: per round, each row's batch right after an own-floor batch of as many
/// calls at the same size. Returns each row's sorted ratios.
fn paired_pass(f: &mut Fixture, rows: &[Row], plan: &Plan) -> Vec<Vec<f64>> {
    // Batch lengths: about `plan.batch` of the workload, as many floor calls.
    let calls: Vec<usize> = rows
        .iter()
        .map(|&row| {
            let per = (0..3)
                .map(|_| f.run(row, 32).as_secs_f64() / 32.0)
                .fold(f64::INFINITY, f64::min);
            ((plan.batch.as_secs_f64() / per) as usize).clamp(16, ROUND)
        })
        .collect();
    let mut ratios = vec![Vec::with_capacity(plan.rounds); rows.len()];
    for _ in 0..plan.rounds {
        for (i, &row) in rows.iter().enumerate() {
            let own = Row {
                work: row.work.paired_floor(),
                size: row.size,
            };
            let floor = f.run(own, calls[i]).as_secs_f64();
            let t = f.run(row, calls[i]).as_secs_f64();
            ratios[i].push(t / floor);
        }
    }
    for r in &mut ratios {
        r.sort_by(f64::total_cmp);
    }
    ratios
}

/// The results and how to read them.
struct Report<'a> {
    rows: &'a [Row],
    sizes: &'a [SizeSet],
    /// Sorted paired ratios against the own floor, per row.
    ratios: Vec<Vec<f64>>,
    /// Criterion medians (ns), per row.
    ns: Vec<Option<f64>>,
}

impl Report<'_> {
    fn index(&self, work: Work, size: usize) -> Option<usize> {
        self.rows.iter().position(|r| *r == Row { work, size })
    }

    /// Median paired ratio against the own floor.
    fn median(&self, work: Work, size: usize) -> Option<f64> {
        self.index(work, size).map(|i| pct(&self.ratios[i], 50))
    }

    fn ns(&self, work: Work, size: usize) -> Option<f64> {
        self.index(work, size).and_then(|i| self.ns[i])
    }

    /// The floor with the lowest paired median at `size`, and that median.
    fn fastest_floor(&self, size: usize) -> (Floor, f64) {
        Floor::all()
            .into_iter()
            .filter_map(|fl| self.median(Work::Floor(fl), size).map(|m| (fl, m)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("floors were measured")
    }

    /// `work`'s median ratio to the fastest floor of `size` (for the replay row: over the same
    /// distinct tokens, taking the floors' ranking from the one benchmark token).
    fn vs_fastest(&self, work: Work, size: usize) -> Option<f64> {
        Some(self.median(work, size)? / self.fastest_floor(size).1)
    }

    /// Median paired ratio against the own floor over the one benchmark token (the replay
    /// row's ratio is against the floor over its distinct tokens: converted here).
    fn vs_own(&self, work: Work, size: usize) -> Option<f64> {
        let m = self.median(work, size)?;
        match work.paired_floor() {
            Work::Floor(Floor::Own) => Some(m),
            floor => Some(m * self.median(floor, size)?),
        }
    }

    /// How many times faster hfjwt's `work` is than `peer` at `size` (paired medians).
    fn speedup(&self, work: Work, peer: Work, size: usize) -> Option<f64> {
        // The escaped token is compared with the peers on the standard token.
        Some(self.median(peer, size)? / self.vs_own(work, size)?)
    }

    /// ns per byte between the 1.5 KB and the 4 KB token of sizes `small` and `large`
    /// (criterion medians).
    fn slope(&self, work: Work, small: usize, large: usize) -> Option<f64> {
        let (a, b) = (&self.sizes[small], &self.sizes[large]);
        Some((self.ns(work, large)? - self.ns(work, small)?) / (b.len() - a.len()) as f64)
    }

    fn print(&self) {
        let size_name = |s: usize| match self.sizes[s].shape {
            Some(shape) => format!("{} B {}", self.sizes[s].len(), shape.label()),
            None => format!("{} B", self.sizes[s].len()),
        };
        println!("<!-- bench table -->");
        let fastest: Vec<String> = (0..self.sizes.len())
            .map(|s| {
                let (fl, m) = self.fastest_floor(s);
                format!("{}: {} ({m:.2}× own)", size_name(s), fl.name())
            })
            .collect();
        println!("Fastest floor: {}.", fastest.join("; "));
        println!();
        println!(
            "| workload | token | ns/op (criterion) | × own floor, median [p10–p90] | × fastest floor | hfjwt's speed-up over peers |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | --- |");
        for (i, row) in self.rows.iter().enumerate() {
            let r = &self.ratios[i];
            let ns = self.ns[i].map_or_else(|| "–".into(), |ns| format!("{ns:.0}"));
            let own = format!("{:.2} [{:.2}–{:.2}]", pct(r, 50), pct(r, 10), pct(r, 90));
            let fast = self
                .vs_fastest(row.work, row.size)
                .map_or_else(String::new, |x| format!("{x:.2}"));
            let vs: Vec<String> = peers_of(row.work)
                .iter()
                .filter_map(|&(name, peer)| {
                    let size = if row.work == Work::Escaped {
                        0
                    } else {
                        row.size
                    };
                    self.speedup(row.work, peer, size)
                        .map(|x| format!("{x:.1}× {name}"))
                })
                .collect();
            println!(
                "| {} | {} | {ns} | {own} | {fast} | {} |",
                row.work.name(),
                size_name(row.size),
                vs.join(", ")
            );
        }

        let mut beyond = Vec::new();
        for (shape, small, large) in SHAPES {
            let (a, b) = (size_name(small), size_name(large));
            println!();
            println!("Per-byte slope from {a} to {b} (criterion medians):");
            let mut floor_slopes = Vec::new();
            for fl in Floor::all() {
                let s = self.slope(Work::Floor(fl), small, large);
                if let Some(s) = s {
                    floor_slopes.push((fl, s));
                }
                println!("- floor {}: {}", fl.name(), fmt_slope(s));
            }
            let verify_slope = self.slope(Work::Check, small, large);
            println!("- hfjwt verify, no replay: {}", fmt_slope(verify_slope));
            println!(
                "- hfjwt verify with replay cache: {}",
                fmt_slope(self.slope(Work::VerifyReplay, small, large))
            );
            let flattest = floor_slopes.iter().min_by(|x, y| x.1.total_cmp(&y.1));
            let cost = verify_slope.zip(flattest).map(|(v, (_, s))| v - s);
            if let Some((fl, _)) = flattest {
                println!(
                    "- per-byte cost beyond the fastest floor per byte ({}): {}",
                    fl.name(),
                    fmt_slope(cost)
                );
            }
            beyond.push((shape, cost));
        }

        println!();
        println!("Targets:");
        let s0 = size_name(0);
        target(
            &format!("verify, no replay ≤ 1.5× fastest floor @{s0}"),
            self.vs_fastest(Work::Check, 0),
            |x| x <= 1.5,
            "×",
        );
        target(
            &format!(
                "verify with replay cache ≤ 1.5× fastest floor (over the same distinct tokens) @{s0}"
            ),
            self.vs_fastest(Work::VerifyReplay, 0),
            |x| x <= 1.5,
            "×",
        );
        target(
            &format!("mint ≤ 1.5× fastest floor @{s0}"),
            self.vs_fastest(Work::Mint, 0),
            |x| x <= 1.5,
            "×",
        );
        for (shape, cost) in &beyond {
            target(
                &format!(
                    "verify's per-byte cost beyond the fastest floor ≤ 0.2 ns/byte ({})",
                    shape.label()
                ),
                *cost,
                |x| x <= 0.2,
                " ns/byte",
            );
        }
        target(
            &format!("verify ≥ 3.5× faster than `jsonwebtoken` 12 @{s0}"),
            self.speedup(Work::Check, Work::JwtDecode, 0),
            |x| x >= 3.5,
            "×",
        );
        for (_, small, _) in SHAPES {
            target(
                &format!(
                    "verify ≥ 2.5× faster than `jsonwebtoken` 12 @{}",
                    size_name(small)
                ),
                self.speedup(Work::Check, Work::JwtDecode, small),
                |x| x >= 2.5,
                "×",
            );
        }
        println!("<!-- end bench table -->");
    }
}

fn fmt_slope(s: Option<f64>) -> String {
    s.map_or_else(|| "n/a".into(), |s| format!("{s:.3} ns/byte"))
}

/// Prints one target line with PASS or MISS.
fn target(what: &str, value: Option<f64>, pass: impl Fn(f64) -> bool, unit: &str) {
    match value {
        Some(x) => {
            let verdict = if pass(x) { "PASS" } else { "MISS" };
            println!("- {what}: {x:.2}{unit} — {verdict}");
        }
        None => println!("- {what}: not measured — MISS"),
    }
}

fn main() {
    let plan = Plan::from_env();
    let mut f = Fixture::new();
    f.self_check();
    let rows = rows();
    let lens: Vec<String> = f.sizes.iter().map(|s| s.len().to_string()).collect();
    println!(
        "tokens: {} bytes; {} rows{}",
        lens.join(", "),
        rows.len(),
        if plan.quick {
            " (HFJWT_BENCH_QUICK: short runs, numbers only indicative)"
        } else {
            ""
        }
    );

    let dir = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    criterion_pass(&mut c, &mut f, &rows, &plan);
    c.final_summary();
    if std::env::args().skip(1).any(|a| !a.starts_with('-')) {
        return; // a criterion filter: a partial run, no table
    }
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches`: criterion ran each workload once, as a test
    }

    let ratios = paired_pass(&mut f, &rows, &plan);
    let ns = rows
        .iter()
        .map(|&r| criterion_median(&dir, &bench_id(r, &f.sizes)))
        .collect();
    println!(
        "\nPaired with the own floor ({}): {} rounds; each row's batch (~{:?}) right after an \
         own-floor batch of as many calls on the same-size token.\n",
        own::NAME,
        plan.rounds,
        plan.batch
    );
    Report {
        rows: &rows,
        sizes: &f.sizes,
        ratios,
        ns,
    }
    .print();
}
