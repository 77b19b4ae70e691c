//! `/ws_ksp` and `/ws_kdq` frames: a bare JSON array of trade objects (values all strings on the wire, but
//! numbers are accepted too), each a trade or a market-operation signal.

use super::fields::Fields;
use super::key_order::KeyOrder;
use super::keys::KeySet;
use super::msg::{Parsed, Source, MAX_TRADES_PER_FRAME};
use super::push;
use super::scan::Scanner;
use super::shape::{ShapeSlot, Walk};
use crate::error::Reject;

/// Scans a market-trades array whose `[` is next, filling `out` with one trade or signal per element.
///
/// # Errors
/// `TooLarge` past [`MAX_TRADES_PER_FRAME`] elements, `NotProtocol` for a valid array holding a non-object,
/// and any reason a single element can fail with.
pub(crate) fn scan(
    s: &mut Scanner<'_>,
    out: &mut Parsed,
    fields: &mut Fields,
    order: &mut KeyOrder,
) -> Result<(), Reject> {
    s.expect(b'[')?;
    if s.peek()? == b']' {
        s.set_pos(s.pos() + 1);
        return Ok(());
    }
    let (mut count, closed) = compact_run(s, out, fields, order)?;
    if closed {
        return Ok(());
    }
    let mut all_objects = true;
    loop {
        if count == MAX_TRADES_PER_FRAME {
            return Err(Reject::TooLarge);
        }
        count += 1;
        let compact = match s.padded() {
            Some(frame) if all_objects => {
                fields.scan_compact_object(frame, s.pos(), order, Some(ShapeSlot::Market))
            }
            _ => None,
        };
        if let Some(end) = compact {
            s.set_pos(end);
            push::emit_trade(Source::MarketTrades, fields, out, push::MARKET_TRADE_KEYS)?;
        } else if s.peek()? == b'{' && all_objects {
            fields.reset();
            fields.scan_object(s, 1, order)?;
            push::emit_trade(Source::MarketTrades, fields, out, push::MARKET_TRADE_KEYS)?;
        } else {
            all_objects = false;
            s.skip_value(1)?;
        }
        match s.peek()? {
            b',' => s.set_pos(s.pos() + 1),
            b']' => {
                s.set_pos(s.pos() + 1);
                return if all_objects {
                    Ok(())
                } else {
                    Err(Reject::NotProtocol)
                };
            }
            _ => return Err(Reject::Malformed),
        }
    }
}

/// Reads the leading run of elements the learned market shape reads whole, each followed by `,` or the array's
/// closing `]`, with no per-element setup beyond the shape's own walk: how many it read, and whether the last
/// one closed the array. The scanner is left after the last one's delimiter, or where it started; the element
/// loop of [`scan`] reads on from there (an element the shape does not take whole is left to it untouched).
///
/// # Errors
/// What emitting one of them fails with.
#[inline(always)]
fn compact_run(
    s: &mut Scanner<'_>,
    out: &mut Parsed,
    fields: &mut Fields,
    order: &mut KeyOrder,
) -> Result<(usize, bool), Reject> {
    let Some(frame) = s.padded() else {
        return Ok((0, false));
    };
    let (mut pos, mut count) = (s.pos(), 0);
    while count < MAX_TRADES_PER_FRAME && frame.byte(pos) == b'{' {
        fields.reset();
        let walk = order
            .shapes
            .walk(ShapeSlot::Market, fields, frame, pos + 1, KeySet::EMPTY);
        let Walk::Closed { end, keys } = walk else {
            break;
        };
        let delimiter = frame.byte(end);
        if !matches!(delimiter, b',' | b']') {
            break;
        }
        fields.seen = keys;
        push::emit_trade(Source::MarketTrades, fields, out, push::MARKET_TRADE_KEYS)?;
        count += 1;
        pos = end + 1;
        if delimiter == b']' {
            s.set_pos(pos);
            return Ok((count, true));
        }
    }
    s.set_pos(pos);
    Ok((count, false))
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "parsed values must be exactly the f64 of their text"
)]
mod tests {
    use crate::error::Reject;
    use crate::wire::{parse_frame, Parsed, Source, ABSENT, MAX_TRADES_PER_FRAME};

    const VENDOR: &[u8] = br#"[{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"14340400"},{"isuSrtCd":"500032","trdPrc":"12760","trdVol":"400","trdTm":"14340400"}]"#;

