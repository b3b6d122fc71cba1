//! The I/O shell: runs the reader line, the page server and the kiosk browser, feeds what
//! happens to the [`Agent`] and performs the [`Action`]s it returns. No decision is made here.
//!
//! SIGTERM (systemd's stop), SIGINT (Ctrl-C) and SIGHUP (a closed terminal) stop it cleanly:
//! the Chromium it started is stopped with every process it forked, its profile removed, the
//! reader's line closed, and `agent_stopped signal=SIGTERM` is the last line it logs.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hfjwt_firmware::protocol::HostCommand;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::agent::{
    Action, Agent, AgentConfig, CLOCK_FLOOR, Input, KioskTab, time_alignment, time_command,
};
use crate::cdp::{Browser, CdpError, Tab};
use crate::chromium::{Chromium, LaunchOptions};
use crate::config::{BrowserMode, Config};
use crate::link::{self, LineEvent};
use crate::log::{LogEvent, Logger};
use crate::origin::{CheckedUrl, SupportOrigin};
use crate::pages::Branding;
use crate::server::PageServer;
use crate::stop;

/// How often the browser is checked while nothing else happens.
const HEALTH_EVERY: Duration = Duration::from_secs(2);
/// Longest wait for one of the agent's own pages to load (from loopback, in milliseconds
/// normally: longer means the tab is stuck).
const OWN_PAGE_TIMEOUT: Duration = Duration::from_secs(5);
/// The signals that stop the agent cleanly.
const STOP_SIGNALS: [i32; 3] = [SIGTERM, SIGINT, SIGHUP];
/// How long the reader's line gets to close on the way out.
const LINE_CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// What the main loop waits for.
enum Event {
    /// From the reader's line.
    Line(LineEvent),
    /// One of [`STOP_SIGNALS`] arrived.
    Stop(i32),
}

impl From<LineEvent> for Event {
    fn from(event: LineEvent) -> Event {
        Event::Line(event)
    }
}

