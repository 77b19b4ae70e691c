//! One flat object of market-data fields (a push `params`, a REST record, a `/ws_ksp` element) scanned into a
//! reusable [`Fields`] in one pass: keys dispatched on their bytes, values parsed in place, duplicates caught
//! by the same bitset that records presence.
//!
//! Each member first takes the fast path of [`super::compact`] (the compact form every feed sends); anything
//! else, including every error, is read here by the general path, which is the specification.

use super::compact::Next;
use super::key_order::{Cursor, KeyOrder};
use super::keys::{lookup, Key, KeySet, IGNORED_BIT};
use super::msg::{Code, Source, ABSENT, MAX_LEVELS};
use super::number::{self, ClockMemo};
use super::padded::Padded;
use super::scan::{RawStr, Scanner};
use super::shape::ShapeSlot;
use crate::error::Reject;
use crate::prefetch::CodeHint;

/// Value slots: one per possible key bit (a `u8`), so that a bit indexes them with no bounds check. Only the keys
/// below the ignored ones store a value (see [`Key::bit`]).
const VALUE_SLOTS: usize = 1 << u8::BITS;

const _: () = assert!(
    IGNORED_BIT as usize <= VALUE_SLOTS,
    "every stored key has a slot"
);

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
    pub(super) decimals: [f64; VALUE_SLOTS],
    /// Integer values (quantities, totals, times), indexed by key bit.
    pub(super) integers: [i64; VALUE_SLOTS],
    /// Where the feed's symbol table keeps each code: prefetched as soon as a code is read (see [`CodeHint`]).
    pub(super) hint: Option<CodeHint>,
    /// The last time the fast path read, kept for the next one.
    pub(super) clock: ClockMemo,
    /// The length of the last code the fast path read: the next code's predicted length.
    pub(super) code_len: u8,
}

impl Fields {
    /// No fields seen.
    pub const EMPTY: Fields = Fields {
        seen: KeySet::EMPTY,
        code: Code::EMPTY,
        preset: Source::Tick,
        side: 0,
        decimals: [0.0; VALUE_SLOTS],
        integers: [0; VALUE_SLOTS],
        hint: None,
        clock: ClockMemo::EMPTY,
        code_len: 0,
    };
}

impl Default for Fields {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// The value slot of a key that stores one.
#[inline(always)]
fn slot(key: Key) -> usize {
    key.bit().map_or(0, |bit| bit as usize)
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

/// The preset the contents of a `preset` string name, if any.
#[inline(always)]
pub(super) fn preset_bytes(bytes: &[u8]) -> Option<Source> {
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
    /// Prefetches the symbol-table slot of the code just read, when there is a hint.
    #[inline(always)]
    pub(super) fn prefetch_code(&self) {
        if let Some(hint) = self.hint {
            hint.touch(&self.code);
        }
    }

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

    /// The integer value of `key`, or [`ABSENT`] when it was not seen.
    #[inline(always)]
    pub fn integer_or_absent(&self, key: Key) -> i64 {
        if self.seen.has(key) {
            self.integer(key)
        } else {
            ABSENT
        }
    }

    /// The decimal value of `key`, or NaN when it was not seen.
    #[inline(always)]
    pub fn decimal_or_nan(&self, key: Key) -> f64 {
        if self.seen.has(key) {
            self.decimal(key)
        } else {
            f64::NAN
        }
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
            let (pos, next) = match s.padded() {
                Some(frame) => self.fast_members(frame, start, order, &mut cursor, None),
                None => (start, Next::Member),
            };
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

    /// Scans a whole compact object whose `{` is at `pos` of a padded frame by the fast path alone, after
    /// forgetting every field: the offset after its `}`, or `None` when the fast path cannot read all of it (then
    /// [`Self::scan_object`] must read it from `pos` instead). `shape` is the learned shape it is read with from
    /// its first member (a market-trades element); without one, a push's `preset` picks it. Saves the general
    /// loop's per-object work for the small objects of a market-trades array and for a push's params.
    #[inline(always)]
    pub(super) fn scan_compact_object(
        &mut self,
        frame: Padded<'_>,
        pos: usize,
        order: &mut KeyOrder,
        shape: Option<ShapeSlot>,
    ) -> Option<usize> {
        if frame.byte(pos) != b'{' {
            return None;
        }
        self.reset();
        if shape.is_none() {
            if let Some(end) = self.preset_shape(frame, pos + 1, order) {
                return Some(end);
            }
            return self.params_members(frame, pos, order);
        }
        self.compact_members(frame, pos, order, shape)
    }

    /// [`Self::scan_compact_object`] for push params its preset's shape did not read whole (a shape that stops
    /// marks nothing seen): read member by member, out of line, so that the shape's walk is all the push path
    /// inlines.
    #[inline(never)]
    fn params_members(
        &mut self,
        frame: Padded<'_>,
        pos: usize,
        order: &mut KeyOrder,
    ) -> Option<usize> {
        self.compact_members(frame, pos, order, None)
    }

    /// The members of the compact object whose `{` is at `pos`, read by the per-key fast path from its first
    /// (with `shape`, if any, tried first): the offset after its `}`, or `None` where the fast path stops.
    #[inline(always)]
    fn compact_members(
        &mut self,
        frame: Padded<'_>,
        pos: usize,
        order: &mut KeyOrder,
        shape: Option<ShapeSlot>,
    ) -> Option<usize> {
        let mut cursor = Cursor::start();
        match self.fast_members(frame, pos + 1, order, &mut cursor, shape) {
            (end, Next::Closed) => Some(end),
            _ => None,
        }
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
            Key::Code => {
                self.code = code(s.string()?)?;
                self.prefetch_code();
            }
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
    fn control_bytes_in_compact_strings_are_malformed() {
        for bad in [
            "{\"preset\":\"quote\u{0}\"}",
            "{\"preset\":\"tick\u{1}\"}",
            "{\"isuSrtCd\":\"00593\u{0}\"}",
            "{\"cmpprevddTpCd\":\"2\u{0}\"}",
        ] {
            assert_eq!(scan(bad).unwrap_err(), Reject::Malformed, "{bad:?}");
        }
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
