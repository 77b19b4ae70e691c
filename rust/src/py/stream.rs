//! `kfeed._kfeed.FeedStream`: a WebSocket connection's receive side applied to a `Feed`, one call per socket read.
//!
//! Python's asyncio owns the socket: its `BufferedProtocol` reads straight into [`FeedStream::buffer`] (the free
//! tail of the deframer's fixed receive buffer) and reports the count to [`FeedStream::received`], which deframes
//! every complete frame and applies the read's text messages as one `feed::Batch` (each with the result
//! `Feed::ingest` would give it, each frame's memory fetched while the next is parsed). Everything Python must act
//! on (replies and other frames that applied no rows, pings, a close, a protocol error) is flagged by
//! `needs_attention` and taken with `take_attention`.

use std::ffi::c_void;

use numpy::npyffi::{
    self, npy_intp, NpyTypes, NPY_ARRAY_ALIGNED, NPY_ARRAY_C_CONTIGUOUS, NPY_ARRAY_WRITEABLE,
    PY_ARRAY_API,
};
use numpy::PyArrayDescrMethods;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyMemoryView};

use super::errors::{guard, Error};
use super::feed::PyFeed;
use super::frames::with_frame;
use crate::clock::now_ns;
use crate::ws::{self, Deframer, Opcode};

/// The receive side of one WebSocket connection feeding a `Feed`: frames deframed straight from the socket's
/// read buffer, every text message applied as `Feed.ingest` would apply it.
#[pyclass(name = "FeedStream", module = "kfeed._kfeed")]
pub struct FeedStream {
    feed: Py<PyFeed>,
    deframer: Deframer,
    rows: u64,
    texts_without_rows: u64,
    binaries_taken: u64,
    close_taken: bool,
    error_taken: bool,
    /// Text messages are deframed but no longer applied (see `stop_applying`).
    discarding: bool,
    /// Text messages deframed while discarding.
    discarded: u64,
}

/// What `take_attention` returns: texts without rows, binary messages, pings, close, error.
type Attention<'py> = (
    u64,
    u64,
    Bound<'py, PyList>,
    Option<(u16, String)>,
    Option<String>,
);

fn protocol_error(error: ws::WsError) -> Error {
    Error::WebSocket(error.to_string(), error.close_code())
}

#[pymethods]
impl FeedStream {
    #[new]
    fn new(feed: Py<PyFeed>) -> Self {
        Self {
            feed,
            deframer: Deframer::new(),
            rows: 0,
            texts_without_rows: 0,
            binaries_taken: 0,
            close_taken: false,
            error_taken: false,
            discarding: false,
            discarded: 0,
        }
    }

    /// The feed the messages are applied to.
    #[getter]
    fn feed(&self, py: Python<'_>) -> Py<PyFeed> {
        self.feed.clone_ref(py)
    }

    /// A writable memoryview of the free tail of the receive buffer (at least 256 KiB), for
    /// `BufferedProtocol.get_buffer`: read socket bytes into it, then call `received` with the count. It stays
    /// valid memory while it lives (through a uint8 array whose base is this object; the buffer never moves).
    fn buffer(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        let free = slf.deframer.free_space();
        let (data, len) = (free.as_mut_ptr(), free.len());
        let owner = slf.into_pyobject(py)?.into_any();
        let mut dims = [len as npy_intp];
        // SAFETY: `data..data + len` lies in the deframer's boxed receive buffer, allocated once and freed only
        // with this object, which the array holds as its base (SetBaseObject steals the reference passed). Rust
        // holds no reference into that region between calls; `received` reads it only after Python wrote it.
        unsafe {
            let array = PY_ARRAY_API.PyArray_NewFromDescr(
                py,
                npyffi::get_type_object(py, NpyTypes::PyArray_Type),
                numpy::dtype::<u8>(py).into_dtype_ptr(),
                1,
                dims.as_mut_ptr(),
                std::ptr::null_mut(),
                data.cast::<c_void>(),
                NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_WRITEABLE,
                std::ptr::null_mut(),
            );
            let array = Bound::from_owned_ptr_or_err(py, array)?;
            if PY_ARRAY_API.PyArray_SetBaseObject(py, array.as_ptr().cast(), owner.into_ptr()) < 0 {
                return Err(PyErr::fetch(py));
            }
            Ok(PyMemoryView::from(&array)?.into_any())
        }
    }

    /// Marks `nbytes` of `buffer()` as received, deframes every complete frame and applies each text message to
    /// the feed (stamped `recv_time`, default now); returns the rows applied. A panic in the core is counted in
    /// the feed's `stats()["panics"]` and the message treated as applying no rows. The GIL stays held: releasing
    /// it per read would let another thread delay the feed by a whole switch interval.
    #[pyo3(signature = (nbytes, recv_time=None))]
    fn received(
        &mut self,
        py: Python<'_>,
        nbytes: usize,
        recv_time: Option<i64>,
    ) -> PyResult<usize> {
        self.deframer.filled(nbytes).map_err(|free| {
            Error::BadArgument(format!(
                "received {nbytes} bytes but the buffer had {free} free"
            ))
        })?;
        if self.discarding {
            let mut discarded = 0;
            self.deframer.drain(|_| discarded += 1);
            self.discarded += discarded;
            return Ok(0);
        }
        let recv_time = recv_time.unwrap_or_else(now_ns);
        let mut feed = self.feed.bind(py).try_borrow_mut()?;
        let mut batch = feed.core.batch(recv_time);
        let mut panics = 0;
        self.deframer.drain(|text| {
            if guard(|| batch.ingest(text)).is_err() {
                panics += 1;
            }
        });
        if guard(|| batch.finish()).is_err() {
            panics += 1;
        }
        let (rows, without_rows) = (batch.rows(), batch.without_rows());
        drop(batch);
        feed.core.state.stats.panics += panics;
        self.rows += rows as u64;
        self.texts_without_rows += without_rows as u64 + panics;
        Ok(rows)
    }

