//! OHLCV bars of one interval for every symbol, kept in place, with the vendor's intraday semantics.
//!
//! Bars are aligned to clock boundaries in exchange time (KST is UTC+9, a whole number of every interval kept, so
//! epoch-aligned boundaries are KST-aligned); a trade at `t` belongs to the bar `[start, end)` containing it; a
//! bar with no trade does not exist (no flat fill); a bar closes when the feed's closing time (its exchange clock,
//! advanced by any symbol's traffic, less the close delay) reaches its end, or earlier when the same symbol trades
//! in a later bar, and is then pushed to the closed-bar ring.
//!
//! The series remembers the earliest end among its open bars, so a clock advance costs one comparison; only when
//! the closing time passes that end are the open bars visited, never all symbols.

use crate::ring::{Ring, Sequenced};
use crate::rows::{BarRow, BAR_BACKFILLED, BAR_GAP};

impl Sequenced for BarRow {
    fn set_seq(&mut self, _seq: u64) {}
}

/// Bar lengths kept by the feed, in seconds: 10 s, 1 min, 10 min. Each divides the next (the feed relies on it:
/// a trade in a symbol's open bar of one interval is in its open bars of the longer ones).
pub const INTERVALS_SECS: [i64; 3] = [10, 60, 600];

const _: () = {
    let mut i = 1;
    while i < INTERVALS_SECS.len() {
        assert!(
            INTERVALS_SECS[i] % INTERVALS_SECS[i - 1] == 0,
            "bar intervals nest"
        );
        i += 1;
    }
};

/// What happened to a trade offered to a [`BarSeries`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarOutcome {
    /// Added to the symbol's open bar (opening it if needed).
    Added,
    /// The symbol's open bar was of an earlier interval: it was closed, and the trade opened the next one.
    Rolled,
    /// Its bar had already closed (the exchange clock had passed its end): not added.
    Late,
}

/// The bars of one interval: the open bar per symbol and a ring of closed bars.
#[derive(Debug)]
pub struct BarSeries {
    interval_ns: i64,
    current: Box<[BarRow]>,
    /// Ids with an open bar, in order of opening; an id is here exactly when its bar has trades.
    open: Vec<u32>,
    /// Earliest end among the open bars (`i64::MAX` while none is open).
    open_end: i64,
    /// How far past its end a bar may still be open (the feed's close delay), ns.
    close_delay_ns: i64,
    /// The last interval a trade fell in, `[start, end)`, so most trades need no division to find theirs.
    last_start: i64,
    last_end: i64,
    closed: Ring<BarRow>,
}

impl BarSeries {
    /// Bars of `interval_secs` for up to `symbols` symbols, keeping the last `closed_capacity` closed bars.
    pub fn new(interval_secs: i64, symbols: usize, closed_capacity: usize) -> Self {
        let current = (0..symbols)
            .map(|id| empty_bar(id as u32))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        Self {
            interval_ns: interval_secs * 1_000_000_000,
            current,
            open: Vec::with_capacity(symbols),
            open_end: i64::MAX,
            close_delay_ns: 0,
            last_start: 0,
            last_end: 0,
            closed: Ring::new(closed_capacity),
        }
    }

    /// Sets how far past its end a bar stays open (the feed's close delay), ns.
    pub fn set_close_delay(&mut self, ns: i64) {
        self.close_delay_ns = ns.max(0);
    }

    /// Bar length in ns.
    pub fn interval_ns(&self) -> i64 {
        self.interval_ns
    }

    /// The open bar of every symbol id (`trades == 0`: none open).
    pub fn current(&self) -> &[BarRow] {
        &self.current
    }

    /// The ring of closed bars.
    pub fn closed(&self) -> &Ring<BarRow> {
        &self.closed
    }

    /// Number of symbols with an open bar.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Closes every open bar whose end is at or before `clock` (ns); returns how many closed.
    #[inline]
    pub fn close_through(&mut self, clock: i64) -> usize {
        if clock < self.open_end {
            return 0;
        }
        self.close_due(clock)
    }

    #[cold]
    fn close_due(&mut self, clock: i64) -> usize {
        let (current, closed) = (&mut self.current, &mut self.closed);
        let mut next_end = i64::MAX;
        let before = self.open.len();
        self.open.retain(|&id| {
            let bar = &mut current[id as usize];
            if bar.end <= clock {
                closed.push(*bar);
                *bar = empty_bar(id);
                false
            } else {
                next_end = next_end.min(bar.end);
                true
            }
        });
        self.open_end = next_end;
        before - self.open.len()
    }

