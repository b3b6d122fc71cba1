//! The `hfjwt-sim` command line: every subcommand, every exit code, the `--json` shape and
//! streaming from standard input. Every rejection asserts its kind.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::*;
use serde_json::{Value, json};

fn now_arg() -> String {
    NOW.to_string()
}

/// `verify --json` over the given tokens as arguments, one parsed JSON value per token.
fn verify_json(extra: &[&str], tokens: &[&str]) -> (i32, Vec<Value>) {
    let kf = key_file(KEY);
    let now = now_arg();
    let mut args = vec!["verify", "--key-file", &kf, "--now", &now, "--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(tokens);
    let r = run(&args);
    assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    let values = r
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (r.code, values)
}

/// The same token with the header `{"alg":"none","typ":"JWT"}`.
fn alg_none(token: &str) -> String {
    let rest = token.split_once('.').unwrap().1;
    format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{rest}")
}

fn error_kind(v: &Value) -> &str {
    assert_eq!(v["ok"], json!(false), "{v}");
    v["error"].as_str().unwrap()
}

// ---------------------------------------------------------------- help and usage

#[test]
fn help_on_every_subcommand_exits_0() {
    for args in [
        &["--help"][..],
        &["mint", "--help"],
        &["url", "--help"],
        &["verify", "--help"],
        &["serve", "--help"],
        &["help", "verify"],
    ] {
        let r = run(args).expect(0);
        assert!(r.stdout.contains("Usage:"), "{args:?}: {}", r.stdout);
    }
    let r = run(&["verify", "--help"]).expect(0);
    assert!(r.stdout.contains("--replay-capacity") && r.stdout.contains("Exit status"));
}

#[test]
fn usage_errors_exit_2() {
    let kf = key_file(KEY);
    for args in [
        &[][..],
        &["frobnicate"],
        &["mint", "--key-file", &kf],                 // no --email
        &["mint", "--key", KEY, "--email", "a@b.co"], // keys never on argv
        &["verify", "--key-file", &kf, "--now", "yesterday"], // not a number
        &["verify", "--key-file", &kf, "--replay-capacity", "0"],
        &["verify", "--key-file", &kf, "--key-env", "HOME"], // two key sources
        &["url", "--account", "acme"],                       // no token, no --mint
        &["url", "--account", "acme", "--domain", "x.com", "t"],
        &["url", "--account", "acme", "--mint"], // --mint without --email
        &[
            "url",
            "--account",
            "acme",
            "--mint",
            "--email",
            "a@b.co",
            "tok",
        ],
    ] {
        let r = run(args).expect(2);
        assert!(r.stdout.is_empty(), "{args:?}");
        assert!(!r.stderr.is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------- keys

#[test]
fn keys_come_from_a_file_or_the_environment() {
    let iat = NOW.to_string();
    let by_file = run(&[
        "mint",
        "--key-file",
        &key_file(KEY),
        "--email",
        "a@b.co",
        "--iat",
        &iat,
        "--jti",
        "j",
    ])
    .expect(0);
    // CRLF is stripped like LF.
    let crlf = write_file("crlf.txt", format!("{KEY}\r\n").as_bytes());
    let by_crlf = run(&[
        "mint",
        "--key-file",
        crlf.to_str().unwrap(),
        "--email",
        "a@b.co",
        "--iat",
        &iat,
        "--jti",
        "j",
    ])
    .expect(0);
    let by_env = run_with(
        &[
            "mint",
            "--key-env",
            "HFJWT_TEST_KEY",
            "--email",
            "a@b.co",
            "--iat",
            &iat,
            "--jti",
            "j",
        ],
        &[("HFJWT_TEST_KEY", KEY)],
        Vec::new(),
    )
    .expect(0);
    let expected = mint(KEY, "a@b.co", None, NOW, "j");
    assert_eq!(by_file.stdout, format!("{expected}\n"));
    assert_eq!(by_crlf.stdout, by_file.stdout);
    assert_eq!(by_env.stdout, by_file.stdout);
}

#[test]
fn key_problems_exit_2_with_one_line() {
    run(&["mint", "--email", "a@b.co"])
        .expect(2)
        .one_error_line("a key is needed");
    run(&[
        "mint",
        "--key-file",
        "/nonexistent/key",
        "--email",
        "a@b.co",
    ])
    .expect(2)
    .one_error_line("cannot read key file");
    run(&["verify", "--key-env", "HFJWT_SURELY_UNSET_VAR", "x"])
        .expect(2)
        .one_error_line("environment variable HFJWT_SURELY_UNSET_VAR is not set");
    for cmd in ["mint", "verify"] {
        let r = run(&[
            cmd,
            "--key-file",
            &key_file("tooshort"),
            "--email",
            "a@b.co",
        ][..if cmd == "mint" { 5 } else { 3 }])
        .expect(2)
        .one_error_line("weak_key: ");
        assert!(r.stdout.is_empty());
    }
    // A weak key in the environment, and one that is 31 bytes after the newline is stripped.
    run_with(
        &["mint", "--key-env", "K", "--email", "a@b.co"],
        &[("K", "short")],
        Vec::new(),
    )
    .expect(2)
    .one_error_line("weak_key: ");
    run(&[
        "mint",
        "--key-file",
        &key_file(&KEY[..31]),
        "--email",
        "a@b.co",
    ])
    .expect(2)
    .one_error_line("weak_key: ");
}

// ---------------------------------------------------------------- mint

#[test]
fn mint_defaults_to_now_and_a_fresh_uuid() {
    let kf = key_file(KEY);
    let before = unix_now();
    let a = run(&[
        "mint",
        "--key-file",
        &kf,
        "--email",
        "jo@acme.com",
        "--name",
        "Jo",
    ])
    .expect(0);
    let b = run(&["mint", "--key-file", &kf, "--email", "jo@acme.com"]).expect(0);
    let after = unix_now();
    assert_ne!(a.stdout, b.stdout);
    let r = run(&[
        "verify",
        "--key-file",
        &kf,
        "--json",
        a.stdout.trim(),
        b.stdout.trim(),
    ])
    .expect(0);
    let lines = r.lines();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let c = &v["claims"];
        let iat = c["iat"].as_u64().unwrap();
        assert!((before..=after).contains(&iat));
        let jti = c["jti"].as_str().unwrap();
        assert_eq!(jti.len(), 36, "{jti}");
        assert_eq!(jti.matches('-').count(), 4, "{jti}");
    }
}

#[test]
fn mint_prints_exactly_the_cores_token() {
    let iat = (NOW - 5).to_string();
    let r = run(&[
        "mint",
        "--key-file",
        &key_file(KEY),
        "--email",
        "jo@acme.com",
        "--name",
        "José",
        "--iat",
        &iat,
        "--jti",
        "j-1",
    ])
    .expect(0);
    assert_eq!(
        r.stdout,
        format!(
            "{}\n",
            mint(KEY, "jo@acme.com", Some("José"), NOW - 5, "j-1")
        )
    );
    assert!(r.stderr.is_empty());
}

#[test]
fn mint_rejects_what_the_core_rejects_with_exit_1() {
    let kf = key_file(KEY);
    run(&["mint", "--key-file", &kf, "--email", "not-an-email"])
        .expect(1)
        .one_error_line("invalid_claim: ");
    run(&["mint", "--key-file", &kf, "--email", "a@b.co", "--jti", ""])
        .expect(1)
        .one_error_line("invalid_claim: ");
}

// ---------------------------------------------------------------- url

#[test]
fn url_for_account_domain_and_origin() {
    let r = run(&[
        "url",
        "--account",
        "acme",
        "--return-to",
        "tickets",
        "aaa.bbb.ccc",
    ])
    .expect(0);
    assert_eq!(
        r.stdout,
        "https://acme.happyfox.com/jwt/?token=aaa.bbb.ccc&return_to=%2Ftickets\n"
    );
    let r = run(&["url", "--domain", "support.acme.com", "aaa.bbb.ccc"]).expect(0);
    assert_eq!(
        r.stdout,
        // return_to defaults to home, as in `python -m hfjwt url`.
        "https://support.acme.com/jwt/?token=aaa.bbb.ccc&return_to=%2Fhome\n"
    );
    let r = run(&[
        "url",
        "--origin",
        "http://127.0.0.1:8080",
        "--return-to",
        "/kb/article-1",
        "a.b.c",
    ])
    .expect(0);
    assert_eq!(
        r.stdout,
        "http://127.0.0.1:8080/jwt/?token=a.b.c&return_to=%2Fkb%2Farticle-1\n"
    );
    for (rt, path) in [
        ("home", "%2Fhome"),
        ("kb", "%2Fkb"),
        ("/tickets", "%2Ftickets"),
    ] {
        let r = run(&["url", "--account", "acme", "--return-to", rt, "a.b.c"]).expect(0);
        assert!(
            r.stdout.trim_end().ends_with(&format!("&return_to={path}")),
            "{}",
            r.stdout
        );
    }
}

#[test]
fn url_mints_a_token_that_verifies() {
    let kf = key_file(KEY);
    let iat = NOW.to_string();
    let r = run(&[
        "url",
        "--account",
        "acme",
        "--mint",
        "--email",
        "jo@acme.com",
        "--name",
        "Jo",
        "--iat",
        &iat,
        "--jti",
        "u1",
        "--key-file",
        &kf,
    ])
    .expect(0);
    let expected = mint(KEY, "jo@acme.com", Some("Jo"), NOW, "u1");
    assert_eq!(
        r.stdout,
        format!("https://acme.happyfox.com/jwt/?token={expected}&return_to=%2Fhome\n")
    );
    // A key is needed only when minting.
    run(&[
        "url",
        "--account",
        "acme",
        "--mint",
        "--email",
        "jo@acme.com",
    ])
    .expect(2)
    .one_error_line("a key is needed");
}

#[test]
fn url_refuses_a_bad_site_or_path_as_configuration_with_exit_2() {
    for args in [
        &[
            "url",
            "--account",
            "acme",
            "--return-to",
            "//evil.example",
            "a.b.c",
        ][..],
        &[
            "url",
            "--account",
            "acme",
            "--return-to",
            "nowhere",
            "a.b.c",
        ],
        &["url", "--account", "bad_name!", "a.b.c"],
        &["url", "--domain", "not a host", "a.b.c"],
        &["url", "--origin", "ftp://x", "a.b.c"],
    ] {
        // Configuration, not a token: its own kind, and exit 2 like any bad setting.
        run(args).expect(2).one_error_line("invalid_config: ");
    }
    let huge = format!("{}.b.c", "a".repeat(10_000));
    run(&["url", "--account", "acme", &huge])
        .expect(1)
        .one_error_line("buffer_too_small: ");
    run(&[
        "url",
        "--account",
        "acme",
        "--mint",
        "--email",
        "nope",
        "--key-file",
        &key_file(KEY),
    ])
    .expect(1)
    .one_error_line("invalid_claim: ");
}

// ---------------------------------------------------------------- verify: verdicts

#[test]
fn verify_json_shape_is_exact() {
    let ok = mint(KEY, "jo@acme.com", Some("José \"J\""), NOW - 10, "j1");
    let nameless = mint(KEY, "al@acme.com", None, NOW, "j2");
    let (code, v) = verify_json(&[], &[&ok, &nameless, &ok]);
    assert_eq!(code, 1);
    assert_eq!(
        v[0],
        json!({"ok":true,"claims":{"name":"José \"J\"","email":"jo@acme.com","iat":NOW - 10,"jti":"j1"}})
    );
    assert_eq!(
        v[1],
        json!({"ok":true,"claims":{"name":null,"email":"al@acme.com","iat":NOW,"jti":"j2"}})
    );
    assert_eq!(
        v[2],
        json!({"ok":false,"error":"replayed","message":"this jti was already used"})
    );
    // Key order on the wire, as documented.
    let kf = key_file(KEY);
    let now = now_arg();
    let fresh = mint(KEY, "jo@acme.com", Some("Jo"), NOW, "j3");
    let r = run(&[
        "verify",
        "--key-file",
        &kf,
        "--now",
        &now,
        "--json",
        &fresh,
        &fresh,
    ])
    .expect(1);
    assert_eq!(
        r.lines(),
        [
            format!(
                r#"{{"ok":true,"claims":{{"name":"Jo","email":"jo@acme.com","iat":{NOW},"jti":"j3"}}}}"#
            ),
            r#"{"ok":false,"error":"replayed","message":"this jti was already used"}"#.to_owned(),
        ]
    );
}

#[test]
fn verify_text_output_and_exit_codes() {
    let kf = key_file(KEY);
    let now = now_arg();
    let t = mint(KEY, "jo@acme.com", Some("Jo"), NOW, "t1");
    let r = run(&["verify", "--key-file", &kf, "--now", &now, &t]).expect(0);
    assert_eq!(
        r.stdout,
        format!("ok jo@acme.com jti=t1 iat={NOW} name=Jo\n")
    );
    assert!(r.stderr.is_empty());
    let r = run(&["verify", "--key-file", &kf, "--now", &now, &t, "garbage"]).expect(1);
    assert_eq!(
        r.lines(),
        [
            format!("ok jo@acme.com jti=t1 iat={NOW} name=Jo"),
            // The kind once, then the reason: never "malformed: malformed token: …".
            "rejected malformed: token does not have exactly three segments".to_owned(),
        ]
    );
    // No tokens at all (empty stdin): nothing rejected.
    let r = run(&["verify", "--key-file", &kf]).expect(0);
    assert!(r.stdout.is_empty());
    // Claims with control characters stay on one line.
    let odd = mint(KEY, "jo@acme.com", Some("two\nlines"), NOW, "t\n2");
    let r = run(&["verify", "--key-file", &kf, "--now", &now, &odd]).expect(0);
    assert_eq!(
        r.stdout,
        format!("ok jo@acme.com jti=t\\n2 iat={NOW} name=two\\nlines\n")
    );
}

#[test]
fn verify_rejections_carry_the_cores_kind() {
    let cases: Vec<(String, &str)> = vec![
        (mint(KEY, "a@acme.com", None, NOW - 121, "late"), "expired"),
        (
            mint(KEY, "a@acme.com", None, NOW + 1, "early"),
            "issued_in_future",
        ),
        (
            mint(OTHER_KEY, "a@acme.com", None, NOW, "forged"),
            "bad_signature",
        ),
        (
            mint(KEY, "a@other.com", None, NOW, "outsider"),
            "domain_not_allowed",
        ),
        (String::new(), "malformed"),
        ("a.b".to_owned(), "malformed"),
        (
            alg_none(&mint(KEY, "a@acme.com", None, NOW, "none")),
            "unsupported_algorithm",
        ),
        ("x".repeat(5000), "too_large"),
    ];
    let tokens: Vec<&str> = cases.iter().map(|(t, _)| t.as_str()).collect();
    let (code, v) = verify_json(&["--allow-domain", "acme.com"], &tokens);
    assert_eq!(code, 1);
    assert_eq!(v.len(), cases.len());
    for ((_, kind), got) in cases.iter().zip(&v) {
        assert_eq!(error_kind(got), *kind, "{got}");
        assert!(got["message"].as_str().unwrap().len() > kind.len());
    }
    // The expired token was not recorded, the domain list admits its own domain.
    let ok = mint(KEY, "a@ACME.com", None, NOW, "fine");
    let (code, v) = verify_json(&["--allow-domain", "acme.com"], &[&ok]);
    assert_eq!((code, v[0]["ok"].clone()), (0, json!(true)));
}

#[test]
fn verify_policy_flags() {
    let late = mint(KEY, "a@acme.com", None, NOW - 200, "late");
    let (_, v) = verify_json(&[], &[&late]);
    assert_eq!(error_kind(&v[0]), "expired");
    let (code, _) = verify_json(&["--max-age", "300"], &[&late]);
    assert_eq!(code, 0);
    let (code, _) = verify_json(&["--max-age", "190", "--leeway", "10"], &[&late]);
    assert_eq!(code, 0);
    let early = mint(KEY, "a@acme.com", None, NOW + 5, "early");
    let (_, v) = verify_json(&["--leeway", "4"], &[&early]);
    assert_eq!(error_kind(&v[0]), "issued_in_future");
    let (code, _) = verify_json(&["--leeway", "5"], &[&early]);
    assert_eq!(code, 0);
    // Several allowed domains.
    let t = mint(KEY, "a@beta.org", None, NOW, "b");
    let (code, _) = verify_json(
        &["--allow-domain", "acme.com", "--allow-domain", "beta.org"],
        &[&t],
    );
    assert_eq!(code, 0);
}

#[test]
fn verify_replay_cache_capacity_fails_closed() {
    let a = mint(KEY, "a@acme.com", None, NOW, "a");
    let b = mint(KEY, "b@acme.com", None, NOW, "b");
    let (code, v) = verify_json(&["--replay-capacity", "1"], &[&a, &b, &a]);
    assert_eq!(code, 1);
    assert_eq!(v[0]["ok"], json!(true));
    assert_eq!(error_kind(&v[1]), "replay_cache_full");
    assert_eq!(error_kind(&v[2]), "replayed");
}

#[test]
fn verify_horizon_refuses_tokens_from_before_the_run() {
    let before = mint(KEY, "a@acme.com", None, NOW - 10, "before");
    let at = mint(KEY, "a@acme.com", None, NOW, "at");
    let (code, v) = verify_json(&["--horizon"], &[&before, &at]);
    assert_eq!(code, 1);
    assert_eq!(error_kind(&v[0]), "replayed");
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("before this verifier started")
    );
    assert_eq!(v[1]["ok"], json!(true));
    // Off by default.
    let (code, _) = verify_json(&[], &[&before]);
    assert_eq!(code, 0);
}

#[test]
fn verify_uses_the_system_clock_without_now() {
    let kf = key_file(KEY);
    let fresh = mint(KEY, "a@acme.com", None, unix_now(), "f");
    let stale = mint(KEY, "a@acme.com", None, unix_now() - 1000, "s");
    let r = run(&["verify", "--key-file", &kf, "--json", &fresh, &stale]).expect(1);
    let v: Vec<Value> = r
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[0]["ok"], json!(true));
    assert_eq!(error_kind(&v[1]), "expired");
}

// ---------------------------------------------------------------- verify: standard input

#[test]
fn verify_reads_lines_from_stdin_through_one_verifier() {
    let kf = key_file(KEY);
    let now = now_arg();
    let a = mint(KEY, "a@acme.com", None, NOW, "a");
    let b = mint(KEY, "b@acme.com", None, NOW, "b");
    // LF and CRLF endings, an empty line (a token, rejected), a replay, no final newline.
    let input = format!("{a}\r\n\n{b}\n{a}\n{b}");
    let r = run_with(
        &["verify", "--key-file", &kf, "--now", &now, "--json"],
        &[],
        input.into_bytes(),
    )
    .expect(1);
    let v: Vec<Value> = r
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 5);
    assert_eq!(v[0]["claims"]["jti"], json!("a"));
    assert_eq!(error_kind(&v[1]), "malformed");
    assert_eq!(v[2]["claims"]["jti"], json!("b"));
    assert_eq!(error_kind(&v[3]), "replayed");
    assert_eq!(error_kind(&v[4]), "replayed");
}

