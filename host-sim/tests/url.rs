//! `hfjwt-sim url` takes only compact JWS text, reads it from standard input for `-`, and has
//! the same defaults as `python -m hfjwt url` (return_to home).

mod common;

use common::*;

#[test]
fn text_that_is_not_a_compact_jws_is_a_usage_error() {
    for token in [
        "t",
        "a.b",
        "a.b.c.d",
        "a..c",
        "a.b.c=",
        "a+b.c.d",
        "https://acme.happyfox.com/jwt/?token=a.b.c",
        KEY,
    ] {
        let r = run(&["url", "--account", "acme", token])
            .expect(2)
            .one_error_line("TOKEN is not a compact JWS: expected three base64url segments");
        assert!(r.stdout.is_empty(), "{token}");
        assert!(
            !r.stderr.contains(KEY),
            "the text is not echoed: {}",
            r.stderr
        );
    }
}

#[test]
fn a_dash_reads_the_token_from_stdin() {
    let token = mint(KEY, "jo@acme.com", None, NOW, "stdin");
    for input in [format!("{token}\n"), format!("{token}\r\n"), token.clone()] {
        let r = run_with(
            &["url", "--account", "acme", "--return-to", "kb", "-"],
            &[],
            input.into_bytes(),
        )
        .expect(0);
        assert_eq!(
            r.stdout,
            format!("https://acme.happyfox.com/jwt/?token={token}&return_to=%2Fkb\n")
        );
    }
    for input in [&b""[..], b"\n", b"a.b\n", b"a.b.c\nd.e.f\n", b"\xff.b.c\n"] {
        run_with(&["url", "--account", "acme", "-"], &[], input.to_vec())
            .expect(2)
            .one_error_line("the text on standard input is not a compact JWS");
    }
}

#[test]
fn return_to_defaults_to_home_like_the_python_helper() {
    let r = run(&["url", "--origin", "http://127.0.0.1:8080", "a.b.c"]).expect(0);
    assert_eq!(
        r.stdout,
        "http://127.0.0.1:8080/jwt/?token=a.b.c&return_to=%2Fhome\n"
    );
    let help = run(&["url", "--help"]).expect(0).stdout;
    assert!(help.contains("[default: home]"), "{help}");
    assert!(help.contains("3 the URL could not be written"), "{help}");
}

/// Output that cannot be written is a run-time failure (exit 3), not a usage error.
#[cfg(target_os = "linux")]
#[test]
fn a_write_failure_exits_3() {
    let kf = key_file(KEY);
    for (args, words) in [
        (
            vec!["url", "--account", "acme", "a.b.c"],
            "cannot write the URL",
        ),
        (
            vec!["mint", "--key-file", &kf, "--email", "a@b.co"],
            "cannot write the token",
        ),
    ] {
        let out = bin()
            .args(&args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("hfjwt-sim: {words}")),
            "{stderr}"
        );
    }
}
