//! Push presets: turns the [`Fields`] of one `params` object (or REST record) into the trades, book update and
//! signals its preset means, checking what each preset requires.
//!
//! | preset | required | emits |
//! |---|---|---|
//! | tick | code, trdTm; trdPrc and trdvol unless a signal | a trade, or a signal |
//! | quote, quote10 | code, at least one book field | a book update (`ordAcptTm` as its time) |
//! | tick10, change | code | a trade when trdPrc, trdvol and trdTm are all there; a book update when any book field is |
//! | index | code, trdTm; trdPrc unless a signal | an index print (qty absent unless trdvol is sent), or a signal |
//! | `/ws_ksp` element | code, trdTm; trdPrc and trdVol unless a signal | a trade, or a signal |
//!
//! A `trdTm` of 0 means "no trade yet today" (vendor) and emits no trade. A `trdTm` of 24000000 or more is a
//! market-operation signal: it emits a [`Signal`] instead of a trade. A trade price must be above zero.

use super::fields::Fields;
use super::keys::{Key, KeySet};
use super::msg::{BookUpdate, Parsed, Signal, Source, Trade, MAX_LEVELS};
use super::number::SIGNAL_MIN;
use crate::error::Reject;

/// Emits what the fields of one object mean as a push of `source`.
///
/// # Errors
/// `MissingField` when the preset's required fields are absent, `BadNumber` for a zero trade price.
#[inline]
pub(crate) fn emit(source: Source, f: &Fields, out: &mut Parsed) -> Result<(), Reject> {
    if !f.seen.has(Key::Code) {
        return Err(Reject::MissingField);
    }
    match source {
        Source::Tick | Source::Index | Source::MarketTrades => trade(source, f.seen, f, out, true),
        Source::Quote | Source::Quote10 => {
            if !f.seen.any_book() {
                return Err(Reject::MissingField);
            }
            out.books.push(book(source, f));
            Ok(())
        }
        Source::Tick10 | Source::Change => {
            trade(source, f.seen, f, out, false)?;
            if f.seen.any_book() {
                out.books.push(book(source, f));
            }
            Ok(())
        }
    }
}

/// The keys of a `/ws_ksp` element: code, price, quantity and time.
pub(crate) const MARKET_TRADE_KEYS: KeySet =
    KeySet::of_keys(&[Key::Code, Key::TradePrice, Key::TradeQty, Key::TradeTime]);

/// The keys of a stock's tick push: its preset, then code, price, quantity, time and the day's volume and value.
pub(crate) const TICK_KEYS: KeySet = KeySet::of_keys(&[
    Key::Preset,
    Key::Code,
    Key::TradePrice,
    Key::TradeQty,
    Key::TradeTime,
    Key::AccVolume,
    Key::AccValue,
]);

/// [`emit`] for a source that carries only trades (tick, index, `/ws_ksp` elements), small enough to inline
/// into the element loop. `usual` is the key set most of the caller's objects have: it is tested first, and for
/// an object that has it the presence tests fold away when compiled.
///
/// # Errors
/// As [`emit`].
#[inline(always)]
pub(crate) fn emit_trade(
    source: Source,
    f: &Fields,
    out: &mut Parsed,
    usual: KeySet,
) -> Result<(), Reject> {
    debug_assert!(matches!(
        source,
        Source::Tick | Source::Index | Source::MarketTrades
    ));
    if f.seen == usual && usual.has(Key::Code) {
        return trade(source, usual, f, out, true);
    }
    if !f.seen.has(Key::Code) {
        return Err(Reject::MissingField);
    }
    trade(source, f.seen, f, out, true)
}

