//! Data-driven verification: the RFC 7515 example, PyJWT-minted vectors, and the table of
//! cases in `tests/vectors/verify_cases.json` covering every error kind and every step of
//! the verification order, one named test per case (`case::<name>`), each checking the kind
//! and the step that refused it.

mod common;

use base64ct::Encoding as _;
use common::*;
use std::collections::BTreeSet;

use hfjwt::{Claim, ErrorKind, HeapReplayCache, Key, Policy, Reason, Verifier};
use serde::Deserialize;
use serde_json::Value;

fn kind_name(r: &Result<hfjwt::Claims<'_>, hfjwt::Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.kind().as_str().into(),
    }
}

fn assert_claims(name: &str, got: &hfjwt::Claims<'_>, want: &Value) {
    assert_eq!(got.email, want["email"].as_str(), "{name}: email");
    assert_eq!(got.name, want["name"].as_str(), "{name}: name");
    assert_eq!(Some(got.iat), want["iat"].as_u64(), "{name}: iat");
    assert_eq!(Some(got.jti), want["jti"].as_str(), "{name}: jti");
}

#[test]
fn rfc7515_appendix_a1_signature_verifies() {
    // RFC 7515 A.1: the JWK's "k", base64url.
    let key = base64ct::Base64UrlUnpadded::decode_vec(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    )
    .unwrap();
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let verifier: Verifier = Verifier::new(Key::new(&key).unwrap());
    let mut scratch = [0u8; 512];
    // The signature check passes; the RFC's claims have no `iat`, which HappyFox requires,
    // and claims are judged only after the MAC.
    let err = verifier
        .check(token, 1_300_819_000, &mut scratch)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingClaim, "{err}");
    // One flipped bit in the signature is caught before the claims.
    let tampered = token.replace("dBjftJeZ4CVP", "dBjftJeZ4CVQ");
    let err = verifier
        .check(&tampered, 1_300_819_000, &mut scratch)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadSignature);
}

#[test]
fn pyjwt_minted_vectors() {
    let file = vectors("pyjwt.json");
    let list = file["vectors"].as_array().unwrap();
    assert!(list.len() >= 30);
    for v in list {
        let name = v["name"].as_str().unwrap();
        let key = Key::new(v["key"].as_str().unwrap().as_bytes()).unwrap();
        let mut verifier: Verifier<HeapReplayCache> = Verifier::with_parts(
            key,
            Policy::new(),
            hfjwt::AnyDomain,
            HeapReplayCache::new(8),
        );
        let mut scratch = [0u8; 4096];
        let r = verifier.verify(
            v["token"].as_str().unwrap(),
            v["now"].as_u64().unwrap(),
            &mut scratch,
        );
        assert_eq!(
            kind_name(&r),
            v["expect"].as_str().unwrap(),
            "{name}: {r:?}"
        );
        if let Ok(c) = r {
            assert_claims(name, &c, &v["claims"]);
        }
    }
}

// --- The verification table: tests/vectors/verify_cases.json (format: tests/vectors/README.md)

/// The table file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[allow(dead_code, reason = "documentation inside the data file")]
    about: String,
    key: String,
    wrong_key: String,
    now: u64,
    cases: Vec<Case>,
}

/// One case: a token (given whole, or a raw header and payload signed at test time and then
/// altered by `tweak`), the policy to judge it by, and the verdict: `ok`, or the error kind
/// and the verification step that must refuse it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    expect: String,
    step: Option<Step>,
    token: Option<String>,
    header: Option<String>,
    payload: Option<String>,
    tweak: Option<Tweak>,
    #[serde(default)]
    policy: CasePolicy,
    scratch: Option<usize>,
    claims: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CasePolicy {
    max_age: Option<u64>,
    leeway: Option<u64>,
    max_token_len: Option<usize>,
    require_email: Option<bool>,
    audience: Option<String>,
    #[serde(default)]
    ignore_audience: bool,
    allowed_domains: Option<Vec<String>>,
}

