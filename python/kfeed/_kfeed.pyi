"""The native core of kfeed (Rust, pyo3)."""

__all__ = ["__version__"]

__version__: str
"""The version of the compiled extension."""
