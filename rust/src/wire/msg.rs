//! Parsed messages: what one frame says, in plain-English fields, before any state is touched.
//!
//! The scanner fills a [`Parsed`] completely (or rejects the frame) and only then does the feed apply it, so a
//! bad frame never touches a ring, book or bar. Every container here is preallocated and reused across frames.

use super::block::{digit_bytes, equal_bytes, prefix};

/// Longest code accepted, in bytes (stocks 6, derivatives 8, indices up to 4; `*NNN` suffixes are stripped).
pub const MAX_CODE_LEN: usize = 12;

/// Book depth kept for any instrument: 10 levels for stocks, 5 used for derivatives.
pub const MAX_LEVELS: usize = 10;

/// A short code as seen on the wire with any `*NNN` suffix stripped, stored inline (no allocation) as one
/// 16-byte block: its bytes zero-padded, and its length in the last byte, so a code is built, compared and
/// hashed whole.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Code {
    block: [u8; 16],
}

impl std::fmt::Debug for Code {
    /// The code as text: `Code("005930")`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Code")
            .field(&String::from_utf8_lossy(self.as_bytes()))
            .finish()
    }
}

/// Where a [`Code`]'s block keeps its length.
const LEN_AT: usize = 15;

impl Code {
    /// The empty code (the default; not a valid instrument code).
    pub const EMPTY: Code = Code { block: [0; 16] };

    /// Builds a code from its bytes; `None` when empty, too long, or not `[0-9A-Za-z]`.
    pub fn new(raw: &[u8]) -> Option<Self> {
        if raw.is_empty() || raw.len() > MAX_CODE_LEN || !raw.iter().all(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        // A fixed-length loop rather than a variable-length copy: codes are built once per frame and a
        // `memcpy` call costs more than the copy.
        let mut block = [0u8; 16];
        for (i, b) in block[..MAX_CODE_LEN].iter_mut().enumerate() {
            if let Some(&c) = raw.get(i) {
                *b = c;
            }
        }
        block[LEN_AT] = raw.len() as u8;
        Some(Self { block })
    }

    /// The code of `len` (1..=12) letters or digits `text` holds, zero past them.
    #[inline(always)]
    fn of_text(text: u128, len: usize) -> Self {
        Self {
            block: (text | (len as u128) << (8 * LEN_AT)).to_le_bytes(),
        }
    }

    /// The code held by a string whose contents start `block` (sixteen frame bytes, little-endian) and end at its
    /// first `"`: the code and its length in bytes, when that is 1..=12 letters or digits (anything else, a `*NNN`
    /// suffix, an escape or a longer code, is `None`). All-digit codes, most of them, take one vector test.
    #[inline(always)]
    pub(crate) fn from_block(block: u128) -> Option<(Self, usize)> {
        const QUOTES: u128 = u128::from_le_bytes([b'"'; 16]);
        let len = equal_bytes(block, QUOTES).trailing_zeros() as usize;
        if len == 0 || len > MAX_CODE_LEN {
            return None;
        }
        let text = prefix(block, len);
        let within = (1u32 << len) - 1;
        if digit_bytes(block) & within != within && !alphanumeric(text, len) {
            return None;
        }
        Some((Self::of_text(text, len), len))
    }

    /// An Fx-style multiplicative hash of the code's block, read as two little-endian words, so nothing is
    /// copied. Its high bits are the well-mixed ones: tables index with its low bits after the final shift.
    #[inline(always)]
    pub(crate) fn hash(&self) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let block = u128::from_le_bytes(self.block);
        let (low, high) = (block as u64, (block >> 64) as u64);
        (low.wrapping_mul(K).rotate_left(5) ^ high).wrapping_mul(K) >> 32
    }

    /// The code's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.block[..usize::from(self.block[LEN_AT]).min(MAX_CODE_LEN)]
    }
}