    /// Adds a trade of symbol `id` at `time` (ns) to its bar. `clock` is the closing time after this trade
    /// advanced the exchange clock: bars ending at or before it must already be closed
    /// ([`BarSeries::close_through`]). `gap` flags the bar as possibly missing trades. Inlined for its common
    /// case, a trade in the symbol's open bar; the rest is [`BarSeries::open_bar`].
    #[inline(always)]
    pub fn add_trade(
        &mut self,
        id: u32,
        time: i64,
        price: f64,
        qty: i64,
        gap: bool,
        clock: i64,
    ) -> BarOutcome {
        let flags = if gap { BAR_GAP } else { 0 };
        if self.extends(id, time, clock) {
            self.extend(id, price, qty, flags);
            return BarOutcome::Added;
        }
        self.open_bar(id, time, price, qty, flags, clock)
    }

    /// True when a trade of symbol `id` at `time` falls in the symbol's open bar, which is not due to close at
    /// `clock` (the common case of [`BarSeries::add_trade`]).
    #[inline(always)]
    pub fn extends(&self, id: u32, time: i64, clock: i64) -> bool {
        let bar = &self.current[id as usize];
        bar.trades > 0 && time >= bar.start && time < bar.end && bar.end > clock
    }

    /// Adds a trade to symbol `id`'s open bar, which the caller knows takes it ([`BarSeries::extends`] said so, of
    /// this series or of a shorter one nested in it), with `flags` added to its flags.
    #[inline(always)]
    pub fn extend(&mut self, id: u32, price: f64, qty: i64, flags: u8) {
        let bar = &mut self.current[id as usize];
        // Selects rather than `f64::max`/`min`, whose NaN handling costs instructions (prices are finite: the
        // wire layer rejects anything else), and rather than conditional stores, which branch on the price:
        // a new high or low is a coin toss the branch predictor loses.
        bar.high = if price > bar.high { price } else { bar.high };
        bar.low = if price < bar.low { price } else { bar.low };
        bar.close = price;
        bar.volume += qty;
        bar.value += price * qty as f64;
        bar.trades += 1;
        bar.flags |= flags;
    }

    /// [`BarSeries::add_trade`] for a trade that opens its symbol's bar: the first of the bar's interval (an
    /// earlier open bar rolls into the closed ring), or a late one whose bar has already closed.
    #[inline(never)]
    fn open_bar(
        &mut self,
        id: u32,
        time: i64,
        price: f64,
        qty: i64,
        flags: u8,
        clock: i64,
    ) -> BarOutcome {
        if time < self.last_start || time >= self.last_end {
            self.last_start = time - time.rem_euclid(self.interval_ns);
            self.last_end = self.last_start + self.interval_ns;
        }
        let (start, end) = (self.last_start, self.last_end);
        if end <= clock {
            return BarOutcome::Late;
        }
        let bar = &mut self.current[id as usize];
        let outcome = if bar.trades > 0 {
            // An open bar the trade is not in (the fast path above takes those): an earlier one rolls.
            debug_assert_ne!(
                bar.start, start,
                "a trade in the open bar takes the fast path"
            );
            if bar.start > start {
                return BarOutcome::Late;
            }
            self.closed.push(*bar);
            BarOutcome::Rolled
        } else {
            self.open.push(id);
            BarOutcome::Added
        };
        *bar = BarRow {
            symbol: id,
            start,
            end,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: qty,
            value: price * qty as f64,
            trades: 1,
            flags,
        };
        self.open_end = self.open_end.min(end);
        outcome
    }

    /// ORs `flags` into every bar of symbol `id` overlapping `[start, end)` ns: the open one and the closed ones
    /// still in the ring (in place, so views already handed out see it). Returns how many bars were marked.
    ///
    /// Closed bars are visited newest first and the walk stops at the first one that ended more than an interval
    /// plus the close delay before `start` (bars close in order of their end within that slack; rows appended by
    /// a backfill are skipped, not trusted for the order), so a recent window costs a few rows, not the ring.
    pub fn mark(&mut self, id: u32, start: i64, end: i64, flags: u8) -> usize {
        let overlaps =
            |bar: &BarRow| bar.symbol == id && bar.trades > 0 && bar.start < end && start < bar.end;
        let horizon = start - self.interval_ns - self.close_delay_ns;
        let mut marked = 0;
        let current = &mut self.current[id as usize];
        if overlaps(current) {
            current.flags |= flags;
            marked += 1;
        }
        for bar in self.closed.held_newest_first_mut() {
            if bar.flags & BAR_BACKFILLED != 0 {
                continue;
            }
            if bar.end < horizon {
                break;
            }
            if overlaps(bar) {
                bar.flags |= flags;
                marked += 1;
            }
        }
        marked
    }