/// Runs the agent until SIGTERM, SIGINT or SIGHUP, then stops cleanly and returns `Ok`.
/// Returns an error if it cannot start (no browser, no page server), saying why; it never
/// stops on its own.
///
/// A signal that arrives while the agent starts the browser or waits for a page ends that
/// wait (within [`stop::POLL`]); what a sign-out clears is still cleared.
pub fn run(config: Config) -> Result<(), String> {
    let logger = Logger::new(config.json);
    let (events_tx, events) = mpsc::channel::<Event>();
    // From here on a stop signal waits its turn in the main loop (even during start-up)
    // instead of ending the agent then and there, which would leave its Chromium running.
    let signals = watch_signals(events_tx.clone())?;
    let pages = PageServer::start(
        Branding {
            company: config.company.clone(),
            support_origin: config.support.as_str().to_string(),
        },
        config.message_for.as_secs(),
    )
    .map_err(|e| format!("cannot start the page server on 127.0.0.1: {e}"))?;
    let mut agent = Agent::new(AgentConfig {
        support: config.support.clone(),
        kiosk_name: config.kiosk_name.clone(),
        time_every: config.time_every,
        message_for: config.message_for,
    });
    pages.set_idle(agent.idle_view().clone());

    let mut kiosk = KioskBrowser {
        mode: config.browser.clone(),
        chromium: None,
        browser: None,
        tab: None,
        kiosk_target: None,
        line_read_at: Instant::now(),
        pages: pages.clone(),
        support: config.support.clone(),
        logger,
        endpoint: String::new(),
        down_reported: false,
        unanswered: 0,
        on_own_pages: false,
        page_timeout: config.page_timeout,
    };
    if let Err(e) = kiosk.connect() {
        // Stopped while the browser started: as clean a stop as any other.
        if stop::requested() {
            // The signal thread requests the stop, then sends the event.
            let signal = loop {
                match events.recv_timeout(LINE_CLOSE_TIMEOUT) {
                    Ok(Event::Stop(signal)) => break signal,
                    Ok(Event::Line(_)) => {}
                    Err(_) => break SIGTERM,
                }
            };
            signals.close();
            kiosk.shut_down();
            logger.log(&stopped(signal));
            return Ok(());
        }
        return Err(format!("cannot start the kiosk browser: {e}"));
    }
    logger.log(
        &LogEvent::new("agent_ready")
            .with("pages", pages.base_url())
            .with("cdp", &kiosk.endpoint)
            .with(
                "tab",
                kiosk.tab.as_ref().map(Tab::target_id).unwrap_or_default(),
            )
            .with("support_origin", config.support.as_str()),
    );

    let (commands, commands_rx) = mpsc::channel::<HostCommand>();
    let line = link::spawn(config.line.clone(), events_tx, commands_rx, logger)
        .map_err(|e| format!("cannot start the reader thread: {e}"))?;

    let mut last_health = Instant::now();
    loop {
        let now = Instant::now();
        let wait = agent
            .next_deadline()
            .map_or(HEALTH_EVERY, |d| d.saturating_duration_since(now))
            .min(HEALTH_EVERY);
        let event = match events.recv_timeout(wait) {
            Ok(Event::Line(event)) => Some(event),
            Ok(Event::Stop(signal)) => {
                signals.close();
                // With nobody left to send it commands, the line's thread closes the port and
                // ends.
                drop(commands);
                kiosk.shut_down();
                wait_until_closed(&events, LINE_CLOSE_TIMEOUT);
                logger.log(&stopped(signal));
                return Ok(());
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the reader thread stopped".into());
            }
        };
        if line.is_finished() {
            return Err("the reader thread stopped".into());
        }
        let input = match &event {
            Some(LineEvent::Connected) => Input::Connected,
            Some(LineEvent::Disconnected) => Input::Disconnected,
            Some(LineEvent::Line(line, at)) => {
                kiosk.line_read_at = *at;
                Input::from_line(line)
            }
            None => Input::Tick,
        };
        // Timers run after every event too, so a stream of lines cannot starve them.
        let mut pending = vec![Input::Tick, input];
        while let Some(input) = pending.pop() {
            for action in agent.handle(input, Instant::now()) {
                if let Some(follow_up) = kiosk.perform(action, &commands) {
                    pending.push(follow_up);
                }
            }
        }
        if last_health.elapsed() >= HEALTH_EVERY {
            last_health = Instant::now();
            kiosk.check_health();
        }
    }
}

/// The agent's last log line.
fn stopped(signal: i32) -> LogEvent {
    LogEvent::new("agent_stopped").with(
        "signal",
        signal_hook::low_level::signal_name(signal).unwrap_or("unknown"),
    )
}

/// Starts the thread that turns [`STOP_SIGNALS`] into a stop request ([`stop::request`]:
/// waits in progress end) and [`Event::Stop`]s on `events`; closing the returned handle ends
/// it.
fn watch_signals(events: Sender<Event>) -> Result<signal_hook::iterator::Handle, String> {
    let mut signals =
        Signals::new(STOP_SIGNALS).map_err(|e| format!("cannot handle signals: {e}"))?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                stop::request();
                if events.send(Event::Stop(signal)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    Ok(handle)
}

/// Waits (up to `timeout`) until every sender of `events` is gone: the line's thread has
/// closed the port and ended, and so has the signal thread.
fn wait_until_closed(events: &Receiver<Event>, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            // A line read on the way out, a second signal: too late.
            Ok(_) => {}
            Err(RecvTimeoutError::Disconnected | RecvTimeoutError::Timeout) => return,
        }
    }
}

