//! Every kiosk scenario in `tests/scenarios/` runs on the desktop twin (`hfjwt-sim kiosk`) and
//! on the firmware under QEMU on both boards (`hfjwt-sim qemu --board lm3s6965evb` and
//! `--board netduinoplus2`); the transcripts must be identical, and each scenario's `expect`
//! lines must hold. The QEMU tests need qemu-system-arm and the thumbv7m-none-eabi and
//! thumbv7em-none-eabihf targets (scripts/install-qemu.sh): they fail, never skip, without them.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

fn scenarios() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "scenarios missing in {}", dir.display());
    files
}

/// One clock for both runs: tokens are minted relative to it when each run loads the file.
fn now() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

fn sim(args: &[&str], scenario: &PathBuf, now: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hfjwt-sim"))
        .args(args)
        .arg("--scenario")
        .arg(scenario)
        .args(["--now", now])
        .output()
        .expect("run hfjwt-sim")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn desktop_scenarios_meet_their_expectations() {
    let now = now();
    for file in scenarios() {
        let out = sim(&["kiosk"], &file, &now);
        assert!(
            out.status.success(),
            "{}: {}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr),
            text(&out)
        );
        let t = text(&out);
        assert!(t.starts_with("LED green off\nLED red off\nREADY "), "{t}");
        assert!(t.ends_with("> host HALT\nBYE\n"), "{t}");
    }
}

#[test]
fn desktop_runs_are_reproducible() {
    let file = scenarios()
        .into_iter()
        .find(|f| f.ends_with("replay.scn"))
        .unwrap();
    let a = sim(&["kiosk"], &file, "1800000000");
    let b = sim(&["kiosk"], &file, "1800000000");
    assert_eq!(text(&a), text(&b));
    assert!(text(&a).contains("DENY replayed "));
}

/// Fails (never skips) unless qemu-system-arm and the board's Rust target are installed.
fn require_qemu_and_target(target: &str) {
    let qemu = Command::new("qemu-system-arm").arg("--version").output();
    assert!(
        qemu.is_ok_and(|o| o.status.success()),
        "qemu-system-arm is required for this test: run scripts/install-qemu.sh"
    );
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        targets.lines().any(|t| t == target),
        "the {target} target is required for this test: run scripts/install-qemu.sh"
    );
}

/// Runs each of `files` on `board` under QEMU (firmware built with `features`) and on the
/// desktop twin; the transcripts must be the same line for line.
fn board_transcripts_equal_desktop(board: &str, features: &str, files: &[PathBuf]) {
    let now = now();
    for file in files {
        let desktop = sim(&["kiosk"], file, &now);
        let qemu = sim(
            &["qemu", "--board", board, "--features", features],
            file,
            &now,
        );
        assert!(
            qemu.status.success(),
            "{} under QEMU {board} (features {features:?}): {}\n{}",
            file.display(),
            String::from_utf8_lossy(&qemu.stderr),
            text(&qemu)
        );
        let (d, q) = (text(&desktop), text(&qemu));
        if d != q {
            let first = d
                .lines()
                .zip(q.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(d.lines().count().min(q.lines().count()));
            panic!(
                "{}: transcripts differ at line {}\n--- desktop\n{d}\n--- qemu {board}\n{q}",
                file.display(),
                first + 1
            );
        }
    }
}

#[test]
fn qemu_transcripts_equal_desktop() {
    require_qemu_and_target("thumbv7m-none-eabi");
    board_transcripts_equal_desktop("lm3s6965evb", "", &scenarios());
}

/// The STM32F405 board (Cortex-M4F) gives the same transcripts as the desktop twin, and so as
/// the lm3s6965evb. Then the silicon features that QEMU can run: `hwrng` (QEMU has no RNG
/// model, so the counter must take over) and `rtc` (no RTC model: nothing restored, the host
/// line unchanged) must not change a line either. (One test, so the two builds never replace
/// each other's ELF while QEMU runs it.)
#[test]
fn netduinoplus2_transcripts_equal_desktop() {
    require_qemu_and_target("thumbv7em-none-eabihf");
    board_transcripts_equal_desktop("netduinoplus2", "", &scenarios());
    let some: Vec<PathBuf> = scenarios()
        .into_iter()
        .filter(|f| f.ends_with("replay.scn") || f.ends_with("host_errors.scn"))
        .collect();
    assert_eq!(some.len(), 2);
    board_transcripts_equal_desktop("netduinoplus2", "hwrng,rtc", &some);
}

#[test]
fn a_failed_expect_names_the_file_and_the_expect_line() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("unmet-{}.scn", std::process::id()));
    std::fs::write(
        &file,
        "time +0\n# a comment\nscan raw x\nexpect DENY\nexpect GRANT\n",
    )
    .unwrap();
    let out = sim(&["kiosk"], &file, &now());
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:5: `expect GRANT` not met", file.display())),
        "{err}"
    );
    assert!(
        !err.contains(":4:"),
        "the met expect is not reported: {err}"
    );
}

#[test]
fn the_interactive_desktop_twin_answers_a_line_that_is_not_utf8_and_goes_on() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hfjwt-sim"))
        .arg("kiosk")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run hfjwt-sim kiosk");
    let mut input = format!("TIME {}\r\n", now()).into_bytes();
    input.extend_from_slice(b"\xff\xfe not text\nHALT\n");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let t = text(&out);
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("CLOCK ")), "{t}");
    assert!(
        lines.iter().any(|l| l.starts_with("DENY malformed ")),
        "{t}"
    );
    assert_eq!(lines.last(), Some(&"BYE"), "{t}");
}
