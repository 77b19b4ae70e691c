//! kfeed core: Koscom Open API push frames parsed into preallocated rings, per-symbol books and OHLCV bars.
//!
//! The core is sans-IO: bytes in, state and counters out. It never touches a socket. The Python bindings live
//! only in `py`, compiled when the `python` feature is on (maturin turns it on).

pub mod bars;
pub mod book;
pub mod clock;
pub mod error;
pub mod events;
pub mod feed;
pub mod prefetch;
pub mod ring;
pub mod rows;
pub mod stats;
pub mod symbols;
pub mod wire;
pub mod ws;

#[cfg(feature = "python")]
mod py;

#[cfg(test)]
mod test_rng;

/// The crate version, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
