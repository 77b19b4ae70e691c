//! OHLCV bars of 10 s, 1 min and 10 min for every symbol, kept in place, with the vendor's intraday semantics.
//!
//! Bars are aligned to clock boundaries in exchange time (KST is UTC+9, a whole number of every interval kept, so
//! epoch-aligned boundaries are KST-aligned); a trade at `t` belongs to the bar `[start, end)` containing it; a
//! bar with no trade does not exist (no flat fill); a bar closes when the feed's closing time (its exchange clock,
//! advanced by any symbol's traffic, less the close delay) reaches its end, or earlier when the same symbol trades
//! in a later bar, and is then pushed to its interval's closed-bar ring.
//!
//! A symbol's open bars of the three intervals sit side by side in one block of four cache lines, since a trade
//! updates all three (apart, they took six). Each interval remembers the earliest end among its open bars, so a
//! clock advance costs one comparison; only when the closing time passes that end are the open bars visited,
//! never all symbols.

use std::ops::Index;

use crate::prefetch::prefetch;
use crate::ring::{Ring, Sequenced};
use crate::rows::{BarRow, BAR_BACKFILLED, BAR_GAP};

impl Sequenced for BarRow {
    fn set_seq(&mut self, _seq: u64) {}
}

/// Bar lengths kept by the feed, in seconds: 10 s, 1 min, 10 min. Each divides the next (the feed relies on it:
/// a trade in a symbol's open bar of one interval is in its open bars of the longer ones).
pub const INTERVALS_SECS: [i64; 3] = [10, 60, 600];

/// Number of intervals kept.
pub const SERIES: usize = INTERVALS_SECS.len();

const _: () = {
    let mut i = 1;
    while i < SERIES {
        assert!(
            INTERVALS_SECS[i] % INTERVALS_SECS[i - 1] == 0,
            "bar intervals nest"
        );
        i += 1;
    }
};

/// The open bars of one symbol, one per interval in the order of [`INTERVALS_SECS`], in one block of whole
/// cache lines.
#[repr(C, align(64))]
#[derive(Debug)]
struct OpenBars([BarRow; SERIES]);

const _: () = assert!(
    size_of::<OpenBars>() == 256,
    "a symbol's open bars fill four cache lines"
);

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

/// True when a trade at `time` falls in the open `bar`, which is not due to close at `clock`.
#[inline(always)]
fn takes(bar: &BarRow, time: i64, clock: i64) -> bool {
    bar.trades > 0 && time >= bar.start && time < bar.end && bar.end > clock
}

/// Adds a trade of `qty` at `price` (worth `value`) to the open `bar`, with `flags` added to its flags.
#[inline(always)]
fn add_to(bar: &mut BarRow, price: f64, qty: i64, value: f64, flags: u8) {
    // Selects rather than `f64::max`/`min`, whose NaN handling costs instructions (prices are finite: the wire
    // layer rejects anything else), and rather than conditional stores, which branch on the price: a new high
    // or low is a coin toss the branch predictor loses.
    bar.high = if price > bar.high { price } else { bar.high };
    bar.low = if price < bar.low { price } else { bar.low };
    bar.close = price;
    bar.volume += qty;
    bar.value += value;
    bar.trades += 1;
    bar.flags |= flags;
}

/// What one interval keeps besides its open bars: which symbols have one, and its closed bars.
#[derive(Debug)]
struct SeriesState {
    interval_ns: i64,
    /// Ids with an open bar, in order of opening; an id is here exactly when its bar has trades.
    open: Vec<u32>,
    /// Earliest end among the open bars (`i64::MAX` while none is open).
    open_end: i64,
    /// The last interval a trade fell in, `[start, end)`, so most trades need no division to find theirs.
    last_start: i64,
    last_end: i64,
    closed: Ring<BarRow>,
}

/// The bars of every interval and symbol: each symbol's open bars, and a ring of closed bars per interval.
#[derive(Debug)]
pub struct Bars {
    open: Box<[OpenBars]>,
    states: [SeriesState; SERIES],
    /// How far past its end a bar may still be open (the feed's close delay), ns.
    close_delay_ns: i64,
}

impl Bars {
    /// Bars for up to `symbols` symbols, keeping the last `closed_capacity` closed bars of each interval.
    pub fn new(symbols: usize, closed_capacity: usize) -> Self {
        let open = (0..symbols)
            .map(|id| OpenBars([empty_bar(id as u32); SERIES]))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        Self {
            open,
            states: INTERVALS_SECS.map(|secs| SeriesState {
                interval_ns: secs * 1_000_000_000,
                open: Vec::with_capacity(symbols),
                open_end: i64::MAX,
                last_start: 0,
                last_end: 0,
                closed: Ring::new(closed_capacity),
            }),
            close_delay_ns: 0,
        }
    }

