//! The fast path of [`Fields::scan_object`]: members in the compact form every feed sends (`"key":value`
//! with no whitespace, keys the key-order cache recognises, plain strings, numbers of up to fifteen digits),
//! read from a padded frame without per-byte bounds checks.
//!
//! A member the fast path cannot read exactly (anything else, including every error) is declined with no
//! trace left, and the general path in [`super::fields`] reads it; the general path is the specification and
//! the fast path must produce exactly what it would (checked by the fuzz tests, which parse every accepted
//! frame again with whitespace that forces the general path).

use super::fields::Fields;
use super::key_order::{Cursor, Hit, KeyOrder};
use super::keys::{KeySet, Kind, PRESET_BIT};
use super::msg::{Code, Source};
use super::number;
use super::padded::Padded;
use super::scan::bytes_equal;
use super::shape::{ShapeSlot, Walk};

/// What is due where the fast path stopped.
#[derive(Clone, Copy)]
pub(crate) enum Next {
    /// A member (the fast path declined it).
    Member,
    /// A comma or the closing brace, after something other than one of them.
    Delimiter,
    /// Nothing: the object's closing brace was consumed.
    Closed,
}

/// Offset after a number that ended at `end`: past its closing quote when `quoted` (a string whose quote is
/// checked here), `None` when that quote is missing.
#[inline(always)]
fn close_quote(buf: Padded<'_>, end: usize, quoted: bool) -> Option<usize> {
    if !quoted {
        Some(end)
    } else if buf.byte(end) == b'"' {
        Some(end + 1)
    } else {
        None
    }
}