/// The kiosk browser and the one tab the agent drives.
struct KioskBrowser {
    mode: BrowserMode,
    chromium: Option<Chromium>,
    /// The browser endpoint (to replace the kiosk tab when it stops answering).
    browser: Option<Browser>,
    tab: Option<Tab>,
    /// The kiosk tab's target id, kept across lost connections.
    kiosk_target: Option<String>,
    /// When the reader line being handled was read.
    line_read_at: Instant,
    pages: PageServer,
    support: SupportOrigin,
    logger: Logger,
    endpoint: String,
    /// Health checks in a row that the kiosk tab did not answer, or was not where the agent
    /// sent it.
    unanswered: u32,
    /// The agent last sent the tab to one of its own pages (not to the support center).
    on_own_pages: bool,
    /// `browser_unavailable` was logged for the current outage (one line per outage, not one
    /// per attempt).
    down_reported: bool,
    /// Longest wait for the support center's page to load (`--page-timeout`).
    page_timeout: Duration,
}

impl KioskBrowser {
    /// Starts or attaches to the browser, picks the kiosk tab and shows the idle page.
    fn connect(&mut self) -> Result<(), String> {
        self.tab = None;
        let idle = self.pages.idle_url();
        let endpoint = match &self.mode {
            BrowserMode::Launch(options) => {
                let running = self.chromium.as_mut().is_some_and(Chromium::is_running);
                if !running {
                    self.chromium = None;
                    let options = LaunchOptions {
                        start_url: Some(idle.clone()),
                        ..options.clone()
                    };
                    let chromium = Chromium::launch(&options).map_err(|e| e.to_string())?;
                    self.logger.log(
                        &LogEvent::new("browser_started")
                            .with("pid", chromium.pid())
                            .with("cdp", chromium.ws_url()),
                    );
                    self.chromium = Some(chromium);
                }
                self.chromium
                    .as_ref()
                    .map(|c| c.ws_url().to_string())
                    .unwrap_or_default()
            }
            BrowserMode::Attach(endpoint) => endpoint.clone(),
        };
        let mut browser = Browser::connect(&endpoint).map_err(|e| e.to_string())?;
        self.endpoint = browser.ws_url().to_string();
        let mut tab = self.pick_tab(&mut browser).map_err(|e| e.to_string())?;
        tab.leave_without_asking();
        self.kiosk_target = Some(tab.target_id().to_string());
        self.tab = Some(tab);
        self.browser = Some(browser);
        self.show(&idle).map_err(|e| e.to_string())
    }

    /// Opens a fresh kiosk tab on the idle page and closes the old one, which stopped
    /// answering (seen when a page's own navigation and a "Leave site?" prompt race the
    /// agent's sign-out: the old tab can stay stuck half-way).
    fn replace_tab(&mut self, why: &CdpError) {
        if stop::requested() {
            return;
        }
        let old = self.tab.take().map(|t| t.target_id().to_string());
        let idle = self.pages.idle_url();
        let fresh = match self.browser.as_mut() {
            Some(browser) => browser.new_tab(&idle).map(|mut tab| {
                tab.leave_without_asking();
                if let Some(old) = &old {
                    // Closing runs no "Leave site?" handler; a stuck tab may not even answer.
                    let _ = browser.close_tab(old);
                }
                tab
            }),
            None => Err(no_tab()),
        };
        match fresh {
            Ok(tab) => {
                self.logger.log(
                    &LogEvent::new("kiosk_tab_replaced")
                        .with("tab", tab.target_id())
                        .with("why", why),
                );
                self.kiosk_target = Some(tab.target_id().to_string());
                self.tab = Some(tab);
                if let Err(e) = self.show(&idle) {
                    self.logger.log(
                        &LogEvent::new("browser_error")
                            .with("step", "show_idle")
                            .with("error", &e),
                    );
                }
            }
            Err(e) => self.lost(&e),
        }
    }