/// True when every one of the `len` (1..=12) bytes `text` holds, zero past them, is an ASCII letter or digit.
#[cold]
fn alphanumeric(text: u128, len: usize) -> bool {
    text.to_le_bytes()[..len]
        .iter()
        .all(u8::is_ascii_alphanumeric)
}

/// Where a message came from: the `/ws` preset that carried it, or the market-wide trade arrays.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(u8)]
pub enum Source {
    /// `tick` push.
    #[default]
    Tick = 0,
    /// `quote` push (level 1 only).
    Quote = 1,
    /// `tick10` push (the REST `price` record).
    Tick10 = 2,
    /// `quote10` push (the REST `orderbook` record).
    Quote10 = 3,
    /// `index` push.
    Index = 4,
    /// `change` push (only the requested items that changed, no `preset` key).
    Change = 5,
    /// An element of a `/ws_ksp` or `/ws_kdq` bare array.
    MarketTrades = 6,
}

/// Marker for an integer field that was absent from the frame.
pub const ABSENT: i64 = i64::MIN;

/// One trade, or one index print (`Source::Index`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Trade {
    /// Instrument code.
    pub code: Code,
    /// Frame family that carried it.
    pub source: Source,
    /// Exchange time as sent, `HHMMSSmm` (hundredths), below 24000000.
    pub time: u32,
    /// Trade price (KRW for stocks, points for derivatives and indices).
    pub price: f64,
    /// Traded quantity; [`ABSENT`] for index prints without one.
    pub qty: i64,
    /// Cumulative day volume after this trade (`accTrdvol`), or [`ABSENT`].
    pub acc_volume: i64,
    /// Cumulative day value after this trade (`accTrdval`), or NaN when absent.
    pub acc_value: f64,
    /// +1 buy-initiated, -1 sell-initiated, 0 unknown.
    pub side: i8,
}

/// One order-book update. Only the fields whose bit is set in `present` were on the wire.
#[derive(Clone, Copy, Debug, Default)]
pub struct BookUpdate {
    /// Instrument code.
    pub code: Code,
    /// Frame family that carried it.
    pub source: Source,
    /// Ask prices, level 1 first.
    pub ask_price: [f64; MAX_LEVELS],
    /// Ask quantities, level 1 first.
    pub ask_qty: [i64; MAX_LEVELS],
    /// Bid prices, level 1 first.
    pub bid_price: [f64; MAX_LEVELS],
    /// Bid quantities, level 1 first.
    pub bid_qty: [i64; MAX_LEVELS],
    /// Bit `n` set: ask level `n+1` price was present.
    pub ask_price_mask: u16,
    /// Bit `n` set: ask level `n+1` quantity was present.
    pub ask_qty_mask: u16,
    /// Bit `n` set: bid level `n+1` price was present.
    pub bid_price_mask: u16,
    /// Bit `n` set: bid level `n+1` quantity was present.
    pub bid_qty_mask: u16,
    /// Total ask quantity, or [`ABSENT`].
    pub ask_total: i64,
    /// Total bid quantity, or [`ABSENT`].
    pub bid_total: i64,
    /// Cumulative day volume (`accTrdvol`), or [`ABSENT`].
    pub acc_volume: i64,
    /// Exchange time `HHMMSSmm` when the frame carried one (derivative `ordAcptTm`), else 0.
    pub time: u32,
}

/// A market-operation signal: a `trdTm` of 24000000 or more (e.g. 31000000 regular close).
#[derive(Clone, Copy, Debug, Default)]
pub struct Signal {
    /// Instrument code the signal arrived on.
    pub code: Code,
    /// Frame family that carried it.
    pub source: Source,
    /// The raw `trdTm` value.
    pub value: u32,
}

/// What kind of JSON-RPC reply a non-push frame was.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReplyKind {
    /// `{"id":n,"result":{...}}`.
    Result,
    /// `{"error":{"code":c,"message":"..."}}`, with or without an id.
    Error,
    /// A request from the server, `{"id":n,"method":"heartbeat"}`, that the client must answer.
    HeartbeatRequest,
}

