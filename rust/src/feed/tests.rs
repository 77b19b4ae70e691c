//! Applying constructed `Parsed` frames: symbols, rings, books, bars, duplicates, gaps, rejects and events.
#![allow(
    clippy::float_cmp,
    reason = "exact values are the point: prices are copied, not computed"
)]

use super::*;
use crate::rows::{BAR_GAP, TRADE_GAP};
use crate::test_rng::TestRng;
use crate::wire::{BookUpdate, Reply, Signal, Trade};

const DATE: Date = Date {
    year: 2026,
    month: 11,
    day: 25,
};

fn code(s: &str) -> Code {
    Code::new(s.as_bytes()).unwrap()
}

fn feed() -> Feed {
    Feed::new(
        FeedConfig {
            trade_capacity: 64,
            quote_capacity: 16,
            symbol_capacity: 4,
            bar_capacity: 16,
            bar_close_delay_ns: 0,
        },
        DATE,
    )
}

fn tick(c: &str, time: u32, price: f64, qty: i64, acc: i64) -> Trade {
    Trade {
        code: code(c),
        source: Source::Tick,
        time,
        price,
        qty,
        acc_volume: acc,
        acc_value: f64::NAN,
        side: 0,
    }
}

fn frame_of(trades: &[Trade], books: &[BookUpdate]) -> Parsed {
    let mut p = Parsed::new();
    p.trades.extend_from_slice(trades);
    p.books.extend_from_slice(books);
    p
}

fn level1(c: &str, ask: f64, ask_qty: i64, bid: f64, bid_qty: i64) -> BookUpdate {
    let mut u = BookUpdate {
        code: code(c),
        source: Source::Quote,
        ask_total: ABSENT,
        bid_total: ABSENT,
        acc_volume: ABSENT,
        ..BookUpdate::default()
    };
    u.ask_price[0] = ask;
    u.ask_qty[0] = ask_qty;
    u.bid_price[0] = bid;
    u.bid_qty[0] = bid_qty;
    u.ask_price_mask = 1;
    u.ask_qty_mask = 1;
    u.bid_price_mask = 1;
    u.bid_qty_mask = 1;
    u
}

fn apply(f: &mut Feed, p: &Parsed) -> Result<usize, Reject> {
    f.apply_parsed(p, b"{}", 7)
}

#[test]
fn tick_writes_a_trade_row_with_epoch_time_and_updates_bars() {
    let mut f = feed();
    let n = apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_012, 100.0, 2, 2)], &[]),
    )
    .unwrap();
    assert_eq!(n, 1);
    let row = *f.state.trades.get(0).unwrap();
    assert_eq!(
        row.time,
        DATE.midnight_kst_ns() + 9 * 3_600_000_000_000 + 120_000_000
    );
    assert_eq!(
        (row.recv_time, row.symbol, row.price, row.qty, row.flags),
        (7, 0, 100.0, 2, 0)
    );
    assert_eq!(f.state.last_update[0], 7);
    for k in 0..SERIES {
        assert_eq!(f.state.bars.current(k)[0].trades, 1);
    }
    assert_eq!(f.state.stats.trades, 1);
}

#[test]
fn duplicate_cumulative_volume_is_rejected_whole() {
    let mut f = feed();
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_000, 100.0, 2, 10)], &[]),
    )
    .unwrap();
    let again = frame_of(&[tick("005930", 9_000_000, 100.0, 2, 10)], &[]);
    assert_eq!(apply(&mut f, &again), Err(Reject::Duplicate));
    assert_eq!(f.state.trades.written(), 1);
    assert_eq!(f.state.stats.rejects(Reject::Duplicate), 1);
    assert_eq!(f.state.bars.current(0)[0].volume, 2);
}

