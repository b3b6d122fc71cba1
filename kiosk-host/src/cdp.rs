//! A small synchronous Chrome DevTools Protocol client: just what the agent and its tests use.
//!
//! Why not `chromiumoxide`: its generated protocol code (every CDP domain) takes minutes to
//! compile on a 2-core CI machine and brings an async runtime, while the agent needs about a
//! dozen methods. This client is a blocking WebSocket ([`tungstenite`]) plus `serde_json`.
//!
//! - [`Browser`]: the browser endpoint (`ws://127.0.0.1:PORT/devtools/browser/…`): list, open
//!   and close tabs.
//! - [`Tab`]: one page, over its own connection (`/devtools/page/<target id>`): navigate and
//!   wait for the load event, evaluate JavaScript, read the URL and text, take a screenshot,
//!   read and clear an origin's cookies and storage. Several clients may drive the same tab
//!   (the agent and a test, for instance).
//!
//! ```no_run
//! use hfjwt_kiosk_host::cdp::Browser;
//! use hfjwt_kiosk_host::chromium::{Chromium, LaunchOptions};
//!
//! let chromium = Chromium::launch(&LaunchOptions::headless())?;
//! let mut browser = Browser::connect(chromium.ws_url())?;
//! let mut tab = browser.new_tab("about:blank")?;
//! tab.navigate("http://127.0.0.1:8080/portal/login.html")?;
//! println!("{}: {}", tab.url()?, tab.body_text()?);
//! tab.screenshot(std::path::Path::new("target/portal.png"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use crate::stop;

/// How long a command waits for its answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a command the browser process answers itself may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// What went wrong talking to the browser.
#[derive(Debug)]
pub enum CdpError {
    /// The endpoint URL is not a `ws://` or `http://` URL with host and port.
    BadEndpoint(String),
    /// Connecting, or the connection broke (the browser went away).
    Io(io::Error),
    /// The WebSocket failed.
    WebSocket(String),
    /// No answer (or no awaited event) in time.
    Timeout(String),
    /// The browser answered a command with an error.
    Protocol {
        /// The command.
        method: String,
        /// The browser's message.
        message: String,
    },
    /// A navigation failed (e.g. `net::ERR_CONNECTION_REFUSED`).
    Navigation(String),
    /// An answer did not have the expected shape.
    Unexpected(String),
    /// The wait was cut short: the agent is stopping (see [`crate::stop`]).
    Stopping,
}

impl fmt::Display for CdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CdpError::BadEndpoint(e) => write!(f, "bad DevTools endpoint: {e}"),
            CdpError::Io(e) => write!(f, "DevTools connection: {e}"),
            CdpError::WebSocket(e) => write!(f, "DevTools WebSocket: {e}"),
            CdpError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            CdpError::Protocol { method, message } => write!(f, "{method}: {message}"),
            CdpError::Navigation(e) => write!(f, "navigation failed: {e}"),
            CdpError::Unexpected(e) => write!(f, "unexpected DevTools answer: {e}"),
            CdpError::Stopping => write!(f, "the agent is stopping"),
        }
    }
}

impl std::error::Error for CdpError {}

impl From<io::Error> for CdpError {
    fn from(e: io::Error) -> Self {
        CdpError::Io(e)
    }
}

impl CdpError {
    /// Whether the connection itself is gone (the browser or the tab closed): reconnect.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, CdpError::Io(_) | CdpError::WebSocket(_))
    }
}

/// One CDP event.
#[derive(Clone, Debug)]
pub struct Event {
    /// `Page.loadEventFired`, …
    pub method: String,
    /// Its parameters.
    pub params: Value,
}

/// One WebSocket connection to a DevTools endpoint: commands with ids, events queued.
struct Connection {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    events: VecDeque<Event>,
    /// Answer "Leave site?" (`beforeunload`) prompts with leave as soon as they are seen.
    answer_dialogs: bool,
    /// End waits at a stop request ([`crate::stop`]): set around a navigation's wait, the
    /// one that can take long (the network); never around what a sign-out clears.
    stop_on_request: bool,
}

