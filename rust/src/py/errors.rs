//! The one place Rust failures become Python exceptions (classes imported from `kfeed.errors`, not redefined).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::error::Reject;

pyo3::import_exception!(kfeed.errors, ProtocolError);
pyo3::import_exception!(kfeed.errors, KfeedError);
pyo3::import_exception!(kfeed.errors, CapacityError);

/// Every failure the bindings report, mapped to a Python exception by [`From<Error> for PyErr`].
#[derive(Debug)]
pub enum Error {
    /// A record the caller asked to apply was refused.
    Rejected(Reject),
    /// The core panicked (a bug); the panic was caught and counted.
    Panicked,
    /// The symbol table is full.
    SymbolsFull(usize),
    /// Not a valid instrument code.
    BadCode(String),
    /// The code is not in the symbol table.
    UnknownCode(String),
    /// No symbol has this id.
    UnknownId(u32),
    /// An argument had a bad value.
    BadArgument(String),
    /// A frame was not a bytes-like object.
    NotBytes,
    /// The server broke the WebSocket protocol: the message and the close code to answer with.
    WebSocket(String, u16),
}

impl From<Error> for PyErr {
    #[cold]
    fn from(err: Error) -> PyErr {
        match err {
            Error::Rejected(reason) => {
                ProtocolError::new_err(format!("rejected ({}): {reason}", reason.name()))
            }
            Error::Panicked => KfeedError::new_err("internal error in the kfeed core (a bug)"),
            Error::SymbolsFull(cap) => {
                CapacityError::new_err(format!("symbol table is full (capacity {cap})"))
            }
            Error::BadCode(code) => {
                PyValueError::new_err(format!("invalid instrument code {code:?}"))
            }
            Error::UnknownCode(code) => PyKeyError::new_err(code),
            Error::UnknownId(id) => PyIndexError::new_err(format!("no symbol has id {id}")),
            Error::BadArgument(msg) => PyValueError::new_err(msg),
            Error::NotBytes => PyTypeError::new_err(
                "a frame must be bytes, bytearray or a C-contiguous buffer of bytes (memoryview)",
            ),
            Error::WebSocket(message, code) => ProtocolError::new_err(format!(
                "WebSocket protocol error: {message} (close code {code})"
            )),
        }
    }
}

/// Runs core work, turning a panic (a bug; the core is written not to panic) into [`Error::Panicked`], so no
/// panic unwinds into Python. The caller counts it.
pub fn guard<T>(work: impl FnOnce() -> T) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|_| Error::Panicked)
}
