//! Lenient number parsing straight from the frame bytes: JSON numbers or the same text inside a string.
//!
//! Each parser starts at an offset of the frame and returns the value and the offset after the number; the
//! caller checks what follows (a closing quote for strings, a delimiter for bare numbers). `quoted` says
//! whether the text sits in a string: text that is no number at all is then `BadNumber` rather than
//! `Malformed`. Leading zeros are accepted (`09450155`, as the vendor writes `trdTm`). Decimals are correctly
//! rounded: the same `f64` as Python's `float()` of the same text.

use super::padded::Padded;
use crate::error::Reject;

/// `trdTm` values from here up are market-operation signals, not times of day.
pub const SIGNAL_MIN: u32 = 24_000_000;

/// Exact powers of ten as `f64` (10^22 is the largest exactly representable one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A parser of one number starting at an offset: `(frame, offset, quoted)` to the value and the offset after it.
pub(crate) type NumberParser<T> = fn(&[u8], usize, bool) -> Result<(T, usize), Reject>;

/// Largest integer below which every integer is exact in an `f64`.
const F64_EXACT: u64 = 1 << 53;

/// The reason for text that is not a number: inside a string it is a bad number, bare it is bad JSON.
#[inline(always)]
fn not_a_number(quoted: bool) -> Reject {
    if quoted {
        Reject::BadNumber
    } else {
        Reject::Malformed
    }
}

/// `10^n` for `n` in `0..=8`.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The value of eight decimal digits (each byte 0..=9, the lowest byte the most significant).
#[inline(always)]
fn eight_digits(x: u64) -> u64 {
    let x = x.wrapping_mul(10 * 256 + 1) >> 8;
    let x = (x & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 * 65_536 + 1) >> 16;
    (x & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 * (1 << 32) + 1) >> 32
}

/// Reads decimal digits from `pos`, continuing the value `acc`. Returns the value, the offset after the
/// digits, and whether the value overflowed `u64`. Eight bytes are examined at a time where the frame has
/// them.
#[inline(always)]
fn digit_run(buf: &[u8], mut pos: usize, mut acc: u64) -> (u64, usize, bool) {
    let mut overflow = false;
    while let Some(chunk) = buf.get(pos..pos + 8) {
        let word = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        // Digits become 0..=9; every other byte becomes >= 10.
        let x = word ^ 0x3030_3030_3030_3030;
        // Bit 7 of each byte that is >= 10; the lowest such byte is exact (carries only move upward, and
        // only out of bytes that are themselves flagged).
        let not_digit = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
        let count = if not_digit == 0 {
            8
        } else {
            (not_digit.trailing_zeros() / 8) as usize
        };
        if count == 0 {
            return (acc, pos, overflow);
        }
        let value = eight_digits(x << (64 - 8 * count));
        match acc
            .checked_mul(POW10_U64[count])
            .and_then(|a| a.checked_add(value))
        {
            Some(a) => acc = a,
            None => overflow = true,
        }
        pos += count;
        if count < 8 {
            return (acc, pos, overflow);
        }
    }
    while let Some(&b) = buf.get(pos) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        match acc
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(x) => acc = x,
            None => overflow = true,
        }
        pos += 1;
    }
    (acc, pos, overflow)
}

