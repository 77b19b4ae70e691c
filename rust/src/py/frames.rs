//! Borrowing frame bytes from Python objects without copying: bytes, bytearray, or any C-contiguous byte
//! buffer (memoryview).

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

use super::errors::Error;

/// Frame bytes borrowed from a Python object, holding a buffer export when the object is not `bytes` so the
/// memory cannot be resized or freed while it is borrowed.
pub enum FrameBytes<'py> {
    /// An immutable `bytes` object.
    Bytes(Bound<'py, PyBytes>),
    /// A buffer export (bytearray, memoryview, ...).
    Buffer(PyBuffer<u8>),
}

impl<'py> FrameBytes<'py> {
    /// Borrows the bytes of `obj`.
    pub fn new(obj: &Bound<'py, PyAny>) -> Result<Self, Error> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(Self::Bytes(bytes.clone()));
        }
        let buffer = PyBuffer::<u8>::get(obj).map_err(|_| Error::NotBytes)?;
        if !buffer.is_c_contiguous() {
            return Err(Error::NotBytes);
        }
        Ok(Self::Buffer(buffer))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Bytes(bytes) => bytes.as_bytes(),
            // SAFETY: the export is C-contiguous with 1-byte items, and holding it stops the exporter from
            // resizing or freeing the memory (bytearray refuses to resize while exported).
            Self::Buffer(buffer) => unsafe {
                std::slice::from_raw_parts(buffer.buf_ptr().cast::<u8>(), buffer.len_bytes())
            },
        }
    }
}

/// Calls `work` with the bytes of `obj`, copying nothing; `bytes` and `bytearray` take a fast path.
pub fn with_frame<R>(obj: &Bound<'_, PyAny>, work: impl FnOnce(&[u8]) -> R) -> Result<R, Error> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(work(bytes.as_bytes()));
    }
    if let Ok(array) = obj.cast::<PyByteArray>() {
        // SAFETY: `work` is pure Rust and runs with the GIL held, so no Python code can resize the bytearray
        // while the slice is alive.
        return Ok(work(unsafe { array.as_bytes() }));
    }
    let frame = FrameBytes::new(obj)?;
    Ok(work(frame.as_slice()))
}