    /// The kiosk tab of before, if it is still there (after a lost connection: never another
    /// tab of the same browser, such as a test's); else a tab already showing one of the
    /// agent's pages; else (the first time, in a browser we started) its first tab; else a
    /// new tab.
    fn pick_tab(&self, browser: &mut Browser) -> Result<Tab, CdpError> {
        let pages = browser.pages()?;
        if let Some(id) = &self.kiosk_target
            && pages.iter().any(|p| &p.target_id == id)
        {
            return browser.tab(id);
        }
        if let Some(ours) = pages.iter().find(|p| self.pages.owns(&p.url)) {
            return browser.tab(&ours.target_id);
        }
        if self.kiosk_target.is_none()
            && matches!(self.mode, BrowserMode::Launch(_))
            && let Some(first) = pages.first()
        {
            return browser.tab(&first.target_id);
        }
        browser.new_tab(&self.pages.idle_url())
    }

    /// Navigates the kiosk tab to one of the agent's own pages.
    fn show(&mut self, url: &str) -> Result<(), CdpError> {
        let tab = self.tab.as_mut().ok_or_else(no_tab)?;
        // From now on the tab must stay on the agent's pages (they have no links away).
        self.on_own_pages = true;
        tab.navigate_within(url, OWN_PAGE_TIMEOUT)
    }

