//! The command line, checked once: a [`Config`] that exists is valid.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::chromium::LaunchOptions;
use crate::link::LineSpec;
use crate::origin::SupportOrigin;

/// `hfjwt-kiosk-host`: the kiosk PC's agent between the reader's serial line and the kiosk
/// browser. It holds no key and judges no token.
#[derive(Debug, Parser)]
#[command(name = "hfjwt-kiosk-host", version, about, long_about = None)]
pub struct Args {
    /// The reader's line (`serial:PATH,BAUD` or `tcp:HOST:PORT`).
    #[arg(
        long,
        value_name = "SPEC",
        help = "The reader's line: serial:/dev/ttyACM0[,BAUD] or tcp:HOST:PORT"
    )]
    pub line: LineSpec,

    /// The support center's origin, the only place the kiosk browser is sent.
    #[arg(long, value_name = "ORIGIN", value_parser = SupportOrigin::parse,
          help = "The support center's origin, the only place the kiosk browser is sent \
                  (e.g. https://acme.happyfox.com)")]
    pub support_origin: SupportOrigin,

    /// The organisation whose sign-in codes the kiosk takes, as people know it.
    #[arg(long, value_name = "NAME", default_value = "your organisation")]
    pub company: String,

    /// The kiosk's name on its pages (default: the reader's device id).
    #[arg(long, value_name = "NAME")]
    pub kiosk_name: Option<String>,

    /// Re-send TIME to the reader every this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub time_every: u64,

    /// How long a refusal stays on screen before the idle page returns, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 6,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub message_seconds: u64,

    /// How long to wait for the support center's page after a scan before the idle page says
    /// that the sign-in page did not open, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub page_timeout: u64,

    /// The Chromium program the agent starts in kiosk mode.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "chromium",
        conflicts_with = "cdp"
    )]
    pub chromium: PathBuf,

    /// Start Chromium headless (tests, CI) instead of full screen.
    #[arg(long, conflicts_with = "cdp")]
    pub headless: bool,

    /// Attach to a running Chromium instead of starting one: its DevTools endpoint.
    #[arg(
        long,
        value_name = "URL",
        help = "Attach to a running Chromium instead of starting one: its DevTools endpoint, \
                  ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT"
    )]
    pub cdp: Option<String>,

    /// Log JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// How the agent gets its browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowserMode {
    /// Start Chromium (and start it again if it goes away).
    Launch(LaunchOptions),
    /// Attach to a running Chromium at this DevTools endpoint (and re-attach if it goes away).
    Attach(String),
}

/// Everything the agent runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The reader's line.
    pub line: LineSpec,
    /// The support center's origin.
    pub support: SupportOrigin,
    /// The organisation's name.
    pub company: String,
    /// The kiosk's name, if given.
    pub kiosk_name: Option<String>,
    /// `TIME` period.
    pub time_every: Duration,
    /// How long a notice stays.
    pub message_for: Duration,
    /// How long to wait for a page of the support center to load.
    pub page_timeout: Duration,
    /// The browser.
    pub browser: BrowserMode,
    /// JSON log lines.
    pub json: bool,
}

impl Args {
    /// Checks what clap cannot and builds the [`Config`].
    pub fn into_config(self) -> Result<Config, String> {
        if let Some(endpoint) = &self.cdp
            && !(endpoint.starts_with("ws://") || endpoint.starts_with("http://"))
        {
            return Err(format!(
                "--cdp {endpoint}: expected ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT"
            ));
        }
        let company = self.company.trim().to_string();
        if company.is_empty() {
            return Err("--company must not be empty".into());
        }
        let kiosk_name = self
            .kiosk_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        let browser = match self.cdp {
            Some(endpoint) => BrowserMode::Attach(endpoint),
            None => BrowserMode::Launch(LaunchOptions {
                program: self.chromium,
                ..if self.headless {
                    LaunchOptions::headless()
                } else {
                    LaunchOptions::kiosk()
                }
            }),
        };
        Ok(Config {
            line: self.line,
            support: self.support_origin,
            company,
            kiosk_name,
            time_every: Duration::from_secs(self.time_every),
            message_for: Duration::from_secs(self.message_seconds),
            page_timeout: Duration::from_secs(self.page_timeout),
            browser,
            json: self.json,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let args = Args::try_parse_from(["hfjwt-kiosk-host"].iter().chain(args).copied())
            .map_err(|e| e.to_string())?;
        args.into_config()
    }

    #[test]
    fn defaults() {
        let c = parse(&[
            "--line",
            "tcp:127.0.0.1:5555",
            "--support-origin",
            "https://acme.happyfox.com",
        ])
        .unwrap();
        assert_eq!(c.time_every, Duration::from_secs(600));
        assert_eq!(c.message_for, Duration::from_secs(6));
        assert_eq!(c.page_timeout, Duration::from_secs(20));
        assert_eq!(c.support.as_str(), "https://acme.happyfox.com");
        let BrowserMode::Launch(o) = c.browser else {
            panic!()
        };
        assert!(o.kiosk && !o.headless);
        assert_eq!(o.program, PathBuf::from("chromium"));
    }

    #[test]
    fn bad_options_are_refused() {
        let base = ["--line", "tcp:127.0.0.1:5555", "--support-origin"];
        for bad in [
            vec!["--line", "tcp:127.0.0.1:5555"],
            vec!["--line", "ttyACM0", "--support-origin", "https://a.example"],
            [&base[..], &["https://a.example/jwt/"]].concat(),
            [&base[..], &["a.example"]].concat(),
            [&base[..], &["https://a.example", "--time-every", "0"]].concat(),
            [&base[..], &["https://a.example", "--page-timeout", "0"]].concat(),
            [&base[..], &["https://a.example", "--cdp", "ftp://x"]].concat(),
            [
                &base[..],
                &["https://a.example", "--cdp", "http://x:1", "--headless"],
            ]
            .concat(),
            [&base[..], &["https://a.example", "--company", " "]].concat(),
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }
}
