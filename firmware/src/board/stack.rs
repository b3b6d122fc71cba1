//! Stack high-water meter: the stack is painted with a pattern at boot and, at any later
//! point, the lowest overwritten word tells how deep the stack has ever been. The same on every
//! cortex-m-rt board (the bounds come from its `link.x`).

const PAINT: u32 = 0xDEAD_BEEF;
/// Bytes below the current stack pointer that painting leaves alone (the painter's own
/// frame and interrupt frames that may land there while it runs).
const MARGIN: usize = 64;

unsafe extern "C" {
    // From cortex-m-rt's link.x: the top of the stack and its lowest allowed address
    // (end of .bss/.uninit; there is no heap).
    static _stack_start: u32;
    static _stack_end: u32;
}

fn top() -> usize {
    core::ptr::addr_of!(_stack_start) as usize
}

fn bottom() -> usize {
    core::ptr::addr_of!(_stack_end) as usize
}

/// Size of the stack region in bytes (RAM left after statics).
pub fn size() -> usize {
    top() - bottom()
}

/// Paints the unused part of the stack. Call first thing in `main`, before interrupts
/// are enabled.
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    let mut addr = bottom();
    while addr + 4 <= sp - MARGIN {
        // SAFETY: [bottom, sp - MARGIN) is stack that no live frame uses yet, and no
        // Rust reference points into it; interrupts that could push frames there are
        // not enabled yet (callers paint before taking the board).
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
}

/// The deepest the stack has been since [`paint`], in bytes (scans up from the bottom).
pub fn high_water() -> usize {
    let mut addr = bottom();
    // SAFETY: reads of aligned stack words below the live frames; reading has no effect.
    while addr < top() && unsafe { core::ptr::read_volatile(addr as *const u32) } == PAINT {
        addr += 4;
    }
    top() - addr
}
