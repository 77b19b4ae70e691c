//! One flat object of market-data fields (a push `params`, a REST record, a `/ws_ksp` element) scanned into a
//! reusable [`Fields`] in one pass: keys dispatched on their bytes, values parsed in place, duplicates caught
//! by the same bitset that records presence.
//!
//! Each member first takes a fast path for the compact form every feed sends (`"key":value` with no
//! whitespace, plain strings, short numbers); anything else, including every error, is handed to the general
//! path, which is the specification: the fast path either produces exactly what the general path would, or
//! leaves no trace and declines.

use super::key_order::{Cursor, Hit, KeyOrder};
use super::keys::{lookup, Key, KeySet, Kind, IGNORED_BIT};
use super::msg::{Code, Source, MAX_LEVELS};
use super::number;
use super::scan::{RawStr, Scanner};
use crate::error::Reject;

/// Number of keys that store a value: every key below the ignored ones (see [`Key::bit`]).
const STORED: usize = IGNORED_BIT as usize;

/// The fields of one object. Only values whose key is in `seen` are meaningful; resetting is clearing `seen`,
/// so the value arrays are never cleared (the parser keeps one `Fields` per thread).
#[derive(Clone, Debug)]
pub(crate) struct Fields {
    /// Keys seen in this object.
    pub seen: KeySet,
    /// `isuSrtCd`, suffix stripped.
    pub code: Code,
    /// `preset`, when present.
    pub preset: Source,
    /// +1 / -1 / 0 from `lstAskbidTpCd`.
    pub side: i8,
    /// Decimal values (prices, `accTrdval`), indexed by key bit.
    decimals: [f64; STORED],
    /// Integer values (quantities, totals, times), indexed by key bit.
    integers: [i64; STORED],
}

impl Fields {
    /// No fields seen.
    pub const EMPTY: Fields = Fields {
        seen: KeySet::EMPTY,
        code: Code::EMPTY,
        preset: Source::Tick,
        side: 0,
        decimals: [0.0; STORED],
        integers: [0; STORED],
    };
}

