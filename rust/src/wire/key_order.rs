//! A cache of the key order of recent traffic, so that the next key is usually recognised by one or two
//! masked word comparisons with the predicted spelling instead of a quote search and a table lookup. A
//! prediction covers the member from its key's opening quote through the colon, and through the value's
//! opening quote when the value was a string last time, so those bytes need no checks of their own.

use super::keys::{lookup_quoted, KeySet, Kind};
use super::padded::Padded;
use super::shape::Shapes;

/// Index of the "first key of an object" slot in [`KeyOrder`].
const FIRST_SLOT: usize = 128;

/// Longest member start a prediction covers: `"key":` and a value's opening quote.
const MAX_SPAN: usize = 24;

/// A member start seen after another key: the bytes of `"key":` (and `"` when the value was a string) as masked
/// words, and what the key is.
#[derive(Clone, Copy)]
struct Learned {
    /// The spelling, zero-padded, eight bytes a word.
    words: [u64; 3],
    /// Which bytes of each word belong to the spelling.
    masks: [u64; 3],
    /// Number of words used (0: nothing learned).
    wide: u8,
    /// Bytes covered (the value, past its opening quote when `quoted`, starts this far after the member's).
    span: u8,
    /// The value was a string (the prediction includes its opening quote).
    quoted: bool,
    /// The key's bit (see [`super::keys::Key::bit`]).
    bit: u8,
    /// How its value is read.
    kind: Kind,
    /// The key alone, as a set.
    set: KeySet,
}

/// Nothing learned: a mask of no bytes and a word no masked load equals.
const NOTHING: Learned = Learned {
    words: [1, 0, 0],
    masks: [0; 3],
    wide: 0,
    span: 0,
    quoted: false,
    bit: 0,
    kind: Kind::Skip,
    set: KeySet::EMPTY,
};

/// A recognised compact member start: the key's bit, how its value is read, and where the value starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Hit {
    /// The key's bit.
    pub bit: u8,
    /// How its value is read.
    pub kind: Kind,
    /// The key alone, as a set.
    pub set: KeySet,
    /// Offset of the value's first byte past the colon, or past its opening quote when `quoted`.
    pub value: usize,
    /// The value is a string whose opening quote was matched.
    pub quoted: bool,
}

/// The key order of recent traffic: for each key (and for "start of object"), the exact spelling of the key
/// that followed it last time. Feeds send their keys in a stable order, so the next key is usually the
/// predicted one and is recognised by comparing its bytes (with its closing quote and colon) with the
/// prediction. A cache only: a wrong or missing prediction falls back to the full lookup, and a prediction
/// is only taken when every byte matches, so results never depend on it.
#[derive(Clone)]
pub(crate) struct KeyOrder {
    after: [Learned; FIRST_SLOT + 1],
    /// Whole-object key orders: the shapes of the objects of each kind.
    pub shapes: Shapes,
}

impl KeyOrder {
    /// Nothing learned yet.
    pub const EMPTY: KeyOrder = KeyOrder {
        after: [NOTHING; FIRST_SLOT + 1],
        shapes: Shapes::EMPTY,
    };
}

impl Default for KeyOrder {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl std::fmt::Debug for KeyOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyOrder { .. }")
    }
}

/// Where the key order of one object stands: after which key the next one comes.
#[derive(Clone, Copy)]
pub(crate) struct Cursor(usize);

impl Cursor {
    /// At the start of an object.
    pub fn start() -> Self {
        Cursor(FIRST_SLOT)
    }

    /// After the key with `bit`.
    #[inline(always)]
    pub fn advance(&mut self, bit: u8) {
        self.0 = usize::from(bit);
    }
}

impl KeyOrder {
    /// The compact member (`"key":` with no whitespace) starting at `start`, when its key is a protocol key:
    /// predicted from the member that followed `at` last time, or looked up (and then learned).
    #[inline(always)]
    pub fn key(&mut self, frame: Padded<'_>, start: usize, at: Cursor) -> Option<Hit> {
        match self.predict(frame, start, at) {
            Some(hit) => Some(hit),
            None => self.look_up(frame, start, at),
        }
    }

    /// The predicted member start, when `frame[start..]` continues with exactly the bytes that followed `at`.
    #[inline(always)]
    fn predict(&self, frame: Padded<'_>, start: usize, at: Cursor) -> Option<Hit> {
        let l = &self.after[at.0];
        if frame.word(start) & l.masks[0] != l.words[0]
            || (l.wide > 1 && frame.word(start + 8) & l.masks[1] != l.words[1])
            || (l.wide > 2 && frame.word(start + 16) & l.masks[2] != l.words[2])
        {
            return None;
        }
        Some(Hit {
            bit: l.bit,
            kind: l.kind,
            set: l.set,
            value: start + usize::from(l.span),
            quoted: l.quoted,
        })
    }

