//! One rule for keys in every subcommand: a key file, standard input (`--key-file -`) or
//! `--key-env`; exactly one final newline stripped, anything else around the key refused with
//! a message naming it, at most 4 KiB read, and a warning for a key file others may read.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// `mint` with the key from `key_args`, at a fixed iat and jti.
fn mint_with(key_args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let iat = NOW.to_string();
    let mut args = vec!["mint", "--email", "a@b.co", "--iat", &iat, "--jti", "j"];
    args.extend_from_slice(key_args);
    run_with(&args, env, stdin.to_vec())
}

fn expected_token() -> String {
    format!("{}\n", mint(KEY, "a@b.co", None, NOW, "j"))
}

#[test]
fn one_final_newline_is_stripped_in_every_source() {
    for contents in [KEY.to_owned(), format!("{KEY}\n"), format!("{KEY}\r\n")] {
        let kf = write_file("key.txt", contents.as_bytes());
        let r = mint_with(&["--key-file", kf.to_str().unwrap()], &[], b"").expect(0);
        assert_eq!(r.stdout, expected_token(), "{contents:?}");
        assert!(r.stderr.is_empty(), "{}", r.stderr);
        // The same bytes on standard input, and in the environment.
        let r = mint_with(&["--key-file", "-"], &[], contents.as_bytes()).expect(0);
        assert_eq!(r.stdout, expected_token(), "stdin {contents:?}");
        let r = mint_with(
            &["--key-env", "HFJWT_TEST_KEY"],
            &[("HFJWT_TEST_KEY", &contents)],
            b"",
        )
        .expect(0);
        assert_eq!(r.stdout, expected_token(), "env {contents:?}");
    }
}

#[test]
fn stray_bytes_around_a_key_are_refused_with_what_they_are() {
    for (contents, words) in [
        (format!("{KEY}\n\n"), "whitespace before or after the key"),
        (format!("{KEY} \n"), "whitespace before or after the key"),
        (format!("{KEY}\t"), "whitespace before or after the key"),
        (format!(" {KEY}\n"), "whitespace before or after the key"),
        (format!("{KEY}\r"), "whitespace before or after the key"),
        (format!("\u{feff}{KEY}\n"), "byte order mark (BOM)"),
        (
            format!("{}\u{1b}{}\n", &KEY[..4], &KEY[4..]),
            "control characters",
        ),
        (format!("{KEY}\0"), "control characters"),
    ] {
        let kf = write_file("stray.txt", contents.as_bytes());
        let path = kf.to_str().unwrap();
        let r = mint_with(&["--key-file", path], &[], b"")
            .expect(2)
            .one_error_line(&format!("key file {path}: "));
        assert!(r.stderr.contains(words), "{contents:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        // The key never appears in the message.
        assert!(!r.stderr.contains(KEY), "{}", r.stderr);
        let r = mint_with(&["--key-file", "-"], &[], contents.as_bytes())
            .expect(2)
            .one_error_line("the key on standard input: ");
        assert!(r.stderr.contains(words), "{}", r.stderr);
        if !contents.contains('\0') {
            let r = mint_with(&["--key-env", "K"], &[("K", &contents)], b"")
                .expect(2)
                .one_error_line("environment variable K: ");
            assert!(r.stderr.contains(words), "{}", r.stderr);
        }
    }
}

#[test]
fn key_sources_over_4_kib_are_refused_without_reading_them_whole() {
    let big = write_file("big.txt", &[b'a'; 4097]);
    let r = mint_with(&["--key-file", big.to_str().unwrap()], &[], b"")
        .expect(2)
        .one_error_line("key file ");
    assert!(r.stderr.contains("larger than 4 KiB"), "{}", r.stderr);
    // An endless file: refused as soon as 4 KiB + 1 byte are read.
    let start = Instant::now();
    let r = mint_with(&["--key-file", "/dev/zero"], &[], b"")
        .expect(2)
        .one_error_line("key file /dev/zero: is larger than 4 KiB");
    assert!(start.elapsed() < Duration::from_secs(5), "{r:?}");
    let r = mint_with(&["--key-file", "-"], &[], &[b'a'; 100_000])
        .expect(2)
        .one_error_line("the key on standard input: is larger than 4 KiB");
    assert!(r.stdout.is_empty());
    // 4 KiB exactly is read (and judged by the core, which takes long keys).
    let max = write_file("max.txt", &[b'k'; 4096]);
    mint_with(&["--key-file", max.to_str().unwrap()], &[], b"").expect(0);
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_gets_a_warning() {
    let path = tmp_path("shared.key");
    write_file_mode(&path, format!("{KEY}\n").as_bytes(), 0o644);
    let p = path.to_str().unwrap();
    let r = mint_with(&["--key-file", p], &[], b"").expect(0);
    assert_eq!(r.stdout, expected_token(), "still used");
    assert_eq!(
        r.stderr,
        format!(
            "hfjwt-sim: warning: key file {p} is readable by group or others (mode 644); \
             chmod 600 it\n"
        )
    );
    let group = tmp_path("group.key");
    write_file_mode(&group, format!("{KEY}\n").as_bytes(), 0o640);
    let r = mint_with(&["--key-file", group.to_str().unwrap()], &[], b"").expect(0);
    assert!(r.stderr.contains("readable by group or others (mode 640)"));
    // Owner-only: silent.
    let own = tmp_path("own.key");
    write_file_mode(&own, format!("{KEY}\n").as_bytes(), 0o600);
    let r = mint_with(&["--key-file", own.to_str().unwrap()], &[], b"").expect(0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn every_subcommand_that_reads_a_key_follows_the_rule() {
    let bad = write_file("bad.key", format!("{KEY} \n").as_bytes());
    let bad = bad.to_str().unwrap();
    for args in [
        &["verify", "--key-file", bad, "a.b.c"][..],
        &[
            "url",
            "--account",
            "acme",
            "--mint",
            "--email",
            "a@b.co",
            "--key-file",
            bad,
        ],
        &["serve", "--port", "0", "--key-file", bad],
        &[
            "serve",
            "--port",
            "0",
            "--key-file",
            &key_file(KEY),
            "--kiosk-key-file",
            bad,
        ],
    ] {
        let r = run(args)
            .expect(2)
            .one_error_line(&format!("key file {bad}: "));
        assert!(r.stderr.contains("whitespace"), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn standard_input_holds_the_key_or_something_else_never_both() {
    let token = mint(KEY, "jo@acme.com", None, NOW, "k-stdin");
    let now = NOW.to_string();
    // The key from stdin, the tokens as arguments.
    let r = run_with(
        &["verify", "--key-file", "-", "--now", &now, &token],
        &[],
        format!("{KEY}\n").into_bytes(),
    )
    .expect(0);
    assert!(
        r.stdout.starts_with("ok jo@acme.com jti=k-stdin"),
        "{}",
        r.stdout
    );
    // Without token arguments verify would read tokens from the stdin the key used up.
    let r = run_with(
        &["verify", "--key-file", "-", "--now", &now],
        &[],
        format!("{KEY}\n{token}\n").into_bytes(),
    )
    .expect(2)
    .one_error_line("--key-file - reads the key from standard input");
    assert!(r.stdout.is_empty());
    run_with(
        &[
            "serve",
            "--port",
            "0",
            "--key-file",
            "-",
            "--kiosk-key-file",
            "-",
        ],
        &[],
        format!("{KEY}\n").into_bytes(),
    )
    .expect(2)
    .one_error_line("the HappyFox key and the kiosk key cannot both come from standard input");
}