impl Default for Fields {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// What is due where the fast path stopped.
#[derive(Clone, Copy)]
enum Next {
    /// A member (the fast path declined it).
    Member,
    /// A comma or the closing brace, after something other than one of them.
    Delimiter,
    /// Nothing: the object's closing brace was consumed.
    Closed,
}

/// The value slot of a key that stores one.
#[inline(always)]
fn slot(key: Key) -> usize {
    key.bit().map_or(0, |bit| bit as usize)
}

/// Offset after a number that ended at `end`: past its closing quote when it was `quoted` (`None` when that
/// quote is missing).
#[inline(always)]
fn close_quote(buf: &[u8], end: usize, quoted: bool) -> Option<usize> {
    if !quoted {
        Some(end)
    } else if buf.get(end) == Some(&b'"') {
        Some(end + 1)
    } else {
        None
    }
}

/// Offset of the byte after the plain string whose contents start at `pos` (no escapes, no control bytes),
/// or `None` when it is not plain or not closed.
#[inline(always)]
fn plain_string_end(buf: &[u8], mut pos: usize) -> Option<usize> {
    use super::scan::bytes_equal;
    loop {
        let word = number::load8(buf, pos);
        let below_space = word.wrapping_sub(0x2020_2020_2020_2020) & !word & 0x8080_8080_8080_8080;
        let quote = bytes_equal(word, b'"');
        let stop = quote | bytes_equal(word, b'\\') | below_space;
        if stop != 0 {
            let at = stop.trailing_zeros();
            // The lowest flagged byte is exact: it is the closing quote or the string is not plain.
            return ((quote >> at) & 1 == 1).then_some(pos + (at / 8) as usize + 1);
        }
        pos += 8;
    }
}

/// Reads a value that may be a bare number or a string holding one, with `parse` at its first digit.
#[inline(always)]
fn lenient<T>(s: &mut Scanner<'_>, parse: number::NumberParser<T>) -> Result<T, Reject> {
    let buf = s.buf();
    match s.peek()? {
        b'"' => {
            let (value, end) = parse(buf, s.pos() + 1, true)?;
            if buf.get(end) != Some(&b'"') {
                return Err(Reject::BadNumber);
            }
            s.set_pos(end + 1);
            Ok(value)
        }
        b'-' | b'0'..=b'9' => {
            let (value, end) = parse(buf, s.pos(), false)?;
            s.set_pos(end);
            Ok(value)
        }
        b'{' | b'[' | b't' | b'f' | b'n' => Err(Reject::WrongType),
        _ => Err(Reject::Malformed),
    }
}

/// A short code from its string: `*NNN` suffix stripped, then `[0-9A-Za-z]{1,12}`.
pub(crate) fn code(raw: RawStr<'_>) -> Result<Code, Reject> {
    if raw.escaped {
        return Err(Reject::BadCode);
    }
    let bytes = match raw.bytes.iter().position(|&b| b == b'*') {
        Some(star) => {
            let suffix = &raw.bytes[star + 1..];
            if suffix.is_empty() || !suffix.iter().all(u8::is_ascii_digit) {
                return Err(Reject::BadCode);
            }
            &raw.bytes[..star]
        }
        None => raw.bytes,
    };
    Code::new(bytes).ok_or(Reject::BadCode)
}

/// The preset a `preset` string names.
fn preset(raw: RawStr<'_>) -> Result<Source, Reject> {
    preset_bytes(raw.bytes).ok_or(Reject::UnknownPreset)
}

/// The preset named by a string of under eight bytes given as a zero-padded little-endian word, if any.
#[inline(always)]
fn preset_word(word: u64) -> Option<Source> {
    const fn w(text: &[u8]) -> u64 {
        let mut word = 0u64;
        let mut i = 0;
        while i < text.len() {
            word |= (text[i] as u64) << (8 * i);
            i += 1;
        }
        word
    }
    const TICK: u64 = w(b"tick");
    const QUOTE: u64 = w(b"quote");
    const TICK10: u64 = w(b"tick10");
    const QUOTE10: u64 = w(b"quote10");
    const INDEX: u64 = w(b"index");
    const CHANGE: u64 = w(b"change");
    Some(match word {
        TICK => Source::Tick,
        QUOTE => Source::Quote,
        TICK10 => Source::Tick10,
        QUOTE10 => Source::Quote10,
        INDEX => Source::Index,
        CHANGE => Source::Change,
        _ => return None,
    })
}

/// The preset the contents of a `preset` string name, if any.
#[inline(always)]
fn preset_bytes(bytes: &[u8]) -> Option<Source> {
    Some(match bytes {
        b"tick" => Source::Tick,
        b"quote" => Source::Quote,
        b"tick10" => Source::Tick10,
        b"quote10" => Source::Quote10,
        b"index" => Source::Index,
        b"change" => Source::Change,
        _ => return None,
    })
}

/// The trade side a `lstAskbidTpCd` value means: 1 sell-initiated, 2 buy-initiated, anything else unknown.
fn side(s: &mut Scanner<'_>, depth: usize) -> Result<i8, Reject> {
    let code = match s.peek()? {
        b'"' => s.string()?.bytes,
        b'0'..=b'9' | b'-' => {
            let start = s.pos();
            s.set_pos(number::validate(s.buf(), start)?);
            &s.buf()[start..s.pos()]
        }
        b'{' | b'[' | b't' | b'f' => return Err(Reject::WrongType),
        _ => {
            s.skip_value(depth)?;
            return Ok(0);
        }
    };
    Ok(match code {
        b"1" => -1,
        b"2" => 1,
        _ => 0,
    })
}

impl Fields {
    /// Forgets every field.
    #[inline(always)]
    pub fn reset(&mut self) {
        self.seen = KeySet::default();
    }

    /// The decimal value of a price-like `key` (meaningful when `key` was seen).
    #[inline(always)]
    pub fn decimal(&self, key: Key) -> f64 {
        self.decimals[slot(key)]
    }

    /// The integer value of a quantity- or time-like `key` (meaningful when `key` was seen).
    #[inline(always)]
    pub fn integer(&self, key: Key) -> i64 {
        self.integers[slot(key)]
    }

    /// The decimal values of the level family whose level-1 key is `first`.
    #[inline(always)]
    pub fn decimal_levels(&self, first: Key) -> &[f64; MAX_LEVELS] {
        let at = slot(first);
        self.decimals[at..at + MAX_LEVELS]
            .try_into()
            .expect("level families are ten slots wide")
    }

    /// The integer values of the level family whose level-1 key is `first`.
    #[inline(always)]
    pub fn integer_levels(&self, first: Key) -> &[i64; MAX_LEVELS] {
        let at = slot(first);
        self.integers[at..at + MAX_LEVELS]
            .try_into()
            .expect("level families are ten slots wide")
    }

