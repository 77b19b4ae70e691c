//! The Python module `kfeed._kfeed`: the only place pyo3 and numpy appear.

mod errors;
mod feed;
mod frames;
mod reader;
mod stream;
mod views;

use pyo3::prelude::*;

use views::{dtype, RowKind};

/// The native part of kfeed.
#[pymodule]
fn _kfeed(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", crate::VERSION)?;
    m.add_class::<feed::PyFeed>()?;
    m.add_class::<reader::RingReader>()?;
    m.add_class::<reader::Bars>()?;
    m.add_class::<stream::FeedStream>()?;
    m.add_function(wrap_pyfunction!(stream::encode_frame, m)?)?;
    m.add("TRADE_DTYPE", dtype(py, RowKind::Trade)?)?;
    m.add("QUOTE_DTYPE", dtype(py, RowKind::Quote)?)?;
    m.add("BOOK_DTYPE", dtype(py, RowKind::Book)?)?;
    m.add("BAR_DTYPE", dtype(py, RowKind::Bar)?)?;
    for (name, flag) in [
        ("TRADE_GAP", crate::rows::TRADE_GAP),
        ("TRADE_INDEX", crate::rows::TRADE_INDEX),
        ("TRADE_NO_QTY", crate::rows::TRADE_NO_QTY),
        ("BAR_GAP", crate::rows::BAR_GAP),
        ("BAR_BACKFILLED", crate::rows::BAR_BACKFILLED),
    ] {
        m.add(name, flag)?;
    }
    Ok(())
}
