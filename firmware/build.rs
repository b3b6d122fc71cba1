//! 1. Puts the board's `memory.x` on the linker search path (as cortex-m-quickstart does), so
//!    cortex-m-rt's `link.x` finds it: `memory.x` (LM3S6965) for thumbv7m,
//!    `boards/stm32f405/memory.x` for thumbv7em-none-eabihf (the board follows the target, see
//!    `src/board/mod.rs`). The `-Tlink.x`/`-Tdefmt.x` arguments themselves are target-scoped in
//!    `.cargo/config.toml`.
//! 2. Bakes the kiosk configuration into `$OUT_DIR/kiosk_config.rs` (included by
//!    `src/config.rs`): `kiosk.toml` next to this file, or the file named by
//!    `HFJWT_KIOSK_CONFIG`; `HFJWT_PORTAL_KEY` / `HFJWT_HAPPYFOX_KEY` override the two keys so
//!    that real keys can come from a secret store and never sit in a file of the repository.
//!    A bad configuration fails the build with a message naming the field.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let memory: &[u8] = match env::var("TARGET").as_deref() {
        Ok("thumbv7em-none-eabihf") => include_bytes!("boards/stm32f405/memory.x"),
        _ => include_bytes!("memory.x"),
    };
    fs::write(out.join("memory.x"), memory).expect("write memory.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=boards/stm32f405/memory.x");
    println!("cargo:rerun-if-changed=build.rs");

    let config = match generate_config() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("hfjwt-firmware kiosk configuration: {message}");
            std::process::exit(1);
        }
    };
    fs::write(out.join("kiosk_config.rs"), config).expect("write kiosk_config.rs to OUT_DIR");
}