    fn perform(
        &mut self,
        action: Action,
        commands: &mpsc::Sender<HostCommand>,
    ) -> Option<Input<'static>> {
        match action {
            Action::Log(event) => self.logger.log(&event),
            Action::SendTime => {
                let since_epoch = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                // On the second boundary, so the reader's clock is not up to 1 s behind.
                let (now, wait) = time_alignment(since_epoch);
                std::thread::sleep(wait);
                match time_command(now, CLOCK_FLOOR) {
                    Some(command) => {
                        let _ = commands.send(command);
                        self.logger
                            .log(&LogEvent::new("time_sent").with("unix", now));
                    }
                    None => self.logger.log(
                        &LogEvent::new("host_clock_unset")
                            .with("unix", now)
                            .with("floor", CLOCK_FLOOR),
                    ),
                }
            }
            Action::UpdateIdle(view) => self.pages.set_idle(view),
            Action::ShowIdle => {
                let url = self.pages.idle_url();
                self.browser_step("show_idle", |k| k.show(&url));
            }
            Action::Show(notice) => {
                let url = self.pages.notice_url(notice);
                self.browser_step("show_notice", |k| k.show(&url));
            }
            Action::Open(url) => return self.open(&url),
            // Best effort: a tab that does not answer is the health check's business.
            Action::StopLoading => {
                if let Some(tab) = self.tab.as_mut()
                    && let Err(e) = tab.stop_loading()
                {
                    self.logger.log(
                        &LogEvent::new("browser_error")
                            .with("step", "stop_loading")
                            .with("error", &e),
                    );
                }
            }
            Action::SignOut(url) => self.sign_out(&url),
        }
        None
    }

    fn open(&mut self, url: &CheckedUrl) -> Option<Input<'static>> {
        if self.tab.is_none() {
            self.reconnect();
        }
        self.on_own_pages = false;
        let started = Instant::now();
        let result = self
            .tab
            .as_mut()
            .ok_or_else(no_tab)
            .and_then(|tab| tab.navigate_within(url.as_str(), self.page_timeout));
        match result {
            Ok(()) => {
                // For the scan-to-page benchmark: the agent's share (line read → navigation
                // started) and the browser's (navigation → load event).
                self.logger.log(
                    &LogEvent::new("page_loaded")
                        .with("place", url.place())
                        .with("ms", started.elapsed().as_millis())
                        .with(
                            "agent_ms",
                            started
                                .saturating_duration_since(self.line_read_at)
                                .as_millis(),
                        ),
                );
                None
            }
            // The browser answered: the support center cannot be reached.
            Err(CdpError::Navigation(error)) => {
                self.logger.log(
                    &LogEvent::new("open_failed")
                        .with("place", url.place())
                        .with("error", error),
                );
                Some(Input::OpenFailed)
            }
            // Still loading. If the person still sees the agent's page, the agent tells them;
            // on the support center's page it may yet load.
            Err(CdpError::Timeout(_)) => {
                let tab = self.where_is_the_tab();
                self.logger.log(
                    &LogEvent::new("open_slow")
                        .with("place", url.place())
                        .with("kiosk_tab", tab.as_str()),
                );
                Some(Input::OpenSlow(tab))
            }
            // The agent is stopping: the main loop's next event says so.
            Err(CdpError::Stopping) => None,
            Err(e) => {
                self.logger.log(
                    &LogEvent::new("open_failed")
                        .with("place", url.place())
                        .with("error", &e),
                );
                if e.is_disconnect() {
                    self.lost(&e);
                }
                None
            }
        }
    }

    /// Where the kiosk tab is: the document it shows (its committed URL; the page's own
    /// scripts are not reached while a navigation is pending, and the target's URL is then the
    /// pending one).
    fn where_is_the_tab(&mut self) -> KioskTab {
        let Some(tab) = self.tab.as_mut() else {
            return KioskTab::Elsewhere;
        };
        match tab.committed_url() {
            Ok(url) if url == self.pages.idle_url() => KioskTab::IdlePage,
            Ok(url) if self.pages.owns(&url) => KioskTab::AgentPage,
            _ => KioskTab::Elsewhere,
        }
    }

    /// Logout page, then clear the support center's cookies and storage, then the idle page.
    fn sign_out(&mut self, url: &CheckedUrl) {
        let origin = self.support.as_str().to_string();
        let page_timeout = self.page_timeout;
        self.browser_step("open_logout", |k| {
            let tab = k.tab.as_mut().ok_or_else(no_tab)?;
            match tab.navigate_within(url.as_str(), page_timeout) {
                // An unreachable logout page must not keep the session: clear anyway.
                Err(CdpError::Navigation(_)) | Err(CdpError::Timeout(_)) | Ok(()) => Ok(()),
                Err(e) => Err(e),
            }
        });
        let clear = |k: &mut Self| {
            let tab = k.tab.as_mut().ok_or_else(no_tab)?;
            tab.clear_origin(&origin)?;
            let left = tab.cookies(&origin)?.len();
            k.logger.log(
                &LogEvent::new("signed_out")
                    .with("origin", &origin)
                    .with("cookies_left", left),
            );
            Ok(())
        };
        // Cookies and storage belong to the browser, not the tab: a replaced (or reconnected)
        // tab clears them just as well.
        if !self.browser_step("clear_origin", clear) {
            self.browser_step("clear_origin", clear);
        }
        let idle = self.pages.idle_url();
        self.browser_step("show_idle", |k| k.show(&idle));
    }

    /// Runs one browser operation; on failure logs it, and if the browser is gone, reconnects
    /// (restarting Chromium when the agent started it); if only the tab stopped answering,
    /// replaces the tab. Returns whether the operation succeeded.
    fn browser_step(
        &mut self,
        step: &'static str,
        f: impl FnOnce(&mut Self) -> Result<(), CdpError>,
    ) -> bool {
        if self.tab.is_none() {
            self.reconnect();
        }
        let e = match f(self) {
            Ok(()) => return true,
            Err(CdpError::Stopping) => return false,
            Err(e) => e,
        };
        self.logger.log(
            &LogEvent::new("browser_error")
                .with("step", step)
                .with("error", &e),
        );
        match e {
            e if e.is_disconnect() => self.lost(&e),
            // One of the agent's own pages did not load in time: the tab is stuck.
            CdpError::Timeout(_) => self.replace_tab(&e),
            // Anything else may pass (a navigation in flight); the health check decides.
            _ => {}
        }
        false
    }

    fn lost(&mut self, e: &CdpError) {
        if stop::requested() {
            return; // no new browser on the way out
        }
        self.logger
            .log(&LogEvent::new("browser_lost").with("error", e));
        self.tab = None;
        self.reconnect();
    }

    fn reconnect(&mut self) {
        if stop::requested() {
            return; // no new browser on the way out
        }
        match self.connect() {
            Ok(()) => {
                self.down_reported = false;
                let tab = self.tab.as_ref().map(Tab::target_id).unwrap_or_default();
                self.logger.log(
                    &LogEvent::new("browser_ready")
                        .with("cdp", &self.endpoint)
                        .with("tab", tab),
                );
            }
            Err(e) if !self.down_reported => {
                self.down_reported = true;
                self.logger
                    .log(&LogEvent::new("browser_unavailable").with("error", e));
            }
            Err(_) => {}
        }
    }

    /// On the way out: closes the DevTools connections and stops the Chromium the agent
    /// started (every process of it; its profile removed). An attached browser is left
    /// running, it is not the agent's, but without a session of the support center: the
    /// kiosk tab leaves the page it shows (the agent's pages stop with it, the support
    /// center's may show the last person signed in) for `about:blank`, and the support
    /// center's cookies and storage are cleared, as a sign-out does (`session_cleared`).
    fn shut_down(&mut self) {
        if matches!(self.mode, BrowserMode::Attach(_))
            && let Some(tab) = self.tab.as_mut()
        {
            let origin = self.support.as_str();
            // Neither step is a navigation's wait: a stop request does not cut them short.
            let cleared = tab
                .start_navigation("about:blank")
                .and_then(|()| tab.clear_origin(origin))
                .and_then(|()| tab.cookies(origin));
            match cleared {
                Ok(left) => self.logger.log(
                    &LogEvent::new("session_cleared")
                        .with("origin", origin)
                        .with("cookies_left", left.len()),
                ),
                Err(e) => self.logger.log(
                    &LogEvent::new("browser_error")
                        .with("step", "clear_on_stop")
                        .with("error", &e),
                ),
            }
        }
        self.tab = None;
        self.browser = None;
        if let Some(chromium) = self.chromium.take() {
            chromium.stop();
        }
    }

    /// Called every few seconds: is the browser (and the kiosk tab) still there?
    fn check_health(&mut self) {
        if stop::requested() {
            return; // the main loop stops next
        }
        let chromium_gone = self.chromium.as_mut().is_some_and(|c| !c.is_running());
        if chromium_gone {
            self.lost(&CdpError::Io(std::io::Error::other("Chromium exited")));
            return;
        }
        let Some(tab) = self.tab.as_mut() else {
            self.reconnect();
            return;
        };
        match tab.target_url() {
            // On the agent's own pages a dialog can only be left over from the support
            // center's page that was there before (a prompt racing a sign-out): close it, or
            // it blocks the renderer the agent's pages share.
            Ok(url) if self.pages.owns(&url) => match tab.answer_open_dialog() {
                Ok(()) => self.unanswered = 0,
                Err(e) if e.is_disconnect() => self.lost(&e),
                Err(e) => self.replace_tab(&e),
            },
            // Sent to one of the agent's pages but not there: stuck half-way (a page's own
            // navigation racing the agent's). Once can be a navigation in flight.
            Ok(url) if self.on_own_pages => {
                self.unanswered += 1;
                if self.unanswered >= 2 {
                    self.unanswered = 0;
                    self.replace_tab(&CdpError::Navigation(format!(
                        "the kiosk tab is stuck on {:?}",
                        url.split('?').next().unwrap_or_default()
                    )));
                }
            }
            Ok(_) => self.unanswered = 0,
            Err(e) if e.is_disconnect() => self.lost(&e),
            // The browser is there but the tab does not answer, twice in a row (once can be a
            // navigation in flight): a fresh tab.
            Err(e) => {
                self.unanswered += 1;
                if self.unanswered >= 2 {
                    self.unanswered = 0;
                    self.replace_tab(&e);
                }
            }
        }
    }
}

fn no_tab() -> CdpError {
    CdpError::Io(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "no kiosk tab",
    ))
}
