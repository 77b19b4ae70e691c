//! `Feed`: the sans-IO entry point. One frame in: parse it whole, check it, then apply it to the symbols, the
//! trades and quotes rings, the books, the bars and the event queue. A rejected frame changes none of them.

use crate::bars::{BarOutcome, Bars, INTERVALS_SECS, SERIES};
use crate::book;
use crate::clock::{Date, ExchangeClock};
use crate::error::Reject;
use crate::events::{Event, Events};
use crate::prefetch::prefetch;
use crate::ring::{Ring, Sequenced};
use crate::rows::{BookRow, QuoteRow, TradeRow, BAR_GAP, TRADE_GAP, TRADE_INDEX, TRADE_NO_QTY};
use crate::stats::Stats;
use crate::symbols::{depth_of, SlotIndex, SymbolTable, TradeState};
use crate::wire::{self, Code, Parsed, ReplyKind, Source, Trade, ABSENT};

/// How many trades of a frame ahead of the one being applied have their rows prefetched, so that the prefetches
/// overlap with applying rather than come as one burst per frame (8 and 16 measured the same; see README
/// "Prefetch distance").
const PREFETCH_DISTANCE: usize = 8;

/// The longest bar interval, ns: a trade later than this past the partial mark cannot be in a partial bar.
const MAX_INTERVAL_NS: i64 = INTERVALS_SECS[SERIES - 1] * 1_000_000_000;

impl Sequenced for TradeRow {
    #[inline]
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

impl Sequenced for QuoteRow {
    #[inline]
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

/// Sizes fixed when a feed is built; nothing the hot path writes grows past them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedConfig {
    /// Rows in the trades ring.
    pub trade_capacity: usize,
    /// Rows in the quotes ring.
    pub quote_capacity: usize,
    /// Most distinct symbols.
    pub symbol_capacity: usize,
    /// Rows in each closed-bar ring.
    pub bar_capacity: usize,
    /// How long (ns of exchange time) after a bar's end it stays open for trades that arrive late, e.g. from a
    /// market-wide stream that batches trades while a per-symbol stream has already moved the clock on.
    pub bar_close_delay_ns: i64,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            trade_capacity: 1 << 20,
            quote_capacity: 1 << 18,
            symbol_capacity: 8192,
            bar_capacity: 1 << 16,
            bar_close_delay_ns: 1_000_000_000,
        }
    }
}

/// Everything a frame is applied to.
#[derive(Debug)]
pub struct State {
    /// Code <-> dense id.
    pub symbols: SymbolTable,
    /// Trades and index prints.
    pub trades: Ring<TradeRow>,
    /// One row per book update: the book after it.
    pub quotes: Ring<QuoteRow>,
    /// Current book per symbol id.
    pub books: Box<[BookRow]>,
    /// Receive time (ns) of the last row applied per symbol id; 0 = never.
    pub last_update: Box<[i64]>,
    /// See [`FeedConfig::bar_close_delay_ns`].
    pub bar_close_delay_ns: i64,
    /// Bars of every interval of [`INTERVALS_SECS`].
    pub bars: Bars,
    /// Trading date and latest exchange time.
    pub clock: ExchangeClock,
    /// Counters.
    pub stats: Stats,
    /// Events for the session.
    pub events: Events,
    /// Per trade of the frame being applied: its symbol's id and slot.
    trade_ids: Vec<(u32, SlotIndex)>,
    book_ids: Vec<u32>,
}

/// The feed: reusable parse buffers plus the [`State`] frames are applied to.
#[derive(Debug)]
pub struct Feed {
    /// Two parse buffers: a [`Batch`] parses into one while the frame in the other waits to be applied; a lone
    /// frame uses the first.
    parsed: [Parsed; 2],
    /// The state; read it freely, change it only through the feed.
    pub state: State,
}

impl Feed {
    /// A feed with everything allocated now, for trading date `date`.
    pub fn new(config: FeedConfig, date: Date) -> Self {
        let symbols = config.symbol_capacity.max(1);
        let books = (0..symbols)
            .map(|id| BookRow {
                symbol: id as u32,
                ..BookRow::default()
            })
            .collect::<Vec<_>>()
            .into_boxed_slice();
        let parsed = [Parsed::new(), Parsed::new()];
        let scratch = parsed[0].trades.capacity();
        Self {
            parsed,
            state: State {
                symbols: SymbolTable::new(symbols),
                trades: Ring::new(config.trade_capacity),
                quotes: Ring::new(config.quote_capacity),
                books,
                last_update: vec![0; symbols].into_boxed_slice(),
                bar_close_delay_ns: config.bar_close_delay_ns.max(0),
                bars: {
                    let mut bars = Bars::new(symbols, config.bar_capacity);
                    bars.set_close_delay(config.bar_close_delay_ns);
                    bars
                },
                clock: ExchangeClock::new(date),
                stats: Stats::default(),
                events: Events::default(),
                trade_ids: Vec::with_capacity(scratch),
                book_ids: Vec::with_capacity(scratch),
            },
        }
    }