/// Offset of the byte after the plain string whose contents start at `pos` (no escapes, no control bytes),
/// or `None` when it is not plain or not closed.
#[inline(always)]
fn plain_string_end(buf: Padded<'_>, mut pos: usize) -> Option<usize> {
    loop {
        let word = buf.word(pos);
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

/// The preset named by a string of `len` (under eight) bytes given as a zero-padded little-endian word, if
/// any. The length is compared too: a zero byte inside the string must not pass for padding.
#[inline(always)]
fn preset_word(len: usize, word: u64) -> Option<Source> {
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
    Some(match (len, word) {
        (4, TICK) => Source::Tick,
        (5, QUOTE) => Source::Quote,
        (6, TICK10) => Source::Tick10,
        (7, QUOTE10) => Source::Quote10,
        (5, INDEX) => Source::Index,
        (6, CHANGE) => Source::Change,
        _ => return None,
    })
}

/// What is due next while the fast path reads an object.
#[derive(Clone, Copy)]
enum Due {
    /// A member whose key's opening quote is at this offset.
    Member(usize),
    /// A comma or the closing brace at this offset, after a value.
    Delimiter(usize),
}

impl Fields {
    /// Reads compact members from `pos` (where a member is due) for as long as the fast path takes them:
    /// the offset reached and what is due there. A learned shape (see [`super::shape`]) reads the object when
    /// one fits: from `pos` with `shape` (a market element), or from the end of the preset value when the
    /// object's first member is `preset` (a push); members past where it stops are read one at a time (and
    /// recorded, to learn the shape anew). Inlined into its two callers (the object loop and the market-trade
    /// element loop), which saves a call and its register spills per object.
    #[inline(always)]
    pub(super) fn fast_members(
        &mut self,
        buf: Padded<'_>,
        pos: usize,
        order: &mut KeyOrder,
        cursor: &mut Cursor,
        mut shape: Option<ShapeSlot>,
    ) -> (usize, Next) {
        let mut seen = self.seen;
        let mut due = Due::Member(pos);
        let (pos, next) = loop {
            due = match due {
                Due::Member(at) => {
                    if let Some(slot) = shape.take() {
                        match self.walk(slot, buf, at, &mut seen, order, cursor) {
                            Ok(end) => break (end, Next::Closed),
                            Err(Some(end)) => {
                                due = Due::Delimiter(end);
                                continue;
                            }
                            Err(None) => {}
                        }
                    }
                    if seen == KeySet::EMPTY {
                        if let Some(end) = self.preset_member(buf, at) {
                            seen.add(KeySet::of(PRESET_BIT));
                            cursor.advance(PRESET_BIT as u8);
                            let slot = ShapeSlot::Preset(self.preset);
                            match self.walk(slot, buf, end, &mut seen, order, cursor) {
                                Ok(close) => break (close, Next::Closed),
                                Err(stop) => {
                                    due = Due::Delimiter(stop.unwrap_or(end));
                                    continue;
                                }
                            }
                        }
                    }
                    let Some((hit, end)) = self.member_fast(buf, at, &mut seen, order, cursor)
                    else {
                        order.shapes.abandon();
                        break (at, Next::Member);
                    };
                    if order.shapes.learning() {
                        order
                            .shapes
                            .record(buf, hit.value, end, hit.bit, hit.kind, hit.quoted);
                    }
                    Due::Delimiter(end)
                }
                Due::Delimiter(end) => match buf.byte(end) {
                    b',' => Due::Member(end + 1),
                    b'}' => {
                        order.shapes.finish(buf, end + 1);
                        break (end + 1, Next::Closed);
                    }
                    _ => {
                        order.shapes.abandon();
                        break (end, Next::Delimiter);
                    }
                },
            };
        };
        self.seen = seen;
        (pos, next)
    }

    /// Reads a push's params whose first member (at `pos`) is a compact `preset` by that preset's learned shape
    /// alone: the offset after the object, or `None` when the shape did not take the whole object (then nothing
    /// read counts and [`Self::fast_members`] reads it again, learning the shape anew where its text differs).
    #[inline(always)]
    pub(super) fn preset_shape(
        &mut self,
        buf: Padded<'_>,
        pos: usize,
        order: &mut KeyOrder,
    ) -> Option<usize> {
        let anchor = self.preset_member(buf, pos)?;
        let preset = KeySet::of(PRESET_BIT);
        match order
            .shapes
            .walk(ShapeSlot::Preset(self.preset), self, buf, anchor, preset)
        {
            Walk::Closed { end, mut keys } => {
                keys.add(preset);
                self.seen = keys;
                Some(end)
            }
            Walk::Stopped { .. } => None,
        }
    }

    /// A compact `"preset":"name"` member at `pos`, which picks the shape of a push's other members: the offset
    /// after its value, with the preset stored (`None`, storing nothing that matters, for any other member).
    #[inline(always)]
    fn preset_member(&mut self, buf: Padded<'_>, pos: usize) -> Option<usize> {
        const KEY: u64 = u64::from_le_bytes(*b"\"preset\"");
        const COLON_QUOTE: u64 = u16::from_le_bytes(*b":\"") as u64;
        if buf.word(pos) != KEY || buf.word(pos + 8) & 0xffff != COLON_QUOTE {
            return None;
        }
        self.value_fast::<true, false>(buf, pos + 10, PRESET_BIT as u8, Kind::Preset)
    }

    /// Reads members from `anchor` with the shape of `slot`: `Ok(offset after the object)` when it read the
    /// whole object, `Err(Some(end))` when it stopped at the end of a value (a delimiter is due there), and
    /// `Err(None)` when it read nothing. What it read is added to `seen` and `cursor`.
    #[inline(always)]
    fn walk(
        &mut self,
        slot: ShapeSlot,
        buf: Padded<'_>,
        anchor: usize,
        seen: &mut KeySet,
        order: &mut KeyOrder,
        cursor: &mut Cursor,
    ) -> Result<usize, Option<usize>> {
        match order.shapes.walk(slot, self, buf, anchor, *seen) {
            Walk::Closed { end, keys } => {
                seen.add(keys);
                Ok(end)
            }
            Walk::Stopped {
                at,
                done,
                keys,
                last,
            } => {
                seen.add(keys);
                if let Some(bit) = last {
                    cursor.advance(bit);
                }
                Err((done > 0 || slot != ShapeSlot::Market).then_some(at))
            }
        }
    }

    /// The fast path for the member whose key's opening quote is at `pos`: `Some((key, offset after the
    /// value))` when the member is compact and valid (and then it is recorded exactly as the general path
    /// would), `None` otherwise, with the key left unseen (so whatever was written to its value slot is ignored
    /// and overwritten by the general path).
    #[inline(always)]
    fn member_fast(
        &mut self,
        buf: Padded<'_>,
        pos: usize,
        seen: &mut KeySet,
        order: &mut KeyOrder,
        cursor: &mut Cursor,
    ) -> Option<(Hit, usize)> {
        let hit = order.key(buf, pos, *cursor)?;
        let Hit {
            bit,
            kind,
            set,
            value,
            quoted,
        } = hit;
        if seen.meets(set) {
            return None;
        }
        // Two copies of the value reader, so that whether the value is quoted is a predicted branch rather
        // than a data dependency of every later offset.
        let end = if quoted {
            self.value_fast::<true, false>(buf, value, bit, kind)?
        } else {
            self.value_fast::<false, false>(buf, value, bit, kind)?
        };
        seen.add(set);
        cursor.advance(bit);
        Some((hit, end))
    }

    /// Reads the value of the key with `bit` starting at `at` (past its opening quote when `QUOTED`) into
    /// its field: the offset after it, or `None` with nothing stored that matters (its key stays unseen).
    /// `DELIMITED`: the caller checks what follows a number: a bare one's delimiter, as
    /// [`number::continues_number`] says, and a quoted one's closing quote, whose offset is then returned (a
    /// shape's text starts with it). Otherwise a quoted number's closing quote is checked here.
    #[inline(always)]
    pub(super) fn value_fast<const QUOTED: bool, const DELIMITED: bool>(
        &mut self,
        buf: Padded<'_>,
        at: usize,
        bit: u8,
        kind: Kind,
    ) -> Option<usize> {
        let quoted = QUOTED;
        let delimited = QUOTED || DELIMITED;
        let closes_here = QUOTED && !DELIMITED;
        let slot = usize::from(bit);
        Some(match kind {
            Kind::Code => {
                // Codes are at most twelve bytes: the closing quote is in the first sixteen, and every byte
                // before it must be a letter or digit (which rules out escapes, control bytes and the `*NNN`
                // suffix, all left to the general path).
                if !quoted {
                    return None;
                }
                // A code as long as the last one (nearly always: a market's codes have one length) ends where
                // that length says, so that the offsets after it follow from the length known beforehand rather
                // than wait for the closing quote to be found: a branch the processor predicts, not a data
                // dependency of every later offset (the offsets chain the members of an object and the elements
                // of an array; `/ws_ksp` trades were 3-5 % faster).
                let predicted = usize::from(self.code_len);
                let (code, len) = Code::from_block(buf.block(at))?;
                self.code = code;
                self.prefetch_code();
                if len == predicted {
                    at + predicted + 1
                } else {
                    self.code_len = len as u8;
                    at + len + 1
                }
            }
            Kind::Preset => {
                // Every preset name is shorter than eight bytes: the closing quote is in the first word.
                let word = buf.word(at);
                let len = (bytes_equal(word, b'"').trailing_zeros() / 8) as usize;
                if !quoted || len >= 8 {
                    return None;
                }
                self.preset = preset_word(len, word & ((1u64 << (8 * len)) - 1))?;
                at + len + 1
            }
            Kind::Skip if quoted => plain_string_end(buf, at)?,
            Kind::Skip => {
                let digits = at + usize::from(buf.byte(at) == b'-');
                number::price_fast(buf, digits, delimited)?.1
            }
            Kind::Side => {
                let (digit, after) = (buf.byte(at), buf.byte(at + 1));
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
                let (time, end) = number::clock_fast(buf, at, delimited, &mut self.clock)?;
                if kind == Kind::BookTime && time >= number::SIGNAL_MIN {
                    return None;
                }
                self.integers[slot] = i64::from(time);
                close_quote(buf, end, closes_here)?
            }
            Kind::Decimal => {
                let (value, end) = number::price_fast(buf, at, delimited)?;
                self.decimals[slot] = value;
                close_quote(buf, end, closes_here)?
            }
            Kind::Integer => {
                let (value, end) = number::quantity_fast(buf, at, delimited)?;
                self.integers[slot] = value;
                close_quote(buf, end, closes_here)?
            }
        })
    }
}