    /// From now on text messages are still deframed (so a close frame, pings and protocol errors are still seen)
    /// but no longer applied to the feed: they are counted in `stats()["discarded"]`. For a connection the client
    /// is closing, whose late data a new connection will bring again.
    fn stop_applying(&mut self) {
        self.discarding = true;
    }

    /// True when Python has something to act on: messages that applied no rows (replies, server requests,
    /// rejects: drain the feed's events), binary messages, pings to answer, a close or a protocol error.
    #[getter]
    fn needs_attention(&self) -> bool {
        let d = &self.deframer;
        self.texts_without_rows > 0
            || d.stats().binaries > self.binaries_taken
            || d.pending_pings() > 0
            || (d.close().is_some() && !self.close_taken)
            || (d.error().is_some() && !self.error_taken)
    }

    /// Takes what needs attention since the last call: `(texts_without_rows, binary_messages, pings, close,
    /// error)`; `pings` lists the payloads to answer with pongs, `close` is `(code, reason)` of a close frame
    /// received (1005 when it had no code) and `error` the protocol error message; each is reported once.
    fn take_attention<'py>(&mut self, py: Python<'py>) -> PyResult<Attention<'py>> {
        let texts = std::mem::take(&mut self.texts_without_rows);
        let binaries = self.deframer.stats().binaries - self.binaries_taken;
        self.binaries_taken += binaries;
        let pings = PyList::empty(py);
        let mut appended = Ok(());
        self.deframer.take_pings(|payload| {
            if appended.is_ok() {
                appended = pings.append(PyBytes::new(py, payload));
            }
        });
        appended?;
        let close = match self.deframer.close() {
            Some(close) if !self.close_taken => {
                self.close_taken = true;
                Some((
                    close.code,
                    String::from_utf8_lossy(close.reason()).into_owned(),
                ))
            }
            _ => None,
        };
        let error = match self.deframer.error() {
            Some(error) if !self.error_taken => {
                self.error_taken = true;
                Some(error.to_string())
            }
            _ => None,
        };
        Ok((texts, binaries, pings, close, error))
    }

    /// The protocol error the stream stopped at, or None.
    #[getter]
    fn error(&self) -> Option<String> {
        self.deframer.error().map(|e| e.to_string())
    }

    /// The close code to answer the protocol error with (1009 too large, 1002 otherwise), or None.
    #[getter]
    fn error_close_code(&self) -> Option<u16> {
        self.deframer.error().map(ws::WsError::close_code)
    }

    /// Raises `kfeed.errors.ProtocolError` if the server broke the WebSocket protocol.
    fn check(&self) -> PyResult<()> {
        match self.deframer.error() {
            Some(error) => Err(protocol_error(error).into()),
            None => Ok(()),
        }
    }

    /// The close frame received, as `(code, reason)`, or None.
    #[getter]
    fn close_frame(&self) -> Option<(u16, String)> {
        self.deframer
            .close()
            .map(|c| (c.code, String::from_utf8_lossy(c.reason()).into_owned()))
    }

    /// Complete messages received (text and binary).
    #[getter]
    fn messages(&self) -> u64 {
        let s = self.deframer.stats();
        s.texts + s.binaries
    }

    /// Counters: bytes, text and binary messages, rows applied, text messages discarded (after `stop_applying`),
    /// pings (and pings dropped unanswered), pongs.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.deframer.stats();
        let out = PyDict::new(py);
        for (key, value) in [
            ("bytes", s.bytes),
            ("text_messages", s.texts),
            ("binary_messages", s.binaries),
            ("rows", self.rows),
            ("discarded", self.discarded),
            ("pings", s.pings),
            ("pings_dropped", s.pings_dropped),
            ("pongs", s.pongs),
        ] {
            out.set_item(key, value)?;
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        let s = self.deframer.stats();
        let state = match (self.deframer.error(), self.deframer.close()) {
            (Some(_), _) => "failed",
            (None, Some(_)) => "closed",
            (None, None) => "open",
        };
        format!(
            "FeedStream({state}, messages={}, bytes={}, rows={})",
            s.texts + s.binaries,
            s.bytes,
            self.rows
        )
    }
}

/// One client frame: FIN set, `opcode` (1 text, 2 binary, 8 close, 9 ping, 10 pong), `payload` masked with the
/// 4-byte `mask`.
#[pyfunction]
pub fn encode_frame<'py>(
    py: Python<'py>,
    opcode: u8,
    payload: &Bound<'py, PyAny>,
    mask: [u8; 4],
) -> PyResult<Bound<'py, PyBytes>> {
    let opcode = Opcode::from_bits(opcode)
        .filter(|op| *op != Opcode::Continuation)
        .ok_or_else(|| {
            Error::BadArgument(format!("opcode must be 1, 2, 8, 9 or 10, not {opcode}"))
        })?;
    let mut out = Vec::new();
    with_frame(payload, |bytes| {
        ws::encode_frame(opcode, bytes, mask, &mut out)
    })?
    .map_err(|error| Error::BadArgument(error.to_string()))?;
    Ok(PyBytes::new(py, &out))
}
