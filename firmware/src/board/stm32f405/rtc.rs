//! The RTC kept by the kiosk PC's `TIME` lines (feature `rtc`).
//!
//! The kiosk's wall clock is still only ever set by a `TIME` line ([`hfjwt_firmware::kiosk`]);
//! this module sits on the host line ([`RtcLine`]) and
//! - writes the RTC whenever the kiosk accepts a `TIME` (it answers `CLOCK <unix>`; refused
//!   values never reach the RTC), so the RTC follows the kiosk PC's NTP time;
//! - at boot, if the RTC kept running (on its backup battery, VBAT) since it was last set, hands
//!   the kiosk a `TIME <rtc>` line of its own and keeps the kiosk's answer off the wire: the
//!   reader can grant right after a reset, and the kiosk's checks (build time, year 2100) and
//!   its memory horizon apply exactly as to a `TIME` from the PC.
//!
//! Clock: the 32.768 kHz LSE crystal, started at boot and selected when it is ready (it takes
//! up to ~2 s; a `TIME` that comes earlier is kept by the kiosk but not by the RTC, the next one
//! is). The RTC is as trusted as the host line: whoever can set one can set the other.
//!
//! QEMU's netduinoplus2 has no RTC (RCC and RTC read 0): nothing is restored, the LSE never gets
//! ready, and the host line behaves exactly as without this feature.

use embedded_io::{ErrorType, Read, ReadReady, Write};
use hfjwt_firmware::protocol::{HostCommand, Reply};
use stm32f4::stm32f405::{PWR, RTC, rcc};

/// Status polls for an RTC flag (INITF, RSF: two RTCCLK periods, ~61 µs ≈ 10 000 cycles).
const POLLS: u32 = 200_000;

/// Why the RTC was not written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum RtcError {
    /// The LSE crystal is not running (yet, or not fitted).
    LseNotReady,
    /// The RTC already runs from another clock; changing it needs a backup-domain reset.
    OtherClock,
    /// A flag did not come up in time.
    Timeout,
    /// Before 2000 or from 2100 on: the calendar has two year digits.
    OutOfRange,
}

/// The RTC and its backup domain.
pub struct Rtc {
    rtc: RTC,
    rcc: &'static rcc::RegisterBlock,
}

impl Rtc {
    /// Opens the backup domain and starts the LSE if the RTC is not running yet. The PWR clock
    /// must be on.
    pub fn new(rtc: RTC, pwr: PWR, rcc: &'static rcc::RegisterBlock) -> Self {
        pwr.cr().modify(|_, w| w.dbp().set_bit());
        if rcc.bdcr().read().lseon().bit_is_clear() {
            rcc.bdcr().modify(|_, w| w.lseon().set_bit());
        }
        Rtc { rtc, rcc }
    }

    fn running(&self) -> bool {
        let bdcr = self.rcc.bdcr().read();
        bdcr.rtcen().bit_is_set()
            && bdcr.rtcsel().is_lse()
            && self.rtc.isr().read().inits().bit_is_set()
    }

    fn unlock(&self) {
        self.rtc.wpr().write(|w| w.key().set(0xCA));
        self.rtc.wpr().write(|w| w.key().set(0x53));
    }

    fn lock(&self) {
        self.rtc.wpr().write(|w| w.key().set(0xFF));
    }

    /// Unix seconds from the calendar, if the RTC has been running since it was set.
    pub fn now(&self) -> Option<u64> {
        if !self.running() {
            return None;
        }
        // After a reset the shadow registers must resynchronise before they are read.
        self.unlock();
        self.rtc.isr().modify(|_, w| w.rsf().clear_bit());
        self.lock();
        wait(|| self.rtc.isr().read().rsf().bit_is_set()).ok()?;
        // Reading TR locks DR until DR is read: the two are one consistent moment.
        let tr = self.rtc.tr().read();
        let dr = self.rtc.dr().read();
        let bcd = |tens: u8, units: u8| u64::from(tens) * 10 + u64::from(units);
        let year = 2000 + bcd(dr.yt().bits(), dr.yu().bits());
        let month = bcd(u8::from(dr.mt().bit()), dr.mu().bits());
        let day = bcd(dr.dt().bits(), dr.du().bits());
        let hours = bcd(tr.ht().bits(), tr.hu().bits());
        let minutes = bcd(tr.mnt().bits(), tr.mnu().bits());
        let seconds = bcd(tr.st().bits(), tr.su().bits());
        let days = days_from_civil(year, month, day)?;
        Some(days * 86_400 + hours * 3600 + minutes * 60 + seconds)
    }

