//! Key dispatch: maps the wire spelling of a push or record key (all its variants, protocol §7) to the field
//! it fills, and gives every protocol key a bit for duplicate detection.

/// Number of book levels a key can address.
const LEVELS: u8 = 10;

/// A field of a push `params` object, a REST record or a `/ws_ksp` element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Key {
    /// `isuSrtCd`: the short code.
    Code,
    /// `isuCd`: the ISIN (carried by `change` pushes; not used).
    Isin,
    /// `preset`.
    Preset,
    /// `trdPrc`.
    TradePrice,
    /// `trdvol` | `trdVol`.
    TradeQty,
    /// `trdTm`.
    TradeTime,
    /// `accTrdvol` | `accTrdVol`.
    AccVolume,
    /// `accTrdval`.
    AccValue,
    /// `lstAskbidTpCd` (stocks) | `lstTrdTpCd` (derivatives).
    Side,
    /// `ordAcptTm` (derivative books).
    BookTime,
    /// `askordTotRqty` (stocks) | `askTotOrdRqty` (derivatives).
    AskTotal,
    /// `bidordTotRqty` | `bidTotOrdRqty`.
    BidTotal,
    /// `askordPrc_1` (tick10 best ask).
    BestAsk,
    /// `bidordPrc_1` (tick10 best bid).
    BestBid,
    /// `askStep{n}BstordPrc`, level index `n - 1`.
    AskPrice(u8),
    /// `askStep{n}BstordRqty`.
    AskQty(u8),
    /// `bidStep{n}BstordPrc`.
    BidPrice(u8),
    /// `bidStep{n}BstordRqty`.
    BidQty(u8),
    /// A protocol key kfeed does not use; the number is its duplicate-detection bit.
    Ignored(u8),
    /// Any other key: skipped, and not checked for duplicates.
    Unknown,
}

/// How the value of a known key is read and where it goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// The instrument code string.
    Code,
    /// The preset name string.
    Preset,
    /// The trade side code.
    Side,
    /// `trdTm`: a time of day or a signal.
    TradeTime,
    /// `ordAcptTm`: a time of day only.
    BookTime,
    /// A non-negative decimal (prices, `accTrdval`).
    Decimal,
    /// A non-negative integer (quantities, totals).
    Integer,
    /// A known key whose value is validated and skipped.
    Skip,
}

/// The bit of the `preset` key.
pub(crate) const PRESET_BIT: u32 = 2;
/// First bit of the per-level keys; each family takes [`LEVELS`] bits.
pub(crate) const ASK_PRICE_BIT: u32 = 14;
const ASK_QTY_BIT: u32 = ASK_PRICE_BIT + LEVELS as u32;
const BID_PRICE_BIT: u32 = ASK_QTY_BIT + LEVELS as u32;
const BID_QTY_BIT: u32 = BID_PRICE_BIT + LEVELS as u32;
/// First bit of the ignored keys (order counts per level, then the named ones).
pub(crate) const IGNORED_BIT: u32 = BID_QTY_BIT + LEVELS as u32;
/// Ignored ids 0..20 are `askStep{n}BstordCnt` / `bidStep{n}BstordCnt`; named ignored keys follow.
const NAMED_IGNORED: u8 = 2 * LEVELS;

impl Key {
    /// This key's bit in a [`KeySet`], or `None` for unknown keys.
    #[inline(always)]
    pub const fn bit(self) -> Option<u32> {
        Some(match self {
            Key::Code => 0,
            Key::Isin => 1,
            Key::Preset => PRESET_BIT,
            Key::TradePrice => 3,
            Key::TradeQty => 4,
            Key::TradeTime => 5,
            Key::AccVolume => 6,
            Key::AccValue => 7,
            Key::Side => 8,
            Key::BookTime => 9,
            Key::AskTotal => 10,
            Key::BidTotal => 11,
            Key::BestAsk => 12,
            Key::BestBid => 13,
            Key::AskPrice(i) => ASK_PRICE_BIT + i as u32,
            Key::AskQty(i) => ASK_QTY_BIT + i as u32,
            Key::BidPrice(i) => BID_PRICE_BIT + i as u32,
            Key::BidQty(i) => BID_QTY_BIT + i as u32,
            Key::Ignored(i) => IGNORED_BIT + i as u32,
            Key::Unknown => return None,
        })
    }
}

