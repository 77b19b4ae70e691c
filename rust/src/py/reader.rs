//! `RingReader` (an independent cursor over a ring, handing out zero-copy views) and `Bars` (one interval's
//! current bars and closed-bar ring).

use pyo3::prelude::*;

use super::feed::{interval_name, PyFeed};
use super::views::{rows_view, strided_rows_view, RowKind};
use crate::bars::OpenLane;
use crate::ring::{Batch, Cursor, Ring, Sequenced};

/// Which ring of the feed a reader follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingId {
    /// The trades ring.
    Trades,
    /// The quotes ring.
    Quotes,
    /// The closed-bar ring of bar series `n`.
    Bars(usize),
}

/// A reader's cursor over one ring of a feed.
#[pyclass(name = "RingReader", module = "kfeed._kfeed")]
pub struct RingReader {
    feed: Py<PyFeed>,
    ring: RingId,
    cursor: Cursor,
    /// Sequence one past the last row handed out (start of the last batch + its length).
    last_end: u64,
    last_len: u64,
}

impl RingReader {
    /// A reader of `ring` of `feed`, starting at its current write position.
    ///
    /// # Errors
    /// When the feed is busy in `ingest_many` on another thread.
    pub fn new(feed: &Bound<'_, PyFeed>, ring: RingId) -> PyResult<Self> {
        let core = &feed.try_borrow()?.core;
        let written = match ring {
            RingId::Trades => core.state.trades.written(),
            RingId::Quotes => core.state.quotes.written(),
            RingId::Bars(i) => core.state.bars.closed(i).written(),
        };
        let mut cursor = Cursor::default();
        cursor.skip_to(written);
        Ok(Self {
            feed: feed.clone().unbind(),
            ring,
            cursor,
            last_end: written,
            last_len: 0,
        })
    }
}

fn take<'py, T: Sequenced>(
    owner: &Bound<'py, PyAny>,
    ring: &Ring<T>,
    cursor: &mut Cursor,
    kind: RowKind,
    max_rows: usize,
) -> PyResult<(Bound<'py, PyAny>, Batch)> {
    let batch = cursor.read(ring, max_rows);
    let rows = &ring.as_slice()[batch.start..batch.start + batch.len];
    // SAFETY: the ring's buffer is a boxed slice owned by the Feed object `owner`, never reallocated.
    let view = unsafe { rows_view(owner, kind, rows)? };
    Ok((view, batch))
}

#[pymethods]
impl RingReader {
    /// The next contiguous run of new rows (a read-only view) and how many rows were lost to overwrite since
    /// the previous read.
    #[pyo3(signature = (max_rows=None))]
    fn read<'py>(
        &mut self,
        py: Python<'py>,
        max_rows: Option<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, u64)> {
        let max_rows = max_rows.unwrap_or(usize::MAX);
        let owner = self.feed.bind(py);
        let feed = owner.try_borrow()?;
        let state = &feed.core.state;
        let owner = owner.as_any();
        let (view, batch) = match self.ring {
            RingId::Trades => take(
                owner,
                &state.trades,
                &mut self.cursor,
                RowKind::Trade,
                max_rows,
            )?,
            RingId::Quotes => take(
                owner,
                &state.quotes,
                &mut self.cursor,
                RowKind::Quote,
                max_rows,
            )?,
            RingId::Bars(i) => take(
                owner,
                state.bars.closed(i),
                &mut self.cursor,
                RowKind::Bar,
                max_rows,
            )?,
        };
        self.last_len = batch.len as u64;
        self.last_end = batch.first_seq + batch.len as u64;
        Ok((view, batch.lost))
    }

    /// How many rows of the last view `read` returned have since been overwritten by the writer (0: the view is
    /// still entirely the rows it was handed).
    fn overwritten(&self, py: Python<'_>) -> PyResult<u64> {
        let feed = self.feed.bind(py).try_borrow()?;
        let state = &feed.core.state;
        let oldest = match self.ring {
            RingId::Trades => state.trades.oldest(),
            RingId::Quotes => state.quotes.oldest(),
            RingId::Bars(i) => state.bars.closed(i).oldest(),
        };
        let first = self.last_end - self.last_len;
        Ok(oldest.saturating_sub(first).min(self.last_len))
    }

    /// Rows lost to overwrite over the reader's whole life.
    #[getter]
    fn lost(&self) -> u64 {
        self.cursor.lost_total()
    }

    /// Sequence of the next row this reader will get.
    #[getter]
    fn position(&self) -> u64 {
        self.cursor.position()
    }
}

/// The bars of one interval: `current` (one row per symbol id) and a reader of the closed-bar ring.
#[pyclass(name = "Bars", module = "kfeed._kfeed")]
pub struct Bars {
    feed: Py<PyFeed>,
    index: usize,
}

impl Bars {
    /// Bars of series `index` of `feed`.
    pub fn new(feed: &Bound<'_, PyFeed>, index: usize) -> Self {
        Self {
            feed: feed.clone().unbind(),
            index,
        }
    }
}

#[pymethods]
impl Bars {
    /// The interval name: "10s", "1m" or "10m".
    #[getter]
    fn interval(&self) -> &'static str {
        interval_name(self.index)
    }

    /// The open bar of every known symbol id (read-only view; `trades == 0`: no open bar). Strided: a symbol's open
    /// bars of the three intervals sit side by side.
    #[getter]
    fn current<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let owner = self.feed.bind(py);
        let feed = owner.try_borrow()?;
        let state = &feed.core.state;
        let lane = state.bars.current(self.index);
        let len = state.symbols.len().min(lane.len());
        // SAFETY: `len` rows of one interval's column (`current` checked the interval) of a boxed slice owned by
        // the Feed object, never reallocated, `OpenLane::STRIDE` bytes apart.
        unsafe {
            strided_rows_view(
                owner.as_any(),
                RowKind::Bar,
                lane.as_ptr(),
                len,
                OpenLane::STRIDE,
            )
        }
    }

    /// A reader of the closed bars, starting at the current write position.
    fn reader(&self, py: Python<'_>) -> PyResult<RingReader> {
        RingReader::new(self.feed.bind(py), RingId::Bars(self.index))
    }
}