/// The verification order (DESIGN.md): each refusal belongs to exactly one step.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Step {
    /// The length cap, and a decoded header over `MAX_HEADER_LEN`.
    Size,
    /// Exactly three segments.
    Segments,
    /// Strict unpadded base64url of each segment (and room for the decoded claims).
    Base64,
    /// The header: one JSON object, `alg` exactly HS256, `typ`, no `crit`, no duplicates.
    Header,
    /// The signature: a 32-byte HMAC-SHA256 tag that matches, compared in constant time.
    Mac,
    /// The claims: JSON, presence, types, values, duplicates.
    Claims,
    /// `iat`, `nbf`, `exp` against `now`, `max_age` and the leeway.
    Time,
    /// `aud` against the policy's audience.
    Audience,
    /// The email's domain against the allow-list.
    Domain,
    /// The replay cache.
    Replay,
}

impl Step {
    /// The step a refusal comes from, read off its reason (the core's one list of them).
    fn of(reason: Reason) -> Step {
        use Reason as R;
        match reason {
            R::TokenTooLong { .. } | R::HeaderTooLong => Step::Size,
            R::Segments => Step::Segments,
            R::HeaderBase64 | R::PayloadBase64 | R::SignatureBase64 | R::ScratchTooSmall => {
                Step::Base64
            }
            R::HeaderJson
            | R::HeaderDuplicate
            | R::HeaderCrit
            | R::HeaderTyp
            | R::AlgMissing
            | R::AlgNotHs256 => Step::Header,
            R::SignatureLength | R::SignatureMismatch => Step::Mac,
            R::ClaimMissing(Claim::Aud) => Step::Audience,
            R::ClaimsJson | R::ClaimMissing(_) | R::ClaimInvalid(_) | R::ClaimDuplicate => {
                Step::Claims
            }
            R::IssuedInFuture { .. }
            | R::NotYetValid { .. }
            | R::TooOld { .. }
            | R::ExpPassed { .. } => Step::Time,
            R::AudienceUnexpected | R::AudienceMismatch => Step::Audience,
            R::DomainNotAllowed => Step::Domain,
            R::Replayed
            | R::BeforeHorizon
            | R::WindowOver
            | R::CacheFull
            | R::CacheInconsistent => Step::Replay,
            other => panic!("{other:?} does not come from verifying a token"),
        }
    }
}

/// How a case alters the correctly signed token.
#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "snake_case")]
enum Tweak {
    /// `=` padding after the header segment.
    PadHeader,
    /// `=` after the signature.
    PadSignature,
    /// The payload's first character replaced by `+` (standard alphabet).
    StdAlphabetPayload,
    /// A space in the middle of the payload segment.
    SpaceInPayload,
    /// The signature's last character with a non-zero unused bit.
    NoncanonicalSignature,
    /// One more signature character.
    SigExtraChar,
    /// One signature character less.
    SigMissingChar,
    /// The first signature byte with one bit flipped.
    TamperFirst,
    /// The last signature byte with one bit flipped.
    TamperLast,
    /// Signed with the table's `wrong_key`.
    WrongKey,
    /// A fourth segment (a copy of the signature).
    ExtraSegment,
    /// A `\n` after the token.
    TrailingNewline,
}

impl Case {
    fn token(&self, key: &[u8], wrong_key: &[u8]) -> String {
        if let Some(t) = &self.token {
            assert!(
                self.tweak.is_none(),
                "{}: a whole token takes no tweak",
                self.name
            );
            return t.clone();
        }
        let header = self.header.as_deref().expect("header");
        let payload = self.payload.as_deref().expect("payload");
        let mut h = b64(header.as_bytes());
        let mut p = b64(payload.as_bytes());
        match self.tweak {
            Some(Tweak::PadHeader) => h.push_str(if h.len().is_multiple_of(4) {
                "=="
            } else {
                &"=="[..4 - h.len() % 4]
            }),
            Some(Tweak::StdAlphabetPayload) => p.replace_range(0..1, "+"),
            Some(Tweak::SpaceInPayload) => p.insert(p.len() / 2, ' '),
            _ => {}
        }
        let input = format!("{h}.{p}");
        let signer = match self.tweak {
            Some(Tweak::WrongKey) => wrong_key,
            _ => key,
        };
        let mut sig = sign(signer, &input);
        match self.tweak {
            Some(Tweak::PadSignature) => sig.push('='),
            Some(Tweak::SigExtraChar) => sig.push('A'),
            Some(Tweak::SigMissingChar) => {
                sig.pop();
            }
            Some(t @ (Tweak::TamperFirst | Tweak::TamperLast)) => {
                let mut raw = base64ct::Base64UrlUnpadded::decode_vec(&sig).unwrap();
                let i = if matches!(t, Tweak::TamperFirst) {
                    0
                } else {
                    raw.len() - 1
                };
                raw[i] ^= 0x01;
                sig = b64(&raw);
            }
            Some(Tweak::NoncanonicalSignature) => {
                // The 43rd character carries 4 data bits and 2 bits that must be zero.
                const ALPHABET: &str =
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let last = sig.pop().unwrap();
                let idx = ALPHABET.find(last).unwrap();
                sig.push(ALPHABET.as_bytes()[idx | 1] as char);
            }
            _ => {}
        }
        let mut token = format!("{input}.{sig}");
        match self.tweak {
            Some(Tweak::ExtraSegment) => token = format!("{token}.{sig}"),
            Some(Tweak::TrailingNewline) => token.push('\n'),
            _ => {}
        }
        token
    }