    /// Scans one object (its `{` not yet consumed) enclosed by `depth` containers, adding its fields.
    /// `order` predicts each key from the previous one and learns from what it sees.
    #[inline]
    pub fn scan_object(
        &mut self,
        s: &mut Scanner<'_>,
        depth: usize,
        order: &mut KeyOrder,
    ) -> Result<(), Reject> {
        s.begin_object()?;
        let depth = depth + 1;
        let mut first = true;
        let mut cursor = Cursor::start();
        loop {
            // A member (or, first, the closing brace) is due.
            let start = s.pos();
            let (pos, next) = self.fast_members(s.buf(), start, order, &mut cursor);
            s.set_pos(pos);
            first &= pos == start;
            match next {
                Next::Closed => return Ok(()),
                Next::Delimiter => {}
                Next::Member => {
                    if !self.member(s, depth, first, &mut cursor)? {
                        return Ok(());
                    }
                }
            }
            first = false;
            // A member ended: a comma or the closing brace is due.
            match s.peek()? {
                b',' => s.set_pos(s.pos() + 1),
                b'}' => {
                    s.set_pos(s.pos() + 1);
                    return Ok(());
                }
                _ => return Err(Reject::Malformed),
            }
        }
    }

    /// Reads compact members from `pos` (where a member is due) for as long as the fast path takes them:
    /// the offset reached and what is due there.
    #[inline(always)]
    fn fast_members(
        &mut self,
        buf: &[u8],
        mut pos: usize,
        order: &mut KeyOrder,
        cursor: &mut Cursor,
    ) -> (usize, Next) {
        let mut seen = self.seen;
        let next = loop {
            let Some(end) = self.member_fast(buf, pos, &mut seen, order, cursor) else {
                break Next::Member;
            };
            match buf.get(end) {
                Some(b',') => pos = end + 1,
                Some(b'}') => {
                    pos = end + 1;
                    break Next::Closed;
                }
                _ => {
                    pos = end;
                    break Next::Delimiter;
                }
            }
        };
        self.seen = seen;
        (pos, next)
    }

    /// The fast path for the member whose key's opening quote is at `pos`: `Some(offset after the value)`
    /// when the member is compact and valid (and then it is recorded exactly as [`Self::member`] would),
    /// `None` with nothing recorded otherwise.
    #[inline(always)]
    fn member_fast(
        &mut self,
        buf: &[u8],
        pos: usize,
        seen: &mut KeySet,
        order: &mut KeyOrder,
        cursor: &mut Cursor,
    ) -> Option<usize> {
        if buf.get(pos) != Some(&b'"') {
            return None;
        }
        let Hit { bit, kind, value } = order.key(buf, pos + 1, *cursor)?;
        if seen.contains(u32::from(bit)) {
            return None;
        }
        let quoted = buf.get(value) == Some(&b'"');
        let at = value + usize::from(quoted);
        let slot = usize::from(bit);
        let end = match kind {
            Kind::Code => {
                let close = plain_string_end(buf, at).filter(|_| quoted)?;
                let len = close - 1 - at;
                let mask = |n: usize| match n {
                    0 => 0,
                    1..=7 => (1u64 << (8 * n)) - 1,
                    _ => u64::MAX,
                };
                let low = number::load8(buf, at) & mask(len);
                let high = number::load8(buf, at + 8) & mask(len.saturating_sub(8));
                self.code = Code::from_words(len, low, high as u32)?;
                close
            }
            Kind::Preset => {
                // Every preset name is shorter than eight bytes: the closing quote is in the first word.
                let word = number::load8(buf, at);
                let len = (super::scan::bytes_equal(word, b'"').trailing_zeros() / 8) as usize;
                if !quoted || len >= 8 {
                    return None;
                }
                self.preset = preset_word(word & ((1u64 << (8 * len)) - 1))?;
                at + len + 1
            }
            Kind::Skip if quoted => plain_string_end(buf, at)?,
            Kind::Skip => {
                let digits = at + usize::from(buf.get(at) == Some(&b'-'));
                number::price_fast(buf, digits)?.1
            }
            Kind::Side => {
                let digit = *buf.get(at)?;
                let after = *buf.get(at + 1)?;
                let closed = if quoted {
                    after == b'"'
                } else {
                    matches!(after, b',' | b'}')
                };
                if !closed || !matches!(digit, b'1' | b'2') {
                    return None;
                }
                self.side = if digit == b'1' { -1 } else { 1 };
                at + 1 + usize::from(quoted)
            }
            Kind::TradeTime | Kind::BookTime => {
                let (time, end) = number::clock_fast(buf, at)?;
                if kind == Kind::BookTime && time >= number::SIGNAL_MIN {
                    return None;
                }
                *self.integers.get_mut(slot)? = i64::from(time);
                close_quote(buf, end, quoted)?
            }
            Kind::Decimal => {
                let (value, end) = number::price_fast(buf, at)?;
                *self.decimals.get_mut(slot)? = value;
                close_quote(buf, end, quoted)?
            }
            Kind::Integer => {
                let (value, end) = number::quantity_fast(buf, at)?;
                *self.integers.get_mut(slot)? = value;
                close_quote(buf, end, quoted)?
            }
        };
        seen.insert(u32::from(bit));
        cursor.advance(bit);
        Some(end)
    }

