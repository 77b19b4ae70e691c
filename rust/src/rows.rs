//! `#[repr(C)]` rows written by the feed; the numpy dtypes are generated from the field tables here.
//!
//! Each row type has one [`RowSpec`] built with `offset_of!`, so the numpy dtype (names, formats, offsets and
//! itemsize) comes from the Rust layout itself and is never typed twice.

use core::mem::{offset_of, size_of};

use crate::wire::MAX_LEVELS;

/// Trade flag: a gap in the symbol's cumulative volume was detected just before this trade.
pub const TRADE_GAP: u8 = 1;
/// Trade flag: an index print, not a trade of an instrument.
pub const TRADE_INDEX: u8 = 2;
/// Trade flag: the frame carried no per-print quantity, `qty` is 0.
pub const TRADE_NO_QTY: u8 = 4;

/// Bar flag: a gap in the feed was detected inside the bar, so it may miss trades.
pub const BAR_GAP: u8 = 1;
/// Bar flag: the bar was replaced or repaired from REST (`intraday`).
pub const BAR_BACKFILLED: u8 = 2;

/// One trade or index print, as kept in the trades ring.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct TradeRow {
    /// Ring write sequence (0 for the first row ever written).
    pub seq: u64,
    /// Exchange time, ns since the Unix epoch (trading date + `HHMMSSmm` in KST).
    pub time: i64,
    /// Receive time at ingest, ns since the Unix epoch.
    pub recv_time: i64,
    /// Dense symbol id.
    pub symbol: u32,
    /// Trade price.
    pub price: f64,
    /// Traded quantity (0 when absent, see [`TRADE_NO_QTY`]).
    pub qty: i64,
    /// +1 buy-initiated, -1 sell-initiated, 0 unknown.
    pub side: i8,
    /// [`TRADE_GAP`] | [`TRADE_INDEX`] | [`TRADE_NO_QTY`].
    pub flags: u8,
}

/// The book fields shared by quote rows and book rows: prices, quantities and totals, level 1 first.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct BookLevels {
    /// Ask prices (0 = empty level).
    pub ask_price: [f64; MAX_LEVELS],
    /// Ask quantities.
    pub ask_qty: [i64; MAX_LEVELS],
    /// Bid prices (0 = empty level).
    pub bid_price: [f64; MAX_LEVELS],
    /// Bid quantities.
    pub bid_qty: [i64; MAX_LEVELS],
    /// Total ask quantity over all levels, as the exchange sent it (0 until sent).
    pub ask_total: i64,
    /// Total bid quantity over all levels, as the exchange sent it (0 until sent).
    pub bid_total: i64,
    /// Book depth of the instrument: 10 for stocks and indices, 5 for derivatives.
    pub levels: u8,
}

/// One book update, as kept in the quotes ring: the whole book after the update.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct QuoteRow {
    /// Ring write sequence.
    pub seq: u64,
    /// Exchange time, ns since the Unix epoch (the frame's own, else the feed's latest exchange time).
    pub time: i64,
    /// Receive time at ingest, ns since the Unix epoch.
    pub recv_time: i64,
    /// Dense symbol id.
    pub symbol: u32,
    /// The book after the update.
    pub book: BookLevels,
}

/// The current book of one symbol, kept in place (one row per symbol id).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct BookRow {
    /// Exchange time of the last update, ns since the Unix epoch (0 = never updated).
    pub time: i64,
    /// Dense symbol id (equal to the row index).
    pub symbol: u32,
    /// The book.
    pub book: BookLevels,
    /// Number of updates applied.
    pub updates: u64,
}

/// One OHLCV bar of one symbol.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct BarRow {
    /// Dense symbol id.
    pub symbol: u32,
    /// Bar start, ns since the Unix epoch (inclusive).
    pub start: i64,
    /// Bar end, ns since the Unix epoch (exclusive).
    pub end: i64,
    /// First trade price.
    pub open: f64,
    /// Highest trade price.
    pub high: f64,
    /// Lowest trade price.
    pub low: f64,
    /// Last trade price.
    pub close: f64,
    /// Sum of traded quantities.
    pub volume: i64,
    /// Sum of price × quantity.
    pub value: f64,
    /// Number of trades (0 = no open bar in a `current` row).
    pub trades: u32,
    /// [`BAR_GAP`] | [`BAR_BACKFILLED`].
    pub flags: u8,
}

