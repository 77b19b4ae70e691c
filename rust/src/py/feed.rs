//! `kfeed._kfeed.Feed`: the Python face of the sans-IO [`Feed`].

use pyo3::buffer::PyUntypedBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::errors::{guard, Error};
use super::frames::{with_frame, FrameBytes};
use super::reader::{Bars, RingId, RingReader};
use super::views::{dtype, int64_view, rows_view, RowKind};
use crate::bars::{INTERVALS_SECS, SERIES};
use crate::clock::{now_ns, Date};
use crate::error::Reject;
use crate::events::Event;
use crate::feed::{Feed, FeedConfig};
use crate::rows::BarRow;
use crate::wire::{self, Code, Source, ABSENT};

/// The feed handler core: frames in, rings, books, bars, counters and events out.
#[pyclass(name = "Feed", module = "kfeed._kfeed")]
pub struct PyFeed {
    pub(super) core: Feed,
}

fn parse_date(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Date> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Date::today_kst());
    };
    let bad = || {
        Error::BadArgument(format!(
            "trading_date must be 'YYYYMMDD', a datetime.date or None, not {obj}"
        ))
    };
    if let Ok(text) = obj.extract::<String>() {
        return Date::parse_yyyymmdd(&text)
            .ok_or_else(bad)
            .map_err(Into::into);
    }
    let part = |name: &str| -> PyResult<u32> { obj.getattr(name)?.extract() };
    match (part("year"), part("month"), part("day")) {
        (Ok(y), Ok(m), Ok(d)) => Date::new(y as i32, m, d).ok_or_else(|| bad().into()),
        _ => Err(bad().into()),
    }
}

fn code_of(text: &str) -> Result<Code, Error> {
    let stripped = text.split_once('*').map_or(text, |(code, _)| code);
    Code::new(stripped.as_bytes()).ok_or_else(|| Error::BadCode(text.to_owned()))
}

fn code_str(code: &Code) -> &str {
    std::str::from_utf8(code.as_bytes()).unwrap_or_default()
}

fn interval_index(interval: &str) -> Result<usize, Error> {
    match interval {
        "10s" => Ok(0),
        "1m" => Ok(1),
        "10m" => Ok(2),
        _ => Err(Error::BadArgument(format!(
            "interval must be '10s', '1m' or '10m', not {interval:?}"
        ))),
    }
}

/// The bar interval name of series `index` (inverse of `interval_index`).
pub fn interval_name(index: usize) -> &'static str {
    ["10s", "1m", "10m"][index]
}

fn id_or_none(id: i64) -> Option<i64> {
    (id != ABSENT).then_some(id)
}

fn event_tuple<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyTuple>> {
    match event {
        Event::Result { id, text } => {
            ("result", id_or_none(*id), PyBytes::new(py, text)).into_pyobject(py)
        }
        Event::Error { id, code, message } => (
            "error",
            id_or_none(*id),
            id_or_none(*code),
            wire::unescape(message),
        )
            .into_pyobject(py),
        Event::Heartbeat { id } => ("heartbeat", id_or_none(*id)).into_pyobject(py),
        Event::Signal { code, value, time } => {
            ("signal", code_str(code), *value, *time).into_pyobject(py)
        }
        Event::Gap {
            code,
            expected,
            got,
            time,
        } => ("gap", code_str(code), *expected, *got, *time).into_pyobject(py),
    }
}

impl PyFeed {
    fn id(&self, code: &str) -> Result<u32, Error> {
        self.core
            .state
            .symbols
            .get(&code_of(code)?)
            .ok_or_else(|| Error::UnknownCode(code.to_owned()))
    }

    fn ingest_bytes(&mut self, frame: &[u8], recv_time: i64) -> Result<usize, Error> {
        let core = &mut self.core;
        guard(|| core.ingest(frame, recv_time).unwrap_or(0))
    }

    fn count_panic(&mut self) {
        self.core.state.stats.panics += 1;
    }
}