impl Connection {
    fn open(ws_url: &str, timeout: Duration) -> Result<Connection, CdpError> {
        let rest = ws_url
            .strip_prefix("ws://")
            .ok_or_else(|| CdpError::BadEndpoint(format!("{ws_url} is not a ws:// URL")))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let stream = connect_tcp(authority, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let (ws, _) = tungstenite::client::client(ws_url, stream)
            .map_err(|e| CdpError::WebSocket(e.to_string()))?;
        Ok(Connection {
            ws,
            next_id: 1,
            events: VecDeque::new(),
            answer_dialogs: false,
            stop_on_request: false,
        })
    }

    /// Sends a command and returns its id, without waiting for the answer.
    fn send(&mut self, method: &str, params: Value) -> Result<u64, CdpError> {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(Message::Text(request.to_string().into()))
            .map_err(ws_error)?;
        Ok(id)
    }

    fn call(&mut self, method: &str, params: Value, timeout: Duration) -> Result<Value, CdpError> {
        let id = self.send(method, params)?;
        let deadline = Instant::now() + timeout;
        loop {
            let Some(message) = self.receive(deadline)? else {
                return Err(CdpError::Timeout(format!("the answer to {method}")));
            };
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(error) = message.get("error") {
                    return Err(CdpError::Protocol {
                        method: method.to_string(),
                        message: error
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("error")
                            .to_string(),
                    });
                }
                return Ok(message.get("result").cloned().unwrap_or(Value::Null));
            }
            self.queue(message);
        }
    }

    /// Waits for an event that `matches`, taking queued events first; others stay queued.
    fn wait_event(
        &mut self,
        what: &str,
        deadline: Instant,
        mut matches: impl FnMut(&Event) -> bool,
    ) -> Result<Event, CdpError> {
        if let Some(i) = self.events.iter().position(&mut matches)
            && let Some(event) = self.events.remove(i)
        {
            return Ok(event);
        }
        loop {
            let Some(message) = self.receive(deadline)? else {
                return Err(CdpError::Timeout(what.to_string()));
            };
            if let Some(event) = as_event(&message) {
                if matches(&event) {
                    return Ok(event);
                }
                self.push_event(event);
            }
        }
    }

    fn queue(&mut self, message: Value) {
        if let Some(event) = as_event(&message) {
            self.push_event(event);
        }
    }

    fn push_event(&mut self, event: Event) {
        // Nobody waits for old events forever: keep the most recent ones.
        if self.events.len() >= 256 {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// One JSON message, or `None` at `deadline`; while [`Connection::stop_on_request`],
    /// [`CdpError::Stopping`] within [`stop::POLL`] of a stop request.
    fn receive(&mut self, deadline: Instant) -> Result<Option<Value>, CdpError> {
        loop {
            if self.stop_on_request && stop::requested() {
                return Err(CdpError::Stopping);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            // In slices, to look at the stop request between them (tungstenite resumes a
            // message cut by a timeout).
            let slice = if self.stop_on_request {
                left.min(stop::POLL)
            } else {
                left
            };
            self.ws
                .get_mut()
                .set_read_timeout(Some(slice.max(Duration::from_millis(1))))?;
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    let message: Value = serde_json::from_str(text.as_str())
                        .map_err(|e| CdpError::Unexpected(e.to_string()))?;
                    if self.answer_dialogs
                        && message.get("method").and_then(Value::as_str)
                            == Some("Page.javascriptDialogOpening")
                        && message.pointer("/params/type").and_then(Value::as_str)
                            == Some("beforeunload")
                    {
                        // Leave. The answer to this command has an id nobody waits for.
                        self.send("Page.handleJavaScriptDialog", json!({ "accept": true }))?;
                    }
                    return Ok(Some(message));
                }
                Ok(Message::Close(_)) => {
                    return Err(CdpError::WebSocket("closed by the browser".into()));
                }
                Ok(_) => {}
                // A socket with a read timeout is not restarted after a signal handler ran
                // (socket(7)): a stop signal arriving mid-read lands here as EINTR.
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(ws_error(e)),
            }
        }
    }
}

/// How the agent answers a dialog that would block its navigation: "Leave site?"
/// (`beforeunload`) and alerts are accepted (leave; OK), confirms and prompts are cancelled
/// (nothing is done on the person's behalf).
fn dialog_answer(kind: &str) -> bool {
    matches!(kind, "beforeunload" | "alert")
}

fn as_event(message: &Value) -> Option<Event> {
    Some(Event {
        method: message.get("method")?.as_str()?.to_string(),
        params: message.get("params").cloned().unwrap_or(Value::Null),
    })
}

fn ws_error(e: tungstenite::Error) -> CdpError {
    match e {
        tungstenite::Error::Io(e) => CdpError::Io(e),
        e => CdpError::WebSocket(e.to_string()),
    }
}

fn connect_tcp(authority: &str, timeout: Duration) -> Result<TcpStream, CdpError> {
    let addrs = authority
        .to_socket_addrs()
        .map_err(|e| CdpError::BadEndpoint(format!("{authority}: {e}")))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(CdpError::Io(last.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "no address")
    })))
}