    /// Parses one WebSocket text frame and applies it; returns the rows written (trades + quotes).
    ///
    /// # Errors
    /// The reason the frame was rejected; it is counted, its sample kept, and nothing else changed.
    pub fn ingest(&mut self, frame: &[u8], recv_time: i64) -> Result<usize, Reject> {
        self.state.stats.frames += 1;
        let hint = self.state.symbols.code_hint();
        match wire::parse_frame_hinted(frame, &mut self.parsed[0], Some(hint)) {
            Ok(()) => self.state.apply(&self.parsed[0], frame, recv_time),
            Err(reason) => {
                self.state.stats.reject(reason, frame);
                Err(reason)
            }
        }
    }

    /// A batch for frames received together (one socket read's): see [`Batch`].
    pub fn batch(&mut self, recv_time: i64) -> Batch<'_> {
        Batch::new(self, recv_time)
    }

    /// Applies a bare REST record (price, orderbook or index) as if it were a push of `source`.
    ///
    /// # Errors
    /// As [`Feed::ingest`].
    pub fn apply_record(
        &mut self,
        source: Source,
        record: &[u8],
        recv_time: i64,
    ) -> Result<usize, Reject> {
        match wire::parse_record(source, record, &mut self.parsed[0]) {
            Ok(()) => self.state.apply(&self.parsed[0], record, recv_time),
            Err(reason) => {
                self.state.stats.reject(reason, record);
                Err(reason)
            }
        }
    }

    /// Applies an already parsed frame (`frame` is the text the reply spans point into).
    ///
    /// # Errors
    /// As [`Feed::ingest`].
    pub fn apply_parsed(
        &mut self,
        parsed: &Parsed,
        frame: &[u8],
        recv_time: i64,
    ) -> Result<usize, Reject> {
        self.state.stats.frames += 1;
        self.state.apply(parsed, frame, recv_time)
    }

    /// Records a cumulative volume known from REST (e.g. a `price` snapshot) for `code`, adding the code if new,
    /// so the next streamed tick is checked for duplicates and gaps against it without the snapshot's trade
    /// being applied. It never lowers what is known (that would let a replayed trade through as new).
    ///
    /// # Errors
    /// [`Reject::SymbolCapacity`] when the code is new and does not fit; [`Reject::BadNumber`] when `acc` < 0.
    pub fn seed_acc_volume(&mut self, code: &Code, acc: i64) -> Result<(), Reject> {
        if acc < 0 {
            return Err(Reject::BadNumber);
        }
        let (_, slot) = self.state.resolve(code).ok_or(Reject::SymbolCapacity)?;
        let last = &mut self.state.symbols.state_mut(slot).last_acc;
        if *last == ABSENT || acc > *last {
            *last = acc;
        }
        Ok(())
    }

    /// Flags `BAR_GAP` on every bar of `code` (added if new) starting before `ns` that a market-wide trade lands
    /// in from now on: such bars began while the market-wide stream carrying `code` was not live, so they may miss
    /// trades. Per code, because each market has its own stream. Never moves backwards.
    ///
    /// # Errors
    /// [`Reject::SymbolCapacity`] when the code is new and does not fit.
    pub fn mark_market_partial_until(&mut self, code: &Code, ns: i64) -> Result<(), Reject> {
        let (_, slot) = self.state.resolve(code).ok_or(Reject::SymbolCapacity)?;
        let until = &mut self.state.symbols.state_mut(slot).market_partial_until;
        *until = (*until).max(ns);
        Ok(())
    }

    /// Marks `code` as streamed by a per-symbol preset (tick or tick10): its copies on the market-wide trade
    /// streams are skipped from then on, so no trade is counted twice.
    ///
    /// # Errors
    /// [`Reject::SymbolCapacity`] when the code is new and does not fit.
    pub fn skip_market_trades(&mut self, code: &Code) -> Result<(), Reject> {
        let (_, slot) = self.state.resolve(code).ok_or(Reject::SymbolCapacity)?;
        self.state.symbols.state_mut(slot).skip_market_trades = true;
        Ok(())
    }

    /// Adds codes (e.g. from REST lists) ahead of the stream; returns their ids.
    ///
    /// # Errors
    /// [`Reject::SymbolCapacity`] when a new code does not fit; codes before it stay added.
    pub fn add_symbol(&mut self, code: &Code) -> Result<u32, Reject> {
        let (id, _) = self.state.resolve(code).ok_or(Reject::SymbolCapacity)?;
        Ok(id)
    }

    /// What the feed knows of `code`'s last trade, if the code is known.
    pub fn trade_state(&self, code: &Code) -> Option<&TradeState> {
        let symbols = &self.state.symbols;
        symbols.find(code).map(|(_, slot)| symbols.state(slot))
    }
}

