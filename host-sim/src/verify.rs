//! `hfjwt-sim verify`: judge tokens from the arguments or, streaming, from standard input.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::time::Duration;

use hfjwt::{Claims, HeapReplayCache, Policy, Verifier};
use hfjwt_redis::RedisReplayStore;
use serde::Serialize;

use crate::clock::unix_now;
use crate::failure::{Failure, Outcome};
use crate::key::KeySource;

/// The verifier every subcommand that judges tokens uses: a replay store chosen at run time
/// and an optional allow-list (`None` lets every domain through).
pub type SimVerifier = Verifier<SimReplayStore, Option<Vec<String>>>;

/// Where a run remembers accepted `jti`s: this process's memory, or Redis, shared with every
/// other process pointed at it (several `verify` or `serve` workers).
pub type SimReplayStore = hfjwt_redis::AnyReplayStore;

/// The store a `--replay-store` option names: `None` (or `memory`) for this process's
/// memory with room for `capacity` live tokens, else a Redis URL (`redis://`, `rediss://`,
/// `unix://`) with keys under `prefix` and `timeout` for connecting and each answer.
/// Checks the URL without connecting: an unreachable Redis refuses tokens as
/// `replay_store_unavailable` (fail closed) until it answers.
pub fn open_replay_store(
    url: Option<&str>,
    prefix: &str,
    timeout: Duration,
    capacity: usize,
) -> Result<SimReplayStore, Failure> {
    match url {
        None | Some("memory") => Ok(SimReplayStore::Memory(HeapReplayCache::new(capacity))),
        Some(url) => RedisReplayStore::builder(url)
            .prefix(prefix)
            .timeout(timeout)
            .build()
            .map(SimReplayStore::Redis)
            .map_err(|e| Failure::usage(format!("--replay-store: {e}"))),
    }
}

/// Verify tokens: signature, 120 s window, email-domain allow-list, and single use of each
/// jti across the whole run. One output line per token.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
With no TOKEN, every line of standard input is a token (an empty line too, and it is \
rejected); lines are read as bytes and streamed, so the input can be endless.

Output: `ok <email> jti=<jti> iat=<iat> [name=<name>] [aud=<aud>]` or \
`rejected <kind>: <message>`; with --json, \
{\"ok\":true,\"claims\":{\"name\":..,\"email\":..,\"iat\":..,\"jti\":..}} (plus \"aud\" when the \
token has one) or {\"ok\":false,\"error\":\"<kind>\",\"message\":\"..\"}.

By default the replay cache lives in memory for this run only: a token accepted by an earlier \
run, or by another process, is not known to this one. --replay-store redis://HOST:PORT/DB \
shares one memory between every process pointed at that Redis: each jti is accepted once in \
total (one SET NX per accepted token); when Redis cannot be reached within --replay-timeout-ms, \
tokens are rejected as replay_store_unavailable, never accepted unrecorded. --horizon refuses \
(as replayed) every token issued before the run started, less the leeway, since an earlier \
run may have accepted it; the cost is that tokens minted just before the start are refused \
too. It is off by default.

A token that carries `aud` is rejected (wrong_audience) unless --audience names it or \
--ignore-audience is given.

Exit status: 0 every token passed, 1 at least one was rejected, 2 usage or key error.")]
pub struct Args {
    #[command(flatten)]
    pub key: KeySource,
    /// Judge every token at this Unix time [default: the system clock, read per token].
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub now: Option<u64>,
    /// Seconds after iat during which a token passes.
    #[arg(long, value_name = "SECONDS", default_value_t = Policy::new().max_age_seconds())]
    pub max_age: u64,
    /// Seconds of clock skew tolerated.
    #[arg(long, value_name = "SECONDS", default_value_t = Policy::new().leeway_seconds())]
    pub leeway: u64,
    /// Accept only emails in this domain (repeatable; exact, case-insensitive).
    #[arg(long = "allow-domain", value_name = "DOMAIN")]
    pub allow_domains: Vec<String>,
    /// How many tokens can be accepted within one time window; beyond that the verifier
    /// refuses with replay_cache_full rather than forget a live jti (in-memory cache only).
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "replay_store")]
    pub replay_capacity: u32,
    /// Remember jtis in Redis, shared with every process using it: redis://HOST:PORT/DB
    /// (redis://:PASSWORD@HOST:PORT/DB with a password), rediss://… (TLS) or unix:///PATH
    /// [default: this run's memory].
    #[arg(long, value_name = "URL")]
    pub replay_store: Option<String>,
    /// Prefix of the Redis keys (processes that share a memory use the same one).
    #[arg(long, value_name = "PREFIX", default_value = hfjwt_redis::DEFAULT_PREFIX,
          requires = "replay_store")]
    pub replay_prefix: String,
    /// Milliseconds to wait for Redis to connect and to answer, before rejecting as
    /// replay_store_unavailable.
    #[arg(long, value_name = "MS", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=60_000), requires = "replay_store")]
    pub replay_timeout_ms: u64,
    /// Accept only tokens whose aud names AUDIENCE (a string, or an array containing it).
    #[arg(long, value_name = "AUDIENCE", conflicts_with = "ignore_audience")]
    pub audience: Option<String>,
    /// Do not judge aud [default: a token that carries aud is rejected as wrong_audience].
    #[arg(long)]
    pub ignore_audience: bool,
    /// Refuse tokens issued before this run started (less the leeway) as replayed, since an
    /// earlier run may have accepted them.
    #[arg(long)]
    pub horizon: bool,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Tokens to verify, in order [default: one per line of standard input].
    #[arg(value_name = "TOKEN")]
    pub tokens: Vec<OsString>,
}