/// The browser's WebSocket URL for `endpoint`: a `ws://…` URL as it is, or for
/// `http://host:port` the `webSocketDebuggerUrl` of its `/json/version`.
pub fn resolve_endpoint(endpoint: &str, timeout: Duration) -> Result<String, CdpError> {
    if endpoint.starts_with("ws://") {
        return Ok(endpoint.to_string());
    }
    let authority = endpoint
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .ok_or_else(|| {
            CdpError::BadEndpoint(format!(
                "{endpoint}: expected ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT"
            ))
        })?;
    let mut stream = connect_tcp(authority, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /json/version HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    // Chromium keeps the connection open after answering: read the head, then exactly
    // Content-Length bytes.
    let mut reader = io::BufReader::new(stream.take(1 << 20));
    let mut content_length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(CdpError::Unexpected("/json/version: no answer".into()));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse::<usize>().ok();
        }
    }
    let length = content_length
        .ok_or_else(|| CdpError::Unexpected("/json/version without Content-Length".into()))?;
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8(body)
        .map_err(|_| CdpError::Unexpected("/json/version is not UTF-8".into()))?;
    let version: Value = serde_json::from_str(&body)
        .map_err(|e| CdpError::Unexpected(format!("/json/version: {e}")))?;
    version
        .get("webSocketDebuggerUrl")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CdpError::Unexpected("/json/version has no webSocketDebuggerUrl".into()))
}

/// A page target (a tab).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageTarget {
    /// The target id.
    pub target_id: String,
    /// The URL it shows.
    pub url: String,
}

/// The browser endpoint: tabs.
pub struct Browser {
    conn: Connection,
    ws_url: String,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("ws_url", &self.ws_url)
            .finish()
    }
}

impl Browser {
    /// Connects to `endpoint` (`ws://…/devtools/browser/…`, or `http://host:port`).
    pub fn connect(endpoint: &str) -> Result<Browser, CdpError> {
        let ws_url = resolve_endpoint(endpoint, DEFAULT_TIMEOUT)?;
        let conn = Connection::open(&ws_url, DEFAULT_TIMEOUT)?;
        Ok(Browser { conn, ws_url })
    }