    /// The general path for one member: reads the key (or, when `first`, the closing brace of an empty
    /// object) and its value. False when the object ended instead.
    #[inline(never)]
    fn member(
        &mut self,
        s: &mut Scanner<'_>,
        depth: usize,
        first: bool,
        cursor: &mut Cursor,
    ) -> Result<bool, Reject> {
        match s.peek()? {
            b'}' if first => {
                s.set_pos(s.pos() + 1);
                return Ok(false);
            }
            b'"' => s.set_pos(s.pos() + 1),
            _ => return Err(Reject::Malformed),
        }
        let start = s.pos();
        let raw = s.string_body()?;
        let quote = start + raw.bytes.len();
        let key = if raw.escaped {
            Key::Unknown
        } else {
            lookup(s.buf(), start, raw.bytes.len())
        };
        s.key_end(quote)?;
        let Some(bit) = key.bit() else {
            s.skip_value(depth)?;
            return Ok(true);
        };
        cursor.advance(bit as u8);
        if !self.seen.insert(bit) {
            return Err(Reject::DuplicateKey);
        }
        self.value(key, s, depth)?;
        Ok(true)
    }

    /// Parses the value of a known `key` into its field.
    #[inline(always)]
    fn value(&mut self, key: Key, s: &mut Scanner<'_>, depth: usize) -> Result<(), Reject> {
        let at = slot(key);
        match key {
            Key::Code => self.code = code(s.string()?)?,
            Key::Preset => self.preset = preset(s.string()?)?,
            Key::Side => self.side = side(s, depth)?,
            Key::TradeTime | Key::BookTime => {
                let time = lenient(s, number::clock)?;
                if key == Key::BookTime && time >= number::SIGNAL_MIN {
                    return Err(Reject::BadTime);
                }
                self.integers[at] = i64::from(time);
            }
            Key::TradePrice
            | Key::AccValue
            | Key::BestAsk
            | Key::BestBid
            | Key::AskPrice(_)
            | Key::BidPrice(_) => self.decimals[at] = lenient(s, number::price)?,
            Key::TradeQty
            | Key::AccVolume
            | Key::AskTotal
            | Key::BidTotal
            | Key::AskQty(_)
            | Key::BidQty(_) => self.integers[at] = lenient(s, number::quantity)?,
            Key::Isin | Key::Ignored(_) | Key::Unknown => s.skip_value(depth)?,
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "parsed values must be exactly the f64 of their text"
)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Result<Fields, Reject> {
        let mut f = Fields::default();
        let mut s = Scanner::new(text.as_bytes());
        f.scan_object(&mut s, 0, &mut KeyOrder::default())?;
        s.finish()?;
        Ok(f)
    }

    #[test]
    fn values_may_be_numbers_or_strings() {
        let f =
            scan(r#"{"trdPrc":"308.7","trdvol":3,"trdTm":"09450155","lstTrdTpCd":"2"}"#).unwrap();
        assert_eq!(f.decimal(Key::TradePrice), 308.7);
        assert_eq!(f.integer(Key::TradeQty), 3);
        assert_eq!(f.integer(Key::TradeTime), 9_450_155);
        assert_eq!(f.side, 1);
        let f =
            scan(r#"{"trdPrc":2465000,"trdVol":"5","trdTm":14412000,"lstAskbidTpCd":1}"#).unwrap();
        assert_eq!(
            (
                f.decimal(Key::TradePrice),
                f.integer(Key::TradeQty),
                f.integer(Key::TradeTime),
                f.side
            ),
            (2_465_000.0, 5, 14_412_000, -1)
        );
    }

    #[test]
    fn codes_lose_their_suffix() {
        let f = scan(r#"{"isuSrtCd":"005930*001"}"#).unwrap();
        assert_eq!(f.code.as_bytes(), b"005930");
        for bad in [
            r#""005930*""#,
            r#""005930*0a1""#,
            r#""""#,
            r#""00 5930""#,
            r#""0059\u0033""#,
        ] {
            let text = format!(r#"{{"isuSrtCd":{bad}}}"#);
            assert_eq!(scan(&text).unwrap_err(), Reject::BadCode, "{text}");
        }
        assert_eq!(scan(r#"{"isuSrtCd":5930}"#).unwrap_err(), Reject::WrongType);
    }

    #[test]
    fn wrong_types_and_bad_numbers() {
        assert_eq!(scan(r#"{"trdPrc":{}}"#).unwrap_err(), Reject::WrongType);
        assert_eq!(scan(r#"{"trdPrc":null}"#).unwrap_err(), Reject::WrongType);
        assert_eq!(scan(r#"{"trdvol":[1]}"#).unwrap_err(), Reject::WrongType);
        assert_eq!(scan(r#"{"trdPrc":"12a"}"#).unwrap_err(), Reject::BadNumber);
        assert_eq!(scan(r#"{"trdPrc":"NaN"}"#).unwrap_err(), Reject::BadNumber);
        assert_eq!(scan(r#"{"trdPrc":"inf"}"#).unwrap_err(), Reject::BadNumber);
        assert_eq!(scan(r#"{"trdPrc":-1}"#).unwrap_err(), Reject::BadNumber);
        assert_eq!(scan(r#"{"trdPrc":1e999}"#).unwrap_err(), Reject::BadNumber);
        assert_eq!(scan(r#"{"trdPrc":12a}"#).unwrap_err(), Reject::Malformed);
        assert_eq!(
            scan(r#"{"preset":"tick5"}"#).unwrap_err(),
            Reject::UnknownPreset
        );
        assert_eq!(
            scan(r#"{"ordAcptTm":31000000}"#).unwrap_err(),
            Reject::BadTime
        );
    }

    #[test]
    fn duplicates_are_caught_across_spellings() {
        assert_eq!(
            scan(r#"{"trdvol":1,"trdvol":2}"#).unwrap_err(),
            Reject::DuplicateKey
        );
        assert_eq!(
            scan(r#"{"trdvol":1,"trdVol":2}"#).unwrap_err(),
            Reject::DuplicateKey
        );
        assert_eq!(
            scan(r#"{"opnprc":1,"opnprc":2}"#).unwrap_err(),
            Reject::DuplicateKey
        );
        // Keys outside the protocol are skipped without duplicate detection.
        assert!(scan(r#"{"extra":1,"extra":{"a":[true]}}"#).is_ok());
    }

    #[test]
    fn trailing_commas_are_malformed_after_compact_members() {
        for bad in [
            r#"{"trdvol":1,}"#,
            r#"{"isuSrtCd":"005930","trdPrc":"81000",}"#,
            r#"{"trdvol":1, }"#,
            r#"{ "trdvol":1,}"#,
        ] {
            assert_eq!(scan(bad).unwrap_err(), Reject::Malformed, "{bad}");
        }
        assert!(scan("{}").is_ok() && scan("{ }").is_ok());
    }

    #[test]
    fn side_codes() {
        assert_eq!(scan(r#"{"lstAskbidTpCd":"1"}"#).unwrap().side, -1);
        assert_eq!(scan(r#"{"lstAskbidTpCd":2}"#).unwrap().side, 1);
        assert_eq!(scan(r#"{"lstAskbidTpCd":"3"}"#).unwrap().side, 0);
        assert_eq!(scan(r#"{"lstAskbidTpCd":""}"#).unwrap().side, 0);
        assert_eq!(scan(r#"{"lstAskbidTpCd":null}"#).unwrap().side, 0);
        assert_eq!(
            scan(r#"{"lstAskbidTpCd":{}}"#).unwrap_err(),
            Reject::WrongType
        );
    }
}