#[test]
fn verify_survives_garbage_invalid_utf8_and_huge_lines() {
    let kf = key_file(KEY);
    let now = now_arg();
    let good = mint(KEY, "a@acme.com", None, NOW, "g");
    let mut input = Vec::new();
    input.extend_from_slice(b"\xff\xfe\x00binary\x80garbage\n");
    input.extend_from_slice(&[b'A'; 100_000]);
    input.push(b'\n');
    // A 100 kB line whose cut point is a `\r`, then a valid token after it.
    input.extend_from_slice(&[b'.'; 4096]);
    input.push(b'\r');
    input.extend_from_slice(&[b'z'; 100_000]);
    input.push(b'\n');
    input.extend_from_slice(format!("{good}\n").as_bytes());
    // Invalid UTF-8 inside an otherwise plausible token.
    let mut bad = good.clone().into_bytes();
    bad[40] = 0xc3;
    input.extend_from_slice(&bad);
    input.push(b'\n');
    let padded = format!("{good}=");
    input.extend_from_slice(padded.as_bytes());
    let r = run_with(
        &["verify", "--key-file", &kf, "--now", &now, "--json"],
        &[],
        input,
    )
    .expect(1);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let v: Vec<Value> = r
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = v
        .iter()
        .map(|x| {
            if x["ok"] == json!(true) {
                "ok"
            } else {
                x["error"].as_str().unwrap()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "malformed",
            "too_large",
            "too_large",
            "ok",
            "malformed",
            "malformed"
        ]
    );

    // Pure random-ish bytes: one verdict per line, no panic.
    let mut noise = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x as u8);
    }
    let newlines = noise.split(|&b| b == b'\n').count() - usize::from(noise.last() == Some(&b'\n'));
    let r = run_with(&["verify", "--key-file", &kf, "--now", &now], &[], noise).expect(1);
    assert_eq!(r.lines().len(), newlines);
    assert!(r.lines().iter().all(|l| l.starts_with("rejected ")));
}

