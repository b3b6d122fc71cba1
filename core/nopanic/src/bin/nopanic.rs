//! Link-time proof of panic freedom: the panic handler calls a function that is defined
//! nowhere, so this binary links only if the optimiser removed every panic path from the code
//! it calls (hfjwt's verify, check, mint and URL builders on opaque inputs).
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    let mut scratch = [0u8; hfjwt::scratch_len(4096)];
    let mut out = [0u8; 1024];
    loop {
        hfjwt_nopanic::exercise_verify(&mut scratch);
        hfjwt_nopanic::exercise_mint(&mut out);
        hfjwt_nopanic::exercise_urls();
    }
}

unsafe extern "C" {
    /// Deliberately undefined: a reference to it that survives optimisation fails the link
    /// with "undefined symbol: hfjwt_panic_path_survived_optimisation".
    fn hfjwt_panic_path_survived_optimisation() -> !;
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    // SAFETY: never executed in a binary that links; see above.
    unsafe { hfjwt_panic_path_survived_optimisation() }
}
