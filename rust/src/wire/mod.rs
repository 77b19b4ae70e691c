//! The wire layer: scans one WebSocket text frame and fills a [`Parsed`]; the only place wire names appear.
//!
//! A hand-written pull scanner over the borrowed frame: no DOM, no allocation, keys dispatched on their bytes
//! and values parsed straight into the preallocated [`Parsed`]. The frame families are the `/ws` JSON-RPC
//! envelope (`envelope`: push presets in `push`, replies in `reply`) and the bare `/ws_ksp`|`/ws_kdq` arrays
//! (`market_trades`). Leniency follows protocol §7: numbers or numeric strings, key spelling variants,
//! `*NNN` code suffixes, any key order, unknown keys skipped (their values still validated as JSON).

mod block;
mod compact;
mod envelope;
mod fields;
mod key_order;
mod keys;
mod market_trades;
pub mod msg;
mod number;
mod padded;
mod push;
mod reply;
mod scan;
mod shape;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod fuzz;

pub use msg::{
    BookUpdate, Code, Parsed, Reply, ReplyKind, Signal, Source, Trade, ABSENT, MAX_LEVELS,
    MAX_TRADES_PER_FRAME,
};
pub use number::SIGNAL_MIN;
pub use reply::unescape;
pub use scan::MAX_DEPTH;

use std::cell::RefCell;

use crate::error::Reject;
use crate::prefetch::CodeHint;
use fields::Fields;
use key_order::KeyOrder;
use padded::PadBuffer;
use scan::Scanner;

/// State the parser keeps per thread and reuses across frames: never part of a result.
struct Scratch {
    /// The key-order cache (see [`KeyOrder`]).
    order: KeyOrder,
    /// The fields of the object being scanned (reset per object, so its value arrays are never cleared).
    fields: Fields,
    /// The buffer frames are copied into for the fast path.
    pad: PadBuffer,
}

thread_local! {
    /// This thread's parser scratch state.
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch {
            order: KeyOrder::EMPTY,
            fields: Fields::EMPTY,
            pad: PadBuffer::EMPTY,
        })
    };
}

/// Largest frame accepted, in bytes.
pub const MAX_FRAME_LEN: usize = 1 << 20;

/// Parses one WebSocket text frame. On Ok, `out` holds everything it said; on Err nothing should be applied
/// (and `out` is left empty).
///
/// # Errors
/// The [`Reject`] reason the frame was refused for.
pub fn parse_frame(frame: &[u8], out: &mut Parsed) -> Result<(), Reject> {
    parse_frame_hinted(frame, out, None)
}

/// [`parse_frame`], prefetching the slot `hint` locates for each code as soon as it is read (a hint only: the
/// result is the same with or without it).
///
/// # Errors
/// As [`parse_frame`].
#[inline]
pub fn parse_frame_hinted(
    frame: &[u8],
    out: &mut Parsed,
    hint: Option<CodeHint>,
) -> Result<(), Reject> {
    out.clear();
    let result = SCRATCH.with_borrow_mut(|scratch| {
        scratch.fields.hint = hint;
        scan_frame(frame, out, scratch)
    });
    if result.is_err() {
        out.clear();
    }
    result
}

/// Parses a bare REST record object (the `result` of REST price/orderbook/index, or one `isulist` element) as
/// if it were a push of `source` (Tick10 for price, Quote10 for orderbook, Index for index). A `preset` key in
/// the record is validated but does not change `source`.
///
/// # Errors
/// The [`Reject`] reason the record was refused for.
pub fn parse_record(source: Source, record: &[u8], out: &mut Parsed) -> Result<(), Reject> {
    out.clear();
    let result = SCRATCH.with_borrow_mut(|scratch| {
        scratch.fields.hint = None;
        scan_record(source, record, out, scratch)
    });
    if result.is_err() {
        out.clear();
    }
    result
}

/// A scanner over `frame`, its end copied into `pad` for the fast path.
#[inline(always)]
fn scanner<'a>(frame: &'a [u8], pad: &'a mut PadBuffer) -> Scanner<'a> {
    Scanner::new_padded(pad.load(frame))
}

fn scan_frame(frame: &[u8], out: &mut Parsed, scratch: &mut Scratch) -> Result<(), Reject> {
    if frame.len() > MAX_FRAME_LEN {
        return Err(Reject::TooLarge);
    }
    let mut s = scanner(frame, &mut scratch.pad);
    match s.peek()? {
        b'{' => envelope::scan(&mut s, out, &mut scratch.fields, &mut scratch.order)?,
        b'[' => market_trades::scan(&mut s, out, &mut scratch.fields, &mut scratch.order)?,
        _ => {
            s.skip_value(0)?;
            s.finish()?;
            return Err(Reject::NotProtocol);
        }
    }
    s.finish()
}

fn scan_record(
    source: Source,
    record: &[u8],
    out: &mut Parsed,
    scratch: &mut Scratch,
) -> Result<(), Reject> {
    if record.len() > MAX_FRAME_LEN {
        return Err(Reject::TooLarge);
    }
    let mut s = scanner(record, &mut scratch.pad);
    if s.peek()? != b'{' {
        s.skip_value(0)?;
        s.finish()?;
        return Err(Reject::NotProtocol);
    }
    let fields = &mut scratch.fields;
    fields.reset();
    fields.scan_object(&mut s, 0, &mut scratch.order)?;
    s.finish()?;
    push::emit(source, fields, out)
}
