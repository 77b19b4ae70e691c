//! The wire layer: scans one WebSocket text frame and fills a [`Parsed`]; the only place wire names appear.

pub mod msg;

pub use msg::{
    BookUpdate, Code, Parsed, Reply, ReplyKind, Signal, Source, Trade, ABSENT, MAX_LEVELS,
};