#[pymethods]
impl PyFeed {
    #[new]
    #[pyo3(signature = (trade_capacity=1_048_576, quote_capacity=262_144, symbol_capacity=8192, bar_capacity=65_536, trading_date=None, bar_close_delay=1.0))]
    fn new(
        trade_capacity: usize,
        quote_capacity: usize,
        symbol_capacity: usize,
        bar_capacity: usize,
        trading_date: Option<&Bound<'_, PyAny>>,
        bar_close_delay: f64,
    ) -> PyResult<Self> {
        if !(0.0..=3600.0).contains(&bar_close_delay) {
            return Err(Error::BadArgument(
                "bar_close_delay must be between 0 and 3600 seconds".into(),
            )
            .into());
        }
        let sizes = [
            trade_capacity,
            quote_capacity,
            symbol_capacity,
            bar_capacity,
        ];
        if sizes.iter().any(|&n| n == 0 || n > 1 << 30) {
            return Err(Error::BadArgument("capacities must be between 1 and 2**30".into()).into());
        }
        let config = FeedConfig {
            trade_capacity,
            quote_capacity,
            symbol_capacity,
            bar_capacity,
            bar_close_delay_ns: (bar_close_delay * 1e9) as i64,
        };
        Ok(Self {
            core: Feed::new(config, parse_date(trading_date)?),
        })
    }

    /// Parses and applies one frame; returns the rows written (0 if it was rejected: see `stats()`).
    #[pyo3(signature = (frame, recv_time=None))]
    fn ingest(&mut self, frame: &Bound<'_, PyAny>, recv_time: Option<i64>) -> PyResult<usize> {
        let recv_time = recv_time.unwrap_or_else(now_ns);
        let result = with_frame(frame, |bytes| self.ingest_bytes(bytes, recv_time))?;
        if matches!(result, Err(Error::Panicked)) {
            self.count_panic();
        }
        Ok(result?)
    }

    /// Parses and applies a list of frames in order with the GIL released, each as `ingest` would (pipelined:
    /// a frame's rows are fetched into cache while the next frame is parsed); returns the rows written.
    fn ingest_many(&mut self, py: Python<'_>, frames: &Bound<'_, PyAny>) -> PyResult<usize> {
        let recv_time = now_ns();
        let held = frames
            .try_iter()?
            .map(|f| FrameBytes::new(&f?).map_err(PyErr::from))
            .collect::<PyResult<Vec<_>>>()?;
        let slices: Vec<&[u8]> = held.iter().map(FrameBytes::as_slice).collect();
        let core = &mut self.core;
        let result = py.detach(|| {
            guard(|| {
                let mut batch = core.batch(recv_time);
                for frame in &slices {
                    batch.ingest(frame);
                }
                batch.finish();
                batch.rows()
            })
        });
        if result.is_err() {
            self.count_panic();
        }
        Ok(result?)
    }