#[test]
fn gap_is_flagged_counted_and_applied() {
    let mut f = feed();
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_000, 100.0, 2, 10)], &[]),
    )
    .unwrap();
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_100, 101.0, 3, 20)], &[]),
    )
    .unwrap();
    assert_eq!(f.state.stats.gaps, 1);
    assert_eq!(f.state.trades.get(1).unwrap().flags, TRADE_GAP);
    assert_eq!(f.state.bars.current(1)[0].flags, BAR_GAP);
    assert_eq!(f.trade_state(&code("005930")).unwrap().last_acc, 20);
    let events: Vec<_> = f.state.events.drain().collect();
    assert!(matches!(
        events[..],
        [Event::Gap {
            expected: 13,
            got: 20,
            ..
        }]
    ));
}

#[test]
fn full_symbol_table_rejects_and_undoes_symbols_added_by_the_frame() {
    let mut f = feed();
    for c in ["A", "B", "C"] {
        f.add_symbol(&code(c)).unwrap();
    }
    let p = frame_of(
        &[
            tick("D", 9_000_000, 1.0, 1, 1),
            tick("E", 9_000_000, 1.0, 1, 1),
        ],
        &[],
    );
    assert_eq!(apply(&mut f, &p), Err(Reject::SymbolCapacity));
    assert_eq!(f.state.symbols.len(), 3);
    assert_eq!(f.state.books[3].book.levels, 0);
    assert_eq!(f.state.trades.written(), 0);
}

#[test]
fn a_lone_trade_past_the_symbol_capacity_is_rejected_with_nothing_changed() {
    let mut f = feed();
    for c in ["A", "B", "C", "D"] {
        f.add_symbol(&code(c)).unwrap();
    }
    let clock = f.state.clock.latest();
    let p = frame_of(&[tick("E", 9_000_000, 1.0, 1, 1)], &[]);
    assert_eq!(apply(&mut f, &p), Err(Reject::SymbolCapacity));
    assert_eq!(f.state.stats.rejects(Reject::SymbolCapacity), 1);
    assert_eq!(f.state.symbols.len(), 4);
    assert_eq!(f.state.trades.written(), 0);
    assert_eq!(f.state.clock.latest(), clock);
    assert!((0..SERIES).all(|k| f.state.bars.open_count(k) == 0));
}

#[test]
fn a_duplicate_after_a_new_symbol_undoes_that_symbol() {
    let mut f = feed();
    apply(&mut f, &frame_of(&[tick("A", 9_000_000, 1.0, 1, 5)], &[])).unwrap();
    let p = frame_of(
        &[
            tick("B", 9_000_100, 2.0, 1, 1),
            tick("A", 9_000_100, 1.0, 1, 5),
        ],
        &[],
    );
    assert_eq!(apply(&mut f, &p), Err(Reject::Duplicate));
    assert_eq!(f.state.symbols.len(), 1);
    assert!(f.trade_state(&code("B")).is_none());
    assert_eq!(f.state.trades.written(), 1);
}

#[test]
fn book_update_writes_a_quote_row_of_the_whole_book() {
    let mut f = feed();
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_000, 100.0, 1, 1)], &[]),
    )
    .unwrap();
    apply(
        &mut f,
        &frame_of(&[], &[level1("005930", 101.0, 5, 100.0, 6)]),
    )
    .unwrap();
    let mut only_bid = level1("005930", 0.0, 0, 99.0, 4);
    only_bid.ask_price_mask = 0;
    only_bid.ask_qty_mask = 0;
    apply(&mut f, &frame_of(&[], &[only_bid])).unwrap();
    let q = *f.state.quotes.get(1).unwrap();
    assert_eq!((q.book.ask_price[0], q.book.ask_qty[0]), (101.0, 5));
    assert_eq!(
        (q.book.bid_price[0], q.book.bid_qty[0], q.book.levels),
        (99.0, 4, 10)
    );
    assert_eq!(q.time, f.state.clock.latest());
    assert_eq!(f.state.books[0].book, q.book);
    assert_eq!(f.state.books[0].updates, 2);
}