#[test]
fn verify_streams_100k_lines() {
    const LINES: usize = 100_000;
    let kf = key_file(KEY);
    let now = now_arg();
    // Every 100th line is a fresh valid token; the others are cheap rejections of
    // several kinds, plus replays of the last valid token.
    let mut input = Vec::with_capacity(LINES * 40);
    let mut expected_ok = 0;
    let mut last = String::new();
    for i in 0..LINES {
        let line = match i % 100 {
            0 => {
                expected_ok += 1;
                last = mint(KEY, "a@acme.com", None, NOW, &format!("jti-{i}"));
                last.clone()
            }
            1 => last.clone(),
            2 => String::new(),
            _ => format!("not.a.token{i}"),
        };
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    let started = std::time::Instant::now();
    let r = run_with(
        &[
            "verify",
            "--key-file",
            &kf,
            "--now",
            &now,
            "--replay-capacity",
            "2000",
        ],
        &[],
        input,
    )
    .expect(1);
    let lines = r.lines();
    assert_eq!(lines.len(), LINES);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("ok ")).count(),
        expected_ok
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("rejected replayed:"))
            .count(),
        LINES / 100
    );
    assert!(lines[0].starts_with("ok a@acme.com jti=jti-0 "));
    assert!(lines[2].starts_with("rejected malformed:"));
    eprintln!("100k lines verified in {:?}", started.elapsed());
}