/// `10^n` for `n` in `0..16`.
const POW10_16: [u64; 16] = {
    let mut table = [1u64; 16];
    let mut i = 1;
    while i < 16 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The run of one to fifteen decimal digits at `pos`: its value, its length and the byte after it (0 past
/// the end of the frame); `None` when the run is empty or longer (the general parsers take those).
#[inline(always)]
fn short_run(p: Padded<'_>, pos: usize) -> Option<(u64, usize, u8)> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let not_digits = |x: u64| (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
    let x = p.word(pos) ^ ZEROS;
    let count = not_digits(x).trailing_zeros() / 8;
    if count < 8 {
        if count == 0 {
            return None;
        }
        let next = (x >> (8 * count)) as u8 ^ b'0';
        return Some((eight_digits(x << (64 - 8 * count)), count as usize, next));
    }
    let high = eight_digits(x);
    let y = p.word(pos + 8) ^ ZEROS;
    let more = not_digits(y).trailing_zeros() / 8;
    if more == 8 {
        return None;
    }
    let next = (y >> (8 * more)) as u8 ^ b'0';
    let low = if more == 0 {
        0
    } else {
        eight_digits(y << (64 - 8 * more))
    };
    let more = more as usize;
    Some((high * POW10_16[more] + low, 8 + more, next))
}

/// True for a byte that continues a number after its digits (a fraction or an exponent). The fast parsers
/// below rule these out themselves unless the number is `delimited`: the caller checks that it is followed by
/// a closing quote, a `,` or a `}` (none of which continues a number), so their own check would be a second
/// one. Such a caller that finds anything else there tests that byte with this function before it counts
/// the value as read: a number that continues was not read whole.
#[inline(always)]
pub(crate) fn continues_number(byte: u8) -> bool {
    matches!(byte, b'.' | b'e' | b'E')
}

/// The common case of [`quantity`]: up to fifteen digits at `pos` not followed by a fraction or an
/// exponent (or, `delimited`, followed by what the caller checks: see [`continues_number`]). `None` sends the
/// caller to the general parser; `Some` is exactly what [`quantity`] returns.
#[inline(always)]
pub(crate) fn quantity_fast(p: Padded<'_>, pos: usize, delimited: bool) -> Option<(i64, usize)> {
    let Some((value, count, next)) = short_run(p, pos) else {
        return general(p.frame(), pos, quantity);
    };
    if !delimited && continues_number(next) {
        return None;
    }
    Some((value as i64, pos + count))
}

/// The common case of [`price`]: up to fifteen digits with an optional fraction of up to fifteen and no
/// exponent (`delimited`: see [`continues_number`]). `None` sends the caller to the general parser; `Some` is
/// exactly what [`price`] returns.
#[inline(always)]
pub(crate) fn price_fast(p: Padded<'_>, pos: usize, delimited: bool) -> Option<(f64, usize)> {
    let Some((int, count, next)) = short_run(p, pos) else {
        return general(p.frame(), pos, price);
    };
    let end = pos + count;
    match next {
        b'.' => {
            let (frac, digits, next) = short_run(p, end + 1)?;
            let mantissa = int
                .checked_mul(POW10_16[digits])
                .and_then(|m| m.checked_add(frac))
                .filter(|&m| m < F64_EXACT)?;
            if !delimited && continues_number(next) {
                return None;
            }
            // Clinger's fast path, as in [`price`]: exact operands, one correctly rounded division.
            Some(((mantissa as i64) as f64 / POW10[digits], end + 1 + digits))
        }
        b'e' | b'E' if !delimited => None,
        // Below 10^15 < 2^53: exact (converted as signed, which is one instruction).
        _ => Some(((int as i64) as f64, end)),
    }
}

/// The last time [`clock_fast`] read and the text it read it from: trades come in bursts that share a time
/// (every trade of a `/ws_ksp` array, often), and a time whose text is the last one's is not read again.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClockMemo {
    /// The eight bytes at the time's first digit.
    word: u64,
    /// The byte after its digits.
    next: u8,
    /// Its digits (one to eight; zero in [`ClockMemo::EMPTY`]).
    count: u8,
    /// Its value.
    value: u32,
}

impl ClockMemo {
    /// Nothing read yet: a zero word starts with a zero byte, never `next`, so nothing matches it.
    pub const EMPTY: ClockMemo = ClockMemo {
        word: 0,
        next: 1,
        count: 0,
        value: 0,
    };
}

/// The common case of [`clock`]: a valid time or signal (`delimited`: see [`continues_number`]). `None` sends
/// the caller to the general parser (which also reports every error). A time of at most eight digits is kept in
/// `memo`; the same text next time (the same eight bytes and the same byte after the digits: the same digit
/// run, ended the same way) is the same time.
#[inline(always)]
pub(crate) fn clock_fast(
    p: Padded<'_>,
    pos: usize,
    delimited: bool,
    memo: &mut ClockMemo,
) -> Option<(u32, usize)> {
    let word = p.word(pos);
    let count = usize::from(memo.count);
    if word == memo.word && p.byte(pos + count) == memo.next {
        if !delimited && continues_number(memo.next) {
            return None;
        }
        return Some((memo.value, pos + count));
    }
    let Some((value, count, next)) = short_run(p, pos) else {
        return general(p.frame(), pos, clock);
    };
    if !delimited && continues_number(next) {
        return None;
    }
    let value = u32::try_from(value).ok()?;
    if value < SIGNAL_MIN {
        let minutes_seconds = (value / 100) % 10_000;
        if minutes_seconds >= 6_000 || minutes_seconds % 100 >= 60 {
            return None;
        }
    }
    if count <= 8 {
        *memo = ClockMemo {
            word,
            next,
            count: count as u8,
            value,
        };
    }
    Some((value, pos + count))
}

/// A number the fast parsers leave to the general ones (kept out of line so the fast paths stay small).
#[cold]
#[inline(never)]
fn general<T>(buf: &[u8], pos: usize, parse: NumberParser<T>) -> Option<(T, usize)> {
    parse(buf, pos, false).ok()
}

/// Reads an exponent (`e`/`E`, optional sign, digits) starting at `pos`, if one is there; returns the offset
/// after it, or `None` when the exponent is incomplete.
#[inline]
fn exponent_end(buf: &[u8], pos: usize) -> Option<usize> {
    if !matches!(buf.get(pos), Some(b'e' | b'E')) {
        return Some(pos);
    }
    let mut p = pos + 1;
    if matches!(buf.get(p), Some(b'+' | b'-')) {
        p += 1;
    }
    let (_, end, _) = digit_run(buf, p, 0);
    (end > p).then_some(end)
}

/// Validates one bare JSON number at `pos` (leading zeros allowed) and returns the offset after it.
pub fn validate(buf: &[u8], pos: usize) -> Result<usize, Reject> {
    let mut p = pos;
    if buf.get(p) == Some(&b'-') {
        p += 1;
    }
    let (_, end, _) = digit_run(buf, p, 0);
    if end == p {
        return Err(Reject::Malformed);
    }
    p = end;
    if buf.get(p) == Some(&b'.') {
        let (_, end, _) = digit_run(buf, p + 1, 0);
        if end == p + 1 {
            return Err(Reject::Malformed);
        }
        p = end;
    }
    exponent_end(buf, p).ok_or(Reject::Malformed)
}

/// A non-negative finite price (or any non-negative decimal amount) at `pos`.
#[inline(always)]
pub fn price(buf: &[u8], pos: usize, quoted: bool) -> Result<(f64, usize), Reject> {
    match buf.get(pos) {
        Some(b'0'..=b'9') => {}
        Some(b'-') => return Err(Reject::BadNumber),
        _ => return Err(not_a_number(quoted)),
    }
    let (int, mut end, mut overflow) = digit_run(buf, pos, 0);
    let mut mantissa = int;
    let mut fraction_digits = 0usize;
    if buf.get(end) == Some(&b'.') {
        let (m, frac_end, frac_overflow) = digit_run(buf, end + 1, mantissa);
        if frac_end == end + 1 {
            return Err(not_a_number(quoted));
        }
        fraction_digits = frac_end - end - 1;
        mantissa = m;
        overflow |= frac_overflow;
        end = frac_end;
    }
    let Some(exp_end) = exponent_end(buf, end) else {
        return Err(not_a_number(quoted));
    };
    if exp_end == end && !overflow && mantissa < F64_EXACT {
        if fraction_digits == 0 {
            return Ok((mantissa as f64, end));
        }
        if fraction_digits < POW10.len() {
            // Clinger's fast path: both operands are exact, so the one IEEE division is correctly rounded.
            return Ok((mantissa as f64 / POW10[fraction_digits], end));
        }
    }
    let text = std::str::from_utf8(&buf[pos..exp_end]).map_err(|_| Reject::BadNumber)?;
    let value: f64 = text.parse().map_err(|_| Reject::BadNumber)?;
    if value.is_finite() {
        Ok((value, exp_end))
    } else {
        Err(Reject::BadNumber)
    }
}

/// A non-negative integer quantity at `pos`; fractions, exponents and values beyond `i64` are `BadNumber`.
#[inline(always)]
pub fn quantity(buf: &[u8], pos: usize, quoted: bool) -> Result<(i64, usize), Reject> {
    match buf.get(pos) {
        Some(b'0'..=b'9') => {}
        Some(b'-') => return Err(Reject::BadNumber),
        _ => return Err(not_a_number(quoted)),
    }
    let (value, end, overflow) = digit_run(buf, pos, 0);
    if overflow || value > i64::MAX as u64 || matches!(buf.get(end), Some(b'.' | b'e' | b'E')) {
        return Err(Reject::BadNumber);
    }
    Ok((value as i64, end))
}

/// A signed integer at `pos` (request ids, error codes); fractions and overflow are `BadNumber`.
pub fn integer(buf: &[u8], pos: usize, quoted: bool) -> Result<(i64, usize), Reject> {
    let negative = buf.get(pos) == Some(&b'-');
    let start = pos + usize::from(negative);
    if !matches!(buf.get(start), Some(b'0'..=b'9')) {
        return Err(not_a_number(quoted));
    }
    let (value, end, overflow) = digit_run(buf, start, 0);
    if overflow || value > i64::MAX as u64 || matches!(buf.get(end), Some(b'.' | b'e' | b'E')) {
        return Err(Reject::BadNumber);
    }
    let value = value as i64;
    Ok((if negative { -value } else { value }, end))
}

/// An `HHMMSSmm` time or a market-operation signal (>= [`SIGNAL_MIN`]) at `pos`. A time of day must have
/// MM < 60 and SS < 60; fractions, exponents and values beyond `u32` are `BadTime`.
#[inline(always)]
pub fn clock(buf: &[u8], pos: usize, quoted: bool) -> Result<(u32, usize), Reject> {
    match buf.get(pos) {
        Some(b'0'..=b'9') => {}
        Some(b'-') => return Err(Reject::BadNumber),
        _ => return Err(not_a_number(quoted)),
    }
    let (value, end, overflow) = digit_run(buf, pos, 0);
    if overflow || value > u64::from(u32::MAX) || matches!(buf.get(end), Some(b'.' | b'e' | b'E')) {
        return Err(Reject::BadTime);
    }
    let value = value as u32;
    if value < SIGNAL_MIN && ((value / 10_000) % 100 >= 60 || (value / 100) % 100 >= 60) {
        return Err(Reject::BadTime);
    }
    Ok((value, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::TestRng;

    fn whole<T>(f: NumberParser<T>, text: &str) -> Result<T, Reject> {
        let (v, end) = f(text.as_bytes(), 0, true)?;
        assert_eq!(end, text.len(), "{text}");
        Ok(v)
    }

    #[test]
    fn fast_quantities_and_prices_are_what_the_general_parsers_read() {
        let mut buffer = Box::new(crate::wire::padded::PadBuffer::EMPTY);
        let mut rng = TestRng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: u64| rng.below(n);
        let mut texts = Vec::new();
        for _ in 0..40_000 {
            let len = 1 + next(18) as usize;
            let digits = format!("{:020}{:020}", next(u64::MAX), next(u64::MAX));
            let mut text = digits[40 - len..].to_string();
            if next(3) == 0 {
                let fraction = 1 + next(17) as usize;
                text = format!("{text}.{}", &digits[..fraction]);
            }
            texts.push(text);
        }
        for text in texts {
            for after in ["\"", ",", "}", "e1", "x"] {
                let framed = format!("{text}{after}");
                let padded = buffer.load(framed.as_bytes());
                let plain = !text.contains('.') && text.len() <= 15;
                for delimited in [false, true] {
                    if delimited && (after == "e1" || after == "x") {
                        continue;
                    }
                    // A delimited read ends before a byte that continues the number; its caller counts it
                    // unread (see `continues_number`).
                    let whole = |end: usize| !continues_number(padded.byte(end));
                    let general = quantity(framed.as_bytes(), 0, false).ok();
                    match quantity_fast(padded, 0, delimited) {
                        Some(fast) if whole(fast.1) => assert_eq!(Some(fast), general, "{framed}"),
                        Some(_) => assert!(delimited, "{framed}"),
                        None => assert!(!plain || after == "e1", "{framed} not read fast"),
                    }
                    let general = price(framed.as_bytes(), 0, false).ok();
                    match price_fast(padded, 0, delimited) {
                        Some((_, end)) if !whole(end) => assert!(delimited, "{framed}"),
                        Some((value, end)) => {
                            let (want, want_end) = general.expect("the general parser reads it");
                            assert_eq!(
                                (value.to_bits(), end),
                                (want.to_bits(), want_end),
                                "{framed}"
                            );
                        }
                        None => assert!(!plain || after == "e1", "{framed} not read fast"),
                    }
                }
            }
        }
    }

    #[test]
    fn the_fast_clock_reads_what_the_general_one_reads() {
        let mut buffer = Box::new(crate::wire::padded::PadBuffer::EMPTY);
        let mut rng = TestRng::new(0x2545_f491_4f6c_dd1d);
        let mut texts: Vec<String> = [
            "09005960",
            "09006000",
            "09000060",
            "9595999",
            "5960",
            "0",
            "00000000",
            "23595999",
            "24000000",
            "31000000",
            "99999999",
            "123456789",
            "0900000",
            "090000001",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        for _ in 0..20_000 {
            let x = rng.bits();
            let len = 1 + (x % 10) as usize;
            let digits = format!("{:020}", x >> 4);
            texts.push(digits[20 - len..].to_string());
        }
        // One memo kept across every text, as the parser keeps it: each read is checked fresh, after the
        // previous texts (a miss, or a hit on a text that ended the same way), and again (a hit, where the text
        // was kept).
        let mut memo = ClockMemo::EMPTY;
        for text in texts {
            for after in ["\"", ",", "}", ".5", "e1"] {
                let framed = format!("{text}{after}");
                let padded = buffer.load(framed.as_bytes());
                let general = clock(framed.as_bytes(), 0, false).ok();
                for delimited in [false, true] {
                    let fresh = clock_fast(padded, 0, delimited, &mut { ClockMemo::EMPTY });
                    let warm = clock_fast(padded, 0, delimited, &mut memo);
                    let again = clock_fast(padded, 0, delimited, &mut memo);
                    if delimited && after.len() > 1 {
                        continue;
                    }
                    assert_eq!(fresh, general, "{framed} delimited={delimited}");
                    assert_eq!((warm, again), (general, general), "{framed} kept");
                }
            }
        }
    }

    #[test]
    fn a_kept_time_is_reused_only_for_the_same_text() {
        let mut buffer = Box::new(crate::wire::padded::PadBuffer::EMPTY);
        let mut memo = ClockMemo::EMPTY;
        let mut read_as = |text: &str, delimited: bool, memo: &mut ClockMemo| {
            let padded = buffer.load(text.as_bytes());
            clock_fast(padded, 0, delimited, memo)
        };
        assert_eq!(
            read_as("09000005\"", false, &mut memo),
            Some((9_000_005, 8))
        );
        assert_eq!(memo.value, 9_000_005, "an eight-digit time is kept");
        // A kept value stands for its text: a marked one shows where the memo answered.
        memo.value = 1;
        assert_eq!(read_as("09000005\"", false, &mut memo), Some((1, 8)));
        assert_eq!(read_as("09000005,", false, &mut memo), Some((9_000_005, 8)));
        assert_eq!(
            read_as("090000051\"", false, &mut memo),
            Some((90_000_051, 9))
        );
        assert_eq!(memo.value, 9_000_005, "nine digits are not kept");
        assert_eq!(read_as("9000005}", false, &mut memo), Some((9_000_005, 7)));
        memo.value = 2;
        assert_eq!(read_as("9000005}", false, &mut memo), Some((2, 7)));
        assert_eq!(
            read_as("9000005.5", false, &mut memo),
            None,
            "a fraction continues it"
        );
        assert_eq!(read_as("9000005.5", true, &mut memo), Some((9_000_005, 7)));
        assert_eq!(
            read_as("9000005.5", false, &mut memo),
            None,
            "nor does the memo read it undelimited"
        );
        assert_eq!(read_as("9000006}", false, &mut memo), Some((9_000_006, 7)));
        assert_eq!(
            read_as("\0\0\0\0\0\0\0\0", false, &mut { ClockMemo::EMPTY }),
            None
        );
    }

    #[test]
    fn prices_match_python_float() {
        for text in [
            "0",
            "2465000",
            "308.7",
            "2409.03",
            "0.1",
            "0.30000000000000004",
            "1e3",
            "1.5E-2",
            "123456789012345678901234567890",
            "0000308.70",
            "9007199254740993",
            "2.2250738585072014e-308",
            "1797693134862315.7e292",
        ] {
            let want: f64 = text.parse().unwrap();
            assert_eq!(
                whole(price, text).unwrap().to_bits(),
                want.to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_prices() {
        for text in ["-1", "-0", "1e400", "abc", "", "1.", ".5", "1e", "1e+"] {
            let r = price(text.as_bytes(), 0, true);
            assert_eq!(r.unwrap_err(), Reject::BadNumber, "{text}");
        }
        assert_eq!(price(b"x", 0, false).unwrap_err(), Reject::Malformed);
        assert_eq!(price(b"1.", 0, false).unwrap_err(), Reject::Malformed);
        // The parser stops at the first byte that is not part of the number; the caller checks it.
        assert_eq!(price(b"12a", 0, true).unwrap(), (12.0, 2));
    }

    #[test]
    fn quantities() {
        assert_eq!(whole(quantity, "0").unwrap(), 0);
        assert_eq!(whole(quantity, "000400").unwrap(), 400);
        assert_eq!(whole(quantity, "9223372036854775807").unwrap(), i64::MAX);
        for bad in [
            "9223372036854775808",
            "99999999999999999999999",
            "-1",
            "1.5",
            "1e3",
        ] {
            assert_eq!(
                quantity(bad.as_bytes(), 0, true).unwrap_err(),
                Reject::BadNumber,
                "{bad}"
            );
        }
    }

    #[test]
    fn integers() {
        assert_eq!(whole(integer, "-47").unwrap(), -47);
        assert_eq!(whole(integer, "13001").unwrap(), 13001);
        assert_eq!(integer(b"1.5", 0, false).unwrap_err(), Reject::BadNumber);
        assert_eq!(integer(b"-", 0, true).unwrap_err(), Reject::BadNumber);
    }

    #[test]
    fn clock_times_and_signals() {
        assert_eq!(whole(clock, "9544500").unwrap(), 9_544_500);
        assert_eq!(whole(clock, "09450155").unwrap(), 9_450_155);
        assert_eq!(whole(clock, "0").unwrap(), 0);
        assert_eq!(whole(clock, "23595999").unwrap(), 23_595_999);
        assert_eq!(whole(clock, "31000000").unwrap(), 31_000_000);
        assert_eq!(whole(clock, "4294967295").unwrap(), u32::MAX);
        for bad in ["9604500", "9546000", "4294967296", "14412000.5", "1e7"] {
            assert_eq!(
                clock(bad.as_bytes(), 0, true).unwrap_err(),
                Reject::BadTime,
                "{bad}"
            );
        }
        assert_eq!(clock(b"-1", 0, true).unwrap_err(), Reject::BadNumber);
        assert_eq!(clock(b"ab", 0, true).unwrap_err(), Reject::BadNumber);
    }

    #[test]
    fn digit_runs_match_a_plain_loop() {
        let mut n: u64 = 1;
        for len in 1..=20usize {
            for tail in ["", "\"", ",x", "123456789,"] {
                let text = format!("{n}{tail}");
                let digits = text.bytes().take_while(u8::is_ascii_digit).count();
                let want = text[..digits].parse::<u64>().ok();
                let (value, end, overflow) = digit_run(text.as_bytes(), 0, 0);
                assert_eq!(end, digits, "{text}");
                assert_eq!(if overflow { None } else { Some(value) }, want, "{text}");
            }
            assert_eq!(digit_run(b"x12", 1, 7), (712, 3, false), "{len}");
            n = n.wrapping_mul(10).wrapping_add(len as u64 % 10);
        }
        for text in [
            "0000000000",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
        ] {
            let (value, end, overflow) = digit_run(text.as_bytes(), 0, 0);
            assert_eq!(end, text.len());
            assert_eq!(
                if overflow { None } else { Some(value) },
                text.parse::<u64>().ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn validate_follows_json_grammar() {
        for ok in ["0", "-0", "12.5", "1e5", "1E+5", "1.25e-3", "007"] {
            assert_eq!(validate(ok.as_bytes(), 0).unwrap(), ok.len(), "{ok}");
        }
        for bad in ["-", "1.", "1e", "1e-", ".5", "+1"] {
            assert_eq!(
                validate(bad.as_bytes(), 0).unwrap_err(),
                Reject::Malformed,
                "{bad}"
            );
        }
    }
}