#[test]
fn derivative_books_have_five_levels() {
    let mut f = feed();
    let mut u = level1("101N6000", 300.5, 1, 300.45, 2);
    u.ask_price = [300.5; 10];
    u.ask_price_mask = 0x3ff;
    apply(&mut f, &frame_of(&[], &[u])).unwrap();
    let b = f.state.books[0].book;
    assert_eq!(b.levels, 5);
    assert_eq!(b.ask_price[5], 0.0);
}

#[test]
fn any_symbols_trade_closes_bars() {
    let mut f = feed();
    apply(&mut f, &frame_of(&[tick("A", 9_000_000, 10.0, 1, 1)], &[])).unwrap();
    apply(&mut f, &frame_of(&[tick("B", 9_001_000, 20.0, 1, 1)], &[])).unwrap();
    // 10 s bar of A closed by B's trade at 09:00:10; the 1 min bar stays open.
    assert_eq!(f.state.bars.closed(0).written(), 1);
    assert_eq!(f.state.bars.closed(1).written(), 0);
    assert_eq!(f.state.stats.bars_closed, 1);
}

#[test]
fn signals_and_replies_become_events() {
    let mut f = feed();
    let mut p = Parsed::new();
    p.signals.push(Signal {
        code: code("005930"),
        source: Source::Tick,
        value: 31_000_000,
    });
    p.replies.push(Reply {
        kind: ReplyKind::Result,
        id: 3,
        error_code: ABSENT,
        text_start: 1,
        text_len: 2,
    });
    assert_eq!(f.apply_parsed(&p, b"{ok}", 0), Ok(0));
    let events: Vec<_> = f.state.events.drain().collect();
    assert!(matches!(
        events[0],
        Event::Signal {
            value: 31_000_000,
            ..
        }
    ));
    assert_eq!(
        events[1],
        Event::Result {
            id: 3,
            text: b"ok"[..].into()
        }
    );
    assert_eq!((f.state.stats.signals, f.state.stats.replies), (1, 1));
}

#[test]
fn index_print_without_quantity_is_flagged() {
    let mut f = feed();
    let mut t = tick("K1", 9_000_000, 2409.03, ABSENT, ABSENT);
    t.source = Source::Index;
    apply(&mut f, &frame_of(&[t], &[])).unwrap();
    let row = f.state.trades.get(0).unwrap();
    assert_eq!((row.qty, row.flags), (0, TRADE_INDEX | TRADE_NO_QTY));
    assert_eq!(f.state.stats.index, 1);
}

#[test]
fn seeded_cumulative_volume_guards_the_next_tick_and_never_drops() {
    let mut f = feed();
    f.seed_acc_volume(&code("005930"), 100).unwrap();
    f.seed_acc_volume(&code("005930"), 90).unwrap();
    assert_eq!(f.trade_state(&code("005930")).unwrap().last_acc, 100);
    let replay = frame_of(&[tick("005930", 9_000_000, 1.0, 5, 100)], &[]);
    assert_eq!(apply(&mut f, &replay), Err(Reject::Duplicate));
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_100, 1.0, 5, 105)], &[]),
    )
    .unwrap();
    assert_eq!(f.state.stats.gaps, 0);
    assert_eq!(f.state.trades.written(), 1);
    assert_eq!(
        f.seed_acc_volume(&code("000660"), -1),
        Err(Reject::BadNumber)
    );
}

