//! Every real part of the kiosk path, started together on 127.0.0.1 (see shared/DESIGN.md,
//! "The kiosk, end to end"):
//!
//! - `hfjwt-sim serve`: the support-center stand-in and the sample portal with its phone page;
//! - the kiosk firmware under QEMU (lm3s6965evb), built for this run with the stand-in's origin
//!   and this run's keys; its three UARTs on loopback TCP sockets;
//! - `hfjwt-kiosk-host`, the agent, on the firmware's host UART, driving
//! - a headless Chromium (Debian's `chromium`), whose first tab is the kiosk browser; the test
//!   opens a second tab that plays the phone.
//!
//! [`Rig::start`] waits on readiness (a port that answers, a printed line, a page's load
//! event), never on fixed sleeps, and [`Rig`]'s `Drop` stops every process it started. A
//! missing tool fails the run with a message naming the install script; nothing is skipped.

use std::io::Write as _;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hfjwt_kiosk_host::cdp::{Browser, Tab};
use hfjwt_kiosk_host::chromium::{Chromium, LaunchOptions};
use hfjwt_kiosk_host::testkit::{Process, Ready};

/// The portal's key for kiosks: signs the codes the phone shows; the kiosk verifies them.
pub const PORTAL_KEY: &str = "e2e-portal-key-for-kiosks-0123456789";
/// The support center's HappyFox key: the kiosk mints with it, the stand-in verifies.
pub const HAPPYFOX_KEY: &str = "E2EhappyfoxKEYforTheKioskTest001";
/// The kiosk's device id.
pub const DEVICE_ID: &str = "e2e-kiosk";
/// Clock skew the kiosk tolerates, as a deployment should set it: `TIME` carries whole
/// seconds, so the kiosk's clock trails the portal's by up to a second even when both are
/// NTP-synced, and a code minted the moment it is shown would otherwise be "issued in the
/// future".
pub const LEEWAY_SECONDS: u64 = 2;
/// Seconds without a scan or press before the kiosk writes `LOGOUT`.
pub const IDLE_SECONDS: u64 = 12;

/// What can go wrong: always a sentence that says what and where.
pub type Result<T> = std::result::Result<T, String>;

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// Polls `f` every 20 ms until it gives `Some`, or fails after `timeout` saying `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Builds binaries with the cargo running this test (same profile), returns their paths.
fn cargo_build(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Result<Vec<(String, PathBuf)>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(dir)
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo build {args:?} in {} failed", dir.display()));
    }
    let mut bins = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && let (Some(name), Some(exe)) =
                (msg["target"]["name"].as_str(), msg["executable"].as_str())
        {
            bins.push((name.to_string(), PathBuf::from(exe)));
        }
    }
    Ok(bins)
}

fn find(bins: &[(String, PathBuf)], name: &str) -> Result<PathBuf> {
    bins.iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.clone())
        .ok_or(format!("cargo built no `{name}`"))
}

/// The firmware under QEMU with its UARTs on loopback sockets.
pub struct Reader {
    proc: Process,
    /// UART1, the text panel: `PRESS` in, `LED` lines out.
    pub panel: TcpStream,
    /// UART2, the scanner.
    pub scanner: TcpStream,
}

/// The three UART ports of the firmware: host (the agent's line), panel and scanner.
#[derive(Clone, Copy, Debug)]
pub struct UartPorts {
    /// UART0.
    pub host: u16,
    /// UART1.
    pub panel: u16,
    /// UART2.
    pub scanner: u16,
}

impl Reader {
    /// Boots `elf` under QEMU; returns once the panel and scanner sockets accept.
    pub fn boot(elf: &Path, ports: UartPorts, defmt: &Path) -> Result<Reader> {
        let serial = |p: u16| format!("-serial tcp:127.0.0.1:{p},server=on,wait=off");
        let serials = format!(
            "{} {} {}",
            serial(ports.host),
            serial(ports.panel),
            serial(ports.scanner)
        );
        let mut qemu = Command::new(workspace().join("firmware/qemu-run.sh"));
        qemu.arg(elf)
            .env("HFJWT_QEMU_SERIALS", serials)
            .env("HFJWT_DEFMT", defmt);
        let proc = Process::spawn(qemu).map_err(|e| format!("cannot start QEMU: {e}"))?;
        let connect = |port: u16| {
            wait_for(
                &format!("QEMU's UART socket on port {port}"),
                Duration::from_secs(20),
                || TcpStream::connect(("127.0.0.1", port)).ok(),
            )
        };
        let panel = connect(ports.panel)?;
        let scanner = connect(ports.scanner)?;
        for s in [&panel, &scanner] {
            s.set_nodelay(true).map_err(|e| e.to_string())?;
        }
        Ok(Reader {
            proc,
            panel,
            scanner,
        })
    }

