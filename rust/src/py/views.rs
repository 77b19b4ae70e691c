//! Zero-copy, read-only numpy views of the feed's preallocated buffers, and the dtypes built from `rows`.
//!
//! Every view keeps its owner (the `Feed` object) alive as its numpy base object. The buffers are allocated once
//! and never reallocated or freed while the owner lives, so a view's memory stays valid; ring rows in a view
//! change when the writer laps them (see `RingReader.overwritten`).

use std::ffi::c_void;

use numpy::npyffi::{self, npy_intp, NpyTypes, NPY_ARRAY_ALIGNED, PY_ARRAY_API};
use numpy::{PyArrayDescr, PyArrayDescrMethods};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use crate::rows::{RowSpec, BAR_SPEC, BOOK_SPEC, QUOTE_SPEC, TRADE_SPEC};

/// Row types with a generated dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// `TradeRow`.
    Trade = 0,
    /// `QuoteRow`.
    Quote = 1,
    /// `BookRow`.
    Book = 2,
    /// `BarRow`.
    Bar = 3,
}

impl RowKind {
    fn spec(self) -> &'static RowSpec {
        match self {
            RowKind::Trade => &TRADE_SPEC,
            RowKind::Quote => &QUOTE_SPEC,
            RowKind::Book => &BOOK_SPEC,
            RowKind::Bar => &BAR_SPEC,
        }
    }
}

static DTYPES: [PyOnceLock<Py<PyArrayDescr>>; 4] = [
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
];
static INT64: PyOnceLock<Py<PyArrayDescr>> = PyOnceLock::new();

fn build_dtype<'py>(py: Python<'py>, spec: &RowSpec) -> PyResult<Bound<'py, PyArrayDescr>> {
    let names = PyList::empty(py);
    let formats = PyList::empty(py);
    let offsets = PyList::empty(py);
    for f in spec.fields {
        names.append(f.name)?;
        if f.count == 1 {
            formats.append(f.kind)?;
        } else {
            formats.append(format!("({},){}", f.count, f.kind))?;
        }
        offsets.append(f.offset)?;
    }
    let dict = PyDict::new(py);
    dict.set_item("names", names)?;
    dict.set_item("formats", formats)?;
    dict.set_item("offsets", offsets)?;
    dict.set_item("itemsize", spec.size)?;
    Ok(py
        .import("numpy")?
        .getattr("dtype")?
        .call1((dict,))?
        .cast_into::<PyArrayDescr>()?)
}

/// The numpy dtype of a row kind, built once from its `RowSpec`.
pub fn dtype(py: Python<'_>, kind: RowKind) -> PyResult<&Bound<'_, PyArrayDescr>> {
    DTYPES[kind as usize]
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(build_dtype(py, kind.spec())?.unbind())
        })
        .map(|d| d.bind(py))
}

fn int64(py: Python<'_>) -> PyResult<&Bound<'_, PyArrayDescr>> {
    INT64
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("numpy")?
                    .getattr("dtype")?
                    .call1(("<i8",))?
                    .cast_into::<PyArrayDescr>()?
                    .unbind(),
            )
        })
        .map(|d| d.bind(py))
}

/// A read-only 1-D array of `len` items whose first is at `data`, `stride` bytes apart, whose base object is
/// `owner`.
///
/// # Safety
/// The `len` items must live in a buffer owned by `owner` that is neither freed nor moved while `owner` is alive,
/// and `descr` must describe each item's layout exactly.
unsafe fn view<'py>(
    owner: &Bound<'py, PyAny>,
    descr: &Bound<'py, PyArrayDescr>,
    data: *const c_void,
    len: usize,
    stride: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let py = owner.py();
    let mut dims = [len as npy_intp];
    let mut strides = [stride as npy_intp];
    // SAFETY: a fresh array over caller-guaranteed memory; `into_dtype_ptr` hands NewFromDescr the reference it
    // steals; no WRITEABLE flag, so numpy refuses writes through the view (it works out contiguity from the
    // strides).
    unsafe {
        let array = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            npyffi::get_type_object(py, NpyTypes::PyArray_Type),
            descr.clone().into_dtype_ptr(),
            1,
            dims.as_mut_ptr(),
            strides.as_mut_ptr(),
            data.cast_mut(),
            NPY_ARRAY_ALIGNED,
            std::ptr::null_mut(),
        );
        let array = Bound::from_owned_ptr_or_err(py, array)?;
        // SetBaseObject steals the reference we pass.
        let base = owner.clone().into_ptr();
        if PY_ARRAY_API.PyArray_SetBaseObject(py, array.as_ptr().cast(), base) < 0 {
            return Err(PyErr::fetch(py));
        }
        Ok(array)
    }
}

/// A read-only view of `rows` of `kind`, kept alive by `owner`.
///
/// # Safety
/// As [`view`]: `rows` is a buffer owned by `owner` that never moves or is freed while it lives, of the row type
/// of `kind`.
pub unsafe fn rows_view<'py, T>(
    owner: &Bound<'py, PyAny>,
    kind: RowKind,
    rows: &[T],
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: forwarded from the caller.
    unsafe { strided_rows_view(owner, kind, rows.as_ptr(), rows.len(), size_of::<T>()) }
}

/// A read-only view of `len` rows of `kind`, the first at `first` and each `stride` bytes after the previous one,
/// kept alive by `owner`.
///
/// # Safety
/// As [`view`]: the rows are in a buffer owned by `owner` that never moves or is freed while it lives, of the row
/// type of `kind`.
pub unsafe fn strided_rows_view<'py, T>(
    owner: &Bound<'py, PyAny>,
    kind: RowKind,
    first: *const T,
    len: usize,
    stride: usize,
) -> PyResult<Bound<'py, PyAny>> {
    debug_assert_eq!(size_of::<T>(), kind.spec().size);
    let descr = dtype(owner.py(), kind)?;
    // SAFETY: forwarded from the caller.
    unsafe { view(owner, descr, first.cast(), len, stride) }
}

/// A read-only int64 view of `values`, kept alive by `owner`.
///
/// # Safety
/// As [`view`].
pub unsafe fn int64_view<'py>(
    owner: &Bound<'py, PyAny>,
    values: &[i64],
) -> PyResult<Bound<'py, PyAny>> {
    let descr = int64(owner.py())?;
    // SAFETY: forwarded from the caller.
    unsafe {
        view(
            owner,
            descr,
            values.as_ptr().cast(),
            values.len(),
            size_of::<i64>(),
        )
    }
}