#[test]
fn bars_stay_open_for_the_close_delay_so_late_market_trades_still_land() {
    let mut f = Feed::new(
        FeedConfig {
            bar_close_delay_ns: 500_000_000,
            ..FeedConfig::default()
        },
        DATE,
    );
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_005_990, 100.0, 1, 1)], &[]),
    )
    .unwrap();
    apply(
        &mut f,
        &frame_of(&[tick("000660", 9_010_020, 200.0, 1, 1)], &[]),
    )
    .unwrap();
    assert_eq!(
        f.state.stats.bars_closed, 0,
        "09:01:00.20 is within the 0.5 s delay"
    );
    let mut late = tick("005930", 9_005_995, 101.0, 2, ABSENT);
    late.source = Source::MarketTrades;
    apply(&mut f, &frame_of(&[late], &[])).unwrap();
    assert_eq!(f.state.stats.late_bar_trades, 0);
    apply(
        &mut f,
        &frame_of(&[tick("000660", 9_010_050, 200.0, 1, 2)], &[]),
    )
    .unwrap();
    let minute = f.state.bars.closed(1);
    let bar = (minute.oldest()..minute.written())
        .filter_map(|seq| minute.get(seq))
        .find(|b| b.symbol == 0)
        .expect("005930's 09:00 bar closed");
    assert_eq!((bar.volume, bar.trades, bar.close), (3, 2, 101.0));
}

#[test]
fn market_wide_copies_of_a_detailed_symbols_trades_are_skipped() {
    let mut f = feed();
    f.skip_market_trades(&code("005930")).unwrap();
    let mut copy = tick("005930", 9_000_100, 100.0, 5, ABSENT);
    copy.source = Source::MarketTrades;
    let mut other = tick("000660", 9_000_100, 200.0, 5, ABSENT);
    other.source = Source::MarketTrades;
    assert_eq!(apply(&mut f, &frame_of(&[copy, other], &[])).unwrap(), 1);
    assert_eq!(f.state.stats.market_trades_skipped, 1);
    assert_eq!(f.state.trades.written(), 1);
    assert_eq!(f.state.bars.current(0)[0].trades, 0);
}

#[test]
fn a_gap_dates_from_the_previous_trade_and_flags_every_bar_since() {
    let mut f = feed();
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_000_500, 100.0, 2, 10)], &[]),
    )
    .unwrap();
    apply(
        &mut f,
        &frame_of(&[tick("000660", 9_001_500, 100.0, 1, 1)], &[]),
    )
    .unwrap();
    apply(
        &mut f,
        &frame_of(&[tick("005930", 9_002_500, 101.0, 3, 20)], &[]),
    )
    .unwrap();
    let previous = f.state.clock.to_ns(9_000_500);
    let events: Vec<_> = f.state.events.drain().collect();
    assert!(matches!(events[..], [Event::Gap { time, .. }] if time == previous));
    let ten_second = f.state.bars.closed(0);
    let first = (ten_second.oldest()..ten_second.written())
        .filter_map(|seq| ten_second.get(seq))
        .find(|bar| bar.symbol == 0)
        .expect("005930's 09:00:00 10 s bar closed");
    assert_eq!(
        first.flags & BAR_GAP,
        BAR_GAP,
        "the closed bar where trades went missing is flagged too"
    );
}

#[test]
fn market_trades_in_bars_begun_before_the_stream_was_live_are_flagged() {
    let mut f = feed();
    let mark = f.state.clock.to_ns(9_000_500);
    for code in ["005930", "000660"] {
        f.mark_market_partial_until(&Code::new(code.as_bytes()).unwrap(), mark)
            .unwrap();
    }
    let mut early = tick("005930", 9_000_700, 100.0, 1, ABSENT);
    early.source = Source::MarketTrades;
    let mut later = tick("000660", 9_001_200, 100.0, 1, ABSENT);
    later.source = Source::MarketTrades;
    apply(&mut f, &frame_of(&[early, later], &[])).unwrap();
    let closed = f.state.bars.closed(0);
    let first = closed
        .get(closed.oldest())
        .expect("005930's 10 s bar closed");
    assert_eq!(
        (first.symbol, first.flags),
        (0, BAR_GAP),
        "[09:00:00, 09:00:10) began before the stream was live"
    );
    assert_eq!(
        f.state.bars.current(0)[1].flags,
        0,
        "[09:00:10, 09:00:20) is whole"
    );
    assert_eq!(
        f.state.bars.current(1)[1].flags,
        BAR_GAP,
        "its minute began before"
    );
}