    /// The browser's WebSocket URL.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// Sends one command to the browser endpoint.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, CdpError> {
        self.conn.call(method, params, DEFAULT_TIMEOUT)
    }

    /// The browser's product string, e.g. `Chrome/156.0.8078.108` (also a liveness check).
    pub fn version(&mut self) -> Result<String, CdpError> {
        let v = self.call("Browser.getVersion", json!({}))?;
        Ok(v.get("product")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Every open tab.
    pub fn pages(&mut self) -> Result<Vec<PageTarget>, CdpError> {
        let result = self.call("Target.getTargets", json!({}))?;
        let infos = result
            .get("targetInfos")
            .and_then(Value::as_array)
            .ok_or_else(|| CdpError::Unexpected("Target.getTargets without targetInfos".into()))?;
        Ok(infos
            .iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("page"))
            .filter_map(|t| {
                Some(PageTarget {
                    target_id: t.get("targetId")?.as_str()?.to_string(),
                    url: t.get("url")?.as_str()?.to_string(),
                })
            })
            .collect())
    }

    /// Opens a new tab on `url` (without waiting for it to load) and connects to it.
    pub fn new_tab(&mut self, url: &str) -> Result<Tab, CdpError> {
        let result = self.call("Target.createTarget", json!({ "url": url }))?;
        let id = result
            .get("targetId")
            .and_then(Value::as_str)
            .ok_or_else(|| CdpError::Unexpected("Target.createTarget without targetId".into()))?
            .to_string();
        self.tab(&id)
    }

    /// Connects to the existing tab `target_id`.
    pub fn tab(&self, target_id: &str) -> Result<Tab, CdpError> {
        Tab::connect(&self.page_ws_url(target_id)?, target_id)
    }

    /// Closes the tab `target_id`.
    pub fn close_tab(&mut self, target_id: &str) -> Result<(), CdpError> {
        self.call("Target.closeTarget", json!({ "targetId": target_id }))
            .map(|_| ())
    }

    fn page_ws_url(&self, target_id: &str) -> Result<String, CdpError> {
        let rest = self
            .ws_url
            .strip_prefix("ws://")
            .ok_or_else(|| CdpError::BadEndpoint(self.ws_url.clone()))?;
        let authority = rest.split('/').next().unwrap_or_default();
        Ok(format!("ws://{authority}/devtools/page/{target_id}"))
    }
}

/// A cookie, as much of it as the agent and its tests look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// Its name.
    pub name: String,
    /// Its domain.
    pub domain: String,
}

/// One tab, over its own DevTools connection.
pub struct Tab {
    conn: Connection,
    target_id: String,
    leave_without_asking: bool,
}

impl fmt::Debug for Tab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tab")
            .field("target_id", &self.target_id)
            .finish()
    }
}

impl Tab {
    /// Connects to a page's own endpoint (`ws://…/devtools/page/<target_id>`) and enables
    /// page events.
    pub fn connect(page_ws_url: &str, target_id: &str) -> Result<Tab, CdpError> {
        let mut tab = Tab {
            conn: Connection::open(page_ws_url, DEFAULT_TIMEOUT)?,
            target_id: target_id.to_string(),
            leave_without_asking: false,
        };
        tab.call("Page.enable", json!({}))?;
        // Lifecycle events carry the loader id that ties a load to its navigation.
        tab.call("Page.setLifecycleEventsEnabled", json!({ "enabled": true }))?;
        Ok(tab)
    }

    /// From now on, navigations this client starts ([`Tab::navigate`] and friends) first
    /// close a JavaScript dialog the page shows (it would block them: "Leave site?" is
    /// answered with leave, an alert with OK, a confirm or prompt with cancel), and answer a
    /// "Leave site?" prompt that opens on the way out. For the agent's kiosk tab: nobody is
    /// there to click, and the last person's page would stay on screen. Other dialogs, and
    /// all dialogs while the agent does not navigate, are the person's.
    pub fn leave_without_asking(&mut self) {
        self.leave_without_asking = true;
    }

