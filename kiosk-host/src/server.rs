//! The agent's page server: a tiny HTTP/1.1 server on 127.0.0.1 (a free port) that serves the
//! idle page and the current notice, so the agent can send the kiosk tab to them and the idle
//! page can follow its content (`/state`) in place, without navigating.
//!
//! GET (and HEAD) only, loopback only, `Host` must be the server's own address (a page from
//! elsewhere cannot reach it through DNS rebinding); every answer is `no-store` with a strict
//! Content-Security-Policy. One short-lived thread per connection: the only client is the
//! kiosk browser.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use crate::agent::{IdleView, Notice, ReaderState};
use crate::pages::{self, Branding};

/// What the pages show now; shared between the agent and the server threads.
#[derive(Debug)]
struct Screens {
    idle: IdleView,
    /// Bumped whenever `idle` changes; the idle page polls `/state` for it.
    version: u64,
    /// The notice shown last and its number (`/notice/<n>`).
    notice: Option<(u64, Notice)>,
    notices: u64,
}

/// A running page server. Its thread runs until the process ends.
#[derive(Clone, Debug)]
pub struct PageServer {
    addr: SocketAddr,
    screens: Arc<Mutex<Screens>>,
}

impl PageServer {
    /// Binds 127.0.0.1 on a free port and starts serving. `message_seconds` is the countdown a
    /// notice page shows.
    pub fn start(branding: Branding, message_seconds: u64) -> io::Result<PageServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let screens = Arc::new(Mutex::new(Screens {
            idle: IdleView {
                kiosk_name: None,
                return_to: None,
                reader: ReaderState::Disconnected,
                sign_in_stalled: false,
            },
            version: 1,
            notice: None,
            notices: 0,
        }));
        let site = Arc::new(Site {
            branding,
            message_seconds,
            host: addr.to_string(),
            screens: screens.clone(),
        });
        thread::Builder::new().name("pages".into()).spawn(move || {
            for stream in listener.incoming().flatten() {
                let site = site.clone();
                // A failed spawn only drops this one request.
                let _ = thread::Builder::new()
                    .name("page".into())
                    .spawn(move || site.serve(stream));
            }
        })?;
        Ok(PageServer { addr, screens })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The idle page's URL.
    pub fn idle_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Sets what the idle page shows; an open idle page updates itself in place within a
    /// quarter second.
    pub fn set_idle(&self, view: IdleView) {
        let mut s = lock(&self.screens);
        if s.idle != view {
            s.idle = view;
            s.version = s.version.wrapping_add(1);
        }
    }

    /// Makes `notice` the current notice and returns the URL that shows it.
    pub fn notice_url(&self, notice: Notice) -> String {
        let mut s = lock(&self.screens);
        s.notices = s.notices.wrapping_add(1);
        let n = s.notices;
        s.notice = Some((n, notice));
        format!("http://{}/notice/{n}", self.addr)
    }

    /// Whether `url` is one of this server's pages.
    pub fn owns(&self, url: &str) -> bool {
        url.strip_prefix(&self.base_url())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

fn lock(screens: &Mutex<Screens>) -> MutexGuard<'_, Screens> {
    // A panicked page thread cannot leave the screens half-written (every write is one
    // assignment), so a poisoned lock is still good.
    screens.lock().unwrap_or_else(|e| e.into_inner())
}

struct Site {
    branding: Branding,
    message_seconds: u64,
    host: String,
    screens: Arc<Mutex<Screens>>,
}

struct Response {
    status: &'static str,
    content_type: &'static str,
    body: String,
    location: Option<String>,
}

impl Site {
    fn serve(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let Ok(mut writer) = stream.try_clone() else {
            return;
        };
        let Some((method, target, host)) = read_head(stream) else {
            return;
        };
        let response = self.respond(&method, &target, host.as_deref());
        let head_only = method == "HEAD";
        let mut out = format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:\r\n\
             X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n",
            response.status,
            response.content_type,
            response.body.len()
        );
        if let Some(location) = &response.location {
            out.push_str(&format!("Location: {location}\r\n"));
        }
        out.push_str("\r\n");
        if !head_only {
            out.push_str(&response.body);
        }
        let _ = writer.write_all(out.as_bytes());
        let _ = writer.flush();
    }