impl State {
    /// The id and slot of `code`, adding it (and sizing its book) when new; `None` when the table is full.
    #[inline(always)]
    fn resolve(&mut self, code: &Code) -> Option<(u32, SlotIndex)> {
        match self.symbols.find(code) {
            Some(found) => Some(found),
            None => self.add(code),
        }
    }

    /// Adds `code` (sizing its book); `None` when the table is full.
    #[cold]
    fn add(&mut self, code: &Code) -> Option<(u32, SlotIndex)> {
        let (id, slot, new) = self.symbols.get_or_insert(code)?;
        if new {
            self.books[id as usize].book.levels = depth_of(code);
        }
        Some((id, slot))
    }

    /// Forgets the symbols added since the table held `len` codes.
    fn undo_symbols(&mut self, len: usize) {
        for id in len..self.symbols.len() {
            self.books[id] = BookRow {
                symbol: id as u32,
                ..BookRow::default()
            };
        }
        self.symbols.truncate(len);
    }

    /// Checks a parsed frame and applies it, or rejects it with nothing changed.
    fn apply(&mut self, parsed: &Parsed, frame: &[u8], recv_time: i64) -> Result<usize, Reject> {
        // Prefetching a trade's rows pays when other trades' work comes between it and their use.
        match self.check(parsed, parsed.trades.len() > 1) {
            Ok(checked) => Ok(self.apply_checked(parsed, checked, frame, recv_time)),
            Err(reason) => {
                self.stats.reject(reason, frame);
                Err(reason)
            }
        }
    }

    /// Applies a frame [`State::check`] accepted as `checked` (nothing changed since); returns the rows written.
    #[inline(always)]
    fn apply_checked(
        &mut self,
        parsed: &Parsed,
        checked: Checked,
        frame: &[u8],
        recv_time: i64,
    ) -> usize {
        if let Checked::Lone(id, slot) = checked {
            return usize::from(self.apply_trade(&parsed.trades[0], id, slot, recv_time));
        }
        let trades = self.apply_trades(parsed, recv_time);
        self.apply_books(parsed, recv_time);
        if !parsed.signals.is_empty() {
            self.apply_signals(parsed);
        }
        if !parsed.replies.is_empty() {
            self.apply_replies(parsed, frame);
        }
        trades + parsed.books.len()
    }

    /// Resolves every code (adding new ones) and refuses duplicates; on error undoes the symbols it added.
    /// `ahead`: prefetch the rows the first [`PREFETCH_DISTANCE`] trades will update, for a caller with other work
    /// to do before applying ([`State::apply_trades`] prefetches each later trade's rows as many trades ahead).
    #[inline(always)]
    fn check(&mut self, parsed: &Parsed, ahead: bool) -> Result<Checked, Reject> {
        let before = self.symbols.len();
        if let ([trade], [], [], []) = (
            parsed.trades.as_slice(),
            parsed.books.as_slice(),
            parsed.signals.as_slice(),
            parsed.replies.as_slice(),
        ) {
            return match self.check_trade(trade) {
                Ok((id, slot)) => {
                    if ahead {
                        self.prefetch_trade_rows(id);
                    }
                    Ok(Checked::Lone(id, slot))
                }
                Err(reason) => {
                    self.undo_symbols(before);
                    Err(reason)
                }
            };
        }
        self.trade_ids.clear();
        self.book_ids.clear();
        for trade in &parsed.trades {
            let (id, slot) = match self.check_trade(trade) {
                Ok(found) => found,
                Err(reason) => {
                    self.undo_symbols(before);
                    return Err(reason);
                }
            };
            if ahead && self.trade_ids.len() < PREFETCH_DISTANCE {
                self.prefetch_trade_rows(id);
            }
            self.trade_ids.push((id, slot));
        }
        for update in &parsed.books {
            let Some((id, _)) = self.resolve(&update.code) else {
                self.undo_symbols(before);
                return Err(Reject::SymbolCapacity);
            };
            self.book_ids.push(id);
            prefetch(&self.books, id as usize);
        }
        Ok(Checked::Lists)
    }