    /// Sets the calendar to `unix` seconds, selecting and enabling the LSE clock first if needed.
    pub fn set(&mut self, unix: u64) -> Result<(), RtcError> {
        let bdcr = self.rcc.bdcr().read();
        if bdcr.rtcsel().is_no_clock() {
            if bdcr.lserdy().bit_is_clear() {
                return Err(RtcError::LseNotReady);
            }
            self.rcc.bdcr().modify(|_, w| w.rtcsel().lse());
        } else if !bdcr.rtcsel().is_lse() {
            return Err(RtcError::OtherClock);
        }
        self.rcc.bdcr().modify(|_, w| w.rtcen().set_bit());
        let (year, month, day) = civil_from_days(unix / 86_400);
        if !(2000..2100).contains(&year) {
            return Err(RtcError::OutOfRange);
        }
        let secs = unix % 86_400;
        let (h, m, s) = (
            (secs / 3600) as u8,
            (secs / 60 % 60) as u8,
            (secs % 60) as u8,
        );
        let yy = (year - 2000) as u8;
        let (month, day) = (month as u8, day as u8);
        // 1970-01-01 was a Thursday; the RTC counts Monday = 1 .. Sunday = 7.
        let weekday = ((unix / 86_400 + 3) % 7 + 1) as u8;

        self.unlock();
        self.rtc.isr().modify(|_, w| w.init().set_bit());
        let result = wait(|| self.rtc.isr().read().initf().bit_is_set()).map(|()| {
            // 32768 Hz / (127 + 1) / (255 + 1) = 1 Hz; two separate writes, as RM0090 asks.
            self.rtc.prer().modify(|_, w| w.prediv_s().set(255));
            self.rtc.prer().modify(|_, w| w.prediv_a().set(127));
            self.rtc.tr().write(|w| {
                w.ht()
                    .set(h / 10)
                    .hu()
                    .set(h % 10)
                    .mnt()
                    .set(m / 10)
                    .mnu()
                    .set(m % 10)
                    .st()
                    .set(s / 10)
                    .su()
                    .set(s % 10)
            });
            self.rtc.dr().write(|w| {
                // SAFETY: WDU takes 1..=7 (0 is forbidden), which `weekday` always is.
                unsafe { w.wdu().bits(weekday) };
                w.yt()
                    .set(yy / 10)
                    .yu()
                    .set(yy % 10)
                    .mt()
                    .bit(month >= 10)
                    .mu()
                    .set(month % 10)
                    .dt()
                    .set(day / 10)
                    .du()
                    .set(day % 10)
            });
        });
        self.rtc.isr().modify(|_, w| w.init().clear_bit());
        self.lock();
        result
    }
}

fn wait(mut ready: impl FnMut() -> bool) -> Result<(), RtcError> {
    for _ in 0..POLLS {
        if ready() {
            return Ok(());
        }
    }
    Err(RtcError::Timeout)
}

/// (year, month, day) of the `days`-th day after 1970-01-01 (proleptic Gregorian; H. Hinnant's
/// `civil_from_days`, unsigned because the RTC never goes before 2000).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to (year, month, day); `None` for a date the calendar cannot hold.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || year < 1970 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// Longest kiosk line this wrapper reads back: `CLOCK` and 20 digits; longer lines are others.
const SEEN_LEN: usize = 32;

/// The host line with the RTC beside it: see the [module docs](self).
pub struct RtcLine<U> {
    uart: U,
    rtc: Rtc,
    /// A `TIME <rtc>` line for the kiosk, read before any byte of the UART.
    inject: [u8; SEEN_LEN],
    inject_len: usize,
    inject_pos: usize,
    /// Whether the kiosk's reply to the injected line is still to be kept off the wire.
    swallow: Swallow,
    /// The start of the line the kiosk is writing, to spot `CLOCK`.
    seen: [u8; SEEN_LEN],
    seen_len: usize,
    overlong: bool,
}