    fn respond(&self, method: &str, target: &str, host: Option<&str>) -> Response {
        if host != Some(self.host.as_str()) {
            return text("421 Misdirected Request", "wrong host\n");
        }
        if method != "GET" && method != "HEAD" {
            return text("405 Method Not Allowed", "GET only\n");
        }
        let path = target.split('?').next().unwrap_or_default();
        let s = lock(&self.screens);
        match path {
            "/" => html(
                "200 OK",
                pages::idle_page(&s.idle, &self.branding, s.version),
            ),
            "/state" => text("200 OK", &s.version.to_string()),
            "/favicon.ico" => Response {
                status: "204 No Content",
                content_type: "text/plain",
                body: String::new(),
                location: None,
            },
            _ => match path.strip_prefix("/notice/") {
                Some(n) => match s.notice {
                    Some((current, notice)) if n == current.to_string() => html(
                        "200 OK",
                        pages::notice_page(notice, &s.idle, &self.branding, self.message_seconds),
                    ),
                    // An old notice: back to the start.
                    _ => Response {
                        status: "303 See Other",
                        content_type: "text/plain",
                        body: String::new(),
                        location: Some("/".into()),
                    },
                },
                None => html(
                    "404 Not Found",
                    pages::not_found_page(&s.idle, &self.branding),
                ),
            },
        }
    }
}

fn html(status: &'static str, body: String) -> Response {
    Response {
        status,
        content_type: "text/html; charset=utf-8",
        body,
        location: None,
    }
}

fn text(status: &'static str, body: &str) -> Response {
    Response {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.to_string(),
        location: None,
    }
}

/// Method, target and Host of a request head (at most 64 lines of 8 KiB each).
fn read_head(stream: TcpStream) -> Option<(String, String, Option<String>)> {
    let mut reader = BufReader::new(stream);
    let request = head_line(&mut reader)?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut host = None;
    for _ in 0..64 {
        let line = head_line(&mut reader)?;
        if line.is_empty() {
            return Some((method, target, host));
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("host")
        {
            host = Some(value.trim().to_string());
        }
    }
    None
}

/// One header line without its CRLF; `None` past 8 KiB, at EOF or for non-UTF-8.
fn head_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = Vec::new();
    let n = reader.take(8192).read_until(b'\n', &mut line).ok()?;
    if n == 0 || line.last() != Some(&b'\n') {
        return None;
    }
    let text = String::from_utf8(line).ok()?;
    Some(text.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(server: &PageServer, path: &str, host: Option<&str>) -> String {
        let mut s = TcpStream::connect(server.addr).unwrap();
        let host = host.map(str::to_string).unwrap_or(server.addr.to_string());
        write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn server() -> PageServer {
        PageServer::start(
            Branding {
                company: "Acme".into(),
                support_origin: "https://acme.happyfox.com".into(),
            },
            6,
        )
        .unwrap()
    }

    #[test]
    fn serves_idle_state_and_notices() {
        let server = server();
        let idle = get(&server, "/", None);
        assert!(idle.starts_with("HTTP/1.1 200 OK\r\n"), "{idle}");
        assert!(idle.contains("Reader disconnected"));
        assert!(idle.contains("Cache-Control: no-store"));
        assert_eq!(
            get(&server, "/state", None).rsplit("\r\n\r\n").next(),
            Some("1")
        );

        server.set_idle(IdleView {
            kiosk_name: Some("k".into()),
            return_to: None,
            reader: ReaderState::Connected,
            sign_in_stalled: false,
        });
        assert_eq!(
            get(&server, "/state", None).rsplit("\r\n\r\n").next(),
            Some("2")
        );
        assert!(!get(&server, "/", None).contains("Reader disconnected"));

        let url = server.notice_url(Notice::Refused);
        let path = url.strip_prefix(&server.base_url()).unwrap();
        assert!(get(&server, path, None).contains("refused to open a page"));
        server.notice_url(Notice::Unreachable);
        assert!(get(&server, path, None).starts_with("HTTP/1.1 303"));
        assert!(get(&server, "/nothing", None).starts_with("HTTP/1.1 404"));
    }

    #[test]
    fn refuses_other_hosts_and_methods() {
        let server = server();
        assert!(get(&server, "/", Some("evil.example")).starts_with("HTTP/1.1 421"));
        let mut s = TcpStream::connect(server.addr).unwrap();
        write!(s, "POST / HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 405"), "{out}");
        assert!(server.owns(&server.idle_url()));
        assert!(!server.owns(&format!("{}0/", server.base_url())));
    }
}
