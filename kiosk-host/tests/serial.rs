//! The reader on a real serial device path: a pseudo-terminal stands in for the reader's USB
//! serial port (`serialport` without libudev opens it by path, as it opens /dev/ttyACM0).

mod common;

use hfjwt_kiosk_host::testkit::{require_chromium, start_agent};

use common::*;

#[test]
fn a_serial_line_works_and_its_loss_is_noticed() {
    use std::io::{Read, Write};

    use hfjwt_kiosk_host::line::{Line, LineReader};
    use serialport::SerialPort as _;

    // A pseudo-terminal plays the reader's USB serial device: the agent opens the slave side
    // by path, exactly as it opens /dev/ttyACM0.
    // This test has a process of its own: the master side must not leak into another test's
    // child (serialport opens it without O_CLOEXEC; the clone has it), or it never closes.
    let (inheritable, slave) = serialport::TTYPort::pair().unwrap();
    let mut master = inheritable.try_clone_native().unwrap();
    drop(inheritable);
    let path = slave.name().unwrap();
    drop(slave);
    master.set_timeout(WAIT).unwrap();
    let line = format!("serial:{path}");
    require_chromium();
    let (mut agent, _ready) = start_agent(
        AGENT,
        &[
            "--line",
            &line,
            "--support-origin",
            "https://acme.happyfox.com",
            "--headless",
        ],
    );
    agent.wait_event("reader_connected", WAIT);
    let mut reader = LineReader::default();
    let mut buf = [0u8; 64];
    let first = loop {
        let n = master.read(&mut buf).unwrap();
        if let Some(Line::Text(t)) = reader.push(&buf[..n]).into_iter().next() {
            break t;
        }
    };
    assert!(matches!(
        hfjwt_firmware::protocol::HostCommand::parse(first.as_bytes()),
        Ok(hfjwt_firmware::protocol::HostCommand::Time { .. })
    ));
    master.write_all(b"READY pty-kiosk\r").unwrap();
    assert_eq!(
        agent.wait_event("reader_ready", WAIT),
        "reader_ready device_id=pty-kiosk"
    );
    // The device disappears.
    drop(master);
    agent.wait_event("reader_disconnected", WAIT);
    agent.wait_event("reader_unavailable", WAIT);
}