/// Emits the trade or signal the trade fields describe. With `required`, missing fields are an error;
/// without, an incomplete trade is simply not there.
#[inline(always)]
fn trade(
    source: Source,
    seen: KeySet,
    f: &Fields,
    out: &mut Parsed,
    required: bool,
) -> Result<(), Reject> {
    let missing = || {
        if required {
            Err(Reject::MissingField)
        } else {
            Ok(())
        }
    };
    if !seen.has(Key::TradeTime) {
        return missing();
    }
    let time = f.integer(Key::TradeTime) as u32;
    if time >= SIGNAL_MIN {
        out.signals.push(Signal {
            code: f.code,
            source,
            value: time,
        });
        return Ok(());
    }
    let needs_qty = source != Source::Index;
    if !seen.has(Key::TradePrice) || (needs_qty && !seen.has(Key::TradeQty)) {
        return missing();
    }
    if time == 0 {
        return Ok(());
    }
    let price = f.decimal(Key::TradePrice);
    if price <= 0.0 {
        return Err(Reject::BadNumber);
    }
    out.trades.push(Trade {
        code: f.code,
        source,
        time,
        price,
        qty: f.integer_or_absent(Key::TradeQty),
        acc_volume: f.integer_or_absent(Key::AccVolume),
        acc_value: f.decimal_or_nan(Key::AccValue),
        side: if seen.has(Key::Side) { f.side } else { 0 },
    });
    Ok(())
}

/// Copies the levels whose bit is set in `mask` (unset levels stay zero).
#[inline(always)]
fn copy_levels<T: Copy + Default>(mask: u16, from: &[T; MAX_LEVELS]) -> [T; MAX_LEVELS] {
    if mask == (1 << MAX_LEVELS) - 1 {
        return *from;
    }
    let mut to = [T::default(); MAX_LEVELS];
    for (i, (dst, src)) in to.iter_mut().zip(from).enumerate() {
        if mask & (1 << i) != 0 {
            *dst = *src;
        }
    }
    to
}

/// The book update the book fields describe. `askordPrc_1`/`bidordPrc_1` fill level 1 unless the level-1
/// book key itself was sent.
#[inline(always)]
fn book(source: Source, f: &Fields) -> BookUpdate {
    let seen = f.seen;
    let mut ask_price_mask = seen.levels(Key::AskPrice(0));
    let mut bid_price_mask = seen.levels(Key::BidPrice(0));
    let ask_qty_mask = seen.levels(Key::AskQty(0));
    let bid_qty_mask = seen.levels(Key::BidQty(0));
    let mut ask_price = copy_levels(ask_price_mask, f.decimal_levels(Key::AskPrice(0)));
    let mut bid_price = copy_levels(bid_price_mask, f.decimal_levels(Key::BidPrice(0)));
    if seen.has(Key::BestAsk) && ask_price_mask & 1 == 0 {
        ask_price[0] = f.decimal(Key::BestAsk);
        ask_price_mask |= 1;
    }
    if seen.has(Key::BestBid) && bid_price_mask & 1 == 0 {
        bid_price[0] = f.decimal(Key::BestBid);
        bid_price_mask |= 1;
    }
    BookUpdate {
        code: f.code,
        source,
        ask_price,
        ask_qty: copy_levels(ask_qty_mask, f.integer_levels(Key::AskQty(0))),
        bid_price,
        bid_qty: copy_levels(bid_qty_mask, f.integer_levels(Key::BidQty(0))),
        ask_price_mask,
        ask_qty_mask,
        bid_price_mask,
        bid_qty_mask,
        ask_total: f.integer_or_absent(Key::AskTotal),
        bid_total: f.integer_or_absent(Key::BidTotal),
        acc_volume: f.integer_or_absent(Key::AccVolume),
        time: if seen.has(Key::BookTime) {
            f.integer(Key::BookTime) as u32
        } else {
            0
        },
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "parsed values must be exactly the f64 of their text"
)]
mod tests {
    use crate::error::Reject;
    use crate::wire::corpus::{
        quote10_futures, quote10_stock, CHANGE, INDEX, PRICE_RECORD, QUOTE, QUOTE_FUTURES, TICK,
        TICK_FUTURES, WS_KSP,
    };
    use crate::wire::fields::Fields;
    use crate::wire::key_order::KeyOrder;
    use crate::wire::scan::Scanner;
    use crate::wire::{parse_frame, parse_record, Parsed, Source, ABSENT, MAX_FRAME_LEN};

