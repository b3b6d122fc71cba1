//! Stack depth of hfjwt's entry points on a Cortex-M3, by stack painting under QEMU.
//!
//! For each call: fill the free stack below the current frame with a pattern, make the call,
//! and find the lowest word that changed. The depth counted is everything the call pushed
//! (its frames, locals and return values); buffers passed in by the caller (the verifier, the
//! scratch buffer, the token buffer) are not counted. Prints one line per call through
//! semihosting and exits QEMU.
//!
//!   cd core/nopanic && cargo run --release --bin stack
#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;
use core::ptr::{read_volatile, write_volatile};

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use hfjwt::{Grant, Key, ReplayCache, ReturnTo, Site, Verifier, login_url, mint, scratch_len};

const PATTERN: u32 = 0x5AA5_C33C;
/// How far below the measuring frame the stack is painted (RAM is 64 KiB).
const PAINT_BYTES: usize = 16 * 1024;
/// Left unpainted just below the measuring frame (its own spills).
const GAP: usize = 64;

/// Bytes of stack used by `f`, measured from `measure`'s own stack pointer.
#[inline(never)]
fn measure(f: &mut dyn FnMut()) -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp - GAP;
    let low = sp - PAINT_BYTES;
    let mut a = low;
    while a < top {
        // SAFETY: free stack below this frame, inside RAM; nothing else runs (no interrupts).
        unsafe { write_volatile(a as *mut u32, PATTERN) };
        a += 4;
    }
    f();
    let mut a = low;
    // SAFETY: as above.
    while a < top && unsafe { read_volatile(a as *const u32) } == PATTERN {
        a += 4;
    }
    sp - a
}

#[entry]
fn main() -> ! {
    let key = Key::new(b"0123456789abcdefghijklmnopqrstuv").unwrap();
    let grant = Grant::new("jo@acme.com", 1_700_000_000, "5c8e0a4e-0b7f-4b1e-9c3a")
        .with_name("Jos\u{e9} Example");
    let mut token_buf = [0u8; 512];
    let mut scratch = [0u8; scratch_len(512)];
    let mut verifier = Verifier::<ReplayCache<64>>::new(key.clone());
    let mut url_len = 0;

    // What `measure` itself and an empty closure push; subtracted from every figure below.
    let baseline = measure(&mut || black_box(()));
    let mut token_len = 0;
    let mint_depth = measure(&mut || {
        token_len = mint(
            black_box(&key),
            black_box(&grant),
            black_box(&mut token_buf),
        )
        .map(str::len)
        .unwrap_or(0);
    });
    let token = core::str::from_utf8(&token_buf[..token_len]).unwrap();

    let mut ok = false;
    let verify_ok = measure(&mut || {
        ok = verifier
            .verify(
                black_box(token),
                black_box(1_700_000_010),
                black_box(&mut scratch),
            )
            .is_ok();
    });
    let mut replayed = false;
    let verify_replayed = measure(&mut || {
        replayed = verifier
            .verify(
                black_box(token),
                black_box(1_700_000_011),
                black_box(&mut scratch),
            )
            .is_err();
    });
    let mut bad = [0u8; 512];
    bad[..token_len].copy_from_slice(token.as_bytes());
    bad[token_len - 1] = if bad[token_len - 1] == b'A' {
        b'Q'
    } else {
        b'A'
    };
    let bad = core::str::from_utf8(&bad[..token_len]).unwrap();
    let mut bad_sig = false;
    let verify_bad = measure(&mut || {
        bad_sig = verifier
            .verify(
                black_box(bad),
                black_box(1_700_000_012),
                black_box(&mut scratch),
            )
            .is_err();
    });
    // Another header, whitespace, an escape and a nested claim: the general readers' path.
    const GENERAL: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyAiZW1haWwiOiJqb0BhY21lLmNvbSIsICJpYXQiOjE3MDAwMDAwMDAsICJqdGkiOiJhXHUwMDYyYyIsICJ4IjpbMSx7InkiOlsyLCJ6Il19XSB9.3-UBPzmCADv8h-1J13ltHVtuP-PY48tQ3iwSvKzmkn8";
    let mut general_ok = false;
    let verify_general = measure(&mut || {
        general_ok = verifier
            .verify(
                black_box(GENERAL),
                black_box(1_700_000_013),
                black_box(&mut scratch),
            )
            .is_ok_and(|c| c.jti == "abc");
    });
    let check_depth = measure(&mut || {
        let _ = black_box(verifier.check(black_box(token), 1_700_000_010, &mut scratch));
    });
    let url_depth = measure(&mut || {
        url_len = Site::account(black_box("acme"))
            .and_then(|site| login_url::<640>(site, black_box(token), Some(ReturnTo::KB)))
            .map(|u| u.len())
            .unwrap_or(0);
    });

    hprintln!(
        "token bytes: {}; measuring overhead subtracted: {} bytes",
        token_len,
        baseline
    );
    let net = |d: usize| d - baseline;
    hprintln!("stack mint: {} bytes", net(mint_depth));
    hprintln!(
        "stack verify (accepted, full path incl. replay record): {} bytes",
        net(verify_ok)
    );
    hprintln!("stack verify (replayed): {} bytes", net(verify_replayed));
    hprintln!("stack verify (bad signature): {} bytes", net(verify_bad));
    hprintln!(
        "stack verify (general readers: other header, escapes, nesting): {} bytes",
        net(verify_general)
    );
    hprintln!("stack check (accepted): {} bytes", net(check_depth));
    hprintln!(
        "stack login_url::<640> (incl. its 644-byte result): {} bytes",
        net(url_depth)
    );
    use core::mem::size_of;
    hprintln!("size_of Key: {} B", size_of::<Key>());
    hprintln!("size_of Policy: {} B", size_of::<hfjwt::Policy>());
    hprintln!(
        "size_of Verifier<ReplayCache<64>>: {} B",
        size_of::<Verifier<ReplayCache<64>>>()
    );
    hprintln!("size_of ReplayCache<1>: {} B", size_of::<ReplayCache<1>>());
    hprintln!(
        "size_of ReplayCache<64>: {} B",
        size_of::<ReplayCache<64>>()
    );
    hprintln!("size_of Claims: {} B", size_of::<hfjwt::Claims<'_>>());
    hprintln!("size_of Grant: {} B", size_of::<Grant<'_>>());
    hprintln!("size_of Error: {} B", size_of::<hfjwt::Error>());
    let sane = ok && replayed && bad_sig && general_ok && url_len > 0;
    hprintln!("results as expected: {}", sane);
    debug::exit(if sane {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {}
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
