use super::*;

fn acme() -> SupportOrigin {
    SupportOrigin::parse("https://acme.happyfox.com").unwrap()
}

fn refused(text: &str) -> Refusal {
    match acme().check_grant(text) {
        Ok(url) => panic!("{text:?} was accepted as {}", url.as_str()),
        Err(r) => r,
    }
}

#[test]
fn the_support_center_jwt_url_is_accepted_and_reserialised() {
    let ok = acme()
        .check_grant("https://acme.happyfox.com/jwt/?token=a.b.c&return_to=%2Ftickets")
        .unwrap();
    assert_eq!(
        ok.as_str(),
        "https://acme.happyfox.com/jwt/?token=a.b.c&return_to=%2Ftickets"
    );
    assert_eq!(ok.place().as_str(), "https://acme.happyfox.com/jwt/");
}

#[test]
fn default_port_and_case_are_normalised() {
    for text in [
        "https://acme.happyfox.com:443/jwt/?token=x",
        "HTTPS://ACME.HappyFox.COM/jwt/?token=x",
        "https://acme.happyfox.com/jwt/",
    ] {
        assert!(acme().check_grant(text).is_ok(), "{text}");
    }
    let ok = acme()
        .check_grant("HTTPS://ACME.HappyFox.COM:443/jwt/?token=x")
        .unwrap();
    assert_eq!(ok.as_str(), "https://acme.happyfox.com/jwt/?token=x");
}

#[test]
fn idn_hosts_compare_in_their_ascii_form() {
    let origin = SupportOrigin::parse("https://bücher.example").unwrap();
    assert_eq!(origin.as_str(), "https://xn--bcher-kva.example");
    assert!(
        origin
            .check_grant("https://xn--bcher-kva.example/jwt/?token=x")
            .is_ok()
    );
    assert!(
        origin
            .check_grant("https://BÜCHER.example/jwt/?token=x")
            .is_ok()
    );
    // A look-alike (Cyrillic 'а' in "аcme") is another host.
    assert!(matches!(
        acme().check_grant("https://\u{430}cme.happyfox.com/jwt/?token=x"),
        Err(Refusal::ForeignOrigin(_))
    ));
}

#[test]
fn another_host_is_refused() {
    assert!(matches!(
        refused("https://evil.example/jwt/?token=x"),
        Refusal::ForeignOrigin(p) if p.as_str() == "https://evil.example/jwt/"
    ));
    for text in [
        "https://acme.happyfox.com.evil.example/jwt/?token=x",
        "https://evil.example/acme.happyfox.com/jwt/",
        "https://happyfox.com/jwt/",
        "https://other.happyfox.com/jwt/",
        "https://acme.happyfox.com./jwt/",
        "https://127.0.0.1/jwt/",
        "https:\\\\evil.example\\jwt\\",
        "//evil.example/jwt/",
    ] {
        let r = acme().check_grant(text);
        assert!(
            matches!(r, Err(Refusal::ForeignOrigin(_)) | Err(Refusal::NotAUrl)),
            "{text}: {r:?}"
        );
    }
}

#[test]
fn another_scheme_or_port_is_refused() {
    for text in [
        "http://acme.happyfox.com/jwt/?token=x",
        "https://acme.happyfox.com:8443/jwt/?token=x",
        "https://acme.happyfox.com:80/jwt/?token=x",
        "ws://acme.happyfox.com/jwt/",
        "ftp://acme.happyfox.com/jwt/",
        "javascript:alert(1)//https://acme.happyfox.com/jwt/",
        "data:text/html,<h1>https://acme.happyfox.com/jwt/</h1>",
        "file:///jwt/",
        "blob:https://acme.happyfox.com/jwt/",
    ] {
        assert!(
            matches!(refused(text), Refusal::ForeignOrigin(_) | Refusal::NotAUrl),
            "{text}"
        );
    }
}

#[test]
fn userinfo_is_refused_even_on_the_right_host() {
    assert!(matches!(
        refused("https://acme.happyfox.com@evil.example/jwt/"),
        Refusal::Userinfo(p) if p.as_str() == "https://evil.example/jwt/"
    ));
    assert!(matches!(
        refused("https://user:pw@acme.happyfox.com/jwt/?token=x"),
        Refusal::Userinfo(_)
    ));
    assert!(matches!(
        refused("https://:pw@acme.happyfox.com/jwt/"),
        Refusal::Userinfo(_)
    ));
}

#[test]
fn only_the_exact_jwt_path_is_accepted() {
    for text in [
        "https://acme.happyfox.com/jwt?token=x",
        "https://acme.happyfox.com/JWT/?token=x",
        "https://acme.happyfox.com/jwt/../x",
        "https://acme.happyfox.com/jwt/x",
        "https://acme.happyfox.com/jwt//",
        "https://acme.happyfox.com/",
        "https://acme.happyfox.com",
        "https://acme.happyfox.com/logout",
        "https://acme.happyfox.com/%6Awt/?token=x",
        "https://acme.happyfox.com/jwt%2F?token=x",
        "https://acme.happyfox.com/jwt/%2e%2e/admin",
        "https://acme.happyfox.com/jwt/%2E%2E",
        "https://acme.happyfox.com/jwt/;x",
    ] {
        assert!(matches!(refused(text), Refusal::WrongPath(_)), "{text}");
    }
}