    /// Sets how far past its end a bar stays open (the feed's close delay), ns.
    pub fn set_close_delay(&mut self, ns: i64) {
        self.close_delay_ns = ns.max(0);
    }

    /// The bars of interval `k` (an index into [`INTERVALS_SECS`]).
    #[inline(always)]
    pub fn series(&mut self, k: usize) -> BarSeries<'_> {
        BarSeries {
            state: &mut self.states[k],
            open: &mut self.open,
            lane: k,
            close_delay_ns: self.close_delay_ns,
        }
    }

    /// The open bar of interval `k` of every symbol id (`trades == 0`: none open).
    ///
    /// # Panics
    /// When `k` is not an interval's index.
    pub fn current(&self, k: usize) -> OpenLane<'_> {
        assert!(k < SERIES, "no interval {k}");
        OpenLane {
            open: &self.open,
            lane: k,
        }
    }

    /// The ring of closed bars of interval `k`.
    pub fn closed(&self, k: usize) -> &Ring<BarRow> {
        &self.states[k].closed
    }

    /// Number of symbols with an open bar of interval `k`.
    pub fn open_count(&self, k: usize) -> usize {
        self.states[k].open.len()
    }

    /// Closes every open bar of every interval whose end is at or before `clock` (ns); returns how many closed.
    #[inline]
    pub fn close_through(&mut self, clock: i64) -> usize {
        (0..SERIES)
            .map(|k| self.series(k).close_through(clock))
            .sum()
    }

    /// The shortest interval (an index into [`INTERVALS_SECS`]) whose open bar of symbol `id` takes a trade at
    /// `time`, not due to close at `clock`; [`SERIES`] when none does. The intervals nest (each divides the next,
    /// all aligned to the epoch) and close at the same closing time, so every longer interval's open bar takes the
    /// trade too, none due: [`Bars::extend_from`] adds it to them.
    #[inline(always)]
    pub fn first_taking(&self, id: u32, time: i64, clock: i64) -> usize {
        let bars = &self.open[id as usize].0;
        (0..SERIES)
            .find(|&k| takes(&bars[k], time, clock))
            .unwrap_or(SERIES)
    }

    /// Adds a trade to symbol `id`'s open bars of the intervals from `from` on, which the caller knows take it
    /// ([`Bars::first_taking`] said so), with `flags` added to their flags.
    #[inline(always)]
    pub fn extend_from(&mut self, from: usize, id: u32, price: f64, qty: i64, flags: u8) {
        let value = price * qty as f64;
        for bar in &mut self.open[id as usize].0[from..] {
            add_to(bar, price, qty, value, flags);
        }
    }

    /// Starts loading the open bars of symbol `id` (a hint: see [`crate::prefetch`]).
    #[inline(always)]
    pub fn prefetch(&self, id: u32) {
        prefetch(&self.open, id as usize);
    }
}

/// The open bar of one interval of every symbol id: row `id` of a strided column of the symbols' blocks.
#[derive(Clone, Copy, Debug)]
pub struct OpenLane<'a> {
    open: &'a [OpenBars],
    lane: usize,
}

impl<'a> OpenLane<'a> {
    /// Bytes from one symbol's row to the next.
    pub const STRIDE: usize = size_of::<OpenBars>();

    /// Number of rows (the symbol capacity).
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// The row of symbol id 0, [`Self::STRIDE`] bytes before the next one's.
    pub fn as_ptr(&self) -> *const BarRow {
        self.open.as_ptr().cast::<BarRow>().wrapping_add(self.lane)
    }

    /// The rows in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a BarRow> + 'a {
        let lane = self.lane;
        self.open.iter().map(move |bars| &bars.0[lane])
    }
}

impl Index<usize> for OpenLane<'_> {
    type Output = BarRow;

    fn index(&self, id: usize) -> &BarRow {
        &self.open[id].0[self.lane]
    }
}

/// The bars of one interval, borrowed from [`Bars`]: its column of the open bars and its closed ring.
pub struct BarSeries<'a> {
    state: &'a mut SeriesState,
    open: &'a mut [OpenBars],
    lane: usize,
    close_delay_ns: i64,
}