#[test]
fn verify_answers_each_line_before_stdin_closes() {
    // Real streaming: a verdict comes back while the input is still open.
    let kf = key_file(KEY);
    let now = now_arg();
    let mut child = bin()
        .args(["verify", "--key-file", &kf, "--now", &now])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for i in 0..3 {
        let t = mint(KEY, "a@acme.com", None, NOW, &format!("live-{i}"));
        writeln!(stdin, "{t}").unwrap();
        stdin.flush().unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
        assert!(
            line.starts_with(&format!("ok a@acme.com jti=live-{i} ")),
            "{line}"
        );
    }
    writeln!(stdin, "nope").unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("rejected malformed:"), "{line}");
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn verify_with_non_utf8_arguments() {
    use std::os::unix::ffi::OsStrExt;
    let kf = key_file(KEY);
    let out = bin()
        .args(["verify", "--key-file", &kf, "--json"])
        .arg(std::ffi::OsStr::from_bytes(b"\xff.\xfe.\xfd"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error_kind(&v), "malformed");
}

// ---------------------------------------------------------------- audience

#[test]
fn mint_aud_binds_the_token_to_one_audience() {
    let kf = key_file(KEY);
    let now = now_arg();
    let token = run(&[
        "mint",
        "--key-file",
        &kf,
        "--email",
        "jo@acme.com",
        "--iat",
        &now,
        "--jti",
        "k-1",
        "--aud",
        "kiosk-a",
    ])
    .expect(0)
    .stdout
    .trim()
    .to_owned();
    let (code, v) = verify_json(&["--audience", "kiosk-a"], &[&token]);
    assert_eq!((code, &v[0]["claims"]["aud"]), (0, &json!("kiosk-a")));
    let (code, v) = verify_json(&["--audience", "kiosk-b"], &[&token]);
    assert_eq!((code, error_kind(&v[0])), (1, "wrong_audience"));
    let (code, v) = verify_json(&[], &[&token]);
    assert_eq!((code, error_kind(&v[0])), (1, "wrong_audience"));
    let (code, _) = verify_json(&["--ignore-audience"], &[&token]);
    assert_eq!(code, 0);
    // A token without aud, when an audience is required.
    let plain = mint(KEY, "jo@acme.com", None, NOW, "k-2");
    let (code, v) = verify_json(&["--audience", "kiosk-a"], &[&plain]);
    assert_eq!((code, error_kind(&v[0])), (1, "missing_claim"));
    // Text output names the audience.
    let r = run(&[
        "verify",
        "--key-file",
        &kf,
        "--now",
        &now,
        "--audience",
        "kiosk-a",
        &token,
    ])
    .expect(0);
    assert!(
        r.stdout.trim_end().ends_with(" aud=kiosk-a"),
        "{}",
        r.stdout
    );
    // Usage mistakes.
    run(&[
        "verify",
        "--key-file",
        &kf,
        "--audience",
        "a",
        "--ignore-audience",
        "x",
    ])
    .expect(2);
    run(&["verify", "--key-file", &kf, "--audience", "", "x"]).expect(2);
    run(&[
        "mint",
        "--key-file",
        &kf,
        "--email",
        "jo@acme.com",
        "--aud",
        "",
    ])
    .expect(1);
}

// ---------------------------------------------------------------- shared replay store

#[path = "../../replay-redis/tests/common/redis_server.rs"]
mod redis_server;

#[test]
fn two_verify_workers_on_one_redis_accept_each_token_once() {
    let redis = redis_server::RedisServer::start();
    let url = redis.url();
    let kf = key_file(KEY);
    let now = unix_now();
    let tokens: Vec<String> = (0..40)
        .map(|i| mint(KEY, "jo@acme.com", None, now, &format!("w-{i}")))
        .collect();
    // Two workers fed the same tokens at once, each in its own order.
    let workers: Vec<_> = [false, true]
        .into_iter()
        .map(|reverse| {
            let mut ts = tokens.clone();
            if reverse {
                ts.reverse();
            }
            bin()
                .args([
                    "verify",
                    "--key-file",
                    &kf,
                    "--json",
                    "--replay-store",
                    &url,
                ])
                .args(&ts)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut accepted = std::collections::HashMap::<String, usize>::new();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["ok"] == json!(true) {
                let jti = v["claims"]["jti"].as_str().unwrap().to_owned();
                *accepted.entry(jti).or_default() += 1;
            } else {
                assert_eq!(error_kind(&v), "replayed");
            }
        }
    }
    assert_eq!(accepted.len(), tokens.len());
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    // A third run, later: still refused (the memory is Redis's, not the process's).
    let r = run(&[
        "verify",
        "--key-file",
        &kf,
        "--json",
        "--replay-store",
        &url,
        &tokens[0],
    ])
    .expect(1);
    let v: Value = serde_json::from_str(r.lines()[0]).unwrap();
    assert_eq!(error_kind(&v), "replayed");
    assert_eq!(redis.cmd(&["DBSIZE"]).as_deref(), Some("40"));
}

#[test]
fn verify_with_an_unreachable_replay_store_rejects_every_token() {
    let kf = key_file(KEY);
    let now = unix_now();
    let t = mint(KEY, "jo@acme.com", None, now, "down");
    let r = run(&[
        "verify",
        "--key-file",
        &kf,
        "--json",
        "--replay-store",
        "redis://127.0.0.1:1/0",
        "--replay-timeout-ms",
        "100",
        &t,
        &t,
    ])
    .expect(1);
    let v: Vec<Value> = r
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 2);
    for x in &v {
        assert_eq!(error_kind(x), "replay_store_unavailable");
    }
    // Configuration mistakes are usage errors.
    run(&[
        "verify",
        "--key-file",
        &kf,
        "--replay-store",
        "http://127.0.0.1/",
        &t,
    ])
    .expect(2);
    run(&[
        "verify",
        "--key-file",
        &kf,
        "--replay-store",
        "redis://127.0.0.1:1/",
        "--replay-capacity",
        "5",
        &t,
    ])
    .expect(2);
    run(&["verify", "--key-file", &kf, "--replay-prefix", "x:", &t]).expect(2);
}