    /// ORs `flags` into every bar overlapping `[start, end)` ns of each symbol id whose entry in `ids` is true: the
    /// open ones and the closed ones still in the ring, in one pass. Returns how many bars were marked.
    pub fn mark_many(&mut self, ids: &[bool], start: i64, end: i64, flags: u8) -> usize {
        let wanted = |bar: &BarRow| {
            bar.trades > 0
                && bar.start < end
                && start < bar.end
                && ids.get(bar.symbol as usize).copied().unwrap_or(false)
        };
        let mut marked = 0;
        for bar in self
            .closed
            .held_mut()
            .iter_mut()
            .chain(self.current.iter_mut())
        {
            if wanted(bar) {
                bar.flags |= flags;
                marked += 1;
            }
        }
        marked
    }

    /// Puts a bar of symbol `id` repaired from REST in place: it overwrites the closed bar with the same start
    /// still in the ring, or the open bar with that start; otherwise (the feed never saw a trade of it) it is
    /// appended to the closed ring. The bar is flagged [`BAR_BACKFILLED`] and its [`BAR_GAP`] flag cleared.
    /// Returns false (changing nothing) for a bar that is not one whole interval or has no trade (a bar with no
    /// trade does not exist, and an open bar must keep its trades).
    pub fn replace(&mut self, id: u32, bar: &BarRow) -> bool {
        self.replace_many(id, &mut [*bar]) == 1
    }

    /// [`BarSeries::replace`] for many bars of symbol `id` at once, with one pass over the closed ring whatever
    /// their number (a repair must not hold the caller for a ring scan per bar). Sorts `bars` by start; bars that
    /// are not one whole interval are skipped. Returns how many were put in place.
    pub fn replace_many(&mut self, id: u32, bars: &mut [BarRow]) -> usize {
        let interval = self.interval_ns;
        bars.sort_unstable_by_key(|bar| bar.start);
        let mut placed = vec![false; bars.len()];
        let valid = |bar: &BarRow| {
            bar.trades > 0 && bar.end - bar.start == interval && bar.start.rem_euclid(interval) == 0
        };
        let repaired = |bar: &BarRow| BarRow {
            symbol: id,
            flags: (bar.flags & !BAR_GAP) | BAR_BACKFILLED,
            ..*bar
        };
        for row in self.closed.held_mut() {
            if row.symbol != id || row.trades == 0 {
                continue;
            }
            if let Ok(i) = bars.binary_search_by_key(&row.start, |bar| bar.start) {
                if valid(&bars[i]) && !placed[i] {
                    *row = repaired(&bars[i]);
                    placed[i] = true;
                }
            }
        }
        let mut count = 0;
        for (bar, done) in bars.iter().zip(placed) {
            if !valid(bar) {
                continue;
            }
            count += 1;
            if done {
                continue;
            }
            let current = &mut self.current[id as usize];
            if current.trades > 0 && current.start == bar.start {
                *current = repaired(bar);
            } else {
                self.closed.push(repaired(bar));
            }
        }
        count
    }

    /// Forgets the open bar of every symbol id >= `len` (used when symbols added by a rejected frame are undone).
    pub fn reset_symbols_from(&mut self, len: usize) {
        self.open.retain(|&id| (id as usize) < len);
        for (id, bar) in self.current.iter_mut().enumerate().skip(len) {
            *bar = empty_bar(id as u32);
        }
    }
}