/// Builds the verifier shared by a whole run on `store` (see [`open_replay_store`]).
pub fn build_verifier_with_store(
    key: hfjwt::Key,
    policy: Policy,
    allow_domains: Vec<String>,
    store: SimReplayStore,
) -> SimVerifier {
    let domains = (!allow_domains.is_empty()).then_some(allow_domains);
    Verifier::with_parts(key, policy, domains, store)
}

/// The policy's audience rule from `--audience` / `--ignore-audience`.
pub fn audience_policy(
    policy: Policy,
    audience: Option<&str>,
    ignore: bool,
) -> Result<Policy, Failure> {
    match (audience, ignore) {
        (Some(a), _) => policy.audience(a).map_err(|_| {
            Failure::usage(format!(
                "--audience must be 1 to {} bytes",
                hfjwt::MAX_AUDIENCE_LEN
            ))
        }),
        (None, true) => Ok(policy.ignore_audience()),
        (None, false) => Ok(policy),
    }
}

/// Runs `verify`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    if args.tokens.is_empty() && args.key.reads_stdin() {
        return Err(Failure::usage(
            "--key-file - reads the key from standard input, so the tokens cannot come from \
             there too: give them as arguments",
        ));
    }
    let key = args.key.load()?;
    let policy = Policy::new().max_age(args.max_age).leeway(args.leeway);
    let policy = audience_policy(policy, args.audience.as_deref(), args.ignore_audience)?;
    let capacity = usize::try_from(args.replay_capacity).unwrap_or(usize::MAX);
    let store = open_replay_store(
        args.replay_store.as_deref(),
        &args.replay_prefix,
        Duration::from_millis(args.replay_timeout_ms),
        capacity,
    )?;
    let mut verifier = build_verifier_with_store(key, policy, args.allow_domains, store);
    if args.horizon {
        verifier.remember_from(match args.now {
            Some(t) => t,
            None => unix_now()?,
        });
    }
    let mut judge = Judge {
        verifier,
        scratch: vec![0u8; hfjwt::scratch_len(policy.max_token_bytes().saturating_add(1))],
        now: args.now,
        json: args.json,
        rejected: false,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if args.tokens.is_empty() {
        judge.stream(
            BufReader::with_capacity(64 * 1024, io::stdin().lock()),
            &mut out,
        )
    } else {
        args.tokens.into_iter().try_for_each(|t| {
            let token = t.into_encoded_bytes();
            judge.judge(&token, &mut out)
        })
    };
    match written.and_then(|()| out.flush()) {
        // The reader went away (`| head`): stop quietly, like other line tools.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.map_err(|e| Failure::runtime(format!("verify: {e}")))?,
    }
    Ok(if judge.rejected {
        Outcome::SomeRejected
    } else {
        Outcome::Accepted
    })
}

/// One verifier for the whole run, its scratch buffer, and how verdicts are printed.
struct Judge {
    verifier: SimVerifier,
    scratch: Vec<u8>,
    now: Option<u64>,
    json: bool,
    rejected: bool,
}

impl Judge {
    /// Verifies each line of `input`, holding at most `max_token_len + 1` bytes of a line:
    /// an over-long line is handed to the core truncated just past the limit, so the core
    /// itself refuses it as `too_large`, and the rest of the line is skipped unbuffered.
    fn stream<R: Read>(&mut self, mut input: BufReader<R>, out: &mut impl Write) -> io::Result<()> {
        let keep = self.verifier.policy().max_token_bytes().saturating_add(1);
        let mut line = Vec::with_capacity(keep.min(64 * 1024));
        loop {
            // Flush verdicts before waiting for more input, so an interactive or slow
            // producer (a scanner, a pipe) sees each answer as soon as it is decided.
            if input.buffer().is_empty() {
                out.flush()?;
            }
            if !read_line_bounded(&mut input, &mut line, keep)? {
                return Ok(());
            }
            self.judge(&line, out)?;
        }
    }

