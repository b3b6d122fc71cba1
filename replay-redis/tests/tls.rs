//! `rediss://`: the store over TLS against a real `redis-server --tls-port`, with a CA made
//! here by `openssl`. The client trusts the system's roots (rustls-native-certs), which
//! `SSL_CERT_FILE` replaces, so each check runs in a child process with its own environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hfjwt::{AnyDomain, ErrorKind, Grant, Key, Policy, Verifier, mint};
use hfjwt_redis::RedisReplayStore;

const KEY: &[u8] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is needed to make the test's certificates");
    assert!(ok.success(), "openssl {args:?}");
}

/// A CA, and a server certificate for 127.0.0.1 signed by it.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=hfjwt test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
        ],
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child's side: verify one token twice over `HFJWT_TLS_URL`, print the two outcomes.
#[test]
fn tls_child() {
    let Ok(url) = std::env::var("HFJWT_TLS_URL") else {
        return;
    };
    let store = RedisReplayStore::builder(&url)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let expect_ok = std::env::var("HFJWT_TLS_EXPECT").as_deref() == Ok("ok");
    let deadline = Instant::now() + Duration::from_secs(10);
    while expect_ok && store.ping().is_err() {
        assert!(Instant::now() < deadline, "no TLS answer on {url}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut buf = [0u8; 512];
    let token = mint(
        &Key::new(KEY).unwrap(),
        &Grant::new("jo@acme.com", now, "tls-1"),
        &mut buf,
    )
    .unwrap()
    .to_string();
    let mut v = Verifier::with_parts(Key::new(KEY).unwrap(), Policy::new(), AnyDomain, store);
    let mut outcome = || {
        let mut s = [0u8; 512];
        match v.verify(&token, now, &mut s) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.kind().as_str().to_string(),
        }
    };
    println!("\nOUTCOMES {} {}", outcome(), outcome());
}

fn run_child(url: &str, ca: Option<&Path>, expect: &str) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["tls_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("HFJWT_TLS_URL", url)
        .env("HFJWT_TLS_EXPECT", expect)
        .env_remove("SSL_CERT_DIR");
    match ca {
        Some(ca) => cmd.env("SSL_CERT_FILE", ca),
        None => cmd.env_remove("SSL_CERT_FILE"),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("OUTCOMES "))
        .expect("the child printed its outcomes")
        .to_string()
}

#[test]
fn rediss_records_over_tls_and_checks_the_certificate() {
    let dir = std::env::temp_dir().join(format!("hfjwt-redis-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    certificates(&dir);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server(
        Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
            .args(["--save", "", "--appendonly", "no"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/install-redis.sh)"),
    );
    let url = format!("rediss://127.0.0.1:{port}/0");
    // Trusting the test CA: recorded once, then replayed.
    assert_eq!(
        run_child(&url, Some(&dir.join("ca.pem")), "ok"),
        "ok replayed"
    );
    // Not trusting it (the system's roots only): the handshake fails, so the token is
    // refused as unavailable, never accepted.
    let kind = ErrorKind::ReplayStoreUnavailable.as_str();
    assert_eq!(run_child(&url, None, "fail"), format!("{kind} {kind}"));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
