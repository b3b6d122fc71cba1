//! The agent's own pages: the idle page and the notices, as self-contained HTML.
//!
//! Every page inlines the shared stylesheet (`assets/hfjwt.css`) and loads nothing else; the
//! words are for a person standing at a kiosk, not for a developer (the reader's kind is only
//! in the fine print, for staff).

use hfjwt::ErrorKind;
use hfjwt_firmware::protocol::{Button, DenyKind};

use crate::agent::{IdleView, Notice, ReaderState};

/// The shared stylesheet, inlined into every page.
pub const STYLESHEET: &str = include_str!("../../assets/hfjwt.css");

/// What every page names: who runs the kiosk and where it signs people in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branding {
    /// The organisation (`--company`), e.g. "Acme".
    pub company: String,
    /// The support center's origin, shown in the fine print of a refusal.
    pub support_origin: String,
}

/// The tone of a notice: the icon and colour of its heading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Something the person can fix (get a new code, wait a moment).
    Warning,
    /// Something only staff can fix.
    Error,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Warning => "hf-warning",
            Tone::Error => "hf-error",
        }
    }
}

/// The words of a notice page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeText {
    /// Heading icon and colour.
    pub tone: Tone,
    /// The heading, e.g. "This code was already used".
    pub title: String,
    /// What to do, in one or two sentences.
    pub lead: String,
    /// A code for staff (a kind name), shown small.
    pub code: &'static str,
}

/// The plain-language words for `notice`.
pub fn notice_text(notice: Notice, branding: &Branding) -> NoticeText {
    let company = &branding.company;
    let (tone, title, lead) = match notice {
        Notice::Refused => (
            Tone::Error,
            "This kiosk refused to open a page it does not trust".to_string(),
            "Nothing was opened. Please call a member of staff.".to_string(),
        ),
        Notice::Unreachable => (
            Tone::Error,
            "The support center could not be reached".to_string(),
            "Please try again in a moment. If it keeps happening, call a member of staff."
                .to_string(),
        ),
        Notice::Denied(DenyKind::ClockUnset) => (
            Tone::Warning,
            "The kiosk is starting".to_string(),
            "Please try again in a moment.".to_string(),
        ),
        Notice::Denied(DenyKind::Token(kind)) => {
            let (tone, title, lead): (Tone, String, &str) = match kind {
                ErrorKind::Replayed => (
                    Tone::Warning,
                    "This code was already used".into(),
                    "Sign in again on your phone.",
                ),
                ErrorKind::Expired => (
                    Tone::Warning,
                    "This code is too old".into(),
                    "Codes work for two minutes. Get a new one on your phone and scan it again.",
                ),
                ErrorKind::BadSignature => (
                    Tone::Error,
                    format!("This code was not issued by {company}"),
                    "Open the sign-in page on your phone and scan the code it shows.",
                ),
                ErrorKind::TooLarge | ErrorKind::Malformed | ErrorKind::UnsupportedAlgorithm => (
                    Tone::Warning,
                    "That is not a sign-in code".into(),
                    "Open the sign-in page on your phone and hold its QR code to the scanner.",
                ),
                ErrorKind::DomainNotAllowed => (
                    Tone::Error,
                    "This account cannot sign in here".into(),
                    "Your email address is not one this kiosk serves. Please ask a member of staff.",
                ),
                ErrorKind::IssuedInFuture => (
                    Tone::Warning,
                    "Your phone's clock is ahead".into(),
                    "Set your phone's date and time to automatic, then get a new code.",
                ),
                ErrorKind::WrongAudience => (
                    Tone::Warning,
                    "This code is for another kiosk".into(),
                    "Get a new code for this kiosk on your phone.",
                ),
                ErrorKind::ReplayCacheFull => (
                    Tone::Warning,
                    "The kiosk is busy".into(),
                    "Many people signed in just now. Please try again in a minute.",
                ),
                _ => (
                    Tone::Warning,
                    "This code could not be used".into(),
                    "Get a new code on your phone and try again. If it happens again, please ask a member of staff.",
                ),
            };
            (tone, title, lead.to_string())
        }
    };
    let code = match notice {
        Notice::Refused => "refused_url",
        Notice::Unreachable => "unreachable",
        Notice::Denied(kind) => kind.as_str(),
    };
    NoticeText {
        tone,
        title,
        lead,
        code,
    }
}

