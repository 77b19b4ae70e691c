//! Exchange time: a trading date (KST) plus `HHMMSSmm` to ns since the Unix epoch, and the feed's latest time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Korea Standard Time offset from UTC, in seconds (no daylight saving).
pub const KST_OFFSET_SECS: i64 = 9 * 3600;

const NS: i64 = 1_000_000_000;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year (e.g. 2026).
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of month, 1..=31.
    pub day: u32,
}

impl Date {
    /// A valid date, or `None`.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1..=9999).contains(&year) && (1..=days_in_month).contains(&day)).then_some(Self {
            year,
            month,
            day,
        })
    }

    /// Parses `YYYYMMDD`.
    pub fn parse_yyyymmdd(text: &str) -> Option<Self> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(
            text[..4].parse().ok()?,
            text[4..6].parse().ok()?,
            text[6..].parse().ok()?,
        )
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// Today's date in KST.
    pub fn today_kst() -> Self {
        let secs = now_ns().div_euclid(NS) + KST_OFFSET_SECS;
        Self::from_days_since_epoch(secs.div_euclid(86_400))
    }

    /// Midnight KST of this date, in ns since the Unix epoch.
    pub fn midnight_kst_ns(self) -> i64 {
        (self.days_since_epoch() * 86_400 - KST_OFFSET_SECS) * NS
    }
}

/// Now, in ns since the Unix epoch (0 if the system clock is before 1970).
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// `HHMMSSmm` (hundredths) as ns since midnight. The wire layer has validated the fields.
#[inline]
pub fn hhmmsscc_to_ns(t: u32) -> i64 {
    let t = i64::from(t);
    let hh = t / 1_000_000;
    let mm = t / 10_000 % 100;
    let ss = t / 100 % 100;
    let cc = t % 100;
    ((hh * 60 + mm) * 60 + ss) * NS + cc * 10_000_000
}

/// The feed's exchange clock: the trading date and the latest exchange time seen from any symbol.
#[derive(Clone, Copy, Debug)]
pub struct ExchangeClock {
    date: Date,
    midnight: i64,
    latest: i64,
    /// The last `HHMMSSmm` converted and its result, so a run of trades in the same hundredth converts once.
    last_hhmmsscc: u32,
    last_ns: i64,
}

impl ExchangeClock {
    /// A clock for `date`, with no exchange time seen yet.
    pub fn new(date: Date) -> Self {
        Self {
            date,
            midnight: date.midnight_kst_ns(),
            latest: 0,
            last_hhmmsscc: u32::MAX,
            last_ns: 0,
        }
    }

    /// The trading date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Changes the trading date that later times are based on.
    pub fn set_date(&mut self, date: Date) {
        self.date = date;
        self.midnight = date.midnight_kst_ns();
        self.last_hhmmsscc = u32::MAX;
    }

    /// `HHMMSSmm` on the trading date, in ns since the Unix epoch.
    #[inline]
    pub fn to_ns(&mut self, hhmmsscc: u32) -> i64 {
        if hhmmsscc != self.last_hhmmsscc {
            self.last_hhmmsscc = hhmmsscc;
            self.last_ns = self.midnight + hhmmsscc_to_ns(hhmmsscc);
        }
        self.last_ns
    }

    /// Latest exchange time seen (ns since the epoch), 0 before the first.
    #[inline]
    pub fn latest(&self) -> i64 {
        self.latest
    }

    /// Moves the clock forward to `ns` if that is later; returns the (possibly unchanged) latest time.
    #[inline]
    pub fn advance(&mut self, ns: i64) -> i64 {
        if ns > self.latest {
            self.latest = ns;
        }
        self.latest
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values are the point: prices are copied, not computed"
)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-1, 0, 1, 365, 10_957, 20_000, 20_782, 2_932_896] {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days, "{d:?}");
        }
        assert_eq!(Date::new(2026, 11, 25).unwrap().days_since_epoch(), 20_782);
    }

    #[test]
    fn parses_and_validates_dates() {
        assert_eq!(Date::parse_yyyymmdd("20240229"), Date::new(2024, 2, 29));
        assert!(Date::parse_yyyymmdd("20230229").is_none());
        assert!(Date::parse_yyyymmdd("2023-1-1").is_none());
        assert!(Date::parse_yyyymmdd("20231301").is_none());
    }

    #[test]
    fn kst_time_of_day_to_epoch_ns() {
        // 2026-11-25 09:00:00 KST = 2026-11-25 00:00:00 UTC.
        let mut clock = ExchangeClock::new(Date::new(2026, 11, 25).unwrap());
        assert_eq!(clock.to_ns(9_000_000), 20_782 * 86_400 * NS);
        assert_eq!(
            clock.to_ns(14_412_034) - clock.to_ns(14_412_000),
            340_000_000
        );
        assert_eq!(hhmmsscc_to_ns(23_595_999), (86_399 * NS) + 990_000_000);
        assert_eq!(clock.to_ns(14_412_000), clock.to_ns(14_412_000));
        clock.set_date(Date::new(2026, 11, 26).unwrap());
        assert_eq!(
            clock.to_ns(14_412_000) - 86_400 * NS,
            ExchangeClock::new(Date::new(2026, 11, 25).unwrap()).to_ns(14_412_000),
            "a new date converts afresh"
        );
    }

    #[test]
    fn clock_only_moves_forward() {
        let mut clock = ExchangeClock::new(Date::new(2026, 1, 2).unwrap());
        assert_eq!(clock.advance(10), 10);
        assert_eq!(clock.advance(5), 10);
        assert_eq!(clock.latest(), 10);
    }

    #[test]
    fn today_is_a_valid_date() {
        let d = Date::today_kst();
        assert!(Date::new(d.year, d.month, d.day).is_some());
    }
}
