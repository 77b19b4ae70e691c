//! The Python module `kfeed._kfeed`: the only place pyo3 and numpy appear.

use pyo3::prelude::*;

/// The native part of kfeed.
#[pymodule]
fn _kfeed(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    Ok(())
}
