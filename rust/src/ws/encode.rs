//! Client frames: FIN set, masked with a caller-given key (RFC 6455 section 5.3), 7-, 16- or 64-bit length.

use super::{Opcode, WsError, LEN_16_BITS, LEN_64_BITS, MAX_CONTROL_PAYLOAD};

/// Bytes of a masked client frame carrying `payload_len` bytes.
pub fn encoded_len(payload_len: usize) -> usize {
    let extended = match payload_len {
        0..=125 => 0,
        126..=0xFFFF => 2,
        _ => 8,
    };
    2 + extended + 4 + payload_len
}

/// Appends one unfragmented client frame of `opcode` carrying `payload`, masked with `mask`, to `out`.
///
/// # Errors
/// [`WsError::ControlTooLong`] if a control frame's payload is over 125 bytes (`out` is left unchanged).
pub fn encode_frame(
    opcode: Opcode,
    payload: &[u8],
    mask: [u8; 4],
    out: &mut Vec<u8>,
) -> Result<(), WsError> {
    let len = payload.len();
    if opcode.is_control() && len > MAX_CONTROL_PAYLOAD {
        return Err(WsError::ControlTooLong(len as u64));
    }
    out.reserve(encoded_len(len));
    out.push(0x80 | opcode as u8);
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xFFFF => {
            out.push(0x80 | LEN_16_BITS);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | LEN_64_BITS);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::{Deframer, WsError};

    const MASK: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

    /// The frame a server would send with the same payload: the mask bit cleared, the key removed, the payload
    /// unmasked by hand.
    fn unmasked(frame: &[u8]) -> Vec<u8> {
        let len7 = frame[1] & 0x7F;
        let header = match len7 {
            126 => 4,
            127 => 10,
            _ => 2,
        };
        let key = &frame[header..header + 4];
        let mut out = frame[..header].to_vec();
        out[1] &= 0x7F;
        out.extend(
            frame[header + 4..]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4]),
        );
        out
    }

    #[test]
    fn the_example_of_rfc_6455_is_encoded_exactly() {
        let mut out = Vec::new();
        encode_frame(Opcode::Text, b"Hello", MASK, &mut out).unwrap();
        assert_eq!(
            out,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
    }

    #[test]
    fn every_length_form_round_trips_through_the_deframer() {
        for (len, header) in [(0, 2), (125, 2), (126, 4), (0xFFFF, 4), (0x1_0000, 10)] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let mut out = Vec::new();
            encode_frame(Opcode::Text, &payload, MASK, &mut out).unwrap();
            assert_eq!(out.len(), encoded_len(len));
            assert_eq!(out.len(), header + 4 + len);
            assert_eq!(out[0], 0x81);
            assert_eq!(out[1] & 0x80, 0x80, "client frames are masked");
            assert_eq!(&out[header..header + 4], MASK);
            let server = unmasked(&out);
            let mut deframer = Deframer::new();
            deframer.free_space()[..server.len()].copy_from_slice(&server);
            deframer.filled(server.len()).unwrap();
            let mut texts = Vec::new();
            let drained = deframer.drain(|t| texts.push(t.to_vec()));
            assert_eq!(drained.error, None);
            assert_eq!(texts, vec![payload]);
        }
    }

    #[test]
    fn a_masked_frame_is_an_error_for_the_client() {
        let mut out = Vec::new();
        encode_frame(Opcode::Text, b"masked", MASK, &mut out).unwrap();
        let mut deframer = Deframer::new();
        deframer.free_space()[..out.len()].copy_from_slice(&out);
        deframer.filled(out.len()).unwrap();
        assert_eq!(deframer.drain(|_| {}).error, Some(WsError::Masked));
    }

    #[test]
    fn control_frames_carry_at_most_125_bytes() {
        let mut out = Vec::new();
        encode_frame(Opcode::Pong, &[1; 125], MASK, &mut out).unwrap();
        assert_eq!(out[0], 0x8A);
        let mut refused = Vec::new();
        assert_eq!(
            encode_frame(Opcode::Close, &[1; 126], MASK, &mut refused),
            Err(WsError::ControlTooLong(126))
        );
        assert!(refused.is_empty());
    }
}