impl Key {
    /// How this key's value is read.
    #[inline(always)]
    pub fn kind(self) -> Kind {
        match self {
            Key::Code => Kind::Code,
            Key::Preset => Kind::Preset,
            Key::Side => Kind::Side,
            Key::TradeTime => Kind::TradeTime,
            Key::BookTime => Kind::BookTime,
            Key::TradePrice
            | Key::AccValue
            | Key::BestAsk
            | Key::BestBid
            | Key::AskPrice(_)
            | Key::BidPrice(_) => Kind::Decimal,
            Key::TradeQty
            | Key::AccVolume
            | Key::AskTotal
            | Key::BidTotal
            | Key::AskQty(_)
            | Key::BidQty(_) => Kind::Integer,
            Key::Isin | Key::Ignored(_) | Key::Unknown => Kind::Skip,
        }
    }
}

/// A set of keys seen in one object, one bit per key: a word for the keys that store a value (bits below
/// 64) and one for the rest, so the common checks touch one 64-bit word.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct KeySet {
    low: u64,
    high: u64,
}

impl KeySet {
    /// No keys.
    pub const EMPTY: KeySet = KeySet { low: 0, high: 0 };

    /// Adds the key with `bit`; false when it was already there (a duplicate).
    #[inline(always)]
    pub const fn insert(&mut self, bit: u32) -> bool {
        let fresh = !self.contains(bit);
        if bit < 64 {
            self.low |= 1 << bit;
        } else {
            self.high |= 1 << (bit & 63);
        }
        fresh
    }

    /// True when the key with `bit` is in the set.
    #[inline(always)]
    pub const fn contains(self, bit: u32) -> bool {
        if bit < 64 {
            self.low & (1 << bit) != 0
        } else {
            self.high & (1 << (bit & 63)) != 0
        }
    }

    /// The set of `keys` (every one a key with a bit), built when compiled.
    pub const fn of_keys(keys: &[Key]) -> KeySet {
        let mut set = KeySet::EMPTY;
        let mut i = 0;
        while i < keys.len() {
            let Some(bit) = keys[i].bit() else {
                panic!("a key with a bit");
            };
            set.insert(bit);
            i += 1;
        }
        set
    }

    /// The one-key set of the key with `bit`.
    #[inline(always)]
    pub fn of(bit: u32) -> KeySet {
        let mut set = KeySet::EMPTY;
        set.insert(bit);
        set
    }

    /// True when the sets share a key.
    #[inline(always)]
    pub fn meets(self, other: KeySet) -> bool {
        (self.low & other.low) | (self.high & other.high) != 0
    }

    /// Adds every key of `other`.
    #[inline(always)]
    pub fn add(&mut self, other: KeySet) {
        self.low |= other.low;
        self.high |= other.high;
    }

    /// The set as one 128-bit value.
    #[inline(always)]
    fn bits(self) -> u128 {
        u128::from(self.low) | (u128::from(self.high) << 64)
    }

    /// True when `key` was seen.
    #[inline(always)]
    pub fn has(self, key: Key) -> bool {
        key.bit()
            .is_some_and(|bit| self.bits() & (1u128 << bit) != 0)
    }

    /// The per-level presence mask (bit `n` = level `n + 1`) of the level family whose level-1 key is `first`.
    #[inline(always)]
    pub fn levels(self, first: Key) -> u16 {
        first
            .bit()
            .map_or(0, |bit| ((self.bits() >> bit) as u16) & ((1 << LEVELS) - 1))
    }

    /// True when any book key was seen (levels, totals, best prices, book time).
    #[inline(always)]
    pub fn any_book(self) -> bool {
        let totals_and_best = (1u128 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13);
        let levels = ((1u128 << (4 * u32::from(LEVELS))) - 1) << ASK_PRICE_BIT;
        self.bits() & (totals_and_best | levels) != 0
    }
}

/// Known keys kfeed does not use, in the order of their ignored ids (after the 20 per-level order counts).
const IGNORED_KEYS: [&[u8]; 16] = [
    b"cmpprevddTpCd",
    b"cmpprevddPrc",
    b"opnprc",
    b"hgprc",
    b"lwprc",
    b"pstoffhrAskTotOrdRqty",
    b"pstoffhrBidTotOrdRqty",
    b"deemTrdPrc",
    b"deemTrdvol",
    b"deemAccTrdvol",
    b"askValidOrdCnt",
    b"bidValidOrdCnt",
    b"negoBlkAccTrdvol",
    b"realtmUplmtprc",
    b"realtmLwlmtprc",
    b"mkStatTpCd",
];