    /// Sends `PRESS <button>` on the panel, ended by CR.
    pub fn press(&mut self, button: &str) -> Result<()> {
        write!(self.panel, "PRESS {button}\r").map_err(|e| format!("panel: {e}"))
    }

    /// Sends `text` on the scanner ended by CR, as a serial scanner does by default.
    pub fn scan(&mut self, text: &str) -> Result<()> {
        write!(self.scanner, "{text}\r").map_err(|e| format!("scanner: {e}"))
    }

    /// Stops QEMU: the line to the agent drops.
    pub fn stop(mut self) {
        let _ = self.panel.shutdown(Shutdown::Both);
        let _ = self.scanner.shutdown(Shutdown::Both);
        self.proc.kill();
    }
}

/// Everything, running.
pub struct Rig {
    /// Scratch directory of this run (keys, config, browser profile, defmt log).
    pub dir: PathBuf,
    /// `http://127.0.0.1:PORT` of `hfjwt-sim serve`.
    pub origin: String,
    /// The firmware ELF built for this run.
    pub elf: PathBuf,
    /// The firmware's UART ports.
    pub ports: UartPorts,
    /// The reader; `None` while it is stopped.
    pub reader: Option<Reader>,
    /// The agent (`hfjwt-kiosk-host --json`): one JSON object per line.
    pub agent: Process,
    /// The stand-in.
    pub serve: Process,
    /// The browser (its DevTools connection); the kiosk tab is the agent's.
    pub browser: Browser,
    /// The kiosk tab, as the agent drives it.
    pub kiosk: Tab,
    /// `http://127.0.0.1:PORT` of the agent's own pages.
    pub agent_pages: String,
    /// Tabs the test opened itself (the phone's), never the kiosk's.
    own_tabs: Vec<String>,
    /// Where screenshots go (`target/e2e-screenshots/`).
    pub shots: PathBuf,
    /// The browser process (killed on drop).
    pub chromium: Chromium,
}

