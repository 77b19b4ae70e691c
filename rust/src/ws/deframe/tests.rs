//! Tests of the deframer: every frame form, reads split anywhere, fragments, control frames and each protocol error.

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