#[test]
fn a_partial_mark_covers_only_the_codes_of_the_market_whose_stream_was_not_live() {
    let mut f = feed();
    let mark = f.state.clock.to_ns(9_000_500);
    let kosdaq = Code::new(b"035720").unwrap();
    f.mark_market_partial_until(&kosdaq, mark).unwrap();
    let trade = |code: &str| {
        let mut t = tick(code, 9_000_700, 100.0, 1, ABSENT);
        t.source = Source::MarketTrades;
        t
    };
    apply(&mut f, &frame_of(&[trade("005930"), trade("035720")], &[])).unwrap();
    let flags = |code: &Code| {
        let id = f.state.symbols.get(code).unwrap() as usize;
        (0..SERIES)
            .map(|k| f.state.bars.current(k)[id].flags)
            .collect::<Vec<_>>()
    };
    assert_eq!(flags(&kosdaq), vec![BAR_GAP; 3]);
    assert_eq!(
        flags(&Code::new(b"005930").unwrap()),
        vec![0; 3],
        "the other market's stream was live all along"
    );
}

#[test]
fn every_bar_series_is_what_offering_each_trade_to_it_alone_makes() {
    // Trades of four symbols, some up to 40 s behind the clock (late for a bar that closed, or rolling one back),
    // with a close delay: the feed, which tests only the shortest series when a trade is in its open bar, must
    // leave every series as offering each trade to each series does.
    const DELAY: i64 = 2_000_000_000;
    let mut f = Feed::new(
        FeedConfig {
            trade_capacity: 64,
            quote_capacity: 16,
            symbol_capacity: 4,
            bar_capacity: 4096,
            bar_close_delay_ns: DELAY,
        },
        DATE,
    );
    // One set of bars per interval, each offered every trade in that interval alone.
    let mut reference: [Bars; SERIES] = std::array::from_fn(|_| {
        let mut bars = Bars::new(4, 4096);
        bars.set_close_delay(DELAY);
        bars
    });
    let mut clock = ExchangeClock::new(DATE);
    let mut rng = TestRng::new(0x9e37_79b9_7f4a_7c15);
    let mut next = |n: u64| rng.below(n);
    let mut centis = 9 * 360_000;
    let mut late = 0;
    for i in 0..4_000u32 {
        centis += next(300) as u32;
        let lag = if next(10) == 0 { next(4_000) as u32 } else { 0 };
        let t = centis - lag;
        let time = t / 360_000 * 1_000_000 + t % 360_000 / 6_000 * 10_000 + t % 6_000;
        let id = if i < 4 { i } else { next(4) as u32 };
        let (price, qty) = (100.0 + next(50) as f64, 1 + next(9) as i64);
        let mut trade = tick(&format!("{:06}", 10 * (id + 1)), time, price, qty, ABSENT);
        trade.source = Source::MarketTrades;
        assert_eq!(apply(&mut f, &frame_of(&[trade], &[])), Ok(1));

        let ns = clock.to_ns(time);
        let before = clock.latest();
        let closing = clock.advance(ns) - DELAY;
        for (k, bars) in reference.iter_mut().enumerate() {
            let mut series = bars.series(k);
            if clock.latest() != before {
                series.close_through(closing);
            }
            if series.add_trade(id, ns, price, qty, false, closing) == BarOutcome::Late {
                late += 1;
            }
        }
    }
    assert!(late > 100, "the stream has late trades ({late})");
    for (k, want) in reference.iter().enumerate() {
        let bars = &f.state.bars;
        let rows = |bars: &Bars| bars.current(k).iter().copied().collect::<Vec<_>>();
        assert_eq!(rows(bars), rows(want));
        assert_eq!(bars.closed(k).as_slice(), want.closed(k).as_slice());
        assert!(bars.closed(k).written() > 30);
    }
}