#[test]
fn dot_segments_are_resolved_before_the_check_like_the_browser_does() {
    // The browser would open /jwt/ for this one too: we check and open the resolved URL.
    let ok = acme()
        .check_grant("https://acme.happyfox.com/x/../jwt/?token=y")
        .unwrap();
    assert_eq!(ok.as_str(), "https://acme.happyfox.com/jwt/?token=y");
}

#[test]
fn fragments_are_refused() {
    assert!(matches!(
        refused("https://acme.happyfox.com/jwt/?token=x#@evil.example"),
        Refusal::Fragment(_)
    ));
    assert!(matches!(
        refused("https://acme.happyfox.com/jwt/#"),
        Refusal::Fragment(_)
    ));
}

#[test]
fn non_url_text_is_refused() {
    for text in [
        "",
        "acme.happyfox.com/jwt/",
        "/jwt/?token=x",
        "token=x",
        "https://acme.happyfox.com/jwt/?token=x y",
        "https://acme.happyfox.com/jwt/?token=x\t",
        " https://acme.happyfox.com/jwt/",
        "https://acme.happyfox.com/j\twt/",
        "https://acme.happyfox.com/jwt/\u{0}",
        "https://acme.happyfox.com/jwt/?\u{7f}",
        "https://[::1/jwt/",
        "https://acme.happyfox.com:99999/jwt/",
        "https://acme%2ehappyfox%2ecom%2fjwt%2f@evil/",
    ] {
        let r = acme().check_grant(text);
        assert!(r.is_err(), "{text:?} accepted");
    }
    assert_eq!(refused("not a url"), Refusal::NotAUrl);
}

#[test]
fn percent_encoded_host_tricks_are_refused() {
    // %2e decodes to '.', so this host *is* acme.happyfox.com after parsing: same origin.
    assert!(
        acme()
            .check_grant("https://acme%2ehappyfox%2ecom/jwt/?token=x")
            .is_ok()
    );
    for text in [
        "https://acme.happyfox.com%2eevil.example/jwt/",
        "https://acme.happyfox.com%40evil.example/jwt/",
        "https://evil.example%2f@acme.happyfox.com/jwt/",
        "https://acme.happyfox.com%2f.evil.example/jwt/",
    ] {
        assert!(acme().check_grant(text).is_err(), "{text}");
    }
}

#[test]
fn logout_takes_only_the_logout_path() {
    let ok = acme()
        .check_logout("https://acme.happyfox.com/logout")
        .unwrap();
    assert_eq!(ok.place().as_str(), "https://acme.happyfox.com/logout");
    assert!(
        acme()
            .check_logout("https://acme.happyfox.com/logout?next=x")
            .is_ok()
    );
    for text in [
        "https://acme.happyfox.com/jwt/",
        "https://acme.happyfox.com/logout/",
        "https://evil.example/logout",
        "http://acme.happyfox.com/logout",
        "https://acme.happyfox.com/logout#x",
    ] {
        assert!(acme().check_logout(text).is_err(), "{text}");
    }
    assert!(
        acme()
            .check_grant("https://acme.happyfox.com/logout")
            .is_err()
    );
}

#[test]
fn a_local_http_origin_with_a_port() {
    let local = SupportOrigin::parse("http://127.0.0.1:8080/").unwrap();
    assert_eq!(local.as_str(), "http://127.0.0.1:8080");
    assert!(
        local
            .check_grant("http://127.0.0.1:8080/jwt/?token=x")
            .is_ok()
    );
    assert!(
        local
            .check_grant("http://localhost:8080/jwt/?token=x")
            .is_err()
    );
    assert!(
        local
            .check_grant("http://127.0.0.1:8081/jwt/?token=x")
            .is_err()
    );
    assert!(local.check_grant("http://127.0.0.1/jwt/?token=x").is_err());
    assert!(
        local
            .check_grant("https://127.0.0.1:8080/jwt/?token=x")
            .is_err()
    );
    // IPv4 in other notations parses to the same address.
    assert!(
        local
            .check_grant("http://2130706433:8080/jwt/?token=x")
            .is_ok()
    );
}

#[test]
fn bad_support_origins_are_refused_at_start() {
    assert_eq!(
        SupportOrigin::parse("acme.happyfox.com"),
        Err(BadOrigin::NotAUrl)
    );
    assert_eq!(
        SupportOrigin::parse("ftp://acme.happyfox.com"),
        Err(BadOrigin::Scheme)
    );
    assert_eq!(SupportOrigin::parse("file:///x"), Err(BadOrigin::Scheme));
    assert_eq!(
        SupportOrigin::parse("https://u@acme.happyfox.com"),
        Err(BadOrigin::Userinfo)
    );
    assert_eq!(
        SupportOrigin::parse("https://acme.happyfox.com/jwt/"),
        Err(BadOrigin::NotJustAnOrigin)
    );
    assert_eq!(
        SupportOrigin::parse("https://acme.happyfox.com/?x"),
        Err(BadOrigin::NotJustAnOrigin)
    );
    assert_eq!(
        SupportOrigin::parse("https://acme.happyfox.com:443")
            .unwrap()
            .as_str(),
        "https://acme.happyfox.com"
    );
}