    /// Looks the compact member at `start` up and remembers it as the successor of `at`.
    #[inline(never)]
    fn look_up(&mut self, frame: Padded<'_>, start: usize, at: Cursor) -> Option<Hit> {
        if frame.byte(start) != b'"' {
            return None;
        }
        // The 32 bytes after the opening quote (a key and its closing quote take at most 24).
        let mut window = [0u8; 32];
        window[..16].copy_from_slice(&frame.block(start + 1).to_le_bytes());
        window[16..].copy_from_slice(&frame.block(start + 17).to_le_bytes());
        let (key, quote) = lookup_quoted(&window, 0)?;
        let quote = start + 1 + quote;
        if frame.byte(quote + 1) != b':' {
            return None;
        }
        let bit = key.bit()? as u8;
        let quoted = frame.byte(quote + 2) == b'"';
        let span = quote + 2 + usize::from(quoted) - start;
        if span > MAX_SPAN {
            return None;
        }
        let (words, masks) = frame.masked_words(start, span);
        let learned = Learned {
            words,
            masks,
            wide: span.div_ceil(8) as u8,
            span: span as u8,
            quoted,
            bit,
            kind: key.kind(),
            set: KeySet::of(u32::from(bit)),
        };
        self.after[at.0] = learned;
        Some(Hit {
            bit,
            kind: learned.kind,
            set: learned.set,
            value: start + span,
            quoted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::keys::Key;
    use crate::wire::padded::PadBuffer;

    fn bit(key: Key) -> u8 {
        key.bit().unwrap() as u8
    }

    /// `text` as a padded frame (its copy and buffer live for the rest of the test run).
    fn padded(text: &[u8]) -> Padded<'static> {
        let text = Box::leak(text.to_vec().into_boxed_slice());
        Box::leak(Box::new(PadBuffer::EMPTY)).load(text)
    }

    #[test]
    fn key_order_predicts_only_exact_spellings() {
        let mut order = KeyOrder::default();
        let start = Cursor::start();
        let frame = b"\"trdPrc\":1";
        assert_eq!(
            order.predict(padded(frame), 0, start),
            None,
            "nothing learned yet"
        );
        let hit = Hit {
            bit: bit(Key::TradePrice),
            kind: Kind::Decimal,
            set: KeySet::of(u32::from(bit(Key::TradePrice))),
            value: 9,
            quoted: false,
        };
        assert_eq!(order.key(padded(frame), 0, start), Some(hit));
        assert_eq!(order.predict(padded(frame), 0, start), Some(hit));
        assert_eq!(order.predict(padded(b"\"trdPrX\":1"), 0, start), None);
        assert_eq!(order.predict(padded(b"\"trdPrc2\":1"), 0, start), None);
        assert_eq!(order.predict(padded(b"\"trdPrc"), 0, start), None);
        assert_eq!(order.predict(padded(b"\"trdPrc\" :1"), 0, start), None);
        assert_eq!(
            order.key(padded(b"\"trdPrc\" :1"), 0, start),
            None,
            "not compact"
        );
        assert_eq!(
            order.key(padded(b"trdPrc\":1"), 0, start),
            None,
            "no opening quote"
        );
        let mut after = start;
        after.advance(bit(Key::TradePrice));
        assert_eq!(
            order.predict(padded(frame), 0, after),
            None,
            "learned per preceding key"
        );
        let long = b"\"askStep10BstordRqty\":\"1\",\"trdTm\":1}";
        let hit = Hit {
            bit: bit(Key::AskQty(9)),
            kind: Kind::Integer,
            set: KeySet::of(u32::from(bit(Key::AskQty(9)))),
            value: 23,
            quoted: true,
        };
        assert_eq!(order.key(padded(long), 0, after), Some(hit));
        assert_eq!(order.predict(padded(long), 0, after), Some(hit));
        assert_eq!(
            order.predict(padded(b"\"askStep10BstordRqty\":1"), 0, after),
            None,
            "a string value was learned: a bare one is not predicted"
        );
        assert_eq!(
            order.predict(padded(b"\"askStep10BstordRqtx\":\"1\""), 0, after),
            None
        );
        assert_eq!(order.key(padded(b"\"trdPrcX\":1"), 0, after), None);
        assert_eq!(
            order.predict(padded(long), 0, after),
            Some(hit),
            "unknown keys are not learned"
        );
    }
}
