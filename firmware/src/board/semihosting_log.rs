//! A defmt global logger that writes each encoded byte with the semihosting `SYS_WRITEC` call.
//!
//! Why not `defmt-semihosting`: it writes through a `:tt` handle, which QEMU 7.2 maps to its
//! own stdout, where the frames would mix with UART0's transcript. `SYS_WRITEC` goes to the
//! semihosting *console*, which `-semihosting-config chardev=ID` routes to any chardev (a file
//! for `defmt-print`). One trap per byte is slow on silicon and irrelevant under QEMU.

use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::RestoreState;
use semihosting::sys::arm_compat::sys_writec;

#[defmt::global_logger]
struct Logger;

/// Set while a frame is being written (defmt calls `acquire`/`release` around each frame).
static TAKEN: AtomicBool = AtomicBool::new(false);
/// The critical section that spans one frame, and the encoder state; only touched between
/// `acquire` and `release`, i.e. inside that critical section.
static mut RESTORE: RestoreState = RestoreState::invalid();
static mut ENCODER: defmt::Encoder = defmt::Encoder::new();

fn put(bytes: &[u8]) {
    for &b in bytes {
        sys_writec(b);
    }
}

// SAFETY (for the trait): frames are serialised by a critical section held from `acquire` to
// `release`, and a nested `acquire` (a log from an interrupt while a frame is open cannot
// happen, the critical section masks them) panics instead of interleaving.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        // SAFETY: paired with the `release` in `Logger::release`.
        let restore = unsafe { critical_section::acquire() };
        if TAKEN.swap(true, Ordering::Relaxed) {
            panic!("defmt logger taken reentrantly");
        }
        // SAFETY: we are inside the critical section and hold TAKEN.
        unsafe {
            RESTORE = restore;
            (*core::ptr::addr_of_mut!(ENCODER)).start_frame(put);
        }
    }

    unsafe fn flush() {
        // SYS_WRITEC has no buffer on our side: every byte is on the host when it returns.
    }

    unsafe fn release() {
        // SAFETY: defmt calls this after `acquire`, so we are inside its critical section.
        unsafe {
            (*core::ptr::addr_of_mut!(ENCODER)).end_frame(put);
            TAKEN.store(false, Ordering::Relaxed);
            critical_section::release(RESTORE);
        }
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: as in `release`.
        unsafe { (*core::ptr::addr_of_mut!(ENCODER)).write(bytes, put) }
    }
}