    fn policy(&self) -> Policy {
        let p = &self.policy;
        let mut policy = Policy::new();
        if let Some(v) = p.max_age {
            policy = policy.max_age(v);
        }
        if let Some(v) = p.leeway {
            policy = policy.leeway(v);
        }
        if let Some(v) = p.max_token_len {
            policy = policy.max_token_len(v);
        }
        if let Some(v) = p.require_email {
            policy = policy.require_email(v);
        }
        if let Some(v) = &p.audience {
            policy = policy.audience(v).unwrap();
        }
        if p.ignore_audience {
            policy = policy.ignore_audience();
        }
        policy
    }
}

fn table() -> Table {
    let path = format!(
        "{}/../tests/vectors/verify_cases.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Judges the case named `name` and checks its verdict, kind and step.
fn run_case(name: &str) {
    let table = table();
    let case = table
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name} in verify_cases.json"));
    let key = table.key.as_bytes();
    let mut verifier = Verifier::with_parts(
        Key::new(key).unwrap(),
        case.policy(),
        case.policy.allowed_domains.clone(),
        HeapReplayCache::new(4),
    );
    let token = case.token(key, table.wrong_key.as_bytes());
    let mut scratch = vec![0u8; case.scratch.unwrap_or(4096)];
    let r = verifier.verify(&token, table.now, &mut scratch);
    assert_eq!(kind_name(&r), case.expect, "{name}: {r:?} token={token:?}");
    match (&r, case.step) {
        (Ok(c), None) => {
            if let Some(want) = &case.claims {
                assert_claims(name, c, want);
            }
        }
        (Err(e), Some(step)) => {
            assert_eq!(
                Step::of(e.reason()),
                step,
                "{name}: refused by {:?}",
                e.reason()
            );
            // Messages name the part, never echo the token, and never repeat the kind.
            assert!(
                !e.to_string().contains(&token[..token.len().min(20)]) || token.len() < 20,
                "{name}"
            );
            assert!(!e.to_string().contains(e.kind().as_str()), "{name}: {e}");
        }
        (Ok(_), Some(step)) => panic!("{name}: a passing case names the step {step:?}"),
        (Err(e), None) => panic!("{name}: refused ({e:?}) but the case names no step"),
    }
}

/// One named test per case, as RustCrypto's `new_mac_test!` makes one per data file: `cargo
/// test` lists `case::<name>` and a failure names its case.
macro_rules! verify_cases {
    ($($name:ident,)*) => {
        mod case {
            $(
                #[test]
                fn $name() {
                    super::run_case(stringify!($name));
                }
            )*
        }
        /// The cases the macro made a test for.
        const CASE_NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

verify_cases! {
    default_cap_4096,
    custom_cap,
    token_just_under_custom_cap_passes,
    one_segment,
    two_segments,
    four_segments,
    empty_token,
    only_dots,
    padded_header,
    padded_signature,
    standard_alphabet_in_payload,
    noncanonical_signature_trailing_bits,
    signature_44_chars,
    signature_42_chars,
    space_inside_payload,
    trailing_newline,
    header_longer_than_256_bytes,
    header_not_json,
    header_is_array,
    alg_missing,
    alg_none,
    alg_none_upper,
    alg_hs512,
    alg_hs256,
    alg_rs256,
    alg_hs256_space,
    alg_es256,
    alg_number,
    alg_null,
    alg_escaped_but_equal,
    typ_absent,
    typ_other,
    crit_header,
    duplicate_alg,
    duplicate_alg_escaped,
    unknown_header_ignored,
    signature_first_byte_flipped,
    signature_last_byte_flipped,
    wrong_key,
    bad_signature_wins_over_bad_claims,
    bad_signature_wins_over_expiry,
    claims_not_json,
    claims_array,
    claims_invalid_utf8_escape_lone_surrogate,
    claims_too_deep,
    missing_iat,
    missing_jti,
    missing_email,
    email_optional_when_policy_says_so,
    iat_string,
    iat_fraction,
    iat_exponent,
    iat_negative,
    iat_overflow,
    iat_null,
    jti_empty,
    jti_number,
    jti_object,
    email_invalid,
    email_number,
    name_null,
    exp_string,
    duplicate_claim,
    duplicate_unknown_claim,
    escapes_decoded,
    raw_utf8_decoded,
    unknown_claims_ignored,
    iat_now,
    iat_120_ago,
    iat_121_ago,
    iat_zero,
    iat_1_in_future,
    leeway_future_ok,
    leeway_future_exceeded,
    leeway_past_ok,
    leeway_past_exceeded,
    max_age_300,
    exp_equals_now,
    exp_in_one_second,
    exp_fraction_in_this_second_is_expired,
    exp_fraction_just_before_now_is_expired,
    exp_fraction_next_second_passes,
    nbf_fraction_in_this_second_is_in_future,
    nbf_fraction_just_passed_passes,
    nbf_in_future,
    nbf_now,
    iat_future_wins_over_domain,
    domain_allowed,
    domain_allowed_case_insensitive,
    subdomain_not_allowed,
    other_domain,
    empty_allow_list_allows_nothing,
    allow_list_requires_email,
    scratch_too_small,
    aud_string_equal_to_audience,
    aud_array_containing_audience,
    aud_escaped_string_compares_unescaped,
    aud_escaped_array_element_compares_unescaped,
    aud_other_audience,
    aud_compared_case_sensitively,
    aud_array_without_audience,
    aud_prefix_is_not_a_match,
    aud_missing_when_audience_required,
    aud_empty_string_counts_as_missing,
    aud_empty_array_counts_as_missing,
    aud_present_without_audience_policy,
    aud_array_present_without_audience_policy,
    aud_empty_string_without_audience_policy,
    aud_present_but_ignored,
    aud_number_invalid,
    aud_null_invalid,
    aud_object_invalid,
    aud_array_with_non_string_invalid,
    aud_wrong_type_invalid_even_when_ignored,
    aud_duplicate_invalid,
    expired_before_audience,
    audience_before_domain_allow_list,
}

#[test]
fn every_case_in_the_table_has_its_named_test() {
    let table = table();
    let in_file: Vec<&str> = table.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        in_file, CASE_NAMES,
        "the list in verify_cases! must match the file"
    );
}

#[test]
fn the_table_covers_every_kind_and_step() {
    let table = table();
    let kinds: BTreeSet<&str> = table.cases.iter().map(|c| c.expect.as_str()).collect();
    // Every kind a single verification can produce appears in the table; replayed and
    // replay_cache_full need a sequence (tests/replay.rs), weak_key a constructor,
    // replay_store_unavailable a shared store that is down (replay-redis/tests), and
    // invalid_config comes from building a site, a path or a policy, never from a token.
    let elsewhere = [
        "replayed",
        "replay_cache_full",
        "weak_key",
        "replay_store_unavailable",
        "invalid_config",
    ];
    for kind in ErrorKind::ALL {
        let k = kind.as_str();
        assert!(
            elsewhere.contains(&k) || kinds.contains(k),
            "no case expects {k}"
        );
    }
    let steps: Vec<Step> = table.cases.iter().filter_map(|c| c.step).collect();
    for step in [
        Step::Size,
        Step::Segments,
        Step::Base64,
        Step::Header,
        Step::Mac,
        Step::Claims,
        Step::Time,
        Step::Audience,
        Step::Domain,
    ] {
        assert!(steps.contains(&step), "no case is refused at {step:?}");
    }
}

#[test]
fn weak_keys_are_refused_with_their_kind() {
    for k in [&b""[..], b"short", b"0123456789abcdef0123456789abcde"] {
        assert_eq!(Key::new(k).unwrap_err().kind(), ErrorKind::WeakKey);
    }
}