/// One field of a row: its name, numpy scalar type, element count (1 = scalar) and byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Field name in the numpy dtype.
    pub name: &'static str,
    /// numpy scalar type string, little-endian (`"<u8"`, `"<f8"`, `"i1"`, ...).
    pub kind: &'static str,
    /// Number of elements: 1 for a scalar, the array length otherwise.
    pub count: usize,
    /// Byte offset within the row.
    pub offset: usize,
}

/// The layout of a row type, from which its numpy dtype is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowSpec {
    /// Row size in bytes (the dtype's itemsize).
    pub size: usize,
    /// Fields in dtype order.
    pub fields: &'static [FieldSpec],
}

const fn scalar(name: &'static str, kind: &'static str, offset: usize) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        count: 1,
        offset,
    }
}

const fn levels(name: &'static str, kind: &'static str, offset: usize) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        count: MAX_LEVELS,
        offset,
    }
}

/// The book fields at `base` (the offset of a [`BookLevels`] inside its row), in dtype order.
const fn book_fields(base: usize) -> [FieldSpec; 7] {
    [
        levels("ask_price", "<f8", base + offset_of!(BookLevels, ask_price)),
        levels("ask_qty", "<i8", base + offset_of!(BookLevels, ask_qty)),
        levels("bid_price", "<f8", base + offset_of!(BookLevels, bid_price)),
        levels("bid_qty", "<i8", base + offset_of!(BookLevels, bid_qty)),
        scalar("ask_total", "<i8", base + offset_of!(BookLevels, ask_total)),
        scalar("bid_total", "<i8", base + offset_of!(BookLevels, bid_total)),
        scalar("levels", "u1", base + offset_of!(BookLevels, levels)),
    ]
}

const QUOTE_BOOK: [FieldSpec; 7] = book_fields(offset_of!(QuoteRow, book));
const BOOK_BOOK: [FieldSpec; 7] = book_fields(offset_of!(BookRow, book));

/// Layout of [`TradeRow`].
pub const TRADE_SPEC: RowSpec = RowSpec {
    size: size_of::<TradeRow>(),
    fields: &[
        scalar("seq", "<u8", offset_of!(TradeRow, seq)),
        scalar("time", "<i8", offset_of!(TradeRow, time)),
        scalar("recv_time", "<i8", offset_of!(TradeRow, recv_time)),
        scalar("symbol", "<u4", offset_of!(TradeRow, symbol)),
        scalar("price", "<f8", offset_of!(TradeRow, price)),
        scalar("qty", "<i8", offset_of!(TradeRow, qty)),
        scalar("side", "i1", offset_of!(TradeRow, side)),
        scalar("flags", "u1", offset_of!(TradeRow, flags)),
    ],
};

/// Layout of [`QuoteRow`].
pub const QUOTE_SPEC: RowSpec = RowSpec {
    size: size_of::<QuoteRow>(),
    fields: &[
        scalar("seq", "<u8", offset_of!(QuoteRow, seq)),
        scalar("time", "<i8", offset_of!(QuoteRow, time)),
        scalar("recv_time", "<i8", offset_of!(QuoteRow, recv_time)),
        scalar("symbol", "<u4", offset_of!(QuoteRow, symbol)),
        QUOTE_BOOK[0],
        QUOTE_BOOK[1],
        QUOTE_BOOK[2],
        QUOTE_BOOK[3],
        QUOTE_BOOK[4],
        QUOTE_BOOK[5],
        QUOTE_BOOK[6],
    ],
};

/// Layout of [`BookRow`].
pub const BOOK_SPEC: RowSpec = RowSpec {
    size: size_of::<BookRow>(),
    fields: &[
        scalar("time", "<i8", offset_of!(BookRow, time)),
        scalar("symbol", "<u4", offset_of!(BookRow, symbol)),
        BOOK_BOOK[0],
        BOOK_BOOK[1],
        BOOK_BOOK[2],
        BOOK_BOOK[3],
        BOOK_BOOK[4],
        BOOK_BOOK[5],
        BOOK_BOOK[6],
        scalar("updates", "<u8", offset_of!(BookRow, updates)),
    ],
};

