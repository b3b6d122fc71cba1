//! defmt on the board, nothing on the host: the kiosk logs every decision (kind, jti, email
//! domain) without caring where it runs. Arguments are not evaluated on the host.

#[cfg(target_os = "none")]
macro_rules! info { ($($t:tt)*) => { defmt::info!($($t)*) }; }
#[cfg(target_os = "none")]
macro_rules! warning { ($($t:tt)*) => { defmt::warn!($($t)*) }; }

#[cfg(not(target_os = "none"))]
macro_rules! info { ($($t:tt)*) => { { let _ = || { $crate::log::__host_sink!($($t)*) }; } }; }
#[cfg(not(target_os = "none"))]
macro_rules! warning { ($($t:tt)*) => { $crate::log::info!($($t)*) }; }

/// Uses every argument (so the host build has no unused-variable warnings) without formatting.
#[cfg(not(target_os = "none"))]
macro_rules! __host_sink {
    ($fmt:literal $(, $arg:expr)* $(,)?) => { { $( let _ = &$arg; )* } };
}

#[cfg(not(target_os = "none"))]
pub(crate) use __host_sink;
pub(crate) use {info, warning};
