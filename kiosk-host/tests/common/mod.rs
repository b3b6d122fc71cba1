//! Shared by the integration tests: the agent binary, a stand-in support center, helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hfjwt_firmware::protocol::{HostCommand, Reply};
use hfjwt_kiosk_host::cdp::{Browser, Tab};
use hfjwt_kiosk_host::testkit::{
    FakeReader, Process, ReaderConn, Ready, require_chromium, start_agent,
};

pub const AGENT: &str = env!("CARGO_BIN_EXE_hfjwt-kiosk-host");
pub const WAIT: Duration = Duration::from_secs(30);

/// At most this many tests of one test binary run a Chromium at once: the machine has two
/// cores, and eight browsers starting together make every timeout a gamble.
const BROWSERS_AT_ONCE: usize = 3;

static BROWSERS: (Mutex<usize>, std::sync::Condvar) = (Mutex::new(0), std::sync::Condvar::new());

/// Held for the whole of a test that runs a Chromium.
pub struct BrowserSlot;

/// Waits for a free [`BrowserSlot`].
pub fn browser_slot() -> BrowserSlot {
    let (count, freed) = &BROWSERS;
    let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
    while *n >= BROWSERS_AT_ONCE {
        n = freed.wait(n).unwrap_or_else(|e| e.into_inner());
    }
    *n += 1;
    BrowserSlot
}

impl Drop for BrowserSlot {
    fn drop(&mut self) {
        let (count, freed) = &BROWSERS;
        let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        freed.notify_one();
    }
}

/// Listens on a free loopback port and hands each connection to `on_connection` (on the
/// listener's own thread); returns the origin (`http://127.0.0.1:PORT`).
fn listen(on_connection: impl Fn(TcpStream) + Send + 'static) -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            on_connection(stream);
        }
    });
    origin
}