fn generate_config() -> Result<String, String> {
    println!("cargo:rerun-if-env-changed=HFJWT_KIOSK_CONFIG");
    println!("cargo:rerun-if-env-changed=HFJWT_PORTAL_KEY");
    println!("cargo:rerun-if-env-changed=HFJWT_HAPPYFOX_KEY");
    let path = match env::var_os("HFJWT_KIOSK_CONFIG") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR unset")?)
            .join("kiosk.toml"),
    };
    println!("cargo:rerun-if-changed={}", path.display());
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))?;

    const KNOWN: [&str; 11] = [
        "device_id",
        "audience",
        "account",
        "domain",
        "origin",
        "portal_key",
        "happyfox_key",
        "leeway_seconds",
        "allowed_domains",
        "idle_seconds",
        "led_seconds",
    ];
    if let Some(unknown) = table.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("{}: unknown field `{unknown}`", path.display()));
    }
    let string = |name: &str| -> Result<Option<String>, String> {
        match table.get(name) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{name}` must be a string")),
        }
    };
    let seconds = |name: &str, default: u64| -> Result<u64, String> {
        match table.get(name) {
            None => Ok(default),
            Some(toml::Value::Integer(n)) if *n >= 0 => Ok(*n as u64),
            Some(_) => Err(format!("`{name}` must be a non-negative integer")),
        }
    };

    let device_id = string("device_id")?.unwrap_or_else(|| "kiosk".into());
    if device_id.is_empty()
        || device_id.len() > 24
        || !device_id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err("`device_id` must be 1-24 letters, digits, `-` or `_`".into());
    }
    let (account, domain, origin) = (string("account")?, string("domain")?, string("origin")?);
    let (site, constructor, text) = match (&account, &domain, &origin) {
        (Some(a), None, None) => (hfjwt::Site::account(a), "account", a),
        (None, Some(d), None) => (hfjwt::Site::domain(d), "domain", d),
        (None, None, Some(o)) => (hfjwt::Site::origin(o), "origin", o),
        _ => return Err("exactly one of `account`, `domain`, `origin` must be set".into()),
    };
    // The core judges the site, so a bad site fails the build, not the first sign-in; the
    // generated constant is made by the same `const fn`, so it cannot differ.
    site.map_err(|e| format!("the support-center `{constructor}`: {e}"))?;
    let site_code = format!(
        "match hfjwt::Site::{constructor}({text:?}) {{ Ok(site) => site, \
         Err(_) => panic!(\"checked by build.rs\") }}"
    );
    let key = |name: &str, env_name: &str| -> Result<(String, bool), String> {
        let from_env = env::var(env_name).ok();
        let key = match from_env {
            Some(k) => k,
            None => string(name)?.ok_or(format!("`{name}` is missing (or set {env_name})"))?,
        };
        // The core judges keys (weak_key below 32 bytes): fail at build time, not at boot.
        hfjwt::Key::new(key.as_bytes()).map_err(|e| format!("`{name}`: {e}"))?;
        let demo = key.starts_with("DEMO");
        Ok((format!("{key:?}"), demo))
    };
    let (portal_key, portal_demo) = key("portal_key", "HFJWT_PORTAL_KEY")?;
    let (happyfox_key, happyfox_demo) = key("happyfox_key", "HFJWT_HAPPYFOX_KEY")?;
    let allowed = match table.get("allowed_domains") {
        None => "None".to_string(),
        Some(toml::Value::Array(items)) => {
            let mut list = Vec::new();
            for item in items {
                match item {
                    toml::Value::String(s) if !s.is_empty() => list.push(format!("{s:?}")),
                    _ => return Err("`allowed_domains` must be a list of domain names".into()),
                }
            }
            format!("Some(&[{}])", list.join(", "))
        }
        Some(_) => return Err("`allowed_domains` must be a list of strings".into()),
    };
    // Kiosk fleets bind codes to one kiosk: the portal mints `aud = <kiosk>`, and this kiosk
    // requires it (the core checks the value, as it will at run time).
    let audience = match string("audience")? {
        None => "None".to_string(),
        Some(a) => {
            hfjwt::Policy::new()
                .audience(&a)
                .map_err(|e| format!("`audience`: {e}"))?;
            format!("Some({a:?})")
        }
    };
    let leeway = seconds("leeway_seconds", 0)?;
    let idle = seconds("idle_seconds", 60)?;
    let led = seconds("led_seconds", 3)?;
    // No clock that is set right reads earlier than the build (a day of slack for a build
    // machine whose clock runs ahead); SOURCE_DATE_EPOCH makes the value reproducible.
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let built = match env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .parse::<u64>()
            .map_err(|_| "SOURCE_DATE_EPOCH must be unix seconds".to_string())?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "the build machine's clock is before 1970".to_string())?
            .as_secs(),
    };
    let earliest = built.saturating_sub(86_400);

    Ok(format!(
        "// Generated by firmware/build.rs from {path}. Do not edit.\n\
         /// Where this configuration was read from (at build time).\n\
         pub const SOURCE: &str = {path:?};\n\
         /// Whether either key is a public demo key (its value starts with `DEMO`).\n\
         pub const DEMO_KEYS: bool = {demo};\n\
         /// The portal's HS256 key (verifies scanned tokens).\n\
         pub(crate) const PORTAL_KEY: &[u8] = {portal_key}.as_bytes();\n\
         /// HappyFox's JWT key (signs the tokens the kiosk mints).\n\
         pub(crate) const HAPPYFOX_KEY: &[u8] = {happyfox_key}.as_bytes();\n\
         /// The settings without the keys.\n\
         pub const SETTINGS: crate::kiosk::Settings = crate::kiosk::Settings {{\n\
         \x20   device_id: {device_id:?},\n\
         \x20   site: {site_code},\n\
         \x20   allowed_domains: {allowed},\n\
         \x20   audience: {audience},\n\
         \x20   leeway_seconds: {leeway},\n\
         \x20   idle_seconds: {idle},\n\
         \x20   led_seconds: {led},\n\
         \x20   earliest_time: {earliest},\n\
         }};\n",
        path = path.display().to_string(),
        demo = portal_demo || happyfox_demo,
    ))
}