    /// Verifies one token and writes its verdict line.
    fn judge(&mut self, token: &[u8], out: &mut impl Write) -> io::Result<()> {
        let now = match self.now {
            Some(t) => t,
            None => unix_now().map_err(|e| io::Error::other(e.to_string()))?,
        };
        match self.verifier.verify(token, now, &mut self.scratch) {
            Ok(claims) => write_accepted(out, &claims, self.json),
            Err(e) => {
                self.rejected = true;
                write_rejected(out, &e, self.json)
            }
        }
    }
}

/// Reads one line (without its `\n` or `\r\n`) into `line`, keeping at most `keep` bytes and
/// consuming the rest of it. Returns `false` at end of input.
fn read_line_bounded<R: BufRead>(
    input: &mut R,
    line: &mut Vec<u8>,
    keep: usize,
) -> io::Result<bool> {
    line.clear();
    let mut seen_any = false;
    let mut truncated = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            // A last line without a newline is still a line.
            return Ok(seen_any);
        }
        seen_any = true;
        let (chunk, used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (buf.get(..i).unwrap_or_default(), i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = keep.saturating_sub(line.len());
        if chunk.len() > room {
            truncated = true;
        }
        line.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        input.consume(used);
        if done {
            // Strip the `\r` of a `\r\n` ending only when it really ends the line.
            if !truncated && line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(true);
        }
    }
}

/// The claims printed for an accepted token, in the documented order.
#[derive(Serialize)]
struct ClaimsJson<'a> {
    name: Option<&'a str>,
    email: Option<&'a str>,
    iat: u64,
    jti: &'a str,
    /// A string, or a list of strings; left out when the token has no `aud`.
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<serde_json::Value>,
}

/// The token's `aud` as JSON: a string, or the array as the token has it.
fn aud_json(c: &Claims<'_>) -> Option<serde_json::Value> {
    let aud = c.aud?;
    match (aud.as_single(), aud.array_json()) {
        (Some(one), _) => Some(serde_json::Value::from(one)),
        // The core checked it is an array of strings.
        (None, Some(array)) => serde_json::from_str(array).ok(),
        (None, None) => None,
    }
}

#[derive(Serialize)]
struct AcceptedJson<'a> {
    ok: bool,
    claims: ClaimsJson<'a>,
}

#[derive(Serialize)]
struct RejectedJson<'a> {
    ok: bool,
    error: &'a str,
    message: String,
}

fn write_accepted(out: &mut impl Write, c: &Claims<'_>, json: bool) -> io::Result<()> {
    if json {
        let v = AcceptedJson {
            ok: true,
            claims: ClaimsJson {
                name: c.name,
                email: c.email,
                iat: c.iat,
                jti: c.jti,
                aud: aud_json(c),
            },
        };
        serde_json::to_writer(&mut *out, &v)?;
        return out.write_all(b"\n");
    }
    // escape_debug keeps every verdict on one line whatever the claims contain.
    write!(
        out,
        "ok {} jti={} iat={}",
        c.email.unwrap_or("-").escape_debug(),
        c.jti.escape_debug(),
        c.iat
    )?;
    if let Some(name) = c.name {
        write!(out, " name={}", name.escape_debug())?;
    }
    if let Some(aud) = aud_json(c) {
        match aud.as_str() {
            Some(one) => write!(out, " aud={}", one.escape_debug())?,
            None => write!(out, " aud={aud}")?,
        }
    }
    out.write_all(b"\n")
}

fn write_rejected(out: &mut impl Write, e: &hfjwt::Error, json: bool) -> io::Result<()> {
    let kind = e.kind().as_str();
    if json {
        let v = RejectedJson {
            ok: false,
            error: kind,
            message: e.to_string(),
        };
        serde_json::to_writer(&mut *out, &v)?;
        return out.write_all(b"\n");
    }
    writeln!(out, "rejected {kind}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], keep: usize) -> Vec<Vec<u8>> {
        let mut r = BufReader::with_capacity(4, input);
        let mut line = Vec::new();
        let mut all = Vec::new();
        while read_line_bounded(&mut r, &mut line, keep).expect("in-memory read") {
            all.push(line.clone());
        }
        all
    }

    #[test]
    fn splits_lines_and_keeps_empty_ones() {
        let got = lines(b"a\n\nbc\r\nd", 10);
        assert_eq!(got, [&b"a"[..], b"", b"bc", b"d"]);
        assert!(lines(b"", 10).is_empty());
        assert_eq!(lines(b"\n", 10), [&b""[..]]);
    }

    #[test]
    fn truncates_long_lines_past_the_limit_and_keeps_a_cr_that_is_not_the_end() {
        let got = lines(b"abcdefgh\nxy\n", 3);
        assert_eq!(got, [&b"abc"[..], b"xy"]);
        // A `\r` at the cut is content, not a line ending: the core must see `keep` bytes.
        let got = lines(b"ab\rcdef\n", 3);
        assert_eq!(got, [&b"ab\r"[..]]);
        assert_eq!(lines(b"ab\r\n", 3), [&b"ab"[..]]);
    }
}