/// A stand-in support center: `/jwt/` sets a session cookie and redirects to `/tickets`,
/// `/tickets` says whether the browser is signed in, `/logout` says goodbye (and, like a
/// careless server, leaves the cookie: the agent must clear it). Records every request path.
pub struct SupportCenter {
    pub origin: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl SupportCenter {
    pub fn start() -> SupportCenter {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let origin = listen(move |stream| {
            let log = log.clone();
            std::thread::spawn(move || serve(stream, &log));
        });
        SupportCenter { origin, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<String>>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut cookie = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some(v) = header.strip_prefix("Cookie:") {
            cookie = v.trim().to_string();
        }
    }
    let target = request.split(' ').nth(1).unwrap_or("/").to_string();
    log.lock().unwrap().push(target.clone());
    let path = target.split('?').next().unwrap_or("/");
    let signed_in = cookie.contains("hf_session=");
    let (status, extra, body) = match path {
        "/jwt/" => (
            "302 Found",
            "Set-Cookie: hf_session=s1; Path=/; HttpOnly\r\nLocation: /tickets\r\n".to_string(),
            String::new(),
        ),
        "/tickets" if signed_in => (
            "200 OK",
            String::new(),
            "<h1>My tickets</h1><p>Signed in as Jo Smith</p>\
             <script>localStorage.setItem('draft', 'reply to ticket 7')</script>"
                .to_string(),
        ),
        "/tickets" => (
            "200 OK",
            String::new(),
            "<h1>Please sign in</h1>".to_string(),
        ),
        "/logout" => (
            "200 OK",
            String::new(),
            "<h1>You are signed out</h1>".to_string(),
        ),
        // A page that shows an alert nobody closes.
        "/alert" => (
            "200 OK",
            String::new(),
            "<h1>Notice</h1><script>setTimeout(() => alert('Your session ends soon'), 50)</script>"
                .to_string(),
        ),
        // A page that asks "Leave site?" (an unsent ticket reply) once the user typed.
        "/draft" => (
            "200 OK",
            String::new(),
            "<h1>New ticket</h1><textarea></textarea><script>\
             addEventListener('beforeunload', e => { e.preventDefault(); e.returnValue = ''; })\
             </script>"
                .to_string(),
        ),
        _ => (
            "404 Not Found",
            String::new(),
            "<h1>Not found</h1>".to_string(),
        ),
    };
    let _ = write!(
        writer,
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A support center that accepts connections, reads nothing and never answers: a sign-in
/// page that does not load. Counts the connections it holds open.
pub struct SilentSupportCenter {
    pub origin: String,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentSupportCenter {
    pub fn start() -> SilentSupportCenter {
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        let origin = listen(move |stream| keep.lock().unwrap().push(stream));
        SilentSupportCenter { origin, held }
    }

    /// How many connections it has accepted (and left unanswered).
    pub fn connections(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

/// An agent attached (`--cdp`) to a browser someone else runs, at `cdp`.
pub fn attached_agent(reader: &FakeReader, support_origin: &str, cdp: &str) -> (Process, Ready) {
    let line = reader.line_spec();
    start_agent(
        AGENT,
        &[
            "--line",
            &line,
            "--support-origin",
            support_origin,
            "--cdp",
            cdp,
        ],
    )
}

/// Checks that `tab`'s browser keeps nothing of a session at `support`: no cookie, and the
/// next person who opens `/tickets` is not signed in and finds nothing in storage.
pub fn assert_signed_out(tab: &mut Tab, support: &SupportCenter) {
    assert!(tab.cookies(&support.origin).unwrap().is_empty());
    tab.navigate(&format!("{}/tickets", support.origin))
        .unwrap();
    assert!(tab.body_text().unwrap().contains("Please sign in"));
    assert_eq!(
        tab.evaluate("localStorage.getItem('draft')").unwrap(),
        serde_json::Value::Null
    );
}

pub fn agent(reader: &FakeReader, support_origin: &str, extra: &[&str]) -> (Process, Ready) {
    require_chromium();
    let line = reader.line_spec();
    let mut args = vec![
        "--line",
        &line,
        "--support-origin",
        support_origin,
        "--headless",
        "--company",
        "Acme",
    ];
    args.extend_from_slice(extra);
    start_agent(AGENT, &args)
}

/// A connection to the tab now showing the agent's pages: the kiosk tab, or the fresh one the
/// agent opened if that one stopped answering (it logs `kiosk_tab_replaced`).
pub fn agent_pages_tab(agent: &mut Process, ready: &Ready) -> Tab {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        // The agent may even have had to restart Chromium: use the endpoint it uses now.
        let cdp = agent.current_cdp().unwrap_or_else(|| ready.cdp.clone());
        let found = Browser::connect(&cdp).and_then(|mut browser| {
            let pages = browser.pages()?;
            match pages.iter().find(|p| p.url.starts_with(&ready.pages)) {
                Some(page) => browser.tab(&page.target_id).map(Some),
                None => Ok(None),
            }
        });
        match found {
            Ok(Some(tab)) => return tab,
            other => assert!(
                std::time::Instant::now() < deadline,
                "no tab shows the agent's pages: {other:?}; the agent said:\n{}",
                agent.seen().join("\n")
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a `GRANT` for `support`'s `/jwt/`, waits until the agent is done opening it, and then
/// until the kiosk tab shows the person signed in on `/tickets`. Done is `page_loaded` or, for a
/// load slower than the agent's own wait, `open_slow` (the agent leaves the page loading and it
/// may still arrive): either way the person must end up on their tickets.
pub fn sign_in(conn: &mut ReaderConn, agent: &mut Process, tab: &mut Tab, support: &SupportCenter) {
    conn.send(Reply::Grant {
        url: &format!("{}/jwt/?token=t", support.origin),
    });
    agent.wait_for(WAIT, |line| {
        line.starts_with("page_loaded ") || line.starts_with("open_slow ")
    });
    let tickets = format!("{}/tickets", support.origin);
    let (_, text) = tab
        .wait_until(WAIT, |url, _| url == tickets)
        .unwrap_or_else(|e| {
            panic!(
                "the kiosk tab never showed {tickets}: {e}; the agent said:\n{}",
                agent.drain().join("\n")
            )
        });
    assert!(text.contains("Signed in as Jo Smith"), "{text}");
}

/// A second DevTools connection to the agent's kiosk tab.
pub fn kiosk_tab(ready: &Ready) -> Tab {
    Browser::connect(&ready.cdp)
        .unwrap()
        .tab(&ready.tab)
        .unwrap()
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Connects, answers READY and checks the TIME the agent sends is now.
pub fn connect(reader: &FakeReader, agent: &mut Process) -> ReaderConn {
    let mut conn = reader.accept(WAIT);
    agent.wait_event("reader_connected", WAIT);
    let before = unix_now();
    let HostCommand::Time { unix } = conn.command(WAIT) else {
        panic!("expected TIME")
    };
    assert!(
        unix + 5 >= before && unix <= unix_now() + 1,
        "TIME {unix} is not now ({before})"
    );
    conn.send(Reply::Ready {
        device_id: "lobby-1",
    });
    agent.wait_event("reader_ready", WAIT);
    conn
}

pub fn shots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/kiosk-host-screenshots")
}
