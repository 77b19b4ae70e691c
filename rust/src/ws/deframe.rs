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
mod tests {
    use super::*;

    /// How a test frame spells its payload length.
    #[derive(Clone, Copy)]
    enum Width {
        Short,
        Medium,
        Long,
    }

    fn frame(fin: bool, opcode: u8, payload: &[u8], width: Width) -> Vec<u8> {
        let mut out = vec![u8::from(fin) << 7 | opcode];
        match width {
            Width::Short => out.push(payload.len() as u8),
            Width::Medium => {
                out.push(126);
                out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            }
            Width::Long => {
                out.push(127);
                out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    fn text(payload: &[u8]) -> Vec<u8> {
        let width = match payload.len() {
            0..=125 => Width::Short,
            126..=0xFFFF => Width::Medium,
            _ => Width::Long,
        };
        frame(true, 1, payload, width)
    }

    fn push(deframer: &mut Deframer, bytes: &[u8]) {
        deframer.free_space()[..bytes.len()].copy_from_slice(bytes);
        deframer.filled(bytes.len()).unwrap();
    }

    fn drain_all(deframer: &mut Deframer) -> (Vec<Vec<u8>>, Drained) {
        let mut texts = Vec::new();
        let drained = deframer.drain(|t| texts.push(t.to_vec()));
        (texts, drained)
    }

    fn receive(bytes: &[u8]) -> (Vec<Vec<u8>>, Drained, Deframer) {
        let mut deframer = Deframer::new();
        push(&mut deframer, bytes);
        let (texts, drained) = drain_all(&mut deframer);
        (texts, drained, deframer)
    }

    fn error_of(bytes: &[u8]) -> Option<WsError> {
        receive(bytes).1.error
    }

    #[test]
    fn every_length_form_is_read() {
        let payloads: Vec<Vec<u8>> = [0, 1, 125, 126, 0xFFFF, 0x1_0000, MAX_FRAME_LEN]
            .iter()
            .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
            .collect();
        for payload in &payloads {
            let (texts, drained, _) = receive(&text(payload));
            assert_eq!(texts, vec![payload.clone()], "{} bytes", payload.len());
            assert_eq!(drained.texts, 1);
        }
        for width in [Width::Short, Width::Medium, Width::Long] {
            let (texts, _, _) = receive(&frame(true, 1, b"non-minimal", width));
            assert_eq!(texts, vec![b"non-minimal".to_vec()]);
        }
    }

    fn mixed_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
        let long: Vec<u8> = (0..300).map(|i| b'a' + (i % 26) as u8).collect();
        let mut wire = text(br#"{"a":1}"#);
        wire.extend(frame(true, 9, b"ping-1", Width::Short));
        wire.extend(text(&long));
        wire.extend(frame(false, 1, b"frag", Width::Short));
        wire.extend(frame(true, 10, b"", Width::Short));
        wire.extend(frame(true, 0, b"mented", Width::Medium));
        wire.extend(frame(true, 2, b"\x00\x01", Width::Short));
        wire.extend(text(b""));
        let expected = vec![
            br#"{"a":1}"#.to_vec(),
            long,
            b"fragmented".to_vec(),
            Vec::new(),
        ];
        (wire, expected)
    }

    #[test]
    fn a_stream_split_at_every_byte_gives_the_same_messages() {
        let (wire, expected) = mixed_stream();
        let mut deframer = Deframer::new();
        for split in 0..=wire.len() {
            push(&mut deframer, &wire[..split]);
            let (mut texts, first) = drain_all(&mut deframer);
            push(&mut deframer, &wire[split..]);
            let (rest, second) = drain_all(&mut deframer);
            texts.extend(rest);
            assert_eq!(texts, expected, "split at {split}");
            assert_eq!(first.error.or(second.error), None);
            assert_eq!(first.binaries + second.binaries, 1);
            let mut pings = Vec::new();
            deframer.take_pings(|p| pings.push(p.to_vec()));
            assert_eq!(pings, vec![b"ping-1".to_vec()]);
        }
        let stats = deframer.stats();
        let rounds = wire.len() as u64 + 1;
        assert_eq!(stats.texts, 4 * rounds);
        assert_eq!(stats.binaries, rounds);
        assert_eq!(stats.pongs, rounds);
        assert_eq!(stats.bytes, wire.len() as u64 * rounds);
    }

    #[test]
    fn fragments_with_a_ping_between_are_reassembled() {
        let mut wire = frame(false, 1, b"ab", Width::Short);
        wire.extend(frame(true, 9, b"hi", Width::Short));
        wire.extend(frame(false, 0, b"cd", Width::Short));
        wire.extend(frame(true, 10, b"", Width::Short));
        wire.extend(frame(true, 0, b"ef", Width::Long));
        let (texts, drained, mut deframer) = receive(&wire);
        assert_eq!(texts, vec![b"abcdef".to_vec()]);
        assert_eq!(drained.controls, 1);
        assert_eq!(deframer.pending_pings(), 1);
        let mut pings = Vec::new();
        deframer.take_pings(|p| pings.push(p.to_vec()));
        assert_eq!(pings, vec![b"hi".to_vec()]);
        assert_eq!(deframer.pending_pings(), 0);
        assert_eq!(deframer.stats().pongs, 1);
    }

    #[test]
    fn binary_messages_are_counted_and_skipped() {
        let mut wire = frame(true, 2, b"bin", Width::Short);
        wire.extend(frame(false, 2, b"part", Width::Short));
        wire.extend(frame(true, 0, b"end", Width::Short));
        wire.extend(text(b"after"));
        let (texts, drained, _) = receive(&wire);
        assert_eq!(texts, vec![b"after".to_vec()]);
        assert_eq!(drained.binaries, 2);
    }

    #[test]
    fn each_protocol_error_is_reported() {
        let cases: Vec<(Vec<u8>, WsError)> = vec![
            (vec![0x81, 0x82, 1, 2, 3, 4, b'h', b'i'], WsError::Masked),
            (vec![0xC1, 0x00], WsError::ReservedBits(0b100)),
            (vec![0x91, 0x00], WsError::ReservedBits(0b001)),
            (vec![0x83, 0x00], WsError::UnknownOpcode(3)),
            (vec![0x8B, 0x00], WsError::UnknownOpcode(11)),
            (
                frame(false, 9, b"", Width::Short),
                WsError::FragmentedControl,
            ),
            (
                frame(true, 9, &[0; 126], Width::Medium),
                WsError::ControlTooLong(126),
            ),
            (
                vec![0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 1],
                WsError::LengthHighBit,
            ),
            (
                vec![0x81, 127, 0, 0, 0, 0, 0, 0x10, 0, 1],
                WsError::TooLarge(MAX_FRAME_LEN as u64 + 1),
            ),
            (
                frame(true, 0, b"x", Width::Short),
                WsError::UnexpectedContinuation,
            ),
            (
                [frame(false, 1, b"a", Width::Short), text(b"b")].concat(),
                WsError::InterruptedMessage,
            ),
            (
                [
                    frame(false, 2, b"a", Width::Short),
                    frame(false, 1, b"b", Width::Short),
                ]
                .concat(),
                WsError::InterruptedMessage,
            ),
            (
                frame(true, 8, b"\x03", Width::Short),
                WsError::BadClosePayload,
            ),
        ];
        for (wire, expected) in cases {
            assert_eq!(error_of(&wire), Some(expected), "{wire:02x?}");
        }
    }

    #[test]
    fn a_reassembled_message_over_the_limit_is_too_large() {
        let half = vec![b'x'; MAX_FRAME_LEN / 2 + 1];
        let mut deframer = Deframer::new();
        push(&mut deframer, &frame(false, 1, &half, Width::Long));
        assert_eq!(drain_all(&mut deframer).1.error, None);
        push(&mut deframer, &frame(true, 0, &half, Width::Long));
        assert_eq!(
            drain_all(&mut deframer).1.error,
            Some(WsError::TooLarge(2 * half.len() as u64))
        );
    }

    #[test]
    fn an_error_poisons_the_deframer() {
        let mut wire = text(b"before");
        wire.extend([0x81, 0x81, 0, 0, 0, 0, b'x']);
        wire.extend(text(b"lost"));
        let (texts, drained, mut deframer) = receive(&wire);
        assert_eq!(texts, vec![b"before".to_vec()]);
        assert_eq!(drained.error, Some(WsError::Masked));
        push(&mut deframer, &text(b"ignored"));
        let (texts, drained) = drain_all(&mut deframer);
        assert!(texts.is_empty());
        assert_eq!(drained.error, Some(WsError::Masked));
        assert_eq!(deframer.error(), Some(WsError::Masked));
        assert_eq!(deframer.free_space().len(), RECV_CAPACITY);
    }

    #[test]
    fn the_ping_queue_keeps_the_latest_and_counts_the_dropped() {
        let mut wire = Vec::new();
        for n in 0..10u8 {
            wire.extend(frame(true, 9, &[n; 3], Width::Short));
        }
        let (_, drained, mut deframer) = receive(&wire);
        assert_eq!(drained.controls, 10);
        assert_eq!(deframer.pending_pings(), MAX_PENDING_PINGS);
        let mut pings = Vec::new();
        deframer.take_pings(|p| pings.push(p.to_vec()));
        assert_eq!(pings, (6..10u8).map(|n| vec![n; 3]).collect::<Vec<_>>());
        assert_eq!(deframer.stats().pings, 10);
        assert_eq!(deframer.stats().pings_dropped, 6);
        let max = frame(true, 9, &[7; MAX_CONTROL_PAYLOAD], Width::Short);
        push(&mut deframer, &max);
        drain_all(&mut deframer);
        deframer.take_pings(|p| assert_eq!(p, [7; MAX_CONTROL_PAYLOAD]));
    }

    #[test]
    fn a_close_frame_is_kept_and_later_data_ignored() {
        let mut wire = text(b"last");
        wire.extend(frame(true, 8, b"\x03\xe8bye", Width::Short));
        wire.extend(text(b"after close"));
        let (texts, drained, deframer) = receive(&wire);
        assert_eq!(texts, vec![b"last".to_vec()]);
        assert_eq!(drained.controls, 1);
        let close = deframer.close().unwrap();
        assert_eq!((close.code, close.reason()), (1000, &b"bye"[..]));
        let (_, _, deframer) = receive(&frame(true, 8, b"", Width::Short));
        assert_eq!(deframer.close().unwrap().code, CLOSE_NO_STATUS);
        let reason = [b'r'; MAX_CONTROL_PAYLOAD - 2];
        let (_, _, deframer) = receive(&frame(
            true,
            8,
            &[&[0x03, 0xf1][..], &reason].concat(),
            Width::Short,
        ));
        assert_eq!(deframer.close().unwrap().reason(), reason);
    }

    #[test]
    fn a_largest_message_arriving_in_reads_after_small_ones_fits() {
        let small: Vec<u8> = (0..2000).flat_map(|_| text(b"0123456789")).collect();
        let big = vec![b'z'; MAX_FRAME_LEN];
        let mut wire = small.clone();
        wire.extend(text(&big));
        wire.extend(small);
        let mut deframer = Deframer::new();
        let mut count = 0;
        let mut big_seen = 0;
        for chunk in wire.chunks(65_000) {
            assert!(deframer.free_space().len() >= MIN_READ);
            push(&mut deframer, chunk);
            let drained = deframer.drain(|t| {
                count += 1;
                if t.len() == MAX_FRAME_LEN {
                    assert!(t.iter().all(|&b| b == b'z'));
                    big_seen += 1;
                }
            });
            assert_eq!(drained.error, None);
        }
        assert_eq!((count, big_seen), (4001, 1));
    }

    #[test]
    fn filling_more_than_the_free_space_is_refused() {
        let mut deframer = Deframer::new();
        assert_eq!(deframer.filled(RECV_CAPACITY + 1), Err(RECV_CAPACITY));
        assert_eq!(deframer.filled(10), Ok(()));
        assert_eq!(deframer.filled(RECV_CAPACITY), Err(RECV_CAPACITY - 10));
        assert_eq!(deframer.stats().bytes, 10);
    }
}
