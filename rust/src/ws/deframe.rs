//! [`Deframer`]: server frames read straight out of a fixed receive buffer, text messages handed out as slices.

use super::{Opcode, WsError, CLOSE_NO_STATUS, LEN_16_BITS, LEN_64_BITS, MAX_CONTROL_PAYLOAD};
use crate::wire::MAX_FRAME_LEN;

/// Bytes of the receive buffer, allocated once.
pub const RECV_CAPACITY: usize = 2 << 20;

/// Free space the receive buffer always offers after a drain: the partial frame left over is moved to the front
/// whenever less than this would remain behind it.
pub const MIN_READ: usize = 256 << 10;

/// Longest header of a server frame: 2 bytes, an 8-byte length and no mask.
const MAX_HEADER: usize = 10;

/// Partial tails up to this size are always moved to the front, keeping the reads at the warm start of the buffer.
const CHEAP_MOVE: usize = 4096;

/// Pings kept until answered; older ones are dropped (answering the latest ping is enough, RFC 6455 5.5.3).
pub const MAX_PENDING_PINGS: usize = 4;

const _: () = assert!(MAX_FRAME_LEN + MAX_HEADER + MIN_READ <= RECV_CAPACITY);

/// Counters since the deframer was created.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct DeframerStats {
    /// Bytes received.
    pub bytes: u64,
    /// Complete text messages delivered.
    pub texts: u64,
    /// Complete binary messages counted and skipped.
    pub binaries: u64,
    /// Pings received.
    pub pings: u64,
    /// Pings dropped unanswered because newer ones filled the queue.
    pub pings_dropped: u64,
    /// Pongs received.
    pub pongs: u64,
}

/// What one [`Deframer::drain`] found.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Drained {
    /// Text messages handed to the callback.
    pub texts: usize,
    /// Binary messages skipped.
    pub binaries: usize,
    /// Control frames queued (pings and a close).
    pub controls: usize,
    /// The protocol error the deframer is poisoned with, if any (also when it was found earlier).
    pub error: Option<WsError>,
}

/// A close frame received: status code (1005 when the frame had none) and reason bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close {
    /// The status code.
    pub code: u16,
    reason: [u8; MAX_CONTROL_PAYLOAD - 2],
    reason_len: u8,
}

impl Close {
    /// The reason bytes (UTF-8 by the RFC; not checked).
    pub fn reason(&self) -> &[u8] {
        &self.reason[..self.reason_len as usize]
    }

    fn parse(payload: &[u8]) -> Result<Self, WsError> {
        let mut close = Close {
            code: CLOSE_NO_STATUS,
            reason: [0; MAX_CONTROL_PAYLOAD - 2],
            reason_len: 0,
        };
        match payload {
            [] => {}
            [_] => return Err(WsError::BadClosePayload),
            [hi, lo, reason @ ..] => {
                close.code = u16::from_be_bytes([*hi, *lo]);
                close.reason[..reason.len()].copy_from_slice(reason);
                close.reason_len = reason.len() as u8;
            }
        }
        Ok(close)
    }
}

/// The last [`MAX_PENDING_PINGS`] ping payloads, oldest first, in fixed slots.
struct PingQueue {
    slots: [[u8; MAX_CONTROL_PAYLOAD]; MAX_PENDING_PINGS],
    lens: [u8; MAX_PENDING_PINGS],
    head: usize,
    len: usize,
}

impl PingQueue {
    /// Queues a payload; returns true if the oldest one was dropped to make room.
    fn push(&mut self, payload: &[u8]) -> bool {
        let full = self.len == MAX_PENDING_PINGS;
        if full {
            self.head = (self.head + 1) % MAX_PENDING_PINGS;
            self.len -= 1;
        }
        let slot = (self.head + self.len) % MAX_PENDING_PINGS;
        self.slots[slot][..payload.len()].copy_from_slice(payload);
        self.lens[slot] = payload.len() as u8;
        self.len += 1;
        full
    }