fn empty_bar(id: u32) -> BarRow {
    BarRow {
        symbol: id,
        ..BarRow::default()
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values are the point: prices are copied, not computed"
)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn read_closed(series: &BarSeries) -> Vec<BarRow> {
        let ring = series.closed();
        (ring.oldest()..ring.written())
            .map(|s| *ring.get(s).unwrap())
            .collect()
    }

    /// Feeds (symbol, time, price, qty) as the feed does: advance the clock, close, then add.
    fn feed(series: &mut BarSeries, trades: &[(u32, i64, f64, i64)]) -> i64 {
        let mut clock = 0;
        for &(id, t, p, q) in trades {
            clock = clock.max(t);
            series.close_through(clock);
            series.add_trade(id, t, p, q, false, clock);
        }
        clock
    }

    #[test]
    fn ohlcv_within_one_bar() {
        let mut b = BarSeries::new(10, 4, 16);
        feed(
            &mut b,
            &[
                (0, 100 * S, 10.0, 1),
                (0, 101 * S, 12.0, 2),
                (0, 109 * S, 9.0, 3),
            ],
        );
        let bar = b.current()[0];
        assert_eq!((bar.start, bar.end), (100 * S, 110 * S));
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close),
            (10.0, 12.0, 9.0, 9.0)
        );
        assert_eq!(
            (bar.volume, bar.value, bar.trades),
            (6, 10.0 + 24.0 + 27.0, 3)
        );
        assert!(read_closed(&b).is_empty());
    }

    #[test]
    fn any_symbols_traffic_closes_bars_and_no_flat_fill() {
        let mut b = BarSeries::new(10, 4, 16);
        feed(&mut b, &[(0, 100 * S, 10.0, 1), (1, 105 * S, 5.0, 1)]);
        // Symbol 2 trades at 135 s: bars of 0 and 1 close; nothing is created for 110..130.
        feed(&mut b, &[(2, 135 * S, 7.0, 1)]);
        let closed = read_closed(&b);
        assert_eq!(closed.len(), 2);
        assert_eq!((closed[0].symbol, closed[1].symbol), (0, 1));
        assert_eq!(b.current()[0].trades, 0);
        assert_eq!(b.current()[2].start, 130 * S);
        assert_eq!(b.open_count(), 1);
    }

    #[test]
    fn trade_on_the_boundary_opens_the_next_bar() {
        let mut b = BarSeries::new(10, 1, 16);
        feed(&mut b, &[(0, 100 * S, 1.0, 1), (0, 110 * S, 2.0, 1)]);
        assert_eq!(read_closed(&b)[0].close, 1.0);
        assert_eq!(b.current()[0].start, 110 * S);
    }

    #[test]
    fn late_trade_is_refused() {
        let mut b = BarSeries::new(10, 2, 16);
        let clock = feed(&mut b, &[(0, 112 * S, 1.0, 1)]);
        assert_eq!(
            b.add_trade(1, 105 * S, 1.0, 1, false, clock),
            BarOutcome::Late
        );
        assert_eq!(b.current()[1].trades, 0);
    }

    #[test]
    fn mark_flags_open_and_closed_bars_in_the_window() {
        let mut b = BarSeries::new(10, 2, 16);
        feed(
            &mut b,
            &[
                (0, 100 * S, 1.0, 1),
                (0, 110 * S, 1.0, 1),
                (1, 120 * S, 1.0, 1),
                (0, 125 * S, 1.0, 1),
            ],
        );
        assert_eq!(b.mark(0, 110 * S, 130 * S, BAR_GAP), 2);
        let closed = read_closed(&b);
        assert_eq!((closed[0].flags, closed[1].flags), (0, BAR_GAP));
        assert_eq!(b.current()[0].flags, BAR_GAP);
        assert_eq!(b.current()[1].flags, 0);
    }

    #[test]
    fn replace_overwrites_closed_or_open_bars_and_appends_missing_ones() {
        let mut b = BarSeries::new(10, 1, 16);
        feed(&mut b, &[(0, 100 * S, 1.0, 1), (0, 125 * S, 2.0, 1)]);
        let rest = |start: i64, close: f64| BarRow {
            start,
            end: start + 10 * S,
            open: close,
            high: close,
            low: close,
            close,
            volume: 9,
            value: 9.0 * close,
            trades: 3,
            flags: BAR_GAP,
            symbol: 99,
        };
        assert!(b.replace(0, &rest(100 * S, 5.0)));
        assert!(b.replace(0, &rest(110 * S, 6.0)));
        assert!(b.replace(0, &rest(120 * S, 7.0)));
        assert!(!b.replace(0, &rest(115 * S, 7.0)));
        let closed = read_closed(&b);
        assert_eq!(closed.len(), 2);
        assert_eq!(
            (closed[0].close, closed[0].flags, closed[0].symbol),
            (5.0, BAR_BACKFILLED, 0)
        );
        assert_eq!((closed[1].start, closed[1].close), (110 * S, 6.0));
        assert_eq!((b.current()[0].close, b.current()[0].volume), (7.0, 9));

        let mut many = BarSeries::new(10, 1, 16);
        feed(&mut many, &[(0, 100 * S, 1.0, 1), (0, 125 * S, 2.0, 1)]);
        let mut bars = [
            rest(120 * S, 7.0),
            rest(115 * S, 7.0),
            rest(110 * S, 6.0),
            rest(100 * S, 5.0),
        ];
        assert_eq!(
            many.replace_many(0, &mut bars),
            3,
            "the unaligned bar is skipped"
        );
        assert_eq!(
            read_closed(&many),
            closed,
            "one pass does what one call per bar does"
        );
        assert_eq!(many.current()[0].close, 7.0);
    }

    #[test]
    fn gap_flag_sticks_to_the_bar() {
        let mut b = BarSeries::new(60, 1, 16);
        b.add_trade(0, 0, 1.0, 1, false, 0);
        b.add_trade(0, S, 1.0, 1, true, S);
        b.add_trade(0, 2 * S, 1.0, 1, false, 2 * S);
        assert_eq!(b.current()[0].flags, BAR_GAP);
    }
}
