//! Borrowing frame bytes from Python objects without copying: bytes, bytearray, or any C-contiguous byte
//! buffer (memoryview).

use std::mem::MaybeUninit;

use pyo3::buffer::PyBuffer;
use pyo3::ffi;
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
    with_buffer(obj, work)
}

/// A buffer export held on the stack for one call: unlike `PyBuffer`, getting it allocates nothing.
struct StackBuffer(ffi::Py_buffer);

impl Drop for StackBuffer {
    fn drop(&mut self) {
        // SAFETY: the view was filled by a successful `PyObject_GetBuffer` and is released exactly once, with the
        // GIL held (it lives inside `with_buffer`, whose caller holds it).
        unsafe { ffi::PyBuffer_Release(&raw mut self.0) }
    }
}

/// Calls `work` with the bytes of any object exporting a contiguous buffer (memoryview, array, mmap, ...).
fn with_buffer<R>(obj: &Bound<'_, PyAny>, work: impl FnOnce(&[u8]) -> R) -> Result<R, Error> {
    let mut view = MaybeUninit::<ffi::Py_buffer>::uninit();
    // SAFETY: `obj` is a live object and `view` points to writable memory the size of a `Py_buffer`.
    // `PyBUF_SIMPLE` asks for one contiguous run of bytes; exporters that cannot give one fail instead.
    if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), ffi::PyBUF_SIMPLE) } != 0 {
        drop(PyErr::take(obj.py()));
        return Err(Error::NotBytes);
    }
    // SAFETY: `PyObject_GetBuffer` succeeded, so it initialised the view.
    let view = StackBuffer(unsafe { view.assume_init() });
    let len = usize::try_from(view.0.len).unwrap_or(0);
    let bytes = if len == 0 {
        &[][..]
    } else {
        // SAFETY: a simple export is `len` contiguous bytes at `buf`, kept alive and unresized until release.
        unsafe { std::slice::from_raw_parts(view.0.buf.cast::<u8>(), len) }
    };
    Ok(work(bytes))
}
