//! One line per event on stdout: `event key=value …`, or JSON lines with `--json`.
//!
//! Events carry kinds, names and places (origin + path), never a token or a URL query: the
//! types that reach a log line ([`crate::origin::Place`], protocol kinds) cannot hold one.

use std::io::Write;

/// One event: a stable snake_case name and a few fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    /// `grant_opened`, `deny`, `reader_connected`, …
    pub event: &'static str,
    /// Field names and values, in order.
    pub fields: Vec<(&'static str, String)>,
}

impl LogEvent {
    /// An event without fields.
    pub fn new(event: &'static str) -> LogEvent {
        LogEvent {
            event,
            fields: Vec::new(),
        }
    }

    /// Adds a field.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> LogEvent {
        self.fields.push((name, value.to_string()));
        self
    }

    /// The value of field `name`, if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `event key=value key="value with spaces"`.
    pub fn to_text(&self) -> String {
        let mut line = self.event.to_string();
        for (name, value) in &self.fields {
            line.push(' ');
            line.push_str(name);
            line.push('=');
            if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '"') {
                line.push_str(&format!("{value:?}"));
            } else {
                line.push_str(value);
            }
        }
        line
    }

    /// `{"event":"…","key":"value"}`: `event` first, then the fields in order.
    pub fn to_json(&self) -> String {
        let quote = |s: &str| serde_json::Value::from(s).to_string();
        let mut line = format!("{{\"event\":{}", quote(self.event));
        for (name, value) in &self.fields {
            line.push(',');
            line.push_str(&quote(name));
            line.push(':');
            line.push_str(&quote(value));
        }
        line.push('}');
        line
    }
}

/// Where log lines go: stdout, text or JSON. Cheap to clone and share between threads.
#[derive(Clone, Copy, Debug)]
pub struct Logger {
    json: bool,
}

impl Logger {
    /// Text lines, or JSON lines when `json`.
    pub fn new(json: bool) -> Logger {
        Logger { json }
    }

    /// Writes one event as one line (whole, even with several threads logging).
    pub fn log(&self, event: &LogEvent) {
        let mut line = if self.json {
            event.to_json()
        } else {
            event.to_text()
        };
        line.push('\n');
        let mut out = std::io::stdout().lock();
        // A closed stdout (the service manager went away) must not stop the kiosk.
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_lines() {
        let e = LogEvent::new("deny")
            .with("kind", "replayed")
            .with("note", "two words");
        assert_eq!(e.to_text(), r#"deny kind=replayed note="two words""#);
        assert_eq!(
            e.to_json(),
            r#"{"event":"deny","kind":"replayed","note":"two words"}"#
        );
        assert_eq!(e.field("kind"), Some("replayed"));
        let odd = LogEvent::new("x").with("error", "a \"quoted\"\nline");
        let v: serde_json::Value = serde_json::from_str(&odd.to_json()).unwrap();
        assert_eq!(v["error"], "a \"quoted\"\nline");
    }
}