/// The label of a return_to button.
pub fn button_label(button: Button) -> &'static str {
    match button {
        Button::Home => "Home",
        Button::Tickets => "My tickets",
        Button::Kb => "Knowledge base",
    }
}

/// The idle page. `version` is what `/state` answers while this view is current: the page
/// polls it and, when it changes, fetches itself again and swaps in the new body in place.
///
/// It never navigates itself (no `location.reload()`): the kiosk tab must be navigated by the
/// agent alone. A page's own navigation started while the agent's is on its way can win over
/// it (Chromium lets the page's reload run after the agent's navigation to the support center,
/// which then never loads: the person who just scanned stays on the idle page, and the agent's
/// wait for the load times out).
pub fn idle_page(view: &IdleView, branding: &Branding, version: u64) -> String {
    let mut body = String::new();
    // A reader that is down is the first thing anyone (staff) must see.
    if view.reader == ReaderState::Disconnected {
        body.push_str(
            r#"<section class="hf-card hf-center" id="reader-status">
<div class="hf-status hf-error"><span class="hf-icon" aria-hidden="true"></span><h1>Reader disconnected</h1></div>
<p class="hf-lead">The scanner is not working right now. Please call a member of staff.</p>
</section>
"#,
        );
    }
    // Right after a scan whose sign-in page did not open: what happened, and what to do now.
    if view.sign_in_stalled {
        body.push_str(
            r#"<section class="hf-card hf-center" id="sign-in-stalled" role="alert">
<div class="hf-status hf-warning"><span class="hf-icon" aria-hidden="true"></span><h1>The sign-in page did not open</h1></div>
<p class="hf-lead">The support center took too long to answer. Get a new code on your phone and scan it again.</p>
<p class="hf-muted">If it happens again, please ask a member of staff.</p>
<p class="hf-fine">Code for staff: open_slow</p>
</section>
"#,
        );
    }
    body.push_str(
        r#"<section class="hf-card hf-center">
<div class="hf-status hf-info"><span class="hf-icon" aria-hidden="true"></span><h1 class="hf-big">Sign in with your phone</h1></div>
<p class="hf-lead">Open the sign-in page on your phone and hold the QR code to the scanner.</p>
<h2>After you sign in, go to</h2>
"#,
    );
    body.push_str(match view.return_to {
        Some(_) => r#"<p class="hf-muted">Press another button on the kiosk to change it.</p>"#,
        None => r#"<p class="hf-muted">Press a button on the kiosk to choose.</p>"#,
    });
    body.push_str(r#"<div class="hf-actions" id="return-to">"#);
    for button in Button::ALL {
        let chosen = view.return_to == Some(button);
        body.push_str(&format!(
            r#"<span class="hf-button{}" data-button="{}" aria-pressed="{}">{}</span>"#,
            if chosen { "" } else { " hf-secondary" },
            button.name(),
            chosen,
            button_label(button),
        ));
    }
    body.push_str("</div>\n</section>\n");
    // The kiosk's name is in the header; the footer says whether the reader is there.
    let footer = match view.reader {
        ReaderState::Connected => "Reader connected",
        ReaderState::Disconnected => "Reader disconnected",
    };
    let script = format!(
        r#"<script data-version="{version}">
let version = document.currentScript.dataset.version;
async function follow() {{
  try {{
    const state = await fetch("/state", {{ cache: "no-store" }});
    if ((await state.text()) !== version) {{
      const page = await fetch("/", {{ cache: "no-store" }});
      const next = new DOMParser().parseFromString(await page.text(), "text/html");
      const current = next.querySelector("script[data-version]");
      if (page.ok && current) {{
        document.title = next.title;
        document.body.replaceWith(document.adoptNode(next.body));
        version = current.dataset.version;
      }}
    }}
  }} catch (e) {{}}
  setTimeout(follow, 250);
}}
setTimeout(follow, 250);
</script>"#
    );
    page(
        "Sign in with your phone",
        view,
        branding,
        &body,
        footer,
        &script,
    )
}

/// A notice page that counts down `seconds` before the agent returns to the idle page.
pub fn notice_page(notice: Notice, view: &IdleView, branding: &Branding, seconds: u64) -> String {
    let text = notice_text(notice, branding);
    let mut body = format!(
        r#"<section class="hf-card hf-center">
<div class="hf-status {tone}"><span class="hf-icon" aria-hidden="true"></span><h1>{title}</h1></div>
<p class="hf-lead">{lead}</p>
"#,
        tone = text.tone.class(),
        title = escape(&text.title),
        lead = escape(&text.lead),
    );
    if notice == Notice::Refused {
        body.push_str(&format!(
            r#"<p class="hf-muted">This kiosk only opens {}.</p>
"#,
            escape(&branding.support_origin)
        ));
    }
    body.push_str(&format!(
        r#"<p class="hf-countdown">Back to the start in <span id="left">{seconds}</span> s</p>
<div class="hf-meter"><span id="meter"></span></div>
<p class="hf-fine">Code for staff: {code}</p>
</section>
"#,
        code = escape(text.code),
    ));
    let script = format!(
        r#"<script>
let left = {seconds};
const total = Math.max(left, 1);
requestAnimationFrame(() => {{ document.getElementById("meter").style.width = ((left - 1) / total * 100) + "%"; }});
const timer = setInterval(() => {{
  left = Math.max(left - 1, 0);
  document.getElementById("left").textContent = left;
  document.getElementById("meter").style.width = (Math.max(left - 1, 0) / total * 100) + "%";
  if (left === 0) clearInterval(timer);
}}, 1000);
</script>"#
    );
    page(&text.title, view, branding, &body, "", &script)
}

/// A small page for anything the server does not serve.
pub fn not_found_page(view: &IdleView, branding: &Branding) -> String {
    page(
        "Not found",
        view,
        branding,
        r#"<section class="hf-card hf-center"><div class="hf-status hf-info"><span class="hf-icon" aria-hidden="true"></span><h1>Nothing here</h1></div><p class="hf-lead"><a href="/">Back to the start</a></p></section>"#,
        "",
        "",
    )
}

fn page(
    title: &str,
    view: &IdleView,
    branding: &Branding,
    body: &str,
    footer: &str,
    script: &str,
) -> String {
    let initial = branding
        .company
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    let product = match &view.kiosk_name {
        Some(name) => format!("Support kiosk · {}", escape(name)),
        None => "Support kiosk".to_string(),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{STYLESHEET}
</style>
</head>
<body>
<header class="hf-header">
<div class="hf-brand"><span class="hf-logo" aria-hidden="true">{initial}</span><span><span class="hf-site">{company}</span><span class="hf-product">{product}</span></span></div>
</header>
<main class="hf-main">
{body}</main>
<footer class="hf-footer">{footer}</footer>
{script}
</body>
</html>
"#,
        title = escape(title),
        initial = escape(&initial),
        company = escape(&branding.company),
    )
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branding() -> Branding {
        Branding {
            company: "Acme".into(),
            support_origin: "https://acme.happyfox.com".into(),
        }
    }

    fn view() -> IdleView {
        IdleView {
            kiosk_name: Some("lobby-1".into()),
            return_to: Some(Button::Tickets),
            reader: ReaderState::Connected,
            sign_in_stalled: false,
        }
    }

    #[test]
    fn replayed_uses_the_words_of_the_spec() {
        let t = notice_text(
            Notice::Denied(DenyKind::Token(ErrorKind::Replayed)),
            &branding(),
        );
        assert_eq!(
            format!("{}. {}", t.title, t.lead),
            "This code was already used. Sign in again on your phone."
        );
    }

    #[test]
    fn every_kind_has_plain_words_without_jargon() {
        let mut kinds: Vec<DenyKind> = ErrorKind::ALL.into_iter().map(DenyKind::Token).collect();
        kinds.push(DenyKind::ClockUnset);
        for kind in kinds {
            let t = notice_text(Notice::Denied(kind), &branding());
            for word in ["jti", "token", "JWT", "signature", "iat"] {
                assert!(
                    !t.title.contains(word) && !t.lead.contains(word),
                    "{kind:?}: {t:?}"
                );
            }
            assert_eq!(t.code, kind.as_str());
        }
        let t = notice_text(
            Notice::Denied(DenyKind::Token(ErrorKind::BadSignature)),
            &branding(),
        );
        assert_eq!(t.title, "This code was not issued by Acme");
        let t = notice_text(Notice::Refused, &branding());
        assert_eq!(
            t.title,
            "This kiosk refused to open a page it does not trust"
        );
        assert!(t.lead.contains("call a member of staff"));
    }

    #[test]
    fn the_idle_page_marks_the_chosen_button_and_the_reader_state() {
        let html = idle_page(&view(), &branding(), 3);
        assert!(html.contains(r#"data-button="tickets" aria-pressed="true""#));
        assert!(html.contains(r#"data-button="home" aria-pressed="false""#));
        assert!(html.contains("hold the QR code to the scanner"));
        assert!(html.contains("lobby-1"));
        assert!(!html.contains("Reader disconnected"));
        let down = IdleView {
            reader: ReaderState::Disconnected,
            ..view()
        };
        assert!(idle_page(&down, &branding(), 3).contains("Reader disconnected"));
    }

    #[test]
    fn the_idle_page_says_when_the_sign_in_page_did_not_open() {
        assert!(!idle_page(&view(), &branding(), 3).contains("sign-in-stalled"));
        let stalled = IdleView {
            sign_in_stalled: true,
            ..view()
        };
        let html = idle_page(&stalled, &branding(), 4);
        let notice = html.find(r#"id="sign-in-stalled" role="alert""#).unwrap();
        // Above what to do, and in the words of the other notices.
        assert!(notice < html.find("Sign in with your phone</h1>").unwrap());
        let section = &html[notice..];
        let section = &section[..section.find("</section>").unwrap()];
        assert!(section.contains("The sign-in page did not open"));
        assert!(section.contains("Get a new code on your phone and scan it again."));
        assert!(section.contains("ask a member of staff"));
        assert!(section.contains("Code for staff: open_slow"));
        for word in ["jti", "token", "JWT", "timeout", "GRANT"] {
            assert!(!section.contains(word), "{word}");
        }
    }

    #[test]
    fn the_agent_pages_never_navigate_themselves() {
        // Only the agent navigates the kiosk tab: a page's own navigation can win over the
        // agent's and leave a person who just scanned on the idle page.
        let stalled = IdleView {
            sign_in_stalled: true,
            ..view()
        };
        for html in [
            idle_page(&view(), &branding(), 1),
            idle_page(&stalled, &branding(), 1),
            notice_page(Notice::Refused, &view(), &branding(), 6),
        ] {
            for navigation in ["location", "http-equiv", "history.", "window.open"] {
                assert!(!html.contains(navigation), "{navigation}");
            }
        }
        // It follows the agent in place instead.
        assert!(idle_page(&view(), &branding(), 7).contains(r#"<script data-version="7">"#));
    }

    #[test]
    fn pages_load_nothing_external_and_escape_names() {
        let evil = IdleView {
            kiosk_name: Some("<script>x</script>".into()),
            ..view()
        };
        for html in [
            idle_page(&evil, &branding(), 1),
            notice_page(Notice::Refused, &evil, &branding(), 6),
        ] {
            assert!(!html.contains("<script>x"));
            assert!(
                !html.contains("http://") && !html.contains("src="),
                "external resource"
            );
            assert!(!html.contains("<link"));
        }
    }
}