    fn take(&mut self, mut each: impl FnMut(&[u8])) {
        for i in 0..self.len {
            let slot = (self.head + i) % MAX_PENDING_PINGS;
            each(&self.slots[slot][..self.lens[slot] as usize]);
        }
        self.head = 0;
        self.len = 0;
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Text,
    Binary,
}

struct Header {
    fin: bool,
    opcode: Opcode,
    len: usize,
    payload_len: usize,
}

/// Reads the header at the start of `bytes`: `None` if it is not all there yet.
fn parse_header(bytes: &[u8]) -> Result<Option<Header>, WsError> {
    let [b0, b1, rest @ ..] = bytes else {
        return Ok(None);
    };
    let reserved = (b0 >> 4) & 0b111;
    if reserved != 0 {
        return Err(WsError::ReservedBits(reserved));
    }
    let opcode = Opcode::from_bits(b0 & 0x0F).ok_or(WsError::UnknownOpcode(b0 & 0x0F))?;
    if b1 & 0x80 != 0 {
        return Err(WsError::Masked);
    }
    let fin = b0 & 0x80 != 0;
    let (payload_len, len) = match b1 & 0x7F {
        LEN_16_BITS => match rest {
            [a, b, ..] => (u64::from(u16::from_be_bytes([*a, *b])), 4),
            _ => return Ok(None),
        },
        LEN_64_BITS => match rest.first_chunk::<8>() {
            Some(&raw) if raw[0] & 0x80 != 0 => return Err(WsError::LengthHighBit),
            Some(&raw) => (u64::from_be_bytes(raw), 10),
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    if opcode.is_control() {
        if !fin {
            return Err(WsError::FragmentedControl);
        }
        if payload_len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(WsError::ControlTooLong(payload_len));
        }
    }
    if payload_len > MAX_FRAME_LEN as u64 {
        return Err(WsError::TooLarge(payload_len));
    }
    Ok(Some(Header {
        fin,
        opcode,
        len,
        payload_len: payload_len as usize,
    }))
}

/// Everything but the receive buffer: message reassembly, control queue, counters and the poison.
struct Messages {
    assembly: Box<[u8]>,
    assembled: usize,
    open: Option<Kind>,
    pings: PingQueue,
    close: Option<Close>,
    error: Option<WsError>,
    stats: DeframerStats,
}

impl Messages {
    fn frame(
        &mut self,
        header: &Header,
        payload: &[u8],
        on_text: &mut impl FnMut(&[u8]),
        out: &mut Drained,
    ) -> Result<(), WsError> {
        match header.opcode {
            Opcode::Text | Opcode::Binary => {
                if self.open.is_some() {
                    return Err(WsError::InterruptedMessage);
                }
                let kind = if header.opcode == Opcode::Text {
                    Kind::Text
                } else {
                    Kind::Binary
                };
                if header.fin {
                    self.deliver(kind, payload, on_text, out);
                } else {
                    self.open = Some(kind);
                    self.assembled = 0;
                    self.append(kind, payload)?;
                }
            }
            Opcode::Continuation => {
                let kind = self.open.ok_or(WsError::UnexpectedContinuation)?;
                self.append(kind, payload)?;
                if header.fin {
                    self.open = None;
                    let Self {
                        assembly,
                        assembled,
                        stats,
                        ..
                    } = self;
                    match kind {
                        Kind::Text => {
                            on_text(&assembly[..*assembled]);
                            stats.texts += 1;
                            out.texts += 1;
                        }
                        Kind::Binary => {
                            stats.binaries += 1;
                            out.binaries += 1;
                        }
                    }
                }
            }
            Opcode::Ping => {
                self.stats.pings += 1;
                if self.pings.push(payload) {
                    self.stats.pings_dropped += 1;
                }
                out.controls += 1;
            }
            Opcode::Pong => self.stats.pongs += 1,
            Opcode::Close => {
                self.close = Some(Close::parse(payload)?);
                out.controls += 1;
            }
        }
        Ok(())
    }

    fn deliver(
        &mut self,
        kind: Kind,
        payload: &[u8],
        on_text: &mut impl FnMut(&[u8]),
        out: &mut Drained,
    ) {
        match kind {
            Kind::Text => {
                on_text(payload);
                self.stats.texts += 1;
                out.texts += 1;
            }
            Kind::Binary => {
                self.stats.binaries += 1;
                out.binaries += 1;
            }
        }
    }

    fn append(&mut self, kind: Kind, payload: &[u8]) -> Result<(), WsError> {
        let total = self.assembled + payload.len();
        if total > MAX_FRAME_LEN {
            return Err(WsError::TooLarge(total as u64));
        }
        if kind == Kind::Text {
            self.assembly[self.assembled..total].copy_from_slice(payload);
        }
        self.assembled = total;
        Ok(())
    }
}

/// RFC 6455 client-side reader of server frames over a fixed receive buffer allocated once.
///
/// The caller reads from its socket into [`free_space`](Self::free_space), reports the count with
/// [`filled`](Self::filled), then calls [`drain`](Self::drain), which hands every complete text message to a
/// callback: single-frame messages as slices of the receive buffer, fragmented ones reassembled in a second fixed
/// buffer. Pings and a close are queued for the caller to answer. The receive buffer never moves or grows, so a
/// pointer to it stays valid as long as the deframer lives. After a protocol error or a close frame all further
/// data is ignored.
pub struct Deframer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    messages: Messages,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// A deframer with its buffers allocated ([`RECV_CAPACITY`] plus [`MAX_FRAME_LEN`] bytes).
    pub fn new() -> Self {
        Self {
            buf: vec![0; RECV_CAPACITY].into_boxed_slice(),
            start: 0,
            end: 0,
            messages: Messages {
                assembly: vec![0; MAX_FRAME_LEN].into_boxed_slice(),
                assembled: 0,
                open: None,
                pings: PingQueue {
                    slots: [[0; MAX_CONTROL_PAYLOAD]; MAX_PENDING_PINGS],
                    lens: [0; MAX_PENDING_PINGS],
                    head: 0,
                    len: 0,
                },
                close: None,
                error: None,
                stats: DeframerStats::default(),
            },
        }
    }

    /// The unfilled tail of the receive buffer, where the next read writes: at least [`MIN_READ`] bytes.
    pub fn free_space(&mut self) -> &mut [u8] {
        &mut self.buf[self.end..]
    }

    /// Marks `n` more bytes of [`free_space`](Self::free_space) as received.
    ///
    /// # Errors
    /// If `n` is more than the free space, nothing is marked and the free space is returned.
    pub fn filled(&mut self, n: usize) -> Result<(), usize> {
        let free = self.buf.len() - self.end;
        if n > free {
            return Err(free);
        }
        self.end += n;
        self.messages.stats.bytes += n as u64;
        Ok(())
    }

    /// Deframes every complete frame received, calling `on_text` with each complete text message (the slice is
    /// valid during the call only), then moves the partial frame left over to the front if needed.
    pub fn drain(&mut self, mut on_text: impl FnMut(&[u8])) -> Drained {
        let mut out = Drained::default();
        while self.messages.error.is_none() && self.messages.close.is_none() {
            let available = &self.buf[self.start..self.end];
            let header = match parse_header(available) {
                Ok(Some(header)) => header,
                Ok(None) => break,
                Err(error) => {
                    self.messages.error = Some(error);
                    break;
                }
            };
            let frame_len = header.len + header.payload_len;
            if available.len() < frame_len {
                break;
            }
            let payload = &available[header.len..frame_len];
            if let Err(error) = self
                .messages
                .frame(&header, payload, &mut on_text, &mut out)
            {
                self.messages.error = Some(error);
            }
            self.start += frame_len;
        }
        self.compact();
        out.error = self.messages.error;
        out
    }

    fn compact(&mut self) {
        let rest = self.end - self.start;
        if rest == 0 || self.messages.error.is_some() || self.messages.close.is_some() {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && (rest <= CHEAP_MOVE || self.buf.len() - self.end < MIN_READ) {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = rest;
        }
    }

    /// Hands each queued ping payload to `each`, oldest first, and empties the queue.
    pub fn take_pings(&mut self, each: impl FnMut(&[u8])) {
        self.messages.pings.take(each);
    }

    /// Pings queued and not yet taken.
    pub fn pending_pings(&self) -> usize {
        self.messages.pings.len
    }

    /// The close frame received, if any.
    pub fn close(&self) -> Option<&Close> {
        self.messages.close.as_ref()
    }

    /// The protocol error found, if any.
    pub fn error(&self) -> Option<WsError> {
        self.messages.error
    }

    /// Counters since creation.
    pub fn stats(&self) -> &DeframerStats {
        &self.messages.stats
    }
}

#[cfg(test)]
mod tests;