/// One JSON-RPC reply. `text` is a byte span of the frame: the `result` value for results, the `message`
/// string's contents (still JSON-escaped) for errors, empty for heartbeat requests.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    /// The reply kind.
    pub kind: ReplyKind,
    /// The request id, or [`ABSENT`] when the frame had none (or it was not an integer).
    pub id: i64,
    /// The error code, or [`ABSENT`] for results and requests.
    pub error_code: i64,
    /// Byte offset of the text within the frame.
    pub text_start: u32,
    /// Byte length of the text.
    pub text_len: u32,
}

/// Everything one frame said. Cleared and refilled per frame; capacities are fixed at construction.
#[derive(Debug)]
pub struct Parsed {
    /// Trades and index prints, in frame order.
    pub trades: Vec<Trade>,
    /// Book updates, in frame order.
    pub books: Vec<BookUpdate>,
    /// Market-operation signals.
    pub signals: Vec<Signal>,
    /// JSON-RPC replies and server requests.
    pub replies: Vec<Reply>,
}

/// Most trades one frame may carry (`/ws_ksp` sends at most 50; this leaves room for a lenient peer).
pub const MAX_TRADES_PER_FRAME: usize = 1024;

impl Parsed {
    /// A container with room for [`MAX_TRADES_PER_FRAME`] trades; it never grows past that.
    pub fn new() -> Self {
        Self {
            trades: Vec::with_capacity(MAX_TRADES_PER_FRAME),
            books: Vec::with_capacity(4),
            signals: Vec::with_capacity(MAX_TRADES_PER_FRAME),
            replies: Vec::with_capacity(4),
        }
    }

    /// Empties every list, keeping capacity.
    pub fn clear(&mut self) {
        self.trades.clear();
        self.books.clear();
        self.signals.clear();
        self.replies.clear();
    }

    /// True when the frame carried nothing.
    pub fn is_empty(&self) -> bool {
        self.trades.is_empty()
            && self.books.is_empty()
            && self.signals.is_empty()
            && self.replies.is_empty()
    }
}

impl Default for Parsed {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_accepts_alnum_up_to_twelve() {
        assert_eq!(Code::new(b"005930").unwrap().as_bytes(), b"005930");
        assert_eq!(
            format!("{:?}", Code::new(b"005930").unwrap()),
            r#"Code("005930")"#
        );
        assert_eq!(Code::new(b"101N6000").unwrap().as_bytes(), b"101N6000");
        assert!(Code::new(b"").is_none());
        assert!(Code::new(b"0059300059300").is_none());
        assert!(Code::new(b"0059*0").is_none());
    }

    #[test]
    fn codes_from_blocks_match_codes_from_bytes() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"005930\",\"trdPrc\"".to_vec(),
            b"101N6000\",\"trdPr".to_vec(),
            b"K1\"\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec(),
        ];
        for byte in 0..=255u8 {
            for at in [0, 5, 7, 8, 11, 12, 15] {
                let mut text = b"Zz09Zz09Zz09Zz09".to_vec();
                text[at] = byte;
                cases.push(text.clone());
                for end in [at, at + 1] {
                    let mut closed = text.clone();
                    if end < 16 {
                        closed[end] = b'"';
                    }
                    cases.push(closed);
                }
            }
        }
        for len in 0..=16 {
            let mut digits = b"0123456789012345".to_vec();
            if len < 16 {
                digits[len] = b'"';
            }
            cases.push(digits);
        }
        for text in cases {
            let block = u128::from_le_bytes(text.clone().try_into().expect("sixteen bytes"));
            let want = text
                .iter()
                .position(|&b| b == b'"')
                .and_then(|len| Code::new(&text[..len]).map(|code| (code, len)));
            assert_eq!(Code::from_block(block), want, "{text:?}");
        }
    }
}