impl BarSeries<'_> {
    /// Bar length in ns.
    pub fn interval_ns(&self) -> i64 {
        self.state.interval_ns
    }

    /// The open bar of symbol `id`.
    #[inline(always)]
    fn bar(&mut self, id: u32) -> &mut BarRow {
        &mut self.open[id as usize].0[self.lane]
    }

    /// Closes every open bar whose end is at or before `clock` (ns); returns how many closed.
    #[inline]
    pub fn close_through(&mut self, clock: i64) -> usize {
        if clock < self.state.open_end {
            return 0;
        }
        self.close_due(clock)
    }

    #[cold]
    fn close_due(&mut self, clock: i64) -> usize {
        let (open, lane, state) = (&mut *self.open, self.lane, &mut *self.state);
        let mut next_end = i64::MAX;
        let before = state.open.len();
        let closed = &mut state.closed;
        state.open.retain(|&id| {
            let bar = &mut open[id as usize].0[lane];
            if bar.end <= clock {
                closed.push(*bar);
                *bar = empty_bar(id);
                false
            } else {
                next_end = next_end.min(bar.end);
                true
            }
        });
        state.open_end = next_end;
        before - state.open.len()
    }

    /// Adds a trade of symbol `id` at `time` (ns) to its bar. `clock` is the closing time after this trade
    /// advanced the exchange clock: bars ending at or before it must already be closed
    /// ([`BarSeries::close_through`]). `gap` flags the bar as possibly missing trades. A trade not in the symbol's
    /// open bar (one in it is added as [`Bars::extend_from`] adds it) is [`BarSeries::open_bar`]'s.
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
        let bar = self.bar(id);
        if takes(bar, time, clock) {
            add_to(bar, price, qty, price * qty as f64, flags);
            return BarOutcome::Added;
        }
        self.open_bar(id, time, price, qty, flags, clock)
    }

    /// [`BarSeries::add_trade`] for a trade that opens its symbol's bar: the first of the bar's interval (an
    /// earlier open bar rolls into the closed ring), or a late one whose bar has already closed. Inlined: a
    /// trade opens a 10 s bar in about half of the bench's tick frames, and out of line its call and the register
    /// moves around it took 24 instructions more per tick frame than its body.
    #[inline(always)]
    fn open_bar(
        &mut self,
        id: u32,
        time: i64,
        price: f64,
        qty: i64,
        flags: u8,
        clock: i64,
    ) -> BarOutcome {
        let state = &mut *self.state;
        if time < state.last_start || time >= state.last_end {
            state.last_start = time - time.rem_euclid(state.interval_ns);
            state.last_end = state.last_start + state.interval_ns;
        }
        let (start, end) = (state.last_start, state.last_end);
        if end <= clock {
            return BarOutcome::Late;
        }
        let bar = &mut self.open[id as usize].0[self.lane];
        let outcome = if bar.trades > 0 {
            // An open bar the trade is not in (the fast path above takes those): an earlier one rolls.
            debug_assert_ne!(
                bar.start, start,
                "a trade in the open bar takes the fast path"
            );
            if bar.start > start {
                return BarOutcome::Late;
            }
            state.closed.push(*bar);
            BarOutcome::Rolled
        } else {
            state.open.push(id);
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
        state.open_end = state.open_end.min(end);
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
        let horizon = start - self.state.interval_ns - self.close_delay_ns;
        let mut marked = 0;
        let current = self.bar(id);
        if overlaps(current) {
            current.flags |= flags;
            marked += 1;
        }
        for bar in self.state.closed.held_newest_first_mut() {
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
        let lane = self.lane;
        for bar in self
            .state
            .closed
            .held_mut()
            .iter_mut()
            .chain(self.open.iter_mut().map(|bars| &mut bars.0[lane]))
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
        let interval = self.state.interval_ns;
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
        for row in self.state.closed.held_mut() {
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
            let current = self.bar(id);
            if current.trades > 0 && current.start == bar.start {
                *current = repaired(bar);
            } else {
                self.state.closed.push(repaired(bar));
            }
        }
        count
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

    fn read_closed(bars: &Bars, k: usize) -> Vec<BarRow> {
        let ring = bars.closed(k);
        (ring.oldest()..ring.written())
            .map(|s| *ring.get(s).unwrap())
            .collect()
    }

    /// Feeds (symbol, time, price, qty) to the 10 s bars as the feed does: advance the clock, close, then add.
    fn feed(bars: &mut Bars, trades: &[(u32, i64, f64, i64)]) -> i64 {
        let mut clock = 0;
        for &(id, t, p, q) in trades {
            clock = clock.max(t);
            let mut series = bars.series(0);
            series.close_through(clock);
            series.add_trade(id, t, p, q, false, clock);
        }
        clock
    }

    #[test]
    fn ohlcv_within_one_bar() {
        let mut b = Bars::new(4, 16);
        feed(
            &mut b,
            &[
                (0, 100 * S, 10.0, 1),
                (0, 101 * S, 12.0, 2),
                (0, 109 * S, 9.0, 3),
            ],
        );
        let bar = b.current(0)[0];
        assert_eq!((bar.start, bar.end), (100 * S, 110 * S));
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close),
            (10.0, 12.0, 9.0, 9.0)
        );
        assert_eq!(
            (bar.volume, bar.value, bar.trades),
            (6, 10.0 + 24.0 + 27.0, 3)
        );
        assert!(read_closed(&b, 0).is_empty());
    }

    #[test]
    fn any_symbols_traffic_closes_bars_and_no_flat_fill() {
        let mut b = Bars::new(4, 16);
        feed(&mut b, &[(0, 100 * S, 10.0, 1), (1, 105 * S, 5.0, 1)]);
        // Symbol 2 trades at 135 s: bars of 0 and 1 close; nothing is created for 110..130.
        feed(&mut b, &[(2, 135 * S, 7.0, 1)]);
        let closed = read_closed(&b, 0);
        assert_eq!(closed.len(), 2);
        assert_eq!((closed[0].symbol, closed[1].symbol), (0, 1));
        assert_eq!(b.current(0)[0].trades, 0);
        assert_eq!(b.current(0)[2].start, 130 * S);
        assert_eq!(b.open_count(0), 1);
    }

    #[test]
    fn trade_on_the_boundary_opens_the_next_bar() {
        let mut b = Bars::new(1, 16);
        feed(&mut b, &[(0, 100 * S, 1.0, 1), (0, 110 * S, 2.0, 1)]);
        assert_eq!(read_closed(&b, 0)[0].close, 1.0);
        assert_eq!(b.current(0)[0].start, 110 * S);
    }

    #[test]
    fn late_trade_is_refused() {
        let mut b = Bars::new(2, 16);
        let clock = feed(&mut b, &[(0, 112 * S, 1.0, 1)]);
        assert_eq!(
            b.series(0).add_trade(1, 105 * S, 1.0, 1, false, clock),
            BarOutcome::Late
        );
        assert_eq!(b.current(0)[1].trades, 0);
    }

    #[test]
    fn mark_flags_open_and_closed_bars_in_the_window() {
        let mut b = Bars::new(2, 16);
        feed(
            &mut b,
            &[
                (0, 100 * S, 1.0, 1),
                (0, 110 * S, 1.0, 1),
                (1, 120 * S, 1.0, 1),
                (0, 125 * S, 1.0, 1),
            ],
        );
        assert_eq!(b.series(0).mark(0, 110 * S, 130 * S, BAR_GAP), 2);
        let closed = read_closed(&b, 0);
        assert_eq!((closed[0].flags, closed[1].flags), (0, BAR_GAP));
        assert_eq!(b.current(0)[0].flags, BAR_GAP);
        assert_eq!(b.current(0)[1].flags, 0);
    }

    #[test]
    fn replace_overwrites_closed_or_open_bars_and_appends_missing_ones() {
        let mut b = Bars::new(1, 16);
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
        assert!(b.series(0).replace(0, &rest(100 * S, 5.0)));
        assert!(b.series(0).replace(0, &rest(110 * S, 6.0)));
        assert!(b.series(0).replace(0, &rest(120 * S, 7.0)));
        assert!(!b.series(0).replace(0, &rest(115 * S, 7.0)));
        let closed = read_closed(&b, 0);
        assert_eq!(closed.len(), 2);
        assert_eq!(
            (closed[0].close, closed[0].flags, closed[0].symbol),
            (5.0, BAR_BACKFILLED, 0)
        );
        assert_eq!((closed[1].start, closed[1].close), (110 * S, 6.0));
        assert_eq!((b.current(0)[0].close, b.current(0)[0].volume), (7.0, 9));

        let mut many = Bars::new(1, 16);
        feed(&mut many, &[(0, 100 * S, 1.0, 1), (0, 125 * S, 2.0, 1)]);
        let mut bars = [
            rest(120 * S, 7.0),
            rest(115 * S, 7.0),
            rest(110 * S, 6.0),
            rest(100 * S, 5.0),
        ];
        assert_eq!(
            many.series(0).replace_many(0, &mut bars),
            3,
            "the unaligned bar is skipped"
        );
        assert_eq!(
            read_closed(&many, 0),
            closed,
            "one pass does what one call per bar does"
        );
        assert_eq!(many.current(0)[0].close, 7.0);
    }

    #[test]
    fn gap_flag_sticks_to_the_bar() {
        let mut b = Bars::new(1, 16);
        let mut minute = b.series(1);
        minute.add_trade(0, 0, 1.0, 1, false, 0);
        minute.add_trade(0, S, 1.0, 1, true, S);
        minute.add_trade(0, 2 * S, 1.0, 1, false, 2 * S);
        assert_eq!(b.current(1)[0].flags, BAR_GAP);
    }
}
