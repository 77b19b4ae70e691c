//! Parsed messages: what one frame says, in plain-English fields, before any state is touched.
//!
//! The scanner fills a [`Parsed`] completely (or rejects the frame) and only then does the feed apply it, so a
//! bad frame never touches a ring, book or bar. Every container here is preallocated and reused across frames.

/// Longest code accepted, in bytes (stocks 6, derivatives 8, indices up to 4; `*NNN` suffixes are stripped).
pub const MAX_CODE_LEN: usize = 12;

/// Book depth kept for any instrument: 10 levels for stocks, 5 used for derivatives.
pub const MAX_LEVELS: usize = 10;

/// A short code as seen on the wire with any `*NNN` suffix stripped, stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Code {
    len: u8,
    bytes: [u8; MAX_CODE_LEN],
}

impl Code {
    /// The empty code (the default; not a valid instrument code).
    pub const EMPTY: Code = Code {
        len: 0,
        bytes: [0; MAX_CODE_LEN],
    };

    /// Builds a code from its bytes; `None` when empty, too long, or not `[0-9A-Za-z]`.
    pub fn new(raw: &[u8]) -> Option<Self> {
        if raw.is_empty() || raw.len() > MAX_CODE_LEN || !raw.iter().all(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        // A fixed-length loop rather than a variable-length copy: codes are built once per frame and a
        // `memcpy` call costs more than the copy.
        let mut bytes = [0u8; MAX_CODE_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            if let Some(&c) = raw.get(i) {
                *b = c;
            }
        }
        Some(Self {
            len: raw.len() as u8,
            bytes,
        })
    }

    /// Builds a code of `len` bytes (1..=12) from its bytes as two little-endian words, zero past `len`,
    /// when they are all `[0-9A-Za-z]`: the same code as [`Code::new`] of those bytes, without a byte loop.
    #[inline(always)]
    pub(crate) fn from_words(len: usize, low: u64, high: u32) -> Option<Self> {
        /// Bit 7 of each byte of `w` that is an ASCII letter or digit; `w`'s bytes must be below 0x80.
        const fn alnum(w: u64) -> u64 {
            const HIGHS: u64 = 0x8080_8080_8080_8080;
            const fn at_least(w: u64, lo: u8) -> u64 {
                w.wrapping_add(0x0101_0101_0101_0101 * (0x80 - lo as u64))
            }
            const fn above(w: u64, hi: u8) -> u64 {
                w.wrapping_add(0x0101_0101_0101_0101 * (0x7f - hi as u64))
            }
            let lower = w | 0x2020_2020_2020_2020;
            let digit = at_least(w, b'0') & !above(w, b'9');
            let letter = at_least(lower, b'a') & !above(lower, b'z');
            (digit | letter) & HIGHS
        }
        /// Bit 7 of each byte of `w` that is not an ASCII digit (the lowest flagged byte is exact).
        const fn non_digits(w: u64) -> u64 {
            let x = w ^ 0x3030_3030_3030_3030;
            (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
        }
        if len == 0 || len > MAX_CODE_LEN {
            return None;
        }
        // Bytes past `len` are filled with '0' so that only the code's own bytes can fail the check.
        let fill = |w: u64, n: usize| {
            if n >= 8 {
                w
            } else {
                w | (0x3030_3030_3030_3030 & !((1u64 << (8 * n)) - 1))
            }
        };
        let high_len = len.saturating_sub(8);
        let (a, b) = (fill(low, len), fill(u64::from(high), high_len));
        // Most codes are all digits, which one cheap test shows; the rest take the letter-or-digit test.
        if non_digits(a) | non_digits(b) != 0
            && ((a | b) & 0x8080_8080_8080_8080 != 0
                || alnum(a) & alnum(b) != 0x8080_8080_8080_8080)
        {
            return None;
        }
        let mut bytes = [0u8; MAX_CODE_LEN];
        bytes[..8].copy_from_slice(&low.to_le_bytes());
        bytes[8..].copy_from_slice(&high.to_le_bytes());
        Some(Self {
            len: len as u8,
            bytes,
        })
    }

    /// An Fx-style multiplicative hash of the code's bytes, read as two little-endian words (zero past its
    /// length), so nothing is copied. Its high bits are the well-mixed ones: tables index with its low bits
    /// after the final shift.
    #[inline(always)]
    pub(crate) fn hash(&self) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let (low, high) = self.bytes.split_at(8);
        let low = u64::from_le_bytes(low.try_into().expect("eight bytes"));
        let high = u32::from_le_bytes(high.try_into().expect("four bytes"));
        (low.wrapping_mul(K).rotate_left(5) ^ u64::from(high)).wrapping_mul(K) >> 32
    }

    /// The code's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
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
        assert_eq!(Code::new(b"101N6000").unwrap().as_bytes(), b"101N6000");
        assert!(Code::new(b"").is_none());
        assert!(Code::new(b"0059300059300").is_none());
        assert!(Code::new(b"0059*0").is_none());
    }

    #[test]
    fn codes_from_words_match_codes_from_bytes() {
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(w)
        };
        let mut cases: Vec<Vec<u8>> =
            vec![b"005930".to_vec(), b"101N6000".to_vec(), b"K1".to_vec()];
        cases.push(b"ABCDEFGHIJKL".to_vec());
        cases.push(b"abcdefghijklm".to_vec());
        for byte in 0..=255u8 {
            for at in [0, 5, 7, 8, 11] {
                let mut code = b"Zz09Zz09Zz09".to_vec();
                code[at] = byte;
                cases.push(code.clone());
                cases.push(code[..=at].to_vec());
            }
        }
        for raw in cases {
            let len = raw.len();
            let low = word(&raw[..len.min(8)]);
            let high = word(&raw[len.min(8)..len.min(12)]) as u32;
            let want = Code::new(&raw);
            let got = if len > 12 {
                None
            } else {
                Code::from_words(len, low, high)
            };
            assert_eq!(got, want, "{raw:?}");
        }
    }
}