    /// Runs `f` (a navigation) answering dialogs if [`Tab::leave_without_asking`] is on.
    fn navigating<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, CdpError>,
    ) -> Result<T, CdpError> {
        if !self.leave_without_asking {
            return f(self);
        }
        // Best effort around the navigation: only a lost connection stops it.
        let best_effort = |r: Result<(), CdpError>| match r {
            Err(e) if e.is_disconnect() => Err(e),
            _ => Ok(()),
        };
        // Any dialog open now blocks the navigation: answer it.
        best_effort(self.answer_open_dialog())?;
        // On the way out only "Leave site?" is answered: the next page's own alerts and
        // confirms are for the person.
        self.conn.answer_dialogs = true;
        let result = f(self);
        self.conn.answer_dialogs = false;
        // A prompt of the page left behind can open after the navigation (the page's own
        // navigation racing ours): it would block the renderer the next page shares.
        best_effort(self.answer_open_dialog_if(|kind| kind == "beforeunload"))?;
        result
    }

    /// Answers the dialog the page shows now, if any, as [`Tab::leave_without_asking`] does
    /// before a navigation ("Leave site?": leave; alert: OK; confirm, prompt: cancel).
    pub fn answer_open_dialog(&mut self) -> Result<(), CdpError> {
        self.answer_open_dialog_if(|_| true)
    }

    fn answer_open_dialog_if(&mut self, which: impl Fn(&str) -> bool) -> Result<(), CdpError> {
        // One round trip the browser answers even while the page is blocked: every event sent
        // before it is queued by the time the answer arrives.
        self.ping()?;
        let mut open: Option<String> = None;
        for e in &self.conn.events {
            match e.method.as_str() {
                "Page.javascriptDialogOpening" => {
                    open = Some(
                        e.params
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
                "Page.javascriptDialogClosed" => open = None,
                _ => {}
            }
        }
        let Some(kind) = open.filter(|kind| which(kind)) else {
            return Ok(());
        };
        self.conn.events.retain(|e| {
            !matches!(
                e.method.as_str(),
                "Page.javascriptDialogOpening" | "Page.javascriptDialogClosed"
            )
        });
        match self.conn.call(
            "Page.handleJavaScriptDialog",
            json!({ "accept": dialog_answer(&kind) }),
            PING_TIMEOUT,
        ) {
            // Someone else closed it meanwhile.
            Ok(_) | Err(CdpError::Protocol { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The URL the tab shows, as the browser (not the page) knows it: answered even while a
    /// dialog or a busy script blocks the page.
    pub fn target_url(&mut self) -> Result<String, CdpError> {
        let info = self
            .conn
            .call("Target.getTargetInfo", json!({}), PING_TIMEOUT)?;
        info.pointer("/targetInfo/url")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| CdpError::Unexpected(format!("target info: {info}")))
    }

    /// The URL of the document the tab shows: its last committed navigation, as the browser
    /// knows it. Answered while a navigation is pending too, when commands for the page
    /// itself ([`Tab::evaluate`]) wait until it commits, and unlike [`Tab::target_url`], which
    /// is then the pending URL.
    pub fn committed_url(&mut self) -> Result<String, CdpError> {
        let history = self
            .conn
            .call("Page.getNavigationHistory", json!({}), PING_TIMEOUT)?;
        history
            .get("currentIndex")
            .and_then(Value::as_u64)
            .and_then(|i| history.get("entries")?.get(usize::try_from(i).ok()?))
            .and_then(|entry| entry.get("url")?.as_str())
            .map(str::to_string)
            .ok_or_else(|| CdpError::Unexpected(format!("navigation history: {history}")))
    }

    /// Stops a pending navigation (and the loading of the page), as the browser's stop button
    /// does; the document shown stays.
    pub fn stop_loading(&mut self) -> Result<(), CdpError> {
        self.conn
            .call("Page.stopLoading", json!({}), PING_TIMEOUT)
            .map(|_| ())
    }

    /// Whether the tab still answers: a command the browser handles even while the page's
    /// script is blocked (by a dialog, or a busy loop), with a short timeout.
    pub fn ping(&mut self) -> Result<(), CdpError> {
        self.target_url().map(|_| ())
    }

    /// The tab's target id.
    pub fn target_id(&self) -> &str {
        &self.target_id
    }

    /// Sends one command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, CdpError> {
        self.conn.call(method, params, DEFAULT_TIMEOUT)
    }

    /// Navigates to `url` and waits (up to [`DEFAULT_TIMEOUT`]) for its load event.
    pub fn navigate(&mut self, url: &str) -> Result<(), CdpError> {
        self.navigate_within(url, DEFAULT_TIMEOUT)
    }

    /// Navigates to `url` and waits up to `timeout` for its load event (after redirects).
    ///
    /// The wait is for the load of *this* navigation (matched by its loader id), so a load
    /// event of an earlier navigation — the agent's, or another client's — cannot end it.
    /// A stop request ([`crate::stop`]) ends the wait within [`crate::stop::POLL`] with
    /// [`CdpError::Stopping`]; the page may still load.
    pub fn navigate_within(&mut self, url: &str, timeout: Duration) -> Result<(), CdpError> {
        self.navigating(|tab| {
            tab.conn.stop_on_request = true;
            let result = tab.navigate_and_wait(url, timeout);
            tab.conn.stop_on_request = false;
            result
        })
    }

    fn navigate_and_wait(&mut self, url: &str, timeout: Duration) -> Result<(), CdpError> {
        let deadline = Instant::now() + timeout;
        // A stuck page can leave even the answer to Page.navigate hanging: same deadline.
        let result = self
            .conn
            .call("Page.navigate", json!({ "url": url }), timeout)?;
        if let Some(error) = result.get("errorText").and_then(Value::as_str)
            && !error.is_empty()
        {
            return Err(CdpError::Navigation(error.to_string()));
        }
        // No loader: a same-document navigation, which has no load event.
        let Some(loader) = result.get("loaderId").and_then(Value::as_str) else {
            return Ok(());
        };
        let loader = loader.to_string();
        self.conn
            .wait_event("the page's load event", deadline, |e| {
                e.method == "Page.lifecycleEvent"
                    && e.params.get("name").and_then(Value::as_str) == Some("load")
                    && e.params.get("loaderId").and_then(Value::as_str) == Some(loader.as_str())
            })
            .map(|_| ())
    }

    /// Starts navigating to `url` without waiting for it to load.
    pub fn start_navigation(&mut self, url: &str) -> Result<(), CdpError> {
        let result = self.navigating(|tab| tab.call("Page.navigate", json!({ "url": url })))?;
        match result.get("errorText").and_then(Value::as_str) {
            Some(error) if !error.is_empty() => Err(CdpError::Navigation(error.to_string())),
            _ => Ok(()),
        }
    }

    /// Waits up to `timeout` for the next load event this connection sees (a navigation
    /// someone else started, e.g. the agent). Events already received count, so prefer
    /// [`Tab::wait_until`] on the URL or text when another client navigates the tab.
    pub fn wait_for_load(&mut self, timeout: Duration) -> Result<(), CdpError> {
        let deadline = Instant::now() + timeout;
        self.conn
            .wait_event("a load event", deadline, |e| {
                e.method == "Page.loadEventFired"
            })
            .map(|_| ())
    }

    /// Waits up to `timeout` for a JavaScript dialog (alert, confirm, prompt, "Leave site?")
    /// to open in this tab and returns its type.
    pub fn wait_for_dialog(&mut self, timeout: Duration) -> Result<String, CdpError> {
        let deadline = Instant::now() + timeout;
        let event = self.conn.wait_event("a dialog", deadline, |e| {
            e.method == "Page.javascriptDialogOpening"
        })?;
        Ok(event
            .params
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Evaluates a JavaScript expression (promises awaited) and returns its value as JSON.
    pub fn evaluate(&mut self, expression: &str) -> Result<Value, CdpError> {
        self.evaluate_within(expression, DEFAULT_TIMEOUT)
    }

    /// [`Tab::evaluate`], waiting at most `timeout` for the answer.
    pub fn evaluate_within(
        &mut self,
        expression: &str,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let result = self.conn.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            timeout,
        )?;
        if let Some(exception) = result.get("exceptionDetails") {
            return Err(CdpError::Protocol {
                method: "Runtime.evaluate".into(),
                message: exception
                    .pointer("/exception/description")
                    .or_else(|| exception.get("text"))
                    .and_then(Value::as_str)
                    .unwrap_or("exception")
                    .to_string(),
            });
        }
        Ok(result
            .pointer("/result/value")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// `document.body.innerText` (empty while there is no body).
    pub fn body_text(&mut self) -> Result<String, CdpError> {
        let v = self.evaluate("document.body ? document.body.innerText : ''")?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// The URL the tab shows (`location.href`).
    pub fn url(&mut self) -> Result<String, CdpError> {
        let v = self.evaluate("location.href")?;
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| CdpError::Unexpected("location.href is not a string".into()))
    }

    /// The URL and `document.body.innerText`, read in one evaluation (so both belong to the
    /// same document even while the tab navigates).
    pub fn url_and_text(&mut self) -> Result<(String, String), CdpError> {
        self.url_and_text_within(DEFAULT_TIMEOUT)
    }

    fn url_and_text_within(&mut self, timeout: Duration) -> Result<(String, String), CdpError> {
        let v = self.evaluate_within(
            "[location.href, document.body ? document.body.innerText : '']",
            timeout,
        )?;
        match (
            v.get(0).and_then(Value::as_str),
            v.get(1).and_then(Value::as_str),
        ) {
            (Some(url), Some(text)) => Ok((url.to_string(), text.to_string())),
            _ => Err(CdpError::Unexpected(format!("not [url, text]: {v}"))),
        }
    }

    /// Polls (every 50 ms) until `done(url, body text)` holds, up to `timeout`; returns the
    /// last URL and text. For tests that wait on what another process does to this tab.
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&str, &str) -> bool,
    ) -> Result<(String, String), CdpError> {
        let deadline = Instant::now() + timeout;
        loop {
            // A navigation in flight can make an evaluation fail, or leave it unanswered (a
            // dialog, a document going away): ask again, briefly each time.
            let state = self.url_and_text_within(Duration::from_secs(2));
            match state {
                Ok((url, text)) if done(&url, &text) => return Ok((url, text)),
                Err(e) if e.is_disconnect() => return Err(e),
                Ok((url, text)) if Instant::now() >= deadline => {
                    return Err(CdpError::Timeout(format!(
                        "the tab to change; it shows {url}: {}",
                        text.chars().take(300).collect::<String>()
                    )));
                }
                Err(e) if Instant::now() >= deadline => return Err(e),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Emulates a screen of `width` × `height` CSS pixels (`mobile`: a phone's viewport and
    /// touch), e.g. to play the phone in a test.
    pub fn set_viewport(&mut self, width: u32, height: u32, mobile: bool) -> Result<(), CdpError> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": width,
                "height": height,
                "deviceScaleFactor": if mobile { 2 } else { 1 },
                "mobile": mobile,
            }),
        )?;
        Ok(())
    }

    /// A PNG screenshot of the visible page.
    pub fn screenshot_png(&mut self) -> Result<Vec<u8>, CdpError> {
        let result = self.call("Page.captureScreenshot", json!({ "format": "png" }))?;
        let data = result
            .get("data")
            .and_then(Value::as_str)
            .ok_or_else(|| CdpError::Unexpected("Page.captureScreenshot without data".into()))?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| CdpError::Unexpected(format!("screenshot data: {e}")))
    }

    /// Writes a PNG screenshot of the visible page to `path` (creating its directory).
    pub fn screenshot(&mut self, path: &Path) -> Result<(), CdpError> {
        let png = self.screenshot_png()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// The cookies the browser would send to `url`.
    pub fn cookies(&mut self, url: &str) -> Result<Vec<Cookie>, CdpError> {
        let result = self.call("Network.getCookies", json!({ "urls": [url] }))?;
        let cookies = result
            .get("cookies")
            .and_then(Value::as_array)
            .ok_or_else(|| CdpError::Unexpected("Network.getCookies without cookies".into()))?;
        Ok(cookies
            .iter()
            .filter_map(|c| {
                Some(Cookie {
                    name: c.get("name")?.as_str()?.to_string(),
                    domain: c.get("domain")?.as_str()?.to_string(),
                })
            })
            .collect())
    }

    /// Deletes every cookie the browser would send to `origin` and clears the origin's
    /// storage (local and session storage, IndexedDB, caches, service workers).
    pub fn clear_origin(&mut self, origin: &str) -> Result<(), CdpError> {
        let cookies = self.call("Network.getCookies", json!({ "urls": [origin] }))?;
        for c in cookies
            .get("cookies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let params = json!({
                "name": c.get("name").cloned().unwrap_or(Value::Null),
                "domain": c.get("domain").cloned().unwrap_or(Value::Null),
                "path": c.get("path").cloned().unwrap_or(Value::Null),
            });
            self.call("Network.deleteCookies", params)?;
        }
        self.call(
            "Storage.clearDataForOrigin",
            json!({ "origin": origin, "storageTypes": "all" }),
        )?;
        Ok(())
    }
}