/// Layout of [`BarRow`].
pub const BAR_SPEC: RowSpec = RowSpec {
    size: size_of::<BarRow>(),
    fields: &[
        scalar("symbol", "<u4", offset_of!(BarRow, symbol)),
        scalar("start", "<i8", offset_of!(BarRow, start)),
        scalar("end", "<i8", offset_of!(BarRow, end)),
        scalar("open", "<f8", offset_of!(BarRow, open)),
        scalar("high", "<f8", offset_of!(BarRow, high)),
        scalar("low", "<f8", offset_of!(BarRow, low)),
        scalar("close", "<f8", offset_of!(BarRow, close)),
        scalar("volume", "<i8", offset_of!(BarRow, volume)),
        scalar("value", "<f8", offset_of!(BarRow, value)),
        scalar("trades", "<u4", offset_of!(BarRow, trades)),
        scalar("flags", "u1", offset_of!(BarRow, flags)),
    ],
};

/// Size in bytes of one element of a numpy scalar type string used in the specs.
pub fn kind_size(kind: &str) -> usize {
    match kind.trim_start_matches('<') {
        "u8" | "i8" | "f8" => 8,
        "u4" | "i4" => 4,
        "u2" | "i2" => 2,
        _ => 1,
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values are the point: prices are copied, not computed"
)]
mod tests {
    use super::*;

    fn assert_spec_is_sound(spec: &RowSpec) {
        let mut covered = vec![false; spec.size];
        for f in spec.fields {
            let width = kind_size(f.kind) * f.count;
            assert!(f.offset + width <= spec.size, "{} out of bounds", f.name);
            assert_eq!(f.offset % kind_size(f.kind), 0, "{} misaligned", f.name);
            for b in &mut covered[f.offset..f.offset + width] {
                assert!(!*b, "{} overlaps another field", f.name);
                *b = true;
            }
        }
    }

    #[test]
    fn trade_row_layout() {
        assert_eq!(size_of::<TradeRow>(), 56);
        assert_eq!(offset_of!(TradeRow, seq), 0);
        assert_eq!(offset_of!(TradeRow, symbol), 24);
        assert_eq!(offset_of!(TradeRow, price), 32);
        assert_eq!(offset_of!(TradeRow, side), 48);
        assert_eq!(offset_of!(TradeRow, flags), 49);
        assert_spec_is_sound(&TRADE_SPEC);
    }

    #[test]
    fn quote_row_layout() {
        assert_eq!(size_of::<BookLevels>(), 376 - 32);
        assert_eq!(size_of::<QuoteRow>(), 376);
        assert_eq!(offset_of!(QuoteRow, book), 32);
        assert_eq!(QUOTE_SPEC.fields[4].offset, 32);
        assert_eq!(QUOTE_SPEC.fields[10].name, "levels");
        assert_eq!(QUOTE_SPEC.fields[10].offset, 32 + 8 * 42);
        assert_spec_is_sound(&QUOTE_SPEC);
    }

    #[test]
    fn book_row_layout() {
        assert_eq!(offset_of!(BookRow, book), 16);
        assert_eq!(size_of::<BookRow>(), 16 + 344 + 8);
        assert_spec_is_sound(&BOOK_SPEC);
    }

    #[test]
    fn bar_row_layout() {
        assert_eq!(size_of::<BarRow>(), 80);
        assert_eq!(offset_of!(BarRow, start), 8);
        assert_eq!(offset_of!(BarRow, trades), 72);
        assert_eq!(offset_of!(BarRow, flags), 76);
        assert_spec_is_sound(&BAR_SPEC);
    }

    #[test]
    fn field_names_are_unique() {
        for spec in [TRADE_SPEC, QUOTE_SPEC, BOOK_SPEC, BAR_SPEC] {
            let mut names: Vec<_> = spec.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), spec.fields.len());
        }
    }
}