    #[test]
    fn vendor_example() {
        let mut out = Parsed::new();
        parse_frame(VENDOR, &mut out).unwrap();
        assert_eq!(out.trades.len(), 2);
        let t = out.trades[0];
        assert_eq!(t.code.as_bytes(), b"000210");
        assert_eq!(
            (t.price, t.qty, t.time, t.side),
            (81_000.0, 5, 14_340_400, 0)
        );
        assert_eq!(t.source, Source::MarketTrades);
        assert_eq!(t.acc_volume, ABSENT);
        assert!(t.acc_value.is_nan());
        let t = out.trades[1];
        assert_eq!(t.code.as_bytes(), b"500032");
        assert_eq!((t.price, t.qty), (12_760.0, 400));
        assert!(out.books.is_empty() && out.signals.is_empty() && out.replies.is_empty());
    }

    #[test]
    fn codes_of_every_length_in_turn() {
        // Each code's length is predicted from the one before: right and wrong in turn, both read the same.
        let codes = [
            "000210",
            "000211",
            "101N6000",
            "K1",
            "K2",
            "005930",
            "A12345678901",
        ];
        let frame = codes
            .iter()
            .enumerate()
            .map(|(i, code)| {
                format!(
                    r#"{{"isuSrtCd":"{code}","trdPrc":"{}","trdVol":"{i}","trdTm":"9000000"}}"#,
                    100 + i
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        for _ in 0..2 {
            let mut out = Parsed::new();
            parse_frame(format!("[{frame}]").as_bytes(), &mut out).unwrap();
            let read: Vec<(&[u8], f64, i64)> = out
                .trades
                .iter()
                .map(|t| (t.code.as_bytes(), t.price, t.qty))
                .collect();
            let want: Vec<(&[u8], f64, i64)> = (0..codes.len())
                .map(|i| (codes[i].as_bytes(), 100.0 + i as f64, i as i64))
                .collect();
            assert_eq!(read, want);
        }
    }

    #[test]
    fn empty_array_numbers_and_signals() {
        let mut out = Parsed::new();
        parse_frame(b" [ ] ", &mut out).unwrap();
        assert!(out.is_empty());
        let frame = br#"[{"trdTm":31000000,"isuSrtCd":"005930*001"},{"isuSrtCd":"005930","trdPrc":53000,"trdVol":1,"trdTm":9000000,"lstAskbidTpCd":"2"}]"#;
        parse_frame(frame, &mut out).unwrap();
        assert_eq!(out.signals.len(), 1);
        assert_eq!(out.signals[0].value, 31_000_000);
        assert_eq!(out.signals[0].code.as_bytes(), b"005930");
        assert_eq!(out.trades.len(), 1);
        assert_eq!(out.trades[0].side, 1);
    }

    #[test]
    fn rejects() {
        let mut out = Parsed::new();
        let cases: [(&[u8], Reject); 8] = [
            (
                br#"[{"isuSrtCd":"000210","trdPrc":"81000","trdTm":"14340400"}]"#,
                Reject::MissingField,
            ),
            (
                br#"[{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5"}]"#,
                Reject::MissingField,
            ),
            (
                br#"[{"trdPrc":"81000","trdVol":"5","trdTm":"14340400"}]"#,
                Reject::MissingField,
            ),
            (b"[1]", Reject::NotProtocol),
            (
                br#"[{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"14340400"},]"#,
                Reject::Malformed,
            ),
            (
                br#"[{"isuSrtCd":"000210","trdPrc":"-1","trdVol":"5","trdTm":"14340400"}]"#,
                Reject::BadNumber,
            ),
            (
                br#"[{"isuSrtCd":"000210","trdPrc":"0","trdVol":"5","trdTm":"14340400"}]"#,
                Reject::BadNumber,
            ),
            (
                br#"[{"isuSrtCd":"000210","trdPrc":"1","trdVol":"5","trdTm":"14610400"}]"#,
                Reject::BadTime,
            ),
        ];
        for (frame, want) in cases {
            assert_eq!(
                parse_frame(frame, &mut out),
                Err(want),
                "{}",
                String::from_utf8_lossy(frame)
            );
            assert!(out.is_empty());
        }
    }

    #[test]
    fn too_many_trades() {
        let element = r#"{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"14340400"}"#;
        let mut out = Parsed::new();
        let full = format!("[{}]", vec![element; MAX_TRADES_PER_FRAME].join(","));
        parse_frame(full.as_bytes(), &mut out).unwrap();
        assert_eq!(out.trades.len(), MAX_TRADES_PER_FRAME);
        assert_eq!(out.trades.capacity(), MAX_TRADES_PER_FRAME);
        let over = format!("[{}]", vec![element; MAX_TRADES_PER_FRAME + 1].join(","));
        assert_eq!(
            parse_frame(over.as_bytes(), &mut out),
            Err(Reject::TooLarge)
        );
    }
}