impl<U: Read + ReadReady + Write> RtcLine<U> {
    /// The host line `uart`; if `rtc` kept time, the kiosk reads `TIME <rtc>` first.
    pub fn new(uart: U, rtc: Rtc) -> Self {
        let mut line = RtcLine {
            uart,
            rtc,
            inject: [0; SEEN_LEN],
            inject_len: 0,
            inject_pos: 0,
            swallow: Swallow::No,
            seen: [0; SEEN_LEN],
            seen_len: 0,
            overlong: false,
        };
        if let Some(unix) = line.rtc.now() {
            let mut w = Cursor {
                buf: &mut line.inject,
                len: 0,
            };
            if core::fmt::write(&mut w, format_args!("{}\n", HostCommand::Time { unix })).is_ok() {
                line.inject_len = w.len;
                line.swallow = Swallow::AfterInjected;
                defmt::info!("RTC kept time: the kiosk's clock starts at {=u64}", unix);
            }
        }
        line
    }

    /// Notes one byte the kiosk wrote; true when it ended a line.
    fn observe(&mut self, byte: u8) -> bool {
        if byte != b'\n' {
            match self.seen.get_mut(self.seen_len) {
                Some(slot) => {
                    *slot = byte;
                    self.seen_len += 1;
                }
                None => self.overlong = true,
            }
            return false;
        }
        let clock = if self.overlong {
            None
        } else {
            clock_line(self.seen.get(..self.seen_len).unwrap_or_default())
        };
        self.seen_len = 0;
        self.overlong = false;
        if self.swallow == Swallow::No
            && let Some(unix) = clock
            && let Err(e) = self.rtc.set(unix)
        {
            defmt::warn!("RTC not set: {}", e);
        }
        true
    }
}

/// The seconds of a `CLOCK <unix>` line (the kiosk's answer to an accepted `TIME`), checked
/// strictly: the protocol module's own format of that reply must give the line back.
fn clock_line(line: &[u8]) -> Option<u64> {
    let digits = line.strip_prefix(b"CLOCK ")?;
    let mut unix: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        unix = unix.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    let mut buf = [0u8; SEEN_LEN];
    let mut w = Cursor {
        buf: &mut buf,
        len: 0,
    };
    let reply: Reply<'_> = Reply::Clock { unix };
    core::fmt::write(&mut w, format_args!("{reply}")).ok()?;
    (w.buf.get(..w.len) == Some(line)).then_some(unix)
}

/// Where the host line is with the kiosk's answer to the injected `TIME`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Swallow {
    /// Nothing to hide (no RTC time at boot, or the answer is gone).
    No,
    /// The kiosk has not read the whole injected line yet; what it writes now (`READY`) goes
    /// out as usual.
    AfterInjected,
    /// The next line the kiosk writes answers the injected `TIME`: at boot no session is open,
    /// so that answer is one line (`CLOCK` or `ERROR bad_time`), never a `LOGOUT`. It is
    /// dropped.
    Now,
}

struct Cursor<'b> {
    buf: &'b mut [u8; SEEN_LEN],
    len: usize,
}

impl core::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl<U: ErrorType> ErrorType for RtcLine<U> {
    type Error = U::Error;
}

impl<U: Read + ReadReady + Write> ReadReady for RtcLine<U> {
    fn read_ready(&mut self) -> Result<bool, U::Error> {
        Ok(self.inject_pos < self.inject_len || self.uart.read_ready()?)
    }
}

impl<U: Read + ReadReady + Write> Read for RtcLine<U> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, U::Error> {
        let pending = self
            .inject
            .get(self.inject_pos..self.inject_len)
            .unwrap_or_default();
        if pending.is_empty() {
            return self.uart.read(buf);
        }
        let n = pending.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), pending.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.inject_pos += n;
        if self.inject_pos == self.inject_len && self.swallow == Swallow::AfterInjected {
            // The kiosk has the whole line: the next line it writes here is its answer.
            self.swallow = Swallow::Now;
        }
        Ok(n)
    }
}

impl<U: Read + ReadReady + Write> Write for RtcLine<U> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, U::Error> {
        if self.swallow == Swallow::Now {
            for (i, &b) in buf.iter().enumerate() {
                if self.observe(b) {
                    self.swallow = Swallow::No;
                    return Ok(i + 1);
                }
            }
            return Ok(buf.len());
        }
        let n = self.uart.write(buf)?;
        for &b in buf.get(..n).unwrap_or_default() {
            self.observe(b);
        }
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), U::Error> {
        self.uart.flush()
    }
}