    /// Starts loading the rows a trade of symbol `id` updates: its bars and its last update time.
    #[inline(always)]
    fn prefetch_trade_rows(&self, id: u32) {
        self.bars.prefetch(id);
        prefetch(&self.last_update, id as usize);
    }

    /// Resolves a trade's code (adding it when new) and refuses a duplicate: its symbol's id and slot. On error
    /// the caller undoes the symbols it added.
    #[inline(always)]
    fn check_trade(&mut self, trade: &Trade) -> Result<(u32, SlotIndex), Reject> {
        let (id, slot) = self.resolve(&trade.code).ok_or(Reject::SymbolCapacity)?;
        let last = self.symbols.state(slot).last_acc;
        if checks_acc(trade.source)
            && trade.acc_volume != ABSENT
            && last != ABSENT
            && trade.acc_volume <= last
        {
            return Err(Reject::Duplicate);
        }
        Ok((id, slot))
    }

    /// Moves the exchange clock to `time` (if later) and closes the bars that ended at least the close delay
    /// before it; returns that closing time. When the clock does not move nothing can be due: every bar due at
    /// this closing time was closed when the clock got here, and a trade never opens a bar that is already due.
    #[inline]
    fn advance_clock(&mut self, time: i64) -> i64 {
        let before = self.clock.latest();
        let latest = self.clock.advance(time);
        let closing = latest - self.bar_close_delay_ns;
        if latest != before {
            self.stats.bars_closed += self.bars.close_through(closing) as u64;
        }
        closing
    }

    /// Applies the frame's trades; returns how many were written (market-wide copies may be skipped).
    fn apply_trades(&mut self, parsed: &Parsed, recv_time: i64) -> usize {
        let mut written = 0;
        for (i, trade) in parsed.trades.iter().enumerate() {
            if let Some(&(later, _)) = self.trade_ids.get(i + PREFETCH_DISTANCE) {
                self.prefetch_trade_rows(later);
            }
            let (id, slot) = self.trade_ids[i];
            written += usize::from(self.apply_trade(trade, id, slot, recv_time));
        }
        written
    }

    /// Applies one checked trade of symbol `id` (in `slot`): the trades ring, its bars, its trade state and
    /// the clock. False when it is a market-wide copy of a symbol streamed per symbol, which is skipped.
    #[inline(always)]
    fn apply_trade(&mut self, trade: &Trade, id: u32, slot: SlotIndex, recv_time: i64) -> bool {
        let idx = id as usize;
        let time = self.clock.to_ns(trade.time);
        let closing = self.advance_clock(time);
        let state = self.symbols.state_mut(slot);
        if trade.source == Source::MarketTrades && state.skip_market_trades {
            self.stats.market_trades_skipped += 1;
            return false;
        }
        let mut flags = 0;
        // The gap this trade shows, if any: since when (the previous trade), and the cumulative volume due.
        let mut gap_since = None;
        if checks_acc(trade.source) && trade.acc_volume != ABSENT {
            let last = state.last_acc;
            if last != ABSENT && trade.qty != ABSENT && last + trade.qty != trade.acc_volume {
                flags |= TRADE_GAP;
                gap_since = Some((
                    match state.last_trade_time {
                        0 => time,
                        previous => previous,
                    },
                    last + trade.qty,
                ));
            }
            state.last_acc = trade.acc_volume;
        }
        state.last_trade_time = time;
        let partial_until = state.market_partial_until;
        if let Some((since, expected)) = gap_since {
            self.record_gap(trade, id, since, time, expected);
        }
        let qty = if trade.qty == ABSENT {
            flags |= TRADE_NO_QTY;
            0
        } else {
            trade.qty
        };
        if trade.source == Source::Index {
            flags |= TRADE_INDEX;
            self.stats.index += 1;
        } else {
            self.stats.trades += 1;
        }
        self.trades.push(TradeRow {
            seq: 0,
            time,
            recv_time,
            symbol: id,
            price: trade.price,
            qty,
            side: trade.side,
            flags,
        });
        let gap = flags & TRADE_GAP != 0;
        let partial = trade.source == Source::MarketTrades
            && time < partial_until.saturating_add(MAX_INTERVAL_NS);
        let bar_flags = if gap { BAR_GAP } else { 0 };
        // The intervals from the shortest that takes the trade in its open bar on take it too (none if partial).
        let taking = if partial {
            SERIES
        } else {
            self.bars.first_taking(id, time, closing)
        };
        // The common case returns on its own: folded into the general path below (the same code), `/ws_ksp` took
        // 3-5 % longer.
        if taking == 0 {
            self.bars.extend_from(0, id, trade.price, qty, bar_flags);
            self.last_update[idx] = recv_time;
            return true;
        }
        if taking < SERIES {
            self.bars
                .extend_from(taking, id, trade.price, qty, bar_flags);
        }
        for k in 0..taking {
            let mut series = self.bars.series(k);
            let gap =
                gap || (partial && time - time.rem_euclid(series.interval_ns()) < partial_until);
            match series.add_trade(id, time, trade.price, qty, gap, closing) {
                BarOutcome::Added => {}
                BarOutcome::Rolled => self.stats.bars_closed += 1,
                BarOutcome::Late => self.stats.late_bar_trades += 1,
            }
        }
        self.last_update[idx] = recv_time;
        true
    }