/// Up to eight bytes of `text` as a little-endian word, zero-padded.
const fn word(text: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut i = 0;
    while i < text.len() && i < 8 {
        w |= (text[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

/// The `len.min(8)` bytes of `frame` at `at` as a word, zero-padded (as [`word`] would give).
#[inline(always)]
pub(super) fn load(frame: &[u8], at: usize, len: usize) -> u64 {
    let len = len.min(8);
    match frame.get(at..at + 8) {
        Some(c) => {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            if len == 8 {
                w
            } else {
                w & ((1u64 << (8 * len)) - 1)
            }
        }
        None => word(&frame[at..at + len]),
    }
}

/// A key's length and its first 24 bytes as three zero-padded words: equal signatures, equal keys (for keys
/// of up to 24 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Sig(
    pub(super) usize,
    pub(super) u64,
    pub(super) u64,
    pub(super) u64,
);

/// The signature of `text`.
const fn sig(text: &[u8]) -> Sig {
    let (a, rest) = text.split_at(if text.len() < 8 { text.len() } else { 8 });
    let (b, c) = rest.split_at(if rest.len() < 8 { rest.len() } else { 8 });
    Sig(text.len(), word(a), word(b), word(c))
}

/// The field the key at `frame[start..start + len]` fills. Keys are compared a word at a time; escaped keys
/// are never protocol keys and must not come here.
#[inline(always)]
pub(crate) fn lookup(frame: &[u8], start: usize, len: usize) -> Key {
    if len > 24 {
        return Key::Unknown;
    }
    let w0 = load(frame, start, len);
    let w1 = if len > 8 {
        load(frame, start + 8, len - 8)
    } else {
        0
    };
    let w2 = if len > 16 {
        load(frame, start + 16, len - 16)
    } else {
        0
    };
    by_words(frame, start, Sig(len, w0, w1, w2))
}

/// The protocol key starting at `start` (just past its opening quote) when it is spelled exactly as the
/// protocol spells it, and the offset of its closing quote; `None` sends the caller to the general path
/// (unknown, escaped or oddly placed keys). Finds the closing quote and identifies the key from the same
/// word loads.
#[inline(always)]
pub(crate) fn lookup_quoted(frame: &[u8], start: usize) -> Option<(Key, usize)> {
    let word_at = |at: usize| {
        frame
            .get(at..at + 8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
    };
    let below = |w: u64, n: u32| {
        if n == 0 {
            0
        } else {
            w & (u64::MAX >> (64 - 8 * n))
        }
    };
    let w0 = word_at(start)?;
    let q0 = scan_quote(w0);
    let sig = if q0 < 8 {
        Sig(q0 as usize, below(w0, q0), 0, 0)
    } else {
        let w1 = word_at(start + 8)?;
        let q1 = scan_quote(w1);
        if q1 < 8 {
            Sig(8 + q1 as usize, w0, below(w1, q1), 0)
        } else {
            let w2 = word_at(start + 16)?;
            let q2 = scan_quote(w2);
            if q2 == 8 {
                return None;
            }
            Sig(16 + q2 as usize, w0, w1, below(w2, q2))
        }
    };
    let len = sig.0;
    match by_words(frame, start, sig) {
        Key::Unknown => None,
        key => Some((key, start + len)),
    }
}

/// Index of the first `"` byte in `word` (8 when there is none).
#[inline(always)]
fn scan_quote(word: u64) -> u32 {
    let hits = super::scan::bytes_equal(word, b'"');
    if hits == 0 {
        8
    } else {
        hits.trailing_zeros() / 8
    }
}

/// The keys kfeed uses (other than the per-level book keys), in every spelling.
const USED_KEYS: [(&[u8], Key); 19] = [
    (b"isuSrtCd", Key::Code),
    (b"isuCd", Key::Isin),
    (b"preset", Key::Preset),
    (b"trdPrc", Key::TradePrice),
    (b"trdvol", Key::TradeQty),
    (b"trdVol", Key::TradeQty),
    (b"trdTm", Key::TradeTime),
    (b"accTrdvol", Key::AccVolume),
    (b"accTrdVol", Key::AccVolume),
    (b"accTrdval", Key::AccValue),
    (b"lstAskbidTpCd", Key::Side),
    (b"lstTrdTpCd", Key::Side),
    (b"ordAcptTm", Key::BookTime),
    (b"askordTotRqty", Key::AskTotal),
    (b"askTotOrdRqty", Key::AskTotal),
    (b"bidordTotRqty", Key::BidTotal),
    (b"bidTotOrdRqty", Key::BidTotal),
    (b"askordPrc_1", Key::BestAsk),
    (b"bidordPrc_1", Key::BestBid),
];

/// Multiplier of the key hash, chosen (by search) so that every key of [`USED_KEYS`] and [`IGNORED_KEYS`]
/// lands in its own slot of [`KEY_TABLE`]; the table's construction fails to compile otherwise.
const KEY_HASH: u64 = 0xafc3_2e23_5977_31dd;

/// The [`KEY_TABLE`] slot of a signature.
#[inline(always)]
const fn slot(sig: Sig) -> usize {
    let Sig(len, w0, w1, w2) = sig;
    let x = w0 ^ w1.rotate_left(29) ^ w2.rotate_left(47) ^ len as u64;
    (x.wrapping_mul(KEY_HASH) >> 58) as usize
}

/// A perfect hash table of the named protocol keys: the signature in each slot and its field.
const KEY_TABLE: [(Sig, Key); 64] = {
    let mut table = [(Sig(0, 0, 0, 0), Key::Unknown); 64];
    let mut i = 0;
    while i < USED_KEYS.len() + IGNORED_KEYS.len() {
        let (text, key) = if i < USED_KEYS.len() {
            USED_KEYS[i]
        } else {
            let j = i - USED_KEYS.len();
            (IGNORED_KEYS[j], Key::Ignored(NAMED_IGNORED + j as u8))
        };
        let sig = sig(text);
        let at = slot(sig);
        assert!(
            matches!(table[at].1, Key::Unknown),
            "two keys share a slot: pick another KEY_HASH"
        );
        table[at] = (sig, key);
        i += 1;
    }
    table
};

/// The field of the key with signature `signature` starting at `frame[start]`.
#[inline(always)]
fn by_words(frame: &[u8], start: usize, signature: Sig) -> Key {
    let Sig(len, w0, _, _) = signature;
    if (17..=19).contains(&len) && matches!(w0 & 0x00FF_FFFF_FFFF_FFFF, ASK_STEP | BID_STEP) {
        return level(frame, start, len, w0);
    }
    let (known, key) = KEY_TABLE[slot(signature) & 63];
    if known == signature {
        key
    } else {
        Key::Unknown
    }
}

/// The first word of `askStep...` keys (seven bytes).
const ASK_STEP: u64 = word(b"askStep");
/// The first word of `bidStep...` keys (seven bytes).
const BID_STEP: u64 = word(b"bidStep");

/// `askStep{n}Bstord{Prc,Rqty,Cnt}` / `bidStep...` for n = 1..=10, whose first word is `w0`.
#[inline(always)]
fn level(frame: &[u8], start: usize, len: usize, w0: u64) -> Key {
    const BSTORD_PR: u64 = word(b"BstordPr");
    const BSTORD_RQ: u64 = word(b"BstordRq");
    const BSTORD_CN: u64 = word(b"BstordCn");
    let ask = match w0 & 0x00FF_FFFF_FFFF_FFFF {
        ASK_STEP => true,
        BID_STEP => false,
        _ => return Key::Unknown,
    };
    let (n, suffix) = match (frame[start + 7], frame[start + 8]) {
        (b'1', b'0') => (10u8, start + 9),
        (d @ b'1'..=b'9', _) => (d - b'0', start + 8),
        _ => return Key::Unknown,
    };
    let i = n - 1;
    let rest = start + len - suffix;
    match (load(frame, suffix, 8), &frame[suffix + 8..start + len], ask) {
        (BSTORD_PR, b"c", true) if rest == 9 => Key::AskPrice(i),
        (BSTORD_RQ, b"ty", true) if rest == 10 => Key::AskQty(i),
        (BSTORD_PR, b"c", false) if rest == 9 => Key::BidPrice(i),
        (BSTORD_RQ, b"ty", false) if rest == 10 => Key::BidQty(i),
        (BSTORD_CN, b"t", true) if rest == 9 => Key::Ignored(i),
        (BSTORD_CN, b"t", false) if rest == 9 => Key::Ignored(LEVELS + i),
        _ => Key::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Looks `key` up as it would sit in a frame, followed by its closing quote and a colon.
    fn find(key: &[u8]) -> Key {
        let mut frame = key.to_vec();
        frame.extend_from_slice(b"\":1}");
        let by_frame = lookup(&frame, 0, key.len());
        let expected = (by_frame != Key::Unknown).then_some((by_frame, key.len()));
        let quoted = lookup_quoted(&frame, 0);
        assert!(
            quoted.is_none() || quoted == expected,
            "the fused path never disagrees"
        );
        let mut padded = frame.clone();
        padded.extend_from_slice(&[b' '; 24]);
        assert_eq!(
            lookup_quoted(&padded, 0),
            expected,
            "with room to read ahead"
        );
        assert_eq!(
            lookup(key, 0, key.len()),
            by_frame,
            "at the end of a frame too"
        );
        by_frame
    }

    #[test]
    fn spelling_variants_share_a_field() {
        assert_eq!(find(b"trdvol"), find(b"trdVol"));
        assert_eq!(find(b"lstAskbidTpCd"), find(b"lstTrdTpCd"));
        assert_eq!(find(b"askordTotRqty"), find(b"askTotOrdRqty"));
        assert_eq!(find(b"bidordTotRqty"), Key::BidTotal);
        assert_eq!(find(b"accTrdVol"), Key::AccVolume);
    }

    #[test]
    fn ignored_keys_have_their_ids() {
        for (i, k) in IGNORED_KEYS.iter().enumerate() {
            assert_eq!(
                find(k),
                Key::Ignored(NAMED_IGNORED + i as u8),
                "{}",
                String::from_utf8_lossy(k)
            );
        }
        assert_eq!(find(b"pstoffhrAskTotOrdRqtx"), Key::Unknown);
        assert_eq!(find(b"trdPrcX"), Key::Unknown);
        assert_eq!(find(b"trdPr"), Key::Unknown);
        assert_eq!(find(b""), Key::Unknown);
        assert_eq!(find(&[b'a'; 40]), Key::Unknown);
    }

    #[test]
    fn level_keys() {
        assert_eq!(find(b"askStep1BstordPrc"), Key::AskPrice(0));
        assert_eq!(find(b"askStep10BstordRqty"), Key::AskQty(9));
        assert_eq!(find(b"bidStep5BstordPrc"), Key::BidPrice(4));
        assert_eq!(find(b"bidStep10BstordRqty"), Key::BidQty(9));
        assert_eq!(find(b"bidStep3BstordCnt"), Key::Ignored(12));
        assert_eq!(find(b"askStep11BstordPrc"), Key::Unknown);
        assert_eq!(find(b"askStep0BstordPrc"), Key::Unknown);
        assert_eq!(find(b"askStep1BstordXyz"), Key::Unknown);
    }

    #[test]
    fn every_key_has_its_own_bit() {
        let mut keys = vec![
            Key::Code,
            Key::Isin,
            Key::Preset,
            Key::TradePrice,
            Key::TradeQty,
            Key::TradeTime,
            Key::AccVolume,
            Key::AccValue,
            Key::Side,
            Key::BookTime,
            Key::AskTotal,
            Key::BidTotal,
            Key::BestAsk,
            Key::BestBid,
        ];
        for i in 0..LEVELS {
            keys.extend([
                Key::AskPrice(i),
                Key::AskQty(i),
                Key::BidPrice(i),
                Key::BidQty(i),
            ]);
        }
        for k in IGNORED_KEYS
            .iter()
            .chain([b"askStep1BstordCnt".as_slice()].iter())
        {
            keys.push(find(k));
        }
        for i in 0..2 * LEVELS {
            keys.push(Key::Ignored(i));
        }
        keys.sort_by_key(|k| k.bit());
        keys.dedup();
        let mut set = KeySet::default();
        for k in keys {
            let bit = k.bit().unwrap();
            assert!(bit < 128);
            assert!(set.insert(bit), "{k:?}");
            assert!(!set.insert(bit));
        }
        assert_eq!(Key::Unknown.bit(), None);
        assert_eq!(find(b"whatever"), Key::Unknown);
    }
}