    fn parse(frame: &str) -> Parsed {
        let mut out = Parsed::new();
        parse_frame(frame.as_bytes(), &mut out).unwrap();
        out
    }

    fn reject(frame: &str) -> Reject {
        let mut out = Parsed::new();
        let err = parse_frame(frame.as_bytes(), &mut out).unwrap_err();
        assert!(out.is_empty(), "a rejected frame leaves nothing to apply");
        err
    }

    fn push(params: &str) -> String {
        format!(r#"{{"jsonrpc":"2.0","method":"push","params":{{{params}}}}}"#)
    }

    #[test]
    fn the_usual_key_sets_are_those_of_the_vendor_examples() {
        // A usual set that no real object has would leave every trade on the slower path, unnoticed.
        let keys = |object: &str| {
            let mut fields = Fields::default();
            let mut s = Scanner::new(object.as_bytes());
            fields
                .scan_object(&mut s, 0, &mut KeyOrder::default())
                .unwrap();
            fields.seen
        };
        let params = TICK.split_once(r#""params":"#).unwrap().1;
        assert_eq!(keys(&params[..params.len() - 1]), super::TICK_KEYS);
        let element = format!("{}}}", WS_KSP[1..].split_once("},").unwrap().0);
        assert_eq!(keys(&element), super::MARKET_TRADE_KEYS);
    }

    #[test]
    fn vendor_tick() {
        let out = parse(TICK);
        assert_eq!(out.trades.len(), 1);
        assert!(out.books.is_empty() && out.signals.is_empty() && out.replies.is_empty());
        let t = out.trades[0];
        assert_eq!(t.code.as_bytes(), b"005930");
        assert_eq!(t.source, Source::Tick);
        assert_eq!(
            (t.price, t.qty, t.time, t.side),
            (2_465_000.0, 2, 14_412_000, 0)
        );
        assert_eq!((t.acc_volume, t.acc_value), (251_916, 627_899_637_000.0));
    }

    #[test]
    fn futures_tick_has_decimal_price_and_no_value() {
        let t = parse(TICK_FUTURES).trades[0];
        assert_eq!(t.code.as_bytes(), b"101N6000");
        assert_eq!(t.price.to_bits(), 308.7f64.to_bits());
        assert_eq!((t.qty, t.acc_volume, t.time), (3, 120_455, 10_153_512));
        assert!(t.acc_value.is_nan());
    }

    #[test]
    fn vendor_quote() {
        let out = parse(QUOTE);
        assert!(out.trades.is_empty());
        let b = out.books[0];
        assert_eq!((b.source, b.time), (Source::Quote, 0));
        assert_eq!(
            (b.ask_price[0], b.ask_qty[0], b.bid_price[0], b.bid_qty[0]),
            (2_465_000.0, 144, 2_464_000.0, 298)
        );
        assert_eq!(
            (
                b.ask_price_mask,
                b.ask_qty_mask,
                b.bid_price_mask,
                b.bid_qty_mask
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            (b.ask_total, b.bid_total, b.acc_volume),
            (ABSENT, ABSENT, ABSENT)
        );
        assert_eq!(b.ask_price[1], 0.0);
    }

    #[test]
    fn futures_quote_carries_order_time() {
        let b = parse(QUOTE_FUTURES).books[0];
        assert_eq!(
            (b.ask_price[0], b.ask_qty[0], b.bid_price[0], b.bid_qty[0]),
            (308.75, 13, 308.7, 17)
        );
        assert_eq!(b.time, 10_153_512);
    }

    #[test]
    fn tick10_and_price_record() {
        let frame = push(&PRICE_RECORD[1..PRICE_RECORD.len() - 1].replacen(
            r#""isuSrtCd""#,
            r#""preset":"tick10","isuSrtCd""#,
            1,
        ));
        let mut from_record = Parsed::new();
        parse_record(Source::Tick10, PRICE_RECORD.as_bytes(), &mut from_record).unwrap();
        for out in [parse(&frame), from_record] {
            let t = out.trades[0];
            assert_eq!(t.source, Source::Tick10);
            assert_eq!(
                (t.price, t.qty, t.time, t.side),
                (38_600.0, 76, 9_544_500, -1)
            );
            assert_eq!((t.acc_volume, t.acc_value), (2_829_006, 108_981_501_200.0));
            let b = out.books[0];
            assert_eq!((b.ask_price[0], b.bid_price[0]), (38_650.0, 38_600.0));
            assert_eq!(
                (
                    b.ask_price_mask,
                    b.bid_price_mask,
                    b.ask_qty_mask,
                    b.bid_qty_mask
                ),
                (1, 1, 0, 0)
            );
            assert_eq!(b.acc_volume, 2_829_006);
        }
    }

    #[test]
    fn quote10_stock_has_ten_levels_and_totals() {
        let b = parse(&quote10_stock()).books[0];
        assert_eq!(b.source, Source::Quote10);
        for i in 0..10 {
            let n = i as i64 + 1;
            assert_eq!(b.ask_price[i], (53_000 + 100 * n) as f64);
            assert_eq!(b.bid_price[i], (53_100 - 100 * n) as f64);
            assert_eq!((b.ask_qty[i], b.bid_qty[i]), (1000 + n, 2000 + n));
        }
        assert_eq!(
            (
                b.ask_price_mask,
                b.ask_qty_mask,
                b.bid_price_mask,
                b.bid_qty_mask
            ),
            (0x3ff, 0x3ff, 0x3ff, 0x3ff)
        );
        assert_eq!(
            (b.ask_total, b.bid_total, b.acc_volume, b.time),
            (152_340, 231_877, 2_829_006, 0)
        );
    }

    #[test]
    fn quote10_futures_has_five_levels() {
        let b = parse(&quote10_futures()).books[0];
        for i in 0..5 {
            let n = i + 1;
            assert_eq!(b.ask_price[i], format!("308.7{n}").parse::<f64>().unwrap());
            assert_eq!(b.bid_price[i], format!("308.{n}").parse::<f64>().unwrap());
            assert_eq!((b.ask_qty[i], b.bid_qty[i]), (10 + n as i64, 20 + n as i64));
        }
        assert_eq!(
            (
                b.ask_price_mask,
                b.ask_qty_mask,
                b.bid_price_mask,
                b.bid_qty_mask
            ),
            (0x1f, 0x1f, 0x1f, 0x1f)
        );
        assert_eq!((b.ask_total, b.bid_total, b.time), (4210, 3987, 10_153_512));
        assert_eq!(b.ask_price[5], 0.0);
    }

    #[test]
    fn index_print_has_no_quantity() {
        let out = parse(INDEX);
        let t = out.trades[0];
        assert_eq!(
            (t.source, t.qty, t.time),
            (Source::Index, ABSENT, 10_153_500)
        );
        assert_eq!(t.code.as_bytes(), b"K1");
        assert_eq!(t.price.to_bits(), 2409.03f64.to_bits());
        assert_eq!((t.acc_volume, t.acc_value), (183_512, 4_512_876.0));
        let record = r#"{"isuSrtCd":"K1","isuCnt":"950","trdPrc":"2409.03","trdvol":12,"trdTm":"10153500","mktcap":1}"#;
        let mut out = Parsed::new();
        parse_record(Source::Index, record.as_bytes(), &mut out).unwrap();
        assert_eq!(out.trades[0].qty, 12);
    }

    #[test]
    fn change_push_without_preset() {
        let out = parse(CHANGE);
        let t = out.trades[0];
        assert_eq!(
            (t.source, t.price, t.qty, t.acc_volume),
            (Source::Change, 53_100.0, 12, 4_512_876)
        );
        let b = out.books[0];
        assert_eq!(
            (
                b.source,
                b.ask_price[0],
                b.ask_qty[0],
                b.ask_price_mask,
                b.bid_price_mask
            ),
            (Source::Change, 53_200.0, 1520, 1, 0)
        );
        // Only a price change: a partial trade is no trade, and nothing else changed.
        let out = parse(&push(
            r#""isuCd":"KR7005930003","isuSrtCd":"005930","trdPrc":53100,"cmpprevddPrc":100"#,
        ));
        assert!(out.is_empty());
        // Only book levels.
        let out = parse(&push(
            r#""isuSrtCd":"005930","bidStep3BstordRqty":7,"preset":"change""#,
        ));
        assert_eq!(
            (out.books[0].bid_qty[2], out.books[0].bid_qty_mask),
            (7, 0b100)
        );
        assert!(out.trades.is_empty());
    }

    #[test]
    fn signals_replace_trades() {
        let out = parse(&push(
            r#""preset":"tick","isuSrtCd":"005930","trdPrc":0,"trdvol":0,"trdTm":31000000"#,
        ));
        assert!(out.trades.is_empty());
        assert_eq!(
            (out.signals[0].value, out.signals[0].source),
            (31_000_000, Source::Tick)
        );
        assert_eq!(out.signals[0].code.as_bytes(), b"005930");
        let out = parse(&push(
            r#""preset":"tick10","isuSrtCd":"005930","trdTm":"81000000","askordPrc_1":100"#,
        ));
        assert_eq!(
            (out.signals.len(), out.books.len(), out.trades.len()),
            (1, 1, 0)
        );
        let out = parse(&push(
            r#""preset":"index","isuSrtCd":"K1","trdTm":41000000"#,
        ));
        assert_eq!(out.signals[0].value, 41_000_000);
    }

    #[test]
    fn time_zero_is_no_trade_yet() {
        let out = parse(&push(
            r#""preset":"tick10","isuSrtCd":"005930","trdPrc":53000,"trdvol":0,"trdTm":0,"askordPrc_1":53100"#,
        ));
        assert!(out.trades.is_empty());
        assert_eq!(out.books.len(), 1);
    }

    #[test]
    fn keys_in_any_order_with_whitespace_and_unknown_keys() {
        let frame = " {\n \"params\" : { \"trdTm\" : \"14412000\" , \"extra\" : [ {\"a\" : null} ] , \"trdvol\" : \"2\" , \"isuSrtCd\" : \"005930*001\" , \"trdPrc\" : \"2465000\" , \"preset\" : \"tick\" } , \"method\" : \"push\" , \"jsonrpc\" : \"2.0\" } \r\n";
        let t = parse(frame).trades[0];
        assert_eq!((t.price, t.qty, t.time), (2_465_000.0, 2, 14_412_000));
        assert_eq!(t.code.as_bytes(), b"005930");
    }

    #[test]
    fn vendor_leading_zero_time_is_accepted() {
        // The vendor's own example writes `"trdTm":09450155`, which strict JSON forbids.
        let t = parse(&TICK.replace("14412000", "09450155")).trades[0];
        assert_eq!(t.time, 9_450_155);
    }

    #[test]
    fn reordered_and_respelled_keys_after_learning() {
        let mut out = Parsed::new();
        let frames = [
            TICK.to_owned(),
            push(
                r#""trdTm":9000000,"trdVol":"7","isuSrtCd":"000660","trdPrc":"120000","preset":"tick""#,
            ),
            TICK.replace("\"trdvol\":2", "\"trdvoX\":5,\"trdvol\":3"),
            TICK.to_owned(),
        ];
        let expected = [
            (2_465_000.0, 2, 14_412_000),
            (120_000.0, 7, 9_000_000),
            (2_465_000.0, 3, 14_412_000),
            (2_465_000.0, 2, 14_412_000),
        ];
        for (frame, want) in frames.iter().zip(expected) {
            parse_frame(frame.as_bytes(), &mut out).unwrap();
            let t = out.trades[0];
            assert_eq!((t.price, t.qty, t.time), want, "{frame}");
        }
        let dup = TICK.replace("\"trdvol\":2", "\"trdvol\":2,\"trdvol\":2");
        assert_eq!(
            parse_frame(dup.as_bytes(), &mut out),
            Err(Reject::DuplicateKey)
        );
    }

    #[test]
    fn every_reject_reason() {
        let deep = format!(
            r#"{{"jsonrpc":"2.0","method":"push","params":{{"x":{}1{}}}}}"#,
            "[".repeat(20),
            "]".repeat(20)
        );
        let cases = [
            (TICK[..TICK.len() - 1].to_owned(), Reject::Malformed),
            (TICK.replace("2465000", "24650 00"), Reject::Malformed),
            (deep, Reject::TooDeep),
            (
                push(
                    r#""preset":"tick","isuSrtCd":"005930","trdPrc":true,"trdvol":2,"trdTm":14412000"#,
                ),
                Reject::WrongType,
            ),
            (push(r#""preset":7"#), Reject::WrongType),
            (
                r#"{"jsonrpc":"2.0","method":"push","params":[1]}"#.to_owned(),
                Reject::WrongType,
            ),
            (TICK.replace("2465000", "\"NaN\""), Reject::BadNumber),
            (TICK.replace("2465000", "1e309"), Reject::BadNumber),
            (TICK.replace("trdvol\":2", "trdvol\":-2"), Reject::BadNumber),
            (
                TICK.replace("251916", "99999999999999999999"),
                Reject::BadNumber,
            ),
            (TICK.replace("2465000", "0"), Reject::BadNumber),
            (TICK.replace(",\"trdvol\":2", ""), Reject::MissingField),
            (
                TICK.replace(",\"trdTm\":14412000", ""),
                Reject::MissingField,
            ),
            (
                TICK.replace("\"isuSrtCd\":\"005930\",", ""),
                Reject::MissingField,
            ),
            (
                push(r#""preset":"quote","isuSrtCd":"005930","accTrdvol":5"#),
                Reject::MissingField,
            ),
            (
                r#"{"jsonrpc":"2.0","method":"push"}"#.to_owned(),
                Reject::MissingField,
            ),
            (
                TICK.replace("\"trdvol\":2", "\"trdvol\":2,\"trdVol\":2"),
                Reject::DuplicateKey,
            ),
            (
                TICK.replace(
                    "\"jsonrpc\":\"2.0\"",
                    "\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\"",
                ),
                Reject::DuplicateKey,
            ),
            (TICK.replace("\"tick\"", "\"tick5\""), Reject::UnknownPreset),
            (TICK.replace("005930", "0059-30"), Reject::BadCode),
            (TICK.replace("005930", "0059300059300"), Reject::BadCode),
            (TICK.replace("14412000", "14612000"), Reject::BadTime),
            (TICK.replace("14412000", "14416000"), Reject::BadTime),
            (
                TICK.replace("\"method\":\"push\"", "\"method\":\"push\",\"result\":1"),
                Reject::NotProtocol,
            ),
            ("[1, 2".to_owned(), Reject::Malformed),
            ("42".to_owned(), Reject::NotProtocol),
            (String::new(), Reject::Malformed),
        ];
        for (frame, want) in cases {
            assert_eq!(reject(&frame), want, "{frame}");
        }
        let huge = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_FRAME_LEN));
        assert_eq!(reject(&huge), Reject::TooLarge);
        let mut out = Parsed::new();
        assert_eq!(
            parse_record(Source::Quote10, b"[]", &mut out),
            Err(Reject::NotProtocol)
        );
        assert_eq!(
            parse_record(Source::Quote10, b"{\"isuSrtCd\":\"005930\"}", &mut out),
            Err(Reject::MissingField)
        );
    }
}