    /// Records a gap in `id`'s trades: cumulative volume `expected` was due, `trade` came instead. Its bars from
    /// `since` (its previous trade) to `time` are flagged, and the session gets an event.
    #[cold]
    fn record_gap(&mut self, trade: &Trade, id: u32, since: i64, time: i64, expected: i64) {
        self.stats.gaps += 1;
        for k in 0..SERIES {
            self.bars.series(k).mark(id, since, time, BAR_GAP);
        }
        let gap = Event::Gap {
            code: trade.code,
            expected,
            got: trade.acc_volume,
            time: since,
        };
        if !self.events.push(gap) {
            self.stats.events_dropped += 1;
        }
    }

    fn apply_books(&mut self, parsed: &Parsed, recv_time: i64) {
        for (i, update) in parsed.books.iter().enumerate() {
            let id = self.book_ids[i];
            let idx = id as usize;
            let time = if update.time == 0 {
                self.clock.latest()
            } else {
                let time = self.clock.to_ns(update.time);
                self.advance_clock(time);
                time
            };
            let row = &mut self.books[idx];
            book::apply_row(row, update, time);
            let slot = self.quotes.slot();
            slot.time = time;
            slot.recv_time = recv_time;
            slot.symbol = id;
            slot.book = row.book;
            self.quotes.commit();
            self.stats.quotes += 1;
            self.last_update[idx] = recv_time;
        }
    }

    #[cold]
    fn apply_signals(&mut self, parsed: &Parsed) {
        for signal in &parsed.signals {
            self.stats.signals += 1;
            let event = Event::Signal {
                code: signal.code,
                value: signal.value,
                time: self.clock.latest(),
            };
            if !self.events.push(event) {
                self.stats.events_dropped += 1;
            }
        }
    }

    #[cold]
    fn apply_replies(&mut self, parsed: &Parsed, frame: &[u8]) {
        for reply in &parsed.replies {
            self.stats.replies += 1;
            let start = reply.text_start as usize;
            let text = frame
                .get(start..start + reply.text_len as usize)
                .unwrap_or_default();
            let event = match reply.kind {
                ReplyKind::Result => Event::Result {
                    id: reply.id,
                    text: text.into(),
                },
                ReplyKind::Error => Event::Error {
                    id: reply.id,
                    code: reply.error_code,
                    message: text.into(),
                },
                ReplyKind::HeartbeatRequest => Event::Heartbeat { id: reply.id },
            };
            if !self.events.push(event) {
                self.stats.events_dropped += 1;
            }
        }
    }
}

/// What [`State::check`] found a frame to be, for [`State::apply_checked`].
#[derive(Clone, Copy, Debug)]
enum Checked {
    /// A lone trade (a tick push) of the symbol with this id and slot, applied with no per-frame lists.
    Lone(u32, SlotIndex),
    /// Anything else: its symbols are in the feed's per-frame lists.
    Lists,
}

/// Sources whose trades carry a cumulative volume that must advance (duplicate and gap detection).
#[inline]
fn checks_acc(source: Source) -> bool {
    matches!(source, Source::Tick | Source::Tick10)
}

mod batch;
pub use batch::Batch;

#[cfg(test)]
mod tests;