    /// Applies a bare REST record as a push of `preset` ("tick10" price, "quote10" orderbook, "index").
    #[pyo3(signature = (preset, record, recv_time=None))]
    fn apply_record(
        &mut self,
        preset: &str,
        record: &Bound<'_, PyAny>,
        recv_time: Option<i64>,
    ) -> PyResult<usize> {
        let source = match preset {
            "tick10" => Source::Tick10,
            "quote10" => Source::Quote10,
            "index" => Source::Index,
            _ => {
                return Err(Error::BadArgument(format!(
                    "preset must be 'tick10', 'quote10' or 'index', not {preset:?}"
                ))
                .into())
            }
        };
        let recv_time = recv_time.unwrap_or_else(now_ns);
        let core = &mut self.core;
        let result = with_frame(record, |bytes| {
            guard(|| core.apply_record(source, bytes, recv_time))
        })?;
        match result {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(Reject::Duplicate)) => Ok(0),
            Ok(Err(reason)) => Err(Error::Rejected(reason).into()),
            Err(panicked) => {
                self.count_panic();
                Err(panicked.into())
            }
        }
    }

    /// Adds codes (e.g. from REST lists) ahead of the stream.
    fn add_symbols(&mut self, codes: &Bound<'_, PyAny>) -> PyResult<()> {
        for text in codes.try_iter()? {
            let code = code_of(text?.extract::<&str>()?)?;
            self.core
                .add_symbol(&code)
                .map_err(|_| Error::SymbolsFull(self.core.state.symbols.capacity()))?;
        }
        Ok(())
    }

    /// Records a cumulative volume known from REST for `code` (added if new): the next streamed tick is checked
    /// for duplicates and gaps against it. Never lowers what is known.
    fn seed_acc_volume(&mut self, code: &str, acc: i64) -> PyResult<()> {
        let parsed = code_of(code)?;
        self.core
            .seed_acc_volume(&parsed, acc)
            .map_err(|reason| match reason {
                Reject::SymbolCapacity => Error::SymbolsFull(self.core.state.symbols.capacity()),
                _ => Error::BadArgument(format!("cumulative volume must be >= 0, not {acc}")),
            })?;
        Ok(())
    }

    /// The dense id of `code`; `KeyError` if unknown.
    fn symbol_id(&self, code: &str) -> PyResult<u32> {
        Ok(self.id(code)?)
    }

    /// The code of symbol `id`; `IndexError` if none.
    fn symbol(&self, id: u32) -> PyResult<&str> {
        let code = self
            .core
            .state
            .symbols
            .code(id)
            .ok_or(Error::UnknownId(id))?;
        Ok(code_str(code))
    }

    /// Every known code, in id order.
    #[getter]
    fn symbols(&self) -> Vec<&str> {
        self.core
            .state
            .symbols
            .codes()
            .iter()
            .map(code_str)
            .collect()
    }

    /// The trading date `time` fields are based on.
    #[getter]
    fn get_trading_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = self.core.state.clock.date();
        py.import("datetime")?
            .getattr("date")?
            .call1((d.year, d.month, d.day))
    }

    #[setter]
    fn set_trading_date(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let date = parse_date(value)?;
        self.core.state.clock.set_date(date);
        Ok(())
    }

    /// A reader of the trades ring, starting at the current write position.
    fn trades_reader(slf: &Bound<'_, Self>) -> PyResult<RingReader> {
        RingReader::new(slf, RingId::Trades)
    }

    /// A reader of the quotes ring, starting at the current write position.
    fn quotes_reader(slf: &Bound<'_, Self>) -> PyResult<RingReader> {
        RingReader::new(slf, RingId::Quotes)
    }

    /// Current books, one row per known symbol id (read-only view).
    #[getter]
    fn books<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let feed = slf.try_borrow()?;
        let rows = &feed.core.state.books[..feed.core.state.symbols.len()];
        // SAFETY: `books` is a boxed slice owned by this Feed object, never reallocated.
        unsafe { rows_view(slf.as_any(), RowKind::Book, rows) }
    }

    /// The book row of `code` (a read-only view); `KeyError` if unknown.
    fn book<'py>(slf: &Bound<'py, Self>, code: &str) -> PyResult<Bound<'py, PyAny>> {
        let feed = slf.try_borrow()?;
        let id = feed.id(code)? as usize;
        let row = &feed.core.state.books[id..=id];
        // SAFETY: as `books`.
        unsafe { rows_view(slf.as_any(), RowKind::Book, row)?.get_item(0) }
    }

    /// Bars of `interval` ("10s", "1m" or "10m").
    fn bars(slf: &Bound<'_, Self>, interval: &str) -> PyResult<Bars> {
        Ok(Bars::new(slf, interval_index(interval)?))
    }

    /// Receive time (ns) of the last applied row per known symbol id; 0 = never (read-only view).
    #[getter]
    fn last_update<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let feed = slf.try_borrow()?;
        let values = &feed.core.state.last_update[..feed.core.state.symbols.len()];
        // SAFETY: a boxed slice owned by this Feed object, never reallocated.
        unsafe { int64_view(slf.as_any(), values) }
    }

    /// ORs `flags` into the bars of `code` overlapping `[start_ns, end_ns)`: the open one and the closed ones
    /// still in the ring (in place). Returns how many bars were marked.
    fn mark_bars(
        &mut self,
        interval: &str,
        code: &str,
        start_ns: i64,
        end_ns: i64,
        flags: u8,
    ) -> PyResult<usize> {
        let series = interval_index(interval)?;
        let id = self.id(code)?;
        Ok(self
            .core
            .state
            .bars
            .series(series)
            .mark(id, start_ns, end_ns, flags))
    }

    /// ORs `flags` into every bar of the given codes (all known symbols when None) overlapping `[start_ns, end_ns)`,
    /// in every interval, one pass per interval. Returns how many bars were marked.
    #[pyo3(signature = (start_ns, end_ns, flags, codes=None))]
    fn mark_window(
        &mut self,
        start_ns: i64,
        end_ns: i64,
        flags: u8,
        codes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let state = &mut self.core.state;
        let mut ids = vec![codes.is_none(); state.symbols.len()];
        if let Some(codes) = codes {
            for text in codes.try_iter()? {
                let code = code_of(text?.extract::<&str>()?)?;
                if let Some(id) = state.symbols.get(&code) {
                    ids[id as usize] = true;
                }
            }
        }
        Ok((0..SERIES)
            .map(|k| {
                state
                    .bars
                    .series(k)
                    .mark_many(&ids, start_ns, end_ns, flags)
            })
            .sum())
    }

    /// Puts bars of `code` repaired from REST (`BAR_DTYPE` rows; `symbol` is ignored) in place, flagged
    /// `BAR_BACKFILLED`: each overwrites the closed bar with its start still in the ring, or the open bar with its
    /// start, or is appended to the closed ring. Returns how many were written. Every bar must be one aligned
    /// interval with at least one trade.
    fn replace_bars(
        &mut self,
        py: Python<'_>,
        interval: &str,
        code: &str,
        bars: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        let series = interval_index(interval)?;
        let id = self.id(code)?;
        let descr = dtype(py, RowKind::Bar)?;
        let array = py
            .import("numpy")?
            .getattr("ascontiguousarray")?
            .call1((bars, descr))?;
        let buffer = PyUntypedBuffer::get(&array)?;
        let size = size_of::<BarRow>();
        let count = buffer.len_bytes() / size;
        // SAFETY: a C-contiguous numpy array of BAR_DTYPE, whose layout is `BarRow`'s; rows are read unaligned.
        let mut rows: Vec<BarRow> = (0..count)
            .map(|i| unsafe {
                buffer
                    .buf_ptr()
                    .cast::<u8>()
                    .add(i * size)
                    .cast::<BarRow>()
                    .read_unaligned()
            })
            .collect();
        let interval_ns = self.core.state.bars.series(series).interval_ns();
        if let Some(bad) = rows
            .iter()
            .find(|b| b.end - b.start != interval_ns || b.start.rem_euclid(interval_ns) != 0)
        {
            return Err(Error::BadArgument(format!(
                "bar [{}, {}) is not one aligned {interval} interval",
                bad.start, bad.end
            ))
            .into());
        }
        if let Some(bad) = rows.iter().find(|b| b.trades < 1) {
            return Err(Error::BadArgument(format!(
                "bar [{}, {}) has no trade (a bar without trades does not exist)",
                bad.start, bad.end
            ))
            .into());
        }
        Ok(self
            .core
            .state
            .bars
            .series(series)
            .replace_many(id, &mut rows))
    }

    /// From now on, flags `BAR_GAP` on every bar of `codes` (added if new) starting before `ns` that a market-wide
    /// trade lands in: their market's stream was not live for part of such a bar (session start, or the end of an
    /// outage).
    fn mark_market_partial_until(&mut self, ns: i64, codes: &Bound<'_, PyAny>) -> PyResult<()> {
        for text in codes.try_iter()? {
            let code = code_of(text?.extract::<&str>()?)?;
            self.core
                .mark_market_partial_until(&code, ns)
                .map_err(|_| Error::SymbolsFull(self.core.state.symbols.capacity()))?;
        }
        Ok(())
    }

    /// Marks codes whose trades come from a per-symbol tick/tick10 subscription: their copies on the
    /// market-wide streams (`/ws_ksp`, `/ws_kdq`) are skipped and counted, so no trade is counted twice.
    fn skip_market_trades(&mut self, codes: &Bound<'_, PyAny>) -> PyResult<()> {
        for text in codes.try_iter()? {
            let code = code_of(text?.extract::<&str>()?)?;
            self.core
                .skip_market_trades(&code)
                .map_err(|_| Error::SymbolsFull(self.core.state.symbols.capacity()))?;
        }
        Ok(())
    }

    /// The latest exchange time seen from any symbol, ns since the Unix epoch (0 before the first).
    #[getter]
    fn exchange_time(&self) -> i64 {
        self.core.state.clock.latest()
    }

    /// Cumulative volume of the last tick/tick10 trade of `code`, or None; `KeyError` if unknown.
    fn last_acc_volume(&self, code: &str) -> PyResult<Option<i64>> {
        let state = self
            .core
            .trade_state(&code_of(code)?)
            .ok_or_else(|| Error::UnknownCode(code.to_owned()))?;
        Ok((state.last_acc != ABSENT).then_some(state.last_acc))
    }

    /// Counters: frames, rows by kind, gaps, duplicates, bars closed, rejects by reason with samples.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.core.state.stats;
        let out = PyDict::new(py);
        for (key, value) in [
            ("frames", s.frames),
            ("trades", s.trades),
            ("quotes", s.quotes),
            ("index", s.index),
            ("signals", s.signals),
            ("replies", s.replies),
            ("gaps", s.gaps),
            ("duplicates", s.rejects(Reject::Duplicate)),
            ("bars_closed", s.bars_closed),
            ("market_trades_skipped", s.market_trades_skipped),
            ("late_bar_trades", s.late_bar_trades),
            ("events_dropped", s.events_dropped),
            ("panics", s.panics),
        ] {
            out.set_item(key, value)?;
        }
        let rejects = PyDict::new(py);
        let samples = PyDict::new(py);
        for reason in Reject::ALL {
            rejects.set_item(reason.name(), s.rejects(reason))?;
            if let Some(sample) = s.sample(reason) {
                samples.set_item(reason.name(), PyBytes::new(py, sample))?;
            }
        }
        out.set_item("rejects", rejects)?;
        out.set_item("reject_samples", samples)?;
        Ok(out)
    }

    /// Takes every queued event (replies, signals, gaps) as tuples, oldest first.
    fn drain_events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for event in self.core.state.events.drain() {
            out.append(event_tuple(py, &event)?)?;
        }
        Ok(out)
    }

    /// Bar lengths kept, in seconds, by interval name.
    #[classattr]
    fn intervals() -> Vec<(&'static str, i64)> {
        (0..INTERVALS_SECS.len())
            .map(|i| (interval_name(i), INTERVALS_SECS[i]))
            .collect()
    }

    fn __repr__(&self) -> String {
        let s = &self.core.state;
        format!(
            "Feed(trading_date={:04}{:02}{:02}, symbols={}/{}, trades={}, quotes={})",
            s.clock.date().year,
            s.clock.date().month,
            s.clock.date().day,
            s.symbols.len(),
            s.symbols.capacity(),
            s.trades.written(),
            s.quotes.written()
        )
    }
}
