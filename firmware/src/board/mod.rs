//! Board support: the one place that knows registers. The kiosk library never sees it.

pub mod lm3s6965;
mod semihosting_log;