impl Rig {
    /// Builds what is needed and starts every part. `name` names the scratch directory.
    pub fn start(name: &str) -> Result<Rig> {
        for tool in ["qemu-system-arm", "chromium", "zbarimg"] {
            if Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .map_or(true, |s| !s.success())
            {
                return Err(format!(
                    "{tool} not found: run scripts/install-qemu.sh and scripts/install-browser.sh"
                ));
            }
        }
        let root = workspace();
        let target = root.join("target");
        let dir = target
            .join("e2e")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let shots = target.join("e2e-screenshots");
        std::fs::create_dir_all(&shots).map_err(|e| e.to_string())?;

        let release = !cfg!(debug_assertions);
        let mut args = vec!["-p", "hfjwt-sim", "-p", "hfjwt-kiosk-host", "--locked"];
        if release {
            args.push("--release");
        }
        let bins = cargo_build(&root, &args, &[])?;
        let sim = find(&bins, "hfjwt-sim")?;
        let agent_bin = find(&bins, "hfjwt-kiosk-host")?;

        // Keys as files a person would keep: no trailing newline, owner-only.
        let key_file = |name: &str, key: &str| -> Result<PathBuf> {
            let p = dir.join(name);
            std::fs::write(&p, key).map_err(|e| e.to_string())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
            Ok(p)
        };
        let happyfox_key = key_file("happyfox.key", HAPPYFOX_KEY)?;
        let portal_key = key_file("portal.key", PORTAL_KEY)?;

        // The stand-in first: its port goes into the firmware's configuration.
        let mut command = Command::new(&sim);
        command
            .args(["serve", "--port", "0", "--account", "acme"])
            .arg("--key-file")
            .arg(&happyfox_key)
            .arg("--kiosk-key-file")
            .arg(&portal_key)
            // The phone page mints codes for this kiosk only (`aud`).
            .args(["--kiosk", DEVICE_ID]);
        let mut serve =
            Process::spawn(command).map_err(|e| format!("cannot start hfjwt-sim serve: {e}"))?;
        let listening = serve.wait_for(Duration::from_secs(30), |l| l.starts_with("listening on "));
        let origin = listening
            .trim_start_matches("listening on ")
            .trim()
            .to_string();

        let config = dir.join("kiosk.toml");
        std::fs::write(
            &config,
            format!(
                "device_id = {DEVICE_ID:?}\norigin = {origin:?}\nportal_key = {PORTAL_KEY:?}\n\
                 happyfox_key = {HAPPYFOX_KEY:?}\nidle_seconds = {IDLE_SECONDS}\nled_seconds = 1\n\
                 leeway_seconds = {LEEWAY_SECONDS}\naudience = {DEVICE_ID:?}\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        // Its own target dir, so the repository's demo firmware is never replaced by this one.
        let fw_target = target.join("e2e-firmware");
        let fw = cargo_build(
            &root.join("firmware"),
            &["--release", "--locked"],
            &[
                ("HFJWT_KIOSK_CONFIG", config.as_path()),
                ("CARGO_TARGET_DIR", fw_target.as_path()),
            ],
        )?;
        let elf = find(&fw, "hfjwt-firmware")?;

        let ports = UartPorts {
            host: free_port()?,
            panel: free_port()?,
            scanner: free_port()?,
        };
        let reader = Reader::boot(&elf, ports, &dir.join("defmt.bin"))?;

        let chromium =
            Chromium::launch(&LaunchOptions::headless()).map_err(|e| format!("chromium: {e}"))?;
        let ws = chromium.ws_url().to_string();
        let mut browser = Browser::connect(&ws).map_err(|e| format!("DevTools: {e}"))?;

        let mut command = Command::new(&agent_bin);
        command
            .arg("--line")
            .arg(format!("tcp:127.0.0.1:{}", ports.host))
            .arg("--cdp")
            .arg(&ws)
            .arg("--support-origin")
            .arg(&origin)
            .args(["--company", "Acme", "--kiosk-name", "Front desk"])
            .args(["--message-seconds", "3", "--json"]);
        let mut agent =
            Process::spawn(command).map_err(|e| format!("cannot start the agent: {e}"))?;
        let ready = agent.wait_event("agent_ready", Duration::from_secs(30));
        let agent_pages = Ready::parse(&ready)
            .ok_or(format!("not a readiness line: {ready}"))?
            .pages;
        agent.wait_event("time_sent", Duration::from_secs(30));
        let kiosk = kiosk_tab(&mut browser, &agent_pages, &origin, &[])?;
        Ok(Rig {
            dir,
            origin,
            elf,
            ports,
            reader: Some(reader),
            agent,
            serve,
            browser,
            kiosk,
            agent_pages,
            own_tabs: Vec::new(),
            shots,
            chromium,
        })
    }

    /// The reader; an error while it is stopped.
    pub fn reader(&mut self) -> Result<&mut Reader> {
        self.reader.as_mut().ok_or("the reader is stopped".into())
    }

    /// Waits for the agent's next event named `name` (its JSON `event` field); the line.
    /// (Panics with everything the agent logged when it does not come in time.)
    pub fn agent_event(&mut self, name: &str, timeout: Duration) -> Result<String> {
        Ok(self.agent.wait_event(name, timeout))
    }

    /// Waits until the kiosk tab's URL satisfies `ok` and its page has loaded; the URL.
    pub fn kiosk_at(
        &mut self,
        what: &str,
        timeout: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let found = wait_for(what, timeout, || {
            let url = self.kiosk_call(|t| t.url()).ok()?;
            let state = self
                .kiosk_call(|t| t.evaluate("document.readyState"))
                .ok()?;
            (state == "complete" && ok(&url)).then_some(url)
        });
        found.map_err(|e| {
            let url = self.kiosk.url().unwrap_or_default();
            format!("{e}; the kiosk tab is at {url}")
        })
    }

    /// Runs `f` on the kiosk tab. The agent may replace a tab that stopped answering with a
    /// fresh one; then this finds the new kiosk tab and runs `f` there.
    pub fn kiosk_call<T>(
        &mut self,
        mut f: impl FnMut(&mut Tab) -> std::result::Result<T, hfjwt_kiosk_host::cdp::CdpError>,
    ) -> Result<T> {
        match f(&mut self.kiosk) {
            Err(e) if e.is_disconnect() => {
                self.kiosk = kiosk_tab(
                    &mut self.browser,
                    &self.agent_pages,
                    &self.origin,
                    &self.own_tabs,
                )?;
                f(&mut self.kiosk).map_err(|e| format!("DevTools: {e}"))
            }
            other => other.map_err(|e| format!("DevTools: {e}")),
        }
    }

    /// The kiosk tab's visible text.
    pub fn kiosk_text(&mut self) -> Result<String> {
        self.kiosk_call(|t| t.body_text())
    }

    /// Waits until the kiosk tab's text contains `needle`.
    pub fn wait_kiosk_text(&mut self, needle: &str, timeout: Duration) -> Result<String> {
        let found = wait_for(&format!("`{needle}` on the kiosk tab"), timeout, || {
            self.kiosk_text().ok().filter(|t| t.contains(needle))
        });
        found.map_err(|e| format!("{e}; it shows: {}", self.kiosk_text().unwrap_or_default()))
    }

    /// Whether the browser is signed in to the support center: a tab of the test's own
    /// (cookies are the browser's, shared by every tab) opens `/tickets`.
    pub fn signed_in_as(&mut self, email: &str) -> Result<bool> {
        let dev = |e: hfjwt_kiosk_host::cdp::CdpError| format!("DevTools: {e}");
        let mut check = self.browser.new_tab("about:blank").map_err(dev)?;
        let id = check.target_id().to_string();
        let result = check
            .navigate(&format!("{}/tickets", self.origin))
            .and_then(|()| check.body_text());
        let _ = self.browser.close_tab(&id);
        Ok(result.map_err(dev)?.contains(email))
    }

    /// Screenshot of the kiosk tab to `target/e2e-screenshots/<name>.png`.
    pub fn shot_kiosk(&mut self, name: &str) -> Result<PathBuf> {
        let path = self.shots.join(format!("{name}.png"));
        // Headless Chromium paints only the front tab of a window.
        self.kiosk_call(|t| {
            t.call("Page.bringToFront", serde_json::json!({}))?;
            t.screenshot(&path)
        })?;
        Ok(path)
    }

    /// The phone: a new tab at 390×844 on the portal's kiosk page, signed in as `name`/`email`,
    /// showing its QR code. Returns the tab.
    pub fn phone_sign_in(&mut self, name: &str, email: &str) -> Result<Tab> {
        let dev = |e: hfjwt_kiosk_host::cdp::CdpError| format!("DevTools: {e}");
        // The phone is another device: its own browser context, so it shares no cookie with
        // the kiosk tab (the stand-in serves the portal and the support center on one origin,
        // and the kiosk clears that origin's cookies at logout).
        let context = self
            .browser
            .call("Target.createBrowserContext", serde_json::json!({}))
            .map_err(dev)?;
        let context = context
            .get("browserContextId")
            .and_then(|v| v.as_str())
            .ok_or("Target.createBrowserContext gave no id")?
            .to_string();
        let created = self
            .browser
            .call(
                "Target.createTarget",
                serde_json::json!({"url": "about:blank", "browserContextId": context}),
            )
            .map_err(dev)?;
        let id = created
            .get("targetId")
            .and_then(|v| v.as_str())
            .ok_or("Target.createTarget gave no id")?
            .to_string();
        let mut phone = self.browser.tab(&id).map_err(dev)?;
        self.own_tabs.push(id);
        phone
            .call(
                "Emulation.setDeviceMetricsOverride",
                serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
            )
            .map_err(dev)?;
        phone
            .navigate(&format!("{}/portal/kiosk.html", self.origin))
            .map_err(dev)?;
        let js = format!(
            "(() => {{ const f = document.querySelector('form'); \
               f.querySelector('[name=name]').value = {name:?}; \
               f.querySelector('[name=email]').value = {email:?}; \
               f.submit(); return true; }})()"
        );
        phone.evaluate(&js).map_err(dev)?;
        wait_for("the phone's QR code", Duration::from_secs(15), || {
            let v = phone
                .evaluate("document.readyState === 'complete' && !!document.querySelector('svg')")
                .ok()?;
            v.as_bool().filter(|b| *b)
        })?;
        Ok(phone)
    }

    /// Reloads the phone's page: the portal shows a freshly minted code.
    pub fn phone_renew(&mut self, phone: &mut Tab) -> Result<()> {
        phone
            .navigate(&format!("{}/portal/kiosk.html", self.origin))
            .map_err(|e| format!("DevTools: {e}"))
    }

    /// Screenshots the phone tab and decodes its QR code from the pixels with `zbarimg`.
    pub fn read_qr(&self, phone: &mut Tab, name: &str) -> Result<String> {
        let png = shot(&self.shots, phone, name)?;
        let out = Command::new("zbarimg")
            .args(["--raw", "-q", "-Sqrcode.enable"])
            .arg(&png)
            .output()
            .map_err(|e| format!("zbarimg: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || text.is_empty() {
            return Err(format!("zbarimg found no QR code in {}", png.display()));
        }
        Ok(text)
    }

    /// A portal code minted here (not by the phone) for this kiosk, issued at `iat`.
    pub fn code(&self, email: &str, name: &str, iat: u64, jti: &str) -> Result<String> {
        self.code_for(DEVICE_ID, email, name, iat, jti)
    }

    /// A portal code minted for the kiosk `audience`, issued at `iat`.
    pub fn code_for(
        &self,
        audience: &str,
        email: &str,
        name: &str,
        iat: u64,
        jti: &str,
    ) -> Result<String> {
        let key = hfjwt::Key::new(PORTAL_KEY.as_bytes()).map_err(|e| e.to_string())?;
        let grant = hfjwt::Grant::new(email, iat, jti)
            .with_name(name)
            .with_audience(audience);
        let mut buf = vec![0u8; hfjwt::token_len(&grant)];
        hfjwt::mint(&key, &grant, &mut buf)
            .map(str::to_string)
            .map_err(|e| e.to_string())
    }

    /// Stops the reader (QEMU), so the agent's line drops.
    pub fn stop_reader(&mut self) {
        if let Some(r) = self.reader.take() {
            r.stop();
        }
    }

    /// Boots the reader again on the same ports.
    pub fn restart_reader(&mut self) -> Result<()> {
        self.stop_reader();
        let reader = Reader::boot(&self.elf, self.ports, &self.dir.join("defmt-2.bin"))?;
        self.reader = Some(reader);
        Ok(())
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.agent.kill();
        self.stop_reader();
        self.serve.kill();
    }
}

/// The kiosk's tab: the one showing the agent's pages or the support center, not one of
/// `exclude` (the test's own).
fn kiosk_tab(
    browser: &mut Browser,
    agent_pages: &str,
    origin: &str,
    exclude: &[String],
) -> Result<Tab> {
    let id = wait_for("the agent's kiosk tab", Duration::from_secs(20), || {
        let pages = browser.pages().ok()?;
        pages
            .into_iter()
            .filter(|p| !exclude.contains(&p.target_id))
            .find(|p| p.url.starts_with(agent_pages) || p.url.starts_with(origin))
            .map(|p| p.target_id)
    })?;
    browser.tab(&id).map_err(|e| format!("DevTools: {e}"))
}

/// Screenshot of `tab` to `<shots>/<name>.png`.
pub fn shot(shots: &Path, tab: &mut Tab, name: &str) -> Result<PathBuf> {
    let path = shots.join(format!("{name}.png"));
    tab.call("Page.bringToFront", serde_json::json!({}))
        .and_then(|_| tab.screenshot(&path))
        .map_err(|e| format!("screenshot {}: {e}", path.display()))?;
    Ok(path)
}
